// SPDX-License-Identifier: MIT
// Stick tables in module shared memory, every worker sees the same entries.
//
// "stick-table type ip|ipv6|integer|string [len N]|binary [len N] size N [expire T]
//  [nopurge] [srvkey name|addr] [store <data types>]" (the 2.6 data types, dtypes.hpp),
// "track-sc0|1|2 <key> [table <t>]" in tcp-request connection|content, http-request and
// http-response rules, "sc-inc-gpc0|1(<sc>)", "sc-inc-gpc(<idx>,<sc>)",
// "sc-set-gpt0(<sc>) <int|expr>", "sc-set-gpt(<idx>,<sc>) <int|expr>", the sc_*,
// sc0_*..sc2_*, src_* and table_* fetches, the table_* / in_table converters, and the
// runtime API's "show table", "clear table" and "set table".
//
// Layout of a table's area (host->shm_reserve, one per table): a header with a spin lock,
// a bucket array (chained hash, power of two >= size) and <size> fixed-size entries (a
// 32-byte header, 12 bytes per stored data element, the key). Every entry is on exactly
// one list: the free list or the LRU list (most recent first). A touch moves an entry to
// the LRU head and pushes its expiry date; since every entry of a table has the same
// "expire", the LRU tail is also the first to expire, so expiry needs no sweep: a lookup
// treats an expired entry as absent, and an allocation reuses the tail when it expired
// (or when the table is full: LRU eviction, unless "nopurge"). An entry tracked by a
// stream holds a use count ("use=" of show table) and is neither expired nor evicted.
// Critical sections are a few dozen instructions; rates are HAProxy's two-period
// frequency counters, updated under the lock, hence exact across workers.
#include "dtypes.hpp"
#include "peermsg.hpp"
#include "peerwire.hpp"
#include "stick_int.hpp"

#include <portico/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stick {

namespace {

constexpr uint32_t T_IP = 0, T_IPV6 = 1, T_INT = 2, T_STR = 3, T_BIN = 4;
const char* const k_type_names[] = {"ip", "ipv6", "integer", "string", "binary"};

struct entry {
    int32_t hnext;       // next entry in the bucket, -1: none
    int32_t prev, next;  // LRU list (or free list: next only)
    uint32_t keylen;
    uint64_t expire;     // now_ms() date; 0: never
    uint32_t ref;        // streams tracking this entry
    uint32_t upd;        // area_hdr::seq at its last local change (peers push it)
    frq d[];             // the stored data elements (layout::slot), then the key
};
static_assert(sizeof(entry) == 32, "man/portico.cfg.5 states the size of an entry");

struct area_hdr {
    std::atomic<uint32_t> lock;
    uint32_t used;
    int32_t head, tail, free_head;
    uint32_t inited;
    uint32_t seq;        // local changes so far (entry::upd)
    uint32_t fresh;      // entries [fresh, size) were never used (not on the free list)
};

// A table (configuration, then the shared area). Config lifetime; inherited by workers.
struct table {
    std::string name;     // the proxy's name
    const ptc_proxy* px;
    uint32_t type, len, size, nbuckets, stride, keycap, keyoff;
    uint64_t expire;      // ms, 0: never
    bool nopurge;
    std::string peers;    // "peers <name>", or the peers section declaring it
    std::string wire;     // its name in the peers protocol (HAProxy's nid)
    layout L;
    area_hdr* hdr;
    int32_t* buckets;
    unsigned char* entries;
    struct held_area* held; // what each worker holds (below)
    int32_t myrec;          // this worker's record in it, -1: none
    bool srvkey_addr;       // "srvkey addr": server_key is the server's "<ip>:<port>"
    struct dict_area* dict; // the server_key strings (when server_key is stored)
    std::unordered_map<std::string, uint32_t>* dcache; // this worker's view of it
};

// The server keys of a table (HAProxy's server_key dictionary): strings appended under the
// table's lock and never removed, so an index stays valid; an entry's server_key element
// holds index + 1 (0: none). A full dictionary stores no key (server_id still works).
constexpr uint32_t DICT_N = 1024, DICT_LEN = 128;
struct dict_area {
    uint32_t n;
    uint32_t pad;
    char s[DICT_N][DICT_LEN];
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
unsigned char* key_ptr(const table* t, entry* e) { return reinterpret_cast<unsigned char*>(e) + t->keyoff; }
// The shared area starts zeroed and is not written before use (a table of 10 million
// entries starts at once): a bucket holds its first entry's index + 1 (0: empty), and the
// entries from area_hdr::fresh on are free without being listed.
int32_t bucket(const table* t, uint32_t b) { return t->buckets[b] - 1; }
void set_bucket(table* t, uint32_t b, int32_t i) { t->buckets[b] = i + 1; }

void lock(table* t)
{
    uint32_t spins = 0;
    while (t->hdr->lock.exchange(1, std::memory_order_acquire))
        if (++spins % 64 == 0)
            sched_yield();
}
void unlock(table* t) { t->hdr->lock.store(0, std::memory_order_release); }

// What each worker holds in a table: the trackers (entry::ref) and conn_cur it added per
// entry, so that a worker that dies without untracking (killed, crashed) does not keep
// its entries in use forever: the next worker to start (the master replacing it) gives
// them back, and every running worker sweeps once a second (held_sweep_task), so they
// come back even when none starts. Each worker claims a record (its pid); a record whose
// pid is gone (or a zombie) is swept.
// A record is an open-addressing hash by entry index (never deleted from; rebuilt without
// its empty slots when 3/4 full); one that still fills stops recording (those holdings
// would stay after a crash, as before). Guarded by the table's lock.
struct held_slot {
    uint32_t key;   // entry index + 1, 0: free
    uint32_t refs;  // trackers
    uint32_t cc;    // conn_cur
};
struct held_rec {
    int32_t pid;    // 0: free
    uint32_t used;  // slots with a key
    uint32_t full;  // holdings not recorded since the record filled up
    uint32_t pad;
};
// The area: this header, nrec records, then nrec * cap slots.
struct held_area {
    uint32_t cap;   // slots per record (a power of 2)
    uint32_t nrec;  // records: twice the workers, 16 at least (reloads overlap)
    uint32_t pad[2];
};
uint32_t held_cap(uint32_t size)
{
    uint32_t c = 16;
    while (c < 2 * size && c < 65536)
        c <<= 1;
    return c;
}
uint32_t held_nrec(uint32_t workers) { return workers * 2 + 2 > 16 ? workers * 2 + 2 : 16; }
size_t held_size(uint32_t cap, uint32_t nrec)
{
    return sizeof(held_area) + sizeof(held_rec) * nrec + sizeof(held_slot) * size_t(cap) * nrec;
}
held_rec* held_recs(table* t) { return reinterpret_cast<held_rec*>(t->held + 1); }
held_slot* held_of(table* t, int32_t rec)
{
    return reinterpret_cast<held_slot*>(held_recs(t) + t->held->nrec) + size_t(rec) * t->held->cap;
}

// The slot of entry <i> in record <rec> (created when <create>), or NULL.
held_slot* held_find(table* t, int32_t rec, int32_t i, bool create)
{
    held_slot* sl = held_of(t, rec);
    uint32_t m = t->held->cap - 1, key = uint32_t(i) + 1;
    for (uint32_t h = (key * 2654435761u) & m, n = 0; n <= m; h = (h + 1) & m, n++) {
        if (sl[h].key == key)
            return &sl[h];
        if (!sl[h].key) {
            if (!create)
                return nullptr;
            sl[h].key = key;
            held_recs(t)[rec].used++;
            return &sl[h];
        }
    }
    return nullptr;
}

// Rebuilds record <rec> without its empty slots (locked).
void held_compact(table* t, int32_t rec)
{
    std::vector<held_slot> keep;
    held_slot* sl = held_of(t, rec);
    for (uint32_t h = 0; h < t->held->cap; h++)
        if (sl[h].key && (sl[h].refs || sl[h].cc))
            keep.push_back(sl[h]);
    memset(sl, 0, sizeof(held_slot) * t->held->cap);
    held_recs(t)[rec].used = 0;
    for (const held_slot& k : keep)
        if (held_slot* n = held_find(t, rec, int32_t(k.key - 1), true)) {
            n->refs = k.refs;
            n->cc = k.cc;
        }
}

// Entry <i> gets (d > 0) or loses (d < 0) a tracker of this worker, with conn_cur (locked).
void held_add(table* t, int32_t i, int d, bool cc)
{
    if (!t->held || t->myrec < 0)
        return;
    held_rec& r = held_recs(t)[t->myrec];
    if (d > 0 && r.used >= t->held->cap / 4 * 3)
        held_compact(t, t->myrec);
    held_slot* h = held_find(t, t->myrec, i, d > 0);
    if (!h) {
        if (d > 0)
            r.full++;
        return;
    }
    if (d > 0) {
        h->refs++;
        h->cc += cc;
    } else {
        if (h->refs)
            h->refs--;
        if (cc && h->cc)
            h->cc--;
    }
}

void untrack_conn_cur(table* t, entry* e);

// Whether process <pid> is gone: no such process, or a zombie its parent has not reaped
// yet (the master may be busy, or stopped).
bool pid_dead(int32_t pid)
{
    if (kill(pid, 0) != 0)
        return errno == ESRCH;
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", int(pid));
    FILE* f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char* p = strrchr(buf, ')'); // the state follows the command name
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

// Gives back what dead workers held (locked).
void held_sweep_locked(table* t)
{
    for (uint32_t r = 0; r < t->held->nrec; r++) {
        held_rec& rec = held_recs(t)[r];
        if (!rec.pid || !pid_dead(rec.pid))
            continue;
        uint32_t given = 0;
        held_slot* sl = held_of(t, int32_t(r));
        for (uint32_t h = 0; rec.used && h < t->held->cap; h++) {
            if (!sl[h].key || sl[h].key > t->size)
                continue;
            entry* e = ent(t, int32_t(sl[h].key - 1));
            e->ref -= sl[h].refs < e->ref ? sl[h].refs : e->ref;
            for (uint32_t c = 0; c < sl[h].cc; c++)
                untrack_conn_cur(t, e);
            given += sl[h].refs;
        }
        if (given || rec.full)
            host->log(PTC_LOG_WARNING,
                      "stick-table '%s': %u tracked entries held by the dead worker %d given back%s",
                      t->name.c_str(), given, rec.pid, rec.full ? " (some were not recorded)" : "");
        memset(sl, 0, sizeof(held_slot) * t->held->cap);
        rec = held_rec{};
    }
}

// In a running worker, every second: what a worker that died held is given back even when
// no worker starts in its place (the master stopped replacing it, or it was one of a
// previous generation sharing the table).
void held_sweep(table* t)
{
    if (!t->held)
        return;
    lock(t);
    held_sweep_locked(t);
    unlock(t);
}

// In a starting worker: gives back what dead workers held, claims a record.
void held_claim(table* t)
{
    if (!t->held)
        return;
    lock(t);
    held_sweep_locked(t);
    t->myrec = -1;
    for (uint32_t r = 0; r < t->held->nrec && t->myrec < 0; r++)
        if (!held_recs(t)[r].pid) {
            held_recs(t)[r].pid = int32_t(getpid());
            t->myrec = int32_t(r);
        }
    unlock(t);
}

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
    uint32_t b = hash_key(key_ptr(t, e), e->keylen) & (t->nbuckets - 1);
    if (bucket(t, b) == i) {
        set_bucket(t, b, e->hnext);
        return;
    }
    for (int32_t j = bucket(t, b); j >= 0; j = ent(t, j)->hnext)
        if (ent(t, j)->hnext == i) {
            ent(t, j)->hnext = e->hnext;
            return;
        }
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

bool date_expired(const table* t, const entry* e, uint64_t now)
{
    return t->expire && e->expire && e->expire <= now;
}
// A tracked entry never expires while it is in use.
bool expired(const table* t, const entry* e, uint64_t now) { return !e->ref && date_expired(t, e, now); }

// A local change to entry <e> (locked): the peers will push it.
void mark(table* t, entry* e) { e->upd = ++t->hdr->seq; }

// Moves entry <i> to the LRU head with a new expiry date, without marking it.
void refresh(table* t, int32_t i, uint64_t exp)
{
    lru_unlink(t, i);
    lru_push_head(t, i);
    ent(t, i)->expire = exp;
}

void touch(table* t, int32_t i, uint64_t now)
{
    refresh(t, i, t->expire ? now + t->expire : 0);
    mark(t, ent(t, i));
}

// Drops expired entries from the LRU tail (locked): a bounded amount of work per call. An
// entry past its date but in use goes back to the head.
void purge_tail(table* t, uint64_t now, int max)
{
    while (max-- > 0 && t->hdr->tail >= 0 && date_expired(t, ent(t, t->hdr->tail), now)) {
        if (ent(t, t->hdr->tail)->ref)
            touch(t, t->hdr->tail, now);
        else
            release(t, t->hdr->tail);
    }
}

int32_t find(table* t, const unsigned char* k, uint32_t n, uint64_t now)
{
    for (int32_t i = bucket(t, hash_key(k, n) & (t->nbuckets - 1)); i >= 0; i = ent(t, i)->hnext) {
        entry* e = ent(t, i);
        if (e->keylen == n && memcmp(key_ptr(t, e), k, n) == 0)
            return expired(t, e, now) ? -1 : i;
    }
    return -1;
}

// Finds or creates the entry of key <k> (locked); -1 when the table is full with
// "nopurge" (or of entries in use).
int32_t get_or_create(table* t, const unsigned char* k, uint32_t n, uint64_t now)
{
    purge_tail(t, now, 4);
    int32_t i = find(t, k, n, now);
    if (i >= 0)
        return i;
    // an expired entry with this key may still be chained: drop it first
    for (int32_t j = bucket(t, hash_key(k, n) & (t->nbuckets - 1)); j >= 0; j = ent(t, j)->hnext)
        if (ent(t, j)->keylen == n && memcmp(key_ptr(t, ent(t, j)), k, n) == 0) {
            release(t, j);
            break;
        }
    if (t->hdr->free_head < 0 && t->hdr->fresh < t->size) {
        ent(t, int32_t(t->hdr->fresh))->next = -1;
        t->hdr->free_head = int32_t(t->hdr->fresh++);
    }
    if (t->hdr->free_head < 0) {
        if (t->nopurge)
            return -1;
        // the least recently used entry not in use (a few tries)
        int32_t v = t->hdr->tail;
        for (int tries = 0; v >= 0 && ent(t, v)->ref && tries < 16; tries++)
            v = ent(t, v)->prev;
        if (v < 0 || ent(t, v)->ref)
            return -1;
        release(t, v);
    }
    i = t->hdr->free_head;
    entry* e = ent(t, i);
    t->hdr->free_head = e->next;
    memset(e, 0, t->stride);
    e->keylen = n;
    memcpy(key_ptr(t, e), k, n);
    for (uint32_t s = 0; s < t->L.nslots; s++)
        e->d[s].curr_tick = uint32_t(now);
    uint32_t b = hash_key(k, n) & (t->nbuckets - 1);
    e->hnext = bucket(t, b);
    set_bucket(t, b, i);
    e->prev = e->next = -1;
    lru_push_head(t, i);
    e->expire = t->expire ? now + t->expire : 0;
    t->hdr->used++;
    return i;
}

// ---- data access --------------------------------------------------------------------------

// The slot of data type <d> element <idx> in entry <e>, or NULL when not stored. As in
// HAProxy, gpt0 / gpc0 / gpc1 (and their rates) read the arrays' first elements when only
// the arrays are stored.
frq* dptr(table* t, entry* e, uint32_t d, uint32_t idx = 0)
{
    if (!t->L.has(d)) {
        uint32_t alt = NDT, ai = 0;
        switch (d) {
        case DT_GPT0: alt = DT_GPT; break;
        case DT_GPC0: alt = DT_GPC; break;
        case DT_GPC1: alt = DT_GPC, ai = 1; break;
        case DT_GPC0_RATE: alt = DT_GPC_RATE; break;
        case DT_GPC1_RATE: alt = DT_GPC_RATE, ai = 1; break;
        default: return nullptr;
        }
        if (idx || !t->L.has(alt))
            return nullptr;
        d = alt;
        idx = ai;
    }
    if (idx >= t->L.nelem[d])
        return nullptr;
    return &e->d[t->L.slot[d] + int32_t(idx)];
}

// The period of the rate <d> (an alias reads its array's).
uint32_t period_of(const table* t, uint32_t d)
{
    if (t->L.has(d))
        return t->L.period[d];
    if (d == DT_GPC0_RATE || d == DT_GPC1_RATE)
        return t->L.period[DT_GPC_RATE];
    return t->L.period[d];
}

int64_t d_read(table* t, entry* e, uint32_t d, uint64_t now, uint32_t idx = 0)
{
    frq* f = dptr(t, e, d, idx);
    if (!f)
        return 0;
    switch (k_dtypes[d].st) {
    case ST_FRQ: return frq_read(f, period_of(t, d), uint32_t(now));
    case ST_ULL: return int64_t(ull_get(f));
    case ST_SINT: return int32_t(f->curr_ctr);
    default: return f->curr_ctr;
    }
}

// Adds <n> to data type <d> if the table stores it (locked).
void d_add(table* t, entry* e, uint32_t d, uint64_t now, uint64_t n, uint32_t idx = 0)
{
    frq* f = dptr(t, e, d, idx);
    if (!f)
        return;
    mark(t, e);
    if (k_dtypes[d].st == ST_FRQ)
        frq_add(f, period_of(t, d), uint32_t(now), uint32_t(n));
    else if (k_dtypes[d].st == ST_ULL)
        ull_set(f, ull_get(f) + n);
    else
        f->curr_ctr += uint32_t(n);
}

void d_set(table* t, entry* e, uint32_t d, uint64_t now, int64_t v, uint32_t idx = 0)
{
    frq* f = dptr(t, e, d, idx);
    if (!f)
        return;
    mark(t, e);
    if (k_dtypes[d].st == ST_ULL) {
        ull_set(f, uint64_t(v));
        return;
    }
    f->curr_tick = uint32_t(now);
    f->prev_ctr = 0;
    f->curr_ctr = uint32_t(v);
}

// The server_key dictionary: the index + 1 of <k>, added when new (locked); 0 when the
// table stores no server_key, the key is empty or too long, or the dictionary is full.
uint32_t dict_put(table* t, const std::string& k)
{
    if (!t->dict || !t->dcache || k.empty() || k.size() >= DICT_LEN)
        return 0;
    auto it = t->dcache->find(k);
    if (it != t->dcache->end())
        return it->second;
    dict_area* d = t->dict;
    uint32_t n = d->n < DICT_N ? d->n : DICT_N;
    for (uint32_t i = 0; i < n; i++)
        if (strncmp(d->s[i], k.c_str(), DICT_LEN) == 0) {
            (*t->dcache)[k] = i + 1;
            return i + 1;
        }
    if (n >= DICT_N)
        return 0;
    memcpy(d->s[n], k.c_str(), k.size() + 1);
    d->n = n + 1;
    (*t->dcache)[k] = n + 1;
    return n + 1;
}

// The string of dictionary index + 1 <id> (locked), or NULL.
const char* dict_get(const table* t, uint64_t id)
{
    if (!t->dict || !id || id > t->dict->n || id > DICT_N)
        return nullptr;
    return t->dict->s[id - 1];
}

// The key a table stores for server <sv> (HAProxy's srvkey): its name, or with "srvkey
// addr" its address as "<ip>:<port>" (no brackets around an IPv6 address, as HAProxy).
std::string server_key_of(const table* t, const ptc_server* sv)
{
    if (!t->srvkey_addr) {
        ptc_str n = host->server_name(sv);
        return std::string(n.ptr, n.len);
    }
    struct sockaddr_storage ss{};
    if (!host->server_addr(sv, &ss))
        return "";
    char ip[INET6_ADDRSTRLEN] = "";
    uint16_t port = 0;
    if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    } else {
        return "";
    }
    return std::string(ip) + ":" + std::to_string(port);
}

// Whether the table stores data type <d> (or the array it reads).
bool stored(const table* t, uint32_t d)
{
    if (t->L.has(d))
        return true;
    switch (d) {
    case DT_GPT0: return t->L.has(DT_GPT);
    case DT_GPC0: return t->L.has(DT_GPC);
    case DT_GPC1: return t->L.has(DT_GPC) && t->L.nelem[DT_GPC] > 1;
    case DT_GPC0_RATE: return t->L.has(DT_GPC_RATE);
    case DT_GPC1_RATE: return t->L.has(DT_GPC_RATE) && t->L.nelem[DT_GPC_RATE] > 1;
    default: return false;
    }
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
    if (!p)
        return nullptr;
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
            if (t->type == T_BIN) { // an integer is 8 bytes, network order
                uint64_t v = uint64_t(s.u.sint);
                for (int i = 0; i < 8; i++)
                    buf[i] = char(v >> (56 - 8 * i));
                str = ptc_str{buf, 8};
            } else {
                int l = snprintf(buf, sizeof(buf), "%lld", (long long)s.u.sint);
                str = ptc_str{buf, size_t(l)};
            }
        } else if (s.type == PTC_SMP_IPV4) {
            if (t->type == T_BIN)
                str = ptc_str{reinterpret_cast<const char*>(s.u.ipv4), 4};
            else {
                inet_ntop(AF_INET, s.u.ipv4, buf, sizeof(buf));
                str = ptc_str{buf, strlen(buf)};
            }
        } else if (s.type == PTC_SMP_IPV6) {
            if (t->type == T_BIN)
                str = ptc_str{reinterpret_cast<const char*>(s.u.ipv6), 16};
            else {
                inet_ntop(AF_INET6, s.u.ipv6, buf, sizeof(buf));
                str = ptc_str{buf, strlen(buf)};
            }
        } else {
            return false;
        }
        *n = uint32_t(str.len < t->len ? str.len : t->len); // truncated to len
        memcpy(k, str.ptr, *n);
        if (t->type == T_BIN && *n < t->len) { // binary keys are padded with zeros
            memset(k + *n, 0, t->len - *n);
            *n = t->len;
        }
        return true;
    }
    }
}

