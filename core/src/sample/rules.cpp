// SPDX-License-Identifier: MIT
// Rule sets (http-request, http-response, http-after-response, tcp-request, tcp-response):
// parsing through the modules' action tables, evaluation with resume after a yield, the
// core's actions (set-var/unset-var, set-tos/set-mark, set-src/set-dst and their ports,
// set-priority-class/-offset, accept/reject/silent-drop), and use_backend rules.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/patref.hpp"
#include "sample/registry.hpp"
#include "sample/sample_host.hpp"
#include "sample/sample_int.hpp"
#include "stream/stream.hpp"
#include "stream/stream_host.hpp"
#include "proxy/cfg_ctx.hpp"
#include "cfg/units.hpp"

namespace portico {
namespace smp {

// vars.cpp
bool yield_get(ptc_stream* s, uint32_t rs, const void* px, uint32_t& idx);
void yield_set(ptc_stream* s, uint32_t rs, const void* px, uint32_t idx);

namespace {

std::deque<rule> g_rules;

const auto word = kw_word;

const auto cfg_err = kw_error;

uint32_t ruleset_of(const ptc_kw_ctx* ctx)
{
    std::string a = word(ctx, 0), b = ctx->kw_words > 1 ? word(ctx, 1) : "";
    if (a == "http-request")
        return PTC_RULES_HTTP_REQ;
    if (a == "http-response")
        return PTC_RULES_HTTP_RES;
    if (a == "http-after-response")
        return PTC_RULES_HTTP_AFTER_RES;
    if (a == "tcp-request" && b == "connection")
        return PTC_RULES_TCP_REQ_CONN;
    if (a == "tcp-request" && b == "content")
        return PTC_RULES_TCP_REQ_CONTENT;
    if (a == "tcp-request" && b == "session")
        return PTC_RULES_TCP_REQ_SESS;
    if (a == "tcp-response" && b == "content")
        return PTC_RULES_TCP_RES_CONTENT;
    return 0;
}

} // namespace

bool tcp_rules_supported = false;

int parse_rules(const ptc_kw_ctx* ctx)
{
    uint32_t rs = ruleset_of(ctx);
    std::string kw = word(ctx, 0) + (ctx->kw_words > 1 ? " " + word(ctx, 1) : "");
    if (!rs)
        return cfg_err(ctx, "'" + kw + "': unknown rule set");
    proxy& px = *to_proxy(ctx->proxy);
    if (ctx->section == PTC_SEC_DEFAULTS) {
        if (px.name.empty())
            return cfg_err(ctx, "'" + kw + "' rules are only allowed in named defaults "
                                           "sections, not anonymous ones");
    }
    uint32_t ai = ctx->kw_words;
    if (ai >= ctx->argc)
        return cfg_err(ctx, "'" + kw + "' expects an action (known: " + known_actions(rs) + ")");
    std::string act = word(ctx, ai);
    if (act == "if" || act == "unless")
        return cfg_err(ctx, "'" + kw + "' expects an action before '" + act + "'");
    // One look-up in the registry: an exact name, else a prefix ("lua."), else a HAProxy
    // action portico does not run (a placeholder without parse/exec).
    const action_entry* ae = find_action_entry(rs, act);
    if (!ae || !ae->supported) {
        std::string base = act.substr(0, act.find('('));
        if (ae)
            return cfg_err(ctx, "'" + kw + " " + base + "' is not supported yet by portico");
        return cfg_err(ctx, "'" + kw + "': unknown action '" + act + "' (known: " +
                                known_actions(rs) + ")");
    }
    if (act == "normalize-uri" && g_config && !g_config->global.experimental)
        return cfg_err(ctx, "'" + kw + " " + act + "' action is experimental, it must be allowed "
                                                 "with 'expose-experimental-directives' in the "
                                                 "global section (as in HAProxy 2.6)");
    const ptc_action* a = &ae->a;
    module_rec* owner = ae->owner;
    g_rules.emplace_back();
    rule& r = g_rules.back();
    r.act = a;
    r.file = ctx->file ? ctx->file : "";
    r.line = (int)ctx->line;
    uint32_t next = ai + 1;
    if (a->parse || ae->parse_priv) {
        ptc_kw_ctx o = *ctx;
        if (owner) {
            o.self = to_handle(owner);
            if (g_cfg_ctx)
                o.conf = conf_blob(px.mod, owner, PTC_CONF_PROXY);
        }
        int before = g_cfg_ctx ? g_cfg_ctx->errors : 0;
        int rc = ae->parse_priv ? ae->parse_priv(&o, ai + 1, &next, &r.state, ae->priv)
                                : a->parse(&o, ai + 1, &next, &r.state);
        if (rc != PTC_OK) {
            if (!g_cfg_ctx || g_cfg_ctx->errors == before)
                return cfg_err(ctx, "'" + kw + " " + act + "': invalid arguments");
            return PTC_ERROR;
        }
        if (next < ai + 1 || next > ctx->argc)
            return cfg_err(ctx, "'" + kw + " " + act + "': the action's parser consumed an "
                                                     "invalid number of words");
    }
    if (next < ctx->argc) {
        std::string w = word(ctx, next);
        if (w != "if" && w != "unless")
            return cfg_err(ctx, "'" + kw + " " + act + "': unexpected word '" + w + "'");
        std::string err;
        r.c = cond_parse(ctx, next, nullptr, ruleset_use(rs), err);
        if (!r.c)
            return err.empty() ? PTC_ERROR : cfg_err(ctx, "'" + kw + " " + act + "': " + err);
    }
    proxy_data& d = pdata(px);
    d.rules[rs].push_back(&r);
    d.has_rules = true;
    return PTC_OK;
}

bool defines_rules(const proxy& p)
{
    return p.smp && p.smp->has_rules;
}

bool inherit_rules(proxy& dst, proxy& defs, std::string& err)
{
    if (!defines_rules(defs))
        return true;
    proxy_data& s = *defs.smp;
    uint32_t cap = dst.cap & (CAP_FE | CAP_BE);
    if (cap == (CAP_FE | CAP_BE) || (s.inherited_by && s.inherited_by != cap)) {
        err = "defaults section '" + defs.name + "' declares rules, so it cannot be used by "
              "both frontends and backends (nor by a listen section)";
        return false;
    }
    auto at = [&] { return " (defaults section '" + defs.name + "' at " + defs.file + ":" +
                           std::to_string(defs.line) + ")"; };
    if (cap == CAP_BE && (!s.rules[PTC_RULES_TCP_REQ_CONN].empty() ||
                          !s.rules[PTC_RULES_TCP_REQ_SESS].empty())) {
        err = "a backend section cannot inherit from a defaults section defining "
              "'tcp-request connection' or 'tcp-request session' rules" + at();
        return false;
    }
    if (cap == CAP_FE && !s.rules[PTC_RULES_TCP_RES_CONTENT].empty()) {
        err = "a frontend section cannot inherit from a defaults section defining "
              "'tcp-response content' rules" + at();
        return false;
    }
    s.inherited_by = cap;
    proxy_data& d = pdata(dst);
    for (uint32_t rs = 0; rs <= PTC_RULES_MAX; rs++)
        d.rules[rs].insert(d.rules[rs].end(), s.rules[rs].begin(), s.rules[rs].end());
    d.has_rules = true;
    return true;
}

} // namespace smp

bool smp::has_rules(const proxy* px, uint32_t ruleset)
{
    return px && px->smp && ruleset <= PTC_RULES_MAX && !px->smp->rules[ruleset].empty();
}

void (*g_rules_after_res_pre)(ptc_stream* s) = nullptr;

bool smp::g_rules_partial = false;
bool smp::g_rules_response = false;

int host_rules_run(ptc_stream* s, uint32_t ruleset, ptc_proxy* ppx)
{
    bool partial = ruleset & PTC_RULES_PARTIAL;
    ruleset &= ~PTC_RULES_PARTIAL;
    // what wait_end reads; restored on return (a rule set may run another one)
    struct partial_scope {
        bool saved = smp::g_rules_partial, saved_res = smp::g_rules_response;
        partial_scope(bool p, bool res)
        {
            smp::g_rules_partial = p;
            smp::g_rules_response = res;
        }
        ~partial_scope()
        {
            smp::g_rules_partial = saved;
            smp::g_rules_response = saved_res;
        }
    } scope(partial, ruleset == PTC_RULES_TCP_RES_CONTENT || ruleset == PTC_RULES_HTTP_RES ||
                         ruleset == PTC_RULES_HTTP_AFTER_RES);
    if (ruleset == PTC_RULES_HTTP_AFTER_RES && g_rules_after_res_pre)
        g_rules_after_res_pre(s);
    proxy* px = to_proxy(ppx);
    if (!px || !px->smp || ruleset > PTC_RULES_MAX)
        return PTC_ACT_CONTINUE;
    const auto& rules = px->smp->rules[ruleset];
    uint32_t i = 0;
    smp::yield_get(s, ruleset, px, i);
    for (; i < rules.size(); i++) {
        const smp::rule* r = rules[i];
        if (r->c) {
            int c = smp::cond_eval(s, r->c, partial);
            if (c == smp::COND_MISS)
                return PTC_ACT_MISS; // run again from the first rule with more data
            if (c != smp::COND_TRUE)
                continue;
        }
        int res = r->act->exec ? r->act->exec(s, r->state) : PTC_ACT_CONTINUE;
        switch (res) {
        case PTC_ACT_CONTINUE:
            continue;
        case PTC_ACT_YIELD:
            smp::yield_set(s, ruleset, px, i);
            return PTC_ACT_YIELD;
        case PTC_ACT_STOP:
        case PTC_ACT_DONE:
            if (ruleset != PTC_RULES_TCP_REQ_CONN && ruleset != PTC_RULES_TCP_REQ_SESS)
                smp::last_rule_set(s, r);
            return res;
        default:
            if (ruleset != PTC_RULES_TCP_REQ_CONN && ruleset != PTC_RULES_TCP_REQ_SESS)
                smp::last_rule_set(s, r);
            return PTC_ACT_ERROR;
        }
    }
    return PTC_ACT_CONTINUE;
}

namespace smp {

// host->action_compile / action_exec (ABI 1.16): one action of rule set `rs` built from
// its words at run time (Lua's TXN:set_tos, HTTP:req_rep_header...), parsed as the same
// line of the configuration would be in proxy `ppx`. No condition. The rule lives as long
// as the process (the caller caches it).
ptc_act_rule* host_action_compile(ptc_proxy* ppx, uint32_t rs, uint32_t argc,
                                  const ptc_str* args, char* err, size_t errlen)
{
    auto fail = [&](const std::string& m) -> ptc_act_rule* {
        if (err && errlen)
            snprintf(err, errlen, "%s", m.c_str());
        return nullptr;
    };
    static const char* const sets[][2] = {
        {nullptr, nullptr},           {"tcp-request", "connection"},
        {"tcp-request", "content"},   {"tcp-response", "content"},
        {"http-request", nullptr},    {"http-response", nullptr},
        {"http-after-response", nullptr}, {"tcp-request", "session"},
    };
    static_assert(sizeof(sets) / sizeof(sets[0]) == PTC_RULES_MAX + 1);
    if (!ppx || rs < 1 || rs > PTC_RULES_MAX || !argc || !args)
        return fail("invalid arguments");
    proxy& px = *to_proxy(ppx);
    std::vector<ptc_str> words;
    for (const char* w : sets[rs])
        if (w)
            words.push_back(ptc_str{w, std::strlen(w)});
    uint32_t ai = (uint32_t)words.size();
    words.insert(words.end(), args, args + argc);
    std::string act(args[0].ptr, args[0].len);
    const action_entry* ae = find_action_entry(rs, act);
    if (!ae || !ae->supported)
        return fail("'" + act + "' is not " + (ae ? "supported yet by portico" : "an action") +
                    " in this rule set");
    ptc_kw_ctx o{};
    o.size = sizeof(o);
    o.section = px.cap & (CAP_FE | CAP_BE);
    o.file = "(run time)";
    o.line = 0;
    o.argc = (uint32_t)words.size();
    o.args = words.data();
    o.kw_words = ai;
    o.proxy = ppx;
    if (ae->owner) {
        o.self = to_handle(ae->owner);
        o.conf = conf_blob(px.mod, ae->owner, PTC_CONF_PROXY);
    }
    size_t msgs = g_cfg_ctx ? g_cfg_ctx->msgs.size() : 0;
    int errors = g_cfg_ctx ? g_cfg_ctx->errors : 0;
    auto take_msgs = [&]() {
        std::string m;
        if (!g_cfg_ctx)
            return m;
        for (size_t i = msgs; i < g_cfg_ctx->msgs.size(); i++)
            if (g_cfg_ctx->msgs[i].error && m.empty())
                m = g_cfg_ctx->msgs[i].text;
        g_cfg_ctx->msgs.resize(msgs);
        g_cfg_ctx->errors = errors;
        return m;
    };
    void* state = nullptr;
    uint32_t next = ai + 1;
    if (ae->a.parse || ae->parse_priv) {
        int rc = ae->parse_priv ? ae->parse_priv(&o, ai + 1, &next, &state, ae->priv)
                                : ae->a.parse(&o, ai + 1, &next, &state);
        std::string m = take_msgs();
        if (rc != PTC_OK) {
            size_t c = m.find(": ");
            if (c != std::string::npos && m.starts_with("(run time)"))
                m.erase(0, c + 2);
            return fail(m.empty() ? "'" + act + "': invalid arguments" : m);
        }
    }
    if (next != o.argc)
        return fail("'" + act + "': unexpected word '" +
                    (next < o.argc ? kw_word(&o, next) : std::string()) + "'");
    g_rules.emplace_back();
    rule& r = g_rules.back();
    r.act = &ae->a;
    r.state = state;
    r.file = "(run time)";
    return reinterpret_cast<ptc_act_rule*>(&r);
}

int host_action_exec(ptc_stream* s, const ptc_act_rule* pr)
{
    const rule* r = reinterpret_cast<const rule*>(pr);
    if (!s || !r)
        return PTC_ACT_ERROR;
    return r->act->exec ? r->act->exec(s, r->state) : PTC_ACT_CONTINUE;
}

// ---- set-var / unset-var ---------------------------------------------------------------------

namespace {

enum : uint32_t {
    SV_IFEXISTS = 1, SV_IFNOTEXISTS = 2, SV_IFEMPTY = 4, SV_IFNOTEMPTY = 8, SV_IFSET = 16,
    SV_IFNOTSET = 32, SV_IFGT = 64, SV_IFLT = 128,
};

struct setvar_state {
    var_ref v;
    ptc_expr* e = nullptr;
    ptc_logfmt* fmt = nullptr; // set-var-fmt
    uint32_t conds = 0;
};
std::deque<setvar_state> g_setvars;

// set-var-fmt's result, one per worker (rules run one at a time), sized at parse time
std::vector<char> g_fmt_buf;

// "set-var(txn.x,ifexists)" -> name and condition list
// <report> says what is wrong (cfg_err for rules; the converters pass arg_error, which the
// expression parser turns into its message).
bool parse_var_word(const ptc_kw_ctx* ctx, const std::string& w, bool with_conds, setvar_state& st,
                    int (*report)(const ptc_kw_ctx*, const std::string&) = cfg_err)
{
    auto cfg_err = report;
    size_t o = w.find('(');
    if (o == std::string::npos || w.back() != ')') {
        cfg_err(ctx, "'" + w.substr(0, o) + "' expects a variable name in parentheses, e.g. '" +
                         w.substr(0, o) + "(txn.name)'");
        return false;
    }
    std::vector<std::string> parts;
    std::string err;
    if (!split_args(std::string_view(w).substr(o + 1, w.size() - o - 2), parts, err) ||
        parts.empty() || parts[0].empty()) {
        cfg_err(ctx, "'" + w + "': missing variable name");
        return false;
    }
    if (!var_parse(parts[0], st.v, err)) {
        cfg_err(ctx, "'" + w + "': " + err);
        return false;
    }
    if (parts.size() > 1 && !with_conds) {
        cfg_err(ctx, "'" + w + "' takes only a variable name");
        return false;
    }
    static const struct {
        const char* n;
        uint32_t f;
    } conds[] = {{"ifexists", SV_IFEXISTS}, {"ifnotexists", SV_IFNOTEXISTS},
                 {"ifempty", SV_IFEMPTY},   {"ifnotempty", SV_IFNOTEMPTY},
                 {"ifset", SV_IFSET},       {"ifnotset", SV_IFNOTSET},
                 {"ifgt", SV_IFGT},         {"iflt", SV_IFLT}};
    std::string bad;
    for (size_t i = 1; i < parts.size(); i++) {
        bool found = false;
        for (auto& c : conds)
            if (parts[i] == c.n) {
                st.conds |= c.f;
                found = true;
            }
        if (!found)
            bad += (bad.empty() ? "'" : ", '") + parts[i] + "'";
    }
    if (!bad.empty()) { // every bad one, not only the first
        cfg_err(ctx, "'" + w + "': unknown condition" +
                         (bad.find(',') != std::string::npos ? "s " : " ") + bad +
                         " (ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, "
                         "ifgt, iflt)");
        return false;
    }
    if (parts.size() > 5) {
        cfg_err(ctx, "'" + w + "': at most four conditions");
        return false;
    }
    return true;
}

template <uint32_t RS>
int act_setvar_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    const bool fmt = w.rfind("set-var-fmt", 0) == 0;
    setvar_state st;
    if (!parse_var_word(ctx, w, true, st))
        return PTC_ERROR;
    if (first >= ctx->argc || word(ctx, first) == "if" || word(ctx, first) == "unless")
        return cfg_err(ctx, "'" + w + "' expects " + (fmt ? "a log-format string" :
                                                             "a sample expression"));
    std::string err;
    std::string text = word(ctx, first);
    if (fmt) {
        st.fmt = host_logfmt_compile_plain(ctx, ptc_str{ctx->args[first].ptr, ctx->args[first].len});
        if (!st.fmt)
            return PTC_ERROR;
        size_t cap = g_config ? g_config->global.bufsize : 16384;
        if (g_fmt_buf.size() < cap)
            g_fmt_buf.resize(cap);
    } else {
        st.e = expr_parse(ctx, text, nullptr, 0, ruleset_use(RS), err);
        if (!st.e)
            return err.empty() ? PTC_ERROR : cfg_err(ctx, "'" + w + " " + text + "': " + err);
    }
    g_setvars.push_back(st);
    *state = &g_setvars.back();
    *next = first + 1;
    return PTC_OK;
}

bool is_strish(uint32_t t) { return t == PTC_SMP_STR || t == PTC_SMP_BIN; }

// HAProxy 2.6's var_set() with conditions (vars.c): a variable that did not exist is
// created even when a later condition fails, then it exists but is not set.
void setvar_cond(ptc_stream* s, const setvar_state* st, const ptc_sample* smp)
{
    uint32_t c = st->conds;
    if (!c) {
        var_set(s, st->v, smp);
        return;
    }
    ptc_sample cur{};
    int state = var_state(s, st->v, &cur);
    if (state && (c & SV_IFNOTEXISTS))
        return;
    if (!state && (c & SV_IFEXISTS))
        return;
    auto created_unset = [&] {
        if (!state) {
            ptc_sample any{};
            any.type = PTC_SMP_ANY;
            var_set(s, st->v, &any);
        }
    };
    const bool set = state == 2;
    if (((c & SV_IFSET) && !set) || ((c & SV_IFNOTSET) && set))
        return created_unset();
    if ((c & SV_IFEMPTY) && !is_strish(smp->type))
        return created_unset(); // a scalar is never empty
    if (smp->type == PTC_SMP_SINT && set && cur.type == PTC_SMP_SINT &&
        (((c & SV_IFGT) && !(cur.u.sint > smp->u.sint)) ||
         ((c & SV_IFLT) && !(cur.u.sint < smp->u.sint))))
        return;
    if (is_strish(smp->type) && (((c & SV_IFNOTEMPTY) && !smp->u.str.len) ||
                                 ((c & SV_IFEMPTY) && smp->u.str.len)))
        return created_unset();
    var_set(s, st->v, smp);
}

// The converters "set-var(<var>[,<cond>...])" and "unset-var(<var>)" (HAProxy 2.6): the
// input sample is stored in (or the variable removed) and passed on unchanged.
int conv_setvar_check_impl(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs, bool unset)
{
    std::string w = std::string(unset ? "unset-var(" : "set-var(");
    for (uint32_t i = 0; i < nargs; i++)
        w += (i ? "," : "") + std::string(args[i].str.ptr, args[i].str.len);
    w += ")";
    setvar_state st;
    if (!parse_var_word(ctx, w, !unset, st, arg_error))
        return PTC_ERROR;
    g_setvars.push_back(st);
    args[0].data = &g_setvars.back();
    return PTC_OK;
}

int act_setvar_exec(ptc_stream* s, void* state)
{
    auto* st = static_cast<setvar_state*>(state);
    ptc_sample smp{};
    if (st->fmt) {
        size_t n = host_logfmt_eval(s, st->fmt, g_fmt_buf.data(), g_fmt_buf.size());
        smp.type = PTC_SMP_STR;
        smp.u.str = ptc_str{g_fmt_buf.data(), n};
    } else if (!expr_eval(s, st->e, &smp)) {
        return PTC_ACT_CONTINUE;
    }
    setvar_cond(s, st, &smp);
    return PTC_ACT_CONTINUE;
}

int act_unsetvar_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    setvar_state st;
    if (!parse_var_word(ctx, w, false, st))
        return PTC_ERROR;
    g_setvars.push_back(st);
    *state = &g_setvars.back();
    *next = first;
    return PTC_OK;
}

int act_unsetvar_exec(ptc_stream* s, void* state)
{
    var_unset(s, static_cast<setvar_state*>(state)->v);
    return PTC_ACT_CONTINUE;
}

// set-mark <mark> / set-tos <tos>: the netfilter mark (SO_MARK, needs CAP_NET_ADMIN) or the
// TOS / traffic class of the packets sent to the client, as HAProxy 2.6 (numbers in
// decimal, octal or hexadecimal; a failing setsockopt is ignored).
struct sockopt_state {
    bool tos;
    uint32_t value;
};
std::deque<sockopt_state> g_sockopts;

int act_sockopt_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    if (first >= ctx->argc || word(ctx, first) == "if" || word(ctx, first) == "unless")
        return cfg_err(ctx, "'" + w + "' expects a value (an integer, 0x... for hexadecimal)");
    std::string v = word(ctx, first);
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(v.c_str(), &end, 0);
    if (v.empty() || *end || errno || n > UINT32_MAX || v[0] == '-')
        return cfg_err(ctx, "'" + w + "': invalid value '" + v +
                                "' (integer or hexadecimal value expected)");
    g_sockopts.push_back({w == "set-tos", (uint32_t)n});
    *state = &g_sockopts.back();
    *next = first + 1;
    return PTC_OK;
}

