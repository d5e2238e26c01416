// SPDX-License-Identifier: MIT
// "server-state-file" / "load-server-state-from-file": at start-up, the servers take the
// state an operator saved with "show servers state" (HAProxy 2.6's version-1 format) —
// operational state, administrative state, weight, port, check enablement — under the
// rules HAProxy applies: what the new configuration changed wins over the saved value.
// Applied by the master before the workers start, through the runtime API's own commands,
// so every worker sees it in shared memory.
#include "proc/server_state_file.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <map>

#include "cli/cli.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

constexpr size_t k_min_fields = 20; // HAProxy 2.6: version 1 lines have 20 to 25 fields
constexpr size_t k_max_fields = 25;

// admin-state bits (HAProxy's SRV_ADMF_*) and check-state bits (CHK_ST_*)
constexpr long ADM_FMAINT = 0x01, ADM_IMAINT = 0x02, ADM_CMAINT = 0x04, ADM_FDRAIN = 0x08,
               ADM_IDRAIN = 0x10, ADM_RMAINT = 0x20, ADM_HMAINT = 0x40;
constexpr long CHK_CONFIGURED = 0x02, CHK_ENABLED = 0x04;
constexpr long CHK_KNOWN = 0x01 | 0x02 | 0x04 | 0x08 | 0x10;

bool to_long(const std::string& s, long& v)
{
    if (s.empty())
        return false;
    char* e = nullptr;
    errno = 0;
    v = strtol(s.c_str(), &e, 10);
    return e != s.c_str() && errno != ERANGE;
}

std::string path_of(const std::string& base, const std::string& name)
{
    if (name.empty() || name[0] == '/' || base.empty())
        return name;
    return base + (base.back() == '/' ? "" : "/") + name;
}

// A line split on blanks; 0: blank or comment, -1: malformed (too few or too many fields).
int split_line(const std::string& l, std::vector<std::string>& f)
{
    f.clear();
    size_t i = 0;
    while (i < l.size() && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == l.size() || l[i] == '#')
        return 0;
    while (i < l.size()) {
        size_t j = i;
        while (j < l.size() && l[j] != ' ' && l[j] != '\t')
            j++;
        f.push_back(l.substr(i, j - i));
        while (j < l.size() && (l[j] == ' ' || l[j] == '\t'))
            j++;
        i = j;
        if (f.size() >= k_max_fields)
            break;
    }
    return f.size() < k_min_fields || f.size() > k_max_fields ? -1 : 1;
}

using lines_t = std::map<std::string, std::vector<std::string>>; // "be srv" -> fields

// Reads a state file: false (with a warning) when it cannot be used at all. <px> set: a
// backend's local file, whose lines must name that backend (by id or name).
bool read_file(const std::string& file, const proxy* px, long px_id, lines_t& out)
{
    std::ifstream in(file);
    std::string who = px ? "Proxy '" + px->name + "': " : std::string("config: ");
    if (!in) {
        if (px)
            PTC_WARN("Proxy '%s': Can't open server state file '%s': %s.", px->name.c_str(),
                     file.c_str(), strerror(errno));
        else
            PTC_WARN("config: Can't open global server state file '%s': %s", file.c_str(),
                     strerror(errno));
        return false;
    }
    std::string l;
    long vsn = 0;
    if (!std::getline(in, l) || !to_long(l, vsn) || std::to_string(vsn) != l || vsn != 1) {
        PTC_WARN("%sCan't get version of the %sserver state file '%s'.", who.c_str(),
                 px ? "" : "global ", file.c_str());
        return false;
    }
    std::vector<std::string> f;
    for (int n = 1; std::getline(in, l); n++) {
        int r = split_line(l, f);
        if (r == 0)
            continue;
        if (r < 0) {
            PTC_WARN("%scorrupted %sserver state file '%s' at line %d.", who.c_str(),
                     px ? "" : "global ", file.c_str(), n);
            out.clear();
            return false;
        }
        if (px) {
            long id = 0;
            bool same_id = to_long(f[0], id) && id == px_id;
            bool same_name = f[1] == px->name;
            if (!same_id && !same_name)
                continue;
            if (!same_id)
                PTC_WARN("Proxy '%s': backend ID mismatch: from server state file: '%s', from "
                         "running config '%ld'", px->name.c_str(), f[0].c_str(), px_id);
            else if (!same_name) {
                PTC_WARN("Proxy '%s': backend name mismatch: from server state file: '%s', "
                         "from running config '%s'", px->name.c_str(), f[1].c_str(),
                         px->name.c_str());
                long forced = 0;
                if (!to_long(f[15], forced) || !(forced & 1))
                    continue;
            }
        }
        out.emplace((px ? px->name : f[1]) + " " + f[3], f);
    }
    return true;
}

