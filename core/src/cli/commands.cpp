// SPDX-License-Identifier: MIT
// The runtime API's command engine: line splitting, access levels, help and HAProxy's
// "Unknown command" answers, and the commands themselves (run in the master, published to
// the workers through shared memory).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ctime>
#include <new>
#include <unistd.h>
#include <sys/time.h>

#include "cfg/registry.hpp"
#include "cfg/units.hpp"
#include "cli/cli.hpp"
#include "sample/patref.hpp"
#include "sample/sample.hpp"
#include "lb/lb.hpp"
#include "log/log.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "lb/srv_state.hpp"
#include "shm/hist.hpp"
#include "shm/shm.hpp"
#include "stream/task.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

namespace {

using words = std::vector<std::string>;
using handler = std::string (*)(cli_session&, const words&);

struct command {
    const char* kw[6];   // the command's words (nullptr-terminated); "*": any one word
    const char* usage;   // help line, left part (nullptr: not listed)
    const char* desc;    // help line, right part
    int level;
    handler fn;          // core command, or nullptr for a module's:
    ptc_cli_fn mfn = nullptr;
    ptc_modref* self = nullptr;
};

// Commands registered by modules (host->cli_register), tried before the core's. Their
// strings live in g_mod_strings.
std::vector<command> g_mod_cmds;
std::vector<std::unique_ptr<std::string>> g_mod_strings;

// ---- helpers --------------------------------------------------------------------------

// At most 9 digits, as HAProxy's CLI reads these numbers.
bool small_uint(const std::string& s, uint64_t& v) { return cfg::parse_uint(s, 999999999, v); }

// Finds <backend>/<server>. <nl>: HAProxy ends some of these messages with a line feed.
bool find_server(const words& a, size_t i, proxy*& be, server*& sv, std::string& err,
                 bool nl = true)
{
    const char* end = nl ? "\n" : "";
    if (i >= a.size() || a[i].find('/') == std::string::npos) {
        err = std::string("Require 'backend/server'.") + end;
        return false;
    }
    std::string bname = a[i].substr(0, a[i].find('/'));
    std::string sname = a[i].substr(a[i].find('/') + 1);
    be = g_config->find_backend(bname);
    if (!be) {
        err = std::string("No such backend.") + end;
        return false;
    }
    sv = nullptr;
    for (auto& s : be->servers)
        if (s->name == sname && s->shared)
            sv = s.get();
    if (!sv) {
        err = std::string("No such server.") + end;
        return false;
    }
    return true;
}

void publish(proxy* be, server* sv, bool state_change)
{
    if (state_change)
        sv->shared->last_change = (uint32_t)time(nullptr);
    shm_servers_changed(be->shared);
}

// The admin state logic is shared with the module ABI (host->server_set_admin).
void set_admin_flags(proxy* be, server* sv, uint32_t set, uint32_t clear)
{
    srv_set_admin_flags(be, sv, set, clear);
}

void set_port(sockaddr_storage& a, uint16_t p)
{
    if (a.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(p);
    else
        reinterpret_cast<sockaddr_in&>(a).sin_port = htons(p);
}

// ---- commands -------------------------------------------------------------------------

std::string cmd_show_info(cli_session& s, const words& a)
{
    // show info [desc|json|typed|float]*: "desc" adds HAProxy's field descriptions (not
    // in JSON, as HAProxy); "float" changes nothing here
    std::string fmt;
    bool desc = false;
    for (size_t i = 2; i < a.size(); i++)
        if (a[i] == "json" || a[i] == "typed")
            fmt = a[i];
        else if (a[i] == "desc")
            desc = true;
    return cli_show_info(fmt, desc, s.target_pid);
}

// The JSON schema of "show info json" and "show stat json" (HAProxy 2.6's, byte for byte:
// clients validate against it).
const char k_schema[] = R"JSON({"$schema":"http://json-schema.org/draft-04/schema#","oneOf":[{"title":"Info","type":"array","items":{"title":"InfoItem","type":"object","properties":{"field":{"$ref":"#/definitions/field"},"processNum":{"$ref":"#/definitions/processNum"},"tags":{"$ref":"#/definitions/tags"},"value":{"$ref":"#/definitions/typedValue"}},"required":["field","processNum","tags","value"]}},{"title":"Stat","type":"array","items":{"title":"InfoItem","type":"object","properties":{"objType":{"enum":["Frontend","Backend","Listener","Server","Unknown"]},"proxyId":{"type":"integer","minimum":0},"id":{"type":"integer","minimum":0},"field":{"$ref":"#/definitions/field"},"processNum":{"$ref":"#/definitions/processNum"},"tags":{"$ref":"#/definitions/tags"},"typedValue":{"$ref":"#/definitions/typedValue"}},"required":["objType","proxyId","id","field","processNum","tags","value"]}},{"title":"Error","type":"object","properties":{"errorStr":{"type":"string"}},"required":["errorStr"]}],"definitions":{"field":{"type":"object","pos":{"type":"integer","minimum":0},"name":{"type":"string"},"required":["pos","name"]},"processNum":{"type":"integer","minimum":1},"tags":{"type":"object","origin":{"type":"string","enum":["Metric","Status","Key","Config","Product","Unknown"]},"nature":{"type":"string","enum":["Gauge","Limit","Min","Max","Rate","Counter","Duration","Age","Time","Name","Output","Avg", "Unknown"]},"scope":{"type":"string","enum":["Cluster","Process","Service","System","Unknown"]},"required":["origin","nature","scope"]},"typedValue":{"type":"object","oneOf":[{"$ref":"#/definitions/typedValue/definitions/s32Value"},{"$ref":"#/definitions/typedValue/definitions/s64Value"},{"$ref":"#/definitions/typedValue/definitions/u32Value"},{"$ref":"#/definitions/typedValue/definitions/u64Value"},{"$ref":"#/definitions/typedValue/definitions/strValue"}],"definitions":{"s32Value":{"properties":{"type":{"type":"string","enum":["s32"]},"value":{"type":"integer","minimum":-2147483648,"maximum":2147483647}},"required":["type","value"]},"s64Value":{"properties":{"type":{"type":"string","enum":["s64"]},"value":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991}},"required":["type","value"]},"u32Value":{"properties":{"type":{"type":"string","enum":["u32"]},"value":{"type":"integer","minimum":0,"maximum":4294967295}},"required":["type","value"]},"u64Value":{"properties":{"type":{"type":"string","enum":["u64"]},"value":{"type":"integer","minimum":0,"maximum":9007199254740991}},"required":["type","value"]},"strValue":{"properties":{"type":{"type":"string","enum":["str"]},"value":{"type":"string"}},"required":["type","value"]},"unknownValue":{"properties":{"type":{"type":"integer","minimum":0},"value":{"type":"string","enum":["unknown"]}},"required":["type","value"]}}}}}
)JSON";

std::string cmd_show_schema(cli_session&, const words& a)
{
    if (a.size() < 3 || a[2] != "json")
        return "json is the only supported schema\n";
    return k_schema;
}

std::string cmd_show_version(cli_session&, const words&)
{
    return std::string(k_haproxy_compat_version) + "-portico-" + k_portico_version + "\n";
}

std::string cmd_show_cli_sockets(cli_session&, const words&)
{
    static const char* const lvl[] = {"user", "operator", "admin"};
    std::string out = "# socket lvl processes\n";
    for (auto& sk : g_cli.sockets) {
        std::string name;
        if (sk.inherited_fd >= 0 && !sk.is_unix)
            name = "sockpair@" + std::to_string(sk.inherited_fd);
        else if (sk.is_unix)
            name = "unix@" + sk.path;
        else if (sk.addr.ss_family == AF_INET6)
            name = "ipv6@[" + addr_ip(sk.addr) + "]:" + std::to_string(addr_port(sk.addr));
        else
            name = "ipv4@" + addr_ip(sk.addr) + ":" + std::to_string(addr_port(sk.addr));
        out += name + " " + lvl[std::clamp(sk.level, 0, 2)] + " all\n";
    }
    return out;
}

std::string cmd_show_env(cli_session&, const words& a)
{
    if (a.size() > 2) {
        const char* v = getenv(a[2].c_str());
        if (!v)
            return "Variable not found\n";
        return a[2] + "=" + v + "\n";
    }
    std::string out;
    for (char** e = environ; e && *e; e++)
        out += std::string(*e) + "\n";
    return out;
}

// Per-worker counters the workers publish in shm (HAProxy's layout: the total, then each
// worker's value).
std::string cmd_show_activity(cli_session&, const words&)
{
    shm_header* h = shm_get();
    uint32_t nw = h ? std::min(h->nworkers, k_shm_max_workers) : 0;
    timeval tv{};
    gettimeofday(&tv, nullptr);
    char buf[128];
    snprintf(buf, sizeof(buf), "thread_id: 0 (1..%u)\ndate_now: %lld.%06ld\n", nw,
             (long long)tv.tv_sec, (long)tv.tv_usec);
    std::string out = buf;
    struct field {
        const char* name;
        std::atomic<uint64_t> shm_activity::*m;
    };
    const field fields[] = {{"loops", &shm_activity::loops},
                            {"poll_io", &shm_activity::poll_io},
                            {"poll_exp", &shm_activity::poll_exp},
                            {"accepted", &shm_activity::accepted}};
    for (auto& f : fields) {
        uint64_t tot = 0;
        std::string per;
        for (uint32_t i = 0; i < nw; i++) {
            uint64_t v = (h->act[i].*f.m).load();
            tot += v;
            per += " " + std::to_string(v);
        }
        out += std::string(f.name) + ": " + std::to_string(tot) + " [" + per + " ]\n";
    }
    return out;
}

// clear counters [all]: the max values, or every counter, of every proxy and server.
std::string cmd_clear_counters(cli_session& s, const words& a)
{
    bool all = a.size() > 2 && a[2] == "all";
    if (all && s.level < CLI_LVL_ADMIN)
        return "Permission denied\n";
    shm_header* h = shm_get();
    if (!h)
        return "";
    auto z = [](auto& at) { at.store(0, std::memory_order_relaxed); };
    z(h->cr_max);
    for (uint32_t i = 0; i < h->nproxies; i++) {
        shm_proxy* p = shm_proxy_slot(i);
        p->queue.max.store(p->queue.cur.load());
        p->be_max_conns.store(p->be_conns.load());
        hist_clear(hist_obj_fe(i), all); // time maxima (and histograms)
        hist_clear(hist_obj_be(i), all);
        if (!all)
            continue;
        for (auto* c : {&p->cum_conns, &p->denied, &p->be_cum_conns, &p->retries,
                        &p->redispatches, &p->req_tot, &p->hrsp_1xx, &p->hrsp_2xx,
                        &p->hrsp_3xx, &p->hrsp_4xx, &p->hrsp_5xx, &p->hrsp_other,
                        &p->conn_errors, &p->queue.total})
            z(*c);
    }
    for (uint32_t i = 0; i < h->nservers; i++) {
        shm_server* sv = shm_server_slot(i);
        sv->queue.max.store(sv->queue.cur.load());
        sv->max_conns.store(sv->cur_conns.load());
        hist_clear(hist_obj_srv(i), all);
        if (!all)
            continue;
        for (auto* c : {&sv->cum_conns, &sv->connect_errors, &sv->bytes_in, &sv->bytes_out,
                        &sv->retries, &sv->redispatches, &sv->req_tot, &sv->hrsp_1xx,
                        &sv->hrsp_2xx, &sv->hrsp_3xx, &sv->hrsp_4xx, &sv->hrsp_5xx,
                        &sv->hrsp_other, &sv->queue.total, &sv->down_trans})
            z(*c);
    }
    if (all)
        z(h->cum_conns);
    return "";
}

// HAProxy reads these numbers with atoi(): garbage is 0.
long atoi_like(const std::string& s) { return std::atol(s.c_str()); }

std::string cmd_set_maxconn_global(cli_session&, const words& a)
{
    if (a.size() < 4)
        return "Expects an integer value.\n";
    long v = atoi_like(a[3]);
    uint32_t hard = cli_hard_maxconn();
    if (v < 0 || (hard && (unsigned long)v > hard))
        return "Value out of range.\n";
    if (v == 0)
        v = hard;
    if (shm_header* h = shm_get())
        h->rt_maxconn.store((uint32_t)v);
    return "";
}

proxy* find_frontend(const std::string& name)
{
    for (auto& p : g_config->proxies)
        if ((p->cap & CAP_FE) && p->name == name)
            return p.get();
    return nullptr;
}

void wake_workers()
{
    shm_header* h = shm_get();
    if (!h)
        return;
    for (uint32_t i = 0; i < h->nworkers; i++) {
        if (h->wake_fd[i] < 0)
            continue;
        uint64_t one = 1;
        ssize_t r = write(h->wake_fd[i], &one, sizeof(one));
        (void)r;
    }
}

std::string cmd_set_maxconn_frontend(cli_session&, const words& a)
{
    if (a.size() < 4)
        return "A frontend name is expected.\n";
    proxy* fe = find_frontend(a[3]);
    if (!fe || !fe->shared)
        return "No such frontend.\n";
    if (a.size() < 5)
        return "Integer value expected.\n";
    long v = atoi_like(a[4]);
    if (v < 0)
        return "Value out of range.\n";
    fe->shared->fe_maxconn.store((uint32_t)v);
    fe->maxconn = (uint32_t)v;
    return "";
}

std::string cmd_set_rate_limit(cli_session&, const words& a)
{
    const char* usage = "'set rate-limit' only supports :\n"
        "   - 'connections global' to set the per-process maximum connection rate\n"
        "   - 'sessions global' to set the per-process maximum session rate\n"
        "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n"
        "   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n";
    if (a.size() < 4 || a[3] != "global" ||
        (a[2] != "connections" && a[2] != "sessions" && a[2] != "ssl-sessions" &&
         a[2] != "http-compression"))
        return usage;
    if (a.size() < 5)
        return "Expects an integer value.\n";
    long v = atoi_like(a[4]);
    if (v < 0)
        return "Value out of range.\n";
    if (a[2] != "connections")
        return "'set rate-limit " + a[2] + " global' is not supported by portico (only "
               "'connections global' is enforced).\n";
    if (shm_header* h = shm_get())
        h->conn_rate_lim.store((uint32_t)v);
    return "";
}

// disable|enable|shutdown frontend <fe>: the state is in shm; every worker's listeners
// follow it on their next loop turn (they are woken up).
std::string set_frontend_state(const words& a, uint32_t st)
{
    if (a.size() < 3)
        return "A frontend name is expected.\n";
    proxy* fe = find_frontend(a[2]);
    if (!fe || !fe->shared)
        return "No such frontend.\n";
    uint32_t cur = fe->shared->fe_state.load();
    if (cur == FE_ST_STOPPED) {
        if (st == FE_ST_STOPPED)
            return "";
        return "Frontend was already shut down.\n";
    }
    if (st == FE_ST_PAUSED && cur == FE_ST_PAUSED)
        return "All sockets are already disabled.\n";
    if (st == FE_ST_OPEN && cur == FE_ST_OPEN)
        return "All sockets are already enabled.\n";
    fe->shared->fe_state.store(st);
    if (st == FE_ST_STOPPED) {
        // the master's copies of the listening sockets go; the workers close theirs (run
        // by a worker, host->cli_run, the master closes its copies at its next turn:
        // cli_master_turn)
        for (auto& b : fe->binds) {
            if (host_worker_slot() >= 0)
                break;
            for (int& fd : b->fds) {
                if (fd >= 0)
                    close(fd);
                fd = -1;
            }
        }
        char m[256];
        int n = snprintf(m, sizeof(m), "Proxy %s stopped (cumulated conns: FE: %llu, BE: %llu).",
                         fe->name.c_str(), (unsigned long long)fe->shared->cum_conns.load(),
                         (unsigned long long)fe->shared->be_cum_conns.load());
        PTC_WARN("%s", m);
        // as HAProxy, also to the proxy's log targets (a JSON object with "option ... json")
        log::proxy_message(*fe, PTC_LOG_WARNING, m, size_t(std::clamp(n, 0, int(sizeof(m) - 1))));
    }
    if (shm_header* h = shm_get())
        h->fe_gen.fetch_add(1, std::memory_order_release);
    wake_workers();
    return "";
}

std::string cmd_disable_frontend(cli_session&, const words& a)
{
    return set_frontend_state(a, FE_ST_PAUSED);
}
std::string cmd_enable_frontend(cli_session&, const words& a)
{
    return set_frontend_state(a, FE_ST_OPEN);
}
std::string cmd_shutdown_frontend(cli_session&, const words& a)
{
    return set_frontend_state(a, FE_ST_STOPPED);
}

std::string cmd_shutdown_sessions_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 3, be, sv, err))
        return err;
    srv_shutdown_streams(sv, false);
    return "";
}

