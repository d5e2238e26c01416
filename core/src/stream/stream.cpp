// SPDX-License-Identifier: MIT
// The per-worker stream engine: accept, recv/send/connect completions, channels, timers,
// the run queue that calls protocol handlers, and the host functions behind ptc_stream.
//
// Rules that keep it safe with a completion-based poller:
//  - every decision happens in stream_process(), called from the run queue; completions
//    and timers only record what happened and enqueue the stream;
//  - a buffer is refcounted: the channel holds one reference and every in-flight recv or
//    send holds another, so a buffer is never reused while the kernel may touch it;
//  - pending bytes never move under an in-flight recv: growing edits first migrate the
//    channel to a fresh buffer, and the recv completion copies what it got if needed.
#include "stream/stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <new>

#include "lb/lb.hpp"
#include "log/log.hpp"
#include "module/hooks.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample.hpp"
#include "sample/sample_host.hpp"
#include "shm/shm.hpp"
#include "util/diag.hpp"

namespace portico {

worker* g_worker;

namespace {

constexpr size_t k_buf_hdr = 64; // refcount header in front of each pool buffer
constexpr uint64_t k_linger_ms = 1000;
char g_discard[16384];           // lingering reads land here and are dropped

template <typename T, typename M> T* container_of(M* p, M T::*member)
{
    return reinterpret_cast<T*>(reinterpret_cast<char*>(p) -
                                reinterpret_cast<size_t>(&(static_cast<T*>(nullptr)->*member)));
}

char* buf_get(worker* w)
{
    char* b = static_cast<char*>(w->buf_pool.get());
    *reinterpret_cast<uint32_t*>(b) = 1;
    return b + k_buf_hdr;
}
void buf_ref(char* d) { ++*reinterpret_cast<uint32_t*>(d - k_buf_hdr); }
void buf_unref(worker* w, char* d)
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

// ---- channels -------------------------------------------------------------------------

void chan_ensure(worker* w, chan& c)
{
    if (!c.buf) {
        c.buf = buf_get(w);
        c.head = c.fwd = c.tail = 0;
    }
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

// Moves the channel's live bytes [live_start, tail) to a fresh buffer at offset 0.
// In-flight operations keep their own reference on the old buffer.
void chan_migrate(worker* w, chan& c)
{
    char* nb = buf_get(w);
    uint32_t base = live_start(c);
    uint32_t len = c.tail - base;
    if (c.buf) {
        std::memcpy(nb, c.buf + base, len);
        buf_unref(w, c.buf);
    }
    c.buf = nb;
    c.head -= base;
    c.fwd -= base;
    c.tail = len;
    if (c.mark >= 0)
        c.mark = 0;
}

// Moves the live bytes to the start of the buffer when nothing in flight uses it.
void chan_compact(chan& c)
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

// Ensures <extra> more bytes fit after the live bytes without disturbing in-flight ops.
bool chan_make_room(stream* s, uint32_t dir, size_t extra)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    chan_ensure(w, c);
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    if (rx_on(src, c)) {
        // the kernel writes at [rx_off, rx_off+rx_len): move our bytes away from it
        if ((c.tail - live_start(c)) + extra + src->rx_len > w->bufcap)
            return false;
        chan_migrate(w, c);
        return true;
    }
    if (c.tail + extra <= w->bufcap)
        return true;
    if ((c.tail - live_start(c)) + extra > w->bufcap)
        return false;
    if (tx_on(dst, c))
        chan_migrate(w, c);
    else
        chan_compact(c);
    return true;
}

uint32_t chan_state_flags(stream* s, uint32_t dir)
{
    const chan& c = s->ch[dir];
    uint32_t f = c.flags;
    if (c.head == c.fwd && !tx_on(dst_of(s, dir), c))
        f |= PTC_CHAN_FLUSHED;
    uint32_t limit = c.auto_left ? s->w->bufcap : s->w->bufsize - s->w->maxrewrite;
    if (c.buf && c.tail - live_start(c) >= limit)
        f |= PTC_CHAN_FULL;
    return f;
}

// ---- connections ------------------------------------------------------------------------

void on_rx(event::completion* c, int res, uint32_t flags);
void on_tx(event::completion* c, int res, uint32_t flags);
void on_cx(event::completion* c, int res, uint32_t flags);
// connect path (retries, queues): defined with stream_connect_ex below
void connect_failed(stream* s, int err);
void retry_same(stream* s);

conn* conn_new(worker* w, int fd, stream* s, uint8_t dir_in)
{
    conn* c = new (w->conn_pool.get()) conn();
    c->fd = fd;
    c->owner = s;
    c->dir_in = dir_in;
    c->w = w;
    c->rx.fn = on_rx;
    c->tx.fn = on_tx;
    c->cx.fn = on_cx;
    return c;
}

void conn_maybe_free(conn* c)
{
    if (!c->owner && !c->busy() && !c->pooled) {
        worker* w = c->w;
        c->~conn();
        w->conn_pool.put(c);
    }
}

// Detaches a connection from its stream and closes its socket; in-flight operations are
// cancelled and the record is freed once their completions arrived.
void conn_close(conn* c)
{
    worker* w = c->w;
    c->owner = nullptr;
    c->state = conn_state::closed;
    if (c->rx.busy)
        w->poller->cancel(&c->rx);
    if (c->tx.busy)
        w->poller->cancel(&c->tx);
    if (c->cx.busy)
        w->poller->cancel(&c->cx);
    if (c->fd >= 0) {
        w->poller->forget_fd(c->fd);
        close(c->fd);
        c->fd = -1;
    }
    conn_maybe_free(c);
}

// Pushes a side's inactivity timer back. Once that side half-closed (it sent its FIN),
// "timeout client-fin" / "timeout server-fin" replace the usual value when set.
void refresh_timer(stream* s, uint32_t side)
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

void post_recv(stream* s, uint32_t dir)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    chan_ensure(w, c);
    if (c.head == c.tail && c.mark < 0 && !tx_on(dst, c))
        c.head = c.fwd = c.tail = 0;
    uint32_t limit = c.auto_left ? w->bufcap : w->bufsize - w->maxrewrite;
    // read at least a quarter of the buffer when the live bytes could move down
    if (live_start(c) > 0 && c.tail + limit / 4 > limit && !tx_on(dst, c))
        chan_compact(c);
    if (c.tail - live_start(c) >= limit || c.tail >= w->bufcap)
        return; // full: the handler or the destination must make room first
    uint32_t room = std::min(limit - (c.tail - live_start(c)), w->bufcap - c.tail);
    buf_ref(c.buf);
    src->rx_buf = c.buf;
    src->rx_off = c.tail;
    src->rx_len = room;
    w->poller->recv(src->fd, c.buf + c.tail, room, &src->rx);
}

void post_send(stream* s, uint32_t dir)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    conn* dst = dst_of(s, dir);
    buf_ref(c.buf);
    dst->tx_buf = c.buf;
    w->poller->send(dst->fd, c.buf + c.head, c.fwd - c.head, &dst->tx);
}

