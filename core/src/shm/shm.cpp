// SPDX-License-Identifier: MIT
// Instance-wide state shared by the master and every worker (see shm.hpp).
#include "shm/shm.hpp"

#include <sys/mman.h>

#include <new>

#include "proxy/proxy.hpp"

namespace portico {

static shm_header* g_shm;

shm_header* shm_get() { return g_shm; }

bool shm_create(config& cfg)
{
    size_t np = cfg.proxies.size();
    size_t ns = 0;
    for (auto& p : cfg.proxies)
        ns += p->servers.size();
    size_t off_proxies = (sizeof(shm_header) + 63) & ~size_t(63);
    size_t off_servers = off_proxies + np * sizeof(shm_proxy);
    size_t total = off_servers + ns * sizeof(shm_server);
    void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return false;
    char* base = static_cast<char*>(mem);
    g_shm = new (base) shm_header{};
    g_shm->magic = 0x50534d31u;
    g_shm->nproxies = (uint32_t)np;
    g_shm->nservers = (uint32_t)ns;
    auto* sp = reinterpret_cast<shm_proxy*>(base + off_proxies);
    auto* ss = reinterpret_cast<shm_server*>(base + off_servers);
    uint32_t si = 0;
    for (size_t i = 0; i < np; i++) {
        proxy& p = *cfg.proxies[i];
        p.index = (uint32_t)i;
        p.shared = new (&sp[i]) shm_proxy{};
        for (auto& s : p.servers) {
            s->index = si;
            s->shared = new (&ss[si]) shm_server{};
            s->shared->admin.store(s->disabled ? SRV_ADMIN_MAINT : SRV_ADMIN_READY);
            s->shared->up.store(1);
            s->shared->weight.store(s->weight);
            si++;
        }
    }
    cfg.server_count = si;
    return true;
}

} // namespace portico