int act_sockopt_exec(ptc_stream* ps, void* state)
{
    auto* st = static_cast<sockopt_state*>(state);
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s->cli || s->cli->fd < 0)
        return PTC_ACT_CONTINUE;
    int v = (int)st->value;
    if (!st->tos) {
        setsockopt(s->cli->fd, SOL_SOCKET, SO_MARK, &v, sizeof(v));
    } else if (s->cli_addr.ss_family == AF_INET6) {
        setsockopt(s->cli->fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v));
    } else {
        setsockopt(s->cli->fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
    }
    return PTC_ACT_CONTINUE;
}

// set-src / set-dst <expr>, set-src-port / set-dst-port <expr> (HAProxy 2.6's tcp_act.c):
// the address keeps its port (0 when the old family had none), the port keeps its address
// (0.0.0.0 when the old family had none). "tcp-request connection" changes the connection's
// addresses; the stream-level rule sets ("tcp-request content", "http-request") change them for
// the current transaction only: the connection's are put back when it ends (txn_stream_reset), as
// HAProxy gives every HTTP/1 request a stream of its own.
enum : uint8_t { AS_SRC, AS_DST, AS_SRC_PORT, AS_DST_PORT };

struct addr_state {
    ptc_expr* e = nullptr;
    uint8_t what = AS_SRC;
    bool per_txn = false; // not tcp-request connection|session
    bool sess = false;    // tcp-request session: keep the connection's address (fc_src)
};
std::deque<addr_state> g_addrs;

