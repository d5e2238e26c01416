// SPDX-License-Identifier: MIT
// Sample expressions: fetch/converter lookup, argument syntax, casts between sample types,
// evaluation and the rotating scratch buffers.
#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "cfg/registry.hpp"
#include "module/module.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample_host.hpp"
#include "sample/registry.hpp"
#include "sample/sample_int.hpp"

namespace portico {
namespace smp {

namespace {

std::deque<std::string> g_strings;          // config-lifetime strings
std::deque<std::unique_ptr<ptc_arg[]>> g_argv;
std::deque<std::unique_ptr<ptc_expr>> g_exprs;
std::string* g_capture;                      // arg_error destination while parsing

char* g_scr[2];
size_t g_scr_cap;
unsigned g_scr_idx;

bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

} // namespace

const ptc_fetch* find_fetch(std::string_view name)
{
    const fetch_entry* e = find_fetch_entry(name);
    return e ? &e->f : nullptr;
}

const ptc_conv* find_conv(std::string_view name)
{
    const conv_entry* e = find_conv_entry(name);
    return e ? &e->c : nullptr;
}

const char* keep_str(std::string_view s)
{
    g_strings.emplace_back(s);
    return g_strings.back().c_str();
}

ptc_arg* keep_args(size_t n)
{
    g_argv.push_back(std::make_unique<ptc_arg[]>(n ? n : 1));
    return g_argv.back().get();
}

int arg_error(const ptc_kw_ctx* ctx, const std::string& msg)
{
    if (g_capture) {
        if (g_capture->empty())
            *g_capture = msg;
        return PTC_ERROR;
    }
    if (g_cfg_ctx && ctx)
        g_cfg_ctx->error_at(ctx->file ? ctx->file : "", (int)ctx->line, msg);
    return PTC_ERROR;
}

// The characters a backslash escapes in a sample argument (HAProxy's make_arg_list).
static bool arg_escape(char n)
{
    return n == '\\' || n == '\'' || n == '"' || n == ' ' || n == 'r' || n == 'n' || n == 't';
}

bool split_args(std::string_view in, std::vector<std::string>& out, std::string& err)
{
    out.clear();
    if (in.empty())
        return true;
    std::string cur;
    char q = 0;
    for (size_t i = 0; i < in.size(); i++) {
        char c = in[i];
        if (q == '\'') {
            if (c == '\'')
                q = 0;
            else
                cur += c;
            continue;
        }
        if (c == '\\' && i + 1 < in.size()) {
            // HAProxy's escapes: \\ \' \" and \<space> give the character, \r \n \t the
            // control character; a backslash before anything else stays
            char n = in[i + 1];
            if (arg_escape(n)) {
                i++;
                cur += n == 'r' ? '\r' : n == 'n' ? '\n' : n == 't' ? '\t' : n;
            } else {
                cur += c;
            }
            continue;
        }
        if (q == '"') {
            if (c == '"')
                q = 0;
            else
                cur += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            q = c;
            continue;
        }
        if (c == ',') {
            out.push_back(cur);
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (q) {
        err = std::string("unterminated ") + (q == '"' ? "double" : "single") + " quote";
        return false;
    }
    out.push_back(cur);
    return true;
}

// ---- scratch -------------------------------------------------------------------------------

void scratch_init()
{
    size_t want = g_config ? g_config->global.bufsize : 16384;
    if (want < 1024)
        want = 1024;
    if (g_scr_cap >= want)
        return;
    for (char*& b : g_scr) {
        std::free(b);
        b = static_cast<char*>(std::malloc(want));
        if (!b)
            throw std::bad_alloc();
    }
    g_scr_cap = want;
}

char* scratch(size_t* cap)
{
    if (!g_scr[0])
        scratch_init();
    g_scr_idx ^= 1;
    *cap = g_scr_cap;
    return g_scr[g_scr_idx];
}

// ---- casts ---------------------------------------------------------------------------------

const char* type_name(uint32_t t)
{
    switch (t) {
    case PTC_SMP_ANY:
        return "any";
    case PTC_SMP_BOOL:
        return "bool";
    case PTC_SMP_SINT:
        return "sint";
    case PTC_SMP_IPV4:
        return "ipv4";
    case PTC_SMP_IPV6:
        return "ipv6";
    case PTC_SMP_STR:
        return "str";
    case PTC_SMP_BIN:
        return "bin";
    case PTC_SMP_METH:
        return "meth";
    }
    return "?";
}

bool cast_exists(uint32_t from, uint32_t to)
{
    if (to == PTC_SMP_ANY || from == to || from == PTC_SMP_ANY)
        return true;
    switch (from) {
    case PTC_SMP_BOOL:
    case PTC_SMP_SINT:
        return to != PTC_SMP_METH;
    case PTC_SMP_IPV4:
        return to == PTC_SMP_SINT || to == PTC_SMP_IPV6 || to == PTC_SMP_STR || to == PTC_SMP_BIN;
    case PTC_SMP_IPV6:
        return to == PTC_SMP_IPV4 || to == PTC_SMP_STR || to == PTC_SMP_BIN;
    case PTC_SMP_STR:
        return true;
    case PTC_SMP_BIN:
        return to == PTC_SMP_STR;
    case PTC_SMP_METH:
        return to == PTC_SMP_STR || to == PTC_SMP_BIN;
    }
    return false;
}

namespace {

bool str_to_int(const char* p, size_t n, int64_t& out)
{
    if (!n)
        return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i++;
    }
    uint64_t v = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(p[i] - '0');
    out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

bool set_str_scratch(ptc_sample* smp, const char* data, size_t len, uint32_t type)
{
    size_t cap;
    char* b = scratch(&cap);
    if (len > cap)
        len = cap;
    std::memcpy(b, data, len);
    smp->type = type;
    smp->flags &= ~PTC_SMPF_CONST;
    smp->u.str = ptc_str{b, len};
    return true;
}

bool str_to_ip(ptc_sample* smp, uint32_t to)
{
    char tmp[64];
    size_t n = smp->u.str.len;
    if (n == 0 || n >= sizeof(tmp))
        return false;
    std::memcpy(tmp, smp->u.str.ptr, n);
    tmp[n] = 0;
    uint8_t a[16];
    if (inet_pton(AF_INET, tmp, a) == 1) {
        if (to == PTC_SMP_IPV4) {
            std::memcpy(smp->u.ipv4, a, 4);
            smp->type = PTC_SMP_IPV4;
        } else {
            std::memset(smp->u.ipv6, 0, 10);
            smp->u.ipv6[10] = smp->u.ipv6[11] = 0xff;
            std::memcpy(smp->u.ipv6 + 12, a, 4);
            smp->type = PTC_SMP_IPV6;
        }
        smp->flags &= ~PTC_SMPF_CONST;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, a) == 1) {
        if (to == PTC_SMP_IPV4) {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (std::memcmp(a, mapped, 12) != 0)
                return false;
            std::memcpy(smp->u.ipv4, a + 12, 4);
            smp->type = PTC_SMP_IPV4;
        } else {
            std::memcpy(smp->u.ipv6, a, 16);
            smp->type = PTC_SMP_IPV6;
        }
        smp->flags &= ~PTC_SMPF_CONST;
        return true;
    }
    return false;
}

} // namespace

bool sample_cast(ptc_sample* smp, uint32_t to)
{
    uint32_t from = smp->type;
    if (to == PTC_SMP_ANY || from == to)
        return true;
    char tmp[64];
    switch (from) {
    case PTC_SMP_BOOL:
    case PTC_SMP_SINT:
        switch (to) {
        case PTC_SMP_BOOL:
            smp->u.sint = smp->u.sint != 0;
            smp->type = to;
            return true;
        case PTC_SMP_SINT:
            smp->type = to;
            return true;
        case PTC_SMP_STR: {
            int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)smp->u.sint);
            return set_str_scratch(smp, tmp, (size_t)n, PTC_SMP_STR);
        }
        case PTC_SMP_BIN: {
            // 8 bytes, network order
            uint64_t v = (uint64_t)smp->u.sint;
            for (int i = 7; i >= 0; i--) {
                tmp[i] = (char)(v & 0xff);
                v >>= 8;
            }
            return set_str_scratch(smp, tmp, 8, PTC_SMP_BIN);
        }
        case PTC_SMP_IPV4: {
            uint32_t v = htonl((uint32_t)smp->u.sint);
            std::memcpy(smp->u.ipv4, &v, 4);
            smp->type = to;
            return true;
        }
        case PTC_SMP_IPV6: {
            uint32_t v = htonl((uint32_t)smp->u.sint);
            std::memset(smp->u.ipv6, 0, 10);
            smp->u.ipv6[10] = smp->u.ipv6[11] = 0xff;
            std::memcpy(smp->u.ipv6 + 12, &v, 4);
            smp->type = to;
            return true;
        }
        }
        return false;
    case PTC_SMP_IPV4:
        switch (to) {
        case PTC_SMP_SINT: {
            uint32_t v;
            std::memcpy(&v, smp->u.ipv4, 4);
            smp->u.sint = ntohl(v);
            smp->type = to;
            return true;
        }
        case PTC_SMP_IPV6: {
            uint8_t a[4];
            std::memcpy(a, smp->u.ipv4, 4);
            std::memset(smp->u.ipv6, 0, 10);
            smp->u.ipv6[10] = smp->u.ipv6[11] = 0xff;
            std::memcpy(smp->u.ipv6 + 12, a, 4);
            smp->type = to;
            return true;
        }
        case PTC_SMP_STR:
            if (!inet_ntop(AF_INET, smp->u.ipv4, tmp, sizeof(tmp)))
                return false;
            return set_str_scratch(smp, tmp, std::strlen(tmp), PTC_SMP_STR);
        case PTC_SMP_BIN:
            std::memcpy(tmp, smp->u.ipv4, 4);
            return set_str_scratch(smp, tmp, 4, PTC_SMP_BIN);
        }
        return false;
    case PTC_SMP_IPV6:
        switch (to) {
        case PTC_SMP_IPV4: {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (std::memcmp(smp->u.ipv6, mapped, 12) != 0)
                return false;
            uint8_t a[4];
            std::memcpy(a, smp->u.ipv6 + 12, 4);
            std::memcpy(smp->u.ipv4, a, 4);
            smp->type = to;
            return true;
        }
        case PTC_SMP_STR:
            if (!inet_ntop(AF_INET6, smp->u.ipv6, tmp, sizeof(tmp)))
                return false;
            return set_str_scratch(smp, tmp, std::strlen(tmp), PTC_SMP_STR);
        case PTC_SMP_BIN:
            std::memcpy(tmp, smp->u.ipv6, 16);
            return set_str_scratch(smp, tmp, 16, PTC_SMP_BIN);
        }
        return false;
    case PTC_SMP_STR:
        switch (to) {
        case PTC_SMP_BOOL:
        case PTC_SMP_SINT: {
            int64_t v;
            if (!str_to_int(smp->u.str.ptr, smp->u.str.len, v))
                return false;
            smp->u.sint = to == PTC_SMP_BOOL ? v != 0 : v;
            smp->type = to;
            smp->flags &= ~PTC_SMPF_CONST;
            return true;
        }
        case PTC_SMP_IPV4:
        case PTC_SMP_IPV6:
            return str_to_ip(smp, to);
        case PTC_SMP_BIN:
        case PTC_SMP_METH:
            smp->type = to;
            return true;
        }
        return false;
    case PTC_SMP_BIN:
    case PTC_SMP_METH:
        if (to == PTC_SMP_STR || (from == PTC_SMP_METH && to == PTC_SMP_BIN)) {
            // as HAProxy's bin-to-string cast, a NUL byte ends the string
            if (from == PTC_SMP_BIN && to == PTC_SMP_STR && smp->u.str.ptr)
                smp->u.str.len = strnlen(smp->u.str.ptr, smp->u.str.len);
            smp->type = to;
            return true;
        }
        return false;
    }
    return false;
}

bool sample_to_str(ptc_sample* smp, ptc_str* out)
{
    if (smp->type != PTC_SMP_STR && smp->type != PTC_SMP_METH && !sample_cast(smp, PTC_SMP_STR))
        return false;
    *out = smp->u.str;
    return true;
}

// ---- expressions -----------------------------------------------------------------------------

namespace {

// Reads "name[(args)]" at text[i]. Returns false with err.
bool read_call(std::string_view text, size_t& i, char stop, std::string& name,
               std::vector<std::string>& args, bool& has_parens, std::string& err)
{
    size_t b = i;
    while (i < text.size() && name_char(text[i]))
        i++;
    name.assign(text.substr(b, i - b));
    if (name.empty()) {
        if (i < text.size())
            err = std::string("unexpected character '") + text[i] + "'";
        else
            err = "missing fetch method or converter name";
        return false;
    }
    has_parens = false;
    args.clear();
    if (i < text.size() && text[i] == '(') {
        has_parens = true;
        size_t a = ++i;
        char q = 0;
        for (; i < text.size(); i++) {
            char c = text[i];
            if (q == '\'') {
                if (c == '\'')
                    q = 0;
                continue;
            }
            if (c == '\\') {
                if (i + 1 < text.size() && arg_escape(text[i + 1]))
                    i++;
                continue;
            }
            if (q == '"') {
                if (c == '"')
                    q = 0;
                continue;
            }
            if (c == '"' || c == '\'')
                q = c;
            else if (c == ')')
                break;
        }
        if (i >= text.size()) {
            err = "missing closing ')' after arguments to '" + name + "'";
            return false;
        }
        if (!split_args(text.substr(a, i - a), args, err)) {
            err = "in arguments to '" + name + "': " + err;
            return false;
        }
        i++; // ')'
    }
    (void)stop;
    return true;
}

bool make_args(const ptc_kw_ctx* ctx, const std::string& name, const char* what,
               const std::vector<std::string>& words, int32_t min, int32_t max,
               ptc_arg_check_fn check, ptc_arg*& out, uint32_t& n, std::string& err)
{
    if ((int32_t)words.size() < min || (max >= 0 && (int32_t)words.size() > max)) {
        char buf[160];
        if (max == 0)
            snprintf(buf, sizeof(buf), "%s '%s' takes no argument", what, name.c_str());
        else if (min == max)
            snprintf(buf, sizeof(buf), "%s '%s' expects %d argument%s, got %zu", what,
                     name.c_str(), min, min > 1 ? "s" : "", words.size());
        else if ((int32_t)words.size() < min)
            snprintf(buf, sizeof(buf), "%s '%s' expects at least %d argument%s, got %zu", what,
                     name.c_str(), min, min > 1 ? "s" : "", words.size());
        else
            snprintf(buf, sizeof(buf), "%s '%s' expects at most %d argument%s, got %zu", what,
                     name.c_str(), max, max > 1 ? "s" : "", words.size());
        err = buf;
        return false;
    }
    n = (uint32_t)words.size();
    out = keep_args(n);
    for (uint32_t k = 0; k < n; k++) {
        out[k].str = ptc_str{keep_str(words[k]), words[k].size()};
        out[k].sint = 0;
        out[k].data = nullptr;
    }
    if (check) {
        ptc_kw_ctx dummy{};
        dummy.size = sizeof(dummy);
        dummy.file = "";
        if (!ctx)
            ctx = &dummy;
        std::string captured;
        std::string* saved = g_capture;
        g_capture = &captured;
        int before = g_cfg_ctx ? g_cfg_ctx->errors : 0;
        int r = check(ctx, out, n);
        g_capture = saved;
        if (r != PTC_OK) {
            if (!captured.empty())
                err = "in " + std::string(what) + " '" + name + "': " + captured;
            else if (g_cfg_ctx && g_cfg_ctx->errors > before)
                err.clear(); // reported by the module through cfg_errorf
            else
                err = "invalid arguments to " + std::string(what) + " '" + name + "'";
            return false;
        }
    }
    return true;
}

// A fetch whose channel follows the rule's direction (payload, payload_lv): the request
// one [0] and the response one [1].
struct dir_pair {
    ptc_fetch_fn fn[2];
    ptc_fetch_priv_fn fn_priv[2];
    void* priv[2];
};
std::deque<dir_pair> g_dir_pairs; // config-lifetime, stable addresses

int dir_dispatch(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* p)
{
    const dir_pair& d = *static_cast<const dir_pair*>(p);
    int i = g_rules_response ? 1 : 0;
    return d.fn_priv[i] ? d.fn_priv[i](s, args, nargs, out, d.priv[i])
                        : d.fn[i](s, args, nargs, out);
}

const char* use_name(uint32_t use)
{
    if (use & PTC_USE_HTTP_RES)
        return "HTTP response headers";
    if (use & PTC_USE_HTTP_REQ)
        return "HTTP request headers";
    return "the connection";
}

} // namespace

ptc_expr* expr_parse(const ptc_kw_ctx* ctx, std::string_view text, size_t* used, char stop,
                     uint32_t use, std::string& err)
{
    scratch_init();
    err.clear();
    auto e = std::make_unique<ptc_expr>();
    size_t i = 0;
    std::string name;
    std::vector<std::string> args;
    bool parens;
    err = "x"; // non-empty marker, reset on success paths below
    err.clear();
    if (!read_call(text, i, stop, name, args, parens, err)) {
        if (err.empty())
            err = "missing fetch method";
        return nullptr;
    }
    const fetch_entry* fe = find_fetch_entry(name);
    // the deprecated "payload" and "payload_lv": req.* in request rules, res.* in response
    // rules, chosen at each evaluation by the direction of the running rule set (an ACL may
    // serve both), as HAProxy's sample options
    dir_pair* by_dir = nullptr;
    if (!fe && (name == "payload" || name == "payload_lv")) {
        const fetch_entry* rq = find_fetch_entry("req." + name);
        const fetch_entry* rs = find_fetch_entry("res." + name);
        if (rq && rs) {
            by_dir = &g_dir_pairs.emplace_back();
            by_dir->fn[0] = rq->f.fn;
            by_dir->fn_priv[0] = rq->fn_priv;
            by_dir->priv[0] = rq->priv;
            by_dir->fn[1] = rs->f.fn;
            by_dir->fn_priv[1] = rs->fn_priv;
            by_dir->priv[1] = rs->priv;
            fe = rq;
        }
    }
    const ptc_fetch* f = fe ? &fe->f : nullptr;
    if (!f && cfg::is_haproxy_fetch(name)) {
        err = "fetch method '" + name + "' is not supported yet by portico";
        return nullptr;
    }
    if (!f) {
        if (haproxy_has_fetch(name)) {
            err = "fetch method '" + name + "' is not supported yet by portico";
            return nullptr;
        }
        err = "unknown fetch method '" + name + "'";
        if (find_conv(name))
            err += " ('" + name + "' is a converter: it follows a fetch, after a comma)";
        return nullptr;
    }
    e->fetch = f;
    e->fn = f->fn;
    e->fn_priv = fe->fn_priv;
    e->priv = fe->priv;
    if (by_dir) {
        e->fn = nullptr;
        e->fn_priv = dir_dispatch;
        e->priv = by_dir;
    }
    // HAProxy parses a missing or empty argument list as one empty argument when the
    // keyword has a mandatory one: "str()" and "str" give the empty string, "int()" fails
    // in the argument check.
    if (args.empty() && f->min_args >= 1)
        args.emplace_back();
    if (!make_args(ctx, name, "fetch method", args, f->min_args, f->max_args, f->check, e->args,
                   e->nargs, err))
        return nullptr;
    e->use = f->use;
    e->out_type = f->out_type;
    e->out_type0 = f->out_type;
    if (use && f->use && !(f->use & use)) {
        err = "fetch method '" + name + "' extracts information from " + use_name(f->use) +
              ", none of which is available here";
        return nullptr;
    }
    while (i < text.size() && (!stop || text[i] != stop)) {
        if (text[i] != ',') {
            err = std::string("unexpected character '") + text[i] + "' after '" +
                  std::string(text.substr(0, i)) + "'";
            return nullptr;
        }
        i++;
        if (!read_call(text, i, stop, name, args, parens, err)) {
            if (err.empty())
                err = "missing converter after ','";
            return nullptr;
        }
        const conv_entry* ce = find_conv_entry(name);
        const ptc_conv* c = ce ? &ce->c : nullptr;
        if (!c && cfg::is_haproxy_converter(name)) {
            err = "converter '" + name + "' is not supported yet by portico";
            return nullptr;
        }
        if (!c) {
            err = haproxy_has_conv(name)
                      ? "converter '" + name + "' is not supported yet by portico"
                      : "unknown converter '" + name + "'";
            return nullptr;
        }
        if (c->in_type != PTC_SMP_ANY && !cast_exists(e->out_type, c->in_type)) {
            err = "converter '" + name + "' cannot be applied to a '" + type_name(e->out_type) +
                  "' sample (it expects '" + type_name(c->in_type) + "')";
            return nullptr;
        }
        ptc_expr::step st{c, c->fn, ce->fn_priv, ce->priv, c->in_type, nullptr, 0};
        if (args.empty() && c->min_args >= 1)
            args.emplace_back();
        if (!make_args(ctx, name, "converter", args, c->min_args, c->max_args, c->check, st.args,
                       st.nargs, err))
            return nullptr;
        e->convs.push_back(st);
        // a converter whose output type is only known at run time (json_query) makes the
        // expression's so, as in HAProxy (an ACL on it then needs -m)
        e->out_type = c->out_type;
    }
    if (used)
        *used = i;
    else if (i != text.size()) {
        err = "unexpected text after the expression";
        return nullptr;
    }
    e->text.assign(text.substr(0, i));
    g_exprs.push_back(std::move(e));
    return g_exprs.back().get();
}

int expr_eval(ptc_stream* s, const ptc_expr* e, ptc_sample* out)
{
    out->flags = 0;
    out->type = e->out_type0;
    if (!(e->fn_priv ? e->fn_priv(s, e->args, e->nargs, out, e->priv)
                     : e->fn(s, e->args, e->nargs, out)))
        return 0;
    // "more data may change the answer" belongs to the fetch: the converters keep it
    uint32_t may = out->flags & PTC_SMPF_MAYCHANGE;
    for (const ptc_expr::step& st : e->convs) {
        if (st.in_type != PTC_SMP_ANY && out->type != st.in_type && !sample_cast(out, st.in_type)) {
            out->flags |= may;
            return 0;
        }
        if (!(st.fn_priv ? st.fn_priv(s, st.args, st.nargs, out, st.priv)
                         : st.fn(s, st.args, st.nargs, out))) {
            out->flags |= may;
            return 0;
        }
    }
    out->flags |= may;
    return 1;
}

uint32_t expr_type(const ptc_expr* e) { return e->out_type; }
uint32_t expr_use(const ptc_expr* e) { return e->use; }

size_t expr_mark() { return g_exprs.size(); }

void expr_release_to(size_t mark)
{
    while (g_exprs.size() > mark)
        g_exprs.pop_back();
}

void strings_mark(size_t* strings, size_t* argv)
{
    *strings = g_strings.size();
    *argv = g_argv.size();
}

void strings_release_to(size_t strings, size_t argv)
{
    while (g_strings.size() > strings)
        g_strings.pop_back();
    while (g_argv.size() > argv)
        g_argv.pop_back();
}

} // namespace smp