// One server's saved state, validated (fields from srv_addr on, as HAProxy's params[]).
struct saved {
    long op = 0, adm = 0, uw = 0, iw = 0, since = 0, cst = 0, cres = 0, health = 0, chk = 0,
         agt = 0, bkf = 0, svf = 0, port = -1;
};

// The reasons <f> cannot be applied (", invalid ... value '...'" each), empty when it can.
std::string validate(const std::vector<std::string>& f, saved& v)
{
    const std::string* p = f.data() + 4; // p[0] = srv_addr ... p[16] = srv_use_ssl
    size_t np = f.size() - 4;
    std::string bad;
    long &op = v.op, &adm = v.adm, &uw = v.uw, &iw = v.iw, &since = v.since, &cst = v.cst,
         &cres = v.cres, &health = v.health, &chk = v.chk, &agt = v.agt, &bkf = v.bkf,
         &svf = v.svf;
    if (!to_long(p[1], op) || op < 0 || op > 3)
        bad += ", invalid srv_op_state value '" + p[1] + "'";
    bool ok_adm = to_long(p[2], adm);
    adm &= ~(ADM_IDRAIN | ADM_IMAINT | ADM_HMAINT | ADM_RMAINT);
    if (!ok_adm || (adm != 0 && adm != ADM_FMAINT && adm != ADM_CMAINT &&
                    adm != (ADM_CMAINT | ADM_FMAINT) && adm != (ADM_CMAINT | ADM_FDRAIN) &&
                    adm != ADM_FDRAIN))
        bad += ", invalid srv_admin_state value '" + p[2] + "'";
    if (!to_long(p[3], uw) || uw < 0 || uw > 256)
        bad += ", invalid srv_uweight value '" + p[3] + "'";
    if (!to_long(p[4], iw) || iw < 0 || iw > 256)
        bad += ", invalid srv_iweight value '" + p[4] + "'";
    if (!to_long(p[5], since))
        bad += ", invalid srv_last_time_change value '" + p[5] + "'";
    if (!to_long(p[6], cst) || cst < 0 || cst >= 32)
        bad += ", invalid srv_check_status value '" + p[6] + "'";
    if (!to_long(p[7], cres) || cres < 0 || cres > 4)
        bad += ", invalid srv_check_result value '" + p[7] + "'";
    if (!to_long(p[8], health))
        bad += ", invalid srv_check_health value '" + p[8] + "'";
    if (!to_long(p[9], chk) || (chk & ~CHK_KNOWN))
        bad += ", invalid srv_check_state value '" + p[9] + "'";
    if (!to_long(p[10], agt) || (agt & ~CHK_KNOWN))
        bad += ", invalid srv_agent_state value '" + p[10] + "'";
    if (!to_long(p[11], bkf) || (bkf != 0 && bkf != 1))
        bad += ", invalid bk_f_forced_id value '" + p[11] + "'";
    if (!to_long(p[12], svf) || (svf != 0 && svf != 1))
        bad += ", invalid srv_f_forced_id value '" + p[12] + "'";
    long& port = v.port;
    if (np > 14 && (!to_long(p[14], port) || port < 0 || port > 65535)) {
        bad += ", invalid srv_port value '" + p[14] + "'";
        port = -1;
    }
    return bad;
}

