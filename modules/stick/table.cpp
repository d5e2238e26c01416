// SPDX-License-Identifier: MIT
// Stick tables in module shared memory, every worker sees the same entries.
//
// "stick-table type ip|ipv6|integer|string [len N] size N [expire T] [nopurge]
//  [store <k_dtypes>...]", "http-request track-sc0|1|2 <key> [table <t>]",
// "http-request sc-inc-gpc0|1(<sc>)", "http-request sc-set-gpt0(<sc>) <int>", the sc_*,
// sc0_*..sc2_* and src_* fetches and table_* / in_table converters of those data types,
// and the runtime API's "show table", "clear table" and "set table".
//
// Layout of a table's area (host->shm_reserve, one per table): a header with a spin lock,
// a bucket array (chained hash, power of two >= size) and <size> fixed-size entries. Every
// entry is on exactly one list: the free list or the LRU list (most recent first). A
// touch moves an entry to the LRU head and pushes its expiry date; since every entry of a
// table has the same "expire", the LRU tail is also the first to expire, so expiry needs
// no sweep: a lookup treats an expired entry as absent, and an allocation reuses the
// tail when it expired (or when the table is full: LRU eviction, unless "nopurge").
// Critical sections are a few dozen instructions; rates are HAProxy's two-period
// frequency counters, updated under the lock, hence exact across workers.
#include "stick_int.hpp"

#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace stick {

