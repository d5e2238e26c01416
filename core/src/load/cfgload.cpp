// SPDX-License-Identifier: MIT
// The configuration loader: modules, keyword registries, section dispatch, defaults
// inheritance and the checks that follow parsing.
#include "load/cfgload.hpp"
#include "auth/userlist.hpp"
#include "proxy/errorfiles.hpp"
#include "proc/program.hpp"
#include "proc/server_state_file.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>

#include "autoconf.h"
#include "cfg/reader.hpp"
#include "cli/cli.hpp"
#include "log/log.hpp"
#include "module/module.hpp"
#include "load/core_keywords.hpp"
#include "stats/stats_page.hpp"
#include "stats/prometheus.hpp"
#include "sample/registry.hpp"
#include "sample/sample.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

cfg_loader* g_loader;

namespace {

std::deque<kw_def> g_defs; // stable addresses

const char* section_name(uint32_t bits)
{
    switch (bits) {
    case PTC_SEC_GLOBAL:
        return "global";
    case PTC_SEC_DEFAULTS:
        return "defaults";
    case PTC_SEC_FRONTEND:
        return "frontend";
    case PTC_SEC_BACKEND:
        return "backend";
    default:
        return "listen";
    }
}

} // namespace

cfg_loader::cfg_loader()
{
    env_.compat_version = k_haproxy_compat_version;
    env_.has_feature = has_feature; // the core's build features and the loaded modules'
    env_.is_enabled = [](std::string_view) { return false; };
    ctx_.srv_kws = &srv_kws;
    ctx_.bind_kws = &bind_kws;
    g_loader = this;
    g_cfg_ctx = &ctx_;
}

void cfg_loader::register_module(module_rec* m)
{
    for (const ptc_keyword& k : m->keywords) {
        g_defs.push_back(kw_def{&k, m});
        cfg::kw_entry e{k.name, k.where, m->name, &g_defs.back()};
        try {
            if (k.where & (PTC_KW_SERVER | PTC_KW_DEFSERVER))
                srv_kws.add(e);
            if (k.where & PTC_KW_BIND)
                bind_kws.add(e);
            if (k.where & (PTC_SEC_GLOBAL | PTC_SEC_PROXY | PTC_SEC_PEERS))
                kws_.add(e);
        } catch (const std::exception& ex) {
            error("module " + m->name + ": keyword '" + k.name + "' is already registered (" +
                  ex.what() + ")");
        }
    }
}

