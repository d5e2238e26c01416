// SPDX-License-Identifier: MIT
// The worker: engine setup in a worker process (pools, poller, timers, listeners), the
// loop (poll, timers, run queue), and soft / fast stop.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "event/clock.hpp"
#include "lb/lb.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "cli/cli.hpp"
#include "sample/patref.hpp"
#include "shm/shm.hpp"
#include "stream/stream_int.hpp"
#include "stream/task.hpp"
#include "util/diag.hpp"

namespace portico {

worker* g_worker;

bool worker_setup(int slot, uint32_t nworkers, std::string& err)
{
    worker* w = new worker();
    g_worker = w;
    w->slot = slot;
    w->nworkers = nworkers ? nworkers : 1;
    const config& cfg = *g_config;
    w->bufsize = cfg.global.bufsize;
    w->bufcap = cfg.global.bufsize;
    w->maxrewrite = std::min(cfg.global.maxrewrite, cfg.global.bufsize / 2);
    w->global_maxconn = cfg.global.maxconn;
    w->state_size = 0;
    for (auto& m : g_modules.all())
        for (const ptc_proto& p : m->protos)
            w->state_size = std::max(w->state_size, p.state_size);
    w->state_size = (w->state_size + 15) & ~15u; // module states follow, 16-aligned
    modstate_layout(w);
    w->stream_pool.init(sizeof(stream) + w->state_size + w->modstate_size, 64);
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
    w->pool_timer.fn = on_pool_timer;
    w->pool.assign(cfg.server_count, nullptr);
    lb_worker_init(slot);
    w->pool_count.assign(cfg.server_count, 0);
    listeners_init(w, slot);
    if (shm_header* h = shm_get()) {
        w->shut_seen = h->shut_gen.load();
        w->fe_seen = h->fe_gen.load();
        w->srv_shut_seen.resize(h->nservers);
        for (uint32_t i = 0; i < h->nservers; i++)
            w->srv_shut_seen[i] = shm_server_slot(i)->shut_gen.load();
    }
    return true;
}

namespace {

// server_shutdown_streams (ABI 1.4) asked for the streams of some servers to go: close this
// worker's streams connected, connecting or queued for one of them (HAProxy's
// "on-marked-down shutdown-sessions"). The caller woke every worker through its eventfd.
void shutdown_marked_streams(worker* w, shm_header* h)
{
    w->shut_seen = h->shut_gen.load(std::memory_order_acquire);
    std::vector<bool> hit(w->srv_shut_seen.size());
    bool any = false;
    for (uint32_t i = 0; i < w->srv_shut_seen.size(); i++) {
        uint64_t g = shm_server_slot(i)->shut_gen.load();
        if (g != w->srv_shut_seen[i]) {
            w->srv_shut_seen[i] = g;
            hit[i] = true;
            any = true;
        }
    }
    if (!any)
        return;
    for (stream* s = w->all; s; s = s->all_next) {
        if (!s->srv || s->srv->index >= hit.size() || !hit[s->srv->index] ||
            s->closing == close_mode::dead)
            continue;
        s->closing = close_mode::dead;
        stream_enqueue(s, 0);
    }
}

} // namespace

namespace {

// An HTTP client connection between two transactions: at least one exchange done, no
// request byte since, nothing left to send, no server exchange in progress. Closing it
// is what the client expects of an idle keep-alive connection.
bool stream_idle_keepalive(const stream* s)
{
    if (s->fe->mode != px_mode::http || !s->log_txn_done || s->log_t_first ||
        s->closing != close_mode::none || s->cphase || s->q_id)
        return false;
    for (const chan& c : s->ch)
        if (c.tail != c.head)
            return false;
    if (s->cli && (s->cli->tx.busy || s->cli->x))
        return false;
    return !s->srvc || s->srv_idle;
}

// How long a keep-alive connection stays idle after a soft stop before it is closed. A
// client between two requests usually sends the next one within this delay; its response
// then says "Connection: close" (stop_hook.cpp) and the client leaves cleanly, rather than
// racing its request against our close.
constexpr uint64_t k_stop_idle_ms = 100;

// Soft stop: closes the idle keep-alive connections (checked every 50 ms; each busy one
// once it has been idle k_stop_idle_ms); ends the worker at the hard-stop-after deadline.
void on_stop_timer(event::timer*)
{
    worker* w = g_worker;
    if (w->hard_stop_at && now() >= w->hard_stop_at) {
        w->exit_now = true;
        return;
    }
    uint64_t t = now();
    for (stream* s = w->all; s; s = s->all_next) {
        if (!stream_idle_keepalive(s)) {
            s->stop_idle_at = 0;
            continue;
        }
        if (!s->stop_idle_at)
            s->stop_idle_at = t;
        if (t - s->stop_idle_at < k_stop_idle_ms)
            continue;
        s->closing = close_mode::flush;
        s->nolinger = false;
        stream_enqueue(s, 0);
    }
    uint64_t next = now() + 50;
    if (w->hard_stop_at && w->hard_stop_at < next)
        next = w->hard_stop_at;
    w->timers->arm(&w->stop_timer, next);
}

} // namespace

void worker_soft_stop()
{
    worker* w = g_worker;
    if (!w || w->stopping)
        return;
    w->stopping = true;
    listeners_release();
    if (g_config->global.hard_stop_after)
        w->hard_stop_at = now() + g_config->global.hard_stop_after;
    w->stop_timer.fn = on_stop_timer;
    on_stop_timer(&w->stop_timer);
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
        // a soft stop ends when every stream is done and no accept may still deliver one
        if (w->stopping && w->nstreams == 0 && !listeners_busy())
            break;
        bool work = w->runq_head || tasks_pending(w);
        int tmo = work ? 0 : w->timers->next_timeout_ms(event::now_ms());
        int r = w->poller->run_once(tmo);
        if (r < 0 && r != -EINTR) {
            PTC_ALERT("event loop failure: %s", strerror(-r));
            break;
        }
        event::update_clock();
        if (shm_header* h = shm_get()) {
            shm_activity& a = h->act[w->slot % k_shm_max_workers];
            a.loops.store(a.loops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            if (r > 0)
                a.poll_io.store(a.poll_io.load(std::memory_order_relaxed) + 1,
                                std::memory_order_relaxed);
            else if (r == 0 && tmo != 0)
                a.poll_exp.store(a.poll_exp.load(std::memory_order_relaxed) + 1,
                                 std::memory_order_relaxed);
            if (h->shut_gen.load(std::memory_order_relaxed) != w->shut_seen)
                shutdown_marked_streams(w, h);
            sesstab_serve(w); // "show sess", "shutdown session" (cli/sessions.cpp)
            smp::patref_worker_turn(); // runtime map/ACL changes (sample/patref.cpp)
            if (h->fe_gen.load(std::memory_order_relaxed) != w->fe_seen) {
                w->fe_seen = h->fe_gen.load(std::memory_order_acquire);
                listeners_fe_changed();
            }
        }
        w->timers->run(event::now_ms());
        tasks_run(w); // module tasks and outgoing connections (task.cpp)
        run_queue(w);
    }
}

} // namespace portico
