// SPDX-License-Identifier: MIT
// leasttime: power of two choices on the measured response time (EWMA in shm).
#include <algorithm>

#include "event/clock.hpp"
#include "lb/lb_int.hpp"

namespace portico {

namespace {

int leasttime_pick(proxy*, const lb_backend*, stream*, const lb_tier& t, server* avoid,
                   server** out)
{
    return lb_draws_pick(t.srv, 2, true, avoid, out);
}

} // namespace

uint64_t lb_rt_effective(const server* s, uint64_t now)
{
    uint64_t e = lb_sh(s)->rt_ewma_us.load(std::memory_order_relaxed);
    uint64_t age = now - std::min(now, lb_sh(s)->rt_stamp_ms.load(std::memory_order_relaxed));
    // an old measure fades (halves every 2 s), so a slow server is probed again later
    uint64_t halvings = age / 2000;
    return halvings >= 32 ? 0 : e >> halvings;
}

bool lb_wants_rt(const proxy* be) { return be && be->lb && be->lb->ops->wants_rt; }

void lb_observe_rt(server* s, uint64_t us)
{
    shm_server* sh = s->shared;
    if (!sh)
        return;
    if (us > 0xffffffffull)
        us = 0xffffffffull;
    uint64_t old = sh->rt_ewma_us.load(std::memory_order_relaxed);
    // EWMA with alpha = 1/4; the first sample is taken as is
    uint64_t v = old ? (old * 3 + us) / 4 : us;
    sh->rt_ewma_us.store((uint32_t)std::max<uint64_t>(1, v), std::memory_order_relaxed);
    sh->rt_stamp_ms.store(event::now_ms(), std::memory_order_relaxed);
}

const lb_ops lb_ops_leasttime = {"leasttime", nullptr, leasttime_pick, false, true, true};

} // namespace portico
