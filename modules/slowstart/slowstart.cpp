// SPDX-License-Identifier: MIT
// The slowstart module: "slowstart <time>" on server and default-server lines (and on
// "add server"). A server that comes into service has its effective weight ramped from
// 1/256 of its weight to the full weight over <time>; the core scales the server's
// effective maxconn by the same fraction while it is below 256.
//
// Coming into service is observed, not notified: worker slot 0 polls every server's
// state (host->server_state) in a task every 100 ms, and compares it with the state it saw last. "In service" means
// operationally up (not stopping) and not in maintenance. The transitions that start a
// ramp are therefore: DOWN -> UP (health checks), STOPPING -> UP, leaving maintenance
// (runtime API "set server ... state ready", "enable server"), and the first time the
// server is seen in service: every server at a cold start of the instance, and a server
// added at run time when it first leaves maintenance.
//
// The curve is linear in time, with a resolution of 1/256 of the weight:
//   frac(t) = 1 + 255 * t / T    (t: ms since the ramp started, T: the slowstart time)
//   effective weight = ceil(weight * frac / 256), effective maxconn = max(1, maxconn *
//   frac / 256) (unlimited stays unlimited). At t >= T the fraction is 256 (full) and the
//   ramp ends. While a server with slowstart is out of service its fraction is parked at
//   1/256, so that it comes back at the bottom of the ramp even before the next poll.
//
// State lives in module shared memory (shm_reserve), so a replacement of worker 0
// continues the ramps where its predecessor left them:
//  - one entry per configured server with slowstart, indexed by the order post_config
//    sees them (the index is kept in the server's conf blob, inherited by every worker);
//  - a table of entries for servers added at run time, keyed by backend ordinal and
//    server name, claimed by worker 0 on first sight and freed by the first poll that no
//    longer finds the server (deleted).
//
// Limits: a transition shorter than the polling period (e.g. "state maint" then
// "state ready" within 100 ms) may go unseen and then starts no ramp.
#include <portico/portico.h>

#include <stdint.h>
#include <string.h>

#include <atomic>

