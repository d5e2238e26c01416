// SPDX-License-Identifier: MIT
// Hash functions and the deterministic tables of the hashing balance algorithms.
#include "lb/hash.hpp"

#include <algorithm>

namespace portico::lbh {

uint32_t hash_sdbm(const void* key, size_t len)
{
    const auto* p = static_cast<const unsigned char*>(key);
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++)
        h = p[i] + (h << 6) + (h << 16) - h;
    return h;
}

uint32_t hash_djb2(const void* key, size_t len)
{
    const auto* p = static_cast<const unsigned char*>(key);
    uint32_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = (h << 5) + h + p[i];
    return h;
}

static inline uint32_t rotl32(uint32_t v, uint32_t n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}

// HAProxy's "wt6": two 32-bit lanes with data-dependent rotations.
uint32_t hash_wt6(const void* key, size_t len)
{
    const auto* p = static_cast<const unsigned char*>(key);
    uint32_t a = 0xa53c965au, b = 0x5ca6953au;
    uint32_t ra = 6, rb = 18;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = p[i];
        a = ~(a ^ c);
        b = ~(b + c);
        uint32_t na = rotl32(b, ra);
        b = rotl32(a, rb);
        a = na;
        uint32_t t = ((a >> 16) ^ b) & 0xffff;
        ra = t & 0x1f;
        rb = t >> 11;
    }
    return a ^ b;
}

static const uint32_t* crc_table()
{
    static uint32_t table[256];
    static bool done = false;
    if (!done) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        done = true;
    }
    return table;
}

uint32_t hash_crc32(const void* key, size_t len)
{
    const uint32_t* t = crc_table();
    const auto* p = static_cast<const unsigned char*>(key);
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++)
        c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

uint32_t avalanche(uint32_t a)
{
    a = (a + 0x7ed55d16u) + (a << 12);
    a = (a ^ 0xc761c23cu) ^ (a >> 19);
    a = (a + 0x165667b1u) + (a << 5);
    a = (a + 0xd3a2646cu) ^ (a << 9);
    a = (a + 0xfd7046c5u) + (a << 3);
    a = (a ^ 0xb55a4f09u) ^ (a >> 16);
    return a;
}

uint32_t hash_key(hash_fn fn, bool aval, const void* key, size_t len)
{
    uint32_t h;
    switch (fn) {
    case hash_fn::djb2: h = hash_djb2(key, len); break;
    case hash_fn::wt6: h = hash_wt6(key, len); break;
    case hash_fn::crc32: h = hash_crc32(key, len); break;
    default: h = hash_sdbm(key, len); break;
    }
    return aval ? avalanche(h) : h;
}

uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t name_hash64(std::string_view name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

// Smooth weighted round-robin over the members, `n` picks.
template <typename F> static void smooth_turns(const std::vector<member>& m, uint64_t n, F take)
{
    std::vector<int64_t> cur(m.size(), 0);
    int64_t total = 0;
    for (const member& x : m)
        total += x.weight;
    if (!total)
        return;
    for (uint64_t k = 0; k < n; k++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < m.size(); i++) {
            if (!m[i].weight)
                continue;
            cur[i] += m[i].weight;
            if (best == SIZE_MAX || cur[i] > cur[best])
                best = i;
        }
        cur[best] -= total;
        if (!take(best))
            return;
    }
}

std::vector<uint32_t> weighted_sequence(const std::vector<member>& m)
{
    uint64_t total = 0;
    for (const member& x : m)
        total += x.weight;
    std::vector<uint32_t> seq;
    seq.reserve(total);
    smooth_turns(m, total, [&](size_t i) {
        seq.push_back(m[i].idx);
        return true;
    });
    return seq;
}

std::vector<ring_node> build_ring(const std::vector<member>& m, uint32_t ppw, uint32_t max_points)
{
    uint64_t total = 0;
    for (const member& x : m)
        total += x.weight;
    while (ppw > 1 && total * ppw > max_points)
        ppw /= 2;
    std::vector<ring_node> ring;
    ring.reserve(total * ppw);
    for (const member& x : m) {
        uint64_t base = name_hash64(x.name);
        uint64_t n = (uint64_t)x.weight * ppw;
        for (uint64_t k = 0; k < n; k++)
            ring.push_back({(uint32_t)(mix64(base + k * 0x9e3779b97f4a7c15ull) >> 32), x.idx});
    }
    std::sort(ring.begin(), ring.end(), [](const ring_node& a, const ring_node& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.idx < b.idx;
    });
    return ring;
}

size_t ring_find(const std::vector<ring_node>& ring, uint32_t h)
{
    if (ring.empty())
        return SIZE_MAX;
    auto it = std::lower_bound(ring.begin(), ring.end(), h,
                               [](const ring_node& n, uint32_t v) { return n.hash < v; });
    return it == ring.end() ? 0 : (size_t)(it - ring.begin());
}

std::vector<uint32_t> build_maglev(const std::vector<member>& m, uint32_t size)
{
    constexpr uint32_t empty = UINT32_MAX;
    std::vector<uint32_t> table(size, empty);
    std::vector<uint64_t> offset(m.size()), skip(m.size()), next(m.size(), 0);
    bool any = false;
    for (size_t i = 0; i < m.size(); i++) {
        uint64_t h = name_hash64(m[i].name);
        offset[i] = (h & 0xffffffffu) % size;
        skip[i] = ((h >> 32) % (size - 1)) + 1;
        any |= m[i].weight > 0;
    }
    if (!any)
        return {};
    uint32_t filled = 0;
    smooth_turns(m, UINT64_MAX, [&](size_t i) {
        uint64_t pos;
        do {
            pos = (offset[i] + next[i] * skip[i]) % size;
            next[i]++;
        } while (table[pos] != empty);
        table[pos] = m[i].idx;
        return ++filled < size;
    });
    return table;
}

} // namespace portico::lbh
