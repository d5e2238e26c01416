// SPDX-License-Identifier: MIT
// Unit tests of the peers protocol wire encoding: HAProxy's varints at each length
// boundary, round trips, truncation, and message framing.
#define BOOST_TEST_MODULE peerwire
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "peerwire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

using namespace stick::peerwire;

namespace {
std::string enc(uint64_t v)
{
    std::string s;
    put_varint(s, v);
    return s;
}
} // namespace

BOOST_AUTO_TEST_CASE(varint_lengths)
{
    // HAProxy's PEER_ENC_*BYTES_MIN boundaries
    BOOST_TEST(enc(0).size() == 1u);
    BOOST_TEST(enc(0xef).size() == 1u);
    BOOST_TEST(enc(0xf0).size() == 2u);
    BOOST_TEST(enc(0x8ef).size() == 2u);
    BOOST_TEST(enc(0x8f0).size() == 3u);
    BOOST_TEST(enc(0x408ef).size() == 3u);
    BOOST_TEST(enc(0x408f0).size() == 4u);
    BOOST_TEST(enc(0x20408f0).size() == 5u);
    BOOST_TEST(enc(~0ULL).size() == 10u);
    BOOST_TEST(enc(0xf0) == std::string("\xf0\x00", 2));
    BOOST_TEST(enc(0xf1) == std::string("\xf1\x00", 2));
    BOOST_TEST(enc(0x100) == std::string("\xf0\x01", 2));
}

BOOST_AUTO_TEST_CASE(varint_round_trip)
{
    for (uint64_t v : {0ULL, 1ULL, 239ULL, 240ULL, 241ULL, 1000ULL, 2287ULL, 2288ULL, 65535ULL,
                       264431ULL, 264432ULL, 4294967295ULL, 1ULL << 40, ~0ULL}) {
        std::string s = enc(v);
        const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
        uint64_t out = 0;
        BOOST_TEST(get_varint(&p, p + s.size(), &out));
        BOOST_TEST(out == v);
        BOOST_TEST(p == reinterpret_cast<const unsigned char*>(s.data()) + s.size());
        // every truncation fails and leaves the cursor
        for (size_t cut = 0; cut < s.size(); cut++) {
            const unsigned char* q = reinterpret_cast<const unsigned char*>(s.data());
            BOOST_TEST(!get_varint(&q, q + cut, &out));
        }
    }
}

BOOST_AUTO_TEST_CASE(framing)
{
    std::string hb = message(CLASS_CONTROL, CTRL_HEARTBEAT);
    BOOST_TEST(hb == std::string("\x00\x04", 2));
    std::string payload(300, 'x');
    std::string m = message(CLASS_STKT, STKT_UPDATE, payload);
    std::string both = hb + m;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(both.data());
    const unsigned char* end = p + both.size();
    uint8_t cls, type;
    const unsigned char* pl;
    size_t len, used;
    BOOST_TEST(next_message(p, end, 65536, &cls, &type, &pl, &len, &used) == 1);
    BOOST_TEST(cls == CLASS_CONTROL);
    BOOST_TEST(type == CTRL_HEARTBEAT);
    BOOST_TEST(used == 2u);
    p += used;
    BOOST_TEST(next_message(p, end - 1, 65536, &cls, &type, &pl, &len, &used) == 0);
    BOOST_TEST(next_message(p, end, 100, &cls, &type, &pl, &len, &used) == -1);
    BOOST_TEST(next_message(p, end, 65536, &cls, &type, &pl, &len, &used) == 1);
    BOOST_TEST(len == 300u);
    BOOST_TEST(p + used == end);
    std::string u;
    put_u32(u, 0x01020304);
    const unsigned char* q = reinterpret_cast<const unsigned char*>(u.data());
    uint32_t v = 0;
    BOOST_TEST(get_u32(&q, q + 4, &v));
    BOOST_TEST(v == 0x01020304u);
}

