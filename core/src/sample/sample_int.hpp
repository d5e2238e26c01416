// SPDX-License-Identifier: MIT
// Private structures shared by the sample engine's files: compiled expressions, patterns,
// ACLs, conditions, rules and variables.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <portico/portico.h>

#include "sample/sample.hpp"

struct ptc_expr {
    // Each node keeps what evaluation needs (function, private pointer, input type) so
    // that running it touches no registry and allocates nothing.
    struct step {
        const ptc_conv* conv;          // the registry's copy of the entry
        ptc_conv_fn fn;                // conv->fn, or
        ptc_conv_priv_fn fn_priv;      // a registered function with its private pointer
        void* priv;
        uint32_t in_type;
        ptc_arg* args;
        uint32_t nargs;
    };
    const ptc_fetch* fetch = nullptr;  // the registry's copy of the entry
    ptc_fetch_fn fn = nullptr;
    ptc_fetch_priv_fn fn_priv = nullptr;
    void* priv = nullptr;
    ptc_arg* args = nullptr;
    uint32_t nargs = 0;
    std::vector<step> convs;
    uint32_t out_type = PTC_SMP_STR;   // of the whole expression (last converter)
    uint32_t out_type0 = PTC_SMP_STR;  // of the fetch
    uint32_t use = 0;
    std::string text;
};

