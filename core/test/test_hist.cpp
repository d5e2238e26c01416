// SPDX-License-Identifier: MIT
// Unit tests of the latency histograms' cells (shm/hist): bucket choice at the bounds,
// per-worker cells added up by readers, the 1024-sample sliding average, maxima, clearing.
#define BOOST_TEST_MODULE hist
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "shm/hist.hpp"

using namespace portico;

namespace {

// Two proxies, three server slots, two workers, bounds 10/100/250 ms.
struct fixture {
    std::vector<uint64_t> mem;
    fixture()
    {
        hist_bounds() = {10, 100, 250};
        mem.assign(hist_size(2 * 2 + 3, 2) / sizeof(uint64_t) + 1, 0);
        hist_init(mem.data(), 2, 3, 2);
    }
    ~fixture() { hist_bounds() = hist_default_bounds(); }
};

void rec(uint32_t slot, uint32_t obj, int64_t q, int64_t c, int64_t r, int64_t t)
{
    int64_t ms[HT_COUNT] = {q, c, r, t};
    hist_record(slot, obj, ms);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(buckets_and_bounds, fixture)
{
    BOOST_TEST(hist_nbounds() == 3u);
    uint32_t be = hist_obj_be(1);
    for (int64_t v : {0, 10, 11, 100, 101, 250, 251, 100000})
        rec(0, be, -1, -1, v, v);
    hist_read h;
    BOOST_TEST(hist_get(be, HT_RESPONSE, h));
    BOOST_TEST(h.bucket[0] == 2u); // 0, 10: le 10 (a bound is inclusive)
    BOOST_TEST(h.bucket[1] == 2u); // 11, 100
    BOOST_TEST(h.bucket[2] == 2u); // 101, 250
    BOOST_TEST(h.bucket[3] == 2u); // +Inf
    BOOST_TEST(h.count == 8u);
    BOOST_TEST(h.sum_ms == 0u + 10 + 11 + 100 + 101 + 250 + 251 + 100000);
    BOOST_TEST(h.max_ms == 100000u);
    BOOST_TEST(hist_get(be, HT_QUEUE, h));
    BOOST_TEST(h.count == 0u); // -1: not recorded
}

BOOST_FIXTURE_TEST_CASE(workers_added_up, fixture)
{
    uint32_t s = hist_obj_srv(2);
    rec(0, s, 1, 2, 3, 30);
    rec(1, s, 1, 2, 3, 50);
    rec(5, s, 1, 2, 3, 70); // more workers than slots: shares slot 1
    hist_read h;
    BOOST_TEST(hist_get(s, HT_TOTAL, h));
    BOOST_TEST(h.count == 3u);
    BOOST_TEST(h.sum_ms == 150u);
    BOOST_TEST(h.avg_ms == 50.0);
    BOOST_TEST(h.max_ms == 70u);
    // objects are distinct: the frontend of proxy 0, the backend of proxy 0, server 0
    BOOST_TEST(hist_get(hist_obj_fe(0), HT_TOTAL, h));
    BOOST_TEST(h.count == 0u);
    BOOST_TEST(hist_get(hist_obj_srv(0), HT_TOTAL, h));
    BOOST_TEST(h.count == 0u);
}

BOOST_FIXTURE_TEST_CASE(window_average, fixture)
{
    uint32_t fe = hist_obj_fe(0);
    for (int i = 0; i < 2000; i++)
        rec(0, fe, -1, -1, -1, 100);
    hist_read h;
    BOOST_TEST(hist_get(fe, HT_TOTAL, h));
    BOOST_TEST(h.avg_ms == 100.0);
    // each new sample replaces 1/1024 of the window: after 3000, e^-(3000/1024) of the
    // old average is left (HAProxy's swrate)
    for (int i = 0; i < 3000; i++)
        rec(0, fe, -1, -1, -1, 10);
    BOOST_TEST(hist_get(fe, HT_TOTAL, h));
    BOOST_TEST(h.avg_ms > 14.0);
    BOOST_TEST(h.avg_ms < 16.0);
    BOOST_TEST(h.max_ms == 100u);
}

BOOST_FIXTURE_TEST_CASE(clear, fixture)
{
    uint32_t be = hist_obj_be(0);
    rec(0, be, 5, 5, 5, 5);
    rec(1, be, 9, 9, 9, 9);
    hist_clear(be, false);
    hist_read h;
    BOOST_TEST(hist_get(be, HT_QUEUE, h));
    BOOST_TEST(h.max_ms == 0u);
    BOOST_TEST(h.count == 2u);
    hist_clear(be, true);
    BOOST_TEST(hist_get(be, HT_QUEUE, h));
    BOOST_TEST(h.count == 0u);
    BOOST_TEST(h.bucket[0] == 0u);
}
