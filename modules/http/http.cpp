// SPDX-License-Identifier: MIT
// The http module: HTTP/1.1 reverse-proxy stream handler ("mode http") and its descriptor.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <string>

#include "http_int.hpp"

/*
 * One stream = one client connection carrying a series of transactions (keep-alive,
 * pipelining) and at most one server connection, kept across transactions when the
 * response allows it (HAProxy's default "option http-keep-alive").
 *
 * State machine (txn::state):
 *
 *   WAIT_REQ    Parse the request head from the pending REQ bytes. Incomplete: wait (a full
 *               buffer gives 431, or 414 without a complete request line; EOF gives 400
 *               after partial bytes and a silent close otherwise). Error: 4xx/5xx page.
 *       |  parsed: header index built, framing known
 *       v
 *   REQ_HOOKS   hooks_run(HTTP_REQUEST) (may yield), then the frontend's "http-request
 *               return" rules, backend selection (once per stream), the backend's rules.
 *               A hook reply() or a return rule answers locally: the request is dropped
 *               (head and complete body) and the transaction ends -> WAIT_REQ.
 *       |  live reusable server connection?  yes -----------------------+
 *       v  no: stream_connect()                                         |
 *   CONNECTING  wait for PTC_EV_SRV_CONNECTED (connect failure -> 503)   |
 *       |                                                               |
 *       v  request head forwarded (+ Content-Length body auto-forwarded) v
 *   EXCHANGE    request body (txn_cur::req_body) and response (txn_cur::res) progress
 *               side by side. Response: WAIT_HEAD (1xx interim heads are forwarded, then
 *               the final head awaited) -> HOOKS (hooks_run(HTTP_RESPONSE), connection
 *               header fix-ups) -> BODY (LENGTH / CHUNKED / UNTIL_CLOSE) -> DONE.
 *               DONE: close the server side unless reusable; close the client if either
 *               side asked to close, else reset the transaction and go back to WAIT_REQ
 *               (parsing pipelined bytes at once).
 *       |  101, or 2xx to CONNECT
 *       v
 *   TUNNEL      both channels auto-forwarded until both sides closed.
 *
 *   CLOSED      stream_close() was called; every later event is ignored.
 *
 * Failures: before any byte of the final response was released, an error page is sent
 * (502 bad/short response, 503 no server / connect failure, 504 server timeout) and the
 * stream closed after flushing it; afterwards the stream is aborted.
 *
 * Only the bytes the framing assigns to a request ever reach the server: a Content-Length
 * body is auto-forwarded for exactly its length, a chunked body is forwarded as far as the
 * chunked validator consumed it, and the next request stays pending until the current
 * transaction is over.
 */