template <uint32_t RS>
int act_addr_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    addr_state st;
    st.what = w == "set-src" ? AS_SRC : w == "set-dst" ? AS_DST : w == "set-src-port" ? AS_SRC_PORT
                                                                                      : AS_DST_PORT;
    st.per_txn = RS != PTC_RULES_TCP_REQ_CONN && RS != PTC_RULES_TCP_REQ_SESS;
    st.sess = RS == PTC_RULES_TCP_REQ_SESS;
    if (first >= ctx->argc || word(ctx, first) == "if" || word(ctx, first) == "unless")
        return cfg_err(ctx, "'" + w + "' expects a sample expression");
    std::string err, text = word(ctx, first);
    st.e = expr_parse(ctx, text, nullptr, 0, ruleset_use(RS), err);
    if (!st.e)
        return err.empty() ? PTC_ERROR : cfg_err(ctx, "'" + w + " " + text + "': " + err);
    uint32_t t = expr_type(st.e);
    bool port = st.what == AS_SRC_PORT || st.what == AS_DST_PORT;
    bool ok = port ? cast_exists(t, PTC_SMP_SINT)
                   : cast_exists(t, PTC_SMP_IPV4) || cast_exists(t, PTC_SMP_IPV6);
    if (!ok)
        return cfg_err(ctx, "'" + w + " " + text + "': the expression's result cannot be "
                                "converted to " + (port ? "an integer" : "an address"));
    g_addrs.push_back(st);
    *state = &g_addrs.back();
    *next = first + 1;
    return PTC_OK;
}