// Forwards pending bytes under an active auto-forward; returns true when the handler
// must be told (bytes left pending, or the auto-forward just ended).
bool apply_autoforward(chan& c)
{
    if (!c.auto_left)
        return c.tail > c.fwd;
    uint64_t n = std::min<uint64_t>(c.tail - c.fwd, c.auto_left);
    c.fwd += (uint32_t)n;
    if (c.auto_left != PTC_FORWARD_ALL)
        c.auto_left -= n;
    return c.auto_left == 0 || c.tail > c.fwd;
}

void server_release(stream* s)
{
    if (s->srv_counted && s->srv && s->srv->shared) {
        s->srv_counted = false;
        lb_release_slot(s->srv); // may hand the slot to a queued stream
    }
}

// Detaches the server connection from the stream (stream-side bookkeeping only).
conn* srv_conn_detach(stream* s)
{
    conn* sc = s->srvc;
    s->srvc = nullptr;
    s->srv_idle = false;
    server_release(s);
    chan& res = s->ch[PTC_DIR_RES];
    res.tail = res.fwd; // drop pending response bytes; keep what was forwarded to the client
    res.flags &= ~(PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_SHUTW);
    res.auto_left = 0;
    res.shut_done = false;
    chan& req = s->ch[PTC_DIR_REQ];
    req.head = req.fwd; // forwarded request bytes that did not leave are lost with the server
    req.flags &= ~PTC_CHAN_SHUTW;
    req.shut_done = false;
    req.auto_left = 0;
    s->w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    return sc;
}

void srv_conn_close(stream* s)
{
    conn* sc = s->srvc;
    if (!sc)
        return;
    bool rx_busy = rx_on(sc, s->ch[PTC_DIR_RES]);
    srv_conn_detach(s);
    conn_close(sc);
    if (rx_busy)
        chan_migrate(s->w, s->ch[PTC_DIR_RES]); // the cancelled recv may still write into it
}

// ---- idle connection pool ------------------------------------------------------------------

void watch_idle(conn* c)
{
    if (c->cx.busy || c->rx.busy || c->state != conn_state::ready)
        return;
    c->watching = true;
    c->w->poller->poll_in(c->fd, &c->cx);
}

void pool_unlink(conn* c)
{
    worker* w = c->w;
    uint32_t i = c->srv->index;
    if (c->pool_prev)
        c->pool_prev->pool_next = c->pool_next;
    else
        w->pool[i] = c->pool_next;
    if (c->pool_next)
        c->pool_next->pool_prev = c->pool_prev;
    c->pool_next = c->pool_prev = nullptr;
    c->pooled = false;
    w->pool_count[i]--;
    w->pool_total--;
}

void on_pool_timer(event::timer* t);

// Releases the stream's server connection: into the idle pool when the handler declared
// it idle and poolable and nothing is in flight on it, else closed.
void srv_conn_release(stream* s)
{
    conn* c = s->srvc;
    if (!c)
        return;
    worker* w = s->w;
    uint32_t i = c->srv ? c->srv->index : 0;
    bool ok = s->srv_idle && (s->idle_flags & PTC_IDLE_POOL) && c->srv &&
              c->state == conn_state::ready && !c->rx.busy && !c->tx.busy &&
              i < w->pool.size() && w->pool_count[i] < k_pool_max_per_server;
    if (!ok) {
        srv_conn_close(s);
        return;
    }
    srv_conn_detach(s);
    c->owner = nullptr;
    c->pooled = true;
    c->idle_since = now();
    c->pool_prev = nullptr;
    c->pool_next = w->pool[i];
    if (c->pool_next)
        c->pool_next->pool_prev = c;
    w->pool[i] = c;
    w->pool_count[i]++;
    if (w->pool_total++ == 0)
        w->timers->arm(&w->pool_timer, now() + 1000);
    watch_idle(c);
}

conn* pool_take(worker* w, server* srv, uint32_t flags)
{
    if (srv->index >= w->pool.size())
        return nullptr;
    for (conn* c = w->pool[srv->index]; c; c = c->pool_next) {
        if ((flags & PTC_CONNECT_POOL_ANY) || c->requests >= 2) {
            pool_unlink(c);
            if (c->cx.busy)
                w->poller->cancel(&c->cx);
            return c;
        }
    }
    return nullptr;
}

void on_pool_timer(event::timer* t)
{
    worker* w = g_worker;
    (void)t;
    uint64_t limit = now() - k_pool_purge_ms;
    for (size_t i = 0; i < w->pool.size(); i++) {
        conn* c = w->pool[i];
        while (c) {
            conn* next = c->pool_next;
            if (c->idle_since <= limit) {
                pool_unlink(c);
                conn_close(c);
            }
            c = next;
        }
    }
    if (w->pool_total)
        w->timers->arm(&w->pool_timer, now() + 1000);
}

// ---- run queue ---------------------------------------------------------------------------

stream* g_in_handler;

void stream_free(stream* s);
void stream_update(stream* s);
void finish_close(stream* s);

void stream_process(stream* s)
{
    s->queued = false;
    if (s->closing == close_mode::dead) {
        stream_free(s);
        return;
    }
    if (s->closing == close_mode::none && s->events) {
        uint32_t ev = s->events;
        s->events = 0;
        g_in_handler = s;
        s->proto->on_event(reinterpret_cast<ptc_stream*>(s), s->state, ev);
        g_in_handler = nullptr;
        if (s->closing == close_mode::dead) {
            stream_free(s);
            return;
        }
    }
    stream_update(s);
}