namespace portico::http {

const ptc_host* host;
ptc_modref* self;
uint32_t max_hdr = 101;
size_t head_limit = SIZE_MAX;

namespace {

// Result of a state step: keep stepping, or wait for the next event.
enum class step : uint8_t { AGAIN, WAIT };

// Parser output; converted to offsets right after a parse (workers are single-threaded).
h1::header scratch[max_hdr_cap];

// Work buffers for evaluated values and built lines (tune.bufsize each, one set per process).
char* work[3];
size_t work_cap;

constexpr uint32_t REQ = PTC_DIR_REQ;
constexpr uint32_t RES = PTC_DIR_RES;
constexpr uint32_t ENDED = PTC_CHAN_EOF | PTC_CHAN_ERROR;

// ---- small helpers ----------------------------------------------------------------------------

void set_cli_tmo(ptc_stream* s, txn& t, uint64_t ms)
{
    if (t.cli_tmo != ms) {
        host->stream_set_timeout(s, PTC_TMO_CLIENT, ms);
        t.cli_tmo = ms;
    }
}

void set_term(txn& t, char a, char b)
{
    if (!t.cur.term[0]) {
        t.cur.term[0] = a;
        t.cur.term[1] = b;
    }
}

void log_txn(ptc_stream* s, txn& t);

// True when the connection carries a transaction (a request, or the first connection's
// attempt at one); an idle keep-alive connection does not.
bool in_txn(ptc_stream* s, const txn& t)
{
    ptc_str d;
    host->chan_data(s, REQ, &d);
    return t.cur.reqline_len || d.len || t.first_req || t.cur.log_status;
}

// The transaction ended and was logged: the PTC_PHASE_TXN_END hooks (1.13), once. HAProxy
// ends the stream there, releasing what the transaction held (stick counters).
void txn_end(ptc_stream* s, txn& t)
{
    if (t.cur.ended || host->abi_minor < 13)
        return;
    t.cur.ended = true;
    host->hooks_run(s, PTC_PHASE_TXN_END);
}

step close_stream(ptc_stream* s, txn& t, uint32_t how)
{
    log_txn(s, t);
    if (in_txn(s, t))
        txn_end(s, t);
    host->stream_close(s, how);
    t.state = st::CLOSED;
    return step::WAIT;
}

step abort_stream(ptc_stream* s, txn& t) { return close_stream(s, t, PTC_CLOSE_ABORT); }

void srv_drop(ptc_stream* s, txn& t)
{
    host->stream_srv_close(s);
    t.srv_alive = false;
}

// Answers with the error page for <status>, then closes once it is sent.
step fail(ptc_stream* s, txn& t, int status)
{
    srv_drop(s, t); // also drops any pending response bytes
    ptc_str ef = error_message(s, t, status);
    if (ef.ptr && !ef.len) { // an empty errorfile
        reply_nothing(s, t, status);
        return step::WAIT;
    }
    std::string_view page = ef.len ? std::string_view(ef.ptr, ef.len)
                                   : error_page(status, t.cur.cli_close);
    if (page.empty() || host->chan_append(s, RES, page.data(), page.size()) != PTC_OK)
        return abort_stream(s, t);
    t.cur.cli_close = true;
    t.cur.replied = true;
    if (emit_generated(s, t, page.size(), false) != PTC_OK || t.state == st::CLOSED)
        return step::WAIT;
    return close_stream(s, t, PTC_CLOSE_FLUSH);
}

// HAProxy's "abort_keep_alive": the server failed or closed before the first byte of the
// response to a request that is not the first of this client connection. The client
// connection is closed with no response and no log line, as a keep-alive connection closed
// under a client that had just sent on it, which HTTP clients retry (the request may have
// been sent on a pooled server connection whose close had not been seen yet).
step abort_keep_alive(ptc_stream* s, txn& t)
{
    t.cur.log_level = 9; // silent: no log line
    srv_drop(s, t);
    return close_stream(s, t, PTC_CLOSE_FLUSH);
}

// fail() with a termination state for the log.
step fail_term(ptc_stream* s, txn& t, int status, char a, char b)
{
    set_term(t, a, b);
    return fail(s, t, status);
}

// Client timer while a transaction is in EXCHANGE: armed only while the client is expected
// to send (request body) or to read (response body).
void exchange_cli_tmo(ptc_stream* s, txn& t)
{
    bool busy = t.cur.req_body != body::DONE || t.cur.res == res_st::BODY;
    set_cli_tmo(s, t, busy ? PTC_TMO_DEFAULT : 0);
}

uint64_t idle_tmo(const txn& t) { return t.fe_conf ? t.fe_conf->tmo_idle : PTC_TMO_DEFAULT; }

// A Content-Length request body auto-forwarded by the host is complete once nothing is left.
void refresh_req_body(ptc_stream* s, txn& t)
{
    if (t.cur.req_body == body::LENGTH && host->chan_autoforward_left(s, REQ) == 0)
        t.cur.req_body = body::DONE;
}

// ---- logging, retries, after-response rules ----------------------------------------------------

// Hands the transaction to the logger (once). An idle keep-alive connection that closes
// without a new request is not a transaction.
void log_txn(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (c.logged)
        return;
    c.logged = true;
    // set-log-level silent, monitor-uri: no line, but the transaction still ends (its
    // captures, unique id and txn variables must not leak into the next request)
    bool silent = c.log_level >= 9;
    if (!in_txn(s, t))
        return;
    ptc_log_txn l{};
    l.size = sizeof(l);
    l.status = c.log_status ? int32_t(c.log_status) : -1;
    l.request_line = ptc_str{t.reqline, c.reqline_len}; // empty: the host logs <BADREQ>
    l.term[0] = c.term[0] ? c.term[0] : '-';
    l.term[1] = c.term[0] ? c.term[1] : '-';
    l.t_request = c.t_request;
    l.t_response = c.t_response;
    l.t_start = c.t_start;
    l.bytes_in = c.bytes_in;
    l.bytes_out = c.bytes_out;
    l.retries = c.l7_retries;
    l.level = c.log_level <= 8 ? c.log_level : 0; // set-log-level (ABI 1.16)
    if (silent && host->abi_minor < 5)
        return; // an older host would write the line
    l.flags = silent ? PTC_LOG_TXN_SILENT : 0;
    if (c.svc && host->abi_minor >= 19) // a service answered: Tw = Tc = 0, as HAProxy
        l.flags |= PTC_LOG_TXN_SERVICE;
    host->stream_log_txn(s, &l);
}

// option logasap (the host decides whether the frontend has it): the transaction is logged
// when its response head goes to the client.
void log_asap(ptc_stream* s, txn& t, uint64_t bytes_out)
{
    txn_cur& c = t.cur;
    ptc_log_txn l{};
    l.size = sizeof(l);
    l.status = c.log_status ? int32_t(c.log_status) : -1;
    l.request_line = ptc_str{t.reqline, c.reqline_len};
    l.term[0] = c.term[0] ? c.term[0] : '-';
    l.term[1] = c.term[0] ? c.term[1] : '-';
    l.t_request = c.t_request;
    l.t_response = c.t_response;
    l.t_start = c.t_start;
    l.bytes_in = c.bytes_in;
    l.bytes_out = bytes_out;
    l.retries = c.l7_retries;
    l.level = c.log_level <= 8 ? c.log_level : 0; // set-log-level (ABI 1.16)
    host->stream_log_asap(s, &l);
}

// Stops keeping the request bytes for a replay.
void release_replay(ptc_stream* s, txn& t)
{
    if (t.cur.replayable) {
        host->chan_mark(s, REQ, 0);
        t.cur.replayable = false;
    }
}

uint32_t retry_status_bit(int status)
{
    switch (status) {
    case 404: return RETRY_404;
    case 408: return RETRY_408;
    case 425: return RETRY_425;
    case 500: return RETRY_500;
    case 501: return RETRY_501;
    case 502: return RETRY_502;
    case 503: return RETRY_503;
    case 504: return RETRY_504;
    default: return 0;
    }
}

// L7 retry (retry-on): sends the kept request again on a new server connection when <why>
// is one of the backend's retry-on conditions and retries are left. True when a retry
// started (or failed with an answer), false when the caller must handle the failure.
bool try_retry(ptc_stream* s, txn& t, uint32_t why)
{
    txn_cur& c = t.cur;
    if (!why || !c.replayable || c.res_started || !t.be_conf || !(t.be_conf->retry_on & why))
        return false;
    ptc_proxy* be = host->stream_backend(s);
    if (!be || c.l7_retries >= host->proxy_setting(be, "retries"))
        return false;
    srv_drop(s, t);
    if (host->chan_rewind(s, REQ) != PTC_OK)
        return false;
    ++c.l7_retries;
    c.last_len = 0;
    c.res = res_st::WAIT_HEAD;
    host->stream_set_timeout(s, PTC_TMO_SERVER, PTC_TMO_DEFAULT);
    ++t.cx_gen;
    if (host->stream_connect_ex(s, 0) != PTC_OK) {
        release_replay(s, t);
        fail_term(s, t, 503, 'S', 'C');
        return true;
    }
    t.state = st::CONNECTING;
    return true;
}

// The http-after-response rules on the pending response head (backend's, then frontend's).
void run_after_rules(ptc_stream* s, txn& t)
{
    ptc_proxy* fe = host->stream_frontend(s);
    ptc_proxy* be = t.be_selected ? host->stream_backend(s) : nullptr;
    if (be && be != fe)
        host->rules_run(s, PTC_RULES_HTTP_AFTER_RES, be);
    if (t.state != st::CLOSED)
        host->rules_run(s, PTC_RULES_HTTP_AFTER_RES, fe);
}

// ---- request ----------------------------------------------------------------------------------

void pump_req_body(ptc_stream* s, txn& t);
void prepare_request_head(ptc_stream* s, txn& t);
bool replay_safe(ptc_stream* s, txn& t);

// "show errors": the runtime API keeps the bytes of the last invalid request (frontend) or
// response (backend) and where parsing stopped.
void report_error(ptc_stream* s, uint32_t side, ptc_str d, size_t pos, const char* why)
{
    host->stream_report_error(s, side, d, pos, why);
}

// Offset of the first framing header (Content-Length, Transfer-Encoding) of a parsed head:
// where a framing error lies.
size_t framing_pos(const h1::header* hs, size_t n, const char* base)
{
    for (size_t i = 0; i < n; i++)
        if (h1::ieq(hs[i].name, "content-length") || h1::ieq(hs[i].name, "transfer-encoding"))
            return size_t(hs[i].name.data() - base);
    return 0;
}

// timeout http-request: a fixed deadline from the first byte of the request (empty lines
// before it included: a client trickling them is bounded too).
void arm_request_deadline(ptc_stream* s, txn& t)
{
    if (!t.req_fixed_tmo && t.fe_conf && t.fe_conf->tmo_request != PTC_TMO_DEFAULT) {
        host->stream_set_timeout(s, PTC_TMO_CLIENT | PTC_TMO_FIXED, t.fe_conf->tmo_request);
        t.req_fixed_tmo = true;
        t.cli_tmo = UINT64_MAX - 1;
    }
}

step request_incomplete(ptc_stream* s, txn& t, ptc_str d, uint32_t fl)
{

    if (fl & PTC_CHAN_ERROR)
        return set_term(t, 'C', 'R'), abort_stream(s, t);
    if (fl & PTC_CHAN_EOF)
        return fail_term(s, t, 400, 'C', 'R');
    if ((fl & PTC_CHAN_FULL) || d.len >= head_limit) {
        bool lf = memchr(d.ptr, '\n', d.len);
        report_error(s, PTC_SIDE_CLIENT, d, d.len, lf ? "header block too large" : "request line too long");
        return fail_term(s, t, lf ? 431 : 414, 'P', 'R');
    }
    t.cur.last_len = uint32_t(d.len);
    arm_request_deadline(s, t);
    return step::WAIT;
}

// ---- captures (capture request|response header, capture cookie) ----------------------------

std::string_view trim_ows(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

// Captures of the frontend for the head just indexed (<dir>, starting at <base>): the last
// occurrence of each captured header, and the first cookie whose name starts with the
// "capture cookie" name (Cookie pairs in requests, the first pair of each Set-Cookie in
// responses), as HAProxy. Two host calls when nothing is configured.
void capture_head(ptc_stream* s, txn& t, uint32_t dir, const char* base)
{
    if (!PTC_HOST_HAS(host, stream_capture))
        return;
    ptc_proxy* fe = host->stream_frontend(s);
    ptc_str name;
    for (uint32_t i = 0; host->proxy_capture_slot(fe, dir, i, &name, nullptr); i++) {
        if (!name.len)
            continue;
        int found = -1;
        for (uint32_t k = 0; k < t.idx.count; k++)
            if (h1::ieq(name_of(t.idx, base, k), std::string_view(name.ptr, name.len)))
                found = int(k);
        if (found >= 0) {
            std::string_view v = value_of(t.idx, base, uint32_t(found));
            host->stream_capture(s, dir, i, ptc_str{v.data(), v.size()});
        }
    }
    if (!host->proxy_capture_cookie(fe, &name, nullptr))
        return;
    std::string_view cname(name.ptr, name.len);
    std::string_view hname = dir == REQ ? "cookie" : "set-cookie";
    for (uint32_t k = 0; k < t.idx.count; k++) {
        if (!h1::ieq(name_of(t.idx, base, k), hname))
            continue;
        std::string_view v = value_of(t.idx, base, k);
        while (!v.empty()) {
            size_t semi = v.find(';');
            std::string_view pair = trim_ows(v.substr(0, semi));
            v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
            if (pair.size() >= cname.size() && pair.compare(0, cname.size(), cname) == 0) {
                host->stream_capture(s, dir, PTC_CAPTURE_COOKIE,
                                     ptc_str{pair.data(), pair.size()});
                return;
            }
            if (dir == RES)
                break; // only the cookie itself, not its attributes
        }
    }
}

void record_request(ptc_stream* s, txn& t, ptc_str d, const h1::request& req, size_t head,
                    const h1::framing& f)
{
    txn_cur& c = t.cur;
    index_head(t.idx, d.ptr, req.headers, req.num_headers, head);
    capture_head(s, t, REQ, d.ptr);
    c.method_off = uint32_t(req.method.data() - d.ptr);
    c.method_len = uint32_t(req.method.size());
    c.target_off = uint32_t(req.target.data() - d.ptr);
    c.target_len = uint32_t(req.target.size());
    c.is_head = c.cli_head = req.method == "HEAD";
    c.is_connect = req.method == "CONNECT";
    c.req_minor = uint8_t(req.minor_version);
    c.req_close = c.cli_close = f.conn_close;
    c.req_ka10 = req.minor_version == 0 && !f.conn_close;
    c.last_len = 0;
    c.phase = api_phase::REQ;
    c.expect_100 = f.expect_continue;
    t.conn_mode = t.fe_conf && t.fe_conf->conn_mode ? t.fe_conf->conn_mode : uint8_t(CM_KAL);
    if (t.conn_mode == CM_CLO)
        c.cli_close = true;
    c.t_request = host->now_ms();
    c.bytes_in = head;
    // The request line as received, for logs and request fetches after forwarding.
    const char* rl = req.method.data();
    const char* eol = static_cast<const char*>(memchr(rl, '\n', d.ptr + head - rl));
    size_t rlen = eol ? size_t(eol - rl) : 0;
    if (rlen && rl[rlen - 1] == '\r')
        --rlen;
    rlen = rlen < reqline_cap ? rlen : reqline_cap;
    memcpy(t.reqline, rl, rlen);
    c.reqline_len = uint32_t(rlen);
    if (t.req_fixed_tmo) {
        t.req_fixed_tmo = false;
        t.cli_tmo = UINT64_MAX - 1;
    }
    uint64_t known = head;
    if (f.kind == h1::framing::LENGTH && f.length) {
        c.req_body = body::LENGTH;
        c.req_len = f.length;
        c.bytes_in += f.length;
        known += f.length;
    } else if (f.kind == h1::framing::CHUNKED) {
        c.req_body = body::CHUNKED;
        t.req_chunk.reset();
    }
    t.req_more = d.len > known;
    // The client is not expected to send more unless a body follows.
    set_cli_tmo(s, t, c.req_body == body::DONE ? 0 : PTC_TMO_DEFAULT);
}

// RFC 9112 2.2: empty lines (CRLF or LF) before a request line are ignored; they are dropped,
// not sent on (a server need not accept them; HAProxy and nginx do not forward them either).
// A CR not yet followed by its LF stays for the parser. Returns the bytes dropped.
size_t drop_leading_empty_lines(ptc_stream* s, const ptc_str& d)
{
    size_t n = 0;
    while (n < d.len && (d.ptr[n] == '\n' || (d.ptr[n] == '\r' && n + 1 < d.len && d.ptr[n + 1] == '\n')))
        n += d.ptr[n] == '\n' ? 1 : 2;
    if (n)
        host->chan_skip(s, REQ, n);
    return n;
}

step wait_request(ptc_stream* s, txn& t)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, REQ, &d);
    if (drop_leading_empty_lines(s, d)) {
        t.cur.last_len = 0; // the block now starts elsewhere: search it whole
        t.cur.lead_lines = true;
        arm_request_deadline(s, t);
        fl = host->chan_data(s, REQ, &d);
    }
    if (d.len == 0) {
        if ((fl & ENDED) && t.cur.lead_lines) // only empty lines, then the end: HAProxy's 400
            return request_incomplete(s, t, d, fl);
        if (fl & ENDED) {
            if (t.first_req && t.fe_conf && t.fe_conf->ignore_probes)
                t.cur.logged = true; // option http-ignore-probes: closed without a byte
            return close_stream(s, t, PTC_CLOSE_FLUSH);
        }
        return step::WAIT;
    }
    h1::request req;
    req.headers = scratch;
    req.max_headers = max_hdr;
    if (t.fe_conf && t.fe_conf->accept_invalid_req) // the frontend's option, as HAProxy
        req.flags = h1::H1F_ACCEPT_INVALID_REQ;
    int r = h1::parse_request(d.ptr, d.len, req, h1::default_max_target, t.cur.last_len);
    if (r == h1::H1_INCOMPLETE)
        return request_incomplete(s, t, d, fl);
    if (r < 0) {
        report_error(s, PTC_SIDE_CLIENT, d, req.error_pos, req.error_msg);
        return fail_term(s, t, req.error_status, 'P', 'R');
    }
    if (size_t(r) > head_limit) {
        report_error(s, PTC_SIDE_CLIENT, d, head_limit, "header block too large");
        return fail_term(s, t, 431, 'P', 'R');
    }
    h1::framing f;
    if (h1::request_framing(req, f) < 0) {
        report_error(s, PTC_SIDE_CLIENT, d, framing_pos(req.headers, req.num_headers, d.ptr),
                     f.error_msg);
        return fail_term(s, t, f.error_status, 'P', 'R');
    }
    record_request(s, t, d, req, size_t(r), f);
    t.state = st::REQ_HOOKS;
    return step::AGAIN;
}

// The transaction was answered locally: drop the request and end the transaction.
step finish_reply(ptc_stream* s, txn& t)
{
    t.cur.phase = api_phase::NONE;
    if (t.cur.cli_close)
        return close_stream(s, t, PTC_CLOSE_FLUSH);
    host->chan_skip(s, REQ, t.cur.drain_len);
    t.cur.req_body = body::DONE;
    t.cur.res = res_st::DONE;
    t.req_more = true;
    t.state = st::EXCHANGE;
    return step::AGAIN;
}


step send_request_head(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    c.phase = api_phase::NONE;
    if (c.l7_retries == 0)
        prepare_request_head(s, t);
    // L7 retries: keep the request bytes for a replay when it is safe (see retry-on).
    c.replayable = !c.no_l7_retry && t.be_conf && (t.be_conf->retry_on & retry_l7_mask) &&
                   replay_safe(s, t);
    if (c.replayable)
        host->chan_mark(s, REQ, 1);
    if (c.req_body == body::LENGTH)
        host->chan_autoforward(s, REQ, t.idx.head_len + c.req_len);
    else
        host->chan_forward(s, REQ, t.idx.head_len);
    if (!t.srv_tmo_armed) {
        host->stream_set_timeout(s, PTC_TMO_SERVER, PTC_TMO_DEFAULT);
        t.srv_tmo_armed = true;
    }
    c.res = res_st::WAIT_HEAD;
    c.last_len = 0;
    t.state = st::EXCHANGE;
    if (c.req_body == body::CHUNKED) { // body bytes may already be pending
        pump_req_body(s, t);
        if (t.state == st::CLOSED)
            return step::WAIT;
        exchange_cli_tmo(s, t);
    }
    return step::WAIT; // nothing more until the server answers
}

// option http-buffer-request of <c> (the frontend's before its rules, the backend's before
// its own): the whole body first, within "timeout http-request" (HAProxy's analyser order).
// False with <out> set while waiting or once it answered 408.
bool buffer_body(ptc_stream* s, txn& t, const proxy_conf* c, step& out)
{
    if (t.cur.body_buffered)
        return true;
    uint64_t tmo = c->tmo_request != PTC_TMO_DEFAULT ? c->tmo_request
                   : t.fe_conf && t.fe_conf->tmo_request != PTC_TMO_DEFAULT
                       ? t.fe_conf->tmo_request
                       : UINT32_MAX;
    int rc = wait_request_body(s, tmo);
    if (rc == PTC_ACT_CONTINUE) {
        t.cur.body_buffered = true;
        return true;
    }
    out = step::WAIT; // still waiting (PTC_ACT_YIELD), or the 408 went (PTC_ACT_DONE)
    return false;
}

// Adds the header of <c> (option forwardfor: <which> PTC_ADDR_CLIENT, default name
// X-Forwarded-For; option originalto: PTC_ADDR_FRONTEND, X-Original-To) holding that address
// of the stream, unless it lies in the "except" network or (if-none) the request has one.
void add_addr_header(ptc_stream* s, txn& t, const addr_hdr_conf& c, uint32_t which,
                     std::string_view dflt)
{
    std::string_view name = c.hdr ? std::string_view(c.hdr, c.hdr_len) : dflt;
    if (c.if_none) {
        ptc_str d;
        host->chan_data(s, REQ, &d);
        if (index_find(t.idx, d.ptr, name, 0) >= 0)
            return;
    }
    sockaddr_storage ss;
    if (!host->stream_addr(s, which, &ss))
        return;
    const uint8_t* a;
    int n;
    bool except;
    const uint8_t *net, *mask;
    if (ss.ss_family == AF_INET) {
        a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr);
        n = 4, except = c.except4, net = c.net4, mask = c.mask4;
    } else if (ss.ss_family == AF_INET6) {
        a = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr);
        n = 16, except = c.except6, net = c.net6, mask = c.mask6;
    } else {
        return; // unix sockets: no address to report
    }
    if (except) {
        bool in = true;
        for (int i = 0; i < n; ++i)
            in = in && (a[i] & mask[i]) == net[i];
        if (in)
            return;
    }
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(n == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
    head_add(s, REQ, t.idx, name, ip);
}

