// SPDX-License-Identifier: MIT
// Server state changes shared by the runtime API (master) and the module ABI (master or
// worker): operational state, administrative state, weight, check state, stream shutdown,
// with HAProxy 2.6's messages ("Server be/s1 is DOWN, reason: ... 0 active and 0 backup
// servers left. ...", "backend be has no server available!") to the diagnostic output and
// the backend's log targets. Everything acts on shared memory.
#pragma once

#include <cstdint>
#include <string>

#include <portico/portico.h>

namespace portico {

struct proxy;
struct server;
struct shm_server;

// Usable servers of <be> now (in use, ready, up, effective weight > 0): active and backup.
struct srv_counts {
    uint32_t act = 0;
    uint32_t bck = 0;
};
srv_counts srv_count_usable(const proxy& be);

// "backend" or "proxy" (a listen section), as HAProxy names a proxy in its messages.
const char* proxy_type_name(const proxy& p);

// One of HAProxy's server/proxy messages: to the diagnostic output (alert or warning) and,
// at <level> (PTC_LOG_*), to <p>'s log targets. <msg> is the whole line.
void srv_message(const proxy& p, bool alert, uint32_t level, const std::string& msg);

// Sets the operational state (SRV_OP_*) of <sv> for the whole instance and logs the
// transition as HAProxy does. <reason>: text after "reason: ", or "via <be>/<srv>" (a
// tracking server), or nullptr. Returns the previous state.
uint32_t srv_set_op(server* sv, uint32_t op, const char* reason);

// True for a server removed with "del server" (in this process, or in the instance since
// this process last synchronised its servers): changes made to it must go nowhere, its shm
// slot may be another server's now.
bool srv_stale(const server* sv);

// Sets/clears SRV_RT_FMAINT / SRV_RT_FDRAIN and recomputes the admin state the balancer
// reads, logging the transition ("is going DOWN for maintenance", "enters drain state",
// "leaving forced maintenance"...). <cause>: shown in parentheses (may be nullptr).
// Returns the previous SRV_ADMIN_*.
uint32_t srv_set_admin_flags(proxy* be, server* sv, uint32_t set, uint32_t clear,
                             const char* cause = nullptr);

// "set server <b>/<s> weight <arg>" / "set weight": "" or HAProxy's error message.
std::string srv_change_weight(proxy* be, server* sv, const std::string* arg);

// Publishes a check's state (host->server_set_check).
void srv_set_check(server* sv, uint32_t which, const ptc_check_info* ci);
// A consistent copy of check <which> of <sh>; false when no module published it.
struct shm_check;
bool srv_get_check(const shm_server* sh, uint32_t which, shm_check& out);

// Seconds <sh> spent DOWN (maintenance included), the current period included (downtime).
uint32_t srv_downtime(const shm_server* sh);

// Asks every worker to close the streams using <sv> (backups: those of the backup servers
// of its backend instead).
void srv_shutdown_streams(server* sv, bool backups);

} // namespace portico