namespace portico {

struct module_rec;
struct proxy;

namespace smp {

// A whole decimal integer argument (an optional sign, digits, no overflow) into <v>.
inline bool is_int(std::string_view t, int64_t& v)
{
    if (t.empty())
        return false;
    size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    if (i == t.size())
        return false;
    uint64_t x = 0;
    for (; i < t.size(); i++) {
        if (t[i] < '0' || t[i] > '9' || x > (uint64_t)INT64_MAX / 10)
            return false;
        x = x * 10 + (uint64_t)(t[i] - '0');
    }
    v = t[0] == '-' ? -(int64_t)x : (int64_t)x;
    return true;
}


// ---- registry ----------------------------------------------------------------------------

const ptc_fetch* find_fetch(std::string_view name);
const ptc_conv* find_conv(std::string_view name);

// Config-lifetime storage for strings and argument arrays.
const char* keep_str(std::string_view s);
ptc_arg* keep_args(size_t n);

// Splits "a,b,'c,d'" (the inside of parentheses) into HAProxy arguments: commas separate,
// quotes group; outside single quotes a backslash escapes \\, quotes and a space, makes
// \r \n \t control characters, and stays before anything else ("a\.b" is kept as is).
// Returns false with err on an unterminated quote.
bool split_args(std::string_view in, std::vector<std::string>& out, std::string& err);

// Errors reported by core argument checks while an expression is parsed: written to the
// capture string (when set) instead of the loader.
int arg_error(const ptc_kw_ctx* ctx, const std::string& msg);
// converters set-var(<var>[,<cond>...]) and unset-var(<var>) (rules.cpp)
int conv_setvar_check(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs);
int conv_unsetvar_check(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs);
int conv_setvar(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* smp);
int conv_unsetvar(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* smp);

// ---- patterns -----------------------------------------------------------------------------

enum class match : uint8_t { found, boolean, integer, ip, str, beg, end, sub, reg, dom, dir, len };
const char* match_name(match m);
bool match_from_name(std::string_view n, match& m);

struct regex;                          // PCRE2 code + JIT, opaque
regex* regex_compile(std::string_view re, bool icase, std::string& err);
// Matches <subject>; with ov/ovn, receives up to ovn pairs of offsets (-1 unset).
// Returns the number of captured pairs (>= 1) or 0 when no match.
int regex_exec(const regex* r, const char* subject, size_t len, size_t start, long* ov,
               int ovn);
int regex_captures(const regex* r);

struct pattern {
    std::string s;                     // str/beg/end/sub/dom/dir (lower-cased with -i)
    int64_t lo = 0, hi = 0;            // integer/len ranges
    bool has_lo = false, has_hi = false;
    uint8_t family = 0;                // ip: 4 or 6
    uint8_t bits = 0;
    uint8_t addr[16] = {};
    regex* re = nullptr;
    // map value (for map converters)
    ptc_sample value{};
    std::string value_str;
    // runtime changes ("del map", "del-acl"...): a deleted pattern stays in place, marked
    // dead and unlinked from the indexes; next[]: the next pattern of equal key in the
    // index (str/beg: [0]; ip: [0] IPv4 index, [1] IPv6 index), k_no_pos at the end
    bool dead = false;
    uint32_t next[2] = {UINT32_MAX, UINT32_MAX};
};
constexpr uint32_t k_no_pos = UINT32_MAX;

struct pat_ref;

// Hash of strings looked up by string_view without building a std::string.
struct sv_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using sv_index = std::unordered_map<std::string, uint32_t, sv_hash, std::equal_to<>>;

struct pattern_list {
    match m = match::str;
    bool icase = false;
    bool dotted = false;               // integers written "major.minor" (req.ssl_ver's ACL)
    bool bin = false;                  // -m bin: patterns written in hex, compared as bytes
    std::deque<pattern> pats;          // a deque: patterns never move (values are pointed to)
    // Indexes (positions in pats, the first of equal keys), kept by pattern_add, so that a
    // list of 100 000 costs about what a list of 10 costs per match, as in HAProxy:
    //  - str: every pattern in a hash (lower-cased with -i);
    //  - beg (without -i): a hash per distinct length, tried longest first (longest
    //    prefix wins, as HAProxy's prefix tree);
    //  - ip: per family, a hash of masked addresses per distinct prefix length, tried
    //    longest first (longest prefix match); IPv4 patterns are also indexed as
    //    ::ffff:a.b.c.d for IPv6 samples and v4-mapped IPv6 ones for IPv4 samples.
    // Other methods (sub, end, dir, dom, reg, len, int) scan the list in order.
    sv_index exact;
    sv_index prefix;
    std::vector<uint32_t> prefix_lens;   // distinct, descending
    sv_index ipidx[2];                   // [0] IPv4 keys, [1] IPv6 keys: bits byte + address
    std::vector<uint8_t> ip_bits[2];     // distinct prefix lengths, descending
    // Shared pattern reference (a pattern file, by name) this list mirrors, with its
    // runtime changes (patref.cpp); nullptr for inline patterns. out_type: of map values
    // (0: an ACL).
    pat_ref* ref = nullptr;
    uint32_t out_type = 0;
};

// Parses one pattern for <l> into <p> without adding it.
bool pattern_parse(const pattern_list& l, std::string_view text, std::string_view op, pattern& p,
                   std::string& err);
// Parses a map value of type <out_type> into <p> (value, value_str).
bool pattern_parse_value(uint32_t out_type, std::string_view val, pattern& p, std::string& err);
// Appends <p> to <l> and indexes it.
void pattern_push(pattern_list& l, pattern&& p);
// Marks pattern <pos> dead and removes it from the indexes.
void pattern_del(pattern_list& l, uint32_t pos);
// Removes every pattern (kept alive until the next clear: a value may still be pointed to).
void pattern_clear(pattern_list& l);
// Runtime changes of shared pattern references (patref.cpp): applies what other processes
// journaled, when anything changed (one atomic load otherwise).
void patref_sync();
extern const volatile uint64_t* g_patref_end;
extern uint64_t g_patref_off;
inline void patref_check()
{
    if (g_patref_end && __atomic_load_n(g_patref_end, __ATOMIC_ACQUIRE) != g_patref_off)
        [[unlikely]] patref_sync();
}
// The reference of pattern file <path> (created and loaded on first use), <l> attached to
// it and filled with its entries. <map>: the file has key+value lines. <what>, <file>,
// <line>: the user, for "show map"/"show acl". Returns false with err.
bool patref_attach(pattern_list& l, const std::string& path, bool map, bool map_user,
                   const char* what, const char* file, int line, std::string& err);

// Parses one pattern for <l.m>. <op>: "", "eq", "ge", "gt", "le", "lt" (integers only).
bool pattern_add(pattern_list& l, std::string_view text, std::string_view op, std::string& err);
// Reads pattern file <path> as HAProxy does: blank lines and '#' comments skipped, leading
// blanks and the line end dropped; with <kv> the first word is the key and the rest (trimmed)
// the value. Calls fn(line number, key, value); stops at the first false it returns. False
// with <err> when the file cannot be opened, or when fn stopped (fn sets <err>).
bool pattern_file_read(const std::string& path, bool kv,
                       const std::function<bool(int, std::string_view, std::string_view)>& fn,
                       std::string& err);
// Loads one pattern per line (or key+value for maps). Returns false with err.
bool pattern_load_file(pattern_list& l, const std::string& path, bool map, uint32_t out_type,
                       std::string& err);
// Matches a sample (cast as the method needs). Returns the matching pattern, or nullptr.
// For found/bool, returns a static pattern on success.
const pattern* pattern_match(const pattern_list& l, ptc_sample* smp);
// The sample type the method works on.
uint32_t match_input_type(match m);
// Parses an IPv4/IPv6 address with an optional mask.
bool parse_ip_mask(std::string_view t, pattern& p, bool allow_mask);

// ---- ACLs and conditions ---------------------------------------------------------------

struct acl_expr {
    ptc_expr* expr = nullptr;
    pattern_list pats;
    std::string kw;                    // criterion as written, for messages
    // "http_auth_group(<userlist>) <group>...": the user the fetch returns must belong to
    // one of the groups (HAProxy's group match) instead of equalling a pattern
    std::string auth_list;
    std::vector<std::string> auth_groups;
};

struct acl {
    std::string name;
    std::vector<std::unique_ptr<acl_expr>> exprs; // several lines with one name: OR
    uint32_t use = 0;
};

struct cond_term {
    const acl* a;
    bool neg;
};

struct cond {
    bool unless = false;
    std::vector<std::vector<cond_term>> alts; // OR of ANDs
    std::string file;
    int line = 0;
};

// Parses "<criterion> [flags] [operator] <value>..." from words [first, end).
acl_expr* acl_expr_parse(const ptc_kw_ctx* ctx, const std::vector<std::string>& w, size_t first,
                         size_t end, std::string& err);
int acl_expr_eval(ptc_stream* s, const acl_expr* e, bool partial = false);

// ---- rules -------------------------------------------------------------------------------

struct rule {
    const ptc_action* act = nullptr;   // the registry's copy of the entry
    void* state = nullptr;
    cond* c = nullptr;
    std::string file;
    int line = 0;
};
// The last rule that ended a rule set of the stream's transaction (vars.cpp): set by
// host_rules_run, cleared by txn_end; nullptr when none.
void last_rule_set(ptc_stream* s, const rule* r);
const rule* last_rule_get(ptc_stream* s);

// Per-proxy data of the sample engine (proxy::smp).
struct proxy_data {
    std::vector<std::unique_ptr<acl>> acls;
    std::vector<rule*> rules[PTC_RULES_MAX + 1];
    uint32_t inherited_by = 0;         // CAP_* of proxies using these rules (defaults)
    bool has_rules = false;
};
proxy_data& pdata(proxy& p);

// ---- variables -------------------------------------------------------------------------------

enum var_scope : uint8_t { VS_PROC, VS_SESS, VS_TXN, VS_REQ, VS_RES };
struct var_ref {
    uint8_t scope = VS_TXN;
    uint32_t id = 0;
};
// Parses "txn.name" (scope required); registers the name. False with err.
bool var_parse(std::string_view full, var_ref& out, std::string& err);
// Looks a name up without registering it (runtime).
bool var_lookup(std::string_view full, var_ref& out);
bool var_set(ptc_stream* s, const var_ref& v, const ptc_sample* value);
bool var_get(ptc_stream* s, const var_ref& v, ptc_sample* out);
bool var_unset(ptc_stream* s, const var_ref& v);
// 0: the variable does not exist, 1: it exists but is not set (HAProxy's type "any": a
// conditional set-var created it and its condition failed), 2: it is set (<out> filled).
// "proc." variables always exist (HAProxy creates them while parsing).
int var_state(ptc_stream* s, const var_ref& v, ptc_sample* out);

} // namespace smp
} // namespace portico