namespace {

const ptc_host* host;
ptc_modref* me;

constexpr uint64_t k_max_slowstart_ms = 2147483647; // HAProxy's timer range
constexpr uint64_t k_poll_ms = 100;                 // state polling period
constexpr uint32_t k_frac_full = 256;

// Per-server configuration (conf blob): copied from default-server's.
struct srv_conf {
    uint64_t slowstart_ms; // 0: no slowstart
    uint32_t slot;         // 1 + index of the configured server's entry; 0: none (added)
};

// Per-server ramp state, in shared memory. Written by worker 0 only; <seen> is also read
// by the other workers when they start.
struct ramp_entry {
    std::atomic<uint32_t> seen; // 1 once worker 0 looked at the server
    uint32_t in_service;        // state seen at the last poll
    uint32_t ramping;           // a ramp runs
    uint32_t frac;              // fraction last set (1..256; 0: none set yet)
    uint64_t start_ms;          // when the ramp started (now_ms scale: CLOCK_MONOTONIC)
    // entries of servers added at run time
    uint32_t used;              // 1: the entry holds a server
    uint32_t px;                // backend ordinal (proxy_next order)
    uint32_t mark;              // pass number of the last poll that visited it
    char name[64];
};

struct shared_area {
    uint32_t nstatic;           // entries for configured servers
    uint32_t ndyn;              // entries for servers added at run time
    uint32_t pass;              // poll pass counter (worker 0)
    uint32_t dyn_full_logged;
    ramp_entry e[];             // nstatic, then ndyn
};

shared_area* area;
ptc_task* poll_task;

srv_conf* conf_of(const ptc_server* s)
{
    return static_cast<srv_conf*>(host->server_conf(me, s));
}

bool is_backend(const ptc_proxy* p)
{
    return (host->proxy_cap(p) & PTC_SEC_BACKEND) != 0;
}

// ---- configuration ----------------------------------------------------------------------

int parse_slowstart(const ptc_kw_ctx* ctx)
{
    srv_conf* c = static_cast<srv_conf*>(ctx->conf);
    ptc_str a = ctx->args[ctx->kw_words];
    if (!c)
        return host->cfg_errorf(ctx, "'slowstart': no server to apply it to");
    uint64_t ms = 0;
    if (a.len == 0 || host->parse_time(a, &ms) != PTC_OK)
        return host->cfg_errorf(ctx,
                                "'slowstart' expects a time such as 30s or 500ms, got '%.*s'",
                                (int)a.len, a.ptr);
    if (ms > k_max_slowstart_ms)
        return host->cfg_errorf(ctx, "'slowstart' time '%.*s' is too large (at most %llu ms)",
                                (int)a.len, a.ptr, (unsigned long long)k_max_slowstart_ms);
    c->slowstart_ms = ms;
    return PTC_OK;
}

const ptc_keyword keywords[] = {
    {"slowstart", PTC_KW_SERVER | PTC_KW_DEFSERVER, PTC_KWF_RUNTIME, 1, 1, parse_slowstart,
     "slowstart <time>: ramp the server's weight and maxconn up over <time> when it comes "
     "into service"},
};

int post_config(ptc_modref* self)
{
    uint32_t nstatic = 0, nbackends = 0;
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!is_backend(p))
            continue;
        nbackends++;
        for (ptc_server* s = host->server_next(p, nullptr); s; s = host->server_next(p, s)) {
            srv_conf* c = conf_of(s);
            if (!c)
                continue;
            c->slot = c->slowstart_ms ? ++nstatic : 0;
        }
    }
    uint32_t ndyn = nbackends * 64 < 4096 ? 4096 : nbackends * 64;
    size_t size = sizeof(shared_area) + sizeof(ramp_entry) * ((size_t)nstatic + ndyn);
    area = static_cast<shared_area*>(host->shm_reserve(self, "ramps", size));
    if (!area) {
        host->errorf(self, "cannot reserve %zu bytes of shared memory", size);
        return PTC_ERROR;
    }
    area->nstatic = nstatic;
    area->ndyn = ndyn;
    return PTC_OK;
}

// ---- the ramp -----------------------------------------------------------------------------

bool in_service(uint32_t st)
{
    return (st & PTC_SRV_ST_UP) && !(st & (PTC_SRV_ST_STOPPING | PTC_SRV_ST_MAINT));
}

void set_frac(ptc_server* s, ramp_entry* e, uint32_t frac)
{
    if (e->frac != frac) {
        host->server_set_eweight(s, frac);
        e->frac = frac;
    }
}

uint32_t ramp_frac(uint64_t elapsed, uint64_t total)
{
    if (elapsed >= total)
        return k_frac_full;
    return 1 + (uint32_t)((k_frac_full - 1) * elapsed / total);
}

// Examines one server: starts, advances, ends or parks its ramp.
void poll_server(ptc_server* s, const srv_conf* c, ramp_entry* e, uint64_t now)
{
    bool up = in_service(host->server_state(s));
    if (!e->seen.load(std::memory_order_relaxed)) {
        // first sight: the instance starts cold, or the server was added at run time
        e->in_service = up;
        e->ramping = up;
        e->start_ms = now;
        e->frac = 0;
        set_frac(s, e, 1);
        e->seen.store(1, std::memory_order_release);
    } else if (up && !e->in_service) {
        e->ramping = 1;
        e->start_ms = now;
        set_frac(s, e, 1);
    } else if (!up && e->in_service) {
        e->ramping = 0;
        set_frac(s, e, 1); // parked at the start of the ramp while out of service
    }
    e->in_service = up;
    if (e->ramping) {
        uint32_t f = ramp_frac(now - e->start_ms, c->slowstart_ms);
        set_frac(s, e, f);
        if (f == k_frac_full)
            e->ramping = 0;
    }
}

