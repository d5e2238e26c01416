// SPDX-License-Identifier: MIT
// Configured replies ("return", "deny", "redirect" bodies): parsing at configuration time and
// sending them on a stream.
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
    // ':' is accepted as HAProxy 2.6 does: "hdr X-Proto: http" names the header "X-Proto:"
    // and the message then carries "X-Proto:: http".
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~:";
    if (s.empty())
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              specials.find(c) != std::string_view::npos))
            return false;
    return true;
}

// What a reply's words say, before it is turned into a response.
struct reply_args {
    int status = 200;
    std::string ctype;
    std::string body;
    bool body_lf = false;
    const char* payload_kw = nullptr; // "string", "file"... once a payload was given
    bool errorfile = false;           // default-errorfiles / errorfile
    std::string errorfile_data;       // "errorfile <file>": the raw response
    bool errorfile_empty = false;     // ... an empty file: nothing is sent
    std::string errorfiles;           // "errorfiles <http-errors section>"
    std::vector<std::pair<std::string, std::string>> hdrs;
};

// A value without log-format directives: plain text ("%%" stands for '%').
bool plain_value(std::string_view v, std::string& out)
{
    out.clear();
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

int read_file(const ptc_kw_ctx* ctx, const char* who, const std::string& path, std::string& out)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return host->cfg_errorf(ctx, "%s: cannot open file '%s': %s", who, path.c_str(),
                                strerror(errno));
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad())
        return host->cfg_errorf(ctx, "%s: cannot read file '%s'", who, path.c_str());
    return PTC_OK;
}

bool errorfile_status(int c)
{
    switch (c) {
    case 200: case 400: case 403: case 404: case 405: case 408: case 410: case 413: case 425:
    case 429: case 500: case 501: case 502: case 503: case 504: return true;
    default: return false;
    }
}

// Replies naming an http-errors section, with the file:line that did, until post_config.
struct errsec_ref {
    reply_def* r;
    std::string where;
};
std::vector<errsec_ref> g_errsec;

// Parses the words; returns PTC_OK or PTC_ERROR (reported).
int parse_words(const ptc_kw_ctx* ctx, const char* who, uint32_t& i, bool deny, reply_args& a)
{
    auto need = [&](const char* kw, uint32_t n) {
        if (i + n < ctx->argc)
            return true;
        host->cfg_errorf(ctx, "%s: '%s' expects %s", who, kw,
                         n == 1 ? "an argument" : "<name> and <value>");
        return false;
    };
    auto payload = [&](const char* kw) {
        if (a.payload_kw)
            return host->cfg_errorf(ctx, "%s: '%s' cannot be combined with '%s'", who, kw,
                                    a.payload_kw) == PTC_OK;
        a.payload_kw = kw;
        return true;
    };
    for (; i < ctx->argc; ++i) {
        std::string_view w = sv(ctx->args[i]);
        if (w == "if" || w == "unless")
            break;
        if (w == "status" || (deny && w == "deny_status")) {
            if (!need("status", 1))
                return PTC_ERROR;
            std::string v(sv(ctx->args[++i]));
            char* end = nullptr;
            long code = strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || code < 200 || code > 599)
                return host->cfg_errorf(ctx, "%s: 'status' expects a status code between 200 "
                                        "and 599, got '%s'", who, v.c_str());
            a.status = int(code);
        } else if (w == "content-type") {
            if (!need("content-type", 1))
                return PTC_ERROR;
            a.ctype = std::string(sv(ctx->args[++i]));
        } else if (w == "string" || w == "lf-string") {
            if (!need(w == "string" ? "string" : "lf-string", 1) ||
                !payload(w == "string" ? "string" : "lf-string"))
                return PTC_ERROR;
            a.body = std::string(sv(ctx->args[++i]));
            a.body_lf = w == "lf-string";
            if (a.body.empty())
                return host->cfg_errorf(ctx, "%s: '%.*s' expects <str> as argument", who,
                                        int(w.size()), w.data());
        } else if (w == "file" || w == "lf-file") {
            if (!need("file", 1) || !payload(w == "file" ? "file" : "lf-file") ||
                read_file(ctx, who, std::string(sv(ctx->args[++i])), a.body) != PTC_OK)
                return PTC_ERROR;
            a.body_lf = w == "lf-file";
        } else if (w == "default-errorfiles") {
            if (!payload("default-errorfiles"))
                return PTC_ERROR;
            a.errorfile = true;
        } else if (w == "errorfile") {
            if (!need("errorfile", 1) || !payload("errorfile") ||
                read_file(ctx, who, std::string(sv(ctx->args[++i])), a.errorfile_data) !=
                    PTC_OK)
                return PTC_ERROR;
            a.errorfile_empty = a.errorfile_data.empty(); // e.g. /dev/null: send nothing
        } else if (w == "errorfiles") {
            if (!need("errorfiles", 1) || !payload("errorfiles"))
                return PTC_ERROR;
            a.errorfiles = std::string(sv(ctx->args[++i]));
        } else if (w == "hdr") {
            if (!need("hdr", 2))
                return PTC_ERROR;
            std::string_view name = sv(ctx->args[i + 1]);
            if (!is_token(name))
                return host->cfg_errorf(ctx, "%s: invalid header name '%.*s'", who,
                                        int(name.size()), name.data());
            std::string value(sv(ctx->args[i + 2]));
            i += 2;
            std::string lname = lower(name);
            if (lname == "content-length" || lname == "transfer-encoding") {
                host->cfg_warnf(ctx, "header '%s' always ignored by the http reply.",
                                lname.c_str());
                continue;
            }
            a.hdrs.emplace_back(std::move(lname), std::move(value));
        } else {
            return host->cfg_errorf(ctx, "%s: unexpected argument '%.*s'", who, int(w.size()),
                                    w.data());
        }
    }
    return PTC_OK;
}

} // namespace

