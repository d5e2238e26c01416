// SPDX-License-Identifier: MIT
// Streams: creation for an accepted socket and release, the run queue that calls the
// protocol handler with the accumulated events, stream_update() (the I/O to issue after
// the handler ran), and the client/server timers.
//
// The engine's other files: chan.cpp (channels), conn.cpp (connections, completions, idle
// pool), listener.cpp (accept), worker.cpp (setup, loop), backend.cpp (connect, retries,
// queues), host_stream.cpp (ptc_host entries); stream_int.hpp has the shared rules.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
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
#include "stream/stream_int.hpp"
#include "util/diag.hpp"

namespace portico {

// ---- run queue ---------------------------------------------------------------------------

stream* g_in_handler;

// tcp-request session rules: once per connection, when its handshakes (PROXY header, TLS)
// are over, before the protocol handler sees it. False when they refused it: then it is
// closed (and not logged, as HAProxy).
static bool sess_rules_run(stream* s)
{
    if (!smp::has_rules(s->fe, PTC_RULES_TCP_REQ_SESS))
        return true;
    int r = host_rules_run(reinterpret_cast<ptc_stream*>(s), PTC_RULES_TCP_REQ_SESS,
                           to_handle(s->fe));
    if (r != PTC_ACT_DONE && r != PTC_ACT_ERROR && s->closing == close_mode::none)
        return true;
    if (s->fe->shared)
        s->fe->shared->denied.fetch_add(1, std::memory_order_relaxed);
    s->log_txn_done = true;
    s->closing = close_mode::dead;
    stream_enqueue(s, 0);
    return false;
}

static void stream_process(stream* s)
{
    s->queued = false;
    if (s->closing == close_mode::dead) {
        stream_free(s);
        return;
    }
    if (s->closing == close_mode::none && s->events) {
        uint32_t ev = s->events;
        s->events = 0;
        if (s->cphase) { // PTC_PHASE_CONNECTION waits: the handler has not seen the stream
            if (!conn_phase_resume(s, ev)) {
                if (s->closing == close_mode::none)
                    stream_update(s); // keep reading
                return;               // refused: queued again, freed on that turn
            }
            if (!sess_rules_run(s))
                return; // refused: queued again, freed on that turn
            log::on_accept(s);
            ev = PTC_EV_OPEN | (s->ch[PTC_DIR_REQ].tail > s->ch[PTC_DIR_REQ].fwd ||
                                        (s->ch[PTC_DIR_REQ].flags & PTC_CHAN_EOF)
                                    ? PTC_EV_REQ_DATA
                                    : 0);
        }
        if ((ev & (PTC_EV_SRV_ERROR | PTC_EV_SRV_TIMEOUT)) && s->srv && !s->srv_idle &&
            hooks_present(PTC_PHASE_SRV_ERROR) &&
            ((ev & PTC_EV_SRV_TIMEOUT) || s->srv_error == PTC_SRVERR_RESET)) {
            // ABI 1.4: the server connection broke or "timeout server" struck (failed
            // connection attempts ran the phase in connect_failed)
            run_hooks(s, PTC_PHASE_SRV_ERROR);
        }
        if ((ev & PTC_EV_SRV_CONNECTED) && s->srvc && s->srvc->srv_phase) {
            if (!srv_phase_run(s)) { // clears srv_phase (set while its hooks run)
                srv_conn_close(s);
                s->srv_error = PTC_SRVERR_CONNECT;
                ev = (ev & ~PTC_EV_SRV_CONNECTED) | PTC_EV_SRV_ERROR;
            } else if (s->srvc && s->srvc->x && xprt_hold_connected(s, s->srvc)) {
                ev &= ~PTC_EV_SRV_CONNECTED; // 1.7: once the transport's handshake is done
            }
        }
        g_in_handler = s;
        s->calls++;
        if (s->applet) // 1.16: a module's service took the stream (Lua's AppletTCP)
            s->applet(reinterpret_cast<ptc_stream*>(s), s->applet_ctx, ev);
        else
            s->proto->on_event(reinterpret_cast<ptc_stream*>(s), s->state, ev);
        g_in_handler = nullptr;
        if (s->killed) [[unlikely]] // "shutdown session": gone after the handler saw it
            s->closing = close_mode::dead;
        if (s->closing == close_mode::dead) {
            stream_free(s);
            return;
        }
    }
    stream_update(s);
}

void run_queue(worker* w)
{
    while (stream* s = w->runq_head) {
        w->runq_head = s->run_next;
        if (!w->runq_head)
            w->runq_tail = nullptr;
        stream_process(s);
    }
}

// ---- stream_update: the I/O to issue ---------------------------------------------------------

// Recv/send submissions: only chan_update() issues them; kept static here so that they
// stay inlined into it (keep-alive hot path).
static void post_recv(stream* s, uint32_t dir)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    if (!chan_ensure(w, c)) [[unlikely]] {
        stream_oom(s);
        return;
    }
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

// Sends the connection's preamble (stream_srv_prepend) before any channel byte.
static void post_pre(stream* s, conn* dst)
{
    dst->tx_pre = true;
    s->w->poller->send(dst->fd, dst->pre + dst->pre_off, (uint32_t)(dst->pre_len - dst->pre_off),
                       &dst->tx);
}

static void post_send(stream* s, uint32_t dir)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    conn* dst = dst_of(s, dir);
    buf_ref(c.buf);
    dst->tx_buf = c.buf;
    w->poller->send(dst->fd, c.buf + c.head, c.fwd - c.head, &dst->tx);
}

