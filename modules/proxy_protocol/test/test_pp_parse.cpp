// SPDX-License-Identifier: MIT
// Unit tests of the PROXY protocol v1/v2 parser, builders and CRC32C.
#define BOOST_TEST_MODULE pp_parse
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "pp_parse.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <string>
#include <vector>

using namespace std::string_literals;

namespace {

const std::string v2sig = "\r\n\r\n\0\r\nQUIT\n"s;
const std::string payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

pp::status run(const std::string& s, pp::header& h, const char** err = nullptr,
               size_t max_len = pp::PP_V2_MAX_LEN)
{
    const char* e = nullptr;
    auto st = pp::parse(reinterpret_cast<const uint8_t*>(s.data()), s.size(), h, &e, max_len);
    if (err)
        *err = e;
    return st;
}

std::string be16(uint16_t v)
{
    return std::string{(char)(v >> 8), (char)(v & 0xff)};
}

std::string tlv(uint8_t type, const std::string& v)
{
    return std::string(1, (char)type) + be16((uint16_t)v.size()) + v;
}

// A v2 header with <body> after the 16 fixed bytes (length field = body size unless given).
std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& body, int len = -1)
{
    return v2sig + (char)ver_cmd + (char)fam + be16((uint16_t)(len < 0 ? body.size() : len)) +
           body;
}

std::string inet_body(const char* s, const char* d, uint16_t sp, uint16_t dp)
{
    in_addr a, b;
    inet_pton(AF_INET, s, &a);
    inet_pton(AF_INET, d, &b);
    return std::string(reinterpret_cast<char*>(&a), 4) + std::string(reinterpret_cast<char*>(&b), 4) +
           be16(sp) + be16(dp);
}

std::string inet6_body(const char* s, const char* d, uint16_t sp, uint16_t dp)
{
    in6_addr a, b;
    inet_pton(AF_INET6, s, &a);
    inet_pton(AF_INET6, d, &b);
    return std::string(reinterpret_cast<char*>(&a), 16) +
           std::string(reinterpret_cast<char*>(&b), 16) + be16(sp) + be16(dp);
}

std::string unix_body(const char* s, const char* d)
{
    std::string a(108, '\0'), b(108, '\0');
    memcpy(a.data(), s, strlen(s));
    memcpy(b.data(), d, strlen(d));
    return a + b;
}

// Sets the CRC32C value of a header whose CRC TLV value starts at <off>.
std::string with_crc(std::string h, size_t off)
{
    uint32_t c = pp::crc32c(reinterpret_cast<const uint8_t*>(h.data()), h.size());
    h[off] = (char)(c >> 24);
    h[off + 1] = (char)(c >> 16);
    h[off + 2] = (char)(c >> 8);
    h[off + 3] = (char)c;
    return h;
}

std::string addr_str(const sockaddr_storage& ss)
{
    char buf[INET6_ADDRSTRLEN] = "?";
    uint16_t port = 0;
    if (ss.ss_family == AF_INET) {
        auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &s->sin_addr, buf, sizeof(buf));
        port = ntohs(s->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof(buf));
        port = ntohs(s->sin6_port);
    } else if (ss.ss_family == AF_UNIX) {
        return std::string("unix:") + reinterpret_cast<const sockaddr_un*>(&ss)->sun_path;
    }
    return std::string(buf) + ":" + std::to_string(port);
}

std::string tlv_val(const std::string& hdr, const pp::tlv& t)
{
    return hdr.substr(t.off, t.len);
}

// Every strict prefix needs more; the header followed by payload parses to its own length;
// byte-by-byte feeding agrees. Returns the parse of the header alone.
pp::header check_valid(const std::string& hdr)
{
    pp::header h;
    for (size_t i = 0; i < hdr.size(); i++) {
        const char* err = nullptr;
        auto st = run(hdr.substr(0, i), h, &err);
        BOOST_TEST((st == pp::status::need_more), "prefix " << i << " of " << hdr.size()
                                                            << ": " << (err ? err : "ok"));
    }
    const char* err = nullptr;
    BOOST_TEST((run(hdr + payload, h, &err) == pp::status::ok), (err ? err : ""));
    BOOST_TEST(h.length == hdr.size());
    BOOST_TEST((run(hdr, h, &err) == pp::status::ok), (err ? err : ""));
    BOOST_TEST(h.length == hdr.size());
    return h;
}

} // namespace