// The framing headers of the request head as the rules left it must announce the body the
// module forwards (the one the client's head announced): a rule deleting or changing
// Content-Length or Transfer-Encoding would otherwise let the body be read as the next
// request by the server. HAProxy's H1 multiplexer re-frames such a body (chunked); here the
// head gets the client's framing back: every Content-Length and Transfer-Encoding field is
// replaced by "content-length: <n>" or "transfer-encoding: chunked".
void keep_request_framing(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    ptc_str d;
    host->chan_data(s, REQ, &d);
    // The usual case, from the index alone: the head still has the client's one framing
    // field (or none), as the parser accepted it. Anything else (a rule touched them, or the
    // client sent a list or repeated fields) is checked by parsing the head again.
    uint32_t ncl = 0, nte = 0, last = 0;
    for (uint32_t i = 0; i < t.idx.count; i++) {
        uint32_t len = t.idx.hdr[i].name_len;
        if (len == 14 && h1::ieq(name_of(t.idx, d.ptr, i), "content-length"))
            ncl++, last = i;
        else if (len == 17 && h1::ieq(name_of(t.idx, d.ptr, i), "transfer-encoding"))
            nte++, last = i;
    }
    char num[24] = "0";
    char* end = num + 1;
    if (c.req_body == body::LENGTH)
        end = std::to_chars(num, num + sizeof(num), c.req_len).ptr;
    if (c.req_body == body::CHUNKED
            ? nte == 1 && !ncl && h1::ieq(value_of(t.idx, d.ptr, last), "chunked")
            : !nte && (ncl == 0 ? c.req_body != body::LENGTH
                                : ncl == 1 && value_of(t.idx, d.ptr, last) ==
                                                  std::string_view(num, size_t(end - num))))
        return;
    h1::request req;
    req.headers = scratch;
    req.max_headers = max_hdr_cap;
    h1::framing f;
    int r = h1::parse_request(d.ptr, std::min<size_t>(d.len, t.idx.head_len), req);
    if (r > 0 && h1::request_framing(req, f) == 0) {
        bool cl = false, te = false;
        for (size_t i = 0; i < req.num_headers; i++) {
            cl |= h1::ieq(req.headers[i].name, "content-length");
            te |= h1::ieq(req.headers[i].name, "transfer-encoding");
        }
        if (c.req_body == body::LENGTH ? f.kind == h1::framing::LENGTH && f.length == c.req_len
            : c.req_body == body::CHUNKED ? f.kind == h1::framing::CHUNKED
                                           : !te && (!cl || f.length == 0))
            return;
    }
    while (head_del(s, REQ, t.idx, pending(s, REQ), "content-length") == PTC_OK) {
    }
    while (head_del(s, REQ, t.idx, pending(s, REQ), "transfer-encoding") == PTC_OK) {
    }
    if (c.req_body == body::LENGTH)
        head_add(s, REQ, t.idx, "content-length", std::to_string(c.req_len));
    else if (c.req_body == body::CHUNKED)
        head_add(s, REQ, t.idx, "transfer-encoding", "chunked");
}

// Hop-by-hop fix-ups of the request head before it goes to the server: Host/authority,
// framing, connection mode, Early-Data, X-Forwarded-For, X-Original-To.
void prepare_request_head(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    // a Host header changed by the rules renames the absolute-form target's authority
    sync_host_authority(s, t, false);
    keep_request_framing(s, t);
    // a request received as TLS early data, the handshake not complete yet: "Early-Data: 1"
    // tells the server (RFC 8470) unless the request has that header already (HAProxy)
    if (in_early_data(s)) {
        ptc_str d;
        host->chan_data(s, REQ, &d);
        if (index_find(t.idx, d.ptr, "early-data", 0) < 0)
            head_add(s, REQ, t.idx, "Early-Data", "1");
    }
    // option forwardfor: the backend's settings win when both have it.
    if (t.be_conf && t.be_conf->ff.on)
        add_addr_header(s, t, t.be_conf->ff, PTC_ADDR_CLIENT, "x-forwarded-for");
    else if (t.fe_conf && t.fe_conf->ff.on)
        add_addr_header(s, t, t.fe_conf->ff, PTC_ADDR_CLIENT, "x-forwarded-for");
    if (t.be_conf && t.be_conf->ot.on)
        add_addr_header(s, t, t.be_conf->ot, PTC_ADDR_FRONTEND, "x-original-to");
    else if (t.fe_conf && t.fe_conf->ot.on)
        add_addr_header(s, t, t.fe_conf->ot, PTC_ADDR_FRONTEND, "x-original-to");
    if (t.conn_mode >= CM_SCL) {
        // http-server-close / httpclose: one request per server connection.
        c.srv_ka = false;
        ptc_str d;
        host->chan_data(s, REQ, &d);
        // (option http-pretend-keepalive: the server is not told; the connection is
        // closed after the response all the same)
        if (t.be_conf && t.be_conf->pretend_ka) {
            if (index_conn_has(t.idx, d.ptr, "close"))
                head_del(s, REQ, t.idx, d.ptr, "connection");
        } else if (!index_conn_has(t.idx, d.ptr, "close")) {
            head_add(s, REQ, t.idx, "connection", "close");
        }
        return;
    }
    // "Connection: close" is per hop: the server side stays keep-alive so that its
    // connection can serve other requests (HAProxy's http-keep-alive with http-reuse)
    c.srv_ka = !c.req_close;
    if (c.req_close && c.req_minor == 1 && t.be_conf && t.be_conf->reuse != REUSE_NEVER) {
        ptc_str d;
        host->chan_data(s, REQ, &d);
        if (head_del_conn_only(s, REQ, t.idx, d.ptr, "close"))
            c.srv_ka = true;
    }
}

