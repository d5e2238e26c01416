// SPDX-License-Identifier: MIT
// The module loader: dlopen, ABI checks (magic, major, minor, sizes), table copies, APIs.
#include "module/module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

#include "autoconf.h"
#include "proxy/proxy.hpp"
#include "sample/registry.hpp"

namespace portico {

module_set g_modules;

const char* const k_standard_modules[] = {"tcp", "http", "proxy_protocol", "ssl", "stick",
                                          "check", "slowstart", "lua", nullptr};

std::string host_abi_range()
{
    std::string r = std::to_string(PTC_ABI_MAJOR) + ".0";
    if (PTC_ABI_MINOR > 0)
        r += "-" + std::to_string(PTC_ABI_MAJOR) + "." + std::to_string(PTC_ABI_MINOR);
    return r;
}

// Copies `count` entries of `entry_size` bytes into a vector of T, zero-extending
// entries from older minors (entry_size >= the 1.0 size was checked).
template <typename T>
static std::vector<T> copy_table(const void* base, uint32_t count, uint32_t entry_size)
{
    std::vector<T> v(count);
    const char* p = static_cast<const char*>(base);
    size_t n = entry_size < sizeof(T) ? entry_size : sizeof(T);
    for (uint32_t i = 0; i < count; i++) {
        T e{};
        std::memcpy(&e, p + (size_t)i * entry_size, n);
        v[i] = e;
    }
    return v;
}

bool check_descriptor(const ptc_module* d, const std::string& what, module_rec& out,
                      std::string& err)
{
    if (!d) {
        err = "module " + what + " refused to load (its entry returned NULL)";
        return false;
    }
    if (d->magic != PTC_MODULE_MAGIC) {
        err = "module " + what + " is not a portico module (bad descriptor magic)";
        return false;
    }
    std::string need = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
    if (d->abi_major != PTC_ABI_MAJOR || d->abi_minor > PTC_ABI_MINOR) {
        err = "module " + what + " needs ABI " + need + ", this portico provides " +
              host_abi_range();
        return false;
    }
    if (d->size < k_min_module_size) {
        err = "module " + what + " has a truncated descriptor (" + std::to_string(d->size) +
              " bytes, ABI " + need + " needs at least " + std::to_string(k_min_module_size) +
              ")";
        return false;
    }
    std::memset(&out.desc, 0, sizeof(out.desc));
    std::memcpy(&out.desc, d, d->size < sizeof(ptc_module) ? d->size : sizeof(ptc_module));
    const ptc_module& m = out.desc;
    if (!m.name || !*m.name) {
        err = "module " + what + " has no name";
        return false;
    }
    for (const char* c = m.name; *c; c++) {
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-')) {
            err = "module " + what + " has an invalid name '" + m.name + "'";
            return false;
        }
    }
    struct tab {
        const void* p;
        uint32_t count, size, min;
        const char* kind;
    } tabs[] = {
        {m.keywords, m.keyword_count, m.keyword_size, k_min_keyword_size, "keyword"},
        {m.hooks, m.hook_count, m.hook_size, k_min_hook_size, "hook"},
        {m.protos, m.proto_count, m.proto_size, k_min_proto_size, "protocol"},
        {m.fetches, m.fetch_count, m.fetch_size, k_min_fetch_size, "fetch"},
        {m.convs, m.conv_count, m.conv_size, k_min_conv_size, "converter"},
        {m.actions, m.action_count, m.action_size, k_min_action_size, "action"},
    };
    for (const tab& t : tabs) {
        if (t.count && (!t.p || t.size < t.min)) {
            err = "module " + what + " has an invalid " + t.kind + " table (entry size " +
                  std::to_string(t.size) + ", at least " + std::to_string(t.min) + " expected)";
            return false;
        }
    }
    out.name = m.name;
    out.keywords = copy_table<ptc_keyword>(m.keywords, m.keyword_count, m.keyword_size);
    out.hooks = copy_table<ptc_hook>(m.hooks, m.hook_count, m.hook_size);
    out.protos = copy_table<ptc_proto>(m.protos, m.proto_count, m.proto_size);
    out.fetches = copy_table<ptc_fetch>(m.fetches, m.fetch_count, m.fetch_size);
    out.convs = copy_table<ptc_conv>(m.convs, m.conv_count, m.conv_size);
    out.actions = copy_table<ptc_action>(m.actions, m.action_count, m.action_size);
    for (const ptc_fetch& f : out.fetches)
        if (!f.name || !f.fn) {
            err = "module " + what + " registers an invalid fetch";
            return false;
        }
    for (const ptc_conv& c : out.convs)
        if (!c.name || !c.fn) {
            err = "module " + what + " registers an invalid converter";
            return false;
        }
    for (const ptc_action& a : out.actions)
        if (!a.name || !a.parse || !a.exec || a.ruleset < 1 || a.ruleset > PTC_RULES_MAX) {
            err = "module " + what + " registers an invalid action";
            return false;
        }
    // 1.3: feature words ("OPENSSL LUA"), for -vv and ".if feature()"
    out.features.clear();
    if (m.features) {
        std::string w;
        for (const char* c = m.features;; c++) {
            if (*c == ' ' || *c == '\t' || !*c) {
                if (!w.empty())
                    out.features.push_back(w);
                w.clear();
                if (!*c)
                    break;
                continue;
            }
            if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.') ||
                w.size() >= 64) {
                err = "module " + what + " declares invalid features '" + m.features +
                      "' (expected space-separated words of letters, digits, '_', '-', '.')";
                return false;
            }
            w += *c;
        }
    }
    for (const ptc_keyword& k : out.keywords) {
        if (!k.name || !*k.name) {
            err = "module " + what + " registers a keyword without a name";
            return false;
        }
        if ((k.where & (PTC_KW_SERVER | PTC_KW_DEFSERVER | PTC_KW_BIND)) &&
            k.min_args != k.max_args) {
            err = "module " + what + ": option '" + k.name +
                  "' must take a fixed number of arguments";
            return false;
        }
    }
    for (const ptc_hook& h : out.hooks) {
        if (!h.fn || h.phase < PTC_PHASE_ACCEPT || h.phase > PTC_PHASE_MAX) {
            err = "module " + what + " registers an invalid hook";
            return false;
        }
    }
    for (const ptc_proto& p : out.protos) {
        if (!p.name || !p.on_event) {
            err = "module " + what + " registers an invalid protocol handler";
            return false;
        }
    }
    return true;
}

