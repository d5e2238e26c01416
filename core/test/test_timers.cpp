// SPDX-License-Identifier: MIT
// Unit tests of the timer wheel and the cached clock.
#define BOOST_TEST_MODULE timers
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "event/clock.hpp"
#include "event/timers.hpp"

using namespace portico::event;

namespace timers_test {

struct fired_log {
    std::vector<std::pair<int, uint64_t>> v; // (id, time it fired at)
    uint64_t now = 0;
};

struct owned : timer {
    int id = 0;
    fired_log* log = nullptr;
    timer_wheel* wheel = nullptr;
    owned* victim = nullptr;   // disarmed and deleted by our callback
    bool delete_self = false;
    uint64_t period = 0;       // re-arm this much later
    int repeats = 0;

    ~owned()
    {
        if (wheel)
            wheel->disarm(this);
    }

    static void on_fire(timer* t)
    {
        auto* o = static_cast<owned*>(t);
        o->log->v.emplace_back(o->id, o->log->now);
        if (o->victim) {
            delete o->victim;
            o->victim = nullptr;
        }
        if (o->period && o->repeats-- > 0)
            o->wheel->arm(o, o->log->now + o->period);
        if (o->delete_self)
            delete o;
    }
};

owned* make(timer_wheel& w, fired_log& log, int id)
{
    auto* o = new owned;
    o->fn = owned::on_fire;
    o->id = id;
    o->log = &log;
    o->wheel = &w;
    return o;
}

// Step the clock from log.now to <until> the way an event loop would.
void advance(timer_wheel& w, fired_log& log, uint64_t until)
{
    while (log.now < until) {
        int to = w.next_timeout_ms(log.now);
        uint64_t step = to < 0 ? until - log.now : (to == 0 ? 1 : uint64_t(to));
        log.now = std::min(until, log.now + step);
        w.run(log.now);
    }
}

} // namespace timers_test

using namespace timers_test;

BOOST_AUTO_TEST_CASE(ordering)
{
    timer_wheel w(1000);
    fired_log log;
    log.now = 1000;
    std::unique_ptr<owned> a(make(w, log, 1)), b(make(w, log, 2)), c(make(w, log, 3)),
        d(make(w, log, 4)), e(make(w, log, 5));
    w.arm(a.get(), 1030);
    w.arm(b.get(), 1010);
    w.arm(c.get(), 1020);
    w.arm(d.get(), 1010);
    w.arm(e.get(), 1000 + 5000); // other wheel level
    BOOST_TEST(w.size() == 5u);
    BOOST_TEST(w.next_timeout_ms(1000) == 10);
    w.run(1009);
    BOOST_TEST(log.v.empty());
    log.now = 1010;
    w.run(1010);
    BOOST_TEST(log.v.size() == 2u);
    log.now = 7000;
    w.run(7000);
    std::vector<int> ids;
    for (auto& [id, at] : log.v)
        ids.push_back(id);
    BOOST_TEST(ids == (std::vector<int>{2, 4, 3, 1, 5}), boost::test_tools::per_element());
    BOOST_TEST(a->expire == 0u);
    BOOST_TEST(w.size() == 0u);
    BOOST_TEST(w.next_timeout_ms(7000) == -1);
}

BOOST_AUTO_TEST_CASE(fires_on_time_when_stepped)
{
    timer_wheel w(5);
    fired_log log;
    log.now = 5;
    std::vector<std::unique_ptr<owned>> ts;
    const uint64_t when[] = {6, 63, 64, 65, 127, 128, 4095, 4096, 4097, 70000, 262143, 262144,
                             300001, 3600000};
    int id = 0;
    for (uint64_t t : when) {
        ts.emplace_back(make(w, log, id++));
        w.arm(ts.back().get(), t);
    }
    advance(w, log, 3700000);
    BOOST_TEST(log.v.size() == std::size(when));
    for (auto& [i, at] : log.v)
        BOOST_TEST(at == when[i]); // never early, never late when stepped as advised
}

