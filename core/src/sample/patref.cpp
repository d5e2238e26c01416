// SPDX-License-Identifier: MIT
// Shared pattern references (HAProxy's pat_ref): every map converter and "-f" ACL that
// names the same pattern file shares one list of entries, changed at run time by the
// runtime API ("add map", "del acl", "prepare/commit map"...) and by the set-map, del-map,
// add-acl and del-acl actions.
//
// The change journal: one shared anonymous mapping made by the master before the workers
// fork holds an append-only log of operations. A writer (the master's runtime API, or a
// worker's action) takes the journal's lock, applies what it had not applied yet (so it
// validates against the state every process will have), appends its operation, publishes
// the new end and applies it. Every process applies the operations in journal order, so
// their references, entry ids and pattern positions stay identical. A reader's check is
// one atomic load per match (patref_check) against what it applied: the request path
// allocates nothing and takes no lock when nothing changed, and a change is visible to the
// next request of every worker as soon as the command returned.
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "sample/patref.hpp"
#include "shm/shm.hpp"
#include "sample/sample_int.hpp"

namespace portico {
namespace smp {

const volatile uint64_t* g_patref_end = nullptr;
uint64_t g_patref_off = 0;

struct pat_elt {
    std::string key, val;
    uint32_t ver = 0;
    uint32_t pos = k_no_pos;          // position in the lists (current version only)
    int line = 0;                     // in the file (for load errors)
};

struct pat_ref {
    uint32_t idx = 0;                 // in g_refs (the journal names references by it)
    std::string file;
    bool kv = false;                  // file lines are key + value
    bool is_map = false, is_acl = false;
    std::string users;                // "used by map at file 'x' line 3, by acl ..."
    std::vector<pattern_list*> lists;
    std::map<uint64_t, pat_elt> elts; // by id: insertion order
    std::unordered_map<std::string, std::vector<uint64_t>> by_key;
    uint32_t curr_ver = 0, next_ver = 0;
    uint32_t npos = 0;                // patterns in each list (dead ones included)
};

namespace {

std::vector<std::unique_ptr<pat_ref>> g_refs;
uint64_t g_next_id = 0x55e0c0de0000; // entry ids, shown as HAProxy shows entry addresses

// ---- journal ---------------------------------------------------------------------------------

// The journal is reused from its start once every process applied all of it: <total>
// counts the bytes ever published (never goes back: the readers' one-load check), <base>
// is <total> at the last reuse; an entry lies at (its total - base) in the data area.
constexpr uint32_t k_jr_master = k_shm_max_workers; // pos[] slot of the master
struct jr_head {
    pthread_mutex_t lock;             // process-shared, robust: a writer that died with it
                                      // published nothing (total moves last)
    std::atomic<uint64_t> total;      // bytes of entries ever published
    std::atomic<uint64_t> base;       // total when the data area was last reused
    uint64_t cap;
    std::atomic<uint64_t> pos[k_shm_max_workers + 1]; // what each process applied (total)
};
constexpr size_t k_jr_data = (sizeof(jr_head) + 63) & ~size_t(63);
constexpr size_t k_jr_size = size_t(256) << 20; // reserved, touched only as used

struct jr_entry {
    uint32_t len;                     // whole entry, 8-aligned
    uint8_t op;
    uint8_t pad[3];
    uint32_t ref;
    uint32_t ver;
    uint64_t id;
    uint32_t klen, vlen;
};

jr_head* g_jr;

char* jr_data() { return reinterpret_cast<char*>(g_jr) + k_jr_data; }

void jr_lock()
{
    if (!g_jr)
        return;
    if (pthread_mutex_lock(&g_jr->lock) == EOWNERDEAD)
        pthread_mutex_consistent(&g_jr->lock);
}

void jr_unlock()
{
    if (g_jr)
        pthread_mutex_unlock(&g_jr->lock);
}

struct jr_guard {
    jr_guard() { jr_lock(); patref_sync(); }
    ~jr_guard() { jr_unlock(); patref_sync(); }
};

// ---- applying --------------------------------------------------------------------------------

void elt_to_lists(pat_ref& r, uint64_t id, pat_elt& e)
{
    e.pos = r.npos++;
    for (pattern_list* l : r.lists) {
        pattern p;
        std::string err;
        if (!pattern_parse(*l, e.key, "", p, err) ||
            (l->out_type && !pattern_parse_value(l->out_type, e.val, p, err)))
            p.dead = true; // refused before journaling; keeps the positions aligned
        pattern_push(*l, std::move(p));
    }
    (void)id;
}

void kill_elt(pat_ref& r, std::map<uint64_t, pat_elt>::iterator it)
{
    pat_elt& e = it->second;
    if (e.pos != k_no_pos)
        for (pattern_list* l : r.lists)
            pattern_del(*l, e.pos);
    auto k = r.by_key.find(e.key);
    if (k != r.by_key.end()) {
        auto& v = k->second;
        v.erase(std::remove(v.begin(), v.end(), it->first), v.end());
        if (v.empty())
            r.by_key.erase(k);
    }
    r.elts.erase(it);
}

uint64_t add_elt(pat_ref& r, uint32_t ver, std::string_view key, std::string_view val, int line)
{
    uint64_t id = g_next_id;
    g_next_id += 0x50;
    pat_elt& e = r.elts[id];
    e.key.assign(key);
    e.val.assign(val);
    e.ver = ver;
    e.line = line;
    r.by_key[e.key].push_back(id);
    if (ver == r.curr_ver)
        elt_to_lists(r, id, e);
    return id;
}

void set_elt(pat_ref& r, pat_elt& e, std::string_view val)
{
    e.val.assign(val);
    if (e.pos == k_no_pos)
        return;
    for (pattern_list* l : r.lists) {
        if (!l->out_type || e.pos >= l->pats.size())
            continue;
        pattern& p = l->pats[e.pos];
        // the old value may still be held by a request of this process: keep it a while
        static std::deque<std::string> s_old;
        if (s_old.size() > 64)
            s_old.pop_front();
        s_old.push_back(std::move(p.value_str));
        std::string err;
        pattern tmp;
        if (pattern_parse_value(l->out_type, val, tmp, err)) {
            p.value_str = std::move(tmp.value_str);
            p.value = tmp.value;
            if (p.value.type == PTC_SMP_STR)
                p.value.u.str = ptc_str{p.value_str.data(), p.value_str.size()};
        }
    }
}

// Entries of the current version with key <key> (ids).
std::vector<uint64_t> curr_with_key(const pat_ref& r, std::string_view key)
{
    std::vector<uint64_t> out;
    auto k = r.by_key.find(std::string(key));
    if (k == r.by_key.end())
        return out;
    for (uint64_t id : k->second) {
        auto it = r.elts.find(id);
        if (it != r.elts.end() && it->second.ver == r.curr_ver)
            out.push_back(id);
    }
    return out;
}

void clear_lists(pat_ref& r)
{
    for (pattern_list* l : r.lists)
        pattern_clear(*l);
    r.npos = 0;
    for (auto& [id, e] : r.elts)
        e.pos = k_no_pos;
}

void clear_ver(pat_ref& r, uint32_t ver)
{
    if (ver == r.curr_ver)
        clear_lists(r);
    for (auto it = r.elts.begin(); it != r.elts.end();)
        if (it->second.ver == ver)
            kill_elt(r, it++);
        else
            ++it;
}

void commit_ver(pat_ref& r, uint32_t ver)
{
    // HAProxy: the entries of older versions go, those of <ver> become the current ones,
    // newer ones stay pending
    clear_lists(r);
    for (auto it = r.elts.begin(); it != r.elts.end();)
        if ((int32_t)(it->second.ver - ver) < 0)
            kill_elt(r, it++);
        else
            ++it;
    r.curr_ver = ver;
    for (auto& [id, e] : r.elts)
        if (e.ver == ver)
            elt_to_lists(r, id, e);
}

void apply(pat_ref& r, op o, uint32_t ver, uint64_t id, std::string_view key,
           std::string_view val)
{
    switch (o) {
    case op::add:
        add_elt(r, ver, key, val, 0);
        break;
    case op::add_absent: // add-acl
        if (curr_with_key(r, key).empty())
            add_elt(r, r.curr_ver, key, val, 0);
        break;
    case op::set_or_add: { // set-map
        auto ids = curr_with_key(r, key);
        if (ids.empty())
            add_elt(r, r.curr_ver, key, val, 0);
        for (uint64_t i : ids)
            set_elt(r, r.elts[i], val);
        break;
    }
    case op::del_key:
        for (uint64_t i : curr_with_key(r, key))
            kill_elt(r, r.elts.find(i));
        break;
    case op::del_id: {
        auto it = r.elts.find(id);
        if (it != r.elts.end())
            kill_elt(r, it);
        break;
    }
    case op::set_key:
        for (uint64_t i : curr_with_key(r, key))
            set_elt(r, r.elts[i], val);
        break;
    case op::set_id: {
        auto it = r.elts.find(id);
        if (it != r.elts.end())
            set_elt(r, it->second, val);
        break;
    }
    case op::clear:
        clear_ver(r, ver);
        break;
    case op::prepare:
        r.next_ver++;
        break;
    case op::commit:
        commit_ver(r, ver);
        break;
    }
}

uint32_t g_slot = k_jr_master;        // this process's pos[] slot

// Under the lock: when every process applied the whole journal, its data area starts
// again from the beginning. A worker slot that never published (no worker yet) counts as
// caught up only when the journal was never reused.
bool jr_reuse(uint64_t total)
{
    shm_header* h = shm_get();
    uint32_t nw = h ? std::min(h->nworkers, k_shm_max_workers) : 0;
    for (uint32_t i = 0; i < nw; i++)
        if (g_jr->pos[i].load(std::memory_order_acquire) != total)
            return false;
    if (g_jr->pos[k_jr_master].load(std::memory_order_acquire) != total)
        return false;
    g_jr->base.store(total, std::memory_order_release);
    return true;
}

// Wakes every worker so that it applies the journal at its next loop turn.
void jr_wake()
{
    shm_header* h = shm_get();
    uint32_t nw = h ? std::min(h->nworkers, k_shm_max_workers) : 0;
    for (uint32_t i = 0; i < nw; i++)
        if (h->wake_fd[i] >= 0) {
            uint64_t one = 1;
            ssize_t r = write(h->wake_fd[i], &one, sizeof(one));
            (void)r;
        }
}

// Journals (or, without a journal, applies) one operation. Called under jr_guard.
bool journal(pat_ref& r, op o, uint32_t ver, uint64_t id, std::string_view key,
             std::string_view val, std::string& err)
{
    if (!g_jr) {
        apply(r, o, ver, id, key, val);
        return true;
    }
    size_t len = (sizeof(jr_entry) + key.size() + val.size() + 7) & ~size_t(7);
    uint64_t total = g_jr->total.load(std::memory_order_relaxed);
    uint64_t end = total - g_jr->base.load(std::memory_order_relaxed);
    if (end + len > g_jr->cap / 2 && !jr_reuse(total))
        jr_wake(); // the next writer may reuse it
    end = total - g_jr->base.load(std::memory_order_relaxed);
    if (end + len > g_jr->cap) {
        err = "Out of memory error.";
        return false;
    }
    char* at = jr_data() + end;
    jr_entry h{};
    h.len = (uint32_t)len;
    h.op = (uint8_t)o;
    h.ref = r.idx;
    h.ver = ver;
    h.id = id;
    h.klen = (uint32_t)key.size();
    h.vlen = (uint32_t)val.size();
    std::memcpy(at, &h, sizeof(h));
    std::memcpy(at + sizeof(h), key.data(), key.size());
    std::memcpy(at + sizeof(h) + key.size(), val.data(), val.size());
    g_jr->total.store(total + len, std::memory_order_release);
    return true;
}

// Checks that <key> (and <val>, for maps) parse for every list of <r>.
bool validate(const pat_ref& r, std::string_view key, const std::string_view* val,
              std::string& err)
{
    for (const pattern_list* l : r.lists) {
        pattern p;
        if (!pattern_parse(*l, key, "", p, err))
            return false;
        if (val && l->out_type && !pattern_parse_value(l->out_type, *val, p, err))
            return false;
    }
    return true;
}

bool read_file(pat_ref& r, std::string& err)
{
    return pattern_file_read(r.file, r.kv, [&](int n, std::string_view key, std::string_view val) {
        add_elt(r, 0, key, val, n);
        return true;
    }, err);
}

pat_ref* find_ref(const std::string& spec, bool map)
{
    if (spec.size() > 1 && spec[0] == '#') {
        char* end;
        unsigned long v = strtoul(spec.c_str() + 1, &end, 10);
        if (*end || v >= g_refs.size())
            return nullptr;
        pat_ref* r = g_refs[v].get();
        return (map ? r->is_map : r->is_acl) ? r : nullptr;
    }
    for (auto& r : g_refs)
        if (r->file == spec && (map ? r->is_map : r->is_acl))
            return r.get();
    return nullptr;
}

std::string unknown(bool map)
{
    return map ? "Unknown map identifier. Please use #<id> or <file>.\n"
               : "Unknown ACL identifier. Please use #<id> or <file>.\n";
}

// "#0x55...": an entry id.
bool parse_id(const std::string& w, uint64_t& id)
{
    if (w.size() < 2 || w[0] != '#')
        return false;
    char* end;
    id = strtoull(w.c_str() + 1, &end, 16);
    return *end == '\0';
}

// "@<ver>" before the reference: true with ver set, and <i> moved past it.
bool parse_ver(const std::vector<std::string>& a, size_t& i, bool& has, uint32_t& ver)
{
    has = false;
    if (i < a.size() && !a[i].empty() && a[i][0] == '@') {
        char* end;
        unsigned long v = strtoul(a[i].c_str() + 1, &end, 10);
        if (*end || a[i].size() < 2)
            return false;
        ver = (uint32_t)v;
        has = true;
        i++;
    }
    return true;
}

// HAProxy's range check: <ver> is the current version or a prepared one.
bool ver_ok(const pat_ref& r, uint32_t ver)
{
    return (uint32_t)(ver - r.curr_ver) <= (uint32_t)(r.next_ver - r.curr_ver);
}

const char* val_type_name(uint32_t t)
{
    switch (t) {
    case PTC_SMP_SINT:
        return "sint";
    case PTC_SMP_IPV4:
        return "ipv4";
    case PTC_SMP_IPV6:
        return "ipv6";
    default:
        return "str";
    }
}

std::string quoted(std::string_view s)
{
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            o += '\\';
        o += c;
    }
    return o + "\"";
}

} // namespace

void patref_sync()
{
    if (!g_jr)
        return;
    uint64_t base, total;
    do { // a consistent pair (a reuse needs this process caught up: it cannot happen
         // while this process applies)
        base = g_jr->base.load(std::memory_order_acquire);
        total = g_jr->total.load(std::memory_order_acquire);
    } while (base != g_jr->base.load(std::memory_order_acquire));
    if (g_patref_off < base) [[unlikely]]
        g_patref_off = base; // cannot happen: every process is caught up before a reuse
    while (g_patref_off < total) {
        jr_entry h;
        const char* at = jr_data() + (g_patref_off - base);
        std::memcpy(&h, at, sizeof(h));
        if (h.ref < g_refs.size())
            apply(*g_refs[h.ref], (op)h.op, h.ver, h.id,
                  std::string_view(at + sizeof(h), h.klen),
                  std::string_view(at + sizeof(h) + h.klen, h.vlen));
        g_patref_off += h.len;
    }
    g_jr->pos[g_slot].store(g_patref_off, std::memory_order_release);
}

void patref_worker_turn()
{
    patref_check(); // woken to catch up (journal reuse)
}

int patref_master_turn(int tmo)
{
    if (!g_jr)
        return tmo;
    patref_check();
    g_jr->pos[k_jr_master].store(g_patref_off, std::memory_order_release);
    // once anything was journaled, the master catches up every second (the journal is
    // reused only when every process applied it)
    if (g_jr->total.load(std::memory_order_relaxed) != 0)
        tmo = tmo < 0 ? 1000 : std::min(tmo, 1000);
    return tmo;
}

void patref_fork_slot(int slot)
{
    if (!g_jr)
        return;
    if (slot >= 0 && slot < (int)k_shm_max_workers) {
        // the worker about to be forked starts from what the master applied: that is its
        // position, not what a previous worker of the slot applied
        g_slot = (uint32_t)slot;
        patref_sync();
        g_jr->pos[g_slot].store(g_patref_off, std::memory_order_release);
    } else {
        g_slot = k_jr_master;
        g_jr->pos[g_slot].store(g_patref_off, std::memory_order_release);
    }
}

void patref_shm_init()
{
    if (g_jr)
        return;
    size_t size = k_jr_size;
    // tests: a small journal, to exercise its reuse
    if (const char* e = getenv("PORTICO_TEST_PATREF_JOURNAL"))
        size = std::clamp<size_t>(strtoull(e, nullptr, 10), 4096, k_jr_size);
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return;
    g_jr = static_cast<jr_head*>(mem);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&g_jr->lock, &a);
    pthread_mutexattr_destroy(&a);
    new (&g_jr->total) std::atomic<uint64_t>(0);
    new (&g_jr->base) std::atomic<uint64_t>(0);
    for (auto& p : g_jr->pos)
        new (&p) std::atomic<uint64_t>(0);
    g_jr->cap = size - k_jr_data;
    g_patref_off = 0;
    g_patref_end = reinterpret_cast<const volatile uint64_t*>(&g_jr->total);
}