namespace {

constexpr uint32_t T_IP = 0, T_IPV6 = 1, T_INT = 2, T_STR = 3;
const char* const k_type_names[] = {"ip", "ipv6", "integer", "string"};

// Data types stored: index in k_dtypes (HAProxy's dump order), bit (1 << index) in
// table::store.
struct dtype {
    const char* name; // "http_req_rate"
    bool rate;        // a frequency counter with a period argument
    const char* fetch; // fetch/converter suffix ("get_gpc0" for gpc0)
};
const dtype k_dtypes[] = {
    {"server_id", false, nullptr}, // set by stick store rules, no fetch
    {"gpt0", false, "get_gpt0"},
    {"gpc0", false, "get_gpc0"},
    {"gpc0_rate", true, "gpc0_rate"},
    {"http_req_cnt", false, "http_req_cnt"},
    {"http_req_rate", true, "http_req_rate"},
    {"http_err_cnt", false, "http_err_cnt"},
    {"http_err_rate", true, "http_err_rate"},
    {"gpc1", false, "get_gpc1"},
    {"gpc1_rate", true, "gpc1_rate"},
    {"server_key", false, nullptr}, // the server's name, shown by "show table"
};
constexpr uint32_t NDT = sizeof(k_dtypes) / sizeof(k_dtypes[0]);
constexpr uint32_t DT_SERVER_ID = 0, DT_GPT0 = 1, DT_GPC0 = 2, DT_GPC0_RATE = 3,
                   DT_HTTP_REQ_CNT = 4, DT_HTTP_REQ_RATE = 5, DT_HTTP_ERR_CNT = 6,
                   DT_HTTP_ERR_RATE = 7, DT_GPC1 = 8, DT_GPC1_RATE = 9, DT_SERVER_KEY = 10;

struct frq {
    uint32_t curr_tick; // start of the current period (ms, low 32 bits of now_ms)
    uint32_t curr_ctr;
    uint32_t prev_ctr;
};

struct entry {
    int32_t hnext;       // next entry in the bucket, -1: none
    int32_t prev, next;  // LRU list (or free list: next only)
    uint32_t keylen;
    uint64_t expire;     // now_ms() date; 0: never
    frq d[NDT];          // every data type: a counter uses curr_ctr only
    uint32_t pad;
    unsigned char key[]; // keycap bytes
};
static_assert(sizeof(entry) == 160, "man/portico.cfg.5 states the size of an entry");

struct area_hdr {
    std::atomic<uint32_t> lock;
    uint32_t used;
    int32_t head, tail, free_head;
    uint32_t inited;
};

// A table (configuration, then the shared area). Config lifetime; inherited by workers.
struct table {
    std::string name;     // the proxy's name
    const ptc_proxy* px;
    uint32_t type, len, size, nbuckets, stride, keycap;
    uint64_t expire;      // ms, 0: never
    bool nopurge;
    uint32_t store;       // 1 << DT_* of the stored types
    uint32_t period[NDT]; // ms, of the rates
    area_hdr* hdr;
    int32_t* buckets;
    unsigned char* entries;
};

std::vector<table*> g_tables;

// CLOCK_MONOTONIC in ms, read now: the runtime API runs in the master, whose cached clock
// (host->now_ms) may be old. The workers' host->now_ms() is the same clock, cached per
// loop turn.
uint64_t fresh_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

entry* ent(table* t, int32_t i) { return reinterpret_cast<entry*>(t->entries + size_t(i) * t->stride); }

void lock(table* t)
{
    uint32_t spins = 0;
    while (t->hdr->lock.exchange(1, std::memory_order_acquire))
        if (++spins % 64 == 0)
            sched_yield();
}
void unlock(table* t) { t->hdr->lock.store(0, std::memory_order_release); }

uint32_t hash_key(const unsigned char* k, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

void lru_unlink(table* t, int32_t i)
{
    entry* e = ent(t, i);
    if (e->prev >= 0)
        ent(t, e->prev)->next = e->next;
    else
        t->hdr->head = e->next;
    if (e->next >= 0)
        ent(t, e->next)->prev = e->prev;
    else
        t->hdr->tail = e->prev;
}

void lru_push_head(table* t, int32_t i)
{
    entry* e = ent(t, i);
    e->prev = -1;
    e->next = t->hdr->head;
    if (e->next >= 0)
        ent(t, e->next)->prev = i;
    t->hdr->head = i;
    if (t->hdr->tail < 0)
        t->hdr->tail = i;
}

void hash_unlink(table* t, int32_t i)
{
    entry* e = ent(t, i);
    int32_t* p = &t->buckets[hash_key(e->key, e->keylen) & (t->nbuckets - 1)];
    while (*p >= 0 && *p != i)
        p = &ent(t, *p)->hnext;
    if (*p == i)
        *p = e->hnext;
}

// Frees entry <i> (locked).
void release(table* t, int32_t i)
{
    hash_unlink(t, i);
    lru_unlink(t, i);
    entry* e = ent(t, i);
    e->next = t->hdr->free_head;
    t->hdr->free_head = i;
    t->hdr->used--;
}

bool expired(const table* t, const entry* e, uint64_t now)
{
    return t->expire && e->expire && e->expire <= now;
}

// Drops expired entries from the LRU tail (locked): a bounded amount of work per call.
void purge_tail(table* t, uint64_t now, int max)
{
    while (max-- > 0 && t->hdr->tail >= 0 && expired(t, ent(t, t->hdr->tail), now))
        release(t, t->hdr->tail);
}

int32_t find(table* t, const unsigned char* k, uint32_t n, uint64_t now)
{
    for (int32_t i = t->buckets[hash_key(k, n) & (t->nbuckets - 1)]; i >= 0; i = ent(t, i)->hnext) {
        entry* e = ent(t, i);
        if (e->keylen == n && memcmp(e->key, k, n) == 0)
            return expired(t, e, now) ? -1 : i;
    }
    return -1;
}

void touch(table* t, int32_t i, uint64_t now)
{
    lru_unlink(t, i);
    lru_push_head(t, i);
    ent(t, i)->expire = t->expire ? now + t->expire : 0;
}

// Finds or creates the entry of key <k> (locked); -1 when the table is full with
// "nopurge".
int32_t get_or_create(table* t, const unsigned char* k, uint32_t n, uint64_t now)
{
    purge_tail(t, now, 4);
    int32_t i = find(t, k, n, now);
    if (i >= 0)
        return i;
    // an expired entry with this key may still be chained: drop it first
    for (int32_t j = t->buckets[hash_key(k, n) & (t->nbuckets - 1)]; j >= 0; j = ent(t, j)->hnext)
        if (ent(t, j)->keylen == n && memcmp(ent(t, j)->key, k, n) == 0) {
            release(t, j);
            break;
        }
    if (t->hdr->free_head < 0) {
        if (t->nopurge || t->hdr->tail < 0)
            return -1;
        release(t, t->hdr->tail); // least recently used
    }
    i = t->hdr->free_head;
    entry* e = ent(t, i);
    t->hdr->free_head = e->next;
    memset(e, 0, t->stride);
    e->keylen = n;
    memcpy(e->key, k, n);
    for (uint32_t d = 0; d < NDT; d++)
        e->d[d].curr_tick = uint32_t(now);
    uint32_t b = hash_key(k, n) & (t->nbuckets - 1);
    e->hnext = t->buckets[b];
    t->buckets[b] = i;
    e->prev = e->next = -1;
    lru_push_head(t, i);
    e->expire = t->expire ? now + t->expire : 0;
    t->hdr->used++;
    return i;
}

// HAProxy's period frequency counter: the count of the current period plus the previous
// period's, weighted by what is left of the current one.
void frq_rotate(frq* f, uint32_t period, uint32_t now)
{
    uint32_t el = now - f->curr_tick;
    if (el < period)
        return;
    f->prev_ctr = el < 2 * period ? f->curr_ctr : 0;
    f->curr_ctr = 0;
    f->curr_tick += (el / period) * period;
}

void frq_add(frq* f, uint32_t period, uint32_t now, uint32_t n)
{
    frq_rotate(f, period, now);
    f->curr_ctr += n;
}

uint32_t frq_read(const frq* f0, uint32_t period, uint32_t now)
{
    frq f = *f0;
    frq_rotate(&f, period, now);
    uint32_t remain = f.curr_tick + period - now;
    return f.curr_ctr + uint32_t((uint64_t(f.prev_ctr) * remain) / period);
}

uint32_t d_read(const table* t, const entry* e, uint32_t d, uint64_t now)
{
    return k_dtypes[d].rate ? frq_read(&e->d[d], t->period[d], uint32_t(now)) : e->d[d].curr_ctr;
}

// Adds <n> to data type <d> if the table stores it (locked).
void d_add(table* t, entry* e, uint32_t d, uint64_t now, uint32_t n)
{
    if (!(t->store & (1u << d)))
        return;
    if (k_dtypes[d].rate)
        frq_add(&e->d[d], t->period[d], uint32_t(now), n);
    else
        e->d[d].curr_ctr += n;
}

void d_set(table* t, entry* e, uint32_t d, uint64_t now, uint32_t v)
{
    e->d[d].curr_tick = uint32_t(now);
    e->d[d].prev_ctr = 0;
    e->d[d].curr_ctr = v;
    (void)t;
}

table* table_by_name(std::string_view n)
{
    for (table* t : g_tables)
        if (t->name == n)
            return t;
    return nullptr;
}

table* table_of_proxy(const ptc_proxy* p)
{
    for (table* t : g_tables)
        if (t->px == p)
            return t;
    return nullptr;
}

// A sample as a key of table <t>; false when it cannot be one.
bool key_of(const table* t, const ptc_sample& s, unsigned char* k, uint32_t* n)
{
    switch (t->type) {
    case T_IP:
        if (s.type != PTC_SMP_IPV4)
            return false;
        memcpy(k, s.u.ipv4, 4);
        *n = 4;
        return true;
    case T_IPV6:
        if (s.type == PTC_SMP_IPV6) {
            memcpy(k, s.u.ipv6, 16);
        } else if (s.type == PTC_SMP_IPV4) {
            memset(k, 0, 10);
            k[10] = k[11] = 0xff;
            memcpy(k + 12, s.u.ipv4, 4);
        } else {
            return false;
        }
        *n = 16;
        return true;
    case T_INT: {
        int64_t v;
        if (s.type == PTC_SMP_SINT || s.type == PTC_SMP_BOOL)
            v = s.u.sint;
        else if (s.type == PTC_SMP_STR && s.u.str.len && s.u.str.len < 24) {
            char nb[24];
            memcpy(nb, s.u.str.ptr, s.u.str.len);
            nb[s.u.str.len] = 0;
            char* end = nullptr;
            v = strtoll(nb, &end, 10);
            if (*end)
                return false;
        } else if (s.type == PTC_SMP_IPV4)
            v = (int64_t(s.u.ipv4[0]) << 24) | (s.u.ipv4[1] << 16) | (s.u.ipv4[2] << 8) | s.u.ipv4[3];
        else
            return false;
        uint32_t u = uint32_t(v);
        memcpy(k, &u, 4);
        *n = 4;
        return true;
    }
    default: {
        char buf[64];
        ptc_str str{};
        if (s.type == PTC_SMP_STR || s.type == PTC_SMP_BIN || s.type == PTC_SMP_METH) {
            str = s.u.str;
        } else if (s.type == PTC_SMP_SINT || s.type == PTC_SMP_BOOL) {
            int l = snprintf(buf, sizeof(buf), "%lld", (long long)s.u.sint);
            str = ptc_str{buf, size_t(l)};
        } else if (s.type == PTC_SMP_IPV4) {
            inet_ntop(AF_INET, s.u.ipv4, buf, sizeof(buf));
            str = ptc_str{buf, strlen(buf)};
        } else if (s.type == PTC_SMP_IPV6) {
            inet_ntop(AF_INET6, s.u.ipv6, buf, sizeof(buf));
            str = ptc_str{buf, strlen(buf)};
        } else {
            return false;
        }
        *n = uint32_t(str.len < t->len ? str.len : t->len); // truncated to len
        memcpy(k, str.ptr, *n);
        return true;
    }
    }
}

// ---- configuration ----------------------------------------------------------------------

// "stick-table type <t> [len <n>] size <n> [expire <t>] [nopurge] [store <list>]"
int parse_stick_table(const ptc_kw_ctx* ctx)
{
    px_conf* c = static_cast<px_conf*>(ctx->conf);
    if (!ctx->proxy || (ctx->section & PTC_SEC_DEFAULTS))
        return host->cfg_errorf(ctx, "'stick-table' is not allowed in 'defaults' sections.");
    if (c->table)
        return host->cfg_errorf(ctx, "only one stick-table per proxy is supported.");
    table* t = new table{};
    t->px = ctx->proxy;
    t->type = UINT32_MAX;
    t->len = 32;
    ptc_str pn = host->proxy_name(ctx->proxy);
    t->name.assign(pn.ptr, pn.len);
    bool have_size = false;
    for (uint32_t i = ctx->kw_words; i < ctx->argc; i++) {
        std::string_view a(ctx->args[i].ptr, ctx->args[i].len);
        bool more = i + 1 < ctx->argc;
        std::string_view b = more ? std::string_view(ctx->args[i + 1].ptr, ctx->args[i + 1].len)
                                  : std::string_view();
        if (a == "type" && more) {
            i++;
            if (b == "ip")
                t->type = T_IP;
            else if (b == "ipv6")
                t->type = T_IPV6;
            else if (b == "integer")
                t->type = T_INT;
            else if (b == "string")
                t->type = T_STR;
            else
                return host->cfg_errorf(ctx,
                                        "stick-table: type '%.*s' is not supported yet "
                                        "(supported: ip, ipv6, integer, string).",
                                        (int)b.size(), b.data());
            if (t->type == T_STR && i + 2 < ctx->argc &&
                std::string_view(ctx->args[i + 1].ptr, ctx->args[i + 1].len) == "len") {
                uint64_t v = 0;
                if (host->parse_size(ctx->args[i + 2], &v) != PTC_OK || !v || v > k_max_key_len)
                    return host->cfg_errorf(ctx, "stick-table: invalid key length '%.*s' (1 to 64 supported).",
                                            (int)ctx->args[i + 2].len, ctx->args[i + 2].ptr);
                t->len = uint32_t(v);
                i += 2;
            }
        } else if (a == "size" && more) {
            uint64_t v = 0;
            if (host->parse_size(ctx->args[++i], &v) != PTC_OK || !v || v > (1u << 24))
                return host->cfg_errorf(ctx, "stick-table: invalid size '%.*s'.", (int)b.size(),
                                        b.data());
            t->size = uint32_t(v);
            have_size = true;
        } else if (a == "expire" && more) {
            if (host->parse_time(ctx->args[++i], &t->expire) != PTC_OK)
                return host->cfg_errorf(ctx, "stick-table: invalid expire '%.*s'.", (int)b.size(),
                                        b.data());
        } else if (a == "nopurge") {
            t->nopurge = true;
        } else if (a == "store" && more) {
            i++;
            std::string list(b);
            size_t p = 0;
            while (p <= list.size()) {
                size_t q = p;
                int depth = 0;
                while (q < list.size() && (list[q] != ',' || depth)) {
                    depth += list[q] == '(' ? 1 : list[q] == ')' ? -1 : 0;
                    q++;
                }
                std::string d = list.substr(p, q - p);
                uint32_t found = NDT;
                std::string base = d, arg;
                size_t par = d.find('(');
                if (par != std::string::npos && d.back() == ')') {
                    base = d.substr(0, par);
                    arg = d.substr(par + 1, d.size() - par - 2);
                }
                for (uint32_t k = 0; k < NDT; k++)
                    if (base == k_dtypes[k].name)
                        found = k;
                if (found == NDT) {
                    std::string known;
                    for (const dtype& dt : k_dtypes)
                        known += std::string(known.empty() ? "" : ", ") + dt.name;
                    return host->cfg_errorf(ctx,
                                            "stick-table: data type '%s' is unknown or not "
                                            "supported yet (supported: %s).",
                                            d.c_str(), known.c_str());
                }
                if (k_dtypes[found].rate) {
                    uint64_t ms = 0;
                    if (arg.empty() ||
                        host->parse_time(ptc_str{arg.data(), arg.size()}, &ms) != PTC_OK || !ms ||
                        ms > 0x7fffffff)
                        return host->cfg_errorf(ctx,
                                                "stick-table: data type '%s' expects a period, "
                                                "as in '%s(10s)'.",
                                                d.c_str(), base.c_str());
                    t->period[found] = uint32_t(ms);
                } else if (par != std::string::npos) {
                    return host->cfg_errorf(ctx, "stick-table: data type '%s' takes no argument.",
                                            base.c_str());
                }
                t->store |= 1u << found;
                p = q + 1;
                if (q >= list.size())
                    break;
            }
        } else {
            return host->cfg_errorf(ctx,
                                    "stick-table: unknown or unsupported argument '%.*s' "
                                    "(supported: type, len, size, expire, nopurge, store).",
                                    (int)a.size(), a.data());
        }
    }
    if (t->type == UINT32_MAX)
        return host->cfg_errorf(ctx, "stick-table: missing type.");
    if (!have_size)
        return host->cfg_errorf(ctx, "stick-table: missing size.");
    t->keycap = t->type == T_IP || t->type == T_INT ? 4 : t->type == T_IPV6 ? 16 : t->len;
    t->stride = uint32_t((sizeof(entry) + t->keycap + 7) & ~size_t(7));
    t->nbuckets = 1;
    while (t->nbuckets < t->size)
        t->nbuckets <<= 1;
    c->table = t;
    g_tables.push_back(t);
    return PTC_OK;
}

// ---- actions ------------------------------------------------------------------------------

struct track_act {
    uint32_t sc;
    ptc_expr* key;
    const ptc_proxy* px;  // where the rule is (its table is the default)
    std::string tname;    // "table <t>"
    table* t;             // resolved in post_config
};
std::vector<track_act*> g_tracks;

int sc_of_word(const ptc_kw_ctx* ctx, uint32_t first, const char* prefix, uint32_t* sc)
{
    ptc_str w = ctx->args[first - 1];
    size_t n = strlen(prefix);
    if (w.len == n + 1 && w.ptr[n] >= '0' && w.ptr[n] <= '2') {
        *sc = uint32_t(w.ptr[n] - '0');
        return PTC_OK;
    }
    return host->cfg_errorf(ctx, "'%.*s': only track-sc0, track-sc1 and track-sc2 exist.",
                            (int)w.len, w.ptr);
}

bool is_cond(ptc_str w)
{
    return (w.len == 2 && !memcmp(w.ptr, "if", 2)) || (w.len == 6 && !memcmp(w.ptr, "unless", 6));
}

int parse_track(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    track_act* a = new track_act{};
    if (sc_of_word(ctx, first, "track-sc", &a->sc) != PTC_OK)
        return PTC_ERROR;
    if (first >= ctx->argc || is_cond(ctx->args[first]))
        return host->cfg_errorf(ctx, "'track-sc%u' expects a key expression.", a->sc);
    a->key = host->expr_compile(ctx, ctx->args[first]);
    if (!a->key)
        return PTC_ERROR;
    uint32_t i = first + 1;
    if (i + 1 < ctx->argc && ctx->args[i].len == 5 && !memcmp(ctx->args[i].ptr, "table", 5)) {
        a->tname.assign(ctx->args[i + 1].ptr, ctx->args[i + 1].len);
        i += 2;
    }
    a->px = ctx->proxy;
    g_tracks.push_back(a);
    *next = i;
    *state = a;
    return PTC_OK;
}

int act_track(ptc_stream* s, void* state)
{
    track_act* a = static_cast<track_act*>(state);
    stream_st* st = state_of(s);
    if (!st || !a->t || st->sc[a->sc].t)
        return PTC_ACT_CONTINUE; // already tracked: HAProxy keeps the first
    ptc_sample smp{};
    if (!host->expr_eval(s, a->key, &smp))
        return PTC_ACT_CONTINUE;
    table* t = a->t;
    unsigned char k[256];
    uint32_t n = 0;
    if (!key_of(t, smp, k, &n))
        return PTC_ACT_CONTINUE;
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = get_or_create(t, k, n, now);
    if (i >= 0) {
        entry* e = ent(t, i);
        touch(t, i, now);
        // tracking from http-request counts the request
        d_add(t, e, DT_HTTP_REQ_CNT, now, 1);
        d_add(t, e, DT_HTTP_REQ_RATE, now, 1);
        st->sc[a->sc].t = t;
        st->sc[a->sc].keylen = n;
        memcpy(st->sc[a->sc].key, k, n);
    }
    unlock(t);
    return PTC_ACT_CONTINUE;
}

struct gpc_act {
    uint32_t sc;
    int64_t value;
    bool set;
    uint32_t idx;  // 0: gpc0/gpt0, 1: gpc1
};

int parse_sc_gp(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state, bool set)
{
    ptc_str w = ctx->args[first - 1];
    std::string_view v(w.ptr, w.len);
    size_t o = v.find('(');
    gpc_act* a = new gpc_act{};
    a->set = set;
    if (o == std::string_view::npos || v.back() != ')' || v.size() != o + 3 || v[o + 1] < '0' ||
        v[o + 1] > '2')
        return host->cfg_errorf(ctx, "'%.*s': expects a stick counter number (0, 1 or 2).",
                                (int)w.len, w.ptr);
    a->sc = uint32_t(v[o + 1] - '0');
    uint32_t i = first;
    if (set) {
        if (i >= ctx->argc || is_cond(ctx->args[i]))
            return host->cfg_errorf(ctx, "'%.*s' expects an integer value.", (int)w.len, w.ptr);
        std::string num(ctx->args[i].ptr, ctx->args[i].len);
        char* end = nullptr;
        a->value = strtoll(num.c_str(), &end, 10);
        if (num.empty() || *end)
            return host->cfg_errorf(ctx, "'%.*s' expects an integer value, got '%s'.", (int)w.len,
                                    w.ptr, num.c_str());
        i++;
    }
    *next = i;
    *state = a;
    return PTC_OK;
}
int parse_sc_inc_gpc0(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    return parse_sc_gp(ctx, first, next, state, false);
}
int parse_sc_inc_gpc1(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    int r = parse_sc_gp(ctx, first, next, state, false);
    if (r == PTC_OK)
        static_cast<gpc_act*>(*state)->idx = 1;
    return r;
}
int parse_sc_set_gpt0(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    return parse_sc_gp(ctx, first, next, state, true);
}

int act_sc_gp(ptc_stream* s, void* state)
{
    gpc_act* a = static_cast<gpc_act*>(state);
    stream_st* st = state_of(s);
    if (!st || !st->sc[a->sc].t)
        return PTC_ACT_CONTINUE;
    table* t = static_cast<table*>(st->sc[a->sc].t);
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = find(t, st->sc[a->sc].key, st->sc[a->sc].keylen, now);
    if (i >= 0) {
        entry* e = ent(t, i);
        if (a->set) {
            if (t->store & (1u << DT_GPT0))
                e->d[DT_GPT0].curr_ctr = uint32_t(a->value);
        } else {
            d_add(t, e, a->idx ? DT_GPC1 : DT_GPC0, now, 1);
            d_add(t, e, a->idx ? DT_GPC1_RATE : DT_GPC0_RATE, now, 1);
        }
    }
    unlock(t);
    return PTC_ACT_CONTINUE;
}

// ---- stick on | match | store-request ----------------------------------------------------

constexpr uint32_t SR_MATCH = 1, SR_STORE = 2;

struct stick_rule {
    uint32_t kind;       // SR_*
    ptc_expr* expr;
    std::string tname;   // "table <t>", else the backend's own table
    const ptc_proxy* px;
    table* t;            // resolved in post_config
};
std::vector<stick_rule*> g_srules;

int parse_stick_rule(const ptc_kw_ctx* ctx, uint32_t kind)
{
    uint32_t i = ctx->kw_words;
    if (i >= ctx->argc)
        return host->cfg_errorf(ctx, "'%.*s %.*s' expects a pattern.", (int)ctx->args[0].len,
                                ctx->args[0].ptr, (int)ctx->args[1].len, ctx->args[1].ptr);
    stick_rule* r = new stick_rule{};
    r->kind = kind;
    r->px = ctx->proxy;
    r->expr = host->expr_compile(ctx, ctx->args[i]);
    if (!r->expr)
        return PTC_ERROR;
    for (i++; i < ctx->argc; i++) {
        std::string_view w(ctx->args[i].ptr, ctx->args[i].len);
        if (w == "table" && i + 1 < ctx->argc) {
            r->tname.assign(ctx->args[i + 1].ptr, ctx->args[i + 1].len);
            i++;
        } else if (w == "if" || w == "unless") {
            return host->cfg_errorf(ctx, "conditions on stick rules are not supported yet.");
        } else {
            return host->cfg_errorf(ctx, "unexpected argument '%.*s' (expected 'table <name>').",
                                    (int)w.size(), w.data());
        }
    }
    g_srules.push_back(r);
    return PTC_OK;
}

int parse_stick_kw_impl(const ptc_kw_ctx* ctx)
{
    std::string_view w(ctx->args[1].ptr, ctx->args[1].len);
    return parse_stick_rule(ctx, w == "on" ? SR_MATCH | SR_STORE : w == "match" ? SR_MATCH : SR_STORE);
}

ptc_server* server_by_id(const ptc_proxy* be, uint32_t id)
{
    for (ptc_server* sv = host->server_next(be, nullptr); sv; sv = host->server_next(be, sv))
        if (host->server_id(sv) == id)
            return sv;
    return nullptr;
}

// ---- fetches ------------------------------------------------------------------------------

// What a fetch reads (priv of the registration).
struct fetch_kind {
    uint32_t data;  // D_*, 0: tracked/in_table
    int sc;         // 0..2, -1: "sc_" (first argument), -2: "src_"
    bool tracked;   // sc_tracked
};

int read_data(table* t, const unsigned char* k, uint32_t n, uint32_t data, int64_t* out)
{
    if (!(t->store & (1u << data)))
        return 0;
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = find(t, k, n, now);
    int64_t v = 0;
    if (i >= 0) {
        v = d_read(t, ent(t, i), data, now);
    }
    unlock(t);
    *out = v;
    return 1;
}

int fetch_data(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv)
{
    const fetch_kind* f = static_cast<const fetch_kind*>(priv);
    stream_st* st = state_of(s);
    uint32_t ai = 0;
    int sc = f->sc;
    if (sc == -1) {
        if (!nargs)
            return 0;
        sc = int(args[0].sint);
        if (sc < 0 || sc > 2)
            return 0;
        ai = 1;
    }
    table* named = nargs > ai ? table_by_name(std::string_view(args[ai].str.ptr, args[ai].str.len))
                              : nullptr;
    out->type = f->tracked ? PTC_SMP_BOOL : PTC_SMP_SINT;
    out->flags = 0;
    if (sc == -2) { // src_*: the client address looked up in the table
        table* t = named ? named : table_of_proxy(host->stream_backend(s) ? host->stream_backend(s)
                                                                           : host->stream_frontend(s));
        if (!t)
            t = table_of_proxy(host->stream_frontend(s));
        if (!t)
            return 0;
        struct sockaddr_storage ss;
        if (!host->stream_addr(s, PTC_ADDR_CLIENT, &ss))
            return 0;
        ptc_sample a{};
        if (ss.ss_family == AF_INET) {
            a.type = PTC_SMP_IPV4;
            memcpy(a.u.ipv4, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, 4);
        } else if (ss.ss_family == AF_INET6) {
            a.type = PTC_SMP_IPV6;
            memcpy(a.u.ipv6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, 16);
        } else {
            return 0;
        }
        unsigned char k[256];
        uint32_t n = 0;
        if (!key_of(t, a, k, &n))
            return 0;
        return read_data(t, k, n, f->data, &out->u.sint);
    }
    if (!st || !st->sc[sc].t) {
        if (f->tracked) {
            out->u.sint = 0;
            return 1;
        }
        return 0;
    }
    if (f->tracked) {
        out->u.sint = 1;
        return 1;
    }
    table* t = named ? named : static_cast<table*>(st->sc[sc].t);
    return read_data(t, st->sc[sc].key, st->sc[sc].keylen, f->data, &out->u.sint);
}

int check_sc_arg(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && args[0].str.len == 1 && args[0].str.ptr[0] >= '0' && args[0].str.ptr[0] <= '2') {
        args[0].sint = args[0].str.ptr[0] - '0';
        return PTC_OK;
    }
    return host->cfg_errorf(ctx, "the stick counter number must be 0, 1 or 2.");
}


std::vector<std::string*> g_names;
std::vector<fetch_kind*> g_kinds;

int reg(ptc_modref* self, const std::string& name, int sc, uint32_t data, bool tracked)
{
    std::string* n = new std::string(name);
    g_names.push_back(n);
    fetch_kind* k = new fetch_kind{data, sc, tracked};
    g_kinds.push_back(k);
    ptc_fetch f{};
    f.name = n->c_str();
    f.out_type = tracked ? PTC_SMP_BOOL : PTC_SMP_SINT;
    f.use = PTC_USE_L4;
    f.min_args = sc == -1 ? 1 : 0;
    f.max_args = sc == -1 ? 2 : 1;
    f.check = sc == -1 ? check_sc_arg : nullptr;
    f.help = n->c_str();
    return host->fetch_register(self, &f, sizeof(f), fetch_data, k);
}

// ---- converters: in_table(<t>), table_<data>(<t>) -----------------------------------

std::vector<std::string> g_conv_tables; // table names the converters use (checked later)

int check_table_arg(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs || !args[0].str.len)
        return host->cfg_errorf(ctx, "missing table name.");
    g_conv_tables.emplace_back(args[0].str.ptr, args[0].str.len);
    return PTC_OK;
}

