// SPDX-License-Identifier: MIT
// Variables (proc/sess/txn/req/res scopes): a config-time name registry and per-stream
// storage taken lazily from per-worker pools, freed with the stream.
#include <cstring>
#include <map>

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
var_entry* g_proc_vars; // "proc." scope: per worker process

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
    if (it == g_names.end())
        return false;
    out.id = it->second;
    return true;
}

bool var_get(ptc_stream* s, const var_ref& v, ptc_sample* out)
{
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

bool var_set(ptc_stream* s, const var_ref& v, const ptc_sample* value)
{
    if (!s && v.scope != VS_PROC)
        return false;
    var_entry** h = head_for(s, v.scope, true);
    if (!h)
        return false; // out of memory
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
