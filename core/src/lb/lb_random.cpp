// SPDX-License-Identifier: MIT
// random(N): power of N choices among weighted random draws (also used by leasttime).
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "event/clock.hpp"
#include "lb/lb_int.hpp"

namespace portico {

namespace {

uint64_t g_rng = 0x9e3779b97f4a7c15ull;

inline bool excluded(server* s, server* const* ex, uint32_t nex)
{
    for (uint32_t i = 0; i < nex; i++)
        if (ex[i] == s)
            return true;
    return false;
}

// A weighted random usable, non-full server not in <ex> (nullptr if none), drawn on the
// fine effective weights. When they are all whole user weights (no server ramping, the
// usual case) the draw is made on the user weights, so that the same random numbers give
// the same servers whether or not the fine scale is used.
server* weighted_random(const std::vector<server*>& set, server* const* ex, uint32_t nex)
{
    uint64_t total = 0;
    bool whole = true;
    for (server* s : set)
        if (!excluded(s, ex, nex) && lb_usable(s) && !lb_srv_full(s)) {
            uint64_t w = lb_srv_fine_weight(s);
            whole &= w % 256 == 0;
            total += w;
        }
    if (!total)
        return nullptr;
    uint64_t unit = whole ? 256 : 1;
    uint64_t r = lb_rnd() % (total / unit);
    server* last = nullptr;
    for (server* s : set) {
        if (excluded(s, ex, nex) || !lb_usable(s) || lb_srv_full(s))
            continue;
        uint64_t w = lb_srv_fine_weight(s) / unit;
        if (r < w)
            return s;
        r -= w;
        last = s;
    }
    return last; // the weights went down meanwhile (another worker, a module)
}

int random_pick(proxy*, const lb_backend* b, stream*, const lb_tier& t, server* avoid,
                server** out)
{
    return lb_draws_pick(t.srv, b->conf->draws, false, avoid, out);
}

} // namespace

uint64_t lb_rnd()
{
    uint64_t x = g_rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g_rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

void lb_seed_rng()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    g_rng = lbh::mix64(((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec) | 1;
}

// N weighted random draws of distinct servers (as long as there are enough), keep the
// least loaded (requests in progress + 1 for its fine effective weight, times the response
// time with rt).
int lb_draws_pick(const std::vector<server*>& set, uint32_t draws, bool rt, server* avoid,
                  server** out)
{
    bool any = false;
    for (server* s : set)
        any |= lb_usable(s);
    if (!any)
        return CH_NONE;
    if (draws > 100)
        draws = 100;
    for (int attempt = 0; attempt < 4; attempt++) {
        server* best = nullptr;
        uint64_t bs = 0, bw = 1;
        uint64_t now = rt ? event::now_ms() : 0;
        server* drawn[101];
        uint32_t nd = 0;
        drawn[nd++] = avoid;
        for (uint32_t d = 0; d < draws; d++) {
            server* s = weighted_random(set, drawn, nd);
            if (!s && d == 0)
                s = weighted_random(set, nullptr, 0); // only <avoid> is left
            if (!s)
                break;
            drawn[nd++] = s;
            uint64_t load = lb_sh(s)->cur_conns.load(std::memory_order_relaxed) + 1;
            if (rt)
                load *= lb_rt_effective(s, now) + 1;
            uint64_t w = std::max<uint64_t>(1, lb_srv_fine_weight(s)); // a ratio: any scale
            if (!best || load * bw < bs * w) {
                best = s;
                bs = load;
                bw = w;
            }
        }
        if (!best)
            return CH_FULL;
        if (lb_take_slot(best)) {
            *out = best;
            return CH_OK;
        }
    }
    return CH_FULL;
}

const lb_ops lb_ops_random = {"random", nullptr, random_pick, false, true, false};

} // namespace portico
