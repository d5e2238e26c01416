// SPDX-License-Identifier: MIT
// Instance-wide state shared by the master and every worker: one anonymous shared mapping
// created by the master before forking, holding counters and state of proxies and servers.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace portico {

struct config;

// A tiny spinlock usable across processes (lives in the shared mapping).
struct shm_lock {
    std::atomic<uint32_t> v{0};
    void lock()
    {
        while (v.exchange(1, std::memory_order_acquire))
            while (v.load(std::memory_order_relaxed))
                __builtin_ia32_pause();
    }
    void unlock() { v.store(0, std::memory_order_release); }
};

enum : uint32_t {
    SRV_ADMIN_READY = 0,
    SRV_ADMIN_DRAIN = 1,
    SRV_ADMIN_MAINT = 2,
};

// Most worker processes the queue bookkeeping tracks (workers beyond it still run, their
// queued streams are then served by their periodic re-check only).
constexpr uint32_t k_shm_max_workers = 64;

// A queue of streams waiting for a connection slot (server queue or backend queue). The
// streams themselves stay in their worker; this is the instance-wide accounting.
struct shm_queue {
    std::atomic<uint32_t> cur;          // streams waiting now, all workers (qcur)
    std::atomic<uint32_t> max;          // highest cur seen (qmax)
    std::atomic<uint64_t> total;        // streams that had to wait
};

// Server flags kept for the runtime API (shm_server::rt_flags).
enum : uint32_t {
    SRV_RT_CMAINT = 1,  // disabled by configuration ("disabled"): HAProxy's CMAINT
    SRV_RT_DYNAMIC = 2, // added with "add server"
    SRV_RT_BACKUP = 4,  // backup server
    SRV_RT_FMAINT = 8,  // put in maintenance ("disabled", "disable server", state maint)
    SRV_RT_FDRAIN = 16, // put in drain ("set server ... state drain")
    SRV_RT_FORCED_ID = 32, // "id" was given
    SRV_RT_PINNED = 64,    // referred to by a worker's state (a Lua object): not deletable
};

// The state of one health or agent check as a module published it (ABI 1.4
// server_set_check), for the runtime API. Guarded by shm_server::chk_lock.
struct shm_check {
    uint32_t state;                     // PTC_CHKST_*
    char status[16];                    // "L4OK", "L7STS"...
    char status_desc[64];               // "Layer4 check passed"...
    uint32_t status_num;                // HAProxy's HCHK_STATUS_*
    uint32_t result;                    // HAProxy's CHK_RES_*
    int32_t code;                       // layer 7 code, -1 none
    int32_t duration;                   // ms, -1 none
    char desc[128];                     // details of the last probe
    uint32_t health, rise, fall;
    uint64_t failed;                    // failed probes (chkfail)
    uint32_t port;                      // 0: the server's
    char addr[64];                      // "" : the server's
    uint64_t hanafail;                  // failed health analyses ("observe")
};

// An event rate over the current and previous second (HAProxy's sliding-window
// estimate), shared by every worker.
struct shm_rate {
    std::atomic<uint64_t> sec;          // the current second (monotonic)
    std::atomic<uint32_t> cur;          // events in it
    std::atomic<uint32_t> prev;         // events in the one before
    std::atomic<uint32_t> max;          // highest rate seen
};
// Events per second over the last second.
uint32_t shm_rate_read(shm_rate& r, uint64_t now_ms);
// Counts one event; returns the rate including it.
uint32_t shm_rate_add(shm_rate& r, uint64_t now_ms);

// One server slot. A backend owns the slots [srv_first, srv_first + srv_slots) of the
// table: its configured servers in order, then spare slots for "add server" (in_use 0,
// admin MAINT, weight 0: never usable).
struct alignas(64) shm_server {
    std::atomic<uint32_t> cur_conns;    // streams being served (connecting/active), all workers
    std::atomic<uint32_t> admin;        // SRV_ADMIN_*
    std::atomic<uint32_t> up;           // operational state (1 = up)
    std::atomic<uint32_t> weight;       // current user weight (0..256)
    std::atomic<uint32_t> max_conns;    // highest cur_conns seen
    int64_t rr_current;                 // smooth weighted round-robin, under the backend lock
    std::atomic<uint64_t> cum_conns;    // connections made
    std::atomic<uint64_t> connect_errors;
    std::atomic<uint64_t> bytes_in;     // from clients to this server
    std::atomic<uint64_t> bytes_out;    // from this server to clients

