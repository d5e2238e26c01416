// SPDX-License-Identifier: MIT
// ABI 1.3 transports (transport.h): a layer between a side's socket and its channel (TLS
// is one). With a transport, that socket's recv lands in the connection's raw input and
// `decode` writes into the channel at its tail, within the room a plain recv would have
// used; what the channel forwards to that socket goes through `encode` into the raw
// output, which is what is sent (the channel's head moves by what encode consumed).
//
// The engine's plain path pays one predictable branch per hook point (chan_update,
// on_rx, on_tx, conn_close/free): everything else is here. Channel buffers keep their
// rules (refcounts, migration) untouched: no recv or send of a connection with a
// transport ever uses a channel buffer (but the one recv that may be in flight when the
// transport is installed, see host_stream_set_transport).
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "lb/lb.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream_int.hpp"

namespace portico {

namespace {

inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

// A decode or encode failure, or an impossible answer: the side fails as an I/O error.
void fail_side(stream* s, conn* c, uint32_t dir_in)
{
    chan& in = s->ch[dir_in];
    in.flags |= PTC_CHAN_EOF | PTC_CHAN_ERROR;
    chan& out = s->ch[dir_in ^ 1];
    out.head = out.fwd; // what was forwarded to it is lost
    (void)c; // its raw buffers stay as they are: a recv or send may be in flight on them
    uint32_t ev = data_ev(dir_in);
    if (dir_in == PTC_DIR_REQ) {
        ev |= PTC_EV_CLI_ERROR;
    } else {
        s->srv_error = PTC_SRVERR_RESET;
        ev |= PTC_EV_SRV_ERROR;
    }
    stream_enqueue(s, ev);
}

bool want_send(const xprt* x)
{
    return x->t->want_send && x->t->want_send(x->tctx);
}

// A transport that failed may still have a few bytes for its peer (TLS: the alert that
// says why the handshake failed): they are written now, best effort and without waiting,
// since the connection closes right after.
void send_last_words(xprt* x, conn* c)
{
    if (c->fd < 0 || !want_send(x) || x->out_tail > x->out_head)
        return; // nothing, or earlier output still in flight (the alert would go after it)
    char b[512];
    size_t used = 0, made = 0;
    if (x->t->encode(x->tctx, nullptr, 0, &used, b, sizeof(b), &made) == PTC_OK && made &&
        made <= sizeof(b))
        (void)::send(c->fd, b, made, MSG_DONTWAIT | MSG_NOSIGNAL);
}

// Decodes the raw input into channel <dir> while it makes progress and there is room.
// Returns false when the side failed.
bool decode_some(stream* s, uint32_t dir, conn* src)
{
    worker* w = s->w;
    xprt* x = src->x;
    chan& c = s->ch[dir];
    conn* dst = dst_of(s, dir);
    uint32_t made_total = 0;
    bool progress = false, eof_now = false, tried_empty = false;
    for (;;) {
        uint32_t inlen = x->in_tail - x->in_head;
        if (!inlen && !x->eof_in) {
            // 1.7: a transport may hold decoded bytes of its own (TLS records already read
            // that did not fit): asked once with no input, again after each progress
            if (tried_empty)
                break;
            tried_empty = true;
        }
        if (!chan_ensure(w, c)) [[unlikely]] {
            stream_oom(s);
            return false;
        }
        // the room post_recv() would have given a recv
        if (c.head == c.tail && c.mark < 0 && !tx_on(dst, c))
            c.head = c.fwd = c.tail = 0;
        uint32_t limit = c.auto_left ? w->bufcap : w->bufsize - w->maxrewrite;
        if (live_start(c) > 0 && c.tail + limit / 4 > limit && !tx_on(dst, c))
            chan_compact(c);
        if (c.tail - live_start(c) >= limit || c.tail >= w->bufcap)
            break; // full: the handler or the destination must make room first
        uint32_t room = std::min(limit - (c.tail - live_start(c)), w->bufcap - c.tail);
        int eof = !inlen && x->eof_in;
        size_t used = 0, made = 0;
        int r = x->t->decode(x->tctx, inlen ? x->in + x->in_head : nullptr, inlen, &used,
                             c.buf + c.tail, room, &made, eof);
        if (r == PTC_ERROR || used > inlen || made > room) {
            if (x->hold) { // a server-side handshake failed: a failed connection attempt
                connect_failed(s, PTC_SRVERR_CONNECT);
                return false;
            }
            send_last_words(x, src);
            fail_side(s, src, dir);
            return false;
        }
        x->in_head += (uint32_t)used;
        c.tail += (uint32_t)made;
        made_total += (uint32_t)made;
        if (x->in_head == x->in_tail && !src->rx.busy)
            x->in_head = x->in_tail = 0;
        if (used || made) {
            progress = true;
            tried_empty = false;
            continue;
        }
        if (inlen && x->eof_in) {
            // a truncated unit the transport cannot use: the peer is gone, drop it and
            // tell the transport (decode with inlen 0, eof 1)
            x->in_head = x->in_tail = 0;
            continue;
        }
        if (eof) {
            if (x->hold) { // the server closed during the handshake
                connect_failed(s, PTC_SRVERR_CONNECT);
                return false;
            }
            c.flags |= PTC_CHAN_EOF;
            eof_now = true;
        }
        break;
    }
    uint32_t ev = 0;
    if (x->hold && progress) {
        int (*ready)(void*) = xprt_ready_fn(x->t);
        if (ready && ready(x->tctx)) {
            // handshake done: the connection is established for the handler (and Tc)
            x->hold = false;
            s->log_t_cdone = event::monotonic_ms();
            if (s->tmo[PTC_TMO_SERVER])
                w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + s->tmo[PTC_TMO_SERVER]);
            else
                w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
            ev |= PTC_EV_SRV_CONNECTED;
        }
    }
    if (made_total) {
        c.bytes += made_total;
        if (dir == PTC_DIR_REQ && !s->log_t_first)
            stream_req_start(s); // logging: first request byte; request rate
        if (apply_autoforward(c))
            ev |= data_ev(dir);
    }
    if (eof_now) {
        ev |= data_ev(dir);
        refresh_timer(s, dir == PTC_DIR_REQ ? PTC_TMO_CLIENT : PTC_TMO_SERVER);
    }
    // progress may have unblocked encode (handshake done) or queued bytes of its own:
    // one more stream_update sends them
    if (ev || made_total || (progress && !src->tx.busy))
        stream_enqueue(s, ev);
    return true;
}

} // namespace

