// SPDX-License-Identifier: MIT
// The registry of fetches, converters and actions: descriptor tables and run-time
// registrations (ABI 1.3) in one place, with owners and private pointers; exact and
// prefix action names; placeholders for HAProxy actions portico does not run yet.
#include "sample/registry.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>

#include "module/module.hpp"
#include "sample/sample.hpp"
#include "sample/sample_host.hpp"
#include "sample/wire.hpp"
#include "util/diag.hpp"

namespace portico {
namespace smp {

namespace {

// Actions HAProxy 2.6 has per rule set, to tell "not supported yet" from "unknown". They
// are registry placeholders: any supported entry of the same name (or prefix, "lua.")
// shadows them.
const char* const k_haproxy_http_req[] = {
    "add-acl", "add-header", "allow", "auth", "cache-use", "capture", "del-acl", "del-header",
    "del-map", "deny", "disable-l7-retry", "do-resolve", "early-hint", "normalize-uri",
    "redirect", "reject", "replace-header", "replace-path", "replace-pathq", "replace-uri",
    "replace-value", "return", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt",
    "sc-set-gpt0", "set-dst", "set-dst-port", "set-header", "set-log-level", "set-map",
    "set-mark", "set-method", "set-nice", "set-path", "set-pathq", "set-priority-class",
    "set-priority-offset", "set-query", "set-src", "set-src-port", "set-timeout", "set-tos",
    "set-uri", "set-var", "set-var-fmt", "send-spoe-group", "silent-drop", "strict-mode",
    "tarpit", "track-sc0", "track-sc1", "track-sc2", "unset-var", "use-service",
    "wait-for-body", "wait-for-handshake", "lua.", nullptr};
const char* const k_haproxy_http_res[] = {
    "add-acl", "add-header", "allow", "cache-store", "capture", "del-acl", "del-header",
    "del-map", "deny", "redirect", "replace-header", "replace-value", "return", "sc-inc-gpc",
    "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt", "sc-set-gpt0", "send-spoe-group",
    "set-header", "set-log-level", "set-map", "set-mark", "set-nice", "set-status", "set-tos",
    "set-var", "set-var-fmt", "silent-drop", "strict-mode", "track-sc0", "track-sc1",
    "track-sc2", "unset-var", "wait-for-body", "lua.", nullptr};
const char* const k_haproxy_http_after[] = {
    "add-header", "allow", "capture", "del-header", "replace-header", "replace-value",
    "set-header", "set-status", "set-var", "set-var-fmt", "strict-mode", "unset-var", nullptr};
const char* const k_haproxy_tcp_conn[] = {
    "accept", "expect-netscaler-cip", "expect-proxy", "reject", "sc-inc-gpc", "sc-inc-gpc0",
    "sc-inc-gpc1", "sc-set-gpt", "sc-set-gpt0", "set-dst", "set-dst-port", "set-mark",
    "set-src", "set-src-port", "set-tos", "set-var", "set-var-fmt", "silent-drop",
    "track-sc0", "track-sc1", "track-sc2", "unset-var", "lua.", nullptr};
const char* const k_haproxy_tcp_content[] = {
    "accept", "capture", "do-resolve", "reject", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1",
    "sc-set-gpt", "sc-set-gpt0", "send-spoe-group", "set-dst", "set-dst-port",
    "set-log-level", "set-mark", "set-nice", "set-priority-class", "set-priority-offset",
    "set-src", "set-src-port", "set-tos", "set-var", "set-var-fmt", "silent-drop",
    "switch-mode", "track-sc0", "track-sc1", "track-sc2", "unset-var", "use-service", "lua.",
    nullptr};
const char* const k_haproxy_tcp_sess[] = {
    "accept", "reject", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt",
    "sc-set-gpt0", "set-dst", "set-dst-port", "set-mark", "set-src", "set-src-port", "set-tos",
    "set-var", "set-var-fmt", "silent-drop", "track-sc0", "track-sc1", "track-sc2",
    "unset-var", nullptr};
const char* const k_haproxy_tcp_res[] = {
    "accept", "close", "reject", "sc-inc-gpc", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt",
    "sc-set-gpt0", "send-spoe-group", "set-log-level", "set-mark", "set-nice", "set-tos",
    "set-var", "set-var-fmt", "silent-drop", "unset-var", "lua.", nullptr};

const char* const* haproxy_actions(uint32_t rs)
{
    switch (rs) {
    case PTC_RULES_TCP_REQ_CONN:
        return k_haproxy_tcp_conn;
    case PTC_RULES_TCP_REQ_CONTENT:
        return k_haproxy_tcp_content;
    case PTC_RULES_TCP_RES_CONTENT:
        return k_haproxy_tcp_res;
    case PTC_RULES_HTTP_REQ:
        return k_haproxy_http_req;
    case PTC_RULES_HTTP_RES:
        return k_haproxy_http_res;
    case PTC_RULES_TCP_REQ_SESS:
        return k_haproxy_tcp_sess;
    default:
        return k_haproxy_http_after;
    }
}

using name_map = std::map<std::string, void*, std::less<>>;

// Actions of one rule set: exact names and prefixes (longest first), for supported entries
// and for placeholders.
struct action_set {
    std::map<std::string, action_entry*, std::less<>> exact, ph_exact;
    std::vector<action_entry*> prefixes, ph_prefixes;
};

struct registry {
    std::deque<fetch_entry> fetches;  // stable addresses: compiled expressions point here
    std::deque<conv_entry> convs;
    std::deque<action_entry> actions;
    std::map<std::string, fetch_entry*, std::less<>> fetch_by_name;
    std::map<std::string, conv_entry*, std::less<>> conv_by_name;
    action_set sets[PTC_RULES_MAX + 1];
    bool open = true;