std::string cmd_show_sess(cli_session&, const words& a)
{
    return cli_show_sess(a);
}

std::string cmd_shutdown_session(cli_session&, const words& a)
{
    return cli_shutdown_session(a);
}

// show events [<sink> [-w|-n|-nw|-wn]]: the sinks (stdout, stderr and the "ring" sections),
// or the lines a ring keeps.
std::string cmd_show_events(cli_session& s, const words& a)
{
    const log::global_log* gl = g_config->global.logs.get();
    if (a.size() < 3) {
        std::string out = "Supported events sinks are listed below. Add -w(wait), -n(new). Any "
                          "key to stop\n";
        out += "    stdout     : type=fd, 0 dropped, standard output (fd#1)\n";
        out += "    stderr     : type=fd, 0 dropped, standard output (fd#2)\n";
        for (size_t i = 0; gl && i < gl->rings.size(); i++) {
            const log::ring_conf& r = *gl->rings[i];
            char b[256];
            snprintf(b, sizeof(b), "    %-10s : type=buffer, 0 dropped, %s\n", r.name.c_str(),
                     r.desc.empty() ? r.name.c_str() : r.desc.c_str());
            out += b;
        }
        return out;
    }
    if (s.level < CLI_LVL_OPERATOR)
        return "Permission denied\n";
    log::ring_conf* r = log::find_ring(*g_config, a[2]);
    if (!r && a[2] != "stdout" && a[2] != "stderr")
        return "No such event sink";
    bool only_new = false, wait = false;
    for (size_t i = 3; i < a.size(); i++) {
        if (a[i] == "-n")
            only_new = true;
        else if (a[i] == "-w")
            wait = true;
        else if (a[i] == "-nw" || a[i] == "-wn")
            only_new = wait = true;
        else
            return "unknown option";
    }
    if (!r)
        return "Nothing to report for this sink";
    if (!wait)
        return log::ring_dump(*r, only_new);
    // Follow mode: the socket code sends what comes next until the client sends a key.
    s.follow_ring = r;
    s.follow_pos = only_new ? UINT64_MAX : 0;
    return cli_follow_more(s);
}


