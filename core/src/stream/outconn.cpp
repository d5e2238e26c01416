// SPDX-License-Identifier: MIT
// Outgoing connections owned by a module, without a client stream (ABI 1.3, task.h): a
// socket driven directly on the poller, with the completion records embedded in the object
// as the stream engine does for its connections.
//
// Rules:
//  - completion and timer callbacks only record what happened and queue the connection on
//    the run list (task.cpp); the module's callback runs from tasks_run(), once per turn,
//    with every accumulated PTC_CEV_* bit, and the I/O to issue is decided after it
//    (outconn_update) or right in the host call that changed the buffers;
//  - an in-flight recv writes into in[in_tail, cap) and an in-flight send reads from
//    out[out_head, ...): neither buffer is compacted under its operation;
//  - conn_close() closes the socket and cancels what is in flight; the object (and its
//    buffers) is freed once the last completion arrived and its callback returned.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "module/module.hpp"
#include "stream/stream.hpp"
#include "stream/task.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

inline outconn* C(ptc_conn* c) { return reinterpret_cast<outconn*>(c); }

template <typename M> outconn* owner_of(M* p, M outconn::*member)
{
    return reinterpret_cast<outconn*>(reinterpret_cast<char*>(p) -
                                      reinterpret_cast<size_t>(&(static_cast<outconn*>(nullptr)->*member)));
}

void maybe_free(outconn* c)
{
    if (!c->closed || c->busy() || c->in_cb)
        return;
    task_sched_of(c->w)->nconns--;
    std::free(c->in); // one block: in, then out
    delete c;
}

// Issues the I/O the connection's state calls for (never calls the module).
void outconn_update(outconn* c)
{
    if (c->listening) { // wait for the next connection (conn_accept takes them)
        if (!c->closed && !c->cx.busy && !(c->flags & PTC_CONN_ERROR) && c->fd >= 0)
            c->w->poller->poll_in(c->fd, &c->cx);
        return;
    }
    if (c->closed || !c->connected || (c->flags & PTC_CONN_ERROR) || c->fd < 0)
        return;
    worker* w = c->w;
    if (!c->rx.busy && !(c->flags & PTC_CONN_EOF)) {
        if (c->in_head == c->in_tail) {
            c->in_head = c->in_tail = 0;
        } else if (c->in_tail == k_oc_bufsize && c->in_head > 0) {
            std::memmove(c->in, c->in + c->in_head, c->in_tail - c->in_head);
            c->in_tail -= c->in_head;
            c->in_head = 0;
        }
        if (c->in_tail < k_oc_bufsize)
            w->poller->recv(c->fd, c->in + c->in_tail, k_oc_bufsize - c->in_tail, &c->rx);
    }
    if (!c->tx.busy && c->out_tail > c->out_head)
        w->poller->send(c->fd, c->out + c->out_head, c->out_tail - c->out_head, &c->tx);
    if (c->shutw && !c->shut_done && !c->tx.busy && c->out_head == c->out_tail) {
        shutdown(c->fd, SHUT_WR);
        c->shut_done = true;
    }
}

void fail(outconn* c, int err)
{
    if (!c->err)
        c->err = err;
    c->flags |= PTC_CONN_ERROR;
    outconn_enqueue(c, PTC_CEV_ERROR);
}

void on_rx(event::completion* ec, int res, uint32_t)
{
    outconn* c = owner_of(ec, &outconn::rx);
    if (c->closed) {
        maybe_free(c);
        return;
    }
    if (res > 0) {
        c->in_tail += (uint32_t)res;
        outconn_enqueue(c, PTC_CEV_DATA);
    } else if (res == 0) {
        c->flags |= PTC_CONN_EOF;
        outconn_enqueue(c, PTC_CEV_DATA);
    } else if (res == -ECANCELED || res == -EAGAIN || res == -EINTR) {
        outconn_enqueue(c, 0);
    } else {
        fail(c, -res);
    }
}

void on_tx(event::completion* ec, int res, uint32_t)
{
    outconn* c = owner_of(ec, &outconn::tx);
    if (c->closed) {
        maybe_free(c);
        return;
    }
    if (res > 0) {
        c->out_head += (uint32_t)res;
        if (c->out_head == c->out_tail) {
            c->out_head = c->out_tail = 0;
            outconn_enqueue(c, PTC_CEV_SENT);
        } else {
            outconn_enqueue(c, 0); // the rest goes out after the delivery turn
        }
    } else if (res == 0 || res == -ECANCELED || res == -EAGAIN || res == -EINTR) {
        outconn_enqueue(c, 0);
    } else {
        fail(c, -res);
    }
}