// ---- configuration ----------------------------------------------------------------------

bool parse_ms(const std::string& s, uint64_t* ms)
{
    return host->parse_time(ptc_str{s.data(), s.size()}, ms) == PTC_OK;
}

// The arguments of a table from args[first] on ("stick-table" in a proxy, "table <name>"
// in a peers section, where <in_peers> refuses "peers"). PTC_OK or the error reported.
int parse_table_args(const ptc_kw_ctx* ctx, table* t, uint32_t first, bool in_peers)
{
    t->type = UINT32_MAX;
    t->len = 32; // binary; a string without "len" keeps 31 bytes (set with the type below)
    bool have_size = false;
    for (uint32_t i = first; i < ctx->argc; i++) {
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
            else if (b == "binary")
                t->type = T_BIN;
            else
                return host->cfg_errorf(ctx,
                                        "stick-table: unknown type '%.*s' "
                                        "(supported: ip, ipv6, integer, string, binary).",
                                        (int)b.size(), b.data());
            // as HAProxy: a string's default key size (32) counts its terminating zero,
            // "len N" does not (N + 1); the peers protocol announces that size
            t->len = t->type == T_STR ? 31 : 32;
            if ((t->type == T_STR || t->type == T_BIN) && i + 2 < ctx->argc &&
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
        } else if (a == "srvkey" && more) {
            i++;
            if (b == "addr")
                t->srvkey_addr = true;
            else if (b == "name")
                t->srvkey_addr = false;
            else
                return host->cfg_errorf(ctx, "stick-table: unknown server key type '%.*s' (srvkey expects 'name' or 'addr').",
                                        (int)b.size(), b.data());
        } else if (a == "peers" && more && !in_peers) {
            t->peers.assign(b.data(), b.size());
            i++;
        } else if (a == "store" && more) {
            i++;
            std::string warn;
            std::string err = parse_store(std::string(b), t->L, parse_ms, &warn);
            if (!err.empty())
                return host->cfg_errorf(ctx, "stick-table: %s", err.c_str());
            if (!warn.empty())
                host->cfg_warnf(ctx, "stick-table: %s", warn.c_str());
        } else {
            return host->cfg_errorf(ctx,
                                    "stick-table: unknown or unsupported argument '%.*s' "
                                    "(supported: type, len, size, expire, nopurge, srvkey, store).",
                                    (int)a.size(), a.data());
        }
    }
    if (t->type == UINT32_MAX)
        return host->cfg_errorf(ctx, "stick-table: missing type.");
    if (!have_size)
        return host->cfg_errorf(ctx, "stick-table: missing size.");
    return PTC_OK;
}

// "stick-table type <t> [len <n>] size <n> [expire <t>] [nopurge] [srvkey name]
//  [peers <name>] [store <list>]" in a proxy.
int parse_stick_table(const ptc_kw_ctx* ctx)
{
    px_conf* c = static_cast<px_conf*>(ctx->conf);
    if (!ctx->proxy || (ctx->section & PTC_SEC_DEFAULTS))
        return host->cfg_errorf(ctx, "'stick-table' is not allowed in 'defaults' sections.");
    if (c->table)
        return host->cfg_errorf(ctx, "only one stick-table per proxy is supported.");
    table* t = new table{};
    t->px = ctx->proxy;
    ptc_str pn = host->proxy_name(ctx->proxy);
    t->name.assign(pn.ptr, pn.len);
    t->wire = t->name;
    if (table* o = table_by_name(t->name))
        return host->cfg_errorf(ctx, "stick-table name '%s' conflicts with the table declared %s.",
                                t->name.c_str(), o->px ? "in a proxy of the same name" : "in a peers section");
    if (parse_table_args(ctx, t, ctx->kw_words, false) != PTC_OK)
        return PTC_ERROR;
    c->table = t;
    g_tables.push_back(t);
    return PTC_OK;
}

// The entry layout, once every rule added what it needs (server_id for stick rules).
void table_finish(table* t)
{
    t->keycap = t->type == T_IP || t->type == T_INT ? 4 : t->type == T_IPV6 ? 16 : t->len;
    t->keyoff = uint32_t(sizeof(entry) + sizeof(frq) * t->L.nslots);
    t->stride = uint32_t((t->keyoff + t->keycap + 7) & ~size_t(7));
    t->nbuckets = 1;
    while (t->nbuckets < t->size)
        t->nbuckets <<= 1;
}

// A data type a stick rule needs: added at the end of the layout if missing.
void table_need(table* t, uint32_t d)
{
    if (t->L.has(d))
        return;
    t->L.slot[d] = int32_t(t->L.nslots);
    t->L.nelem[d] = 1;
    t->L.nslots++;
}

// ---- tracking -----------------------------------------------------------------------------

// Adds the stream's bytes since the last call to every tracked entry (bytes_in/out_*).
void account_bytes(ptc_stream* s, stream_st* st)
{
    if (!st->ntrack || !PTC_HOST_HAS(host, stream_bytes) || !host->stream_bytes)
        return;
    uint64_t in = host->stream_bytes(s, PTC_DIR_REQ), out = host->stream_bytes(s, PTC_DIR_RES);
    uint64_t din = in > st->acct_in ? in - st->acct_in : 0;
    uint64_t dout = out > st->acct_out ? out - st->acct_out : 0;
    st->acct_in = in;
    st->acct_out = out;
    if (!din && !dout)
        return;
    uint64_t now = host->now_ms();
    for (auto& sc : st->sc) {
        table* t = static_cast<table*>(sc.t);
        if (!t || !(t->L.has(DT_BYTES_IN_CNT) || t->L.has(DT_BYTES_IN_RATE) ||
                    t->L.has(DT_BYTES_OUT_CNT) || t->L.has(DT_BYTES_OUT_RATE)))
            continue;
        lock(t);
        entry* e = ent(t, sc.idx);
        d_add(t, e, DT_BYTES_IN_CNT, now, din);
        d_add(t, e, DT_BYTES_IN_RATE, now, din);
        d_add(t, e, DT_BYTES_OUT_CNT, now, dout);
        d_add(t, e, DT_BYTES_OUT_RATE, now, dout);
        unlock(t);
    }
}

// Tracks key <k> of table <t> as counter <sc> (HAProxy's stream_track_stkctr: the
// connection counters count one more, the entry is held until untrack).
bool track(ptc_stream* s, stream_st* st, uint32_t sc, table* t, const unsigned char* k, uint32_t n,
           uint32_t level)
{
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = get_or_create(t, k, n, now);
    if (i < 0) {
        unlock(t);
        return false;
    }
    entry* e = ent(t, i);
    e->ref++;
    d_add(t, e, DT_CONN_CUR, now, 1);
    held_add(t, i, 1, dptr(t, e, DT_CONN_CUR) != nullptr);
    d_add(t, e, DT_CONN_CNT, now, 1);
    d_add(t, e, DT_CONN_RATE, now, 1);
    touch(t, i, now);
    unlock(t);
    if (!st->ntrack && PTC_HOST_HAS(host, stream_bytes) && host->stream_bytes) {
        st->acct_in = host->stream_bytes(s, PTC_DIR_REQ);
        st->acct_out = host->stream_bytes(s, PTC_DIR_RES);
    }
    st->sc[sc].t = t;
    st->sc[sc].idx = i;
    st->sc[sc].level = level;
    st->ntrack++;
    return true;
}

void untrack_conn_cur(table* t, entry* e)
{
    frq* f = dptr(t, e, DT_CONN_CUR);
    if (f && f->curr_ctr)
        f->curr_ctr--;
}

void untrack(stream_st* st, uint32_t sc)
{
    table* t = static_cast<table*>(st->sc[sc].t);
    if (!t)
        return;
    lock(t);
    entry* e = ent(t, st->sc[sc].idx);
    untrack_conn_cur(t, e);
    if (e->ref)
        e->ref--;
    held_add(t, st->sc[sc].idx, -1, true);
    unlock(t);
    st->sc[sc].t = nullptr;
    st->ntrack--;
}

// Adds one to the counters <cnt> and <rate> of every tracked entry.
void count_all(stream_st* st, uint32_t cnt, uint32_t rate)
{
    if (!st->ntrack)
        return;
    uint64_t now = host->now_ms();
    for (auto& sc : st->sc) {
        table* t = static_cast<table*>(sc.t);
        if (!t || !(t->L.has(cnt) || t->L.has(rate)))
            continue;
        lock(t);
        d_add(t, ent(t, sc.idx), cnt, now, 1);
        d_add(t, ent(t, sc.idx), rate, now, 1);
        unlock(t);
    }
}

// Counts response <status> for the tracked entries: 4xx are HTTP errors, 5xx but 501 and
// 505 HTTP failures.
void count_status(stream_st* st, int status)
{
    if ((unsigned)(status - 400) < 100)
        count_all(st, DT_HTTP_ERR_CNT, DT_HTTP_ERR_RATE);
    else if ((unsigned)(status - 500) < 100 && status != 501 && status != 505)
        count_all(st, DT_HTTP_FAIL_CNT, DT_HTTP_FAIL_RATE);
}

// ---- actions ------------------------------------------------------------------------------

struct track_act {
    uint32_t sc;
    uint32_t ruleset;
    ptc_expr* key;
    const ptc_proxy* px;  // where the rule is (its table is the default)
    std::string tname;    // "table <t>"
    table* t;             // resolved in post_config
};
std::vector<track_act*> g_tracks;

bool is_cond(ptc_str w)
{
    return (w.len == 2 && !memcmp(w.ptr, "if", 2)) || (w.len == 6 && !memcmp(w.ptr, "unless", 6));
}

