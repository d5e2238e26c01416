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
    BOOST_TEST(!err.empty());
}