uint16_t net_port(const sockaddr_storage& a)
{
    if (a.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in&>(a).sin_port;
    if (a.ss_family == AF_INET6)
        return reinterpret_cast<const sockaddr_in6&>(a).sin6_port;
    return 0;
}

int act_addr_exec(ptc_stream* ps, void* state)
{
    auto* st = static_cast<addr_state*>(state);
    stream* s = reinterpret_cast<stream*>(ps);
    const bool src = st->what == AS_SRC || st->what == AS_SRC_PORT;
    const bool port = st->what == AS_SRC_PORT || st->what == AS_DST_PORT;
    ptc_sample smp{};
    if (!expr_eval(ps, st->e, &smp))
        return PTC_ACT_CONTINUE;
    if (port) {
        if (!sample_cast(&smp, PTC_SMP_SINT))
            return PTC_ACT_CONTINUE;
    } else if (smp.type != PTC_SMP_IPV4 && smp.type != PTC_SMP_IPV6) {
        ptc_sample v6 = smp;
        if (!sample_cast(&smp, PTC_SMP_IPV4)) {
            if (!sample_cast(&v6, PTC_SMP_IPV6))
                return PTC_ACT_CONTINUE;
            smp = v6;
        }
    }
    sockaddr_storage a{};
    socklen_t len = src ? s->cli_addrlen : stream_local_addr(s, &a);
    if (src && len)
        std::memcpy(&a, &s->cli_addr, len);
    if (!len)
        return PTC_ACT_CONTINUE; // HAProxy: no address to change
    if (st->sess) {
        if (src && !(s->fc_saved & 1)) {
            s->fc_cli_addr = s->cli_addr;
            s->fc_cli_addrlen = s->cli_addrlen;
            s->fc_saved |= 1;
        } else if (!src && !(s->fc_saved & 2)) {
            s->fc_fe_addr = s->fe_addr;
            s->fc_fe_addrlen = s->fe_addrlen;
            s->fc_saved |= 2;
        }
    }
    if (st->per_txn) {
        if (src && !(s->addr_saved & 1)) {
            s->saved_cli_addr = s->cli_addr;
            s->saved_cli_addrlen = s->cli_addrlen;
            s->addr_saved |= 1;
        } else if (!src && !(s->addr_saved & 2)) {
            s->saved_fe_addr = s->fe_addr;
            s->saved_fe_addrlen = s->fe_addrlen;
            s->addr_saved |= 2;
        }
    }
    if (port) {
        uint16_t p = htons((uint16_t)smp.u.sint);
        if (a.ss_family == AF_INET6) {
            reinterpret_cast<sockaddr_in6&>(a).sin6_port = p;
        } else {
            if (a.ss_family != AF_INET) {
                a = sockaddr_storage{};
                a.ss_family = AF_INET;
            }
            reinterpret_cast<sockaddr_in&>(a).sin_port = p;
            len = sizeof(sockaddr_in);
        }
    } else {
        uint16_t p = net_port(a);
        a = sockaddr_storage{};
        if (smp.type == PTC_SMP_IPV4) {
            auto& in = reinterpret_cast<sockaddr_in&>(a);
            in.sin_family = AF_INET;
            std::memcpy(&in.sin_addr, smp.u.ipv4, 4);
            in.sin_port = p;
            len = sizeof(sockaddr_in);
        } else {
            auto& in6 = reinterpret_cast<sockaddr_in6&>(a);
            in6.sin6_family = AF_INET6;
            std::memcpy(&in6.sin6_addr, smp.u.ipv6, 16);
            in6.sin6_port = p;
            len = sizeof(sockaddr_in6);
        }
    }
    if (src) {
        s->cli_addr = a;
        s->cli_addrlen = len;
    } else {
        s->fe_addr = a;
        s->fe_addrlen = len;
    }
    return PTC_ACT_CONTINUE;
}

// silent-drop (tcp-request connection|content, tcp-response content): the client's
// connection disappears without a FIN or RST reaching it (PTC_CLOSE_SILENT), the rules stop
// as with "reject".
int act_silent_drop_exec(ptc_stream* s, void*)
{
    host_stream_close(s, PTC_CLOSE_SILENT);
    return PTC_ACT_DONE;
}

// set-priority-class <expr> / set-priority-offset <expr> (tcp-request content, http-request):
// where the transaction waits in a backend queue (lb/queue.cpp); the integer is clamped to
// -2047..2047 (class) or -524287..524287 (offset, ms), as HAProxy 2.6. For this transaction.
struct prio_state {
    ptc_expr* e = nullptr;
    bool offset = false;
};
std::deque<prio_state> g_prios;

template <uint32_t RS>
int act_prio_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    prio_state st;
    st.offset = w == "set-priority-offset";
    if (first >= ctx->argc || word(ctx, first) == "if" || word(ctx, first) == "unless")
        return cfg_err(ctx, "'" + w + "' expects a sample expression");
    std::string err, text = word(ctx, first);
    st.e = expr_parse(ctx, text, nullptr, 0, ruleset_use(RS), err);
    if (!st.e)
        return err.empty() ? PTC_ERROR : cfg_err(ctx, "'" + w + " " + text + "': " + err);
    if (!cast_exists(expr_type(st.e), PTC_SMP_SINT))
        return cfg_err(ctx, "'" + w + " " + text + "': the expression's result cannot be "
                                "converted to an integer");
    g_prios.push_back(st);
    *state = &g_prios.back();
    *next = first + 1;
    return PTC_OK;
}

