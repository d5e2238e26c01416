// SPDX-License-Identifier: MIT
// The stick module: persistence cookies ("cookie", server "cookie", "option persist").
// Descriptor, keyword parsers and hooks table; the cookie logic is in cookie.cpp.
#include "stick_int.hpp"
#include "xxh64.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

namespace stick {

const ptc_host* host;
ptc_modref* me;

namespace {

std::string_view sv(ptc_str s) { return std::string_view(s.ptr, s.len); }

// A time in seconds ("30" = 30 s, or with a unit: "10m", "2h", "1d"), as HAProxy's cookie
// maxidle/maxlife read it. 0 ok, -1 malformed, -2 overflow, -3 below 1 s.
int parse_seconds(ptc_str a, uint32_t* out)
{
    if (!a.len)
        return -1;
    bool digits = true;
    for (size_t i = 0; i < a.len; i++)
        digits &= a.ptr[i] >= '0' && a.ptr[i] <= '9';
    uint64_t s = 0;
    if (digits) {
        for (size_t i = 0; i < a.len; i++) {
            s = s * 10 + uint64_t(a.ptr[i] - '0');
            if (s > 2147483647)
                return -2;
        }
    } else {
        uint64_t ms = 0;
        if (host->parse_time(a, &ms) != PTC_OK)
            return -1;
        if (ms && ms < 1000)
            return -3;
        s = ms / 1000;
    }
    if (s > 2147483647)
        return -2;
    *out = uint32_t(s);
    return 0;
}

// "cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve]
//  [httponly] [secure] [domain <d>]* [maxidle <t>] [maxlife <t>] [attr <v>]*"
int parse_cookie(const ptc_kw_ctx* ctx)
{
    px_conf* c = static_cast<px_conf*>(ctx->conf);
    uint32_t i = ctx->kw_words;
    if (i >= ctx->argc || !ctx->args[i].len)
        return host->cfg_errorf(ctx, "'cookie' expects <cookie_name> as argument.");
    *c = px_conf{.persist = c->persist, .table = c->table, .dynkey = c->dynkey, .dynkeylen = c->dynkeylen};
    c->ckname = host->cfg_strdup(ctx, ctx->args[i]);
    c->cklen = uint32_t(ctx->args[i].len);
    uint32_t modes = 0;
    std::string domain, attrs;
    for (i++; i < ctx->argc; i++) {
        std::string_view a = sv(ctx->args[i]);
        if (a == "rewrite") {
            c->mode = CK_RW;
            modes |= 1;
        } else if (a == "insert") {
            c->mode = CK_INS;
            modes |= 2;
        } else if (a == "prefix") {
            c->mode = CK_PFX;
            modes |= 4;
        } else if (a == "indirect") {
            c->indirect = true;
        } else if (a == "nocache") {
            c->nocache = true;
        } else if (a == "postonly") {
            c->postonly = true;
        } else if (a == "preserve") {
            c->preserve = true;
        } else if (a == "httponly") {
            c->httponly = true;
        } else if (a == "secure") {
            c->secure = true;
        } else if (a == "domain") {
            if (i + 1 >= ctx->argc || !ctx->args[i + 1].len)
                return host->cfg_errorf(ctx, "'cookie' '%.*s' expects <domain> as argument.",
                                        (int)a.size(), a.data());
            std::string_view d = sv(ctx->args[++i]);
            for (char ch : d)
                if (ch <= 32 || ch >= 127 || ch == ';' || ch == ',')
                    return host->cfg_errorf(
                        ctx, "character '%c' is not permitted in domain name '%.*s'.", ch,
                        (int)d.size(), d.data());
            if (d.find('.', 1) == std::string_view::npos)
                host->cfg_warnf(ctx,
                                "domain '%.*s' contains no embedded dot, this configuration "
                                "may not work with some browsers.",
                                (int)d.size(), d.data());
            if (!domain.empty())
                domain += "; domain=";
            domain += d;
        } else if (a == "maxidle" || a == "maxlife") {
            uint32_t* dst = a == "maxidle" ? &c->maxidle : &c->maxlife;
            if (i + 1 >= ctx->argc || !ctx->args[i + 1].len)
                return host->cfg_errorf(ctx, "'cookie' '%.*s' expects <%s> in seconds as argument.",
                                        (int)a.size(), a.data(),
                                        a == "maxidle" ? "idletime" : "lifetime");
            int r = parse_seconds(ctx->args[++i], dst);
            if (r == -2)
                return host->cfg_errorf(ctx,
                                        "timer overflow in argument <%.*s> to <%.*s>, maximum "
                                        "value is 2147483647 s (~68 years).",
                                        (int)ctx->args[i].len, ctx->args[i].ptr, (int)a.size(),
                                        a.data());
            if (r == -3)
                return host->cfg_errorf(ctx,
                                        "timer underflow in argument <%.*s> to <%.*s>, minimum "
                                        "non-null value is 1 s.",
                                        (int)ctx->args[i].len, ctx->args[i].ptr, (int)a.size(),
                                        a.data());
            if (r)
                return host->cfg_errorf(ctx, "unexpected character in argument <%.*s> to <%.*s>.",
                                        (int)ctx->args[i].len, ctx->args[i].ptr, (int)a.size(),
                                        a.data());
        } else if (a == "attr") {
            if (i + 1 >= ctx->argc || !ctx->args[i + 1].len)
                return host->cfg_errorf(ctx, "'cookie' '%.*s' expects <value> as argument.",
                                        (int)a.size(), a.data());
            std::string_view v = sv(ctx->args[++i]);
            for (char ch : v)
                if ((unsigned char)ch < 32 || ch == 127 || ch == ';')
                    return host->cfg_errorf(
                        ctx, "character '%%x%02X' is not permitted in attribute value.",
                        (unsigned char)ch);
            if (!attrs.empty())
                attrs += "; ";
            attrs += v;
        } else if (a == "dynamic") {
            c->dynamic = true;
        } else {
            return host->cfg_errorf(ctx,
                                    "'cookie' supports 'rewrite', 'insert', 'prefix', "
                                    "'indirect', 'nocache', 'postonly', 'domain', 'maxidle', "
                                    "'dynamic', 'maxlife' and 'attr' options.");
        }
    }
    if (c->mode == CK_RW && c->indirect && modes == 1)
        return host->cfg_errorf(ctx, "cookie 'rewrite' and 'indirect' modes are incompatible.");
    if (modes & (modes - 1))
        return host->cfg_errorf(ctx,
                                "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
    if (c->preserve && !(c->mode == CK_INS || c->indirect))
        return host->cfg_errorf(ctx, "cookie 'preserve' requires at least 'insert' or 'indirect'.");
    if (!domain.empty())
        c->domain = host->cfg_strdup(ctx, ptc_str{domain.data(), domain.size()});
    if (!attrs.empty())
        c->attrs = host->cfg_strdup(ctx, ptc_str{attrs.data(), attrs.size()});
    return PTC_OK;
}

// "dynamic-cookie-key <key>": the secret of the "dynamic" server cookies.
int parse_dynamic_cookie_key(const ptc_kw_ctx* ctx)
{
    px_conf* c = static_cast<px_conf*>(ctx->conf);
    ptc_str a = ctx->args[ctx->kw_words];
    if (!a.len)
        return host->cfg_errorf(ctx, "'dynamic-cookie-key' expects <key> as argument.");
    c->dynkey = host->cfg_strdup(ctx, a);
    c->dynkeylen = uint32_t(a.len);
    return PTC_OK;
}

// "option persist": a cookie designating a stopped server still goes to it.
int parse_option_persist(const ptc_kw_ctx* ctx)
{
    static_cast<px_conf*>(ctx->conf)->persist = !ctx->negated;
    return PTC_OK;
}

// server "cookie <value>"
int parse_server_cookie(const ptc_kw_ctx* ctx)
{
    srv_conf* c = static_cast<srv_conf*>(ctx->conf);
    ptc_str a = ctx->args[ctx->kw_words];
    if (!c)
        return host->cfg_errorf(ctx, "'cookie': no server to apply it to");
    if (!a.len)
        return host->cfg_errorf(ctx, "'cookie' expects <value> as argument.");
    c->cookie = host->cfg_strdup(ctx, a);
    c->cklen = uint32_t(a.len);
    return PTC_OK;
}

// "force-persist {if|unless} <cond>", "ignore-persist {if|unless} <cond>": the first
// matching rule of the backend decides, as in HAProxy.
struct persist_rule {
    const ptc_proxy* px;
    bool force;
    ptc_cond* cond;
};
std::vector<persist_rule> g_prules;

int parse_persist(const ptc_kw_ctx* ctx)
{
    std::string_view kw = sv(ctx->args[0]);
    uint32_t i = ctx->kw_words;
    if (i >= ctx->argc || (sv(ctx->args[i]) != "if" && sv(ctx->args[i]) != "unless"))
        return host->cfg_errorf(ctx, "'%.*s' requires either 'if' or 'unless' followed by a condition.",
                                (int)kw.size(), kw.data());
    if (!PTC_HOST_HAS(host, cond_eval))
        return host->cfg_errorf(ctx, "'%.*s' needs ABI 1.10.", (int)kw.size(), kw.data());
    ptc_cond* c = host->cond_compile(ctx, i, PTC_USE_L4 | PTC_USE_HTTP_REQ);
    if (!c)
        return PTC_ERROR;
    g_prules.push_back(persist_rule{ctx->proxy, kw == "force-persist", c});
    return PTC_OK;
}

constexpr uint32_t BE = PTC_SEC_DEFAULTS | PTC_SEC_BACKEND;

const ptc_keyword keywords[] = {
    {"cookie", BE, 0, 1, -1, parse_cookie,
     "cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] "
     "[httponly] [secure] [domain <d>]* [maxidle <t>] [maxlife <t>] [attr <v>]*"},
    {"dynamic-cookie-key", BE, 0, 1, 1, parse_dynamic_cookie_key,
     "dynamic-cookie-key <key>: the secret of the 'dynamic' server cookies"},
    {"option persist", BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_persist,
     "[no] option persist: a cookie naming a stopped server still goes to it"},
    {"stick-table", PTC_SEC_FRONTEND | PTC_SEC_BACKEND, 0, 1, -1, parse_stick_table_kw,
     "stick-table type ip|ipv6|integer|string [len <n>]|binary [len <n>] size <n> "
     "[expire <t>] [nopurge] [srvkey name|addr] [store <data>,...]"},
    {"stick on", PTC_SEC_BACKEND, 0, 1, -1, parse_stick_kw,
     "stick on <pattern> [table <t>] [{if|unless} <cond>]: match and store the server for <pattern>"},
    {"stick match", PTC_SEC_BACKEND, 0, 1, -1, parse_stick_kw,
     "stick match <pattern> [table <t>]: use the server stored for <pattern>"},
    {"stick store-request", PTC_SEC_BACKEND, 0, 1, -1, parse_stick_kw,
     "stick store-request <pattern> [table <t>]: store the server for <pattern>"},
    {"stick store-response", PTC_SEC_BACKEND, 0, 1, -1, parse_stick_kw,
     "stick store-response <pattern> [table <t>]: store the server for <pattern> of the response"},
    {"force-persist", PTC_SEC_BACKEND, 0, 0, -1, parse_persist,
     "force-persist {if|unless} <cond>: persistence to a stopped server when <cond>"},
    {"ignore-persist", PTC_SEC_BACKEND, 0, 0, -1, parse_persist,
     "ignore-persist {if|unless} <cond>: no cookie persistence when <cond>"},
    {"use-server", PTC_SEC_BACKEND, 0, 0, -1, parse_use_server,
     "use-server <server> {if|unless} <cond>: this server when <cond> (before persistence)"},
    {"peers", PTC_SEC_PEERS, 0, 0, -1, parse_peers_kw,
     "peers <name>: a section of peer instances sharing stick tables (peer, server)"},
    {"cookie", PTC_KW_SERVER, PTC_KWF_RUNTIME, 1, 1, parse_server_cookie,
     "cookie <value>: the persistence cookie value of this server"},
};

int hook_srv_connected(ptc_stream* s, void*, void*);

const ptc_hook hooks[] = {
    {PTC_PHASE_HTTP_REQUEST, 100, hook_http_request},
    {PTC_PHASE_BACKEND, 100, hook_backend},
    {PTC_PHASE_SERVER_CHOICE, 100, hook_server_choice},
    {PTC_PHASE_HTTP_RESPONSE, 100, hook_response},
    {PTC_PHASE_SRV_CONNECTED, 100, hook_srv_connected},
    {PTC_PHASE_CONNECTION, 100, hook_connection},
    {PTC_PHASE_CLOSE, 100, hook_close},
    {PTC_PHASE_TXN_END, 100, hook_txn_end}, // last: left out for hosts older than 1.13
};

// A new server connection (mode tcp has no response phase): store the stick keys.
int hook_srv_connected(ptc_stream* s, void*, void*)
{
    stick_store(s);
    return PTC_CONTINUE;
}

int init(ptc_modref* self)
{
    me = self;
    if (table_publish(self) != PTC_OK)
        return PTC_ERROR;
    return table_init(self);
}

// "cookie ... dynamic": every server without its own "cookie" gets HAProxy's derived
// value, XXH64(key, address, port) in hex, so that instances sharing the configuration
// (portico or HAProxy) agree on every cookie.
void set_dynamic_cookies(ptc_proxy* p, const px_conf* c)
{
    for (ptc_server* sv = host->server_next(p, nullptr); sv; sv = host->server_next(p, sv)) {
        srv_conf* sc = srv_conf_of(sv);
        struct sockaddr_storage ss;
        if (!sc || sc->cookie || !host->server_addr(sv, &ss))
            continue;
        const unsigned char* a;
        size_t al;
        uint32_t port;
        if (ss.ss_family == AF_INET) {
            auto* in = reinterpret_cast<sockaddr_in*>(&ss);
            a = reinterpret_cast<const unsigned char*>(&in->sin_addr);
            al = 4;
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
            a = reinterpret_cast<const unsigned char*>(&in6->sin6_addr);
            al = 16;
            port = ntohs(in6->sin6_port);
        } else {
            continue;
        }
        char* v = static_cast<char*>(host->alloc(17));
        dynamic_cookie(c->dynkey, c->dynkeylen, a, al, port, v);
        sc->cookie = v;
        sc->cklen = 16;
    }
}

int post_config(ptc_modref* self)
{
    g_http = static_cast<const ptc_http_api*>(host->api_lookup(PTC_HTTP_API_NAME, 1, nullptr));
    if (table_post_config(self) != PTC_OK || use_server_post_config(self) != PTC_OK)
        return PTC_ERROR;
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        px_conf* c = px_conf_of(p);
        if (!c || !c->ckname || !(host->proxy_cap(p) & PTC_SEC_BACKEND))
            continue;
        if (sv(host->proxy_mode(p)) != "http") {
            host->errorf(self, "proxy '%.*s': 'cookie' needs 'mode http'",
                         (int)host->proxy_name(p).len, host->proxy_name(p).ptr);
            return PTC_ERROR;
        }
        if (!g_http) {
            host->errorf(self, "'cookie' needs the http module");
            return PTC_ERROR;
        }
        if (c->dynamic && c->dynkey)
            set_dynamic_cookies(p, c);
    }
    return PTC_OK;
}

ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = 8,
    .size = sizeof(ptc_module),
    .name = "stick",
    .version = "0.1.0",
    .description = "stick: persistence cookies and stick tables",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(px_conf),
    .server_conf_size = sizeof(srv_conf),
    .init = init,
    .post_config = post_config,
    .worker_init = peers_worker_init,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .stream_state_size = sizeof(stream_st),
};

} // namespace

void persist_rules(ptc_stream* s, stream_st* st)
{
    st->force_prst = st->ignore_prst = false;
    if (g_prules.empty())
        return;
    const ptc_proxy* be = host->stream_backend(s);
    for (const persist_rule& r : g_prules)
        if (r.px == be && host->cond_eval(s, r.cond)) {
            (r.force ? st->force_prst : st->ignore_prst) = true;
            return;
        }
}

} // namespace stick

PTC_MODULE_ENTRY(h)
{
    stick::host = h;
    if (h->abi_minor < 13) // no PTC_PHASE_TXN_END: HTTP counters go at the next request
        stick::desc.hook_count = PTC_COUNTOF(stick::hooks) - 1;
    return &stick::desc;
}
