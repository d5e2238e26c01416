// SPDX-License-Identifier: MIT
// The crt-list line parser: "<crtfile> [<bind options>] [[!]<sni filter> ...]", stateless,
// no OpenSSL, so that it can be unit-tested and fuzzed alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crtlist {

struct entry {
    std::string file;                 // the certificate file, as written
    std::vector<std::string> options; // words between '[' and ']' ("alpn", "h2", ...)
    std::vector<std::string> filters; // SNI filters, lowercased, without '!'
    std::vector<std::string> excludes; // "!name" filters, lowercased, without '!'
};

enum class status { ok, blank, error };

// Parses one line (without its newline). <out> is filled on ok; <err> says why on error.
status parse_line(std::string_view line, entry& out, std::string& err);

// True when <name> (lowercase) matches <filter>: exact, or "*.suffix" matching exactly one
// leading label.
bool name_matches(std::string_view filter, std::string_view name);

} // namespace crtlist
