// SPDX-License-Identifier: MIT
// The sample engine's internal API: expressions, casts, ACLs, conditions, rule sets and
// variables, for the core (use_backend, log formats) and the host table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

/*
 * How to use it (logging helper: "%[...]" in log formats; core: use_backend)
 * ---------------------------------------------------------------------------
 * Configuration time (master, may throw nothing, returns nullptr + err on failure):
 *
 *   std::string err;
 *   size_t used;
 *   ptc_expr* e = portico::smp::expr_parse(ctx, "req.hdr(host),lower]...", &used, ']',
 *                                          PTC_USE_ANY, err);
 *       parses one expression "fetch[(args)][,conv[(args)]]..." starting at text[0] and
 *       stopping before the first unquoted, unparenthesised <stop> char (0: whole text);
 *       *used = characters consumed (the stop char excluded). `ctx` may be nullptr (no
 *       proxy context); `use` is the PTC_USE_* mask of what is available where the
 *       expression runs (a fetch needing something else is refused).
 *
 * Request time (worker, no allocation, no exception):
 *
 *   ptc_sample smp;
 *   if (portico::smp::expr_eval(s, e, &smp)) { ... }      // 1: a sample, 0: none
 *   ptc_str txt;
 *   if (portico::smp::sample_to_str(&smp, &txt)) { ... }  // any type as text
 *
 *   Strings in a sample live in the stream's buffers, config memory or one of the two
 *   rotating scratch buffers (host_scratch): copy them before evaluating the next
 *   expression twice more.
 *
 * Conditions ("if"/"unless" followed by ACL names, '!', '||', "{ anonymous acl }"):
 *
 *   portico::smp::cond* c = portico::smp::cond_parse(ctx, i, &next, use, err);
 *       ctx->args[i] must be "if" or "unless"; parses to the end of the line
 *       (next = ctx->argc) and resolves the ACLs of ctx->proxy. nullptr + err on error.
 *   int r = portico::smp::cond_eval(s, c[, partial]);   // COND_TRUE / COND_FALSE / COND_MISS
 *       (COND_MISS only with <partial>: a fetch said more data may change its answer)
 *
 * Rules: host_rules_run() (sample_host.hpp). Per-stream data: stream_release() from
 * stream_free, txn_end() when an HTTP transaction ends (called by the logger from
 * host_stream_log_txn: it clears the txn/req/res variables).
 */

struct ptc_expr;

