// SPDX-License-Identifier: MIT
// XXH64, from the xxHash specification (doc/xxhash_spec.md of the xxHash project).
#include "xxh64.hpp"

#include <stdio.h>
#include <string.h>

#include <vector>

namespace stick {

namespace {

constexpr uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL,
                   P3 = 0x165667B19E3779F9ULL, P4 = 0x85EBCA77C2B2AE63ULL,
                   P5 = 0x27D4EB2F165667C5ULL;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t rd64(const unsigned char* p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
uint32_t rd32(const unsigned char* p)
{
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

uint64_t round1(uint64_t acc, uint64_t in)
{
    acc += in * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

uint64_t merge(uint64_t acc, uint64_t v)
{
    acc ^= round1(0, v);
    return acc * P1 + P4;
}

} // namespace

uint64_t xxh64(const void* data, size_t len, uint64_t seed)
{
    const unsigned char* p = static_cast<const unsigned char*>(data);
    const unsigned char* end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        while (end - p >= 32) {
            v1 = round1(v1, rd64(p));
            v2 = round1(v2, rd64(p + 8));
            v3 = round1(v3, rd64(p + 16));
            v4 = round1(v4, rd64(p + 24));
            p += 32;
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge(h, v1);
        h = merge(h, v2);
        h = merge(h, v3);
        h = merge(h, v4);
    } else {
        h = seed + P5;
    }
    h += uint64_t(len);
    while (end - p >= 8) {
        h ^= round1(0, rd64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
    }
    if (end - p >= 4) {
        h ^= uint64_t(rd32(p)) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= uint64_t(*p) * P5;
        h = rotl(h, 11) * P1;
        p++;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

void dynamic_cookie(const char* key, size_t keylen, const unsigned char* addr, size_t addrlen,
                    uint32_t port, char* out)
{
    std::vector<unsigned char> b(keylen + addrlen + 4);
    memcpy(b.data(), key, keylen);
    memcpy(b.data() + keylen, addr, addrlen);
    unsigned char* pp = b.data() + keylen + addrlen;
    pp[0] = uint8_t(port >> 24);
    pp[1] = uint8_t(port >> 16);
    pp[2] = uint8_t(port >> 8);
    pp[3] = uint8_t(port);
    snprintf(out, 17, "%016llx", (unsigned long long)xxh64(b.data(), b.size(), 0));
}

} // namespace stick
