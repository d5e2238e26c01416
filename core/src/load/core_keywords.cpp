// SPDX-License-Identifier: MIT
// The core's own configuration keywords, registered through the same table shape as a
// module's: global settings, proxy basics, bind and server lines.
#include "load/core_keywords.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cfg/units.hpp"
#include "lb/lb.hpp"
#include "lb/lb_conf.hpp"
#include "module/module.hpp"
#include "proxy/addr.hpp"
#include "proxy/errorfiles.hpp"
#include "load/cfgload.hpp"
#include "proxy/proxy.hpp"
#include "sample/sample.hpp"
#include "sample/sample_host.hpp"
#include "proxy/cfg_ctx.hpp"

namespace portico {

namespace {

const auto arg = kw_word;
// The first argument after the keyword words.
inline uint32_t a0(const ptc_kw_ctx* c) { return c->kw_words; }

const auto err = kw_error;

config& C() { return *g_loader->cfg(); }
proxy& P(const ptc_kw_ctx* c) { return *to_proxy(c->proxy); }

using cfg::parse_uint;

int uint_arg(const ptc_kw_ctx* c, uint64_t max, uint64_t& out)
{
    std::string e;
    if (!parse_uint(arg(c, a0(c)), max, out, &e))
        return err(c, "'" + arg(c, 0) + "' " + e);
    return PTC_OK;
}

// ---- global -----------------------------------------------------------------------------

int parse_global_daemon(const ptc_kw_ctx*)
{
    C().global.daemon = true;
    return PTC_OK;
}

int parse_global_maxconn(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (uint_arg(c, 10000000, v) != PTC_OK)
        return PTC_ERROR;
    if (c->section == PTC_SEC_GLOBAL)
        C().global.maxconn = (uint32_t)v;
    else
        P(c).maxconn = (uint32_t)v;
    return PTC_OK;
}

int parse_global_workers(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (uint_arg(c, 1024, v) != PTC_OK)
        return PTC_ERROR;
    if (v == 0)
        return err(c, "'" + arg(c, 0) + "' expects a number of workers >= 1");
    C().global.workers = (uint32_t)v;
    return PTC_OK;
}

int parse_global_pidfile(const ptc_kw_ctx* c)
{
    C().global.pidfile = arg(c, 1);
    return PTC_OK;
}

int parse_global_module_path(const ptc_kw_ctx* c)
{
    g_loader->module_paths.push_back(arg(c, 1));
    return PTC_OK;
}

int parse_global_module_load(const ptc_kw_ctx* c)
{
    std::string spec = arg(c, 1);
    if (spec.find('/') != std::string::npos && spec[0] != '/') {
        // relative to the configured module-path, else to the current directory
        if (!g_loader->module_paths.empty())
            spec = g_loader->module_paths.back() + "/" + spec;
    }
    return g_loader->load_module(spec, c->file, (int)c->line) ? PTC_OK : PTC_ERROR;
}

int parse_tune_size(const ptc_kw_ctx* c, uint32_t& out, uint64_t min, uint64_t max)
{
    uint64_t v;
    std::string s = arg(c, 1);
    if (!cfg::parse_size(s, v) || v < min || v > max)
        return err(c, "'" + arg(c, 0) + "' expects a size between " + std::to_string(min) +
                          " and " + std::to_string(max) + ", got '" + s + "'");
    out = (uint32_t)v;
    return PTC_OK;
}

int parse_global_tune_bufsize(const ptc_kw_ctx* c)
{
    return parse_tune_size(c, C().global.bufsize, 1024, 1 << 20);
}

int parse_global_tune_maxrewrite(const ptc_kw_ctx* c)
{
    return parse_tune_size(c, C().global.maxrewrite, 0, 1 << 19);
}

int parse_global_tune_http_maxhdr(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), 32767, v) || v < 1)
        return err(c, "'tune.http.maxhdr' expects a number between 1 and 32767, got '" +
                          arg(c, 1) + "'");
    C().global.http_maxhdr = (uint32_t)v;
    return PTC_OK;
}

// tune.idle-pool.shared on|off: HAProxy shares a server's idle connections between the
// threads of its process (on, the default) or not. A portico worker is one single-threaded
// process whose pool serves all its streams, so both settings mean what "off" means
// for one thread; pools are never shared between workers (descriptors are per process).
int parse_global_tune_idle_pool_shared(const ptc_kw_ctx* c)
{
    std::string v = arg(c, 1);
    if (v != "on" && v != "off")
        return err(c, "'tune.idle-pool.shared' expects either 'on' or 'off' but got '" + v + "'.");
    return PTC_OK;
}

// spread-checks <0..50>: random spread of the health-check intervals, in percent
int parse_global_spread_checks(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), 50, v))
        return err(c, "'spread-checks' needs a positive value in range 0..50, got '" +
                          arg(c, 1) + "'");
    C().global.spread_checks = (uint32_t)v;
    return PTC_OK;
}

// max-spread-checks <time>: the longest delay between the first and last first checks
int parse_global_max_spread_checks(const ptc_kw_ctx* c)
{
    uint64_t ms;
    std::string v = arg(c, 1);
    if (!cfg::parse_time_ms(v, ms))
        return err(c, "'max-spread-checks': invalid time value '" + v + "'");
    if (ms > cfg::max_timeout_ms)
        return err(c, "'max-spread-checks': timer overflow in '" + v +
                          "' (maximum is 2147483647 ms, about 24.8 days)");
    C().global.max_spread_checks = ms;
    return PTC_OK;
}

// ---- global: process, privileges, limits, stops (used by core/src/proc) ---------------

// uid <number> / gid <number>
int parse_global_uid(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), UINT32_MAX - 1, v))
        return err(c, "'" + arg(c, 0) + "' expects an integer argument, got '" + arg(c, 1) +
                          "'");
    (arg(c, 0) == "uid" ? C().global.uid : C().global.gid) = (int64_t)v;
    return PTC_OK;
}

// user <name> / group <name>: resolved now, as HAProxy does
int parse_global_user(const ptc_kw_ctx* c)
{
    std::string name = arg(c, 1);
    if (arg(c, 0) == "user") {
        passwd* pw = getpwnam(name.c_str());
        if (!pw)
            return err(c, "cannot find user id for '" + name + "'");
        C().global.uid = pw->pw_uid;
    } else {
        group* gr = getgrnam(name.c_str());
        if (!gr)
            return err(c, "cannot find group id for '" + name + "'");
        C().global.gid = gr->gr_gid;
    }
    return PTC_OK;
}

int parse_global_chroot(const ptc_kw_ctx* c)
{
    std::string dir = arg(c, 1);
    if (dir == "auto")
        return err(c, "'chroot auto' is not supported yet by portico");
    C().global.chroot = dir;
    return PTC_OK;
}

int parse_global_ulimit_n(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), 1u << 30, v) || v == 0)
        return err(c, "'ulimit-n' expects an integer argument, got '" + arg(c, 1) + "'");
    C().global.ulimit_n = (uint32_t)v;
    return PTC_OK;
}

int parse_global_strict_limits(const ptc_kw_ctx* c)
{
    C().global.strict_limits = !c->negated;
    return PTC_OK;
}

// "expose-experimental-directives": HAProxy 2.6 refuses its experimental keywords
// (http-request normalize-uri...) without it; the following lines may use them.
int parse_global_experimental(const ptc_kw_ctx*)
{
    C().global.experimental = true;
    return PTC_OK;
}

int parse_global_master_worker(const ptc_kw_ctx* c)
{
    if (c->argc > 1 && arg(c, 1) != "no-exit-on-failure")
        return err(c, "'master-worker' only accepts 'no-exit-on-failure', got '" + arg(c, 1) +
                          "'");
    C().global.master_worker = true;
    return PTC_OK;
}