std::string cmd_show_pools(cli_session&, const words&)
{
    return cli_show_pools();
}

std::string cmd_show_errors(cli_session&, const words& a)
{
    return cli_show_errors(a);
}

std::string cmd_show_stat(cli_session&, const words& a)
{
    std::string err;
    std::string out = cli_show_stat(a, err);
    return err.empty() ? out : err;
}

std::string cmd_show_servers_state(cli_session&, const words& a)
{
    bool found;
    std::string out = cli_show_servers_state(a.size() > 3 ? a[3] : std::string(), found);
    return found ? out : "Can't find backend.\n";
}

std::string cmd_show_backend(cli_session&, const words&)
{
    std::string out = "# name\n";
    for (auto& p : g_config->proxies)
        if (p->cap & CAP_BE)
            out += p->name + "\n";
    return out;
}

std::string cmd_show_cli_level(cli_session& s, const words&)
{
    return s.level == CLI_LVL_ADMIN ? "admin\n" : s.level == CLI_LVL_OPERATOR ? "operator\n"
                                                                            : "user\n";
}

std::string lower_level(cli_session& s, int lvl)
{
    if (lvl > s.level)
        return "Permission denied\n";
    s.level = lvl;
    s.expert = s.experimental = false; // as HAProxy: a lower level leaves both modes
    return "";
}