void chan_update(stream* s, uint32_t dir)
{
    chan& c = s->ch[dir];
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    if (dst && dst->state == conn_state::ready && !dst->tx.busy) {
        if (c.fwd > c.head)
            post_send(s, dir);
        else if ((c.flags & PTC_CHAN_SHUTW) && !c.shut_done) {
            shutdown(dst->fd, SHUT_WR);
            c.shut_done = true;
        }
    }
    if (dir == PTC_DIR_RES && s->srv_idle) {
        if (src)
            watch_idle(src);
        // between two exchanges the response buffer serves nothing: give it back to the
        // pool, so idle keep-alive clients do not each keep one
        if (c.buf && c.head == c.tail && c.mark < 0 && !(src && src->rx.busy) &&
            !(dst && dst->tx.busy)) {
            buf_unref(s->w, c.buf);
            c.buf = nullptr;
            c.head = c.fwd = c.tail = 0;
        }
        return;
    }
    if (src && src->state == conn_state::ready && !src->rx.busy &&
        !(c.flags & (PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_PAUSED)) &&
        s->closing == close_mode::none)
        post_recv(s, dir);
}

bool chan_flushed(stream* s, uint32_t dir)
{
    conn* dst = dst_of(s, dir);
    if (!dst || dst->state != conn_state::ready)
        return true;
    const chan& c = s->ch[dir];
    return c.head == c.fwd && !dst->tx.busy;
}

void stream_update(stream* s)
{
    if (s->closing == close_mode::linger)
        return;
    chan_update(s, PTC_DIR_REQ);
    chan_update(s, PTC_DIR_RES);
    if (s->closing == close_mode::flush && chan_flushed(s, PTC_DIR_REQ) &&
        chan_flushed(s, PTC_DIR_RES))
        finish_close(s);
}

void release_handler(stream* s)
{
    if (s->opened && s->proto && s->proto->on_release) {
        s->opened = false;
        s->proto->on_release(reinterpret_cast<ptc_stream*>(s), s->state);
    }
    s->opened = false;
}

// The response is out: close the server side, shut the client's write side and read
// what the client still sends for a moment, so that closing does not reset the
// connection and destroy the response in the client's receive queue.
void finish_close(stream* s)
{
    worker* w = s->w;
    release_handler(s);
    srv_conn_release(s);
    conn* c = s->cli;
    if (s->nolinger && c && c->state == conn_state::ready &&
        !(s->ch[PTC_DIR_REQ].flags & PTC_CHAN_EOF)) {
        // The client said it is done sending: when nothing is left unread, a FIN now
        // cannot turn into a reset, so close at once rather than waiting for its FIN.
        char probe;
        if (recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK)) {
            shutdown(c->fd, SHUT_WR);
            s->closing = close_mode::dead;
            stream_enqueue(s, 0);
            return;
        }
    }
    if (!c || c->state != conn_state::ready || (s->ch[PTC_DIR_REQ].flags & PTC_CHAN_EOF) ||
        c->rx.busy) {
        if (c && c->state == conn_state::ready && c->rx.busy) {
            // a recv is pending anyway: shut down and let it see the EOF
            shutdown(c->fd, SHUT_WR);
            s->closing = close_mode::linger;
            c->lingering = true;
            w->timers->arm(&s->timer[PTC_TMO_CLIENT], now() + k_linger_ms);
            return;
        }
        s->closing = close_mode::dead;
        stream_enqueue(s, 0);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    s->closing = close_mode::linger;
    c->lingering = true;
    w->timers->arm(&s->timer[PTC_TMO_CLIENT], now() + k_linger_ms);
    c->rx_buf = nullptr;
    w->poller->recv(c->fd, g_discard, sizeof(g_discard), &c->rx);
}

// ---- completions --------------------------------------------------------------------------

void on_rx(event::completion* ec, int res, uint32_t)
{
    conn* c = container_of(ec, &conn::rx);
    worker* w = c->w;
    char* b = c->rx_buf;
    c->rx_buf = nullptr;
    stream* s = c->owner;
    if (!s) {
        buf_unref(w, b);
        conn_maybe_free(c);
        return;
    }
    if (c->lingering) {
        buf_unref(w, b);
        if (res > 0 && s->closing == close_mode::linger) {
            w->poller->recv(c->fd, g_discard, sizeof(g_discard), &c->rx);
            return;
        }
        s->closing = close_mode::dead;
        stream_enqueue(s, 0);
        return;
    }
    uint32_t dir = c->dir_in;
    chan& ch = s->ch[dir];
    uint32_t side = dir == PTC_DIR_REQ ? PTC_TMO_CLIENT : PTC_TMO_SERVER;
    if (res > 0) {
        if (dir == PTC_DIR_RES && s->rt_start_us) { // leasttime: first response byte
            if (s->srv)
                lb_observe_rt(s->srv, now_us() - s->rt_start_us);
            s->rt_start_us = 0;
            s->rt_armed = false;
        }
        if (ch.buf != b || ch.tail != c->rx_off)
            std::memmove(ch.buf + ch.tail, b + c->rx_off, (size_t)res);
        ch.tail += (uint32_t)res;
        ch.bytes += (uint64_t)res;
        if (dir == PTC_DIR_REQ && !s->log_t_first)
            s->log_t_first = event::monotonic_ms(); // logging: first request byte
        buf_unref(w, b);
        refresh_timer(s, side);
        stream_enqueue(s, apply_autoforward(ch) ? data_ev(dir) : 0);
        return;
    }
    buf_unref(w, b);
    if (res == 0) {
        ch.flags |= PTC_CHAN_EOF;
        refresh_timer(s, side); // half-closed: client-fin / server-fin from now on
        stream_enqueue(s, data_ev(dir));
    } else if (res == -ECANCELED) {
        stream_enqueue(s, 0);
    } else {
        ch.flags |= PTC_CHAN_EOF | PTC_CHAN_ERROR;
        uint32_t ev = data_ev(dir);
        if (dir == PTC_DIR_REQ) {
            ev |= PTC_EV_CLI_ERROR;
        } else {
            s->srv_error = PTC_SRVERR_RESET;
            ev |= PTC_EV_SRV_ERROR;
        }
        stream_enqueue(s, ev);
    }
}

