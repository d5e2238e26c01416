// SPDX-License-Identifier: MIT
// The http module as the runner of ABI 1.5 HTTP services (service.h): "http-request
// use-service <name>" and services claiming a request by URI ("stats uri"). A service
// generates the response; this file frames it (status line, fields, content-length or
// chunked), streams its body as the client drains it, and drops the request.
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "http_int.hpp"

namespace portico::http {

// One running service (allocated when it starts, freed when it ends or the stream does).
struct svc_run {
    ptc_svc_txn t{};
    const ptc_service* svc = nullptr;
    ptc_stream* s = nullptr;
    std::string hdrs;        // "name: value\r\n" added by the service before the head left
    std::string reason;
    std::string pending;     // body bytes written before the head left (its rules ran)
    int status = 200;
    bool head_built = false; // the head is in the channel, its http-response rules run
    bool head_sent = false;  // the rules ran and the head left
    bool finished = false;   // run() returned PTC_OK: the end waits for the head
    bool replaced = false;   // an http-response rule replaced the response
    int rules = 0;           // next rule set: 1 the backend's, 2 the frontend's, 3 done
    bool has_length = false; // the service gave a content-length: body sent as is
    bool chunked = false;    // the runner frames the body in chunks
    bool in_first = false;   // inside the first run() call: the request is readable
    bool released = false;
};

namespace {

constexpr uint32_t REQ = PTC_DIR_REQ;
constexpr uint32_t RES = PTC_DIR_RES;

svc_run* R(ptc_svc_txn* t) { return static_cast<svc_run*>(t->runner); }

int op_req_hdr(ptc_svc_txn* st, ptc_str name, uint32_t occ, ptc_str* out)
{
    svc_run* r = R(st);
    if (!r->in_first || r->head_sent)
        return PTC_ERROR;
    txn& t = txn_of(r->s);
    ptc_str d;
    host->chan_data(r->s, REQ, &d);
    int i = index_find(t.idx, d.ptr, std::string_view(name.ptr, name.len), occ);
    if (i < 0)
        return PTC_ERROR;
    std::string_view v = value_of(t.idx, d.ptr, uint32_t(i));
    *out = ptc_str{v.data(), v.size()};
    return PTC_OK;
}

int op_res_status(ptc_svc_txn* st, int status, ptc_str reason)
{
    svc_run* r = R(st);
    if (r->head_sent || status < 100 || status > 999)
        return PTC_ERROR;
    r->status = status;
    r->reason.assign(reason.ptr ? reason.ptr : "", reason.ptr ? reason.len : 0);
    return PTC_OK;
}

bool ieq(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++)
        if ((a[i] | 0x20) != (b[i] | 0x20))
            return false;
    return true;
}

int op_res_hdr_add(ptc_svc_txn* st, ptc_str name, ptc_str value)
{
    svc_run* r = R(st);
    std::string_view n(name.ptr, name.len), v(value.ptr, value.len);
    if (r->head_sent || n.empty() || r->hdrs.size() + n.size() + v.size() > 4096 ||
        n.find_first_of(":\r\n ") != n.npos || v.find_first_of("\r\n") != v.npos)
        return PTC_ERROR;
    if (ieq(n, "connection"))
        return PTC_OK;
    // the runner frames the body; a HEAD response has none, so it shows the field the
    // service gives, as HAProxy's exporter does ("transfer-encoding: chunked")
    if (ieq(n, "transfer-encoding") && !(r->t.flags & PTC_SVC_F_HEAD))
        return PTC_OK;
    if (ieq(n, "content-length"))
        r->has_length = true;
    r->hdrs.append(n).append(": ").append(v).append("\r\n");
    return PTC_OK;
}

// Room for body bytes once the framing of one chunk ("%x\r\n" ... "\r\n") is counted.
size_t op_res_room(ptc_svc_txn* st)
{
    svc_run* r = R(st);
    size_t room = host->chan_room(r->s, RES);
    size_t reserve = r->head_sent ? 0 : r->hdrs.size() + r->reason.size() + 256;
    reserve += 16 + r->pending.size(); // chunk framing, the last chunk, bytes held back
    return room > reserve + 64 ? room - reserve : 0;
}

// Frames and forwards body bytes once the head left.
bool put_body(svc_run* r, const char* data, size_t len)
{
    txn& t = txn_of(r->s);
    size_t total = len;
    if (r->chunked) {
        char hx[24];
        int n = snprintf(hx, sizeof(hx), "%zx\r\n", len);
        if (host->chan_append(r->s, RES, hx, size_t(n)) != PTC_OK)
            return false;
        total += size_t(n) + 2;
    }
    if (host->chan_append(r->s, RES, data, len) != PTC_OK)
        return false;
    if (r->chunked)
        host->chan_append(r->s, RES, "\r\n", 2);
    host->chan_forward(r->s, RES, total);
    t.cur.bytes_out += total;
    return true;
}

// Sends the response head (status line, the service's fields, framing): first the
// http-response rules of the backend then the frontend run on it, as on a server's
// response (they may wait: a Lua action), then the common path of generated responses
// (after-response rules, connection header, log status). Returns 0 once the head left, 1
// while a rule waits (call again when the stream is woken), -1 when the response was
// replaced by a rule (r->replaced) or the stream failed.
int build_head(svc_run* r)
{
    txn& t = txn_of(r->s);
    txn_cur& c = t.cur;
    {
        if (!r->has_length) {
            if (c.req_minor >= 1 && !c.cli_head)
                r->chunked = true;
            else if (!c.cli_head)
                c.cli_close = true; // HTTP/1.0: the end of the body is the close
        }
        char line[96];
        const char* rs = r->reason.empty() ? reason_phrase(r->status) : r->reason.c_str();
        std::string head;
        int n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", r->status);
        head.append(line, size_t(n)).append(rs).append("\r\n").append(r->hdrs);
        // HEAD: no framing field of the runner's (a "content-length: 0" would announce an
        // empty resource); HAProxy's stats page answers HEAD the same way
        if (r->chunked)
            head.append("transfer-encoding: chunked\r\n");
        head.append("\r\n");
        r->head_built = true;
        c.t_response = host->now_ms(); // %Tr: the service's response head (HAProxy's t_data)
        if (host->chan_append(r->s, RES, head.data(), head.size()) != PTC_OK)
            return -1;
        // the rules run on a use-service answer; HAProxy's stats page ("stats uri") skips them
        r->rules = !c.svc_by_uri && index_res_head(r->s, t) ? 1 : 3;
    }
    return 0;
}

int send_head(svc_run* r)
{
    txn& t = txn_of(r->s);
    txn_cur& c = t.cur;
    if (!r->head_built && build_head(r) != 0)
        return -1;
    ptc_proxy* fe = host->stream_frontend(r->s);
    ptc_proxy* be = host->stream_backend(r->s);
    while (r->rules < 3) {
        ptc_proxy* px = r->rules == 1 ? be : fe;
        if (r->rules == 1 && (!be || be == fe)) {
            r->rules = 2;
            continue;
        }
        c.phase = api_phase::RES;
        int rc = host->rules_run(r->s, PTC_RULES_HTTP_RES, px);
        if (t.state == st::CLOSED)
            return -1;
        if (c.replied) { // a rule answered instead ("return", "deny"): the service stops
            r->replaced = true;
            c.phase = api_phase::NONE;
            return -1;
        }
        if (rc == PTC_ACT_YIELD)
            return 1;
        if (rc == PTC_ACT_ERROR || rc == PTC_ACT_DONE) {
            txn_fail(r->s, t, rc == PTC_ACT_ERROR ? 500 : 502, rc == PTC_ACT_ERROR ? 'I' : 'P',
                     'H');
            return -1;
        }
        r->rules++;
    }
    ptc_str d;
    host->chan_data(r->s, RES, &d);
    r->head_sent = true;
    if (emit_generated(r->s, t, d.len) != PTC_OK)
        return -1;
    c.res_started = true;
    if (t.state == st::CLOSED)
        return -1;
    if (!r->pending.empty()) {
        std::string p;
        p.swap(r->pending);
        if (!put_body(r, p.data(), p.size()))
            return -1;
    }
    return 0;
}

size_t op_res_write(ptc_svc_txn* st, const void* data, size_t len)
{
    svc_run* r = R(st);
    txn& t = txn_of(r->s);
    if (t.state == st::CLOSED || r->replaced)
        return 0;
    size_t room = op_res_room(st);
    if (len > room)
        len = room;
    if (!r->head_built && build_head(r) != 0)
        return 0;
    if (!len)
        return 0;
    if (t.cur.cli_head)
        return len; // HEAD: the body is not sent
    if (!r->head_sent) { // its http-response rules run once run() returned (see drive())
        r->pending.append(static_cast<const char*>(data), len);
        return len;
    }
    return put_body(r, static_cast<const char*>(data), len) ? len : 0;
}

const ptc_svc_ops ops = {
    .size = sizeof(ptc_svc_ops),
    .req_hdr = op_req_hdr,
    .res_status = op_res_status,
    .res_hdr_add = op_res_hdr_add,
    .res_room = op_res_room,
    .res_write = op_res_write,
};

// Ends the response once run() returned PTC_OK: the head if it did not leave (its rules may
// wait), the last chunk.
svc_res finish_body(svc_run* r)
{
    txn& t = txn_of(r->s);
    r->finished = true;
    if (!r->head_sent) {
        int h = send_head(r);
        if (h == 1)
            return svc_res::WAIT;
        if (h < 0)
            return r->replaced ? svc_res::DONE
                   : t.state == st::CLOSED ? svc_res::CLOSED : svc_res::ABORT;
    }
    if (r->chunked) {
        if (host->chan_append(r->s, RES, "0\r\n\r\n", 5) != PTC_OK)
            return svc_res::ABORT;
        host->chan_forward(r->s, RES, 5);
        t.cur.bytes_out += 5;
    }
    return svc_res::DONE;
}

// After a run() call.
svc_res after_run(svc_run* r, int rc)
{
    txn& t = txn_of(r->s);
    if (t.state == st::CLOSED)
        return svc_res::CLOSED;
    if (r->replaced)
        return svc_res::DONE;
    if (rc == PTC_ERROR)
        return r->head_sent ? svc_res::ABORT : svc_res::FAIL;
    if (rc != PTC_YIELD)
        return finish_body(r);
    return svc_res::WAIT;
}

// After a run() call: when the service built its head and waits for room, the head's
// http-response rules run (outside run()), then the service runs again.
svc_res drive(svc_run* r, int rc)
{
    txn& t = txn_of(r->s);
    for (;;) {
        svc_res res = after_run(r, rc);
        if (res != svc_res::WAIT || !r->head_built || r->head_sent)
            return res;
        int h = send_head(r);
        if (h == 1)
            return svc_res::WAIT;
        if (h < 0)
            return r->replaced ? svc_res::DONE
                   : t.state == st::CLOSED ? svc_res::CLOSED : svc_res::ABORT;
        rc = r->svc->run(&r->t);
        r->t.calls++;
    }
}

// ---- "http-request use-service <name>" ---------------------------------------------------------

int parse_use_service(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    if (first >= ctx->argc)
        return host->cfg_errorf(ctx, "'use-service' expects a service name");
    ptc_str name = ctx->args[first];
    const ptc_service* svc = host->service_find(name);
    if (!svc)
        return host->cfg_errorf(ctx, "'use-service': unknown service '%.*s'", int(name.len),
                                name.ptr);
    *state = const_cast<ptc_service*>(svc);
    *next = first + 1;
    return PTC_OK;
}

int exec_use_service(ptc_stream* s, void* state)
{
    txn& t = txn_of(s);
    if (t.cur.phase != api_phase::REQ)
        return PTC_ACT_ERROR;
    t.cur.svc = static_cast<const ptc_service*>(state);
    t.cur.svc_arg = nullptr;
    t.cur.svc_by_uri = false;
    t.cur.svc_px = t.cur.rq == rq_step::FE_RULES || !host->stream_backend(s)
                       ? host->stream_frontend(s)
                       : host->stream_backend(s);
    return PTC_ACT_STOP;
}

const ptc_action use_service_action = {
    PTC_RULES_HTTP_REQ, "use-service", parse_use_service, exec_use_service,
    "use-service <service-name>"};

} // namespace

