// SPDX-License-Identifier: MIT
// The check module's runtime API commands (served by the master): "disable|enable health",
// "disable|enable agent", "set server <bk>/<srv> health|agent|check-port ...". They act on
// the module's shared memory and the host's server setters, so every worker follows.
#include <cstring>
#include <string>

#include "check_int.hpp"

namespace chk {

namespace {

std::string str(ptc_str s) { return std::string(s.ptr, s.len); }

// Finds <bk>/<srv> in args[i]; prints HAProxy's message and returns -2 if it does not exist,
// -1 if it exists but has no check of any kind, else the member index. *srv receives it.
int find(uint32_t argc, const ptc_str* args, uint32_t i, ptc_cli_reply* r, ptc_server** srv)
{
    if (i >= argc || !memchr(args[i].ptr, '/', args[i].len)) {
        host->cli_printf(r, "Require 'backend/server'.\n");
        return -2;
    }
    std::string a = str(args[i]);
    size_t sl = a.find('/');
    std::string b = a.substr(0, sl), s = a.substr(sl + 1);
    ptc_server* sv = host->server_find(ptc_str{b.data(), b.size()}, ptc_str{s.data(), s.size()});
    if (!sv) {
        bool be = false;
        for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
            ptc_str n = host->proxy_name(p);
            if ((host->proxy_cap(p) & PTC_SEC_BACKEND) && str(n) == b)
                be = true;
        }
        host->cli_printf(r, be ? "No such server.\n" : "No such backend.\n");
        return -2;
    }
    *srv = sv;
    auto it = g_member_of.find(sv);
    return it == g_member_of.end() ? -1 : (int)it->second;
}

int set_enabled(uint32_t argc, const ptc_str* args, ptc_cli_reply* r, int k, bool on)
{
    ptc_server* sv = nullptr;
    int m = find(argc, args, 2, r, &sv);
    if (m == -2)
        return PTC_OK;
    if (m < 0 || g_members[(size_t)m].probe[k] < 0) {
        // HAProxy answers only "enable agent" on a server without an agent
        if (k == K_AGENT && on)
            host->cli_printf(r, "Agent was not configured on this server, cannot enable.\n");
        return PTC_OK;
    }
    shm_member* sm = sh_member((uint32_t)m);
    sm->lock.lock();
    sm->c[k].disabled = on ? 0 : 1;
    sm->lock.unlock();
    publish((uint32_t)m, k);
    // a disabled check no longer holds the server down (HAProxy keeps the last state, and so
    // do we: only the counters of enabled checks count from now on)
    return PTC_OK;
}

int cmd_disable_health(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_enabled(argc, args, r, K_HEALTH, false);
}
int cmd_enable_health(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_enabled(argc, args, r, K_HEALTH, true);
}
int cmd_disable_agent(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_enabled(argc, args, r, K_AGENT, false);
}
int cmd_enable_agent(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_enabled(argc, args, r, K_AGENT, true);
}

// "set server <bk>/<srv> health up|stopping|down" and "... agent up|down".
int set_state(uint32_t argc, const ptc_str* args, ptc_cli_reply* r, int k)
{
    ptc_server* sv = nullptr;
    int m = find(argc, args, 2, r, &sv);
    if (m == -2)
        return PTC_OK;
    std::string v = argc > 4 ? str(args[4]) : std::string();
    const server_cf* cf = static_cast<const server_cf*>(host->server_conf(g_self, sv));
    if (k == K_HEALTH && cf && cf->track) {
        host->cli_printf(r, "cannot change health on a tracking server.\n");
        return PTC_OK;
    }
    bool up = v == "up", down = v == "down", stopping = k == K_HEALTH && v == "stopping";
    if (m == -1 && k == K_HEALTH && cf && host->abi_minor >= 31) {
        // a server without any check: HAProxy sets its level and its state all the same (it
        // stays so: nothing checks it)
        if (!up && !down && !stopping) {
            host->cli_printf(r, "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
            return PTC_OK;
        }
        host->server_set_op(sv, down ? PTC_SRV_OP_DOWN : up ? PTC_SRV_OP_UP : PTC_SRV_OP_STOPPING,
                            "changed from CLI");
        publish_level(sv, down ? 0 : cf->rise + cf->fall - 1); // after: "no check" once up

        return PTC_OK;
    }
    if (m < 0 || g_members[(size_t)m].probe[k] < 0 || sh_member((uint32_t)m)->c[k].disabled) {
        host->cli_printf(r, k == K_AGENT ? "agent checks are not enabled on this server.\n"
                                         : "health checks are not enabled on this server.\n");
        return PTC_OK;
    }
    if (!up && !down && !stopping) {
        host->cli_printf(r, k == K_AGENT ? "'set server <srv> agent' expects 'up' or 'down'.\n"
                                         : "'set server <srv> health' expects 'up', 'stopping', "
                                           "or 'down'.\n");
        return PTC_OK;
    }
    const member& mb = g_members[(size_t)m];
    shm_member* sm = sh_member((uint32_t)m);
    sm->lock.lock();
    sm->c[k].health = down ? 0 : mb.rise[k] + mb.fall[k] - 1;
    sm->inited = 1; // set before the workers start ("server-state-file"): they keep it
    sm->lock.unlock();
    publish((uint32_t)m, k);
    settle((uint32_t)m, "changed from CLI", stopping);
    return PTC_OK;
}

int cmd_set_health(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_state(argc, args, r, K_HEALTH);
}
int cmd_set_agent(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    return set_state(argc, args, r, K_AGENT);
}

int cmd_check_port(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    ptc_server* sv = nullptr;
    int m = find(argc, args, 2, r, &sv);
    if (m == -2)
        return PTC_OK;
    if (m < 0 || g_members[(size_t)m].probe[K_HEALTH] < 0 ||
        sh_member((uint32_t)m)->c[K_HEALTH].disabled) {
        host->cli_printf(r, "health checks are not enabled on this server");
        return PTC_OK;
    }
    std::string v = argc > 4 ? str(args[4]) : std::string();
    char* end = nullptr;
    long p = v.empty() ? -1 : strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || p <= 0 || p > 65535) {
        host->cli_printf(r, "provided port is not an integer");
        return PTC_OK;
    }
    // the probe is shared by the servers with the same target and rules: all follow
    const member& mb = g_members[(size_t)m];
    sh_probe((uint32_t)mb.probe[K_HEALTH])->port_override.store((uint32_t)p);
    for (uint32_t o : g_probes[(size_t)mb.probe[K_HEALTH]].members)
        publish(o, K_HEALTH);
    host->cli_printf(r, "health check port updated.\n");
    return PTC_OK;
}

int cmd_unsupported(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    host->cli_printf(r, "'set server <srv> %.*s' is not supported yet by portico.\n",
                     argc > 3 ? (int)args[3].len : 0, argc > 3 ? args[3].ptr : "");
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"disable health", "disable health", "disable health checks", PTC_CLI_ADMIN,
     cmd_disable_health},
    {"enable health", "enable health", "enable health checks", PTC_CLI_ADMIN, cmd_enable_health},
    {"disable agent", "disable agent", "disable agent checks", PTC_CLI_ADMIN, cmd_disable_agent},
    {"enable agent", "enable agent", "enable agent checks", PTC_CLI_ADMIN, cmd_enable_agent},
    {"set server * health", nullptr, nullptr, PTC_CLI_ADMIN, cmd_set_health},
    {"set server * agent", nullptr, nullptr, PTC_CLI_ADMIN, cmd_set_agent},
    {"set server * check-port", nullptr, nullptr, PTC_CLI_ADMIN, cmd_check_port},
    {"set server * check-addr", nullptr, nullptr, PTC_CLI_ADMIN, cmd_unsupported},
    {"set server * agent-addr", nullptr, nullptr, PTC_CLI_ADMIN, cmd_unsupported},
    {"set server * agent-port", nullptr, nullptr, PTC_CLI_ADMIN, cmd_unsupported},
    {"set server * agent-send", nullptr, nullptr, PTC_CLI_ADMIN, cmd_unsupported},
};

} // namespace

int cli_register_all()
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(g_self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

} // namespace chk
