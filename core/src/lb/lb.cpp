// SPDX-License-Identifier: MIT
// Load-balancing framework (configuration, per-backend tables, slots) and the algorithms.
#include "lb/lb.hpp"

#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include <portico/http.h>

#include "event/clock.hpp"
#include "lb/lb_int.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream-t.hpp"

namespace portico {

void (*lb_sync_servers)(proxy* be) = nullptr;

namespace {

const ptc_http_api* g_http;   // the http module's API, for uri/url_param/hdr keys
bool g_http_looked;
uint64_t g_rng = 0x9e3779b97f4a7c15ull;

uint64_t rnd()
{
    uint64_t x = g_rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g_rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

void seed_rng()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    g_rng = lbh::mix64(((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec) | 1;
}

bool parse_uint(const std::string& s, uint32_t max, uint32_t& out)
{
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
    unsigned long v = std::stoul(s);
    if (v > max)
        return false;
    out = (uint32_t)v;
    return true;
}

// "hdr(<name>)" -> name
bool paren_arg(const std::string& a, const char* fn, std::string& out)
{
    size_t n = strlen(fn);
    if (a.compare(0, n, fn) != 0 || a.size() < n + 3 || a[n] != '(' || a.back() != ')')
        return false;
    out = a.substr(n + 1, a.size() - n - 2);
    return !out.empty();
}

// Parses the key part of a hashing algorithm ("source", "uri ...", "url_param X",
// "hdr(X)") starting at args[i].
bool parse_key(const std::vector<std::string>& args, size_t i, lb_backend& b, std::string& err,
               const std::string& algo_name)
{
    const std::string& k = args[i];
    std::string hname;
    if (k == "source") {
        b.key = lb_key::source;
        if (args.size() > i + 1) {
            err = "'balance " + algo_name + "' takes no argument after 'source'";
            return false;
        }
        return true;
    }
    if (k == "uri") {
        b.key = lb_key::uri;
        for (size_t j = i + 1; j < args.size(); j++) {
            const std::string& o = args[j];
            if (o == "whole") {
                b.uri_whole = true;
            } else if (o == "path-only") {
                b.uri_path_only = true;
            } else if (o == "len" || o == "depth") {
                uint32_t v;
                if (j + 1 >= args.size() || !parse_uint(args[j + 1], 1u << 30, v) || !v) {
                    err = "'balance uri': '" + o + "' expects a positive integer";
                    return false;
                }
                (o == "len" ? b.uri_len : b.uri_depth) = v;
                j++;
            } else {
                err = "'balance uri': unknown option '" + o +
                      "' (expected 'whole', 'len <n>', 'depth <n>' or 'path-only')";
                return false;
            }
        }
        return true;
    }
    if (k == "url_param") {
        if (i + 1 >= args.size()) {
            err = "'balance url_param' expects a parameter name";
            return false;
        }
        b.key = lb_key::url_param;
        b.name = args[i + 1];
        if (i + 2 < args.size()) {
            if (args[i + 2] == "check_post")
                err = "'balance url_param ... check_post' is not supported yet by portico";
            else
                err = "'balance url_param': unknown option '" + args[i + 2] + "'";
            return false;
        }
        return true;
    }
    if (paren_arg(k, "hdr", hname)) {
        b.key = lb_key::hdr;
        b.name = hname;
        if (i + 1 < args.size()) {
            if (args[i + 1] == "use_domain_only")
                err = "'balance hdr(...) use_domain_only' is not supported yet by portico";
            else
                err = "'balance hdr()': unknown option '" + args[i + 1] + "'";
            return false;
        }
        return true;
    }
    err = "'balance " + algo_name + "': unknown key '" + k +
          "' (expected 'source', 'uri', 'url_param <name>' or 'hdr(<name>)')";
    return false;
}

bool parse_balance(const std::vector<std::string>& args, lb_backend& b, std::string& err)
{
    if (args.empty()) {
        err = "'balance' expects an algorithm";
        return false;
    }
    const std::string& a = args[0];
    auto no_args = [&](lb_algo al) {
        b.algo = al;
        if (args.size() > 1) {
            err = "'balance " + a + "' takes no argument";
            return false;
        }
        return true;
    };
    std::string inner;
    if (a == "roundrobin")
        return no_args(lb_algo::roundrobin);
    if (a == "static-rr")
        return no_args(lb_algo::static_rr);
    if (a == "leastconn")
        return no_args(lb_algo::leastconn);
    if (a == "first")
        return no_args(lb_algo::first);
    if (a == "leasttime")
        return no_args(lb_algo::leasttime);
    if (a == "random" || paren_arg(a, "random", inner)) {
        b.draws = 2;
        if (a != "random" && (!parse_uint(inner, 100, b.draws) || b.draws < 1)) {
            err = "'balance random(<draws>)' expects a number of draws between 1 and 100";
            return false;
        }
        return no_args(lb_algo::random);
    }
    if (a == "source") {
        b.algo = lb_algo::source;
        return parse_key(args, 0, b, err, a);
    }
    if (a == "uri") {
        b.algo = lb_algo::uri;
        return parse_key(args, 0, b, err, a);
    }
    if (a == "url_param") {
        b.algo = lb_algo::url_param;
        return parse_key(args, 0, b, err, a);
    }
    if (a.compare(0, 4, "hdr(") == 0) {
        b.algo = lb_algo::hdr;
        return parse_key(args, 0, b, err, a);
    }
    if (a == "maglev") {
        b.algo = lb_algo::maglev;
        if (args.size() == 1) {
            b.key = lb_key::source;
            return true;
        }
        return parse_key(args, 1, b, err, a);
    }
    if (a == "rdp-cookie" || a.compare(0, 11, "rdp-cookie(") == 0 || a == "hash") {
        err = "'balance " + a + "' is not supported yet by portico";
        return false;
    }
    err = "unknown balance algorithm '" + a +
          "' (expected roundrobin, static-rr, leastconn, first, source, uri, url_param, "
          "hdr(<name>), random, maglev or leasttime)";
    return false;
}

inline shm_server* SH(const server* s) { return s->shared; }

inline bool is_hash(const lb_backend* b)
{
    return b->key != lb_key::none;
}

// Full: maxconn reached, or streams already wait for this server (they go first).
inline bool srv_full(const server* s)
{
    if (SH(s)->queue.cur.load(std::memory_order_relaxed))
        return true;
    uint32_t max = lb_srv_maxconn(s);
    return max && SH(s)->cur_conns.load(std::memory_order_relaxed) >= max;
}

inline uint32_t srv_weight(const server* s)
{
    return SH(s)->weight.load(std::memory_order_relaxed);
}

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

// Tries <s>: reserves a slot. Returns CH_OK or CH_FULL.
inline int try_take(server* s, server** out)
{
    if (srv_full(s) || !lb_take_slot(s))
        return CH_FULL;
    *out = s;
    return CH_OK;
}

// ---- algorithms ---------------------------------------------------------------------

// Smooth weighted round-robin under the backend lock (state in shm): all workers together
// produce one interleaved sequence. Full servers and <avoid> are skipped.
int pick_roundrobin(proxy* be, const std::vector<server*>& set, server* avoid, server** out)
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
            if ((pass == 0 && s == avoid) || srv_full(s))
                continue;
            int64_t w = srv_weight(s);
            SH(s)->rr_current += w;
            total += w;
            if (!best || SH(s)->rr_current > SH(best)->rr_current)
                best = s;
        }
        if (best)
            SH(best)->rr_current -= total;
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

// static-rr: a fixed weighted sequence and one shared position counter.
int pick_static_rr(proxy* be, const lb_tier& t, server* avoid, server** out)
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
        if (try_take(s, out) == CH_OK)
            return CH_OK;
    }
    if (fallback && try_take(fallback, out) == CH_OK)
        return CH_OK;
    return any ? CH_FULL : CH_NONE;
}

// Weighted least connections: smallest (cur+1)/weight; ties go round-robin thanks to a
// rotating start.
int pick_leastconn(proxy* be, const std::vector<server*>& set, server* avoid, server** out)
{
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
                if ((pass == 0 && s == avoid) || srv_full(s))
                    continue;
                uint64_t c = SH(s)->cur_conns.load(std::memory_order_relaxed) + 1;
                uint64_t w = srv_weight(s);
                // ties: the least recently picked (rr_current holds the last pick number)
                if (!best || c * bw < bc * w ||
                    (c * bw == bc * w && __atomic_load_n(&SH(s)->rr_current, __ATOMIC_RELAXED) <
                                             __atomic_load_n(&SH(best)->rr_current,
                                                             __ATOMIC_RELAXED))) {
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
            __atomic_store_n(&SH(best)->rr_current, (int64_t)seq, __ATOMIC_RELAXED);
            *out = best;
            return CH_OK;
        }
    }
    return CH_FULL;
}

