// SPDX-License-Identifier: MIT
// Internal state of the balancer shared by its files: the framework (lb.cpp), the
// algorithms behind their ops tables (lb_rr.cpp, lb_lc.cpp, lb_first.cpp, lb_random.cpp,
// lb_leasttime.cpp, lb_hash.cpp, lb_chash.cpp) and the queues (queue.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "lb/hash.hpp"
#include "lb/lb.hpp"
#include "lb/lb_conf.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"

namespace portico {

// Balancing tables of one tier of servers (the active ones, or the backups), built from
// the servers usable at build time.
struct lb_tier {
    std::vector<server*> srv;           // every server of the tier (usable or not), by id
    std::vector<server*> members;       // usable at build time, by id (table indexes)
    std::vector<uint32_t> seq;          // weighted sequence over members (static-rr, map)
    std::vector<lbh::ring_node> ring;   // consistent hash
    std::vector<uint32_t> maglev;       // Maglev table
};

struct lb_backend;

// One balancing algorithm, chosen once per backend at configuration load (lb_select_ops).
struct lb_ops {
    const char* name;
    // Rebuilds the tables of <t> from its members (the servers usable now, by id; <m> gives
    // their names and weights). nullptr: the algorithm keeps no table.
    void (*build)(lb_tier& t, const std::vector<lbh::member>& m);
    // Chooses a server of tier <t> for <s> (avoiding <avoid> when another one is usable)
    // and reserves its slot: CH_OK, CH_FULL_SRV (*out determined but full), CH_FULL or
    // CH_NONE.
    int (*pick)(proxy* be, const lb_backend* b, stream* s, const lb_tier& t, server* avoid,
                server** out);
    bool hashed;            // the server depends on the request's key: full -> server queue
    bool dynamic_weights;   // run-time weight changes other than 0%/100% apply
    bool wants_rt;          // wants response-time samples (lb_observe_rt)
};

struct lb_backend {
    const lb_ops* ops = nullptr;
    const lb_conf* conf = nullptr;      // the proxy's typed configuration
    uint32_t fullconn = 0;
    uint32_t seen_gen = 0;
    lb_tier tier[2];                    // 0: active, 1: backup
};

// The ops of the algorithm configured in <c>.
const lb_ops* lb_select_ops(const lb_conf& c);

extern const lb_ops lb_ops_roundrobin;  // lb_rr.cpp
extern const lb_ops lb_ops_static_rr;   // lb_rr.cpp
extern const lb_ops lb_ops_leastconn;   // lb_lc.cpp
extern const lb_ops lb_ops_first;       // lb_first.cpp
extern const lb_ops lb_ops_random;      // lb_random.cpp
extern const lb_ops lb_ops_leasttime;   // lb_leasttime.cpp
extern const lb_ops lb_ops_map_hash;    // lb_hash.cpp
extern const lb_ops lb_ops_chash;       // lb_chash.cpp
extern const lb_ops lb_ops_maglev;      // lb_chash.cpp

// Result of choosing without queueing.
enum lb_choice : int {
    CH_OK,        // *out has a slot reserved
    CH_FULL_SRV,  // the algorithm determined *out, which is full
    CH_FULL,      // every eligible server is full
    CH_NONE,      // nothing usable
};

// ---- shared helpers ---------------------------------------------------------------------

inline shm_server* lb_sh(const server* s) { return s->shared; }

// Full: maxconn reached, or streams already wait for this server (they go first).
inline bool lb_srv_full(const server* s)
{
    if (lb_sh(s)->queue.cur.load(std::memory_order_relaxed))
        return true;
    uint32_t max = lb_srv_maxconn(s);
    return max && lb_sh(s)->cur_conns.load(std::memory_order_relaxed) >= max;
}

// Effective weight in whole user weights (srv_eweight: rounded up, as "show stat" shows
// it): the tables of consistent hashing and Maglev.
inline uint32_t lb_srv_weight(const server* s)
{
    return srv_eweight(lb_sh(s));
}

// Fine effective weight (srv_eweight_fine: 256 x the user weight at full weight, in 1/256
// of the user weight while a module such as slowstart lowers it): what the algorithms that
// weigh at pick time use (roundrobin, leastconn, random, leasttime), so that a server of
// weight 1 follows a ramp. Scaling every weight by 256 changes none of their choices.
inline uint64_t lb_srv_fine_weight(const server* s)
{
    return srv_eweight_fine(lb_sh(s));
}

// Tries <s>: reserves a slot. Returns CH_OK or CH_FULL.
inline int lb_try_take(server* s, server** out)
{
    if (lb_srv_full(s) || !lb_take_slot(s))
        return CH_FULL;
    *out = s;
    return CH_OK;
}

// Smooth weighted round-robin over <set> (lb_rr.cpp): the default algorithm, and the
// fallback of the hashing ones when a request has no key.
int lb_rr_pick(proxy* be, const std::vector<server*>& set, server* avoid, server** out);

// random(N) and leasttime (lb_random.cpp): N weighted random draws of distinct servers,
// the least loaded one wins (load times the response time with <rt>).
int lb_draws_pick(const std::vector<server*>& set, uint32_t draws, bool rt, server* avoid,
                  server** out);
// Per-process random generator (lb_random.cpp).
uint64_t lb_rnd();
void lb_seed_rng();
// leasttime: the response-time average of <s> now, faded with age (lb_leasttime.cpp).
uint64_t lb_rt_effective(const server* s, uint64_t now_ms);

// The hash of <s>'s key for <b> (lb_hash.cpp): evaluated once per stream_connect through
// the sample engine, cached in the stream. False when the expression gives no sample (the
// caller falls back to round-robin).
bool lb_hash_key(stream* s, const lb_backend* b, uint32_t& h);
// Takes <srv> chosen by a table when it is usable and not <avoid>, else balances over the
// tier round-robin.
int lb_hash_take(proxy* be, const lb_tier& t, server* srv, server* avoid, server** out);

// ---- framework and queues -----------------------------------------------------------------

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