int act_prio_exec(ptc_stream* ps, void* state)
{
    auto* st = static_cast<prio_state*>(state);
    stream* s = reinterpret_cast<stream*>(ps);
    ptc_sample smp{};
    if (!expr_eval(ps, st->e, &smp) || !sample_cast(&smp, PTC_SMP_SINT))
        return PTC_ACT_CONTINUE;
    const int64_t lim = st->offset ? 524287 : 2047;
    int64_t v = std::clamp<int64_t>(smp.u.sint, -lim, lim);
    if (st->offset)
        s->prio_offset = (int32_t)v;
    else
        s->prio_class = (int16_t)v;
    return PTC_ACT_CONTINUE;
}

// set-timeout server|tunnel <timeout>|<expr> (http-request, proxies with a backend): the
// server or tunnel timeout of this transaction (HAProxy 2.6; "client" came later). A constant
// must not be 0; an expression's integer is in ms, and no sample, 0 or less keep the
// backend's value.
struct settmo_state {
    ptc_expr* e = nullptr;
    uint64_t ms = 0;
    bool tunnel = false;
};
std::deque<settmo_state> g_settmos;

int act_settmo_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    if (first + 1 >= ctx->argc)
        return cfg_err(ctx, "'set-timeout' expects exactly 2 arguments");
    const proxy* px = to_proxy(ctx->proxy);
    if (px && ctx->section != PTC_SEC_DEFAULTS && !(px->cap & CAP_BE))
        return cfg_err(ctx, "'set-timeout': proxy '" + px->name + "' has no backend capability");
    settmo_state st;
    std::string which = word(ctx, first), v = word(ctx, first + 1);
    if (which == "tunnel")
        st.tunnel = true;
    else if (which != "server")
        return cfg_err(ctx, "'set-timeout' rule supports 'server'/'tunnel' (got '" + which + "')");
    uint64_t ms = 0;
    if (!v.empty() && v[0] >= '0' && v[0] <= '9' && cfg::parse_time_ms(v, ms)) {
        if (!ms)
            return cfg_err(ctx, "null value is not valid for a 'set-timeout " + which + "' rule");
        if (ms > 2147483647)
            return cfg_err(ctx, "timer overflow in argument '" + v + "' to rule 'set-timeout " +
                                    which + "' (maximum value is 2147483647 ms or ~24.8 days)");
        st.ms = ms;
    } else {
        std::string err;
        st.e = expr_parse(ctx, v, nullptr, 0, ruleset_use(PTC_RULES_HTTP_REQ), err);
        if (!st.e)
            return err.empty() ? PTC_ERROR
                               : cfg_err(ctx, "'set-timeout " + which + " " + v + "': " + err);
        if (!cast_exists(expr_type(st.e), PTC_SMP_SINT))
            return cfg_err(ctx, "'set-timeout " + which + " " + v + "': the expression's "
                                "result cannot be converted to an integer");
    }
    g_settmos.push_back(st);
    *state = &g_settmos.back();
    *next = first + 2;
    return PTC_OK;
}

