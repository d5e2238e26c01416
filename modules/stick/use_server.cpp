// SPDX-License-Identifier: MIT
// "use-server <server> {if|unless} <cond>" (HAProxy 2.6): the first rule of the backend
// whose condition holds names the server, before cookies and stick tables (their
// processing still runs, but does not choose). A server that is down (or in maintenance)
// is skipped, and the next rules tried, unless "option persist" or a "force-persist" rule
// applies. <server> may be a log-format ("srv%[req.hdr(x)]"): a name that matches no server
// ends the rules (load balancing decides). Servers named statically must exist (checked
// once the configuration is read) and cannot be deleted at run time ("del server").
#include <string>
#include <string_view>
#include <vector>

#include "stick_int.hpp"

namespace stick {

namespace {

struct use_server_rule {
    const ptc_proxy* px;
    std::string name;              // as written
    const ptc_logfmt* fmt;         // a dynamic name (log-format), or NULL
    ptc_cond* cond;
    ptc_server* srv = nullptr;     // a static name, resolved by use_server_post_config
    std::string file;
    uint32_t line;
};
std::vector<use_server_rule> g_rules;

std::string_view word(const ptc_kw_ctx* ctx, uint32_t i)
{
    return std::string_view(ctx->args[i].ptr, ctx->args[i].len);
}

} // namespace

int parse_use_server(const ptc_kw_ctx* ctx)
{
    uint32_t i = ctx->kw_words;
    if (i >= ctx->argc)
        return host->cfg_errorf(ctx, "'use-server' requires a server name.");
    std::string_view name = word(ctx, i);
    if (i + 1 >= ctx->argc || (word(ctx, i + 1) != "if" && word(ctx, i + 1) != "unless"))
        return host->cfg_errorf(ctx, "'use-server' requires either 'if' or 'unless' followed "
                                     "by a condition.");
    if (!PTC_HOST_HAS(host, cond_eval))
        return host->cfg_errorf(ctx, "'use-server' needs ABI 1.10.");
    use_server_rule r{ctx->proxy, std::string(name), nullptr, nullptr, nullptr,
                      ctx->file ? ctx->file : "", ctx->line};
    if (name.find('%') != std::string_view::npos) {
        r.fmt = host->logfmt_compile(ctx, ctx->args[i]);
        if (!r.fmt)
            return PTC_ERROR;
    }
    r.cond = host->cond_compile(ctx, i + 1, PTC_USE_L4 | PTC_USE_HTTP_REQ);
    if (!r.cond)
        return PTC_ERROR;
    g_rules.push_back(std::move(r));
    return PTC_OK;
}

int use_server_post_config(ptc_modref* self)
{
    bool ok = true;
    for (use_server_rule& r : g_rules) {
        if (r.fmt)
            continue;
        ptc_str bn = host->proxy_name(r.px);
        r.srv = host->server_find(bn, ptc_str{r.name.data(), r.name.size()});
        if (!r.srv) {
            host->errorf(self, "%s:%u: backend '%.*s' : unable to find server '%s' referenced "
                               "in a 'use-server' rule.", r.file.c_str(), r.line,
                         (int)bn.len, bn.ptr, r.name.c_str());
            ok = false;
            continue;
        }
        if (PTC_HOST_HAS(host, server_pin))
            host->server_pin(r.srv); // "del server" refuses it, as HAProxy does
    }
    return ok ? PTC_OK : PTC_ERROR;
}

ptc_server* use_server_choice(ptc_stream* s, const px_conf* pc)
{
    if (g_rules.empty())
        return nullptr;
    const ptc_proxy* be = host->stream_backend(s);
    for (const use_server_rule& r : g_rules) {
        if (r.px != be || !host->cond_eval(s, r.cond))
            continue;
        ptc_server* srv = r.srv;
        if (r.fmt) {
            char name[256];
            size_t n = host->logfmt_eval(s, r.fmt, name, sizeof(name));
            ptc_str bn = host->proxy_name(be);
            srv = n < sizeof(name) ? host->server_find(bn, ptc_str{name, n}) : nullptr;
            if (!srv)
                return nullptr; // no server of that name: no other rule, balancing decides
        }
        uint32_t st = host->server_state(srv);
        bool stopped = !(st & PTC_SRV_ST_UP) || (st & PTC_SRV_ST_MAINT);
        const stream_st* ss = state_of(s);
        if (!stopped || (pc && pc->persist) || (ss && ss->force_prst))
            return srv;
        // down: the next rules may name a server that is up
    }
    return nullptr;
}

} // namespace stick