BOOST_AUTO_TEST_CASE(peer_addresses)
{
    struct sockaddr_storage ss;
    socklen_t l = 0;
    BOOST_TEST(parse_addr("127.0.0.1:10000", &ss, &l));
    BOOST_TEST(ss.ss_family == AF_INET);
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port) == 10000);
    BOOST_TEST(l == sizeof(sockaddr_in));
    BOOST_TEST(parse_addr("*:80", &ss, &l));
    BOOST_TEST(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr == htonl(INADDR_ANY));
    BOOST_TEST(parse_addr(":80", &ss, &l));
    BOOST_TEST(ss.ss_family == AF_INET);
    BOOST_TEST(parse_addr("[::1]:443", &ss, &l));
    BOOST_TEST(ss.ss_family == AF_INET6);
    BOOST_TEST(l == sizeof(sockaddr_in6));
    BOOST_TEST(parse_addr("ipv6@:443", &ss, &l));
    BOOST_TEST(ss.ss_family == AF_INET6);
    BOOST_TEST(parse_addr("ipv4@10.0.0.1:1", &ss, &l));
    BOOST_TEST(!parse_addr("ipv4@[::1]:1", &ss, &l));
    BOOST_TEST(!parse_addr("ipv6@10.0.0.1:1", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1:", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1:0", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1:65536", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1:+80", &ss, &l));
    BOOST_TEST(!parse_addr("10.0.0.1:80x", &ss, &l));
    BOOST_TEST(!parse_addr("::1:80", &ss, &l));
    BOOST_TEST(!parse_addr("host.example:80", &ss, &l));
}

BOOST_AUTO_TEST_CASE(peer_addresses_env_and_no_port)
{
    struct sockaddr_storage ss;
    socklen_t l = 0;
    setenv("PTC_TEST_PEER_IP", "127.0.0.9", 1);
    setenv("PTC_TEST_PEER_PORT", "7001", 1);
    unsetenv("PTC_TEST_PEER_UNSET");
    BOOST_TEST(env_expand("${PTC_TEST_PEER_IP}:$PTC_TEST_PEER_PORT") == "127.0.0.9:7001");
    BOOST_TEST(env_expand("a${PTC_TEST_PEER_UNSET}b$PTC_TEST_PEER_UNSET") == "ab");
    BOOST_TEST(parse_addr("${PTC_TEST_PEER_IP}:${PTC_TEST_PEER_PORT}", &ss, &l));
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port) == 7001);
    BOOST_TEST(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr == inet_addr("127.0.0.9"));
    // unset variables leave ":": refused for a bind, a remote peer as HAProxy (port 0)
    BOOST_TEST(!parse_addr("${PTC_TEST_PEER_UNSET}:${PTC_TEST_PEER_UNSET}", &ss, &l));
    BOOST_TEST(parse_addr("${PTC_TEST_PEER_UNSET}:${PTC_TEST_PEER_UNSET}", &ss, &l, true));
    BOOST_TEST(ss.ss_family == AF_INET);
    BOOST_TEST(reinterpret_cast<sockaddr_in*>(&ss)->sin_port == 0);
    BOOST_TEST(parse_addr("10.0.0.1", &ss, &l, true));
    BOOST_TEST(parse_addr("10.0.0.1:0", &ss, &l, true));
    BOOST_TEST(parse_addr("[::1]", &ss, &l, true));
    BOOST_TEST(ss.ss_family == AF_INET6);
    BOOST_TEST(!parse_addr("10.0.0.1:65536", &ss, &l, true));
    BOOST_TEST(!parse_addr("10.0.0.1:x", &ss, &l, true));
}