bool patref_attach(pattern_list& l, const std::string& path, bool kv, bool map_user,
                   const char* what, const char* file, int line, std::string& err)
{
    pat_ref* r = nullptr;
    for (auto& x : g_refs)
        if (x->file == path && x->kv == kv) // a file read whole lines is another reference
            r = x.get();
    if (!r) {
        g_refs.push_back(std::make_unique<pat_ref>());
        r = g_refs.back().get();
        r->idx = (uint32_t)(g_refs.size() - 1);
        r->file = path;
        r->kv = kv;
        if (!read_file(*r, err)) {
            g_refs.pop_back();
            return false;
        }
    }
    (map_user ? r->is_map : r->is_acl) = true;
    r->users += std::string(r->users.empty() ? "used by " : ", by ") + what + " at file '" +
                (file ? file : "") + "' line " + std::to_string(line);
    l.ref = r;
    // every list of a reference holds its current entries at the same positions
    uint32_t pos = 0;
    for (auto& [id, e] : r->elts) {
        if (e.ver != r->curr_ver)
            continue;
        pattern p;
        if (!pattern_parse(l, e.key, "", p, err) ||
            (l.out_type && !pattern_parse_value(l.out_type, e.val, p, err))) {
            err = path + ":" + std::to_string(e.line) + ": " + err;
            l.ref = nullptr;
            return false;
        }
        while (l.pats.size() < e.pos) { // entries deleted before this list came
            pattern d;
            d.dead = true;
            pattern_push(l, std::move(d));
        }
        pattern_push(l, std::move(p));
        pos = e.pos + 1;
    }
    while (l.pats.size() < r->npos) {
        pattern d;
        d.dead = true;
        pattern_push(l, std::move(d));
    }
    (void)pos;
    r->lists.push_back(&l);
    return true;
}

