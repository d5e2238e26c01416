// SPDX-License-Identifier: MIT
// Unit tests for "init-addr" (server_init_addr: the methods in order, "last" from the
// server-state file) and the state file's address of a server (server_state_last_addr).
#define BOOST_TEST_MODULE init_addr
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "load/core_keywords.hpp"
#include "proc/server_state_file.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"

using namespace portico;

namespace {

server named(const std::string& spec, std::vector<std::string> methods)
{
    server s;
    s.name = "s";
    s.addr_spec = spec;
    s.hostname = spec.substr(0, spec.rfind(':'));
    s.init_addr = std::move(methods);
    return s;
}

std::string where(const server& s)
{
    return addr_ip(s.addr) + " " + std::to_string(addr_port(s.addr));
}

// a valid version-1 line for be/s with <addr> as srv_addr
std::vector<std::string> line(const std::string& addr, const std::string& op = "2")
{
    return {"3", "be", "1", "s", addr, op, "0", "1", "1", "5", "1", "0", "2", "0", "0", "0",
            "0", "-", "8080", "-", "0", "0", "-", "-", "0"};
}

} // namespace

BOOST_AUTO_TEST_CASE(last_first_wins_over_the_name)
{
    server s = named("localhost:8080", {"last", "libc", "none"});
    std::string e, w;
    BOOST_TEST(server_init_addr(s, "127.0.0.2", e, w));
    BOOST_TEST(where(s) == "127.0.0.2 8080");
    BOOST_TEST(w.empty());
    BOOST_TEST(!s.no_addr);
}

BOOST_AUTO_TEST_CASE(no_saved_address_next_method)
{
    server s = named("localhost:8080", {"last", "libc"});
    std::string e, w;
    BOOST_TEST(server_init_addr(s, "", e, w));
    BOOST_TEST(where(s) == "127.0.0.1 8080");
    BOOST_TEST(w.empty()); // nothing failed: "last" had nothing to try
}

BOOST_AUTO_TEST_CASE(libc_first_wins)
{
    server s = named("localhost:8080", {"libc", "last"});
    std::string e, w;
    BOOST_TEST(server_init_addr(s, "127.0.0.2", e, w));
    BOOST_TEST(where(s) == "127.0.0.1 8080");
}

BOOST_AUTO_TEST_CASE(default_methods_are_last_then_libc)
{
    server s = named("localhost:8080", {});
    std::string e, w;
    BOOST_TEST(server_init_addr(s, "::1", e, w));
    BOOST_TEST(s.addr.ss_family == AF_INET6);
    BOOST_TEST(where(s) == "::1 8080");
    server t = named("localhost:8080", {});
    BOOST_TEST(server_init_addr(t, "", e, w));
    BOOST_TEST(where(t) == "127.0.0.1 8080");
}

BOOST_AUTO_TEST_CASE(no_port_stays_without_port)
{
    server s = named("localhost", {"last"});
    std::string e, w;
    BOOST_TEST(server_init_addr(s, "127.0.0.3", e, w));
    BOOST_TEST(where(s) == "127.0.0.3 0");
}

BOOST_AUTO_TEST_CASE(no_method_found)
{
    server s = named("nosuch.invalid:80", {"last"});
    std::string e, w;
    BOOST_TEST(!server_init_addr(s, "", e, w));
    BOOST_TEST(e == "no method found to resolve address 'nosuch.invalid'");
}

BOOST_AUTO_TEST_CASE(a_saved_address_that_is_not_an_ip_fails)
{
    server s = named("nosuch.invalid:80", {"last"});
    std::string e, w;
    BOOST_TEST(!server_init_addr(s, "app.example.com", e, w));
    BOOST_TEST(e == "could not resolve address 'nosuch.invalid'");
    server t = named("nosuch.invalid:80", {"last", "none"});
    BOOST_TEST(server_init_addr(t, "bogus", e, w));
    BOOST_TEST(t.no_addr);
    BOOST_TEST(w == "could not resolve address 'nosuch.invalid', disabling server.");
    server u = named("nosuch.invalid:80", {"last", "10.0.0.9"});
    w.clear();
    BOOST_TEST(server_init_addr(u, "bogus", e, w));
    BOOST_TEST(where(u) == "10.0.0.9 80");
    BOOST_TEST(w == "could not resolve address 'nosuch.invalid', falling back to configured address.");
    server v = named("nosuch.invalid:80", {"last", "10.0.0.9"});
    w.clear();
    BOOST_TEST(server_init_addr(v, "", e, w));
    BOOST_TEST(where(v) == "10.0.0.9 80");
    BOOST_TEST(w.empty()); // "last" had nothing: no failure to warn about
}

BOOST_AUTO_TEST_CASE(state_file_address)
{
    server s;
    BOOST_TEST(server_state_last_addr(s) == ""); // no line
    s.state_fields = line("10.1.2.3");
    BOOST_TEST(server_state_last_addr(s) == "10.1.2.3");
    s.state_fields = line("-");
    BOOST_TEST(server_state_last_addr(s) == ""); // saved without an address
    s.state_fields = line("10.1.2.3", "9");
    BOOST_TEST(server_state_last_addr(s) == ""); // a line that cannot be applied
}
