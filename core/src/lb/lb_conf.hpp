// SPDX-License-Identifier: MIT
// Typed balancing configuration of a backend ("balance", "hash-type"), parsed once at load
// time. The request path only reads these values: no string is compared per pick.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lb/hash.hpp"

struct ptc_expr;
struct ptc_kw_ctx;

namespace portico {

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

// "roundrobin", "static-rr", "source", "hdr", "hash", "random"... (stats "algo").
const char* lb_algo_name(lb_algo a);

// Parses the "balance" arguments into the balance fields of <c> (the hash-type fields are
// kept) and sets c.key_text to the key's sample expression. Syntax only: the expression
// is compiled by lb_compile_key. False with <err> for a bad or refused algorithm/option.
bool lb_parse_balance(const std::vector<std::string>& args, lb_conf& c, std::string& err);

// Compiles c.key_text (when the algorithm hashes a key) with the sample engine, for the
// proxy of <ctx> (may be nullptr). False with <err> (empty when the error was already
// reported at file:line by a fetch's argument check).
bool lb_compile_key(const ptc_kw_ctx* ctx, lb_conf& c, std::string& err);

// Parses "hash-type <method> [<function>] [avalanche]" into the hash-type fields of <c>.
bool lb_parse_hash_type(const std::vector<std::string>& args, lb_conf& c, std::string& err);

} // namespace portico
