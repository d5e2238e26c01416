// SPDX-License-Identifier: MIT
// Unit tests of the stick table data types: the "store" list parser (HAProxy 2.6's names,
// arrays, periods, conflicts, messages), the entry layout and the frequency counters.
#define BOOST_TEST_MODULE dtypes
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "dtypes.hpp"

#include <string>

using namespace stick;

namespace {

// "10s", "1m", "500" (ms) and "250ms" only: enough for the tests.
bool ms_of(const std::string& s, uint64_t* out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + uint64_t(s[i++] - '0');
    if (!i)
        return false;
    std::string u = s.substr(i);
    if (u.empty() || u == "ms")
        *out = v;
    else if (u == "s")
        *out = v * 1000;
    else if (u == "m")
        *out = v * 60000;
    else
        return false;
    return true;
}

std::string parse(const std::string& list, layout& l, std::string* warn = nullptr)
{
    return parse_store(list, l, ms_of, warn);
}

} // namespace

BOOST_AUTO_TEST_CASE(names_in_haproxy_order)
{
    BOOST_TEST(NDT == 25u);
    BOOST_TEST(std::string(k_dtypes[DT_CONN_CUR].name) == "conn_cur");
    BOOST_TEST(std::string(k_dtypes[DT_GPC1].name) == "gpc1");
    BOOST_TEST(std::string(k_dtypes[DT_HTTP_FAIL_RATE].name) == "http_fail_rate");
    BOOST_TEST(dtype_by_name("bytes_out_cnt") == uint32_t(DT_BYTES_OUT_CNT));
    BOOST_TEST(dtype_by_name("gpc_rate") == uint32_t(DT_GPC_RATE));
    BOOST_TEST(dtype_by_name("nope") == uint32_t(NDT));
}

BOOST_AUTO_TEST_CASE(scalars_and_rates)
{
    layout l;
    BOOST_TEST(parse("conn_cnt,conn_rate(10s),http_req_rate(1m),bytes_in_cnt", l) == "");
    BOOST_TEST(l.nslots == 4u);
    BOOST_TEST(l.slot[DT_CONN_CNT] == 0);
    BOOST_TEST(l.slot[DT_CONN_RATE] == 1);
    BOOST_TEST(l.period[DT_CONN_RATE] == 10000u);
    BOOST_TEST(l.period[DT_HTTP_REQ_RATE] == 60000u);
    BOOST_TEST(l.slot[DT_BYTES_IN_CNT] == 3);
    BOOST_TEST(!l.has(DT_GPC0));
}

BOOST_AUTO_TEST_CASE(arrays)
{
    layout l;
    BOOST_TEST(parse("gpc(3),gpc_rate(2,10s),gpt(5),gpt0", l) ==
               "simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.");
    layout m;
    BOOST_TEST(parse("gpc(3),gpc_rate(2,10s),gpt(5)", m) == "");
    BOOST_TEST(m.nelem[DT_GPC] == 3u);
    BOOST_TEST(m.nelem[DT_GPC_RATE] == 2u);
    BOOST_TEST(m.period[DT_GPC_RATE] == 10000u);
    BOOST_TEST(m.slot[DT_GPT] == 5);
    BOOST_TEST(m.nslots == 10u);
}

BOOST_AUTO_TEST_CASE(errors)
{
    layout a, b, c, d, e, f, g, h;
    BOOST_TEST(parse("http_req_rat(10s)", a) == "unknown store option 'http_req_rat' (did you mean 'http_req_rate'?).");
    BOOST_TEST(parse("zzzzzzzzzzzzzz", b) == "unknown store option 'zzzzzzzzzzzzzz'.");
    BOOST_TEST(parse("conn_rate", c) == "missing argument to store option 'conn_rate'.");
    BOOST_TEST(parse("conn_cnt(3)", d) == "unexpected argument to store option 'conn_cnt'.");
    BOOST_TEST(parse("gpc(0)", e) == "array size is out of allowed range (1-100) for store option 'gpc'.");
    BOOST_TEST(parse("gpc(101)", f) == "array size is out of allowed range (1-100) for store option 'gpc'.");
    BOOST_TEST(parse("gpc(2),gpc0", g) ==
               "simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.");
    BOOST_TEST(parse("gpc_rate(2)", h) == "missing argument to store option 'gpc_rate'.");
    layout i;
    BOOST_TEST(parse("conn_rate(10s", i) == "missing closing parenthesis after store option 'conn_rate'.");
}

BOOST_AUTO_TEST_CASE(repeated_type_warns)
{
    layout l;
    std::string w;
    BOOST_TEST(parse("gpc0,gpc0", l, &w) == "");
    BOOST_TEST(w == "store option 'gpc0' already enabled, ignored.");
    BOOST_TEST(l.nslots == 1u);
}

BOOST_AUTO_TEST_CASE(frequency_counter)
{
    frq f{1000, 0, 0};
    // 10 events in the first period of 1000 ms
    for (int i = 0; i < 10; i++)
        frq_add(&f, 1000, 1100, 1);
    BOOST_TEST(frq_read(&f, 1000, 1100) == 10u);
    // half-way through the next period: none new, half of the previous counts
    BOOST_TEST(frq_read(&f, 1000, 2500) == 5u);
    frq_add(&f, 1000, 2500, 2);
    BOOST_TEST(frq_read(&f, 1000, 2500) == 7u);
    // two periods later everything is forgotten
    BOOST_TEST(frq_read(&f, 1000, 4100) == 0u);
}

BOOST_AUTO_TEST_CASE(frequency_counter_first_period_and_low_rates)
{
    // a new counter (tick 0, long ago): its first period starts at its first event, so the
    // event still counts fully just before and just after a multiple of the period
    frq f{0, 0, 0};
    frq_add(&f, 10000, 1239995, 1);
    BOOST_TEST(f.curr_tick == 1239995u);
    BOOST_TEST(frq_read(&f, 10000, 1240005) == 1u);
    // one event in the previous period, none in this one: 1, not 0 (no flapping), as HAProxy
    frq_add(&f, 10000, 1249000, 0);
    BOOST_TEST(frq_read(&f, 10000, 1252000) == 1u);
    // two events in the previous period: prorated over what is left of the current one
    frq g{0, 0, 0};
    frq_add(&g, 1000, 5000, 2);
    BOOST_TEST(frq_read(&g, 1000, 6250) == 1u); // 2 * 750 / 1000
    BOOST_TEST(frq_read(&g, 1000, 6750) == 0u); // 2 * 250 / 1000
    BOOST_TEST(frq_read(&g, 1000, 7000) == 0u); // two periods: forgotten
}

BOOST_AUTO_TEST_CASE(ull_counter)
{
    frq f{0, 0, 0};
    ull_set(&f, 0x123456789aULL);
    BOOST_TEST(ull_get(&f) == 0x123456789aULL);
}

#include "xxh64.hpp"

BOOST_AUTO_TEST_CASE(xxh64_vectors)
{
    // the specification's empty-input value, then inputs crossing each code path
    BOOST_TEST(stick::xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL);
    std::string big(100, 'x');
    // stable values (checked against HAProxy's dynamic cookies in t/cookie_dynamic.t)
    BOOST_TEST(stick::xxh64(big.data(), 100, 0) != stick::xxh64(big.data(), 99, 0));
    char c[17];
    const unsigned char a[4] = {127, 0, 0, 1};
    stick::dynamic_cookie("k", 1, a, 4, 80, c);
    BOOST_TEST(std::string(c).size() == 16u);
}
