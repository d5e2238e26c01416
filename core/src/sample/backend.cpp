// SPDX-License-Identifier: MIT
// use_backend rules: static names with if/unless conditions, and dynamic names built from
// "%[expr]" templates, looked up at run time.
#include <cstring>
#include <deque>

#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample_int.hpp"
#include "proxy/cfg_ctx.hpp"

namespace portico {
namespace smp {

namespace {

// A dynamic backend name: literal parts and expressions, in order.
struct name_tpl {
    struct part {
        std::string lit;
        ptc_expr* e = nullptr;
    };
    std::vector<part> parts;
};
std::deque<name_tpl> g_tpls;

const auto word = kw_word;

const auto cfg_err = kw_error;

bool parse_tpl(const ptc_kw_ctx* ctx, const std::string& t, name_tpl& out, std::string& err)
{
    std::string lit;
    for (size_t i = 0; i < t.size(); i++) {
        if (t[i] != '%') {
            lit += t[i];
            continue;
        }
        if (i + 1 < t.size() && t[i + 1] == '%') {
            lit += '%';
            i++;
            continue;
        }
        if (i + 1 >= t.size() || t[i + 1] != '[') {
            err = "only '%[<expr>]' and '%%' are supported in dynamic backend names";
            return false;
        }
        if (!lit.empty()) {
            out.parts.push_back({lit, nullptr});
            lit.clear();
        }
        size_t used = 0;
        std::string_view rest = std::string_view(t).substr(i + 2);
        ptc_expr* e = expr_parse(ctx, rest, &used, ']', PTC_USE_L4 | PTC_USE_HTTP_REQ, err);
        if (!e)
            return false;
        if (used >= rest.size()) {
            err = "missing ']' after '%[" + std::string(rest) + "'";
            return false;
        }
        out.parts.push_back({"", e});
        i += 2 + used; // at ']'
    }
    if (!lit.empty())
        out.parts.push_back({lit, nullptr});
    return true;
}

} // namespace

int parse_use_backend(const ptc_kw_ctx* ctx)
{
    proxy& p = *to_proxy(ctx->proxy);
    std::string name = word(ctx, ctx->kw_words);
    if (name == "if" || name == "unless")
        return cfg_err(ctx, "'use_backend' expects a backend name before '" + name + "'");
    proxy::use_backend_rule r;
    r.name = name;
    r.file = ctx->file;
    r.line = (int)ctx->line;
    uint32_t next = ctx->kw_words + 1;
    if (next < ctx->argc) {
        std::string w = word(ctx, next);
        if (w != "if" && w != "unless")
            return cfg_err(ctx, "'use_backend " + name + "': unexpected word '" + w +
                                    "' (expected 'if' or 'unless')");
        std::string err;
        r.cond = cond_parse(ctx, next, nullptr, PTC_USE_L4 | PTC_USE_HTTP_REQ, err);
        if (!r.cond)
            return err.empty() ? PTC_ERROR : cfg_err(ctx, "'use_backend " + name + "': " + err);
    }
    if (name.find('%') != std::string::npos) {
        g_tpls.emplace_back();
        std::string err;
        if (!parse_tpl(ctx, name, g_tpls.back(), err))
            return err.empty() ? PTC_ERROR
                               : cfg_err(ctx, "'use_backend " + name + "': " + err);
        r.dyn = name;
        r.dyn_fmt = &g_tpls.back();
    }
    p.use_backend.push_back(r);
    return PTC_OK;
}

proxy* select_backend(ptc_stream* s, proxy* fe)
{
    for (auto& r : fe->use_backend) {
        if (r.cond && cond_eval(s, r.cond) != COND_TRUE)
            continue;
        if (!r.dyn_fmt)
            return r.target;
        // build the name, then look it up among the backends
        char name[256];
        size_t n = 0;
        bool ok = true;
        for (auto& part : static_cast<const name_tpl*>(r.dyn_fmt)->parts) {
            ptc_str t;
            if (part.e) {
                ptc_sample smp;
                if (!expr_eval(s, part.e, &smp) || !sample_to_str(&smp, &t))
                    continue; // an absent sample contributes nothing, as in log formats
            } else {
                t = ptc_str{part.lit.data(), part.lit.size()};
            }
            if (n + t.len > sizeof(name)) {
                ok = false;
                break;
            }
            std::memcpy(name + n, t.ptr, t.len);
            n += t.len;
        }
        if (!ok || !g_config)
            return nullptr;
        std::string_view want(name, n);
        for (auto& p : g_config->proxies)
            if ((p->cap & CAP_BE) && p->name == want)
                return p->mode == fe->mode ? p.get() : nullptr;
        return nullptr; // unknown name: default_backend applies, no other rule
    }
    return nullptr;
}

} // namespace smp
} // namespace portico