// first: the usable server with the lowest id that has a free slot.
int pick_first(const std::vector<server*>& set, server* avoid, server** out)
{
    bool any = false;
    for (int pass = 0; pass < 2; pass++) {
        for (server* s : set) {
            if (!lb_usable(s))
                continue;
            any = true;
            if (pass == 0 && s == avoid)
                continue;
            if (try_take(s, out) == CH_OK)
                return CH_OK;
        }
        if (!avoid)
            break;
    }
    return any ? CH_FULL : CH_NONE;
}

inline bool excluded(server* s, server* const* ex, uint32_t nex)
{
    for (uint32_t i = 0; i < nex; i++)
        if (ex[i] == s)
            return true;
    return false;
}

// A weighted random usable, non-full server not in <ex> (nullptr if none).
server* weighted_random(const std::vector<server*>& set, server* const* ex, uint32_t nex)
{
    uint64_t total = 0;
    for (server* s : set)
        if (!excluded(s, ex, nex) && lb_usable(s) && !srv_full(s))
            total += srv_weight(s);
    if (!total)
        return nullptr;
    uint64_t r = rnd() % total;
    for (server* s : set) {
        if (excluded(s, ex, nex) || !lb_usable(s) || srv_full(s))
            continue;
        uint64_t w = srv_weight(s);
        if (r < w)
            return s;
        r -= w;
    }
    return nullptr;
}

