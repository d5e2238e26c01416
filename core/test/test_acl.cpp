// SPDX-License-Identifier: MIT
// Unit tests of ACLs (match methods, flags, files), conditions and rule sets.
#define BOOST_TEST_MODULE acl
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <unistd.h>

#include "test_sample_fixture.hpp"

using namespace portico;
using tfx::world;

BOOST_AUTO_TEST_CASE(match_str_family)
{
    world w;
    tfx::g_path = "/api/v1/Users";
    BOOST_TEST(w.match({"path", "/api/v1/Users"}) == 1);
    BOOST_TEST(w.match({"path", "/api/v1/users"}) == 0);
    BOOST_TEST(w.match({"path", "-i", "/API/v1/users"}) == 1);
    BOOST_TEST(w.match({"path", "-m", "beg", "/api/"}) == 1);
    BOOST_TEST(w.match({"path_beg", "/api/"}) == 1);
    BOOST_TEST(w.match({"path_beg", "/static", "/api"}) == 1); // values are OR'ed
    BOOST_TEST(w.match({"path_beg", "/static"}) == 0);
    BOOST_TEST(w.match({"path_end", "Users"}) == 1);
    BOOST_TEST(w.match({"path_end", "-i", "USERS"}) == 1);
    BOOST_TEST(w.match({"path_sub", "v1"}) == 1);
    BOOST_TEST(w.match({"path", "-m", "sub", "-i", "V1/u"}) == 1);
    BOOST_TEST(w.match({"path_reg", "^/api/v[0-9]+/"}) == 1);
    BOOST_TEST(w.match({"path", "-m", "reg", "-i", "USERS$"}) == 1);
    BOOST_TEST(w.match({"path", "-m", "reg", "USERS$"}) == 0);
    BOOST_TEST(w.match({"path_dir", "v1"}) == 1);
    BOOST_TEST(w.match({"path_dir", "/api/v1/"}) == 1);
    BOOST_TEST(w.match({"path_dir", "v"}) == 0);
    BOOST_TEST(w.match({"path_len", "13"}) == 1);
    BOOST_TEST(w.match({"path_len", "1:10"}) == 0);
    BOOST_TEST(w.match({"path", "-m", "len", "gt", "5"}) == 1);
    BOOST_TEST(w.match({"path", "-m", "found"}) == 1);
    BOOST_TEST(w.match({"hdr(x-none)", "-m", "found"}) == 0);
    tfx::g_hdrs["host"] = "www.Example.com:8080";
    BOOST_TEST(w.match({"hdr_dom(host)", "-i", "example.com"}) == 1);
    BOOST_TEST(w.match({"hdr_dom(host)", "-i", "example"}) == 1);
    BOOST_TEST(w.match({"hdr_dom(host)", "Example"}) == 1);
    BOOST_TEST(w.match({"hdr_dom(host)", "8080"}) == 1);
    BOOST_TEST(w.match({"hdr_dom(host)", "808"}) == 0);
    BOOST_TEST(w.match({"hdr(host),lower", "-m", "beg", "www.example"}) == 1);
    BOOST_TEST(w.match({"hdr(x-none)", "x"}) == 0);
    // "--" ends the flags: a pattern may then start with '-'
    tfx::g_path = "-i";
    BOOST_TEST(w.match({"path", "--", "-i"}) == 1);
    // method is matched as a string
    BOOST_TEST(w.match({"method", "GET", "HEAD"}) == 1);
    BOOST_TEST(w.match({"method", "POST"}) == 0);
}