int conv_table(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io, void* priv)
{
    const fetch_kind* f = static_cast<const fetch_kind*>(priv);
    if (!nargs)
        return 0;
    table* t = table_by_name(std::string_view(args[0].str.ptr, args[0].str.len));
    if (!t)
        return 0;
    unsigned char k[256];
    uint32_t n = 0;
    if (!key_of(t, *io, k, &n))
        return 0;
    if (f->tracked) { // in_table
        lock(t);
        int32_t i = find(t, k, n, host->now_ms());
        unlock(t);
        io->type = PTC_SMP_BOOL;
        io->flags = 0;
        io->u.sint = i >= 0;
        return 1;
    }
    int64_t v = 0;
    if (!read_data(t, k, n, f->data, &v))
        return 0;
    io->type = PTC_SMP_SINT;
    io->flags = 0;
    io->u.sint = v;
    return 1;
}

int reg_conv(ptc_modref* self, const std::string& name, uint32_t data, bool in_table)
{
    std::string* n = new std::string(name);
    g_names.push_back(n);
    fetch_kind* k = new fetch_kind{data, 0, in_table};
    g_kinds.push_back(k);
    ptc_conv c{};
    c.name = n->c_str();
    c.in_type = PTC_SMP_ANY;
    c.out_type = in_table ? PTC_SMP_BOOL : PTC_SMP_SINT;
    c.min_args = 1;
    c.max_args = 1;
    c.check = check_table_arg;
    c.help = n->c_str();
    return host->conv_register(self, &c, sizeof(c), conv_table, k);
}

