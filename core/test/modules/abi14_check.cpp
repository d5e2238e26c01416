// SPDX-License-Identifier: MIT
// Test fixture (t/module_abi14.t): the ABI 1.4 additions, driven through runtime API
// commands the module registers (cli_register; the handlers run in the master):
//  - "abi14 ping" (user level, listed by help): answers "pong";
//  - "abi14 secret" (admin level, listed): answers "secret";
//  - "set server * abi14" (admin, not listed): refines the core's "set server";
//  - "abi14 check <be>/<srv> fail|ok|agent|off": server_set_check with fixed states;
//  - "abi14 op <be>/<srv> up|down|stopping [<reason words>]": server_set_op;
//  - "abi14 admin <be>/<srv> ready|drain|maint [<cause>]": server_set_admin (prints the
//    previous state);
//  - "abi14 weight <be>/<srv> <n> [%]": server_set_weight (prints the new weight);
//  - "abi14 info <be>/<srv>": server_find, server_id, server_iweight;
//  - "abi14 log <proxy> <words>": proxy_log at PTC_LOG_NOTICE;
//  - "abi14 shut <be>/<srv> [backups]": server_shutdown_streams;
//  - "abi14 srverr": "<count> <last PTC_SRVERR_*>" of the PTC_PHASE_SRV_ERROR hook, kept in
//    a shm_reserve area (the hook runs in the workers).
#include <portico/portico.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <string>

static const ptc_host* host;
static ptc_modref* me;

struct shared_area {
    std::atomic<uint32_t> srv_errors;
    std::atomic<int32_t> last_error;
};
static shared_area* area;

static std::string word(const ptc_str& s) { return std::string(s.ptr, s.len); }

static ptc_server* find(const ptc_str& spec, ptc_cli_reply* r)
{
    std::string s = word(spec);
    size_t slash = s.find('/');
    ptc_server* srv = NULL;
    if (slash != std::string::npos) {
        ptc_str be{s.data(), slash};
        ptc_str sv{s.data() + slash + 1, s.size() - slash - 1};
        srv = host->server_find(be, sv);
    }
    if (!srv)
        host->cli_printf(r, "No such server.\n");
    return srv;
}

static std::string rest(uint32_t argc, const ptc_str* args, uint32_t from)
{
    std::string out;
    for (uint32_t i = from; i < argc; i++)
        out += (out.empty() ? "" : " ") + word(args[i]);
    return out;
}

static int cmd_ping(ptc_modref*, uint32_t, const ptc_str*, ptc_cli_reply* r)
{
    host->cli_printf(r, "pong\n");
    return PTC_OK;
}

static int cmd_secret(ptc_modref*, uint32_t, const ptc_str*, ptc_cli_reply* r)
{
    host->cli_printf(r, "secret\n");
    return PTC_OK;
}

static int cmd_set_server(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    host->cli_printf(r, "abi14 on %s (%u words)\n", argc > 2 ? word(args[2]).c_str() : "-",
                     argc);
    return PTC_OK;
}

static int cmd_check(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 4)
        return host->cli_printf(r, "usage\n"), PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    std::string what = word(args[3]);
    ptc_check_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.size = sizeof(ci);
    ci.state = PTC_CHKST_CONFIGURED | PTC_CHKST_ENABLED;
    ci.rise = 2;
    ci.fall = 3;
    ci.code = -1;
    if (what == "fail") {
        ci.status = "L4CON";
        ci.status_desc = "Layer4 connection problem";
        ci.status_num = 8;
        ci.result = 2;
        ci.duration_ms = 1;
        ci.desc = "Connection refused";
        ci.health = 3;
        ci.failed = 1;
        ci.port = 8999;
        ci.addr = "127.0.0.9";
        host->server_set_check(srv, PTC_CHECK_HEALTH, &ci);
    } else if (what == "down") {
        ci.status = "L4CON";
        ci.status_desc = "Layer4 connection problem";
        ci.status_num = 8;
        ci.result = 2;
        ci.duration_ms = 1;
        ci.desc = "Connection refused";
        ci.health = 1;
        ci.failed = 3;
        host->server_set_check(srv, PTC_CHECK_HEALTH, &ci);
    } else if (what == "ok") {
        ci.state |= PTC_CHKST_INPROGRESS;
        ci.status = "L7OK";
        ci.status_desc = "Layer7 check passed";
        ci.status_num = 15;
        ci.result = 3;
        ci.code = 200;
        ci.duration_ms = 3;
        ci.desc = "OK, \"fine\"";
        ci.health = 4;
        host->server_set_check(srv, PTC_CHECK_HEALTH, &ci);
    } else if (what == "agent") {
        ci.state |= PTC_CHKST_AGENT;
        ci.status = "L7OK";
        ci.status_desc = "Layer7 check passed";
        ci.status_num = 15;
        ci.result = 3;
        ci.code = 0;
        ci.duration_ms = 2;
        ci.desc = "ready";
        ci.rise = 1;
        ci.fall = 1;
        ci.health = 1;
        ci.port = 9999;
        ci.addr = "127.0.0.2";
        host->server_set_check(srv, PTC_CHECK_AGENT, &ci);
    } else {
        ci.state = PTC_CHKST_CONFIGURED; // disabled ("disable health")
        ci.status = "INI";
        ci.status_num = 1;
        host->server_set_check(srv, PTC_CHECK_HEALTH, &ci);
    }
    return PTC_OK;
}

