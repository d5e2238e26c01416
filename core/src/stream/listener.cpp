// SPDX-License-Identifier: MIT
// Listeners: multishot accept into new streams, pausing at the global / frontend maxconn
// (or on descriptor and memory shortages) and resuming when slots free up.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream_int.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

// The limits live in shm: the runtime API changes them ("set maxconn global|frontend",
// "set rate-limit connections global", "disable frontend") for every worker at once.
bool over_limits(listener* l)
{
    shm_header* h = shm_get();
    if (h) {
        uint32_t gmax = h->rt_maxconn.load(std::memory_order_relaxed);
        if (gmax && h->cur_conns.load(std::memory_order_relaxed) >= gmax)
            return true;
        uint32_t rl = h->conn_rate_lim.load(std::memory_order_relaxed);
        if (rl && shm_conn_rate(h, now()) >= rl)
            return true;
    }
    if (shm_proxy* sp = l->fe->shared) {
        uint32_t fmax = sp->fe_maxconn.load(std::memory_order_relaxed);
        if (fmax && sp->cur_conns.load(std::memory_order_relaxed) >= fmax)
            return true;
        if (sp->fe_state.load(std::memory_order_relaxed) != FE_ST_OPEN)
            return true;
        uint32_t rl = sp->fe_rate_lim.load(std::memory_order_relaxed);
        if (rl && shm_rate_read(sp->fe_rate, now()) >= rl)
            return true; // "rate-limit sessions": accepting resumes when the rate drops
    }
    return false;
}

// Takes one of the frontend's maxconn slots (counted in its cur_conns for every worker at
// once), so that connections accepted in flight never exceed the limit. True when no
// limit applies or a slot was taken; the stream then owns the count.
// "rate-limit sessions": true while the frontend's session rate is below its limit.
bool fe_rate_ok(listener* l)
{
    shm_proxy* sp = l->fe->shared;
    uint32_t rl = sp ? sp->fe_rate_lim.load(std::memory_order_relaxed) : 0;
    return !rl || shm_rate_read(sp->fe_rate, now()) < rl;
}