uint64_t rt_effective(const server* s, uint64_t now)
{
    uint64_t e = SH(s)->rt_ewma_us.load(std::memory_order_relaxed);
    uint64_t age = now - std::min(now, SH(s)->rt_stamp_ms.load(std::memory_order_relaxed));
    // an old measure fades (halves every 2 s), so a slow server is probed again later
    uint64_t halvings = age / 2000;
    return halvings >= 32 ? 0 : e >> halvings;
}

// random(N) and leasttime: N weighted random draws of distinct servers (as long as there
// are enough), keep the least loaded.
int pick_draws(const lb_backend* b, const std::vector<server*>& set, server* avoid, server** out)
{
    bool any = false;
    for (server* s : set)
        any |= lb_usable(s);
    if (!any)
        return CH_NONE;
    for (int attempt = 0; attempt < 4; attempt++) {
        server* best = nullptr;
        uint64_t bs = 0, bw = 1;
        uint64_t now = event::now_ms();
        server* drawn[101];
        uint32_t nd = 0;
        drawn[nd++] = avoid;
        for (uint32_t d = 0; d < b->draws; d++) {
            server* s = weighted_random(set, drawn, nd);
            if (!s && d == 0)
                s = weighted_random(set, nullptr, 0); // only <avoid> is left
            if (!s)
                break;
            drawn[nd++] = s;
            uint64_t load = SH(s)->cur_conns.load(std::memory_order_relaxed) + 1;
            if (b->algo == lb_algo::leasttime)
                load *= rt_effective(s, now) + 1;
            uint64_t w = std::max<uint64_t>(1, srv_weight(s));
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

// ---- hash keys ------------------------------------------------------------------------

const ptc_http_api* http_api()
{
    if (!g_http_looked) {
        g_http_looked = true;
        uint32_t v = 0;
        g_http = static_cast<const ptc_http_api*>(g_modules.lookup(PTC_HTTP_API_NAME, 1, &v));
    }
    return g_http;
}

bool key_source(const stream* s, uint32_t& h, const lb_backend* b)
{
    if (s->cli_addr.ss_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&s->cli_addr);
        h = lbh::hash_key(b->fn, b->aval, &a->sin_addr, 4);
        return true;
    }
    if (s->cli_addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&s->cli_addr);
        h = lbh::hash_key(b->fn, b->aval, &a->sin6_addr, 16);
        return true;
    }
    return false;
}

bool key_uri(stream* s, uint32_t& h, const lb_backend* b)
{
    const ptc_http_api* api = http_api();
    ptc_str u{};
    if (!api || api->req_uri(reinterpret_cast<ptc_stream*>(s), &u) != PTC_OK || !u.len)
        return false;
    const char* p = u.ptr;
    size_t len = u.len;
    if (b->uri_path_only && len && p[0] != '/') {
        // absolute-form: skip "scheme://authority"
        const char* e = static_cast<const char*>(memmem(p, len, "://", 3));
        if (e) {
            const char* slash = static_cast<const char*>(
                memchr(e + 3, '/', len - (size_t)(e + 3 - p)));
            if (!slash)
                return false;
            len -= (size_t)(slash - p);
            p = slash;
        }
    }
    if (b->uri_len && len > b->uri_len)
        len = b->uri_len;
    size_t n = 0;
    uint32_t slashes = 0;
    for (; n < len; n++) {
        char c = p[n];
        if (c == '?' && !b->uri_whole)
            break;
        if (c == '/' && b->uri_depth && ++slashes > b->uri_depth)
            break;
    }
    h = lbh::hash_key(b->fn, b->aval, p, n);
    return true;
}

bool key_url_param(stream* s, uint32_t& h, const lb_backend* b)
{
    const ptc_http_api* api = http_api();
    ptc_str u{};
    if (!api || api->req_uri(reinterpret_cast<ptc_stream*>(s), &u) != PTC_OK)
        return false;
    const char* q = static_cast<const char*>(memchr(u.ptr, '?', u.len));
    if (!q)
        return false;
    const char* end = u.ptr + u.len;
    const char* p = q + 1;
    size_t nl = b->name.size();
    while (p < end) {
        const char* amp = static_cast<const char*>(memchr(p, '&', (size_t)(end - p)));
        const char* e = amp ? amp : end;
        if ((size_t)(e - p) > nl && p[nl] == '=' && memcmp(p, b->name.data(), nl) == 0) {
            const char* v = p + nl + 1;
            if (v == e)
                return false;
            h = lbh::hash_key(b->fn, b->aval, v, (size_t)(e - v));
            return true;
        }
        p = e + 1;
    }
    return false;
}

bool key_hdr(stream* s, uint32_t& h, const lb_backend* b)
{
    const ptc_http_api* api = http_api();
    ptc_str v{};
    ptc_str name{b->name.data(), b->name.size()};
    if (!api || api->req_hdr(reinterpret_cast<ptc_stream*>(s), name, 0, &v) != PTC_OK || !v.len)
        return false;
    h = lbh::hash_key(b->fn, b->aval, v.ptr, v.len);
    return true;
}

// The hash key of the stream's current request, computed once per stream_connect.
bool stream_key(stream* s, const lb_backend* b, uint32_t& h)
{
    if (s->lb_hash_state == 0) {
        bool ok = false;
        switch (b->key) {
        case lb_key::source: ok = key_source(s, h, b); break;
        case lb_key::uri: ok = key_uri(s, h, b); break;
        case lb_key::url_param: ok = key_url_param(s, h, b); break;
        case lb_key::hdr: ok = key_hdr(s, h, b); break;
        default: break;
        }
        s->lb_hash = h;
        s->lb_hash_state = ok ? 1 : 2;
    }
    h = s->lb_hash;
    return s->lb_hash_state == 1;
}

// Hashing: the table's server for the key; when it cannot take the stream, HAProxy moves
// on along the table (consistent) or the caller falls back.
int pick_hash(proxy* be, const lb_backend* b, const lb_tier& t, uint32_t h, server* avoid,
              server** out)
{
    server* s = nullptr;
    size_t ring_pos = SIZE_MAX;
    if (b->algo == lb_algo::maglev) {
        if (t.maglev.empty())
            return CH_NONE;
        // maglev always spreads the key over the table, whatever the hash function
        uint32_t hh = b->aval ? h : lbh::avalanche(h);
        s = t.members[t.maglev[hh % t.maglev.size()]];
    } else if (b->consistent) {
        ring_pos = lbh::ring_find(t.ring, h);
        if (ring_pos == SIZE_MAX)
            return CH_NONE;
        s = t.members[t.ring[ring_pos].idx];
    } else {
        if (t.seq.empty())
            return CH_NONE;
        s = t.members[t.seq[h % t.seq.size()]];
    }
    if (lb_usable(s) && s != avoid) {
        *out = s;
        return try_take(s, out) == CH_OK ? CH_OK : CH_FULL_SRV;
    }
    // the server left since the tables were built (or must be avoided): next ones
    if (ring_pos != SIZE_MAX) {
        size_t n = t.ring.size();
        for (size_t k = 1; k < n && k < 4096; k++) {
            server* c = t.members[t.ring[(ring_pos + k) % n].idx];
            if (c != s && c != avoid && lb_usable(c)) {
                *out = c;
                return try_take(c, out) == CH_OK ? CH_OK : CH_FULL_SRV;
            }
        }
    }
    return pick_roundrobin(be, t.srv, avoid, out);
}

} // namespace

