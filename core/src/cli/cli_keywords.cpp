// SPDX-License-Identifier: MIT
// Configuration keywords of the runtime API: "stats socket", "stats timeout",
// "stats maxconn" and "tune.dynamic-servers", registered as the built-in module "cli".
#include <grp.h>
#include <sys/un.h>
#include <pwd.h>

#include <cstring>
#include <string>

#include "cfg/registry.hpp"
#include "cfg/units.hpp"
#include "cli/cli.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/cfg_ctx.hpp"

namespace portico {

cli_conf g_cli;

uint32_t cli_spare_slots()
{
    return g_cfg_ctx && g_cfg_ctx->cfg ? g_cfg_ctx->cfg->global.dynamic_servers : 0;
}

namespace {

const auto arg = kw_word;

const auto err = kw_error;

using cfg::parse_uint;

// stats socket <address> [mode <octal>] [level <level>] [user|uid|group|gid <v>]
int parse_stats_socket(const ptc_kw_ctx* c)
{
    cli_socket_conf sc;
    sc.spec = arg(c, 2);
    sc.file = c->file;
    sc.line = (int)c->line;
    std::string a = sc.spec;
    if (a.rfind("unix@", 0) == 0) {
        sc.is_unix = true;
        sc.path = a.substr(5);
    } else if (a.rfind("abns@", 0) == 0 || a.rfind("sockpair@", 0) == 0 ||
               a.rfind("uxst@", 0) == 0 || a.rfind("uxdg@", 0) == 0) {
        return err(c, "'stats socket': '" + a.substr(0, a.find('@') + 1) +
                          "' addresses are not supported yet by portico");
    } else if (!a.empty() && a[0] == '/') {
        sc.is_unix = true;
        sc.path = a;
    } else {
        std::string e;
        addr_opts o;
        o.need_port = true;
        if (!parse_addr(a, o, sc.addr, sc.addrlen, &sc.inherited_fd, e))
            return err(c, "'stats socket " + a + "': " + e);
    }
    if (sc.is_unix) {
        if (sc.path.empty())
            return err(c, "'stats socket' expects a path after 'unix@'");
        if (sc.path.size() + 16 >= sizeof(((sockaddr_un*)nullptr)->sun_path))
            return err(c, "'stats socket': path '" + sc.path + "' is too long");
    }
    for (uint32_t i = 3; i < c->argc; i++) {
        std::string o = arg(c, i);
        bool has_v = i + 1 < c->argc;
        std::string v = has_v ? arg(c, i + 1) : std::string();
        if (o == "mode" || o == "level" || o == "user" || o == "uid" || o == "group" ||
            o == "gid" || o == "expose-fd") {
            if (!has_v)
                return err(c, "'stats socket': '" + o + "' expects an argument");
            i++;
        }
        if (o == "mode") {
            if (v.empty() || v.find_first_not_of("01234567") != std::string::npos ||
                v.size() > 4)
                return err(c, "'stats socket': 'mode' expects an octal mode, got '" + v + "'");
            sc.mode = (mode_t)std::stoul(v, nullptr, 8);
            sc.has_mode = true;
        } else if (o == "level") {
            if (v == "user")
                sc.level = CLI_LVL_USER;
            else if (v == "operator")
                sc.level = CLI_LVL_OPERATOR;
            else if (v == "admin")
                sc.level = CLI_LVL_ADMIN;
            else
                return err(c, "'stats socket': 'level' only supports 'user', 'operator', and "
                              "'admin', got '" + v + "'");
        } else if (o == "uid" || o == "gid") {
            uint64_t n;
            if (!parse_uint(v, 0xffffffffu, n))
                return err(c, "'stats socket': '" + o + "' expects a number, got '" + v + "'");
            if (o == "uid")
                sc.uid = (uid_t)n;
            else
                sc.gid = (gid_t)n;
        } else if (o == "user") {
            passwd* pw = getpwnam(v.c_str());
            if (!pw)
                return err(c, "'stats socket': unknown user '" + v + "'");
            sc.uid = pw->pw_uid;
        } else if (o == "group") {
            group* gr = getgrnam(v.c_str());
            if (!gr)
                return err(c, "'stats socket': unknown group '" + v + "'");
            sc.gid = gr->gr_gid;
        } else if (o == "expose-fd") {
            if (v != "listeners")
                return err(c, "'stats socket': 'expose-fd' only supports 'listeners', got '" +
                                  v + "'");
            sc.expose_fd = true;
        } else if (cfg::is_haproxy_keyword(o, 1)) {
            return err(c, "'stats socket': option '" + o + "' is not supported yet by portico");
        } else {
            return err(c, "'stats socket': unknown option '" + o + "'");
        }
    }
    if (!sc.is_unix && (sc.has_mode || sc.uid != (uid_t)-1 || sc.gid != (gid_t)-1) &&
        sc.inherited_fd < 0)
        return err(c, "'stats socket': 'mode', 'user', 'uid', 'group' and 'gid' only apply "
                      "to UNIX sockets");
    g_cli.sockets.push_back(sc);
    return PTC_OK;
}

int parse_stats_timeout(const ptc_kw_ctx* c)
{
    uint64_t ms;
    std::string v = arg(c, 2);
    if (!cfg::parse_time_ms(v, ms) || ms == 0 || ms > cfg::max_timeout_ms)
        return err(c, "'stats timeout' expects a positive time value, got '" + v + "'");
    g_cli.timeout_ms = (uint32_t)ms;
    return PTC_OK;
}

int parse_stats_maxconn(const ptc_kw_ctx* c)
{
    uint64_t n;
    if (!parse_uint(arg(c, 2), 1000000, n) || n == 0)
        return err(c, "'stats maxconn' expects a positive integer, got '" + arg(c, 2) + "'");
    g_cli.maxconn = (uint32_t)n;
    return PTC_OK;
}

int parse_tune_dynamic_servers(const ptc_kw_ctx* c)
{
    uint64_t n;
    if (!parse_uint(arg(c, 1), 4096, n))
        return err(c, "'tune.dynamic-servers' expects an integer between 0 and 4096, got '" +
                          arg(c, 1) + "'");
    g_cfg_ctx->cfg->global.dynamic_servers = (uint32_t)n;
    return PTC_OK;
}

const ptc_keyword k_cli_keywords[] = {
    {"stats socket", PTC_SEC_GLOBAL, 0, 1, -1, parse_stats_socket,
     "stats socket <path|ipv4:port|fd@N> [mode <octal>] [level user|operator|admin] "
     "[user|uid|group|gid <v>]"},
    {"stats timeout", PTC_SEC_GLOBAL, 0, 1, 1, parse_stats_timeout, "stats timeout <time>"},
    {"stats maxconn", PTC_SEC_GLOBAL, 0, 1, 1, parse_stats_maxconn, "stats maxconn <number>"},
    {"tune.dynamic-servers", PTC_SEC_GLOBAL, 0, 1, 1, parse_tune_dynamic_servers,
     "tune.dynamic-servers <number>"},
};

const ptc_module k_cli_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "cli",
    .version = "0.1.0",
    .description = "portico runtime API",
    .keywords = k_cli_keywords,
    .keyword_count = PTC_COUNTOF(k_cli_keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* cli_module() { return &k_cli_module; }

} // namespace portico
