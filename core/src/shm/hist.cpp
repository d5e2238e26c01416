// SPDX-License-Identifier: MIT
// Latency histograms and time averages in shared memory (see hist.hpp).
#include "shm/hist.hpp"

#include <algorithm>
#include <new>

namespace portico {

namespace {

using cell = std::atomic<uint64_t>;

struct hist_area {
    cell* base = nullptr;
    uint32_t nproxies = 0;
    uint32_t nobjects = 0;
    uint32_t workers = 0;
    uint32_t nb = 0;        // bounds in use
    uint32_t tstride = 0;   // cells per timer: nb + 1 buckets, count, sum, wsum, max
    uint32_t ostride = 0;   // cells per (worker, object): 4 timers, rounded to 64 bytes
    uint32_t bounds[k_hist_max_buckets];
};

hist_area g_h;

// Offsets inside a timer's cells, after the nb + 1 buckets.
enum { C_COUNT = 0, C_SUM = 1, C_WSUM = 2, C_MAX = 3, C_EXTRA = 4 };

uint32_t timer_cells(uint32_t nb) { return nb + 1 + C_EXTRA; }
uint32_t object_cells(uint32_t nb) { return (HT_COUNT * timer_cells(nb) + 7) & ~7u; }

} // namespace

std::vector<uint32_t>& hist_bounds()
{
    static std::vector<uint32_t> b = hist_default_bounds();
    return b;
}

const std::vector<uint32_t>& hist_default_bounds()
{
    static const std::vector<uint32_t> d = {1,   5,   10,   25,   50,   100,
                                            250, 500, 1000, 2500, 5000, 10000};
    return d;
}

size_t hist_size(uint32_t objects, uint32_t workers)
{
    uint32_t nb = (uint32_t)std::min<size_t>(hist_bounds().size(), k_hist_max_buckets);
    return (size_t)objects * workers * object_cells(nb) * sizeof(cell);
}

void hist_init(void* mem, uint32_t nproxies, uint32_t nservers, uint32_t workers)
{
    const auto& b = hist_bounds();
    g_h.nb = (uint32_t)std::min<size_t>(b.size(), k_hist_max_buckets);
    for (uint32_t i = 0; i < g_h.nb; i++)
        g_h.bounds[i] = b[i];
    g_h.nproxies = nproxies;
    g_h.nobjects = 2 * nproxies + nservers;
    g_h.workers = workers ? workers : 1;
    g_h.tstride = timer_cells(g_h.nb);
    g_h.ostride = object_cells(g_h.nb);
    size_t n = (size_t)g_h.nobjects * g_h.workers * g_h.ostride;
    g_h.base = static_cast<cell*>(mem);
    for (size_t i = 0; i < n; i++)
        new (&g_h.base[i]) cell(0);
}

uint32_t hist_obj_be(uint32_t proxy_index) { return g_h.nproxies + proxy_index; }
uint32_t hist_obj_srv(uint32_t server_slot) { return 2 * g_h.nproxies + server_slot; }
uint32_t hist_nbounds() { return g_h.nb; }

void hist_record(uint32_t slot, uint32_t obj, const int64_t ms[HT_COUNT])
{
    if (!g_h.base || obj >= g_h.nobjects)
        return;
    cell* o = g_h.base + ((size_t)(slot % g_h.workers) * g_h.nobjects + obj) * g_h.ostride;
    // a slot has one writer (its worker) unless there are more workers than slots: then
    // atomic read-modify-writes, else a relaxed load and store (no locked instruction)
    bool alone = slot < g_h.workers;
    auto add = [alone](cell& c, uint64_t v) {
        if (alone) {
            uint64_t n = c.load(std::memory_order_relaxed) + v;
            c.store(n, std::memory_order_relaxed);
            return n;
        }
        return c.fetch_add(v, std::memory_order_relaxed) + v;
    };
    for (uint32_t t = 0; t < HT_COUNT; t++) {
        if (ms[t] < 0)
            continue;
        uint64_t v = (uint64_t)ms[t];
        cell* c = o + t * g_h.tstride;
        uint32_t b = 0;
        while (b < g_h.nb && v > g_h.bounds[b])
            b++;
        add(c[b], 1);
        cell* x = c + g_h.nb + 1;
        uint64_t n = add(x[C_COUNT], 1);
        add(x[C_SUM], v);
        // HAProxy's sliding-window sum (swrate): exact over the first 1024 samples, then
        // each sample replaces 1/1024 of it (one writer per slot; a race loses a sample)
        uint64_t ws = x[C_WSUM].load(std::memory_order_relaxed);
        x[C_WSUM].store(n <= k_hist_window ? ws + v : ws - ws / k_hist_window + v,
                        std::memory_order_relaxed);
        if (v > x[C_MAX].load(std::memory_order_relaxed))
            x[C_MAX].store(v, std::memory_order_relaxed);
    }
}

void hist_clear(uint32_t obj, bool all)
{
    if (!g_h.base || obj >= g_h.nobjects)
        return;
    for (uint32_t w = 0; w < g_h.workers; w++) {
        cell* o = g_h.base + ((size_t)w * g_h.nobjects + obj) * g_h.ostride;
        for (uint32_t t = 0; t < HT_COUNT; t++) {
            cell* c = o + t * g_h.tstride;
            for (uint32_t i = 0; i < g_h.tstride; i++)
                if (all || i == g_h.nb + 1 + C_MAX)
                    c[i].store(0, std::memory_order_relaxed);
        }
    }
}

bool hist_get(uint32_t obj, hist_timer t, hist_read& out)
{
    out = hist_read{};
    if (!g_h.base || obj >= g_h.nobjects)
        return false;
    double wsum = 0, wn = 0;
    for (uint32_t w = 0; w < g_h.workers; w++) {
        const cell* c = g_h.base + ((size_t)w * g_h.nobjects + obj) * g_h.ostride +
                        t * g_h.tstride;
        for (uint32_t b = 0; b <= g_h.nb; b++)
            out.bucket[b] += c[b].load(std::memory_order_relaxed);
        const cell* x = c + g_h.nb + 1;
        uint64_t n = x[C_COUNT].load(std::memory_order_relaxed);
        out.count += n;
        out.sum_ms += x[C_SUM].load(std::memory_order_relaxed);
        out.max_ms = std::max(out.max_ms, x[C_MAX].load(std::memory_order_relaxed));
        if (n) { // each worker's window average, weighted by the samples in its window
            double win = (double)std::min<uint64_t>(n, k_hist_window);
            wsum += (double)x[C_WSUM].load(std::memory_order_relaxed);
            wn += win;
        }
    }
    out.avg_ms = wn > 0 ? wsum / wn : 0;
    return true;
}

} // namespace portico
