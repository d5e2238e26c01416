// SPDX-License-Identifier: MIT
// Hash functions and deterministic lookup tables of the hashing balance algorithms:
// HAProxy's key hashes (sdbm, djb2, wt6, crc32, avalanche), the weighted map, the
// consistent-hash ring and the Maglev table. Pure functions of their inputs, so every
// worker and every instance with the same configuration builds identical tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/balance.hpp"

namespace portico::lbh {


uint32_t hash_sdbm(const void* key, size_t len);
uint32_t hash_djb2(const void* key, size_t len);
uint32_t hash_wt6(const void* key, size_t len);
uint32_t hash_crc32(const void* key, size_t len);
// Bob Jenkins' 32-bit integer mix (HAProxy's "avalanche" modifier).
uint32_t avalanche(uint32_t a);
uint32_t hash_key(hash_fn fn, bool aval, const void* key, size_t len);

// A stable 64-bit hash of a server identity (its name): FNV-1a then a 64-bit finaliser.
uint64_t name_hash64(std::string_view name);
uint64_t mix64(uint64_t x);

// One member of a table: an opaque index chosen by the caller, its identity and weight.
struct member {
    uint32_t idx;
    std::string_view name;
    uint32_t weight;
};

// Smooth weighted sequence of length sum(weights): each member appears weight times,
// interleaved (used for static-rr and the map-based hash). Entries are member indexes.
std::vector<uint32_t> weighted_sequence(const std::vector<member>& m);

// Consistent-hash ring: `points_per_weight` points per unit of weight (reduced when the
// ring would exceed `max_points`), sorted by point hash.
struct ring_node {
    uint32_t hash;
    uint32_t idx;
    bool operator==(const ring_node&) const = default;
};
std::vector<ring_node> build_ring(const std::vector<member>& m, uint32_t points_per_weight = 64,
                                  uint32_t max_points = 1u << 20);
// Position of the first node at or after `h` (wrapping), or SIZE_MAX when empty.
size_t ring_find(const std::vector<ring_node>& ring, uint32_t h);

// Maglev lookup table of prime size `size` (65537 by default): each member walks its own
// permutation (offset, skip from its name hash) and members take turns in smooth weighted
// order, claiming their next free preferred slot, until the table is full.
constexpr uint32_t k_maglev_size = 65537;
std::vector<uint32_t> build_maglev(const std::vector<member>& m, uint32_t size = k_maglev_size);

} // namespace portico::lbh