void on_tx(event::completion* ec, int res, uint32_t)
{
    conn* c = container_of(ec, &conn::tx);
    worker* w = c->w;
    char* b = c->tx_buf;
    c->tx_buf = nullptr;
    stream* s = c->owner;
    buf_unref(w, b);
    if (!s) {
        conn_maybe_free(c);
        return;
    }
    uint32_t dir = c->dir_in == PTC_DIR_REQ ? PTC_DIR_RES : PTC_DIR_REQ; // channel we send
    chan& ch = s->ch[dir];
    if (res > 0) {
        ch.head += (uint32_t)res;
        if (dir == PTC_DIR_REQ && s->rt_armed && !s->rt_start_us)
            s->rt_start_us = now_us(); // leasttime: the request's first bytes are out
        if (dir == PTC_DIR_REQ && s->srv && s->srv->shared)
            s->srv->shared->bytes_in.fetch_add((uint64_t)res, std::memory_order_relaxed);
        else if (dir == PTC_DIR_RES && s->srv && s->srv->shared)
            s->srv->shared->bytes_out.fetch_add((uint64_t)res, std::memory_order_relaxed);
        refresh_timer(s, dir == PTC_DIR_REQ ? PTC_TMO_SERVER : PTC_TMO_CLIENT);
        uint32_t ev = 0;
        if (ch.head == ch.fwd && ch.auto_left == 0)
            ev = sent_ev(dir);
        stream_enqueue(s, ev);
        return;
    }
    if (res == -ECANCELED || res == 0) {
        stream_enqueue(s, 0);
        return;
    }
    // the destination is gone: what was forwarded to it is lost
    ch.head = ch.fwd;
    c->state = conn_state::closed;
    if (dir == PTC_DIR_RES) {
        stream_enqueue(s, PTC_EV_CLI_ERROR);
    } else {
        s->srv_error = PTC_SRVERR_RESET;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
    }
}

void on_cx(event::completion* ec, int res, uint32_t)
{
    conn* c = container_of(ec, &conn::cx);
    stream* s = c->owner;
    if (c->watching) {
        // an idle connection's close watch: the server closed or spoke out of turn
        c->watching = false;
        if (c->pooled) {
            if (res != -ECANCELED) {
                pool_unlink(c);
                conn_close(c);
            }
            return;
        }
        if (!s) {
            conn_maybe_free(c);
            return;
        }
        if (res != -ECANCELED && s->srv_idle && s->srvc == c) {
            srv_conn_close(s);
            stream_enqueue(s, 0);
        }
        return;
    }
    if (!s) {
        conn_maybe_free(c);
        return;
    }
    worker* w = c->w;
    if (res == 0) {
        c->state = conn_state::ready;
        s->log_t_cdone = event::monotonic_ms(); // logging: connection established
        if (s->tmo[PTC_TMO_SERVER])
            w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + s->tmo[PTC_TMO_SERVER]);
        else
            w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
        stream_enqueue(s, PTC_EV_SRV_CONNECTED);
        return;
    }
    connect_failed(s, PTC_SRVERR_CONNECT);
}

void on_timer(event::timer* t)
{
    stream* s = static_cast<stream*>(t->data);
    uint32_t side = t == &s->timer[PTC_TMO_CLIENT] ? PTC_TMO_CLIENT : PTC_TMO_SERVER;
    if (s->closing == close_mode::linger) {
        s->closing = close_mode::dead;
        stream_enqueue(s, 0);
        return;
    }
    if (side == PTC_TMO_SERVER && lb_queued(s)) {
        // timeout queue: no slot came in time
        lb_queue_remove(s);
        s->srv_error = PTC_SRVERR_QUEUE;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
        return;
    }
    if (side == PTC_TMO_SERVER && s->cx_wait) {
        // end of the turn-around delay: try the same server again
        s->cx_wait = 0;
        retry_same(s);
        return;
    }
    if (side == PTC_TMO_SERVER && s->srvc && s->srvc->state == conn_state::connecting) {
        connect_failed(s, PTC_SRVERR_CTIMEOUT);
        return;
    }
    stream_enqueue(s, side == PTC_TMO_CLIENT ? PTC_EV_CLI_TIMEOUT : PTC_EV_SRV_TIMEOUT);
}

// ---- stream life ----------------------------------------------------------------------------

void listeners_check_resume();

stream* stream_new(listener* l, int fd)
{
    worker* w = l->w;
    void* mem = w->stream_pool.get();
    std::memset(mem, 0, sizeof(stream) + w->state_size);
    stream* s = new (mem) stream();
    s->w = w;
    s->fe = l->fe;
    s->bind = l->bind;
    s->proto = l->fe->proto;
    s->cli = conn_new(w, fd, s, PTC_DIR_REQ);
    s->cli->state = conn_state::ready;
    s->cli_addrlen = sizeof(s->cli_addr);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&s->cli_addr), &s->cli_addrlen) < 0)
        s->cli_addrlen = 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (l->quickack_off) {
        int zero = 0;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
    }
    for (int i = 0; i < 2; i++) {
        s->timer[i].fn = on_timer;
        s->timer[i].data = s;
    }
    s->all_next = w->all;
    if (w->all)
        w->all->all_prev = s;
    w->all = s;
    w->nstreams++;
    if (shm_header* h = shm_get()) {
        h->cur_conns.fetch_add(1, std::memory_order_relaxed);
        h->cum_conns.fetch_add(1, std::memory_order_relaxed);
    }
    if (s->fe->shared) {
        s->fe->shared->cur_conns.fetch_add(1, std::memory_order_relaxed);
        s->fe->shared->cum_conns.fetch_add(1, std::memory_order_relaxed);
    }
    s->opened = true;
    if (hooks_present(PTC_PHASE_ACCEPT)) {
        int r = run_hooks(s, PTC_PHASE_ACCEPT);
        if (r == PTC_DENY || r == PTC_ERROR) {
            if (s->fe->shared)
                s->fe->shared->denied.fetch_add(1, std::memory_order_relaxed);
            s->closing = close_mode::dead;
            stream_enqueue(s, 0);
            return s;
        }
    }
    // tcp-request connection rules: before anything is read
    if (smp::has_rules(s->fe, PTC_RULES_TCP_REQ_CONN)) {
        int r = host_rules_run(reinterpret_cast<ptc_stream*>(s), PTC_RULES_TCP_REQ_CONN,
                               to_handle(s->fe));
        if (r == PTC_ACT_DONE || r == PTC_ACT_ERROR) {
            if (s->fe->shared)
                s->fe->shared->denied.fetch_add(1, std::memory_order_relaxed);
            s->log_txn_done = true; // rejected connections are not logged (HAProxy)
            s->closing = close_mode::dead;
            stream_enqueue(s, 0);
            return s;
        }
    }
    s->log_t_accept = event::monotonic_ms(); // logging (completions run before the
                                             // loop's clock update: read it fresh)
    log::on_accept(s);
    stream_enqueue(s, PTC_EV_OPEN);
    return s;
}

