// SPDX-License-Identifier: MIT
// Instance-wide state shared by the master and every worker (see shm.hpp).
#include "shm/shm.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <ctime>
#include <new>

#include "lb/lb.hpp"
#include "shm/hist.hpp"
#include "proxy/proxy.hpp"

namespace portico {

static shm_header* g_shm;
static shm_proxy* g_proxies;
static shm_server* g_servers;

shm_header* shm_get() { return g_shm; }

shm_server* shm_server_slot(uint32_t i)
{
    return g_shm && i < g_shm->nservers ? &g_servers[i] : nullptr;
}

shm_proxy* shm_proxy_slot(uint32_t i)
{
    return g_shm && i < g_shm->nproxies ? &g_proxies[i] : nullptr;
}

static uint32_t worker_count(const config& cfg)
{
    uint32_t n = cfg.global.workers;
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (uint32_t)c : 1;
    }
    return std::min(n, k_shm_max_workers);
}

static size_t align64(size_t v) { return (v + 63) & ~size_t(63); }

bool shm_create(config& cfg)
{
    size_t np = cfg.proxies.size();
    size_t ns = 0;
    for (auto& p : cfg.proxies) {
        ns += p->servers.size();
        if (p->cap & CAP_BE)
            ns += cfg.global.dynamic_servers;
    }
    uint32_t nw = worker_count(cfg);
    size_t nq = ns + np;
    size_t off_proxies = align64(sizeof(shm_header));
    size_t off_servers = align64(off_proxies + np * sizeof(shm_proxy));
    size_t off_qheads = align64(off_servers + ns * sizeof(shm_server));
    size_t off_own = align64(off_qheads + nq * nw * sizeof(std::atomic<uint64_t>));
    size_t off_hist = align64(off_own + (nq + ns + 2 * np) * nw * sizeof(std::atomic<uint32_t>));
    size_t total = off_hist + hist_size((uint32_t)(2 * np + ns), nw); // latency histograms
    void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return false;
    char* base = static_cast<char*>(mem);
    g_shm = new (base) shm_header{};
    g_shm->magic = 0x50534d31u;
    g_shm->nproxies = (uint32_t)np;
    g_shm->nservers = (uint32_t)ns;
    g_shm->nworkers = nw;
    g_shm->rt_maxconn.store(cfg.global.maxconn);
    for (uint32_t i = 0; i < k_shm_max_workers; i++)
        g_shm->wake_fd[i] = i < nw ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
    g_shm->qheads = reinterpret_cast<std::atomic<uint64_t>*>(base + off_qheads);
    for (size_t i = 0; i < nq * nw; i++)
        new (&g_shm->qheads[i]) std::atomic<uint64_t>(UINT64_MAX);
    auto* own = reinterpret_cast<std::atomic<uint32_t>*>(base + off_own);
    for (size_t i = 0; i < (nq + ns + 2 * np) * nw; i++)
        new (&own[i]) std::atomic<uint32_t>(0);
    g_shm->own_queued = own;
    g_shm->own_slots = own + nq * nw;
    g_shm->own_be = own + (nq + ns) * nw;
    g_shm->own_fe = own + (nq + ns + np) * nw;
    hist_init(base + off_hist, (uint32_t)np, (uint32_t)ns, nw);
    g_proxies = reinterpret_cast<shm_proxy*>(base + off_proxies);
    g_servers = reinterpret_cast<shm_server*>(base + off_servers);
    uint32_t now = (uint32_t)time(nullptr);
    uint32_t si = 0;
    for (size_t i = 0; i < np; i++) {
        proxy& p = *cfg.proxies[i];
        p.index = (uint32_t)i;
        p.shared = new (&g_proxies[i]) shm_proxy{};
        p.shared->srv_first = si;
        p.shared->fe_maxconn.store(p.maxconn);
        p.shared->fe_rate_lim.store(p.sess_rate_lim);
        for (auto& s : p.servers) {
            s->index = si;
            shm_server* sh = new (&g_servers[si]) shm_server{};
            s->shared = sh;
            sh->in_use.store(1);
            sh->admin.store(s->disabled ? SRV_ADMIN_MAINT : SRV_ADMIN_READY);
            sh->up.store(1);
            sh->weight.store(s->weight);
            sh->maxconn.store(s->maxconn);
            sh->minconn.store(s->minconn);
            sh->maxqueue.store(s->maxqueue);
            sh->iweight = s->weight;
            sh->srv_id = s->id;
            sh->last_change = now;
            std::memcpy(&sh->addr, &s->addr, sizeof(s->addr));
            sh->addrlen = s->addrlen;
            std::strncpy(sh->name, s->name.c_str(), sizeof(sh->name) - 1);
            si++;
        }
        if (p.cap & CAP_BE) {
            for (uint32_t k = 0; k < cfg.global.dynamic_servers; k++) {
                shm_server* sh = new (&g_servers[si]) shm_server{};
                sh->admin.store(SRV_ADMIN_MAINT);
                si++;
            }
        }
        p.shared->srv_slots = si - p.shared->srv_first;
    }
    cfg.server_count = si;
    lb_init(cfg);
    return true;
}