// A request may be replayed on another connection when its method is idempotent (RFC 9110
// 9.2.2) and its whole body is already in the buffer (HAProxy's L7 retry conditions).
bool replay_safe(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (c.req_body == body::CHUNKED || c.is_connect)
        return false;
    ptc_str d;
    host->chan_data(s, REQ, &d);
    if (c.req_body == body::LENGTH && d.len < t.idx.head_len + c.req_len)
        return false;
    host->chan_data(s, REQ, &d);
    std::string_view meth(d.ptr + c.method_off, c.method_len);
    return meth == "GET" || meth == "HEAD" || meth == "PUT" || meth == "DELETE" ||
           meth == "OPTIONS" || meth == "TRACE";
}

// Selects the backend for this request (the rules are evaluated for every request, as
// HAProxy does); false after answering 503.
bool select_backend(ptc_stream* s, txn& t)
{
    if (host->stream_select_backend(s) != PTC_OK) {
        fail_term(s, t, 503, 'S', 'C');
        return false;
    }
    t.be_selected = true;
    ptc_proxy* be = host->stream_backend(s);
    t.be_conf = be ? static_cast<const proxy_conf*>(host->proxy_conf(self, be)) : nullptr;
    if (t.be_conf && t.be_conf->conn_mode > t.conn_mode)
        t.conn_mode = t.be_conf->conn_mode;
    if (t.conn_mode == CM_CLO)
        t.cur.cli_close = true;
    return true;
}

// Which idle connections of the pool this request may use (HAProxy's http-reuse rules:
// "safe" keeps the first request of a session on a connection of its own, "aggressive"
// lets it use one that already carried several requests, "always" any).
uint32_t connect_flags(const txn& t)
{
    uint32_t mode = t.be_conf ? t.be_conf->reuse : REUSE_SAFE;
    if (mode == REUSE_NEVER)
        return 0;
    if (!t.first_req || mode == REUSE_ALWAYS)
        return PTC_CONNECT_POOL_ANY;
    return mode == REUSE_AGGRESSIVE ? PTC_CONNECT_POOL_SAFE : 0;
}

// The balancer runs for every request; the host reuses the established server connection
// when it picks the same server (PTC_EV_SRV_CONNECTED then follows at once).
step start_forward(ptc_stream* s, txn& t)
{
    t.srv_alive = false;
    ++t.cx_gen;
    if (host->stream_connect_ex(s, connect_flags(t)) != PTC_OK)
        return fail_term(s, t, 503, 'S', 'C');
    t.state = st::CONNECTING;
    return step::WAIT;
}

// Result of a rule set or hook phase in REQ_HOOKS: true to go on with the next step.
bool req_rules_result(ptc_stream* s, txn& t, int rc, step& out)
{
    early_hints_flush(s, t);
    if (t.state == st::CLOSED) {
        out = step::WAIT;
        return false;
    }
    if (t.cur.replied) {
        out = finish_reply(s, t);
        return false;
    }
    switch (rc) {
    case PTC_ACT_YIELD: out = step::WAIT; return false;
    case PTC_ACT_ERROR: out = fail_term(s, t, 500, 'I', 'R'); return false;
    case PTC_ACT_DONE: // an action of another module answered through the API
        out = t.cur.replied ? finish_reply(s, t) : fail_term(s, t, 403, 'P', 'R');
        return false;
    default: return true;
    }
}

// option http-restrict-req-hdr-names of <c>, after that proxy's http-request rules: a
// request header whose name has a character outside [A-Za-z0-9-] is removed ("delete") or
// fails the request with 403 ("reject"), as HAProxy. False when the request was failed.
bool restrict_header_names(ptc_stream* s, txn& t, const proxy_conf* c, step& out)
{
    if (!c || !c->restrict_names)
        return true;
    ptc_str d;
    host->chan_data(s, REQ, &d);
    for (uint32_t i = 0; i < t.idx.count;) {
        std::string_view n = name_of(t.idx, d.ptr, i);
        bool ok = true;
        for (char ch : n)
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-')) {
                ok = false;
                break;
            }
        if (ok) {
            ++i;
            continue;
        }
        if (c->restrict_names == 2) {
            out = fail_term(s, t, 403, 'P', 'R');
            return false;
        }
        if (head_remove(s, REQ, t.idx, i) != PTC_OK) {
            out = fail_term(s, t, 500, 'I', 'R');
            return false;
        }
        host->chan_data(s, REQ, &d); // a removal may move the buffer
    }
    return true;
}

// monitor-uri: HAProxy's "200 OK / Service ready." page, never forwarded nor logged.
bool monitor_request(ptc_stream* s, txn& t)
{
    const proxy_conf* c = t.fe_conf;
    if (!c || !c->monitor_uri)
        return false;
    ptc_str d;
    host->chan_data(s, REQ, &d);
    std::string_view uri(d.ptr + t.cur.target_off, t.cur.target_len);
    if (c->monitor_uri[0] == '/') { // compared with the path (absolute-form targets too)
        size_t p = uri.find("://");
        if (uri.size() && uri[0] != '/' && p != std::string_view::npos) {
            size_t q = uri.find('/', p + 3);
            uri = q == std::string_view::npos ? std::string_view{} : uri.substr(q);
        }
        uri = uri.substr(0, uri.find('?'));
    }
    if (uri != std::string_view(c->monitor_uri, c->monitor_uri_len))
        return false;
    reply_def r{};
    r.status = 200;
    r.kind = REPLY_ERRORFILE;
    t.cur.log_level = 9; // not logged
    send_reply(s, r);
    return true;
}

// The frontend's unique id (unique-id-format) is made once the request rules have run,
// while the request's fetches still answer (as HAProxy: a %[unique-id] in a response rule
// or the log sees the request's headers); unique-id-header sends it to the server.
void add_unique_id(ptc_stream* s, txn& t)
{
    if (!PTC_HOST_HAS(host, stream_unique_id))
        return;
    ptc_str id;
    if (host->stream_unique_id(s, &id) && t.fe_conf && t.fe_conf->uid_hdr)
        head_add(s, REQ, t.idx, std::string_view(t.fe_conf->uid_hdr, t.fe_conf->uid_hdr_len),
                 std::string_view(id.ptr, id.len));
}

// An HTTP service (ABI 1.5) answers the request: see service.cpp.
step start_service(txn& t)
{
    t.state = st::SERVICE;
    return step::AGAIN;
}

step service_step(ptc_stream* s, txn& t, uint32_t ev)
{
    switch (service_advance(s, t, ev)) {
    case svc_res::WAIT: return step::WAIT;
    case svc_res::CLOSED: return step::WAIT;
    case svc_res::FAIL:
        service_free(s, t);
        return fail_term(s, t, 500, 'I', 'R');
    case svc_res::ABORT:
        service_free(s, t);
        set_term(t, 'I', 'D');
        return abort_stream(s, t);
    case svc_res::DONE: break;
    }
    service_free(s, t);
    // the request was dropped and the response handed over: end the transaction
    t.cur.phase = api_phase::NONE;
    t.cur.req_body = body::DONE;
    t.cur.res = res_st::DONE;
    t.req_more = true;
    t.state = st::EXCHANGE;
    return step::AGAIN;
}

// Request processing after the head was parsed: hooks, frontend rules, backend choice,
// backend rules, then the forward. Each step may yield and is resumed where it stopped.
step req_hooks(ptc_stream* s, txn& t)
{
    step out = step::WAIT;
    switch (t.cur.rq) {
    case rq_step::HOOKS: {
        // tcp-request content rules run again for every request in HTTP mode
        int tc = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT, host->stream_frontend(s));
        if (tc == PTC_ACT_DONE || tc == PTC_ACT_ERROR) {
            abort_stream(s, t); // "reject": close the connection, no response
            return step::WAIT;
        }
        if (monitor_request(s, t))
            return t.state == st::CLOSED ? step::WAIT : finish_reply(s, t);
        int rc = host->hooks_run(s, PTC_PHASE_HTTP_REQUEST);
        if (t.state == st::CLOSED || rc == PTC_YIELD)
            return step::WAIT;
        if (t.cur.replied)
            return finish_reply(s, t);
        if (rc == PTC_DENY)
            return fail_term(s, t, 403, 'P', 'R');
        if (rc == PTC_ERROR)
            return fail_term(s, t, 500, 'I', 'R');
        t.cur.rq = rq_step::FE_RULES;
    }
        [[fallthrough]];
    case rq_step::FE_RULES:
        if (t.fe_conf && t.fe_conf->buffer_req && !buffer_body(s, t, t.fe_conf, out))
            return out;
        service_claim(s, t, host->stream_frontend(s)); // "stats uri" of the frontend
        if (!req_rules_result(s, t, host->rules_run(s, PTC_RULES_HTTP_REQ,
                                                    host->stream_frontend(s)), out))
            return out;
        if (t.cur.svc)
            return start_service(t);
        if (!restrict_header_names(s, t, t.fe_conf, out))
            return out;
        if (!req_rules_result(s, t, run_proxy_redirects(s, t.fe_conf), out))
            return out;
        t.cur.rq = rq_step::BACKEND;
        [[fallthrough]];
    case rq_step::BACKEND:
        if (t.srv_alive && !t.srv_reusable)
            srv_drop(s, t);
        if (!select_backend(s, t))
            return step::WAIT;
        if (t.cur.replied) // a hook of the backend phase answered
            return finish_reply(s, t);
        t.cur.rq = rq_step::BE_TCP;
        [[fallthrough]];
    case rq_step::BE_TCP: {
        // the backend's tcp-request content rules, before its http-request rules (HAProxy's
        // request analysers); they see the whole head at once (as the frontend's above)
        ptc_proxy* be = host->stream_backend(s);
        if (be && be != host->stream_frontend(s)) {
            int tc = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT, be);
            if (tc == PTC_ACT_YIELD)
                return step::WAIT;
            if (tc == PTC_ACT_DONE || tc == PTC_ACT_ERROR) {
                abort_stream(s, t); // "reject": close the connection, no response
                return step::WAIT;
            }
        }
        t.cur.rq = rq_step::BE_RULES;
    }
        [[fallthrough]];
    case rq_step::BE_RULES: {
        ptc_proxy* be = host->stream_backend(s);
        if (t.be_conf && t.be_conf->buffer_req && !buffer_body(s, t, t.be_conf, out))
            return out;
        if (be && be != host->stream_frontend(s)) {
            service_claim(s, t, be); // "stats uri" of the backend
            if (!req_rules_result(s, t, host->rules_run(s, PTC_RULES_HTTP_REQ, be), out))
                return out;
            if (!t.cur.svc && !restrict_header_names(s, t, t.be_conf, out))
                return out;
            if (!t.cur.svc && !req_rules_result(s, t, run_proxy_redirects(s, t.be_conf), out))
                return out;
        }
        add_unique_id(s, t);
        if (t.cur.svc)
            return start_service(t);
        t.cur.rq = rq_step::FORWARD;
    }
        [[fallthrough]];
    case rq_step::FORWARD:
        break;
    }
    if ((t.be_conf && t.be_conf->comp.nalgos) || (t.fe_conf && t.fe_conf->comp.nalgos))
        comp_select_request(s, t);
    return start_forward(s, t);
}