// ---- host table ------------------------------------------------------------------------------

ptc_expr* host_expr_compile(const ptc_kw_ctx* ctx, ptc_str text)
{
    std::string err;
    ptc_expr* e = smp::expr_parse(ctx, std::string_view(text.ptr, text.len), nullptr, 0, 0, err);
    if (!e && !err.empty()) {
        std::string msg = "'" + std::string(text.ptr, text.len) + "': " + err;
        if (g_cfg_ctx && ctx)
            g_cfg_ctx->error_at(ctx->file ? ctx->file : "", (int)ctx->line, msg);
    }
    return e;
}

// ABI 1.25: a module sees PTC_SMPF_MAYCHANGE only while a rule set runs with
// PTC_RULES_PARTIAL (an action may then wait for more data: track-sc's key); elsewhere the
// answer is final (HAProxy's SMP_OPT_FINAL).
int host_expr_eval(ptc_stream* s, const ptc_expr* e, ptc_sample* out)
{
    if (!e)
        return 0;
    int r = smp::expr_eval(s, e, out);
    if (!smp::g_rules_partial)
        out->flags &= ~PTC_SMPF_MAYCHANGE;
    return r;
}

char* host_scratch(size_t* cap) { return smp::scratch(cap); }

// host->cond_compile / cond_eval (1.10): a module keyword's "if"/"unless" condition.
ptc_cond* host_cond_compile(const ptc_kw_ctx* ctx, uint32_t first, uint32_t use)
{
    std::string err;
    smp::cond* c = smp::cond_parse(ctx, first, nullptr, use, err);
    if (!c && !err.empty() && g_cfg_ctx && ctx)
        g_cfg_ctx->error_at(ctx->file ? ctx->file : "", (int)ctx->line, err);
    return reinterpret_cast<ptc_cond*>(c);
}

int host_cond_eval(ptc_stream* s, const ptc_cond* c)
{
    return c && smp::cond_eval(s, reinterpret_cast<const smp::cond*>(c)) == smp::COND_TRUE;
}

} // namespace portico