BOOST_AUTO_TEST_CASE(match_int_ip_bool)
{
    world w;
    BOOST_TEST(w.match({"src_port", "4242"}) == 1);
    BOOST_TEST(w.match({"src_port", "1:1023"}) == 0);
    BOOST_TEST(w.match({"src_port", "4000:"}) == 1);
    BOOST_TEST(w.match({"src_port", ":4000"}) == 0);
    BOOST_TEST(w.match({"src_port", "gt", "4241"}) == 1);
    BOOST_TEST(w.match({"src_port", "lt", "4242"}) == 0);
    BOOST_TEST(w.match({"src_port", "le", "4242"}) == 1);
    BOOST_TEST(w.match({"src_port", "ge", "4243"}) == 0);
    BOOST_TEST(w.match({"src_port", "eq", "4242"}) == 1);
    BOOST_TEST(w.match({"src_port", "eq", "1", "4242"}) == 1); // operator: next value only
    BOOST_TEST(w.match({"src", "10.0.0.0/8"}) == 1);
    BOOST_TEST(w.match({"src", "10.0.1.2"}) == 1);
    BOOST_TEST(w.match({"src", "10.0.1.3"}) == 0);
    BOOST_TEST(w.match({"src", "10.0.0.0/255.255.0.0"}) == 1);
    BOOST_TEST(w.match({"src", "192.168.0.0/16", "::ffff:10.0.1.0/120"}) == 1);
    BOOST_TEST(w.match({"src", "2001:db8::/32"}) == 0);
    BOOST_TEST(w.match({"str(2001:db8::5)", "-m", "ip", "2001:db8::/32"}) == 1);
    BOOST_TEST(w.match({"str(10.1.1.1)", "-m", "ip", "10.0.0.0/8"}) == 1);
    BOOST_TEST(w.match({"hdr(x-none)", "-m", "ip", "10.0.0.0/8"}) == 0);
    BOOST_TEST(w.match({"always_true"}) == 1);
    BOOST_TEST(w.match({"always_false"}) == 0);
    BOOST_TEST(w.match({"int(3)", "-m", "bool"}) == 1);
    BOOST_TEST(w.match({"int(0)", "-m", "bool"}) == 0);
    tfx::g_hdrs["content-length"] = "120";
    BOOST_TEST(w.match({"hdr_val(content-length)", "gt", "100"}) == 1);
    BOOST_TEST(w.match({"hdr(content-length)", "-m", "int", "100:200"}) == 1);
    BOOST_TEST(w.match({"hdr_ip(content-length)", "1.2.3.4"}) == 0);
}

