// SPDX-License-Identifier: MIT
// Unit tests of the crt-list line parser and the SNI name matcher.
#define BOOST_TEST_MODULE crtlist
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "crtlist.hpp"

#include <string>
#include <vector>

using crtlist::entry;
using crtlist::status;

namespace {

status parse(const std::string& l, entry& e)
{
    std::string err;
    status st = crtlist::parse_line(l, e, err);
    if (st == status::error)
        BOOST_TEST(!err.empty());
    return st;
}

using sv = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(blank_and_comments)
{
    entry e;
    BOOST_TEST((parse("", e) == status::blank));
    BOOST_TEST((parse("   \t ", e) == status::blank));
    BOOST_TEST((parse("# a comment", e) == status::blank));
    BOOST_TEST((parse("  # indented comment", e) == status::blank));
}

BOOST_AUTO_TEST_CASE(file_only)
{
    entry e;
    BOOST_TEST((parse("/etc/certs/site.pem", e) == status::ok));
    BOOST_TEST(e.file == "/etc/certs/site.pem");
    BOOST_TEST(e.options.empty());
    BOOST_TEST(e.filters.empty());
    BOOST_TEST((parse("site.pem\r", e) == status::ok)); // CRLF files
    BOOST_TEST(e.file == "site.pem");
}

BOOST_AUTO_TEST_CASE(options_and_filters)
{
    entry e;
    BOOST_TEST((parse("a.pem [alpn h2,http/1.1 verify optional] www.Example.com *.example.org "
                      "!Admin.example.org",
                      e) == status::ok));
    BOOST_TEST(e.file == "a.pem");
    BOOST_TEST((e.options == sv{"alpn", "h2,http/1.1", "verify", "optional"}));
    BOOST_TEST((e.filters == sv{"www.example.com", "*.example.org"}));
    BOOST_TEST((e.excludes == sv{"admin.example.org"}));
    BOOST_TEST((parse("a.pem [ ciphers HIGH ] x", e) == status::ok));
    BOOST_TEST((e.options == sv{"ciphers", "HIGH"}));
    BOOST_TEST((parse("a.pem [] x", e) == status::ok));
    BOOST_TEST(e.options.empty());
    BOOST_TEST((parse("a.pem x # trailing comment", e) == status::ok));
    BOOST_TEST((e.filters == sv{"x"}));
}

BOOST_AUTO_TEST_CASE(escapes)
{
    entry e;
    BOOST_TEST((parse("my\\ cert.pem", e) == status::ok));
    BOOST_TEST(e.file == "my cert.pem");
    BOOST_TEST((parse("cert.pem\\", e) == status::error));
}

BOOST_AUTO_TEST_CASE(errors)
{
    entry e;
    BOOST_TEST((parse("[alpn h2] a.pem", e) == status::error));
    BOOST_TEST((parse("a.pem [alpn h2", e) == status::error));
    BOOST_TEST((parse("a.pem [alpn [h2]", e) == status::error));
    BOOST_TEST((parse("a.pem x [alpn h2]", e) == status::error));
    BOOST_TEST((parse("a.pem !", e) == status::error));
    BOOST_TEST((parse("a.pem w*.example.com", e) == status::error));
    BOOST_TEST((parse("a.pem *.*.example.com", e) == status::error));
    BOOST_TEST((parse("a.pem *", e) == status::error));
    BOOST_TEST((parse(std::string("a.pem\0b", 7), e) == status::error));
}

// negative wildcards: accepted (HAProxy makes them no-ops), kept for "show ssl crt-list"
BOOST_AUTO_TEST_CASE(negative_wildcards)
{
    entry e;
    BOOST_TEST((parse("a.pem !*", e) == status::ok));
    BOOST_TEST(e.filters.empty());
    BOOST_TEST(e.excludes == sv({"*"}), boost::test_tools::per_element());
    entry f;
    BOOST_TEST((parse("a.pem *.example.com !*.x.example.com", f) == status::ok));
    BOOST_TEST(f.excludes == sv({"*.x.example.com"}), boost::test_tools::per_element());
    entry g;
    BOOST_TEST((parse("a.pem !w*", g) == status::error)); // not a leading '*'
}

BOOST_AUTO_TEST_CASE(matching)
{
    BOOST_TEST(crtlist::name_matches("www.example.com", "www.example.com"));
    BOOST_TEST(!crtlist::name_matches("www.example.com", "example.com"));
    BOOST_TEST(crtlist::name_matches("*.example.com", "a.example.com"));
    BOOST_TEST(!crtlist::name_matches("*.example.com", "a.b.example.com"));
    BOOST_TEST(!crtlist::name_matches("*.example.com", "example.com"));
    BOOST_TEST(!crtlist::name_matches("*.example.com", ".example.com"));
    BOOST_TEST(!crtlist::name_matches("*.example.com", "aexample.com"));
}

// ---- several key types for one name ------------------------------------------------------

namespace {

std::vector<unsigned char> sigalgs(std::initializer_list<unsigned> codes)
{
    std::vector<unsigned char> v{0, (unsigned char)(2 * codes.size())};
    for (unsigned c : codes) {
        v.push_back((unsigned char)(c >> 8));
        v.push_back((unsigned char)(c & 0xff));
    }
    return v;
}

int mask(const std::vector<unsigned char>& v) { return crtlist::sigalgs_mask(v.data(), v.size(), true); }

} // namespace

BOOST_AUTO_TEST_CASE(sigalgs_mask)
{
    BOOST_TEST(crtlist::sigalgs_mask(nullptr, 0, false) == 1); // before TLS 1.2: RSA
    BOOST_TEST(mask(sigalgs({0x0403})) == 2);                  // ecdsa_secp256r1_sha256
    BOOST_TEST(mask(sigalgs({0x0401})) == 1);                  // rsa_pkcs1_sha256
    BOOST_TEST(mask(sigalgs({0x0804, 0x0805})) == 0);          // rsa_pss_rsae only: neither
    BOOST_TEST(mask(sigalgs({0x0804, 0x0403, 0x0401})) == 3);
    BOOST_TEST(mask(sigalgs({0x0807})) == 0);                  // ed25519
    std::vector<unsigned char> odd{0, 3, 4, 3, 1};
    BOOST_TEST(mask(odd) == -1);
    std::vector<unsigned char> shortlen{0, 4, 4, 3};
    BOOST_TEST(mask(shortlen) == -1);
    std::vector<unsigned char> one{0};
    BOOST_TEST(mask(one) == -1);
}

BOOST_AUTO_TEST_CASE(pick_by_key_type)
{
    using crtlist::pick;
    const long both[3] = {-1, 10, 20}; // RSA ctx 10, ECDSA ctx 20
    BOOST_TEST(pick(both, 3) == 20);
    BOOST_TEST(pick(both, 2) == 20);
    BOOST_TEST(pick(both, 1) == 10);
    BOOST_TEST(pick(both, -1) == 10); // unknown: RSA
    BOOST_TEST(pick(both, 0) == 20);  // neither offered: ECDSA, then RSA
    const long ecdsa_only[3] = {-1, -1, 20};
    BOOST_TEST(pick(ecdsa_only, 1) == 20); // the handshake will fail, as in HAProxy
    const long rsa_only[3] = {-1, 10, -1};
    BOOST_TEST(pick(rsa_only, 2) == 10);
    const long with_dsa[3] = {5, 10, -1};
    BOOST_TEST(pick(with_dsa, 2) == 5); // no ECDSA: DSA before RSA the client did not offer
    BOOST_TEST(pick(with_dsa, 3) == 10);
    const long none[3] = {-1, -1, -1};
    BOOST_TEST(pick(none, 3) == -1);
}

BOOST_AUTO_TEST_CASE(sni_name)
{
    auto ext = [](const std::string& host, unsigned char type = 0) {
        std::vector<unsigned char> v;
        size_t l = host.size() + 3;
        v.push_back((unsigned char)(l >> 8));
        v.push_back((unsigned char)l);
        v.push_back(type);
        v.push_back((unsigned char)(host.size() >> 8));
        v.push_back((unsigned char)host.size());
        v.insert(v.end(), host.begin(), host.end());
        return v;
    };
    auto v = ext("WWW.Example.COM.");
    BOOST_TEST(crtlist::sni_name(v.data(), v.size()) == "www.example.com");
    v = ext("a.test", 1);
    BOOST_TEST(crtlist::sni_name(v.data(), v.size()) == "");
    v = ext(std::string("a\0b", 3));
    BOOST_TEST(crtlist::sni_name(v.data(), v.size()) == "");
    v = ext("a.test");
    v[1]++; // list length beyond the extension
    BOOST_TEST(crtlist::sni_name(v.data(), v.size()) == "");
    BOOST_TEST(crtlist::sni_name(nullptr, 0) == "");
}
