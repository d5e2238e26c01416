// SPDX-License-Identifier: MIT
// Unit tests for the keyword registry and the HAProxy keyword list.
#define BOOST_TEST_MODULE cfg_registry
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "cfg/registry.hpp"

using namespace portico::cfg;
using words = std::vector<std::string>;

namespace {

constexpr uint32_t GLOBAL = 1, DEFAULTS = 2, FRONTEND = 4, BACKEND = 8, PEERS = 16;
constexpr uint32_t PROXY = DEFAULTS | FRONTEND | BACKEND;

registry make()
{
    registry r;
    const char *proxy_kws[] = {"timeout connect", "timeout client", "timeout server",
                               "default_backend", "option forwardfor", "option httplog",
                               "option http-server-close", "mode", "bind", "server",
                               "balance", "use_backend", "default-server", "maxconn"};
    for (const char *k : proxy_kws)
        r.add({k, PROXY, "core", nullptr});
    r.add({"maxconn", GLOBAL, "core", nullptr});
    r.add({"daemon", GLOBAL, "core", nullptr});
    r.add({"bind", PEERS, "stick", nullptr});
    r.add({"option", GLOBAL, "test", nullptr}); // a one-word keyword sharing a first word
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(longest_match)
{
    const registry r = make();
    int used = 0;
    const kw_entry *e = r.find(words{"timeout", "connect", "5s"}, 0, &used);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->name == "timeout connect");
    BOOST_TEST(used == 2);

    e = r.find(words{"mode", "http"}, 0, &used);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->name == "mode");
    BOOST_TEST(used == 1);

    // two-word entry wins over the one-word one when both exist
    e = r.find(words{"option", "httplog"}, 0, &used, ~0u);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->name == "option httplog");
    e = r.find(words{"option", "nothing"}, 0, &used);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->name == "option");
    BOOST_TEST(used == 1);

    BOOST_TEST(!r.find(words{"timeout"}, 0, &used));
    BOOST_TEST(!r.find(words{"timeout", "bogus"}, 0, &used));
    BOOST_TEST(!r.find(words{"x"}, 1, &used));

    // offset and where mask
    e = r.find(words{"no", "option", "forwardfor"}, 1, &used, PROXY);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->name == "option forwardfor");
    BOOST_TEST(r.find(words{"bind", ":80"}, 0, &used, PEERS)->owner == "stick");
    BOOST_TEST(r.find(words{"bind", ":80"}, 0, &used, FRONTEND)->owner == "core");
    BOOST_TEST(!r.find(words{"daemon"}, 0, &used, PROXY));
}

BOOST_AUTO_TEST_CASE(duplicates)
{
    registry r = make();
    BOOST_CHECK_THROW(r.add({"mode", FRONTEND, "http", nullptr}), std::runtime_error);
    BOOST_CHECK_THROW(r.add({"timeout connect", PROXY, "tcp", nullptr}), std::runtime_error);
    BOOST_CHECK_NO_THROW(r.add({"mode", PEERS, "x", nullptr}));
    BOOST_CHECK_THROW(r.add({"a b c", PEERS, "x", nullptr}), std::runtime_error);
    BOOST_CHECK_THROW(r.add({"", PEERS, "x", nullptr}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(suggestions)
{
    const registry r = make();
    BOOST_TEST(r.suggest(words{"timout", "connect", "5s"}, 0, PROXY) == "timeout connect");
    BOOST_TEST(r.suggest(words{"timeout", "conect", "5s"}, 0, PROXY) == "timeout connect");
    BOOST_TEST(r.suggest(words{"defualt_backend", "be"}, 0, PROXY) == "default_backend");
    BOOST_TEST(r.suggest(words{"option", "forwardfr"}, 0, PROXY) == "option forwardfor");
    BOOST_TEST(r.suggest(words{"maxcon", "10"}, 0, GLOBAL) == "maxconn");
    BOOST_TEST(r.suggest(words{"deamon"}, 0, GLOBAL) == "daemon");
    BOOST_TEST(r.suggest(words{"timout"}, 0, PROXY) == "timeout");
    BOOST_TEST(r.suggest(words{"deamon"}, 0, PROXY) == ""); // wrong section
    BOOST_TEST(r.suggest(words{"completely-unrelated", "x"}, 0, ~0u) == "");
    BOOST_TEST(r.suggest(words{"zz"}, 0, ~0u) == "");
    BOOST_TEST(edit_distance("defualt", "default") == 1u);
    BOOST_TEST(edit_distance("", "abc") == 3u);
    BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
}

BOOST_AUTO_TEST_CASE(listing)
{
    const registry r = make();
    const auto v = r.all();
    BOOST_TEST(v.size() == 18u);
    for (size_t i = 1; i < v.size(); i++)
        BOOST_TEST((v[i - 1]->name <= v[i]->name));
    BOOST_TEST(v.front()->name == "balance");
}

BOOST_AUTO_TEST_CASE(haproxy_keywords)
{
    for (const char *k : {"stick-table", "http-request", "tune.ssl.default-dh-param",
                          "option httplog", "no option httplog", "default option httplog",
                          "stats socket", "timeout tarpit", "email-alert mailers",
                          "capture request", "lua-load", "nameserver", "peer", "userlist",
                          "compression", "http-request set-header", "timeout", "option",
                          "errorloc302", "external-check command", "cpu-map"})
        BOOST_TEST(is_haproxy_keyword(k, 0), k);
    for (const char *k : {"accept-proxy", "ssl", "crt", "alpn", "v4v6", "strict-sni", "tfo",
                          "quic-cc-algo", "expose-fd"})
        BOOST_TEST(is_haproxy_keyword(k, 1), k);
    for (const char *k : {"check", "inter", "send-proxy-v2", "slowstart", "init-addr",
                          "resolvers", "no-check-ssl", "pool-purge-delay", "tcp-ut"})
        BOOST_TEST(is_haproxy_keyword(k, 2), k);
    for (const char *k : {"timeout bogus", "bogus", "", "option bogus-thing", "no"})
        BOOST_TEST(!is_haproxy_keyword(k, 0), k);
    BOOST_TEST(!is_haproxy_keyword("inter", 1));
    BOOST_TEST(!is_haproxy_keyword("accept-proxy", 2));
    BOOST_TEST(!is_haproxy_keyword("check", 3));
}