void on_cx(event::completion* ec, int res, uint32_t)
{
    outconn* c = owner_of(ec, &outconn::cx);
    if (c->closed) {
        maybe_free(c);
        return;
    }
    if (res == 0) {
        c->connected = true;
        outconn_enqueue(c, PTC_CEV_CONNECTED);
    } else {
        fail(c, res == -ECANCELED ? ECONNABORTED : -res);
    }
}

// The listening socket is readable: connections wait.
void on_lx(event::completion* ec, int res, uint32_t)
{
    outconn* c = owner_of(ec, &outconn::cx);
    if (c->closed) {
        maybe_free(c);
        return;
    }
    if (res >= 0)
        outconn_enqueue(c, PTC_CEV_ACCEPT);
    else if (res == -ECANCELED || res == -EAGAIN || res == -EINTR)
        outconn_enqueue(c, 0);
    else
        fail(c, -res);
}

void on_timer(event::timer* t)
{
    outconn* c = static_cast<outconn*>(t->data);
    outconn_enqueue(c, PTC_CEV_TIMEOUT);
}

// A connection object for socket <fd> (closed on failure, errno ENOMEM).
outconn* make(worker* w, module_rec* mod, int fd, ptc_conn_fn cb, void* ctx)
{
    char* bufs = static_cast<char*>(std::malloc(2 * (size_t)k_oc_bufsize));
    outconn* c = bufs ? new (std::nothrow) outconn() : nullptr;
    if (!c) {
        std::free(bufs);
        close(fd);
        errno = ENOMEM;
        return nullptr;
    }
    c->w = w;
    c->mod = mod;
    c->cb = cb;
    c->ctx = ctx;
    c->fd = fd;
    c->in = bufs;
    c->out = bufs + k_oc_bufsize;
    c->rx.fn = on_rx;
    c->tx.fn = on_tx;
    c->cx.fn = on_cx;
    c->tm.fn = on_timer;
    c->tm.data = c;
    task_sched_of(w)->nconns++;
    return c;
}

} // namespace

void outconn_deliver(outconn* c)
{
    if (c->closed)
        return;
    uint32_t ev = c->events;
    c->events = 0;
    if (ev) {
        c->in_cb = true;
        c->cb(reinterpret_cast<ptc_conn*>(c), c->ctx, ev);
        c->in_cb = false;
        if (c->closed) {
            maybe_free(c);
            return;
        }
    }
    outconn_update(c);
}

// ---- host functions -------------------------------------------------------------------------

ptc_conn* host_conn_new(ptc_modref* self, const sockaddr* addr, socklen_t len,
                        const sockaddr* src, socklen_t srclen, ptc_conn_fn cb, void* ctx)
{
    worker* w = g_worker;
    if (!w || !cb || !addr || len < sizeof(sa_family_t) ||
        (addr->sa_family != AF_INET && addr->sa_family != AF_INET6 &&
         addr->sa_family != AF_UNIX)) {
        if (!w)
            PTC_WARN("module %s: conn_new() outside a worker",
                     self ? to_module(self)->name.c_str() : "?");
        errno = w ? EINVAL : EPERM;
        return nullptr;
    }
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nullptr;
    if (addr->sa_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (src && srclen && bind(fd, src, srclen) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return nullptr;
    }
    outconn* c = make(w, self ? to_module(self) : nullptr, fd, cb, ctx);
    if (!c)
        return nullptr;
    w->poller->connect(fd, addr, len, &c->cx);
    return reinterpret_cast<ptc_conn*>(c);
}

ptc_conn* host_conn_listen(ptc_modref* self, const sockaddr* addr, socklen_t len, int fd, ptc_conn_fn cb,
                           void* ctx)
{
    worker* w = g_worker;
    if (!w || !cb ||
        (fd < 0 && (!addr || len < sizeof(sa_family_t) ||
                    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)))) {
        if (!w)
            PTC_WARN("module %s: conn_listen() outside a worker",
                     self ? to_module(self)->name.c_str() : "?");
        errno = w ? EINVAL : EPERM;
        return nullptr;
    }
    bool own = fd < 0;
    if (own) {
        fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return nullptr;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        if (addr->sa_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, addr, len) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            return nullptr;
        }
    } else {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return nullptr;
    }
    if (listen(fd, 128) != 0) {
        int e = errno;
        if (own)
            close(fd);
        errno = e;
        return nullptr;
    }
    outconn* c = make(w, self ? to_module(self) : nullptr, fd, cb, ctx); // closes fd on failure
    if (!c)
        return nullptr;
    c->listening = true;
    c->cx.fn = on_lx;
    outconn_update(c);
    return reinterpret_cast<ptc_conn*>(c);
}