static bool file_exists(const std::string& p)
{
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

module_rec* cfg_loader::load_module(const std::string& spec, const std::string& file, int line)
{
    std::string path = spec;
    if (spec.find('/') == std::string::npos) {
        std::string name = spec;
        if (name.size() < 3 || name.compare(name.size() - 3, 3, ".so") != 0)
            name += ".so";
        path.clear();
        std::vector<std::string> dirs = module_paths;
        for (auto& d : default_module_dirs())
            dirs.push_back(d);
        for (auto& d : dirs) {
            if (file_exists(d + "/" + name)) {
                path = d + "/" + name;
                break;
            }
        }
        if (path.empty()) {
            std::string msg = "module '" + spec + "' not found in";
            for (auto& d : dirs)
                msg += " " + d;
            if (line)
                error_at(file, line, msg);
            else
                error(msg);
            return nullptr;
        }
    }
    std::string err;
    module_rec* m = g_modules.load(path, err);
    if (!m) {
        if (line)
            error_at(file, line, err);
        else
            error(err);
        return nullptr;
    }
    register_module(m);
    if (m->desc.init && m->desc.init(to_handle(m)) != PTC_OK) {
        std::string msg = "module " + m->name + " failed to initialise";
        if (line)
            error_at(file, line, msg);
        else
            error(msg);
        return nullptr;
    }
    m->initialised = true;
    return m;
}

bool cfg_loader::load_modules()
{
    if (modules_loaded_)
        return ctx_.errors == 0;
    modules_loaded_ = true;
    register_module(g_modules.add_builtin("core", core_module()));
    register_module(g_modules.add_builtin("cli", cli_module())); // runtime API keywords
    register_module(g_modules.add_builtin("log", log::log_module())); // logging keywords
    module_rec* stats = g_modules.add_builtin("stats", stats_module()); // stats page
    register_module(stats);
    stats_module()->init(to_handle(stats)); // registers the "stats" HTTP service (ABI 1.5)
    register_module(g_modules.add_builtin("userlist", userlist_module())); // http_auth fetches
    module_rec* prom = g_modules.add_builtin("prometheus", prometheus_module());
    register_module(prom);
    prometheus_module()->init(to_handle(prom)); // the "prometheus-exporter" service
    auto dirs = default_module_dirs();
    for (const char* const* n = k_standard_modules; *n; n++) {
        for (auto& d : dirs) {
            std::string p = d + "/" + *n + ".so";
            if (file_exists(p)) {
                load_module(p, "", 0);
                break;
            }
        }
    }
    return ctx_.errors == 0;
}

bool cfg_loader::load(const load_options& o, config& cfg)
{
    ctx_.cfg = &cfg;
    if (o.load_std_modules)
        load_modules();
    std::vector<cfg::line> lines;
    std::vector<cfg::diag> diags;
    // "module-path" and "module-load" lines of the global section are applied as they are
    // read, so that the features of a module loaded there are seen by the ".if feature()"
    // lines that follow; they are skipped when the other lines are dispatched.
    std::vector<bool> early;
    bool in_global = false;
    env_.on_line = [&](const cfg::line& l) {
        static const char* const sections[] = {
            "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist",
            "program", "mailers", "cache", "ring", "http-errors", "crt-store", "log-forward",
            "fcgi-app", "dynamic-update", nullptr};
        early.resize(lines.size(), false);
        const std::string& k = l.args[0];
        if (k == "global")
            in_global = true;
        for (const char* const* s = sections; *s; s++)
            if (k == *s)
                in_global = false;
        // the environment keywords act while the file is read: the next lines' "${VAR}"
        // see the change (HAProxy's rule)
        if (in_global && (k == "module-path" || k == "module-load" || k == "setenv" ||
                          k == "presetenv" || k == "unsetenv" || k == "resetenv")) {
            sec_ = sec::global;
            call_keyword(l, 0, false);
            sec_ = sec::none;
            early[lines.size() - 1] = true;
        }
    };
    cfg::read_files(o.files, env_, lines, diags);
    env_.on_line = nullptr;
    early.resize(lines.size(), false);
    for (auto& d : diags) {
        std::string loc = d.lineno ? d.file + ":" + std::to_string(d.lineno) + ": " : d.file + ": ";
        if (d.is_error) {
            ctx_.errors++;
            ctx_.msgs.push_back({true, loc + d.msg});
        } else {
            ctx_.msgs.push_back({false, loc + d.msg});
        }
    }
    for (size_t i = 0; i < lines.size(); i++)
        if (!early[i])
            dispatch(lines[i]);
    smp::registry_close(); // fetches/converters/actions can be registered until here
    if (ctx_.errors)
        return false;
    post_checks();
    if (ctx_.errors)
        return false;
    for (auto& m : g_modules.all()) {
        if (m->desc.post_config && m->desc.post_config(to_handle(m.get())) != PTC_OK && !ctx_.errors)
            error("module " + m->name + " rejected the configuration");
    }
    return ctx_.errors == 0;
}

bool cfg_loader::open_section(const cfg::line& l)
{
    const std::string& k = l.args[0];
    static const char* const unsupported[] = {"resolvers",
                                              "mailers", "cache",
                                              "crt-store", "log-forward", "fcgi-app",
                                              "dynamic-update", nullptr};
    if (k == "global") {
        cur_ = nullptr;
        sec_ = sec::global;
        if (l.args.size() > 1)
            error_at(l.file, l.lineno, "'global' takes no argument");
        return true;
    }
    if (k == "ring") { // in-memory log buffer (log/ring.cpp)
        cur_ = nullptr;
        sec_ = sec::ring;
        std::string err;
        if (l.args.size() != 2 || !log::ring_open(*ctx_.cfg, l.args.size() > 1 ? l.args[1] : "",
                                                  l.file, l.lineno, err)) {
            error_at(l.file, l.lineno, l.args.size() != 2 ? "'ring' expects a name" : err);
            sec_ = sec::unsupported;
        }
        return true;
    }
    if (k == "http-errors") { // named sets of error messages (proxy/errorfiles.cpp)
        cur_ = nullptr;
        sec_ = sec::http_errors;
        std::string err;
        if (!http_errors_open(*ctx_.cfg, l.args, http_errors_cur_, err)) {
            error_at(l.file, l.lineno, err);
            sec_ = sec::unsupported;
        }
        return true;
    }
    if (k == "userlist") { // users and groups for HTTP authentication (auth/userlist.cpp)
        cur_ = nullptr;
        sec_ = sec::userlist;
        std::string err;
        if (!userlist_open(*ctx_.cfg, l.args, l.file, l.lineno, err)) {
            error_at(l.file, l.lineno, err);
            sec_ = sec::unsupported;
        }
        return true;
    }
    if (k == "program") { // a command the master supervises (proc/program.cpp)
        cur_ = nullptr;
        sec_ = sec::program;
        std::string err;
        if (!program_open(*ctx_.cfg, l.args, l.file, l.lineno, err)) {
            error_at(l.file, l.lineno, err);
            sec_ = sec::unsupported;
        }
        return true;
    }
    if (k == "peers") { // a module's section (1.10): every line goes to its "peers" keyword
        cur_ = nullptr;
        sec_ = sec::peers;
        peers_seen_ = true;
        if (!call_section_keyword(l))
            sec_ = sec::unsupported;
        return true;
    }
    if (k == "defaults" || k == "frontend" || k == "backend" || k == "listen") {
        uint32_t cap = k == "defaults"   ? (uint32_t)CAP_DEFAULTS
                       : k == "frontend" ? (uint32_t)CAP_FE
                       : k == "backend"  ? (uint32_t)CAP_BE
                                         : (uint32_t)(CAP_FE | CAP_BE);
        sec_ = k == "defaults"   ? sec::defaults
               : k == "frontend" ? sec::frontend
               : k == "backend"  ? sec::backend
                                 : sec::listen;
        std::string name, from;
        size_t i = 1;
        if (i < l.args.size() && l.args[i] != "from")
            name = l.args[i++];
        if (i < l.args.size()) {
            if (l.args[i] != "from" || i + 1 >= l.args.size() || i + 2 < l.args.size()) {
                error_at(l.file, l.lineno,
                         "invalid arguments for '" + k + "': expected '" + k +
                             (cap == CAP_DEFAULTS ? " [<name>]" : " <name>") +
                             " [from <defaults>]'");
                sec_ = sec::unsupported;
                return true;
            }
            from = l.args[i + 1];
        }
        cur_ = nullptr;
        if (cap != CAP_DEFAULTS && name.empty()) {
            error_at(l.file, l.lineno, "'" + k + "' expects a name");
            sec_ = sec::unsupported;
            return true;
        }
        cur_ = new_proxy(l, cap, name, from);
        if (!cur_)
            sec_ = sec::unsupported;
        return true;
    }
    for (const char* const* u = unsupported; *u; u++) {
        if (k == *u) {
            cur_ = nullptr;
            error_at(l.file, l.lineno, "section '" + k + "' is not supported yet by portico");
            sec_ = sec::unsupported;
            return true;
        }
    }
    return false;
}

proxy* cfg_loader::new_proxy(const cfg::line& l, uint32_t cap, const std::string& name,
                             const std::string& from)
{
    config& cfg = *ctx_.cfg;
    // Only frontends, backends and listens inherit the last defaults section: a new
    // "defaults" starts from scratch unless it names one with "from" (HAProxy 2.6).
    proxy* defs = cap == CAP_DEFAULTS ? nullptr : last_defaults_;
    if (!from.empty()) {
        defs = nullptr;
        for (auto& d : cfg.defaults)
            if (d->name == from)
                defs = d.get();
        if (!defs) {
            error_at(l.file, l.lineno, "defaults section '" + from + "' not found");
            return nullptr;
        }
        if (cap == CAP_DEFAULTS && smp::defines_rules(*defs)) {
            error_at(l.file, l.lineno,
                     "a defaults section cannot inherit from a defaults section defining "
                     "TCP/HTTP rules (defaults section '" + from + "' at " + defs->file + ":" +
                         std::to_string(defs->line) + ")");
            return nullptr;
        }
    }
    auto p = std::make_unique<proxy>();
    if (defs) {
        static_cast<proxy_settings&>(*p) = *defs; // every inheritable setting, as a whole
        if (defs->default_server) {
            p->default_server = std::make_unique<server>(*defs->default_server);
            p->default_server->mod.blobs.clear();
            conf_blobs_copy(p->default_server->mod, defs->default_server->mod, PTC_CONF_SERVER);
        }
        conf_blobs_copy(p->mod, defs->mod, PTC_CONF_PROXY);
        log::inherit(*p, *defs); // log targets, formats, options
    }
    p->name = name;
    p->file = l.file;
    p->line = l.lineno;
    p->cap = cap;
    if (defs && cap != CAP_DEFAULTS) {
        // rules of a named defaults section run before the proxy's own (sample engine)
        std::string err;
        if (!smp::inherit_rules(*p, *defs, err)) {
            error_at(l.file, l.lineno, err);
            return nullptr;
        }
    }
    proxy* raw = p.get();
    if (cap == CAP_DEFAULTS) {
        if (!name.empty())
            for (auto& d : cfg.defaults)
                if (d->name == name)
                    warn_at(l.file, l.lineno, "defaults section '" + name +
                                                  "' redefined; the last one is used from here");
        cfg.defaults.push_back(std::move(p));
        last_defaults_ = raw;
        return raw;
    }
    if ((cap & CAP_FE) && cfg.by_name_fe.count(name)) {
        error_at(l.file, l.lineno, "a frontend named '" + name + "' already exists (at " +
                                       cfg.by_name_fe[name]->file + ":" +
                                       std::to_string(cfg.by_name_fe[name]->line) + ")");
        return nullptr;
    }
    if ((cap & CAP_BE) && cfg.by_name_be.count(name)) {
        error_at(l.file, l.lineno, "a backend named '" + name + "' already exists (at " +
                                       cfg.by_name_be[name]->file + ":" +
                                       std::to_string(cfg.by_name_be[name]->line) + ")");
        return nullptr;
    }
    if (cap & CAP_FE)
        cfg.by_name_fe[name] = raw;
    if (cap & CAP_BE)
        cfg.by_name_be[name] = raw;
    cfg.proxies.push_back(std::move(p));
    return raw;
}

void cfg_loader::dispatch(const cfg::line& l)
{
    if (open_section(l))
        return;
    switch (sec_) {
    case sec::none:
        error_at(l.file, l.lineno,
                 "'" + l.args[0] + "' appears outside of any section (global, defaults, "
                                   "frontend, backend, listen)");
        return;
    case sec::unsupported:
        return; // the section header was already reported
    case sec::http_errors: {
        std::string err;
        g_errorfile_max = ctx_.cfg->global.bufsize - ctx_.cfg->global.maxrewrite;
        if (!http_errors_keyword(*ctx_.cfg, http_errors_cur_, l.args, err))
            error_at(l.file, l.lineno, err);
        return;
    }
    case sec::userlist: {
        std::string err;
        if (!userlist_keyword(*ctx_.cfg, l.args, l.lineno, err))
            error_at(l.file, l.lineno, err);
        return;
    }
    case sec::program: {
        std::string err;
        if (!program_keyword(*ctx_.cfg, l.args, err))
            error_at(l.file, l.lineno, err);
        return;
    }
    case sec::peers:
        call_section_keyword(l);
        return;
    case sec::ring: {
        std::string err, warn;
        if (!log::ring_keyword(*ctx_.cfg, l.args, err, warn))
            error_at(l.file, l.lineno, err);
        else if (!warn.empty())
            warn_at(l.file, l.lineno, warn);
        return;
    }
    default:
        break;
    }
    bool negated = false;
    size_t first = 0;
    if (l.args[0] == "no" && l.args.size() > 1) {
        negated = true;
        first = 1;
    }
    call_keyword(l, first, negated);
}

// A line of a section a module owns (since 1.10, "peers"): the header and every line of
// the section go to the module keyword named after the section, registered with
// PTC_SEC_PEERS; without one the section is refused as not supported.
bool cfg_loader::call_section_keyword(const cfg::line& l)
{
    const std::vector<std::string> name{"peers"};
    int words = 0;
    const cfg::kw_entry* e = kws_.find(name, 0, &words);
    const kw_def* d = e ? static_cast<const kw_def*>(e->data) : nullptr;
    if (!d || !(d->kw->where & PTC_SEC_PEERS) || !d->kw->parse) {
        if (l.args[0] == "peers")
            error_at(l.file, l.lineno, "section 'peers' is not supported yet by portico");
        return false;
    }
    std::vector<ptc_str> args;
    for (const std::string& a : l.args)
        args.push_back(ptc_str{a.data(), a.size()});
    ptc_kw_ctx ctx{};
    ctx.size = sizeof(ctx);
    ctx.section = PTC_SEC_PEERS;
    ctx.file = l.file.c_str();
    ctx.line = (uint32_t)l.lineno;
    ctx.argc = (uint32_t)args.size();
    ctx.args = args.data();
    ctx.kw_words = 1;
    ctx.self = to_handle(d->mod);
    ctx.conf = conf_blob(ctx_.cfg->global.mod, d->mod, PTC_CONF_GLOBAL);
    int before = ctx_.errors;
    int r = d->kw->parse(&ctx);
    if (r != PTC_OK && ctx_.errors == before)
        error_at(l.file, l.lineno, "'" + l.args[0] + "': invalid arguments");
    return r == PTC_OK;
}

bool cfg_loader::call_keyword(const cfg::line& l, size_t first, bool negated)
{
    uint32_t secbits = sec_ == sec::global     ? PTC_SEC_GLOBAL
                       : sec_ == sec::defaults ? PTC_SEC_DEFAULTS
                       : sec_ == sec::frontend ? PTC_SEC_FRONTEND
                       : sec_ == sec::backend  ? PTC_SEC_BACKEND
                                               : (PTC_SEC_FRONTEND | PTC_SEC_BACKEND);
    const char* sname = section_name(secbits);
    int words = 0;
    const cfg::kw_entry* e = kws_.find(l.args, first, &words);
    std::string shown = l.args[first];
    if (first + 1 < l.args.size())
        shown += " " + l.args[first + 1];
    if (!e) {
        std::string one = l.args[first];
        if (cfg::is_haproxy_keyword(shown, 0)) {
            // name the keyword as HAProxy knows it: two words for families like "option"
            std::string name = one;
            static const char* const families[] = {"option", "timeout", "stats", "http-request",
                                                   "http-response", "http-after-response",
                                                   "tcp-request", "tcp-response",
                                                   "http-check", "tcp-check", "stick",
                                                   "log-format", nullptr};
            for (const char* const* f = families; *f; f++)
                if (one == *f && first + 1 < l.args.size())
                    name = shown;
            if (cfg::is_haproxy_keyword(name, 0)) {
                error_at(l.file, l.lineno,
                         "'" + name + "' is a HAProxy keyword not supported yet by portico");
                return false;
            }
        }
        std::string msg = "unknown keyword '" + one + "' in '" + sname + "' section";
        std::string hint = kws_.suggest(l.args, first, secbits);
        if (!hint.empty())
            msg += "; did you mean '" + hint + "'?";
        error_at(l.file, l.lineno, msg);
        return false;
    }
    const kw_def* d = static_cast<const kw_def*>(e->data);
    const ptc_keyword& kw = *d->kw;
    if (!(kw.where & secbits)) {
        error_at(l.file, l.lineno,
                 "'" + std::string(kw.name) + "' is not allowed in '" + sname + "' section");
        return false;
    }
    if (negated && !(kw.flags & PTC_KWF_NEGATABLE)) {
        error_at(l.file, l.lineno, "'no " + std::string(kw.name) + "' is not supported");
        return false;
    }
    if (!kw.parse) {
        error_at(l.file, l.lineno,
                 "'" + std::string(kw.name) + "' is not supported yet by portico");
        return false;
    }
    int nargs = (int)(l.args.size() - first - (size_t)words);
    if (nargs < kw.min_args || (kw.max_args >= 0 && nargs > kw.max_args)) {
        std::string msg = "'" + std::string(kw.name) + "' ";
        if (kw.max_args == 0)
            msg += "takes no argument";
        else if (nargs < kw.min_args)
            msg += "expects " + std::string(kw.min_args == kw.max_args ? "" : "at least ") +
                   std::to_string(kw.min_args) + " argument" + (kw.min_args > 1 ? "s" : "");
        else
            msg += "expects at most " + std::to_string(kw.max_args) + " argument" +
                   (kw.max_args > 1 ? "s" : "");
        if (kw.help)
            msg += std::string(" (usage: ") + kw.help + ")";
        error_at(l.file, l.lineno, msg);
        return false;
    }
    std::vector<ptc_str> args;
    args.reserve(l.args.size() - first);
    for (size_t i = first; i < l.args.size(); i++)
        args.push_back(ptc_str{l.args[i].data(), l.args[i].size()});
    ptc_kw_ctx ctx{};
    ctx.size = sizeof(ctx);
    ctx.section = secbits;
    ctx.file = l.file.c_str();
    ctx.line = (uint32_t)l.lineno;
    ctx.argc = (uint32_t)args.size();
    ctx.args = args.data();
    ctx.kw_words = (uint32_t)words;
    ctx.negated = negated ? 1 : 0;
    ctx.proxy = cur_ ? to_handle(cur_) : nullptr;
    ctx.self = to_handle(d->mod);
    ctx.conf = sec_ == sec::global ? conf_blob(ctx_.cfg->global.mod, d->mod, PTC_CONF_GLOBAL)
                                   : conf_blob(cur_->mod, d->mod, PTC_CONF_PROXY);
    int before = ctx_.errors;
    int r = kw.parse(&ctx);
    if (r != PTC_OK && ctx_.errors == before)
        error_at(l.file, l.lineno, "'" + std::string(kw.name) + "': invalid arguments");
    return r == PTC_OK;
}

// ---- checks after parsing ------------------------------------------------------------------

void cfg_loader::post_checks()
{
    config& cfg = *ctx_.cfg;
    std::string perr;
    if (!programs_check(cfg, perr))
        error(perr);
    if (!userlists_check(cfg, perr))
        error(perr);
    if (!errorfiles_resolve(cfg, perr))
        error(perr);
    smp::resolve_server_refs(cfg, [this](const std::string& f, int l, const std::string& m) {
        error_at(f, l, m);
    });
    for (auto& up : cfg.proxies) {
        proxy& p = *up;
        const char* kind = p.cap == (CAP_FE | CAP_BE) ? "listen" : (p.cap & CAP_FE) ? "frontend"
                                                                                    : "backend";
        // protocol handler of the mode
        const std::string_view mode = mode_name(p.mode);
        for (auto& m : g_modules.all())
            for (const ptc_proto& pr : m->protos)
                if (mode == pr.name) {
                    p.proto = &pr;
                    p.proto_owner = m.get();
                }
        for (auto& m : g_modules.all()) {
            conf_blob(p.mod, m.get(), PTC_CONF_PROXY);
            for (auto& s : p.servers)
                conf_blob(s->mod, m.get(), PTC_CONF_SERVER);
        }
        if (!p.proto) {
            error_at(p.file, p.line, std::string(kind) + " '" + p.name + "': mode '" +
                                         mode_name(p.mode) + "' needs the '" + mode_name(p.mode) +
                                         "' module, which is not loaded");
            continue;
        }
        if (p.cap & CAP_FE) {
            if (p.binds.empty())
                warn_at(p.file, p.line,
                        std::string(kind) + " '" + p.name +
                            "' has no 'bind' directive; declare it as a backend if this was "
                            "intended");
            if (!p.default_backend_name.empty()) {
                proxy* be = cfg.find_backend(p.default_backend_name);
                if (!be)
                    error_at(p.default_backend_file, p.default_backend_line,
                             "unable to find required default_backend: '" +
                                 p.default_backend_name + "'");
                p.default_backend = be;
            }
            for (size_t i = 1; i < p.use_backend.size(); i++)
                if (!p.use_backend[i - 1].cond && p.use_backend[i - 1].dyn.empty())
                    warn_at(p.use_backend[i].file, p.use_backend[i].line,
                            "this 'use_backend' follows an unconditional one and will never "
                            "apply");
            for (auto& r : p.use_backend) {
                if (!r.dyn.empty())
                    continue; // dynamic name (%[...]): resolved at run time
                r.target = cfg.find_backend(r.name);
                if (!r.target)
                    error_at(r.file, r.line, "unable to find required use_backend: '" + r.name +
                                                 "'");
            }
            auto check_mode = [&](proxy* be, const std::string& file, int line) {
                if (be && be->mode != p.mode)
                    error_at(file, line, "unable to use " + std::string("backend '") + be->name +
                                             "' with wrong mode, required: " +
                                             mode_name(p.mode) + ", has: " + mode_name(be->mode));
            };
            check_mode(p.default_backend, p.default_backend_file, p.default_backend_line);
            for (auto& r : p.use_backend)
                check_mode(r.target, r.file, r.line);
            if (!p.t_client)
                warn_at(p.file, p.line,
                        std::string(kind) + " '" + p.name +
                            "': missing 'timeout client'; idle clients are never timed out");
        }
        if (p.cap & CAP_BE) {
            if ((!p.t_connect || !p.t_server) && !p.servers.empty())
                warn_at(p.file, p.line,
                        std::string(kind) + " '" + p.name +
                            "': missing 'timeout connect' or 'timeout server'; stuck "
                            "connections are never timed out");
            std::map<std::string, server*> names;
            std::map<uint32_t, server*> ids;
            uint32_t next_id = 1;
            for (auto& s : p.servers) {
                if (names.count(s->name))
                    error_at(s->file, s->line, "server '" + s->name + "' already exists in " +
                                                   kind + " '" + p.name + "'");
                names[s->name] = s.get();
                if (s->id) {
                    if (ids.count(s->id))
                        error_at(s->file, s->line,
                                 "server '" + s->name + "' reuses id " + std::to_string(s->id) +
                                     " of server '" + ids[s->id]->name + "'");
                    ids[s->id] = s.get();
                }
            }
            for (auto& s : p.servers) {
                if (!s->id) {
                    while (ids.count(next_id))
                        next_id++;
                    s->id = next_id;
                    ids[next_id] = s.get();
                }
            }
        }
    }
    // the server-state files, then the addresses of the servers named by a host name whose
    // "init-addr" methods include "last" (HAProxy's order: states applied, then addresses)
    server_state_file_read(cfg);
    for (auto& up : cfg.proxies)
        for (auto& s : up->servers) {
            if (!s->addr_pending)
                continue;
            s->addr_pending = false;
            std::string e, w;
            if (!server_init_addr(*s, server_state_last_addr(*s), e, w)) {
                error_at(s->file, s->line, "server '" + s->name + "': " + e);
                continue;
            }
            if (!w.empty())
                warn_at(s->file, s->line, "'server " + up->name + "/" + s->name + "' : " + w);
            server_addr_kind(*s);
        }
}

std::vector<std::string> cfg_loader::dump_keywords() const
{
    std::vector<std::string> out;
    auto add = [&](const cfg::registry& r, const char* ctx) {
        for (const cfg::kw_entry* e : r.all()) {
            const kw_def* d = static_cast<const kw_def*>(e->data);
            std::string where;
            uint32_t w = d->kw->where;
            if (std::string(ctx) == "section") {
                if (w & PTC_SEC_GLOBAL)
                    where += "global,";
                if (w & PTC_SEC_DEFAULTS)
                    where += "defaults,";
                if (w & PTC_SEC_FRONTEND)
                    where += "frontend,";
                if (w & PTC_SEC_BACKEND)
                    where += "backend,";
                if (w & (PTC_SEC_FRONTEND | PTC_SEC_BACKEND))
                    where += "listen,";
                if (w & PTC_SEC_PEERS)
                    where += "peers,";
                if (!where.empty())
                    where.pop_back();
            } else {
                where = ctx;
            }
            out.push_back(where + "\t" + e->name + "\t" + e->owner + "\t" +
                          (d->kw->help ? d->kw->help : ""));
        }
    };
    add(kws_, "section");
    add(bind_kws, "bind");
    add(srv_kws, "server");
    return out;
}

} // namespace portico
