// SPDX-License-Identifier: MIT
// Host-table entry points of the sample engine (expressions, ACLs, rules, log formats,
// variables): implemented in core/src/sample/.
#pragma once

#include <portico/portico.h>

namespace portico {

int host_rules_run(ptc_stream* s, uint32_t ruleset, ptc_proxy* px);
namespace smp {
// host->action_compile / action_exec (ABI 1.16), rules.cpp.
ptc_act_rule* host_action_compile(ptc_proxy* px, uint32_t rs, uint32_t argc, const ptc_str* args,
                                  char* err, size_t errlen);
int host_action_exec(ptc_stream* s, const ptc_act_rule* r);
} // namespace smp
// Called before every "http-after-response" rule set is run (the http module runs them on
// every response it sends, generated ones included), before the rules; null when unset.
// The process lifecycle sets it (core/src/proc/stop_hook.cpp).
extern void (*g_rules_after_res_pre)(ptc_stream* s);
ptc_logfmt* host_logfmt_compile(const ptc_kw_ctx* ctx, ptc_str fmt);
// The same for set-var-fmt: spaces kept, samples verbatim (HAProxy's plain log-formats).
ptc_logfmt* host_logfmt_compile_plain(const ptc_kw_ctx* ctx, ptc_str fmt);
size_t host_logfmt_eval(ptc_stream* s, const ptc_logfmt* lf, char* buf, size_t cap);
ptc_expr* host_expr_compile(const ptc_kw_ctx* ctx, ptc_str expr);
int host_expr_eval(ptc_stream* s, const ptc_expr* e, ptc_sample* out);
char* host_scratch(size_t* cap);
ptc_cond* host_cond_compile(const ptc_kw_ctx* ctx, uint32_t first, uint32_t use);
int host_cond_eval(ptc_stream* s, const ptc_cond* c);
int host_var_set(ptc_stream* s, ptc_str name, const ptc_sample* value);
int host_var_get(ptc_stream* s, ptc_str name, ptc_sample* out);
int host_var_unset(ptc_stream* s, ptc_str name);
int host_var_known(ptc_str name); // 1.21
// registry.cpp (1.3)
int host_fetch_register(ptc_modref* self, const ptc_fetch* f, uint32_t size,
                        ptc_fetch_priv_fn fn, void* priv);
int host_conv_register(ptc_modref* self, const ptc_conv* c, uint32_t size, ptc_conv_priv_fn fn,
                       void* priv);
int host_action_register(ptc_modref* self, const ptc_action* a, uint32_t size,
                         ptc_act_parse_priv_fn parse, void* priv);

} // namespace portico
