// SPDX-License-Identifier: MIT
// Integer, time and size value parsers.
#include "cfg/units.hpp"

namespace portico::cfg {

namespace {

// Reads the leading decimal digits of <s> into <value>; returns the number of digits read,
// or 0 if there is none or the value does not fit <limit>.
size_t read_digits(std::string_view s, uint64_t limit, uint64_t &value)
{
    size_t i = 0;
    value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        const uint64_t d = static_cast<uint64_t>(s[i] - '0');
        if (d > limit || value > (limit - d) / 10)
            return 0;
        value = value * 10 + d;
        i++;
    }
    return i;
}

} // namespace

bool parse_uint(std::string_view s, uint64_t max, uint64_t &out, std::string *err)
{
    uint64_t value;
    const size_t i = read_digits(s, max, value);
    if (i == 0 || i != s.size()) {
        if (err)
            *err = "expects an integer between 0 and " + std::to_string(max) + ", got '" +
                   std::string(s) + "'";
        return false;
    }
    out = value;
    return true;
}

bool parse_int(std::string_view s, int64_t min, int64_t max, int64_t &out)
{
    const bool neg = !s.empty() && s[0] == '-';
    if (!s.empty() && (s[0] == '-' || s[0] == '+'))
        s.remove_prefix(1);
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag;
    const size_t i = read_digits(s, limit, mag);
    if (i == 0 || i != s.size())
        return false;
    const int64_t v = !neg ? (int64_t)mag : mag > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)mag;
    if (v < min || v > max)
        return false;
    out = v;
    return true;
}

bool parse_time_ms(std::string_view s, uint64_t &out_ms, uint64_t default_unit_ms)
{
    uint64_t value;
    const size_t i = read_digits(s, UINT64_MAX / 2, value);
    if (i == 0)
        return false;

    const std::string_view unit = s.substr(i);
    uint64_t mult = 1, div = 1;
    if (unit.empty())
        mult = default_unit_ms;
    else if (unit == "us")
        div = 1000;
    else if (unit == "ms")
        mult = 1;
    else if (unit == "s")
        mult = 1000;
    else if (unit == "m")
        mult = 60 * 1000;
    else if (unit == "h")
        mult = 3600 * 1000;
    else if (unit == "d")
        mult = 86400 * 1000;
    else
        return false;

    if (mult == 0 || (value != 0 && value > max_parsed_time_ms / mult))
        return false;
    const uint64_t result = (value * mult + div - 1) / div;
    if (result > max_parsed_time_ms)
        return false;
    out_ms = result;
    return true;
}

bool parse_size(std::string_view s, uint64_t &out)
{
    uint64_t value;
    const size_t i = read_digits(s, max_parsed_size, value);
    if (i == 0)
        return false;

    const std::string_view unit = s.substr(i);
    unsigned shift = 0;
    if (unit.size() > 1)
        return false;
    if (unit.size() == 1) {
        switch (unit[0]) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            return false;
        }
    }
    if (value > (max_parsed_size >> shift))
        return false;
    out = value << shift;
    return true;
}

} // namespace portico::cfg
