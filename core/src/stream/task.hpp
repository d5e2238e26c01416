// SPDX-License-Identifier: MIT
// Module tasks and outgoing connections without a client stream (ABI 1.3, task.h), run by
// the worker's event loop: task.cpp (tasks, the run lists, the loop hook) and outconn.cpp
// (connections on the poller).
//
// Nothing here calls a module from inside a host function: completions and timers only
// record what happened and put the object on a run list; tasks_run(), called once per loop
// turn by worker_run() after the timers, runs the due tasks and delivers the accumulated
// connection events. Something queued while tasks_run() works waits for the next turn.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include <portico/portico.h>

#include "event/poller.hpp"
#include "event/timers.hpp"

namespace portico {

struct worker;
struct module_rec;

// A task (ptc_task is a task_rec).
struct task_rec {
    worker* w = nullptr;
    module_rec* mod = nullptr;
    ptc_task_fn fn = nullptr;
    void* ctx = nullptr;
    event::timer tm;             // the wake-up time (tm.data = this)
    task_rec* run_prev = nullptr; // run list (due on this or the next loop turn)
    task_rec* run_next = nullptr;
    uint64_t run_seq = 0;        // turn number when it was queued
    bool queued = false;
    bool running = false;        // inside its callback
    bool freed = false;          // task_free() from its own callback: free on return
};

// An outgoing connection (ptc_conn is an outconn).
struct outconn {
    worker* w = nullptr;
    module_rec* mod = nullptr;
    ptc_conn_fn cb = nullptr;
    void* ctx = nullptr;
    int fd = -1;
    event::completion rx;        // recv into in[in_tail, cap)
    event::completion tx;        // send of out[out_head, tx_end)
    event::completion cx;        // connect
    event::timer tm;             // conn_set_timeout (tm.data = this)
    char* in = nullptr;          // k_oc_bufsize bytes: received, [in_head, in_tail) unread
    char* out = nullptr;         // k_oc_bufsize bytes: [out_head, out_tail) to send
    uint32_t in_head = 0, in_tail = 0;
    uint32_t out_head = 0, out_tail = 0;
    uint32_t events = 0;         // PTC_CEV_* waiting for delivery
    uint32_t flags = 0;          // PTC_CONN_EOF | PTC_CONN_ERROR
    int err = 0;                 // errno of a failure
    bool connected = false;
    bool listening = false;      // conn_listen() (1.18): cx polls the socket for accepts
    bool shutw = false;          // conn_shutw(): shut the write side once out is empty
    bool shut_done = false;
    bool closed = false;         // conn_close() called; freed once nothing is in flight
    bool in_cb = false;          // inside its callback (no free before it returns)
    outconn* run_prev = nullptr;
    outconn* run_next = nullptr;
    uint64_t run_seq = 0;
    bool queued = false;

    bool busy() const { return rx.busy || tx.busy || cx.busy; }
};

constexpr uint32_t k_oc_bufsize = 16384; // per direction

// Per-worker state of tasks and connections (worker::tsched, created on first use).
struct task_sched {
    task_rec* t_head = nullptr;  // task run list
    task_rec* t_tail = nullptr;
    outconn* c_head = nullptr;   // connections with events (or I/O decisions) pending
    outconn* c_tail = nullptr;
    uint64_t seq = 1;            // loop turn counter of tasks_run()
    uint32_t ntasks = 0;         // live tasks / connections (diagnostics, tests)
    uint32_t nconns = 0;
};

// True when tasks_run() has work now: the loop must not sleep.
bool tasks_pending(const worker* w);
// The loop hook: runs the tasks due on this turn and delivers connection events.
void tasks_run(worker* w);
// Called by outconn.cpp to queue a connection for delivery (events may be 0: I/O only),
// and to take it off the run list when it is closed.
void outconn_enqueue(outconn* c, uint32_t events);
void outconn_unqueue(outconn* c);
// Delivers the events of one connection and issues its I/O (task.cpp's turn loop).
void outconn_deliver(outconn* c);
task_sched* task_sched_of(worker* w);

// Host functions (ptc_host members, 1.3).
int host_worker_slot();
uint32_t host_worker_count();
ptc_task* host_task_new(ptc_modref* self, ptc_task_fn fn, void* ctx);
void host_task_schedule(ptc_task* t, uint64_t at_ms);
void host_task_free(ptc_task* t);
ptc_conn* host_conn_new(ptc_modref* self, const sockaddr* addr, socklen_t len,
                        const sockaddr* src, socklen_t srclen, ptc_conn_fn cb, void* ctx);
size_t host_conn_send(ptc_conn* c, const void* data, size_t len);
uint32_t host_conn_data(ptc_conn* c, ptc_str* in);
void host_conn_consume(ptc_conn* c, size_t n);
void host_conn_shutw(ptc_conn* c);
void host_conn_set_timeout(ptc_conn* c, uint64_t ms);
socklen_t host_conn_addr(ptc_conn* c, uint32_t which, struct sockaddr_storage* out);
int host_conn_error(ptc_conn* c);
void host_conn_close(ptc_conn* c);
void host_conn_abort(ptc_conn* c);
ptc_conn* host_conn_listen(ptc_modref* self, const sockaddr* addr, socklen_t len, int fd, ptc_conn_fn cb,
                           void* ctx);
ptc_conn* host_conn_accept(ptc_conn* l, ptc_conn_fn cb, void* ctx, sockaddr_storage* from, socklen_t* fromlen);

} // namespace portico