BOOST_AUTO_TEST_CASE(acl_parse_errors)
{
    world w;
    std::string err;
    BOOST_TEST(w.match({"nosuch", "x"}, &err) == -1);
    BOOST_TEST(err.find("unknown fetch method 'nosuch'") != std::string::npos);
    BOOST_TEST(w.match({"path", "-m", "nope", "x"}, &err) == -1);
    BOOST_TEST(err.find("unknown matching method") != std::string::npos);
    BOOST_TEST(w.match({"path", "-x", "a"}, &err) == -1);
    BOOST_TEST(err.find("unknown ACL flag") != std::string::npos);
    BOOST_TEST(w.match({"path", "-m", "found", "a"}, &err) == -1);
    BOOST_TEST(w.match({"path_reg", "("}, &err) == -1);
    BOOST_TEST(err.find("invalid regex") != std::string::npos);
    BOOST_TEST(w.match({"src", "10.0.0.300"}, &err) == -1);
    BOOST_TEST(w.match({"src_port", "abc"}, &err) == -1);
    BOOST_TEST(w.match({"src_port", "gt"}, &err) == -1);
    BOOST_TEST(w.match({"path", "-f", "/nonexistent.lst"}, &err) == -1);
    BOOST_TEST(w.match({"path", "-u", "1", "-m", "found"}) == 1); // -u <id>: checked
    BOOST_TEST(w.match({"path", "-u", "x", "a"}, &err) == -1);
    BOOST_TEST(err.find("numeric unique id") != std::string::npos);
    // every bad flag of the line is reported
    BOOST_TEST(w.match({"path", "-x", "-m", "zz", "-y", "a"}, &err) == -1);
    BOOST_TEST(err.find("'-x'") != std::string::npos);
    BOOST_TEST(err.find("'zz'") != std::string::npos);
    BOOST_TEST(err.find("'-y'") != std::string::npos);
    // HAProxy 2.6 names portico lacks are "not supported yet", not "unknown"
    BOOST_TEST(w.match({"base_beg", "/a"}, &err) == -1);
    BOOST_TEST(err.find("'base_beg' is not supported yet") != std::string::npos);
    BOOST_TEST(w.acl({"bad name!", "path", "/"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("invalid ACL name") != std::string::npos);
    // a fetch of any type (var) needs -m, as in HAProxy; a converter gives it a type
    BOOST_TEST(w.match({"var(txn.x)", "a"}, &err) == -1);
    BOOST_TEST(err.find("matching method must be specified first") != std::string::npos);
    BOOST_TEST(w.match({"var(txn.x)", "-m", "found"}) == 0);
    BOOST_TEST(w.match({"var(txn.x,abc),upper", "ABC"}) == 1);
}

BOOST_AUTO_TEST_CASE(pattern_files)
{
    world w;
    std::string f = tfx::write_tmp("p.lst", "# hosts\n\n  www.example.com\nAPI.example.com\n");
    tfx::g_hdrs["host"] = "api.example.com";
    BOOST_TEST(w.match({"hdr(host)", "-f", f}) == 0);
    BOOST_TEST(w.match({"hdr(host)", "-i", "-f", f}) == 1);
    BOOST_TEST(w.match({"hdr(host)", "-f", f, "-i"}) == 1); // flags apply to the file anywhere
    BOOST_TEST(w.match({"hdr(host)", "-f", f, "api.example.com"}) == 1);
    tfx::g_hdrs["host"] = "www.example.com";
    BOOST_TEST(w.match({"hdr(host)", "-f", f}) == 1);
    unlink(f.c_str());
    // -M: the file is a map, its keys are the patterns
    std::string m = tfx::write_tmp("p.map", "www.example.com backend1\nother.org  b2\n");
    BOOST_TEST(w.match({"hdr(host)", "-M", "-f", m}) == 1);
    BOOST_TEST(w.match({"hdr(host)", "-f", m}) == 0); // without -M: whole lines
    unlink(m.c_str());
}

BOOST_AUTO_TEST_CASE(conditions)
{
    world w;
    tfx::g_path = "/admin/x";
    BOOST_REQUIRE(w.acl({"is_admin", "path_beg", "/admin"}) == PTC_OK);
    BOOST_REQUIRE(w.acl({"is_local", "src", "127.0.0.1"}) == PTC_OK);
    BOOST_REQUIRE(w.acl({"is_get", "method", "GET"}) == PTC_OK);
    BOOST_TEST(w.cond({"if", "is_admin"}) == 1);
    BOOST_TEST(w.cond({"unless", "is_admin"}) == 0);
    BOOST_TEST(w.cond({"if", "is_admin", "is_local"}) == 0);       // AND
    BOOST_TEST(w.cond({"if", "is_admin", "!is_local"}) == 1);
    BOOST_TEST(w.cond({"if", "is_admin", "!", "is_local"}) == 1);
    BOOST_TEST(w.cond({"if", "is_local", "||", "is_get"}) == 1);  // OR
    BOOST_TEST(w.cond({"if", "is_local", "or", "is_admin", "is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "is_local", "||", "!is_get"}) == 0);
    BOOST_TEST(w.cond({"unless", "is_local", "||", "!is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "{", "path", "/admin/x", "}", "is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "!", "{", "src", "10.0.0.0/8", "}"}) == 0);
    BOOST_TEST(w.cond({"if", "TRUE"}) == 1);
    BOOST_TEST(w.cond({"if", "FALSE", "||", "LOCALHOST"}) == 0);
    BOOST_TEST(w.cond({"if", "METH_GET"}) == 1);
    // several acl lines with one name are OR'ed
    BOOST_REQUIRE(w.acl({"multi", "path", "/nope"}) == PTC_OK);
    BOOST_TEST(w.cond({"if", "multi"}) == 0);
    BOOST_REQUIRE(w.acl({"multi", "path_beg", "/adm"}) == PTC_OK);
    BOOST_TEST(w.cond({"if", "multi"}) == 1);
    std::string err;
    BOOST_TEST(w.cond({"if", "undeclared"}, &err) == -1);
    BOOST_TEST(err == "no such ACL : 'undeclared'");
    BOOST_TEST(w.cond({"if"}, &err) == -1);
    BOOST_TEST(w.cond({"if", "!"}, &err) == -1);
    BOOST_TEST(w.cond({"if", "or"}, &err) == -1);
    // HAProxy 2.6's leniency: "or" in any case, "!" alone or repeated, empty alternatives
    BOOST_TEST(w.cond({"if", "is_get", "||"}) == 1);
    BOOST_TEST(w.cond({"if", "is_local", "OR", "is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "is_local", "Or", "is_local"}) == 0);
    BOOST_TEST(w.cond({"if", "or", "is_local", "or", "or", "is_admin"}) == 1);
    BOOST_TEST(w.cond({"if", "!!is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "!", "!is_get"}) == 1);
    BOOST_TEST(w.cond({"if", "!is_get", "or", "is_admin"}) == 1);
    BOOST_TEST(w.cond({"if", "!", "or", "is_get"}) == 1); // a dangling '!' is reset by "or"
    BOOST_TEST(w.cond({"if", "{", "path", "/"}, &err) == -1);
    BOOST_TEST(err.find("missing closing '}'") != std::string::npos);
    BOOST_TEST(w.cond({"if", "HTTP_1.1"}, &err) == -1); // needs req.ver: not registered here
    BOOST_TEST(err.find("not supported yet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rule_parsing)
{
    world w;
    using V = std::vector<std::string>;
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)", "str(a)"}) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"http-request", "set-var(txn.x,ifnotexists)", "path", "if", "TRUE"}) ==
               PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "unset-var(txn.x)", "unless", "TRUE"}) ==
               PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "lua.hello", "if", "TRUE"}) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)", "str(a)", "extra"}) ==
               PTC_ERROR);
    BOOST_TEST(w.last_error().find("unexpected word 'extra'") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "frobnicate"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("unknown action 'frobnicate'") != std::string::npos);
    BOOST_TEST(w.last_error().find("set-var") != std::string::npos); // lists known actions
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "tarpit"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("not supported yet") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(x)", "str(a)"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)", "status"}) ==
               PTC_ERROR); // response fetch in a request rule
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x,ifwhat)", "str(a)"}) ==
               PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)", "str(a)", "if",
                                        "nosuchacl"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("no such ACL") != std::string::npos);
    // tcp-response content rules: the tcp module runs them (mode http: refused after parsing)
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"tcp-response", "content", "set-var(sess.x)", "src"}, 2) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-response", "content", "reject"}, 2) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-response", "content", "close"}, 2) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("not supported yet") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"tcp-request", "content", "set-var(sess.x)", "src"}, 2) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-request", "connection", "reject"}, 2) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-request", "connection", "accept", "if",
                                        "TRUE"}, 2) == PTC_OK);
    smp::tcp_rules_supported = true;
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"tcp-request", "connection", "set-var(sess.x)", "path"}, 2) == PTC_ERROR);
    // tcp-request session: connection-level fetches and actions only
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-request", "session", "reject", "if", "TRUE"}, 2) ==
               PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"tcp-request", "session", "set-var(sess.s)", "src"}, 2) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"tcp-request", "session", "set-var(sess.s)", "path"}, 2) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"tcp-request", "session", "use-service", "x"}, 2) ==
               PTC_ERROR);
    // http-request set-timeout server|tunnel <time>|<expr>
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-timeout", "server", "5s"}) ==
               PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules,
                    V{"http-request", "set-timeout", "tunnel", "int(3),mul(1000)"}) == PTC_OK);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-timeout", "client", "5s"}) ==
               PTC_ERROR);
    BOOST_TEST(w.last_error().find("'server'/'tunnel'") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-timeout", "server", "0"}) ==
               PTC_ERROR);
    BOOST_TEST(w.last_error().find("null value") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-timeout", "server"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-timeout", "server", "5000000000"}) ==
               PTC_ERROR);
    // rules in an anonymous defaults section are refused
    proxy d;
    d.cap = CAP_DEFAULTS;
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.x)", "str(a)"}, 1,
                    PTC_SEC_DEFAULTS, &d) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("named defaults") != std::string::npos);
    BOOST_TEST(w.kw(smp::parse_acl, V{"acl", "a", "path", "/"}, 1, PTC_SEC_DEFAULTS, &d) ==
               PTC_ERROR);
}