int parse_reply(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, int def_status,
                bool deny, reply_def* out)
{
    std::string who = std::string(sv(ctx->args[0])) + " " +
                      std::string(first ? sv(ctx->args[first - 1]) : std::string_view{});
    const char* w = who.c_str();
    try {
        reply_args a;
        a.status = def_status;
        uint32_t i = first;
        if (parse_words(ctx, w, i, deny, a) != PTC_OK)
            return PTC_ERROR;
        *next = i;
        *out = reply_def{};
        out->status = uint16_t(a.status);
        // deny without payload: the proxy's error page for the status.
        if (a.errorfile || (deny && !a.payload_kw && a.ctype.empty() && a.hdrs.empty())) {
            if (!errorfile_status(a.status) && a.errorfile)
                return host->cfg_errorf(ctx, "%s: status %d has no error page", w, a.status);
            out->kind = REPLY_ERRORFILE;
            return PTC_OK;
        }
        if (a.errorfile_empty || !a.errorfiles.empty()) {
            if (!errorfile_status(a.status))
                return host->cfg_errorf(ctx, "%s: status %d has no error page", w, a.status);
            if (a.errorfile_empty) {
                out->kind = REPLY_NONE;
                return PTC_OK;
            }
            // resolved once every section is known (post_config)
            out->kind = REPLY_ERRSEC;
            out->full = host->cfg_strdup(ctx, ptc_str{a.errorfiles.data(), a.errorfiles.size()});
            g_errsec.push_back({out, std::string(ctx->file) + ":" + std::to_string(ctx->line)});
            return PTC_OK;
        }
        if (!a.errorfile_data.empty()) {
            if (!errorfile_status(a.status))
                return host->cfg_errorf(ctx, "%s: status %d has no error page", w, a.status);
            out->kind = REPLY_STATIC;
            out->full = host->cfg_strdup(ctx, ptc_str{a.errorfile_data.data(),
                                                      a.errorfile_data.size()});
            size_t eoh = a.errorfile_data.find("\r\n\r\n");
            if (eoh == std::string::npos)
                return host->cfg_errorf(ctx, "%s: errorfile is not an HTTP response", w);
            out->head_len = uint32_t(eoh + 2);
            out->body_len = uint32_t(a.errorfile_data.size() - eoh - 4);
            return PTC_OK;
        }
        bool bodiless = a.status == 204 || a.status == 304;
        if (!a.body.empty() && bodiless)
            return host->cfg_errorf(ctx, "%s: no body expected for %d responses", w, a.status);
        if (!a.body.empty() && a.ctype.empty())
            return host->cfg_errorf(ctx, "%s: a 'content-type' is required with a '%s' "
                                    "payload", w, a.payload_kw);
        if (a.body.empty() && !a.ctype.empty()) {
            if (!a.payload_kw)
                host->cfg_warnf(ctx, "%s: 'content-type' ignored without a payload", w);
            a.ctype.clear();
        }
        // Static when nothing needs evaluating.
        bool dynamic = a.body_lf;
        std::vector<std::string> plain(a.hdrs.size());
        for (size_t k = 0; k < a.hdrs.size(); ++k)
            if (!plain_value(a.hdrs[k].second, plain[k]))
                dynamic = true;
        if (!dynamic) {
            std::string head = "HTTP/1.1 " + std::to_string(a.status) + " " +
                               reason_phrase(a.status) + "\r\n";
            for (size_t k = 0; k < a.hdrs.size(); ++k)
                head += a.hdrs[k].first + ": " + plain[k] + "\r\n";
            if (!bodiless)
                head += "content-length: " + std::to_string(a.body.size()) + "\r\n";
            if (!a.ctype.empty())
                head += "content-type: " + a.ctype + "\r\n";
            std::string full = head + "\r\n" + a.body;
            out->kind = REPLY_STATIC;
            out->full = host->cfg_strdup(ctx, ptc_str{full.data(), full.size()});
            out->head_len = uint32_t(head.size());
            out->body_len = uint32_t(a.body.size());
            return PTC_OK;
        }
        out->kind = REPLY_DYNAMIC;
        out->nhdr = uint32_t(a.hdrs.size());
        if (out->nhdr) {
            out->hdr_names = static_cast<const char**>(host->alloc(sizeof(char*) * out->nhdr));
            out->hdr_vals =
                static_cast<ptc_logfmt**>(host->alloc(sizeof(ptc_logfmt*) * out->nhdr));
        }
        for (size_t k = 0; k < a.hdrs.size(); ++k) {
            const std::string& n = a.hdrs[k].first;
            const std::string& v = a.hdrs[k].second;
            out->hdr_names[k] = host->cfg_strdup(ctx, ptc_str{n.data(), n.size()});
            out->hdr_vals[k] = host->logfmt_compile(ctx, ptc_str{v.data(), v.size()});
            if (!out->hdr_vals[k])
                return PTC_ERROR;
        }
        if (!a.ctype.empty())
            out->ctype = host->cfg_strdup(ctx, ptc_str{a.ctype.data(), a.ctype.size()});
        if (!a.body.empty()) {
            if (a.body_lf) {
                out->body_lf = host->logfmt_compile(ctx, ptc_str{a.body.data(), a.body.size()});
                if (!out->body_lf)
                    return PTC_ERROR;
            } else {
                out->full = host->cfg_strdup(ctx, ptc_str{a.body.data(), a.body.size()});
                out->body_len = uint32_t(a.body.size());
            }
        }
        return PTC_OK;
    } catch (const std::exception& e) {
        return host->cfg_errorf(ctx, "%s: %s", w, e.what());
    }
}

