// SPDX-License-Identifier: MIT
// Internal to the stream engine (core/src/stream/*.cpp): the helpers of the hot path
// (recv completion -> handler -> send), kept inline here so that splitting the engine into
// files moved no call of the keep-alive path across translation units, and the functions
// the engine's files share.
//
// Rules that keep it safe with a completion-based poller:
//  - every decision happens in stream_process(), called from the run queue; completions
//    and timers only record what happened and enqueue the stream;
//  - a buffer is refcounted: the channel holds one reference and every in-flight recv or
//    send holds another, so a buffer is never reused while the kernel may touch it;
//  - pending bytes never move under an in-flight recv: growing edits first migrate the
//    channel to a fresh buffer, and the recv completion copies what it got if needed;
//  - an allocation failure (pool exhausted) fails that one stream (stream_oom), never
//    the worker.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <ctime>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>

#include "event/clock.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"

namespace portico {

constexpr size_t k_buf_hdr = 64; // refcount header in front of each pool buffer
constexpr uint64_t k_linger_ms = 1000;
extern char g_discard[16384];    // lingering reads land here and are dropped (conn.cpp)
extern stream* g_in_handler;     // stream whose handler runs now (stream.cpp)

template <typename T, typename M> T* container_of(M* p, M T::*member)
{
    return reinterpret_cast<T*>(reinterpret_cast<char*>(p) -
                                reinterpret_cast<size_t>(&(static_cast<T*>(nullptr)->*member)));
}

// ---- buffers ------------------------------------------------------------------------------

// A fresh buffer holding one reference, or nullptr when the pool cannot grow.
inline char* buf_get(worker* w)
{
    char* b = static_cast<char*>(w->buf_pool.get());
    if (!b) [[unlikely]]
        return nullptr;
    *reinterpret_cast<uint32_t*>(b) = 1;
    return b + k_buf_hdr;
}
inline void buf_ref(char* d) { ++*reinterpret_cast<uint32_t*>(d - k_buf_hdr); }
inline void buf_unref(worker* w, char* d)
{
    if (d && --*reinterpret_cast<uint32_t*>(d - k_buf_hdr) == 0)
        w->buf_pool.put(d - k_buf_hdr);
}

inline uint64_t now() { return event::now_ms(); }

inline uint64_t now_us()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

inline conn* src_of(stream* s, uint32_t dir) { return dir == PTC_DIR_REQ ? s->cli : s->srvc; }
inline conn* dst_of(stream* s, uint32_t dir) { return dir == PTC_DIR_REQ ? s->srvc : s->cli; }
inline uint32_t data_ev(uint32_t dir) { return dir == PTC_DIR_REQ ? PTC_EV_REQ_DATA : PTC_EV_RES_DATA; }
inline uint32_t sent_ev(uint32_t dir) { return dir == PTC_DIR_REQ ? PTC_EV_REQ_SENT : PTC_EV_RES_SENT; }

// ---- channels (chan.cpp) --------------------------------------------------------------------

// Gives the channel a buffer when it has none. False when none could be allocated.
inline bool chan_ensure(worker* w, chan& c)
{
    if (c.buf)
        return true;
    c.buf = buf_get(w);
    c.head = c.fwd = c.tail = 0;
    return c.buf != nullptr;
}

// True when an in-flight send of <dst> reads from the channel's current buffer.
inline bool tx_on(const conn* dst, const chan& c)
{
    return dst && dst->tx.busy && dst->tx_buf == c.buf;
}
inline bool rx_on(const conn* src, const chan& c)
{
    return src && src->rx.busy && src->rx_buf == c.buf;
}

// First byte the channel must keep: the mark when one is held, else head.
inline uint32_t live_start(const chan& c) { return c.mark >= 0 ? (uint32_t)c.mark : c.head; }

// Moves the live bytes to the start of the buffer when nothing in flight uses it.
inline void chan_compact(chan& c)
{
    uint32_t base = live_start(c);
    if (base == 0)
        return;
    std::memmove(c.buf, c.buf + base, c.tail - base);
    c.head -= base;
    c.fwd -= base;
    c.tail -= base;
    if (c.mark >= 0)
        c.mark = 0;
}

// ---- transports (xprt.cpp) ------------------------------------------------------------------

// A connection's transport (ABI 1.3, transport.h): the socket's bytes go through the raw
// buffers, never through a channel's, so channel buffers keep their rules unchanged.
//   in:  [in_head, in_tail) received, not decoded yet; a raw recv writes at in_tail
//   out: [out_head, out_tail) encoded, not sent yet; a raw send reads from out_head
struct xprt {
    const ptc_transport* t = nullptr;
    void* tctx = nullptr;
    char* in = nullptr;
    char* out = nullptr;
    uint32_t in_cap = 0;
    uint32_t out_cap = 0;
    uint32_t in_head = 0, in_tail = 0;
    uint32_t out_head = 0, out_tail = 0;
    bool eof_in = false;         // the socket said EOF: decode(eof=1) once the input is used
    bool sent_pending = false;   // channel bytes were encoded: *_SENT once they are out
    bool released = false;       // release(tctx) was called
    bool hold = false;           // server side: PTC_EV_SRV_CONNECTED waits for ready() (1.7)
    bool shutw_called = false;   // shutw(tctx) was called (1.7)
};

// ABI 1.7 transport functions, NULL when the module's table is older.
inline int (*xprt_ready_fn(const ptc_transport* t))(void*)
{
    return t->size >= offsetof(ptc_transport, ready) + sizeof(t->ready) ? t->ready : nullptr;
}
inline void (*xprt_shutw_fn(const ptc_transport* t))(void*)
{
    return t->size >= offsetof(ptc_transport, shutw) + sizeof(t->shutw) ? t->shutw : nullptr;
}
// A new server connection's transport is not ready yet (TLS handshake): the host holds its
// PTC_EV_SRV_CONNECTED back (xprt.hold) and bounds the wait by "timeout connect".
bool xprt_hold_connected(stream* s, conn* c);

// True while encoded bytes of <dst> wait to be sent or are being sent.
inline bool xprt_tx_pending(const conn* dst)
{
    return dst->tx.busy || dst->x->out_head != dst->x->out_tail;
}
// chan_update's transport halves: decode what the raw input holds into channel <dir> (as
// much as the room a recv would have used) and post the raw recv; encode what channel
// <dir> forwarded (and the transport's own bytes), send it, shut the write side after.
void xprt_rx(stream* s, uint32_t dir, conn* src);
void xprt_tx(stream* s, uint32_t dir, conn* dst);
// Completions of a connection with a transport (conn.cpp hands them over).
void xprt_on_rx(conn* c, stream* s, char* b, int res);
void xprt_on_tx(conn* c, stream* s, int res);
// conn_close: release(tctx) once. conn_maybe_free: the buffers.
void xprt_release(conn* c);
// What the client side's transport negotiated (ptc_transport.info, 1.22: PTC_XPRT_CIPHER,
// PTC_XPRT_VERSION), or NULL: no transport, released, or it does not say.
const char* xprt_cli_info(const stream* s, uint32_t what);
// The same for either side (PTC_SIDE_CLIENT, PTC_SIDE_SERVER): ptc_host.stream_xprt_info, 1.26.
const char* xprt_info(const stream* s, uint32_t side, uint32_t what);
void xprt_free(conn* c);

inline uint32_t chan_state_flags(stream* s, uint32_t dir)
{
    const chan& c = s->ch[dir];
    uint32_t f = c.flags;
    const conn* dst = dst_of(s, dir);
    if (c.head == c.fwd && !tx_on(dst, c) && !(dst && dst->x && xprt_tx_pending(dst)))
        f |= PTC_CHAN_FLUSHED;
    uint32_t limit = c.auto_left ? s->w->bufcap : s->w->bufsize - s->w->maxrewrite;
    if (c.buf && c.tail - live_start(c) >= limit)
        f |= PTC_CHAN_FULL;
    return f;
}

// Forwards pending bytes under an active auto-forward; returns true when the handler
// must be told (bytes left pending, or the auto-forward just ended).
inline bool apply_autoforward(chan& c)
{
    if (!c.auto_left)
        return c.tail > c.fwd;
    uint64_t n = std::min<uint64_t>(c.tail - c.fwd, c.auto_left);
    c.fwd += (uint32_t)n;
    if (c.auto_left != PTC_FORWARD_ALL)
        c.auto_left -= n;
    return c.auto_left == 0 || c.tail > c.fwd;
}

// Moves the channel's live bytes [live_start, tail) to a fresh buffer at offset 0.
// In-flight operations keep their own reference on the old buffer. False (channel
// unchanged) when no buffer could be allocated.
bool chan_migrate(worker* w, chan& c);
// Ensures <extra> more bytes fit after the live bytes without disturbing in-flight ops.
// False when they cannot fit, or when a buffer could not be allocated (then the stream
// is failed with stream_oom()).
bool chan_make_room(stream* s, uint32_t dir, size_t extra);

// ---- run queue, timers, stream life (stream.cpp) ----------------------------------------------

inline void stream_enqueue(stream* s, uint32_t events)
{
    if (!s->log_ev) // logging: the first error/timeout decides the termination state
        s->log_ev = events & (PTC_EV_CLI_ERROR | PTC_EV_SRV_ERROR | PTC_EV_CLI_TIMEOUT |
                              PTC_EV_SRV_TIMEOUT);
    s->events |= events;
    if (s->queued || (g_in_handler == s && !events))
        return;
    s->queued = true;
    s->run_next = nullptr;
    worker* w = s->w;
    if (w->runq_tail)
        w->runq_tail->run_next = s;
    else
        w->runq_head = s;
    w->runq_tail = s;
}

// Pushes a side's inactivity timer back. Once that side half-closed (it sent its FIN),
// "timeout client-fin" / "timeout server-fin" replace the usual value when set.
inline void refresh_timer(stream* s, uint32_t side)
{
    uint64_t t = s->tmo[side];
    if (!t || s->tmo_fixed[side] || s->closing != close_mode::none ||
        (side == PTC_TMO_SERVER && s->srvc && s->srvc->state == conn_state::connecting))
        return;
    if (side == PTC_TMO_CLIENT && (s->ch[PTC_DIR_REQ].flags & PTC_CHAN_EOF) && s->fe->client_fin)
        t = s->fe->client_fin;
    else if (side == PTC_TMO_SERVER && (s->ch[PTC_DIR_RES].flags & PTC_CHAN_EOF) && s->be &&
             s->be->server_fin)
        t = s->be->server_fin;
    s->w->timers->arm(&s->timer[side], now() + t);
}

// <n> bytes of channel <dir> left on its destination socket (directly, or encoded by a
// transport): byte counters, the leasttime start, the destination side's timer.
inline void tx_account(stream* s, uint32_t dir, int n)
{
    if (dir == PTC_DIR_REQ && s->rt_armed && !s->rt_start_us)
        s->rt_start_us = now_us(); // leasttime: the request's first bytes are out
    if (dir == PTC_DIR_REQ && s->srv && s->srv->shared)
        s->srv->shared->bytes_in.fetch_add((uint64_t)n, std::memory_order_relaxed);
    else if (dir == PTC_DIR_RES && s->srv && s->srv->shared)
        s->srv->shared->bytes_out.fetch_add((uint64_t)n, std::memory_order_relaxed);
    // "option independent-streams": only what is read refreshes that side's timeout
    if (dir == PTC_DIR_REQ ? !(s->be && s->be->indep_streams) : !s->fe->indep_streams)
        refresh_timer(s, dir == PTC_DIR_REQ ? PTC_TMO_SERVER : PTC_TMO_CLIENT);
}

// "option tcpka" family: TCP keepalive probes on <fd> (0: the system's value).
inline void sock_keepalive(int fd, uint32_t cnt, uint32_t idle, uint32_t intvl)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (cnt)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    if (idle)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    if (intvl)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
}

