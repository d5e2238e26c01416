// SPDX-License-Identifier: MIT
// Latency histograms and HAProxy's time averages (queue, connect, response, total time) per
// frontend, backend and server, kept in shared memory by every worker without locks and
// summed by readers (the Prometheus exporter, "show stat").
//
// Layout: one block per (worker slot, object, timer). A block holds one count per bucket
// (non-cumulative, the last one is +Inf), the sample count, their sum in ms, the
// sliding-window sum behind HAProxy's "average of the last 1024" and the highest sample. A
// worker only writes the blocks of its slot, on cache lines no other worker writes, with
// relaxed atomic loads and stores (atomic adds when workers outnumber the slots); readers
// add the slots up. Objects: frontend side of proxy p = p, backend side of
// proxy p = nproxies + p, server slot i = 2 * nproxies + i.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace portico {

enum hist_timer : uint32_t {
    HT_QUEUE = 0,   // Tw: request ready -> connection attempt (queues included)
    HT_CONNECT = 1, // Tc: connection attempt -> established
    HT_RESPONSE = 2, // Tr: established (or request complete) -> response headers
    HT_TOTAL = 3,   // Tt: transaction start -> end
    HT_COUNT = 4,
};

constexpr uint32_t k_hist_max_buckets = 32;
constexpr uint32_t k_hist_window = 1024; // HAProxy's TIME_STATS_SAMPLES

// The bucket bounds in ms ("prometheus.histogram-buckets"), strictly increasing; empty:
// histograms off (the averages and maxima are still kept). Set while the configuration is
// read, before shm_create().
std::vector<uint32_t>& hist_bounds();
const std::vector<uint32_t>& hist_default_bounds();

// Bytes hist_init() needs for <objects> objects and <workers> worker slots.
size_t hist_size(uint32_t objects, uint32_t workers);
// Lays the histograms out in <mem> (hist_size() zeroed bytes of the shared mapping).
void hist_init(void* mem, uint32_t nproxies, uint32_t nservers, uint32_t workers);

inline uint32_t hist_obj_fe(uint32_t proxy_index) { return proxy_index; }
uint32_t hist_obj_be(uint32_t proxy_index);
uint32_t hist_obj_srv(uint32_t server_slot);

// Records one sample per timer for object <obj> from worker slot <slot>; a negative value
// is not recorded (that timer did not apply). Lock-free; called on the request path.
void hist_record(uint32_t slot, uint32_t obj, const int64_t ms[HT_COUNT]);

// "clear counters": the maxima of object <obj> (and with <all>, every cell: buckets, sums,
// averages). Also for a server slot reused by "add server". Runtime API (master).
void hist_clear(uint32_t obj, bool all);

// One timer of one object, all workers added up.
struct hist_read {
    uint64_t bucket[k_hist_max_buckets + 1]; // non-cumulative, [nbounds] is +Inf
    uint64_t count;
    uint64_t sum_ms;
    double avg_ms;  // average of the last 1024 samples (HAProxy's qtime/ctime/rtime/ttime)
    uint64_t max_ms;
};
// False when there is no histogram area (before shm_create).
bool hist_get(uint32_t obj, hist_timer t, hist_read& out);
// Number of buckets in use (the bounds, without +Inf).
uint32_t hist_nbounds();

} // namespace portico