int service_init()
{
    if (!PTC_HOST_HAS(host, service_register) || !host->service_register)
        return PTC_OK;
    return host->action_register(self, &use_service_action, sizeof(use_service_action),
                                 nullptr, nullptr);
}

bool service_claim(ptc_stream* s, txn& t, ptc_proxy* px)
{
    if (t.cur.svc || !px || !PTC_HOST_HAS(host, service_match) || !host->service_match)
        return t.cur.svc != nullptr;
    ptc_str d;
    host->chan_data(s, REQ, &d);
    const void* arg = nullptr;
    const ptc_service* svc =
        host->service_match(px, ptc_str{d.ptr + t.cur.target_off, t.cur.target_len}, &arg);
    if (!svc)
        return false;
    t.cur.svc = svc;
    t.cur.svc_arg = arg;
    t.cur.svc_px = px;
    t.cur.svc_by_uri = true;
    return true;
}

void service_free(ptc_stream*, txn& t)
{
    svc_run* r = t.svc;
    if (!r)
        return;
    t.svc = nullptr;
    if (!r->released && r->svc->release)
        r->svc->release(&r->t);
    if (r->t.ctx)
        host->free(r->t.ctx);
    r->~svc_run();
    host->free(r);
}

svc_res service_advance(ptc_stream* s, txn& t, uint32_t ev)
{
    txn_cur& c = t.cur;
    svc_run* r = t.svc;
    if (!r) {
        const ptc_service* svc = c.svc;
        ptc_str d;
        uint32_t fl = host->chan_data(s, REQ, &d);
        uint32_t flags = c.cli_head ? PTC_SVC_F_HEAD : 0;
        ptc_str body{nullptr, 0};
        if (c.req_body == body::LENGTH) {
            size_t cap = 0;
            work_buf(0, &cap);
            if (c.req_len > svc->max_body || t.idx.head_len + c.req_len > cap) {
                flags |= PTC_SVC_F_BODY_TRUNC;
            } else if (d.len < t.idx.head_len + c.req_len) {
                if (fl & (PTC_CHAN_EOF | PTC_CHAN_ERROR))
                    return svc_res::ABORT;
                set_cli_tmo_default(s, t);
                return svc_res::WAIT; // the body is on its way
            } else {
                body = ptc_str{d.ptr + t.idx.head_len, size_t(c.req_len)};
            }
        } else if (c.req_body == body::CHUNKED) {
            flags |= PTC_SVC_F_BODY_TRUNC;
        }
        reply_prepare(s, t); // drain_len, or close after the response
        void* mem = host->alloc(sizeof(svc_run));
        r = new (mem) svc_run();
        t.svc = r;
        r->svc = svc;
        r->s = s;
        r->t.size = sizeof(ptc_svc_txn);
        r->t.flags = flags;
        r->t.stream = s;
        r->t.proxy = c.svc_px;
        r->t.arg = c.svc_arg;
        r->t.method = ptc_str{d.ptr + c.method_off, c.method_len};
        r->t.uri = ptc_str{d.ptr + c.target_off, c.target_len};
        r->t.body = body;
        r->t.http_minor = c.req_minor;
        r->t.ops = &ops;
        r->t.runner = r;
        if (svc->ctx_size) {
            r->t.ctx = host->alloc(svc->ctx_size);
            std::memset(r->t.ctx, 0, svc->ctx_size);
        }
        r->in_first = true;
        int rc = svc->run(&r->t);
        r->in_first = false;
        r->t.calls++;
        if (t.state == st::CLOSED)
            return svc_res::CLOSED;
        // the request is no longer needed: drop it now (kept when the connection closes)
        if (!c.cli_close) {
            host->chan_skip(s, REQ, c.drain_len);
            c.drain_len = 0;
        }
        if (!r->head_built || r->head_sent)
            c.phase = api_phase::NONE; // else the response rules are on the head
        c.req_body = body::DONE;
        svc_res res = drive(r, rc);
        if (res == svc_res::WAIT)
            set_cli_tmo_default(s, t);
        return res;
    }
    if (r->head_built && !r->head_sent) { // an http-response rule waited
        int h = send_head(r);
        if (h == 1)
            return svc_res::WAIT;
        if (h < 0)
            return r->replaced ? svc_res::DONE
                   : t.state == st::CLOSED ? svc_res::CLOSED : svc_res::ABORT;
        if (r->finished)
            return finish_body(r);
    } else if (r->finished) {
        return finish_body(r);
    } else if (!(ev & (PTC_EV_RES_SENT | PTC_EV_WAKE))) {
        return svc_res::WAIT;
    }
    int rc = r->svc->run(&r->t);
    r->t.calls++;
    return drive(r, rc);
}

} // namespace portico::http
