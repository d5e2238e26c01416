// SPDX-License-Identifier: MIT
// Integer, time and size value parsers (time and size with HAProxy's units,
// configuration.txt 2.5). The one integer parser of the core: use these, not strtoul.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portico::cfg {

// Largest value parse_time_ms() accepts, like HAProxy's 32-bit timer parser.
inline constexpr uint64_t max_parsed_time_ms = UINT32_MAX;
// Largest value HAProxy accepts for "timeout ..." keywords (~24.8 days); callers check it.
inline constexpr uint64_t max_timeout_ms = INT32_MAX;
// Largest value parse_size() accepts (HAProxy parses sizes as 32-bit unsigned).
inline constexpr uint64_t max_parsed_size = UINT32_MAX;

// Parses a decimal integer made of digits only (no sign, blank, unit or trailing
// character) into <out>, if it is at most <max>. On failure, and when <err> is given, sets
// it to "expects an integer between 0 and <max>, got '<s>'" (callers prefix the keyword).
bool parse_uint(std::string_view s, uint64_t max, uint64_t &out, std::string *err = nullptr);

// Parses a decimal integer with an optional sign ('-' or '+') into <out>, if it lies in
// [<min>, <max>]. Rejects an empty string, a lone sign, blanks and trailing characters.
bool parse_int(std::string_view s, int64_t min, int64_t max, int64_t &out);

// Parses a time "<digits>[unit]" into milliseconds. Units: us, ms, s, m, h, d; microseconds
// round up to the next millisecond; without a unit the value is in <default_unit_ms>
// milliseconds (1 = ms, 1000 = seconds...). Rejects empty strings, signs, blanks, unknown
// or trailing characters ("5x", "5 s", "-1", "5sx") and results above max_parsed_time_ms.
// HAProxy 2.6 only warns about characters after a valid unit; portico rejects them.
bool parse_time_ms(std::string_view s, uint64_t &out_ms, uint64_t default_unit_ms = 1);

// Parses a size "<digits>[k|m|g]" (case-insensitive, 1024 multiples) into bytes. Rejects
// anything else after the unit and results above max_parsed_size.
bool parse_size(std::string_view s, uint64_t &out);

} // namespace portico::cfg
