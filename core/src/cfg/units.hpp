// SPDX-License-Identifier: MIT
// Time and size value parsers with HAProxy's units (configuration.txt 2.5).
#pragma once

#include <cstdint>
#include <string_view>

namespace portico::cfg {

// Largest value parse_time_ms() accepts, like HAProxy's 32-bit timer parser.
inline constexpr uint64_t max_parsed_time_ms = UINT32_MAX;
// Largest value HAProxy accepts for "timeout ..." keywords (~24.8 days); callers check it.
inline constexpr uint64_t max_timeout_ms = INT32_MAX;
// Largest value parse_size() accepts (HAProxy parses sizes as 32-bit unsigned).
inline constexpr uint64_t max_parsed_size = UINT32_MAX;

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
