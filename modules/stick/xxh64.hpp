// SPDX-License-Identifier: MIT
// XXH64 (the xxHash 64-bit hash, written from its public specification): HAProxy derives
// "cookie ... dynamic" server cookies with it, so portico must compute the same values.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace stick {

uint64_t xxh64(const void* data, size_t len, uint64_t seed);

// HAProxy's dynamic cookie of a server: XXH64 of the key, the address (4 or 16 bytes,
// network order) and the port as 4 bytes in network order, seed 0, as 16 hex digits.
// <out> gets 17 bytes (NUL-terminated).
void dynamic_cookie(const char* key, size_t keylen, const unsigned char* addr, size_t addrlen,
                    uint32_t port, char* out);

} // namespace stick
