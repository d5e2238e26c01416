// SPDX-License-Identifier: MIT
// Load-balancing framework and the smooth weighted round-robin algorithm.
#include "lb/lb.hpp"

#include <atomic>

#include "proxy/proxy.hpp"
#include "shm/shm.hpp"

namespace portico {

static const char* const k_known_algos[] = {
    "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr", "random",
    "rdp-cookie", "hash", "maglev", "leasttime", nullptr};

bool lb_check_balance(const std::vector<std::string>& args, std::string& err)
{
    if (args.empty()) {
        err = "'balance' expects an algorithm";
        return false;
    }
    if (args[0] == "roundrobin") {
        if (args.size() > 1) {
            err = "'balance roundrobin' takes no argument";
            return false;
        }
        return true;
    }
    std::string name = args[0].substr(0, args[0].find('('));
    for (const char* const* a = k_known_algos; *a; a++) {
        if (name == *a) {
            err = "'balance " + name + "' is not supported yet by portico";
            return false;
        }
    }
    err = "unknown balance algorithm '" + args[0] + "'";
    return false;
}

static bool usable(const server* s)
{
    const shm_server* sh = s->shared;
    return sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY &&
           sh->up.load(std::memory_order_relaxed) &&
           sh->weight.load(std::memory_order_relaxed) > 0;
}

// Smooth weighted round-robin (each pick adds every weight to its server's current value,
// takes the largest and subtracts the total from it). The state lives in shared memory
// under the backend's lock, so all workers together produce one interleaved sequence.
static server* pick_roundrobin(proxy* be)
{
    shm_lock& lk = be->shared->lb_lock;
    server* best = nullptr;
    int64_t total = 0;
    lk.lock();
    for (auto& up : be->servers) {
        server* s = up.get();
        if (!usable(s))
            continue;
        int64_t w = s->shared->weight.load(std::memory_order_relaxed);
        s->shared->rr_current += w;
        total += w;
        if (!best || s->shared->rr_current > best->shared->rr_current)
            best = s;
    }
    if (best)
        best->shared->rr_current -= total;
    lk.unlock();
    return best;
}

server* lb_pick(proxy* be, stream*)
{
    if (!be || be->servers.empty() || !be->shared)
        return nullptr;
    return pick_roundrobin(be);
}

} // namespace portico
