// SPDX-License-Identifier: MIT
// Instance-wide queues of streams waiting for a connection slot.
//
// A waiting stream stays in its own worker, in a local FIFO per queue (one queue per
// server, one per backend). Instance-wide order comes from tickets: each stream takes the
// next ticket of its backend when it starts waiting, and each worker publishes, per queue,
// the ticket of its oldest waiter (shm_header::qheads). A released slot belongs to the
// oldest waiter of the server's queue and of its backend's queue together: when that
// waiter lives in this worker it is served at once, otherwise its worker is woken through
// its eventfd (shm_header::wake_fd) and serves it. A 100 ms re-check per worker with
// waiters covers every race (a wake-up for a stream that left meanwhile, etc.).
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "event/clock.hpp"
#include "lb/lb_int.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"

namespace portico {

namespace {

struct qlist {
    stream* head = nullptr;
    stream* tail = nullptr;
    qlist* act_prev = nullptr;    // list of non-empty queues of this process
    qlist* act_next = nullptr;
    bool active = false;
    server* srv = nullptr;        // server queue, or nullptr for a backend queue
    proxy* be = nullptr;
    uint32_t id = 0;
};

std::vector<qlist> g_q;
qlist* g_act = nullptr;
int g_slot = -1;
event::completion g_wake;
event::timer g_recheck;
bool g_wake_armed = false;
bool g_in_dispatch = false;
bool g_again = false;

constexpr uint64_t k_recheck_ms = 100;

inline uint64_t now() { return event::now_ms(); }

shm_header* H() { return shm_get(); }

uint32_t qid_srv(const server* s) { return s->index; }
uint32_t qid_be(const proxy* p) { return H()->nservers + p->index; }

qlist& Q(uint32_t id) { return g_q[id]; }

void publish(qlist& q)
{
    shm_header* h = H();
    if (g_slot < 0 || (uint32_t)g_slot >= h->nworkers || !h->qheads)
        return;
    h->qheads[(size_t)q.id * h->nworkers + (size_t)g_slot].store(
        q.head ? q.head->q_ticket : UINT64_MAX);
}

// Oldest ticket waiting in queue <id> over all workers, and its worker.
uint64_t min_head(uint32_t id, int& owner)
{
    shm_header* h = H();
    uint64_t best = UINT64_MAX;
    owner = -1;
    if (!h->qheads)
        return best;
    const std::atomic<uint64_t>* row = h->qheads + (size_t)id * h->nworkers;
    for (uint32_t w = 0; w < h->nworkers; w++) {
        uint64_t t = row[w].load();
        if (t < best) {
            best = t;
            owner = (int)w;
        }
    }
    return best;
}

void signal_worker(int w)
{
    shm_header* h = H();
    if (w < 0 || w == g_slot || (uint32_t)w >= h->nworkers || h->wake_fd[w] < 0)
        return;
    uint64_t one = 1;
    ssize_t r = write(h->wake_fd[w], &one, sizeof(one));
    (void)r;
}

void arm_recheck(uint64_t delay)
{
    if (g_worker && g_worker->timers)
        g_worker->timers->arm(&g_recheck, now() + delay);
}

// The ticket of <s>, the order of the backend's queues (lowest first), as HAProxy 2.6 sorts
// them: the priority class (set-priority-class, -2047..2047) first, then the arrival time
// moved by the priority offset (set-priority-offset, ms), then the arrival order <seq>.
// Bits: 12 class, 36 time (ms of the monotonic clock, shared by the workers: about 795 days
// before it wraps), 16 sequence (unique while fewer than 65536 streams of one backend queue
// within one millisecond).
uint64_t queue_key(const stream* s, uint64_t seq)
{
    uint64_t cls = uint64_t(int64_t(s->prio_class) + 2048) & 0xfff;
    int64_t t = int64_t(now()) + s->prio_offset + (int64_t(1) << 20); // offsets may be < 0
    uint64_t tm = uint64_t(t < 0 ? 0 : t) & ((uint64_t(1) << 36) - 1);
    return cls << 52 | tm << 16 | (seq & 0xffff);
}

shm_queue& shq(const qlist& q) { return q.srv ? q.srv->shared->queue : q.be->shared->queue; }

// Links <s> into <q> in ticket order (it may come from another queue with an old ticket).
void link(qlist& q, stream* s)
{
    stream* after = q.tail;
    while (after && after->q_ticket > s->q_ticket)
        after = after->q_prev;
    s->q_prev = after;
    s->q_next = after ? after->q_next : q.head;
    if (s->q_next)
        s->q_next->q_prev = s;
    else
        q.tail = s;
    if (after)
        after->q_next = s;
    else
        q.head = s;
    s->q_id = q.id + 1;
    if (!q.active) {
        q.active = true;
        q.act_prev = nullptr;
        q.act_next = g_act;
        if (g_act)
            g_act->act_prev = &q;
        g_act = &q;
    }
    shm_queue& sq = shq(q);
    uint32_t c = sq.cur.fetch_add(1) + 1;
    lb_own(lb_own_kind::queued, q.id, 1);
    if (c > sq.max.load(std::memory_order_relaxed))
        sq.max.store(c, std::memory_order_relaxed);
    if (q.head == s)
        publish(q);
}

void unlink(stream* s)
{
    qlist& q = Q(s->q_id - 1);
    bool was_head = q.head == s;
    if (s->q_prev)
        s->q_prev->q_next = s->q_next;
    else
        q.head = s->q_next;
    if (s->q_next)
        s->q_next->q_prev = s->q_prev;
    else
        q.tail = s->q_prev;
    s->q_prev = s->q_next = nullptr;
    s->q_id = 0;
    shq(q).cur.fetch_sub(1);
    lb_own(lb_own_kind::queued, q.id, -1);
    if (was_head)
        publish(q);
    if (!q.head && q.active) {
        q.active = false;
        if (q.act_prev)
            q.act_prev->act_next = q.act_next;
        else
            g_act = q.act_next;
        if (q.act_next)
            q.act_next->act_prev = q.act_prev;
        q.act_prev = q.act_next = nullptr;
    }
}

void leave_queue(stream* s)
{
    unlink(s);
    if (s->be && s->be->shared) {
        s->be->shared->be_conns.fetch_sub(1, std::memory_order_relaxed);
        lb_own(lb_own_kind::be, s->be->index, -1);
    }
}

// Hands <srv> (slot reserved) to <s>, or fails it when srv is nullptr.
void grant(stream* s, server* srv)
{
    leave_queue(s);
    stream_slot_granted(s, srv);
}

// Serves the local head of backend queue <q> while it is the oldest of the instance.
void serve_be(qlist& q, server* prefer)
{
    while (stream* s = q.head) {
        int owner;
        uint64_t t = min_head(q.id, owner);
        if (t != s->q_ticket) {
            signal_worker(owner);
            return;
        }
        server* srv = nullptr;
        int r;
        if (prefer && lb_usable(prefer) && !prefer->backup && lb_take_slot(prefer)) {
            srv = prefer;
            r = CH_OK;
        } else {
            r = lb_choose_any(q.be, s, s->lb_avoid, &srv);
        }
        prefer = nullptr;
        if (r == CH_OK) {
            grant(s, srv);
        } else if (r == CH_NONE) {
            grant(s, nullptr);
        } else {
            return;
        }
    }
}

void serve_srv(qlist& q)
{
    server* x = q.srv;
    if (!lb_usable(x)) {
        // the server left: its waiters go to the backend queue, keeping their age
        qlist& bq = Q(qid_be(q.be));
        bq.be = q.be;
        while (stream* s = q.head) {
            unlink(s);
            s->srv = nullptr;
            link(bq, s);
        }
        serve_be(bq, nullptr);
        return;
    }
    while (stream* s = q.head) {
        int ow_s, ow_b;
        uint64_t ts = min_head(q.id, ow_s);
        uint64_t tb = min_head(qid_be(q.be), ow_b);
        if (tb < s->q_ticket) {
            // an older stream waits in the backend queue: it gets the slot
            if (ow_b == g_slot)
                serve_be(Q(qid_be(q.be)), x);
            else if (lb_srv_maxconn(x) == 0 ||
                     x->shared->cur_conns.load() < lb_srv_maxconn(x))
                signal_worker(ow_b);
            return;
        }
        if (ts != s->q_ticket) {
            signal_worker(ow_s);
            return;
        }
        if (!lb_take_slot(x))
            return;
        grant(s, x);
    }
}

void process_all()
{
    if (g_in_dispatch) {
        g_again = true;
        return;
    }
    g_in_dispatch = true;
    do {
        g_again = false;
        // serving may empty (unlink) queues of the list: walk a snapshot one by one
        for (qlist* q = g_act; q;) {
            qlist* next = q->act_next;
            if (q->srv)
                serve_srv(*q);
            else
                serve_be(*q, nullptr);
            q = next;
            if (g_again)
                break;
        }
    } while (g_again);
    g_in_dispatch = false;
    if (g_act)
        arm_recheck(k_recheck_ms);
}

void on_recheck(event::timer*) { process_all(); }

void on_wake(event::completion* c, int res, uint32_t)
{
    g_wake_armed = false;
    if (res == -ECANCELED)
        return;
    shm_header* h = H();
    uint64_t v;
    ssize_t r = read(h->wake_fd[g_slot], &v, sizeof(v));
    (void)r;
    process_all();
    if (g_worker && !g_worker->exit_now) {
        g_wake_armed = true;
        g_worker->poller->poll_in(h->wake_fd[g_slot], c);
    }
}

// A worker killed in the middle of its work (SIGKILL, crash) never released what it held
// in the instance-wide counters: its replacement in the same slot subtracts it, so that
// qcur, scur, be_conns and the server slots come back to what the live workers hold (else
// the queue counters stay off forever and a server with maxconn loses slots).
void reclaim_dead_worker(shm_header* h, int slot)
{
    if (slot < 0 || (uint32_t)slot >= h->nworkers || !h->own_queued)
        return;
    const size_t nw = h->nworkers, w = (size_t)slot;
    bool freed = false;
    for (uint32_t q = 0; q < h->nservers + h->nproxies; q++) {
        uint32_t n = h->own_queued[q * nw + w].exchange(0);
        if (!n)
            continue;
        shm_queue* sq = nullptr;
        if (q < h->nservers) {
            if (shm_server* sv = shm_server_slot(q))
                sq = &sv->queue;
        } else if (shm_proxy* p = shm_proxy_slot(q - h->nservers)) {
            sq = &p->queue;
        }
        if (sq)
            sq->cur.fetch_sub(n);
    }
    for (uint32_t i = 0; i < h->nservers; i++) {
        uint32_t n = h->own_slots[i * nw + w].exchange(0);
        if (n) {
            if (shm_server* sv = shm_server_slot(i))
                sv->cur_conns.fetch_sub(n);
            freed = true;
        }
    }
    for (uint32_t i = 0; i < h->nproxies; i++) {
        uint32_t n = h->own_be[i * nw + w].exchange(0);
        if (n)
            if (shm_proxy* p = shm_proxy_slot(i))
                p->be_conns.fetch_sub(n, std::memory_order_relaxed);
        n = h->own_fe[i * nw + w].exchange(0);
        if (n) {
            if (shm_proxy* p = shm_proxy_slot(i))
                p->cur_conns.fetch_sub(n, std::memory_order_relaxed);
            h->cur_conns.fetch_sub(n, std::memory_order_relaxed);
        }
    }
    // slots came free: the other workers' waiters may take them now
    if (freed)
        for (uint32_t i = 0; i < nw; i++)
            if ((int)i != slot && h->wake_fd[i] >= 0) {
                uint64_t one = 1;
                ssize_t r = write(h->wake_fd[i], &one, sizeof(one));
                (void)r;
            }
}

} // namespace

void lb_own(lb_own_kind which, uint32_t idx, int delta)
{
    shm_header* h = H();
    if (!h || !h->own_queued || g_slot < 0 || (uint32_t)g_slot >= h->nworkers)
        return;
    std::atomic<uint32_t>* a = which == lb_own_kind::queued ? h->own_queued
                               : which == lb_own_kind::slots ? h->own_slots
                               : which == lb_own_kind::be    ? h->own_be
                                                             : h->own_fe;
    a[(size_t)idx * h->nworkers + (size_t)g_slot].fetch_add((uint32_t)delta,
                                                            std::memory_order_relaxed);
}

void lb_worker_init(int slot)
{
    shm_header* h = H();
    if (!h)
        return;
    g_slot = slot;
    g_q.assign((size_t)h->nservers + h->nproxies, qlist{});
    for (uint32_t i = 0; i < g_q.size(); i++)
        g_q[i].id = i;
    // a replaced worker starts with nothing queued
    if (h->qheads && slot >= 0 && (uint32_t)slot < h->nworkers)
        for (size_t i = 0; i < g_q.size(); i++)
            h->qheads[i * h->nworkers + (size_t)slot].store(UINT64_MAX);
    reclaim_dead_worker(h, slot);
    g_recheck.fn = on_recheck;
    g_wake.fn = on_wake;
    if (g_worker && slot >= 0 && (uint32_t)slot < h->nworkers && h->wake_fd[slot] >= 0) {
        g_wake_armed = true;
        g_worker->poller->poll_in(h->wake_fd[slot], &g_wake);
    }
}

bool lb_queued(const stream* s) { return s->q_id != 0; }

void lb_queue_add(stream* s, server* srv)
{
    proxy* be = s->be;
    if (g_q.empty()) // no worker setup (unit tests): behave as "no server"
        lb_worker_init(-1);
    qlist& q = Q(srv ? qid_srv(srv) : qid_be(be));
    q.srv = srv;
    q.be = be;
    s->q_ticket = queue_key(s, be->shared->next_ticket.fetch_add(1));
    s->srv = srv;
    link(q, s);
    shm_queue& sq = shq(q);
    sq.total.fetch_add(1, std::memory_order_relaxed);
    be->shared->be_conns.fetch_add(1, std::memory_order_relaxed);
    lb_own(lb_own_kind::be, be->index, 1);
    // a slot may have been released between the caller's check and our publication
    arm_recheck(0);
}

void lb_queue_remove(stream* s)
{
    if (!s->q_id)
        return;
    qlist& q = Q(s->q_id - 1);
    bool head = q.head == s;
    leave_queue(s);
    if (head && q.head)
        arm_recheck(0);
}

void lb_queue_dispatch(server* srv)
{
    if (g_q.empty())
        return;
    if (g_in_dispatch) {
        g_again = true;
        return;
    }
    proxy* be = srv->be;
    g_in_dispatch = true;
    for (int guard = 0; guard < 64; guard++) {
        int ow_s, ow_b;
        uint64_t ts = min_head(qid_srv(srv), ow_s);
        uint64_t tb = min_head(qid_be(be), ow_b);
        if (ts == UINT64_MAX && tb == UINT64_MAX)
            break;
        bool use_be = tb <= ts;
        int owner = use_be ? ow_b : ow_s;
        if (owner != g_slot) {
            signal_worker(owner);
            break;
        }
        qlist& q = Q(use_be ? qid_be(be) : qid_srv(srv));
        stream* s = q.head;
        if (!s)
            break;
        if (use_be) {
            server* got = nullptr;
            int r = CH_FULL;
            if (lb_usable(srv) && !srv->backup && lb_take_slot(srv)) {
                got = srv;
                r = CH_OK;
            } else {
                r = lb_choose_any(be, s, s->lb_avoid, &got);
            }
            if (r == CH_OK)
                grant(s, got);
            else if (r == CH_NONE)
                grant(s, nullptr);
            else
                break;
        } else {
            if (!lb_usable(srv) || !lb_take_slot(srv))
                break;
            grant(s, srv);
        }
    }
    g_in_dispatch = false;
    if (g_again)
        process_all();
}

void lb_queue_backend_changed(proxy*)
{
    if (g_act)
        arm_recheck(0);
}

} // namespace portico
