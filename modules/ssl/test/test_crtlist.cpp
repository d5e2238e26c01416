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