// "expert-mode [on|off]", "experimental-mode [on|off]": admin only, for this session.
std::string cmd_mode(cli_session& s, const words& a)
{
    if (s.level < CLI_LVL_ADMIN)
        return "Permission denied\n";
    bool expert = a[0] == "expert-mode";
    bool& flag = expert ? s.expert : s.experimental;
    if (a.size() < 2)
        return a[0] + " is " + (flag ? "ON" : "OFF") + "\n";
    flag = a[1] == "on";
    return "";
}

// "get var <name>": a "proc." variable, operator level.
std::string cmd_get_var(cli_session& s, const words& a)
{
    if (s.level < CLI_LVL_OPERATOR)
        return "Permission denied\n";
    if (a.size() < 3 || a[2].empty())
        return "Missing process-wide variable identifier.\n";
    return smp::cli_get_var(a[2]);
}

// "set var <name> [expr|fmt] <value>": experimental mode, operator level.
std::string cmd_set_var(cli_session& s, const words& a)
{
    if (!s.experimental)
        return "This command is restricted to experimental mode only.\n";
    if (s.level < CLI_LVL_OPERATOR)
        return "Permission denied\n";
    if (a.size() < 3 || a[2].empty())
        return "Missing process-wide variable identifier.\n";
    if (a.size() < 4 || a[3].empty())
        return "Missing either 'expr', 'fmt' or expression.\n";
    bool fmt = false;
    std::string text = a[3];
    if (a.size() > 4 && !a[4].empty()) {
        if (a[3] == "fmt")
            fmt = true;
        else if (a[3] != "expr")
            return "'set var': arg type must be either 'expr' or 'fmt' but got '" + a[3] + "'.\n";
        text = a[4];
    }
    return smp::cli_set_var(a[2], fmt, text);
}

std::string cmd_user(cli_session& s, const words&) { return lower_level(s, CLI_LVL_USER); }
std::string cmd_operator(cli_session& s, const words&)
{
    return lower_level(s, CLI_LVL_OPERATOR);
}

std::string cmd_prompt(cli_session& s, const words&)
{
    s.interactive = !s.interactive;
    return "";
}

std::string cmd_quit(cli_session& s, const words&)
{
    s.quit = true;
    return "";
}

std::string cmd_set_timeout(cli_session& s, const words& a)
{
    if (a.size() < 3 || a[2] != "cli")
        return "'set timeout' only supports 'cli'.\n";
    uint64_t v;
    if (a.size() < 4 || !small_uint(a[3], v))
        return "Expects an integer value.\n";
    s.timeout_ms = (uint32_t)std::min<unsigned long>(v * 1000, 0x7fffffff);
    return "";
}

std::string cmd_get_weight(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err))
        return err;
    return std::to_string(sv->shared->weight.load()) + " (initial " +
           std::to_string(sv->shared->iweight) + ")\n";
}

// Shared by "set weight" and "set server ... weight" (and host->server_set_weight).
std::string change_weight(proxy* be, server* sv, const std::string* arg)
{
    return srv_change_weight(be, sv, arg);
}

std::string cmd_set_weight(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err))
        return err;
    return change_weight(be, sv, a.size() > 3 ? &a[3] : nullptr);
}

std::string cmd_enable_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err))
        return err;
    set_admin_flags(be, sv, 0, SRV_RT_FMAINT | SRV_RT_FDRAIN);
    return "";
}

std::string cmd_disable_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err))
        return err;
    set_admin_flags(be, sv, SRV_RT_FMAINT, SRV_RT_FDRAIN);
    return "";
}

std::string change_addr(proxy* be, server* sv, const words& a)
{
    // set server <b>/<s> addr <ip> [port <port>]
    if (a.size() < 5)
        return "set server <b>/<s> addr requires an address and optionally a port.\n";
    const char* by = " by 'stats socket command'\n";
    sockaddr_storage cur;
    be->shared->cfg_lock.lock();
    cur = sv->shared->addrlen ? sv->shared->addr : sv->addr;
    be->shared->cfg_lock.unlock();
    sockaddr_storage na{};
    socklen_t nlen;
    std::string ip = a[4];
    if (inet_pton(AF_INET, ip.c_str(), &reinterpret_cast<sockaddr_in&>(na).sin_addr) == 1) {
        na.ss_family = AF_INET;
        nlen = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(),
                         &reinterpret_cast<sockaddr_in6&>(na).sin6_addr) == 1) {
        na.ss_family = AF_INET6;
        nlen = sizeof(sockaddr_in6);
    } else {
        return "Invalid addr '" + ip + "'" + by;
    }
    uint16_t oport = addr_port(cur);
    uint16_t nport = oport;
    std::string msg;
    bool ip_changed = addr_ip(cur) != addr_ip(na) || cur.ss_family != na.ss_family;
    if (ip_changed)
        msg = "IP changed from '" + addr_ip(cur) + "' to '" + addr_ip(na) + "'";
    else
        msg = "no need to change the addr";
    if (a.size() > 5) {
        if (a[5] != "port" || a.size() < 7)
            return "set server <b>/<s> addr requires an address and optionally a port.\n";
        const std::string& p = a[6];
        uint64_t pv;
        if (!small_uint(p, pv) || pv == 0 || pv > 65535) {
            msg += ", problem converting port '" + p + "' to an int";
        } else {
            nport = (uint16_t)pv;
            if (nport != oport)
                msg += ", port changed from '" + std::to_string(oport) + "' to '" +
                       std::to_string(nport) + "'";
            else
                msg += ", no need to change the port";
        }
    }
    set_port(na, nport);
    if (ip_changed || nport != oport) {
        be->shared->cfg_lock.lock();
        sv->shared->addr = na;
        sv->shared->addrlen = nlen;
        be->shared->cfg_lock.unlock();
        sv->addr = na;
        sv->addrlen = nlen;
        publish(be, sv, false);
    }
    return msg + by;
}