    // ---- balancing, limits, queues, retries (lb) ----
    std::atomic<uint32_t> in_use;       // 1 = the slot holds a live server (configured/added)
    std::atomic<uint32_t> maxconn;      // runtime maxconn (0 = unlimited): read this, not
                                        // server::maxconn ("set maxconn server" changes it)
    std::atomic<uint32_t> minconn;      // dynamic maxconn floor (0 = static maxconn)
    std::atomic<uint32_t> maxqueue;     // 0 = unlimited
    shm_queue queue;                    // server queue
    std::atomic<uint64_t> retries;      // connection retries on this server (wretr)
    std::atomic<uint64_t> redispatches; // redispatched away from this server (wredis)
    std::atomic<uint32_t> rt_ewma_us;   // leasttime: EWMA of request sent -> first response
                                        // byte, in microseconds (0 = never measured)
    std::atomic<uint64_t> rt_stamp_ms;  // monotonic ms of the last sample

    // ---- runtime API (cli) ----
    uint32_t iweight;                   // configured weight (get weight / "set weight N%")
    uint32_t srv_id;                    // numeric id
    uint32_t last_change;               // time(NULL) of the last state change (lastchg)
    sockaddr_storage addr;              // current address, under the backend's cfg_lock
    uint32_t addrlen;
    char name[64];                      // added servers: name
    char add_line[512];                 // added servers: the "add server" options
    std::atomic<uint32_t> rt_flags;     // SRV_RT_* (runtime API)
    std::atomic<uint32_t> check_health; // shown by "show servers state" (runtime API)

    // ---- later additions go below ----
    // ---- HTTP statistics (log: host_stream_log_txn) ----
    std::atomic<uint64_t> req_tot;      // HTTP requests (backend/server: those sent to it)
    std::atomic<uint64_t> hrsp_1xx;     // responses by status class
    std::atomic<uint64_t> hrsp_2xx;
    std::atomic<uint64_t> hrsp_3xx;
    std::atomic<uint64_t> hrsp_4xx;
    std::atomic<uint64_t> hrsp_5xx;
    std::atomic<uint64_t> hrsp_other;   // other status, or none sent (-1)
    // ---- operational state and effective weight set by modules (ABI 1.3) ----
    std::atomic<uint32_t> op_managed;   // 1 once a module set the operational state (checks)
    std::atomic<uint32_t> eweight_drop; // 256 - effective weight fraction (0: full weight;
                                        // slowstart ramps it down to 0)
    // ---- checks, state-change counters, stream shutdown (ABI 1.4) ----
    shm_lock chk_lock;                  // guards chk[] (readers copy under it: no torn text)
    std::atomic<uint32_t> chk_set;      // bit 1 << PTC_CHECK_*: chk[i] was published
    shm_check chk[2];                   // PTC_CHECK_HEALTH, PTC_CHECK_AGENT
    std::atomic<uint64_t> down_trans;   // transitions to DOWN (chkdown)
    std::atomic<uint32_t> down_time;    // seconds spent DOWN before the current period
    std::atomic<uint32_t> stopped;      // 1 while DOWN or in maintenance (HAProxy's STOPPED)
    std::atomic<uint64_t> shut_gen;     // bumped by server_shutdown_streams: every worker
                                        // closes the streams using this server
    // ---- "del server" / "add server" ----
    std::atomic<uint32_t> incarnation;  // bumped when the slot's server is deleted and when
                                        // "add server" takes the slot: a server object of
                                        // another incarnation is a deleted one (srv_stale)
    // ---- session rate (show stat rate/rate_max, srv_sess_rate) ----
    shm_rate sess_rate;                 // streams given a slot on this server (lb_take_slot)
    // ---- a server without a health check (ABI 1.31) ----
    std::atomic<uint32_t> no_check;     // 1: a module said the server has no health check
                                        // (check_health then holds its level: rise at start)
};