// ---- runtime API ------------------------------------------------------------------------

void dump_key(const table* t, const entry* e, ptc_cli_reply* r)
{
    char buf[INET6_ADDRSTRLEN];
    switch (t->type) {
    case T_IP: inet_ntop(AF_INET, e->key, buf, sizeof(buf)); host->cli_printf(r, " key=%s", buf); break;
    case T_IPV6: inet_ntop(AF_INET6, e->key, buf, sizeof(buf)); host->cli_printf(r, " key=%s", buf); break;
    case T_INT: {
        uint32_t u;
        memcpy(&u, e->key, 4);
        host->cli_printf(r, " key=%u", u);
        break;
    }
    default: host->cli_printf(r, " key=%.*s", (int)e->keylen, (const char*)e->key); break;
    }
}

// The name of the server with numeric id <id> in the table's proxy ("-" if none).
const char* server_key_name(const table* t, uint32_t id)
{
    static std::string name;
    if (!id)
        return "-";
    for (ptc_server* sv = host->server_next(t->px, nullptr); sv; sv = host->server_next(t->px, sv))
        if (host->server_id(sv) == id) {
            ptc_str n = host->server_name(sv);
            name.assign(n.ptr, n.len);
            return name.c_str();
        }
    return "-";
}

void dump_head(table* t, ptc_cli_reply* r)
{
    host->cli_printf(r, "# table: %s, type: %s, size:%u, used:%u\n", t->name.c_str(),
                     k_type_names[t->type], t->size, t->hdr ? t->hdr->used : 0);
}