std::string cmd_set_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err))
        return err;
    const char* usage = "usage: set server <backend>/<server> addr | agent | agent-addr | "
                        "agent-port | agent-send | check-addr | check-port | fqdn | health | "
                        "ssl | state | weight\n";
    if (a.size() < 4)
        return usage;
    const std::string& what = a[3];
    if (what == "state") {
        std::string v = a.size() > 4 ? a[4] : "";
        if (v == "ready")
            set_admin_flags(be, sv, 0, SRV_RT_FMAINT | SRV_RT_FDRAIN);
        else if (v == "drain")
            set_admin_flags(be, sv, SRV_RT_FDRAIN, SRV_RT_FMAINT);
        else if (v == "maint")
            set_admin_flags(be, sv, SRV_RT_FMAINT, SRV_RT_FDRAIN);
        else
            return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
        return "";
    }
    if (what == "weight")
        return change_weight(be, sv, a.size() > 4 ? &a[4] : nullptr);
    if (what == "addr")
        return change_addr(be, sv, a);
    if (what == "fqdn") {
        // HAProxy changes the name only for a server that has "resolvers" (portico refuses
        // them at load): its answers for a server without
        if (a.size() < 5 || a[4].empty())
            return "set server <b>/<s> fqdn requires a FQDN.\n";
        return "set server <b>/<s> fqdn failed because no resolution is configured.\n";
    }
    if (what == "agent" || what == "agent-addr" || what == "agent-port" ||
        what == "agent-send" || what == "check-addr" || what == "check-port" ||
        what == "health" || what == "ssl")
        return "'set server <srv> " + what + "' is not supported yet by portico.\n";
    return usage;
}

std::string cmd_set_maxconn_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 3, be, sv, err))
        return err;
    if (a.size() < 5)
        return "Require <maxconn>.\n";
    uint64_t u;
    if (!small_uint(a[4], u))
        return "maxconn string empty or preceded by garbage";
    uint32_t v = (uint32_t)u;
    sv->shared->maxconn.store(v);
    sv->maxconn = v;
    publish(be, sv, false);
    return "";
}

std::string cmd_add_server(cli_session&, const words& a)
{
    if (a.size() < 3 || a[2].find('/') == std::string::npos)
        return "Require 'backend/server'.";
    std::string bname = a[2].substr(0, a[2].find('/'));
    std::string sname = a[2].substr(a[2].find('/') + 1);
    proxy* be = g_config->find_backend(bname);
    if (!be)
        return "No such backend.";
    if (sname.empty() || a.size() < 4)
        return "'server' expects <name> and <addr>[:<port>] as arguments.\n";
    if (sname.size() >= sizeof(shm_server::name))
        return "Server name too long.\n";
    for (auto& s : be->servers)
        if (s->name == sname)
            return "Already exists a server with the same name in backend.\n";
    words args(a.begin() + 3, a.end());
    std::string line;
    for (auto& w : args) {
        if (w.find('\x1f') != std::string::npos)
            return "Invalid character in arguments.\n";
        if (!line.empty())
            line += '\x1f';
        line += w;
    }
    if (line.size() >= sizeof(shm_server::add_line))
        return "Server arguments too long (at most " +
               std::to_string(sizeof(shm_server::add_line) - 1) + " bytes).\n";
    std::string err;
    auto s = cli_make_server(*be, sname, args, err);
    if (!s)
        return err;
    bool forced_id = s->id != 0;
    if (forced_id) {
        for (auto& o : be->servers)
            if (o->id == s->id)
                return "Already exists a server with the same id in backend.\n";
    } else {
        uint32_t id = 1;
        for (bool clash = true; clash; ) {
            clash = false;
            for (auto& o : be->servers)
                if (o->id == id) {
                    clash = true;
                    id++;
                }
        }
        s->id = id;
    }
    shm_proxy* sp = be->shared;
    uint32_t slot = UINT32_MAX;
    for (uint32_t k = 0; k < sp->srv_slots && slot == UINT32_MAX; k++) {
        uint32_t idx = sp->srv_first + k;
        shm_server* sh = shm_server_slot(idx);
        if (sh->in_use.load())
            continue;
        bool used = false;
        for (auto& o : be->servers)
            used |= o->index == idx;
        if (!used)
            slot = idx;
    }
    if (slot == UINT32_MAX)
        return "No free server slot left in backend '" + be->name +
               "' (raise 'tune.dynamic-servers', now " + std::to_string(cli_spare_slots()) +
               ").\n";
    shm_server* sh = shm_server_slot(slot);
    sp->cfg_lock.lock();
    uint32_t inc = sh->incarnation.load() + 1; // objects of a deleted server there are stale
    sh->~shm_server();
    new (sh) shm_server{};
    sh->incarnation.store(inc);
    s->incarnation = inc;
    sh->admin.store(SRV_ADMIN_MAINT);
    sh->up.store(1);
    sh->weight.store(s->weight);
    sh->maxconn.store(s->maxconn);
    sh->maxqueue.store(s->maxqueue);
    sh->iweight = s->weight;
    sh->srv_id = s->id;
    sh->last_change = (uint32_t)time(nullptr);
    sh->addr = s->addr;
    sh->addrlen = s->addrlen;
    std::snprintf(sh->name, sizeof(sh->name), "%s", sname.c_str());
    std::snprintf(sh->add_line, sizeof(sh->add_line), "%s", line.c_str());
    uint32_t fl = SRV_RT_DYNAMIC | SRV_RT_FMAINT;
    if (s->disabled)
        fl |= SRV_RT_CMAINT;
    if (s->backup)
        fl |= SRV_RT_BACKUP;
    if (forced_id)
        fl |= SRV_RT_FORCED_ID;
    sh->rt_flags.store(fl);
    sh->check_health.store(0);
    sh->stopped.store(1);
    hist_clear(hist_obj_srv(slot), true); // a reused slot starts with empty histograms
    sh->in_use.store(1, std::memory_order_release);
    sp->cfg_lock.unlock();
    s->index = slot;
    s->shared = sh;
    be->servers.push_back(std::move(s));
    shm_servers_changed(sp);
    return "New server registered.\n";
}