// Operational states kept in shm_server::up.
enum : uint32_t {
    SRV_OP_DOWN = 0,
    SRV_OP_UP = 1,
    SRV_OP_STOPPING = 2, // up for persistent traffic only (HAProxy's NOLB)
};
inline bool srv_op_up(const shm_server* sh)
{
    return sh->up.load(std::memory_order_relaxed) == SRV_OP_UP;
}
// Effective weight: the user weight scaled by the module-set fraction, at least 1 while the
// fraction is not 0.
inline uint32_t srv_eweight(const shm_server* sh)
{
    uint32_t w = sh->weight.load(std::memory_order_relaxed);
    uint32_t d = sh->eweight_drop.load(std::memory_order_relaxed);
    if (!d || !w)
        return w;
    if (d >= 256)
        return 0;
    return (w * (256 - d) + 255) / 256;
}
// Fine effective weight, for the algorithms that weigh at pick time (roundrobin, leastconn,
// random, leasttime): the user weight times the fraction in 1/256 units, i.e. the user
// weight x (256 - eweight_drop). 256 x the user weight at full weight (every server then
// scaled alike, which changes no ratio), and never 0 while neither the user weight nor the
// fraction is 0, so a server of weight 1 ramps too (srv_eweight() rounds it back to 1).
inline uint64_t srv_eweight_fine(const shm_server* sh)
{
    uint64_t w = sh->weight.load(std::memory_order_relaxed);
    uint32_t d = sh->eweight_drop.load(std::memory_order_relaxed);
    if (d >= 256)
        return 0;
    return w * (256 - d);
}

struct alignas(64) shm_proxy {
    shm_lock lb_lock;                   // guards the balance algorithm's shared state
    std::atomic<uint32_t> cur_conns;    // frontend: current client connections
    std::atomic<uint64_t> cum_conns;
    std::atomic<uint64_t> denied;

    // ---- balancing, limits, queues, retries (lb) ----
    std::atomic<uint32_t> srv_gen;      // bumped (release) AFTER any runtime change of a
                                        // server of this backend that affects balancing:
                                        // admin, up, weight, maxconn, addr, add, del
    uint32_t srv_first;                 // slot range of this backend in the server table
    uint32_t srv_slots;
    shm_queue queue;                    // backend queue
    std::atomic<uint64_t> next_ticket;  // arrival order over this backend's queues
    std::atomic<uint32_t> be_conns;     // streams served or queued by this backend (beconn)
    std::atomic<uint32_t> be_max_conns; // highest be_conns
    std::atomic<uint64_t> be_cum_conns; // streams that used this backend
    std::atomic<uint64_t> retries;      // wretr
    std::atomic<uint64_t> redispatches; // wredis
    std::atomic<uint64_t> lb_pos;       // static-rr position (a counter, no lock)

    // ---- runtime API (cli) ----
    shm_lock cfg_lock;                  // guards addr/name/add_line of this backend's slots

    // ---- later additions go below ----
    // ---- HTTP statistics (log: host_stream_log_txn) ----
    std::atomic<uint64_t> req_tot;      // HTTP requests (backend/server: those sent to it)
    std::atomic<uint64_t> hrsp_1xx;     // responses by status class
    std::atomic<uint64_t> hrsp_2xx;
    std::atomic<uint64_t> hrsp_3xx;
    std::atomic<uint64_t> hrsp_4xx;
    std::atomic<uint64_t> hrsp_5xx;
    std::atomic<uint64_t> hrsp_other;   // other status, or none sent (-1)
    // ---- connections refused before the protocol handler (ABI 1.3 stream_conn_fail) ----
    std::atomic<uint64_t> conn_errors;  // bad PROXY headers, failed handshakes (ereq)
    // ---- runtime API: frontend limits and state, read by every worker's listeners ----
    std::atomic<uint32_t> fe_maxconn;   // runtime frontend maxconn (0: none; "set maxconn
                                        // frontend"), initialized from proxy::maxconn
    std::atomic<uint32_t> fe_state;     // FE_ST_* ("disable|enable|shutdown frontend")
    // ---- frontend session rate ("rate-limit sessions"; show stat rate/rate_lim/rate_max) ----
    shm_rate fe_rate;
    std::atomic<uint32_t> fe_rate_lim;  // sessions per second (0: none)
    // ---- fetches fe_req_rate / be_sess_rate (sample/fetch_ext.cpp) ----
    shm_rate req_rate;                  // frontend: HTTP requests (first byte of each)
    shm_rate be_rate;                   // backend: streams (HTTP: requests) it was chosen for
};

// Frontend states (shm_proxy::fe_state).
enum : uint32_t {
    FE_ST_OPEN = 0,
    FE_ST_PAUSED = 1,   // "disable frontend": listeners stop accepting (backlog kept)
    FE_ST_STOPPED = 2,  // "shutdown frontend": listeners closed for good
};