// Request body progress while in EXCHANGE.
void pump_req_body(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (c.req_body == body::LENGTH) {
        refresh_req_body(s, t);
        if (c.req_body == body::LENGTH && (host->chan_flags(s, REQ) & ENDED))
            abort_stream(s, t); // the client gave up in the middle of its body
        return;
    }
    ptc_str d;
    uint32_t fl = host->chan_data(s, REQ, &d);
    if (d.len) {
        bool done = false;
        int n = h1::chunked_feed(t.req_chunk, d.ptr, d.len, &done);
        if (n < 0) {
            if (c.res_started)
                abort_stream(s, t);
            else
                fail(s, t, 400);
            return;
        }
        host->chan_forward(s, REQ, size_t(n));
        if (done) {
            c.req_body = body::DONE;
            t.req_more = d.len > size_t(n);
            return;
        }
    }
    if (fl & ENDED)
        abort_stream(s, t);
}

// The client connection closes after this response: the response must say so, and must
// not carry the server's "Connection: keep-alive" (that was about the server's hop).
void force_conn_close(ptc_stream* s, txn& t)
{
    ptc_str d;
    host->chan_data(s, RES, &d);
    while (head_del_conn_only(s, RES, t.idx, d.ptr, "keep-alive"))
        host->chan_data(s, RES, &d);
    if (!index_conn_has(t.idx, d.ptr, "close"))
        head_add(s, RES, t.idx, "connection", "close");
}

// ---- response ---------------------------------------------------------------------------------

// Hop-by-hop connection header of the response, as HAProxy's keep-alive mode emits it:
// "close" when the client connection ends, "keep-alive" to HTTP/1.0 keep-alive clients,
// and no server "close" when the client connection stays open.
void fix_res_connection(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (!c.cli_close && !c.res_close && !c.req_ka10)
        return;
    ptc_str d;
    host->chan_data(s, RES, &d);
    if (c.cli_close) {
        force_conn_close(s, t);
        return;
    }
    if (c.res_close && head_del_conn_only(s, RES, t.idx, d.ptr, "close"))
        host->chan_data(s, RES, &d);
    if (c.req_ka10 && !index_conn_has(t.idx, d.ptr, "keep-alive"))
        head_add(s, RES, t.idx, "connection", "keep-alive");
}

step enter_tunnel(ptc_stream* s, txn& t)
{
    host->chan_forward(s, RES, t.idx.head_len);
    host->chan_autoforward(s, RES, PTC_FORWARD_ALL);
    host->chan_autoforward(s, REQ, PTC_FORWARD_ALL);
    t.srv_reusable = false;
    t.state = st::TUNNEL;
    const proxy_conf* c = t.be_conf ? t.be_conf : t.fe_conf;
    uint64_t tmo = c ? c->tmo_tunnel : PTC_TMO_DEFAULT;
    if (host->abi_minor >= 17) {
        // PTC_TMO_TUNNEL: an "http-request set-timeout tunnel" of the transaction wins
        host->stream_set_timeout(s, PTC_TMO_CLIENT | PTC_TMO_TUNNEL, tmo);
        t.cli_tmo = tmo;
        host->stream_set_timeout(s, PTC_TMO_SERVER | PTC_TMO_TUNNEL, tmo);
    } else {
        set_cli_tmo(s, t, tmo);
        host->stream_set_timeout(s, PTC_TMO_SERVER, tmo);
    }
    return step::AGAIN;
}

step pump_res_chunked(ptc_stream* s, txn& t)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, RES, &d);
    if (d.len) {
        bool done = false;
        int n = h1::chunked_feed(t.res_chunk, d.ptr, d.len, &done);
        if (n < 0)
            return set_term(t, 'S', 'D'), abort_stream(s, t);
        host->chan_forward(s, RES, size_t(n));
        t.cur.bytes_out += uint64_t(n);
        if (done) {
            t.cur.res = res_st::DONE;
            // Bytes after the last chunk make the connection unusable for another request.
            if (d.len > size_t(n))
                t.srv_reusable = false;
            return step::AGAIN;
        }
    }
    if (fl & ENDED)
        return set_term(t, 'S', 'D'), abort_stream(s, t); // closed before the last chunk
    return step::WAIT;
}

step pump_res_body(ptc_stream* s, txn& t)
{
    if (t.cur.comp_on) {
        switch (comp_pump(s, t)) {
        case CP_AGAIN: return step::AGAIN;
        case CP_ABORT_SRV: return set_term(t, 'S', 'D'), abort_stream(s, t);
        case CP_ABORT_INT: return set_term(t, 'P', 'D'), abort_stream(s, t);
        default: return step::WAIT;
        }
    }
    switch (t.cur.res_body) {
    case body::LENGTH:
        if (host->chan_autoforward_left(s, RES) == 0) {
            t.cur.res = res_st::DONE;
            return step::AGAIN;
        }
        if (host->chan_flags(s, RES) & ENDED)
            return set_term(t, 'S', 'D'), abort_stream(s, t); // truncated after the head
        return step::WAIT;
    case body::CHUNKED:
        return pump_res_chunked(s, t);
    case body::UNTIL_CLOSE: {
        uint32_t fl = host->chan_flags(s, RES);
        if (fl & PTC_CHAN_ERROR)
            return abort_stream(s, t);
        if (fl & PTC_CHAN_EOF) {
            t.cur.res = res_st::DONE;
            return step::AGAIN;
        }
        return step::WAIT;
    }
    default:
        t.cur.res = res_st::DONE;
        return step::AGAIN;
    }
}

step forward_response(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (c.res_body == body::TUNNEL)
        return enter_tunnel(s, t);
    // A rule changed a HEAD request's method: the server answered the new method, with a
    // body, but the client asked HEAD and gets the head alone (as HAProxy, whose H1
    // multiplexer drops the payload of a response to HEAD). The server connection, in the
    // middle of that body, is not reused.
    const bool drop_body = c.cli_head && !c.is_head && c.res_body != body::DONE;
    if (c.comp_algo && !drop_body)
        comp_start_response(s, t); // compression: the head's edits, then the body below
    fix_res_connection(s, t);
    c.log_status = c.res_status;
    c.phase = api_phase::NONE;
    c.res_started = true;
    uint64_t head = t.idx.head_len;
    c.bytes_out = head + (c.res_body == body::LENGTH ? c.res_len : 0);
    if (PTC_HOST_HAS(host, stream_log_asap) && c.log_level < 9) {
        // option logasap: the line goes now, with the bytes received so far
        uint64_t avail = drop_body                   ? 0
                         : c.res_body == body::LENGTH ? std::min(c.res_avail, c.res_len)
                         : c.res_body == body::DONE ? 0
                                                    : c.res_avail;
        log_asap(s, t, head + avail);
    }
    if (drop_body) {
        host->chan_forward(s, RES, head);
        c.bytes_out = head;
        c.res = res_st::DONE;
        t.srv_reusable = false;
        return step::AGAIN;
    }
    if (c.comp_on) { // the body goes through the compressor (pump_res_body)
        host->chan_forward(s, RES, head);
        c.bytes_out = head;
        c.res = res_st::BODY;
        exchange_cli_tmo(s, t);
        return step::AGAIN;
    }
    switch (c.res_body) {
    case body::LENGTH:
        if (c.res_avail >= c.res_len) { // the whole body is already here
            host->chan_forward(s, RES, head + c.res_len);
            c.res = res_st::DONE;
            if (c.res_avail > c.res_len)
                t.srv_reusable = false; // the server sent more than announced
            return step::AGAIN;
        }
        host->chan_autoforward(s, RES, head + c.res_len);
        break;
    case body::CHUNKED:
        host->chan_forward(s, RES, head);
        t.res_chunk.reset();
        break;
    case body::UNTIL_CLOSE:
        host->chan_autoforward(s, RES, PTC_FORWARD_ALL);
        break;
    default:
        host->chan_forward(s, RES, head);
        c.res = res_st::DONE;
        if (c.res_avail)
            t.srv_reusable = false; // a body where none may be: the server is out of sync
        return step::AGAIN;
    }
    c.res = res_st::BODY;
    exchange_cli_tmo(s, t);
    return step::AGAIN;
}

void record_response(txn& t, ptc_str d, const h1::response& res, size_t head,
                     const h1::framing& f)
{
    txn_cur& c = t.cur;
    index_head(t.idx, d.ptr, res.headers, res.num_headers, head);
    c.res_status = uint16_t(res.status);
    c.res_minor = uint8_t(res.minor_version);
    c.res_close = f.conn_close;
    c.res_avail = d.len - head;
    c.res_len = f.length;
    switch (f.kind) {
    case h1::framing::LENGTH: c.res_body = f.length ? body::LENGTH : body::DONE; break;
    case h1::framing::CHUNKED: c.res_body = body::CHUNKED; break;
    case h1::framing::UNTIL_CLOSE: c.res_body = body::UNTIL_CLOSE; break;
    case h1::framing::TUNNEL: c.res_body = body::TUNNEL; break;
    default: c.res_body = body::DONE; break;
    }
    if (c.res_body == body::UNTIL_CLOSE)
        c.cli_close = true;
    t.srv_reusable = !f.conn_close && c.srv_ka && c.res_body != body::TUNNEL;
    c.phase = api_phase::RES;
    c.res = res_st::HOOKS;
}

