// SPDX-License-Identifier: MIT
// Parsing of the typed balancing settings (proxy/balance.hpp): "balance", "hash-type" and
// the compilation of hash keys as sample expressions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lb/hash.hpp"
#include "proxy/balance.hpp"

struct ptc_expr;
struct ptc_kw_ctx;

namespace portico {

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