// Per-worker activity counters ("show activity"), written only by their worker.
struct alignas(64) shm_activity {
    std::atomic<uint64_t> loops;        // event loop turns
    std::atomic<uint64_t> poll_io;      // turns whose poll returned events
    std::atomic<uint64_t> poll_exp;     // turns whose poll returned on its timeout
    std::atomic<uint64_t> accepted;     // connections accepted
};

struct shm_header {
    uint32_t magic;
    uint32_t nproxies;
    uint32_t nservers;                  // server slots (configured + spare)
    std::atomic<uint32_t> cur_conns;    // instance-wide client connections (global maxconn)
    std::atomic<uint64_t> cum_conns;
    std::atomic<uint32_t> workers_ready;

    // ---- queues (lb) ----
    uint32_t nworkers;                  // worker slots tracked (<= k_shm_max_workers)
    int wake_fd[k_shm_max_workers];     // eventfd per worker slot: "a slot freed, look at
                                        // your queued streams" (-1 if none)
    // Per-queue, per-worker arrival ticket of the oldest stream that worker has waiting in
    // that queue (UINT64_MAX: none). Queue q: server slot i -> q = i; backend of proxy
    // index p -> q = nservers + p. Entry: qheads[q * nworkers + worker slot].
    std::atomic<uint64_t>* qheads;
    // What each worker slot holds in the instance-wide counters above, so that a worker that
    // died (SIGKILL, crash) can be subtracted by its replacement (lb_worker_init): streams
    // queued per queue (own_queued[q * nworkers + slot], counted in shm_queue::cur), server
    // slots per server (own_slots[server * nworkers + slot], in shm_server::cur_conns), and
    // per backend (own_be[proxy * nworkers + slot], in shm_proxy::be_conns), and client
    // connections per frontend (own_fe[proxy * nworkers + slot], in shm_proxy::cur_conns and
    // shm_header::cur_conns).
    std::atomic<uint32_t>* own_queued;
    std::atomic<uint32_t>* own_slots;
    std::atomic<uint32_t>* own_be;
    std::atomic<uint32_t>* own_fe;

    // ---- later additions go below ----
    // ---- ABI 1.4: server_shutdown_streams ----
    std::atomic<uint64_t> shut_gen;     // bumped after any shm_server::shut_gen (one load
                                        // per loop turn tells a worker to look)
    // ---- runtime API: limits read by the workers' listeners ----
    std::atomic<uint32_t> rt_maxconn;   // global maxconn ("set maxconn global"; 0: none)
    std::atomic<uint32_t> conn_rate_lim; // connections per second ("set rate-limit
                                        // connections global"; 0: none)
    std::atomic<uint64_t> fe_gen;       // bumped after any shm_proxy::fe_state change
    // connection rate over the current and previous second (sliding window)
    std::atomic<uint64_t> cr_sec;       // the current second (monotonic)
    std::atomic<uint32_t> cr_cur;       // connections accepted in it
    std::atomic<uint32_t> cr_prev;      // connections accepted in the one before
    std::atomic<uint32_t> cr_max;       // highest rate seen (MaxConnRate)
    shm_activity act[k_shm_max_workers];
};

// Connections per second over the last second (HAProxy's sliding-window estimate).
uint32_t shm_conn_rate(shm_header* h, uint64_t now_ms);
// Counts one accepted connection in the rate window; returns the rate including it.
uint32_t shm_conn_rate_add(shm_header* h, uint64_t now_ms);

// Creates the shared mapping sized for `cfg` and links every proxy and server of it to
// its slot. Returns false (with errno set) if the mapping cannot be created.
bool shm_create(config& cfg);
shm_header* shm_get();
// Server slot <i> (0 <= i < nservers) and proxy slot <i>, or nullptr.
shm_server* shm_server_slot(uint32_t i);
shm_proxy* shm_proxy_slot(uint32_t i);
// Module shared memory (ABI 1.3 shm_reserve): <size> zeroed bytes shared by the master and
// every worker, one mapping per (module, name); the same pair returns the same area. Only
// before the workers are forked (nullptr afterwards, or if the mapping fails).
void* shm_module_reserve(const std::string& module, const std::string& name, size_t size);
// Called by the master when it forks the workers: later reservations are refused.
void shm_module_seal();

// Tells every worker that the servers of backend <p> changed (they rebuild on next pick).
inline void shm_servers_changed(shm_proxy* p)
{
    p->srv_gen.fetch_add(1, std::memory_order_release);
}

} // namespace portico