step read_response(ptc_stream* s, txn& t)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, RES, &d);
    if (d.len == 0) {
        if (!(fl & ENDED))
            return step::WAIT;
        if (try_retry(s, t, RETRY_EMPTY_RESPONSE))
            return step::WAIT;
        if (!t.first_req)
            return abort_keep_alive(s, t);
        return fail_term(s, t, 502, 'S', 'H');
    }
    h1::response res;
    res.headers = scratch;
    res.max_headers = max_hdr;
    if (t.be_conf && t.be_conf->accept_invalid_res) // the backend's option, as HAProxy
        res.flags = h1::H1F_ACCEPT_INVALID_RES;
    int r = h1::parse_response(d.ptr, d.len, res, t.cur.last_len);
    if (r == h1::H1_INCOMPLETE) {
        if (fl & (ENDED | PTC_CHAN_FULL)) {
            if (fl & PTC_CHAN_FULL)
                report_error(s, PTC_SIDE_SERVER, d, d.len, "header block too large");
            if (try_retry(s, t, RETRY_JUNK_RESPONSE))
                return step::WAIT;
            return fail_term(s, t, 502, 'S', 'H');
        }
        t.cur.last_len = uint32_t(d.len);
        return step::WAIT;
    }
    t.cur.last_len = 0;
    if (r < 0) {
        report_error(s, PTC_SIDE_SERVER, d, res.error_pos, res.error_msg);
        if (try_retry(s, t, RETRY_JUNK_RESPONSE))
            return step::WAIT;
        return fail_term(s, t, 502, 'P', 'H');
    }
    if (res.status >= 200 && t.cur.replayable) {
        if (try_retry(s, t, retry_status_bit(res.status)))
            return step::WAIT;
        release_replay(s, t);
    }
    if (res.status < 200 && res.status != 101) {
        // Interim response: forwarded (HTTP/1.0 clients do not expect any), then the final
        // one is awaited.
        if (t.cur.req_minor == 0)
            host->chan_skip(s, RES, size_t(r));
        else
            host->chan_forward(s, RES, size_t(r));
        return step::AGAIN;
    }
    const char* method = t.cur.is_head ? "HEAD" : t.cur.is_connect ? "CONNECT" : "GET";
    h1::framing f;
    if (h1::response_framing(res, method, f) < 0) {
        report_error(s, PTC_SIDE_SERVER, d, framing_pos(res.headers, res.num_headers, d.ptr),
                     f.error_msg);
        return fail_term(s, t, 502, 'P', 'H');
    }
    t.cur.t_response = host->now_ms();
    record_response(t, d, res, size_t(r), f);
    capture_head(s, t, RES, d.ptr);
    return step::AGAIN;
}

// Result of a response rule set: true to go on.
bool res_rules_result(ptc_stream* s, txn& t, int rc, step& out)
{
    if (t.state == st::CLOSED) {
        out = step::WAIT;
        return false;
    }
    if (t.cur.replied) { // the response was replaced by a generated one
        t.cur.phase = api_phase::NONE;
        t.srv_reusable = false;
        t.cur.res = res_st::DONE;
        out = step::AGAIN;
        return false;
    }
    switch (rc) {
    case PTC_ACT_YIELD: out = step::WAIT; return false;
    case PTC_ACT_ERROR: out = fail_term(s, t, 500, 'I', 'H'); return false;
    case PTC_ACT_DONE: out = fail_term(s, t, 502, 'P', 'H'); return false;
    default: return true;
    }
}

// Response processing once the final head was parsed: hooks, the backend's then the
// frontend's http-response rules, the http-after-response rules, then the forward.
step res_hooks(ptc_stream* s, txn& t)
{
    step out = step::WAIT;
    ptc_proxy* fe = host->stream_frontend(s);
    ptc_proxy* be = host->stream_backend(s);
    switch (t.cur.rs) {
    case rs_step::TCP_RULES: {
        // the backend's tcp-response content rules, once the response head is there: in
        // HTTP mode HAProxy runs them once, as final (the HTX buffer counts as full, so
        // "tcp-response inspect-delay" does not wait and WAIT_END is true); "reject" closes
        // both sides without a response
        if (be) {
            int tc = host->rules_run(s, PTC_RULES_TCP_RES_CONTENT, be);
            if (t.state == st::CLOSED || tc == PTC_ACT_YIELD)
                return step::WAIT;
            if (tc == PTC_ACT_DONE || tc == PTC_ACT_ERROR) {
                abort_stream(s, t);
                return step::WAIT;
            }
        }
        t.cur.rs = rs_step::HOOKS;
    }
        [[fallthrough]];
    case rs_step::HOOKS: {
        int rc = host->hooks_run(s, PTC_PHASE_HTTP_RESPONSE);
        if (t.state == st::CLOSED || rc == PTC_YIELD)
            return step::WAIT;
        if (t.cur.replied) { // a hook replaced the response
            t.cur.phase = api_phase::NONE;
            t.srv_reusable = false;
            t.cur.res = res_st::DONE;
            return step::AGAIN;
        }
        if (rc == PTC_DENY)
            return fail_term(s, t, 502, 'P', 'H');
        if (rc == PTC_ERROR)
            return fail_term(s, t, 500, 'I', 'H');
        t.cur.rs = rs_step::BE_RULES;
    }
        [[fallthrough]];
    case rs_step::BE_RULES:
        if (be && be != fe &&
            !res_rules_result(s, t, host->rules_run(s, PTC_RULES_HTTP_RES, be), out))
            return out;
        t.cur.rs = rs_step::FE_RULES;
        [[fallthrough]];
    case rs_step::FE_RULES:
        if (!res_rules_result(s, t, host->rules_run(s, PTC_RULES_HTTP_RES, fe), out))
            return out;
        t.cur.rs = rs_step::FORWARD;
        [[fallthrough]];
    case rs_step::FORWARD:
        break;
    }
    run_after_rules(s, t);
    if (t.state == st::CLOSED)
        return step::WAIT;
    return forward_response(s, t);
}

// Response complete: keep or close each side, then wait for the next request.
step end_txn(ptc_stream* s, txn& t)
{
    refresh_req_body(s, t);
    bool req_complete = t.cur.req_body == body::DONE;
    if (!req_complete) { // the server answered before the whole request
        t.cur.cli_close = true;
        t.srv_reusable = false;
    }
    if (t.srv_alive && !t.srv_reusable)
        srv_drop(s, t);
    else if (t.srv_alive)
        host->stream_srv_idle(s, t.be_conf && t.be_conf->reuse == REUSE_NEVER ? 0
                                                                             : PTC_IDLE_POOL);
    release_replay(s, t);
    if (t.cur.cli_close || t.cur.cli_eof) // a complete request: the client is done sending
        return close_stream(s, t,
                            req_complete ? PTC_CLOSE_FLUSH | PTC_CLOSE_NOLINGER : PTC_CLOSE_FLUSH);
    log_txn(s, t);
    txn_end(s, t);
    comp_free(t);
    t.cur = txn_cur{};
    t.cur.t_start = host->now_ms();
    t.first_req = false;
    // the next request has no backend until its rules select one (error pages, after-response
    // rules and options of a request answered by the frontend are the frontend's)
    t.be_selected = false;
    t.be_conf = nullptr;
    t.state = st::WAIT_REQ;
    set_cli_tmo(s, t, idle_tmo(t));
    if (!t.req_more)
        return step::WAIT;
    t.req_more = false;
    return step::AGAIN;
}

step exchange(ptc_stream* s, txn& t, uint32_t ev)
{
    if (t.cur.req_body != body::DONE && (ev & PTC_EV_REQ_DATA)) {
        pump_req_body(s, t);
        if (t.state == st::CLOSED)
            return step::WAIT;
        exchange_cli_tmo(s, t);
    } else if ((ev & PTC_EV_REQ_DATA) && (host->chan_flags(s, REQ) & ENDED)) {
        t.cur.cli_eof = true; // half-closed client: finish this transaction, then close
    }
    switch (t.cur.res) {
    case res_st::WAIT_HEAD: return read_response(s, t);
    case res_st::HOOKS: return res_hooks(s, t);
    case res_st::BODY: return pump_res_body(s, t);
    case res_st::DONE: return end_txn(s, t);
    }
    return step::WAIT;
}

step tunnel(ptc_stream* s, txn& t)
{
    uint32_t rq = host->chan_flags(s, REQ);
    uint32_t rs = host->chan_flags(s, RES);
    if ((rq | rs) & PTC_CHAN_ERROR)
        return close_stream(s, t, PTC_CLOSE_FLUSH);
    if ((rq & PTC_CHAN_EOF) && (rs & PTC_CHAN_EOF))
        return close_stream(s, t, PTC_CLOSE_FLUSH);
    if ((rq & PTC_CHAN_EOF) && !(rq & PTC_CHAN_SHUTW))
        host->chan_shutw(s, REQ);
    if ((rs & PTC_CHAN_EOF) && !(rs & PTC_CHAN_SHUTW))
        host->chan_shutw(s, RES);
    // One direction is shut: timeout client-fin / server-fin take over when set.
    if ((rq | rs) & PTC_CHAN_EOF) {
        if (t.fe_conf && t.fe_conf->tmo_client_fin)
            set_cli_tmo(s, t, t.fe_conf->tmo_client_fin);
        const proxy_conf* b = t.be_conf ? t.be_conf : t.fe_conf;
        if (b && b->tmo_server_fin)
            host->stream_set_timeout(s, PTC_TMO_SERVER, b->tmo_server_fin);
    }
    return step::WAIT;
}

void advance(ptc_stream* s, txn& t, uint32_t ev)
{
    for (;;) {
        step r = step::WAIT;
        switch (t.state) {
        case st::WAIT_REQ: r = wait_request(s, t); break;
        case st::REQ_HOOKS: r = req_hooks(s, t); break;
        case st::CONNECTING: r = step::WAIT; break;
        case st::EXCHANGE: r = exchange(s, t, ev); break;
        case st::TUNNEL: r = tunnel(s, t); break;
        case st::CLOSED: r = step::WAIT; break;
        case st::SERVICE: r = service_step(s, t, ev); break;
        }
        if (r == step::WAIT)
            return;
        ev = 0;
    }
}

// ---- events -----------------------------------------------------------------------------------

void on_open(ptc_stream* s, txn& t)
{
    t.fe_conf = static_cast<const proxy_conf*>(host->stream_fe_conf(self, s));
    t.first_req = true;
    t.cur.t_start = host->now_ms();
    t.cli_tmo = UINT64_MAX - 1; // unknown: forces the first set_cli_tmo() call
    t.state = st::WAIT_REQ;
    set_cli_tmo(s, t, t.fe_conf ? t.fe_conf->tmo_request : PTC_TMO_DEFAULT);
}

void on_srv_connected(ptc_stream* s, txn& t)
{
    t.srv_alive = true;
    t.srv_reusable = true;
    if (t.state != st::CONNECTING)
        return;
    if (t.cur.l7_retries) {
        // A replay: the request bytes were rewound and are already forwarded.
        t.cur.res = res_st::WAIT_HEAD;
        t.cur.last_len = 0;
        t.state = st::EXCHANGE;
        return;
    }
    send_request_head(s, t);
}

