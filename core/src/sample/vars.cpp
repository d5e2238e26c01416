// SPDX-License-Identifier: MIT
// Variables (proc/sess/txn/req/res scopes): a config-time name registry and per-stream
// storage taken lazily from per-worker pools, freed with the stream. "proc." variables are
// the instance's: their values live in a shared mapping the master creates before forking
// (every worker, the master's runtime API and Lua see one value), each process keeping a
// local copy it refreshes when the shared slot's sequence number moved.
#include <pthread.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <new>

#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample_host.hpp"
#include "sample/sample_int.hpp"
#include "stream/stream-t.hpp"
#include "util/pool.hpp"

namespace portico {
namespace smp {

namespace {

constexpr size_t k_inline = 56;

struct var_entry {
    var_entry* next;
    uint32_t id;
    uint8_t scope;
    bool big;               // value bytes in a big block
    ptc_sample value;       // strings point to inl or to a big block
    char* data;
    char inl[k_inline];
};

// Per-stream data (stream::smp).
struct stream_data {
    var_entry* vars = nullptr;
    // rule resume point after PTC_ACT_YIELD
    const void* yield_px = nullptr;
    uint32_t yield_rs = 0;
    uint32_t yield_idx = 0;
    const rule* last_rule = nullptr; // last final rule of the transaction (last_rule_file)
};

std::map<std::string, uint32_t, std::less<>> g_names;
std::vector<const std::string*> g_by_id;

block_pool g_entry_pool(sizeof(var_entry), 64);
block_pool g_sdata_pool(sizeof(stream_data), 64);
block_pool* g_big_pool;
var_entry* g_proc_vars; // "proc." scope: this process's copy of the shared values

// ---- shared "proc." values -----------------------------------------------------------------

constexpr size_t k_pv_name = 256;   // longest name (without "proc.") kept in shared memory
constexpr uint32_t k_pv_slots = 256; // distinct "proc." names an instance can hold

struct pv_slot {
    std::atomic<uint32_t> seq;  // changes with every set/unset
    uint32_t name_len;          // 0: free
    uint32_t set;               // 1: holds a value
    uint32_t len;               // bytes of a string value
    ptc_sample value;           // strings: u.str.ptr meaningless here, bytes in data()
    char name[k_pv_name];
    char* data() { return reinterpret_cast<char*>(this + 1); }
};

struct pv_head {
    pthread_mutex_t lock;       // robust, process-shared
    std::atomic<uint32_t> used; // slots given a name (never given back)
    uint32_t nslots;
    uint32_t slot_size;         // sizeof(pv_slot) + the largest value
};

constexpr size_t k_pv_head_size = (sizeof(pv_head) + 63) & ~size_t(63);
pv_head* g_pv;
size_t g_pv_bytes;

// this process's view of each name's slot (by variable id)
struct pv_cache {
    int32_t slot = -1;
    uint32_t seq = 0;
    uint32_t used_seen = 0; // g_pv->used when the name was last looked for in vain
};
std::vector<pv_cache> g_pv_cache;

pv_slot* pv_at(uint32_t i)
{
    return reinterpret_cast<pv_slot*>(reinterpret_cast<char*>(g_pv) + k_pv_head_size +
                                      (size_t)i * g_pv->slot_size);
}

void pv_lock()
{
    if (pthread_mutex_lock(&g_pv->lock) == EOWNERDEAD) // a process died holding it
        pthread_mutex_consistent(&g_pv->lock);
}

void pv_unlock() { pthread_mutex_unlock(&g_pv->lock); }

block_pool& big_pool()
{
    if (!g_big_pool) {
        size_t sz = g_config ? g_config->global.bufsize : 16384;
        g_big_pool = new block_pool(sz, 8);
    }
    return *g_big_pool;
}

bool split_scope(std::string_view full, uint8_t& scope, std::string_view& name)
{
    static const struct {
        const char* p;
        uint8_t s;
    } scopes[] = {{"proc.", VS_PROC}, {"sess.", VS_SESS}, {"txn.", VS_TXN},
                  {"req.", VS_REQ},   {"res.", VS_RES}};
    for (auto& sc : scopes) {
        size_t n = std::strlen(sc.p);
        if (full.size() > n && full.compare(0, n, sc.p) == 0) {
            scope = sc.s;
            name = full.substr(n);
            return true;
        }
    }
    return false;
}

stream_data* sdata(ptc_stream* ps, bool create)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s) // global section expressions: only "proc." variables
        return nullptr;
    if (!s->smp && create) {
        void* mem = g_sdata_pool.get();
        if (!mem) // out of memory: callers see no variables
            return nullptr;
        s->smp = new (mem) stream_data();
    }
    return static_cast<stream_data*>(s->smp);
}

var_entry** head_for(ptc_stream* s, uint8_t scope, bool create)
{
    if (scope == VS_PROC)
        return &g_proc_vars;
    stream_data* d = sdata(s, create);
    return d ? &d->vars : nullptr;
}

void entry_free(var_entry* e)
{
    if (e->big)
        big_pool().put(e->data);
    g_entry_pool.put(e);
}

bool local_unset(var_entry** h, const var_ref& v)
{
    for (var_entry** pp = h; *pp; pp = &(*pp)->next) {
        var_entry* e = *pp;
        if (e->id == v.id && e->scope == v.scope) {
            *pp = e->next;
            entry_free(e);
            return true;
        }
    }
    return false;
}

bool local_set(var_entry** h, const var_ref& v, const ptc_sample* value)
{
    var_entry* e = nullptr;
    for (var_entry* x = *h; x; x = x->next)
        if (x->id == v.id && x->scope == v.scope) {
            e = x;
            break;
        }
    // allocate first, so that an allocation failure leaves the variables as they were
    char* new_big = nullptr;
    if ((value->type == PTC_SMP_STR || value->type == PTC_SMP_BIN ||
         value->type == PTC_SMP_METH) &&
        value->u.str.len > k_inline && !(e && e->big)) {
        new_big = static_cast<char*>(big_pool().get());
        if (!new_big)
            return false;
    }
    if (!e) {
        e = static_cast<var_entry*>(g_entry_pool.get());
        if (!e) {
            if (new_big)
                big_pool().put(new_big);
            return false;
        }
        e->id = v.id;
        e->scope = v.scope;
        e->big = false;
        e->data = e->inl;
        e->next = *h;
        *h = e;
    }
    ptc_sample val = *value;
    if (val.type == PTC_SMP_STR || val.type == PTC_SMP_BIN || val.type == PTC_SMP_METH) {
        size_t n = val.u.str.len;
        char* old_big = e->big ? e->data : nullptr;
        char* dst;
        if (n <= k_inline) {
            dst = e->inl;
            e->big = false;
        } else {
            dst = old_big ? old_big : new_big;
            e->big = true;
            if (n > big_pool().block_size())
                n = big_pool().block_size();
        }
        if (n)
            std::memmove(dst, val.u.str.ptr, n);
        if (old_big && old_big != dst)
            big_pool().put(old_big);
        e->data = dst;
        val.u.str = ptc_str{dst, n};
    } else if (e->big) {
        big_pool().put(e->data);
        e->big = false;
        e->data = e->inl;
    }
    val.flags = 0;
    e->value = val;
    return true;
}


bool is_strlike(uint32_t t)
{
    return t == PTC_SMP_STR || t == PTC_SMP_BIN || t == PTC_SMP_METH;
}

pv_cache& pv_cache_of(uint32_t id)
{
    if (g_pv_cache.size() <= id)
        g_pv_cache.resize(g_by_id.size() > id ? g_by_id.size() : id + 1);
    return g_pv_cache[id];
}

// The slot holding <name>, looked for among the named slots without the lock (a slot's
// name is written before "used" counts it, and never changes). -1: none.
int32_t pv_scan(std::string_view name)
{
    uint32_t used = g_pv->used.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < used; i++) {
        pv_slot* sl = pv_at(i);
        if (sl->name_len == name.size() && std::memcmp(sl->name, name.data(), name.size()) == 0)
            return (int32_t)i;
    }
    return -1;
}

