// SPDX-License-Identifier: MIT
// portico's command line: HAProxy-compatible flags, config check, version report, start.
#include <lua5.4/lua.h>
#include <openssl/crypto.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "autoconf.h"
#include "cli/cli.hpp"
#include "cfg/cond.hpp"
#include "cfg/units.hpp"
#include "event/poller.hpp"
#include "module/hooks.hpp"
#include "module/module.hpp"
#include "module/services.hpp"
#include "proc/master.hpp"
#include "proc/mworker.hpp"
#include "load/cfgload.hpp"
#include "load/core_keywords.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

using namespace portico;

namespace {

struct cli_opts {
    std::vector<std::string> files;
    bool check = false;
    std::string cc_expr;
    bool have_cc = false;
    bool foreground = false;
    bool daemon = false;
    bool sd_notify = false;
    bool master_worker = false;  // -W / -Ws
    bool debug = false;
    bool quiet = false;
    int version = 0;             // 1 = -v, 2 = -vv
    bool dump_kw = false;
    std::string pidfile;
    std::string local_peer;
    long maxconn = -1;
    std::vector<pid_t> finish;
    bool finish_hard = false;
    std::string master_cli;      // -S
    std::string fetch_socks;     // -x
};

[[noreturn]] void usage(const char* prog, const char* why)
{
    if (why)
        fprintf(stderr, "%s: %s\n", prog, why);
    fprintf(stderr,
            "Usage: %s -f <cfgfile|cfgdir>* [ -c | -cc <expr> ] [ -db | -D | -W | -Ws ]\n"
            "        [ -d ] [ -dr ] [ -dM[<byte>] ] [ -dK[<class>] ] [ -p <pidfile> ] [ -N <maxconn> ]\n"
            "        [ -L <name> ] [ -q ] [ -v | -vv ] [ -sf | -st <pid>* ] [ -x <socket> ]\n"
            "        [ -S <master socket> ]\n"
            "  -f  load a configuration file or directory (repeatable, in order)\n"
            "  -c  check the configuration and exit (0 valid, 1 invalid)\n"
            "  -cc evaluate a condition like .if does and exit (0 true, 1 false, 2 error)\n"
            "  -db stay in the foreground; -D daemon; -W/-Ws master-worker (always on)\n"
            "  -d  debug output, foreground; -dK dump known keywords; -q quiet\n"
            "  -dr servers whose address does not resolve start in maintenance\n"
            "  -p  write the master's PID; -N global maxconn; -L local peer name\n"
            "  -v  version; -vv version, build options, poller, ABI and modules\n"
            "  -sf/-st  once serving, ask these PIDs to finish (SIGUSR1) or stop (SIGTERM)\n"
            "  -x  take the listening sockets over from this stats socket (expose-fd listeners)\n"
            "  -S  master CLI socket: show proc, reload, @<n> <command>\n",
            prog);
    exit(1);
}

cli_opts parse_args(int argc, char** argv)
{
    cli_opts o;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto need = [&](const char* what) -> std::string {
            if (i + 1 >= argc)
                usage(argv[0], (std::string(a) + " expects " + what).c_str());
            return argv[++i];
        };
        if (a == "-f")
            o.files.push_back(need("a file or directory"));
        else if (a == "-c")
            o.check = true;
        else if (a == "-cc") {
            o.cc_expr = need("an expression");
            o.have_cc = true;
        } else if (a == "-db")
            o.foreground = true;
        else if (a == "-d") {
            o.debug = true;
            o.foreground = true;
        } else if (a == "-dr")
            g_init_addr_dontfail = true;
        else if (a.rfind("-dM", 0) == 0 || a == "-dV" || a == "-dW" ||
                   a == "-dD" || a == "-de" || a == "-dp" || a == "-dS" || a == "-dG" ||
                   a == "-dR" || a == "-dv" || a == "-dL" || a == "-dk" || a == "-dt")
            ; // debugging/tuning switches of HAProxy with no effect on portico
        else if (a.rfind("-dK", 0) == 0)
            o.dump_kw = true;
        else if (a == "-D")
            o.daemon = true;
        else if (a == "-W")
            o.master_worker = true;
        else if (a == "-Ws")
            o.sd_notify = o.master_worker = true;
        else if (a == "-p")
            o.pidfile = need("a file name");
        else if (a == "-L")
            o.local_peer = need("a name");
        else if (a == "-S")
            o.master_cli = need("a socket address");
        else if (a == "-x")
            o.fetch_socks = need("a unix socket path");
        else if (a == "-N") {
            std::string v = need("a number");
            int64_t n;
            if (!cfg::parse_int(v, 1, LONG_MAX, n))
                usage(argv[0], "-N expects a positive number");
            o.maxconn = (long)n;
        } else if (a == "-q")
            o.quiet = true;
        else if (a == "-v" || a == "-V")
            o.version = std::max(o.version, a == "-v" ? 1 : 0);
        else if (a == "-vv")
            o.version = 2;
        else if (a == "-sf" || a == "-st") {
            o.finish_hard = a == "-st";
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                int64_t p;
                if (!cfg::parse_int(argv[++i], 1, INT32_MAX, p))
                    usage(argv[0], "-sf/-st expect process IDs");
                o.finish.push_back((pid_t)p);
            }
        } else if (a == "-h" || a == "--help")
            usage(argv[0], nullptr);
        else if (!a.empty() && a[0] != '-')
            o.files.push_back(a); // old style: configuration files as plain arguments
        else
            usage(argv[0], ("unknown option '" + a + "'").c_str());
    }
    return o;
}