std::string cmd_del_server(cli_session&, const words& a)
{
    proxy* be;
    server* sv;
    std::string err;
    if (!find_server(a, 2, be, sv, err, false))
        return err;
    shm_server* sh = sv->shared;
    // referred to by a "track", a fetch argument (srv_conn(be/s)...) or a Lua object
    if (sv->non_purgeable || (sh->rt_flags.load() & SRV_RT_PINNED))
        return "This server cannot be removed at runtime due to other configuration elements "
               "pointing to it.";
    if (sh->admin.load() != SRV_ADMIN_MAINT)
        return "Only servers in maintenance mode can be deleted.";
    if (sh->cur_conns.load() || sh->queue.cur.load())
        return "Server still has connections attached to it, cannot remove it.";
    be->shared->cfg_lock.lock();
    // a worker's Lua may pin it until the very last moment
    uint32_t fl = sh->rt_flags.load();
    while (!(fl & SRV_RT_PINNED) && !sh->rt_flags.compare_exchange_weak(fl, 0)) {
    }
    if (fl & SRV_RT_PINNED) {
        be->shared->cfg_lock.unlock();
        return "This server cannot be removed at runtime due to other configuration elements "
               "pointing to it.";
    }
    sh->weight.store(0);
    sh->incarnation.fetch_add(1); // every process's object for it is stale from now on
    sh->in_use.store(0, std::memory_order_release);
    be->shared->cfg_lock.unlock();
    for (size_t i = 0; i < be->servers.size(); i++)
        if (be->servers[i].get() == sv) {
            cli_server_bury(*be, i);
            break;
        }
    shm_servers_changed(be->shared);
    return "Server deleted.";
}

std::string cmd_help(cli_session& s, const words& a);

// Set by cli_run_line while the command that received a "<<" payload runs.
bool g_has_payload = false;

std::string cmd_patref(cli_session&, const words& a)
{
    return smp::patref_cli(a, g_has_payload);
}

const command k_commands[] = {
    {{"add", "acl"}, "add acl [@<ver>] <acl> <pattern>", "add an acl entry", CLI_LVL_OPERATOR,
     cmd_patref},
    {{"add", "map"}, "add map [@<ver>] <map> <key> <val>",
     "add a map entry (payload supported instead of key/val)", CLI_LVL_OPERATOR, cmd_patref},
    {{"clear", "acl"}, "clear acl [@<ver>] <acl>", "clear the contents of this acl",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"clear", "map"}, "clear map [@<ver>] <map>", "clear the contents of this map",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"commit", "acl"}, "commit acl @<ver> <acl>", "commit the ACL at this version",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"commit", "map"}, "commit map @<ver> <map>", "commit the map at this version",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"del", "acl"}, "del acl <acl> [<key>|#<ref>]", "delete acl entries matching <key>",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"del", "map"}, "del map <map> [<key>|#<ref>]", "delete map entries matching <key>",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"get", "acl"}, "get acl <acl> <value>", "report the patterns matching a sample for an ACL",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"get", "map"}, "get map <acl> <value>",
     "report the keys and values matching a sample for a map", CLI_LVL_OPERATOR, cmd_patref},
    {{"prepare", "acl"}, "prepare acl <acl>", "prepare a new version for atomic ACL replacement",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"prepare", "map"}, "prepare map <acl>", "prepare a new version for atomic map replacement",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"set", "map"}, "set map <map> [<key>|#<ref>] <value>", "modify a map entry",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"show", "acl"}, "show acl [@<ver>] <acl>]",
     "report available acls or dump an acl's contents", CLI_LVL_OPERATOR, cmd_patref},
    {{"show", "map"}, "show map [@ver] [map]", "report available maps or dump a map's contents",
     CLI_LVL_OPERATOR, cmd_patref},
    {{"add", "server"}, "add server <bk>/<srv>", "create a new server", CLI_LVL_ADMIN,
     cmd_add_server},
    {{"clear", "counters"}, "clear counters [all]",
     "clear max statistics counters (or all counters)", CLI_LVL_OPERATOR, cmd_clear_counters},
    {{"disable", "frontend"}, "disable frontend <frontend>",
     "temporarily disable specific frontend", CLI_LVL_ADMIN, cmd_disable_frontend},
    {{"enable", "frontend"}, "enable frontend <frontend>", "re-enable specific frontend",
     CLI_LVL_ADMIN, cmd_enable_frontend},
    {{"set", "maxconn", "frontend"}, "set maxconn frontend <frontend> <value>",
     "change a frontend's maxconn setting", CLI_LVL_ADMIN, cmd_set_maxconn_frontend},
    {{"set", "maxconn", "global"}, "set maxconn global <value>",
     "change the per-process maxconn setting", CLI_LVL_ADMIN, cmd_set_maxconn_global},
    {{"set", "rate-limit"}, "set rate-limit <setting> <value>", "change a rate limiting value",
     CLI_LVL_ADMIN, cmd_set_rate_limit},
    {{"show", "activity"}, "show activity",
     "show per-thread activity stats (for support/developers)", CLI_LVL_USER,
     cmd_show_activity},
    {{"show", "cli", "sockets"}, "show cli sockets", "dump list of cli sockets", CLI_LVL_USER,
     cmd_show_cli_sockets},
    {{"show", "errors"}, "show errors [<px>] [request|response]",
     "report last request and/or response errors for each proxy", CLI_LVL_OPERATOR,
     cmd_show_errors},
    {{"show", "env"}, "show env [var]", "dump environment variables known to the process",
     CLI_LVL_OPERATOR, cmd_show_env},
    {{"show", "schema"}, "show schema json", "report schema used for stats", CLI_LVL_USER,
     cmd_show_schema},
    {{"show", "version"}, "show version", "show version of the current process", CLI_LVL_USER,
     cmd_show_version},
    {{"shutdown", "frontend"}, "shutdown frontend <frontend>", "stop a specific frontend",
     CLI_LVL_ADMIN, cmd_shutdown_frontend},
    {{"show", "events"}, "show events [<sink>] [-w] [-n]",
     "show event sink state", CLI_LVL_USER, cmd_show_events},
    {{"show", "pools"}, "show pools", "report information about the memory pools usage",
     CLI_LVL_USER, cmd_show_pools},
    {{"show", "sess"}, "show sess [id]",
     "report the list of current sessions or dump this exact session", CLI_LVL_OPERATOR,
     cmd_show_sess},
    {{"shutdown", "session"}, "shutdown session [id]", "kill a specific session",
     CLI_LVL_ADMIN, cmd_shutdown_session},
    {{"shutdown", "sessions", "server"}, "shutdown sessions server <bk>/<srv>",
     "kill sessions on a server", CLI_LVL_ADMIN, cmd_shutdown_sessions_server},
    {{"del", "server"}, "del server <bk>/<srv>", "remove a server", CLI_LVL_ADMIN,
     cmd_del_server},
    {{"disable", "server"}, "disable server (DEPRECATED)",
     "disable a server for maintenance (use 'set server' instead)", CLI_LVL_ADMIN,
     cmd_disable_server},
    {{"enable", "server"}, "enable server  (DEPRECATED)",
     "enable a disabled server (use 'set server' instead)", CLI_LVL_ADMIN, cmd_enable_server},
    {{"get", "weight"}, "get weight <bk>/<srv>", "report a server's current weight",
     CLI_LVL_USER, cmd_get_weight},
    {{"operator"}, "operator", "lower the level of the current CLI session to operator",
     CLI_LVL_USER, cmd_operator},
    {{"set", "maxconn", "server"}, "set maxconn server <bk>/<srv>",
     "change a server's maxconn setting", CLI_LVL_ADMIN, cmd_set_maxconn_server},
    {{"set", "server"}, "set server <bk>/<srv> [opts]",
     "change a server's state, weight or address", CLI_LVL_ADMIN, cmd_set_server},
    {{"set", "timeout"}, "set timeout [cli] <delay>", "change a timeout setting", CLI_LVL_USER,
     cmd_set_timeout},
    {{"set", "weight"}, "set weight <bk>/<srv>  (DEPRECATED)",
     "change a server's weight (use 'set server' instead)", CLI_LVL_ADMIN, cmd_set_weight},
    {{"show", "backend"}, "show backend", "list backends in the current running config",
     CLI_LVL_USER, cmd_show_backend},
    {{"show", "cli", "level"}, "show cli level", "display the level of the current CLI session",
     CLI_LVL_USER, cmd_show_cli_level},
    {{"show", "info"}, "show info [desc|json|typed|float]*",
     "report information about the running process",
     CLI_LVL_USER, cmd_show_info},
    {{"show", "servers", "state"}, "show servers state [<backend>]",
     "dump volatile server information (all or for a single backend)", CLI_LVL_USER,
     cmd_show_servers_state},
    {{"show", "stat"}, "show stat [desc|json|no-maint|typed|up]*",
     "report counters for each proxy and server",
     CLI_LVL_USER, cmd_show_stat},
    {{"user"}, "user", "lower the level of the current CLI session to user", CLI_LVL_USER,
     cmd_user},
    {{"help"}, "help [<command>]", "list matching or all commands", CLI_LVL_USER, cmd_help},
    {{"expert-mode"}, "expert-mode [on|off]", "activate/deactivate expert mode", CLI_LVL_USER,
     cmd_mode},
    {{"experimental-mode"}, "experimental-mode [on|off]",
     "activate/deactivate experimental mode", CLI_LVL_USER, cmd_mode},
    {{"get", "var"}, "get var <name>", "retrieve contents of a process-wide variable",
     CLI_LVL_USER, cmd_get_var},
    {{"prompt"}, "prompt", "toggle interactive mode with prompt", CLI_LVL_USER, cmd_prompt},
    {{"quit"}, "quit", "disconnect", CLI_LVL_USER, cmd_quit},
};