// Builds a dynamic reply into the RES channel; returns the bytes appended or 0 on failure.
static size_t build_dynamic(ptc_stream* s, const reply_def& r)
{
    size_t bcap, hcap;
    char* bbuf = work_buf(0, &bcap);
    char* hbuf = work_buf(1, &hcap);
    const char* body = r.full;
    size_t blen = r.body_len;
    if (r.body_lf) {
        blen = host->logfmt_eval(s, r.body_lf, bbuf, bcap);
        body = bbuf;
    }
    bool bodiless = r.status == 204 || r.status == 304;
    int n = snprintf(hbuf, hcap, "HTTP/1.1 %d %s\r\n", r.status, reason_phrase(r.status));
    size_t h = size_t(n);
    for (uint32_t k = 0; k < r.nhdr && h < hcap; ++k) {
        size_t nl = strlen(r.hdr_names[k]);
        if (h + nl + 4 >= hcap)
            return 0;
        memcpy(hbuf + h, r.hdr_names[k], nl);
        memcpy(hbuf + h + nl, ": ", 2);
        size_t vl = host->logfmt_eval(s, r.hdr_vals[k], hbuf + h + nl + 2, hcap - h - nl - 4);
        if (!vl)
            continue; // a value that evaluates empty adds no header, as HAProxy
        h += nl + 2 + vl;
        memcpy(hbuf + h, "\r\n", 2);
        h += 2;
    }
    if (h + 64 + (r.ctype ? strlen(r.ctype) : 0) >= hcap)
        return 0;
    if (!bodiless)
        h += size_t(snprintf(hbuf + h, hcap - h, "content-length: %zu\r\n", blen));
    if (r.ctype && blen)
        h += size_t(snprintf(hbuf + h, hcap - h, "content-type: %s\r\n", r.ctype));
    memcpy(hbuf + h, "\r\n", 2);
    h += 2;
    if (bodiless)
        blen = 0;
    if (host->chan_append(s, PTC_DIR_RES, hbuf, h) != PTC_OK ||
        (blen && host->chan_append(s, PTC_DIR_RES, body, blen) != PTC_OK))
        return 0;
    return h + blen;
}