int parse_track(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state, uint32_t ruleset)
{
    track_act* a = new track_act{};
    ptc_str w = ctx->args[first - 1];
    if (!(w.len == 9 && w.ptr[8] >= '0' && w.ptr[8] <= '2'))
        return host->cfg_errorf(ctx, "'%.*s': only track-sc0, track-sc1 and track-sc2 exist.",
                                (int)w.len, w.ptr);
    a->sc = uint32_t(w.ptr[8] - '0');
    a->ruleset = ruleset;
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
int parse_track_conn(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_track(c, f, n, s, PTC_RULES_TCP_REQ_CONN); }
int parse_track_content(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_track(c, f, n, s, PTC_RULES_TCP_REQ_CONTENT); }
int parse_track_sess(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_track(c, f, n, s, PTC_RULES_TCP_REQ_SESS); }
int parse_track_http_req(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_track(c, f, n, s, PTC_RULES_HTTP_REQ); }
int parse_track_http_res(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_track(c, f, n, s, PTC_RULES_HTTP_RES); }

int act_track(ptc_stream* s, void* state)
{
    track_act* a = static_cast<track_act*>(state);
    stream_st* st = state_of(s);
    if (!st || !a->t || st->sc[a->sc].t)
        return PTC_ACT_CONTINUE; // already tracked: HAProxy keeps the first
    ptc_sample smp{};
    int got = host->expr_eval(s, a->key, &smp);
    // the key may appear with more bytes (url in a tcp-request content rule waiting within
    // its inspect-delay): wait at this rule, as HAProxy (only a 1.25 host says so while
    // more data may come, and only then)
    if ((smp.flags & PTC_SMPF_MAYCHANGE) && host->abi_minor >= 25)
        return PTC_ACT_YIELD;
    if (!got)
        return PTC_ACT_CONTINUE;
    table* t = a->t;
    unsigned char k[256];
    uint32_t n = 0;
    if (!key_of(t, smp, k, &n))
        return PTC_ACT_CONTINUE;
    bool http = a->ruleset == PTC_RULES_HTTP_REQ || a->ruleset == PTC_RULES_HTTP_RES;
    const bool sess = a->ruleset == PTC_RULES_TCP_REQ_CONN || a->ruleset == PTC_RULES_TCP_REQ_SESS;
    uint32_t level = sess ? SCL_SESS : http ? SCL_HTTP : SCL_STREAM;
    if (!track(s, st, a->sc, t, k, n, level))
        return PTC_ACT_CONTINUE;
    if (http) {
        // the request was counted before this counter was tracked: count it now, and from
        // a response rule the response's status too
        uint64_t now = host->now_ms();
        int status = a->ruleset == PTC_RULES_HTTP_RES && g_http ? g_http->res_status(s) : 0;
        lock(t);
        entry* e = ent(t, st->sc[a->sc].idx);
        d_add(t, e, DT_HTTP_REQ_CNT, now, 1);
        d_add(t, e, DT_HTTP_REQ_RATE, now, 1);
        if ((unsigned)(status - 400) < 100) {
            d_add(t, e, DT_HTTP_ERR_CNT, now, 1);
            d_add(t, e, DT_HTTP_ERR_RATE, now, 1);
        } else if ((unsigned)(status - 500) < 100 && status != 501 && status != 505) {
            d_add(t, e, DT_HTTP_FAIL_CNT, now, 1);
            d_add(t, e, DT_HTTP_FAIL_RATE, now, 1);
        }
        unlock(t);
    }
    return PTC_ACT_CONTINUE;
}

// sc-inc-gpc0(<sc>), sc-inc-gpc1(<sc>), sc-inc-gpc(<idx>,<sc>), sc-set-gpt0(<sc>) <v>,
// sc-set-gpt(<idx>,<sc>) <v>
struct gpc_act {
    uint32_t sc;
    uint32_t idx;   // array element
    uint32_t data;  // DT_GPC0, DT_GPC1, DT_GPC (increment) or DT_GPT0, DT_GPT (set)
    int64_t value;
    ptc_expr* expr; // the value's expression, or NULL for a constant
};

// "name(<a>[,<b>])" -> the arguments' numbers.
int parse_paren(std::string_view v, uint32_t* out, uint32_t want)
{
    size_t o = v.find('(');
    if (o == std::string_view::npos || v.back() != ')')
        return -1;
    std::string in(v.substr(o + 1, v.size() - o - 2));
    uint32_t n = 0;
    size_t p = 0;
    while (n < want) {
        size_t q = in.find(',', p);
        std::string w = in.substr(p, q == std::string::npos ? std::string::npos : q - p);
        char* end = nullptr;
        long x = strtol(w.c_str(), &end, 10);
        if (w.empty() || *end || x < 0)
            return -1;
        out[n++] = uint32_t(x);
        if (q == std::string::npos)
            break;
        p = q + 1;
    }
    return int(n);
}

int parse_sc_gp(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state, uint32_t data)
{
    ptc_str w = ctx->args[first - 1];
    std::string_view v(w.ptr, w.len);
    gpc_act* a = new gpc_act{};
    a->data = data;
    bool arr = data == DT_GPC || data == DT_GPT;
    uint32_t nums[2] = {0, 0};
    int got = parse_paren(v, nums, arr ? 2 : 1);
    if (got != (arr ? 2 : 1))
        return host->cfg_errorf(ctx, arr ? "'%.*s': expects '(<index>,<stick counter>)'."
                                         : "'%.*s': expects a stick counter number (0, 1 or 2).",
                                (int)w.len, w.ptr);
    a->sc = arr ? nums[1] : nums[0];
    a->idx = arr ? nums[0] : 0;
    if (a->sc > 2)
        return host->cfg_errorf(ctx, "'%.*s': the stick counter number must be 0, 1 or 2.",
                                (int)w.len, w.ptr);
    if (arr && a->idx >= k_max_array)
        return host->cfg_errorf(ctx, "'%.*s': the index must be below %u.", (int)w.len, w.ptr,
                                k_max_array);
    uint32_t i = first;
    if (data == DT_GPT0 || data == DT_GPT) {
        if (i >= ctx->argc || is_cond(ctx->args[i]))
            return host->cfg_errorf(ctx, "'%.*s' expects an integer or an expression.", (int)w.len,
                                    w.ptr);
        std::string num(ctx->args[i].ptr, ctx->args[i].len);
        char* end = nullptr;
        a->value = strtoll(num.c_str(), &end, 10);
        if (num.empty() || *end) {
            a->expr = host->expr_compile(ctx, ctx->args[i]);
            if (!a->expr)
                return PTC_ERROR;
        }
        i++;
    }
    *next = i;
    *state = a;
    return PTC_OK;
}
int parse_inc_gpc0(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_sc_gp(c, f, n, s, DT_GPC0); }
int parse_inc_gpc1(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_sc_gp(c, f, n, s, DT_GPC1); }
int parse_inc_gpc(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_sc_gp(c, f, n, s, DT_GPC); }
int parse_set_gpt0(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_sc_gp(c, f, n, s, DT_GPT0); }
int parse_set_gpt(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s) { return parse_sc_gp(c, f, n, s, DT_GPT); }

uint32_t rate_of(uint32_t gpc)
{
    return gpc == DT_GPC0 ? DT_GPC0_RATE : gpc == DT_GPC1 ? DT_GPC1_RATE : DT_GPC_RATE;
}

int act_sc_gp(ptc_stream* s, void* state)
{
    gpc_act* a = static_cast<gpc_act*>(state);
    stream_st* st = state_of(s);
    if (!st || !st->sc[a->sc].t)
        return PTC_ACT_CONTINUE;
    table* t = static_cast<table*>(st->sc[a->sc].t);
    int64_t v = a->value;
    if (a->expr) {
        ptc_sample smp{};
        if (!host->expr_eval(s, a->expr, &smp))
            return PTC_ACT_CONTINUE;
        if (smp.type == PTC_SMP_SINT || smp.type == PTC_SMP_BOOL)
            v = smp.u.sint;
        else if (smp.type == PTC_SMP_STR) {
            std::string num(smp.u.str.ptr, smp.u.str.len);
            char* end = nullptr;
            v = strtoll(num.c_str(), &end, 10);
            if (num.empty() || *end)
                return PTC_ACT_CONTINUE;
        } else {
            return PTC_ACT_CONTINUE;
        }
    }
    uint64_t now = host->now_ms();
    lock(t);
    entry* e = ent(t, st->sc[a->sc].idx);
    if (a->data == DT_GPT0 || a->data == DT_GPT) {
        if (frq* f = dptr(t, e, a->data, a->idx)) {
            f->curr_ctr = uint32_t(v);
            mark(t, e);
        }
    } else {
        d_add(t, e, rate_of(a->data), now, 1, a->idx);
        d_add(t, e, a->data, now, 1, a->idx);
    }
    unlock(t);
    return PTC_ACT_CONTINUE;
}

// ---- stick on | match | store-request | store-response -----------------------------------

constexpr uint32_t SR_MATCH = 1, SR_STORE = 2, SR_STORE_RES = 4;

struct stick_rule {
    uint32_t kind;       // SR_*
    ptc_expr* expr;
    ptc_cond* cond;      // "if"/"unless", or NULL
    std::string tname;   // "table <t>", else the backend's own table
    const ptc_proxy* px;
    table* t;            // resolved in post_config
};
std::vector<stick_rule*> g_srules;
bool g_have_store_res;

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
            if (!PTC_HOST_HAS(host, cond_eval))
                return host->cfg_errorf(ctx, "conditions on stick rules need ABI 1.10.");
            r->cond = host->cond_compile(ctx, i, kind == SR_STORE_RES ? PTC_USE_ANY : PTC_USE_L4 | PTC_USE_HTTP_REQ);
            if (!r->cond)
                return PTC_ERROR;
            break;
        } else {
            return host->cfg_errorf(ctx, "unexpected argument '%.*s' (expected 'table <name>' or a condition).",
                                    (int)w.size(), w.data());
        }
    }
    g_srules.push_back(r);
    return PTC_OK;
}

int parse_stick_kw_impl(const ptc_kw_ctx* ctx)
{
    std::string_view w(ctx->args[1].ptr, ctx->args[1].len);
    return parse_stick_rule(ctx, w == "on"      ? SR_MATCH | SR_STORE
                                 : w == "match" ? SR_MATCH
                                 : w == "store-request" ? SR_STORE
                                                        : SR_STORE_RES);
}

// Whether rule <r> applies to stream <s> (its condition).
bool rule_applies(ptc_stream* s, const stick_rule* r)
{
    return !r->cond || host->cond_eval(s, r->cond);
}

ptc_server* server_by_id(const ptc_proxy* be, uint32_t id)
{
    for (ptc_server* sv = host->server_next(be, nullptr); sv; sv = host->server_next(be, sv))
        if (host->server_id(sv) == id)
            return sv;
    return nullptr;
}

// ---- fetches and converters ---------------------------------------------------------------

// Operations of the sc_* / src_* fetches and table_* converters.
constexpr uint32_t OP_GET = 0, OP_KB = 1, OP_INC = 2, OP_CLR = 3, OP_TRACKERS = 4,
                   OP_TRACKED = 5, OP_UPDT_CONN = 6, OP_IN_TABLE = 7;

struct family {
    const char* sfx;   // "http_req_rate"
    uint32_t op, data;
    bool idx;          // the array index is the first argument
    const char* conv;  // the table_* converter's suffix, or NULL
};
const family k_families[] = {
    {"get_gpt0", OP_GET, DT_GPT0, false, "gpt0"},
    {"get_gpt", OP_GET, DT_GPT, true, "gpt"},
    {"get_gpc0", OP_GET, DT_GPC0, false, "gpc0"},
    {"get_gpc1", OP_GET, DT_GPC1, false, "gpc1"},
    {"get_gpc", OP_GET, DT_GPC, true, "gpc"},
    {"gpc0_rate", OP_GET, DT_GPC0_RATE, false, "gpc0_rate"},
    {"gpc1_rate", OP_GET, DT_GPC1_RATE, false, "gpc1_rate"},
    {"gpc_rate", OP_GET, DT_GPC_RATE, true, "gpc_rate"},
    {"inc_gpc0", OP_INC, DT_GPC0, false, nullptr},
    {"inc_gpc1", OP_INC, DT_GPC1, false, nullptr},
    {"inc_gpc", OP_INC, DT_GPC, true, nullptr},
    {"clr_gpc0", OP_CLR, DT_GPC0, false, nullptr},
    {"clr_gpc1", OP_CLR, DT_GPC1, false, nullptr},
    {"clr_gpc", OP_CLR, DT_GPC, true, nullptr},
    {"conn_cnt", OP_GET, DT_CONN_CNT, false, "conn_cnt"},
    {"conn_cur", OP_GET, DT_CONN_CUR, false, "conn_cur"},
    {"conn_rate", OP_GET, DT_CONN_RATE, false, "conn_rate"},
    {"sess_cnt", OP_GET, DT_SESS_CNT, false, "sess_cnt"},
    {"sess_rate", OP_GET, DT_SESS_RATE, false, "sess_rate"},
    {"http_req_cnt", OP_GET, DT_HTTP_REQ_CNT, false, "http_req_cnt"},
    {"http_req_rate", OP_GET, DT_HTTP_REQ_RATE, false, "http_req_rate"},
    {"http_err_cnt", OP_GET, DT_HTTP_ERR_CNT, false, "http_err_cnt"},
    {"http_err_rate", OP_GET, DT_HTTP_ERR_RATE, false, "http_err_rate"},
    {"http_fail_cnt", OP_GET, DT_HTTP_FAIL_CNT, false, "http_fail_cnt"},
    {"http_fail_rate", OP_GET, DT_HTTP_FAIL_RATE, false, "http_fail_rate"},
    {"bytes_in_rate", OP_GET, DT_BYTES_IN_RATE, false, "bytes_in_rate"},
    {"bytes_out_rate", OP_GET, DT_BYTES_OUT_RATE, false, "bytes_out_rate"},
    {"kbytes_in", OP_KB, DT_BYTES_IN_CNT, false, "kbytes_in"},
    {"kbytes_out", OP_KB, DT_BYTES_OUT_CNT, false, "kbytes_out"},
    {"trackers", OP_TRACKERS, 0, false, "trackers"},
    {"tracked", OP_TRACKED, 0, false, nullptr},   // sc_ and scN_ only
    {"updt_conn_cnt", OP_UPDT_CONN, DT_CONN_CNT, false, nullptr}, // src_ only
};

// What a registered fetch reads (priv of the registration).
struct fetch_kind {
    const family* f;
    int sc; // 0..2, -1: "sc_" (an argument), -2: "src_"
};

// Applies <f> to entry <i> of <t> (locked). 1: a sample, 0: the data is not stored.
int apply(table* t, int32_t i, const family* f, uint32_t idx, uint64_t now, int64_t* out)
{
    entry* e = ent(t, i);
    if (f->op == OP_INC || f->op == OP_CLR || f->op == OP_UPDT_CONN)
        mark(t, e);
    switch (f->op) {
    case OP_TRACKERS: *out = e->ref; return 1;
    case OP_KB:
        if (!dptr(t, e, f->data))
            return 0;
        *out = d_read(t, e, f->data, now) >> 10;
        return 1;
    case OP_INC: {
        frq* r = dptr(t, e, rate_of(f->data), idx);
        frq* c = dptr(t, e, f->data, idx);
        if (!r && !c)
            return 0;
        if (r) {
            frq_add(r, period_of(t, rate_of(f->data)), uint32_t(now), 1);
            *out = r->curr_ctr;
        }
        if (c)
            *out = ++c->curr_ctr;
        return 1;
    }
    case OP_CLR: {
        frq* c = dptr(t, e, f->data, idx);
        if (!c)
            return 0;
        *out = c->curr_ctr;
        c->curr_ctr = 0;
        return 1;
    }
    case OP_UPDT_CONN: {
        frq* c = dptr(t, e, DT_CONN_CNT);
        if (!c)
            return 0;
        *out = ++c->curr_ctr;
        return 1;
    }
    default:
        if (!dptr(t, e, f->data, idx))
            return 0;
        *out = d_read(t, e, f->data, now, idx);
        return 1;
    }
}

bool src_sample(ptc_stream* s, ptc_sample* a)
{
    struct sockaddr_storage ss;
    if (!host->stream_addr(s, PTC_ADDR_CLIENT, &ss))
        return false;
    if (ss.ss_family == AF_INET) {
        a->type = PTC_SMP_IPV4;
        memcpy(a->u.ipv4, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        a->type = PTC_SMP_IPV6;
        memcpy(a->u.ipv6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, 16);
    } else {
        return false;
    }
    return true;
}

table* default_table(ptc_stream* s)
{
    table* t = nullptr;
    if (host->stream_backend(s))
        t = table_of_proxy(host->stream_backend(s));
    if (!t)
        t = table_of_proxy(host->stream_frontend(s));
    return t;
}

int fetch_data(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv)
{
    const fetch_kind* k = static_cast<const fetch_kind*>(priv);
    const family* f = k->f;
    stream_st* st = state_of(s);
    uint32_t ai = 0, idx = 0;
    if (f->idx) {
        if (nargs <= ai)
            return 0;
        idx = uint32_t(args[ai++].sint);
    }
    int sc = k->sc;
    if (sc == -1) {
        if (nargs <= ai)
            return 0;
        sc = int(args[ai++].sint);
        if (sc < 0 || sc > 2)
            return 0;
    }
    table* named = nargs > ai ? static_cast<table*>(args[ai].data) : nullptr;
    out->type = f->op == OP_TRACKED ? PTC_SMP_BOOL : PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = 0;
    uint64_t now = host->now_ms();
    if (sc == -2) { // src_*: the client address looked up in the table
        table* t = named ? named : default_table(s);
        ptc_sample a{};
        unsigned char key[256];
        uint32_t n = 0;
        if (!t || !src_sample(s, &a) || !key_of(t, a, key, &n))
            return 0;
        bool create = f->op == OP_INC || f->op == OP_CLR || f->op == OP_UPDT_CONN;
        lock(t);
        int32_t i = create ? get_or_create(t, key, n, now) : find(t, key, n, now);
        int r = 1;
        if (i >= 0) {
            r = apply(t, i, f, idx, now, &out->u.sint);
            if (create)
                touch(t, i, now);
        }
        unlock(t);
        return r;
    }
    if (!st || !st->sc[sc].t) {
        if (f->op == OP_TRACKED)
            return 1;
        return 0;
    }
    if (f->op == OP_TRACKED) {
        out->u.sint = 1;
        return 1;
    }
    table* t = static_cast<table*>(st->sc[sc].t);
    int r = 1;
    if (named && named != t) { // the same key looked up in another table
        entry* e = ent(t, st->sc[sc].idx);
        unsigned char key[256];
        lock(t);
        uint32_t n = e->keylen;
        memcpy(key, key_ptr(t, e), n);
        unlock(t);
        if (named->type != t->type || named->len != t->len)
            return 0;
        lock(named);
        int32_t i = find(named, key, n, now);
        if (i >= 0)
            r = apply(named, i, f, idx, now, &out->u.sint);
        unlock(named);
        return r;
    }
    lock(t);
    r = apply(t, st->sc[sc].idx, f, idx, now, &out->u.sint);
    unlock(t);
    return r;
}

std::vector<std::string> g_arg_tables; // table names the fetches and converters use

// A table name argument: resolved now when the table is known, else after the
// configuration (post_config).
struct pending_arg {
    ptc_arg* arg;
    std::string name;
};
std::vector<pending_arg> g_pending;

int table_arg(const ptc_kw_ctx* ctx, ptc_arg* a)
{
    if (!a->str.len)
        return host->cfg_errorf(ctx, "missing table name.");
    a->data = nullptr;
    g_pending.push_back(pending_arg{a, std::string(a->str.ptr, a->str.len)});
    return PTC_OK;
}

int int_arg(const ptc_kw_ctx* ctx, ptc_arg* a, uint32_t max, const char* what)
{
    std::string w(a->str.ptr, a->str.len);
    char* end = nullptr;
    long v = strtol(w.c_str(), &end, 10);
    if (w.empty() || *end || v < 0 || uint32_t(v) >= max)
        return host->cfg_errorf(ctx, "invalid %s '%s' (0 to %u).", what, w.c_str(), max - 1);
    a->sint = v;
    return PTC_OK;
}

int check_idx_sc(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs < 2)
        return host->cfg_errorf(ctx, "expects an index and a stick counter number.");
    if (int_arg(ctx, &args[0], k_max_array, "array index") || int_arg(ctx, &args[1], 3, "stick counter number"))
        return PTC_ERROR;
    return nargs > 2 ? table_arg(ctx, &args[2]) : PTC_OK;
}
int check_sc(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs || int_arg(ctx, &args[0], 3, "stick counter number"))
        return nargs ? PTC_ERROR : host->cfg_errorf(ctx, "expects a stick counter number.");
    return nargs > 1 ? table_arg(ctx, &args[1]) : PTC_OK;
}
int check_idx(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs || int_arg(ctx, &args[0], k_max_array, "array index"))
        return nargs ? PTC_ERROR : host->cfg_errorf(ctx, "expects an array index.");
    return nargs > 1 ? table_arg(ctx, &args[1]) : PTC_OK;
}
int check_opt_table(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    return nargs ? table_arg(ctx, &args[0]) : PTC_OK;
}

std::vector<std::string*> g_names;

