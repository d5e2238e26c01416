// SPDX-License-Identifier: MIT
// Unit tests of the runtime API's command engine and renderings: line splitting, levels,
// help and unknown-command answers, weights, "show stat" CSV and "show servers state".
#define BOOST_TEST_MODULE cli
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include <sstream>

#include "cli/cli.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "lb/srv_state.hpp"
#include "shm/shm.hpp"

using namespace portico;

namespace {

// A configuration "fe -> be (s1 weight 3, s2 disabled)", with heap-held shm slots.
struct fixture {
    config cfg;
    shm_proxy sp[2]{};
    shm_server ss[2]{};

    fixture()
    {
        auto fe = std::make_unique<proxy>();
        fe->name = "fe";
        fe->cap = CAP_FE;
        fe->mode = px_mode::http;
        fe->maxconn = 100;
        fe->binds.push_back(std::make_unique<bind_conf>());
        auto be = std::make_unique<proxy>();
        be->name = "be";
        be->cap = CAP_BE;
        be->mode = px_mode::http;
        fe->default_backend = be.get();
        for (int i = 0; i < 2; i++) {
            auto s = std::make_unique<server>();
            s->name = i ? "s2" : "s1";
            s->id = (uint32_t)i + 1;
            s->weight = i ? 1 : 3;
            s->disabled = i == 1;
            auto& a = reinterpret_cast<sockaddr_in&>(s->addr);
            a.sin_family = AF_INET;
            a.sin_port = htons((uint16_t)(8000 + i));
            inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
            s->addrlen = sizeof(sockaddr_in);
            s->be = be.get();
            s->index = (uint32_t)i;
            s->shared = &ss[i];
            ss[i].admin.store(i ? SRV_ADMIN_MAINT : SRV_ADMIN_READY);
            ss[i].up.store(1);
            ss[i].weight.store(s->weight);
            be->servers.push_back(std::move(s));
        }
        fe->index = 0;
        fe->shared = &sp[0];
        be->index = 1;
        be->shared = &sp[1];
        cfg.by_name_fe["fe"] = fe.get();
        cfg.by_name_be["be"] = be.get();
        cfg.proxies.push_back(std::move(fe));
        cfg.proxies.push_back(std::move(be));
        g_config = &cfg;
        cli_shm_init(cfg);
    }
    ~fixture() { g_config = nullptr; }
};

std::string run(cli_session& s, const std::string& line) { return cli_run_line(s, line); }

std::vector<std::string> split_csv(const std::string& l)
{
    std::vector<std::string> v;
    std::stringstream ss(l);
    std::string f;
    while (std::getline(ss, f, ','))
        v.push_back(f);
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(split_words_and_commands)
{
    auto c = cli_split("show  stat ; get weight a\\ b/c;");
    BOOST_TEST(c.size() == 3u);
    BOOST_TEST((c[0] == std::vector<std::string>{"show", "stat"}));
    BOOST_TEST((c[1] == std::vector<std::string>{"get", "weight", "a b/c"}));
    BOOST_TEST(c[2].empty());
    auto e = cli_split("set server a\\;b x");
    BOOST_TEST(e.size() == 1u);
    BOOST_TEST(e[0][2] == "a;b");
}

BOOST_FIXTURE_TEST_CASE(levels_and_prompts, fixture)
{
    cli_session s;
    s.level = CLI_LVL_USER;
    BOOST_TEST(run(s, "show cli level") == "user\n\n");
    BOOST_TEST(run(s, "disable server be/s1") == "Permission denied\n\n");
    BOOST_TEST(run(s, "operator") == "Permission denied\n\n");
    cli_session a;
    a.level = CLI_LVL_ADMIN;
    BOOST_TEST(run(a, "operator;show cli level") == "\noperator\n\n");
    cli_session p;
    BOOST_TEST(run(p, "prompt") == "\n> ");
    BOOST_TEST(run(p, "") == "\n> ");
    BOOST_TEST(run(p, "show backend") == "# name\nbe\n\n> ");
    BOOST_TEST(run(p, "quit") == "");
    BOOST_TEST(p.quit);
}

BOOST_FIXTURE_TEST_CASE(help_and_unknown, fixture)
{
    cli_session s;
    s.level = CLI_LVL_USER;
    std::string h = run(s, "help");
    BOOST_TEST(h.rfind("The following commands are valid at this level:\n", 0) == 0);
    BOOST_TEST(h.find("  get weight <bk>/<srv>                   : report a server's current "
                      "weight\n") != std::string::npos);
    BOOST_TEST(h.find("add server") == std::string::npos); // admin only
    BOOST_TEST(h.ends_with("\n  quit                                    : disconnect\n\n"));
    std::string u = run(s, "show foo");
    BOOST_TEST(u.rfind("Unknown command, but maybe one of the following ones is a better "
                       "match:\n  show ", 0) == 0);
    // a HAProxy 2.6 command portico lacks is named, not "unknown"
    // map and ACL commands need the operator level, as HAProxy's
    BOOST_TEST(run(s, "add acl #1 /x").rfind("Permission denied\n", 0) == 0);
    BOOST_TEST(run(s, "show ssl cert /a.pem")
                   .rfind("'show ssl cert' is not supported yet by portico.\n", 0) == 0);
    BOOST_TEST(run(s, "show mapx").rfind("Unknown command", 0) == 0);
    std::string e = run(s, "");
    BOOST_TEST(e.rfind("Unknown command. Please enter one of the following commands only:\n",
                       0) == 0);
}

BOOST_FIXTURE_TEST_CASE(weights, fixture)
{
    cli_session s;
    s.level = CLI_LVL_ADMIN;
    BOOST_TEST(run(s, "get weight be/s1") == "3 (initial 3)\n\n");
    BOOST_TEST(run(s, "set weight be/s1 200%") == "\n");
    BOOST_TEST(run(s, "get weight be/s1") == "6 (initial 3)\n\n");
    BOOST_TEST(run(s, "set server be/s1 weight 257") ==
               "Absolute weight can only be between 0 and 256 inclusive.\n\n");
    BOOST_TEST(run(s, "set server be/s1 weight x") ==
               "Empty weight string empty or preceded by garbage\n");
    BOOST_TEST(run(s, "get weight be") == "Require 'backend/server'.\n\n");
    BOOST_TEST(run(s, "set maxconn server be/s1 x") ==
               "maxconn string empty or preceded by garbage\n");
    BOOST_TEST(run(s, "set maxconn server be/s1 12") == "\n");
    BOOST_TEST(g_config->proxies[1]->servers[0]->shared->maxconn.load() == 12u);
    BOOST_TEST(g_config->proxies[1]->shared->srv_gen.load() >= 2u);
}

BOOST_FIXTURE_TEST_CASE(states, fixture)
{
    cli_session s;
    s.level = CLI_LVL_ADMIN;
    shm_server& s1 = *g_config->proxies[1]->servers[0]->shared;
    BOOST_TEST(run(s, "set server be/s1 state drain") == "\n");
    BOOST_TEST(s1.admin.load() == SRV_ADMIN_DRAIN);
    BOOST_TEST(run(s, "set server be/s1 state maint") == "\n");
    BOOST_TEST(s1.admin.load() == SRV_ADMIN_MAINT);
    BOOST_TEST(run(s, "enable server be/s1") == "\n");
    BOOST_TEST(s1.admin.load() == SRV_ADMIN_READY);
    BOOST_TEST(run(s, "enable server be/s2") == "\n");
    bool found;
    std::string st = cli_show_servers_state("be", found);
    BOOST_TEST(found);
    // the configuration-disabled server keeps HAProxy's CMAINT bit (4) once enabled
    BOOST_TEST(st.find("\n3 be 2 s2 127.0.0.1 2 4 1 1 ") != std::string::npos);
    BOOST_TEST(st.find("\n3 be 1 s1 127.0.0.1 2 0 3 3 ") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(show_stat_csv, fixture)
{
    std::string err;
    std::string out = cli_show_stat({"show", "stat"}, err);
    BOOST_TEST(err.empty());
    std::stringstream ss(out);
    std::string hdr, fe, s1, s2, be;
    std::getline(ss, hdr);
    std::getline(ss, fe);
    std::getline(ss, s1);
    std::getline(ss, s2);
    std::getline(ss, be);
    BOOST_TEST(cli_stat_columns() == 128u);
    BOOST_TEST(split_csv(hdr.substr(2)).size() == 128u);
    BOOST_TEST(hdr == cli_stat_header().substr(0, cli_stat_header().size() - 1));
    for (auto* l : {&fe, &s1, &s2, &be})
        BOOST_TEST(std::count(l->begin(), l->end(), ',') == 128);
    // a frontend line as HAProxy 2.6 prints it for an idle "mode http" frontend
    BOOST_TEST(fe == "fe,FRONTEND,,,0,0,100,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,"
                     "0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,"
                     ",,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,");
    auto v = split_csv(s2);
    BOOST_TEST(v[1] == "s2");
    BOOST_TEST(v[17] == "MAINT");
    BOOST_TEST(v[73] == "127.0.0.1:8001");
    auto b = split_csv(be);
    BOOST_TEST(b[17] == "UP");
    BOOST_TEST(b[18] == "3");
    BOOST_TEST(b[76] == "roundrobin");
    BOOST_TEST(b[6] == "10"); // fullconn: 10% of the frontend's maxconn
    out = cli_show_stat({"show", "stat", "-1", "4", "-1", "no-maint"}, err);
    BOOST_TEST(std::count(out.begin(), out.end(), '\n') == 2);
    out = cli_show_stat({"show", "stat", "typed"}, err);
    BOOST_TEST(err.empty());
    BOOST_TEST(out.rfind("F.2.0.0.pxname.1:KNS:str:fe\n", 0) == 0);
}

// ---- ABI 1.4: module commands, check columns ----------------------------------------------

namespace {

int mod_echo(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string last(args[argc - 1].ptr, args[argc - 1].len);
    r->out->append("echo " + std::to_string(argc) + " " + last + "\n");
    return PTC_OK;
}

// The column <name> of CSV line <l> (no quoted fields in these tests).
std::string col_of(const std::string& hdr, const std::string& l, const std::string& name)
{
    auto h = split_csv(hdr.substr(2));
    auto v = split_csv(l);
    for (size_t i = 0; i < h.size() && i < v.size(); i++)
        if (h[i] == name)
            return v[i];
    return "?";
}

} // namespace

BOOST_FIXTURE_TEST_CASE(module_commands, fixture)
{
    static bool registered = false; // the command table lives for the process
    if (!registered) {
        std::string err;
        ptc_cli_cmd a{"zz mod", "zz mod <x>", "a module command", PTC_CLI_OPERATOR, mod_echo};
        ptc_cli_cmd b{"set server * zz", nullptr, nullptr, PTC_CLI_ADMIN, mod_echo};
        ptc_cli_cmd bad{"a b c d e f", nullptr, nullptr, PTC_CLI_USER, mod_echo};
        BOOST_TEST(cli_register_command(nullptr, &a, err), err);
        BOOST_TEST(cli_register_command(nullptr, &b, err), err);
        BOOST_TEST(!cli_register_command(nullptr, &a, err));
        BOOST_TEST(err.find("registered twice") != std::string::npos, err);
        BOOST_TEST(!cli_register_command(nullptr, &bad, err));
        registered = true;
    }
    cli_session s; // operator
    BOOST_TEST(run(s, "zz mod hello") == "echo 3 hello\n\n");
    std::string help = run(s, "help");
    BOOST_TEST(help.find("  zz mod <x>                              : a module command\n") !=
               std::string::npos, help);
    BOOST_TEST(help.find("set server * zz") == std::string::npos);
    BOOST_TEST(run(s, "set server be/s1 zz") == "Permission denied\n\n");
    s.level = CLI_LVL_ADMIN;
    BOOST_TEST(run(s, "set server be/s1 zz") == "echo 4 zz\n\n");
    // the core's "set server" still answers what the module's does not match
    BOOST_TEST(run(s, "set server be/s1 state drain") == "\n");
    cli_session u;
    u.level = CLI_LVL_USER;
    BOOST_TEST(run(u, "zz mod x") == "Permission denied\n\n");
    BOOST_TEST(run(u, "help").find("zz mod") == std::string::npos);
}

// A server without a health check (ABI 1.31): an info without PTC_CHKST_CONFIGURED keeps only
// the level "show servers state" prints (HAProxy's check.health = rise), no check columns.
BOOST_FIXTURE_TEST_CASE(unchecked_level, fixture)
{
    server& sv = *g_config->proxies[1]->servers[0];
    auto state_line = [&] {
        bool found = false;
        std::string st = cli_show_servers_state("be", found);
        size_t at = st.find("\n3 be 1 s1 ");
        return at == std::string::npos ? std::string() : st.substr(at + 1, st.find('\n', at + 1) - at - 1);
    };
    auto field = [&](int i) {
        std::stringstream ss(state_line());
        std::string f;
        for (int k = 0; k <= i && ss >> f; k++) {
        }
        return f;
    };
    ptc_check_info ci{};
    ci.size = sizeof(ci);
    ci.health = 5;
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    BOOST_TEST(field(12) == "5"); // srv_check_health
    BOOST_TEST(field(10) == "1"); // srv_check_status: none (HCHK_STATUS_UNKNOWN)
    BOOST_TEST(field(13) == "0"); // srv_check_state: not configured
    BOOST_TEST(sv.shared->no_check.load() == 1u);
    BOOST_TEST(sv.shared->chk_set.load() == 0u); // no check published
    // before shm exists (post_config): kept on the server, for the slot it gets
    shm_server* sh = sv.shared;
    sv.shared = nullptr;
    ci.health = 3;
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    sv.shared = sh;
    BOOST_TEST(sv.chk_level == 3u);
    BOOST_TEST(sv.no_check);
    // the agent form is not this one: without CONFIGURED it is still a published agent
    ci.state = PTC_CHKST_AGENT;
    srv_set_check(&sv, PTC_CHECK_AGENT, &ci);
    BOOST_TEST(sv.shared->chk_set.load() == (1u << PTC_CHECK_AGENT));
}

BOOST_FIXTURE_TEST_CASE(check_columns, fixture)
{
    server& sv = *g_config->proxies[1]->servers[0];
    auto line = [&](std::string& hdr) {
        std::string err;
        std::stringstream ss(cli_show_stat({"show", "stat", "-1", "4", "1"}, err));
        std::string l;
        std::getline(ss, hdr);
        std::getline(ss, l);
        return l;
    };
    std::string hdr;
    std::string l = line(hdr);
    BOOST_TEST(col_of(hdr, l, "status") == "no check");
    BOOST_TEST(col_of(hdr, l, "check_status") == "");
    ptc_check_info ci{};
    ci.size = sizeof(ci);
    ci.state = PTC_CHKST_CONFIGURED | PTC_CHKST_ENABLED | PTC_CHKST_INPROGRESS;
    ci.status = "L7STS";
    ci.status_desc = "Layer7 wrong status";
    ci.status_num = 17;
    ci.result = 2;
    ci.code = 503;
    ci.duration_ms = 4;
    ci.desc = "HTTP status check returned code <3C>503<3E>";
    ci.health = 2;
    ci.rise = 2;
    ci.fall = 3;
    ci.failed = 2;
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    l = line(hdr);
    BOOST_TEST(col_of(hdr, l, "status") == "UP 1/3");
    BOOST_TEST(col_of(hdr, l, "check_status") == "* L7STS");
    BOOST_TEST(col_of(hdr, l, "check_code") == "503");
    BOOST_TEST(col_of(hdr, l, "check_duration") == "4");
    BOOST_TEST(col_of(hdr, l, "last_chk") == "HTTP status check returned code <3C>503<3E>");
    BOOST_TEST(col_of(hdr, l, "chkfail") == "2");
    BOOST_TEST(col_of(hdr, l, "agent_status") == "");
    // paused (maintenance): the check columns go empty, chkfail stays
    ci.state |= PTC_CHKST_PAUSED;
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    l = line(hdr);
    BOOST_TEST(col_of(hdr, l, "check_status") == "");
    BOOST_TEST(col_of(hdr, l, "chkfail") == "2");
    // a string longer than the shm field is cut, never overflows
    std::string longdesc(300, 'x');
    ci.state &= ~PTC_CHKST_PAUSED;
    ci.desc = longdesc.c_str();
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    l = line(hdr);
    BOOST_TEST(col_of(hdr, l, "last_chk") == std::string(127, 'x'));
    // DOWN going up
    ci.health = 1;
    srv_set_check(&sv, PTC_CHECK_HEALTH, &ci);
    sv.shared->up.store(SRV_OP_DOWN);
    l = line(hdr);
    BOOST_TEST(col_of(hdr, l, "status") == "DOWN 1/2");
}

namespace {
std::vector<std::string> lines_of(const std::string& s)
{
    std::vector<std::string> v;
    size_t b = 0;
    for (size_t e; (e = s.find('\n', b)) != std::string::npos; b = e + 1)
        v.push_back(s.substr(b, e - b));
    return v;
}
} // namespace

BOOST_FIXTURE_TEST_CASE(stat_typed_and_json, fixture)
{
    std::string err;
    std::string typed = cli_show_stat({"show", "stat", "typed"}, err);
    BOOST_TEST(err.empty());
    auto l = lines_of(typed);
    BOOST_REQUIRE(!l.empty());
    BOOST_TEST(l[0] == "F.2.0.0.pxname.1:KNS:str:fe");
    BOOST_TEST(l[1] == "F.2.0.1.svname.1:KNS:str:FRONTEND");
    // the "-" column is no field: the stats modules' fields follow agg_check_status
    BOOST_TEST(typed.find("S.3.1.17.status.1:SGP:str:no check\n") != std::string::npos);
    BOOST_TEST(typed.find("S.3.2.17.status.1:SGP:str:MAINT\n") != std::string::npos);
    BOOST_TEST(typed.find("S.3.1.19.act.1:SGP:u32:1\n") != std::string::npos);
    BOOST_TEST(typed.find("B.3.0.19.act.1:MGP:u32:1\n") != std::string::npos);
    BOOST_TEST(typed.find("B.3.0.102.agg_check_status.1:MGP:u32:0\n") != std::string::npos);
    BOOST_TEST(typed.find("F.2.0.103.ssl_sess.1:MCP:u64:0\n") != std::string::npos);
    BOOST_TEST(typed.find(".-.") == std::string::npos);
    std::string json = cli_stat_json({});
    BOOST_TEST(json.substr(0, 2) == "[[");
    BOOST_TEST(json.substr(json.size() - 3) == "]]\n");
    BOOST_TEST(json.find("{\"objType\":\"Server\",\"proxyId\":3,\"id\":2,\"field\":{\"pos\":17,"
                         "\"name\":\"status\"},\"processNum\":1,\"tags\":{\"origin\":\"Status\","
                         "\"nature\":\"Gauge\",\"scope\":\"Process\"},\"value\":{\"type\":"
                         "\"str\",\"value\":\"MAINT\"}}") != std::string::npos);
    // filters: the backend's server rows only
    std::string srv = cli_stat_json({"3", "4", "-1"});
    BOOST_TEST(srv.find("\"Frontend\"") == std::string::npos);
    BOOST_TEST(srv.find("\"Backend\"") == std::string::npos);
    BOOST_TEST(srv.find("\"objType\":\"Server\",\"proxyId\":3,\"id\":1,") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(info_typed_and_json, fixture)
{
    auto l = lines_of(cli_show_info("typed"));
    BOOST_REQUIRE(l.size() == 69);
    BOOST_TEST(l[0] == "0.Name.1:POS:str:portico");
    BOOST_TEST(l[45].substr(0, 15) == "47.Tasks.1:MGP:");
    BOOST_TEST(l.back() == "71.Tainted.1:SGP:str:0");
    std::string j = cli_show_info("json");
    BOOST_TEST(j.rfind("[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,\"tags\":{\"origin\":"
               "\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},\"value\":", 0) == 0);
    BOOST_TEST(j.substr(j.size() - 2) == "]\n");
    auto p = lines_of(cli_show_info());
    BOOST_TEST(p.size() == 69);
    BOOST_TEST(p[0] == "Name: portico");
}
