// SPDX-License-Identifier: MIT
// Proxy keywords of the http module that set a value in its proxy conf blob.
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "http_int.hpp"

namespace portico::http {

namespace {

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

proxy_conf* conf_of(const ptc_kw_ctx* ctx) { return static_cast<proxy_conf*>(ctx->conf); }

// Parses "a.b.c.d[/len]", "a.b.c.d/m.a.s.k" or an IPv6 "addr[/len]" into net and mask.
bool parse_net(std::string_view w, bool& v6, uint8_t* net, uint8_t* mask)
{
    std::string a(w), m;
    size_t sl = a.find('/');
    if (sl != std::string::npos) {
        m = a.substr(sl + 1);
        a.resize(sl);
    }
    v6 = a.find(':') != std::string::npos;
    size_t n = v6 ? 16 : 4;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, a.c_str(), net) != 1)
        return false;
    long bits = long(n * 8);
    if (!m.empty()) {
        if (!v6 && m.find('.') != std::string::npos) {
            if (inet_pton(AF_INET, m.c_str(), mask) != 1)
                return false;
            for (size_t i = 0; i < 4; ++i)
                net[i] &= mask[i];
            return true;
        }
        char* end = nullptr;
        bits = strtol(m.c_str(), &end, 10);
        if (*end || bits < 0 || bits > long(n * 8))
            return false;
    }
    for (size_t i = 0; i < n; ++i) {
        long b = bits - long(i * 8);
        mask[i] = uint8_t(b >= 8 ? 0xff : b <= 0 ? 0 : (0xff << (8 - b)) & 0xff);
        net[i] &= mask[i];
    }
    return true;
}

} // namespace

// http-reuse never|safe|aggressive|always
int parse_http_reuse(const ptc_kw_ctx* ctx)
{
    static const char* const modes[] = {"never", "safe", "aggressive", "always"};
    ptc_str a = ctx->args[ctx->kw_words];
    for (uint32_t i = 0; i < 4; i++) {
        if (a.len == strlen(modes[i]) && memcmp(a.ptr, modes[i], a.len) == 0) {
            conf_of(ctx)->reuse = i;
            return PTC_OK;
        }
    }
    return host->cfg_errorf(ctx, "'http-reuse' expects 'never', 'safe', 'aggressive' or "
                                 "'always', got '%.*s'",
                            (int)a.len, a.ptr);
}

// option forwardfor [except <network>] [header <name>] [if-none]
// option originalto [except <network>] [header <name>]
int parse_addr_hdr_option(const ptc_kw_ctx* ctx, const char* opt, addr_hdr_conf& c)
{
    bool ff = strcmp(opt, "forwardfor") == 0;
    c = addr_hdr_conf{};
    c.on = true;
    for (uint32_t i = ctx->kw_words; i < ctx->argc; ++i) {
        std::string_view w = sv(ctx->args[i]);
        if (ff && w == "if-none") {
            c.if_none = true;
            continue;
        }
        if (w != "except" && w != "header")
            return host->cfg_errorf(ctx, ff ? "'option %s' expects 'except', 'header' or "
                                              "'if-none', got '%.*s'"
                                            : "'option %s' expects 'except' or 'header', "
                                              "got '%.*s'",
                                    opt, int(w.size()), w.data());
        if (i + 1 >= ctx->argc)
            return host->cfg_errorf(ctx, "'option %s' '%.*s' expects an argument", opt,
                                    int(w.size()), w.data());
        std::string_view v = sv(ctx->args[++i]);
        if (w == "header") {
            if (v.empty() || v.find_first_of(" :\t") != std::string_view::npos)
                return host->cfg_errorf(ctx, "'option %s' invalid header name '%.*s'", opt,
                                        int(v.size()), v.data());
            c.hdr = host->cfg_strdup(ctx, ctx->args[i]);
            c.hdr_len = uint32_t(v.size());
            continue;
        }
        bool v6;
        uint8_t net[16], mask[16];
        if (!parse_net(v, v6, net, mask))
            return host->cfg_errorf(ctx, "'option %s' 'except' expects a network, got '%.*s'",
                                    opt, int(v.size()), v.data());
        if (v6) {
            c.except6 = true;
            memcpy(c.net6, net, 16);
            memcpy(c.mask6, mask, 16);
        } else {
            c.except4 = true;
            memcpy(c.net4, net, 4);
            memcpy(c.mask4, mask, 4);
        }
    }
    return PTC_OK;
}

int parse_option_forwardfor(const ptc_kw_ctx* ctx)
{
    return parse_addr_hdr_option(ctx, "forwardfor", conf_of(ctx)->ff);
}

int parse_option_originalto(const ptc_kw_ctx* ctx)
{
    return parse_addr_hdr_option(ctx, "originalto", conf_of(ctx)->ot);
}

// option http-keep-alive | http-server-close | httpclose (and "no option ..."): the last one
// seen wins; "no" resets to the default (keep-alive) when it cancels the current mode.
int parse_option_conn_mode(const ptc_kw_ctx* ctx)
{
    std::string_view o = sv(ctx->args[1]);
    uint8_t m = o == "httpclose" ? CM_CLO : o == "http-server-close" ? CM_SCL : CM_KAL;
    proxy_conf* c = conf_of(ctx);
    if (ctx->negated) {
        if (c->conn_mode == m)
            c->conn_mode = CM_UNSET;
        return PTC_OK;
    }
    c->conn_mode = m;
    return PTC_OK;
}