int reg(ptc_modref* self, const std::string& name, const family* f, int sc)
{
    std::string* n = new std::string(name);
    g_names.push_back(n);
    fetch_kind* k = new fetch_kind{f, sc};
    ptc_fetch fe{};
    fe.name = n->c_str();
    fe.out_type = f->op == OP_TRACKED ? PTC_SMP_BOOL : PTC_SMP_SINT;
    fe.use = PTC_USE_L4;
    int fixed = (f->idx ? 1 : 0) + (sc == -1 ? 1 : 0);
    fe.min_args = fixed;
    fe.max_args = fixed + 1;
    fe.check = f->idx && sc == -1 ? check_idx_sc : f->idx ? check_idx : sc == -1 ? check_sc : check_opt_table;
    fe.help = n->c_str();
    return host->fetch_register(self, &fe, sizeof(fe), fetch_data, k);
}

// table_avl([<t>]), table_cnt([<t>])
int fetch_table_count(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv)
{
    table* t = nargs ? static_cast<table*>(args[0].data) : default_table(s);
    if (!t)
        return 0;
    lock(t);
    purge_tail(t, host->now_ms(), 4);
    uint32_t used = t->hdr->used;
    unlock(t);
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = priv ? int64_t(t->size) - used : used;
    return 1;
}

// ---- converters: in_table(<t>), table_<data>([<idx>,]<t>) -------------------------------

int check_conv_table(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs)
        return host->cfg_errorf(ctx, "missing table name.");
    return table_arg(ctx, &args[0]);
}
int check_conv_idx_table(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs < 2)
        return host->cfg_errorf(ctx, "expects an array index and a table name.");
    if (int_arg(ctx, &args[0], k_max_array, "array index"))
        return PTC_ERROR;
    return table_arg(ctx, &args[1]);
}

int conv_table(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io, void* priv)
{
    const family* f = static_cast<const family*>(priv);
    uint32_t ai = 0, idx = 0;
    if (f->idx) {
        if (nargs < 2)
            return 0;
        idx = uint32_t(args[ai++].sint);
    }
    if (nargs <= ai)
        return 0;
    table* t = static_cast<table*>(args[ai].data);
    if (!t)
        return 0;
    unsigned char k[256];
    uint32_t n = 0;
    if (!key_of(t, *io, k, &n))
        return 0;
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = find(t, k, n, now);
    int64_t v = 0;
    int r = 1;
    if (f->op == OP_IN_TABLE)
        v = i >= 0;
    else if (f->data == DT_SERVER_ID && f->op == OP_GET)
        v = i >= 0 ? d_read(t, ent(t, i), DT_SERVER_ID, now) : 0;
    else if (i >= 0)
        r = apply(t, i, f, idx, now, &v);
    unlock(t);
    if (!r)
        return 0;
    io->type = f->op == OP_IN_TABLE ? PTC_SMP_BOOL : PTC_SMP_SINT;
    io->flags = 0;
    io->u.sint = v;
    return 1;
}

const family k_in_table{"in_table", OP_IN_TABLE, 0, false, nullptr};
const family k_server_id{"server_id", OP_GET, DT_SERVER_ID, false, "server_id"};

int reg_conv(ptc_modref* self, const std::string& name, const family* f)
{
    std::string* n = new std::string(name);
    g_names.push_back(n);
    ptc_conv c{};
    c.name = n->c_str();
    c.in_type = PTC_SMP_ANY;
    c.out_type = f->op == OP_IN_TABLE ? PTC_SMP_BOOL : PTC_SMP_SINT;
    c.min_args = f->idx ? 2 : 1;
    c.max_args = f->idx ? 2 : 1;
    c.check = f->idx ? check_conv_idx_table : check_conv_table;
    c.help = n->c_str();
    return host->conv_register(self, &c, sizeof(c), conv_table, const_cast<family*>(f));
}

// ---- runtime API ------------------------------------------------------------------------

void dump_key(const table* t, entry* e, ptc_cli_reply* r)
{
    char buf[INET6_ADDRSTRLEN];
    const unsigned char* key = key_ptr(t, e);
    switch (t->type) {
    case T_IP: inet_ntop(AF_INET, key, buf, sizeof(buf)); host->cli_printf(r, " key=%s", buf); break;
    case T_IPV6: inet_ntop(AF_INET6, key, buf, sizeof(buf)); host->cli_printf(r, " key=%s", buf); break;
    case T_INT: {
        uint32_t u;
        memcpy(&u, key, 4);
        host->cli_printf(r, " key=%u", u);
        break;
    }
    case T_BIN: {
        host->cli_printf(r, " key=");
        for (uint32_t i = 0; i < e->keylen; i++)
            host->cli_printf(r, "%02X", key[i]);
        break;
    }
    default: host->cli_printf(r, " key=%.*s", (int)e->keylen, (const char*)key); break;
    }
}

// The name of the server with numeric id <id> in the table's proxy ("-" if none).
const char* server_key_name(const table* t, uint32_t id)
{
    static std::string name;
    if (!id || !t->px)
        return "-";
    for (ptc_server* sv = host->server_next(t->px, nullptr); sv; sv = host->server_next(t->px, sv))
        if (host->server_id(sv) == id) {
            name = server_key_of(t, sv);
            return name.empty() ? "-" : name.c_str();
        }
    return "-";
}