// "option nolinger": closing <fd> resets the connection and drops unsent data.
// silent-drop (HAProxy 2.6's tcp_exec_action_silent_drop): the client must not learn that
// the connection is gone. TCP_REPAIR (CAP_NET_ADMIN) makes the final close send nothing;
// without it, a TTL / hop limit of 1 keeps the FIN or RST from leaving the first router.
inline void sock_silent(int fd, int family)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) == 0)
        return;
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &one, sizeof(one));
    else
        setsockopt(fd, IPPROTO_IP, IP_TTL, &one, sizeof(one));
}

inline void sock_nolinger(int fd)
{
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

// A send on <c>, the destination of channel <dir>, failed: the bytes forwarded to it are
// lost and that side broke (client: PTC_EV_CLI_ERROR; server: PTC_SRVERR_RESET).
inline void tx_broken(stream* s, conn* c, uint32_t dir)
{
    s->ch[dir].head = s->ch[dir].fwd;
    c->state = conn_state::closed;
    if (dir == PTC_DIR_RES) {
        stream_enqueue(s, PTC_EV_CLI_ERROR);
    } else {
        s->srv_error = PTC_SRVERR_RESET;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
    }
}

// A new stream for an accepted socket; nullptr (socket closed, line logged) when the
// stream could not be allocated.
// <fe_reserved>: the caller already counted the connection in the frontend's cur_conns
// (a slot reserved against its maxconn); released again if the stream cannot be created.
stream* stream_new(listener* l, int fd, bool fe_reserved = false);
void stream_free(stream* s);
// Calls the handler of every queued stream once, then stream_update() (one loop turn).
void run_queue(worker* w);
void stream_update(stream* s);
void release_handler(stream* s);
void on_timer(event::timer* t);
// An allocation failed for this stream: log a line naming the frontend and abort the
// stream (freed from the run queue, as PTC_CLOSE_ABORT).
void stream_oom(stream* s);

// ---- connections (conn.cpp) -----------------------------------------------------------------

// A connection record from the pool, or nullptr when the pool cannot grow.
conn* conn_new(worker* w, int fd, stream* s, uint8_t dir_in);
void conn_maybe_free(conn* c);
// Detaches a connection from its stream and closes its socket; in-flight operations are
// cancelled and the record is freed once their completions arrived.
void conn_close(conn* c);
void server_release(stream* s);
void srv_conn_close(stream* s);
// Releases the stream's server connection: into the idle pool when the handler declared
// it idle and poolable and nothing is in flight on it, else closed.
void srv_conn_release(stream* s);
void watch_idle(conn* c);
bool idle_conn_usable(const conn* c);
conn* pool_take(worker* w, server* srv, uint32_t flags);
void on_pool_timer(event::timer* t);
// Ends a PTC_CLOSE_FLUSH close once everything is sent (close, or linger on the client).
void finish_close(stream* s);

// ---- listeners (listener.cpp) -----------------------------------------------------------------

// Creates the listeners of worker slot <slot> and arms them.
void listeners_init(worker* w, int slot);
// Soft stop: stops accepting and closes this worker's copies of the listening sockets
// (those with an accept in flight once it ends).
void listeners_release();
// An accept is still in flight on a listener (its completion may carry a connection).
bool listeners_busy();
// Re-arms the paused listeners that are back under their limits.
void listeners_check_resume();
// The runtime API changed a frontend's state (shm_proxy::fe_state): pause, resume or close
// this worker's listeners accordingly.
void listeners_fe_changed();

// ---- backend glue (backend.cpp) ----------------------------------------------------------------

// A connection attempt failed: retry, redispatch, or report PTC_EV_SRV_ERROR.
void connect_failed(stream* s, int err);
// Retry on the same server (after the turn-around delay, or at once after a timeout).
void retry_same(stream* s);


// ---- ABI 1.3 pieces of the engine (phase.cpp) ----
// Lays out the modules' per-stream states (offsets after the protocol state).
void modstate_layout(worker* w);
// Points s->modstate into its pool block (call when the stream is created).
void modstate_attach(stream* s);
// At accept, after the tcp-request connection rules: runs PTC_PHASE_CONNECTION. Returns
// true when the stream may open (PTC_EV_OPEN), false when it waits or was closed.
bool conn_phase_start(stream* s);
// A waiting connection phase got events <ev>; returns true when the stream may now open.
bool conn_phase_resume(stream* s, uint32_t ev);
// A new server connection is established: runs PTC_PHASE_SRV_CONNECTED. Returns false
// when a hook refused it (the caller fails the connection).
bool srv_phase_run(stream* s);
// Frees a connection's preamble.
void conn_pre_free(conn* c);
// Server choice by PTC_PHASE_SERVER_CHOICE hooks: false when none chose; else true with
// *result an lb_result (LB_OK: *out chosen, its slot reserved; LB_QUEUED: queued on it).
bool server_choice_hooks(stream* s, server** out, int* result);

} // namespace portico