void stream_free(stream* s)
{
    worker* w = s->w;
    w->timers->disarm(&s->timer[0]);
    w->timers->disarm(&s->timer[1]);
    release_handler(s);
    if (hooks_present(PTC_PHASE_CLOSE))
        run_hooks(s, PTC_PHASE_CLOSE);
    smp::stream_release(s); // variables, rule resume point
    log::on_close(s); // logging: tcp-mode line at the end of the stream
    lb_queue_remove(s);
    s->cx_wait = 0;
    srv_conn_release(s);
    if (s->cli) {
        conn_close(s->cli);
        s->cli = nullptr;
    }
    for (chan& c : s->ch)
        buf_unref(w, c.buf);
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else
        w->all = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    w->nstreams--;
    if (shm_header* h = shm_get())
        h->cur_conns.fetch_sub(1, std::memory_order_relaxed);
    if (s->fe->shared)
        s->fe->shared->cur_conns.fetch_sub(1, std::memory_order_relaxed);
    s->~stream();
    w->stream_pool.put(s);
    listeners_check_resume();
}

// ---- listeners -------------------------------------------------------------------------------

bool over_limits(listener* l)
{
    worker* w = l->w;
    shm_header* h = shm_get();
    if (w->global_maxconn && h && h->cur_conns.load(std::memory_order_relaxed) >= w->global_maxconn)
        return true;
    if (l->fe->maxconn && l->fe->shared &&
        l->fe->shared->cur_conns.load(std::memory_order_relaxed) >= l->fe->maxconn)
        return true;
    return false;
}

void listener_arm(listener* l)
{
    if (l->armed || l->paused || l->w->stopping)
        return;
    l->armed = true;
    l->w->poller->accept_multishot(l->fd, &l->acc);
}

void on_resume_timer(event::timer*) { listeners_check_resume(); }

void listener_pause(listener* l)
{
    worker* w = l->w;
    l->paused = true;
    if (l->acc.busy)
        w->poller->cancel(&l->acc);
    // another worker may free slots: look again soon
    w->timers->arm(&w->resume_timer, now() + 50);
}

void listeners_check_resume()
{
    worker* w = g_worker;
    if (!w || w->stopping)
        return;
    bool still = false;
    for (auto& l : w->listeners) {
        if (!l->paused)
            continue;
        if (over_limits(l.get())) {
            still = true;
            continue;
        }
        l->paused = false;
        listener_arm(l.get());
    }
    if (still)
        w->timers->arm(&w->resume_timer, now() + 50);
}

void on_accept(event::completion* ec, int res, uint32_t flags)
{
    listener* l = container_of(ec, &listener::acc);
    worker* w = l->w;
    if (!(flags & event::CF_MORE))
        l->armed = false;
    if (res >= 0) {
        if (w->stopping) {
            close(res);
            return;
        }
        stream_new(l, res);
        if (over_limits(l))
            listener_pause(l);
    } else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) {
        if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
            PTC_WARN("Proxy %s: accept failed: %s; pausing", l->fe->name.c_str(), strerror(-res));
            listener_pause(l);
            return;
        }
    }
    if (!l->armed && !l->paused)
        listener_arm(l);
}

} // namespace

// ---- engine entry points -------------------------------------------------------------------

void stream_enqueue(stream* s, uint32_t events)
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

static void run_queue(worker* w)
{
    while (stream* s = w->runq_head) {
        w->runq_head = s->run_next;
        if (!w->runq_head)
            w->runq_tail = nullptr;
        stream_process(s);
    }
}

bool worker_setup(int slot, std::string& err)
{
    worker* w = new worker();
    g_worker = w;
    w->slot = slot;
    const config& cfg = *g_config;
    w->bufsize = cfg.global.bufsize;
    w->bufcap = cfg.global.bufsize;
    w->maxrewrite = std::min(cfg.global.maxrewrite, cfg.global.bufsize / 2);
    w->global_maxconn = cfg.global.maxconn;
    w->state_size = 0;
    for (auto& m : g_modules.all())
        for (const ptc_proto& p : m->protos)
            w->state_size = std::max(w->state_size, p.state_size);
    w->stream_pool.init(sizeof(stream) + w->state_size, 64);
    w->conn_pool.init(sizeof(conn), 128);
    w->buf_pool.init(k_buf_hdr + w->bufcap, 32);
    std::string why;
    bool force_epoll = false;
    w->poller = event::make_poller(4096, force_epoll, &why);
    if (!w->poller) {
        err = "cannot create an event poller: " + why;
        return false;
    }
    if (!why.empty() && slot == 0)
        PTC_NOTICE("using the epoll poller: %s", why.c_str());
    event::update_clock();
    w->timers = std::make_unique<event::timer_wheel>(event::now_ms());
    w->resume_timer.fn = on_resume_timer;
    w->pool_timer.fn = on_pool_timer;
    w->pool.assign(cfg.server_count, nullptr);
    lb_worker_init(slot);
    w->pool_count.assign(cfg.server_count, 0);
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        for (auto& b : p->binds) {
            auto l = std::make_unique<listener>();
            l->fd = b->inherited_fd >= 0 ? b->inherited_fd : b->fds[(size_t)slot % b->fds.size()];
            l->fe = p.get();
            l->bind = b.get();
            l->w = w;
            l->acc.fn = on_accept;
            // HTTP answers right away: the response carries the ACK of the request
            l->quickack_off = p->mode == "http";
            w->listeners.push_back(std::move(l));
        }
    }
    for (auto& l : w->listeners)
        listener_arm(l.get());
    return true;
}

