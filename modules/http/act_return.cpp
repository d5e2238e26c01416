// SPDX-License-Identifier: MIT
// The "http-request" keyword (only its "return" action for now) and the proxy conf blob.
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "http_int.hpp"

namespace portico::http {

namespace {

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

std::string lower(std::string_view s)
{
    std::string r(s);
    for (char& c : r)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return r;
}

bool is_token(std::string_view s)
{
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    if (s.empty())
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              specials.find(c) != std::string_view::npos))
            return false;
    return true;
}

// What a "return" action line says, before it is turned into a response.
struct return_args {
    int status = 200;
    std::string ctype;
    std::string body;
    const char* payload_kw = nullptr; // "string" or "file" once a payload was given
    std::vector<std::pair<std::string, std::string>> hdrs;
};

// Appends <r> to the proxy's rule array (config time: a new array per rule is fine).
void add_rule(proxy_conf* c, const return_rule& r)
{
    auto* rules = static_cast<return_rule*>(host->alloc(sizeof(return_rule) *
                                                        (c->rule_count + 1)));
    if (c->rule_count)
        memcpy(rules, c->rules, sizeof(return_rule) * c->rule_count);
    rules[c->rule_count] = r;
    host->free(c->rules);
    c->rules = rules;
    ++c->rule_count;
}

// Log-format values are not supported yet: only plain text, with "%%" standing for '%'.
bool plain_value(std::string_view v, std::string& out)
{
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '%') {
            out += v[i];
            continue;
        }
        if (i + 1 >= v.size() || v[i + 1] != '%')
            return false;
        out += '%';
        ++i;
    }
    return true;
}

int read_file(const ptc_kw_ctx* ctx, const std::string& path, std::string& out)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return host->cfg_errorf(ctx, "http-request return: cannot open file '%s': %s",
                                path.c_str(), strerror(errno));
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad())
        return host->cfg_errorf(ctx, "http-request return: cannot read file '%s'", path.c_str());
    return PTC_OK;
}

int set_payload(const ptc_kw_ctx* ctx, return_args& a, const char* kw)
{
    if (a.payload_kw)
        return host->cfg_errorf(ctx, "http-request return: '%s' cannot be combined with '%s'",
                                kw, a.payload_kw);
    a.payload_kw = kw;
    return PTC_OK;
}

// Parses the words after "return". Returns PTC_OK or PTC_ERROR (reported).
int parse_return_args(const ptc_kw_ctx* ctx, uint32_t i, return_args& a)
{
    auto need = [&](const char* kw, uint32_t n) {
        if (i + n < ctx->argc)
            return true;
        host->cfg_errorf(ctx, "http-request return: '%s' expects %s", kw,
                         n == 1 ? "an argument" : "<name> and <value>");
        return false;
    };
    for (; i < ctx->argc; ++i) {
        std::string_view w = sv(ctx->args[i]);
        if (w == "if" || w == "unless")
            return host->cfg_errorf(ctx, "http-request return: conditions ('%.*s') are not "
                                    "supported yet", int(w.size()), w.data());
        if (w == "status") {
            if (!need("status", 1))
                return PTC_ERROR;
            std::string v(sv(ctx->args[++i]));
            char* end = nullptr;
            long code = strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || code < 200 || code > 599)
                return host->cfg_errorf(ctx, "http-request return: 'status' expects a status "
                                        "code between 200 and 599, got '%s'", v.c_str());
            a.status = int(code);
        } else if (w == "content-type") {
            if (!need("content-type", 1))
                return PTC_ERROR;
            a.ctype = std::string(sv(ctx->args[++i]));
        } else if (w == "string") {
            if (!need("string", 1) || set_payload(ctx, a, "string") != PTC_OK)
                return PTC_ERROR;
            a.body = std::string(sv(ctx->args[++i]));
            if (a.body.empty())
                return host->cfg_errorf(ctx, "http-request return: 'string' expects <str> as "
                                        "argument");
        } else if (w == "file") {
            if (!need("file", 1) || set_payload(ctx, a, "file") != PTC_OK ||
                read_file(ctx, std::string(sv(ctx->args[++i])), a.body) != PTC_OK)
                return PTC_ERROR;
        } else if (w == "lf-string" || w == "lf-file" || w == "errorfile" ||
                   w == "errorfiles" || w == "default-errorfiles") {
            return host->cfg_errorf(ctx, "http-request return: '%.*s' is not supported yet",
                                    int(w.size()), w.data());
        } else if (w == "hdr") {
            if (!need("hdr", 2))
                return PTC_ERROR;
            std::string_view name = sv(ctx->args[i + 1]);
            std::string value;
            if (!is_token(name))
                return host->cfg_errorf(ctx, "http-request return: invalid header name '%.*s'",
                                        int(name.size()), name.data());
            if (!plain_value(sv(ctx->args[i + 2]), value))
                return host->cfg_errorf(ctx, "http-request return: log-format expressions in "
                                        "'hdr' values are not supported yet");
            i += 2;
            std::string lname = lower(name);
            if (lname == "content-length" || lname == "transfer-encoding") {
                host->cfg_warnf(ctx, "header '%s' always ignored by the http reply.",
                                lname.c_str());
                continue;
            }
            a.hdrs.emplace_back(std::move(lname), std::move(value));
        } else {
            return host->cfg_errorf(ctx, "http-request return: unexpected argument '%.*s'",
                                    int(w.size()), w.data());
        }
    }
    return PTC_OK;
}