// ---- actions ---------------------------------------------------------------------------------

pat_ref* patref_find_file(const std::string& path)
{
    for (auto& r : g_refs)
        if (r->file == path)
            return r.get();
    return nullptr;
}

void patref_change(pat_ref* r, op o, std::string_view key, std::string_view val)
{
    if (!r)
        return;
    jr_guard g;
    std::string err;
    std::string_view* v = (o == op::set_or_add) ? &val : nullptr;
    if (o != op::del_key && !validate(*r, key, v, err))
        return; // HAProxy ignores an entry it cannot parse
    journal(*r, o, o == op::add ? r->curr_ver : 0, 0, key, val, err);
}

int host_pattern_change(ptc_str file, uint32_t o, ptc_str key, ptc_str value)
{
    pat_ref* r = patref_find_file(std::string(file.ptr, file.len));
    if (!r)
        return 0;
    op w = o == PTC_PAT_ADD_ACL ? op::add_absent : o == PTC_PAT_SET_MAP ? op::set_or_add
                                                                           : op::del_key;
    patref_change(r, w, std::string_view(key.ptr, key.len),
                  std::string_view(value.ptr, value.len));
    return 1;
}

// ---- runtime API ----------------------------------------------------------------------------

std::string patref_cli(const std::vector<std::string>& a, bool has_payload)
{
    // a[0]: verb, a[1]: "map" or "acl"
    const std::string& verb = a[0];
    const bool map = a[1] == "map";
    size_t i = 2;
    bool has_ver = false;
    uint32_t ver = 0;
    if (verb == "show") {
        if (i >= a.size()) {
            std::string o = "# id (file) description\n";
            for (auto& r : g_refs) {
                if (!(map ? r->is_map : r->is_acl))
                    continue;
                jr_guard g;
                o += std::to_string(r->idx) + " (" + r->file + ") pattern loaded from file '" +
                     r->file + "' " + r->users + ". curr_ver=" + std::to_string(r->curr_ver) +
                     " next_ver=" + std::to_string(r->next_ver) +
                     " entry_cnt=" + std::to_string(r->elts.size()) + "\n";
            }
            return o;
        }
    }
    if (verb == "show" || verb == "add" || verb == "clear")
        if (!parse_ver(a, i, has_ver, ver))
            return unknown(map);
    if (i >= a.size()) {
        if (verb == "show" || verb == "clear" || verb == "prepare")
            return unknown(map);
        if (verb == "add")
            return map ? "'add map' expects three parameters (map identifier, key and value) "
                         "or one parameter (map identifier) and a payload\n"
                       : "'add acl' expects two parameters: ACL identifier and pattern.\n";
        if (verb == "commit")
            return map ? "'commit map' expects a map identifier and a version.\n"
                       : "'commit acl' expects an ACL identifier and a version.\n";
        if (verb == "get")
            return map ? "Missing map identifier and/or key.\n"
                       : "Missing ACL identifier and/or key.\n";
        if (verb == "del")
            return map ? "This command expects two parameters: map identifier and key.\n"
                       : "This command expects two parameters: ACL identifier and key.\n";
        return map ? "'set map' expects three parameters: map identifier, key and value.\n"
                   : "Unknown command.\n";
    }
    if (verb == "commit") {
        // "commit map @<ver> <map>"
        if (!parse_ver(a, i, has_ver, ver) || !has_ver || i >= a.size())
            return map ? "'commit map' expects a map identifier and a version.\n"
                       : "'commit acl' expects an ACL identifier and a version.\n";
    }
    jr_guard g;
    pat_ref* r = find_ref(a[i], map);
    if (!r)
        return unknown(map);
    i++;
    std::string err;
    if (verb == "show") {
        uint32_t v = has_ver ? ver : r->curr_ver;
        std::string o;
        char b[32];
        for (auto& [id, e] : r->elts) {
            if (e.ver != v)
                continue;
            snprintf(b, sizeof(b), "0x%llx ", (unsigned long long)id);
            o += b;
            o += e.key;
            if (map) {
                o += ' ';
                o += e.val;
            }
            o += '\n';
        }
        return o;
    }
    if (verb == "get") {
        if (i >= a.size())
            return map ? "Missing map identifier and/or key.\n"
                       : "Missing ACL identifier and/or key.\n";
        std::string o;
        for (pattern_list* l : r->lists) {
            ptc_sample s{};
            s.type = PTC_SMP_STR;
            s.u.str = ptc_str{a[i].data(), a[i].size()};
            const pattern* p = pattern_match(*l, &s);
            bool tree = l->m == match::str || l->m == match::ip ||
                        (l->m == match::beg && !l->icase);
            o += std::string("type=") + match_name(l->m) +
                 ", case=" + (l->icase ? "insensitive" : "sensitive") +
                 (map ? ", found=" : ", match=") + (p ? "yes" : "no");
            if (p) {
                o += std::string(", idx=") + (tree ? "tree" : "list");
                // the entry behind the pattern
                uint64_t pos = (uint64_t)(p - &l->pats[0]);
                for (size_t k = 0; k < l->pats.size(); k++)
                    if (&l->pats[k] == p)
                        pos = k;
                for (auto& [id, e] : r->elts)
                    if (e.pos == pos) {
                        o += (map ? ", key=" : ", pattern=") + quoted(e.key);
                        break;
                    }
                if (map && l->out_type)
                    o += ", value=" + quoted(p->value_str) + ", type=\"" +
                         val_type_name(p->value.type) + "\"";
                else if (map)
                    o += ", value=none"; // an ACL's list: no value
            }
            o += "\n";
        }
        return o;
    }
    if (verb == "add") {
        if (has_ver && !ver_ok(*r, ver))
            return "Version number out of range.\n";
        uint32_t v = has_ver ? ver : r->curr_ver;
        std::vector<std::pair<std::string, std::string>> items;
        if (i + 1 == a.size() && has_payload) {
            // "<<" payload (the last word): one entry per line
            const std::string& payload = a[i];
            size_t b = 0;
            while (b < payload.size()) {
                size_t e = payload.find('\n', b);
                if (e == std::string::npos)
                    e = payload.size();
                std::string ln = payload.substr(b, e - b);
                b = e + 1;
                size_t s = 0;
                while (s < ln.size() && (ln[s] == ' ' || ln[s] == '\t'))
                    s++;
                if (s == ln.size())
                    continue;
                if (!map) {
                    items.emplace_back(ln.substr(s), "");
                    continue;
                }
                size_t k = ln.find_first_of(" \t", s);
                if (k == std::string::npos)
                    return "unable to parse key\n"; // HAProxy: a key without value
                size_t vb = ln.find_first_not_of(" \t", k);
                items.emplace_back(ln.substr(s, k - s),
                                   vb == std::string::npos ? "" : ln.substr(vb));
            }
        } else if (map && i + 2 == a.size()) {
            items.emplace_back(a[i], a[i + 1]);
        } else if (!map && i + 1 == a.size()) {
            items.emplace_back(a[i], "");
        } else {
            return map ? "'add map' expects three parameters (map identifier, key and value) "
                         "or one parameter (map identifier) and a payload\n"
                       : "'add acl' expects two parameters: ACL identifier and pattern.\n";
        }
        for (auto& [k, val] : items) {
            std::string_view vv = val;
            if (!validate(*r, k, map ? &vv : nullptr, err))
                return err + ".\n";
            if (!journal(*r, op::add, v, 0, k, val, err))
                return err + "\n";
        }
        return std::string();
    }
    if (verb == "del") {
        if (i >= a.size())
            return map ? "This command expects two parameters: map identifier and key.\n"
                       : "This command expects two parameters: ACL identifier and key.\n";
        uint64_t id;
        if (parse_id(a[i], id)) {
            auto it = r->elts.find(id);
            if (it == r->elts.end())
                return "Key not found.\n";
            journal(*r, op::del_id, 0, id, "", "", err);
            return std::string();
        }
        if (curr_with_key(*r, a[i]).empty())
            return "Key not found.\n";
        journal(*r, op::del_key, 0, 0, a[i], "", err);
        return std::string();
    }
    if (verb == "set") {
        if (i + 2 != a.size())
            return "'set map' expects three parameters: map identifier, key and value.\n";
        std::string_view vv = a[i + 1];
        for (pattern_list* l : r->lists) {
            pattern p;
            if (l->out_type && !pattern_parse_value(l->out_type, vv, p, err))
                return err + ".\n";
        }
        uint64_t id;
        if (parse_id(a[i], id)) {
            auto it = r->elts.find(id);
            if (it == r->elts.end())
                return "key or pattern not found.\n";
            journal(*r, op::set_id, 0, id, "", vv, err);
            return std::string();
        }
        if (curr_with_key(*r, a[i]).empty())
            return "entry not found.\n";
        journal(*r, op::set_key, 0, 0, a[i], vv, err);
        return std::string();
    }
    if (verb == "clear") {
        uint32_t v = has_ver ? ver : r->curr_ver;
        if (has_ver && !ver_ok(*r, ver))
            return "Version number out of range.\n";
        journal(*r, op::clear, v, 0, "", "", err);
        return std::string();
    }
    if (verb == "prepare") {
        uint32_t v = r->next_ver + 1;
        journal(*r, op::prepare, 0, 0, "", "", err);
        return "New version created: " + std::to_string(v) + "\n";
    }
    if (verb == "commit") {
        if ((uint32_t)(r->next_ver - ver) >= (uint32_t)(r->next_ver - r->curr_ver))
            return "Version number out of range.\n";
        journal(*r, op::commit, ver, 0, "", "", err);
        return std::string();
    }
    return "Unknown command.\n";
}

} // namespace smp
} // namespace portico