int parse_global_mworker_max_reloads(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), UINT32_MAX, v) || v == 0)
        return err(c, "'mworker-max-reloads' expects a strictly positive integer, got '" +
                          arg(c, 1) + "'");
    C().global.mworker_max_reloads = (uint32_t)v;
    return PTC_OK;
}

// server-state-base <dir> / server-state-file <file>: once each, as HAProxy
int parse_global_server_state(const ptc_kw_ctx* c)
{
    std::string& dst = arg(c, 0) == "server-state-base" ? C().global.server_state_base
                                                         : C().global.server_state_file;
    if (!dst.empty())
        return err(c, "'" + arg(c, 0) + "' already specified");
    if (arg(c, 1).empty())
        return err(c, "'" + arg(c, 0) + "' expects one argument: a " +
                          (arg(c, 0) == "server-state-base" ? "directory" : "file") + " path");
    dst = arg(c, 1);
    return PTC_OK;
}

// load-server-state-from-file global|local|none
int parse_proxy_load_server_state(const ptc_kw_ctx* c)
{
    std::string a = arg(c, 1);
    if (a == "none")
        P(c).srv_state_load = 0;
    else if (a == "global")
        P(c).srv_state_load = 1;
    else if (a == "local")
        P(c).srv_state_load = 2;
    else
        return err(c, "'" + arg(c, 0) + "' expects 'global', 'local' or 'none'. Got '" + a + "'");
    return PTC_OK;
}

// server-state-file-name [use-backend-name|<file>]
int parse_proxy_server_state_file_name(const ptc_kw_ctx* c)
{
    std::string a = c->argc > 1 ? arg(c, 1) : std::string();
    P(c).srv_state_file_name = a == "use-backend-name" ? std::string() : a;
    return PTC_OK;
}

// hard-stop-after <time> / grace <time>
int parse_global_stop_time(const ptc_kw_ctx* c)
{
    uint64_t ms;
    std::string v = arg(c, 1);
    if (!cfg::parse_time_ms(v, ms))
        return err(c, "'" + arg(c, 0) + "': invalid time value '" + v + "'");
    if (ms > cfg::max_timeout_ms)
        return err(c, "'" + arg(c, 0) + "': timer overflow in '" + v +
                          "' (maximum is 2147483647 ms, about 24.8 days)");
    (arg(c, 0) == "grace" ? C().global.grace : C().global.hard_stop_after) = ms;
    return PTC_OK;
}

// node / description / localpeer: kept for "show info" and the peers sections
int parse_global_text(const ptc_kw_ctx* c)
{
    std::string k = arg(c, 0);
    std::string v = arg(c, 1);
    for (uint32_t i = 2; k == "description" && i < c->argc; i++)
        v += " " + arg(c, i);
    if (k == "node") {
        for (char ch : v)
            if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_' && ch != '.')
                return err(c, "'node' only accepts letters, digits, '-', '_' and '.', got '" +
                                  v + "'");
        C().global.node = v;
    } else if (k == "description")
        C().global.description = v;
    else
        C().global.localpeer = v;
    return PTC_OK;
}

// setenv / presetenv <name> <value>, unsetenv [<name>...], resetenv [<name>...]: applied
// at once, so the next lines' "${VAR}" see the change (HAProxy's rule)
int parse_global_env(const ptc_kw_ctx* c)
{
    std::string k = arg(c, 0);
    if (k == "setenv" || k == "presetenv") {
        if (c->argc != 3)
            return err(c, "'" + k + "' expects a name and a value");
        if (setenv(arg(c, 1).c_str(), arg(c, 2).c_str(), k == "setenv") != 0)
            return err(c, "'" + k + "' failed on '" + arg(c, 1) + "': " + strerror(errno));
    } else if (k == "unsetenv") {
        for (uint32_t i = 1; i < c->argc; i++)
            unsetenv(arg(c, i).c_str());
    } else { // resetenv: keep only the names given
        std::vector<std::string> drop;
        for (char** e = environ; e && *e; e++) {
            std::string name(*e, strcspn(*e, "="));
            bool keep = false;
            for (uint32_t i = 1; i < c->argc && !keep; i++)
                keep = arg(c, i) == name;
            if (!keep)
                drop.push_back(name);
        }
        for (auto& n : drop)
            unsetenv(n.c_str());
    }
    return PTC_OK;
}

int parse_global_nbproc(const ptc_kw_ctx* c)
{
    return err(c, "nbproc is not supported any more since HAProxy 2.5. Threads will "
                  "automatically be used on multi-processor machines if available.");
}

// A list of numbers and ranges ("0-3,6", "all", "odd", "even") within [lo, hi].
bool parse_cpu_set(const std::string& s, int lo, int hi, std::vector<int>& out)
{
    if (s == "all" || s == "odd" || s == "even") {
        for (int i = lo; i <= hi; i++)
            if (s == "all" || (s == "odd") == (i % 2 == 1))
                out.push_back(i);
        return true;
    }
    size_t p = 0;
    while (p <= s.size()) {
        size_t e = s.find(',', p);
        std::string part = s.substr(p, e == std::string::npos ? std::string::npos : e - p);
        size_t dash = part.find('-');
        int64_t a, b;
        if (dash == std::string::npos) {
            if (!cfg::parse_int(part, lo, hi, a))
                return false;
            b = a;
        } else if (!cfg::parse_int(part.substr(0, dash), lo, hi, a) ||
                   !cfg::parse_int(part.substr(dash + 1), lo, hi, b) || b < a)
            return false;
        for (int64_t i = a; i <= b; i++)
            out.push_back((int)i);
        if (e == std::string::npos)
            break;
        p = e + 1;
    }
    return !out.empty();
}

// cpu-map [auto:]<process-set>[/<thread-set>] <cpu-set>...: portico's threads are its
// worker processes, numbered from 1; the only process is 1 (or "all")
int parse_global_cpu_map(const ptc_kw_ctx* c)
{
    std::string what = arg(c, 1);
    bool autom = what.rfind("auto:", 0) == 0;
    if (autom)
        what = what.substr(5);
    size_t slash = what.find('/');
    std::string procs = what.substr(0, slash);
    std::string threads = slash == std::string::npos ? "all" : what.substr(slash + 1);
    std::vector<int> pset, tset, cpus;
    if (!parse_cpu_set(procs, 1, 64, pset) || pset.size() != 1 || pset[0] != 1)
        return err(c, "'cpu-map': process set '" + procs +
                          "' must be 1 or 'all' (HAProxy 2.5+ has one process)");
    if (!parse_cpu_set(threads, 1, 1024, tset))
        return err(c, "'cpu-map': invalid thread set '" + threads + "'");
    std::string list;
    for (uint32_t i = 2; i < c->argc; i++)
        list += (list.empty() ? "" : ",") + arg(c, i);
    if (!parse_cpu_set(list, 0, CPU_SETSIZE - 1, cpus))
        return err(c, "'cpu-map': invalid CPU set '" + list + "'");
    if (autom && tset.size() != cpus.size() && cpus.size() != 1)
        return err(c, "'cpu-map': auto-mapping needs as many CPUs as threads (" +
                          std::to_string(tset.size()) + " threads, " +
                          std::to_string(cpus.size()) + " CPUs)");
    for (size_t i = 0; i < tset.size(); i++) {
        std::vector<int> set = autom ? std::vector<int>{cpus[cpus.size() == 1 ? 0 : i]} : cpus;
        C().global.cpu_map.emplace_back((uint32_t)tset[i] - 1, set);
    }
    return PTC_OK;
}

// errorfile <status> <file>: a raw HTTP response sent instead of the built-in page
int parse_proxy_errorfile(const ptc_kw_ctx* c)
{
    std::string e;
    int code = 0;
    std::string body;
    g_errorfile_max = C().global.bufsize - C().global.maxrewrite;
    if (!errorfile_load(arg(c, 1), arg(c, 2), "errorfile", code, body, e))
        return err(c, e);
    proxy& p = P(c);
    p.errorfiles[code] = body;
    p.errorfile_seq[code] = ++p.errors_seq;
    return PTC_OK;
}