void worker_soft_stop()
{
    worker* w = g_worker;
    if (!w || w->stopping)
        return;
    w->stopping = true;
    for (auto& l : w->listeners)
        if (l->acc.busy)
            w->poller->cancel(&l->acc);
}

// Closes this worker's idle pooled connections to server slot <index> (runtime API: the
// server's address changed or it was deleted).
void worker_pool_purge(uint32_t index)
{
    worker* w = g_worker;
    if (!w || index >= w->pool.size())
        return;
    while (conn* c = w->pool[index]) {
        pool_unlink(c);
        conn_close(c);
    }
}

void worker_fast_stop()
{
    worker_soft_stop();
    if (g_worker)
        g_worker->exit_now = true;
}

void worker_run()
{
    worker* w = g_worker;
    while (!w->exit_now) {
        if (w->stopping && w->nstreams == 0)
            break;
        int tmo = w->runq_head ? 0 : w->timers->next_timeout_ms(event::now_ms());
        int r = w->poller->run_once(tmo);
        if (r < 0 && r != -EINTR) {
            PTC_ALERT("event loop failure: %s", strerror(-r));
            break;
        }
        event::update_clock();
        w->timers->run(event::now_ms());
        run_queue(w);
    }
}

// ---- host functions (ptc_host members) -----------------------------------------------------

static inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

ptc_proxy* host_stream_frontend(ptc_stream* s) { return to_handle(S(s)->fe); }
ptc_proxy* host_stream_backend(ptc_stream* s) { return S(s)->be ? to_handle(S(s)->be) : nullptr; }
ptc_server* host_stream_server(ptc_stream* s)
{
    return S(s)->srvc && S(s)->srv ? to_handle(S(s)->srv) : nullptr;
}

int host_stream_select_backend(ptc_stream* ps)
{
    stream* s = S(ps);
    proxy* fe = s->fe;
    proxy* be = fe->use_backend.empty() ? nullptr : smp::select_backend(ps, fe);
    if (!be)
        be = fe->default_backend;
    if (!be && (fe->cap & CAP_BE))
        be = fe;
    if (s->be_selected && be == s->be)
        return be ? PTC_OK : PTC_ERROR;
    if (s->srvc && s->be != be)
        srv_conn_close(s); // a connection to the old backend's server cannot serve this one
    s->be_selected = true;
    s->be = be;
    if (!be)
        return PTC_ERROR;
    if (hooks_present(PTC_PHASE_BACKEND) && run_hooks(s, PTC_PHASE_BACKEND) == PTC_DENY)
        return PTC_ERROR;
    return PTC_OK;
}

// The stream takes connection <c> to <srv>; the balancer already reserved the slot.
static void srv_attach(stream* s, server* srv, conn* c)
{
    s->srv = srv;
    s->srvc = c;
    c->owner = s;
    c->srv = srv;
    c->requests++;
    s->srv_counted = true;
}

namespace {

// Opens a connection to <srv> (or takes a pooled one), the stream holding one of its
// slots. Returns false with srv_error set when no socket could be created (slot released).
bool connect_attempt(stream* s, server* srv)
{
    worker* w = s->w;
    s->srv = srv;
    s->log_t_cstart = now(); // logging: this transaction's connect times
    s->log_t_cdone = 0;
    if (s->cx_flags & (PTC_CONNECT_POOL_ANY | PTC_CONNECT_POOL_SAFE)) {
        if (conn* c = pool_take(w, srv, s->cx_flags)) {
            s->log_t_cdone = s->log_t_cstart; // logging: pooled connection, Tc = 0
            srv_attach(s, srv, c);
            stream_enqueue(s, PTC_EV_SRV_CONNECTED);
            return true;
        }
    }
    int fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        s->srv_error = PTC_SRVERR_CONNECT;
        PTC_WARN("Proxy %s: cannot create a socket for server %s: %s", s->be->name.c_str(),
                 srv->name.c_str(), strerror(errno));
        lb_release_slot(srv);
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn* c = conn_new(w, fd, s, PTC_DIR_RES);
    c->state = conn_state::connecting;
    srv_attach(s, srv, c);
    srv->shared->cum_conns.fetch_add(1, std::memory_order_relaxed);
    uint64_t ct = s->be->t_connect;
    if (ct)
        w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + ct);
    else
        w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    w->poller->connect(fd, reinterpret_cast<const sockaddr*>(&srv->addr), srv->addrlen, &c->cx);
    return true;
}

// The stream waits in a queue: its server timer becomes "timeout queue" (default:
// timeout connect, as HAProxy).
void arm_queue_timer(stream* s)
{
    uint64_t tmo = s->be->t_queue;
    if (!tmo)
        tmo = s->be->t_connect;
    if (tmo)
        s->w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + tmo);
    else
        s->w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
}

// Asynchronous outcome of a pick: connect, wait, or report the error.
void pick_outcome(stream* s, int r, server* srv, int err)
{
    if (r == LB_OK) {
        if (!connect_attempt(s, srv))
            stream_enqueue(s, PTC_EV_SRV_ERROR);
    } else if (r == LB_QUEUED) {
        arm_queue_timer(s);
    } else {
        s->srv_error = err;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
    }
}

// Retry on the same server (after the turn-around delay, or at once after a timeout).
void retry_same(stream* s)
{
    server* srv = s->srv;
    if (!srv) {
        s->srv_error = PTC_SRVERR_NOSRV;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
        return;
    }
    if (lb_take_slot(srv)) {
        if (!connect_attempt(s, srv))
            stream_enqueue(s, PTC_EV_SRV_ERROR);
        return;
    }
    lb_queue_add(s, srv); // full meanwhile: wait for one of its slots
    arm_queue_timer(s);
}

