// SPDX-License-Identifier: MIT
// Connections: allocation and release, the recv/send/connect completions, the end of a
// close (linger), and the per-worker pool of idle server connections. The recv/send
// submissions of the hot path (post_recv, post_send) are in stream.cpp, inlined into
// chan_update(); the connect submission is in backend.cpp (connect_attempt).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "lb/lb.hpp"
#include "proxy/proxy.hpp"
#include "module/hooks.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream_int.hpp"

namespace portico {

char g_discard[16384];

namespace {

void on_rx(event::completion* c, int res, uint32_t flags);
void on_tx(event::completion* c, int res, uint32_t flags);
void on_cx(event::completion* c, int res, uint32_t flags);

} // namespace

// ---- connections ------------------------------------------------------------------------

conn* conn_new(worker* w, int fd, stream* s, uint8_t dir_in)
{
    void* mem = w->conn_pool.get();
    if (!mem) [[unlikely]]
        return nullptr;
    conn* c = new (mem) conn();
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
        conn_pre_free(c);
        if (c->x) [[unlikely]]
            xprt_free(c);
        c->~conn();
        w->conn_pool.put(c);
    }
}

void conn_close(conn* c)
{
    worker* w = c->w;
    c->owner = nullptr;
    c->state = conn_state::closed;
    if (c->x) [[unlikely]]
        xprt_release(c);
    w->poller->close_socket(c->fd, c->rx, c->tx, c->cx);
    conn_maybe_free(c);
}

// Pushes a side's inactivity timer back. Once that side half-closed (it sent its FIN),

void server_release(stream* s)
{
    if (s->srv_counted && s->srv && s->srv->shared) {
        s->srv_counted = false;
        lb_release_slot(s->srv); // may hand the slot to a queued stream
    }
}

// Detaches the server connection from the stream (stream-side bookkeeping only).
static conn* srv_conn_detach(stream* s)
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
    // the cancelled recv may still write into the buffer: move the channel off it
    if (rx_busy && !chan_migrate(s->w, s->ch[PTC_DIR_RES])) [[unlikely]]
        stream_oom(s);
}

// ---- idle connection pool ------------------------------------------------------------------

void watch_idle(conn* c)
{
    if (c->cx.busy || c->rx.busy || c->state != conn_state::ready)
        return;
    c->watching = true;
    c->w->poller->poll_in(c->fd, &c->cx);
}

// A last look at an idle server connection about to carry a request (one non-blocking
// peek): false when the server already closed or reset it, or (plain path) sent bytes out
// of turn. The close watch reports the same, but only from a later turn of the event loop:
// a FIN that arrived with the previous response's last bytes, or while this turn's work
// was pending, is in the socket before the watch's completion is seen, and a request sent
// on that connection would be lost (HAProxy reads the shutdown with the response and does
// not keep such a connection).
bool idle_conn_usable(const conn* c)
{
    if (c->fd < 0 || c->state != conn_state::ready)
        return false;
    char probe;
    ssize_t n = recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    // a TLS connection may receive records while idle (a session ticket)
    return n > 0 && c->x;
}

static void pool_unlink(conn* c)
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
void srv_conn_release(stream* s)
{
    conn* c = s->srvc;
    if (!c)
        return;
    worker* w = s->w;
    uint32_t i = c->srv ? c->srv->index : 0;
    // a transparent-like server's connections go to each client's destination: not shared
    bool ok = s->srv_idle && (s->idle_flags & PTC_IDLE_POOL) && c->srv && !c->priv &&
              !c->srv->dst_addr && !c->srv->dst_port &&
              c->state == conn_state::ready && !c->rx.busy && !c->tx.busy &&
              i < w->pool.size() && w->pool_count[i] < k_pool_max_per_server &&
              (c->srv->pool_max_conn < 0 || w->pool_count[i] < (uint32_t)c->srv->pool_max_conn);
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
    for (conn* c = w->pool[srv->index], *next; c; c = next) {
        next = c->pool_next;
        if ((flags & PTC_CONNECT_POOL_ANY) || c->requests >= 2) {
            pool_unlink(c);
            if (!idle_conn_usable(c)) {
                conn_close(c); // closed by the server: its watch had not told yet
                continue;
            }
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
    uint64_t tnow = now();
    for (size_t i = 0; i < w->pool.size(); i++) {
        conn* c = w->pool[i];
        while (c) {
            conn* next = c->pool_next;
            if (c->idle_since + c->srv->pool_purge_ms <= tnow) {
                pool_unlink(c);
                conn_close(c);
            }
            c = next;
        }
    }
    if (w->pool_total)
        w->timers->arm(&w->pool_timer, now() + 1000);
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

// ---- end of a close ------------------------------------------------------------------------

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

namespace {

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
    if (c->x) [[unlikely]] { // the bytes went to the transport's raw input
        xprt_on_rx(c, s, b, res);
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
            stream_req_start(s); // logging: first request byte; request rate
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
    if (c->tx_pre) { // the preamble (stream_srv_prepend), not channel bytes
        c->tx_pre = false;
        if (!s) {
            conn_maybe_free(c);
            return;
        }
        if (res > 0) {
            c->pre_off = (uint16_t)(c->pre_off + res);
            if (c->pre_off >= c->pre_len)
                conn_pre_free(c);
            refresh_timer(s, PTC_TMO_SERVER);
            stream_enqueue(s, 0);
        } else if (res == -ECANCELED || res == 0) {
            stream_enqueue(s, 0);
        } else {
            tx_broken(s, c, PTC_DIR_REQ);
        }
        return;
    }
    if (!s) {
        conn_maybe_free(c);
        return;
    }
    if (c->x) [[unlikely]] { // the transport's raw output, not channel bytes
        xprt_on_tx(c, s, res);
        return;
    }
    uint32_t dir = c->dir_in == PTC_DIR_REQ ? PTC_DIR_RES : PTC_DIR_REQ; // channel we send
    chan& ch = s->ch[dir];
    if (res > 0) {
        ch.head += (uint32_t)res;
        tx_account(s, dir, res);
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
    tx_broken(s, c, dir); // the destination is gone: what was forwarded to it is lost
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
            } else {
                watch_idle(c); // taken and given back before the cancel completed
            }
            return;
        }
        if (!s) {
            conn_maybe_free(c);
            return;
        }
        if (s->srv_idle && s->srvc == c) {
            if (res != -ECANCELED) {
                srv_conn_close(s);
                stream_enqueue(s, 0);
            } else {
                watch_idle(c); // idle again before the cancel completed
            }
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
        c->srv_phase = hooks_present(PTC_PHASE_SRV_CONNECTED);
        stream_enqueue(s, PTC_EV_SRV_CONNECTED);
        return;
    }
    connect_failed(s, PTC_SRVERR_CONNECT);
}

} // namespace

} // namespace portico