BOOST_AUTO_TEST_CASE(rules_run)
{
    world w;
    using V = std::vector<std::string>;
    tfx::g_path = "/x";
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.a)", "str(one)"}) ==
                  PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.b)", "str(no)", "if",
                                           "FALSE"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "test-yield"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.c)",
                                           "var(txn.a),upper"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.a,ifnotexists)",
                                           "str(two)"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "test-deny", "if", "{", "path",
                                           "/deny", "}"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "set-var(txn.d)", "int(1)"}) ==
                  PTC_OK);
    ptc_proxy* px = to_handle(&w.px);
    tfx::g_yields = 2;
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_REQ, px) == PTC_ACT_YIELD);
    BOOST_TEST(w.eval("var(txn.a)") == "one");
    BOOST_TEST(w.eval("var(txn.c)") == "<none>");
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_REQ, px) == PTC_ACT_YIELD);
    // the first rule is not run again after a yield: change txn.a to see it
    ptc_sample v{};
    v.type = PTC_SMP_STR;
    v.u.str = ptc_str{"mod", 3};
    BOOST_REQUIRE(host_var_set(w.ps(), ptc_str{"txn.a", 5}, &v) == 1);
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_REQ, px) == PTC_ACT_CONTINUE);
    BOOST_TEST(w.eval("var(txn.c)") == "MOD");
    BOOST_TEST(w.eval("var(txn.a)") == "mod"); // ifnotexists
    BOOST_TEST(w.eval("var(txn.b)") == "<none>");
    BOOST_TEST(w.eval("var(txn.d)") == "1");
    smp::txn_end(w.ps());
    tfx::g_path = "/deny";
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_REQ, px) == PTC_ACT_DONE);
    BOOST_TEST(w.eval("var(txn.d)") == "<none>");
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_RES, px) == PTC_ACT_CONTINUE);
}

