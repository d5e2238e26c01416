// SPDX-License-Identifier: MIT
// Unit tests of the TLS ClientHello reader behind req.ssl_sni & co.
#define BOOST_TEST_MODULE hello
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "hello.hpp"

#include <string>
#include <vector>

namespace {

using bytes = std::vector<uint8_t>;

void put16(bytes& b, size_t v)
{
    b.push_back((uint8_t)(v >> 8));
    b.push_back((uint8_t)v);
}
void put24(bytes& b, size_t v)
{
    b.push_back((uint8_t)(v >> 16));
    put16(b, v & 0xffff);
}
void append(bytes& b, const bytes& x) { b.insert(b.end(), x.begin(), x.end()); }

bytes ext(uint16_t type, const bytes& body)
{
    bytes e;
    put16(e, type);
    put16(e, body.size());
    append(e, body);
    return e;
}

bytes sni_ext(const std::string& name)
{
    bytes l;
    l.push_back(0);
    put16(l, name.size());
    l.insert(l.end(), name.begin(), name.end());
    bytes b;
    put16(b, l.size());
    append(b, l);
    return ext(0, b);
}

bytes alpn_ext(const std::vector<std::string>& protos)
{
    bytes l;
    for (auto& p : protos) {
        l.push_back((uint8_t)p.size());
        l.insert(l.end(), p.begin(), p.end());
    }
    bytes b;
    put16(b, l.size());
    append(b, l);
    return ext(16, b);
}

bytes versions_ext(const std::vector<uint16_t>& v)
{
    bytes b;
    b.push_back((uint8_t)(v.size() * 2));
    for (uint16_t x : v)
        put16(b, x);
    return ext(43, b);
}

// A ClientHello record with <exts> (none: no extensions block at all).
bytes hello_record(const std::vector<bytes>& exts, bool no_ext_block = false)
{
    bytes h;
    put16(h, 0x0303);
    h.insert(h.end(), 32, 0xab); // random
    h.push_back(0);              // session id
    put16(h, 4);
    put16(h, 0x1301);
    put16(h, 0xc02f);
    h.push_back(1);
    h.push_back(0); // compression: null
    if (!no_ext_block) {
        bytes all;
        for (auto& e : exts)
            append(all, e);
        put16(h, all.size());
        append(h, all);
    }
    bytes hs;
    hs.push_back(1);
    put24(hs, h.size());
    append(hs, h);
    bytes rec = {0x16, 0x03, 0x01};
    put16(rec, hs.size());
    append(rec, hs);
    return rec;
}

hello::status parse(const bytes& b, hello::info& i) { return hello::parse(b.data(), b.size(), i); }

} // namespace

BOOST_AUTO_TEST_CASE(full_hello)
{
    bytes r = hello_record({sni_ext("www.example.com"), alpn_ext({"h2", "http/1.1"}),
                            versions_ext({0x3a3a, 0x0304, 0x0303})});
    hello::info i;
    BOOST_TEST((parse(r, i) == hello::status::ok));
    BOOST_TEST(i.hello_type == 1);
    BOOST_TEST(i.record_ver == 0x0301);
    BOOST_TEST(i.hello_ver == 0x0303);
    BOOST_TEST(i.best_ver == 0x0304);
    BOOST_TEST(std::string(i.sni) == "www.example.com");
    BOOST_TEST(std::string(hello::first_alpn(i.alpn)) == "h2");
}

BOOST_AUTO_TEST_CASE(every_prefix_needs_more)
{
    bytes r = hello_record({sni_ext("a.test")});
    hello::info i;
    for (size_t n = 0; n < r.size(); n++)
        BOOST_TEST((hello::parse(r.data(), n, i) == hello::status::need_more), "prefix " << n);
    BOOST_TEST((parse(r, i) == hello::status::ok));
    BOOST_TEST(std::string(i.sni) == "a.test");
}

BOOST_AUTO_TEST_CASE(no_extensions)
{
    hello::info i;
    BOOST_TEST((parse(hello_record({}, true), i) == hello::status::ok));
    BOOST_TEST(i.sni.empty());
    BOOST_TEST(i.best_ver == 0x0303);
    BOOST_TEST((parse(hello_record({}), i) == hello::status::ok));
}

BOOST_AUTO_TEST_CASE(not_tls)
{
    hello::info i;
    bytes get = {'G', 'E', 'T', ' ', '/'};
    BOOST_TEST((parse(get, i) == hello::status::not_tls));
    bytes bad_ver = {0x16, 0x05, 0x01, 0x00, 0x10};
    BOOST_TEST((parse(bad_ver, i) == hello::status::not_tls));
    bytes r = hello_record({sni_ext("x")});
    r[7] ^= 0x40; // handshake length larger than the record
    BOOST_TEST((parse(r, i) == hello::status::not_tls));
}

BOOST_AUTO_TEST_CASE(other_handshake_type)
{
    bytes r = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};
    hello::info i;
    BOOST_TEST((parse(r, i) == hello::status::ok));
    BOOST_TEST(i.hello_type == 2);
    BOOST_TEST(i.sni.empty());
}

BOOST_AUTO_TEST_CASE(truncated_extension)
{
    bytes r = hello_record({sni_ext("abc.test")});
    // shorten the SNI name length inside: the name list then overruns its extension
    hello::info i;
    size_t pos = r.size() - 8 - 2; // the name's length field
    r[pos + 1] = 200;
    BOOST_TEST((parse(r, i) == hello::status::ok)); // the bad entry is skipped
    BOOST_TEST(i.sni.empty());
}