    registry();
    void add_action(const action_entry& e);
};

bool is_prefix_name(const char* n)
{
    size_t l = std::strlen(n);
    return l > 1 && n[l - 1] == '.';
}

void insert_prefix(std::vector<action_entry*>& v, action_entry* e)
{
    v.push_back(e);
    std::stable_sort(v.begin(), v.end(), [](const action_entry* a, const action_entry* b) {
        return std::strlen(a->a.name) > std::strlen(b->a.name);
    });
}

void registry::add_action(const action_entry& e)
{
    actions.push_back(e);
    action_entry* p = &actions.back();
    action_set& s = sets[p->a.ruleset];
    if (p->prefix)
        insert_prefix(p->supported ? s.prefixes : s.ph_prefixes, p);
    else
        (p->supported ? s.exact : s.ph_exact)[p->a.name] = p;
}

registry::registry()
{
    for (uint32_t i = 0; i < k_core_fetch_count; i++) {
        fetches.push_back(fetch_entry{k_core_fetches[i], nullptr, nullptr, nullptr});
        fetch_by_name[k_core_fetches[i].name] = &fetches.back();
    }
    for (uint32_t i = 0; i < k_core_conv_count; i++) {
        convs.push_back(conv_entry{k_core_convs[i], nullptr, nullptr, nullptr});
        conv_by_name[k_core_convs[i].name] = &convs.back();
    }
    for (uint32_t i = 0; i < k_ext_fetch_count; i++) {
        fetches.push_back(fetch_entry{k_ext_fetches[i], nullptr, nullptr, nullptr});
        fetch_by_name[k_ext_fetches[i].name] = &fetches.back();
    }
    for (uint32_t i = 0; i < k_ext_conv_count; i++) {
        convs.push_back(conv_entry{k_ext_convs[i], nullptr, nullptr, nullptr});
        conv_by_name[k_ext_convs[i].name] = &convs.back();
    }
    for (uint32_t i = 0; i < k_wire_conv_count; i++) {
        convs.push_back(conv_entry{k_wire_convs[i], nullptr, nullptr, nullptr});
        conv_by_name[k_wire_convs[i].name] = &convs.back();
    }
    for (uint32_t i = 0; i < k_core_action_count; i++)
        add_action(action_entry{k_core_actions[i], nullptr, nullptr, nullptr,
                                is_prefix_name(k_core_actions[i].name), true});
    for (uint32_t rs = 1; rs <= PTC_RULES_MAX; rs++)
        for (const char* const* h = haproxy_actions(rs); *h; h++) {
            action_entry e;
            e.a.ruleset = rs;
            e.a.name = *h;
            e.prefix = is_prefix_name(*h);
            e.supported = false;
            add_action(e);
        }
}

registry& reg()
{
    static registry r;
    return r;
}

std::string owner_name(const module_rec* m) { return m ? m->name : std::string("core"); }

bool valid_sample_name(const char* n)
{
    if (!n || !*n)
        return false;
    for (const char* c = n; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

bool valid_action_name(const char* n)
{
    if (!n || !*n || *n == '.')
        return false;
    for (const char* c = n; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

const char* ruleset_name(uint32_t rs)
{
    switch (rs) {
    case PTC_RULES_TCP_REQ_CONN:
        return "tcp-request connection";
    case PTC_RULES_TCP_REQ_CONTENT:
        return "tcp-request content";
    case PTC_RULES_TCP_REQ_SESS:
        return "tcp-request session";
    case PTC_RULES_TCP_RES_CONTENT:
        return "tcp-response content";
    case PTC_RULES_HTTP_REQ:
        return "http-request";
    case PTC_RULES_HTTP_RES:
        return "http-response";
    default:
        return "http-after-response";
    }
}

bool check_fetch(const ptc_fetch& f, bool has_priv, std::string& err)
{
    if (!valid_sample_name(f.name)) {
        err = std::string("invalid fetch name '") + (f.name ? f.name : "") + "'";
        return false;
    }
    if (!f.fn && !has_priv) {
        err = std::string("fetch '") + f.name + "' has no function";
        return false;
    }
    if (f.min_args < 0 || (f.max_args >= 0 && f.max_args < f.min_args)) {
        err = std::string("fetch '") + f.name + "' has an invalid argument count";
        return false;
    }
    auto it = reg().fetch_by_name.find(std::string_view(f.name));
    if (it != reg().fetch_by_name.end()) {
        err = std::string("a fetch named '") + f.name + "' is already registered (by module " +
              owner_name(it->second->owner) + ")";
        return false;
    }
    return true;
}

bool check_conv(const ptc_conv& c, bool has_priv, std::string& err)
{
    if (!valid_sample_name(c.name)) {
        err = std::string("invalid converter name '") + (c.name ? c.name : "") + "'";
        return false;
    }
    if (!c.fn && !has_priv) {
        err = std::string("converter '") + c.name + "' has no function";
        return false;
    }
    if (c.min_args < 0 || (c.max_args >= 0 && c.max_args < c.min_args)) {
        err = std::string("converter '") + c.name + "' has an invalid argument count";
        return false;
    }
    auto it = reg().conv_by_name.find(std::string_view(c.name));
    if (it != reg().conv_by_name.end()) {
        err = std::string("a converter named '") + c.name +
              "' is already registered (by module " + owner_name(it->second->owner) + ")";
        return false;
    }
    return true;
}

const action_entry* supported_action(uint32_t rs, const char* name)
{
    const action_set& s = reg().sets[rs];
    auto it = s.exact.find(std::string_view(name));
    if (it != s.exact.end())
        return it->second;
    for (const action_entry* p : s.prefixes)
        if (std::strcmp(p->a.name, name) == 0)
            return p;
    return nullptr;
}

bool check_action(const ptc_action& a, bool has_priv, std::string& err)
{
    if (a.ruleset < 1 || a.ruleset > PTC_RULES_MAX) {
        err = "invalid rule set " + std::to_string(a.ruleset) + " for action '" +
              (a.name ? a.name : "") + "'";
        return false;
    }
    if (!valid_action_name(a.name)) {
        err = std::string("invalid action name '") + (a.name ? a.name : "") + "'";
        return false;
    }
    if ((!a.parse && !has_priv) || !a.exec) {
        err = std::string("action '") + a.name + "' has no parse or exec function";
        return false;
    }
    if (const action_entry* o = supported_action(a.ruleset, a.name)) {
        err = std::string("a '") + ruleset_name(a.ruleset) + "' action named '" + a.name +
              "' is already registered (by module " + owner_name(o->owner) + ")";
        return false;
    }
    return true;
}

bool closed(std::string& err)
{
    if (reg().open)
        return false;
    err = "too late: fetches, converters and actions can only be registered until the "
          "configuration is completely read";
    return true;
}

} // namespace

bool registry_add_module(module_rec* m, std::string& err)
{
    registry& r = reg();
    if (m->desc.fetches == k_core_fetches || m->desc.convs == k_core_convs ||
        m->desc.actions == k_core_actions) {
        // the core's tables are already in; name their owner
        for (fetch_entry& e : r.fetches)
            if (!e.owner)
                e.owner = m;
        for (conv_entry& e : r.convs)
            if (!e.owner)
                e.owner = m;
        for (action_entry& e : r.actions)
            if (!e.owner && e.supported)
                e.owner = m;
        return true;
    }
    // check everything first (duplicates within the module too), then add
    std::map<std::string, int> seen;
    for (const ptc_fetch& f : m->fetches)
        if (!check_fetch(f, false, err) || seen[std::string("f:") + f.name]++) {
            if (err.empty())
                err = std::string("fetch '") + f.name + "' is declared twice";
            err = "module " + m->name + ": " + err;
            return false;
        }
    for (const ptc_conv& c : m->convs)
        if (!check_conv(c, false, err) || seen[std::string("c:") + c.name]++) {
            if (err.empty())
                err = std::string("converter '") + c.name + "' is declared twice";
            err = "module " + m->name + ": " + err;
            return false;
        }
    for (const ptc_action& a : m->actions)
        if (!check_action(a, false, err) ||
            seen["a" + std::to_string(a.ruleset) + ":" + a.name]++) {
            if (err.empty())
                err = std::string("action '") + a.name + "' is declared twice";
            err = "module " + m->name + ": " + err;
            return false;
        }
    for (const ptc_fetch& f : m->fetches) {
        r.fetches.push_back(fetch_entry{f, nullptr, nullptr, m});
        r.fetch_by_name[f.name] = &r.fetches.back();
    }
    for (const ptc_conv& c : m->convs) {
        r.convs.push_back(conv_entry{c, nullptr, nullptr, m});
        r.conv_by_name[c.name] = &r.convs.back();
    }
    for (const ptc_action& a : m->actions)
        r.add_action(action_entry{a, nullptr, nullptr, m, is_prefix_name(a.name), true});
    return true;
}

bool register_fetch(module_rec* owner, const ptc_fetch& f, ptc_fetch_priv_fn fn, void* priv,
                    std::string& err)
{
    if (closed(err) || !check_fetch(f, fn != nullptr, err))
        return false;
    registry& r = reg();
    r.fetches.push_back(fetch_entry{f, fn, priv, owner});
    r.fetch_by_name[f.name] = &r.fetches.back();
    return true;
}

bool register_conv(module_rec* owner, const ptc_conv& c, ptc_conv_priv_fn fn, void* priv,
                   std::string& err)
{
    if (closed(err) || !check_conv(c, fn != nullptr, err))
        return false;
    registry& r = reg();
    r.convs.push_back(conv_entry{c, fn, priv, owner});
    r.conv_by_name[c.name] = &r.convs.back();
    return true;
}

bool register_action(module_rec* owner, const ptc_action& a, ptc_act_parse_priv_fn fn,
                     void* priv, std::string& err)
{
    if (closed(err) || !check_action(a, fn != nullptr, err))
        return false;
    reg().add_action(action_entry{a, fn, priv, owner, is_prefix_name(a.name), true});
    return true;
}

void registry_close() { reg().open = false; }
bool registry_open() { return reg().open; }

const fetch_entry* find_fetch_entry(std::string_view name)
{
    auto it = reg().fetch_by_name.find(name);
    return it == reg().fetch_by_name.end() ? nullptr : it->second;
}

const conv_entry* find_conv_entry(std::string_view name)
{
    auto it = reg().conv_by_name.find(name);
    return it == reg().conv_by_name.end() ? nullptr : it->second;
}

const action_entry* find_action_entry(uint32_t rs, std::string_view word)
{
    if (rs < 1 || rs > PTC_RULES_MAX)
        return nullptr;
    const action_set& s = reg().sets[rs];
    std::string_view base = word.substr(0, word.find('('));
    auto by_prefix = [&](const std::vector<action_entry*>& v) -> const action_entry* {
        for (const action_entry* p : v) {
            size_t n = std::strlen(p->a.name);
            if (word.size() > n && word.compare(0, n, p->a.name) == 0)
                return p;
        }
        return nullptr;
    };
    auto it = s.exact.find(base);
    if (it != s.exact.end())
        return it->second;
    if (const action_entry* p = by_prefix(s.prefixes))
        return p;
    auto ph = s.ph_exact.find(base);
    if (ph != s.ph_exact.end())
        return ph->second;
    return by_prefix(s.ph_prefixes);
}

std::vector<const fetch_entry*> all_fetches()
{
    std::vector<const fetch_entry*> v;
    for (auto& [n, e] : reg().fetch_by_name)
        v.push_back(e);
    return v;
}

std::vector<const conv_entry*> all_convs()
{
    std::vector<const conv_entry*> v;
    for (auto& [n, e] : reg().conv_by_name)
        v.push_back(e);
    return v;
}

std::string known_actions(uint32_t rs)
{
    if (rs < 1 || rs > PTC_RULES_MAX)
        return "none";
    const action_set& s = reg().sets[rs];
    std::vector<std::string> names;
    for (auto& [n, e] : s.exact)
        names.push_back(n);
    for (const action_entry* p : s.prefixes)
        names.push_back(std::string(p->a.name) + "<name>");
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

} // namespace smp

// ---- host table (1.3) --------------------------------------------------------------------------

namespace {

template <typename T> bool copy_entry(const T* src, uint32_t size, uint32_t min, T& out)
{
    if (!src || size < min)
        return false;
    std::memset(&out, 0, sizeof(out));
    std::memcpy(&out, src, size < sizeof(T) ? size : sizeof(T));
    return true;
}

int refuse(ptc_modref* self, const char* kind, const char* name, const std::string& err)
{
    module_rec* m = self ? to_module(self) : nullptr;
    PTC_ALERT("module %s: cannot register %s '%s': %s", m ? m->name.c_str() : "?", kind,
              name ? name : "", err.c_str());
    return PTC_ERROR;
}

} // namespace

int host_fetch_register(ptc_modref* self, const ptc_fetch* f, uint32_t size,
                        ptc_fetch_priv_fn fn, void* priv)
{
    ptc_fetch e;
    std::string err;
    if (!copy_entry(f, size, k_min_fetch_size, e))
        return refuse(self, "a fetch", f && size >= sizeof(const char*) ? f->name : "",
                      "invalid entry size " + std::to_string(size));
    if (!smp::register_fetch(self ? to_module(self) : nullptr, e, fn, priv, err))
        return refuse(self, "fetch", e.name, err);
    return PTC_OK;
}

int host_conv_register(ptc_modref* self, const ptc_conv* c, uint32_t size, ptc_conv_priv_fn fn,
                       void* priv)
{
    ptc_conv e;
    std::string err;
    if (!copy_entry(c, size, k_min_conv_size, e))
        return refuse(self, "a converter", c && size >= sizeof(const char*) ? c->name : "",
                      "invalid entry size " + std::to_string(size));
    if (!smp::register_conv(self ? to_module(self) : nullptr, e, fn, priv, err))
        return refuse(self, "converter", e.name, err);
    return PTC_OK;
}

int host_action_register(ptc_modref* self, const ptc_action* a, uint32_t size,
                         ptc_act_parse_priv_fn parse, void* priv)
{
    ptc_action e;
    std::string err;
    if (!copy_entry(a, size, k_min_action_size, e))
        return refuse(self, "an action", "", "invalid entry size " + std::to_string(size));
    if (!smp::register_action(self ? to_module(self) : nullptr, e, parse, priv, err))
        return refuse(self, "action", e.name, err);
    return PTC_OK;
}

} // namespace portico