bool fe_reserve(listener* l, bool& reserved)
{
    reserved = false;
    shm_proxy* sp = l->fe->shared;
    if (!sp)
        return true;
    uint32_t fmax = sp->fe_maxconn.load(std::memory_order_relaxed);
    if (!fmax)
        return true;
    uint32_t cur = sp->cur_conns.load(std::memory_order_relaxed);
    do {
        if (cur >= fmax)
            return false;
    } while (!sp->cur_conns.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
    reserved = true;
    return true;
}

void listener_arm(listener* l)
{
    if (l->armed || l->paused || l->w->stopping || l->w->listen_paused || l->fd < 0)
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

} // namespace

void listeners_check_resume()
{
    worker* w = g_worker;
    if (!w || w->stopping || w->listen_paused)
        return;
    bool still = false;
    for (auto& l : w->listeners) {
        // connections held past the frontend's maxconn go first, in arrival order
        while (!l->parked.empty()) {
            bool reserved;
            if (!fe_rate_ok(l.get()) || !fe_reserve(l.get(), reserved))
                break;
            int fd = l->parked.front();
            l->parked.pop_front();
            if (shm_proxy* sp = l->fe->shared)
                shm_rate_add(sp->fe_rate, now());
            stream_new(l.get(), fd, reserved);
        }
        if (!l->parked.empty()) {
            still = true;
            continue;
        }
        if (!l->paused || l->fd < 0)
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

void listeners_fe_changed()
{
    worker* w = g_worker;
    if (!w)
        return;
    for (auto& l : w->listeners) {
        uint32_t st = l->fe->shared ? l->fe->shared->fe_state.load() : FE_ST_OPEN;
        if (st == FE_ST_STOPPED && l->fd >= 0) {
            // the master closed its copy: ours is the last, the port stops listening
            if (l->acc.busy)
                w->poller->cancel(&l->acc);
            l->paused = true;
            if (l->bind->inherited_fd < 0) {
                w->poller->forget_fd(l->fd); // epoll: a reused fd number must start clean
                close(l->fd);
            }
            l->fd = -1;
        } else if (st == FE_ST_PAUSED && !l->paused) {
            listener_pause(l.get());
        } else if (st == FE_ST_OPEN && l->paused) {
            listeners_check_resume();
        }
    }
}

namespace {

void accept_one(listener* l, int fd, bool force = false);

// Soft stop: this worker's copy of a listening socket goes. The connections already in
// its queue are accepted and served first (when this copy is the last one, closing would
// reset them); the socket itself stays open while the master or newer workers hold it.
void listener_drain_close(listener* l)
{
    worker* w = l->w;
    int fd = l->fd;
    l->fd = -1;
    // held connections are served on the way out (this worker will not accept again)
    while (!l->parked.empty()) {
        int c = l->parked.front();
        l->parked.pop_front();
        stream_new(l, c);
    }
    if (fd < 0 || (l->bind->inherited_fd >= 0 && fd == l->bind->inherited_fd))
        return;
    for (int i = 0; i < 4096; i++) {
        int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            break;
        accept_one(l, c, true);
    }
    w->poller->forget_fd(fd);
    close(fd);
}

void accept_one(listener* l, int fd, bool force)
{
    worker* w = l->w;
    if (shm_header* h = shm_get()) {
        // one writer (this worker): a plain store, no locked add
        auto& acc = h->act[w->slot % k_shm_max_workers].accepted;
        acc.store(acc.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        shm_conn_rate_add(h, now());
    }
    bool reserved = false;
    if (!force && (!l->parked.empty() || !fe_rate_ok(l) || !fe_reserve(l, reserved))) {
        // past the frontend's maxconn or session rate: held unread (as in the kernel's
        // queue) until a connection of this frontend ends or the rate drops
        l->parked.push_back(fd);
        if (!l->paused)
            listener_pause(l);
        return;
    }
    if (shm_proxy* sp = l->fe->shared)
        shm_rate_add(sp->fe_rate, now());
    stream_new(l, fd, reserved);
}

void on_accept(event::completion* ec, int res, uint32_t flags)
{
    listener* l = container_of(ec, &listener::acc);
    worker* w = l->w;
    if (!(flags & event::CF_MORE))
        l->armed = false;
    if (res >= 0) {
        // a connection accepted, even one completing after a soft stop, is served: closing
        // it would reset a client that did nothing wrong
        accept_one(l, res);
        if (!w->stopping && over_limits(l))
            listener_pause(l);
        if (w->stopping && !l->armed)
            listener_drain_close(l); // the accept ended after a soft stop
    } else if (w->stopping) {
        if (!l->armed)
            listener_drain_close(l);
        return;
    } else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) {
        if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
            PTC_WARN("Proxy %s: accept failed: %s; pausing", l->fe->name.c_str(), strerror(-res));
            listener_pause(l);
            return;
        }
        // e.g. EINVAL on a socket that stopped listening (SIGTTOU): look again later
        // rather than spinning
        if (!l->armed) {
            listener_pause(l);
            return;
        }
    }
    if (!l->armed && !l->paused)
        listener_arm(l);
}

} // namespace

void listeners_release()
{
    worker* w = g_worker;
    for (auto& l : w->listeners) {
        if (l->acc.busy) {
            w->poller->cancel(&l->acc); // closed by on_accept at the final completion
            continue;
        }
        listener_drain_close(l.get());
    }
}

bool listeners_busy()
{
    for (auto& l : g_worker->listeners)
        if (l->acc.busy)
            return true;
    return false;
}

void worker_pause_listeners(bool pause)
{
    worker* w = g_worker;
    if (!w || w->stopping || w->listen_paused == pause)
        return;
    w->listen_paused = pause;
    for (auto& l : w->listeners) {
        if (pause) {
            if (l->acc.busy)
                w->poller->cancel(&l->acc);
        } else {
            l->paused = l->fd < 0;
        }
    }
    if (!pause)
        for (auto& l : w->listeners)
            listener_arm(l.get());
}

void listeners_init(worker* w, int slot)
{
    w->resume_timer.fn = on_resume_timer;
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        for (auto& b : p->binds) {
            // socket j of the bind is this worker's when j % workers == slot (the master
            // may hold more sockets than there are workers, after a reload)
            std::vector<int> fds;
            if (b->inherited_fd >= 0)
                fds.push_back(b->inherited_fd);
            else if (b->shared_socket()) // a UNIX socket: every worker accepts from it
                fds = b->fds;
            else
                for (size_t j = 0; j < b->fds.size(); j++)
                    if (j % w->nworkers == (size_t)slot % w->nworkers)
                        fds.push_back(b->fds[j]);
            for (int fd : fds) {
                auto l = std::make_unique<listener>();
                l->fd = fd;
                if (p->shared && p->shared->fe_state.load() == FE_ST_STOPPED)
                    l->fd = -1; // "shutdown frontend" before this worker started
                l->paused = l->fd < 0;
                l->fe = p.get();
                l->bind = b.get();
                l->w = w;
                l->acc.fn = on_accept;
                // HTTP answers right away: the response carries the ACK of the request
                // ("option tcp-smart-accept" forces it on or off)
                l->quickack_off = p->smart_accept < 0 ? p->mode == px_mode::http
                                                      : p->smart_accept == 1;
                w->listeners.push_back(std::move(l));
            }
        }
    }
    for (auto& l : w->listeners)
        listener_arm(l.get());
}

} // namespace portico