module_rec* module_set::load(const std::string& path, std::string& err)
{
    void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char* e = dlerror();
        err = "cannot load module " + path + ": " + (e ? e : "unknown error");
        return nullptr;
    }
    auto entry = reinterpret_cast<ptc_module_entry_fn>(dlsym(dl, PTC_MODULE_ENTRY_NAME));
    if (!entry) {
        err = "cannot load module " + path + ": no " PTC_MODULE_ENTRY_NAME " symbol";
        dlclose(dl);
        return nullptr;
    }
    std::string what = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    auto rec = std::make_unique<module_rec>();
    if (!check_descriptor(entry(&g_host), what, *rec, err)) {
        dlclose(dl);
        return nullptr;
    }
    if (find(rec->name)) {
        err = "module " + what + ": a module named '" + rec->name + "' is already loaded (from " +
              find(rec->name)->path + ")";
        dlclose(dl);
        return nullptr;
    }
    rec->dl = dl;
    rec->path = path;
    if (!smp::registry_add_module(rec.get(), err)) {
        dlclose(dl);
        return nullptr;
    }
    rec->index = (uint32_t)mods_.size();
    mods_.push_back(std::move(rec));
    return mods_.back().get();
}

module_rec* module_set::add_builtin(const std::string& name, const ptc_module* desc)
{
    auto rec = std::make_unique<module_rec>();
    std::string err;
    if (!check_descriptor(desc, name, *rec, err) || !smp::registry_add_module(rec.get(), err))
        return nullptr;
    rec->index = (uint32_t)mods_.size();
    mods_.push_back(std::move(rec));
    return mods_.back().get();
}

module_rec* module_set::find(const std::string& name) const
{
    for (auto& m : mods_)
        if (m->name == name)
            return m.get();
    return nullptr;
}

int module_set::publish(module_rec* m, const char* name, uint32_t version, const void* api)
{
    if (!name || !api || apis_.count(name))
        return PTC_ERROR;
    apis_[name] = api_rec{m, version, api};
    return PTC_OK;
}

const void* module_set::lookup(const char* name, uint32_t min_version, uint32_t* version) const
{
    auto it = apis_.find(name ? name : "");
    if (it == apis_.end() || it->second.version < min_version)
        return nullptr;
    if (version)
        *version = it->second.version;
    return it->second.api;
}

std::vector<std::string> default_module_dirs()
{
    std::vector<std::string> dirs;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        std::string d(exe);
        d = d.substr(0, d.rfind('/'));
        dirs.push_back(d + "/modules");
    }
    dirs.push_back(PTC_MODULE_DIR);
    return dirs;
}

void* conf_blob(conf_blobs& b, module_rec* m, uint32_t kind)
{
    uint32_t size = kind == PTC_CONF_GLOBAL  ? m->desc.global_conf_size
                    : kind == PTC_CONF_PROXY ? m->desc.proxy_conf_size
                    : kind == PTC_CONF_BIND  ? m->desc.bind_conf_size
                                             : m->desc.server_conf_size;
    if (!size)
        return nullptr;
    if (b.blobs.size() <= m->index)
        b.blobs.resize(m->index + 1, nullptr);
    if (!b.blobs[m->index]) {
        void* p = std::calloc(1, size);
        if (!p)
            throw std::bad_alloc();
        if (m->desc.conf_init)
            m->desc.conf_init(to_handle(m), kind, p);
        b.blobs[m->index] = p;
    }
    return b.blobs[m->index];
}

void conf_blobs_copy(conf_blobs& dst, const conf_blobs& src, uint32_t kind)
{
    for (auto& m : g_modules.all()) {
        void* s = m->index < src.blobs.size() ? src.blobs[m->index] : nullptr;
        if (!s)
            continue;
        void* d = conf_blob(dst, m.get(), kind);
        uint32_t size = kind == PTC_CONF_PROXY ? m->desc.proxy_conf_size : m->desc.server_conf_size;
        if (m->desc.conf_copy)
            m->desc.conf_copy(to_handle(m.get()), kind, d, s);
        else
            std::memcpy(d, s, size);
    }
}

} // namespace portico