BOOST_AUTO_TEST_CASE(rearm_later_and_earlier)
{
    timer_wheel w(0);
    fired_log log;
    std::unique_ptr<owned> a(make(w, log, 1)), b(make(w, log, 2));
    w.arm(a.get(), 100);
    w.arm(a.get(), 500); // later: lazy
    BOOST_TEST(a->expire == 500u);
    w.arm(b.get(), 5000);
    w.arm(b.get(), 50); // earlier: moved
    BOOST_TEST(w.size() == 2u);
    advance(w, log, 499);
    BOOST_TEST(log.v.size() == 1u);
    BOOST_TEST(log.v[0].first == 2);
    BOOST_TEST(log.v[0].second == 50u);
    advance(w, log, 500);
    BOOST_TEST(log.v.size() == 2u);
    BOOST_TEST(log.v[1].first == 1);
    BOOST_TEST(log.v[1].second == 500u);
    advance(w, log, 6000);
    BOOST_TEST(log.v.size() == 2u); // b's old 5000 slot does not fire it again

    // Refreshed on every "I/O": keeps moving, fires once, after the last refresh.
    w.arm(a.get(), log.now + 30000);
    for (int i = 0; i < 100; ++i) {
        advance(w, log, log.now + 1000);
        w.arm(a.get(), log.now + 30000);
    }
    BOOST_TEST(log.v.size() == 2u);
    uint64_t due = a->expire;
    advance(w, log, due + 10);
    BOOST_TEST(log.v.size() == 3u);
    BOOST_TEST(log.v[2].second == due);
}

BOOST_AUTO_TEST_CASE(disarm)
{
    timer_wheel w(0);
    fired_log log;
    std::unique_ptr<owned> a(make(w, log, 1)), b(make(w, log, 2));
    w.arm(a.get(), 10);
    w.arm(b.get(), 10000);
    w.disarm(a.get());
    w.disarm(a.get()); // twice is fine
    BOOST_TEST(a->expire == 0u);
    BOOST_TEST(w.size() == 1u);
    w.disarm(b.get());
    BOOST_TEST(w.size() == 0u);
    BOOST_TEST(w.next_timeout_ms(0) == -1);
    advance(w, log, 20000);
    BOOST_TEST(log.v.empty());
}

BOOST_AUTO_TEST_CASE(delete_inside_callback)
{
    timer_wheel w(0);
    fired_log log;
    // a fires first in the same tick and deletes b (whose destructor disarms it) and
    // itself; c, in the same slot after b, must still fire.
    owned* a = make(w, log, 1);
    owned* b = make(w, log, 2);
    owned* c = make(w, log, 3);
    a->victim = b;
    a->delete_self = true;
    c->delete_self = true;
    w.arm(a, 10);
    w.arm(b, 10);
    w.arm(c, 10);
    advance(w, log, 10);
    BOOST_TEST(log.v.size() == 2u);
    BOOST_TEST(log.v[0].first == 1);
    BOOST_TEST(log.v[1].first == 3);
    BOOST_TEST(w.size() == 0u);
}

BOOST_AUTO_TEST_CASE(rearm_inside_callback)
{
    timer_wheel w(0);
    fired_log log;
    std::unique_ptr<owned> a(make(w, log, 1)), b(make(w, log, 2));
    a->period = 100;
    a->repeats = 4;
    w.arm(a.get(), 100);
    // b re-arms itself 1 ms later, 1000 times.
    b->period = 1;
    b->repeats = 1000;
    w.arm(b.get(), 50);
    advance(w, log, 2000);
    std::vector<uint64_t> at;
    for (auto& [id, t] : log.v)
        if (id == 1)
            at.push_back(t);
    BOOST_TEST(at == (std::vector<uint64_t>{100, 200, 300, 400, 500}),
               boost::test_tools::per_element());
    BOOST_TEST(log.v.size() == 5u + 1001u);
    BOOST_TEST(w.size() == 0u);

    // A callback arming an already-due timer: it fires on the next tick of the same run.
    struct chain : timer {
        timer_wheel* w;
        timer* other;
        uint64_t now;
    };
    static int fired;
    fired = 0;
    chain x, y;
    x.w = y.w = &w;
    x.other = &y;
    y.other = nullptr;
    x.fn = [](timer* t) {
        auto* c = static_cast<chain*>(t);
        ++fired;
        c->w->arm(c->other, 1); // long past
    };
    y.fn = [](timer*) { fired += 10; };
    w.arm(&x, 2100);
    w.run(2100);
    BOOST_TEST(fired == 1);
    BOOST_TEST(w.next_timeout_ms(2100) == 1);
    w.run(2101);
    BOOST_TEST(fired == 11);
}