// Response bytes, EOF or an error on an idle server connection: it cannot be reused.
void check_idle_server(ptc_stream* s, txn& t)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, RES, &d);
    if (d.len || (fl & ENDED))
        srv_drop(s, t);
}

void on_srv_error(ptc_stream* s, txn& t)
{
    switch (t.state) {
    case st::CONNECTING:
        release_replay(s, t);
    {
        int e = host->stream_srv_error(s);
        // timeout connect: "sC"; timeout queue: "sQ"; refused, no server: "SC"
        fail_term(s, t, 503, e == PTC_SRVERR_CTIMEOUT || e == PTC_SRVERR_QUEUE ? 's' : 'S',
                  e == PTC_SRVERR_QUEUE ? 'Q' : 'C');
        break;
    }
    case st::EXCHANGE:
        if (t.cur.res == res_st::DONE) {
            srv_drop(s, t);
        } else if (!t.cur.res_started) {
            ptc_str d;
            host->chan_data(s, RES, &d);
            if (t.cur.res == res_st::WAIT_HEAD && !d.len) {
                if (try_retry(s, t, RETRY_EMPTY_RESPONSE))
                    break;
                if (!t.first_req) {
                    abort_keep_alive(s, t);
                    break;
                }
            }
            fail_term(s, t, 502, 'S', 'H');
        } else {
            set_term(t, 'S', 'D');
            abort_stream(s, t);
        }
        break;
    case st::TUNNEL:
        close_stream(s, t, PTC_CLOSE_FLUSH);
        break;
    default:
        srv_drop(s, t);
        break;
    }
}

void on_srv_timeout(ptc_stream* s, txn& t)
{
    switch (t.state) {
    case st::CONNECTING:
        release_replay(s, t);
        fail_term(s, t, 503, 's', 'C');
        break;
    case st::EXCHANGE:
        if (t.cur.res == res_st::WAIT_HEAD && try_retry(s, t, RETRY_RESPONSE_TIMEOUT))
            break;
        if (t.cur.res == res_st::WAIT_HEAD || t.cur.res == res_st::HOOKS)
            fail_term(s, t, 504, 's', 'H');
        else
            set_term(t, 's', 'D'), abort_stream(s, t);
        break;
    case st::TUNNEL:
        close_stream(s, t, PTC_CLOSE_FLUSH);
        break;
    default: // idle server connection: let it go
        if (t.srv_alive)
            srv_drop(s, t);
        host->stream_set_timeout(s, PTC_TMO_SERVER, 0);
        t.srv_tmo_armed = false;
        break;
    }
}

void on_cli_timeout(ptc_stream* s, txn& t)
{
    switch (t.state) {
    case st::WAIT_REQ: {
        // HAProxy answers 408 to a partial request or on a fresh connection; an idle
        // keep-alive connection is closed silently.
        ptc_str d;
        host->chan_data(s, REQ, &d);
        if (!d.len && t.first_req && t.fe_conf && t.fe_conf->ignore_probes) {
            // option http-ignore-probes: a pre-connect that never spoke leaves no trace
            t.cur.logged = true;
            close_stream(s, t, PTC_CLOSE_FLUSH);
        } else if (d.len || t.first_req) {
            fail_term(s, t, 408, 'c', 'R');
        } else {
            t.cur.logged = true; // idle keep-alive connection: nothing to log
            close_stream(s, t, PTC_CLOSE_FLUSH);
        }
        break;
    }
    case st::EXCHANGE:
        refresh_req_body(s, t);
        if (t.cur.req_body == body::DONE && t.cur.res != res_st::BODY)
            set_cli_tmo(s, t, 0); // waiting for the server, not for the client
        else
            set_term(t, 'c', 'D'), abort_stream(s, t);
        break;
    case st::REQ_HOOKS:
        if (t.cur.tarpit_until || t.cur.wfb_until)
            break; // the tarpit's or wait-for-body's own timer: its rule acts when resumed
        [[fallthrough]];
    case st::CONNECTING:
        if (t.cur.req_body == body::DONE)
            set_cli_tmo(s, t, 0);
        else
            fail_term(s, t, 408, 'c', 'R');
        break;
    case st::TUNNEL:
        close_stream(s, t, PTC_CLOSE_FLUSH);
        break;
    case st::SERVICE: // the request body does not come, or the client does not read
        set_term(t, 'c', 'D');
        abort_stream(s, t);
        break;
    case st::CLOSED:
        break;
    }
}

void on_release(ptc_stream* s, void* state)
{
    service_free(s, *static_cast<txn*>(state));
    comp_free(*static_cast<txn*>(state));
}

} // namespace

// Logs the transaction and closes the stream with <how> (actions.cpp: silent-drop).
void txn_close(ptc_stream* s, txn& t, uint32_t how) { close_stream(s, t, how); }

void txn_fail(ptc_stream* s, txn& t, int status, char a, char b) { fail_term(s, t, status, a, b); }

void set_cli_tmo_default(ptc_stream* s, txn& t) { set_cli_tmo(s, t, PTC_TMO_DEFAULT); }

std::string_view reply_prepare(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (c.phase == api_phase::RES) {
        t.srv_reusable = false; // the server's response body is left unread
        refresh_req_body(s, t);
        if (c.req_body != body::DONE)
            c.cli_close = true;
    } else {
        // The request (head and whole body) must be pending to be dropped; otherwise the
        // connection cannot be resynchronised and is closed after the reply.
        ptc_str d;
        host->chan_data(s, REQ, &d);
        uint64_t need = t.idx.head_len;
        bool complete = true;
        if (c.req_body == body::LENGTH) {
            need += c.req_len;
            complete = d.len >= need;
        } else if (c.req_body == body::CHUNKED) {
            bool done = false;
            t.req_chunk.reset();
            int n = d.len > need ? h1::chunked_feed(t.req_chunk, d.ptr + need, d.len - need,
                                                    &done)
                                 : 0;
            complete = n >= 0 && done;
            need += complete ? uint64_t(n) : 0;
        }
        if (complete)
            c.drain_len = need;
        else
            c.cli_close = true;
    }
    return c.cli_close ? "close" : c.req_ka10 ? "keep-alive" : "";
}

char* work_buf(int which, size_t* cap)
{
    if (!work[which]) {
        if (!work_cap) {
            uint64_t b = PTC_HOST_HAS(host, global_setting) ? host->global_setting("tune.bufsize")
                                                            : 0;
            work_cap = b ? size_t(b) : 16384;
        }
        work[which] = static_cast<char*>(host->alloc(work_cap));
    }
    *cap = work_cap;
    return work[which];
}

ptc_proxy* error_proxy(ptc_stream* s, const txn& t)
{
    ptc_proxy* be = t.be_selected ? host->stream_backend(s) : nullptr;
    return be ? be : host->stream_frontend(s);
}

// The proxy's custom message for <status> ("errorfile", "errorfiles", "http-error"): the
// backend's, else the frontend's (as HAProxy), else none (the built-in page).
ptc_str error_message(ptc_stream* s, const txn& t, int status)
{
    // an "http-error" message built per use (log-format parts, ABI 1.25) comes first
    bool dyn = PTC_HOST_HAS(host, proxy_error_render) && host->proxy_error_render;
    ptc_str ef{nullptr, 0};
    if (dyn && host->proxy_error_render(s, error_proxy(s, t), status, &ef))
        return ef;
    ef = host->proxy_errorfile(error_proxy(s, t), status);
    ptc_proxy* fe = host->stream_frontend(s);
    if (!ef.ptr && fe && fe != error_proxy(s, t)) {
        if (dyn && host->proxy_error_render(s, fe, status, &ef))
            return ef;
        ef = host->proxy_errorfile(fe, status);
    }
    if (!PTC_HOST_HAS(host, http_errors_message) && !ef.len)
        ef.ptr = nullptr; // a host before 1.12 says "none" with a non-NULL ""
    return ef;
}

void reply_nothing(ptc_stream* s, txn& t, int status)
{
    txn_cur& c = t.cur;
    c.replied = true;
    c.cli_close = true;
    c.res_status = c.log_status = uint16_t(status);
    close_stream(s, t, PTC_CLOSE_FLUSH);
}

bool index_res_head(ptc_stream* s, txn& t)
{
    ptc_str d;
    host->chan_data(s, RES, &d);
    h1::response res;
    res.headers = scratch;
    res.max_headers = max_hdr_cap;
    int r = h1::parse_response(d.ptr, d.len, res);
    if (r <= 0)
        return false;
    index_head(t.idx, d.ptr, res.headers, res.num_headers, size_t(r));
    t.cur.phase = api_phase::RES;
    t.cur.res_status = uint16_t(res.status);
    return true;
}

int emit_generated(ptc_stream* s, txn& t, size_t len, bool fix_conn)
{
    txn_cur& c = t.cur;
    ptc_str d;
    host->chan_data(s, RES, &d);
    h1::response res;
    res.headers = scratch;
    res.max_headers = max_hdr_cap;
    int r = d.len >= len ? h1::parse_response(d.ptr, len, res) : h1::H1_ERROR;
    size_t total = len;
    if (r > 0) {
        index_head(t.idx, d.ptr, res.headers, res.num_headers, size_t(r));
        c.phase = api_phase::RES;
        c.res_status = uint16_t(res.status);
        if (fix_conn) {
            if (c.cli_close) {
                force_conn_close(s, t);
            } else if (c.req_ka10 && !index_conn_has(t.idx, d.ptr, "keep-alive")) {
                head_add(s, RES, t.idx, "connection", "keep-alive");
            }
        }
        // An error raised while the request head is still being received (parse error,
        // incomplete request, request timeout) is HAProxy's H1 multiplexer's own answer,
        // sent before any stream exists: the http-after-response rules do not see it.
        if (t.state != st::WAIT_REQ)
            run_after_rules(s, t);
        if (t.state == st::CLOSED)
            return PTC_ERROR;
        host->chan_data(s, RES, &d);
        total = d.len;
        // A response to HEAD carries no body: HAProxy's H1 multiplexer drops the payload of
        // its own replies (errors, deny, return, redirect) too, and keeps their headers.
        if (c.cli_head) { // the client's method: a rule may have changed the one sent on
            int hl = h1::parse_response(d.ptr, d.len, res);
            if (hl > 0 && size_t(hl) < total &&
                host->chan_replace(s, RES, size_t(hl), total - size_t(hl), nullptr, 0) == PTC_OK)
                total = size_t(hl);
        }
        c.log_status = c.res_status;
    } else {
        int code = 0;
        if (len > 12)
            code = (d.ptr[9] - '0') * 100 + (d.ptr[10] - '0') * 10 + (d.ptr[11] - '0');
        c.log_status = uint16_t(code > 0 && code < 1000 ? code : 0);
    }
    c.phase = api_phase::NONE;
    c.bytes_out = total;
    host->chan_forward(s, RES, total);
    return PTC_OK;
}