// Parses a key typed on the CLI for table <t>.
bool cli_key(table* t, ptc_str w, unsigned char* k, uint32_t* n)
{
    std::string s(w.ptr, w.len);
    ptc_sample smp{};
    if (t->type == T_IP) {
        if (inet_pton(AF_INET, s.c_str(), smp.u.ipv4) != 1)
            return false;
        smp.type = PTC_SMP_IPV4;
    } else if (t->type == T_IPV6) {
        if (inet_pton(AF_INET6, s.c_str(), smp.u.ipv6) != 1)
            return false;
        smp.type = PTC_SMP_IPV6;
    } else if (t->type == T_INT) {
        char* end = nullptr;
        smp.u.sint = strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end)
            return false;
        smp.type = PTC_SMP_SINT;
    } else {
        smp.type = PTC_SMP_STR;
        smp.u.str = w;
    }
    return key_of(t, smp, k, n);
}

int cli_show_table(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 3) {
        // HAProxy lists the tables in the reverse order of their declaration
        for (size_t i = g_tables.size(); i-- > 0;)
            dump_head(g_tables[i], r);
        return PTC_OK;
    }
    table* t = table_by_name(std::string_view(args[2].ptr, args[2].len));
    if (!t) {
        host->cli_printf(r, "Unknown table\n");
        return PTC_ERROR;
    }
    bool by_key = false;
    unsigned char k[256];
    uint32_t n = 0;
    // "data.<type> <op> <value>" filters (at most 4), all of which must hold
    struct filt {
        uint32_t d, op;
        long long v;
    } fl[4];
    uint32_t nf = 0;
    static const char* const ops[] = {"eq", "ne", "le", "lt", "ge", "gt"};
    if (argc >= 5 && std::string_view(args[3].ptr, args[3].len) == "key") {
        if (!cli_key(t, args[4], k, &n)) {
            host->cli_printf(r, "Invalid key\n");
            return PTC_ERROR;
        }
        by_key = true;
    } else {
        for (uint32_t i = 3; i < argc; i += 3) {
            std::string_view w(args[i].ptr, args[i].len);
            if (w.rfind("data.", 0) != 0 || i + 2 >= argc || nf >= 4) {
                host->cli_printf(r, "Optional argument only supports \"data.<store_data_type>\" <operator> <value> or key <key>\n");
                return PTC_ERROR;
            }
            w.remove_prefix(5);
            uint32_t d = NDT;
            for (uint32_t j = 0; j < NDT; j++)
                if (w == k_dtypes[j].name && j != DT_SERVER_KEY)
                    d = j;
            if (d == NDT) {
                host->cli_printf(r, "Unknown data type\n");
                return PTC_ERROR;
            }
            if (!(t->store & (1u << d))) {
                host->cli_printf(r, "Data type not stored in this table\n");
                return PTC_ERROR;
            }
            std::string_view o(args[i + 1].ptr, args[i + 1].len);
            uint32_t op = 6;
            for (uint32_t j = 0; j < 6; j++)
                if (o == ops[j])
                    op = j;
            if (op == 6) {
                host->cli_printf(r, "Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n");
                return PTC_ERROR;
            }
            std::string num(args[i + 2].ptr, args[i + 2].len);
            char* end = nullptr;
            long long v = strtoll(num.c_str(), &end, 10);
            if (num.empty() || *end) {
                host->cli_printf(r, "Require a valid integer value to compare against\n");
                return PTC_ERROR;
            }
            fl[nf++] = filt{d, op, v};
        }
    }
    uint64_t now = fresh_ms();
    lock(t);
    // with a key: nothing at all when it is absent, as HAProxy answers
    if (!by_key || find(t, k, n, now) >= 0)
        dump_head(t, r);
    // oldest first, as HAProxy walks its expiry tree
    for (int32_t i = t->hdr->tail; i >= 0; i = ent(t, i)->prev) {
        entry* e = ent(t, i);
        if (expired(t, e, now))
            continue;
        if (by_key && (e->keylen != n || memcmp(e->key, k, n)))
            continue;
        bool skip = false;
        for (uint32_t j = 0; j < nf && !skip; j++) {
            long long v = fl[j].d == DT_SERVER_ID ? (long long)int32_t(e->d[fl[j].d].curr_ctr)
                                                  : (long long)d_read(t, e, fl[j].d, now);
            long long w = fl[j].v;
            bool ok = fl[j].op == 0   ? v == w
                      : fl[j].op == 1 ? v != w
                      : fl[j].op == 2 ? v <= w
                      : fl[j].op == 3 ? v < w
                      : fl[j].op == 4 ? v >= w
                                      : v > w;
            skip = !ok;
        }
        if (skip)
            continue;
        host->cli_printf(r, "%p:", (void*)e);
        dump_key(t, e, r);
        host->cli_printf(r, " use=0 exp=%d", t->expire ? int(e->expire - now) : 0);
        for (uint32_t d = 0; d < NDT; d++) {
            if (!(t->store & (1u << d)))
                continue;
            if (d == DT_SERVER_ID)
                host->cli_printf(r, " server_id=%d", int32_t(e->d[d].curr_ctr));
            else if (d == DT_SERVER_KEY)
                host->cli_printf(r, " server_key=%s", server_key_name(t, e->d[DT_SERVER_ID].curr_ctr));
            else if (k_dtypes[d].rate)
                host->cli_printf(r, " %s(%u)=%u", k_dtypes[d].name, t->period[d],
                                 d_read(t, e, d, now));
            else
                host->cli_printf(r, " %s=%u", k_dtypes[d].name, d_read(t, e, d, now));
        }
        host->cli_printf(r, "\n");
    }
    unlock(t);
    return PTC_OK;
}

