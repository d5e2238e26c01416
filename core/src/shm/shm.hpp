// SPDX-License-Identifier: MIT
// Instance-wide state shared by the master and every worker: one anonymous shared mapping
// created by the master before forking, holding counters and state of proxies and servers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

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

struct alignas(64) shm_server {
    std::atomic<uint32_t> cur_conns;    // established + connecting, all workers
    std::atomic<uint32_t> admin;        // SRV_ADMIN_*
    std::atomic<uint32_t> up;           // operational state (1 = up)
    std::atomic<uint32_t> weight;       // current user weight (0..256)
    std::atomic<uint32_t> max_conns;    // highest cur_conns seen
    int64_t rr_current;                 // smooth weighted round-robin, under the backend lock
    std::atomic<uint64_t> cum_conns;    // connections made
    std::atomic<uint64_t> connect_errors;
    std::atomic<uint64_t> bytes_in;     // from clients to this server
    std::atomic<uint64_t> bytes_out;    // from this server to clients
};

struct alignas(64) shm_proxy {
    shm_lock lb_lock;                   // guards the balance algorithm's shared state
    std::atomic<uint32_t> cur_conns;    // frontend: current client connections
    std::atomic<uint64_t> cum_conns;
    std::atomic<uint64_t> denied;
};

struct shm_header {
    uint32_t magic;
    uint32_t nproxies;
    uint32_t nservers;
    std::atomic<uint32_t> cur_conns;    // instance-wide client connections (global maxconn)
    std::atomic<uint64_t> cum_conns;
    std::atomic<uint32_t> workers_ready;
};

// Creates the shared mapping sized for `cfg` and links every proxy and server of it to
// its slot. Returns false (with errno set) if the mapping cannot be created.
bool shm_create(config& cfg);
shm_header* shm_get();

} // namespace portico