int act_settmo_exec(ptc_stream* ps, void* state)
{
    auto* st = static_cast<settmo_state*>(state);
    stream* s = reinterpret_cast<stream*>(ps);
    uint64_t ms = st->ms;
    if (st->e) {
        ptc_sample smp{};
        if (!expr_eval(ps, st->e, &smp) || !sample_cast(&smp, PTC_SMP_SINT))
            return PTC_ACT_CONTINUE;
        ms = smp.u.sint > 0 ? (uint64_t)std::min<int64_t>(smp.u.sint, 2147483647) : 0;
    }
    (st->tunnel ? s->tmo_set_tunnel : s->tmo_set_server) = ms;
    return PTC_ACT_CONTINUE;
}

// accept / reject (tcp-request connection|content): no argument.
int act_noarg_parse(const ptc_kw_ctx*, uint32_t first, uint32_t* next, void** state)
{
    *next = first;
    *state = nullptr;
    return PTC_OK;
}
int act_accept_exec(ptc_stream*, void*) { return PTC_ACT_STOP; }
int act_reject_exec(ptc_stream*, void*) { return PTC_ACT_DONE; }

#define TCP_ACTIONS(rs)                                                                         \
    {rs, "accept", act_noarg_parse, act_accept_exec, "accept"},                                 \
    {rs, "reject", act_noarg_parse, act_reject_exec, "reject"},                                 \
    {rs, "silent-drop", act_noarg_parse, act_silent_drop_exec, "silent-drop"}

#define SOCKOPT_ACTIONS(rs)                                                                     \
    {rs, "set-mark", act_sockopt_parse, act_sockopt_exec, "set-mark <mark>"},                   \
    {rs, "set-tos", act_sockopt_parse, act_sockopt_exec, "set-tos <tos>"}

#define ADDR_ACTIONS(rs)                                                                        \
    {rs, "set-src", act_addr_parse<rs>, act_addr_exec, "set-src <expr>"},                       \
    {rs, "set-dst", act_addr_parse<rs>, act_addr_exec, "set-dst <expr>"},                       \
    {rs, "set-src-port", act_addr_parse<rs>, act_addr_exec, "set-src-port <expr>"},             \
    {rs, "set-dst-port", act_addr_parse<rs>, act_addr_exec, "set-dst-port <expr>"}

#define PRIO_ACTIONS(rs)                                                                        \
    {rs, "set-priority-class", act_prio_parse<rs>, act_prio_exec, "set-priority-class <expr>"}, \
    {rs, "set-priority-offset", act_prio_parse<rs>, act_prio_exec, "set-priority-offset <expr>"}

#define VAR_ACTIONS(rs)                                                                         \
    {rs, "set-var", act_setvar_parse<rs>, act_setvar_exec,                                      \
     "set-var(<var-name>[,<cond>...]) <expr>"},                                                 \
    {rs, "set-var-fmt", act_setvar_parse<rs>, act_setvar_exec,                                  \
     "set-var-fmt(<var-name>[,<cond>...]) <fmt>"},                                              \
    {rs, "unset-var", act_unsetvar_parse, act_unsetvar_exec, "unset-var(<var-name>)"}

} // namespace

// ---- set-map / del-map / add-acl / del-acl ---------------------------------------------------

namespace {

struct patact_state {
    std::string file;
    op o;
    ptc_logfmt* key = nullptr;
    ptc_logfmt* val = nullptr;
    pat_ref* ref = nullptr;            // resolved at first use (the users may come later)
};
std::deque<patact_state> g_patacts;
std::vector<char> g_patact_buf[2];

int act_patref_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = word(ctx, first - 1);
    size_t o = w.find('(');
    std::string kw = w.substr(0, o);
    if (o == std::string::npos || w.back() != ')' || o + 2 >= w.size())
        return cfg_err(ctx, "'" + kw + "' expects a file name in parentheses, e.g. '" + kw +
                                "(/etc/haproxy/file.map)'");
    patact_state st;
    st.file = w.substr(o + 1, w.size() - o - 2);
    st.o = kw == "set-map" ? op::set_or_add : kw == "add-acl" ? op::add_absent : op::del_key;
    const uint32_t want = kw == "set-map" ? 2 : 1;
    for (uint32_t k = 0; k < want; k++)
        if (first + k >= ctx->argc || word(ctx, first + k) == "if" ||
            word(ctx, first + k) == "unless")
            return cfg_err(ctx, "'" + kw + "' expects " +
                                    (want == 2 ? "a key and a value (log-format strings)"
                                               : "a key (a log-format string)"));
    st.key = host_logfmt_compile(ctx, ptc_str{ctx->args[first].ptr, ctx->args[first].len});
    if (!st.key)
        return PTC_ERROR;
    if (want == 2) {
        st.val = host_logfmt_compile(ctx, ptc_str{ctx->args[first + 1].ptr,
                                                  ctx->args[first + 1].len});
        if (!st.val)
            return PTC_ERROR;
    }
    size_t cap = g_config ? g_config->global.bufsize : 16384;
    for (auto& b : g_patact_buf)
        if (b.size() < cap)
            b.resize(cap);
    g_patacts.push_back(st);
    *state = &g_patacts.back();
    *next = first + want;
    return PTC_OK;
}