int cli_clear_table(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 3) {
        host->cli_printf(r, "Id or key expected\n");
        return PTC_ERROR;
    }
    table* t = table_by_name(std::string_view(args[2].ptr, args[2].len));
    if (!t) {
        host->cli_printf(r, "Unknown table\n");
        return PTC_ERROR;
    }
    lock(t);
    if (argc >= 5 && std::string_view(args[3].ptr, args[3].len) == "key") {
        unsigned char k[256];
        uint32_t n = 0;
        if (!cli_key(t, args[4], k, &n)) {
            unlock(t);
            host->cli_printf(r, "Invalid key\n");
            return PTC_ERROR;
        }
        int32_t i = find(t, k, n, fresh_ms());
        if (i >= 0)
            release(t, i);
    } else {
        while (t->hdr->tail >= 0)
            release(t, t->hdr->tail);
    }
    unlock(t);
    return PTC_OK;
}

// "set table <t> key <k> [data.<type> <value>]*": creates the entry if needed.
int cli_set_table(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 3) {
        host->cli_printf(r, "Id or key expected\n");
        return PTC_ERROR;
    }
    table* t = table_by_name(std::string_view(args[2].ptr, args[2].len));
    if (!t) {
        host->cli_printf(r, "Unknown table\n");
        return PTC_ERROR;
    }
    unsigned char k[256];
    uint32_t n = 0;
    if (argc < 5 || std::string_view(args[3].ptr, args[3].len) != "key") {
        host->cli_printf(r, "Id or key expected\n");
        return PTC_ERROR;
    }
    if (!cli_key(t, args[4], k, &n)) {
        host->cli_printf(r, "Invalid key\n");
        return PTC_ERROR;
    }
    // validate everything before changing anything
    struct setv {
        uint32_t data;
        int64_t v;
    } sets[8];
    uint32_t nsets = 0;
    for (uint32_t i = 5; i < argc; i += 2) {
        std::string_view w(args[i].ptr, args[i].len);
        if (w.rfind("data.", 0) != 0) {
            host->cli_printf(r, "Optional argument only supports \"data.<store_data_type>\" <value>\n");
            return PTC_ERROR;
        }
        w.remove_prefix(5);
        uint32_t d = NDT;
        for (uint32_t k = 0; k < NDT; k++)
            if (w == k_dtypes[k].name)
                d = k;
        if (d == NDT) {
            host->cli_printf(r, "Unknown data type\n");
            return PTC_ERROR;
        }
        if (!(t->store & (1u << d))) {
            host->cli_printf(r, "Data type not stored in this table\n");
            return PTC_ERROR;
        }
        if (i + 1 >= argc) {
            host->cli_printf(r, "Require a valid integer value to store\n");
            return PTC_ERROR;
        }
        std::string num(args[i + 1].ptr, args[i + 1].len);
        char* end = nullptr;
        long long v = strtoll(num.c_str(), &end, 10);
        if (num.empty() || *end) {
            host->cli_printf(r, "Require a valid integer value to store\n");
            return PTC_ERROR;
        }
        if (nsets < 8)
            sets[nsets++] = setv{d, v};
    }
    uint64_t now = fresh_ms();
    lock(t);
    int32_t i = get_or_create(t, k, n, now);
    if (i < 0) {
        unlock(t);
        host->cli_printf(r, "Unable to allocate a new entry\n");
        return PTC_ERROR;
    }
    touch(t, i, now);
    entry* e = ent(t, i);
    for (uint32_t j = 0; j < nsets; j++)
        d_set(t, e, sets[j].data, now, uint32_t(sets[j].v));
    unlock(t);
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"set table", "set table <table> key <k> [data.<type> <v>]*", "update or create a table entry's data",
     PTC_CLI_ADMIN, cli_set_table},
    {"show table", "show table [<table> [key <k>]]", "report table usage stats or dump this table's contents",
     PTC_CLI_USER, cli_show_table},
    {"clear table", "clear table <table> [key <k>]", "remove an entry from a table",
     PTC_CLI_OPERATOR, cli_clear_table},
};

} // namespace