// An entry's data in HAProxy's "show table" format (locked).
void dump_data(table* t, entry* e, uint64_t now, ptc_cli_reply* r)
{
    for (uint32_t d = 0; d < NDT; d++) {
        if (!t->L.has(d))
            continue;
        const dtype& dt = k_dtypes[d];
        if (d == DT_SERVER_KEY) {
            const char* k = dict_get(t, uint64_t(d_read(t, e, DT_SERVER_KEY, now)));
            host->cli_printf(r, " server_key=%s", k ? k : server_key_name(t, uint32_t(d_read(t, e, DT_SERVER_ID, now))));
            continue;
        }
        for (uint32_t i = 0; i < t->L.nelem[d]; i++) {
            // an array element is named with its index before the first '_': gpc3_rate
            std::string nm = dt.name;
            if (dt.array) {
                size_t u = nm.find('_');
                nm.insert(u == std::string::npos ? nm.size() : u, std::to_string(i));
            }
            if (dt.st == ST_FRQ)
                host->cli_printf(r, " %s(%u)=%lld", nm.c_str(), t->L.period[d], (long long)d_read(t, e, d, now, i));
            else if (dt.st == ST_SINT)
                host->cli_printf(r, " %s=%d", nm.c_str(), int(d_read(t, e, d, now, i)));
            else
                host->cli_printf(r, " %s=%llu", nm.c_str(), (unsigned long long)d_read(t, e, d, now, i));
        }
    }
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

// "data.<type> <op> <value>" filters (at most 4), all of which must hold.
struct filt {
    uint32_t d, op;
    long long v;
};
const char* const k_ops[] = {"eq", "ne", "le", "lt", "ge", "gt"};

bool parse_filters(table* t, uint32_t argc, const ptc_str* args, filt* fl, uint32_t* pnf, ptc_cli_reply* r)
{
    uint32_t nf = 0;
    const char* const* ops = k_ops;
    for (uint32_t i = 3; i < argc; i += 3) {
        std::string_view w(args[i].ptr, args[i].len);
        if (w.rfind("data.", 0) != 0 || i + 2 >= argc || nf >= 4) {
            host->cli_printf(r, "Optional argument only supports \"data.<store_data_type>\" <operator> <value> or key <key>\n");
            return false;
        }
        w.remove_prefix(5);
        uint32_t d = NDT;
        for (uint32_t j = 0; j < NDT; j++)
            if (w == k_dtypes[j].name && j != DT_SERVER_KEY && !k_dtypes[j].array)
                d = j;
        if (d == NDT) {
            host->cli_printf(r, "Unknown data type\n");
            return false;
        }
        if (!stored(t, d)) {
            host->cli_printf(r, "Data type not stored in this table\n");
            return false;
        }
        std::string_view o(args[i + 1].ptr, args[i + 1].len);
        uint32_t op = 6;
        for (uint32_t j = 0; j < 6; j++)
            if (o == ops[j])
                op = j;
        if (op == 6) {
            host->cli_printf(r, "Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n");
            return false;
        }
        std::string num(args[i + 2].ptr, args[i + 2].len);
        char* end = nullptr;
        long long v = strtoll(num.c_str(), &end, 10);
        if (num.empty() || *end) {
            host->cli_printf(r, "Require a valid integer value to compare against\n");
            return false;
        }
        fl[nf++] = filt{d, op, v};
    }
    *pnf = nf;
    return true;
}

bool passes(table* t, entry* e, uint64_t now, const filt* fl, uint32_t nf)
{
    for (uint32_t j = 0; j < nf; j++) {
        long long v = (long long)d_read(t, e, fl[j].d, now);
        long long w = fl[j].v;
        bool ok = fl[j].op == 0   ? v == w
                  : fl[j].op == 1 ? v != w
                  : fl[j].op == 2 ? v <= w
                  : fl[j].op == 3 ? v < w
                  : fl[j].op == 4 ? v >= w
                                  : v > w;
        if (!ok)
            return false;
    }
    return true;
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
    filt fl[4];
    uint32_t nf = 0;
    if (argc >= 5 && std::string_view(args[3].ptr, args[3].len) == "key") {
        if (t->type == T_BIN) { // as HAProxy
            host->cli_printf(r, "Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n");
            return PTC_ERROR;
        }
        if (!cli_key(t, args[4], k, &n)) {
            host->cli_printf(r, "Invalid key\n");
            return PTC_ERROR;
        }
        by_key = true;
    } else if (!parse_filters(t, argc, args, fl, &nf, r)) {
        return PTC_ERROR;
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
        if (by_key && (e->keylen != n || memcmp(key_ptr(t, e), k, n)))
            continue;
        if (!passes(t, e, now, fl, nf))
            continue;
        host->cli_printf(r, "%p:", (void*)e);
        dump_key(t, e, r);
        long long left = t->expire && e->expire > now ? (long long)(e->expire - now) : 0;
        host->cli_printf(r, " use=%u exp=%lld", e->ref, left);
        dump_data(t, e, now, r);
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
        if (t->type == T_BIN) { // as HAProxy
            unlock(t);
            host->cli_printf(r, "Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n");
            return PTC_ERROR;
        }
        if (!cli_key(t, args[4], k, &n)) {
            unlock(t);
            host->cli_printf(r, "Invalid key\n");
            return PTC_ERROR;
        }
        int32_t i = find(t, k, n, fresh_ms());
        if (i >= 0 && !ent(t, i)->ref) // an entry in use stays, as in HAProxy
            release(t, i);
    } else {
        // every entry not in use, or those the "data.<type> <op> <value>" filters select
        filt fl[4];
        uint32_t nf = 0;
        if (!parse_filters(t, argc, args, fl, &nf, r)) {
            unlock(t);
            return PTC_ERROR;
        }
        uint64_t now = fresh_ms();
        for (int32_t i = t->hdr->tail; i >= 0;) {
            int32_t p = ent(t, i)->prev;
            if (!ent(t, i)->ref && passes(t, ent(t, i), now, fl, nf))
                release(t, i);
            i = p;
        }
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
    if (t->type == T_BIN) { // as HAProxy
        host->cli_printf(r, "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n");
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
            if (w == k_dtypes[k].name && !k_dtypes[k].array && k != DT_SERVER_KEY)
                d = k;
        if (d == NDT) {
            host->cli_printf(r, "Unknown data type\n");
            return PTC_ERROR;
        }
        if (!stored(t, d)) {
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
    {"clear table", "clear table <table> [key <k>|data.<type> <op> <v>]", "remove entries from a table",
     PTC_CLI_OPERATOR, cli_clear_table},
};

// ---- peers: HAProxy's peers protocol (2.1) ------------------------------------------------
//
// "peers <name>" sections list the instances ("peer <name> <addr>:<port>", or "server
// <name> [<addr>:<port>]" with "bind") that share the tables declaring "peers <name>" and
// the ones the section declares ("table <name> ...", known as "<peers>/<name>"). The first
// worker keeps one session with every other peer: it connects to it, or the peer connects
// to the local peer's address (its "peer" line, or the section's "bind"); a session that
// arrives while another one runs replaces it (as HAProxy: the old one is closed, and the
// next connect waits a random 50 ms to 2 s). The side that connects says hello ("HAProxyS
// 2.1"), the other answers a status ("200"); then both define their tables, push every
// local change (entry::upd above what the session pushed) and apply the updates they
// receive, which are not pushed again.

namespace pw = peerwire;

// The TLS words of a peers section's "server"/"peer"/"bind" line (or their defaults).
struct tls_words {
    int8_t ssl = -1;        // -1 unset, 0 "no-ssl", 1 "ssl"
    int8_t verify = -1;     // -1 unset, 0 none, 1 optional, 2 required
    std::string crt, ca;    // "crt", "ca-file" (empty: unset)
    void inherit(const tls_words& d)
    {
        if (ssl < 0)
            ssl = d.ssl;
        if (verify < 0)
            verify = d.verify;
        if (crt.empty())
            crt = d.crt;
        if (ca.empty())
            ca = d.ca;
    }
};
struct peer_def {
    std::string name;
    struct sockaddr_storage addr;
    socklen_t alen; // 0: no address (the local peer of a "bind" section)
    tls_words tls;
    std::string where;      // "file:line", for messages
    void* ep = nullptr;     // the ssl module's client endpoint ("ssl")
};
struct psess;
struct pshm_hdr;
struct peers_sect {
    std::string name;
    time_t last_change = 0;         // when the configuration declared it ("show peers")
    pshm_hdr* shm = nullptr;        // its state for "show peers" (worker 0 writes it)
    std::vector<peer_def> peers;
    std::vector<table*> tables;
    bool disabled = false;
    bool have_bind = false;         // "bind": the local peer listens there
    bool have_peer_line = false;    // a "peer" line (HAProxy forbids mixing them with "bind")
    struct sockaddr_storage bind_addr {};
    socklen_t bind_alen = 0;
    int bind_fd = -1;               // "bind fd@<n>"
    std::string bind_where;         // the "bind" line's "file:line"
    tls_words bind_tls, def_bind, def_server; // "bind" line, "default-bind", "default-server"
    void* bind_ep = nullptr;        // the ssl module's server endpoint ("bind ... ssl")
    // worker 0
    std::string local;
    ptc_conn* listener = nullptr;
    ptc_task* task = nullptr;       // (re)opens the listener
    uint32_t listen_failed = 0;     // attempts failed in a row
    std::vector<psess*> sessions;   // one per peer of the section but the local one
    bool resynced = false;          // a peer taught us everything (this worker started empty)
    psess* resync_from = nullptr;   // the session asked to, waiting for its lesson
};
std::vector<peers_sect*> g_peers;

// "show peers": the first worker publishes the state of each session of a section in a
// shared area (a header, then per peer of the section a pshm_peer and one pshm_tbl per
// table), the master's runtime API reads it. One writer; a reader retries while <seq>
// is odd (a bounded number of times: a worker that died mid-write never blocks it).
struct pshm_hdr {
    uint32_t seq;
    uint32_t task_calls;
    uint32_t running;        // the worker runs the sessions
    uint32_t flags;          // HAProxy's PEERS_F_* resync flags
    uint32_t npeers, ntables;
    uint64_t stride;         // bytes per peer
};
struct pshm_tbl {
    uint64_t remote_data;
    uint32_t remote_id, last_acked, last_pushed, last_get;
};
struct pshm_peer {
    uint64_t appctx;         // the session's address in the worker (HAProxy's appctx)
    uint64_t last_hdshk, reconnect, heartbeat; // now_ms() scale, 0: never
    uint32_t status, flags, st0, state, task_calls;
    uint32_t confirm, tx_hbt, rx_hbt, no_hbt, new_conn, proto_err, coll;
    uint32_t active, accepted, tls;
    int32_t remote_table, last_local_table;
    struct sockaddr_storage src, dst;
};
pshm_peer* pshm_rec(pshm_hdr* h, size_t i)
{
    return reinterpret_cast<pshm_peer*>(reinterpret_cast<char*>(h + 1) + i * h->stride);
}
pshm_tbl* pshm_tables(pshm_peer* r) { return reinterpret_cast<pshm_tbl*>(r + 1); }

using pw::parse_addr;

std::string_view arg(const ptc_kw_ctx* ctx, uint32_t i) { return {ctx->args[i].ptr, ctx->args[i].len}; }

// Options after a peers section's "bind", "server", "peer" address, or on its
// "default-bind" / "default-server" lines: the TLS ones ("ssl", "no-ssl" on servers, "crt",
// "ca-file", "verify"); any other is refused.
int parse_options(const ptc_kw_ctx* ctx, uint32_t first, tls_words& w, bool bind)
{
    std::string_view k = arg(ctx, 0);
    for (uint32_t i = first; i < ctx->argc; i++) {
        std::string_view o = arg(ctx, i);
        if (o == "ssl") {
            w.ssl = 1;
            continue;
        }
        if (o == "no-ssl" && !bind) {
            w.ssl = 0;
            continue;
        }
        if (o == "crt" || o == "ca-file" || o == "verify") {
            if (i + 1 >= ctx->argc || !ctx->args[i + 1].len)
                return host->cfg_errorf(ctx, "'%.*s' : missing %s.", (int)o.size(), o.data(),
                                        o == "verify" ? "verify method" : o == "crt" ? "certificate location"
                                                                                     : "CAfile path");
            std::string v(arg(ctx, ++i));
            if (o == "crt") {
                w.crt = v;
            } else if (o == "ca-file") {
                w.ca = v;
            } else if (v == "none") {
                w.verify = 0;
            } else if (v == "required") {
                w.verify = 2;
            } else if (v == "optional" && bind) {
                w.verify = 1;
            } else {
                return host->cfg_errorf(ctx, "'verify' : unknown verify method '%s', only %s are supported.",
                                        v.c_str(), bind ? "'none', 'optional', and 'required'" : "'none' and 'required'");
            }
            continue;
        }
        return host->cfg_errorf(ctx,
                                "'%.*s' in a peers section: option '%.*s' is not supported yet (ssl, %scrt, "
                                "ca-file and verify are).",
                                (int)k.size(), k.data(), (int)o.size(), o.data(), bind ? "" : "no-ssl, ");
    }
    return PTC_OK;
}

std::string where_of(const ptc_kw_ctx* ctx) { return std::string(ctx->file ? ctx->file : "?") + ":" + std::to_string(ctx->line); }

// "log <target> [len <n>] [format <f>] [sample <r>:<s>] <facility> [<level> [<minlevel>]]"
// or "log global" in a peers section: checked as HAProxy checks it. HAProxy 2.6 sends
// nothing to a peers section's log servers (its sessions log no traffic, and a peers
// proxy reports neither its start nor its stop), so nothing is sent to them either.
int parse_peers_log(const ptc_kw_ctx* ctx)
{
    std::vector<std::string_view> w;
    for (uint32_t i = 0; i < ctx->argc; i++)
        w.push_back(arg(ctx, i));
    std::string e = pw::log_line_error(w);
    return e.empty() ? PTC_OK : host->cfg_errorf(ctx, "%s", e.c_str());
}

// The lines of a "peers" section (the section's header included).
int parse_peers_line(const ptc_kw_ctx* ctx)
{
    std::string_view k = arg(ctx, 0);
    if (k == "peers") {
        if (ctx->argc != 2 || !ctx->args[1].len)
            return host->cfg_errorf(ctx, "'peers' expects <name> as argument.");
        std::string n(ctx->args[1].ptr, ctx->args[1].len);
        for (peers_sect* p : g_peers)
            if (p->name == n)
                return host->cfg_errorf(ctx, "peers section '%s' is already defined.", n.c_str());
        peers_sect* ps = new peers_sect{};
        ps->name = n;
        ps->last_change = time(nullptr);
        g_peers.push_back(ps);
        return PTC_OK;
    }
    if (g_peers.empty())
        return host->cfg_errorf(ctx, "'%.*s' outside of a peers section.", (int)k.size(), k.data());
    peers_sect* ps = g_peers.back();
    if (k == "peer" || k == "server") {
        if (ctx->argc < 2 || (k == "peer" && ctx->argc < 3))
            return host->cfg_errorf(ctx, "'%.*s' expects <name> and <addr>:<port> as arguments.",
                                    (int)k.size(), k.data());
        peer_def d{};
        d.name.assign(ctx->args[1].ptr, ctx->args[1].len);
        for (const peer_def& o : ps->peers)
            if (o.name == d.name)
                return host->cfg_errorf(ctx, "peer '%s' is already defined in peers section '%s'.",
                                        d.name.c_str(), ps->name.c_str());
        if (k == "peer" && ps->have_bind)
            return host->cfg_errorf(ctx, "mixing \"peer\" and \"bind\" line is forbidden");
        if (k == "peer")
            ps->have_peer_line = true;
        if (ctx->argc >= 3 && !parse_addr(arg(ctx, 2), &d.addr, &d.alen, true))
            return host->cfg_errorf(ctx, "'%.*s %s': invalid address '%.*s' (expected <ip>:<port>).",
                                    (int)k.size(), k.data(), d.name.c_str(), (int)ctx->args[2].len,
                                    ctx->args[2].ptr);
        if (parse_options(ctx, 3, d.tls, false) != PTC_OK)
            return PTC_ERROR;
        d.tls.inherit(ps->def_server); // "default-server" counts for the lines after it
        d.where = where_of(ctx);
        ps->peers.push_back(d);
        return PTC_OK;
    }
    if (k == "bind") {
        if (ctx->argc < 2)
            return host->cfg_errorf(ctx, "'bind' expects <addr>:<port> as argument.");
        if (ps->have_peer_line)
            return host->cfg_errorf(ctx, "mixing \"peer\" and \"bind\" line is forbidden");
        if (ps->have_bind) // HAProxy's refusal
            return host->cfg_errorf(ctx,
                                    "One listener per \"peers\" section is authorized but another is already "
                                    "configured at [%s].",
                                    ps->bind_where.c_str());
        std::string_view a = arg(ctx, 1);
        if (a.substr(0, 3) == "fd@") {
            std::string n(a.substr(3));
            char* end = nullptr;
            long fd = strtol(n.c_str(), &end, 10);
            if (n.empty() || *end || fd < 0 || fd > 65535)
                return host->cfg_errorf(ctx, "'bind': invalid file descriptor in '%.*s'.", (int)a.size(), a.data());
            ps->bind_fd = int(fd);
        } else if (!parse_addr(a, &ps->bind_addr, &ps->bind_alen)) {
            return host->cfg_errorf(ctx, "'bind': invalid address '%.*s' (expected <ip>:<port> or fd@<n>).",
                                    (int)a.size(), a.data());
        }
        if (parse_options(ctx, 2, ps->bind_tls, true) != PTC_OK)
            return PTC_ERROR;
        ps->have_bind = true;
        ps->bind_where = where_of(ctx);
        return PTC_OK;
    }
    if (k == "default-server")
        return parse_options(ctx, 1, ps->def_server, false);
    if (k == "default-bind") // the same bind line as "bind" in HAProxy: whatever the order
        return parse_options(ctx, 1, ps->def_bind, true);
    if (k == "disabled" || k == "enabled") {
        if (ctx->argc > 1)
            return host->cfg_errorf(ctx, "'%.*s' takes no argument.", (int)k.size(), k.data());
        ps->disabled = k == "disabled";
        return PTC_OK;
    }
    if (k == "table") {
        if (ctx->argc < 2 || !ctx->args[1].len)
            return host->cfg_errorf(ctx, "'table' expects <name> as argument.");
        std::string n(ctx->args[1].ptr, ctx->args[1].len);
        table* t = new table{};
        t->name = ps->name + "/" + n;
        t->wire = "/" + n; // HAProxy 2.6 sends "/<name>" for a table of a peers section
        t->peers = ps->name;
        if (table* o = table_by_name(t->name))
            return host->cfg_errorf(ctx, "stick-table name '%s' conflicts with the table declared %s.",
                                    t->name.c_str(), o->px ? "in a proxy of the same name" : "in this peers section");
        if (parse_table_args(ctx, t, 2, true) != PTC_OK)
            return PTC_ERROR;
        g_tables.push_back(t);
        return PTC_OK;
    }
    if (k == "log")
        return parse_peers_log(ctx);
    return host->cfg_errorf(ctx, "unknown keyword '%.*s' in 'peers' section.", (int)k.size(), k.data());
}

uint32_t wire_key_type(const table* t)
{
    switch (t->type) {
    case T_IP: return pw::KT_IPV4;
    case T_IPV6: return pw::KT_IPV6;
    case T_INT: return pw::KT_SINT;
    case T_STR: return pw::KT_STR;
    default: return pw::KT_BIN;
    }
}
// HAProxy's key_size: a string key keeps room for its trailing zero.
uint32_t wire_key_size(const table* t) { return t->type == T_STR ? t->len + 1 : t->keycap; }

struct remote_table {
    table* t;          // the local table of that name (a table we do not share is not kept)
    uint64_t data;     // the data types the remote sends
    uint32_t nelem[NDT];
    uint32_t last_id;  // the last update id received
};

// TLS on a peer connection ("ssl" on the "server"/"peer" line or on the "bind"): the ssl
// module's transport, driven here over the connection (raw bytes in and out, the session
// reads and writes the decoded ones).
struct tlsio {
    const ptc_transport* tt = nullptr;
    void* tctx = nullptr;
    std::string plain;   // decoded bytes not consumed yet
    std::string raw_out; // encoded bytes the connection had no room for yet
    bool ready = false;  // handshake done
    bool failed = false;
    bool eof = false;    // the other side closed and every raw byte was decoded
    ~tlsio()
    {
        if (tt)
            tt->release(tctx);
    }
};
const ptc_ssl_api* g_ssl = nullptr;

// A transport of endpoint <ep> (NULL: none, or it could not be made: *bad set).
tlsio* tls_new(void* ep, bool* bad)
{
    *bad = false;
    if (!ep)
        return nullptr;
    tlsio* t = new tlsio{};
    if (!g_ssl || g_ssl->endpoint_transport(ep, &t->tt, &t->tctx) != PTC_OK) {
        t->tt = nullptr;
        delete t;
        *bad = true;
        return nullptr;
    }
    return t;
}

void tls_flush(ptc_conn* c, tlsio* t)
{
    if (!t->raw_out.empty()) {
        size_t n = host->conn_send(c, t->raw_out.data(), t->raw_out.size());
        t->raw_out.erase(0, n);
    }
}

// Sends what TLS has to send of its own (handshake records, alerts).
void tls_pump_out(ptc_conn* c, tlsio* t)
{
    if (t->failed)
        return;
    tls_flush(c, t);
    for (int guard = 0; guard < 64 && t->raw_out.empty() && t->tt->want_send(t->tctx); guard++) {
        char buf[16384];
        size_t used = 0, made = 0;
        if (t->tt->encode(t->tctx, nullptr, 0, &used, buf, sizeof(buf), &made) != PTC_OK) {
            t->failed = true;
            return;
        }
        if (!made)
            break;
        t->raw_out.append(buf, made);
        tls_flush(c, t);
    }
}

// Decodes what the connection received into <plain>.
void tls_pump_in(ptc_conn* c, tlsio* t)
{
    for (int guard = 0; guard < 64 && !t->failed; guard++) {
        ptc_str in{};
        uint32_t fl = host->conn_data(c, &in);
        bool eof = fl & (PTC_CONN_EOF | PTC_CONN_ERROR);
        const size_t cap = 65536;
        size_t room = t->plain.size() < cap ? cap - t->plain.size() : 0;
        char buf[16384];
        size_t used = 0, made = 0;
        int rc = t->tt->decode(t->tctx, in.ptr, in.len, &used, buf, std::min(room, sizeof(buf)), &made,
                               eof && !in.len);
        t->plain.append(buf, made);
        if (used)
            host->conn_consume(c, used);
        if (rc == PTC_ERROR) {
            t->failed = true;
            break;
        }
        if (!t->ready && (!t->tt->ready || t->tt->ready(t->tctx)))
            t->ready = true;
        t->eof = eof && used == in.len;
        if (t->eof && !t->ready) {
            t->failed = true; // closed during the handshake
            break;
        }
        if (!used && !made)
            break;
    }
    tls_pump_out(c, t);
}

// The session's view of connection <c>: its decoded bytes (PTC_CONN_* bits as conn_data).
uint32_t io_data(ptc_conn* c, tlsio* t, ptc_str* in)
{
    if (!t)
        return host->conn_data(c, in);
    tls_pump_in(c, t);
    in->ptr = t->plain.data();
    in->len = t->plain.size();
    return (t->eof ? PTC_CONN_EOF : 0) | (t->failed ? PTC_CONN_ERROR : 0);
}

void io_consume(ptc_conn* c, tlsio* t, size_t n)
{
    if (!t)
        host->conn_consume(c, n);
    else
        t->plain.erase(0, std::min(n, t->plain.size()));
}

// Queues bytes to send (encoded with TLS once its handshake is done): how many were taken.
size_t io_send(ptc_conn* c, tlsio* t, const char* d, size_t n)
{
    if (!t)
        return host->conn_send(c, d, n);
    tls_pump_out(c, t);
    if (!t->ready || t->failed || !t->raw_out.empty() || !n)
        return 0;
    char buf[16384 + 1024];
    size_t used = 0, made = 0;
    if (t->tt->encode(t->tctx, d, std::min(n, size_t(16384)), &used, buf, sizeof(buf), &made) != PTC_OK) {
        t->failed = true;
        return 0;
    }
    t->raw_out.append(buf, made);
    tls_flush(c, t);
    return used;
}

struct inconn;
using pw::PEER_DICT_IDS; // HAProxy's dictionary cache entries per peer
struct psess {
    std::string drx[PEER_DICT_IDS]; // the dictionary values received, by id - 1 (one cache
                                    // per peer for all tables, as HAProxy's)
    peers_sect* ps;
    const peer_def* peer;
    std::string local;          // our name
    bool connects = false;      // we connect to it (it has an address, it is not us)
    ptc_conn* c = nullptr;
    tlsio* tls = nullptr;       // TLS on c
    inconn* inc = nullptr;      // c came from our listener
    ptc_task* task = nullptr;
    int state = 0;              // 0: idle, 1: hello sent, 2: established
    std::string out;            // bytes waiting for room in the connection
    std::vector<uint32_t> pushed; // per table of the section: the last seq pushed
    std::deque<std::pair<uint64_t, remote_table>> remotes; // by remote table id
    remote_table* cur = nullptr;
    uint64_t last_rx = 0, last_tx = 0, retry_at = 0;
    uint32_t unacked = 0;
    // for "show peers" (HAProxy's names)
    uint32_t status = 0;        // the last status code: 100 connecting, 110 connected, 200...
    uint64_t last_hdshk = 0;    // when the last session was established
    uint32_t confirm = 0, tx_hbt = 0, rx_hbt = 0, no_hbt = 0, new_conn = 0, proto_err = 0, coll = 0;
    uint32_t task_calls = 0;
    int32_t last_local = -1;    // the last local table switched to
    std::vector<uint32_t> acked; // per table of the section: the last update the peer acked
    struct sockaddr_storage from {}; // an accepted session's client address
};
std::vector<psess*> g_sessions;

// A connection accepted by a section's listener: its hello, then (owner set) a session's.
struct inconn {
    peers_sect* ps;
    ptc_conn* c = nullptr;
    psess* owner = nullptr;
    bool dying = false;         // a refusal status was sent: close once it is out
    struct sockaddr_storage from {};
    tlsio* tls = nullptr;       // "bind ... ssl" (handed to the session that adopts it)
    ~inconn() { delete tls; }
};

uint64_t rnd_state = 0;
uint64_t rnd()
{
    if (!rnd_state)
        rnd_state = (uint64_t(getpid()) << 32) ^ fresh_ms() ^ 0x9e3779b97f4a7c15ULL;
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

void flush(psess* p)
{
    if (!p->c || p->out.empty())
        return;
    size_t sent = 0, n = 0; // TLS takes a record at a time: as many as there is room for
    while (sent < p->out.size() && (n = io_send(p->c, p->tls, p->out.data() + sent, p->out.size() - sent)))
        sent += n;
    p->out.erase(0, sent);
    if (sent)
        p->last_tx = host->now_ms();
}

void publish(psess* p);

void sess_close(psess* p, uint64_t retry_ms)
{
    if (p->c)
        host->conn_close(p->c);
    p->c = nullptr;
    if (!p->inc) // an adopted connection's TLS goes with its inconn
        delete p->tls;
    p->tls = nullptr;
    delete p->inc;
    p->inc = nullptr;
    if (p->ps->resync_from == p) // the lesson asked for will not come: ask the next one
        p->ps->resync_from = nullptr;
    p->state = 0;
    p->out.clear();
    p->remotes.clear();
    p->cur = nullptr;
    p->retry_at = host->now_ms() + retry_ms;
    host->task_schedule(p->task, p->retry_at);
    publish(p);
}

// The definition of local table <idx> of the section (a DEFINE message).
std::string define_msg(table* t, uint32_t idx)
{
    pw::table_def d;
    d.id = idx + 1;
    d.name = t->wire;
    d.key_type = wire_key_type(t);
    d.key_size = wire_key_size(t);
    for (uint32_t x = 0; x < NDT; x++) {
        if (!t->L.has(x))
            continue;
        d.data |= 1ULL << x;
        d.nelem[x] = t->L.nelem[x];
        d.period[x] = t->L.period[x];
    }
    d.has_expire = true;
    d.expire = t->expire;
    return pw::message(pw::CLASS_STKT, pw::STKT_DEFINE, pw::encode_define(d));
}

// An UPDATE message for entry <e> of <t> (locked).
std::string update_msg(table* t, entry* e, uint64_t now)
{
    std::string m;
    pw::put_u32(m, e->upd);
    if (t->expire)
        pw::put_u32(m, e->expire > now ? uint32_t(e->expire - now) : 0);
    const unsigned char* k = key_ptr(t, e);
    if (t->type == T_STR) {
        pw::put_varint(m, e->keylen);
        m.append(reinterpret_cast<const char*>(k), e->keylen);
    } else if (t->type == T_INT) {
        uint32_t u;
        memcpy(&u, k, 4);
        pw::put_u32(m, u);
    } else {
        m.append(reinterpret_cast<const char*>(k), t->keycap);
        if (e->keylen < t->keycap)
            m.replace(m.size() - t->keycap + e->keylen, t->keycap - e->keylen, t->keycap - e->keylen, '\0');
    }
    for (uint32_t d = 0; d < NDT; d++) {
        if (!t->L.has(d))
            continue;
        for (uint32_t i = 0; i < t->L.nelem[d]; i++) {
            frq* f = &e->d[t->L.slot[d] + int32_t(i)];
            switch (k_dtypes[d].st) {
            case ST_FRQ:
                pw::put_varint(m, uint32_t(uint32_t(now) - f->curr_tick));
                pw::put_varint(m, f->curr_ctr);
                pw::put_varint(m, f->prev_ctr);
                break;
            case ST_ULL: pw::put_varint(m, ull_get(f)); break;
            case ST_SINT: pw::put_varint(m, uint64_t(int64_t(int32_t(f->curr_ctr)))); break;
            case ST_DICT: { // HAProxy's dictionary entry: its cache id and always its value
                const char* k = dict_get(t, f->curr_ctr);
                if (!k) {
                    pw::put_varint(m, 0);
                    break;
                }
                std::string v;
                pw::put_varint(v, (f->curr_ctr - 1) % PEER_DICT_IDS + 1);
                size_t kl = strlen(k);
                pw::put_varint(v, kl);
                v.append(k, kl);
                pw::put_varint(m, v.size());
                m += v;
                break;
            }
            default: pw::put_varint(m, f->curr_ctr); break;
            }
        }
    }
    return pw::message(pw::CLASS_STKT, t->expire ? pw::STKT_UPDATE_TIMED : pw::STKT_UPDATE, m);
}

// Pushes the local changes the peer has not seen (bounded: 256 KiB a turn).
void push_updates(psess* p, bool all)
{
    uint64_t now = host->now_ms();
    for (size_t ti = 0; ti < p->ps->tables.size() && p->out.size() < 262144; ti++) {
        table* t = p->ps->tables[ti];
        lock(t);
        uint32_t seq = t->hdr->seq;
        if (all)
            p->pushed[ti] = 0;
        if (seq != p->pushed[ti]) {
            p->out += pw::message(pw::CLASS_STKT, pw::STKT_SWITCH, std::string(1, char(ti + 1)));
            p->last_local = int32_t(ti);
            uint32_t from = p->pushed[ti];
            for (int32_t i = t->hdr->head; i >= 0; i = ent(t, i)->next) {
                entry* e = ent(t, i);
                if (int32_t(e->upd - from) <= 0 || !e->upd || expired(t, e, now))
                    continue;
                p->out += update_msg(t, e, now);
            }
            p->pushed[ti] = seq;
        }
        unlock(t);
    }
}

// Applies one UPDATE message of the current remote table.
bool apply_update(psess* p, uint8_t type, const unsigned char* q, const unsigned char* end)
{
    remote_table* r = p->cur;
    if (!r)
        return true; // a table we do not share
    pw::update_head h;
    if (!pw::decode_update_head(type, &q, end, r->last_id + 1, &h))
        return false;
    r->last_id = h.id;
    p->unacked++;
    table* t = r->t;
    if (!t)
        return true;
    unsigned char k[k_max_key_len];
    uint32_t n = 0;
    if (!pw::decode_key(&q, end, wire_key_type(t), t->type == T_STR ? t->len : t->keycap, k, &n))
        return false;
    uint64_t now = host->now_ms();
    lock(t);
    int32_t i = get_or_create(t, k, n, now);
    if (i < 0) {
        unlock(t);
        return true;
    }
    entry* e = ent(t, i);
    refresh(t, i, h.timed && t->expire ? now + h.expire : t->expire ? now + t->expire : 0);
    pw::field_reader fr(q, end, r->data, r->nelem);
    pw::field f;
    int got;
    while ((got = fr.next(&f)) > 0) {
        uint32_t d = f.type, x = f.index;
        if (k_dtypes[d].st == ST_DICT) { // a dictionary entry: its id [and value]
            if (!f.dict_id)
                continue; // none
            if (f.dict_has_value)
                p->drx[f.dict_id - 1].assign(f.dict_value);
            uint32_t idx = dict_put(t, p->drx[f.dict_id - 1]);
            if (idx && t->L.has(d) && x == 0)
                e->d[t->L.slot[d]].curr_ctr = idx;
            continue;
        }
        if (d == DT_CONN_CUR || !t->L.has(d) || x >= t->L.nelem[d])
            continue; // conn_cur is local to each peer, as in HAProxy
        frq* fq = &e->d[t->L.slot[d] + int32_t(x)];
        if (k_dtypes[d].st == ST_FRQ) {
            fq->curr_tick = uint32_t(now) - uint32_t(f.value);
            fq->curr_ctr = uint32_t(f.curr);
            fq->prev_ctr = uint32_t(f.prev);
        } else if (k_dtypes[d].st == ST_ULL) {
            ull_set(fq, f.value);
        } else {
            fq->curr_ctr = uint32_t(f.value);
        }
    }
    unlock(t);
    return got == 0;
}

bool define_remote(psess* p, const unsigned char* q, const unsigned char* end)
{
    pw::table_def d;
    if (!pw::decode_define(q, end, &d))
        return false;
    remote_table r{};
    r.data = d.data;
    for (table* t : p->ps->tables)
        if (t->wire == d.name && wire_key_type(t) == d.key_type && wire_key_size(t) == d.key_size)
            r.t = t;
    memcpy(r.nelem, d.nelem, sizeof(r.nelem));
    // As HAProxy: a table we do not share is ignored (its updates, and never acked), one we
    // share has one remote id, the last one it was defined with; so a peer cannot make the
    // session keep (and ack at each read) more remote tables than the section has.
    p->cur = nullptr;
    for (auto it = p->remotes.begin(); it != p->remotes.end();)
        if (it->first == d.id || (r.t && it->second.t == r.t))
            it = p->remotes.erase(it);
        else
            ++it;
    if (!r.t)
        return true;
    p->remotes.emplace_back(d.id, r);
    p->cur = &p->remotes.back().second;
    return true;
}

void send_ack(psess* p)
{
    if (!p->unacked)
        return;
    for (auto& e : p->remotes) {
        std::string m;
        pw::put_varint(m, e.first);
        pw::put_u32(m, e.second.last_id);
        p->out += pw::message(pw::CLASS_STKT, pw::STKT_ACK, m);
    }
    p->unacked = 0;
}

// A session just established: the first one of a section whose tables this worker has
// not learnt yet asks the peer for everything (HAProxy's resynchronisation from a remote
// peer), so that a restarted instance gets the entries the peer sent its predecessor.
void ask_resync(psess* p)
{
    peers_sect* ps = p->ps;
    if (ps->resynced || ps->resync_from)
        return;
    ps->resync_from = p;
    p->out += pw::message(pw::CLASS_CONTROL, pw::CTRL_RESYNCREQ);
}

// Handles the received bytes; false closes the session.
bool receive(psess* p)
{
    ptc_str in{};
    uint32_t st = io_data(p->c, p->tls, &in);
    const unsigned char* b = reinterpret_cast<const unsigned char*>(in.ptr);
    const unsigned char* end = b + in.len;
    size_t used_total = 0;
    if (p->state == 1) { // the status line
        const void* nl = memchr(b, '\n', in.len);
        if (!nl)
            return !(st & (PTC_CONN_EOF | PTC_CONN_ERROR)) && in.len < 64;
        size_t l = size_t(static_cast<const unsigned char*>(nl) - b);
        p->status = l == 3 ? uint32_t(atoi(std::string(reinterpret_cast<const char*>(b), 3).c_str())) : 501;
        if (l == 3 && memcmp(b, "300", 3) == 0)
            return false; // try again later: it is connecting to us
        if (l != 3 || memcmp(b, "200", 3) != 0) {
            host->log(PTC_LOG_WARNING, "peers '%s': peer '%s' refused the session (status '%.*s')",
                      p->ps->name.c_str(), p->peer->name.c_str(), (int)l, (const char*)b);
            return false;
        }
        used_total = l + 1;
        p->state = 2;
        p->last_hdshk = host->now_ms();
        for (size_t ti = 0; ti < p->ps->tables.size(); ti++)
            p->out += define_msg(p->ps->tables[ti], uint32_t(ti));
        push_updates(p, true);
        ask_resync(p);
    }
    while (p->state == 2) {
        uint8_t cls = 0, type = 0;
        const unsigned char* pl = nullptr;
        size_t len = 0, used = 0;
        int r = pw::next_message(b + used_total, end, 65536, &cls, &type, &pl, &len, &used);
        if (r < 0) {
            p->proto_err++;
            return false;
        }
        if (r == 0)
            break;
        used_total += used;
        if (cls == pw::CLASS_CONTROL) {
            if (type == pw::CTRL_HEARTBEAT) {
                p->rx_hbt++;
            } else if (type == pw::CTRL_RESYNCREQ) { // teach everything, then say so
                push_updates(p, true);
                p->out += pw::message(pw::CLASS_CONTROL, pw::CTRL_RESYNCFINISHED);
            } else if (type == pw::CTRL_RESYNCFINISHED || type == pw::CTRL_RESYNCPARTIAL) {
                // the lesson we asked for is over (or all the peer knows): confirm it
                p->confirm++;
                p->out += pw::message(pw::CLASS_CONTROL, pw::CTRL_RESYNCCONFIRM);
                if (p->ps->resync_from == p) {
                    p->ps->resync_from = nullptr;
                    p->ps->resynced = true;
                }
            }
        } else if (cls == pw::CLASS_ERROR) {
            return false;
        } else if (cls == pw::CLASS_STKT) {
            const unsigned char* q = pl;
            const unsigned char* qe = pl + len;
            if (type == pw::STKT_DEFINE) {
                if (!define_remote(p, q, qe)) {
                    p->proto_err++;
                    return false;
                }
            } else if (type == pw::STKT_ACK) { // "<our table id> <update id>": for "show peers"
                uint64_t id = 0;
                uint32_t upd = 0;
                if (pw::decode_ack(q, qe, &id, &upd) && id >= 1 && id <= p->acked.size())
                    p->acked[id - 1] = upd;
            } else if (type == pw::STKT_SWITCH) {
                uint64_t id = 0;
                if (!pw::decode_switch(q, qe, &id)) {
                    p->proto_err++;
                    return false;
                }
                p->cur = nullptr;
                for (auto& e : p->remotes)
                    if (e.first == id)
                        p->cur = &e.second;
            } else if (type == pw::STKT_UPDATE || type == pw::STKT_INCUPDATE ||
                       type == pw::STKT_UPDATE_TIMED || type == pw::STKT_INCUPDATE_TIMED) {
                if (!apply_update(p, type, q, qe)) {
                    p->proto_err++;
                    return false;
                }
            }
        }
    }
    io_consume(p->c, p->tls, used_total);
    if (used_total)
        p->last_rx = host->now_ms();
    send_ack(p);
    return !(st & (PTC_CONN_EOF | PTC_CONN_ERROR));
}

// Events of session <p>'s connection, established (an accepted one) or outgoing.
void sess_io(psess* p, uint32_t ev)
{
    if (ev & PTC_CEV_ERROR) {
        sess_close(p, 2000);
        return;
    }
    if ((ev & PTC_CEV_CONNECTED) && p->state == 0) {
        char hello[512];
        int n = snprintf(hello, sizeof(hello), "HAProxyS 2.1\n%s\n%s %d 1\n", p->peer->name.c_str(),
                         p->local.c_str(), int(getpid()));
        p->out.assign(hello, size_t(n));
        p->state = 1;
        p->status = 110;
        p->last_rx = host->now_ms();
        if (p->tls)
            tls_pump_out(p->c, p->tls); // the ClientHello
    }
    if ((ev & PTC_CEV_DATA) && !receive(p)) {
        // a session that ends once established may have lost a race with the peer's own
        // connection (each replaces the other's): a random delay settles it, as HAProxy
        sess_close(p, p->state == 2 ? 50 + rnd() % 2000 : 2000);
        return;
    }
    flush(p);
}

void sess_event(ptc_conn* c, void* ctx, uint32_t ev)
{
    psess* p = static_cast<psess*>(ctx);
    if (c == p->c && !p->inc)
        sess_io(p, ev);
}

// The peer <p> is now served by accepted connection <ic> (its hello read): the session
// it had, if any, is closed (a random delay before connecting again, as HAProxy), and
// this one is established.
void adopt(psess* p, inconn* ic)
{
    if (p->c) {
        p->coll++;
        sess_close(p, 50 + rnd() % 2000);
    }
    p->c = ic->c;
    p->tls = ic->tls; // still the inconn's: freed with it
    p->from = ic->from;
    p->status = 200;
    p->last_hdshk = host->now_ms();
    p->inc = ic;
    ic->owner = p;
    host->conn_set_timeout(p->c, 0);
    p->state = 2;
    p->remotes.clear();
    p->cur = nullptr;
    p->unacked = 0;
    p->last_rx = p->last_tx = host->now_ms();
    p->out = "200\n";
    for (size_t ti = 0; ti < p->ps->tables.size(); ti++)
        p->out += define_msg(p->ps->tables[ti], uint32_t(ti));
    push_updates(p, true);
    ask_resync(p);
    host->task_schedule(p->task, 0); // heartbeats and pushes from now on
    publish(p);
}

// A hello on an accepted connection: 1 complete (*used bytes, *status 200 with *peer set,
// or the refusal), 0 incomplete, -1 malformed.
int read_hello(inconn* ic, const char* b, size_t n, size_t* used, int* status, psess** peer)
{
    pw::hello h{};
    int r = pw::parse_hello(b, n, &h, used);
    if (r <= 0)
        return r;
    *peer = nullptr;
    *status = h.status;
    if (*status)
        return 1;
    if (h.host != ic->ps->local) {
        *status = 503;
        return 1;
    }
    if (h.bad_last) {
        *status = 501;
        return 1;
    }
    for (psess* p : ic->ps->sessions)
        if (p->peer->name == h.peer)
            *peer = p;
    *status = *peer ? 200 : 504;
    return 1;
}

void in_event(ptc_conn* c, void* ctx, uint32_t ev)
{
    inconn* ic = static_cast<inconn*>(ctx);
    if (ic->owner) {
        sess_io(ic->owner, ev); // may free ic
        return;
    }
    ptc_str in{};
    uint32_t st = ic->dying ? host->conn_data(c, &in) : io_data(c, ic->tls, &in);
    if (ic->dying || (ev & (PTC_CEV_ERROR | PTC_CEV_TIMEOUT))) {
        if (ic->dying && !(ev & (PTC_CEV_ERROR | PTC_CEV_TIMEOUT)) && !(st & (PTC_CONN_EOF | PTC_CONN_ERROR))) {
            host->conn_consume(c, in.len);
            return;
        }
        host->conn_close(c);
        delete ic;
        return;
    }
    size_t used = 0;
    int status = 0;
    psess* p = nullptr;
    int r = read_hello(ic, in.ptr, in.len, &used, &status, &p);
    if (r == 0 && !(st & (PTC_CONN_EOF | PTC_CONN_ERROR)))
        return;
    if (r <= 0) {
        host->conn_close(c);
        delete ic;
        return;
    }
    io_consume(c, ic->tls, used);
    // Both sides connecting at once: each would close its own attempt for the other's
    // and neither session would last; the peer whose name sorts first takes the other's
    // session (as HAProxy does), the other one answers "try again later" while its own
    // attempt is under way. HAProxy peers (always taking) settle on that attempt too.
    if (status == 200 && p->c && !p->inc && p->state < 2 && p->local > p->peer->name)
        status = 300;
    if (status != 200) {
        char m[16];
        int n = snprintf(m, sizeof(m), "%d\n", status);
        io_send(c, ic->tls, m, size_t(n));
        host->conn_shutw(c);
        host->conn_set_timeout(c, 2000);
        ic->dying = true;
        return;
    }
    adopt(p, ic);
    io_data(c, p->tls, &in);
    if (in.len && !receive(p)) { // what followed the hello
        sess_close(p, 2000);
        return;
    }
    flush(p);
}

// The listener of section <ps> (ctx): takes the waiting connections.
void listen_event(ptc_conn* l, void* ctx, uint32_t ev)
{
    peers_sect* ps = static_cast<peers_sect*>(ctx);
    if (ev & PTC_CEV_ERROR) {
        host->log(PTC_LOG_WARNING, "peers '%s': the listener failed (%s); listening again in 1 s",
                  ps->name.c_str(), strerror(host->conn_error(l)));
        ps->listen_failed = 1;
        host->conn_close(l);
        ps->listener = nullptr;
        host->task_schedule(ps->task, host->now_ms() + 1000);
        return;
    }
    if (!(ev & PTC_CEV_ACCEPT))
        return;
    for (int i = 0; i < 64; i++) {
        inconn* ic = new inconn{};
        ic->ps = ps;
        socklen_t fl = sizeof(ic->from);
        ic->c = host->conn_accept(l, in_event, ic, &ic->from, &fl);
        if (!ic->c) {
            delete ic;
            break;
        }
        host->conn_set_timeout(ic->c, 5000); // the hello (and the TLS handshake) within 5 s
        bool bad = false;
        ic->tls = tls_new(ps->bind_ep, &bad);
        if (bad) {
            host->conn_close(ic->c);
            delete ic;
        }
    }
}

// Opens section <ps>'s listener (the "bind" address, else the local peer's), retried
// every second while it fails.
uint64_t listen_task(ptc_task*, void* ctx)
{
    peers_sect* ps = static_cast<peers_sect*>(ctx);
    if (ps->listener)
        return 0;
    const sockaddr* a = nullptr;
    socklen_t al = 0;
    if (ps->have_bind) {
        a = reinterpret_cast<const sockaddr*>(&ps->bind_addr);
        al = ps->bind_alen;
    } else {
        for (const peer_def& d : ps->peers)
            if (d.name == ps->local && d.alen) {
                a = reinterpret_cast<const sockaddr*>(&d.addr);
                al = d.alen;
            }
    }
    if (!a && ps->bind_fd < 0)
        return 0; // no address to listen on: the other peers cannot connect to us
    ps->listener = host->conn_listen(me, a, al, ps->bind_fd, listen_event, ps);
    if (!ps->listener) {
        if (!ps->listen_failed++) // said once; retried every second
            host->log(PTC_LOG_WARNING, "peers '%s': cannot listen for peer '%s' (%s); trying again every second",
                      ps->name.c_str(), ps->local.c_str(), strerror(errno));
        return host->now_ms() + 1000;
    }
    if (ps->listen_failed)
        host->log(PTC_LOG_NOTICE, "peers '%s': listening for peer '%s' now", ps->name.c_str(), ps->local.c_str());
    ps->listen_failed = 0;
    return 0;
}

// Every 100 ms (10 ms once established): connect, push the local changes, heartbeats,
// dead peers.
uint64_t sess_task_run(psess* p)
{
    uint64_t now = host->now_ms();
    if (!p->c && !p->connects)
        return 0; // it connects to us
    if (!p->c) {
        if (now < p->retry_at)
            return p->retry_at;
        p->c = host->conn_new(me, reinterpret_cast<const sockaddr*>(&p->peer->addr), p->peer->alen,
                              nullptr, 0, sess_event, p);
        p->new_conn++;
        p->status = 100;
        p->last_hdshk = now; // HAProxy's "last handshake": the last attempt too
        if (!p->c) {
            p->retry_at = now + 2000;
            return p->retry_at;
        }
        bool bad = false;
        p->tls = tls_new(p->peer->ep, &bad);
        if (bad) {
            sess_close(p, 2000);
            return p->retry_at;
        }
        p->last_rx = p->last_tx = now;
        return now + 100;
    }
    if (now - p->last_rx > 5000) { // no heartbeat for 5 s: the peer is gone
        p->no_hbt++;
        sess_close(p, 100);
        return p->retry_at;
    }
    if (p->state == 2) {
        push_updates(p, false);
        if (p->out.empty() && now - p->last_tx >= 3000) {
            p->out += pw::message(pw::CLASS_CONTROL, pw::CTRL_HEARTBEAT);
            p->tx_hbt++;
        }
    }
    flush(p);
    // an established session looks for local changes every 10 ms (any worker makes them,
    // none can wake this one): HAProxy pushes at once, a peer reads them right after
    return now + (p->state == 2 ? 10 : 100);
}

uint64_t sess_task(ptc_task*, void* ctx)
{
    psess* p = static_cast<psess*>(ctx);
    p->task_calls++;
    if (p->ps->shm)
        __atomic_add_fetch(&p->ps->shm->task_calls, 1, __ATOMIC_RELAXED);
    uint64_t r = sess_task_run(p);
    publish(p);
    return r;
}

// The address the section listens on (its "bind", else the local peer's), or NULL.
const sockaddr_storage* listen_addr(const peers_sect* ps, const std::string& local)
{
    if (ps->have_bind)
        return ps->bind_alen ? &ps->bind_addr : nullptr;
    for (const peer_def& d : ps->peers)
        if (d.name == local && d.alen)
            return &d.addr;
    return nullptr;
}

int32_t table_index(const peers_sect* ps, const table* t)
{
    for (size_t i = 0; i < ps->tables.size(); i++)
        if (ps->tables[i] == t)
            return int32_t(i);
    return -1;
}

// Worker 0: copies session <p>'s state where "show peers" reads it.
void publish(psess* p)
{
    peers_sect* ps = p->ps;
    pshm_hdr* h = ps->shm;
    if (!h)
        return;
    size_t idx = size_t(p->peer - ps->peers.data());
    if (idx >= h->npeers)
        return;
    pshm_peer* r = pshm_rec(h, idx);
    __atomic_add_fetch(&h->seq, 1, __ATOMIC_ACQ_REL);
    h->running = 1;
    h->flags = 0x1 | (ps->resynced ? 0x202 : 0) | (ps->resync_from ? 0x2000 : 0);
    r->appctx = p->c ? uint64_t(uintptr_t(p)) : 0;
    r->active = p->c != nullptr;
    r->accepted = p->inc != nullptr;
    r->tls = p->tls != nullptr;
    r->status = p->status;
    r->last_hdshk = p->last_hdshk;
    if (p->state == 2) {
        r->reconnect = p->last_rx + 5000;
        r->heartbeat = p->last_tx + 3000;
    } else {
        r->reconnect = !p->connects ? 0 : p->c ? p->last_rx + 5000 : p->retry_at;
        r->heartbeat = 0;
    }
    r->flags = (p->state == 2 ? 0x20000000u : 0) | (ps->resync_from == p ? 0x100u : 0);
    r->st0 = p->state == 2 ? 7 : p->state == 1 ? 6 : 5;
    r->state = p->state || p->inc ? 1 : 0;
    r->task_calls = p->task_calls;
    r->confirm = p->confirm;
    r->tx_hbt = p->tx_hbt;
    r->rx_hbt = p->rx_hbt;
    r->no_hbt = p->no_hbt;
    r->new_conn = p->new_conn;
    r->proto_err = p->proto_err;
    r->coll = p->coll;
    r->remote_table = p->cur && p->cur->t ? table_index(ps, p->cur->t) : -1;
    r->last_local_table = p->c && p->state == 2 ? p->last_local : -1;
    r->src = p->from;
    const sockaddr_storage* la = listen_addr(ps, p->local);
    if (la)
        r->dst = *la;
    pshm_tbl* tb = pshm_tables(r);
    for (size_t ti = 0; ti < h->ntables && ti < ps->tables.size(); ti++) {
        tb[ti] = pshm_tbl{};
        tb[ti].last_pushed = ti < p->pushed.size() ? p->pushed[ti] : 0;
        tb[ti].last_acked = ti < p->acked.size() ? p->acked[ti] : 0;
        for (const auto& e : p->remotes)
            if (e.second.t == ps->tables[ti]) {
                tb[ti].remote_id = uint32_t(e.first);
                tb[ti].remote_data = e.second.data;
                tb[ti].last_get = e.second.last_id;
            }
    }
    __atomic_add_fetch(&h->seq, 1, __ATOMIC_ACQ_REL);
}

using pw::human_ms;

// A date to come (<PAST> once reached) or <NEVER>.
std::string tick_text(uint64_t at, uint64_t now)
{
    if (!at)
        return "<NEVER>";
    return at <= now ? "<PAST>" : human_ms(at - now);
}

std::string addr_text(const sockaddr_storage& a)
{
    char b[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (a.ss_family == AF_INET) {
        const sockaddr_in* s4 = reinterpret_cast<const sockaddr_in*>(&a);
        inet_ntop(AF_INET, &s4->sin_addr, b, sizeof(b));
        port = ntohs(s4->sin_port);
    } else if (a.ss_family == AF_INET6) {
        const sockaddr_in6* s6 = reinterpret_cast<const sockaddr_in6*>(&a);
        inet_ntop(AF_INET6, &s6->sin6_addr, b, sizeof(b));
        port = ntohs(s6->sin6_port);
    }
    return std::string(b) + ":" + std::to_string(port);
}

const char* status_text(uint32_t st)
{
    switch (st) {
    case 100: return "CONN";
    case 110: return "HSHK";
    case 200: return "ESTA";
    case 300: return "RETR";
    case 501: return "PROT";
    case 502: return "VERS";
    case 503: return "NAME";
    case 504: return "UNKN";
    default: return "NONE";
    }
}

unsigned long long ptr_val(const void* p) { return (unsigned long long)(uintptr_t)p; }

// One section, in HAProxy 2.6's layout (peers_dump_head / peers_dump_peer).
void dump_peers(const peers_sect* ps, bool dict, const std::string& local, ptc_cli_reply* out)
{
    pshm_hdr* h = ps->shm;
    std::vector<char> snap;
    if (h) { // a consistent copy (bounded retries)
        size_t sz = sizeof(pshm_hdr) + size_t(h->npeers) * h->stride;
        snap.resize(sz);
        for (int tries = 0; tries < 1000; tries++) {
            uint32_t s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
            memcpy(snap.data(), h, sz);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (!(s1 & 1) && __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE) == s1)
                break;
            sched_yield();
        }
    }
    pshm_hdr* c = h ? reinterpret_cast<pshm_hdr*>(snap.data()) : nullptr;
    uint64_t now = fresh_ms();
    static const char* const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm {};
    time_t lc = ps->last_change;
    localtime_r(&lc, &tm);
    host->cli_printf(out, "0x%llx: [%02d/%s/%04d:%02d:%02d:%02d] id=%s disabled=%d flags=0x%x resync_timeout=%s task_calls=%u\n",
                     ptr_val(ps), tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ps->name.c_str(), ps->disabled ? 1 : 0, c && c->running ? c->flags : 0,
                     c && c->running ? "<PAST>" : "<NEVER>", c ? c->task_calls : 0);
    for (size_t k = ps->peers.size(); k-- > 0;) { // HAProxy lists them last declared first
        const peer_def& d = ps->peers[k];
        pshm_peer zero{};
        pshm_peer* r = c && k < c->npeers ? pshm_rec(c, k) : &zero;
        pshm_peer* shr = h && k < h->npeers ? pshm_rec(h, k) : nullptr; // addresses shown
        bool is_local = d.name == local;
        sockaddr_storage a = d.addr;
        if (!d.alen) {
            const sockaddr_storage* la = is_local ? listen_addr(ps, local) : nullptr;
            a = la ? *la : sockaddr_storage{};
        }
        host->cli_printf(out, "  0x%llx: id=%s(%s,%s) addr=%s last_status=%s last_hdshk=%s\n", ptr_val(&d),
                         d.name.c_str(), is_local ? "local" : "remote", r->active ? "active" : "inactive",
                         addr_text(a).c_str(), status_text(r->status),
                         r->last_hdshk ? human_ms(now > r->last_hdshk ? now - r->last_hdshk : 0).c_str() : "<NEVER>");
        host->cli_printf(out,
                         "        reconnect=%s heartbeat=%s confirm=%u tx_hbt=%u rx_hbt=%u no_hbt=%u new_conn=%u "
                         "proto_err=%u coll=%u\n",
                         tick_text(r->reconnect, now).c_str(), tick_text(r->heartbeat, now).c_str(), r->confirm,
                         r->tx_hbt, r->rx_hbt, r->no_hbt, r->new_conn, r->proto_err, r->coll);
        host->cli_printf(out, "        flags=0x%x", r->flags);
        if (r->active) {
            host->cli_printf(out, " appctx:0x%llx st0=%u st1=0 task_calls=%u state=%s", (unsigned long long)r->appctx,
                             r->st0, r->task_calls, r->state ? "EST" : "CON");
            if (r->accepted) {
                host->cli_printf(out, "\n        xprt=%s", r->tls ? "SSL" : "RAW");
                if (r->src.ss_family == AF_INET || r->src.ss_family == AF_INET6)
                    host->cli_printf(out, " src=%s", addr_text(r->src).c_str());
                if (r->dst.ss_family == AF_INET || r->dst.ss_family == AF_INET6)
                    host->cli_printf(out, " addr=%s", addr_text(r->dst).c_str());
            }
        }
        pshm_tbl* tb = pshm_tables(r);
        pshm_tbl* tbs = shr ? pshm_tables(shr) : nullptr;
        uint32_t nt = c ? c->ntables : 0;
        for (int which = 0; which < 2 && r != &zero; which++) {
            int32_t ti = which ? r->last_local_table : r->remote_table;
            if (ti < 0 || uint32_t(ti) >= nt)
                continue;
            host->cli_printf(out, "\n        %s:0x%llx id=%s local_id=%d remote_id=%u",
                             which ? "last_local_table" : "remote_table", ptr_val(tbs + ti),
                             ps->tables[size_t(ti)]->name.c_str(), ti + 1, tb[ti].remote_id);
        }
        if (nt)
            host->cli_printf(out, "\n        shared tables:");
        for (uint32_t ti = 0; ti < nt && ti < ps->tables.size(); ti++) {
            const table* t = ps->tables[ti];
            uint32_t upd = t->hdr ? __atomic_load_n(&t->hdr->seq, __ATOMIC_RELAXED) : 0;
            host->cli_printf(out, "\n          0x%llx local_id=%u remote_id=%u flags=0x0 remote_data=0x%llx",
                             ptr_val(tbs + ti), ti + 1, tb[ti].remote_id, (unsigned long long)tb[ti].remote_data);
            host->cli_printf(out, "\n              last_acked=%u last_pushed=%u last_get=%u teaching_origin=0 update=%u",
                             tb[ti].last_acked, tb[ti].last_pushed, tb[ti].last_get, tb[ti].last_pushed);
            host->cli_printf(out, "\n              table:0x%llx id=%s update=%u localupdate=%u commitupdate=%u refcnt=1",
                             ptr_val(t), t->name.c_str(), upd, upd, upd);
            if (dict) { // no TX cache (each key goes with its value), the RX one not published
                host->cli_printf(out, "\n        TX dictionary cache:\n        RX dictionary cache:");
                for (uint32_t i = 0, count = 0; i < 128; i++) {
                    if (!count++)
                        host->cli_printf(out, "\n        ");
                    host->cli_printf(out, "  %3u -> -", i);
                    count &= 0x3;
                }
            } else {
                host->cli_printf(out, "\n        Dictionary cache not dumped (use \"show peers dict\")");
            }
        }
        host->cli_printf(out, "\n");
    }
}

// show peers [dict|-] [<peers section>]
int cli_show_peers(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* out)
{
    uint32_t i = 2;
    bool dict = false;
    if (argc > i && std::string_view(args[i].ptr, args[i].len) == "dict") {
        dict = true;
        i++;
    } else if (argc > i && std::string_view(args[i].ptr, args[i].len) == "-") {
        i++;
    }
    const peers_sect* target = nullptr;
    if (argc > i && args[i].len) {
        std::string_view n(args[i].ptr, args[i].len);
        for (const peers_sect* ps : g_peers)
            if (ps->name == n)
                target = ps;
        if (!target) {
            host->cli_printf(out, "No such peers\n");
            return PTC_OK;
        }
    }
    std::string local;
    if (PTC_HOST_HAS(host, local_peer)) {
        ptc_str lp = host->local_peer();
        local.assign(lp.ptr, lp.len);
    }
    bool first = true;
    for (size_t k = g_peers.size(); k-- > 0;) { // HAProxy lists the last declared first
        const peers_sect* ps = g_peers[k];
        if (target && ps != target)
            continue;
        if (!first)
            host->cli_printf(out, "\n");
        first = false;
        dump_peers(ps, dict, local, out);
    }
    return PTC_OK;
}

const ptc_cli_cmd k_peer_cmds[] = {
    {"show peers", "show peers [dict|-] [section]", "dump some information about all the peers or this peers section",
     PTC_CLI_USER, cli_show_peers},
};

// Master, post_config: the ssl module's endpoints of the sections' "ssl" lines (the
// "bind" with "default-bind"'s words, each other peer's "server"/"peer" line).
int peers_tls_build()
{
    std::string local;
    if (PTC_HOST_HAS(host, local_peer)) {
        ptc_str lp = host->local_peer();
        local.assign(lp.ptr, lp.len);
    }
    for (peers_sect* ps : g_peers) {
        tls_words b = ps->bind_tls;
        b.inherit(ps->def_bind);
        bool any = b.ssl == 1;
        for (const peer_def& d : ps->peers)
            any |= d.tls.ssl == 1 && d.name != local;
        if (!any)
            continue;
        if (!g_ssl) {
            const void* a = host->api_lookup(PTC_SSL_API_NAME, 1, nullptr);
            const ptc_ssl_api* api = static_cast<const ptc_ssl_api*>(a);
            if (api && api->size >= offsetof(ptc_ssl_api, endpoint_transport) + sizeof(api->endpoint_transport))
                g_ssl = api;
        }
        if (!g_ssl) {
            host->errorf(me, "peers '%s': 'ssl' needs the ssl module (1.23 or later)", ps->name.c_str());
            return PTC_ERROR;
        }
        if (b.ssl == 1 && g_ssl->endpoint_new(PTC_SSL_EP_SERVER, b.crt.empty() ? nullptr : b.crt.c_str(),
                                              b.ca.empty() ? nullptr : b.ca.c_str(), b.verify,
                                              ps->bind_where.c_str(), &ps->bind_ep) != PTC_OK)
            return PTC_ERROR;
        for (peer_def& d : ps->peers) {
            if (d.tls.ssl != 1 || d.name == local)
                continue;
            std::string w = d.where + ": peer '" + d.name + "'";
            if (g_ssl->endpoint_new(PTC_SSL_EP_CLIENT, d.tls.crt.empty() ? nullptr : d.tls.crt.c_str(),
                                    d.tls.ca.empty() ? nullptr : d.tls.ca.c_str(), d.tls.verify, w.c_str(),
                                    &d.ep) != PTC_OK)
                return PTC_ERROR;
        }
    }
    return PTC_OK;
}

// Master, post_config: the area each section's state is published in.
int peers_shm_reserve(ptc_modref* self)
{
    for (peers_sect* ps : g_peers) {
        size_t stride = (sizeof(pshm_peer) + ps->tables.size() * sizeof(pshm_tbl) + 7) & ~size_t(7);
        size_t sz = sizeof(pshm_hdr) + ps->peers.size() * stride;
        std::string nm = "peers:" + ps->name + ":" + std::to_string(ps->peers.size()) + ":" +
                         std::to_string(ps->tables.size());
        ps->shm = static_cast<pshm_hdr*>(host->shm_reserve(self, nm.c_str(), sz));
        if (!ps->shm) {
            host->errorf(self, "peers '%s': cannot reserve shared memory", ps->name.c_str());
            return PTC_ERROR;
        }
        ps->shm->npeers = uint32_t(ps->peers.size());
        ps->shm->ntables = uint32_t(ps->tables.size());
        ps->shm->stride = stride;
    }
    return PTC_OK;
}

} // namespace

int parse_stick_table_kw(const ptc_kw_ctx* ctx) { return parse_stick_table(ctx); }
int parse_stick_kw(const ptc_kw_ctx* ctx) { return parse_stick_kw_impl(ctx); }
int parse_peers_kw(const ptc_kw_ctx* ctx) { return parse_peers_line(ctx); }

uint64_t held_sweep_task(ptc_task*, void*)
{
    for (table* t : g_tables)
        held_sweep(t);
    return host->now_ms() + 1000;
}

// The first worker runs a session with every other peer of each "peers" section in use,
// and listens for them on the local peer's address.
int peers_worker_init(ptc_modref* self)
{
    bool held = false;
    for (table* t : g_tables) {
        held_claim(t);
        held |= t->held != nullptr;
    }
    if (held) {
        static ptc_task* sweep = nullptr;
        sweep = host->task_new(self, held_sweep_task, nullptr);
        if (sweep)
            host->task_schedule(sweep, host->now_ms() + 1000);
    }
    if (host->worker_slot() != 0 || !PTC_HOST_HAS(host, local_peer))
        return PTC_OK;
    ptc_str lp = host->local_peer();
    std::string local(lp.ptr, lp.len);
    for (peers_sect* ps : g_peers) {
            if (ps->tables.empty() || ps->disabled)
            continue;
        bool found = false;
        for (const peer_def& d : ps->peers)
            found |= d.name == local;
        if (!found) {
            host->log(PTC_LOG_WARNING,
                      "peers '%s': no peer named '%s' (the local peer name: -L, localpeer or the host name); "
                      "its tables are not shared",
                      ps->name.c_str(), local.c_str());
            continue;
        }
        ps->local = local;
        for (const peer_def& d : ps->peers) {
            psess* p = new psess{};
            p->ps = ps;
            p->peer = &d;
            p->local = local;
            // a peer without a port (HAProxy accepts it) is never reached: it connects to us
            p->connects = d.name != local && d.alen &&
                          (d.addr.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(&d.addr)->sin_port
                                                       : reinterpret_cast<const sockaddr_in6*>(&d.addr)->sin6_port);
            p->pushed.assign(ps->tables.size(), 0);
            p->acked.assign(ps->tables.size(), 0);
            p->task = host->task_new(self, sess_task, p);
            if (!p->task)
                return PTC_ERROR;
            g_sessions.push_back(p);
            ps->sessions.push_back(p);
            host->task_schedule(p->task, 0);
        }
        if (PTC_HOST_HAS(host, conn_listen)) {
            ps->task = host->task_new(self, listen_task, ps);
            if (!ps->task)
                return PTC_ERROR;
            host->task_schedule(ps->task, 0);
        }
    }
    return PTC_OK;
}

namespace {

const uint32_t k_all_rules[] = {PTC_RULES_TCP_REQ_CONN, PTC_RULES_TCP_REQ_CONTENT, PTC_RULES_TCP_RES_CONTENT,
                                PTC_RULES_HTTP_REQ, PTC_RULES_HTTP_RES, PTC_RULES_HTTP_AFTER_RES,
                                PTC_RULES_TCP_REQ_SESS};

int reg_actions(ptc_modref* self)
{
    static const struct {
        uint32_t rs;
        ptc_act_parse_fn p;
    } tracks[] = {{PTC_RULES_TCP_REQ_CONN, parse_track_conn},
                  {PTC_RULES_TCP_REQ_CONTENT, parse_track_content},
                  {PTC_RULES_HTTP_REQ, parse_track_http_req},
                  {PTC_RULES_HTTP_RES, parse_track_http_res},
                  {PTC_RULES_TCP_REQ_SESS, parse_track_sess}};
    static const char* const tnames[] = {"track-sc0", "track-sc1", "track-sc2"};
    // "tcp-request session" came with ABI 1.17: an older host refuses the rule set
    const bool has_sess = host->abi_minor >= 17;
    for (const auto& t : tracks)
        for (const char* n : tnames) {
            if (t.rs == PTC_RULES_TCP_REQ_SESS && !has_sess)
                continue;
            ptc_action a{t.rs, n, t.p, act_track, "track-sc<n> <key> [table <t>]"};
            if (host->action_register(self, &a, sizeof(a), nullptr, nullptr) != PTC_OK)
                return PTC_ERROR;
        }
    static const struct {
        const char* n;
        ptc_act_parse_fn p;
        const char* help;
    } gps[] = {{"sc-inc-gpc0", parse_inc_gpc0, "sc-inc-gpc0(<sc>)"},
               {"sc-inc-gpc1", parse_inc_gpc1, "sc-inc-gpc1(<sc>)"},
               {"sc-inc-gpc", parse_inc_gpc, "sc-inc-gpc(<idx>,<sc>)"},
               {"sc-set-gpt0", parse_set_gpt0, "sc-set-gpt0(<sc>) <int|expr>"},
               {"sc-set-gpt", parse_set_gpt, "sc-set-gpt(<idx>,<sc>) <int|expr>"}};
    for (uint32_t rs : k_all_rules)
        for (const auto& g : gps) {
            if (rs == PTC_RULES_TCP_REQ_SESS && !has_sess)
                continue;
            ptc_action a{rs, g.n, g.p, act_sc_gp, g.help};
            if (host->action_register(self, &a, sizeof(a), nullptr, nullptr) != PTC_OK)
                return PTC_ERROR;
        }
    return PTC_OK;
}

} // namespace

int table_init(ptc_modref* self)
{
    if (reg_actions(self) != PTC_OK)
        return PTC_ERROR;
    for (const family& f : k_families) {
        if (f.op != OP_UPDT_CONN && reg(self, std::string("sc_") + f.sfx, &f, -1) != PTC_OK)
            return PTC_ERROR;
        if (f.op != OP_TRACKED && reg(self, std::string("src_") + f.sfx, &f, -2) != PTC_OK)
            return PTC_ERROR;
        if (!f.idx && f.op != OP_UPDT_CONN)
            for (int sc = 0; sc < 3; sc++)
                if (reg(self, "sc" + std::to_string(sc) + "_" + f.sfx, &f, sc) != PTC_OK)
                    return PTC_ERROR;
        if (f.conv && reg_conv(self, std::string("table_") + f.conv, &f) != PTC_OK)
            return PTC_ERROR;
    }
    if (reg_conv(self, "in_table", &k_in_table) != PTC_OK ||
        reg_conv(self, "table_server_id", &k_server_id) != PTC_OK)
        return PTC_ERROR;
    for (int avl = 0; avl < 2; avl++) {
        ptc_fetch fe{};
        fe.name = avl ? "table_avl" : "table_cnt";
        fe.out_type = PTC_SMP_SINT;
        fe.use = PTC_USE_L4;
        fe.min_args = 0;
        fe.max_args = 1;
        fe.check = check_opt_table;
        fe.help = avl ? "table_avl([<table>]): free entries" : "table_cnt([<table>]): entries in use";
        if (host->fetch_register(self, &fe, sizeof(fe), fetch_table_count, avl ? &g_names : nullptr) != PTC_OK)
            return PTC_ERROR;
    }
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    for (const ptc_cli_cmd& c : k_peer_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

// The published API (stick.h, ABI 1.24): a table's settings for Lua's StickTable:info().
int api_table_info(ptc_str name, ptc_stick_info* out,
                   void (*data)(void* ctx, const char* type, int64_t period), void* ctx)
{
    table* t = table_by_name(std::string_view(name.ptr, name.len));
    if (!t)
        return 0;
    if (out && out->size >= sizeof(ptc_stick_info)) {
        out->type = k_type_names[t->type];
        // HAProxy counts a string key's trailing zero ("len 16": 17)
        out->key_len = t->type == T_STR ? t->len + 1 : t->keycap;
        out->entries = t->size;
        out->used = t->hdr ? t->hdr->used : 0;
        out->nopurge = t->nopurge ? 1 : 0;
        out->expire_ms = t->expire;
    }
    if (data)
        for (uint32_t d = 0; d < NDT; d++)
            if (t->L.has(d))
                data(ctx, k_dtypes[d].name, k_dtypes[d].st == ST_FRQ ? int64_t(t->L.period[d]) : -1);
    return 1;
}

const ptc_stick_api k_stick_api = {sizeof(ptc_stick_api), api_table_info};

int table_publish(ptc_modref* self)
{
    return host->api_publish(self, PTC_STICK_API_NAME, PTC_STICK_API_VERSION, &k_stick_api);
}

int table_post_config(ptc_modref* self)
{
    for (const pending_arg& a : g_pending) {
        a.arg->data = table_by_name(a.name);
        if (!a.arg->data) {
            host->errorf(self, "a stick table fetch or converter names an unknown table '%s'", a.name.c_str());
            return PTC_ERROR;
        }
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
        if (r->kind & SR_STORE_RES) {
            if (std::string_view(host->proxy_mode(r->px).ptr, host->proxy_mode(r->px).len) != "http") {
                ptc_str pn = host->proxy_name(r->px);
                host->errorf(self, "proxy '%.*s': 'stick store-response' is not supported yet in mode tcp",
                             (int)pn.len, pn.ptr);
                return PTC_ERROR;
            }
            g_have_store_res = true;
        }
        // as HAProxy, a table used by stick rules stores the server
        table_need(r->t, DT_SERVER_ID);
        table_need(r->t, DT_SERVER_KEY);
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
    for (table* t : g_tables) {
        if (t->peers.empty())
            continue;
        peers_sect* ps = nullptr;
        for (peers_sect* p : g_peers)
            if (p->name == t->peers)
                ps = p;
        if (!ps) {
            host->errorf(self, "stick-table '%s': unknown peers section '%s'", t->name.c_str(), t->peers.c_str());
            return PTC_ERROR;
        }
        ps->tables.push_back(t);
    }
    if (peers_shm_reserve(self) != PTC_OK || peers_tls_build() != PTC_OK)
        return PTC_ERROR;
    for (table* t : g_tables) {
        table_finish(t);
        // the entries start 8-byte aligned (an odd bucket count would leave them at 4)
        size_t eoff = (sizeof(area_hdr) + sizeof(int32_t) * t->nbuckets + 7) & ~size_t(7);
        size_t sz = eoff + size_t(t->stride) * t->size;
        // the layout's signature in the name: a reload keeps the entries only when the
        // new configuration lays them out the same way
        uint32_t sig[4 + 3 * NDT] = {t->type, t->stride, t->size, 3 /* the area's format */};
        for (uint32_t d = 0; d < NDT; d++) {
            sig[4 + 3 * d] = uint32_t(t->L.slot[d]);
            sig[5 + 3 * d] = t->L.nelem[d];
            sig[6 + 3 * d] = t->L.period[d];
        }
        char hx[16];
        snprintf(hx, sizeof(hx), "%08x", hash_key(reinterpret_cast<const unsigned char*>(sig), sizeof(sig)));
        std::string nm = "table:" + t->name + ":" + hx;
        void* a = host->shm_reserve(self, nm.c_str(), sz);
        if (!a) {
            host->errorf(self, "stick-table '%s': cannot reserve %zu bytes of shared memory",
                         t->name.c_str(), sz);
            return PTC_ERROR;
        }
        t->hdr = static_cast<area_hdr*>(a);
        t->buckets = reinterpret_cast<int32_t*>(t->hdr + 1);
        t->entries = static_cast<unsigned char*>(a) + eoff;
        uint32_t cap = held_cap(t->size), nrec = held_nrec(host->worker_count());
        std::string hn = "held:" + t->name + ":" + hx + ":" + std::to_string(nrec);
        t->held = static_cast<held_area*>(host->shm_reserve(self, hn.c_str(), held_size(cap, nrec)));
        if (!t->held) {
            host->errorf(self, "stick-table '%s': cannot reserve shared memory", t->name.c_str());
            return PTC_ERROR;
        }
        t->held->cap = cap;
        t->held->nrec = nrec;
        if (t->L.has(DT_SERVER_KEY)) {
            std::string dn = "dict:" + t->name + ":" + hx;
            t->dict = static_cast<dict_area*>(host->shm_reserve(self, dn.c_str(), sizeof(dict_area)));
            if (!t->dict) {
                host->errorf(self, "stick-table '%s': cannot reserve shared memory", t->name.c_str());
                return PTC_ERROR;
            }
            t->dcache = new std::unordered_map<std::string, uint32_t>();
        }
        t->myrec = -1;
        if (!t->hdr->inited) { // buckets and entries stay untouched (see bucket())
            t->hdr->fresh = 0;
            t->hdr->free_head = -1;
            t->hdr->head = t->hdr->tail = -1;
            t->hdr->used = 0;
            t->hdr->inited = 1;
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
        if (r->px != be || !(r->kind & SR_STORE) || st->nstore >= 4 || !rule_applies(s, r))
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
        if (r->px != be || !(r->kind & SR_MATCH) || !rule_applies(s, r))
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
        uint32_t id = i >= 0 ? uint32_t(d_read(r->t, ent(r->t, i), DT_SERVER_ID, now)) : 0;
        const char* ks = i >= 0 ? dict_get(r->t, uint64_t(d_read(r->t, ent(r->t, i), DT_SERVER_KEY, now))) : nullptr;
        std::string key = ks ? ks : "";
        unlock(r->t);
        // as HAProxy: the server of that key (name, or address with "srvkey addr") in this
        // backend first, else the one of that id
        ptc_server* sv = nullptr;
        if (!key.empty()) {
            ptc_server* byid = id ? server_by_id(be, id) : nullptr;
            if (byid && server_key_of(r->t, byid) == key)
                sv = byid;
            for (ptc_server* x = host->server_next(be, nullptr); x && !sv; x = host->server_next(be, x))
                if (server_key_of(r->t, x) == key)
                    sv = x;
        }
        if (!sv && id)
            sv = server_by_id(be, id);
        if (!sv)
            continue;
        uint32_t stt = host->server_state(sv);
        bool stopped = !(stt & PTC_SRV_ST_UP) || (stt & PTC_SRV_ST_MAINT);
        px_conf* pc = px_conf_of(be);
        stream_st* st = state_of(s);
        if (stopped && !(pc && pc->persist) && !(st && st->force_prst))
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
        std::string key = t->dict ? server_key_of(t, sv) : std::string();
        lock(t);
        int32_t i = get_or_create(t, st->store[j].key, st->store[j].keylen, now);
        if (i >= 0) {
            touch(t, i, now);
            d_set(t, ent(t, i), DT_SERVER_ID, now, id);
            d_set(t, ent(t, i), DT_SERVER_KEY, now, dict_put(t, key));
        }
        unlock(t);
    }
    st->nstore = 0;
}

// The server's response: "stick store-response" rules store its key with the server.
void stick_store_response(ptc_stream* s)
{
    if (!g_have_store_res)
        return;
    const ptc_proxy* be = host->stream_backend(s);
    ptc_server* sv = host->stream_server(s);
    if (!be || !sv)
        return;
    uint32_t id = host->server_id(sv);
    uint64_t now = host->now_ms();
    for (stick_rule* r : g_srules) {
        if (r->px != be || !(r->kind & SR_STORE_RES) || !rule_applies(s, r))
            continue;
        ptc_sample smp{};
        if (!host->expr_eval(s, r->expr, &smp))
            continue;
        unsigned char k[256];
        uint32_t n = 0;
        if (!key_of(r->t, smp, k, &n))
            continue;
        std::string key = r->t->dict ? server_key_of(r->t, sv) : std::string();
        lock(r->t);
        int32_t i = get_or_create(r->t, k, n, now);
        if (i >= 0) {
            touch(r->t, i, now);
            d_set(r->t, ent(r->t, i), DT_SERVER_ID, now, id);
            d_set(r->t, ent(r->t, i), DT_SERVER_KEY, now, dict_put(r->t, key));
        }
        unlock(r->t);
    }
}

// A response from the server: 4xx count as HTTP errors, 5xx (but 501 and 505) as HTTP
// failures, for every tracked counter.
void table_response(ptc_stream* s, int status)
{
    stream_st* st = state_of(s);
    if (st && st->ntrack)
        count_status(st, status);
}

// A new HTTP request: the previous one's counters (tracked by http-request/response rules)
// are released if a host older than 1.13 did not end its transaction (hook_txn_end); the
// request counts for the counters still tracked (connection and stream level), as HAProxy
// counts it for a new stream's inherited counters.
int hook_http_request(ptc_stream* s, void*, void*)
{
    stream_st* st = state_of(s);
    if (!st || !st->ntrack)
        return PTC_CONTINUE;
    account_bytes(s, st);
    for (uint32_t i = 0; i < 3; i++)
        if (st->sc[i].t && st->sc[i].level == SCL_HTTP)
            untrack(st, i);
    count_all(st, DT_HTTP_REQ_CNT, DT_HTTP_REQ_RATE);
    return PTC_CONTINUE;
}

// Past the "tcp-request connection" rules: a new session for the counters they tracked.
int hook_connection(ptc_stream* s, void*, void*)
{
    stream_st* st = state_of(s);
    if (st && st->ntrack)
        count_all(st, DT_SESS_CNT, DT_SESS_RATE);
    return PTC_CONTINUE;
}

// An HTTP transaction ended (ABI 1.13): HAProxy ends its stream there, so the counters that
// the transaction's http-request/http-response rules and the stream's tcp-request content
// rules tracked are released (the latter are tracked again by the next request, whose
// tcp-request content rules run again); those of tcp-request connection rules stay.
int hook_txn_end(ptc_stream* s, void*, void*)
{
    stream_st* st = state_of(s);
    if (!st || !st->ntrack)
        return PTC_CONTINUE;
    account_bytes(s, st);
    for (uint32_t i = 0; i < 3; i++)
        if (st->sc[i].t && (st->sc[i].level == SCL_HTTP || st->sc[i].level == SCL_STREAM))
            untrack(st, i);
    return PTC_CONTINUE;
}

// The stream ends: every tracked counter is released.
int hook_close(ptc_stream* s, void*, void*)
{
    stream_st* st = state_of(s);
    if (!st || !st->ntrack)
        return PTC_CONTINUE;
    account_bytes(s, st);
    for (uint32_t i = 0; i < 3; i++)
        untrack(st, i);
    return PTC_CONTINUE;
}

} // namespace stick
