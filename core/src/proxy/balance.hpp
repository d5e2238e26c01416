// SPDX-License-Identifier: MIT
// The typed balancing settings of a backend ("balance", "hash-type") as the configuration
// model holds them: types only. They are parsed by core/src/lb/lb_conf.cpp at load time and
// only read on the request path (no string is compared per pick).
#pragma once

#include <cstdint>
#include <string>

struct ptc_expr;

namespace portico {

namespace lbh {
// Hash functions of "hash-type" (implemented in core/src/lb/hash.cpp).
enum class hash_fn : uint8_t { sdbm, djb2, wt6, crc32 };
} // namespace lbh

// The "balance" algorithm as written (source/uri/url_param/hdr/hash differ only by key).
enum class lb_algo : uint8_t {
    roundrobin, static_rr, leastconn, first, source, uri, url_param, hdr, hash, random, maglev,
    leasttime,
};

// What a hashing algorithm hashes. Every key is a sample expression (lb_conf::expr); the
// kind only adds the post-processing of the legacy keywords (uri options, empty = no key).
enum class lb_key : uint8_t { none, source, uri, url_param, hdr, expr };

enum class lb_hash_type : uint8_t { map_based, consistent };

struct lb_conf {
    // "balance"
    lb_algo algo = lb_algo::roundrobin;
    lb_key key = lb_key::none;
    bool uri_whole = false;             // uri: hash the query string too
    bool uri_path_only = false;         // uri: skip scheme://authority of absolute URIs
    uint32_t uri_len = 0;               // uri: at most len characters (0: all)
    uint32_t uri_depth = 0;             // uri: at most depth directories (0: all)
    bool use_domain_only = false;       // hdr(): hash only the domain name part
    uint32_t draws = 2;                 // random(N)
    std::string arg;                    // url_param / hdr name (messages)
    std::string key_text;               // the key's sample expression, as compiled
    const ptc_expr* expr = nullptr;     // compiled key (hashing algorithms), config lifetime
    // "hash-type"
    lb_hash_type hash_type = lb_hash_type::map_based;
    lbh::hash_fn hash_fn = lbh::hash_fn::sdbm;
    bool avalanche = false;
};

} // namespace portico
