// SPDX-License-Identifier: MIT
// Unit tests for time and size value parsing.
#define BOOST_TEST_MODULE cfg_units
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "cfg/units.hpp"

using namespace portico::cfg;

namespace {

uint64_t t(std::string_view s, uint64_t def = 1)
{
    uint64_t v = 12345678;
    BOOST_TEST_INFO("time: " << s);
    BOOST_REQUIRE(parse_time_ms(s, v, def));
    return v;
}

bool t_bad(std::string_view s)
{
    uint64_t v = 7;
    const bool ok = parse_time_ms(s, v);
    return !ok && v == 7;
}

uint64_t sz(std::string_view s)
{
    uint64_t v = 0;
    BOOST_TEST_INFO("size: " << s);
    BOOST_REQUIRE(parse_size(s, v));
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(time_units)
{
    BOOST_TEST(t("5000") == 5000u);
    BOOST_TEST(t("0") == 0u);
    BOOST_TEST(t("5000ms") == 5000u);
    BOOST_TEST(t("30s") == 30000u);
    BOOST_TEST(t("1m") == 60000u);
    BOOST_TEST(t("2h") == 7200000u);
    BOOST_TEST(t("10d") == 864000000u);
    BOOST_TEST(t("1us") == 1u); // rounds up
    BOOST_TEST(t("1000us") == 1u);
    BOOST_TEST(t("1001us") == 2u);
    BOOST_TEST(t("0us") == 0u);
    BOOST_TEST(t("007s") == 7000u);
}

BOOST_AUTO_TEST_CASE(time_default_unit)
{
    BOOST_TEST(t("5", 1000) == 5000u);
    BOOST_TEST(t("5ms", 1000) == 5u);
    BOOST_TEST(t("2", 60000) == 120000u);
}

BOOST_AUTO_TEST_CASE(time_malformed)
{
    BOOST_TEST(t_bad(""));
    BOOST_TEST(t_bad("5 s"));
    BOOST_TEST(t_bad(" 5"));
    BOOST_TEST(t_bad("5 "));
    BOOST_TEST(t_bad("-1"));
    BOOST_TEST(t_bad("+1"));
    BOOST_TEST(t_bad("5x"));
    BOOST_TEST(t_bad("5sx"));
    BOOST_TEST(t_bad("5S"));
    BOOST_TEST(t_bad("5mss"));
    BOOST_TEST(t_bad("s"));
    BOOST_TEST(t_bad("1.5s"));
    BOOST_TEST(t_bad("5u"));
    // beyond HAProxy's 32-bit parser limit
    BOOST_TEST(t("4294967295") == 4294967295u);
    BOOST_TEST(t_bad("4294967296"));
    BOOST_TEST(t_bad("50d"));
    BOOST_TEST(t_bad("99999999999999999999999999s"));
    BOOST_TEST(t("49d") == 4233600000u);
}

BOOST_AUTO_TEST_CASE(sizes)
{
    BOOST_TEST(sz("0") == 0u);
    BOOST_TEST(sz("16384") == 16384u);
    BOOST_TEST(sz("1k") == 1024u);
    BOOST_TEST(sz("1K") == 1024u);
    BOOST_TEST(sz("200k") == 204800u);
    BOOST_TEST(sz("2m") == 2u * 1024 * 1024);
    BOOST_TEST(sz("3G") == 3ull << 30);
    BOOST_TEST(sz("4294967295") == 4294967295u);
    uint64_t v = 0;
    for (const char *bad : {"", "k", "-1", "1kb", "1 k", "1.5k", "1x", "4g", "4194304k",
                            "4294967296", "99999999999999999999"}) {
        BOOST_TEST_INFO("size: " << bad);
        BOOST_TEST(!parse_size(bad, v));
    }
}

// Found by fuzz_units: a single digit above a maximum below 9 was accepted ("2" with max 1),
// the overflow check wrapping around in (max - digit).
BOOST_AUTO_TEST_CASE(uint_small_max)
{
    uint64_t u = 0;
    BOOST_TEST(!parse_uint("2", 1, u));
    BOOST_TEST(!parse_uint("1", 0, u));
    BOOST_TEST(!parse_uint("9", 8, u));
    BOOST_TEST(!parse_uint("10", 9, u));
    BOOST_TEST(parse_uint("1", 1, u));
    BOOST_TEST(u == 1u);
    BOOST_TEST(parse_uint("8", 8, u));
    BOOST_TEST(u == 8u);
}

BOOST_AUTO_TEST_CASE(integers)
{
    uint64_t u = 0;
    BOOST_TEST(parse_uint("0", 10, u));
    BOOST_TEST(u == 0u);
    BOOST_TEST(parse_uint("65535", 65535, u));
    BOOST_TEST(u == 65535u);
    BOOST_TEST(parse_uint("18446744073709551615", UINT64_MAX, u));
    BOOST_TEST(u == UINT64_MAX);
    for (const char *bad : {"", "-1", "+1", " 1", "1 ", "1k", "0x10", "65536",
                            "99999999999999999999"}) {
        BOOST_TEST_INFO("uint: " << bad);
        BOOST_TEST(!parse_uint(bad, 65535, u));
    }
    std::string err;
    BOOST_TEST(!parse_uint("300", 255, u, &err));
    BOOST_TEST(err == "expects an integer between 0 and 255, got '300'");

    int64_t i = 0;
    BOOST_TEST(parse_int("-5", -10, 10, i));
    BOOST_TEST(i == -5);
    BOOST_TEST(parse_int("+7", -10, 10, i));
    BOOST_TEST(i == 7);
    BOOST_TEST(parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, i));
    BOOST_TEST(i == INT64_MIN);
    BOOST_TEST(parse_int("9223372036854775807", INT64_MIN, INT64_MAX, i));
    BOOST_TEST(i == INT64_MAX);
    for (const char *bad : {"", "-", "+", "--1", "1-", " 1", "11", "-11",
                            "9223372036854775808"}) {
        BOOST_TEST_INFO("int: " << bad);
        BOOST_TEST(!parse_int(bad, -10, 10, i));
    }
}
