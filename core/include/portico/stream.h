/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: protocol handlers ("mode tcp", "mode http") and stream events. */
#ifndef PORTICO_STREAM_H
#define PORTICO_STREAM_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A stream is one accepted client connection and, when connected, its server
 * connection. Bytes flow through two channels: PTC_DIR_REQ (client -> server)
 * and PTC_DIR_RES (server -> client). Each channel is one buffer whose bytes are
 * either *pending* (received, not yet looked at or released by the handler) or
 * *forwarded* (released by the handler: the host sends them to the other side).
 * The handler reads pending bytes with chan_data(), may edit them with
 * chan_replace()/chan_append()/chan_skip(), and releases them with
 * chan_forward(). chan_autoforward() lets the host forward the next N bytes
 * on its own without waking the handler (bodies, tunnels).
 *
 * Events are bits; several may arrive in one call. The host reads from a side
 * while its channel has room and it is not paused.
 */
#define PTC_EV_OPEN          0x0001u /* stream created (first call) */
#define PTC_EV_REQ_DATA      0x0002u /* new pending bytes, EOF/error, or the end of an
                                        auto-forward, on the request channel */
#define PTC_EV_RES_DATA      0x0004u /* same on the response channel */
#define PTC_EV_REQ_SENT      0x0008u /* every forwarded request byte reached the server socket */
#define PTC_EV_RES_SENT      0x0010u /* every forwarded response byte reached the client socket */
#define PTC_EV_SRV_CONNECTED 0x0020u /* the server connection is established */
#define PTC_EV_SRV_ERROR     0x0040u /* server connect failed or the server side broke;
                                        see host->stream_srv_error() */
#define PTC_EV_CLI_ERROR     0x0080u /* the client side broke (reset, write error) */
#define PTC_EV_CLI_TIMEOUT   0x0100u /* the client timer expired */
#define PTC_EV_SRV_TIMEOUT   0x0200u /* the server timer expired */
#define PTC_EV_WAKE          0x0400u /* host->stream_wake() was called */

/* Channel state bits (host->chan_flags). */
#define PTC_CHAN_EOF      0x0001u /* the source closed its write side: no more input */
#define PTC_CHAN_ERROR    0x0002u /* the source side failed */
#define PTC_CHAN_SHUTW    0x0004u /* chan_shutw() was requested */
#define PTC_CHAN_FLUSHED  0x0008u /* no forwarded byte is waiting to be sent */
#define PTC_CHAN_FULL     0x0010u /* no room left for reading */
#define PTC_CHAN_PAUSED   0x0020u /* reading paused by chan_pause() */
#define PTC_CHAN_TIMEOUT  0x0040u /* since 1.3, request channel during PTC_PHASE_CONNECTION:
                                     the client timer expired while a hook waited */

/* Server-side error codes (host->stream_srv_error); 0 = none. */
#define PTC_SRVERR_NONE     0
#define PTC_SRVERR_NOSRV    1  /* no usable server in the backend (or no backend) */
#define PTC_SRVERR_CONNECT  2  /* connection refused / unreachable */
#define PTC_SRVERR_CTIMEOUT 3  /* timeout connect expired */
#define PTC_SRVERR_RESET    4  /* reset or I/O error after connecting */
#define PTC_SRVERR_QUEUE    5  /* timeout queue expired (reserved for 1.x queues) */

/* Timers (host->stream_set_timeout). Values in ms; 0 disarms; PTC_TMO_DEFAULT
 * uses the proxy's configured value (timeout client / timeout server). An armed
 * timer is pushed back by every I/O on its side. */
#define PTC_TMO_CLIENT   0u
#define PTC_TMO_SERVER   1u
#define PTC_TMO_DEFAULT  UINT64_MAX
/* OR'ed into `which` (since 1.2): a deadline that I/O does not push back
 * (e.g. timeout http-request, counted from the start of the request). */
#define PTC_TMO_FIXED    0x100u
/* OR'ed into `which` (since 1.17): this is the tunnel timeout of the stream (ms is the
 * proxy's "timeout tunnel" or PTC_TMO_DEFAULT); an "http-request set-timeout tunnel" of the
 * transaction replaces it. Without it, PTC_TMO_DEFAULT on PTC_TMO_SERVER already gives the
 * transaction's "set-timeout server" value when there is one. */
#define PTC_TMO_TUNNEL   0x200u

/* Modes of host->stream_close. */
#define PTC_CLOSE_ABORT 0u /* close both sides now, dropping unsent data */
#define PTC_CLOSE_FLUSH 1u /* stop reading, send every forwarded byte, then close */
#define PTC_CLOSE_NOLINGER 2u /* OR'ed with FLUSH (since 1.2): the client said it is done
                                 sending (a complete request with "Connection: close"), so
                                 close right after the flush when no unread byte is
                                 pending, instead of draining its input until its FIN */
#define PTC_CLOSE_SILENT 4u /* since 1.14: close both sides now without telling the client
                               ("silent-drop"): TCP_REPAIR on its socket so that no FIN nor
                               RST leaves, else a TTL / hop limit of 1; a host older than
                               1.14 flushes and closes instead */

/* Unlimited auto-forwarding (host->chan_autoforward). */
#define PTC_FORWARD_ALL UINT64_MAX

/* Idle server connections (host->stream_srv_idle, since 1.1). */
#define PTC_IDLE_POOL 0x0001u /* may join the worker's pool of idle connections when the
                                 stream ends or moves to another server */

/* Connection reuse (host->stream_connect_ex, since 1.1). Without a flag only the
 * stream's own idle connection to the chosen server is reused. */
#define PTC_CONNECT_POOL_SAFE 0x0001u /* may take a pooled connection that already
                                         carried more than one request */
#define PTC_CONNECT_POOL_ANY  0x0002u /* may take any pooled connection */

/* Addresses (host->stream_addr). */
#define PTC_ADDR_CLIENT   0u /* the client's address */
#define PTC_ADDR_FRONTEND 1u /* the local address the client connected to */
#define PTC_ADDR_SERVER   2u /* the server's address (when connected or connecting) */

/* Event handler. `state` is this handler's per-stream state (state_size bytes,
 * zeroed at open, owned by the host). Returns PTC_CONTINUE; the handler ends a
 * stream with host->stream_close(). Must not block. */
typedef int (*ptc_stream_fn)(ptc_stream *s, void *state, uint32_t events);

/* Called once when the stream is freed, to release what `state` holds. */
typedef void (*ptc_stream_release_fn)(ptc_stream *s, void *state);

/* A protocol handler: serves every frontend whose "mode" equals `name`. */
typedef struct ptc_proto {
    const char *name;                 /* "tcp", "http" */
    uint32_t state_size;              /* bytes of per-stream state */
    ptc_stream_fn on_event;
    ptc_stream_release_fn on_release; /* may be NULL */
} ptc_proto;

#ifdef __cplusplus
}
#endif

#endif
