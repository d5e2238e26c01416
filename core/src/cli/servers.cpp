// SPDX-License-Identifier: MIT
// Servers at run time: building a server from "add server" words (master and workers
// alike), the shm slots' runtime fields, and the worker-side sync of a backend's servers.
#include <sys/socket.h>

#include <cstring>
#include <ctime>
#include <deque>

#include "cfg/registry.hpp"
#include "cli/cli.hpp"
#include "sample/patref.hpp"
#include "log/log.hpp"
#include "lb/lb.hpp"
#include "module/module.hpp"
#include "proxy/addr.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream_host.hpp"

namespace portico {

namespace {

// Servers removed from a backend ("del server"): never freed, since a stream, an idle
// connection or a module's state in this process may still point to one.
std::deque<std::unique_ptr<server>> g_graveyard;

// The text of the last loader message added since <mark>, without its "file:line: ".
std::string last_message(size_t mark)
{
    const auto& m = g_cfg_ctx->msgs;
    if (m.size() <= mark)
        return "invalid arguments";
    std::string t = m.back().text;
    const std::string pfx = "stats socket:0: ";
    if (t.rfind(pfx, 0) == 0)
        t = t.substr(pfx.size());
    return t;
}

// Workers call cli_backend_sync() when a backend's generation changed (lb_check_gen).
struct sync_hook {
    sync_hook() { lb_sync_servers = cli_backend_sync; }
} g_sync_hook;

} // namespace

std::unique_ptr<server> cli_make_server(proxy& be, const std::string& name,
                                        const std::vector<std::string>& args, std::string& err)
{
    auto s = std::make_unique<server>();
    if (be.default_server) {
        *s = *be.default_server;
        s->mod.blobs.clear();
        conf_blobs_copy(s->mod, be.default_server->mod, PTC_CONF_SERVER);
    }
    s->name = name;
    s->file = "stats socket";
    s->line = 0;
    s->be = &be;
    s->id = 0;
    if (args.empty()) {
        err = "'server' expects <name> and <addr>[:<port>] as arguments.\n";
        return nullptr;
    }
    s->addr_spec = args[0];
    addr_opts ao;
    ao.need_port = true;
    ao.resolve = true;
    std::string e;
    if (!parse_addr(s->addr_spec, ao, s->addr, s->addrlen, nullptr, e)) {
        if (e.rfind("missing port", 0) == 0)
            e = "servers without a port are not supported yet by portico: '" + s->addr_spec +
                "'";
        err = e + ".\n";
        return nullptr;
    }
    // options, through the same registry as "server" lines
    std::vector<ptc_str> pargs;
    std::vector<std::string> words;
    words.push_back("server");
    words.push_back(name);
    for (auto& a : args)
        words.push_back(a);
    for (auto& w : words)
        pargs.push_back(ptc_str{w.data(), w.size()});
    for (uint32_t i = 3; i < words.size();) {
        std::vector<std::string> rest(words.begin() + i, words.end());
        int used = 0;
        const cfg::kw_entry* ke = g_cfg_ctx->srv_kws->find(rest, 0, &used, PTC_KW_SERVER);
        if (!ke) {
            if (cfg::is_haproxy_keyword(rest[0], 2))
                err = "server option '" + rest[0] + "' is not supported yet by portico.\n";
            else
                err = "unknown keyword '" + rest[0] + "'.\n";
            return nullptr;
        }
        const kw_def* d = static_cast<const kw_def*>(ke->data);
        uint32_t need = (uint32_t)d->kw->max_args;
        if (i + (uint32_t)used + need > words.size()) {
            err = "'" + ke->name + "' expects " + std::to_string(need) + " argument" +
                  (need > 1 ? "s" : "") + ".\n";
            return nullptr;
        }
        if (!d->kw->parse) {
            err = "server option '" + ke->name + "' is not supported yet by portico.\n";
            return nullptr;
        }
        // only the options their module declares fit for servers added at run time (a
        // "check" the check module would never run must not be accepted silently)
        if (!(d->kw->flags & PTC_KWF_RUNTIME)) {
            err = "'" + ke->name + "' option is not accepted for dynamic server.\n";
            return nullptr;
        }
        ptc_kw_ctx o{};
        o.size = sizeof(o);
        o.section = PTC_SEC_BACKEND;
        o.file = "stats socket";
        o.line = 0;
        o.args = pargs.data() + i;
        o.argc = (uint32_t)used + need;
        o.kw_words = (uint32_t)used;
        o.proxy = to_handle(&be);
        o.server = to_handle(s.get());
        o.self = to_handle(d->mod);
        o.conf = conf_blob(s->mod, d->mod, PTC_CONF_SERVER);
        size_t mark = g_cfg_ctx->msgs.size();
        if (d->kw->parse(&o) != PTC_OK) {
            err = last_message(mark) + ".\n";
            return nullptr;
        }
        i += (uint32_t)used + need;
    }
    for (auto& m : g_modules.all())
        conf_blob(s->mod, m.get(), PTC_CONF_SERVER);
    return s;
}

void cli_shm_init(config& cfg)
{
    errsnap_init(cfg);
    sesstab_init(cfg);
    smp::patref_shm_init(); // runtime map/acl changes (sample/patref.cpp)
    smp::procvars_shm_init(cfg.global.bufsize); // "proc." variables (sample/vars.cpp)
    log::rings_map(cfg);
    uint32_t now = (uint32_t)time(nullptr);
    for (auto& p : cfg.proxies) {
        if (p->shared)
            p->shared->fe_maxconn.store(p->maxconn);
        for (auto& s : p->servers) {
            shm_server* sh = s->shared;
            if (!sh)
                continue;
            sh->in_use.store(1);
            sh->incarnation.store(s->incarnation);
            sh->maxconn.store(s->maxconn);
            sh->iweight = s->weight;
            sh->srv_id = s->id;
            sh->last_change = now;
            std::memcpy(&sh->addr, &s->addr, sizeof(s->addr));
            sh->addrlen = s->addrlen;
            std::snprintf(sh->name, sizeof(sh->name), "%s", s->name.c_str());
            uint32_t fl = 0;
            if (s->disabled)
                fl |= SRV_RT_CMAINT | SRV_RT_FMAINT;
            if (s->backup)
                fl |= SRV_RT_BACKUP;
            sh->rt_flags.store(fl);
            sh->check_health.store(s->disabled ? 0 : s->chk_level);
            sh->no_check.store(s->no_check ? 1 : 0);
            sh->stopped.store(s->disabled ? 1 : 0);
        }
    }
}

void cli_server_bury(proxy& be, size_t pos)
{
    be.servers[pos]->deleted = true;
    g_graveyard.push_back(std::move(be.servers[pos]));
    be.servers.erase(be.servers.begin() + (ptrdiff_t)pos);
}

void cli_backend_sync(proxy* be)
{
    shm_proxy* sp = be->shared;
    if (!sp || !sp->srv_slots)
        return;
    struct snap {
        uint32_t in_use;
        uint32_t incarnation;
        uint32_t id;
        sockaddr_storage addr;
        uint32_t addrlen;
        std::string name;
        std::string line;
    };
    std::vector<snap> v(sp->srv_slots);
    sp->cfg_lock.lock();
    for (uint32_t k = 0; k < sp->srv_slots; k++) {
        shm_server* sh = shm_server_slot(sp->srv_first + k);
        snap& n = v[k];
        n.in_use = sh->in_use.load(std::memory_order_acquire);
        n.incarnation = sh->incarnation.load();
        n.id = sh->srv_id;
        n.addr = sh->addr;
        n.addrlen = sh->addrlen;
        if (n.in_use && (sh->rt_flags.load() & SRV_RT_DYNAMIC)) {
            n.name.assign(sh->name, strnlen(sh->name, sizeof(sh->name)));
            n.line.assign(sh->add_line, strnlen(sh->add_line, sizeof(sh->add_line)));
        }
    }
    sp->cfg_lock.unlock();
    for (uint32_t k = 0; k < sp->srv_slots; k++) {
        uint32_t idx = sp->srv_first + k;
        snap& n = v[k];
        size_t pos = be->servers.size();
        for (size_t j = 0; j < be->servers.size(); j++)
            if (be->servers[j]->index == idx)
                pos = j;
        server* cur = pos < be->servers.size() ? be->servers[pos].get() : nullptr;
        // deleted (and maybe the slot taken by an added server) since the last sync
        if (cur && (!n.in_use || cur->incarnation != n.incarnation)) {
            cli_server_bury(*be, pos);
            worker_pool_purge(idx);
            cur = nullptr;
        }
        if (!n.in_use)
            continue;
        if (!cur) {
            if (n.name.empty())
                continue; // a configured server this process does not know: cannot happen
            std::vector<std::string> words;
            size_t st = 0;
            while (st <= n.line.size()) {
                size_t e = n.line.find('\x1f', st);
                if (e == std::string::npos)
                    e = n.line.size();
                if (e > st)
                    words.push_back(n.line.substr(st, e - st));
                st = e + 1;
            }
            std::string err;
            auto s = cli_make_server(*be, n.name, words, err);
            if (!s)
                continue; // the master parsed the same words successfully
            s->index = idx;
            s->shared = shm_server_slot(idx);
            s->incarnation = n.incarnation;
            s->id = n.id;
            be->servers.push_back(std::move(s));
            cur = be->servers.back().get();
        }
        if (n.addrlen && (n.addrlen != cur->addrlen ||
                          std::memcmp(&n.addr, &cur->addr, n.addrlen) != 0)) {
            std::memcpy(&cur->addr, &n.addr, sizeof(n.addr));
            cur->addrlen = n.addrlen;
            worker_pool_purge(idx);
        }
    }
}

} // namespace portico