// The entry of a server added at run time (claimed on first sight), or nullptr.
ramp_entry* dyn_entry(uint32_t px, const ptc_server* s)
{
    ramp_entry* dyn = area->e + area->nstatic;
    ptc_str n = host->server_name(s);
    size_t nl = n.len < sizeof(dyn->name) - 1 ? n.len : sizeof(dyn->name) - 1;
    ramp_entry* free_e = nullptr;
    for (uint32_t i = 0; i < area->ndyn; i++) {
        ramp_entry* e = dyn + i;
        if (!e->used) {
            if (!free_e)
                free_e = e;
            continue;
        }
        if (e->px == px && strncmp(e->name, n.ptr, nl) == 0 &&
            e->name[nl] == 0)
            return e;
    }
    if (!free_e) {
        if (!area->dyn_full_logged++)
            host->log(PTC_LOG_WARNING,
                      "slowstart: no room left for the servers added at run time; "
                      "server '%.*s' will not ramp",
                      (int)n.len, n.ptr);
        return nullptr;
    }
    free_e->seen.store(0, std::memory_order_relaxed);
    free_e->in_service = 0;
    free_e->ramping = 0;
    free_e->frac = 0;
    free_e->start_ms = 0;
    free_e->px = px;
    memcpy(free_e->name, n.ptr, nl);
    free_e->name[nl] = 0;
    free_e->used = 1;
    return free_e;
}

uint64_t poll_all(ptc_task*, void*)
{
    uint64_t now = host->now_ms();
    uint32_t pass = ++area->pass;
    uint32_t px = 0;
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!is_backend(p))
            continue;
        px++;
        for (ptc_server* s = host->server_next(p, nullptr); s; s = host->server_next(p, s)) {
            const srv_conf* c = conf_of(s);
            if (!c || !c->slowstart_ms)
                continue;
            ramp_entry* e;
            if (c->slot && c->slot <= area->nstatic) {
                e = area->e + (c->slot - 1);
            } else {
                e = dyn_entry(px, s);
                if (!e)
                    continue;
                e->mark = pass;
            }
            poll_server(s, c, e, now);
        }
    }
    // entries of added servers that are gone (deleted) are freed
    ramp_entry* dyn = area->e + area->nstatic;
    for (uint32_t i = 0; i < area->ndyn; i++)
        if (dyn[i].used && dyn[i].mark != pass)
            dyn[i].used = 0;
    return now + k_poll_ms;
}

int worker_init(ptc_modref* self)
{
    if (!area || (area->nstatic == 0 && !area->ndyn))
        return PTC_OK;
    if (host->worker_slot() != 0) {
        // Until worker 0 has looked at them, keep the configured servers with slowstart at
        // the bottom of their ramp: this worker may start serving first.
        for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
            if (!is_backend(p))
                continue;
            for (ptc_server* s = host->server_next(p, nullptr); s;
                 s = host->server_next(p, s)) {
                const srv_conf* c = conf_of(s);
                if (c && c->slowstart_ms && c->slot && c->slot <= area->nstatic &&
                    !area->e[c->slot - 1].seen.load(std::memory_order_acquire))
                    host->server_set_eweight(s, 1);
            }
        }
        return PTC_OK;
    }
    poll_task = host->task_new(self, poll_all, nullptr);
    if (!poll_task) {
        host->log(PTC_LOG_ERR, "slowstart: cannot create the polling task");
        return PTC_ERROR;
    }
    poll_all(poll_task, nullptr); // at once: the first look sets the cold-start ramps
    host->task_schedule(poll_task, host->now_ms() + k_poll_ms);
    return PTC_OK;
}

void worker_fini(ptc_modref*)
{
    if (poll_task) {
        host->task_free(poll_task);
        poll_task = nullptr;
    }
}

int init(ptc_modref* self)
{
    me = self;
    return PTC_OK;
}

const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = 3,
    .size = sizeof(ptc_module),
    .name = "slowstart",
    .version = "1.0.0",
    .description = "slowstart: ramp a server's weight and maxconn up when it comes into "
                   "service",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .server_conf_size = sizeof(srv_conf),
    .init = init,
    .post_config = post_config,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &desc;
}