int act_patref_exec(ptc_stream* s, void* state)
{
    auto* st = static_cast<patact_state*>(state);
    if (!st->ref)
        st->ref = patref_find_file(st->file);
    if (!st->ref)
        return PTC_ACT_CONTINUE; // no map or ACL uses the file
    size_t kn = host_logfmt_eval(s, st->key, g_patact_buf[0].data(), g_patact_buf[0].size());
    size_t vn = st->val ? host_logfmt_eval(s, st->val, g_patact_buf[1].data(),
                                           g_patact_buf[1].size())
                        : 0;
    patref_change(st->ref, st->o, std::string_view(g_patact_buf[0].data(), kn),
                  std::string_view(g_patact_buf[1].data(), vn));
    return PTC_ACT_CONTINUE;
}

} // namespace

#define PATREF_ACTIONS(rs)                                                                      \
    {rs, "set-map", act_patref_parse, act_patref_exec, "set-map(<file>) <key fmt> <value fmt>"}, \
    {rs, "del-map", act_patref_parse, act_patref_exec, "del-map(<file>) <key fmt>"},            \
    {rs, "add-acl", act_patref_parse, act_patref_exec, "add-acl(<file>) <key fmt>"},            \
    {rs, "del-acl", act_patref_parse, act_patref_exec, "del-acl(<file>) <key fmt>"}

// ---- global set-var / set-var-fmt ----------------------------------------------------------

namespace {

// Fetches that need no connection: the only ones a global section may use (HAProxy
// evaluates them there with neither session nor stream).
bool global_fetch_ok(const ptc_expr* e)
{
    static const char* const ok[] = {"int", "str", "bool", "ipv4", "ipv6", "bin", "meth", "env",
                                     "var", "always_true", "always_false", "date", "date_us",
                                     "rand", "uuid", "hostname", "nbproc", "stopping", nullptr};
    for (const char* const* n = ok; *n; n++)
        if (e->fetch && std::strcmp(e->fetch->name, *n) == 0)
            return true;
    return false;
}

ptc_expr* global_expr(const ptc_kw_ctx* ctx, const std::string& text, std::string& err)
{
    ptc_expr* e = expr_parse(ctx, text, nullptr, 0, PTC_USE_L4, err);
    if (!e)
        return nullptr;
    if (!global_fetch_ok(e)) {
        err = "fetch method '" + std::string(e->fetch ? e->fetch->name : "?") +
              "' needs a connection, it cannot be used in the global section";
        return nullptr;
    }
    return e;
}

} // namespace

int conv_setvar_check(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    return conv_setvar_check_impl(ctx, args, nargs, false);
}

int conv_unsetvar_check(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    return conv_setvar_check_impl(ctx, args, nargs, true);
}

int conv_setvar(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* smp)
{
    setvar_cond(s, static_cast<const setvar_state*>(args[0].data), smp);
    return 1;
}

int conv_unsetvar(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample*)
{
    var_unset(s, static_cast<const setvar_state*>(args[0].data)->v);
    return 1;
}

namespace {

// The value of a global "set-var"/"set-var-fmt" or of the runtime API's "set var": an
// expression or a format evaluated without a connection. False with <err> (empty when the
// parser reported the problem itself); <storage> holds a format's bytes.
bool global_value(const ptc_kw_ctx* ctx, bool fmt, const std::string& text, ptc_sample& smp,
                  std::string& storage, std::string& err)
{
    scratch_init();
    smp = ptc_sample{};
    if (!fmt) {
        ptc_expr* e = global_expr(ctx, text, err);
        if (!e)
            return false;
        if (!expr_eval(nullptr, e, &smp)) {
            err = "the expression '" + text + "' gives no value";
            return false;
        }
        return true;
    }
    std::string& out = storage;
    out.clear();
    // only literal text and "%[expr]" mean something without a connection
    for (size_t i = 0; i < text.size();) {
        if (text[i] != '%') {
            out += text[i++];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '%') {
            out += '%';
            i += 2;
            continue;
        }
        if (i + 1 >= text.size() || text[i + 1] != '[') {
            err = "only '%[expression]' and '%%' may be used in a format without a connection";
            return false;
        }
        size_t used = 0;
        ptc_expr* e = expr_parse(ctx, std::string_view(text).substr(i + 2), &used, ']',
                                 PTC_USE_L4, err);
        if (e && !global_fetch_ok(e)) {
            err = "fetch method '" + std::string(e->fetch->name) +
                  "' needs a connection, it cannot be used in the global section";
            e = nullptr;
        }
        if (!e)
            return false;
        if (i + 2 + used >= text.size() || text[i + 2 + used] != ']') {
            err = "missing ']' in '" + text + "'";
            return false;
        }
        ptc_sample r{};
        ptc_str str;
        if (expr_eval(nullptr, e, &r) && sample_to_str(&r, &str))
            out.append(str.ptr, str.len);
        i += 2 + used + 1;
    }
    smp.type = PTC_SMP_STR;
    smp.u.str = ptc_str{out.data(), out.size()};
    return true;
}

} // namespace

