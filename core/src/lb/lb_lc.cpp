// SPDX-License-Identifier: MIT
// leastconn: weighted least requests in progress, instance-wide.
#include "lb/lb_int.hpp"

namespace portico {

namespace {

// Weighted least connections: smallest (cur+1)/weight, with the fine effective weight (a
// ratio, so the 256 scale changes nothing at full weight); ties go to the least recently
// picked thanks to a rotating start and the pick number kept in rr_current.
int lc_pick(proxy* be, const lb_backend*, stream*, const lb_tier& t, server* avoid, server** out)
{
    const std::vector<server*>& set = t.srv;
    size_t n = set.size();
    if (!n)
        return CH_NONE;
    uint64_t seq = be->shared->lb_pos.fetch_add(1, std::memory_order_relaxed) + 1;
    size_t start = (size_t)(seq % n);
    for (int attempt = 0; attempt < 4; attempt++) {
        server* best = nullptr;
        uint64_t bc = 0, bw = 1;
        bool any = false;
        for (int pass = 0; pass < 2 && !best; pass++) {
            for (size_t k = 0; k < n; k++) {
                server* s = set[(start + k) % n];
                if (!lb_usable(s))
                    continue;
                any = true;
                if ((pass == 0 && s == avoid) || lb_srv_full(s))
                    continue;
                uint64_t c = lb_sh(s)->cur_conns.load(std::memory_order_relaxed) + 1;
                uint64_t w = lb_srv_fine_weight(s);
                // ties: the least recently picked (rr_current holds the last pick number)
                if (!best || c * bw < bc * w ||
                    (c * bw == bc * w &&
                     __atomic_load_n(&lb_sh(s)->rr_current, __ATOMIC_RELAXED) <
                         __atomic_load_n(&lb_sh(best)->rr_current, __ATOMIC_RELAXED))) {
                    best = s;
                    bc = c;
                    bw = w;
                }
            }
            if (!avoid)
                break;
        }
        if (!best)
            return any ? CH_FULL : CH_NONE;
        if (lb_take_slot(best)) {
            __atomic_store_n(&lb_sh(best)->rr_current, (int64_t)seq, __ATOMIC_RELAXED);
            *out = best;
            return CH_OK;
        }
    }
    return CH_FULL;
}

} // namespace

const lb_ops lb_ops_leastconn = {"leastconn", nullptr, lc_pick, false, true, false};

} // namespace portico