// errorfiles <name> [<code> ...]
int parse_proxy_errorfiles(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    proxy::errorfiles_ref r{arg(c, 1), {}, ++p.errors_seq, c->file ? c->file : "", (int)c->line};
    for (uint32_t i = 2; i < c->argc; i++) {
        int code;
        std::string e;
        if (!errorfile_code(arg(c, i), "errorfiles", code, e))
            return err(c, e);
        r.codes.push_back(code);
    }
    p.errorfiles_refs.push_back(std::move(r));
    return PTC_OK;
}

// Appends file <path>'s bytes to <out> (http-error's "file" and "lf-file"); false with errno
// set if it cannot be opened.
static bool read_body(const std::string& path, std::string& out)
{
    FILE* f = fopen(path.c_str(), "rb");
    if (!f)
        return false;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        out.append(buf, n);
    fclose(f);
    return true;
}

// http-error status <code> [content-type <type>] [default-errorfiles | errorfile <file> |
//   errorfiles <name> | file <file> | string <str>] [hdr <name> <value>]*
int parse_proxy_http_error(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    if (arg(c, 1) != "status")
        return err(c, "'http-error' expects 'status <code>' first");
    int code;
    std::string e;
    if (!errorfile_code(arg(c, 2), "http-error", code, e))
        return err(c, e);
    std::string ctype, body, kind, lf_body;
    bool have_body = false, dynamic = false;
    std::vector<std::pair<std::string, std::string>> hdrs;
    for (uint32_t i = 3; i < c->argc; i++) {
        std::string w = arg(c, i);
        bool more = i + 1 < c->argc;
        if (w == "content-type" && more) {
            ctype = arg(c, ++i);
        } else if (w == "default-errorfiles" || ((w == "errorfile" || w == "errorfiles" ||
                                                   w == "file" || w == "string") && more)) {
            if (!kind.empty())
                return err(c, "'http-error': '" + w + "' conflicts with '" + kind + "'");
            kind = w;
            if (w == "default-errorfiles")
                continue;
            std::string v = arg(c, ++i);
            if (w == "errorfile") {
                int got;
                std::string full;
                g_errorfile_max = C().global.bufsize - C().global.maxrewrite;
                if (!errorfile_load(arg(c, 2), v, "http-error", got, full, e))
                    return err(c, e);
                body = full;
            } else if (w == "errorfiles") {
                p.errorfiles_refs.push_back(
                    proxy::errorfiles_ref{v, {code}, ++p.errors_seq, c->file ? c->file : "",
                                          (int)c->line});
            } else if (w == "file") {
                if (!read_body(v, body))
                    return err(c, "'http-error': cannot open '" + v + "': " + strerror(errno));
                have_body = true;
            } else {
                body = v;
                have_body = true;
            }
        } else if ((w == "lf-string" || w == "lf-file") && more) {
            if (!kind.empty())
                return err(c, "'http-error': '" + w + "' conflicts with '" + kind + "'");
            kind = w;
            std::string v = arg(c, ++i);
            if (w == "lf-file") {
                if (!read_body(v, lf_body))
                    return err(c, "'http-error': cannot open '" + v + "': " + strerror(errno));
            } else {
                lf_body = v;
            }
            have_body = dynamic = true;
        } else if (w == "hdr" && i + 2 < c->argc) {
            std::string n = arg(c, i + 1), v = arg(c, i + 2);
            if (v.find('%') != std::string::npos)
                dynamic = true; // a log-format value, evaluated per use as HAProxy's
            hdrs.emplace_back(n, v);
            i += 2;
        } else {
            return err(c, "'http-error': unexpected argument '" + w + "'");
        }
    }
    if (kind == "default-errorfiles") {
        p.errorfiles.erase(code);
        p.errorfile_seq[code] = ++p.errors_seq;
        return PTC_OK;
    }
    if (kind == "errorfiles")
        return PTC_OK;
    if (kind == "errorfile") {
        p.errorfiles[code] = body;
        p.errorfile_seq[code] = ++p.errors_seq;
        return PTC_OK;
    }
    if (have_body && !(body.empty() && lf_body.empty()) && ctype.empty())
        return err(c, "'http-error': a payload requires a 'content-type'");
    if (dynamic) {
        auto d = std::make_shared<proxy::dyn_error>();
        d->ctype = ctype;
        for (auto& [n, v] : hdrs) {
            ptc_logfmt* lf = host_logfmt_compile(c, ptc_str{v.data(), v.size()});
            if (!lf)
                return PTC_ERROR; // reported
            d->hdrs.emplace_back(n, lf);
        }
        if (kind == "lf-string" || kind == "lf-file") {
            if (!lf_body.empty() &&
                !(d->body_lf = host_logfmt_compile(c, ptc_str{lf_body.data(), lf_body.size()})))
                return PTC_ERROR;
        } else {
            d->body = body;
        }
        p.dyn_errors[code] = d;
        p.errorfiles[code] = std::string(dyn_error_marker, sizeof(dyn_error_marker) - 1);
        p.errorfile_seq[code] = ++p.errors_seq;
        return PTC_OK;
    }
    std::string head = "HTTP/1.1 " + std::to_string(code) + " " + errorfile_reason(code) +
                       "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n";
    if (!body.empty())
        head += "content-type: " + ctype + "\r\n";
    for (auto& [n, v] : hdrs)
        head += n + ": " + v + "\r\n";
    std::string full = head + "\r\n" + body;
    if (full.size() > C().global.bufsize - C().global.maxrewrite)
        return err(c, "'http-error': the message is larger than the buffer (tune.bufsize "
                      "minus tune.maxrewrite)");
    p.errorfiles[code] = full;
    p.errorfile_seq[code] = ++p.errors_seq;
    return PTC_OK;
}

// ---- proxies ----------------------------------------------------------------------------

int parse_proxy_mode(const ptc_kw_ctx* c)
{
    std::string m = arg(c, 1);
    if (m == "health")
        return err(c, "'mode health' was removed from HAProxy 2.x; use 'monitor-uri'");
    if (m == "log" || m == "spop")
        return err(c, "'mode " + m + "' is not supported yet by portico");
    if (m != "tcp" && m != "http")
        return err(c, "unknown proxy mode '" + m + "' (expected 'tcp' or 'http')");
    P(c).mode = m == "http" ? px_mode::http : px_mode::tcp;
    P(c).mode_set = true;
    return PTC_OK;
}

int parse_proxy_timeout(const ptc_kw_ctx* c)
{
    std::string which = arg(c, 1);
    std::string v = arg(c, c->kw_words);
    uint64_t ms;
    if (!cfg::parse_time_ms(v, ms))
        return err(c, "'timeout " + which + "': invalid time value '" + v + "'");
    if (ms > cfg::max_timeout_ms)
        return err(c, "'timeout " + which + "': timer overflow in '" + v +
                          "' (maximum is 2147483647 ms, about 24.8 days)");
    uint64_t proxy_timeouts::*f = proxy_timeouts::field(which);
    if (!f)
        return err(c, "'timeout " + which + "' is not a proxy timeout");
    P(c).*f = ms;
    return PTC_OK;
}

// "tcp-request inspect-delay <time>": how long the tcp-request content rules may wait for
// request bytes (the tcp module reads it as proxy_timeout(p, "inspect-delay")).
// "tcp-response inspect-delay <time>": the same for the tcp-response content rules and the
// response bytes (proxy_timeout(p, "res-inspect-delay")).
int parse_inspect_delay(const ptc_kw_ctx* c)
{
    const std::string kw = arg(c, 0) + " inspect-delay";
    std::string v = arg(c, c->kw_words);
    uint64_t ms;
    if (!cfg::parse_time_ms(v, ms))
        return err(c, "'" + kw + "': invalid time value '" + v + "'");
    if (ms > cfg::max_timeout_ms)
        return err(c, "'" + kw + "': timer overflow in '" + v + "'");
    (arg(c, 0) == "tcp-response" ? P(c).t_res_inspect : P(c).t_inspect) = ms;
    return PTC_OK;
}