BOOST_AUTO_TEST_CASE(use_backend_rules)
{
    world w;
    using V = std::vector<std::string>;
    proxy be1, be2;
    be1.name = "be1";
    be2.name = "be2";
    BOOST_REQUIRE(w.kw(smp::parse_use_backend, V{"use_backend", "be1", "if", "{", "path_beg",
                                                 "/one", "}"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_use_backend, V{"use_backend", "be2", "unless", "{", "path",
                                                 "/none", "}"}) == PTC_OK);
    w.px.use_backend[0].target = &be1;
    w.px.use_backend[1].target = &be2;
    tfx::g_path = "/one/x";
    BOOST_TEST(smp::select_backend(w.ps(), &w.px) == &be1);
    tfx::g_path = "/two";
    BOOST_TEST(smp::select_backend(w.ps(), &w.px) == &be2);
    tfx::g_path = "/none";
    BOOST_TEST(smp::select_backend(w.ps(), &w.px) == nullptr);
    BOOST_TEST(w.kw(smp::parse_use_backend, V{"use_backend", "be_%[path"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_use_backend, V{"use_backend", "be_%[nosuch]"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_use_backend, V{"use_backend", "be_%H"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_use_backend, V{"use_backend", "be1", "when", "x"}) == PTC_ERROR);
    BOOST_TEST(w.kw(smp::parse_use_backend, V{"use_backend", "%[path,lower]", "if", "TRUE"}) ==
               PTC_OK);
    BOOST_TEST(!w.px.use_backend.back().dyn.empty());
}

BOOST_AUTO_TEST_CASE(indexed_lists)
{
    using namespace portico::smp;
    std::string err;
    auto str_smp = [](const std::string& s) {
        ptc_sample v{};
        v.type = PTC_SMP_STR;
        v.u.str = ptc_str{s.data(), s.size()};
        return v;
    };
    // exact strings: a hash; the first of equal keys wins
    pattern_list ls;
    ls.m = match::str;
    for (int i = 0; i < 100000; i++)
        BOOST_REQUIRE(pattern_add(ls, "/k/" + std::to_string(i), "", err));
    BOOST_REQUIRE(pattern_add(ls, "/k/5", "", err));
    std::string k = "/k/99999", k2 = "/k/100000", k5 = "/k/5";
    ptc_sample v = str_smp(k);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[99999]);
    v = str_smp(k2);
    BOOST_TEST(pattern_match(ls, &v) == nullptr);
    v = str_smp(k5);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[5]);
    // -i: patterns and sample lower-cased
    pattern_list li;
    li.m = match::str;
    li.icase = true;
    BOOST_REQUIRE(pattern_add(li, "WWW.Example.com", "", err));
    std::string host = "www.EXAMPLE.com";
    v = str_smp(host);
    BOOST_TEST(pattern_match(li, &v) == &li.pats[0]);
    // prefixes: the longest wins (HAProxy's prefix tree)
    pattern_list lb;
    lb.m = match::beg;
    for (const char* p : {"/", "/api/", "/api/v1/", "/static"})
        BOOST_REQUIRE(pattern_add(lb, p, "", err));
    for (int i = 0; i < 100000; i++)
        BOOST_REQUIRE(pattern_add(lb, "/p" + std::to_string(i) + "/", "", err));
    std::string a = "/api/v1/users", b = "/api/x", c = "/other", d = "/p77/x", e = "/static.css";
    v = str_smp(a);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[2]);
    v = str_smp(b);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[1]);
    v = str_smp(c);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[0]);
    v = str_smp(d);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[4 + 77]);
    v = str_smp(e);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[3]);
    // addresses: longest prefix, IPv4 patterns match v4-mapped IPv6 samples and back
    pattern_list lp;
    lp.m = match::ip;
    for (const char* p : {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "::ffff:192.168.0.0/112",
                          "2001:db8::/32", "0.0.0.0/0"})
        BOOST_REQUIRE(pattern_add(lp, p, "", err));
    auto ip4 = [](const char* t) {
        ptc_sample s{};
        s.type = PTC_SMP_IPV4;
        inet_pton(AF_INET, t, s.u.ipv4);
        return s;
    };
    auto ip6 = [](const char* t) {
        ptc_sample s{};
        s.type = PTC_SMP_IPV6;
        inet_pton(AF_INET6, t, s.u.ipv6);
        return s;
    };
    v = ip4("10.1.2.3");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[2]);
    v = ip4("10.1.9.9");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[1]);
    v = ip4("10.9.9.9");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[0]);
    v = ip4("192.168.4.5");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[3]);
    v = ip4("8.8.8.8");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[5]);
    v = ip6("::ffff:10.1.7.7");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[1]);
    v = ip6("2001:db8:1::1");
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[4]);
    v = ip6("2001:db9::1");
    BOOST_TEST(pattern_match(lp, &v) == nullptr);
}

