// SPDX-License-Identifier: MIT
// Load-balancing framework: per-backend tables and tiers (active/backup), connection slots,
// the choice of the algorithm's ops at load time. The algorithms live in lb_*.cpp.
#include "lb/lb.hpp"

#include <algorithm>
#include <atomic>

#include "event/clock.hpp"
#include "lb/lb_int.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream-t.hpp"

namespace portico {

void (*lb_sync_servers)(proxy* be) = nullptr;

namespace {

// The tier streams are balanced over now: actives when one is usable, else backups.
int current_tier(const lb_backend* b)
{
    for (server* s : b->tier[0].srv)
        if (lb_usable(s))
            return 0;
    return 1;
}

// First usable backup by id (option allbackups off).
server* first_backup(const lb_backend* b)
{
    for (server* s : b->tier[1].srv)
        if (lb_usable(s))
            return s;
    return nullptr;
}

} // namespace

const lb_ops* lb_select_ops(const lb_conf& c)
{
    switch (c.algo) {
    case lb_algo::static_rr: return &lb_ops_static_rr;
    case lb_algo::leastconn: return &lb_ops_leastconn;
    case lb_algo::first: return &lb_ops_first;
    case lb_algo::random: return &lb_ops_random;
    case lb_algo::leasttime: return &lb_ops_leasttime;
    case lb_algo::maglev: return &lb_ops_maglev;
    case lb_algo::source:
    case lb_algo::uri:
    case lb_algo::url_param:
    case lb_algo::hdr:
    case lb_algo::hash:
        return c.hash_type == lb_hash_type::consistent ? &lb_ops_chash : &lb_ops_map_hash;
    case lb_algo::roundrobin: break;
    }
    return &lb_ops_roundrobin;
}

// ---- framework --------------------------------------------------------------------------

bool lb_usable(const server* s)
{
    const shm_server* sh = s->shared;
    return sh && sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY &&
           srv_op_up(sh) && srv_eweight(sh) > 0 &&
           sh->in_use.load(std::memory_order_relaxed);
}

uint32_t lb_srv_maxconn(const server* s)
{
    const shm_server* sh = s->shared;
    uint32_t max = sh->maxconn.load(std::memory_order_relaxed);
    if (!max)
        return 0;
    uint32_t min = sh->minconn.load(std::memory_order_relaxed);
    if (min && min < max) {
        const proxy* be = s->be;
        uint32_t full = be && be->lb ? be->lb->fullconn : 0;
        uint32_t cur =
            be && be->shared ? be->shared->be_conns.load(std::memory_order_relaxed) : 0;
        if (full && cur < full)
            max = std::max(min, (uint32_t)((uint64_t)cur * max / full));
    }
    // A module lowering the effective weight (slowstart's ramp: eweight_drop != 0) lowers
    // the limit by the same fraction, keeping at least 1, as HAProxy's warming-up servers.
    uint32_t drop = sh->eweight_drop.load(std::memory_order_relaxed);
    if (drop)
        max = std::max<uint32_t>(1, (uint32_t)((uint64_t)max * (256 - std::min(drop, 256u)) /
                                               256));
    return max;
}

bool lb_take_slot(server* s)
{
    shm_server* sh = s->shared;
    uint32_t max = lb_srv_maxconn(s);
    uint32_t cur;
    if (!max) {
        cur = sh->cur_conns.fetch_add(1);
    } else {
        cur = sh->cur_conns.load(std::memory_order_relaxed);
        do {
            if (cur >= max)
                return false;
        } while (!sh->cur_conns.compare_exchange_weak(cur, cur + 1));
    }
    if (cur + 1 > sh->max_conns.load(std::memory_order_relaxed))
        sh->max_conns.store(cur + 1, std::memory_order_relaxed);
    lb_own(lb_own_kind::slots, s->index, 1);
    // srv_sess_rate, show stat "rate": the loop's cached clock (a one-second window)
    shm_rate_add(sh->sess_rate, event::now_ms());
    if (shm_proxy* bp = s->be ? s->be->shared : nullptr) {
        lb_own(lb_own_kind::be, s->be->index, 1);
        uint32_t b = bp->be_conns.fetch_add(1, std::memory_order_relaxed) + 1;
        if (b > bp->be_max_conns.load(std::memory_order_relaxed))
            bp->be_max_conns.store(b, std::memory_order_relaxed);
        bp->be_cum_conns.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

void lb_release_slot(server* s)
{
    shm_server* sh = s->shared;
    sh->cur_conns.fetch_sub(1);
    lb_own(lb_own_kind::slots, s->index, -1);
    shm_proxy* bp = s->be ? s->be->shared : nullptr;
    if (bp) {
        bp->be_conns.fetch_sub(1, std::memory_order_relaxed);
        lb_own(lb_own_kind::be, s->be->index, -1);
    }
    if (sh->queue.cur.load() || (bp && bp->queue.cur.load()))
        lb_queue_dispatch(s);
}

bool lb_weights_dynamic(const proxy* be)
{
    return !be->lb || be->lb->ops->dynamic_weights;
}

// The weight a table is built with: the user weight for the static algorithms (static-rr,
// map-based hashing: as in HAProxy, a module lowering the effective weight such as
// slowstart does not apply to them), the effective weight in whole user weights for the
// dynamic ones that keep a table (consistent hashing, Maglev: as HAProxy's consistent
// hashing, which ramps a server's points on its ring).
static uint32_t table_weight(const lb_backend* b, const server* s)
{
    if (!b->ops->dynamic_weights)
        return s->shared->weight.load(std::memory_order_relaxed);
    return lb_srv_weight(s);
}

static void build_tier(lb_backend* b, lb_tier& t)
{
    t.members.clear();
    std::vector<lbh::member> m;
    for (server* s : t.srv) {
        if (!lb_usable(s))
            continue;
        m.push_back({(uint32_t)t.members.size(), s->name, table_weight(b, s)});
        t.members.push_back(s);
    }
    t.seq.clear();
    t.ring.clear();
    t.maglev.clear();
    if (b->ops->build)
        b->ops->build(t, m);
}

void lb_backend_changed(proxy* be)
{
    lb_backend* b = be->lb;
    if (!b)
        return;
    for (lb_tier& t : b->tier)
        t.srv.clear();
    for (auto& up : be->servers) {
        server* s = up.get();
        if (!s->shared)
            continue;
        b->tier[s->backup ? 1 : 0].srv.push_back(s);
    }
    for (lb_tier& t : b->tier) {
        std::stable_sort(t.srv.begin(), t.srv.end(),
                         [](const server* x, const server* y) { return x->id < y->id; });
        build_tier(b, t);
    }
    if (be->shared)
        lb_queue_backend_changed(be);
}

void lb_check_gen(proxy* be)
{
    lb_backend* b = be->lb;
    uint32_t g = be->shared->srv_gen.load(std::memory_order_acquire);
    if (g == b->seen_gen) [[likely]]
        return;
    b->seen_gen = g;
    if (lb_sync_servers)
        lb_sync_servers(be);
    lb_backend_changed(be);
}

void lb_refresh(proxy* be)
{
    if (be && be->lb && be->shared)
        lb_check_gen(be);
}

static uint32_t default_fullconn(const config& cfg, const proxy* be)
{
    uint64_t sum = 0;
    for (auto& p : cfg.proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        bool reaches = p.get() == be || p->default_backend == be;
        for (auto& r : p->use_backend)
            reaches |= r.target == be;
        if (!reaches)
            continue;
        uint32_t m = p->maxconn ? p->maxconn : cfg.global.maxconn ? cfg.global.maxconn : 2000;
        sum += m;
    }
    uint64_t f = sum / 10;
    return f ? (uint32_t)std::min<uint64_t>(f, UINT32_MAX) : 1;
}

void lb_init(config& cfg)
{
    lb_seed_rng();
    for (auto& up : cfg.proxies) {
        proxy* p = up.get();
        if (!(p->cap & CAP_BE) || !p->shared)
            continue;
        auto* b = new lb_backend();
        b->conf = &p->lbconf;
        b->ops = lb_select_ops(p->lbconf); // parsed and compiled at load time
        b->fullconn = p->fullconn ? p->fullconn : default_fullconn(cfg, p);
        b->seen_gen = p->shared->srv_gen.load();
        p->lb = b;
        lb_backend_changed(p);
    }
}

int lb_choose(proxy* be, stream* s, server* avoid, server** out)
{
    lb_backend* b = be->lb;
    int tier = current_tier(b);
    const lb_tier& t = b->tier[tier];
    if (tier == 1 && !be->allbackups) {
        server* f = first_backup(b);
        if (!f)
            return CH_NONE;
        *out = f;
        return lb_try_take(f, out) == CH_OK ? CH_OK : CH_FULL_SRV;
    }
    return b->ops->pick(be, b, s, t, avoid, out);
}

int lb_choose_any(proxy* be, stream* s, server* avoid, server** out)
{
    int r = lb_choose(be, s, avoid, out);
    if (r != CH_FULL_SRV)
        return r;
    lb_backend* b = be->lb;
    int tier = current_tier(b);
    if (tier == 1 && !be->allbackups)
        return CH_FULL;
    server* full = *out;
    *out = nullptr;
    r = lb_rr_pick(be, b->tier[tier].srv, full, out);
    return r == CH_OK ? CH_OK : CH_FULL;
}

int lb_pick(proxy* be, stream* s, server* avoid, server** out)
{
    *out = nullptr;
    if (!be || !be->shared || !be->lb)
        return LB_NONE;
    lb_check_gen(be);
    // streams already waiting in the backend queue go first
    if (!be->lb->ops->hashed && be->shared->queue.cur.load(std::memory_order_relaxed)) {
        lb_queue_add(s, nullptr);
        return LB_QUEUED;
    }
    server* srv = nullptr;
    int r = lb_choose(be, s, avoid, &srv);
    if (r == CH_OK) {
        *out = srv;
        return LB_OK;
    }
    if (r == CH_NONE)
        return LB_NONE;
    if (r == CH_FULL_SRV && srv) {
        uint32_t mq = srv->shared->maxqueue.load(std::memory_order_relaxed);
        if (!mq || srv->shared->queue.cur.load(std::memory_order_relaxed) < mq) {
            lb_queue_add(s, srv);
            return LB_QUEUED;
        }
        // its queue is full: another server, as HAProxy redispatches
        server* other = nullptr;
        lb_backend* b = be->lb;
        if (lb_rr_pick(be, b->tier[current_tier(b)].srv, srv, &other) == CH_OK) {
            *out = other;
            return LB_OK;
        }
    }
    lb_queue_add(s, nullptr);
    return LB_QUEUED;
}

} // namespace portico