// Checks the combination of arguments and builds the response bytes.
int build_return(const ptc_kw_ctx* ctx, return_args& a, std::string& head)
{
    bool bodiless = a.status == 204 || a.status == 304;
    if (!a.body.empty() && bodiless)
        return host->cfg_errorf(ctx, "http-request return: no body expected for %d responses",
                                a.status);
    if (!a.body.empty() && a.ctype.empty())
        return host->cfg_errorf(ctx, "http-request return: a 'content-type' is required with "
                                "a '%s' payload", a.payload_kw);
    if (a.body.empty() && !a.ctype.empty()) {
        host->cfg_warnf(ctx, "http-request return: 'content-type' ignored without a payload");
        a.ctype.clear();
    }
    head = "HTTP/1.1 " + std::to_string(a.status) + " " + reason_phrase(a.status) + "\r\n";
    for (const auto& [name, value] : a.hdrs)
        head += name + ": " + value + "\r\n";
    if (!bodiless)
        head += "content-length: " + std::to_string(a.body.size()) + "\r\n";
    if (!a.ctype.empty())
        head += "content-type: " + a.ctype + "\r\n";
    return PTC_OK;
}

int parse_return(const ptc_kw_ctx* ctx, uint32_t first)
{
    return_args a;
    std::string head;
    if (parse_return_args(ctx, first, a) != PTC_OK || build_return(ctx, a, head) != PTC_OK)
        return PTC_ERROR;
    std::string full = head + "\r\n" + a.body;
    return_rule r{};
    r.full = host->cfg_strdup(ctx, ptc_str{full.data(), full.size()});
    r.head_len = uint32_t(head.size());
    r.body_len = uint32_t(a.body.size());
    r.status = uint16_t(a.status);
    auto* c = static_cast<proxy_conf*>(ctx->conf);
    if (c->rule_count)
        host->cfg_warnf(ctx, "http-request return: this rule follows an unconditional "
                        "'return' and will never match");
    add_rule(c, r);
    return PTC_OK;
}

} // namespace

int parse_http_request(const ptc_kw_ctx* ctx)
{
    try {
        uint32_t i = ctx->kw_words;
        if (i >= ctx->argc)
            return host->cfg_errorf(ctx, "'http-request' expects an action");
        std::string_view act = sv(ctx->args[i]);
        if (act != "return")
            return host->cfg_errorf(ctx, "http-request action '%.*s' is not supported yet",
                                    int(act.size()), act.data());
        if (!ctx->conf)
            return host->cfg_errorf(ctx, "'http-request' is not allowed here");
        return parse_return(ctx, i + 1);
    } catch (const std::exception& e) {
        return host->cfg_errorf(ctx, "http-request: %s", e.what());
    }
}

void conf_init(ptc_modref*, uint32_t kind, void* conf)
{
    if (kind != PTC_CONF_PROXY)
        return;
    auto* c = static_cast<proxy_conf*>(conf);
    c->tmo_request = c->tmo_idle = c->tmo_tunnel = PTC_TMO_DEFAULT;
    c->reuse = REUSE_SAFE; // HAProxy's default
}

// Inheriting from a defaults section: the rule array is copied so that rules added to the
// proxy later do not leak into the defaults (the strings are shared, config-lifetime).
void conf_copy(ptc_modref*, uint32_t kind, void* dst, const void* src)
{
    auto* d = static_cast<proxy_conf*>(dst);
    const auto* s = static_cast<const proxy_conf*>(src);
    if (kind != PTC_CONF_PROXY)
        return;
    *d = *s;
    d->rules = nullptr;
    if (s->rule_count) {
        d->rules = static_cast<return_rule*>(host->alloc(sizeof(return_rule) * s->rule_count));
        memcpy(d->rules, s->rules, sizeof(return_rule) * s->rule_count);
    }
}

} // namespace portico::http