// Commands HAProxy has that are answered without a help line.
const command k_hidden[] = {
    // listed by HAProxy only in experimental mode
    {{"set", "var"}, nullptr, "set variable from an expression or a format", CLI_LVL_USER,
     cmd_set_var},
};

bool is_tail(const command& c)
{
    return c.fn == cmd_help || c.fn == cmd_prompt || c.fn == cmd_quit;
}

std::string help_line(const command& c)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "  %-40s: %s\n", c.usage, c.desc);
    return buf;
}

size_t nwords(const command& c)
{
    size_t n = 0;
    while (n < 6 && c.kw[n])
        n++;
    return n;
}

// How many leading words of <a> match command <c> (all of c's words: full match).
size_t match_len(const command& c, const words& a)
{
    size_t n = 0;
    while (n < nwords(c) && n < a.size() && (a[n] == c.kw[n] || !std::strcmp(c.kw[n], "*")))
        n++;
    return n;
}

// Character-pair similarity of two strings (higher is closer).
int similarity(const std::string& x, const std::string& y)
{
    auto pairs = [](const std::string& s) {
        std::vector<std::string> v;
        std::string t = " " + s + " ";
        for (size_t i = 0; i + 1 < t.size(); i++)
            v.push_back(t.substr(i, 2));
        return v;
    };
    auto px = pairs(x), py = pairs(y);
    int common = 0;
    for (auto& p : px) {
        auto it = std::find(py.begin(), py.end(), p);
        if (it != py.end()) {
            common++;
            py.erase(it);
        }
    }
    return 2 * common * 1000 / (int)(px.size() + pairs(y).size());
}

// The list printed after an unknown command (HAProxy's shape: matching commands, then
// help/prompt/quit).
// The commands "help" lists (core and modules), HAProxy's order: sorted by usage.
std::vector<const command*> listed()
{
    std::vector<const command*> v;
    for (auto& c : k_commands)
        if (!is_tail(c))
            v.push_back(&c);
    for (auto& c : g_mod_cmds)
        if (c.usage)
            v.push_back(&c);
    std::stable_sort(v.begin(), v.end(), [](const command* l, const command* r) {
        return std::strcmp(l->usage, r->usage) < 0;
    });
    return v;
}

std::string suggestions(const cli_session& s, const words& a, bool all)
{
    std::vector<const command*> cands;
    size_t best = 0;
    const std::vector<const command*> lst = listed();
    if (!all)
        for (const command* c : lst)
            if (c->level <= s.level)
                best = std::max(best, match_len(*c, a));
    for (const command* c : lst)
        if (c->level <= s.level && (all || match_len(*c, a) >= best))
            cands.push_back(c);
    if (!all && best < a.size() && cands.size() > 5) {
        std::string rest;
        for (size_t i = best; i < a.size(); i++)
            rest += (rest.empty() ? "" : " ") + a[i];
        std::vector<std::pair<int, const command*>> sc;
        for (auto* c : cands) {
            std::string tail;
            for (size_t i = best; i < nwords(*c); i++)
                tail += (tail.empty() ? "" : " ") + std::string(c->kw[i]);
            sc.push_back({similarity(rest, tail), c});
        }
        std::stable_sort(sc.begin(), sc.end(),
                         [](auto& l, auto& r) { return l.first > r.first; });
        std::vector<const command*> keep;
        for (size_t i = 0; i < 5; i++)
            keep.push_back(sc[i].second);
        std::vector<const command*> ordered;
        for (auto* c : cands)
            if (std::find(keep.begin(), keep.end(), c) != keep.end())
                ordered.push_back(c);
        cands = ordered;
    }
    std::string out;
    for (auto* c : cands)
        out += help_line(*c);
    for (auto& c : k_commands)
        if (is_tail(c))
            out += help_line(c);
    return out;
}

std::string cmd_help(cli_session& s, const words& a)
{
    words rest(a.begin() + 1, a.end());
    return "The following commands are valid at this level:\n" +
           suggestions(s, rest, rest.empty());
}