// Writes <value> (nullptr: unset) into the slot of variable <id>, naming a free slot for it
// when needed. Returns the slot's new sequence number, 0 when it could not (no slot left,
// name too long). The caller holds the lock.
uint32_t pv_put(uint32_t id, const ptc_sample* value)
{
    pv_cache& c = pv_cache_of(id);
    const std::string& name = *g_by_id[id];
    if (c.slot < 0)
        c.slot = pv_scan(name);
    if (c.slot < 0) {
        uint32_t used = g_pv->used.load(std::memory_order_relaxed);
        if (!value)
            return 0; // nothing to unset
        if (used >= g_pv->nslots || name.size() > k_pv_name)
            return 0;
        pv_slot* sl = pv_at(used);
        std::memcpy(sl->name, name.data(), name.size());
        sl->name_len = (uint32_t)name.size();
        sl->set = 0;
        g_pv->used.store(used + 1, std::memory_order_release);
        c.slot = (int32_t)used;
    }
    pv_slot* sl = pv_at((uint32_t)c.slot);
    if (value) {
        sl->value = *value;
        sl->value.flags = 0;
        if (is_strlike(value->type)) {
            size_t n = value->u.str.len, room = g_pv->slot_size - sizeof(pv_slot);
            if (n > room)
                n = room;
            if (n)
                std::memmove(sl->data(), value->u.str.ptr, n);
            sl->len = (uint32_t)n;
            sl->value.u.str = ptc_str{nullptr, n};
        }
        sl->set = 1;
    } else {
        sl->set = 0;
    }
    uint32_t seq = sl->seq.load(std::memory_order_relaxed) + 1;
    if (seq == 0)
        seq = 1;
    sl->seq.store(seq, std::memory_order_release);
    return seq;
}

