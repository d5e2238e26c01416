// SPDX-License-Identifier: MIT
// Module tasks (ABI 1.3, task.h) on the worker's timer wheel, the run lists of tasks and
// outgoing connections, and the loop hook that drains them (tasks_run, from worker_run).
//
// A task is either sleeping, armed on the timer wheel (a future time), or on the run list
// (due). Its timer callback only moves it to the run list; tasks_run() calls the module.
// Each turn of tasks_run() only takes what was queued before it started (run_seq), so a
// task that re-schedules itself in the past, or a connection that gets events from a
// callback, waits for the next loop turn and the poller keeps being served.
#include "stream/task.hpp"

#include <unistd.h>

#include <new>

#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

inline task_rec* T(ptc_task* t) { return reinterpret_cast<task_rec*>(t); }

void task_unqueue(task_sched* ts, task_rec* t)
{
    if (!t->queued)
        return;
    if (t->run_prev)
        t->run_prev->run_next = t->run_next;
    else
        ts->t_head = t->run_next;
    if (t->run_next)
        t->run_next->run_prev = t->run_prev;
    else
        ts->t_tail = t->run_prev;
    t->run_prev = t->run_next = nullptr;
    t->queued = false;
}

void task_enqueue(task_sched* ts, task_rec* t)
{
    if (t->queued)
        return;
    t->queued = true;
    t->run_seq = ts->seq;
    t->run_next = nullptr;
    t->run_prev = ts->t_tail;
    if (ts->t_tail)
        ts->t_tail->run_next = t;
    else
        ts->t_head = t;
    ts->t_tail = t;
}

void on_task_timer(event::timer* tm)
{
    task_rec* t = static_cast<task_rec*>(tm->data);
    task_enqueue(task_sched_of(t->w), t);
}

void task_destroy(task_rec* t)
{
    task_sched* ts = task_sched_of(t->w);
    task_unqueue(ts, t);
    t->w->timers->disarm(&t->tm);
    ts->ntasks--;
    delete t;
}

void conn_unqueue(task_sched* ts, outconn* c)
{
    if (!c->queued)
        return;
    if (c->run_prev)
        c->run_prev->run_next = c->run_next;
    else
        ts->c_head = c->run_next;
    if (c->run_next)
        c->run_next->run_prev = c->run_prev;
    else
        ts->c_tail = c->run_prev;
    c->run_prev = c->run_next = nullptr;
    c->queued = false;
}

} // namespace

task_sched* task_sched_of(worker* w)
{
    if (!w->tsched)
        w->tsched = new task_sched();
    return w->tsched;
}

bool tasks_pending(const worker* w)
{
    return w->tsched && (w->tsched->t_head || w->tsched->c_head);
}

void outconn_enqueue(outconn* c, uint32_t events)
{
    c->events |= events;
    if (c->queued || c->closed)
        return;
    task_sched* ts = task_sched_of(c->w);
    c->queued = true;
    c->run_seq = ts->seq;
    c->run_next = nullptr;
    c->run_prev = ts->c_tail;
    if (ts->c_tail)
        ts->c_tail->run_next = c;
    else
        ts->c_head = c;
    ts->c_tail = c;
}

void outconn_unqueue(outconn* c) { conn_unqueue(task_sched_of(c->w), c); }

void tasks_run(worker* w)
{
    task_sched* ts = w->tsched;
    if (!ts)
        return;
    uint64_t seq = ts->seq++;
    // connections first: their events are older than what the tasks below will cause
    while (outconn* c = ts->c_head) {
        if (c->run_seq > seq)
            break;
        conn_unqueue(ts, c);
        outconn_deliver(c);
    }
    while (task_rec* t = ts->t_head) {
        if (t->run_seq > seq)
            break;
        task_unqueue(ts, t);
        t->running = true;
        uint64_t next = t->fn(reinterpret_cast<ptc_task*>(t), t->ctx);
        t->running = false;
        if (t->freed)
            task_destroy(t);
        else if (next)
            host_task_schedule(reinterpret_cast<ptc_task*>(t), next);
    }
}

// ---- host functions -------------------------------------------------------------------------

int host_worker_slot() { return g_worker ? g_worker->slot : -1; }

uint32_t host_worker_count()
{
    if (const shm_header* h = shm_get())
        if (h->nworkers)
            return h->nworkers;
    uint32_t n = g_config ? g_config->global.workers : 0;
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (uint32_t)c : 1;
    }
    return n;
}

ptc_task* host_task_new(ptc_modref* self, ptc_task_fn fn, void* ctx)
{
    worker* w = g_worker;
    if (!w || !fn) {
        if (!w)
            PTC_WARN("module %s: task_new() outside a worker",
                     self ? to_module(self)->name.c_str() : "?");
        return nullptr;
    }
    task_rec* t = new (std::nothrow) task_rec();
    if (!t)
        return nullptr;
    t->w = w;
    t->mod = self ? to_module(self) : nullptr;
    t->fn = fn;
    t->ctx = ctx;
    t->tm.fn = on_task_timer;
    t->tm.data = t;
    task_sched_of(w)->ntasks++;
    return reinterpret_cast<ptc_task*>(t);
}

void host_task_schedule(ptc_task* pt, uint64_t at_ms)
{
    task_rec* t = T(pt);
    if (!t || t->freed)
        return;
    task_sched* ts = task_sched_of(t->w);
    if (at_ms == 0 || at_ms <= event::now_ms()) {
        t->w->timers->disarm(&t->tm);
        task_enqueue(ts, t);
        return;
    }
    task_unqueue(ts, t);
    t->w->timers->arm(&t->tm, at_ms);
}

void host_task_free(ptc_task* pt)
{
    task_rec* t = T(pt);
    if (!t || t->freed)
        return;
    if (t->running) { // from its own callback: freed when it returns
        t->freed = true;
        task_unqueue(task_sched_of(t->w), t);
        t->w->timers->disarm(&t->tm);
        return;
    }
    task_destroy(t);
}

} // namespace portico