// set-var <var-name> <expr> / set-var-fmt <var-name> <fmt> in the global section: a "proc."
// variable set while the configuration is read (each worker starts with it).
int parse_global_setvar(const ptc_kw_ctx* ctx)
{
    const std::string kw = word(ctx, 0);
    const bool fmt = kw == "set-var-fmt";
    if (ctx->argc != 3)
        return cfg_err(ctx, "'" + kw + "' expects a variable name and " +
                                (fmt ? "a format string" : "a sample expression"));
    const std::string name = word(ctx, 1), text = word(ctx, 2);
    var_ref v;
    std::string err;
    if (!var_parse(name, v, err))
        return cfg_err(ctx, "'" + kw + "': " + err);
    if (v.scope != VS_PROC)
        return cfg_err(ctx, "'" + kw + " " + name + "': only 'proc.' variables may be set in "
                                                  "the global section");
    ptc_sample smp{};
    std::string storage;
    if (!global_value(ctx, fmt, text, smp, storage, err))
        return err.empty() ? PTC_ERROR : cfg_err(ctx, "'" + kw + " " + name + "': " + err);
    if (!var_set(nullptr, v, &smp))
        return cfg_err(ctx, "'" + kw + " " + name + "': out of memory");
    return PTC_OK;
}

// The runtime API's "set var <name> [expr|fmt] <value>" (in the master: the value goes to
// the shared "proc." variables every worker reads). Returns the error message, or "".
std::string cli_set_var(const std::string& name, bool fmt, const std::string& text)
{
    var_ref v;
    std::string err;
    if (!var_parse(name, v, err))
        return err + ".\n";
    if (v.scope != VS_PROC)
        return "'set var': cannot set variable '" + name +
               "', only scope 'proc' is permitted here.\n";
    ptc_str args[3] = {{"set", 3}, {"var", 3}, {name.data(), name.size()}};
    ptc_kw_ctx ctx{};
    ctx.size = sizeof(ctx);
    ctx.section = PTC_SEC_GLOBAL;
    ctx.file = "CLI";
    ctx.argc = 3;
    ctx.args = args;
    ctx.kw_words = 2;
    ptc_sample smp{};
    std::string storage;
    struct release {
        size_t mark = expr_mark();
        ~release() { expr_release_to(mark); }
    } parsed; // what this command parses is freed once it is done
    if (!global_value(&ctx, fmt, text, smp, storage, err))
        return "'set var " + name + "': " +
               (err.empty() ? std::string("invalid ") + (fmt ? "format" : "expression") + " '" +
                                  text + "'"
                            : err) +
               ".\n";
    if (!var_set(nullptr, v, &smp))
        return "'set var " + name + "': no room left for another variable.\n";
    return "";
}

// "get var <name>": "proc.x: type=sint value=<5>", HAProxy's format.
std::string cli_get_var(const std::string& name)
{
    var_ref v;
    ptc_sample smp{};
    if (!var_lookup(name, v) || v.scope != VS_PROC || !var_get(nullptr, v, &smp))
        return "Variable not found.\n";
    static const char* const types[] = {"any", "bool", "sint", "ipv4", "ipv6", "str", "bin",
                                        "meth"}; // PTC_SMP_* order
    std::string o = name + ": type=" + (smp.type < 8 ? types[smp.type] : "any") + " value=";
    ptc_str str;
    scratch_init();
    if (smp.type == PTC_SMP_ANY || !sample_to_str(&smp, &str))
        return o + "(undisplayable)"; // no LF: HAProxy's answer ends with the CLI's own
    o += '<';
    for (size_t i = 0; i < str.len; i++) {
        unsigned char c = (unsigned char)str.ptr[i];
        o += (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    return o + ">";
}

const ptc_action k_core_actions[] = {
    TCP_ACTIONS(PTC_RULES_TCP_REQ_CONN),    TCP_ACTIONS(PTC_RULES_TCP_REQ_CONTENT),
    TCP_ACTIONS(PTC_RULES_TCP_RES_CONTENT), TCP_ACTIONS(PTC_RULES_TCP_REQ_SESS),
    VAR_ACTIONS(PTC_RULES_TCP_REQ_SESS),    SOCKOPT_ACTIONS(PTC_RULES_TCP_REQ_SESS),
    ADDR_ACTIONS(PTC_RULES_TCP_REQ_SESS),
    VAR_ACTIONS(PTC_RULES_TCP_REQ_CONN),    VAR_ACTIONS(PTC_RULES_TCP_REQ_CONTENT),
    VAR_ACTIONS(PTC_RULES_TCP_RES_CONTENT), VAR_ACTIONS(PTC_RULES_HTTP_REQ),
    VAR_ACTIONS(PTC_RULES_HTTP_RES),        VAR_ACTIONS(PTC_RULES_HTTP_AFTER_RES),
    SOCKOPT_ACTIONS(PTC_RULES_TCP_REQ_CONN), SOCKOPT_ACTIONS(PTC_RULES_TCP_REQ_CONTENT),
    SOCKOPT_ACTIONS(PTC_RULES_TCP_RES_CONTENT), SOCKOPT_ACTIONS(PTC_RULES_HTTP_REQ),
    SOCKOPT_ACTIONS(PTC_RULES_HTTP_RES),
    ADDR_ACTIONS(PTC_RULES_TCP_REQ_CONN),   ADDR_ACTIONS(PTC_RULES_TCP_REQ_CONTENT),
    ADDR_ACTIONS(PTC_RULES_HTTP_REQ),
    PRIO_ACTIONS(PTC_RULES_TCP_REQ_CONTENT), PRIO_ACTIONS(PTC_RULES_HTTP_REQ),
    {PTC_RULES_HTTP_REQ, "set-timeout", act_settmo_parse, act_settmo_exec,
     "set-timeout server|tunnel <timeout>|<expr>"},
    PATREF_ACTIONS(PTC_RULES_HTTP_REQ),     PATREF_ACTIONS(PTC_RULES_HTTP_RES),
};
const uint32_t k_core_action_count = sizeof(k_core_actions) / sizeof(k_core_actions[0]);

// The end of an HTTP transaction: the addresses "tcp-request content" / "http-request"
// set-src and friends changed for it go back to the connection's, the queue priority and
// the per-transaction counters to their defaults (HAProxy 2.6 gives each request a stream
// of its own).
void txn_stream_reset(ptc_stream* ps)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (s->addr_saved & 1) {
        s->cli_addr = s->saved_cli_addr;
        s->cli_addrlen = s->saved_cli_addrlen;
    }
    if (s->addr_saved & 2) {
        s->fe_addr = s->saved_fe_addr;
        s->fe_addrlen = s->saved_fe_addrlen;
    }
    s->addr_saved = 0;
    s->prio_class = 0;
    s->prio_offset = 0;
    s->tmo_set_server = 0;
    s->tmo_set_tunnel = 0;
    s->be_rate_counted = false;
    // the next request selects its backend again: its rules, the BACKEND hooks (persistence
    // cookies) run anew; s->be stays (the idle server connection is the old backend's)
    s->be_selected = false;
    s->calls = 0;
}

} // namespace smp
} // namespace portico