// Brings this process's copy of "proc." variable <id> up to date with the shared slot.
void pv_refresh(const var_ref& v)
{
    pv_cache& c = pv_cache_of(v.id);
    if (c.slot < 0) {
        uint32_t used = g_pv->used.load(std::memory_order_acquire);
        if (used == c.used_seen)
            return; // no name was added since we last looked
        c.used_seen = used;
        c.slot = pv_scan(*g_by_id[v.id]);
        if (c.slot < 0)
            return;
        c.seq = 0;
    }
    pv_slot* sl = pv_at((uint32_t)c.slot);
    if (sl->seq.load(std::memory_order_acquire) == c.seq)
        return;
    pv_lock();
    bool ok = true;
    if (sl->set) {
        ptc_sample val = sl->value;
        if (is_strlike(val.type))
            val.u.str = ptc_str{sl->data(), sl->len};
        ok = local_set(&g_proc_vars, v, &val);
    } else {
        local_unset(&g_proc_vars, v);
    }
    if (ok) // else: out of memory, tried again next time
        c.seq = sl->seq.load(std::memory_order_relaxed);
    pv_unlock();
}
} // namespace

bool var_parse(std::string_view full, var_ref& out, std::string& err)
{
    std::string_view name;
    if (!split_scope(full, out.scope, name)) {
        err = "invalid variable name '" + std::string(full) +
              "': it must start with a scope among 'proc.', 'sess.', 'txn.', 'req.', 'res.'";
        return false;
    }
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.')) {
            err = "invalid character '" + std::string(1, c) + "' in variable name '" +
                  std::string(full) + "' (letters, digits, '_' and '.' only)";
            return false;
        }
    auto it = g_names.find(name);
    if (it == g_names.end()) {
        it = g_names.emplace(std::string(name), (uint32_t)g_by_id.size()).first;
        g_by_id.push_back(&it->first);
    }
    out.id = it->second;
    return true;
}

bool var_lookup(std::string_view full, var_ref& out)
{
    std::string_view name;
    if (!split_scope(full, out.scope, name))
        return false;
    auto it = g_names.find(name);
    if (it == g_names.end()) {
        // a "proc." name another process created (Lua, the runtime API) is known here too
        if (out.scope != VS_PROC || !g_pv || pv_scan(name) < 0)
            return false;
        it = g_names.emplace(std::string(name), (uint32_t)g_by_id.size()).first;
        g_by_id.push_back(&it->first);
    }
    out.id = it->second;
    return true;
}

void procvars_shm_init(size_t max_value)
{
    if (g_pv)
        munmap(g_pv, g_pv_bytes);
    g_pv = nullptr;
    g_pv_cache.clear();
    size_t slot = (sizeof(pv_slot) + max_value + 63) & ~size_t(63);
    size_t bytes = k_pv_head_size + slot * k_pv_slots;
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return; // "proc." variables stay per process
    pv_head* h = new (mem) pv_head;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&h->lock, &a);
    pthread_mutexattr_destroy(&a);
    h->used.store(0);
    h->nslots = k_pv_slots;
    h->slot_size = (uint32_t)slot;
    g_pv = h;
    g_pv_bytes = bytes;
    // what the configuration ("set-var" in global) and Lua's init set so far
    pv_lock();
    for (var_entry* e = g_proc_vars; e; e = e->next) {
        uint32_t seq = pv_put(e->id, &e->value);
        if (seq)
            pv_cache_of(e->id).seq = seq;
    }
    pv_unlock();
}

bool var_get(ptc_stream* s, const var_ref& v, ptc_sample* out)
{
    if (v.scope == VS_PROC && g_pv)
        pv_refresh(v);
    var_entry** h = head_for(s, v.scope, false);
    if (!h)
        return false;
    for (var_entry* e = *h; e; e = e->next)
        if (e->id == v.id && e->scope == v.scope) {
            if (e->value.type == PTC_SMP_ANY)
                return false; // exists, not set
            *out = e->value;
            out->flags = 0; // valid until the variable changes
            return true;
        }
    return false;
}