// ---- chan_update's halves ------------------------------------------------------------------

void xprt_rx(stream* s, uint32_t dir, conn* src)
{
    xprt* x = src->x;
    if (!decode_some(s, dir, src))
        return;
    if (src->rx.busy || x->eof_in || (s->ch[dir].flags & PTC_CHAN_EOF))
        return;
    if (x->in_head == x->in_tail) {
        x->in_head = x->in_tail = 0;
    } else if (x->in_head) {
        std::memmove(x->in, x->in + x->in_head, x->in_tail - x->in_head);
        x->in_tail -= x->in_head;
        x->in_head = 0;
    }
    if (x->in_tail >= x->in_cap)
        return; // the raw input is full: decode must consume first
    src->rx_buf = nullptr; // not a channel buffer: no reference
    src->rx_off = x->in_tail;
    src->rx_len = x->in_cap - x->in_tail;
    s->w->poller->recv(src->fd, x->in + x->in_tail, src->rx_len, &src->rx);
}

void xprt_tx(stream* s, uint32_t dir, conn* dst)
{
    xprt* x = dst->x;
    chan& c = s->ch[dir];
    if (x->out_head == x->out_tail) {
        x->out_head = x->out_tail = 0;
    } else if (x->out_head) {
        std::memmove(x->out, x->out + x->out_head, x->out_tail - x->out_head);
        x->out_tail -= x->out_head;
        x->out_head = 0;
    }
    bool ws = want_send(x);
    while (x->out_tail < x->out_cap) {
        uint32_t inlen = c.buf ? c.fwd - c.head : 0;
        if (!inlen && !ws)
            break;
        uint32_t room = x->out_cap - x->out_tail;
        size_t used = 0, made = 0;
        int r = x->t->encode(x->tctx, inlen ? c.buf + c.head : nullptr, inlen, &used,
                             x->out + x->out_tail, room, &made);
        if (r == PTC_ERROR || used > inlen || made > room) {
            fail_side(s, dst, dst->dir_in);
            dst->state = conn_state::closed;
            return;
        }
        c.head += (uint32_t)used;
        x->out_tail += (uint32_t)made;
        if (used)
            x->sent_pending = true;
        if (!used && !made)
            break;
        ws = want_send(x);
    }
    if (x->out_tail > x->out_head) {
        dst->tx_buf = nullptr; // not a channel buffer: no reference
        s->w->poller->send(dst->fd, x->out + x->out_head, x->out_tail - x->out_head,
                           &dst->tx);
        return;
    }
    // nothing left to send: what encode consumed is out
    if (x->sent_pending && c.head == c.fwd && c.auto_left == 0) {
        x->sent_pending = false;
        stream_enqueue(s, sent_ev(dir));
    }
    if (s->closing == close_mode::flush && !x->shutw_called && c.head == c.fwd &&
        c.auto_left == 0) {
        // the stream ends once everything is sent: the transport's last record first (a
        // TLS close_notify), as for a write shutdown
        x->shutw_called = true;
        if (void (*shutw)(void*) = xprt_shutw_fn(x->t)) {
            shutw(x->tctx);
            if (want_send(x)) {
                xprt_tx(s, dir, dst);
                return;
            }
        }
    }
    if ((c.flags & PTC_CHAN_SHUTW) && !c.shut_done && c.head == c.fwd) {
        if (!x->shutw_called) {
            // a last record of the transport's own (close_notify) goes out first
            x->shutw_called = true;
            if (void (*shutw)(void*) = xprt_shutw_fn(x->t)) {
                shutw(x->tctx);
                if (want_send(x)) {
                    xprt_tx(s, dir, dst);
                    return;
                }
            }
        }
        shutdown(dst->fd, SHUT_WR);
        c.shut_done = true;
    }
}

