// SPDX-License-Identifier: MIT
// Backend glue (HAProxy's backend.c): backend selection, the choice of a server with the
// connect that follows (reused, pooled or new connection), connect retries and
// redispatch, and the hand-over of a slot to a stream waiting in a queue.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lb/lb.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "module/hooks.hpp"
#include "stream/stream_host.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample.hpp"
#include "shm/shm.hpp"
#include "stream/stream_int.hpp"
#include "util/diag.hpp"

namespace portico {

static inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

int host_stream_select_backend(ptc_stream* ps)
{
    stream* s = S(ps);
    proxy* fe = s->fe;
    proxy* be = fe->use_backend.empty() ? nullptr : smp::select_backend(ps, fe);
    if (!be)
        be = fe->default_backend;
    if (!be && (fe->cap & CAP_BE))
        be = fe;
    if (be && !s->be_rate_counted && be->shared) { // be_sess_rate: once per transaction
        s->be_rate_counted = true;
        shm_rate_add(be->shared->be_rate, event::now_ms()); // the loop's cached clock
    }
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

// The address a transparent-like server connects to for stream <s>: the destination of the
// client connection (its address when the server's is 0.0.0.0 or ::, its port when the
// server has none). False when the client connection has no IP destination.
bool server_dst(stream* s, const server* srv, sockaddr_storage& out, socklen_t& len)
{
    sockaddr_storage cd{};
    socklen_t cl = stream_local_addr(s, &cd);
    if (!cl || (cd.ss_family != AF_INET && cd.ss_family != AF_INET6))
        return false;
    uint16_t cport = cd.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&cd)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&cd)->sin6_port;
    if (srv->dst_addr) {
        out = cd;
        len = cl;
    }
    if (!srv->dst_addr && !srv->dst_port)
        return true;
    uint16_t port = srv->dst_port ? cport
                                  : (srv->addr.ss_family == AF_INET
                                         ? reinterpret_cast<const sockaddr_in*>(&srv->addr)->sin_port
                                         : reinterpret_cast<const sockaddr_in6*>(&srv->addr)->sin6_port);
    if (out.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&out)->sin_port = port;
    else if (out.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = port;
    return true;
}

// Opens a connection to <srv> (or takes a pooled one), the stream holding one of its
// slots. Returns false with srv_error set when no socket could be created (slot released);
// when no connection record could be allocated, the stream is also failed (stream_oom).
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
    // a transparent-like server: the client connection's destination address and/or port
    sockaddr_storage dst = srv->addr;
    socklen_t dstlen = srv->addrlen;
    if (((srv->dst_addr || srv->dst_port) && !server_dst(s, srv, dst, dstlen)) ||
        (srv->no_addr && dst.ss_family == AF_INET &&
         reinterpret_cast<const sockaddr_in*>(&dst)->sin_addr.s_addr == htonl(INADDR_ANY))) {
        // ("init-addr none" and no address set since: never connected anywhere)
        s->srv_error = PTC_SRVERR_CONNECT;
        lb_release_slot(srv);
        return false;
    }
    int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        s->srv_error = PTC_SRVERR_CONNECT;
        PTC_WARN("Proxy %s: cannot create a socket for server %s: %s", s->be->name.c_str(),
                 srv->name.c_str(), strerror(errno));
        lb_release_slot(srv);
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const proxy* be = s->be;
    if (be->srv_ka) [[unlikely]]
        sock_keepalive(fd, be->srv_ka_cnt, be->srv_ka_idle, be->srv_ka_intvl);
    if (be->nolinger) [[unlikely]]
        sock_nolinger(fd);
    if (be->smart_connect) [[unlikely]] {
        // the handshake's last ACK leaves with the request's first bytes
        int zero = 0;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
    }
    conn* c = conn_new(w, fd, s, PTC_DIR_RES);
    if (!c) [[unlikely]] {
        close(fd);
        s->srv_error = PTC_SRVERR_CONNECT;
        lb_release_slot(srv);
        stream_oom(s);
        return false;
    }
    c->state = conn_state::connecting;
    srv_attach(s, srv, c);
    srv->shared->cum_conns.fetch_add(1, std::memory_order_relaxed);
    uint64_t ct = s->be->t_connect;
    if (ct)
        w->timers->arm(&s->timer[PTC_TMO_SERVER], now() + ct);
    else
        w->timers->disarm(&s->timer[PTC_TMO_SERVER]);
    w->poller->connect(fd, reinterpret_cast<const sockaddr*>(&dst), dstlen, &c->cx);
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

} // namespace

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
    if (srv && hooks_present(PTC_PHASE_SRV_ERROR)) {
        // ABI 1.4: each failed attempt, before the retry or redispatch
        int prev = s->srv_error;
        s->srv_error = err;
        run_hooks(s, PTC_PHASE_SRV_ERROR);
        s->srv_error = prev;
    }
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

// "option prefer-last-server": the stream holds an established connection to a usable
// server of its backend, and the algorithm is not a hash (as HAProxy: for roundrobin,
// static-rr, leastconn, first).
static bool prefer_last(const stream* s)
{
    const proxy* be = s->be;
    if (!be->prefer_last || !s->srvc || s->srvc->state != conn_state::ready || !s->srv ||
        !lb_usable(s->srv))
        return false;
    bool mine = false;
    for (auto& sv : be->servers)
        mine |= sv.get() == s->srv;
    lb_algo a = be->lbconf.algo;
    return mine && (a == lb_algo::roundrobin || a == lb_algo::static_rr ||
                    a == lb_algo::leastconn || a == lb_algo::first || a == lb_algo::leasttime);
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
    // not reused: the server closed it (its watch had not told yet), or it carried the last
    // transaction's own bytes (stream_srv_once)
    if (s->srvc && s->srv_idle && (!idle_conn_usable(s->srvc) || s->srvc->once))
        srv_conn_close(s);
    server* srv = nullptr;
    int r;
    if (hooks_present(PTC_PHASE_SERVER_CHOICE) && server_choice_hooks(s, &srv, &r)) {
        // persistence chose
    } else if (prefer_last(s) && lb_take_slot(s->srv)) {
        srv = s->srv; // "option prefer-last-server": the connection held stays in use
        r = LB_OK;
    } else {
        r = lb_pick(s->be, s, nullptr, &srv);
    }
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

} // namespace portico