// ---- framework --------------------------------------------------------------------------

bool lb_check_balance(const std::vector<std::string>& args, std::string& err)
{
    lb_backend b;
    return parse_balance(args, b, err);
}

bool lb_usable(const server* s)
{
    const shm_server* sh = s->shared;
    return sh && sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY &&
           sh->up.load(std::memory_order_relaxed) &&
           sh->weight.load(std::memory_order_relaxed) > 0 &&
           sh->in_use.load(std::memory_order_relaxed);
}

uint32_t lb_srv_maxconn(const server* s)
{
    const shm_server* sh = s->shared;
    uint32_t max = sh->maxconn.load(std::memory_order_relaxed);
    uint32_t min = sh->minconn.load(std::memory_order_relaxed);
    if (!max || !min || min >= max)
        return max;
    const proxy* be = s->be;
    uint32_t full = be && be->lb ? be->lb->fullconn : 0;
    uint32_t cur = be && be->shared ? be->shared->be_conns.load(std::memory_order_relaxed) : 0;
    if (!full || cur >= full)
        return max;
    return std::max(min, (uint32_t)((uint64_t)cur * max / full));
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
    if (shm_proxy* bp = s->be ? s->be->shared : nullptr) {
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
    shm_proxy* bp = s->be ? s->be->shared : nullptr;
    if (bp)
        bp->be_conns.fetch_sub(1, std::memory_order_relaxed);
    if (sh->queue.cur.load() || (bp && bp->queue.cur.load()))
        lb_queue_dispatch(s);
}

bool lb_weights_dynamic(const proxy* be)
{
    const lb_backend* b = be->lb;
    if (!b)
        return true;
    if (b->algo == lb_algo::static_rr)
        return false;
    if (b->key != lb_key::none && b->algo != lb_algo::maglev && !b->consistent)
        return false;
    return true;
}

bool lb_wants_rt(const proxy* be) { return be && be->lb && be->lb->algo == lb_algo::leasttime; }

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

static void build_tier(lb_backend* b, lb_tier& t)
{
    t.members.clear();
    std::vector<lbh::member> m;
    for (server* s : t.srv) {
        if (!lb_usable(s))
            continue;
        m.push_back({(uint32_t)t.members.size(), s->name, srv_weight(s)});
        t.members.push_back(s);
    }
    t.seq.clear();
    t.ring.clear();
    t.maglev.clear();
    if (b->algo == lb_algo::static_rr || (b->key != lb_key::none && !b->consistent &&
                                          b->algo != lb_algo::maglev))
        t.seq = lbh::weighted_sequence(m);
    if (b->algo == lb_algo::maglev)
        t.maglev = lbh::build_maglev(m);
    else if (b->key != lb_key::none && b->consistent)
        t.ring = lbh::build_ring(m);
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
    seed_rng();
    for (auto& up : cfg.proxies) {
        proxy* p = up.get();
        if (!(p->cap & CAP_BE) || !p->shared)
            continue;
        auto* b = new lb_backend();
        std::vector<std::string> args{p->balance};
        args.insert(args.end(), p->balance_args.begin(), p->balance_args.end());
        std::string err;
        if (!parse_balance(args, *b, err)) // checked at load time already
            b->algo = lb_algo::roundrobin;
        b->consistent = p->hash_type == "consistent";
        b->fn = p->hash_fn == "djb2"    ? lbh::hash_fn::djb2
                : p->hash_fn == "wt6"   ? lbh::hash_fn::wt6
                : p->hash_fn == "crc32" ? lbh::hash_fn::crc32
                                        : lbh::hash_fn::sdbm;
        b->aval = p->hash_avalanche;
        b->fullconn = p->fullconn ? p->fullconn : default_fullconn(cfg, p);
        b->seen_gen = p->shared->srv_gen.load();
        p->lb = b;
        lb_backend_changed(p);
    }
    http_api();
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
        return try_take(f, out) == CH_OK ? CH_OK : CH_FULL_SRV;
    }
    if (is_hash(b)) {
        uint32_t h = 0;
        if (stream_key(s, b, h))
            return pick_hash(be, b, t, h, avoid, out);
        return pick_roundrobin(be, t.srv, avoid, out); // no key: round-robin (HAProxy)
    }
    switch (b->algo) {
    case lb_algo::static_rr: return pick_static_rr(be, t, avoid, out);
    case lb_algo::leastconn: return pick_leastconn(be, t.srv, avoid, out);
    case lb_algo::first: return pick_first(t.srv, avoid, out);
    case lb_algo::random:
    case lb_algo::leasttime: return pick_draws(b, t.srv, avoid, out);
    default: return pick_roundrobin(be, t.srv, avoid, out);
    }
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
    r = pick_roundrobin(be, b->tier[tier].srv, full, out);
    return r == CH_OK ? CH_OK : CH_FULL;
}

int lb_pick(proxy* be, stream* s, server* avoid, server** out)
{
    *out = nullptr;
    if (!be || !be->shared || !be->lb)
        return LB_NONE;
    lb_check_gen(be);
    // streams already waiting in the backend queue go first
    if (!is_hash(be->lb) && be->shared->queue.cur.load(std::memory_order_relaxed)) {
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
        if (pick_roundrobin(be, b->tier[current_tier(b)].srv, srv, &other) == CH_OK) {
            *out = other;
            return LB_OK;
        }
    }
    lb_queue_add(s, nullptr);
    return LB_QUEUED;
}

} // namespace portico
