// SPDX-License-Identifier: MIT
// libFuzzer target for the value parsers (cfg/units: parse_uint, parse_int, parse_time_ms,
// parse_size). Input: byte 0 picks the limits and the default time unit, the rest is the
// value. parse_uint and parse_int are checked against a plain reference, time and size
// against their limits and against the same value written with an explicit unit.
#include "cfg/units.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace portico::cfg;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_units: %s\n", what);
    abort();
}

bool is_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// Reference: digits only, at most <max>, without overflow.
bool ref_uint(std::string_view s, uint64_t max, uint64_t& out)
{
    if (!is_digits(s))
        return false;
    uint64_t v = 0;
    for (char c : s) {
        if (v > (UINT64_MAX - uint64_t(c - '0')) / 10)
            return false;
        v = v * 10 + uint64_t(c - '0');
    }
    if (v > max)
        return false;
    out = v;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1 || size > 64)
        return 0;
    static const uint64_t maxes[] = {0, 1, 255, 65535, UINT32_MAX, INT64_MAX, UINT64_MAX - 1,
                                     UINT64_MAX};
    static const uint64_t units[] = {1, 1000, 60000, 3600000};
    const uint64_t max = maxes[data[0] & 7];
    const uint64_t unit = units[(data[0] >> 3) & 3];
    const std::string_view s((const char*)data + 1, size - 1);

    uint64_t u = 0, ru = 0;
    std::string err;
    bool ok = parse_uint(s, max, u, &err);
    bool rok = ref_uint(s, max, ru);
    if (ok != rok || (ok && u != ru))
        fail("parse_uint disagrees with the reference");
    if (!ok && err.empty())
        fail("parse_uint error without a message");

    int64_t i = 0;
    const int64_t imax = int64_t(max > uint64_t(INT64_MAX) ? INT64_MAX : max);
    if (parse_int(s, -imax, imax, i)) {
        std::string_view digits = s;
        bool neg = false;
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
            neg = digits[0] == '-';
            digits.remove_prefix(1);
        }
        uint64_t m = 0;
        if (!ref_uint(digits, uint64_t(imax), m) || i != (neg ? -int64_t(m) : int64_t(m)))
            fail("parse_int disagrees with the reference");
    } else {
        std::string_view digits = s;
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+'))
            digits.remove_prefix(1);
        uint64_t m = 0;
        if (ref_uint(digits, uint64_t(imax), m))
            fail("parse_int refuses a valid integer");
    }

    uint64_t ms = 0;
    if (parse_time_ms(s, ms, unit)) {
        if (ms > max_parsed_time_ms)
            fail("parse_time_ms above its limit");
        // Digits alone mean <unit> milliseconds: the same as with the explicit unit.
        if (is_digits(s) && unit == 1) {
            uint64_t ms2 = 0;
            if (!parse_time_ms(std::string(s) + "ms", ms2, 1000) || ms2 != ms)
                fail("parse_time_ms: default unit and \"ms\" disagree");
        }
    }

    uint64_t sz = 0;
    if (parse_size(s, sz)) {
        if (sz > max_parsed_size)
            fail("parse_size above its limit");
        if (is_digits(s)) {
            uint64_t k = 0;
            bool kok = parse_size(std::string(s) + "k", k);
            if (kok != (sz <= max_parsed_size / 1024) || (kok && k != sz * 1024))
                fail("parse_size: \"k\" is not 1024 times the value");
        }
    }
    return 0;
}