BOOST_AUTO_TEST_CASE(crc32c_vector)
{
    const char* s = "123456789";
    BOOST_TEST(pp::crc32c(reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u);
    uint32_t c = pp::crc32c(reinterpret_cast<const uint8_t*>(s), 4);
    BOOST_TEST(pp::crc32c(reinterpret_cast<const uint8_t*>(s) + 4, 5, c) == 0xE3069283u);
    BOOST_TEST(pp::crc32c(nullptr, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(v1_tcp4)
{
    auto h = check_valid("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
    BOOST_TEST(h.version == 1);
    BOOST_TEST(!h.local);
    BOOST_TEST(h.family == AF_INET);
    BOOST_TEST(h.addrlen == sizeof(sockaddr_in));
    BOOST_TEST(addr_str(h.src) == "192.168.0.1:56324");
    BOOST_TEST(addr_str(h.dst) == "192.168.0.11:443");
    h = check_valid("PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n");
    BOOST_TEST(addr_str(h.src) == "255.255.255.255:65535");
    BOOST_TEST(addr_str(h.dst) == "0.0.0.0:0");
}

BOOST_AUTO_TEST_CASE(v1_tcp6)
{
    auto h = check_valid("PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 1 65535\r\n");
    BOOST_TEST(h.family == AF_INET6);
    BOOST_TEST(h.addrlen == sizeof(sockaddr_in6));
    BOOST_TEST(addr_str(h.src) == "2001:db8::1:1");
    BOOST_TEST(addr_str(h.dst) == "::ffff:10.0.0.1:65535");
    std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    h = check_valid("PROXY TCP6 " + f + " " + f + " 65535 65535\r\n"); // 104 bytes
    BOOST_TEST(h.length == 104u);
}

BOOST_AUTO_TEST_CASE(v1_unknown)
{
    auto h = check_valid("PROXY UNKNOWN\r\n");
    BOOST_TEST(h.local);
    BOOST_TEST(h.family == AF_UNSPEC);
    BOOST_TEST(h.length == 15u);
    std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    h = check_valid("PROXY UNKNOWN " + f + " " + f + " 65535 65535\r\n"); // 107: the longest
    BOOST_TEST(h.local);
    BOOST_TEST(h.length == 107u);
    h = check_valid("PROXY UNKNOWN whatever \x01 junk\r\n");
    BOOST_TEST(h.local);
}

BOOST_AUTO_TEST_CASE(v2_inet_tlvs)
{
    std::string ssl = tlv(pp::PP2_TYPE_SSL, "\x05"s + "\0\0\0\0"s + tlv(0x21, "TLSv1.3") +
                                                 tlv(0x22, "client.example") + tlv(0x04, ""));
    std::string body = inet_body("10.1.2.3", "10.9.8.7", 40000, 443) + tlv(0x01, "h2") +
                       tlv(0x02, "example.com") + tlv(0x04, "pad") + tlv(0x05, "uid-1") + ssl +
                       tlv(0x30, "blue") + tlv(0xE0, "custom");
    std::string hdr = v2(0x21, 0x11, body);
    auto h = check_valid(hdr);
    BOOST_TEST(h.version == 2);
    BOOST_TEST(!h.local);
    BOOST_TEST(!h.dgram);
    BOOST_TEST(h.family == AF_INET);
    BOOST_TEST(addr_str(h.src) == "10.1.2.3:40000");
    BOOST_TEST(addr_str(h.dst) == "10.9.8.7:443");
    BOOST_TEST(!h.crc_checked);
    // ALPN AUTHORITY UNIQUE_ID SSL(VERSION CN) NETNS custom; the NOOPs are not listed
    BOOST_TEST_REQUIRE(h.tlv_count == 8u);
    BOOST_TEST(h.tlvs[0].type == pp::PP2_TYPE_ALPN);
    BOOST_TEST(tlv_val(hdr, h.tlvs[0]) == "h2");
    BOOST_TEST(tlv_val(hdr, h.tlvs[1]) == "example.com");
    BOOST_TEST(tlv_val(hdr, h.tlvs[2]) == "uid-1");
    BOOST_TEST(h.tlvs[3].type == pp::PP2_TYPE_SSL);
    BOOST_TEST(h.tlvs[3].parent == pp::PP_NO_PARENT);
    BOOST_TEST(h.tlvs[4].type == pp::PP2_SUBTYPE_SSL_VERSION);
    BOOST_TEST(h.tlvs[4].parent == 3);
    BOOST_TEST(tlv_val(hdr, h.tlvs[4]) == "TLSv1.3");
    BOOST_TEST(tlv_val(hdr, h.tlvs[5]) == "client.example");
    BOOST_TEST(h.tlvs[5].parent == 3);
    BOOST_TEST(h.tlvs[6].type == pp::PP2_TYPE_NETNS);
    BOOST_TEST(h.tlvs[6].parent == pp::PP_NO_PARENT);
    BOOST_TEST(h.tlvs[7].type == 0xE0);
    BOOST_TEST(tlv_val(hdr, h.tlvs[7]) == "custom");
    BOOST_TEST(h.has_ssl);
    BOOST_TEST(h.ssl_client == 5);
    BOOST_TEST(h.ssl_verify == 0u);
    BOOST_TEST_REQUIRE(h.find(pp::PP2_SUBTYPE_SSL_CN) != nullptr);
    BOOST_TEST(tlv_val(hdr, *h.find(pp::PP2_SUBTYPE_SSL_CN)) == "client.example");
    BOOST_TEST(h.find(0x99) == nullptr);
}

BOOST_AUTO_TEST_CASE(v2_inet6_crc)
{
    std::string body = inet6_body("2001:db8::5", "::1", 1234, 80) + tlv(0x03, "\0\0\0\0"s) +
                       tlv(0x02, "host");
    std::string hdr = with_crc(v2(0x21, 0x21, body), 16 + 36 + 3);
    auto h = check_valid(hdr);
    BOOST_TEST(h.family == AF_INET6);
    BOOST_TEST(addr_str(h.src) == "2001:db8::5:1234");
    BOOST_TEST(addr_str(h.dst) == "::1:80");
    BOOST_TEST(h.crc_checked);
    BOOST_TEST(h.tlv_count == 2u);
}

BOOST_AUTO_TEST_CASE(v2_unix_dgram)
{
    auto h = check_valid(v2(0x21, 0x32, unix_body("/run/a.sock", "/run/b.sock")));
    BOOST_TEST(h.family == AF_UNIX);
    BOOST_TEST(h.dgram);
    BOOST_TEST(h.addrlen == sizeof(sockaddr_un));
    BOOST_TEST(addr_str(h.src) == "unix:/run/a.sock");
    BOOST_TEST(addr_str(h.dst) == "unix:/run/b.sock");
}

BOOST_AUTO_TEST_CASE(v2_local_and_unspec)
{
    auto h = check_valid(v2(0x20, 0x00, ""));
    BOOST_TEST(h.local);
    BOOST_TEST(h.family == AF_UNSPEC);
    BOOST_TEST(h.length == 16u);
    // LOCAL with TLVs (HAProxy health checks) and LOCAL with an address block to skip
    h = check_valid(v2(0x20, 0x00, tlv(0x02, "check")));
    BOOST_TEST(h.local);
    BOOST_TEST(h.tlv_count == 1u);
    h = check_valid(v2(0x20, 0x11, inet_body("1.2.3.4", "5.6.7.8", 1, 2)));
    BOOST_TEST(h.local);
    BOOST_TEST(h.family == AF_UNSPEC);
    BOOST_TEST(h.length == 28u);
    // PROXY with UNSPEC is taken as LOCAL
    h = check_valid(v2(0x21, 0x00, ""));
    BOOST_TEST(h.local);
    // longer address block than the family needs: the rest is TLVs
    h = check_valid(v2(0x21, 0x11, inet_body("1.2.3.4", "5.6.7.8", 1, 2) + tlv(0x04, "")));
    BOOST_TEST(!h.local);
    BOOST_TEST(h.tlv_count == 0u);
}

BOOST_AUTO_TEST_CASE(malformed)
{
    std::string in4 = inet_body("1.2.3.4", "5.6.7.8", 1, 2);
    std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    std::string crc_bad = v2(0x21, 0x11, in4 + tlv(0x03, "\1\2\3\4"));
    std::string crc_ok = with_crc(v2(0x21, 0x11, in4 + tlv(0x03, "\0\0\0\0"s)), 16 + 12 + 3);
    std::string crc_tampered = crc_ok;
    crc_tampered[20] ^= 1;
    const std::vector<std::string> bad = {
        "GET / HTTP/1.1\r\n\r\n",                                    // plain HTTP
        "\x16\x03\x01\x02\x00",                                      // TLS ClientHello
        "PROXY",                                                     // see below: prefix
        "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",                       // double space
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",                        // bad protocol
        "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",                        // lower case
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",                    // port 65536
        "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",                       // '+'
        "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",                       // heading zero port
        "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",                       // heading zero octet
        "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",                      // octet > 255
        "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",                          // 3 octets
        "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",                      // 5 octets
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",                            // v6 in TCP4
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",                            // v4 in TCP6
        "PROXY TCP6 1::2::3 ::1 1 2\r\n",                            // two '::'
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",                          // missing port
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",                      // extra field
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",                       // trailing space
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",                          // LF only
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",                         // CR only
        "PROXY TCP4\r\n",                                            // no addresses
        "PROXY UNKNOWNX\r\n",                                        // not UNKNOWN
        "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n",            // 108 bytes
        "PROXY UNKNOWN " + std::string(200, 'x'),                    // no CRLF in 107 bytes
        "PROXY TCP6 " + f + " " + f + "1 65535 65535\r\n",           // v6 too long
        v2sig.substr(0, 5) + "X",                                    // bad v2 signature
        v2(0x11, 0x11, in4),                                         // version 1
        v2(0x31, 0x11, in4),                                         // version 3
        v2(0x22, 0x11, in4),                                         // command 2
        v2(0x21, 0x41, in4),                                         // family 4
        v2(0x21, 0x13, in4),                                         // transport 3
        v2(0x21, 0x10, in4),                                         // INET, UNSPEC
        v2(0x21, 0x11, in4.substr(0, 11)),                           // short for INET
        v2(0x21, 0x21, in4),                                         // short for INET6
        v2(0x21, 0x31, in4),                                         // short for UNIX
        v2(0x21, 0x11, in4 + "\x02\x00"),                            // TLV header cut
        v2(0x21, 0x11, in4 + "\x02\x00\x05" + "abcd"),               // TLV value overflow
        v2(0x21, 0x11, in4 + tlv(0x20, "\x01\0\0\0\0"s + "\x21\x00\x09" + "TLS")), // sub
        v2(0x21, 0x11, in4 + tlv(0x20, "\x01\0\0"s)),                // SSL TLV < 5 bytes
        v2(0x21, 0x11, in4 + tlv(0x05, std::string(129, 'u'))),      // unique-id > 128
        v2(0x21, 0x11, in4 + tlv(0x02, std::string(256, 'a'))),      // authority > 255
        v2(0x21, 0x11, in4 + tlv(0x03, "\1\2\3")),                   // CRC TLV of 3 bytes
        crc_bad,                                                     // CRC mismatch
        crc_tampered,                                                // payload changed
    };
    int n = 0;
    for (auto& s : bad) {
        pp::header h;
        const char* err = nullptr;
        if (s == "PROXY") { // a valid prefix, not an error
            BOOST_TEST((run(s, h) == pp::status::need_more));
            continue;
        }
        auto st = run(s + payload, h, &err);
        BOOST_TEST((st == pp::status::error), "case " << n << " accepted: " << s);
        BOOST_TEST((err != nullptr && *err != 0), "case " << n);
        // fed byte by byte, it fails at some point and never parses
        bool failed = false;
        for (size_t i = 1; i <= s.size() + payload.size() && !failed; i++) {
            auto st2 = run((s + payload).substr(0, i), h);
            BOOST_TEST((st2 != pp::status::ok), "case " << n << " ok at " << i);
            failed = st2 == pp::status::error;
        }
        BOOST_TEST(failed, "case " << n);
        n++;
    }
    BOOST_TEST(n >= 25);
    pp::header h;
    const char* err = nullptr;
    BOOST_TEST((run(crc_bad, h, &err) == pp::status::error));
    BOOST_TEST(std::string(err) == "CRC32C mismatch");
    BOOST_TEST((run(crc_ok, h, &err) == pp::status::ok));
    // an HTTP request, or TLS, fails on its first byte
    BOOST_TEST((run("G", h) == pp::status::error));
    BOOST_TEST((run("\x16", h) == pp::status::error));
    BOOST_TEST((run("PROXY X", h, &err) == pp::status::error));
    BOOST_TEST((run("PROXY TCP4 1.2.3.4 5.6.7.8 65536", h) == pp::status::error));
    BOOST_TEST((run(v2sig + "\x11", h) == pp::status::error));
    BOOST_TEST((run("PROXY UNKNOWN " + std::string(200, 'x'), h, &err) == pp::status::error));
    BOOST_TEST(std::string(err) == "v1 line too long (no CRLF within 107 bytes)");
}

BOOST_AUTO_TEST_CASE(too_many_tlvs)
{
    std::string in4 = inet_body("1.2.3.4", "5.6.7.8", 1, 2);
    std::string t;
    for (size_t i = 0; i < pp::PP_MAX_TLVS; i++)
        t += tlv(0xE1, "x");
    pp::header h;
    BOOST_TEST((run(v2(0x21, 0x11, in4 + t), h) == pp::status::ok));
    BOOST_TEST(h.tlv_count == pp::PP_MAX_TLVS);
    BOOST_TEST((run(v2(0x21, 0x11, in4 + t + tlv(0xE1, "y")), h) == pp::status::error));
    // NOOPs do not count
    std::string noops;
    for (int i = 0; i < 100; i++)
        noops += tlv(0x04, "");
    BOOST_TEST((run(v2(0x21, 0x11, in4 + t + noops), h) == pp::status::ok));
}

BOOST_AUTO_TEST_CASE(max_len)
{
    std::string hdr = v2(0x21, 0x11, inet_body("1.2.3.4", "5.6.7.8", 1, 2) + tlv(0xE0, "abc"));
    pp::header h;
    const char* err = nullptr;
    BOOST_TEST((run(hdr, h, &err, hdr.size()) == pp::status::ok));
    // too large for the caller's buffer: fails as soon as the length is known
    BOOST_TEST((run(hdr.substr(0, 16), h, &err, hdr.size() - 1) == pp::status::error));
    BOOST_TEST((run(hdr.substr(0, 15), h, &err, hdr.size() - 1) == pp::status::need_more));
    std::string line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    BOOST_TEST((run(line, h, &err, line.size()) == pp::status::ok));
    BOOST_TEST((run(line, h, &err, line.size() - 1) == pp::status::error));
    BOOST_TEST((run(line.substr(0, 20), h, &err, 20) == pp::status::error));
    BOOST_TEST((run(line.substr(0, 19), h, &err, 20) == pp::status::need_more));
}

namespace {

sockaddr_storage mk(const char* ip, uint16_t port)
{
    sockaddr_storage ss{};
    if (strchr(ip, ':')) {
        auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
        s->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &s->sin6_addr);
        s->sin6_port = htons(port);
    } else {
        auto* s = reinterpret_cast<sockaddr_in*>(&ss);
        s->sin_family = AF_INET;
        inet_pton(AF_INET, ip, &s->sin_addr);
        s->sin_port = htons(port);
    }
    return ss;
}

const sockaddr* sa(const sockaddr_storage& ss)
{
    return reinterpret_cast<const sockaddr*>(&ss);
}

std::string v1_of(const sockaddr* s, const sockaddr* d)
{
    char buf[pp::PP_V1_MAX_LEN];
    size_t n = pp::build_v1(buf, sizeof(buf), s, d);
    BOOST_TEST(n > 0u);
    return std::string(buf, n);
}

} // namespace

BOOST_AUTO_TEST_CASE(build_v1_roundtrip)
{
    auto s4 = mk("203.0.113.7", 51000), d4 = mk("198.51.100.1", 443);
    auto s6 = mk("2001:db8::7", 1), d6 = mk("2001:db8::1", 65535);
    std::string l = v1_of(sa(s4), sa(d4));
    BOOST_TEST(l == "PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n");
    auto h = check_valid(l);
    BOOST_TEST(addr_str(h.src) == "203.0.113.7:51000");
    BOOST_TEST(addr_str(h.dst) == "198.51.100.1:443");
    l = v1_of(sa(s6), sa(d6));
    BOOST_TEST(l == "PROXY TCP6 2001:db8::7 2001:db8::1 1 65535\r\n");
    h = check_valid(l);
    BOOST_TEST(addr_str(h.src) == "2001:db8::7:1");
    l = v1_of(sa(s4), sa(d6)); // mixed: IPv4-mapped
    BOOST_TEST(l == "PROXY TCP6 ::ffff:203.0.113.7 2001:db8::1 51000 65535\r\n");
    h = check_valid(l);
    BOOST_TEST(addr_str(h.src) == "::ffff:203.0.113.7:51000");
    BOOST_TEST(v1_of(nullptr, sa(d4)) == "PROXY UNKNOWN\r\n");
    // exact fit, and one byte short
    char buf[64];
    std::string exp = "PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n";
    BOOST_TEST(pp::build_v1(buf, exp.size(), sa(s4), sa(d4)) == exp.size());
    BOOST_TEST(std::string(buf, exp.size()) == exp);
    BOOST_TEST(pp::build_v1(buf, exp.size() - 1, sa(s4), sa(d4)) == 0u);
}

BOOST_AUTO_TEST_CASE(build_v2_roundtrip)
{
    auto s4 = mk("203.0.113.7", 51000), d4 = mk("198.51.100.1", 443);
    auto s6 = mk("2001:db8::7", 1), d6 = mk("2001:db8::1", 65535);
    pp::raw_tlv extra[] = {{0xE5, "raw-value"}, {0xE6, ""}};
    pp::v2_opts o;
    o.crc32c = true;
    o.alpn = "h2";
    o.authority = "www.example.com";
    o.unique_id = std::string_view("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    o.netns = "ns1";
    o.has_ssl = true;
    o.ssl_client = pp::PP2_CLIENT_SSL | pp::PP2_CLIENT_CERT_CONN;
    o.ssl_verify = 7;
    o.ssl_version = "TLSv1.3";
    o.ssl_cn = "alice";
    o.ssl_cipher = "TLS_AES_128_GCM_SHA256";
    o.ssl_sig_alg = "RSA-SHA256";
    o.ssl_key_alg = "RSA2048";
    o.extra = extra;
    o.extra_count = 2;
    uint8_t buf[1024];
    size_t n = pp::build_v2(buf, sizeof(buf), sa(s4), sa(d4), o);
    BOOST_TEST_REQUIRE(n > 0u);
    std::string hdr(reinterpret_cast<char*>(buf), n);
    auto h = check_valid(hdr);
    BOOST_TEST(h.family == AF_INET);
    BOOST_TEST(addr_str(h.src) == "203.0.113.7:51000");
    BOOST_TEST(addr_str(h.dst) == "198.51.100.1:443");
    BOOST_TEST(h.crc_checked);
    BOOST_TEST(h.has_ssl);
    BOOST_TEST(h.ssl_client == (pp::PP2_CLIENT_SSL | pp::PP2_CLIENT_CERT_CONN));
    BOOST_TEST(h.ssl_verify == 7u);
    auto val = [&](uint8_t t) {
        auto* p = h.find(t);
        return p ? tlv_val(hdr, *p) : std::string("<none>");
    };
    BOOST_TEST(val(pp::PP2_TYPE_ALPN) == "h2");
    BOOST_TEST(val(pp::PP2_TYPE_AUTHORITY) == "www.example.com");
    BOOST_TEST(val(pp::PP2_TYPE_UNIQUE_ID) == std::string(o.unique_id));
    BOOST_TEST(val(pp::PP2_TYPE_NETNS) == "ns1");
    BOOST_TEST(val(pp::PP2_SUBTYPE_SSL_VERSION) == "TLSv1.3");
    BOOST_TEST(val(pp::PP2_SUBTYPE_SSL_CN) == "alice");
    BOOST_TEST(val(pp::PP2_SUBTYPE_SSL_CIPHER) == "TLS_AES_128_GCM_SHA256");
    BOOST_TEST(val(pp::PP2_SUBTYPE_SSL_SIG_ALG) == "RSA-SHA256");
    BOOST_TEST(val(pp::PP2_SUBTYPE_SSL_KEY_ALG) == "RSA2048");
    BOOST_TEST(val(0xE5) == "raw-value");
    BOOST_TEST(val(0xE6) == "");
    BOOST_TEST(h.find(pp::PP2_SUBTYPE_SSL_CN)->parent != pp::PP_NO_PARENT);
    BOOST_TEST(h.tlvs[h.find(pp::PP2_SUBTYPE_SSL_CN)->parent].type == pp::PP2_TYPE_SSL);
    // the sub-TLVs in HAProxy's order: VERSION, CN, KEY_ALG, SIG_ALG, CIPHER
    auto at = [&](uint8_t t) { return h.find(t) - h.tlvs; };
    BOOST_TEST(at(pp::PP2_SUBTYPE_SSL_VERSION) < at(pp::PP2_SUBTYPE_SSL_CN));
    BOOST_TEST(at(pp::PP2_SUBTYPE_SSL_CN) < at(pp::PP2_SUBTYPE_SSL_KEY_ALG));
    BOOST_TEST(at(pp::PP2_SUBTYPE_SSL_KEY_ALG) < at(pp::PP2_SUBTYPE_SSL_SIG_ALG));
    BOOST_TEST(at(pp::PP2_SUBTYPE_SSL_SIG_ALG) < at(pp::PP2_SUBTYPE_SSL_CIPHER));
    // the same header does not fit one byte shorter
    BOOST_TEST(pp::build_v2(buf, n - 1, sa(s4), sa(d4), o) == 0u);

    // IPv6, mixed (mapped), UNIX, LOCAL
    pp::v2_opts plain;
    n = pp::build_v2(buf, sizeof(buf), sa(s6), sa(d6), plain);
    BOOST_TEST(n == 52u);
    h = check_valid(std::string(reinterpret_cast<char*>(buf), n));
    BOOST_TEST(addr_str(h.src) == "2001:db8::7:1");
    BOOST_TEST(addr_str(h.dst) == "2001:db8::1:65535");
    n = pp::build_v2(buf, sizeof(buf), sa(s4), sa(d6), plain);
    h = check_valid(std::string(reinterpret_cast<char*>(buf), n));
    BOOST_TEST(addr_str(h.src) == "::ffff:203.0.113.7:51000");

    sockaddr_storage u1{}, u2{};
    auto* a = reinterpret_cast<sockaddr_un*>(&u1);
    auto* b = reinterpret_cast<sockaddr_un*>(&u2);
    a->sun_family = b->sun_family = AF_UNIX;
    strcpy(a->sun_path, "/tmp/x.sock");
    strcpy(b->sun_path, "/tmp/y.sock");
    plain.dgram = true;
    n = pp::build_v2(buf, sizeof(buf), sa(u1), sa(u2), plain);
    BOOST_TEST(n == 16u + 216u);
    h = check_valid(std::string(reinterpret_cast<char*>(buf), n));
    BOOST_TEST(h.family == AF_UNIX);
    BOOST_TEST(h.dgram);
    BOOST_TEST(addr_str(h.dst) == "unix:/tmp/y.sock");

    pp::v2_opts lo;
    lo.crc32c = true;
    n = pp::build_v2(buf, sizeof(buf), nullptr, nullptr, lo);
    BOOST_TEST(n == 16u + 7u);
    h = check_valid(std::string(reinterpret_cast<char*>(buf), n));
    BOOST_TEST(h.local);
    BOOST_TEST(h.crc_checked);

    // over-long fields are refused
    pp::v2_opts big;
    std::string u(129, 'u');
    big.unique_id = u;
    BOOST_TEST(pp::build_v2(buf, sizeof(buf), sa(s4), sa(d4), big) == 0u);
}