static int cmd_op(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 4)
        return PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    std::string what = word(args[3]);
    uint32_t op = what == "up" ? PTC_SRV_OP_UP : what == "down" ? PTC_SRV_OP_DOWN
                                                               : PTC_SRV_OP_STOPPING;
    std::string reason = rest(argc, args, 4);
    uint32_t prev = host->server_set_op(srv, op, reason.empty() ? NULL : reason.c_str());
    host->cli_printf(r, "prev %u\n", prev);
    return PTC_OK;
}

static int cmd_admin(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 4)
        return PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    std::string what = word(args[3]);
    uint32_t a = what == "maint" ? PTC_SRV_ADMIN_MAINT : what == "drain" ? PTC_SRV_ADMIN_DRAIN
                                                                         : PTC_SRV_ADMIN_READY;
    std::string cause = rest(argc, args, 4);
    uint32_t prev = host->server_set_admin(srv, a, cause.empty() ? NULL : cause.c_str());
    host->cli_printf(r, "prev %u\n", prev);
    return PTC_OK;
}

static int cmd_weight(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 4)
        return PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    uint32_t v = (uint32_t)strtoul(word(args[3]).c_str(), NULL, 10);
    uint32_t flags = argc > 4 && word(args[4]) == "%" ? PTC_WEIGHT_PERCENT : 0;
    host->cli_printf(r, "weight %u\n", host->server_set_weight(srv, v, flags));
    return PTC_OK;
}

static int cmd_info(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 3)
        return PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    host->cli_printf(r, "id=%u iweight=%u spread=%llu maxspread=%llu tcheck=%llu\n",
                     host->server_id(srv), host->server_iweight(srv),
                     (unsigned long long)host->global_setting("spread-checks"),
                     (unsigned long long)host->global_setting("max-spread-checks"),
                     (unsigned long long)host->proxy_timeout(host->server_backend(srv),
                                                              "check"));
    return PTC_OK;
}

static int cmd_log(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 4)
        return PTC_ERROR;
    std::string name = word(args[2]);
    for (ptc_proxy* p = host->proxy_next(NULL); p; p = host->proxy_next(p)) {
        ptc_str n = host->proxy_name(p);
        if (n.len == name.size() && !memcmp(n.ptr, name.data(), n.len)) {
            host->proxy_log(p, PTC_LOG_NOTICE, "abi14: %s", rest(argc, args, 3).c_str());
            return PTC_OK;
        }
    }
    host->cli_printf(r, "No such proxy.\n");
    return PTC_ERROR;
}

static int cmd_shut(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 3)
        return PTC_ERROR;
    ptc_server* srv = find(args[2], r);
    if (!srv)
        return PTC_ERROR;
    uint32_t flags = argc > 3 && word(args[3]) == "backups" ? PTC_SHUT_BACKUPS : 0;
    host->server_shutdown_streams(srv, flags);
    return PTC_OK;
}

static int cmd_srverr(ptc_modref*, uint32_t, const ptc_str*, ptc_cli_reply* r)
{
    host->cli_printf(r, "%u %d\n", area ? area->srv_errors.load() : 0,
                     area ? area->last_error.load() : -1);
    return PTC_OK;
}

static int hook_srv_error(ptc_stream* s, void*, void*)
{
    if (area) {
        area->srv_errors.fetch_add(1);
        area->last_error.store(host->stream_srv_error(s));
    }
    return PTC_CONTINUE;
}

static const ptc_cli_cmd k_cmds[] = {
    {"abi14 ping", "abi14 ping", "answer pong (abi14 test module)", PTC_CLI_USER, cmd_ping},
    {"abi14 secret", "abi14 secret", "an admin-only command", PTC_CLI_ADMIN, cmd_secret},
    {"set server * abi14", NULL, NULL, PTC_CLI_ADMIN, cmd_set_server},
    {"abi14 check", NULL, NULL, PTC_CLI_ADMIN, cmd_check},
    {"abi14 op", NULL, NULL, PTC_CLI_ADMIN, cmd_op},
    {"abi14 admin", NULL, NULL, PTC_CLI_ADMIN, cmd_admin},
    {"abi14 weight", NULL, NULL, PTC_CLI_ADMIN, cmd_weight},
    {"abi14 info", NULL, NULL, PTC_CLI_USER, cmd_info},
    {"abi14 log", NULL, NULL, PTC_CLI_ADMIN, cmd_log},
    {"abi14 shut", NULL, NULL, PTC_CLI_ADMIN, cmd_shut},
    {"abi14 srverr", NULL, NULL, PTC_CLI_USER, cmd_srverr},
};

static int mod_init(ptc_modref* self)
{
    me = self;
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    // the same words twice are refused
    if (host->cli_register(self, &k_cmds[0], sizeof(k_cmds[0])) != PTC_ERROR)
        return PTC_ERROR;
    return PTC_OK;
}

static int mod_post_config(ptc_modref*)
{
    area = (shared_area*)host->shm_reserve(me, "abi14", sizeof(shared_area));
    return area ? PTC_OK : PTC_ERROR;
}

static const ptc_hook k_hooks[] = {
    {PTC_PHASE_SRV_ERROR, 0, hook_srv_error},
};

static const ptc_module k_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "abi14_check",
    .version = "1.0",
    .description = "ABI 1.4 test fixture",
    .hooks = k_hooks,
    .hook_count = PTC_COUNTOF(k_hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .init = mod_init,
    .post_config = mod_post_config,
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &k_module;
}
