// SPDX-License-Identifier: MIT
// Internal state of the balancer shared by its files (framework, algorithms, queues).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lb/hash.hpp"
#include "lb/lb.hpp"

namespace portico {

enum class lb_algo : uint8_t {
    roundrobin, static_rr, leastconn, first, source, uri, url_param, hdr, random, maglev,
    leasttime,
};

enum class lb_key : uint8_t { none, source, uri, url_param, hdr };

// Balancing tables of one tier of servers (the active ones, or the backups), built from
// the servers usable at build time.
struct lb_tier {
    std::vector<server*> srv;           // every server of the tier (usable or not), by id
    std::vector<server*> members;       // usable at build time, by id (table indexes)
    std::vector<uint32_t> seq;          // weighted sequence over members (static-rr, map)
    std::vector<lbh::ring_node> ring;   // consistent hash
    std::vector<uint32_t> maglev;       // Maglev table
};

struct lb_backend {
    lb_algo algo = lb_algo::roundrobin;
    lb_key key = lb_key::none;
    bool consistent = false;            // hash-type consistent
    lbh::hash_fn fn = lbh::hash_fn::sdbm;
    bool aval = false;
    bool uri_whole = false;
    bool uri_path_only = false;
    uint32_t uri_len = 0;
    uint32_t uri_depth = 0;
    std::string name;                   // url_param / hdr name
    uint32_t draws = 2;                 // random(N), leasttime
    uint32_t fullconn = 0;
    uint32_t seen_gen = 0;
    lb_tier tier[2];                    // 0: active, 1: backup
};

// Result of choosing without queueing.
enum lb_choice : int {
    CH_OK,        // *out has a slot reserved
    CH_FULL_SRV,  // the algorithm determined *out, which is full
    CH_FULL,      // every eligible server is full
    CH_NONE,      // nothing usable
};

// Chooses a server for <s> and reserves its slot, without queueing (lb.cpp).
int lb_choose(proxy* be, stream* s, server* avoid, server** out);
// Same, but a full server determined by hashing gives way to any server with a free slot
// (used to serve the backend queue): CH_OK, CH_FULL or CH_NONE.
int lb_choose_any(proxy* be, stream* s, server* avoid, server** out);
// Checks the backend generation and rebuilds when it changed (lb.cpp).
void lb_check_gen(proxy* be);
// A slot of <srv> was released: hand it to the oldest waiter (queue.cpp).
void lb_queue_dispatch(server* srv);
// Re-examines the queues after a backend change (servers left: move their waiters).
void lb_queue_backend_changed(proxy* be);

} // namespace portico