int parse_proxy_bind(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    std::string spec = arg(c, 1);
    // several comma-separated addresses share the options
    std::vector<std::string> addrs;
    size_t start = 0;
    while (true) {
        size_t comma = spec.find(',', start);
        addrs.push_back(spec.substr(start, comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    std::vector<std::unique_ptr<bind_conf>> made;
    for (auto& a : addrs) {
        auto b = std::make_unique<bind_conf>();
        b->spec = a;
        b->file = c->file;
        b->line = (int)c->line;
        b->fe = &p;
        std::string e;
        addr_opts o;
        o.unix_ok = true;
        if (!parse_addr(a, o, b->addr, b->addrlen, &b->inherited_fd, e))
            return err(c, "'bind " + spec + "': " + e);
        made.push_back(std::move(b));
    }
    // options
    for (uint32_t i = 2; i < c->argc;) {
        std::vector<std::string> words;
        for (uint32_t j = i; j < c->argc; j++)
            words.push_back(arg(c, j));
        int used = 0;
        const cfg::kw_entry* e = g_loader->bind_kws.find(words, 0, &used, PTC_KW_BIND);
        if (!e) {
            std::string o = words[0];
            if (cfg::is_haproxy_keyword(o, 1))
                return err(c, "bind option '" + o + "' is not supported yet by portico");
            std::string hint = g_loader->bind_kws.suggest(words, 0, PTC_KW_BIND);
            return err(c, "'bind " + spec + "': unknown option '" + o + "'" +
                              (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
        }
        const kw_def* d = static_cast<const kw_def*>(e->data);
        uint32_t need = (uint32_t)d->kw->max_args;
        if (i + (uint32_t)used + need > c->argc)
            return err(c, "bind option '" + e->name + "' expects " + std::to_string(need) +
                              " argument" + (need > 1 ? "s" : ""));
        if (!d->kw->parse)
            return err(c, "bind option '" + e->name + "' is not supported yet by portico");
        ptc_kw_ctx o = *c;
        o.args = c->args + i;
        o.argc = (uint32_t)used + need;
        o.kw_words = (uint32_t)used;
        o.self = reinterpret_cast<ptc_modref*>(d->mod);
        o.conf = conf_blob(p.mod, d->mod, PTC_CONF_PROXY);
        // every bind option, the core's included, is parsed once per address of the line,
        // with that address and its blob (ABI 1.3)
        int r = PTC_OK;
        for (size_t k = 0; k < made.size() && r == PTC_OK; k++) {
            o.bind = reinterpret_cast<ptc_bind*>(made[k].get());
            o.bind_conf = conf_blob(made[k]->mod, d->mod, PTC_CONF_BIND);
            r = d->kw->parse(&o);
        }
        if (r != PTC_OK)
            return PTC_ERROR;
        i += (uint32_t)used + need;
    }
    for (auto& b : made)
        p.binds.push_back(std::move(b));
    return PTC_OK;
}

bind_conf& BIND(const ptc_kw_ctx* c) { return *reinterpret_cast<bind_conf*>(c->bind); }

int parse_bind_defer_accept(const ptc_kw_ctx* c)
{
    BIND(c).defer_accept = arg(c, 0) == "defer-accept" ? 1 : 0;
    return PTC_OK;
}

// "proto <mux>" on a bind or a server: HAProxy's forced multiplexer. Portico speaks
// HTTP/1 on both sides, so "h1" (what it does anyway) is accepted; the others are refused.
int parse_proto_h1(const ptc_kw_ctx* c)
{
    std::string v = arg(c, 1);
    if (v != "h1")
        return err(c, "'proto " + v + "': only 'proto h1' is supported (portico speaks HTTP/1; "
                      "no " + v + " multiplexer yet)");
    return PTC_OK;
}

// UNIX socket binds: "mode <octal>", "uid <n>", "user <name>", "gid <n>", "group <name>"
// (ignored on other sockets, as HAProxy)
int parse_bind_unix_perm(const ptc_kw_ctx* c)
{
    std::string k = arg(c, 0), v = arg(c, 1);
    bind_conf& b = BIND(c);
    char* end = nullptr;
    if (k == "mode") {
        long m = strtol(v.c_str(), &end, 8);
        if (v.empty() || *end || m < 0 || m > 07777)
            return err(c, "'mode' : expects an octal mode, got '" + v + "'");
        b.unix_mode = (int)m;
    } else if (k == "uid" || k == "gid") {
        long n = strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || n < 0)
            return err(c, "'" + k + "' : expects an integer argument, got '" + v + "'");
        (k == "uid" ? b.unix_uid : b.unix_gid) = n;
    } else if (k == "user") {
        struct passwd* pw = getpwnam(v.c_str());
        if (!pw)
            return err(c, "'user' : unknown user name '" + v + "'");
        b.unix_uid = pw->pw_uid;
    } else {
        struct group* gr = getgrnam(v.c_str());
        if (!gr)
            return err(c, "'group' : unknown group name '" + v + "'");
        b.unix_gid = gr->gr_gid;
    }
    return PTC_OK;
}

int parse_bind_name(const ptc_kw_ctx* c)
{
    BIND(c).name = arg(c, 1);
    return PTC_OK;
}

int parse_proxy_default_backend(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    p.default_backend_name = arg(c, 1);
    p.default_backend_file = c->file;
    p.default_backend_line = (int)c->line;
    return PTC_OK;
}

// use_backend <name> [if|unless <cond>], and dynamic names "%[expr]": core/src/sample/
int parse_proxy_use_backend(const ptc_kw_ctx* c) { return smp::parse_use_backend(c); }

int parse_proxy_balance(const ptc_kw_ctx* c)
{
    std::vector<std::string> args;
    for (uint32_t i = 1; i < c->argc; i++)
        args.push_back(arg(c, i));
    lb_conf lc = P(c).lbconf;
    std::string e;
    if (!lb_parse_balance(args, lc, e))
        return err(c, e);
    if (!lb_compile_key(c, lc, e))
        return e.empty() ? PTC_ERROR : err(c, e);
    P(c).lbconf = lc;
    return PTC_OK;
}

// server NAME ADDR [options] / default-server [options]
int apply_server_options(const ptc_kw_ctx* c, server& s, uint32_t first, uint32_t where)
{
    proxy& p = P(c);
    for (uint32_t i = first; i < c->argc;) {
        std::vector<std::string> words;
        for (uint32_t j = i; j < c->argc; j++)
            words.push_back(arg(c, j));
        int used = 0;
        const cfg::kw_entry* e = g_loader->srv_kws.find(words, 0, &used, where);
        if (!e) {
            std::string o = words[0];
            if (g_loader->srv_kws.find(words, 0, &used))
                return err(c, "server option '" + o + "' cannot be used on a '" + arg(c, 0) +
                                  "' line");
            if (cfg::is_haproxy_keyword(o, 2))
                return err(c, "server option '" + o + "' is not supported yet by portico");
            std::string hint = g_loader->srv_kws.suggest(words, 0, where);
            return err(c, "'" + arg(c, 0) + "': unknown option '" + o + "'" +
                              (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
        }
        const kw_def* d = static_cast<const kw_def*>(e->data);
        uint32_t need = (uint32_t)d->kw->max_args;
        if (i + (uint32_t)used + need > c->argc)
            return err(c, "server option '" + e->name + "' expects " + std::to_string(need) +
                              " argument" + (need > 1 ? "s" : ""));
        if (!d->kw->parse)
            return err(c, "server option '" + e->name + "' is not supported yet by portico");
        ptc_kw_ctx o = *c;
        o.args = c->args + i;
        o.argc = (uint32_t)used + need;
        o.kw_words = (uint32_t)used;
        o.server = to_handle(&s);
        o.self = reinterpret_cast<ptc_modref*>(d->mod);
        o.conf = conf_blob(s.mod, d->mod, PTC_CONF_SERVER);
        (void)p;
        if (d->kw->parse(&o) != PTC_OK)
            return PTC_ERROR;
        i += (uint32_t)used + need;
    }
    return PTC_OK;
}

} // namespace

// A server's address flags, once its address is known: as HAProxy, no port connects to the
// client's destination port, address 0.0.0.0 (::, *, none) to its destination address;
// "init-addr none" applied: no address at all, in maintenance.
void server_addr_kind(server& s)
{
    if (s.addr.ss_family == AF_INET) {
        const auto* a4 = reinterpret_cast<const sockaddr_in*>(&s.addr);
        s.dst_port = a4->sin_port == 0;
        s.dst_addr = a4->sin_addr.s_addr == htonl(INADDR_ANY);
    } else if (s.addr.ss_family == AF_INET6) {
        const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&s.addr);
        s.dst_port = a6->sin6_port == 0;
        s.dst_addr = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
    }
    if (s.no_addr) {
        s.dst_addr = s.dst_port = false;
        s.disabled = true;
    }
}

bool g_init_addr_dontfail = false;

bool server_init_addr(server& s, const std::string& last, std::string& e, std::string& warn)
{
    addr_opts o;
    o.need_port = false;
    o.resolve = false;
    o.unix_ok = true;
    // the port part, kept whatever the address becomes
    std::string sp = addr_env_expand(s.addr_spec);
    size_t colon = sp.rfind(':');
    std::string port = colon == std::string::npos ? "" : sp.substr(colon);
    std::vector<std::string> methods = s.init_addr;
    if (methods.empty())
        methods = {"last", "libc"};
    if (g_init_addr_dontfail)
        methods.push_back("none");
    bool failed = false; // a method was tried and failed (HAProxy's wording depends on it)
    std::string first_err;
    auto ip_spec = [&](const std::string& ip) {
        return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + port;
    };
    for (const std::string& m : methods) {
        std::string pe;
        addr_opts ro = o;
        bool done = false;
        if (m == "last") {
            if (last.empty())
                continue; // no state for it: the next method
            in_addr a4;
            in6_addr a6;
            done = (inet_pton(AF_INET, last.c_str(), &a4) == 1 ||
                    inet_pton(AF_INET6, last.c_str(), &a6) == 1) &&
                   parse_addr(ip_spec(last), ro, s.addr, s.addrlen, nullptr, pe);
        } else if (m == "libc") {
            ro.resolve = true;
            done = parse_addr(s.addr_spec, ro, s.addr, s.addrlen, nullptr, pe);
        } else if (m == "none") {
            done = parse_addr("0.0.0.0" + port, ro, s.addr, s.addrlen, nullptr, pe);
            s.no_addr = done;
            if (done && failed)
                warn = "could not resolve address '" + s.hostname + "', disabling server.";
        } else {
            done = parse_addr(ip_spec(m), ro, s.addr, s.addrlen, nullptr, pe);
            if (done && failed)
                warn = "could not resolve address '" + s.hostname +
                       "', falling back to configured address.";
        }
        if (done)
            return true;
        failed = true;
        if (first_err.empty())
            first_err = pe;
    }
    if (!failed)
        e = "no method found to resolve address '" + s.hostname + "'";
    else
        e = !first_err.empty() ? first_err : "could not resolve address '" + s.hostname + "'";
    return false;
}

namespace {

int parse_proxy_server(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    auto s = std::make_unique<server>();
    if (p.default_server) {
        *s = *p.default_server;
        s->mod.blobs.clear();
        conf_blobs_copy(s->mod, p.default_server->mod, PTC_CONF_SERVER);
    }
    s->name = arg(c, 1);
    s->file = c->file;
    s->line = (int)c->line;
    s->be = &p;
    s->addr_spec = arg(c, 2);
    std::string e;
    addr_opts o;
    o.need_port = false;
    o.resolve = false;
    o.unix_ok = true;
    // a host name is resolved after the options ("init-addr" says how)
    bool named = false;
    if (!parse_addr(s->addr_spec, o, s->addr, s->addrlen, nullptr, e)) {
        if (e.rfind("invalid address '", 0) != 0)
            return err(c, "server '" + s->name + "': " + e);
        named = true;
    }
    if (apply_server_options(c, *s, 3, PTC_KW_SERVER) != PTC_OK)
        return PTC_ERROR;
    if (named) {
        std::string sp = addr_env_expand(s->addr_spec);
        size_t colon = sp.rfind(':');
        s->hostname = sp.substr(0, colon);
        size_t at = s->hostname.find('@');
        if (at != std::string::npos)
            s->hostname.erase(0, at + 1);
        std::vector<std::string> methods = s->init_addr;
        bool last = methods.empty(); // HAProxy's default: "last,libc"
        for (const std::string& m : methods)
            last |= m == "last";
        if (last) {
            s->addr_pending = true; // once the server-state files are read
        } else {
            std::string re, w;
            if (!server_init_addr(*s, "", re, w))
                return err(c, "server '" + s->name + "': " + re);
            if (!w.empty())
                kw_warning(c, "'server " + p.name + "/" + s->name + "' : " + w);
        }
    }
    if (!s->addr_pending)
        server_addr_kind(*s);
    p.servers.push_back(std::move(s));
    return PTC_OK;
}

int parse_proxy_default_server(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    if (!p.default_server) {
        p.default_server = std::make_unique<server>();
        p.default_server->name = "default-server";
    }
    return apply_server_options(c, *p.default_server, 1, PTC_KW_DEFSERVER);
}

server& SRV(const ptc_kw_ctx* c) { return *to_server(c->server); }

int parse_server_weight(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), 256, v))
        return err(c, "server option 'weight' expects an integer between 0 and 256, got '" +
                          arg(c, 1) + "'");
    SRV(c).weight = (uint32_t)v;
    return PTC_OK;
}

int parse_server_id(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (!parse_uint(arg(c, 1), 0x7fffffff, v) || v == 0)
        return err(c, "server option 'id' expects a positive integer, got '" + arg(c, 1) + "'");
    SRV(c).id = (uint32_t)v;
    return PTC_OK;
}

// init-addr {last | libc | none | <ip>},[...]: how a server named by a host name gets its
// address at start-up, the methods tried in order
int parse_server_init_addr(const ptc_kw_ctx* c)
{
    std::string v = arg(c, 1);
    std::vector<std::string> m;
    size_t b = 0;
    while (b <= v.size()) {
        size_t e = v.find(',', b);
        if (e == std::string::npos)
            e = v.size();
        std::string w = v.substr(b, e - b);
        b = e + 1;
        if (w.empty())
            return err(c, "server option 'init-addr': empty method in '" + v + "'");
        if (w != "last" && w != "libc" && w != "none") {
            in_addr a4;
            in6_addr a6;
            if (inet_pton(AF_INET, w.c_str(), &a4) != 1 && inet_pton(AF_INET6, w.c_str(), &a6) != 1)
                return err(c, "server option 'init-addr': unknown method '" + w +
                                  "' (expects 'last', 'libc', 'none' or an IP address)");
        }
        m.push_back(w);
    }
    SRV(c).init_addr = m;
    return PTC_OK;
}

int parse_server_disabled(const ptc_kw_ctx* c)
{
    SRV(c).disabled = true;
    return PTC_OK;
}

int parse_server_enabled(const ptc_kw_ctx* c)
{
    SRV(c).disabled = false;
    return PTC_OK;
}

// ---- balancing, limits, queues, retries (core/src/lb) ----------------------------------

int parse_server_uint_opt(const ptc_kw_ctx* c, uint32_t& field, uint64_t max)
{
    uint64_t v;
    std::string e;
    if (!parse_uint(arg(c, 1), max, v, &e))
        return err(c, "server option '" + arg(c, 0) + "' " + e);
    field = (uint32_t)v;
    return PTC_OK;
}

int parse_server_maxconn(const ptc_kw_ctx* c) { return parse_server_uint_opt(c, SRV(c).maxconn, 0x7fffffff); }
int parse_server_minconn(const ptc_kw_ctx* c) { return parse_server_uint_opt(c, SRV(c).minconn, 0x7fffffff); }
int parse_server_maxqueue(const ptc_kw_ctx* c) { return parse_server_uint_opt(c, SRV(c).maxqueue, 0x7fffffff); }

// pool-max-conn / pool-low-conn <number> (-1: none), pool-purge-delay <time>
int parse_server_pool_int(const ptc_kw_ctx* c)
{
    int64_t v;
    std::string a = arg(c, 1);
    if (!cfg::parse_int(a, -1, 0x7fffffff, v))
        return err(c, "server option '" + arg(c, 0) + "' expects -1 or a number, got '" + a + "'");
    (arg(c, 0) == "pool-max-conn" ? SRV(c).pool_max_conn : SRV(c).pool_low_conn) = (int32_t)v;
    return PTC_OK;
}

int parse_server_pool_purge_delay(const ptc_kw_ctx* c)
{
    uint64_t ms;
    std::string v = arg(c, 1);
    if (!cfg::parse_time_ms(v, ms) || ms > cfg::max_timeout_ms)
        return err(c, "server option 'pool-purge-delay': invalid time value '" + v + "'");
    SRV(c).pool_purge_ms = (uint32_t)ms;
    return PTC_OK;
}

int parse_server_backup(const ptc_kw_ctx* c)
{
    SRV(c).backup = true;
    return PTC_OK;
}

int parse_server_no_backup(const ptc_kw_ctx* c)
{
    SRV(c).backup = false;
    return PTC_OK;
}

// hash-type <method> [<function>] [<modifier>]
int parse_proxy_hash_type(const ptc_kw_ctx* c)
{
    std::vector<std::string> args;
    for (uint32_t i = 1; i < c->argc; i++)
        args.push_back(arg(c, i));
    std::string e;
    if (!lb_parse_hash_type(args, P(c).lbconf, e))
        return err(c, e);
    return PTC_OK;
}

int parse_proxy_fullconn(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (uint_arg(c, 0x7fffffff, v) != PTC_OK)
        return PTC_ERROR;
    P(c).fullconn = (uint32_t)v;
    return PTC_OK;
}

int parse_proxy_retries(const ptc_kw_ctx* c)
{
    uint64_t v;
    if (uint_arg(c, 255, v) != PTC_OK)
        return PTC_ERROR;
    P(c).retries = (uint32_t)v;
    return PTC_OK;
}

// [no] option redispatch [<interval>]
int parse_proxy_option_redispatch(const ptc_kw_ctx* c)
{
    proxy& p = P(c);
    if (c->negated) {
        if (c->argc > c->kw_words)
            return err(c, "'no option redispatch' takes no argument");
        p.redispatch = 0;
        return PTC_OK;
    }
    int32_t v = -1;
    if (c->argc > c->kw_words) {
        std::string a = arg(c, a0(c));
        bool neg = !a.empty() && a[0] == '-';
        uint64_t u;
        if (!parse_uint(neg ? a.substr(1) : a, 255, u))
            return err(c, "'option redispatch' expects an integer interval, got '" + a + "'");
        v = neg ? -(int32_t)u : (int32_t)u;
    }
    p.redispatch = v;
    return PTC_OK;
}

int parse_proxy_option_allbackups(const ptc_kw_ctx* c)
{
    P(c).allbackups = !c->negated;
    return PTC_OK;
}

// rate-limit sessions <rate>
int parse_proxy_rate_limit(const ptc_kw_ctx* c)
{
    if (arg(c, 1) != "sessions")
        return err(c, "'rate-limit' expects 'sessions' as argument, got '" + arg(c, 1) + "'");
    uint64_t v;
    if (!parse_uint(arg(c, 2), UINT32_MAX, v))
        return err(c, "'rate-limit sessions' expects an integer value, got '" + arg(c, 2) + "'");
    P(c).sess_rate_lim = (uint32_t)v;
    return PTC_OK;
}

int parse_proxy_option_prefer_last(const ptc_kw_ctx* c)
{
    P(c).prefer_last = !c->negated;
    return PTC_OK;
}

// [no] option tcpka | clitcpka | srvtcpka: SO_KEEPALIVE on the client side (frontends),
// the server side (backends), or both
int parse_proxy_option_tcpka(const ptc_kw_ctx* c)
{
    std::string o = arg(c, 1);
    bool on = !c->negated;
    if (o != "srvtcpka")
        P(c).cli_ka = on;
    if (o != "clitcpka")
        P(c).srv_ka = on;
    return PTC_OK;
}

// clitcpka-cnt <count> / clitcpka-idle <time> / clitcpka-intvl <time>, srvtcpka-* alike
// (the times in seconds unless a unit is given, rounded down to whole seconds)
int parse_proxy_tcpka_param(const ptc_kw_ctx* c)
{
    std::string k = arg(c, 0), v = arg(c, 1);
    proxy& p = P(c);
    bool cli = k.rfind("cli", 0) == 0;
    std::string what = k.substr(k.find('-') + 1);
    uint64_t n;
    if (what == "cnt") {
        if (!parse_uint(v, UINT32_MAX, n))
            return err(c, "'" + k + "' expects an integer value, got '" + v + "'");
        (cli ? p.cli_ka_cnt : p.srv_ka_cnt) = (uint32_t)n; // 0: the system's
        return PTC_OK;
    }
    if (!cfg::parse_time_ms(v, n, 1000))
        return err(c, "'" + k + "': invalid time value '" + v + "'");
    if (n > cfg::max_timeout_ms)
        return err(c, "'" + k + "': timer overflow in '" + v +
                          "' (maximum is 2147483647 ms, about 24.8 days)");
    uint32_t sec = (uint32_t)(n / 1000) + (n % 1000 && n < 1000); // whole seconds, 0: unset
    (what == "idle" ? (cli ? p.cli_ka_idle : p.srv_ka_idle)
                    : (cli ? p.cli_ka_intvl : p.srv_ka_intvl)) = sec;
    return PTC_OK;
}

// [no] option nolinger / independent-streams / tcp-smart-accept / tcp-smart-connect
int parse_proxy_option_tcp(const ptc_kw_ctx* c)
{
    std::string o = arg(c, 1);
    proxy& p = P(c);
    bool on = !c->negated;
    if (o == "nolinger")
        p.nolinger = on;
    else if (o == "independent-streams")
        p.indep_streams = on;
    else if (o == "tcp-smart-accept")
        p.smart_accept = on ? 1 : 0;
    else
        p.smart_connect = on;
    return PTC_OK;
}

// [no] option splice-auto | splice-request | splice-response: accepted with a warning
int parse_proxy_option_splice(const ptc_kw_ctx* c)
{
    if (!c->negated)
        kw_warning(c, "'option " + arg(c, 1) + "': portico does not use splice(2); the data "
                      "is forwarded the same way without it");
    return PTC_OK;
}

constexpr uint32_t PX = PTC_SEC_PROXY;
constexpr uint32_t FE = PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND;
constexpr uint32_t BE = PTC_SEC_DEFAULTS | PTC_SEC_BACKEND;
constexpr uint32_t SV = PTC_KW_SERVER | PTC_KW_DEFSERVER;

const ptc_keyword k_core_keywords[] = {
    // name                 where            flags min max parser                       help
    {"daemon",              PTC_SEC_GLOBAL,   0, 0, 0, parse_global_daemon,          "daemon"},
    {"maxconn",             PTC_SEC_GLOBAL | FE, 0, 1, 1, parse_global_maxconn,      "maxconn <number>"},
    {"nbthread",            PTC_SEC_GLOBAL,   0, 1, 1, parse_global_workers,         "nbthread <number> (worker processes)"},
    {"workers",             PTC_SEC_GLOBAL,   0, 1, 1, parse_global_workers,         "workers <number>"},
    {"pidfile",             PTC_SEC_GLOBAL,   0, 1, 1, parse_global_pidfile,         "pidfile <file>"},
    {"uid",                 PTC_SEC_GLOBAL,   0, 1, 1, parse_global_uid,             "uid <number> (workers)"},
    {"gid",                 PTC_SEC_GLOBAL,   0, 1, 1, parse_global_uid,             "gid <number> (workers)"},
    {"user",                PTC_SEC_GLOBAL,   0, 1, 1, parse_global_user,            "user <user name> (workers)"},
    {"group",               PTC_SEC_GLOBAL,   0, 1, 1, parse_global_user,            "group <group name> (workers)"},
    {"chroot",              PTC_SEC_GLOBAL,   0, 1, 1, parse_global_chroot,          "chroot <jail dir> (workers)"},
    {"ulimit-n",            PTC_SEC_GLOBAL,   0, 1, 1, parse_global_ulimit_n,        "ulimit-n <number>"},
    {"strict-limits",       PTC_SEC_GLOBAL,   PTC_KWF_NEGATABLE, 0, 0, parse_global_strict_limits, "[no] strict-limits"},
    {"master-worker",       PTC_SEC_GLOBAL,   0, 0, 1, parse_global_master_worker,   "master-worker [no-exit-on-failure]"},
    {"expose-experimental-directives", PTC_SEC_GLOBAL, 0, 0, 0, parse_global_experimental, "expose-experimental-directives"},
    {"hard-stop-after",     PTC_SEC_GLOBAL,   0, 1, 1, parse_global_stop_time,       "hard-stop-after <time>"},
    {"mworker-max-reloads", PTC_SEC_GLOBAL,   0, 1, 1, parse_global_mworker_max_reloads, "mworker-max-reloads <number>"},
    {"grace",               PTC_SEC_GLOBAL,   0, 1, 1, parse_global_stop_time,       "grace <time>"},
    {"node",                PTC_SEC_GLOBAL,   0, 1, 1, parse_global_text,            "node <name>"},
    {"server-state-base",   PTC_SEC_GLOBAL,   0, 1, 1, parse_global_server_state,    "server-state-base <directory>"},
    {"server-state-file",   PTC_SEC_GLOBAL,   0, 1, 1, parse_global_server_state,    "server-state-file <file>"},
    {"load-server-state-from-file", BE,       0, 1, 1, parse_proxy_load_server_state, "load-server-state-from-file global|local|none"},
    {"server-state-file-name", BE,            0, 0, 1, parse_proxy_server_state_file_name, "server-state-file-name [use-backend-name|<file>]"},
    {"description",         PTC_SEC_GLOBAL,   0, 1, -1, parse_global_text,           "description <text>"},
    {"localpeer",           PTC_SEC_GLOBAL,   0, 1, 1, parse_global_text,            "localpeer <name>"},
    {"setenv",              PTC_SEC_GLOBAL,   0, 2, 2, parse_global_env,             "setenv <name> <value>"},
    {"presetenv",           PTC_SEC_GLOBAL,   0, 2, 2, parse_global_env,             "presetenv <name> <value>"},
    {"unsetenv",            PTC_SEC_GLOBAL,   0, 0, -1, parse_global_env,            "unsetenv [<name> ...]"},
    {"resetenv",            PTC_SEC_GLOBAL,   0, 0, -1, parse_global_env,            "resetenv [<name> ...]"},
    {"set-var",             PTC_SEC_GLOBAL,   0, 2, 2, smp::parse_global_setvar,     "set-var <var-name> <expr>"},
    {"set-var-fmt",         PTC_SEC_GLOBAL,   0, 2, 2, smp::parse_global_setvar,     "set-var-fmt <var-name> <fmt>"},
    {"nbproc",              PTC_SEC_GLOBAL,   0, 0, -1, parse_global_nbproc,         "nbproc (removed in HAProxy 2.5)"},
    {"cpu-map",             PTC_SEC_GLOBAL,   0, 2, -1, parse_global_cpu_map,        "cpu-map [auto:]<process-set>[/<thread-set>] <cpu-set>..."},
    {"module-path",         PTC_SEC_GLOBAL,   0, 1, 1, parse_global_module_path,     "module-path <directory>"},
    {"module-load",         PTC_SEC_GLOBAL,   0, 1, 1, parse_global_module_load,     "module-load <name|file.so>"},
    {"tune.bufsize",        PTC_SEC_GLOBAL,   0, 1, 1, parse_global_tune_bufsize,    "tune.bufsize <size>"},
    {"tune.maxrewrite",     PTC_SEC_GLOBAL,   0, 1, 1, parse_global_tune_maxrewrite, "tune.maxrewrite <size>"},
    {"tune.http.maxhdr",    PTC_SEC_GLOBAL,   0, 1, 1, parse_global_tune_http_maxhdr, "tune.http.maxhdr <number>"},
    {"tune.idle-pool.shared", PTC_SEC_GLOBAL, 0, 1, 1, parse_global_tune_idle_pool_shared, "tune.idle-pool.shared on|off"},
    {"errorfile",           PX,               0, 2, 2, parse_proxy_errorfile,        "errorfile <status> <file>"},
    {"errorfiles",          PX,               0, 1, -1, parse_proxy_errorfiles,      "errorfiles <name> [<code> ...]"},
    {"http-error",          PX,               0, 2, -1, parse_proxy_http_error,      "http-error status <code> [content-type <type>] [default-errorfiles|errorfile <file>|errorfiles <name>|file <file>|string <str>] [hdr <name> <value>]*"},
    {"mode",                PX,               0, 1, 1, parse_proxy_mode,             "mode tcp|http"},
    {"timeout client",      FE,               0, 1, 1, parse_proxy_timeout,          "timeout client <time>"},
    {"timeout server",      BE,               0, 1, 1, parse_proxy_timeout,          "timeout server <time>"},
    {"timeout connect",     BE,               0, 1, 1, parse_proxy_timeout,          "timeout connect <time>"},
    {"timeout tarpit",      PX,               0, 1, 1, parse_proxy_timeout,          "timeout tarpit <time>"},
    {"timeout http-request", PX,              0, 1, 1, parse_proxy_timeout,          "timeout http-request <time>"},
    {"timeout http-keep-alive", PX,           0, 1, 1, parse_proxy_timeout,          "timeout http-keep-alive <time>"},
    {"timeout tunnel",      BE,               0, 1, 1, parse_proxy_timeout,          "timeout tunnel <time>"},
    {"timeout client-fin",  FE,               0, 1, 1, parse_proxy_timeout,          "timeout client-fin <time>"},
    {"timeout server-fin",  BE,               0, 1, 1, parse_proxy_timeout,          "timeout server-fin <time>"},
    {"timeout check",       BE,               0, 1, 1, parse_proxy_timeout,          "timeout check <time>"},
    {"spread-checks",       PTC_SEC_GLOBAL,   0, 1, 1, parse_global_spread_checks,   "spread-checks <0..50>"},
    {"max-spread-checks",   PTC_SEC_GLOBAL,   0, 1, 1, parse_global_max_spread_checks, "max-spread-checks <time>"},
    {"bind",                PTC_SEC_FRONTEND, 0, 1, -1, parse_proxy_bind,            "bind <address>:<port>[,...] [options]"},
    {"default_backend",     FE,               0, 1, 1, parse_proxy_default_backend,  "default_backend <backend>"},
    {"use_backend",         PTC_SEC_FRONTEND, 0, 1, -1, parse_proxy_use_backend,     "use_backend <backend> [{if | unless} <condition>]"},
    // ---- sample engine (core/src/sample/): ACLs and rule sets ----
    {"acl",                 PX,               0, 2, -1, smp::parse_acl,              "acl <aclname> <criterion> [flags] [operator] <value> ..."},
    {"http-request",        PX,               0, 1, -1, smp::parse_rules,            "http-request <action> [options...] [{if | unless} <condition>]"},
    {"http-response",       PX,               0, 1, -1, smp::parse_rules,            "http-response <action> [options...] [{if | unless} <condition>]"},
    {"http-after-response", PX,               0, 1, -1, smp::parse_rules,            "http-after-response <action> [options...] [{if | unless} <condition>]"},
    {"tcp-request connection", PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND, 0, 1, -1, smp::parse_rules, "tcp-request connection <action> [{if | unless} <condition>]"},
    {"tcp-request content", PX,               0, 1, -1, smp::parse_rules,            "tcp-request content <action> [{if | unless} <condition>]"},
    {"tcp-request inspect-delay", PX,         0, 1, 1, parse_inspect_delay,          "tcp-request inspect-delay <timeout>"},
    {"tcp-request session", PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND, 0, 1, -1, smp::parse_rules, "tcp-request session <action> [{if | unless} <condition>]"},
    {"tcp-response content", BE,              0, 1, -1, smp::parse_rules,            "tcp-response content <action> [{if | unless} <condition>]"},
    {"tcp-response inspect-delay", BE,        0, 1, 1, parse_inspect_delay,          "tcp-response inspect-delay <timeout>"},
    {"balance",             BE,               0, 1, -1, parse_proxy_balance,         "balance <algorithm> [<arguments>]"},
    {"hash-type",           BE,               0, 1, 3, parse_proxy_hash_type,        "hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]"},
    {"fullconn",            BE,               0, 1, 1, parse_proxy_fullconn,         "fullconn <number>"},
    {"retries",             BE,               0, 1, 1, parse_proxy_retries,          "retries <number>"},
    {"option redispatch",   BE,               PTC_KWF_NEGATABLE, 0, 1, parse_proxy_option_redispatch, "[no] option redispatch [<interval>]"},
    {"option allbackups",   BE,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_allbackups, "[no] option allbackups"},
    {"rate-limit sessions", FE,               0, 1, 1, parse_proxy_rate_limit,       "rate-limit sessions <rate>"},
    {"option prefer-last-server", BE,         PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_prefer_last, "[no] option prefer-last-server"},
    {"option tcpka",        PX,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcpka, "[no] option tcpka"},
    {"option clitcpka",     FE,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcpka, "[no] option clitcpka"},
    {"option srvtcpka",     BE,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcpka, "[no] option srvtcpka"},
    {"clitcpka-cnt",        FE,               0, 1, 1, parse_proxy_tcpka_param,      "clitcpka-cnt <count>"},
    {"clitcpka-idle",       FE,               0, 1, 1, parse_proxy_tcpka_param,      "clitcpka-idle <timeout>"},
    {"clitcpka-intvl",      FE,               0, 1, 1, parse_proxy_tcpka_param,      "clitcpka-intvl <timeout>"},
    {"srvtcpka-cnt",        BE,               0, 1, 1, parse_proxy_tcpka_param,      "srvtcpka-cnt <count>"},
    {"srvtcpka-idle",       BE,               0, 1, 1, parse_proxy_tcpka_param,      "srvtcpka-idle <timeout>"},
    {"srvtcpka-intvl",      BE,               0, 1, 1, parse_proxy_tcpka_param,      "srvtcpka-intvl <timeout>"},
    {"option nolinger",     PX,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcp, "[no] option nolinger"},
    {"option independent-streams", PX,        PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcp, "[no] option independent-streams"},
    {"option tcp-smart-accept", FE,           PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcp, "[no] option tcp-smart-accept"},
    {"option tcp-smart-connect", BE,          PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_tcp, "[no] option tcp-smart-connect"},
    {"option splice-auto",  PX,               PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_splice, "[no] option splice-auto (no effect)"},
    {"option splice-request", PX,             PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_splice, "[no] option splice-request (no effect)"},
    {"option splice-response", PX,            PTC_KWF_NEGATABLE, 0, 0, parse_proxy_option_splice, "[no] option splice-response (no effect)"},
    {"timeout queue",       BE,               0, 1, 1, parse_proxy_timeout,          "timeout queue <time>"},
    {"server",              PTC_SEC_BACKEND,  0, 2, -1, parse_proxy_server,          "server <name> <address>:<port> [options]"},
    {"default-server",      BE,               0, 0, -1, parse_proxy_default_server,  "default-server [options]"},
    {"name",                PTC_KW_BIND,      0, 1, 1, parse_bind_name,              "name <name>"},
    {"mode",                PTC_KW_BIND,      0, 1, 1, parse_bind_unix_perm,         "mode <octal> (UNIX sockets)"},
    {"uid",                 PTC_KW_BIND,      0, 1, 1, parse_bind_unix_perm,         "uid <uid> (UNIX sockets)"},
    {"user",                PTC_KW_BIND,      0, 1, 1, parse_bind_unix_perm,         "user <name> (UNIX sockets)"},
    {"gid",                 PTC_KW_BIND,      0, 1, 1, parse_bind_unix_perm,         "gid <gid> (UNIX sockets)"},
    {"group",               PTC_KW_BIND,      0, 1, 1, parse_bind_unix_perm,         "group <name> (UNIX sockets)"},
    {"defer-accept",        PTC_KW_BIND,      0, 0, 0, parse_bind_defer_accept,      "defer-accept"},
    {"proto",               PTC_KW_BIND,      0, 1, 1, parse_proto_h1,               "proto h1"},
    {"no-defer-accept",     PTC_KW_BIND,      0, 0, 0, parse_bind_defer_accept,      "no-defer-accept"},
    {"weight",              SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_weight,          "weight <0-256>"},
    {"id",                  PTC_KW_SERVER,    PTC_KWF_RUNTIME, 1, 1, parse_server_id,              "id <number>"},
    {"disabled",            SV,               PTC_KWF_RUNTIME, 0, 0, parse_server_disabled,        "disabled"},
    {"init-addr",           SV,               0, 1, 1, parse_server_init_addr,       "init-addr {last|libc|none|<ip>},..."},
    {"enabled",             SV,               PTC_KWF_RUNTIME, 0, 0, parse_server_enabled,         "enabled"},
    {"maxconn",             SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_maxconn,         "maxconn <number>"},
    {"minconn",             SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_minconn,         "minconn <number>"},
    {"maxqueue",            SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_maxqueue,        "maxqueue <number>"},
    {"proto",               SV,               PTC_KWF_RUNTIME, 1, 1, parse_proto_h1,               "proto h1"},
    {"pool-max-conn",       SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_pool_int,        "pool-max-conn <number>"},
    {"pool-low-conn",       SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_pool_int,        "pool-low-conn <number>"},
    {"pool-purge-delay",    SV,               PTC_KWF_RUNTIME, 1, 1, parse_server_pool_purge_delay, "pool-purge-delay <time>"},
    {"backup",              SV,               PTC_KWF_RUNTIME, 0, 0, parse_server_backup,          "backup"},
    {"no-backup",           SV,               PTC_KWF_RUNTIME, 0, 0, parse_server_no_backup,       "no-backup"},
};

const ptc_module k_core_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "core",
    .version = "0.1.0",
    .description = "portico core",
    .keywords = k_core_keywords,
    .keyword_count = PTC_COUNTOF(k_core_keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .fetches = smp::k_core_fetches,
    .fetch_count = smp::k_core_fetch_count,
    .fetch_size = sizeof(ptc_fetch),
    .convs = smp::k_core_convs,
    .conv_count = smp::k_core_conv_count,
    .conv_size = sizeof(ptc_conv),
    .actions = smp::k_core_actions,
    .action_count = smp::k_core_action_count,
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* core_module() { return &k_core_module; }

} // namespace portico
