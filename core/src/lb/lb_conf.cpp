// SPDX-License-Identifier: MIT
// "balance" and "hash-type" parsed into the typed lb_conf, and the hash keys compiled into
// sample expressions (source -> src, uri -> url, url_param(n) -> url_param(n),
// hdr(n) -> req.hdr(n,1), hash <expr> -> <expr>).
#include "lb/lb_conf.hpp"

#include <cstring>

#include <portico/portico.h>

#include "cfg/units.hpp"
#include "sample/sample.hpp"

namespace portico {

namespace {

// The configuration's one integer parser (cfg/units), narrowed to 32 bits.
bool parse_uint(const std::string& s, uint32_t max, uint32_t& out)
{
    uint64_t v;
    if (!cfg::parse_uint(s, max, v))
        return false;
    out = (uint32_t)v;
    return true;
}

// "hdr(<name>)" -> name
bool paren_arg(const std::string& a, const char* fn, std::string& out)
{
    size_t n = strlen(fn);
    if (a.compare(0, n, fn) != 0 || a.size() < n + 3 || a[n] != '(' || a.back() != ')')
        return false;
    out = a.substr(n + 1, a.size() - n - 2);
    return !out.empty();
}

// <s> as one argument of a sample fetch: characters the expression syntax gives a meaning
// to are escaped with a backslash.
std::string quote_arg(const std::string& s)
{
    std::string o;
    for (char c : s) {
        if (c == '\\' || c == '\'' || c == '"' || c == ',' || c == '(' || c == ')')
            o += '\\';
        o += c;
    }
    return o;
}

// Parses the key part of a hashing algorithm ("source", "uri ...", "url_param X",
// "hdr(X)", "hash <expr>") starting at args[i].
bool parse_key(const std::vector<std::string>& args, size_t i, lb_conf& b, std::string& err,
               const std::string& algo_name)
{
    const std::string& k = args[i];
    std::string hname;
    if (k == "source") {
        b.key = lb_key::source;
        b.key_text = "src";
        if (args.size() > i + 1) {
            err = "'balance " + algo_name + "' takes no argument after 'source'";
            return false;
        }
        return true;
    }
    if (k == "uri") {
        b.key = lb_key::uri;
        b.key_text = "url"; // the request target; the options are applied by lb_hash.cpp
        for (size_t j = i + 1; j < args.size(); j++) {
            const std::string& o = args[j];
            if (o == "whole") {
                b.uri_whole = true;
            } else if (o == "path-only") {
                b.uri_path_only = true;
            } else if (o == "len" || o == "depth") {
                uint32_t v;
                if (j + 1 >= args.size() || !parse_uint(args[j + 1], 1u << 30, v) || !v) {
                    err = "'balance uri': '" + o + "' expects a positive integer";
                    return false;
                }
                (o == "len" ? b.uri_len : b.uri_depth) = v;
                j++;
            } else {
                err = "'balance uri': unknown option '" + o +
                      "' (expected 'whole', 'len <n>', 'depth <n>' or 'path-only')";
                return false;
            }
        }
        return true;
    }
    if (k == "url_param") {
        if (i + 1 >= args.size()) {
            err = "'balance url_param' expects a parameter name";
            return false;
        }
        b.key = lb_key::url_param;
        b.arg = args[i + 1];
        b.key_text = "url_param(" + quote_arg(b.arg) + ")";
        if (i + 2 < args.size()) {
            if (args[i + 2] == "check_post")
                err = "'balance url_param ... check_post' is not supported yet by portico";
            else
                err = "'balance url_param': unknown option '" + args[i + 2] + "'";
            return false;
        }
        return true;
    }
    if (paren_arg(k, "hdr", hname)) {
        b.key = lb_key::hdr;
        b.arg = hname;
        // HAProxy hashes the first value of the first occurrence
        b.key_text = "req.hdr(" + quote_arg(hname) + ",1)";
        for (size_t j = i + 1; j < args.size(); j++) {
            if (args[j] == "use_domain_only") {
                b.use_domain_only = true;
            } else {
                err = "'balance hdr()': unknown option '" + args[j] +
                      "' (expected 'use_domain_only')";
                return false;
            }
        }
        return true;
    }
    if (k == "hash") {
        if (i + 1 >= args.size()) {
            err = "'balance hash' expects a sample expression";
            return false;
        }
        if (i + 2 < args.size()) {
            err = "'balance hash' expects one sample expression, unexpected '" + args[i + 2] +
                  "'";
            return false;
        }
        b.key = lb_key::expr;
        b.key_text = args[i + 1];
        return true;
    }
    err = "'balance " + algo_name + "': unknown key '" + k +
          "' (expected 'source', 'uri', 'url_param <name>', 'hdr(<name>)' or 'hash <expr>')";
    return false;
}

} // namespace

const char* lb_algo_name(lb_algo a)
{
    switch (a) {
    case lb_algo::roundrobin: return "roundrobin";
    case lb_algo::static_rr: return "static-rr";
    case lb_algo::leastconn: return "leastconn";
    case lb_algo::first: return "first";
    case lb_algo::source: return "source";
    case lb_algo::uri: return "uri";
    case lb_algo::url_param: return "url_param";
    case lb_algo::hdr: return "hdr";
    case lb_algo::hash: return "hash";
    case lb_algo::random: return "random";
    case lb_algo::maglev: return "maglev";
    case lb_algo::leasttime: return "leasttime";
    }
    return "?";
}

bool lb_parse_balance(const std::vector<std::string>& args, lb_conf& c, std::string& err)
{
    if (args.empty()) {
        err = "'balance' expects an algorithm";
        return false;
    }
    lb_conf b;
    b.hash_type = c.hash_type;
    b.hash_fn = c.hash_fn;
    b.avalanche = c.avalanche;
    const std::string& a = args[0];
    auto done = [&](bool ok) {
        if (ok)
            c = b;
        return ok;
    };
    auto no_args = [&](lb_algo al) {
        b.algo = al;
        if (args.size() > 1) {
            err = "'balance " + a + "' takes no argument";
            return false;
        }
        return done(true);
    };
    std::string inner;
    if (a == "roundrobin")
        return no_args(lb_algo::roundrobin);
    if (a == "static-rr")
        return no_args(lb_algo::static_rr);
    if (a == "leastconn")
        return no_args(lb_algo::leastconn);
    if (a == "first")
        return no_args(lb_algo::first);
    if (a == "leasttime")
        return no_args(lb_algo::leasttime);
    if (a == "random" || paren_arg(a, "random", inner)) {
        b.draws = 2;
        if (a != "random" && (!parse_uint(inner, 100, b.draws) || b.draws < 1)) {
            err = "'balance random(<draws>)' expects a number of draws between 1 and 100";
            return false;
        }
        return no_args(lb_algo::random);
    }
    if (a == "source") {
        b.algo = lb_algo::source;
        return done(parse_key(args, 0, b, err, a));
    }
    if (a == "uri") {
        b.algo = lb_algo::uri;
        return done(parse_key(args, 0, b, err, a));
    }
    if (a == "url_param") {
        b.algo = lb_algo::url_param;
        return done(parse_key(args, 0, b, err, a));
    }
    if (a.compare(0, 4, "hdr(") == 0) {
        b.algo = lb_algo::hdr;
        return done(parse_key(args, 0, b, err, a));
    }
    if (a == "hash") {
        b.algo = lb_algo::hash;
        return done(parse_key(args, 0, b, err, a));
    }
    if (a == "maglev") {
        b.algo = lb_algo::maglev;
        if (args.size() == 1) {
            b.key = lb_key::source;
            b.key_text = "src";
            return done(true);
        }
        return done(parse_key(args, 1, b, err, a));
    }
    if (a == "rdp-cookie" || a.compare(0, 11, "rdp-cookie(") == 0) {
        err = "'balance " + a + "' is not supported yet by portico";
        return false;
    }
    err = "unknown balance algorithm '" + a +
          "' (expected roundrobin, static-rr, leastconn, first, source, uri, url_param, "
          "hdr(<name>), hash <expr>, random, maglev or leasttime)";
    return false;
}

bool lb_compile_key(const ptc_kw_ctx* ctx, lb_conf& c, std::string& err)
{
    c.expr = nullptr;
    if (c.key == lb_key::none)
        return true;
    std::string e;
    ptc_expr* x = smp::expr_parse(ctx, c.key_text, nullptr, 0, PTC_USE_L4 | PTC_USE_HTTP_REQ, e);
    if (!x) {
        if (e.empty()) {
            err.clear(); // already reported by the fetch's argument check
        } else if (c.key == lb_key::expr) {
            err = "'balance hash': invalid expression '" + c.key_text + "': " + e;
        } else {
            err = "'balance " + std::string(lb_algo_name(c.algo)) + "': cannot compile its key '" +
                  c.key_text + "': " + e;
            if (c.key != lb_key::source)
                err += " (the http module provides it)";
        }
        return false;
    }
    c.expr = x;
    return true;
}

bool lb_parse_hash_type(const std::vector<std::string>& args, lb_conf& c, std::string& err)
{
    if (args.empty()) {
        err = "'hash-type' expects 'map-based' or 'consistent'";
        return false;
    }
    const std::string& m = args[0];
    lb_hash_type ht;
    if (m == "map-based")
        ht = lb_hash_type::map_based;
    else if (m == "consistent")
        ht = lb_hash_type::consistent;
    else {
        err = "'hash-type' expects 'map-based' or 'consistent', got '" + m + "'";
        return false;
    }
    lbh::hash_fn fn = lbh::hash_fn::sdbm;
    bool aval = false;
    for (size_t i = 1; i < args.size(); i++) {
        const std::string& a = args[i];
        if (a == "avalanche" && i == args.size() - 1)
            aval = true;
        else if (i == 1 && a == "sdbm")
            fn = lbh::hash_fn::sdbm;
        else if (i == 1 && a == "djb2")
            fn = lbh::hash_fn::djb2;
        else if (i == 1 && a == "wt6")
            fn = lbh::hash_fn::wt6;
        else if (i == 1 && a == "crc32")
            fn = lbh::hash_fn::crc32;
        else if (i == 1 && a == "none") {
            err = "'hash-type ... none' is not supported yet by portico";
            return false;
        } else {
            err = "'hash-type': unknown " + std::string(i == 1 ? "function" : "modifier") + " '" +
                  a + "' (expected sdbm, djb2, wt6 or crc32, then avalanche)";
            return false;
        }
    }
    c.hash_type = ht;
    c.hash_fn = fn;
    c.avalanche = aval;
    return true;
}

} // namespace portico
