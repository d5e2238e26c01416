// SPDX-License-Identifier: MIT
// Load-balancing framework: picks a server of a backend for a stream, reserves its
// connection slot (server maxconn, instance-wide), and queues streams when every eligible
// server is full. Algorithms read server state from shared memory at pick time; tables
// built from the configuration (hash ring, Maglev, weighted maps) are rebuilt per process
// when the backend's generation (shm_proxy::srv_gen) changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portico {

struct config;
struct proxy;
struct server;
struct stream;

// Builds the balancing state of every backend of <cfg> (after shm_create, in the master:
// workers inherit it). Throws nothing; allocation is fine here.
void lb_init(config& cfg);

// Rebuilds the per-process balancing tables of <be> from its server list and shm state.
void lb_backend_changed(proxy* be);

// False when runtime weight changes other than 0%/100% are not applied by the algorithm
// (static-rr, hash-type map-based), as in HAProxy.
bool lb_weights_dynamic(const proxy* be);

// Set by the runtime API: called in a worker when a backend's generation changed, before
// the tables are rebuilt (materializes added servers, drops deleted ones, new addresses).
extern void (*lb_sync_servers)(proxy* be);

// In a worker: applies the backend's pending runtime server changes (added, deleted,
// readdressed servers) to this process's view now rather than at its next pick.
void lb_refresh(proxy* be);

// True when <s> may take new traffic now (in use, ready, up, weight > 0).
bool lb_usable(const server* s);

// Effective maxconn of <s> now (dynamic with minconn/fullconn, then scaled by the
// module-set effective weight fraction while it is below full: slowstart), 0 = unlimited.
uint32_t lb_srv_maxconn(const server* s);

// Reserves one connection slot of <s> if its maxconn allows (exact across workers).
bool lb_take_slot(server* s);
// Releases a slot taken with lb_take_slot and hands it to the oldest queued stream.
void lb_release_slot(server* s);

enum lb_result : int {
    LB_OK = 0,     // *out chosen and its slot reserved
    LB_QUEUED = 1, // every eligible server is full: the stream waits in a queue
    LB_NONE = 2,   // no usable server
};

// Picks a server of <be> for <s> (avoiding <avoid> when another one is usable), reserves
// its slot, or queues the stream (server queue when the algorithm determined the server,
// else the backend queue). Decisions are instance-wide.
int lb_pick(proxy* be, stream* s, server* avoid, server** out);

// Queues <s> on <srv> (server queue) or, with srv == nullptr, its backend's queue (the
// caller arms the queue timeout).
void lb_queue_add(stream* s, server* srv);
// Removes <s> from the queue it waits in (no-op when not queued).
void lb_queue_remove(stream* s);
// True when <s> waits in a queue.
bool lb_queued(const stream* s);

// Per-worker setup (eventfd wake-ups); called from worker_setup().
void lb_worker_init(int slot);

// What this worker holds in the instance-wide counters (shm_header::own_*): <delta> on the
// entry <idx> of the array <which>. No-op outside a worker (unit tests, master).
enum class lb_own_kind { queued, slots, be, fe };
void lb_own(lb_own_kind which, uint32_t idx, int delta);

// leasttime: one response-time sample (request sent -> first response byte) of <s>.
void lb_observe_rt(server* s, uint64_t us);
// True when the backend's algorithm wants response-time samples.
bool lb_wants_rt(const proxy* be);

} // namespace portico