// monitor-uri <uri>
int parse_monitor_uri(const ptc_kw_ctx* ctx)
{
    proxy_conf* c = conf_of(ctx);
    ptc_str u = ctx->args[ctx->kw_words];
    if (u.len == 0)
        return host->cfg_errorf(ctx, "'monitor-uri' expects an URI");
    c->monitor_uri = host->cfg_strdup(ctx, u);
    c->monitor_uri_len = uint32_t(u.len);
    return PTC_OK;
}

// unique-id-header <name>: the request gets "<name>: <unique id>" (the frontend's
// unique-id-format) before it goes to the server.
int parse_unique_id_header(const ptc_kw_ctx* ctx)
{
    proxy_conf* c = conf_of(ctx);
    ptc_str n = ctx->args[ctx->kw_words];
    if (n.len == 0) { // an empty name turns it off (after a defaults section)
        c->uid_hdr = nullptr;
        c->uid_hdr_len = 0;
        return PTC_OK;
    }
    c->uid_hdr = host->cfg_strdup(ctx, n);
    c->uid_hdr_len = uint32_t(n.len);
    return PTC_OK;
}

// retry-on <keyword>...
int parse_retry_on(const ptc_kw_ctx* ctx)
{
    struct kw {
        const char* name;
        uint32_t bits;
    };
    static const kw kws[] = {
        {"conn-failure", RETRY_CONN_FAILURE},
        {"empty-response", RETRY_EMPTY_RESPONSE},
        {"junk-response", RETRY_JUNK_RESPONSE},
        {"response-timeout", RETRY_RESPONSE_TIMEOUT},
        {"0rtt-rejected", RETRY_0RTT_REJECTED},
        {"404", RETRY_404},
        {"408", RETRY_408},
        {"425", RETRY_425},
        {"500", RETRY_500},
        {"501", RETRY_501},
        {"502", RETRY_502},
        {"503", RETRY_503},
        {"504", RETRY_504},
        {"all-retryable-errors",
         RETRY_CONN_FAILURE | RETRY_EMPTY_RESPONSE | RETRY_JUNK_RESPONSE |
             RETRY_RESPONSE_TIMEOUT | RETRY_0RTT_REJECTED | RETRY_500 | RETRY_502 | RETRY_503 |
             RETRY_504},
    };
    uint32_t bits = RETRY_SET;
    for (uint32_t i = ctx->kw_words; i < ctx->argc; ++i) {
        std::string_view w = sv(ctx->args[i]);
        if (w == "none") {
            if (ctx->argc - ctx->kw_words != 1)
                return host->cfg_errorf(ctx, "'retry-on' 'none' cannot be combined with other "
                                        "keywords");
            continue;
        }
        bool found = false;
        for (const kw& k : kws)
            if (w == k.name) {
                bits |= k.bits;
                found = true;
            }
        if (!found)
            return host->cfg_errorf(ctx, "'retry-on': unknown keyword '%.*s'", int(w.size()),
                                    w.data());
    }
    conf_of(ctx)->retry_on = bits;
    return PTC_OK;
}

// option accept-invalid-http-request / accept-invalid-http-response
int parse_option_accept_invalid(const ptc_kw_ctx* ctx)
{
    bool on = !ctx->negated;
    if (sv(ctx->args[1]) == "accept-invalid-http-request")
        conf_of(ctx)->accept_invalid_req = on;
    else if (sv(ctx->args[1]) == "abortonclose")
        conf_of(ctx)->abortonclose = on;
    else if (sv(ctx->args[1]) == "http-ignore-probes")
        conf_of(ctx)->ignore_probes = on;
    else if (sv(ctx->args[1]) == "http-pretend-keepalive")
        conf_of(ctx)->pretend_ka = on;
    else if (sv(ctx->args[1]) == "http-buffer-request")
        conf_of(ctx)->buffer_req = on;
    else if (sv(ctx->args[1]) == "http-no-delay" || sv(ctx->args[1]) == "disable-h2-upgrade")
        ; // what portico always does: no send delays (TCP_NODELAY), no HTTP/2 upgrade
    else
        conf_of(ctx)->accept_invalid_res = on;
    return PTC_OK;
}

// option http-restrict-req-hdr-names { preserve | delete | reject }
int parse_option_restrict_names(const ptc_kw_ctx* ctx)
{
    std::string_view v = sv(ctx->args[2]);
    uint8_t m = v == "preserve" ? 0 : v == "delete" ? 1 : v == "reject" ? 2 : 3;
    if (m == 3)
        return host->cfg_errorf(ctx, "'option http-restrict-req-hdr-names' expects 'preserve', "
                                     "'delete' or 'reject', got '%.*s'",
                                int(v.size()), v.data());
    conf_of(ctx)->restrict_names = m;
    return PTC_OK;
}

void conf_init(ptc_modref*, uint32_t kind, void* conf)
{
    if (kind != PTC_CONF_PROXY)
        return;
    auto* c = static_cast<proxy_conf*>(conf);
    c->tmo_request = c->tmo_idle = c->tmo_tunnel = PTC_TMO_DEFAULT;
    c->reuse = REUSE_SAFE;                       // HAProxy's default
    c->retry_on = RETRY_SET | RETRY_CONN_FAILURE; // HAProxy's default
}

// Inheriting from a defaults section: a plain copy (strings are config-lifetime).
void conf_copy(ptc_modref*, uint32_t kind, void* dst, const void* src)
{
    if (kind == PTC_CONF_PROXY)
        memcpy(dst, src, sizeof(proxy_conf));
}

} // namespace portico::http