namespace portico {

struct stream;
struct proxy;
struct config;

namespace smp {

// ---- expressions ----------------------------------------------------------------------

ptc_expr* expr_parse(const ptc_kw_ctx* ctx, std::string_view text, size_t* used, char stop,
                     uint32_t use, std::string& err);
int expr_eval(ptc_stream* s, const ptc_expr* e, ptc_sample* out);
// PTC_SMP_* type the expression produces (its last converter or its fetch).
uint32_t expr_type(const ptc_expr* e);
// The PTC_USE_* bits the expression needs.
uint32_t expr_use(const ptc_expr* e);
// Expressions parsed for one use only (the runtime API's "set var"): expr_mark() before
// parsing, expr_release_to(mark) once evaluated frees them (configuration expressions live
// as long as the process).
size_t expr_mark();
void expr_release_to(size_t mark);
// Everything the sample compilers keep for the life of the process (expressions, their
// strings and arguments, anonymous ACLs, conditions), counted: parse_mark() before parsing
// something used once, parse_release(mark) after it (the fuzz targets, which parse millions
// of inputs in one process). Named ACLs live in their proxy and are not counted.
struct parse_marks {
    size_t exprs, strings, argv, anon, conds;
};
parse_marks parse_mark();
void parse_release(const parse_marks& m);

// Casts a sample in place to type <to> (PTC_SMP_*), following HAProxy's cast matrix;
// strings produced go to a scratch buffer. Returns false when the cast is impossible
// (sample unchanged then).
bool sample_cast(ptc_sample* smp, uint32_t to);
// True if a cast from <from> to <to> exists (config-time checks).
bool cast_exists(uint32_t from, uint32_t to);
// Text of any sample (ints in decimal, addresses in presentation form).
bool sample_to_str(ptc_sample* smp, ptc_str* out);
// "str", "sint", "ipv4"... for messages.
const char* type_name(uint32_t t);

// Scratch buffers: two, rotating, each tune.bufsize bytes (see host_scratch).
char* scratch(size_t* cap);
// Allocates the scratch buffers (config time; done by every *_parse, idempotent).
void scratch_init();

// ---- conditions -------------------------------------------------------------------------

enum cond_result : int { COND_FALSE = 0, COND_TRUE = 1, COND_MISS = 2 };

struct cond;
cond* cond_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, uint32_t use,
                 std::string& err);
int cond_eval(ptc_stream* s, const cond* c, bool partial = false);

// Where samples are available for a rule set / a section (PTC_USE_* mask).
uint32_t ruleset_use(uint32_t ruleset);

// ---- keywords (config parsers, registered in core_keywords.cpp) -----------------------------

int parse_acl(const ptc_kw_ctx* ctx);            // acl <name> <criterion> [flags] <values>
int parse_global_setvar(const ptc_kw_ctx* ctx);  // global set-var / set-var-fmt
// The runtime API's "set var" (returns the error message, "" when done) and "get var".
std::string cli_set_var(const std::string& name, bool fmt, const std::string& text);
std::string cli_get_var(const std::string& name);
int parse_rules(const ptc_kw_ctx* ctx);          // http-request, http-response, ...
// tcp-request/tcp-response rules are refused until a module runs them (then set true).
extern bool tcp_rules_supported;
// Once the configuration is read: the server references of fetch arguments
// ("srv_conn(be/s)", "srv_is_up(s)") resolved, each server named pinned against "del server";
// err(file, line, message) for each one that does not exist.
void resolve_server_refs(
    config& cfg, const std::function<void(const std::string&, int, const std::string&)>& err);
// True when proxy <px> declares rules of <ruleset> (PTC_RULES_*): a cheap test before
// running them on the connection path.
bool has_rules(const proxy* px, uint32_t ruleset);
int parse_use_backend(const ptc_kw_ctx* ctx);    // use_backend <name> [if|unless <cond>]

// The core's fetches, converters and actions (module "core" tables).
extern const ptc_fetch k_core_fetches[];
extern const uint32_t k_core_fetch_count;
extern const ptc_conv k_core_convs[];
extern const uint32_t k_core_conv_count;
// More core converters and fetches (conv_ext.cpp, fetch_ext.cpp), owned by "core" too.
extern const ptc_conv k_ext_convs[];
extern const uint32_t k_ext_conv_count;
extern const ptc_fetch k_ext_fetches[];
extern const uint32_t k_ext_fetch_count;
// True when HAProxy 2.6 has a converter / fetch of this name (haproxy_names.cpp).
bool haproxy_has_conv(std::string_view name);
bool haproxy_has_fetch(std::string_view name);
extern const ptc_action k_core_actions[];
extern const uint32_t k_core_action_count;

// ---- backend selection ----------------------------------------------------------------------

// Runs the frontend's use_backend rules in order: the first whose condition holds and
// whose (dynamic) name resolves gives the backend; nullptr if none (caller then uses
// default_backend).
proxy* select_backend(ptc_stream* s, proxy* fe);

// Inheritance of rules from a named defaults section (cfgload, at proxy creation): the
// defaults' rules run before the proxy's own. False with err when HAProxy refuses it (a
// defaults section with rules used by both frontends and backends, or by a listen).
bool inherit_rules(proxy& dst, proxy& defs, std::string& err);
// True while host_rules_run runs a rule set with PTC_RULES_PARTIAL (more data may come):
// the wait_end fetch reads it.
extern bool g_rules_partial;
// True while host_rules_run runs a response rule set (tcp-response content, http-response,
// http-after-response): the "payload" and "payload_lv" fetches then read the response.
extern bool g_rules_response;
// Whether the (defaults) proxy <p> declares TCP/HTTP rules of any kind.
bool defines_rules(const proxy& p);

// ---- per-stream data --------------------------------------------------------------------------

// Frees the stream's variables and rule state (stream_free).
void stream_release(stream* s);
// An HTTP transaction ended: drops txn/req/res variables (sess ones stay).
void txn_end(ptc_stream* s);
// the stream's per-transaction state reset (rules.cpp; called by txn_end): addresses
// changed by set-src & co, queue priority, be_sess_rate and cpu_calls counting
void txn_stream_reset(ptc_stream* s);

} // namespace smp
} // namespace portico
