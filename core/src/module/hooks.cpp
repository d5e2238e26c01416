// SPDX-License-Identifier: MIT
// Hook chains: every module's hooks sorted by phase and priority, run on streams.
#include "module/hooks.hpp"

#include <algorithm>
#include <vector>

#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "stream/stream.hpp"

namespace portico {

namespace {
struct hook_ent {
    int32_t priority;
    uint32_t order;
    module_rec* mod;
    ptc_hook_fn fn;
};
std::vector<hook_ent> g_chains[PTC_PHASE_MAX + 1];
} // namespace

void hooks_build()
{
    for (auto& c : g_chains)
        c.clear();
    uint32_t order = 0;
    for (auto& m : g_modules.all())
        for (const ptc_hook& h : m->hooks)
            g_chains[h.phase].push_back(hook_ent{h.priority, order++, m.get(), h.fn});
    for (auto& c : g_chains)
        std::stable_sort(c.begin(), c.end(), [](const hook_ent& a, const hook_ent& b) {
            return a.priority < b.priority;
        });
}

bool hooks_present(uint32_t phase) { return phase <= PTC_PHASE_MAX && !g_chains[phase].empty(); }

static void* blob(proxy* p, module_rec* m)
{
    if (!p || m->index >= p->mod.blobs.size())
        return nullptr;
    return p->mod.blobs[m->index];
}

int run_hooks(stream* s, uint32_t phase)
{
    if (phase > PTC_PHASE_MAX)
        return PTC_CONTINUE;
    for (const hook_ent& h : g_chains[phase]) {
        int r = h.fn(reinterpret_cast<ptc_stream*>(s), blob(s->fe, h.mod), blob(s->be, h.mod));
        if (r != PTC_CONTINUE)
            return r;
    }
    return PTC_CONTINUE;
}

int run_hooks_from(stream* s, uint32_t phase, uint16_t& idx)
{
    if (phase > PTC_PHASE_MAX)
        return PTC_CONTINUE;
    const auto& ch = g_chains[phase];
    for (; idx < ch.size(); idx++) {
        const hook_ent& h = ch[idx];
        int r = h.fn(reinterpret_cast<ptc_stream*>(s), blob(s->fe, h.mod), blob(s->be, h.mod));
        if (r == PTC_YIELD)
            return r;
        if (r != PTC_CONTINUE) {
            idx++;
            return r;
        }
    }
    return PTC_CONTINUE;
}

} // namespace portico