BOOST_AUTO_TEST_CASE(hellos)
{
    hello h{};
    size_t used = 0;
    std::string m = "HAProxyS 2.1\nme\nyou 123 1\nrest";
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
    BOOST_TEST(used == m.size() - 4);
    BOOST_TEST(h.status == 0);
    BOOST_TEST(h.host == "me");
    BOOST_TEST(h.peer == "you");
    BOOST_TEST(!h.bad_last);
    for (size_t n = 0; n < m.size() - 4; n++) // every prefix: more bytes needed
        BOOST_TEST(parse_hello(m.data(), n, &h, &used) == 0);
    m = "HAProxyS 2.0\nme\nyou 1 1\n";
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
    BOOST_TEST(h.status == 0);
    for (const char* v : {"HAProxyS 2.2\n", "HAProxyS 3.0\n", "HAProxyS 2\n", "HAProxyS 2.x\n", "HAProxyS .1\n"}) {
        m = std::string(v) + "me\nyou 1 1\n";
        BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
        BOOST_TEST(h.status == 502, v);
    }
    m = "HAProxyX 2.1\nme\nyou 1 1\n";
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
    BOOST_TEST(h.status == 501);
    m = "HAProxyS 2.1\nme\nyou\n";
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
    BOOST_TEST(h.status == 0);
    BOOST_TEST(h.bad_last);
    std::string big(2000, 'x');
    BOOST_TEST(parse_hello(big.data(), big.size(), &h, &used) == -1);
    // a hello over 1024 bytes is refused as a whole too, not only when read in pieces
    m = "HAProxyS 2.1\nme\n" + std::string(1100, 'y') + " 1 1\n";
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == -1);
    BOOST_TEST(parse_hello(m.data(), 1025, &h, &used) == -1);
    m = "HAProxyS 2.1\nme\n" + std::string(1024 - 21, 'y') + " 1 1\n"; // 1024 exactly
    BOOST_TEST(m.size() == 1024u);
    BOOST_TEST(parse_hello(m.data(), m.size(), &h, &used) == 1);
}

BOOST_AUTO_TEST_CASE(log_lines)
{
    auto err = [](std::vector<std::string_view> w) { return log_line_error(w); };
    BOOST_TEST(err({"log", "global"}) == "");
    BOOST_TEST(err({"log", "127.0.0.1:514", "local0"}) == "");
    BOOST_TEST(err({"log", "stdout", "local7", "info", "debug"}) == "");
    BOOST_TEST(err({"log", "127.0.0.1:514", "len", "512", "format", "rfc5424", "sample", "1:2", "daemon"}) == "");
    BOOST_TEST(err({"log"}) == "log : expects <address> and <facility> or global as arguments");
    BOOST_TEST(err({"log", "127.0.0.1:514"}) == "log : expects <address> and <facility> or global as arguments");
    BOOST_TEST(err({"log", "127.0.0.1:514", "len", "100"}) ==
               "log : expects <address> and <facility> or global as arguments");
    BOOST_TEST(err({"log", "127.0.0.1:514", "nofac"}) == "log : unknown log facility 'nofac'");
    BOOST_TEST(err({"log", "127.0.0.1:514", "local0", "loud"}) == "log : unknown optional log level 'loud'");
    BOOST_TEST(err({"log", "127.0.0.1:514", "local0", "info", "x"}) ==
               "log : unknown optional minimum log level 'x'");
    BOOST_TEST(err({"log", "127.0.0.1:514", "local0", "info", "info", "extra"}) ==
               "log : cannot handle unexpected argument 'extra'");
}

BOOST_AUTO_TEST_CASE(human_time)
{
    BOOST_TEST(human_ms(0) == "0s");
    BOOST_TEST(human_ms(999) == "0s");
    BOOST_TEST(human_ms(4000) == "4s");
    BOOST_TEST(human_ms(60000) == "1m");
    BOOST_TEST(human_ms(61000) == "1m1s");
    BOOST_TEST(human_ms(3600000 + 120000 + 5000) == "1h2m");
    BOOST_TEST(human_ms(86400000ULL * 3 + 3600000) == "3d1h");
    BOOST_TEST(human_ms(86400000ULL + 60000) == "1d1m");
}
