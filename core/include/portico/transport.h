/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: transport layers between a socket and a channel (since 1.3;
   ready and shutw since 1.7). */
#ifndef PORTICO_TRANSPORT_H
#define PORTICO_TRANSPORT_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A transport sits between a stream's socket and its channel (TLS is one): when a
 * side of a stream has one, the bytes the host receives on that socket go through
 * `decode` before they reach the channel, and the bytes forwarded to that socket go
 * through `encode` before they are sent. Protocol handlers ("mode tcp", "mode
 * http") see only the decoded bytes and never know a transport is there.
 *
 * Install one with host->stream_set_transport() from a PTC_PHASE_CONNECTION hook
 * (client side) or a PTC_PHASE_SRV_CONNECTED hook (server side), before any byte
 * of that side reached the protocol handler. Bytes of the request channel that
 * are still pending when a client-side transport is installed are given to
 * `decode` first (a hook may peek at a ClientHello, then install TLS).
 *
 * The table `t` must stay valid while installed (a static table). On PTC_ERROR from
 * stream_set_transport the caller still owns `tctx`; on PTC_OK the host calls
 * `release` exactly once and nothing after it. A server connection with a transport
 * is private to its stream (never pooled). A preamble (stream_srv_prepend) is sent
 * before the transport's first byte.
 *
 * All functions are called from the worker's loop; `tctx` is the module's.
 * Results: PTC_OK (progress or nothing to do), PTC_YIELD (needs more input
 * before it can produce anything), PTC_ERROR (fatal: the side is closed as an
 * I/O error).
 */
typedef struct ptc_transport {
    uint32_t size;        /* sizeof(ptc_transport) as the module knows it */
    uint32_t reserved;    /* 0 */
    const char *name;     /* "tls": for logs and -vv */
    /* Raw bytes received from the socket in [in, in+inlen): consume some (*used) and
     * write decoded bytes into [out, out+cap) (*made). Called again while it makes
     * progress. inlen == 0 with eof != 0: the peer closed and every raw byte was
     * consumed (called until it makes nothing; then the channel gets its EOF).
     * Since 1.7 it is also called with inlen == 0 and eof == 0 whenever the channel has
     * room: a transport that holds decoded bytes of its own (TLS records read but not yet
     * delivered) writes them then. */
    int (*decode)(void *tctx, const char *in, size_t inlen, size_t *used, char *out,
                  size_t cap, size_t *made, int eof);
    /* Bytes to send in [in, in+inlen): consume some (*used) and write the raw bytes
     * to send into [out, out+cap) (*made). With inlen == 0 it may still produce
     * bytes of its own (handshake records, alerts, a close notification). The
     * channel's head moves by *used; *_SENT and the write shutdown wait until the
     * raw bytes are sent. */
    int (*encode)(void *tctx, const char *in, size_t inlen, size_t *used, char *out,
                  size_t cap, size_t *made);
    /* Nonzero when the transport has raw bytes of its own to send (handshake
     * progress after decode): the host then calls encode with inlen == 0. */
    int (*want_send)(void *tctx);
    /* Called once when the side's connection is closed or the stream ends:
     * release tctx. */
    void (*release)(void *tctx);
    /* ---- since 1.7: read only when `size` covers them; each may be NULL ---- */
    /* Nonzero once the transport carries application bytes (a TLS handshake is
     * complete). On the server side, the host holds PTC_EV_SRV_CONNECTED back until
     * then: the handshake is part of the connection attempt, bounded by "timeout
     * connect", and a decode failure (or the server's EOF) before it counts as a failed
     * attempt (PTC_SRVERR_CONNECT / PTC_SRVERR_CTIMEOUT, retried as such). NULL: ready
     * at once (1.3 behaviour). */
    int (*ready)(void *tctx);
    /* Called once when the host is about to shut the write side of the socket (every
     * forwarded byte was encoded and sent): the transport may queue a last record of
     * its own (a TLS close_notify) that want_send reports; the host encodes and sends
     * it before the shutdown. */
    void (*shutw)(void *tctx);
    /* ---- since 1.22: read only when `size` covers it; may be NULL ---- */
    /* What the transport negotiated, for the log's %sslc (PTC_XPRT_CIPHER) and %sslv
     * (PTC_XPRT_VERSION): a string that lives as long as tctx, or NULL (none yet, or
     * unknown <what>: the log prints "-"). */
    const char *(*info)(void *tctx, uint32_t what);
} ptc_transport;

/* ptc_transport.info (1.22). */
#define PTC_XPRT_CIPHER  0u
#define PTC_XPRT_VERSION 1u
/* Since 1.26 (a transport built for an older ABI returns NULL for them): */
#define PTC_XPRT_SNI       2u /* the server name the client sent (SNI) */
#define PTC_XPRT_ALPN      3u /* the protocol ALPN selected */
#define PTC_XPRT_PEER_CN   4u /* the first CN of the peer certificate's subject */
#define PTC_XPRT_CERT_SIG  5u /* this side's own certificate: signature algorithm
                                 ("RSA-SHA256", OpenSSL's short name) */
#define PTC_XPRT_CERT_KEY  6u /* this side's own certificate: key algorithm and size
                                 ("RSA2048", "EC256", "DSA1024") */
#define PTC_XPRT_PEER_CERT 7u /* "conn": the peer showed a certificate in this handshake;
                                 "sess": its session has one (resumed); NULL: none */
#define PTC_XPRT_VERIFY    8u /* the peer certificate's verification result, in decimal
                                 ("0": verified) */
/* Since 1.28, asked before the handshake completes too: */
#define PTC_XPRT_EARLY     9u /* "1" while the client side is in TLS early data (0-RTT
                                 received, the handshake not complete yet); NULL else */

/* Sides (host->stream_set_transport). */
#define PTC_SIDE_CLIENT 0u
#define PTC_SIDE_SERVER 1u

#ifdef __cplusplus
}
#endif

#endif
