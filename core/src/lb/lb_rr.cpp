// SPDX-License-Identifier: MIT
// roundrobin (smooth weighted, state in shm) and static-rr (fixed weighted sequence).
#include "lb/lb_int.hpp"

namespace portico {

// Smooth weighted round-robin under the backend lock (state in shm): all workers together
// produce one interleaved sequence. Full servers and <avoid> are skipped. The weights are
// the fine effective ones (256 x the user weight at full weight): the sequence is the one
// of the user weights, since every current weight is scaled alike, and a server ramped by
// slowstart gets its fraction of its share even with weight 1.
int lb_rr_pick(proxy* be, const std::vector<server*>& set, server* avoid, server** out)
{
    shm_lock& lk = be->shared->lb_lock;
    bool any_usable = false;
    for (int pass = 0; pass < 2; pass++) {
        server* best = nullptr;
        int64_t total = 0;
        lk.lock();
        for (server* s : set) {
            if (!lb_usable(s))
                continue;
            any_usable = true;
            if ((pass == 0 && s == avoid) || lb_srv_full(s))
                continue;
            int64_t w = (int64_t)lb_srv_fine_weight(s);
            lb_sh(s)->rr_current += w;
            total += w;
            if (!best || lb_sh(s)->rr_current > lb_sh(best)->rr_current)
                best = s;
        }
        if (best)
            lb_sh(best)->rr_current -= total;
        lk.unlock();
        if (best) {
            if (lb_take_slot(best)) {
                *out = best;
                return CH_OK;
            }
            continue; // lost a race for the last slot: try again without it
        }
        if (!avoid)
            break;
    }
    return any_usable ? CH_FULL : CH_NONE;
}

namespace {

int rr_pick(proxy* be, const lb_backend*, stream*, const lb_tier& t, server* avoid, server** out)
{
    return lb_rr_pick(be, t.srv, avoid, out);
}

void static_rr_build(lb_tier& t, const std::vector<lbh::member>& m)
{
    t.seq = lbh::weighted_sequence(m);
}

// static-rr: a fixed weighted sequence and one shared position counter.
int static_rr_pick(proxy* be, const lb_backend*, stream*, const lb_tier& t, server* avoid,
                   server** out)
{
    size_t n = t.seq.size();
    if (!n)
        return CH_NONE;
    bool any = false;
    server* fallback = nullptr;
    for (size_t k = 0; k < n; k++) {
        uint64_t pos = be->shared->lb_pos.fetch_add(1, std::memory_order_relaxed);
        server* s = t.members[t.seq[pos % n]];
        if (!lb_usable(s))
            continue;
        any = true;
        if (s == avoid) {
            fallback = s;
            continue;
        }
        if (lb_try_take(s, out) == CH_OK)
            return CH_OK;
    }
    if (fallback && lb_try_take(fallback, out) == CH_OK)
        return CH_OK;
    return any ? CH_FULL : CH_NONE;
}

} // namespace

const lb_ops lb_ops_roundrobin = {"roundrobin", nullptr, rr_pick, false, true, false};
const lb_ops lb_ops_static_rr = {"static-rr", static_rr_build, static_rr_pick, false, false,
                                 false};

} // namespace portico