ptc_conn* host_conn_accept(ptc_conn* pl, ptc_conn_fn cb, void* ctx, sockaddr_storage* from, socklen_t* fromlen)
{
    outconn* l = C(pl);
    if (!l || !l->listening || l->closed || !cb) {
        errno = EINVAL;
        return nullptr;
    }
    sockaddr_storage ss{};
    socklen_t sl = sizeof(ss);
    int fd = accept4(l->fd, reinterpret_cast<sockaddr*>(&ss), &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return nullptr;
    if (ss.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    outconn* c = make(l->w, l->mod, fd, cb, ctx);
    if (!c)
        return nullptr;
    if (from)
        *from = ss;
    if (fromlen)
        *fromlen = sl;
    c->connected = true;
    outconn_update(c); // the first recv
    return reinterpret_cast<ptc_conn*>(c);
}

size_t host_conn_send(ptc_conn* pc, const void* data, size_t len)
{
    outconn* c = C(pc);
    if (c->closed || (c->flags & PTC_CONN_ERROR) || c->shutw)
        return 0;
    if (!c->tx.busy && c->out_head > 0) { // nothing reads the buffer: move the rest down
        std::memmove(c->out, c->out + c->out_head, c->out_tail - c->out_head);
        c->out_tail -= c->out_head;
        c->out_head = 0;
    }
    size_t n = std::min<size_t>(len, k_oc_bufsize - c->out_tail);
    if (!n)
        return 0;
    std::memcpy(c->out + c->out_tail, data, n);
    c->out_tail += (uint32_t)n;
    outconn_update(c); // a send may start now (submitting never calls back)
    return n;
}

uint32_t host_conn_data(ptc_conn* pc, ptc_str* in)
{
    outconn* c = C(pc);
    if (in) {
        in->ptr = c->in + c->in_head;
        in->len = c->in_tail - c->in_head;
    }
    return c->flags;
}

void host_conn_consume(ptc_conn* pc, size_t n)
{
    outconn* c = C(pc);
    n = std::min<size_t>(n, c->in_tail - c->in_head);
    c->in_head += (uint32_t)n;
    if (c->in_head == c->in_tail && !c->rx.busy)
        c->in_head = c->in_tail = 0;
    outconn_update(c); // the buffer may have had no room for a recv
}

void host_conn_shutw(ptc_conn* pc)
{
    outconn* c = C(pc);
    c->shutw = true;
    outconn_update(c);
}

void host_conn_set_timeout(ptc_conn* pc, uint64_t ms)
{
    outconn* c = C(pc);
    if (c->closed)
        return;
    if (ms)
        c->w->timers->arm(&c->tm, event::now_ms() + ms);
    else
        c->w->timers->disarm(&c->tm);
}

int host_conn_error(ptc_conn* pc) { return C(pc)->err; }

socklen_t host_conn_addr(ptc_conn* pc, uint32_t which, struct sockaddr_storage* out)
{
    outconn* c = C(pc);
    if (!c || c->closed || c->fd < 0 || !out)
        return 0;
    socklen_t n = sizeof(*out);
    int r = which == PTC_CONN_ADDR_LOCAL ? getsockname(c->fd, (sockaddr*)out, &n)
                                         : getpeername(c->fd, (sockaddr*)out, &n);
    return r == 0 ? n : 0;
}

void host_conn_abort(ptc_conn* pc)
{
    outconn* c = C(pc);
    if (c && !c->closed && c->fd >= 0) {
        linger l{1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    host_conn_close(pc);
}

void host_conn_close(ptc_conn* pc)
{
    outconn* c = C(pc);
    if (!c || c->closed)
        return;
    worker* w = c->w;
    outconn_unqueue(c);
    c->closed = true;
    c->events = 0;
    w->timers->disarm(&c->tm);
    w->poller->close_socket(c->fd, c->rx, c->tx, c->cx);
    maybe_free(c);
}

} // namespace portico
