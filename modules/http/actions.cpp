// SPDX-License-Identifier: MIT
// Rule actions of http-request / http-response / http-after-response (registered with the
// core's rule engine through the module descriptor's action table).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <map>
#include <string>

#include "http_int.hpp"

namespace portico::http {

namespace {

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

// The rule set an action line belongs to, from its first word.
uint32_t dir_of(const ptc_kw_ctx* ctx)
{
    return sv(ctx->args[0]) == "http-request" ? PTC_DIR_REQ : PTC_DIR_RES;
}

bool end_word(const ptc_kw_ctx* ctx, uint32_t i)
{
    if (i >= ctx->argc)
        return true;
    std::string_view w = sv(ctx->args[i]);
    return w == "if" || w == "unless";
}

// "<keyword> <action>" for messages.
std::string who(const ptc_kw_ctx* ctx, uint32_t first)
{
    if (first <= 1) // a proxy keyword ("redirect ...")
        return "'" + std::string(sv(ctx->args[0])) + "'";
    return std::string(sv(ctx->args[0])) + " " + std::string(sv(ctx->args[first - 1]));
}

template <class T> T* make() { return new (host->alloc(sizeof(T))) T{}; }

// The stream's state if the message of <dir> is pending and indexed, else NULL.
txn* msg(ptc_stream* s, uint32_t dir, const char** base)
{
    txn& t = txn_of(s);
    if (t.cur.phase != (dir == PTC_DIR_REQ ? api_phase::REQ : api_phase::RES))
        return nullptr;
    ptc_str d;
    host->chan_data(s, dir, &d);
    *base = d.ptr;
    return &t;
}

size_t eval(ptc_stream* s, const ptc_logfmt* lf, int buf, const char** out)
{
    size_t cap;
    char* b = work_buf(buf, &cap);
    *out = b;
    return host->logfmt_eval(s, lf, b, cap);
}

// ---- return / deny / allow / reject ----------------------------------------------------------

int parse_return(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    auto* r = make<reply_def>();
    *state = r;
    return parse_reply(ctx, first, next, 200, false, r);
}

int parse_deny(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    auto* r = make<reply_def>();
    *state = r;
    return parse_reply(ctx, first, next, dir_of(ctx) == PTC_DIR_REQ ? 403 : 502, true, r);
}

int exec_reply(ptc_stream* s, void* state)
{
    txn& t = txn_of(s);
    if (t.cur.replied || t.state == st::CLOSED)
        return PTC_ACT_DONE;
    t.cur.term[0] = 'P';
    t.cur.term[1] = t.cur.phase == api_phase::RES ? 'H' : 'R';
    return send_reply(s, *static_cast<const reply_def*>(state));
}

// A local answer: "LR" for the logs.
int exec_return(ptc_stream* s, void* state)
{
    txn& t = txn_of(s);
    if (t.cur.replied || t.state == st::CLOSED)
        return PTC_ACT_DONE;
    if (!t.cur.term[0]) {
        t.cur.term[0] = 'L';
        t.cur.term[1] = t.cur.phase == api_phase::RES ? 'H' : 'R';
    }
    return send_reply(s, *static_cast<const reply_def*>(state));
}

// http-request auth [realm <realm>]: 401 with a Basic challenge (the realm defaults to the
// name of the proxy the rule is in, as HAProxy).
int parse_auth(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string realm;
    uint32_t i = first;
    if (!end_word(ctx, i) && std::string_view(ctx->args[i].ptr, ctx->args[i].len) == "realm") {
        if (end_word(ctx, i + 1))
            return host->cfg_errorf(ctx, "%s: missing realm value", who(ctx, first).c_str());
        realm.assign(ctx->args[i + 1].ptr, ctx->args[i + 1].len);
        i += 2;
    } else if (ctx->proxy) {
        ptc_str n = host->proxy_name(ctx->proxy);
        realm.assign(n.ptr, n.len);
    }
    *next = i;
    auto* r = make<reply_def>();
    *state = r;
    r->status = 401;
    r->kind = REPLY_DYNAMIC;
    r->nhdr = 2;
    r->hdr_names = static_cast<const char**>(host->alloc(sizeof(char*) * 2));
    r->hdr_vals = static_cast<ptc_logfmt**>(host->alloc(sizeof(ptc_logfmt*) * 2));
    r->hdr_names[0] = "cache-control";
    r->hdr_names[1] = "www-authenticate";
    std::string v = "Basic realm=\"";
    for (char c : realm)
        v += c == '%' ? std::string("%%") : std::string(1, c); // a literal, not a log-format
    v += "\"";
    r->hdr_vals[0] = host->logfmt_compile(ctx, ptc_str{"no-cache", 8});
    r->hdr_vals[1] = host->logfmt_compile(ctx, ptc_str{v.data(), v.size()});
    if (!r->hdr_vals[0] || !r->hdr_vals[1])
        return PTC_ERROR;
    r->ctype = "text/html";
    static const char body[] = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user "
                               "and password to access this content.\n</body></html>\n";
    r->full = body;
    r->body_len = sizeof(body) - 1;
    return PTC_OK;
}

int parse_noarg(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    *state = nullptr;
    *next = first;
    if (!end_word(ctx, first))
        return host->cfg_errorf(ctx, "%s: unexpected argument '%.*s'", who(ctx, first).c_str(),
                                int(ctx->args[first].len), ctx->args[first].ptr);
    return PTC_OK;
}

int exec_allow(ptc_stream*, void*) { return PTC_ACT_STOP; }

// strict-mode off: a failed rewrite is skipped, which is what portico always does.
int exec_continue(ptc_stream*, void*) { return PTC_ACT_CONTINUE; }

// wait-for-handshake: a request received as TLS early data (bind ... allow-0rtt) waits until
// the handshake completes (the ssl module wakes the stream then); any other goes on at once.
int exec_wait_handshake(ptc_stream* s, void*)
{
    return in_early_data(s) ? PTC_ACT_YIELD : PTC_ACT_CONTINUE;
}

int parse_strict_mode(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    *state = nullptr;
    std::string w = who(ctx, first);
    std::string_view v = end_word(ctx, first) ? std::string_view() : sv(ctx->args[first]);
    if (v == "off") {
        *next = first + 1;
        return PTC_OK;
    }
    if (v == "on")
        return host->cfg_errorf(ctx, "%s on: failing the message on a failed rewrite is not "
                                "supported yet by portico (a failed rewrite is skipped, as with "
                                "'strict-mode off')", w.c_str());
    return host->cfg_errorf(ctx, "%s: expects 'on' or 'off'", w.c_str());
}

int exec_reject(ptc_stream* s, void*)
{
    txn& t = txn_of(s);
    t.cur.term[0] = 'P';
    t.cur.term[1] = 'R';
    t.cur.replied = true;
    host->stream_close(s, PTC_CLOSE_ABORT);
    t.state = st::CLOSED;
    return PTC_ACT_DONE;
}

// http-request tarpit [deny_status <code>] [return options]: the request is held, unread,
// for "timeout tarpit" (else "timeout connect") of the proxy whose rule matched, then
// answered (500 by default, as "deny" with its options otherwise) and the connection closed;
// logged "PT". A client that leaves first gets nothing.
int parse_tarpit(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    auto* r = make<reply_def>();
    *state = r;
    return parse_reply(ctx, first, next, 500, true, r);
}

int exec_tarpit(ptc_stream* s, void* state)
{
    txn& t = txn_of(s);
    if (t.cur.replied || t.state == st::CLOSED)
        return PTC_ACT_DONE;
    uint64_t now = host->now_ms();
    if (!t.cur.tarpit_until) {
        const proxy_conf* c = t.cur.rq == rq_step::BE_RULES ? t.be_conf : t.fe_conf;
        uint64_t ms = c ? c->tmo_tarpit : 0;
        t.cur.tarpit_until = now + ms;
        t.cur.term[0] = 'P';
        t.cur.term[1] = 'T';
        if (ms) {
            host->stream_set_timeout(s, PTC_TMO_CLIENT | PTC_TMO_FIXED, ms);
            return PTC_ACT_YIELD;
        }
    }
    ptc_str d;
    if (host->chan_data(s, PTC_DIR_REQ, &d) & (PTC_CHAN_EOF | PTC_CHAN_ERROR)) {
        t.cur.replied = true; // the client left: nothing to answer
        host->stream_close(s, PTC_CLOSE_ABORT);
        t.state = st::CLOSED;
        return PTC_ACT_DONE;
    }
    if (now < t.cur.tarpit_until) {
        host->stream_set_timeout(s, PTC_TMO_CLIENT | PTC_TMO_FIXED, t.cur.tarpit_until - now);
        return PTC_ACT_YIELD;
    }
    t.cur.cli_close = true; // HAProxy closes after the answer
    return send_reply(s, *static_cast<const reply_def*>(state));
}

// wait-for-body time <time> [at-least <bytes>] (http-request, http-response): the rules wait
// until the whole body of the message is in the buffer, or <bytes> of it (0: no limit), or
// the buffer is full, or the sender ended; after <time>, a request is answered 408 ("cR")
// and a response 504 ("sR"), as HAProxy 2.6.12 logs them. A request announcing
// "Expect: 100-continue" gets the "100 Continue" from here (the header is removed).
struct wfb_def {
    uint64_t time;
    uint64_t at_least;
};

int parse_wait_for_body(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    uint64_t time = UINT64_MAX, bytes = 0;
    uint32_t i = first;
    while (!end_word(ctx, i)) {
        std::string_view k = sv(ctx->args[i]);
        if (k != "time" && k != "at-least")
            break;
        if (end_word(ctx, i + 1))
            return host->cfg_errorf(ctx, "%s: missing argument for '%.*s'", w.c_str(),
                                    int(k.size()), k.data());
        if (k == "time") {
            if (host->parse_time(ctx->args[i + 1], &time) != PTC_OK || time > 2147483647u)
                return host->cfg_errorf(ctx, "%s: invalid time '%.*s'", w.c_str(),
                                        int(ctx->args[i + 1].len), ctx->args[i + 1].ptr);
        } else if (host->parse_size(ctx->args[i + 1], &bytes) != PTC_OK) {
            return host->cfg_errorf(ctx, "%s: invalid size '%.*s'", w.c_str(),
                                    int(ctx->args[i + 1].len), ctx->args[i + 1].ptr);
        }
        i += 2;
    }
    if (time == UINT64_MAX)
        return host->cfg_errorf(ctx, "%s: expects time <time> [ at-least <bytes> ]", w.c_str());
    auto* d = make<wfb_def>();
    d->time = time;
    d->at_least = bytes;
    *state = d;
    *next = i;
    return PTC_OK;
}

// The body bytes of message <dir> that are in the buffer, and whether they are all of it.
bool body_in_buffer(ptc_stream* s, txn& t, uint32_t dir, uint64_t& have)
{
    const bool res = dir == PTC_DIR_RES;
    ptc_str d;
    uint32_t fl = host->chan_data(s, dir, &d);
    have = d.len > t.idx.head_len ? d.len - t.idx.head_len : 0;
    switch (res ? t.cur.res_body : t.cur.req_body) {
    case body::LENGTH:
        return have >= (res ? t.cur.res_len : t.cur.req_len);
    case body::CHUNKED: { // the last chunk (and no trailer) ends what is there
        std::string_view v(d.ptr, d.len);
        return have >= 5 && v.substr(v.size() - 5) == "0\r\n\r\n";
    }
    case body::UNTIL_CLOSE:
        return (fl & PTC_CHAN_EOF) != 0;
    default:
        return true;
    }
}

int exec_wait_for_body(ptc_stream* s, void* state)
{
    const auto* def = static_cast<const wfb_def*>(state);
    txn& t = txn_of(s);
    if (t.state == st::CLOSED)
        return PTC_ACT_DONE;
    const bool res = t.cur.phase == api_phase::RES;
    const uint32_t dir = res ? PTC_DIR_RES : PTC_DIR_REQ;
    const uint32_t tmo = res ? PTC_TMO_SERVER : PTC_TMO_CLIENT;
    uint64_t have = 0;
    ptc_str d;
    bool done = (!res && t.cur.is_connect) || body_in_buffer(s, t, dir, have) ||
                (def->at_least && have >= def->at_least) || host->chan_room(s, dir) == 0 ||
                // the buffer holds all it may (tune.bufsize less tune.maxrewrite): no more
                // comes before something leaves, so the rules go on with what is there
                (host->chan_data(s, dir, &d) & (PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_FULL));
    uint64_t now = host->now_ms();
    if (done) {
        if (t.cur.wfb_until) { // the timer goes back to the usual timeout
            t.cur.wfb_until = 0;
            if (res) {
                host->stream_set_timeout(s, tmo, PTC_TMO_DEFAULT);
            } else {
                t.cli_tmo = 0;
                set_cli_tmo_default(s, t);
            }
        }
        return PTC_ACT_CONTINUE;
    }
    if (!t.cur.wfb_until) {
        t.cur.wfb_until = now + def->time;
        if (!res && t.cur.expect_100) {
            // the client waits for it before sending the body
            static const char k_100[] = "HTTP/1.1 100 Continue\r\n\r\n";
            host->chan_append(s, PTC_DIR_RES, k_100, sizeof(k_100) - 1);
            host->chan_forward(s, PTC_DIR_RES, sizeof(k_100) - 1);
            const char* base = nullptr;
            if (msg(s, PTC_DIR_REQ, &base))
                head_del(s, PTC_DIR_REQ, t.idx, base, "expect");
            t.cur.expect_100 = false;
        }
    }
    if (now >= t.cur.wfb_until) {
        t.cur.wfb_until = 0;
        if (res)
            txn_fail(s, t, 504, 's', 'R');
        else
            txn_fail(s, t, 408, 'c', 'R');
        return PTC_ACT_DONE;
    }
    host->stream_set_timeout(s, tmo | PTC_TMO_FIXED, t.cur.wfb_until - now);
    if (!res)
        t.cli_tmo = t.cur.wfb_until - now;
    return PTC_ACT_YIELD;
}

} // namespace

int wait_request_body(ptc_stream* s, uint64_t time)
{
    wfb_def d{time, 0};
    return exec_wait_for_body(s, &d);
}

namespace {

// disable-l7-retry: this request is not replayed on another connection when it fails after
// it was sent (retry-on conditions other than connection failures).
int exec_disable_l7_retry(ptc_stream* s, void*)
{
    txn_of(s).cur.no_l7_retry = true;
    return PTC_ACT_CONTINUE;
}

// silent-drop (http-request, http-response): the client's connection disappears without a
// FIN or RST reaching it (PTC_CLOSE_SILENT, since ABI 1.14), nothing is answered.
int exec_silent_drop(ptc_stream* s, void*)
{
    txn& t = txn_of(s);
    if (t.state == st::CLOSED)
        return PTC_ACT_DONE;
    t.cur.term[0] = 'P';
    t.cur.term[1] = t.cur.phase == api_phase::RES ? 'H' : 'R';
    t.cur.replied = true;
    txn_close(s, t, host->abi_minor >= 14 ? PTC_CLOSE_SILENT : PTC_CLOSE_ABORT);
    return PTC_ACT_DONE;
}

// ---- header edits ---------------------------------------------------------------------------

enum : uint8_t { M_STR, M_BEG, M_END, M_SUB, M_REG };

struct hdr_act {
    uint32_t dir;
    std::string_view name;
    ptc_logfmt* fmt;     // set/add value, replace format
    pcre2_code* re;      // replace-header/value regex, del-header -m reg
    uint8_t match;       // del-header -m
};

pcre2_code* compile_re(const ptc_kw_ctx* ctx, const std::string& w, std::string_view src,
                       bool icase)
{
    int err;
    PCRE2_SIZE eoff;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(src.data()), src.size(),
                                   icase ? PCRE2_CASELESS : 0, &err, &eoff, nullptr);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof(msg));
        host->cfg_errorf(ctx, "%s: invalid regex '%.*s': %s", w.c_str(), int(src.size()),
                         src.data(), reinterpret_cast<char*>(msg));
        return nullptr;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

bool valid_name(std::string_view n)
{
    if (n.empty())
        return false;
    for (char c : n)
        if (c <= ' ' || c == 0x7f)
            return false; // ':' is kept in the name as HAProxy 2.6 does ("X-Proto:: http")
    return true;
}

// set-header / add-header <name> <fmt>
int parse_hdr_fmt(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    if (end_word(ctx, first) || end_word(ctx, first + 1))
        return host->cfg_errorf(ctx, "%s: expects exactly 2 arguments <name> <fmt>", w.c_str());
    auto* a = make<hdr_act>();
    *state = a;
    a->dir = dir_of(ctx);
    if (!valid_name(sv(ctx->args[first])))
        return host->cfg_errorf(ctx, "%s: invalid header name", w.c_str());
    a->name = {host->cfg_strdup(ctx, ctx->args[first]), ctx->args[first].len};
    a->fmt = host->logfmt_compile(ctx, ctx->args[first + 1]);
    if (!a->fmt)
        return PTC_ERROR;
    *next = first + 2;
    return PTC_OK;
}

int exec_set_add(ptc_stream* s, void* state, bool set)
{
    auto* a = static_cast<hdr_act*>(state);
    const char* base;
    txn* t = msg(s, a->dir, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    const char* v;
    size_t n = eval(s, a->fmt, 0, &v);
    if (set)
        head_del(s, a->dir, t->idx, pending(s, a->dir), a->name);
    if (head_add(s, a->dir, t->idx, a->name, {v, n}) != PTC_OK)
        return PTC_ACT_CONTINUE; // HAProxy counts a failed rewrite and goes on
    return PTC_ACT_CONTINUE;
}

int exec_set_header(ptc_stream* s, void* st) { return exec_set_add(s, st, true); }
int exec_add_header(ptc_stream* s, void* st) { return exec_set_add(s, st, false); }

// early-hint <name> <fmt> (http-request): a "103 Early Hints" interim response carrying the
// header, sent to an HTTP/1.1 client before the final response. The early-hint rules of one
// rule set run add their headers to one 103, sent when the rules stop (HAProxy 2.6 sends one
// per run of adjacent early-hint rules).
int exec_early_hint(ptc_stream* s, void* state)
{
    auto* a = static_cast<hdr_act*>(state);
    txn& t = txn_of(s);
    if (t.state == st::CLOSED || t.cur.req_minor < 1 || t.cur.replied)
        return PTC_ACT_CONTINUE;
    const char* v;
    size_t n = eval(s, a->fmt, 0, &v);
    std::string_view val(v, n);
    if (val.find_first_of("\r\n") != std::string_view::npos)
        return PTC_ACT_CONTINUE; // would split the head
    static const char k_103[] = "HTTP/1.1 103 Early Hints\r\n";
    if (!t.cur.eh_open) {
        if (host->chan_append(s, PTC_DIR_RES, k_103, sizeof(k_103) - 1) != PTC_OK)
            return PTC_ACT_ERROR;
        t.cur.eh_open = true;
    }
    char name[256]; // written in lower case, as HAProxy's HTX does
    size_t nl = std::min(a->name.size(), sizeof(name));
    for (size_t i = 0; i < nl; i++)
        name[i] = char(std::tolower((unsigned char)a->name[i]));
    if (host->chan_append(s, PTC_DIR_RES, name, nl) != PTC_OK ||
        host->chan_append(s, PTC_DIR_RES, a->name.data() + nl, a->name.size() - nl) != PTC_OK ||
        host->chan_append(s, PTC_DIR_RES, ": ", 2) != PTC_OK ||
        host->chan_append(s, PTC_DIR_RES, v, n) != PTC_OK ||
        host->chan_append(s, PTC_DIR_RES, "\r\n", 2) != PTC_OK)
        return PTC_ACT_ERROR;
    return PTC_ACT_CONTINUE;
}

// del-header <name> [-m str|beg|end|sub|reg]
int parse_del_header(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    if (end_word(ctx, first))
        return host->cfg_errorf(ctx, "%s: expects <name>", w.c_str());
    auto* a = make<hdr_act>();
    *state = a;
    a->dir = dir_of(ctx);
    a->name = {host->cfg_strdup(ctx, ctx->args[first]), ctx->args[first].len};
    uint32_t i = first + 1;
    if (!end_word(ctx, i) && sv(ctx->args[i]) == "-m") {
        if (end_word(ctx, i + 1))
            return host->cfg_errorf(ctx, "%s: '-m' expects a method", w.c_str());
        std::string_view m = sv(ctx->args[i + 1]);
        if (m == "str") a->match = M_STR;
        else if (m == "beg") a->match = M_BEG;
        else if (m == "end") a->match = M_END;
        else if (m == "sub") a->match = M_SUB;
        else if (m == "reg") a->match = M_REG;
        else
            return host->cfg_errorf(ctx, "%s: '-m' expects str, beg, end, sub or reg, got "
                                    "'%.*s'", w.c_str(), int(m.size()), m.data());
        if (a->match == M_REG && !(a->re = compile_re(ctx, w, a->name, true)))
            return PTC_ERROR;
        i += 2;
    }
    *next = i;
    return PTC_OK;
}

bool icase_find(std::string_view hay, std::string_view needle)
{
    if (needle.size() > hay.size())
        return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (h1::ieq(hay.substr(i, needle.size()), needle))
            return true;
    return false;
}

bool name_matches(const hdr_act& a, std::string_view n)
{
    std::string_view p = a.name;
    switch (a.match) {
    case M_STR: return h1::ieq(n, p);
    case M_BEG: return n.size() >= p.size() && h1::ieq(n.substr(0, p.size()), p);
    case M_END: return n.size() >= p.size() && h1::ieq(n.substr(n.size() - p.size()), p);
    case M_SUB: return icase_find(n, p);
    default: {
        pcre2_match_data* md = pcre2_match_data_create_from_pattern(a.re, nullptr);
        int rc = pcre2_match(a.re, reinterpret_cast<PCRE2_SPTR>(n.data()), n.size(), 0, 0, md,
                             nullptr);
        pcre2_match_data_free(md);
        return rc >= 0;
    }
    }
}

int exec_del_header(ptc_stream* s, void* state)
{
    auto* a = static_cast<hdr_act*>(state);
    const char* base;
    txn* t = msg(s, a->dir, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    if (a->match == M_STR) {
        head_del(s, a->dir, t->idx, base, a->name);
        return PTC_ACT_CONTINUE;
    }
    for (uint32_t i = 0; i < t->idx.count;) {
        base = pending(s, a->dir);
        if (name_matches(*a, name_of(t->idx, base, i))) {
            if (head_remove(s, a->dir, t->idx, i) != PTC_OK)
                break;
        } else {
            ++i;
        }
    }
    return PTC_ACT_CONTINUE;
}

// replace-header / replace-value <name> <regex> <fmt>
int parse_replace(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    if (end_word(ctx, first) || end_word(ctx, first + 1) || end_word(ctx, first + 2))
        return host->cfg_errorf(ctx, "%s: expects exactly 3 arguments", w.c_str());
    auto* a = make<hdr_act>();
    *state = a;
    a->dir = dir_of(ctx);
    a->name = {host->cfg_strdup(ctx, ctx->args[first]), ctx->args[first].len};
    if (!(a->re = compile_re(ctx, w, sv(ctx->args[first + 1]), false)))
        return PTC_ERROR;
    if (!(a->fmt = host->logfmt_compile(ctx, ctx->args[first + 2])))
        return PTC_ERROR;
    *next = first + 3;
    return PTC_OK;
}

// Matches <in> entirely against <re> and writes <fmt> with \0..\9 references into <out>.
// Returns the length written, or -1 when the regex does not match.
ssize_t regex_subst(pcre2_code* re, std::string_view in, std::string_view fmt, char* out,
                    size_t cap)
{
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
    int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(in.data()), in.size(), 0, 0, md,
                         nullptr);
    if (rc < 0) {
        pcre2_match_data_free(md);
        return -1;
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t n = 0;
    auto put = [&](const char* p, size_t l) {
        l = std::min(l, cap - n);
        memcpy(out + n, p, l);
        n += l;
    };
    for (size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] == '\\' && i + 1 < fmt.size() && fmt[i + 1] >= '0' && fmt[i + 1] <= '9') {
            int g = fmt[i + 1] - '0';
            if (g < rc && ov[2 * g] != PCRE2_UNSET)
                put(in.data() + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
            ++i;
        } else {
            put(&fmt[i], 1);
        }
    }
    pcre2_match_data_free(md);
    return ssize_t(n);
}

// HAProxy matches the regex against the whole value (replace-header) or each
// comma-separated element (replace-value).
int exec_replace(ptc_stream* s, void* state, bool per_value)
{
    auto* a = static_cast<hdr_act*>(state);
    const char* base;
    txn* t = msg(s, a->dir, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    const char* f;
    size_t fl = eval(s, a->fmt, 0, &f);
    std::string_view fmt(f, fl);
    size_t cap;
    char* out = work_buf(1, &cap);
    for (uint32_t i = 0; i < t->idx.count; ++i) {
        base = pending(s, a->dir);
        if (!h1::ieq(name_of(t->idx, base, i), a->name))
            continue;
        std::string_view v = value_of(t->idx, base, i);
        size_t n = 0;
        bool changed = false;
        if (!per_value) {
            ssize_t r = regex_subst(a->re, v, fmt, out, cap);
            if (r < 0)
                continue;
            n = size_t(r);
            changed = true;
        } else {
            // Elements split on commas (not inside quotes), rebuilt with ", ".
            h1::list_iter it(v);
            std::string_view item;
            bool first = true;
            while (it.next(item)) {
                if (!first && n + 2 < cap) {
                    memcpy(out + n, ", ", 2);
                    n += 2;
                }
                first = false;
                ssize_t r = regex_subst(a->re, item, fmt, out + n, cap - n);
                if (r < 0) {
                    size_t l = std::min(item.size(), cap - n);
                    memcpy(out + n, item.data(), l);
                    n += l;
                } else {
                    n += size_t(r);
                    changed = true;
                }
            }
        }
        if (changed)
            head_edit(s, a->dir, t->idx, t->idx.hdr[i].value_off, t->idx.hdr[i].value_len,
                      {out, n});
    }
    return PTC_ACT_CONTINUE;
}

int exec_replace_header(ptc_stream* s, void* st) { return exec_replace(s, st, false); }
int exec_replace_value(ptc_stream* s, void* st) { return exec_replace(s, st, true); }

// ---- request line -----------------------------------------------------------------------------

enum : uint8_t { RL_PATH, RL_PATHQ, RL_URI, RL_QUERY, RL_METHOD };

struct line_act {
    uint8_t what;
    ptc_logfmt* fmt;
};

int parse_line(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state,
               uint8_t what)
{
    if (end_word(ctx, first) || !end_word(ctx, first + 1))
        return host->cfg_errorf(ctx, "%s: expects exactly 1 argument <format>",
                                who(ctx, first).c_str());
    auto* a = make<line_act>();
    *state = a;
    a->what = what;
    if (!(a->fmt = host->logfmt_compile(ctx, ctx->args[first])))
        return PTC_ERROR;
    *next = first + 1;
    return PTC_OK;
}

int parse_set_path(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_line(c, f, n, s, RL_PATH);
}
int parse_set_pathq(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_line(c, f, n, s, RL_PATHQ);
}
int parse_set_uri(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_line(c, f, n, s, RL_URI);
}
int parse_set_query(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_line(c, f, n, s, RL_QUERY);
}
int parse_set_method(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_line(c, f, n, s, RL_METHOD);
}

// Start of the path in a request target (after scheme://authority in absolute form).
size_t path_start(std::string_view t)
{
    if (!t.empty() && t[0] != '/') {
        size_t p = t.find("://");
        if (p != std::string_view::npos) {
            size_t q = t.find('/', p + 3);
            return q == std::string_view::npos ? t.size() : q;
        }
    }
    return 0;
}

bool line_ok(std::string_view v)
{
    for (char c : v)
        if (c == ' ' || c == '\r' || c == '\n' || c == '\0' || c == '\t')
            return false;
    return true;
}

int line_apply(ptc_stream* s, txn* t, const char* base, uint8_t what, const char* v, size_t n);

int exec_line(ptc_stream* s, void* state)
{
    auto* a = static_cast<line_act*>(state);
    const char* base;
    txn* t = msg(s, PTC_DIR_REQ, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    const char* v;
    size_t n = eval(s, a->fmt, 0, &v);
    return line_apply(s, t, base, a->what, v, n);
}

// replace-path / replace-pathq / replace-uri <regex> <fmt>: when <regex> matches the part
// (path without query, path with query, whole target), that part becomes <fmt> (a
// log-format string) with its \0..\9 references replaced (HAProxy 2.6).
struct rx_line_act {
    uint8_t what;
    pcre2_code* re;
    ptc_logfmt* fmt;
};

int parse_rx_line(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state,
                  uint8_t what)
{
    std::string w = who(ctx, first);
    if (end_word(ctx, first) || end_word(ctx, first + 1) || !end_word(ctx, first + 2))
        return host->cfg_errorf(ctx, "%s: expects exactly 2 arguments <match-regex> "
                                "<replace-fmt>", w.c_str());
    auto* a = make<rx_line_act>();
    *state = a;
    a->what = what;
    if (!(a->re = compile_re(ctx, w, sv(ctx->args[first]), false)))
        return PTC_ERROR;
    if (!(a->fmt = host->logfmt_compile(ctx, ctx->args[first + 1])))
        return PTC_ERROR;
    *next = first + 2;
    return PTC_OK;
}
int parse_replace_path(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_rx_line(c, f, n, s, RL_PATH);
}
int parse_replace_pathq(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_rx_line(c, f, n, s, RL_PATHQ);
}
int parse_replace_uri(const ptc_kw_ctx* c, uint32_t f, uint32_t* n, void** s)
{
    return parse_rx_line(c, f, n, s, RL_URI);
}

int exec_rx_line(ptc_stream* s, void* state)
{
    auto* a = static_cast<rx_line_act*>(state);
    const char* base;
    txn* t = msg(s, PTC_DIR_REQ, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    std::string_view tgt(base + t->cur.target_off, t->cur.target_len);
    size_t ps = path_start(tgt);
    size_t q = tgt.find('?', ps);
    std::string_view part = a->what == RL_URI    ? tgt
                            : a->what == RL_PATHQ ? tgt.substr(ps)
                                                  : tgt.substr(ps, (q == std::string_view::npos
                                                                        ? tgt.size() : q) - ps);
    if (part.empty())
        return PTC_ACT_CONTINUE;
    const char* f;
    size_t fl = eval(s, a->fmt, 0, &f);
    size_t cap;
    char* out = work_buf(1, &cap);
    ssize_t r = regex_subst(a->re, part, {f, fl}, out, cap);
    if (r < 0)
        return PTC_ACT_CONTINUE;
    return line_apply(s, t, base, a->what, out, size_t(r));
}

// normalize-uri <normalizer> [full]: HAProxy 2.6's URI normalizers (configuration.txt 4.2).
enum : uint8_t {
    NU_MERGE_SLASHES, NU_STRIP_DOT, NU_STRIP_DOTDOT, NU_PCT_UPPER, NU_PCT_DECODE,
    NU_QUERY_SORT, NU_FRAG_STRIP, NU_FRAG_ENCODE,
};

struct norm_act {
    uint8_t kind;
    bool full;
    bool strict; // percent-*: an invalid '%' sequence is answered 400 (HAProxy's ACT_RET_INV)
};

int parse_normalize_uri(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    static const struct {
        const char* n;
        uint8_t k;
    } names[] = {{"path-merge-slashes", NU_MERGE_SLASHES}, {"path-strip-dot", NU_STRIP_DOT},
                 {"path-strip-dotdot", NU_STRIP_DOTDOT}, {"percent-to-uppercase", NU_PCT_UPPER},
                 {"percent-decode-unreserved", NU_PCT_DECODE},
                 {"query-sort-by-name", NU_QUERY_SORT}, {"fragment-strip", NU_FRAG_STRIP},
                 {"fragment-encode", NU_FRAG_ENCODE}};
    if (end_word(ctx, first))
        return host->cfg_errorf(ctx, "%s: expects a normalizer (path-merge-slashes, "
                                "path-strip-dot, path-strip-dotdot, percent-decode-unreserved, "
                                "percent-to-uppercase, query-sort-by-name, fragment-strip, "
                                "fragment-encode)", w.c_str());
    std::string_view n = sv(ctx->args[first]);
    auto* a = make<norm_act>();
    *state = a;
    bool found = false;
    for (auto& e : names)
        if (n == e.n) {
            a->kind = e.k;
            found = true;
        }
    if (!found)
        return host->cfg_errorf(ctx, "%s: unknown normalizer '%.*s'", w.c_str(), int(n.size()),
                                n.data());
    *next = first + 1;
    if (!end_word(ctx, first + 1)) {
        std::string_view o = sv(ctx->args[first + 1]);
        if (o == "full" && a->kind == NU_STRIP_DOTDOT) {
            a->full = true;
            *next = first + 2;
        } else if (o == "strict" && (a->kind == NU_PCT_UPPER || a->kind == NU_PCT_DECODE)) {
            a->strict = true;
            *next = first + 2;
        } else if (o != "if" && o != "unless") {
            return host->cfg_errorf(ctx, "%s %.*s: unexpected option '%.*s'", w.c_str(),
                                    int(n.size()), n.data(), int(o.size()), o.data());
        }
    }
    return PTC_OK;
}

bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_of(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

// Resolves "/../" segments: each pops the segment before it; the ones with nothing left to
// pop stay at the start unless <full>; a final ".." leaves a trailing '/'.
size_t strip_dotdot(std::string_view p, bool full, char* out, size_t cap)
{
    static std::string_view segs[4096];
    size_t ns = 0, excess = 0;
    bool trailing = false;
    size_t pos = 1; // p[0] == '/'
    while (true) {
        size_t e = p.find('/', pos);
        size_t len = e == std::string_view::npos ? p.size() - pos : e - pos;
        std::string_view seg = p.substr(pos, len);
        trailing = false;
        if (seg == "..") {
            if (ns)
                ns--;
            else
                excess++;
            trailing = true;
        } else {
            if (ns >= 4096)
                return 0;
            segs[ns++] = seg;
        }
        if (e == std::string_view::npos)
            break;
        pos = e + 1;
    }
    size_t n = 0;
    auto put = [&](std::string_view x) {
        size_t l = std::min(x.size(), cap - n);
        memcpy(out + n, x.data(), l);
        n += l;
    };
    put("/");
    if (!full)
        for (size_t i = 0; i < excess; i++)
            put("../");
    for (size_t i = 0; i < ns; i++) {
        if (i)
            put("/");
        put(segs[i]);
    }
    if (trailing && ns)
        put("/");
    return n;
}

int exec_normalize_uri(ptc_stream* s, void* state)
{
    auto* a = static_cast<norm_act*>(state);
    const char* base;
    txn* t = msg(s, PTC_DIR_REQ, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    std::string_view tgt(base + t->cur.target_off, t->cur.target_len);
    size_t ps = path_start(tgt);
    if (ps >= tgt.size() || tgt[ps] != '/')
        return PTC_ACT_CONTINUE; // no path ('*', authority form)
    size_t q = tgt.find('?', ps);
    std::string_view path = tgt.substr(ps, (q == std::string_view::npos ? tgt.size() : q) - ps);
    std::string_view pathq = tgt.substr(ps);
    size_t cap;
    char* out = work_buf(1, &cap);
    size_t n = 0;
    auto put = [&](char c) {
        if (n < cap)
            out[n++] = c;
    };
    uint8_t what = RL_PATHQ;
    switch (a->kind) {
    case NU_MERGE_SLASHES:
        what = RL_PATH;
        for (size_t i = 0; i < path.size(); i++)
            if (!(path[i] == '/' && i && path[i - 1] == '/'))
                put(path[i]);
        break;
    case NU_STRIP_DOT: {
        what = RL_PATH;
        size_t pos = 0;
        while (pos <= path.size()) {
            size_t e = path.find('/', pos);
            bool last = e == std::string_view::npos;
            std::string_view seg = path.substr(pos, last ? path.size() - pos : e - pos);
            if (seg != ".") {
                for (char c : seg)
                    put(c);
                if (!last)
                    put('/');
            }
            if (last)
                break;
            pos = e + 1;
        }
        break;
    }
    case NU_STRIP_DOTDOT:
        what = RL_PATH;
        if (path.find("..") == std::string_view::npos)
            return PTC_ACT_CONTINUE;
        n = strip_dotdot(path, a->full, out, cap);
        break;
    case NU_PCT_UPPER:
    case NU_PCT_DECODE:
        for (size_t i = 0; i < pathq.size(); i++) {
            char c = pathq[i];
            if (c == '%' && i + 2 < pathq.size() && is_hex(pathq[i + 1]) && is_hex(pathq[i + 2])) {
                char h1 = pathq[i + 1], h2 = pathq[i + 2];
                unsigned char d = (unsigned char)(hex_of(h1) << 4 | hex_of(h2));
                if (a->kind == NU_PCT_DECODE && unreserved(d)) {
                    put((char)d);
                } else {
                    put('%');
                    put(a->kind == NU_PCT_UPPER && h1 >= 'a' ? char(h1 - 32) : h1);
                    put(a->kind == NU_PCT_UPPER && h2 >= 'a' ? char(h2 - 32) : h2);
                }
                i += 2;
            } else if (c == '%' && a->strict) {
                // '%' without two hex digits: the request is invalid ("PR", as HAProxy)
                txn_fail(s, *t, 400, 'P', 'R');
                return PTC_ACT_DONE;
            } else {
                put(c);
            }
        }
        break;
    case NU_QUERY_SORT: {
        if (q == std::string_view::npos)
            return PTC_ACT_CONTINUE;
        static std::string_view params[1024];
        size_t np = 0;
        std::string_view qs = tgt.substr(q + 1);
        size_t pos = 0;
        while (true) {
            size_t e = qs.find('&', pos);
            if (np >= 1024)
                return PTC_ACT_CONTINUE;
            params[np++] = qs.substr(pos, e == std::string_view::npos ? qs.size() - pos : e - pos);
            if (e == std::string_view::npos)
                break;
            pos = e + 1;
        }
        // by name (before '='), equal names keep their order
        std::sort(params, params + np, [](std::string_view x, std::string_view y) {
            std::string_view xn = x.substr(0, x.find('=')), yn = y.substr(0, y.find('='));
            if (xn != yn)
                return xn < yn;
            return x.data() < y.data();
        });
        for (char c : path)
            put(c);
        put('?');
        for (size_t i = 0; i < np; i++) {
            if (i)
                put('&');
            for (char c : params[i])
                put(c);
        }
        break;
    }
    case NU_FRAG_STRIP:
        for (char c : pathq) {
            if (c == '#')
                break;
            put(c);
        }
        break;
    case NU_FRAG_ENCODE:
        for (char c : pathq) {
            if (c == '#') {
                put('%');
                put('2');
                put('3');
            } else {
                put(c);
            }
        }
        break;
    }
    if (n == 0)
        return PTC_ACT_CONTINUE;
    std::string_view res(out, n);
    if (res == (what == RL_PATH ? path : pathq))
        return PTC_ACT_CONTINUE;
    return line_apply(s, t, base, what, out, n);
}

int line_apply(ptc_stream* s, txn* t, const char* base, uint8_t what, const char* v, size_t n)
{
    std::string_view val(v, n);
    if (!line_ok(val))
        return PTC_ACT_CONTINUE; // would break the request line: HAProxy fails the rewrite
    txn_cur& c = t->cur;
    std::string_view tgt(base + c.target_off, c.target_len);
    uint32_t off = c.target_off, len = c.target_len;
    size_t ps = path_start(tgt);
    size_t q = tgt.find('?', ps);
    size_t pe = q == std::string_view::npos ? tgt.size() : q;
    char* tmp = nullptr;
    switch (what) {
    case RL_METHOD:
        if (val.empty())
            return PTC_ACT_CONTINUE;
        off = c.method_off;
        len = c.method_len;
        break;
    case RL_URI:
        if (val.empty())
            return PTC_ACT_CONTINUE;
        break;
    case RL_PATH:
        if (val.empty())
            return PTC_ACT_CONTINUE;
        off = uint32_t(c.target_off + ps);
        len = uint32_t(pe - ps);
        break;
    case RL_PATHQ:
        if (val.empty())
            return PTC_ACT_CONTINUE;
        off = uint32_t(c.target_off + ps);
        len = uint32_t(tgt.size() - ps);
        break;
    case RL_QUERY: {
        // A '?' is added when absent (and the value is not empty); never removed.
        if (q == std::string_view::npos) {
            if (val.empty())
                return PTC_ACT_CONTINUE;
            size_t cap;
            tmp = work_buf(1, &cap);
            if (n + 1 > cap)
                return PTC_ACT_CONTINUE;
            tmp[0] = '?';
            memcpy(tmp + 1, v, n);
            val = {tmp, n + 1};
            off = uint32_t(c.target_off + tgt.size());
            len = 0;
        } else {
            off = uint32_t(c.target_off + q + 1);
            len = uint32_t(tgt.size() - q - 1);
        }
        break;
    }
    }
    if (head_edit(s, PTC_DIR_REQ, t->idx, off, len, val) != PTC_OK)
        return PTC_ACT_CONTINUE;
    int64_t delta = int64_t(val.size()) - int64_t(len);
    if (what == RL_METHOD) {
        c.method_len = uint32_t(val.size());
        c.target_off = uint32_t(c.target_off + delta);
        c.is_head = val == "HEAD";
        c.is_connect = val == "CONNECT";
    } else {
        c.target_len = uint32_t(c.target_len + delta);
        if (what == RL_URI)
            sync_host_authority(s, *t, true);
    }
    return PTC_ACT_CONTINUE;
}

} // namespace

// HAProxy keeps the Host header and the authority of an absolute-form target in step: a URI
// rewrite that names an authority sets the Host header to it, and a Host header set by a
// rule sets the authority (the parser refuses a request where they differ).
void sync_host_authority(ptc_stream* s, txn& t, bool uri_changed)
{
    txn_cur& c = t.cur;
    if (c.is_connect)
        return;
    const char* base = pending(s, PTC_DIR_REQ);
    std::string_view tgt(base + c.target_off, c.target_len);
    size_t sep = tgt.find("://");
    if (tgt.empty() || tgt[0] == '/' || sep == std::string_view::npos)
        return;
    size_t a_off = sep + 3;
    size_t a_end = std::min(tgt.find_first_of("/?#", a_off), tgt.size());
    size_t at = tgt.substr(a_off, a_end - a_off).rfind('@');
    if (at != std::string_view::npos)
        a_off += at + 1;
    std::string_view auth = tgt.substr(a_off, a_end - a_off);
    int i = index_find(t.idx, base, "host", 0);
    if (i < 0 || h1::ieq(value_of(t.idx, base, uint32_t(i)), auth))
        return;
    if (uri_changed) {
        std::string a(auth); // the edit may move the buffer
        head_edit(s, PTC_DIR_REQ, t.idx, t.idx.hdr[i].value_off, t.idx.hdr[i].value_len, a);
        return;
    }
    std::string h(value_of(t.idx, base, uint32_t(i)));
    if (!line_ok(h) || h.find_first_of("/?#@") != std::string::npos)
        return; // not an authority: left for the parser of the next hop to refuse
    if (head_edit(s, PTC_DIR_REQ, t.idx, uint32_t(c.target_off + a_off), uint32_t(auth.size()),
                  h) == PTC_OK)
        c.target_len = uint32_t(c.target_len + int64_t(h.size()) - int64_t(auth.size()));
}

namespace {

// ---- redirect ---------------------------------------------------------------------------------

enum : uint8_t { RD_LOCATION, RD_PREFIX, RD_SCHEME };

struct redirect_act {
    uint8_t type;
    bool drop_query;
    bool append_slash;
    bool ignore_empty;
    bool prefix_root;     // prefix "/" (nothing inserted)
    uint16_t code;
    ptc_logfmt* fmt;
    const char* cookie;   // complete "set-cookie: ...\r\n" line or NULL
};

int parse_redirect(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    auto* a = make<redirect_act>();
    *state = a;
    a->code = 302;
    bool have = false;
    uint32_t i = first;
    try {
        std::string cookie;
        for (; !end_word(ctx, i); ++i) {
            std::string_view k = sv(ctx->args[i]);
            bool arg = !end_word(ctx, i + 1);
            if (k == "location" || k == "prefix" || k == "scheme") {
                if (!arg)
                    return host->cfg_errorf(ctx, "%s: '%.*s' expects an argument", w.c_str(),
                                            int(k.size()), k.data());
                a->type = k == "location" ? RD_LOCATION : k == "prefix" ? RD_PREFIX : RD_SCHEME;
                ptc_str v = ctx->args[++i];
                a->prefix_root = a->type == RD_PREFIX && sv(v) == "/";
                if (!(a->fmt = host->logfmt_compile(ctx, v)))
                    return PTC_ERROR;
                have = true;
            } else if (k == "code") {
                if (!arg)
                    return host->cfg_errorf(ctx, "%s: 'code' expects an argument", w.c_str());
                std::string_view c = sv(ctx->args[++i]);
                if (c == "301" || c == "302" || c == "303" || c == "307" || c == "308")
                    a->code = uint16_t((c[0] - '0') * 100 + (c[2] - '0'));
                else
                    return host->cfg_errorf(ctx, "%s: unsupported HTTP code '%.*s' (301, 302, "
                                            "303, 307 or 308)", w.c_str(), int(c.size()),
                                            c.data());
            } else if (k == "drop-query") {
                a->drop_query = true;
            } else if (k == "append-slash") {
                a->append_slash = true;
            } else if (k == "ignore-empty") {
                a->ignore_empty = true;
            } else if (k == "set-cookie" || k == "clear-cookie") {
                if (!arg)
                    return host->cfg_errorf(ctx, "%s: '%.*s' expects an argument", w.c_str(),
                                            int(k.size()), k.data());
                std::string_view c = sv(ctx->args[++i]);
                cookie = "set-cookie: " + std::string(c) + "; path=/;" +
                         (k == "clear-cookie" ? " Max-Age=0;" : "") + "\r\n";
            } else {
                return host->cfg_errorf(ctx, "%s: expects 'code', 'prefix', 'location', "
                                        "'scheme', 'set-cookie', 'clear-cookie', 'drop-query',"
                                        " 'ignore-empty' or 'append-slash', got '%.*s'",
                                        w.c_str(), int(k.size()), k.data());
            }
        }
        if (!have)
            return host->cfg_errorf(ctx, "%s: expects 'location', 'prefix' or 'scheme'",
                                    w.c_str());
        if (!cookie.empty())
            a->cookie = host->cfg_strdup(ctx, ptc_str{cookie.data(), cookie.size()});
    } catch (const std::exception& e) {
        return host->cfg_errorf(ctx, "%s: %s", w.c_str(), e.what());
    }
    *next = i;
    return PTC_OK;
}

const char* redirect_reason(int code)
{
    switch (code) {
    case 301: return "Moved Permanently";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    default: return "Found";
    }
}

int exec_redirect(ptc_stream* s, void* state)
{
    auto* a = static_cast<redirect_act*>(state);
    txn& t = txn_of(s);
    if (t.cur.replied || t.state == st::CLOSED)
        return PTC_ACT_DONE;
    size_t cap;
    char* loc = work_buf(1, &cap);
    size_t n = 0;
    auto put = [&](std::string_view v) {
        size_t l = std::min(v.size(), cap - n);
        if (l) // (an empty view may have no data pointer)
            memcpy(loc + n, v.data(), l);
        n += l;
    };
    const char* v;
    size_t vl = eval(s, a->fmt, 0, &v);
    if (vl == 0 && a->ignore_empty)
        return PTC_ACT_CONTINUE;
    if (!t.cur.term[0]) {
        t.cur.term[0] = 'L';
        t.cur.term[1] = t.cur.phase == api_phase::RES ? 'H' : 'R';
    }
    // The request's path (and query) from the copy of the request line.
    std::string_view path, query;
    std::string_view rl(t.reqline, t.cur.reqline_len);
    size_t sp1 = rl.find(' ');
    if (sp1 != std::string_view::npos) {
        std::string_view tgt = rl.substr(sp1 + 1);
        tgt = tgt.substr(0, tgt.rfind(' '));
        tgt = tgt.substr(path_start(tgt));
        size_t q = tgt.find('?');
        path = tgt.substr(0, q);
        if (q != std::string_view::npos)
            query = tgt.substr(q);
    }
    if (a->type == RD_LOCATION) {
        put({v, vl});
    } else {
        if (a->type == RD_SCHEME) {
            put({v, vl});
            put("://");
            const char* base;
            if (txn* r = msg(s, PTC_DIR_REQ, &base)) {
                int h = index_find(r->idx, base, "host", 0);
                if (h >= 0)
                    put(value_of(r->idx, base, uint32_t(h)));
            }
            if (path.empty() || path == "*")
                path = "/";
        } else if (!a->prefix_root) {
            put({v, vl});
        }
        put(path);
        if (a->append_slash && a->drop_query && (path.empty() || path.back() != '/'))
            put("/");
        if (!a->drop_query)
            put(query);
    }
    char* out = work_buf(0, &cap);
    bool nc = a->code == 302 || a->code == 303 || a->code == 307;
    int h = snprintf(out, cap, "HTTP/1.1 %d %s\r\ncontent-length: 0\r\nlocation: %.*s\r\n%s%s"
                     "\r\n", a->code, redirect_reason(a->code), int(n), loc,
                     nc ? "cache-control: no-cache\r\n" : "", a->cookie ? a->cookie : "");
    if (h <= 0 || size_t(h) >= cap)
        return PTC_ACT_ERROR;
    reply_prepare(s, t);
    ptc_str d;
    host->chan_data(s, PTC_DIR_RES, &d);
    if (d.len)
        host->chan_skip(s, PTC_DIR_RES, d.len);
    t.cur.replied = true;
    if (host->chan_append(s, PTC_DIR_RES, out, size_t(h)) != PTC_OK) {
        host->stream_close(s, PTC_CLOSE_ABORT);
        t.state = st::CLOSED;
        return PTC_ACT_ERROR;
    }
    return emit_generated(s, t, size_t(h)) == PTC_OK ? PTC_ACT_DONE : PTC_ACT_ERROR;
}

// ---- response status ----------------------------------------------------------------------------

struct status_act {
    uint16_t status;
    const char* reason;
};

int parse_set_status(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    std::string w = who(ctx, first);
    if (end_word(ctx, first))
        return host->cfg_errorf(ctx, "%s: expects <status>", w.c_str());
    std::string v(sv(ctx->args[first]));
    char* end = nullptr;
    long code = strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || code < 100 || code > 999)
        return host->cfg_errorf(ctx, "%s: expects an integer status code between 100 and 999",
                                w.c_str());
    auto* a = make<status_act>();
    *state = a;
    a->status = uint16_t(code);
    uint32_t i = first + 1;
    if (!end_word(ctx, i) && sv(ctx->args[i]) == "reason") {
        if (end_word(ctx, i + 1))
            return host->cfg_errorf(ctx, "%s: 'reason' expects an argument", w.c_str());
        a->reason = host->cfg_strdup(ctx, ctx->args[i + 1]);
        i += 2;
    }
    *next = i;
    return PTC_OK;
}

int exec_set_status(ptc_stream* s, void* state)
{
    auto* a = static_cast<status_act*>(state);
    const char* base;
    txn* t = msg(s, PTC_DIR_RES, &base);
    if (!t)
        return PTC_ACT_CONTINUE;
    // "HTTP/1.x NNN reason\r\n": replace from the status to the end of the line.
    std::string_view head(base, t->idx.head_len);
    size_t sp = head.find(' ');
    size_t eol = head.find('\n');
    if (sp == std::string_view::npos || eol == std::string_view::npos || eol < sp)
        return PTC_ACT_CONTINUE;
    size_t end = eol > 0 && head[eol - 1] == '\r' ? eol - 1 : eol;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%03u %s", a->status,
                     a->reason ? a->reason : reason_phrase(a->status));
    if (n <= 0 || size_t(n) >= sizeof(buf))
        return PTC_ACT_CONTINUE;
    if (head_edit(s, PTC_DIR_RES, t->idx, uint32_t(sp + 1), uint32_t(end - sp - 1),
                  {buf, size_t(n)}) == PTC_OK) {
        t->cur.res_status = a->status;
        if (t->cur.log_status)
            t->cur.log_status = a->status;
    }
    return PTC_ACT_CONTINUE;
}

// ---- set-log-level -----------------------------------------------------------------------------

struct level_act {
    uint8_t level; // level + 1 (1 emerg .. 8 debug), 9 = silent
};

int parse_set_log_level(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    static const char* const names[] = {"emerg", "alert", "crit", "err",
                                        "warning", "notice", "info", "debug"};
    std::string w = who(ctx, first);
    if (end_word(ctx, first))
        return host->cfg_errorf(ctx, "%s: expects a level", w.c_str());
    std::string_view l = sv(ctx->args[first]);
    auto* a = make<level_act>();
    *state = a;
    if (l == "silent") {
        a->level = 9;
    } else {
        for (uint8_t i = 0; i < 8; ++i)
            if (l == names[i])
                a->level = uint8_t(i + 1);
        if (!a->level)
            return host->cfg_errorf(ctx, "%s: unknown log level '%.*s'", w.c_str(),
                                    int(l.size()), l.data());
    }
    *next = first + 1;
    return PTC_OK;
}

int exec_set_log_level(ptc_stream* s, void* state)
{
    txn_of(s).cur.log_level = static_cast<level_act*>(state)->level;
    return PTC_ACT_CONTINUE;
}

constexpr uint32_t RQ = PTC_RULES_HTTP_REQ;
constexpr uint32_t RS = PTC_RULES_HTTP_RES;
constexpr uint32_t AR = PTC_RULES_HTTP_AFTER_RES;

} // namespace

// The proxy keyword "redirect location|prefix|scheme <to> [options] [if|unless <cond>]":
// the same redirect as "http-request redirect", in a list of its own that HAProxy runs after
// the proxy's http-request rules (also after an "allow" there).
int parse_proxy_redirect(const ptc_kw_ctx* ctx)
{
    uint32_t next = ctx->kw_words;
    void* act = nullptr;
    if (parse_redirect(ctx, ctx->kw_words, &next, &act) != PTC_OK)
        return PTC_ERROR;
    ptc_cond* cond = nullptr;
    if (next < ctx->argc && !(cond = host->cond_compile(ctx, next, PTC_USE_L4 | PTC_USE_HTTP_REQ)))
        return PTC_ERROR;
    auto* r = make<redirect_rule>();
    r->act = act;
    r->cond = cond;
    auto* c = static_cast<proxy_conf*>(ctx->conf);
    redirect_rule** tail = &c->redirects;
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
    return PTC_OK;
}

int run_proxy_redirects(ptc_stream* s, const proxy_conf* c)
{
    for (const redirect_rule* r = c ? c->redirects : nullptr; r; r = r->next) {
        if (r->cond && !host->cond_eval(s, r->cond))
            continue;
        int rc = exec_redirect(s, r->act);
        if (rc != PTC_ACT_CONTINUE) // "ignore-empty" with an empty location: the next rule
            return rc;
    }
    return PTC_ACT_CONTINUE;
}

void early_hints_flush(ptc_stream* s, txn& t)
{
    if (!t.cur.eh_open)
        return;
    t.cur.eh_open = false;
    host->chan_append(s, PTC_DIR_RES, "\r\n", 2);
    ptc_str d;
    host->chan_data(s, PTC_DIR_RES, &d);
    host->chan_forward(s, PTC_DIR_RES, d.len);
}

// The published API's request-line and status rewrites (ptc_http_api: Lua's
// HTTP:req_set_method/path/query/uri and HTTP:res_set_status).
int req_line_set(ptc_stream* s, uint32_t part, std::string_view v)
{
    const char* base;
    txn* t = msg(s, PTC_DIR_REQ, &base);
    if (!t || !line_ok(v) || part < PTC_HTTP_LINE_METHOD || part > PTC_HTTP_LINE_URI ||
        (part == PTC_HTTP_LINE_METHOD && v.empty()))
        return PTC_ERROR;
    uint8_t what = part == PTC_HTTP_LINE_METHOD ? RL_METHOD
                   : part == PTC_HTTP_LINE_PATH ? RL_PATH
                   : part == PTC_HTTP_LINE_QUERY ? RL_QUERY
                                                  : RL_URI;
    line_apply(s, t, base, what, v.data(), v.size());
    return PTC_OK;
}

int res_status_set(ptc_stream* s, int status, std::string_view reason)
{
    const char* base;
    if (status < 100 || status > 999 || !msg(s, PTC_DIR_RES, &base))
        return PTC_ERROR;
    std::string r(reason);
    status_act a{uint16_t(status), r.empty() ? nullptr : r.c_str()};
    exec_set_status(s, &a);
    return PTC_OK;
}

const ptc_action actions[] = {
    {RQ, "return", parse_return, exec_return,
     "return [status <code>] [content-type <type>] [string|lf-string|file|lf-file|errorfile "
     "<x>|default-errorfiles] [hdr <name> <fmt>]*"},
    {RS, "return", parse_return, exec_return, "return [status <code>] ..."},
    {RQ, "deny", parse_deny, exec_reply, "deny [deny_status <code>] [return options]"},
    {RS, "deny", parse_deny, exec_reply, "deny [deny_status <code>] [return options]"},
    {RQ, "reject", parse_noarg, exec_reject, "reject"},
    {RQ, "tarpit", parse_tarpit, exec_tarpit, "tarpit [deny_status <code>] [return options]"},
    {RQ, "silent-drop", parse_noarg, exec_silent_drop, "silent-drop"},
    {RQ, "wait-for-body", parse_wait_for_body, exec_wait_for_body,
     "wait-for-body time <time> [at-least <bytes>]"},
    {RS, "wait-for-body", parse_wait_for_body, exec_wait_for_body,
     "wait-for-body time <time> [at-least <bytes>]"},
    {RQ, "early-hint", parse_hdr_fmt, exec_early_hint, "early-hint <name> <fmt>"},
    {RQ, "disable-l7-retry", parse_noarg, exec_disable_l7_retry, "disable-l7-retry"},
    {RS, "silent-drop", parse_noarg, exec_silent_drop, "silent-drop"},
    {RQ, "auth", parse_auth, exec_return, "auth [realm <realm>]"},
    {RQ, "allow", parse_noarg, exec_allow, "allow"},
    {RS, "allow", parse_noarg, exec_allow, "allow"},
    {AR, "allow", parse_noarg, exec_allow, "allow"},
    {RQ, "redirect", parse_redirect, exec_redirect,
     "redirect location|prefix|scheme <fmt> [code <code>] [drop-query] [append-slash] "
     "[ignore-empty] [set-cookie <c>] [clear-cookie <c>]"},
    {RS, "redirect", parse_redirect, exec_redirect, "redirect location|prefix|scheme <fmt> ..."},
    {RQ, "set-header", parse_hdr_fmt, exec_set_header, "set-header <name> <fmt>"},
    {RS, "set-header", parse_hdr_fmt, exec_set_header, "set-header <name> <fmt>"},
    {AR, "set-header", parse_hdr_fmt, exec_set_header, "set-header <name> <fmt>"},
    {RQ, "add-header", parse_hdr_fmt, exec_add_header, "add-header <name> <fmt>"},
    {RS, "add-header", parse_hdr_fmt, exec_add_header, "add-header <name> <fmt>"},
    {AR, "add-header", parse_hdr_fmt, exec_add_header, "add-header <name> <fmt>"},
    {RQ, "del-header", parse_del_header, exec_del_header, "del-header <name> [-m <meth>]"},
    {RS, "del-header", parse_del_header, exec_del_header, "del-header <name> [-m <meth>]"},
    {AR, "del-header", parse_del_header, exec_del_header, "del-header <name> [-m <meth>]"},
    {RQ, "replace-header", parse_replace, exec_replace_header,
     "replace-header <name> <regex> <fmt>"},
    {RS, "replace-header", parse_replace, exec_replace_header,
     "replace-header <name> <regex> <fmt>"},
    {AR, "replace-header", parse_replace, exec_replace_header,
     "replace-header <name> <regex> <fmt>"},
    {RQ, "replace-value", parse_replace, exec_replace_value,
     "replace-value <name> <regex> <fmt>"},
    {RS, "replace-value", parse_replace, exec_replace_value,
     "replace-value <name> <regex> <fmt>"},
    {AR, "replace-value", parse_replace, exec_replace_value,
     "replace-value <name> <regex> <fmt>"},
    {RQ, "set-path", parse_set_path, exec_line, "set-path <fmt>"},
    {RQ, "set-pathq", parse_set_pathq, exec_line, "set-pathq <fmt>"},
    {RQ, "set-uri", parse_set_uri, exec_line, "set-uri <fmt>"},
    {RQ, "set-query", parse_set_query, exec_line, "set-query <fmt>"},
    {RQ, "replace-path", parse_replace_path, exec_rx_line,
     "replace-path <match-regex> <replace-fmt>"},
    {RQ, "replace-pathq", parse_replace_pathq, exec_rx_line,
     "replace-pathq <match-regex> <replace-fmt>"},
    {RQ, "replace-uri", parse_replace_uri, exec_rx_line, "replace-uri <match-regex> <replace-fmt>"},
    {RQ, "wait-for-handshake", parse_noarg, exec_wait_handshake, "wait-for-handshake"},
    {RQ, "strict-mode", parse_strict_mode, exec_continue, "strict-mode off"},
    {RS, "strict-mode", parse_strict_mode, exec_continue, "strict-mode off"},
    {AR, "strict-mode", parse_strict_mode, exec_continue, "strict-mode off"},
    {RQ, "normalize-uri", parse_normalize_uri, exec_normalize_uri,
     "normalize-uri <normalizer> [full]"},
    {RQ, "set-method", parse_set_method, exec_line, "set-method <fmt>"},
    {RS, "set-status", parse_set_status, exec_set_status, "set-status <status> [reason <str>]"},
    {AR, "set-status", parse_set_status, exec_set_status, "set-status <status> [reason <str>]"},
    {RQ, "set-log-level", parse_set_log_level, exec_set_log_level, "set-log-level <level>"},
    {RS, "set-log-level", parse_set_log_level, exec_set_log_level, "set-log-level <level>"},
};
const uint32_t action_count = sizeof(actions) / sizeof(actions[0]);

} // namespace portico::http