void apply_server(cli_session& cs, proxy& be, server& sv, const std::vector<std::string>& f)
{
    const std::string* p = f.data() + 4;
    size_t np = f.size() - 4;
    saved v;
    std::string bad = validate(f, v);
    long op = v.op, adm = v.adm, uw = v.uw, iw = v.iw, since = v.since, chk = v.chk,
         agt = v.agt, port = v.port;
    if (!bad.empty()) {
        PTC_WARN("server-state application failed for server '%s/%s'%s", be.name.c_str(),
                 sv.name.c_str(), bad.c_str());
        return;
    }
    std::string who = cli_word(be.name + "/" + sv.name);
    // operational state: through the health checks ("set server ... health"), which is
    // refused for a server without checks (it keeps the state its checks give it: up)
    if (cli_has_command("set server " + who + " health")) {
        const char* h = op == 0 ? "down" : op == 3 ? "stopping" : "up";
        cli_run_line(cs, "set server " + who + " health " + h);
    }
    // administrative state: a configuration change ("disabled" added or removed) wins
    bool cfg_maint = sv.disabled;
    if (bool(adm & ADM_CMAINT) != cfg_maint) {
        // the configuration's state is the one the server already has
    } else if ((adm & ADM_FMAINT) && !cfg_maint) {
        cli_run_line(cs, "set server " + who + " state maint");
    } else if (!(adm & ADM_FMAINT) && cfg_maint) {
        cli_run_line(cs, "set server " + who + " state ready");
    }
    if (!(adm & ADM_FMAINT) && !cfg_maint && (adm & ADM_FDRAIN) && (iw > 0 || sv.weight == 0))
        cli_run_line(cs, "set server " + who + " state drain");
    // a check disabled on the runtime API stays disabled
    if ((chk & CHK_CONFIGURED) && !(chk & CHK_ENABLED) && cli_has_command("disable health"))
        cli_run_line(cs, "disable health " + who);
    if ((agt & CHK_CONFIGURED) && !(agt & CHK_ENABLED) && cli_has_command("disable agent"))
        cli_run_line(cs, "disable agent " + who);
    // the weight set at run time, unless the configuration's weight changed
    if (iw == (long)sv.weight && sv.shared && (uint32_t)uw != sv.shared->weight.load())
        cli_run_line(cs, "set server " + who + " weight " + std::to_string(uw));
    if (sv.shared) {
        uint32_t t = (uint32_t)time(nullptr);
        sv.shared->last_change = since > 0 && (uint32_t)since < t ? t - (uint32_t)since : t;
    }
    // the service port, as HAProxy does (the saved one wins)
    sockaddr_storage a = sv.addr;
    if (sv.shared && be.shared) {
        be.shared->cfg_lock.lock();
        if (sv.shared->addrlen)
            a = sv.shared->addr;
        be.shared->cfg_lock.unlock();
    }
    if (port > 0 && addr_port(a) != (uint16_t)port && !addr_ip(a).empty())
        cli_run_line(cs, "set server " + who + " addr " + cli_word(addr_ip(a)) + " port " +
                             std::to_string(port));
    // the health-check port and address
    if (np > 17 && p[17] != "0" && cli_has_command("set server " + who + " check-port"))
        cli_run_line(cs, "set server " + who + " check-port " + p[17]);
}

// Each server of <be> takes its line of <lines> (removed from it).
void match_backend(proxy& be, lines_t& lines, bool local)
{
    for (auto& up : be.servers) {
        auto it = lines.find(be.name + " " + up->name);
        if (it == lines.end())
            continue;
        up->state_fields = std::move(it->second);
        lines.erase(it);
    }
    if (local)
        for (auto& kv : lines)
            PTC_WARN("Proxy '%s': can't find server '%s' in backend '%s'", be.name.c_str(),
                     kv.second[3].c_str(), be.name.c_str());
}

bool loads_state(const proxy& p)
{
    return (p.cap & CAP_BE) && p.srv_state_load != 0 && !p.servers.empty();
}

} // namespace

void server_state_file_read(config& cfg)
{
    const global_conf& g = cfg.global;
    bool any = false;
    for (auto& p : cfg.proxies)
        any |= loads_state(*p);
    if (!any)
        return;
    lines_t global;
    bool have_global = false;
    if (!g.server_state_file.empty())
        have_global = read_file(path_of(g.server_state_base, g.server_state_file), nullptr,
                                0, global);
    for (size_t i = 0; i < cfg.proxies.size(); i++) {
        proxy& p = *cfg.proxies[i];
        if (!loads_state(p))
            continue;
        if (p.srv_state_load == 1) {
            if (have_global)
                match_backend(p, global, false);
            continue;
        }
        std::string name = p.srv_state_file_name.empty() ? p.name : p.srv_state_file_name;
        lines_t local;
        // a backend's id in the file: its index in the shm proxy table + 2, as "show servers state"
        if (read_file(path_of(g.server_state_base, name), &p, (long)i + 2, local))
            match_backend(p, local, true);
    }
}

std::string server_state_last_addr(const server& sv)
{
    if (sv.state_fields.empty())
        return "";
    saved v;
    if (!validate(sv.state_fields, v).empty() || sv.state_fields[4] == "-")
        return "";
    return sv.state_fields[4];
}

void server_state_file_apply(config& cfg)
{
    cli_session cs;
    cs.level = CLI_LVL_ADMIN;
    for (auto& p : cfg.proxies) {
        if (!loads_state(*p))
            continue;
        for (auto& up : p->servers)
            if (!up->state_fields.empty())
                apply_server(cs, *p, *up, up->state_fields);
    }
}

} // namespace portico