// Runtime deletions ("del map", "del-acl"): a deleted pattern leaves every index, the next
// one of equal key takes its place, the others are untouched.
BOOST_AUTO_TEST_CASE(indexed_lists_delete)
{
    using namespace portico::smp;
    std::string err;
    auto str_smp = [](const std::string& s) {
        ptc_sample v{};
        v.type = PTC_SMP_STR;
        v.u.str = ptc_str{s.data(), s.size()};
        return v;
    };
    // exact strings with duplicates: head, middle and tail of a chain
    pattern_list ls;
    ls.m = match::str;
    for (const char* p : {"/a", "/b", "/a", "/c", "/a"})
        BOOST_REQUIRE(pattern_add(ls, p, "", err));
    std::string a = "/a", b = "/b", c = "/c";
    ptc_sample v = str_smp(a);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[0]);
    pattern_del(ls, 2); // middle of the chain
    pattern_del(ls, 0); // head: the next one of equal key wins
    v = str_smp(a);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[4]);
    pattern_del(ls, 4);
    v = str_smp(a);
    BOOST_TEST(pattern_match(ls, &v) == nullptr);
    BOOST_TEST(ls.exact.count("/a") == 0u);
    v = str_smp(b);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[1]);
    pattern_del(ls, 4); // twice: nothing
    BOOST_REQUIRE(pattern_add(ls, "/a", "", err)); // re-added after deletion
    v = str_smp(a);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[5]);
    v = str_smp(c);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[3]);
    // prefixes: deleting the longest falls back to a shorter one
    pattern_list lb;
    lb.m = match::beg;
    for (const char* p : {"/", "/api/", "/api/v1/"})
        BOOST_REQUIRE(pattern_add(lb, p, "", err));
    std::string u = "/api/v1/users";
    v = str_smp(u);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[2]);
    pattern_del(lb, 2);
    v = str_smp(u);
    BOOST_TEST(pattern_match(lb, &v) == &lb.pats[1]);
    pattern_del(lb, 1);
    pattern_del(lb, 0);
    v = str_smp(u);
    BOOST_TEST(pattern_match(lb, &v) == nullptr);
    // networks: both families' keys of an IPv4 pattern go
    pattern_list lp;
    lp.m = match::ip;
    for (const char* p : {"10.0.0.0/8", "10.1.0.0/16"})
        BOOST_REQUIRE(pattern_add(lp, p, "", err));
    ptc_sample s4{};
    s4.type = PTC_SMP_IPV4;
    inet_pton(AF_INET, "10.1.2.3", s4.u.ipv4);
    ptc_sample s6{};
    s6.type = PTC_SMP_IPV6;
    inet_pton(AF_INET6, "::ffff:10.1.2.3", s6.u.ipv6);
    pattern_del(lp, 1);
    v = s4;
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[0]);
    v = s6;
    BOOST_TEST(pattern_match(lp, &v) == &lp.pats[0]);
    pattern_del(lp, 0);
    v = s4;
    BOOST_TEST(pattern_match(lp, &v) == nullptr);
    v = s6;
    BOOST_TEST(pattern_match(lp, &v) == nullptr);
    // scanned methods skip deleted patterns
    pattern_list le;
    le.m = match::end;
    for (const char* p : {".css", ".js"})
        BOOST_REQUIRE(pattern_add(le, p, "", err));
    std::string f = "/x.css";
    pattern_del(le, 0);
    v = str_smp(f);
    BOOST_TEST(pattern_match(le, &v) == nullptr);
    // clear: empty, and usable again
    pattern_clear(ls);
    v = str_smp(b);
    BOOST_TEST(pattern_match(ls, &v) == nullptr);
    BOOST_REQUIRE(pattern_add(ls, "/b", "", err));
    v = str_smp(b);
    BOOST_TEST(pattern_match(ls, &v) == &ls.pats[0]);
}
