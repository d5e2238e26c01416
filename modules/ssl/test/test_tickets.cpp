// SPDX-License-Identifier: MIT
// Unit tests of the tls-ticket-keys file reader: HAProxy's key sizes, the key count, errors
// worded as HAProxy's, one entry per file.
#define BOOST_TEST_MODULE tickets
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "ssl_int.hpp"

namespace {

std::string b64(size_t n, char fill)
{
    std::string raw(n, fill);
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int k = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()), (int)n);
    out.resize((size_t)k);
    return out;
}

std::string file_with(const std::string& name, const std::string& text)
{
    std::string p = "/tmp/portico-test-tickets-" + std::to_string(getpid()) + "-" + name;
    std::ofstream(p) << text;
    return p;
}

std::string load_err(const std::string& path)
{
    std::string err;
    int r = tls::tickets_load_file(path, err);
    BOOST_TEST((r < 0) == !err.empty());
    return r < 0 ? err : "";
}

} // namespace

BOOST_AUTO_TEST_CASE(valid_files)
{
    std::string p80 = file_with("k80", b64(80, 'a') + "\n" + b64(80, 'b') + "\r\n" + b64(80, 'c') + "\n");
    std::string p48 = file_with("k48", b64(48, 'a') + "\n" + b64(48, 'b') + "\n" + b64(48, 'c') + "\n" +
                                           b64(48, 'd') + "\n");
    std::string err;
    int a = tls::tickets_load_file(p80, err);
    BOOST_TEST(a >= 0);
    BOOST_TEST(tls::tickets_load_file(p80, err) == a); // one entry per file
    int b = tls::tickets_load_file(p48, err);
    BOOST_TEST(b >= 0);
    BOOST_TEST(b != a);
    std::remove(p80.c_str());
    std::remove(p48.c_str());
}

BOOST_AUTO_TEST_CASE(errors)
{
    std::string two = file_with("two", b64(80, 'a') + "\n" + b64(80, 'b') + "\n");
    BOOST_TEST(load_err(two) == "'" + two + "' : please supply at least 3 keys in the tls-tickets-file");
    std::string mixed = file_with("mixed", b64(80, 'a') + "\n" + b64(48, 'b') + "\n" + b64(80, 'c') + "\n");
    BOOST_TEST(load_err(mixed) == "'" + mixed + "' : wrong sized key on line 2");
    std::string size = file_with("size", b64(64, 'a') + "\n");
    BOOST_TEST(load_err(size) == "'" + size + "' : wrong sized key on line 1");
    std::string bad = file_with("bad", b64(80, 'a') + "\n!!!!\n");
    BOOST_TEST(load_err(bad) == "'" + bad + "' : unable to decode base64 key on line 2");
    BOOST_TEST(load_err("/nonexistent/keys") ==
               "'/nonexistent/keys' : unable to load ssl tickets keys file");
    for (auto& p : {two, mixed, size, bad})
        std::remove(p.c_str());
}