bool xprt_hold_connected(stream* s, conn* c)
{
    xprt* x = c->x;
    int (*ready)(void*) = xprt_ready_fn(x->t);
    if (!ready || ready(x->tctx))
        return false;
    x->hold = true;
    // the handshake belongs to the connection attempt: bounded by "timeout connect"
    uint64_t ct = s->be ? s->be->t_connect : 0;
    if (ct)
        s->w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + ct);
    return true;
}

// ---- completions -----------------------------------------------------------------------------

void xprt_on_rx(conn* c, stream* s, char* b, int res)
{
    worker* w = c->w;
    xprt* x = c->x;
    uint32_t dir = c->dir_in;
    uint32_t side = dir == PTC_DIR_REQ ? PTC_TMO_CLIENT : PTC_TMO_SERVER;
    if (res > 0) {
        if (b) {
            // a recv into the channel posted before the transport was installed: its
            // bytes are raw input too (after those moved at install)
            if (x->in_head) {
                std::memmove(x->in, x->in + x->in_head, x->in_tail - x->in_head);
                x->in_tail -= x->in_head;
                x->in_head = 0;
            }
            if (x->in_tail + (uint32_t)res > x->in_cap) {
                char* p = static_cast<char*>(std::realloc(x->in, x->in_tail + (size_t)res));
                if (!p) [[unlikely]] {
                    buf_unref(w, b);
                    stream_oom(s);
                    return;
                }
                x->in = p;
                x->in_cap = x->in_tail + (uint32_t)res;
            }
            std::memcpy(x->in + x->in_tail, b + c->rx_off, (size_t)res);
            buf_unref(w, b);
        }
        x->in_tail += (uint32_t)res;
        if (dir == PTC_DIR_RES && s->rt_start_us) { // leasttime: first response byte
            if (s->srv)
                lb_observe_rt(s->srv, now_us() - s->rt_start_us);
            s->rt_start_us = 0;
            s->rt_armed = false;
        }
        refresh_timer(s, side);
        stream_enqueue(s, 0); // chan_update decodes
        return;
    }
    buf_unref(w, b);
    if (res != -ECANCELED && s->srv_idle && s->srvc == c) {
        // an idle server connection closed or failed between two exchanges: as the
        // plain path's close watch (watch_idle), it is not reused
        srv_conn_close(s);
        stream_enqueue(s, 0);
        return;
    }
    if (res == 0) {
        x->eof_in = true; // decode(eof) once the raw input is used, then the channel's EOF
        stream_enqueue(s, 0);
    } else if (res == -ECANCELED) {
        stream_enqueue(s, 0);
    } else if (x->hold) {
        connect_failed(s, PTC_SRVERR_CONNECT); // reset during the server-side handshake
    } else {
        chan& ch = s->ch[dir];
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

void xprt_on_tx(conn* c, stream* s, int res)
{
    xprt* x = c->x;
    uint32_t dir = c->dir_in == PTC_DIR_REQ ? PTC_DIR_RES : PTC_DIR_REQ; // channel we send
    chan& ch = s->ch[dir];
    if (res > 0) {
        x->out_head += (uint32_t)res;
        tx_account(s, dir, res);
        uint32_t ev = 0;
        if (x->out_head == x->out_tail && x->sent_pending && ch.head == ch.fwd &&
            ch.auto_left == 0) {
            x->sent_pending = false;
            ev = sent_ev(dir);
        }
        stream_enqueue(s, ev);
        return;
    }
    if (res == -ECANCELED || res == 0) {
        stream_enqueue(s, 0);
        return;
    }
    x->out_head = x->out_tail = 0;
    tx_broken(s, c, dir); // the destination is gone: what was forwarded to it is lost
}

// ---- life ------------------------------------------------------------------------------------

const char* xprt_cli_info(const stream* s, uint32_t what)
{
    return xprt_info(s, PTC_SIDE_CLIENT, what);
}

const char* xprt_info(const stream* s, uint32_t side, uint32_t what)
{
    const conn* c = side == PTC_SIDE_CLIENT ? s->cli : side == PTC_SIDE_SERVER ? s->srvc : nullptr;
    const xprt* x = c ? c->x : nullptr;
    if (!x || x->released || !x->t ||
        x->t->size < offsetof(ptc_transport, info) + sizeof(x->t->info) || !x->t->info)
        return nullptr;
    return x->t->info(x->tctx, what);
}

void xprt_release(conn* c)
{
    xprt* x = c->x;
    if (x->released)
        return;
    x->released = true;
    if (x->t->release)
        x->t->release(x->tctx);
}

void xprt_free(conn* c)
{
    xprt* x = c->x;
    c->x = nullptr;
    if (!x->released && x->t->release)
        x->t->release(x->tctx);
    std::free(x->in);
    std::free(x->out);
    delete x;
}

// ---- host function (ptc_host, 1.3) -------------------------------------------------------

int host_stream_set_transport(ptc_stream* ps, uint32_t side, const ptc_transport* t, void* tctx)
{
    stream* s = S(ps);
    if (!s || !t || t->size < offsetof(ptc_transport, release) + sizeof(t->release) ||
        !t->decode || !t->encode)
        return PTC_ERROR;
    conn* c;
    if (side == PTC_SIDE_CLIENT) // from a PTC_PHASE_CONNECTION hook only
        c = s->cphase ? s->cli : nullptr;
    else if (side == PTC_SIDE_SERVER) // from a PTC_PHASE_SRV_CONNECTED hook only
        c = s->srvc && s->srvc->srv_phase ? s->srvc : nullptr;
    else
        return PTC_ERROR;
    if (!c || c->x || c->state != conn_state::ready || s->closing != close_mode::none)
        return PTC_ERROR;
    worker* w = s->w;
    uint32_t dir = c->dir_in;
    chan& ch = s->ch[dir];
    // a recv in flight into the channel keeps writing at its tail: move the channel off
    // that buffer (the completion hands what it got to the transport, see xprt_on_rx)
    if (rx_on(c, ch) && !chan_migrate(w, ch)) [[unlikely]]
        return PTC_ERROR;
    xprt* x = new (std::nothrow) xprt();
    if (!x)
        return PTC_ERROR;
    x->in_cap = x->out_cap = w->bufcap;
    x->in = static_cast<char*>(std::malloc(x->in_cap));
    x->out = static_cast<char*>(std::malloc(x->out_cap));
    if (!x->in || !x->out) {
        std::free(x->in);
        std::free(x->out);
        delete x;
        return PTC_ERROR;
    }
    x->t = t;
    x->tctx = tctx;
    // bytes already received (a hook peeked at them) are raw input: decoded first
    uint32_t pend = ch.buf ? ch.tail - ch.fwd : 0;
    if (pend) {
        std::memcpy(x->in, ch.buf + ch.fwd, pend);
        x->in_tail = pend;
        ch.tail = ch.fwd;
        ch.bytes -= pend; // counted again once decoded
    }
    c->x = x;
    c->priv = true; // the transport's state belongs to this stream: never pooled
    if (side == PTC_SIDE_CLIENT)
        s->cli_xprt = true;
    if (pend)
        decode_some(s, dir, c); // the next hooks already see decoded bytes
    stream_enqueue(s, 0);       // want_send: the handshake may start at once
    return PTC_OK;
}

} // namespace portico