void print_version()
{
    printf("portico version %s - HAProxy %s compatible\n", k_portico_version,
           k_haproxy_compat_version);
}

void print_vv(cfg_loader& L)
{
    print_version();
    printf("Plugin ABI: %d.%d (accepts modules built for %s)\n", PTC_ABI_MAJOR, PTC_ABI_MINOR,
           host_abi_range().c_str());
    printf("Build options: %s\n", PTC_BUILD_OPTIONS[0] ? PTC_BUILD_OPTIONS : "(defaults)");
    printf("Compiler: %s\n", PTC_CXX_VERSION);
    printf("Module directory: %s\n", PTC_MODULE_DIR);
    std::string why;
    auto p = event::make_poller(64, false, &why);
    printf("Poller: %s%s%s\n", p ? p->name() : "none", why.empty() ? "" : " (",
           why.empty() ? "" : (why + ")").c_str());
    printf("Libraries:\n");
    if (PTC_HAVE_URING)
        printf("    liburing %s\n", PTC_URING_VERSION);
    printf("    %s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("    PCRE2 %d.%d\n", PCRE2_MAJOR, PCRE2_MINOR);
    printf("    %s\n", LUA_RELEASE);
    printf("Feature list : %s\n", feature_list().c_str()); // = .if feature()
    printf("Available services : %s\n", service_names().c_str()); // as HAProxy's -vv
    printf("Loaded modules:\n");
    for (auto& m : g_modules.all()) {
        if (m->path.empty())
            continue;
        printf("    %s %s (ABI %u.%u) %s\n", m->name.c_str(),
               m->desc.version ? m->desc.version : "?", m->desc.abi_major, m->desc.abi_minor,
               m->path.c_str());
    }
    for (auto& msg : L.messages())
        printf("    %s%s\n", msg.error ? "error: " : "", msg.text.c_str());
}

// ---- under the name "haproxy": HAProxy's -v / -vv layout, so that tools parsing it
// (deployment roles, the reg-test runner, the Data Plane API) accept portico ------------

const char* const k_release_date = "2026/11/22";

void print_haproxy_version()
{
    utsname u{};
    uname(&u);
    printf("HAProxy version %s-portico-%s %s - https://www.haproxy.org/ (portico %s)\n",
           k_haproxy_compat_version, k_portico_version, k_release_date, k_portico_version);
    printf("Status: portico %s, a drop-in replacement for HAProxy %s.\n", k_portico_version,
           k_haproxy_compat_version);
    printf("Known bugs: http://www.haproxy.org/bugs/bugs-%s.html\n", k_haproxy_compat_version);
    printf("Running on: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
}

void print_haproxy_vv()
{
    print_haproxy_version();
    printf("Build options :\n");
    printf("  TARGET  = linux-glibc\n");
    printf("  CPU     = generic\n");
    printf("  CC      = %s\n", PTC_CXX_VERSION);
    printf("  CFLAGS  = %s\n", PTC_BUILD_OPTIONS[0] ? PTC_BUILD_OPTIONS : "(defaults)");
    // only what this build and its loaded modules really provide
    std::string feats = feature_list();
    auto has = [&](const char* f) {
        return (" " + feats + " ").find(std::string(" +") + f + " ") != std::string::npos;
    };
    std::string opts = "USE_PCRE2=1 USE_PCRE2_JIT=1 USE_SYSTEMD=1";
    if (has("OPENSSL"))
        opts += " USE_OPENSSL=1";
    if (has("LUA"))
        opts += " USE_LUA=1";
    if (has("ZLIB"))
        opts += " USE_ZLIB=1";
    if (has("PROMEX"))
        opts += " USE_PROMEX=1";
    printf("  OPTIONS = %s\n", opts.c_str());
    printf("  DEBUG   = \n\n");
    printf("Feature list : %s\n\n", feats.c_str());
    printf("Default settings :\n");
    printf("  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200\n\n");
    if (has("OPENSSL")) {
        printf("Built with OpenSSL version : %s\n", OPENSSL_VERSION_TEXT);
        printf("Running on OpenSSL version : %s\n", OpenSSL_version(OPENSSL_VERSION));
    }
    if (has("LUA"))
        printf("Built with Lua version : %s\n", LUA_RELEASE);
    printf("Built with PCRE2 version : %d.%d\n", PCRE2_MAJOR, PCRE2_MINOR);
    printf("PCRE2 library supports JIT : yes\n");
    printf("Built with gcc compiler version %d.%d.%d\n\n", __GNUC__, __GNUC_MINOR__,
           __GNUC_PATCHLEVEL__);
    // the pollers: io_uring when its setup and probe succeed here, epoll always
    std::string why;
    auto p = event::make_poller(64, false, &why);
    bool uring = p && std::string(p->name()) == "io_uring";
    printf("Available polling systems :\n");
    if (PTC_HAVE_URING)
        printf("   io_uring : pref=400,  test result %s\n", uring ? "OK" : "FAILED");
    printf("      epoll : pref=300,  test result OK\n");
    int total = PTC_HAVE_URING ? 2 : 1;
    printf("Total: %d (%d usable), will use %s.\n\n", total, uring ? total : 1,
           uring ? "io_uring" : "epoll");
    printf("Available multiplexer protocols :\n");
    printf("(protocols marked as <default> cannot be specified using 'proto' keyword)\n");
    printf("  <default> : mode=HTTP  side=FE|BE  mux=H1    flags=HTX\n");
    printf("  <default> : mode=TCP   side=FE|BE  mux=PASS  flags=\n\n");
    std::string svcs;
    for (auto& n : host_service_names())
        svcs += (svcs.empty() ? "" : " ") + n;
    printf("Available services : %s\n", svcs.empty() ? "none" : svcs.c_str());
    printf("Available filters :\n\n");
}

} // namespace

int main(int argc, char** argv)
{
    cli_opts o = parse_args(argc, argv);
    g_diag.pid = (int)getpid();
    g_diag.quiet = o.quiet;
    g_diag.debug = o.debug;
    cfg_loader L;
    // called through a link named "haproxy", portico answers -v/-vv as HAProxy does
    const char* base = strrchr(argv[0], '/');
    bool as_haproxy = !strcmp(base ? base + 1 : argv[0], "haproxy");
    if (o.version == 1) {
        as_haproxy ? print_haproxy_version() : print_version();
        return 0;
    }
    if (o.version == 2) {
        L.load_modules();
        as_haproxy ? print_haproxy_vv() : print_vv(L);
        return 0;
    }
    if (o.have_cc) {
        std::string err;
        L.load_modules();
        int r = cfg::eval_condition_str(o.cc_expr, L.cond_env(), err);
        if (r < 0) {
            fprintf(stderr, "[ALERT]    (%d) : failed to evaluate condition: %s\n", (int)getpid(),
                    err.c_str());
            return 2;
        }
        return r ? 0 : 1;
    }
    if (o.dump_kw) {
        L.load_modules();
        for (auto& l : L.dump_keywords())
            printf("%s\n", l.c_str());
        return 0;
    }
    if (o.files.empty())
        usage(argv[0], "no configuration file given (-f)");

    config cfg;
    g_config = &cfg;
    load_options lo;
    lo.files = o.files;
    lo.check_only = o.check;
    bool ok = L.load(lo, cfg);
    for (auto& m : L.messages()) {
        if (o.check)
            fprintf(stderr, "%s%s\n", m.error ? "" : "warning: ", m.text.c_str());
        else if (m.error)
            PTC_ALERT("%s", m.text.c_str());
        else
            PTC_WARN("%s", m.text.c_str());
    }
    master_opts mo;
    mo.keep_stderr = o.debug;
    mo.sd_notify = o.sd_notify;
    mo.master_worker = o.master_worker;
    mo.pidfile = !o.pidfile.empty() ? o.pidfile : cfg.global.pidfile;
    mo.finish_pids = o.finish;
    mo.finish_hard = o.finish_hard;
    mo.version = k_portico_version;
    for (int i = 0; i < argc; i++)
        mo.argv.push_back(argv[i]);
    mworker_cli_set(o.master_cli);
    // a master re-executed by a reload: adopt the previous generation's sockets/workers
    bool reloaded = !o.check && master_adopt_reload_state();
    if (!ok) {
        fprintf(stderr, "%s: fatal errors found in configuration (%d error%s).\n",
                o.check ? "portico" : "[ALERT]", L.errors(), L.errors() == 1 ? "" : "s");
        return reloaded ? run_master_wait(mo) : 1;
    }
    if (o.check) {
        // As HAProxy's -c: say so when warnings were printed, and exit 2 when nothing would
        // listen (no frontend or listen with a bind, no stats socket, no peers section).
        bool warned = false;
        for (auto& m : L.messages())
            warned |= !m.error;
        if (warned && !o.quiet)
            printf("Warnings were found.\n");
        bool listens = L.has_peers() || !g_cli.sockets.empty();
        for (auto& p : cfg.proxies)
            listens |= (p->cap & CAP_FE) && !p->binds.empty();
        if (!listens) {
            if (!o.quiet)
                printf("Configuration file has no error but will not start (no listener) => exit(2).\n");
            return 2;
        }
        if (!o.quiet)
            printf("Configuration file is valid\n");
        return 0;
    }
    hooks_build();
    if (o.maxconn > 0) // HAProxy's -N: the default maxconn of proxies that set none
        for (auto& p : cfg.proxies)
            if ((p->cap & CAP_FE) && !p->maxconn)
                p->maxconn = (uint32_t)o.maxconn;
    uint32_t workers = cfg.global.workers;
    if (!workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (uint32_t)n : 1;
    }
    if (!o.local_peer.empty())
        cfg.global.localpeer = o.local_peer;
    if (!reloaded && !o.fetch_socks.empty())
        master_fetch_sockets(o.fetch_socks);
    if (!bind_listeners(cfg, workers))
        return reloaded ? run_master_wait(mo) : 1;
    mo.workers = workers;
    mo.daemon = (o.daemon || cfg.global.daemon) && !o.foreground;
    return run_master(cfg, mo);
}
