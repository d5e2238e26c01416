// SPDX-License-Identifier: MIT
// The crt-list line parser: "<crtfile> [<bind options>] [[!]<sni filter> ...]", stateless,
// no OpenSSL, so that it can be unit-tested and fuzzed alone.
#pragma once

#include <cstddef>
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

// Choosing among certificates of several key types for one name (HAProxy 2.6's rules).
// Key types, in the order HAProxy ranks them: other (DSA, anonymous), RSA, ECDSA.
enum key_kind { key_other = 0, key_rsa = 1, key_ecdsa = 2 };
// What the ClientHello's signature_algorithms extension (its body: a 2-byte length, then
// 2-byte hash/signature pairs) offers: bit 0 an RSA signature, bit 1 an ECDSA one; without
// the extension (<present> false: before TLS 1.2), RSA. -1: malformed.
int sigalgs_mask(const unsigned char* ext, size_t n, bool present);
// The candidate to serve among found[key_kind] (-1: none of that type) for a client offering
// <sigs> (sigalgs_mask, ECDSA kept only with an ECDSA cipher suite; -1 taken as RSA): ECDSA,
// then RSA, then another type, then ECDSA or RSA whatever the client said. -1: none found.
long pick(const long found[3], int sigs);
// The host name of a server_name extension body ("" when absent or malformed), lowercase,
// without a final dot.
std::string sni_name(const unsigned char* ext, size_t n);

} // namespace crtlist
