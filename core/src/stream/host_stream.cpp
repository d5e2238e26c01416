// SPDX-License-Identifier: MIT
// The functions behind the ptc_host table's stream_* and chan_* entries: thin adapters
// from the module ABI's handles to the engine (stream_select_backend and
// stream_connect_ex are in backend.cpp).
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "lb/lb.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "stream/stream_int.hpp"

namespace portico {

static inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

ptc_proxy* host_stream_frontend(ptc_stream* s) { return to_handle(S(s)->fe); }
ptc_proxy* host_stream_backend(ptc_stream* s) { return S(s)->be ? to_handle(S(s)->be) : nullptr; }
ptc_server* host_stream_server(ptc_stream* s)
{
    // connected, connecting, or between two attempts on it (the retry turn-around)
    return (S(s)->srvc || S(s)->cx_wait) && S(s)->srv ? to_handle(S(s)->srv) : nullptr;
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
    if (how == PTC_CLOSE_SILENT) {
        if (s->cli && s->cli->fd >= 0)
            sock_silent(s->cli->fd, s->cli_addr.ss_family);
        how = PTC_CLOSE_ABORT;
    }
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
    bool tunnel = which & PTC_TMO_TUNNEL;
    which &= ~(PTC_TMO_FIXED | PTC_TMO_TUNNEL);
    if (which > PTC_TMO_SERVER)
        return;
    s->tmo_fixed[which] = fixed;
    if (tunnel && s->tmo_set_tunnel)
        ms = s->tmo_set_tunnel; // http-request set-timeout tunnel
    else if (ms == PTC_TMO_DEFAULT && which == PTC_TMO_SERVER && s->tmo_set_server)
        ms = s->tmo_set_server; // http-request set-timeout server
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
    switch (which) {
    case PTC_ADDR_CLIENT:
        if (!s->cli_addrlen)
            return 0;
        std::memcpy(out, &s->cli_addr, s->cli_addrlen);
        return s->cli_addrlen;
    case PTC_ADDR_FRONTEND:
        return stream_local_addr(s, out);
    case PTC_ADDR_SERVER:
        if (!s->srv)
            return 0;
        std::memcpy(out, &s->srv->addr, s->srv->addrlen);
        return s->srv->addrlen;
    }
    return 0;
}

void host_stream_wake(ptc_stream* s) { stream_enqueue(S(s), PTC_EV_WAKE); }

// host->stream_set_applet (1.16): from now on the stream's events go to fn (nullptr: back to
// the protocol handler); it is woken at once.
void host_stream_set_applet(ptc_stream* s, ptc_stream_fn fn, void* ctx)
{
    S(s)->applet = fn;
    S(s)->applet_ctx = ctx;
    // logging: a service is a connection established at once (Tw = Tc = 0), as HAProxy
    if (fn && !S(s)->log_t_cstart)
        S(s)->log_t_cstart = S(s)->log_t_cdone = now();
    stream_enqueue(S(s), PTC_EV_WAKE);
}

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
    if (!chan_ensure(s->w, c)) [[unlikely]] {
        stream_oom(s);
        return PTC_ERROR;
    }
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