namespace {
// Rolls the window to second <sec>: the count of the second before it, or 0 if older.
void cr_roll(shm_header* h, uint64_t sec)
{
    uint64_t cur = h->cr_sec.load(std::memory_order_relaxed);
    if (cur >= sec)
        return;
    if (h->cr_sec.compare_exchange_strong(cur, sec, std::memory_order_relaxed)) {
        uint32_t n = h->cr_cur.exchange(0, std::memory_order_relaxed);
        h->cr_prev.store(cur + 1 == sec ? n : 0, std::memory_order_relaxed);
    }
}

uint32_t cr_estimate(shm_header* h, uint64_t now_ms)
{
    uint64_t ms = now_ms % 1000;
    uint64_t prev = h->cr_prev.load(std::memory_order_relaxed);
    return h->cr_cur.load(std::memory_order_relaxed) + (uint32_t)(prev * (1000 - ms) / 1000);
}
} // namespace

uint32_t shm_rate_read(shm_rate& r, uint64_t now_ms)
{
    uint64_t sec = now_ms / 1000, cur = r.sec.load(std::memory_order_relaxed);
    if (cur < sec && r.sec.compare_exchange_strong(cur, sec, std::memory_order_relaxed)) {
        uint32_t n = r.cur.exchange(0, std::memory_order_relaxed);
        r.prev.store(cur + 1 == sec ? n : 0, std::memory_order_relaxed);
    }
    uint64_t prev = r.prev.load(std::memory_order_relaxed);
    return r.cur.load(std::memory_order_relaxed) + (uint32_t)(prev * (1000 - now_ms % 1000) / 1000);
}

uint32_t shm_rate_add(shm_rate& r, uint64_t now_ms)
{
    shm_rate_read(r, now_ms);
    r.cur.fetch_add(1, std::memory_order_relaxed);
    uint32_t v = shm_rate_read(r, now_ms);
    uint32_t m = r.max.load(std::memory_order_relaxed);
    while (v > m && !r.max.compare_exchange_weak(m, v, std::memory_order_relaxed)) {
    }
    return v;
}

uint32_t shm_conn_rate(shm_header* h, uint64_t now_ms)
{
    cr_roll(h, now_ms / 1000);
    return cr_estimate(h, now_ms);
}

uint32_t shm_conn_rate_add(shm_header* h, uint64_t now_ms)
{
    cr_roll(h, now_ms / 1000);
    h->cr_cur.fetch_add(1, std::memory_order_relaxed);
    uint32_t r = cr_estimate(h, now_ms);
    uint32_t m = h->cr_max.load(std::memory_order_relaxed);
    while (r > m && !h->cr_max.compare_exchange_weak(m, r, std::memory_order_relaxed)) {
    }
    return r;
}

namespace {
struct mod_area {
    void* p;
    size_t size;
};
std::map<std::string, mod_area> g_mod_areas; // "module\0name" -> area
bool g_mod_sealed;
} // namespace

void* shm_module_reserve(const std::string& module, const std::string& name, size_t size)
{
    if (g_mod_sealed || size == 0)
        return nullptr;
    std::string key = module + std::string(1, '\0') + name;
    auto it = g_mod_areas.find(key);
    if (it != g_mod_areas.end())
        return it->second.size >= size ? it->second.p : nullptr;
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    g_mod_areas.emplace(key, mod_area{p, size});
    return p;
}

void shm_module_seal() { g_mod_sealed = true; }

} // namespace portico