// A connection attempt failed (refused, unreachable: PTC_SRVERR_CONNECT; timeout connect:
// PTC_SRVERR_CTIMEOUT). Retries as HAProxy: up to "retries" more attempts, the same server
// after a turn-around of min(timeout connect, 1 s) following a refusal, another server
// when "option redispatch" says so. The error reaches the handler only at the end.
void connect_failed(stream* s, int err)
{
    server* srv = s->srv;
    proxy* be = s->be;
    if (srv && srv->shared)
        srv->shared->connect_errors.fetch_add(1, std::memory_order_relaxed);
    // close the failed socket; the request channel stays as it is (nothing was sent)
    if (conn* sc = s->srvc) {
        s->srvc = nullptr;
        conn_close(sc);
    }
    server_release(s);
    s->w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    if (!be || !srv || s->conn_retries >= be->retries || s->closing != close_mode::none) {
        s->srv_error = err;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
        return;
    }
    uint32_t n = ++s->conn_retries;
    bool redisp = false;
    if (be->redispatch) {
        if (!lb_usable(srv))
            redisp = true;
        else if (be->redispatch > 0)
            redisp = n % (uint32_t)be->redispatch == 0;
        else {
            int64_t m = (int64_t)be->retries + 1 + be->redispatch;
            redisp = m <= 0 || n % (uint64_t)m == 0;
        }
    }
    if (redisp) {
        srv->shared->redispatches.fetch_add(1, std::memory_order_relaxed);
        be->shared->redispatches.fetch_add(1, std::memory_order_relaxed);
        s->lb_avoid = srv;
        s->redispatched = 1;
        server* ns = nullptr;
        int r = lb_pick(be, s, srv, &ns);
        pick_outcome(s, r, ns, err);
        return;
    }
    srv->shared->retries.fetch_add(1, std::memory_order_relaxed);
    be->shared->retries.fetch_add(1, std::memory_order_relaxed);
    if (err == PTC_SRVERR_CONNECT) {
        uint64_t d = 1000;
        uint64_t ct = be->t_connect;
        if (ct && ct < d)
            d = ct;
        s->cx_wait = 1;
        s->w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + d);
        return;
    }
    retry_same(s);
}

} // namespace

void stream_slot_granted(stream* s, server* srv)
{
    s->w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    if (!srv) {
        s->srv_error = PTC_SRVERR_NOSRV;
        stream_enqueue(s, PTC_EV_SRV_ERROR);
        return;
    }
    if (s->closing != close_mode::none) {
        lb_release_slot(srv);
        return;
    }
    if (!connect_attempt(s, srv))
        stream_enqueue(s, PTC_EV_SRV_ERROR);
}

int host_stream_connect_ex(ptc_stream* ps, uint32_t flags)
{
    stream* s = S(ps);
    worker* w = s->w;
    if (s->closing != close_mode::none)
        return PTC_ERROR;
    s->srv_error = PTC_SRVERR_NONE;
    lb_queue_remove(s); // a connect still waiting is abandoned
    s->cx_wait = 0;
    if (!s->be_selected && host_stream_select_backend(ps) != PTC_OK) {
        s->srv_error = PTC_SRVERR_NOSRV;
        return PTC_ERROR;
    }
    if (!s->be) {
        s->srv_error = PTC_SRVERR_NOSRV;
        return PTC_ERROR;
    }
    s->cx_flags = flags;
    s->conn_retries = 0;
    s->redispatched = 0;
    s->lb_avoid = nullptr;
    s->lb_hash_state = 0;
    s->rt_start_us = 0;
    s->rt_armed = lb_wants_rt(s->be);
    server_release(s); // the previous exchange is over: its slot goes back first
    server* srv = nullptr;
    int r = lb_pick(s->be, s, nullptr, &srv);
    s->log_t_cstart = s->log_t_cdone = 0;
    if (r == LB_OK && s->srvc && s->srvc->state == conn_state::ready && srv == s->srv) {
        s->log_t_cstart = s->log_t_cdone = now(); // logging: reused connection, Tc = 0
        conn* c = s->srvc;
        s->srv_counted = true;
        if (s->srv_idle) {
            s->srv_idle = false;
            if (c->watching && c->cx.busy)
                w->poller->cancel(&c->cx);
            c->requests++;
        }
        stream_enqueue(s, PTC_EV_SRV_CONNECTED); // reuse the established connection
        return PTC_OK;
    }
    if (s->srvc)
        srv_conn_release(s);
    if (r == LB_NONE) {
        s->srv_error = PTC_SRVERR_NOSRV;
        return PTC_ERROR;
    }
    if (r == LB_QUEUED) {
        arm_queue_timer(s);
        return PTC_OK;
    }
    return connect_attempt(s, srv) ? PTC_OK : PTC_ERROR;
}

int host_stream_connect(ptc_stream* ps) { return host_stream_connect_ex(ps, 0); }

int host_stream_srv_idle(ptc_stream* ps, uint32_t flags)
{
    stream* s = S(ps);
    if (!s->srvc || s->srvc->state != conn_state::ready)
        return PTC_ERROR;
    s->srv_idle = true;
    s->idle_flags = flags;
    s->w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    server_release(s); // maxconn counts requests in progress: the idle connection frees its slot
    stream_enqueue(s, 0);
    return PTC_OK;
}

void host_stream_srv_close(ptc_stream* s)
{
    lb_queue_remove(S(s));
    S(s)->cx_wait = 0;
    srv_conn_close(S(s));
    stream_enqueue(S(s), 0);
}

int host_stream_srv_error(ptc_stream* s) { return S(s)->srv_error; }

void host_stream_close(ptc_stream* ps, uint32_t how)
{
    stream* s = S(ps);
    if (how == PTC_CLOSE_ABORT) {
        s->closing = close_mode::dead;
    } else if (s->closing == close_mode::none) {
        s->closing = close_mode::flush;
        s->nolinger = how & PTC_CLOSE_NOLINGER;
    }
    stream_enqueue(s, 0);
}