int on_event(ptc_stream* s, void* state, uint32_t ev)
{
    txn& t = *static_cast<txn*>(state);
    if (ev & PTC_EV_OPEN)
        on_open(s, t);
    if (t.state == st::CLOSED)
        return PTC_CONTINUE;
    if (ev & PTC_EV_CLI_ERROR) {
        set_term(t, 'C', t.state == st::WAIT_REQ ? 'R' : 'D');
        abort_stream(s, t);
        return PTC_CONTINUE;
    }
    if (ev & PTC_EV_SRV_CONNECTED)
        on_srv_connected(s, t);
    if ((ev & PTC_EV_REQ_DATA) && t.state != st::WAIT_REQ)
        t.req_more = true;
    if ((ev & PTC_EV_REQ_DATA) && t.state == st::CONNECTING && t.be_conf &&
        t.be_conf->abortonclose) {
        // "option abortonclose": a client that closed while its request waits for a
        // server slot or connection has left; the request is dropped, not served
        ptc_str d;
        if (host->chan_data(s, REQ, &d) & ENDED) {
            set_term(t, 'C', host->stream_server(s) ? 'C' : 'Q');
            abort_stream(s, t);
            return PTC_CONTINUE;
        }
    }
    if ((ev & PTC_EV_REQ_DATA) && t.state == st::EXCHANGE && t.cur.res == res_st::WAIT_HEAD &&
        t.be_conf && t.be_conf->abortonclose && (refresh_req_body(s, t), true) &&
        t.cur.req_body == body::DONE) {
        // "option abortonclose": a client that closed while the server has not answered
        // yet has left; the server connection is closed and the transaction logged as
        // HAProxy's client abort (status 400, "CH")
        ptc_str d;
        if (host->chan_data(s, REQ, &d) & ENDED) {
            set_term(t, 'C', 'H');
            t.cur.log_status = 400;
            srv_drop(s, t);
            abort_stream(s, t);
            return PTC_CONTINUE;
        }
    }
    if ((ev & PTC_EV_RES_DATA) && t.srv_alive &&
        (t.state == st::WAIT_REQ || t.state == st::REQ_HOOKS))
        check_idle_server(s, t);
    uint8_t gen = t.cx_gen;
    advance(s, t, ev);
    if (t.cx_gen != gen) // a connect (L7 retry, next request) started: the error or timeout
        ev &= ~(PTC_EV_SRV_ERROR | PTC_EV_SRV_TIMEOUT); // was the previous connection's
    if (t.state != st::CLOSED && (ev & PTC_EV_SRV_ERROR))
        on_srv_error(s, t);
    if (t.state != st::CLOSED && (ev & PTC_EV_SRV_TIMEOUT))
        on_srv_timeout(s, t);
    if (t.state != st::CLOSED && (ev & PTC_EV_CLI_TIMEOUT))
        on_cli_timeout(s, t);
    return PTC_CONTINUE;
}

// ---- module descriptor ------------------------------------------------------------------------

namespace {

int init(ptc_modref* me)
{
    self = me;
    build_error_pages();
    if (service_init() != PTC_OK)
        return PTC_ERROR;
    return host->api_publish(me, PTC_HTTP_API_NAME, PTC_HTTP_API_VERSION, &http_api);
}

// Reads the global limits and caches the HTTP timeouts of every proxy in its conf blob (read
// on every stream).
int post_config(ptc_modref* me)
{
    uint64_t mh = host->global_setting("tune.http.maxhdr");
    if (mh > max_hdr_cap) {
        host->errorf(me, "tune.http.maxhdr %llu is above the http module's limit of %zu",
                     (unsigned long long)mh, max_hdr_cap);
        return PTC_ERROR;
    }
    max_hdr = mh ? uint32_t(mh) : 101;
    if (replies_resolve() != PTC_OK)
        return PTC_ERROR;
    uint64_t bs = host->global_setting("tune.bufsize");
    uint64_t mr = host->global_setting("tune.maxrewrite");
    if (bs) {
        work_cap = size_t(bs);
        head_limit = size_t(bs > mr ? bs - mr : bs);
    }
    size_t cap;
    for (int i = 0; i < 3; ++i)
        work_buf(i, &cap); // allocated once, before the workers fork
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        auto* c = static_cast<proxy_conf*>(host->proxy_conf(me, p));
        if (!c)
            continue;
        uint64_t req = host->proxy_timeout(p, "http-request");
        uint64_t ka = host->proxy_timeout(p, "http-keep-alive");
        uint64_t tun = host->proxy_timeout(p, "tunnel");
        c->tmo_request = req ? req : PTC_TMO_DEFAULT;
        c->tmo_idle = ka ? ka : c->tmo_request;
        c->tmo_tunnel = tun ? tun : PTC_TMO_DEFAULT;
        c->tmo_client_fin = host->proxy_timeout(p, "client-fin");
        c->tmo_server_fin = host->proxy_timeout(p, "server-fin");
        uint64_t tp = host->proxy_timeout(p, "tarpit");
        c->tmo_tarpit = tp ? tp : host->proxy_timeout(p, "connect");
        ptc_str mode = host->proxy_mode(p);
        c->raw = std::string_view(mode.ptr, mode.len) != "http";
    }
    return PTC_OK;
}

constexpr uint32_t FE_BE = PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND | PTC_SEC_BACKEND;
constexpr uint32_t FE_ONLY = PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND;
constexpr uint32_t BE_ONLY = PTC_SEC_DEFAULTS | PTC_SEC_BACKEND;

const ptc_keyword keywords[] = {
    {"http-reuse", BE_ONLY, 0, 1, 1, parse_http_reuse,
     "http-reuse never|safe|aggressive|always"},
    {"option forwardfor", FE_BE, 0, 0, 5, parse_option_forwardfor,
     "option forwardfor [except <network>] [header <name>] [if-none]"},
    {"option http-keep-alive", FE_BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_conn_mode,
     "option http-keep-alive"},
    {"option http-server-close", FE_BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_conn_mode,
     "option http-server-close"},
    {"option httpclose", FE_BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_conn_mode,
     "option httpclose"},
    {"monitor-uri", FE_ONLY, 0, 1, 1, parse_monitor_uri, "monitor-uri <uri>"},
    {"unique-id-header", PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND, 0, 1, 1, parse_unique_id_header,
     "unique-id-header <name>"},
    {"retry-on", BE_ONLY, 0, 1, -1, parse_retry_on, "retry-on <keywords>"},
    {"option accept-invalid-http-request", FE_ONLY, PTC_KWF_NEGATABLE, 0, 0,
     parse_option_accept_invalid, "option accept-invalid-http-request"},
    {"option accept-invalid-http-response", BE_ONLY, PTC_KWF_NEGATABLE, 0, 0,
     parse_option_accept_invalid, "option accept-invalid-http-response"},
    {"option abortonclose", BE_ONLY, PTC_KWF_NEGATABLE, 0, 0, parse_option_accept_invalid,
     "[no] option abortonclose"},
    {"option http-ignore-probes", FE_ONLY, PTC_KWF_NEGATABLE, 0, 0, parse_option_accept_invalid,
     "[no] option http-ignore-probes"},
    {"option http-pretend-keepalive", BE_ONLY, PTC_KWF_NEGATABLE, 0, 0,
     parse_option_accept_invalid, "[no] option http-pretend-keepalive"},
    {"option http-buffer-request", FE_BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_accept_invalid,
     "[no] option http-buffer-request"},
    {"option http-restrict-req-hdr-names", FE_BE, 0, 1, 1, parse_option_restrict_names,
     "option http-restrict-req-hdr-names preserve|delete|reject"},
    {"option http-no-delay", FE_BE, PTC_KWF_NEGATABLE, 0, 0, parse_option_accept_invalid,
     "[no] option http-no-delay (always on)"},
    {"option disable-h2-upgrade", FE_ONLY, PTC_KWF_NEGATABLE, 0, 0,
     parse_option_accept_invalid, "[no] option disable-h2-upgrade (always on)"},
    {"compression", FE_BE, 0, 1, -1, parse_compression,
     "compression algo <algorithm>... | type <mime type>... | offload"},
    {"tune.comp.maxlevel", PTC_SEC_GLOBAL, 0, 1, 1, parse_comp_global, "tune.comp.maxlevel <1-9>"},
    {"tune.zlib.memlevel", PTC_SEC_GLOBAL, 0, 1, 1, parse_comp_global, "tune.zlib.memlevel <1-9>"},
    {"tune.zlib.windowsize", PTC_SEC_GLOBAL, 0, 1, 1, parse_comp_global,
     "tune.zlib.windowsize <8-15>"},
    {"maxzlibmem", PTC_SEC_GLOBAL, 0, 1, 1, parse_comp_global, "maxzlibmem <megabytes>"},
    {"redirect", PTC_SEC_FRONTEND | PTC_SEC_BACKEND, 0, 2, -1, parse_proxy_redirect,
     "redirect location|prefix|scheme <to> [code <n>] [option...] [if|unless <cond>]"},
    {"option originalto", FE_BE, 0, 0, 4, parse_option_originalto,
     "option originalto [except <network>] [header <name>]"},
};

const ptc_proto protos[] = {
    {"http", sizeof(txn), on_event, on_release},
};

const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "http",
    .version = "1.0.0",
    .description = "HTTP/1.1 reverse proxy (mode http)",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .protos = protos,
    .proto_count = PTC_COUNTOF(protos),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(proxy_conf),
    .conf_init = conf_init,
    .conf_copy = conf_copy,
    .init = init,
    .post_config = post_config,
    .fetches = fetches,
    .fetch_count = fetch_count,
    .fetch_size = sizeof(ptc_fetch),
    .convs = convs,
    .conv_count = conv_count,
    .conv_size = sizeof(ptc_conv),
    .actions = actions,
    .action_count = action_count,
    .action_size = sizeof(ptc_action),
    .features = "ZLIB", // compression (comp.cpp)
};

} // namespace

} // namespace portico::http

PTC_MODULE_ENTRY(h)
{
    portico::http::host = h;
    return &portico::http::descriptor;
}