std::string run_command(cli_session& s, const words& a)
{
    if (a.empty())
        return "Unknown command. Please enter one of the following commands only:\n" +
               suggestions(s, a, true);
    // a module's command first: the one matching the most words
    const command* mod = nullptr;
    for (const command& c : g_mod_cmds)
        if (match_len(c, a) == nwords(c) && (!mod || nwords(c) > nwords(*mod)))
            mod = &c;
    if (mod) {
        if (mod->level > s.level)
            return "Permission denied\n";
        std::vector<ptc_str> args;
        for (auto& w : a)
            args.push_back(ptc_str{w.data(), w.size()});
        std::string out;
        ptc_cli_reply r{&out};
        mod->mfn(mod->self, (uint32_t)args.size(), args.data(), &r);
        return out;
    }
    for (const command* tbl : {k_commands, k_hidden}) {
        size_t n = tbl == k_commands ? sizeof(k_commands) / sizeof(k_commands[0])
                                     : sizeof(k_hidden) / sizeof(k_hidden[0]);
        for (size_t i = 0; i < n; i++) {
            const command& c = tbl[i];
            if (match_len(c, a) != nwords(c))
                continue;
            if (c.level > s.level)
                return "Permission denied\n";
            return c.fn(s, a);
        }
    }
    std::string hc = cfg::haproxy_cli_command(a);
    if (!hc.empty())
        return "'" + hc + "' is not supported yet by portico.\n";
    return "Unknown command, but maybe one of the following ones is a better match:\n" +
           suggestions(s, a, false);
}

} // namespace

const char* cli_stat_schema() { return k_schema; }

bool cli_has_command(const std::string& line)
{
    auto cmds = cli_split(line);
    if (cmds.size() != 1 || cmds[0].empty())
        return false;
    for (const command& c : g_mod_cmds)
        if (match_len(c, cmds[0]) == nwords(c))
            return true;
    return false;
}

bool cli_register_command(ptc_modref* self, const ptc_cli_cmd* cmd, std::string& err)
{
    if (!cmd || !cmd->words || !cmd->fn || cmd->level > PTC_CLI_ADMIN) {
        err = "malformed runtime API command";
        return false;
    }
    words w;
    {
        auto parts = cli_split(cmd->words);
        if (parts.size() == 1)
            w = parts[0];
    }
    if (w.empty() || w.size() > 5) {
        err = std::string("runtime API command '") + cmd->words +
              "' must have 1 to 5 words";
        return false;
    }
    for (auto& c : g_mod_cmds) {
        size_t n = nwords(c);
        bool same = n == w.size();
        for (size_t i = 0; same && i < n; i++)
            same = w[i] == c.kw[i];
        if (same) {
            err = std::string("runtime API command '") + cmd->words + "' registered twice";
            return false;
        }
    }
    auto keep = [](const std::string& x) {
        g_mod_strings.push_back(std::make_unique<std::string>(x));
        return g_mod_strings.back()->c_str();
    };
    command c{};
    for (size_t i = 0; i < w.size(); i++)
        c.kw[i] = keep(w[i]);
    c.usage = cmd->usage ? keep(cmd->usage) : nullptr;
    c.desc = keep(cmd->desc ? cmd->desc : "");
    c.level = (int)cmd->level;
    c.fn = nullptr;
    c.mfn = cmd->fn;
    c.self = self;
    g_mod_cmds.push_back(c);
    return true;
}

void cli_reply_append(ptc_cli_reply* r, const char* fmt, va_list ap)
{
    if (!r || !r->out)
        return;
    char buf[1024];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(buf, sizeof(buf), fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(buf)) {
        r->out->append(buf, (size_t)n);
        return;
    }
    std::string big((size_t)n + 1, '\0');
    vsnprintf(big.data(), big.size(), fmt, ap);
    big.pop_back();
    r->out->append(big);
}

std::string cli_word(const std::string& w)
{
    std::string o;
    for (char c : w) {
        if (c == ' ' || c == '\\' || c == ';' || c == '\t')
            o += '\\';
        o += c;
    }
    return o;
}

std::vector<std::vector<std::string>> cli_split(const std::string& line)
{
    std::vector<words> cmds(1);
    std::string cur;
    bool in_word = false;
    for (size_t i = 0; i < line.size(); i++) {
        char c = line[i];
        if (c == '\\' && i + 1 < line.size()) {
            cur += line[++i];
            in_word = true;
        } else if (c == ';') {
            if (in_word)
                cmds.back().push_back(cur);
            cur.clear();
            in_word = false;
            cmds.emplace_back();
        } else if (c == ' ' || c == '\t' || c == '\r') {
            if (in_word)
                cmds.back().push_back(cur);
            cur.clear();
            in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (in_word)
        cmds.back().push_back(cur);
    return cmds;
}

std::string cli_follow_more(cli_session& s)
{
    if (!s.follow_ring)
        return std::string();
    return log::ring_read(*static_cast<log::ring_conf*>(s.follow_ring), s.follow_pos);
}

size_t host_cli_run(uint32_t argc, const ptc_str* argv, char* out, size_t outlen)
{
    cli_session s;
    s.level = CLI_LVL_ADMIN;
    words a;
    for (uint32_t i = 0; i < argc; i++)
        a.emplace_back(argv[i].ptr, argv[i].len);
    std::string r = run_command(s, a);
    if (out && outlen) {
        size_t n = std::min(r.size(), outlen - 1);
        memcpy(out, r.data(), n);
        out[n] = 0;
    }
    return r.size();
}

void cli_master_turn()
{
    // "shutdown frontend" run by a worker (host->cli_run, Lua's Proxy:stop): the workers
    // closed their sockets, the master's copies go now
    if (host_worker_slot() >= 0)
        return;
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_FE) || !p->shared || p->shared->fe_state.load() != FE_ST_STOPPED)
            continue;
        for (auto& b : p->binds)
            for (int& fd : b->fds) {
                if (fd >= 0)
                    close(fd);
                fd = -1;
            }
    }
}

std::string cli_run_line(cli_session& s, const std::string& line)
{
    return cli_run_line(s, line, std::string());
}

std::string cli_run_line(cli_session& s, const std::string& line, const std::string& payload)
{
    std::string out;
    auto cmds = cli_split(line);
    if (!payload.empty() && !cmds.empty())
        cmds.back().push_back(payload);
    if (s.interactive && cmds.size() == 1 && cmds[0].empty())
        return "\n> ";
    for (auto& c : cmds) {
        g_has_payload = !payload.empty() && &c == &cmds.back();
        out += run_command(s, c);
        g_has_payload = false;
        if (s.quit || s.follow_ring) // following a ring: the end comes with a key
            break;
        out += s.interactive ? "\n> " : "\n";
    }
    return out;
}

} // namespace portico