BOOST_AUTO_TEST_CASE(long_timeouts)
{
    const uint64_t day = 24ull * 3600 * 1000;
    const uint64_t start = 123456789;
    timer_wheel w(start);
    fired_log log;
    log.now = start;
    std::unique_ptr<owned> a(make(w, log, 1)), b(make(w, log, 2)), c(make(w, log, 3)),
        d(make(w, log, 4));
    w.arm(a.get(), start + 3 * day);
    w.arm(b.get(), start + 30 * day + 7);
    w.arm(c.get(), start + 1000 * day + 3); // beyond the wheel's ~795 day span
    w.arm(d.get(), start + 2 * day);
    BOOST_TEST(w.next_timeout_ms(start) == 1000);
    // Big jumps (a stalled or suspended loop) stay cheap and exact.
    log.now = start + 2 * day - 1;
    w.run(log.now);
    BOOST_TEST(log.v.empty());
    log.now = start + 2 * day;
    w.run(log.now);
    BOOST_TEST(log.v.size() == 1u);
    // Stepped the way a loop does (<= 1 s sleeps) up to just past 3 days.
    advance(w, log, start + 3 * day + 5);
    BOOST_TEST(log.v.size() == 2u);
    BOOST_TEST(log.v[1].first == 1);
    BOOST_TEST(log.v[1].second == start + 3 * day);
    log.now = start + 30 * day + 6;
    w.run(log.now);
    BOOST_TEST(log.v.size() == 2u);
    log.now += 1;
    w.run(log.now);
    BOOST_TEST(log.v.size() == 3u);
    log.now = start + 1000 * day + 2;
    w.run(log.now);
    BOOST_TEST(log.v.size() == 3u);
    log.now += 1;
    w.run(log.now);
    BOOST_TEST(log.v.size() == 4u);
    BOOST_TEST(log.v[3].first == 3);
}

// Random arms, re-arms and disarms against a simple model.
BOOST_AUTO_TEST_CASE(randomized_against_model)
{
    std::mt19937_64 rng(42);
    const uint64_t start = 1u << 20;
    timer_wheel w(start);
    fired_log log;
    log.now = start;
    constexpr int n = 500;
    std::vector<std::unique_ptr<owned>> ts;
    std::vector<uint64_t> model(n, 0);
    for (int i = 0; i < n; ++i)
        ts.emplace_back(make(w, log, i));
    bool ok = true;
    for (int step = 0; step < 20000 && ok; ++step) {
        int i = int(rng() % n);
        switch (rng() % 4) {
        case 0:
        case 1: {
            uint64_t range[] = {10, 1000, 100000, 10000000};
            uint64_t e = log.now + 1 + rng() % range[rng() % 4];
            w.arm(ts[size_t(i)].get(), e);
            model[size_t(i)] = e;
            break;
        }
        case 2:
            w.disarm(ts[size_t(i)].get());
            model[size_t(i)] = 0;
            break;
        default: {
            uint64_t to = log.now + rng() % 3000;
            size_t before = log.v.size();
            advance(w, log, to);
            for (size_t k = before; k < log.v.size(); ++k) {
                auto [id, at] = log.v[k];
                if (model[size_t(id)] != at)
                    ok = false;
                model[size_t(id)] = 0;
            }
            for (int k = 0; k < n; ++k)
                if (model[size_t(k)] && model[size_t(k)] <= log.now)
                    ok = false; // due but did not fire
            break;
        }
        }
    }
    BOOST_TEST(ok);
    BOOST_TEST(log.v.size() > 1000u); // the model was exercised
}

BOOST_AUTO_TEST_CASE(clock_cached)
{
    update_clock();
    uint64_t a = now_ms();
    BOOST_TEST(a > 0u);
    BOOST_TEST(now_ms() == a);
    uint64_t m = monotonic_ms();
    BOOST_TEST(m >= a);
    update_clock();
    BOOST_TEST(now_ms() >= a);
    timer_wheel w; // defaults to the cached clock
    BOOST_TEST(w.next_timeout_ms(now_ms()) == -1);
}