int parse_stick_table_kw(const ptc_kw_ctx* ctx) { return parse_stick_table(ctx); }
int parse_stick_kw(const ptc_kw_ctx* ctx) { return parse_stick_kw_impl(ctx); }

const ptc_action k_actions[] = {
    {PTC_RULES_HTTP_REQ, "track-sc0", parse_track, act_track, "track-sc0 <key> [table <t>]"},
    {PTC_RULES_HTTP_REQ, "track-sc1", parse_track, act_track, "track-sc1 <key> [table <t>]"},
    {PTC_RULES_HTTP_REQ, "track-sc2", parse_track, act_track, "track-sc2 <key> [table <t>]"},
    {PTC_RULES_HTTP_REQ, "sc-inc-gpc0", parse_sc_inc_gpc0, act_sc_gp, "sc-inc-gpc0(<sc>)"},
    {PTC_RULES_HTTP_REQ, "sc-inc-gpc1", parse_sc_inc_gpc1, act_sc_gp, "sc-inc-gpc1(<sc>)"},
    {PTC_RULES_HTTP_REQ, "sc-set-gpt0", parse_sc_set_gpt0, act_sc_gp, "sc-set-gpt0(<sc>) <int>"},
};
int table_init(ptc_modref* self)
{
    for (const ptc_action& a : k_actions)
        if (host->action_register(self, &a, sizeof(a), nullptr, nullptr) != PTC_OK)
            return PTC_ERROR;
    for (uint32_t d = 0; d < NDT; d++) {
        const char* fn = k_dtypes[d].fetch;
        if (!fn)
            continue;
        if (reg(self, std::string("sc_") + fn, -1, d, false) != PTC_OK ||
            reg(self, std::string("src_") + fn, -2, d, false) != PTC_OK)
            return PTC_ERROR;
        for (int sc = 0; sc < 3; sc++)
            if (reg(self, "sc" + std::to_string(sc) + "_" + fn, sc, d, false) != PTC_OK)
                return PTC_ERROR;
    }
    // converters: table_gpt0, table_gpc0, table_http_req_cnt, table_http_req_rate, in_table
    for (uint32_t d = 0; d < NDT; d++)
        if (d != DT_SERVER_KEY &&
            reg_conv(self, std::string("table_") + k_dtypes[d].name, d, false) != PTC_OK)
            return PTC_ERROR;
    if (reg_conv(self, "in_table", 0, true) != PTC_OK)
        return PTC_ERROR;
    if (reg(self, "sc_tracked", -1, 0, true) != PTC_OK)
        return PTC_ERROR;
    for (int sc = 0; sc < 3; sc++)
        if (reg(self, "sc" + std::to_string(sc) + "_tracked", sc, 0, true) != PTC_OK)
            return PTC_ERROR;
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

int table_post_config(ptc_modref* self)
{
    for (table* t : g_tables) {
        size_t sz = sizeof(area_hdr) + sizeof(int32_t) * t->nbuckets + size_t(t->stride) * t->size;
        std::string nm = "table:" + t->name;
        void* a = host->shm_reserve(self, nm.c_str(), sz);
        if (!a) {
            host->errorf(self, "stick-table '%s': cannot reserve %zu bytes of shared memory",
                         t->name.c_str(), sz);
            return PTC_ERROR;
        }
        t->hdr = static_cast<area_hdr*>(a);
        t->buckets = reinterpret_cast<int32_t*>(t->hdr + 1);
        t->entries = reinterpret_cast<unsigned char*>(t->buckets + t->nbuckets);
        if (!t->hdr->inited) {
            for (uint32_t b = 0; b < t->nbuckets; b++)
                t->buckets[b] = -1;
            for (uint32_t i = 0; i < t->size; i++)
                ent(t, int32_t(i))->next = i + 1 < t->size ? int32_t(i + 1) : -1;
            t->hdr->free_head = 0;
            t->hdr->head = t->hdr->tail = -1;
            t->hdr->used = 0;
            t->hdr->inited = 1;
        }
    }
    for (const std::string& n : g_conv_tables)
        if (!table_by_name(n)) {
            host->errorf(self, "a table converter names an unknown stick-table '%s'", n.c_str());
            return PTC_ERROR;
        }
    for (stick_rule* r : g_srules) {
        r->t = r->tname.empty() ? table_of_proxy(r->px) : table_by_name(r->tname);
        if (!r->t) {
            ptc_str pn = host->proxy_name(r->px);
            host->errorf(self, "proxy '%.*s': stick rule: %s", (int)pn.len, pn.ptr,
                         r->tname.empty() ? "no stick-table in this proxy (use 'table <name>')"
                                          : ("unknown table '" + r->tname + "'").c_str());
            return PTC_ERROR;
        }
        // as HAProxy, a table used by stick rules stores the server
        r->t->store |= (1u << DT_SERVER_ID) | (1u << DT_SERVER_KEY);
    }
    for (track_act* a : g_tracks) {
        a->t = a->tname.empty() ? table_of_proxy(a->px) : table_by_name(a->tname);
        if (!a->t) {
            ptc_str pn = host->proxy_name(a->px);
            host->errorf(self, "proxy '%.*s': track-sc%u: %s", (int)pn.len, pn.ptr, a->sc,
                         a->tname.empty() ? "no stick-table in this proxy (use 'table <name>')"
                                          : ("unknown table '" + a->tname + "'").c_str());
            return PTC_ERROR;
        }
    }
    return PTC_OK;
}

// Backend known: evaluate the store rules' keys (stored once the server answers).
void stick_backend(ptc_stream* s)
{
    stream_st* st = state_of(s);
    if (!st)
        return;
    st->nstore = 0;
    if (g_srules.empty())
        return;
    const ptc_proxy* be = host->stream_backend(s);
    for (stick_rule* r : g_srules) {
        if (r->px != be || !(r->kind & SR_STORE) || st->nstore >= 4)
            continue;
        ptc_sample smp{};
        if (!host->expr_eval(s, r->expr, &smp))
            continue;
        auto& k = st->store[st->nstore];
        if (!key_of(r->t, smp, k.key, &k.keylen))
            continue;
        k.t = r->t;
        st->nstore++;
    }
}

// Server choice: the first match rule whose key names a server that is not stopped.
int stick_server_choice(ptc_stream* s)
{
    if (g_srules.empty())
        return PTC_CONTINUE;
    const ptc_proxy* be = host->stream_backend(s);
    uint64_t now = host->now_ms();
    for (stick_rule* r : g_srules) {
        if (r->px != be || !(r->kind & SR_MATCH))
            continue;
        ptc_sample smp{};
        if (!host->expr_eval(s, r->expr, &smp))
            continue;
        unsigned char k[256];
        uint32_t n = 0;
        if (!key_of(r->t, smp, k, &n))
            continue;
        lock(r->t);
        int32_t i = find(r->t, k, n, now);
        uint32_t id = i >= 0 ? ent(r->t, i)->d[DT_SERVER_ID].curr_ctr : 0;
        unlock(r->t);
        if (!id)
            continue;
        ptc_server* sv = server_by_id(be, id);
        if (!sv)
            continue;
        uint32_t stt = host->server_state(sv);
        bool stopped = !(stt & PTC_SRV_ST_UP) || (stt & PTC_SRV_ST_MAINT);
        px_conf* pc = px_conf_of(be);
        if (stopped && !(pc && pc->persist))
            continue;
        if (host->stream_use_server(s, sv, PTC_USE_SRV_FORCE) == PTC_OK)
            return PTC_STOP;
    }
    return PTC_CONTINUE;
}

// The server is known: write it to the entries of the store rules' keys.
void stick_store(ptc_stream* s)
{
    stream_st* st = state_of(s);
    if (!st || !st->nstore)
        return;
    ptc_server* sv = host->stream_server(s);
    if (!sv)
        return;
    uint32_t id = host->server_id(sv);
    uint64_t now = host->now_ms();
    for (uint32_t j = 0; j < st->nstore; j++) {
        table* t = static_cast<table*>(st->store[j].t);
        lock(t);
        int32_t i = get_or_create(t, st->store[j].key, st->store[j].keylen, now);
        if (i >= 0) {
            touch(t, i, now);
            ent(t, i)->d[DT_SERVER_ID].curr_ctr = id;
        }
        unlock(t);
    }
    st->nstore = 0;
}

// A response from the server: 4xx counts as an HTTP error for every tracked counter.
void table_response(ptc_stream* s, int status)
{
    stream_st* st = state_of(s);
    if (!st || (unsigned)(status - 400) >= 100)
        return;
    uint64_t now = host->now_ms();
    for (auto& sc : st->sc) {
        table* t = static_cast<table*>(sc.t);
        if (!t || !(t->store & ((1u << DT_HTTP_ERR_CNT) | (1u << DT_HTTP_ERR_RATE))))
            continue;
        lock(t);
        int32_t i = find(t, sc.key, sc.keylen, now);
        if (i >= 0) {
            d_add(t, ent(t, i), DT_HTTP_ERR_CNT, now, 1);
            d_add(t, ent(t, i), DT_HTTP_ERR_RATE, now, 1);
        }
        unlock(t);
    }
}

// Per request: nothing tracked yet (HAProxy: every request is a new stream).
int hook_http_request(ptc_stream* s, void*, void*)
{
    stream_st* st = state_of(s);
    if (st)
        for (auto& sc : st->sc)
            sc.t = nullptr;
    return PTC_CONTINUE;
}

} // namespace stick