static void chan_update(stream* s, uint32_t dir)
{
    chan& c = s->ch[dir];
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    if (dst && dst->state == conn_state::ready && !dst->tx.busy) {
        if (dst->pre)
            post_pre(s, dst);
        else if (dst->x) [[unlikely]]
            xprt_tx(s, dir, dst); // the preamble (PROXY header) goes before the transport's
        else if (c.fwd > c.head)
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
    if (src && src->state == conn_state::ready &&
        !(c.flags & (PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_PAUSED)) &&
        s->closing == close_mode::none) {
        if (src->x) [[unlikely]]
            xprt_rx(s, dir, src); // decodes even while its raw recv is in flight
        else if (!src->rx.busy)
            post_recv(s, dir);
    }
}

static bool chan_flushed(stream* s, uint32_t dir)
{
    conn* dst = dst_of(s, dir);
    if (!dst || dst->state != conn_state::ready)
        return true;
    const chan& c = s->ch[dir];
    return c.head == c.fwd && !dst->tx.busy && !(dst->x && xprt_tx_pending(dst));
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

void stream_oom(stream* s)
{
    if (s->closing == close_mode::dead)
        return; // already going away (e.g. from stream_free)
    PTC_WARN("frontend %s: out of memory, connection closed", s->fe->name.c_str());
    s->closing = close_mode::dead;
    stream_enqueue(s, 0);
}

// ---- timers ------------------------------------------------------------------------------------

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
    if (side == PTC_TMO_SERVER && s->srvc &&
        (s->srvc->state == conn_state::connecting || (s->srvc->x && s->srvc->x->hold))) {
        connect_failed(s, PTC_SRVERR_CTIMEOUT);
        return;
    }
    stream_enqueue(s, side == PTC_TMO_CLIENT ? PTC_EV_CLI_TIMEOUT : PTC_EV_SRV_TIMEOUT);
}

// ---- stream life ----------------------------------------------------------------------------

stream* stream_new(listener* l, int fd, bool fe_reserved)
{
    worker* w = l->w;
    void* mem = w->stream_pool.get();
    if (!mem) [[unlikely]] {
        PTC_WARN("frontend %s: out of memory, connection closed", l->fe->name.c_str());
        close(fd);
        if (fe_reserved && l->fe->shared)
            l->fe->shared->cur_conns.fetch_sub(1, std::memory_order_relaxed);
        return nullptr;
    }
    std::memset(mem, 0, sizeof(stream) + w->state_size + w->modstate_size);
    stream* s = new (mem) stream();
    s->w = w;
    s->sess_id = (uint64_t(w->slot + 1) << 48) | (++w->sess_serial & 0xffffffffffffull);
    s->fe = l->fe;
    s->bind = l->bind;
    s->proto = l->fe->proto;
    modstate_attach(s);
    s->cli = conn_new(w, fd, s, PTC_DIR_REQ);
    if (!s->cli) [[unlikely]] {
        PTC_WARN("frontend %s: out of memory, connection closed", l->fe->name.c_str());
        close(fd);
        s->~stream();
        w->stream_pool.put(mem);
        if (fe_reserved && l->fe->shared)
            l->fe->shared->cur_conns.fetch_sub(1, std::memory_order_relaxed);
        return nullptr;
    }
    s->cli->state = conn_state::ready;
    s->cli_addrlen = sizeof(s->cli_addr);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&s->cli_addr), &s->cli_addrlen) < 0)
        s->cli_addrlen = 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const proxy* fe = l->fe;
    if (fe->cli_ka) [[unlikely]]
        sock_keepalive(fd, fe->cli_ka_cnt, fe->cli_ka_idle, fe->cli_ka_intvl);
    if (fe->nolinger) [[unlikely]]
        sock_nolinger(fd);
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
        lb_own(lb_own_kind::fe, s->fe->index, 1); // reclaimed if this worker dies
        if (!fe_reserved)
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
    if (!conn_phase_start(s))
        return s; // waiting for bytes (PROXY header...), or refused
    if (!sess_rules_run(s))
        return s;
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
    log::cap_release(s); // captured values and unique id
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
    if (s->fe->shared) {
        s->fe->shared->cur_conns.fetch_sub(1, std::memory_order_relaxed);
        lb_own(lb_own_kind::fe, s->fe->index, -1);
    }
    s->~stream();
    w->stream_pool.put(s);
    listeners_check_resume();
}

} // namespace portico