int replies_resolve()
{
    for (auto& e : g_errsec) {
        reply_def& r = *e.r;
        ptc_str name{r.full, strlen(r.full)};
        ptc_str msg{nullptr, 0};
        int rc = PTC_HOST_HAS(host, http_errors_message)
                     ? host->http_errors_message(name, r.status, &msg) : -1;
        if (rc < 0) {
            host->log(PTC_LOG_ERR, "%s: unknown http-errors section '%s' referenced by an "
                      "http reply", e.where.c_str(), r.full);
            return PTC_ERROR;
        }
        if (rc > 0 && !msg.len) {
            r.kind = REPLY_NONE; // an empty file
            continue;
        }
        std::string full;
        if (rc > 0) {
            full.assign(msg.ptr, msg.len);
        } else { // not in the section: the status alone (HAProxy: no payload)
            host->log(PTC_LOG_WARNING, "%s: status '%d' referenced by an http reply not "
                      "declared in http-errors section '%s'.", e.where.c_str(), r.status,
                      r.full);
            full = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
                   "\r\ncontent-length: 0\r\n\r\n";
        }
        size_t eoh = full.find("\r\n\r\n");
        if (eoh == std::string::npos) {
            host->log(PTC_LOG_ERR, "%s: the message of http-errors section '%s' for status "
                      "%d is not an HTTP response", e.where.c_str(), r.full, r.status);
            return PTC_ERROR;
        }
        char* mem = static_cast<char*>(host->alloc(full.size()));
        memcpy(mem, full.data(), full.size());
        r.full = mem;
        r.head_len = uint32_t(eoh + 2);
        r.body_len = uint32_t(full.size() - eoh - 4);
        r.kind = REPLY_STATIC;
    }
    g_errsec.clear();
    return PTC_OK;
}

int send_reply(ptc_stream* s, const reply_def& r)
{
    txn& t = txn_of(s);
    early_hints_flush(s, t); // a 103 before the answer, as HAProxy sends it
    reply_prepare(s, t);
    // Drop stale pending response bytes (a response being replaced).
    ptc_str d;
    host->chan_data(s, PTC_DIR_RES, &d);
    if (d.len)
        host->chan_skip(s, PTC_DIR_RES, d.len);
    size_t len = 0;
    switch (r.kind) {
    case REPLY_STATIC: {
        len = size_t(r.head_len) + 2 + r.body_len;
        if (host->chan_append(s, PTC_DIR_RES, r.full, len) != PTC_OK)
            len = 0;
        break;
    }
    case REPLY_NONE:
        reply_nothing(s, t, r.status);
        return PTC_ACT_DONE;
    case REPLY_ERRORFILE: {
        ptc_str ef = error_message(s, t, r.status);
        if (ef.ptr && !ef.len) { // the proxy's errorfile for the status is empty
            reply_nothing(s, t, r.status);
            return PTC_ACT_DONE;
        }
        std::string_view page = ef.len ? std::string_view(ef.ptr, ef.len)
                                       : error_page(r.status, false);
        len = page.size();
        if (!len || host->chan_append(s, PTC_DIR_RES, page.data(), len) != PTC_OK)
            len = 0;
        break;
    }
    default:
        len = build_dynamic(s, r);
        break;
    }
    t.cur.replied = true;
    if (!len) {
        host->stream_close(s, PTC_CLOSE_ABORT);
        t.state = st::CLOSED;
        return PTC_ACT_ERROR;
    }
    if (emit_generated(s, t, len) != PTC_OK)
        return PTC_ACT_ERROR;
    return PTC_ACT_DONE;
}

} // namespace portico::http
