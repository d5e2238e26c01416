/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: hook phases along a stream's life, and the hook table entry. */
#ifndef PORTICO_HOOKS_H
#define PORTICO_HOOKS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Phases, in the order a stream meets them. The core runs ACCEPT, BACKEND and
 * CLOSE itself; the protocol module that owns a phase runs it with
 * host->hooks_run() (the http module runs HTTP_REQUEST and HTTP_RESPONSE). */
#define PTC_PHASE_ACCEPT        1u /* connection accepted, before any byte is read */
#define PTC_PHASE_TCP_CONTENT   2u /* tcp: before the backend is chosen */
#define PTC_PHASE_HTTP_REQUEST  3u /* http: request headers parsed, before backend choice */
#define PTC_PHASE_BACKEND       4u /* a backend was chosen, before the server is */
#define PTC_PHASE_HTTP_RESPONSE 5u /* http: response headers parsed, before forwarding */
#define PTC_PHASE_CLOSE         6u /* the stream is about to be freed (result ignored) */
/* Since 1.3: */
#define PTC_PHASE_CONNECTION    7u /* accepted and past "tcp-request connection" rules,
                                      before the protocol handler sees the stream */
#define PTC_PHASE_SRV_CONNECTED 8u /* a new server connection is established, before the
                                      first request byte is sent on it */
#define PTC_PHASE_SERVER_CHOICE 9u /* the backend is known, before its balance algorithm
                                      picks a server */
/* Since 1.4: */
#define PTC_PHASE_SRV_ERROR    10u /* a connection attempt to the stream's server failed,
                                      or its connection broke before the response ended */
/* Since 1.13: */
#define PTC_PHASE_TXN_END      11u /* http: a transaction ended (response sent or aborted,
                                      logged), before the next request is read */
#define PTC_PHASE_MAX          11u

/* A hook. `fe_conf` and `be_conf` are this module's conf blobs for the stream's
 * frontend and backend (be_conf is NULL before a backend is chosen; a blob is
 * NULL only when the module's proxy_conf_size is 0). Results, by phase:
 *   ACCEPT         PTC_DENY or PTC_ERROR close the connection; anything else goes on.
 *   BACKEND        PTC_DENY makes the backend choice fail (http answers 503).
 *   HTTP_REQUEST   PTC_STOP: the hook answered (http API reply()); PTC_DENY: 403;
 *                  PTC_ERROR: 500; PTC_YIELD: the phase runs again *from its first
 *                  hook* when the stream is woken (host->stream_wake), so hooks of
 *                  these phases must be idempotent.
 *   HTTP_RESPONSE  PTC_DENY or PTC_ERROR: 502 (when nothing was sent yet); PTC_YIELD
 *                  as above.
 *   CLOSE          the result is ignored.
 *   CONNECTION     (1.3) runs once per accepted connection, after ACCEPT and the
 *                  "tcp-request connection" rules, before PTC_EV_OPEN reaches the
 *                  protocol handler. The request channel holds what the client
 *                  sent so far: a hook may read it (chan_data), consume a prefix
 *                  (chan_skip), set the stream's addresses (stream_set_addr) and
 *                  install a transport. PTC_YIELD waits for more bytes (or the
 *                  client's EOF) and then resumes *at the yielding hook* (hooks
 *                  before it are not run again); the wait is bounded by the
 *                  client timer: the frontend's "timeout client" from the first
 *                  yield on, unless a hook armed the timer itself. PTC_DENY/PTC_ERROR
 *                  close the connection; call host->stream_conn_fail() first to
 *                  have it counted and logged with a reason.
 *   SRV_CONNECTED  (1.3) runs on each newly established server connection (not on
 *                  a reused one) before any request byte is sent on it; a hook may
 *                  queue bytes to send first (stream_srv_prepend, e.g. a PROXY
 *                  header). PTC_DENY/PTC_ERROR close the server connection as a
 *                  connect error. Must not yield.
 *   SERVER_CHOICE  (1.3) runs before the balance algorithm at every server choice
 *                  (stream_connect*); a hook may choose the server with
 *                  stream_use_server() (persistence cookies, stick tables) and
 *                  return PTC_STOP to skip the other hooks. Must not yield.
 *   SRV_ERROR      (1.4) runs when a connection attempt to stream_server() failed
 *                  (refused, unreachable, "timeout connect") or the server connection
 *                  broke (reset, "timeout server", closed before a complete response);
 *                  stream_srv_error() says which (PTC_SRVERR_*). Runs before the core
 *                  retries or redispatches, once per failed attempt. Passive health
 *                  checks ("observe") count these. Must not yield; the result is
 *                  ignored.
 *   TXN_END        (1.13) run by the http module once per HTTP transaction when it
 *                  ends: its response was sent (or the transaction failed) and its log
 *                  line was emitted; on a keep-alive connection before the next request
 *                  is read, otherwise before CLOSE. HAProxy ends a stream there (what
 *                  the transaction tracked is released: stick counters). Must not
 *                  yield; the result is ignored. A module that registers it must not
 *                  be loaded by an older host (its hook is refused): check
 *                  host->abi_minor >= 15 in the entry point and leave it out.
 * The first result other than PTC_CONTINUE ends the phase. */
typedef int (*ptc_hook_fn)(ptc_stream *s, void *fe_conf, void *be_conf);

typedef struct ptc_hook {
    uint32_t phase;         /* PTC_PHASE_* */
    int32_t priority;       /* lower runs first; equal priorities run in load order */
    ptc_hook_fn fn;
} ptc_hook;

#ifdef __cplusplus
}
#endif

#endif