void host_stream_set_timeout(ptc_stream* ps, uint32_t which, uint64_t ms)
{
    stream* s = S(ps);
    bool fixed = which & PTC_TMO_FIXED;
    which &= ~PTC_TMO_FIXED;
    if (which > PTC_TMO_SERVER)
        return;
    s->tmo_fixed[which] = fixed;
    if (ms == PTC_TMO_DEFAULT) {
        proxy* p = which == PTC_TMO_CLIENT ? s->fe : (s->be ? s->be : s->fe);
        ms = which == PTC_TMO_CLIENT ? p->t_client : p->t_server;
    }
    s->tmo[which] = ms;
    bool connecting = which == PTC_TMO_SERVER && s->srvc && s->srvc->state == conn_state::connecting;
    if (connecting || s->closing != close_mode::none)
        return;
    if (ms)
        s->w->timers->arm(&s->timer[which], now() + ms);
    else
        s->w->timers->disarm(&s->timer[which]);
}

socklen_t host_stream_addr(ptc_stream* ps, uint32_t which, sockaddr_storage* out)
{
    stream* s = S(ps);
    socklen_t len = sizeof(*out);
    switch (which) {
    case PTC_ADDR_CLIENT:
        if (!s->cli_addrlen)
            return 0;
        std::memcpy(out, &s->cli_addr, s->cli_addrlen);
        return s->cli_addrlen;
    case PTC_ADDR_FRONTEND:
        if (!s->cli || s->cli->fd < 0 || getsockname(s->cli->fd, (sockaddr*)out, &len) < 0)
            return 0;
        return len;
    case PTC_ADDR_SERVER:
        if (!s->srv)
            return 0;
        std::memcpy(out, &s->srv->addr, s->srv->addrlen);
        return s->srv->addrlen;
    }
    return 0;
}

void host_stream_wake(ptc_stream* s) { stream_enqueue(S(s), PTC_EV_WAKE); }

void* host_stream_state(ptc_stream* s) { return S(s)->state; }

uint32_t host_chan_data(ptc_stream* ps, uint32_t dir, ptc_str* out)
{
    stream* s = S(ps);
    dir &= 1;
    chan& c = s->ch[dir];
    if (out) {
        out->ptr = c.buf ? c.buf + c.fwd : nullptr;
        out->len = c.tail - c.fwd;
    }
    return chan_state_flags(s, dir);
}

size_t host_chan_forward(ptc_stream* ps, uint32_t dir, size_t n)
{
    stream* s = S(ps);
    chan& c = s->ch[dir & 1];
    n = std::min<size_t>(n, c.tail - c.fwd);
    c.fwd += (uint32_t)n;
    if (n)
        stream_enqueue(s, 0);
    return n;
}

void host_chan_autoforward(ptc_stream* ps, uint32_t dir, uint64_t n)
{
    stream* s = S(ps);
    dir &= 1;
    chan& c = s->ch[dir];
    c.auto_left = n;
    if (!n)
        return;
    uint64_t before = c.fwd;
    bool tell = apply_autoforward(c);
    // ended inside this call: tell the handler on its next turn
    if (c.auto_left == 0 && tell)
        stream_enqueue(s, data_ev(dir));
    else if (c.fwd != before)
        stream_enqueue(s, 0);
}

uint64_t host_chan_autoforward_left(ptc_stream* s, uint32_t dir) { return S(s)->ch[dir & 1].auto_left; }

int host_chan_replace(ptc_stream* ps, uint32_t dir, size_t off, size_t len, const char* data,
                      size_t dlen)
{
    stream* s = S(ps);
    dir &= 1;
    chan& c = s->ch[dir];
    size_t pending = c.tail - c.fwd;
    if (off > pending || len > pending - off)
        return PTC_ERROR;
    if (dlen > len && !chan_make_room(s, dir, dlen - len))
        return PTC_ERROR;
    if (!c.buf)
        chan_ensure(s->w, c);
    char* at = c.buf + c.fwd + off;
    size_t after = pending - off - len;
    if (dlen != len)
        std::memmove(at + dlen, at + len, after);
    if (dlen)
        std::memcpy(at, data, dlen);
    c.tail = (uint32_t)(c.tail + dlen - len);
    return PTC_OK;
}

int host_chan_append(ptc_stream* ps, uint32_t dir, const char* data, size_t len)
{
    stream* s = S(ps);
    dir &= 1;
    if (!chan_make_room(s, dir, len))
        return PTC_ERROR;
    chan& c = s->ch[dir];
    std::memcpy(c.buf + c.tail, data, len);
    c.tail += (uint32_t)len;
    return PTC_OK;
}

size_t host_chan_skip(ptc_stream* ps, uint32_t dir, size_t n)
{
    stream* s = S(ps);
    chan& c = s->ch[dir & 1];
    size_t pending = c.tail - c.fwd;
    n = std::min(n, pending);
    if (!n)
        return 0;
    std::memmove(c.buf + c.fwd, c.buf + c.fwd + n, pending - n);
    c.tail -= (uint32_t)n;
    stream_enqueue(s, 0);
    return n;
}

size_t host_chan_room(ptc_stream* ps, uint32_t dir)
{
    stream* s = S(ps);
    const chan& c = s->ch[dir & 1];
    return s->w->bufcap - (c.buf ? c.tail - c.head : 0);
}

uint32_t host_chan_flags(ptc_stream* s, uint32_t dir) { return chan_state_flags(S(s), dir & 1); }

void host_chan_shutw(ptc_stream* ps, uint32_t dir)
{
    stream* s = S(ps);
    s->ch[dir & 1].flags |= PTC_CHAN_SHUTW;
    stream_enqueue(s, 0);
}

void host_chan_mark(ptc_stream* ps, uint32_t dir, int on)
{
    chan& c = S(ps)->ch[dir & 1];
    c.mark = on ? (int32_t)c.head : -1;
}

int host_chan_rewind(ptc_stream* ps, uint32_t dir)
{
    stream* s = S(ps);
    chan& c = s->ch[dir & 1];
    if (c.mark < 0 || tx_on(dst_of(s, dir & 1), c))
        return PTC_ERROR;
    c.head = (uint32_t)c.mark;
    stream_enqueue(s, 0);
    return PTC_OK;
}

void host_chan_pause(ptc_stream* ps, uint32_t dir, int on)
{
    stream* s = S(ps);
    chan& c = s->ch[dir & 1];
    if (on)
        c.flags |= PTC_CHAN_PAUSED;
    else
        c.flags &= ~PTC_CHAN_PAUSED;
    stream_enqueue(s, 0);
}

} // namespace portico