int var_state(ptc_stream* s, const var_ref& v, ptc_sample* out)
{
    if (v.scope == VS_PROC && g_pv)
        pv_refresh(v);
    var_entry** h = head_for(s, v.scope, false);
    if (h)
        for (var_entry* e = *h; e; e = e->next)
            if (e->id == v.id && e->scope == v.scope) {
                if (e->value.type == PTC_SMP_ANY)
                    return 1;
                *out = e->value;
                out->flags = 0;
                return 2;
            }
    return v.scope == VS_PROC ? 1 : 0;
}

bool var_unset(ptc_stream* s, const var_ref& v)
{
    var_entry** h = head_for(s, v.scope, false);
    if (!h)
        return false;
    if (v.scope == VS_PROC && g_pv) {
        pv_lock();
        uint32_t seq = pv_put(v.id, nullptr);
        if (seq)
            pv_cache_of(v.id).seq = seq;
        pv_unlock();
    }
    return local_unset(h, v);
}

bool var_set(ptc_stream* s, const var_ref& v, const ptc_sample* value)
{
    if (!s && v.scope != VS_PROC)
        return false;
    var_entry** h = head_for(s, v.scope, true);
    if (!h)
        return false; // out of memory
    if (v.scope == VS_PROC && g_pv) {
        pv_lock();
        uint32_t seq = pv_put(v.id, value);
        pv_unlock();
        if (!seq)
            return false; // every shared slot is taken
        if (!local_set(h, v, value))
            return false; // the next read copies the shared value
        pv_cache_of(v.id).seq = seq;
        return true;
    }
    return local_set(h, v, value);
}

// ---- per-stream life and rule resume points (used by rules.cpp) ------------------------------

bool yield_get(ptc_stream* s, uint32_t rs, const void* px, uint32_t& idx)
{
    stream_data* d = sdata(s, false);
    if (!d || !d->yield_px)
        return false;
    if (d->yield_px != px || d->yield_rs != rs)
        return false;
    idx = d->yield_idx;
    d->yield_px = nullptr;
    return true;
}

void yield_set(ptc_stream* s, uint32_t rs, const void* px, uint32_t idx)
{
    stream_data* d = sdata(s, true);
    if (!d)
        return; // out of memory: the rules will start over
    d->yield_px = px;
    d->yield_rs = rs;
    d->yield_idx = idx;
}

void last_rule_set(ptc_stream* s, const rule* r)
{
    if (stream_data* d = sdata(s, true))
        d->last_rule = r;
}

const rule* last_rule_get(ptc_stream* s)
{
    stream_data* d = sdata(s, false);
    return d ? d->last_rule : nullptr;
}

void stream_release(stream* s)
{
    auto* d = static_cast<stream_data*>(s->smp);
    if (!d)
        return;
    for (var_entry* e = d->vars; e;) {
        var_entry* n = e->next;
        entry_free(e);
        e = n;
    }
    d->~stream_data();
    g_sdata_pool.put(d);
    s->smp = nullptr;
}

void txn_end(ptc_stream* ps)
{
    txn_stream_reset(ps);
    stream_data* d = sdata(ps, false);
    if (!d)
        return;
    for (var_entry** pp = &d->vars; *pp;) {
        var_entry* e = *pp;
        if (e->scope >= VS_TXN) {
            *pp = e->next;
            entry_free(e);
        } else {
            pp = &e->next;
        }
    }
    d->yield_px = nullptr;
    d->last_rule = nullptr;
}

} // namespace smp

// ---- host table -------------------------------------------------------------------------------

int host_var_set(ptc_stream* s, ptc_str name, const ptc_sample* value)
{
    // A name never seen in the configuration is created, as HAProxy 2.6 does for a Lua
    // script's txn:set_var() (names are not declared there).
    smp::var_ref v;
    std::string err;
    if (!value || !smp::var_parse(std::string_view(name.ptr, name.len), v, err))
        return 0;
    return smp::var_set(s, v, value) ? 1 : 0;
}

int host_var_known(ptc_str name)
{
    smp::var_ref v;
    return smp::var_lookup(std::string_view(name.ptr, name.len), v) ? 1 : 0;
}

int host_var_unset(ptc_stream* s, ptc_str name)
{
    smp::var_ref v;
    if (!smp::var_lookup(std::string_view(name.ptr, name.len), v))
        return 0;
    return smp::var_unset(s, v) ? 1 : 0;
}

int host_var_get(ptc_stream* s, ptc_str name, ptc_sample* out)
{
    smp::var_ref v;
    if (!smp::var_lookup(std::string_view(name.ptr, name.len), v))
        return 0;
    return smp::var_get(s, v, out) ? 1 : 0;
}

} // namespace portico
