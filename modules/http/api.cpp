// SPDX-License-Identifier: MIT
// The ptc_http_api published for other modules: request/response access, header edits, reply.
#include <string>

#include "http_int.hpp"

namespace portico::http {

namespace {

// The stream's state if the current message of <dir> is pending and indexed, else NULL.
txn* in_phase(ptc_stream* s, uint32_t dir)
{
    txn& t = txn_of(s);
    api_phase want = dir == PTC_DIR_REQ ? api_phase::REQ : api_phase::RES;
    return t.cur.phase == want ? &t : nullptr;
}

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

ptc_str out_str(const char* p, size_t n) { return ptc_str{p, n}; }

// Path part of a request target: absolute-form loses its scheme and authority, and the
// query string is cut.
std::string_view path_of(std::string_view t)
{
    if (!t.empty() && t[0] != '/') {
        size_t p = t.find("://");
        if (p != std::string_view::npos) {
            size_t q = t.find('/', p + 3);
            t = q == std::string_view::npos ? std::string_view{} : t.substr(q);
        }
    }
    size_t q = t.find('?');
    return q == std::string_view::npos ? t : t.substr(0, q);
}

int hdr_get(ptc_stream* s, uint32_t dir, ptc_str name, uint32_t occ, ptc_str* out)
{
    txn* t = in_phase(s, dir);
    if (!t || !out)
        return PTC_ERROR;
    const char* base = pending(s, dir);
    int i = index_find(t->idx, base, sv(name), occ);
    if (i < 0)
        return PTC_ERROR;
    const hdr_ref& r = t->idx.hdr[i];
    *out = out_str(base + r.value_off, r.value_len);
    return PTC_OK;
}

int hdr_add(ptc_stream* s, uint32_t dir, ptc_str name, ptc_str value)
{
    txn* t = in_phase(s, dir);
    if (!t)
        return PTC_ERROR;
    return head_add(s, dir, t->idx, sv(name), sv(value));
}

int hdr_del(ptc_stream* s, uint32_t dir, ptc_str name)
{
    txn* t = in_phase(s, dir);
    if (!t)
        return PTC_ERROR;
    return head_del(s, dir, t->idx, pending(s, dir), sv(name));
}

int hdr_set(ptc_stream* s, uint32_t dir, ptc_str name, ptc_str value)
{
    txn* t = in_phase(s, dir);
    if (!t)
        return PTC_ERROR;
    head_del(s, dir, t->idx, pending(s, dir), sv(name)); // absent is fine
    return head_add(s, dir, t->idx, sv(name), sv(value));
}

int api_req_method(ptc_stream* s, ptc_str* out)
{
    txn* t = in_phase(s, PTC_DIR_REQ);
    if (!t || !out)
        return PTC_ERROR;
    *out = out_str(pending(s, PTC_DIR_REQ) + t->cur.method_off, t->cur.method_len);
    return PTC_OK;
}

int api_req_uri(ptc_stream* s, ptc_str* out)
{
    txn* t = in_phase(s, PTC_DIR_REQ);
    if (!t || !out)
        return PTC_ERROR;
    *out = out_str(pending(s, PTC_DIR_REQ) + t->cur.target_off, t->cur.target_len);
    return PTC_OK;
}

int api_req_path(ptc_stream* s, ptc_str* out)
{
    txn* t = in_phase(s, PTC_DIR_REQ);
    if (!t || !out)
        return PTC_ERROR;
    std::string_view p = path_of({pending(s, PTC_DIR_REQ) + t->cur.target_off,
                                  t->cur.target_len});
    *out = out_str(p.data(), p.size());
    return PTC_OK;
}

int api_req_hdr(ptc_stream* s, ptc_str name, uint32_t occ, ptc_str* out)
{
    return hdr_get(s, PTC_DIR_REQ, name, occ, out);
}

int api_req_hdr_add(ptc_stream* s, ptc_str name, ptc_str value)
{
    return hdr_add(s, PTC_DIR_REQ, name, value);
}

int api_req_hdr_set(ptc_stream* s, ptc_str name, ptc_str value)
{
    return hdr_set(s, PTC_DIR_REQ, name, value);
}

int api_req_hdr_del(ptc_stream* s, ptc_str name) { return hdr_del(s, PTC_DIR_REQ, name); }

int api_res_status(ptc_stream* s)
{
    txn* t = in_phase(s, PTC_DIR_RES);
    return t ? int(t->cur.res_status) : PTC_ERROR;
}

int api_res_hdr(ptc_stream* s, ptc_str name, uint32_t occ, ptc_str* out)
{
    return hdr_get(s, PTC_DIR_RES, name, occ, out);
}

int api_res_hdr_add(ptc_stream* s, ptc_str name, ptc_str value)
{
    return hdr_add(s, PTC_DIR_RES, name, value);
}

int api_res_hdr_set(ptc_stream* s, ptc_str name, ptc_str value)
{
    return hdr_set(s, PTC_DIR_RES, name, value);
}

int api_res_hdr_del(ptc_stream* s, ptc_str name) { return hdr_del(s, PTC_DIR_RES, name); }

// Valid while the request hooks run (before any server involvement) or while the response
// hooks run; at most one reply per transaction.
int api_reply(ptc_stream* s, int status, ptc_str content_type, ptc_str body)
{
    txn& t = txn_of(s);
    bool req = t.state == st::REQ_HOOKS && t.cur.phase == api_phase::REQ;
    bool res = t.state == st::EXCHANGE && t.cur.res == res_st::HOOKS;
    if ((!req && !res) || t.cur.replied || status < 200 || status > 599)
        return PTC_ERROR;
    std::string_view conn = reply_prepare(s, t);
    if (send_generated(s, status, sv(content_type), sv(body), conn) != PTC_OK)
        return PTC_ERROR;
    t.cur.replied = true;
    return PTC_OK;
}

} // namespace

int api_req_set_line(ptc_stream* s, uint32_t part, ptc_str value)
{
    return req_line_set(s, part, sv(value));
}

int api_res_set_status(ptc_stream* s, int status, ptc_str reason)
{
    return res_status_set(s, status, sv(reason));
}

// A response the caller wrote (Lua's txn:reply()), sent as the "return" action sends its
// answer ("LR"/"LH" for the logs): <head> is the status line and header fields, each
// ending with CRLF, without the empty line.
int api_reply_raw(ptc_stream* s, int status, ptc_str head, ptc_str body)
{
    txn& t = txn_of(s);
    if (t.cur.replied || t.state == st::CLOSED)
        return PTC_ACT_DONE;
    if (status < 100 || status > 999 || head.len < 2 || head.ptr[head.len - 2] != '\r' ||
        head.ptr[head.len - 1] != '\n')
        return PTC_ACT_ERROR;
    std::string full(head.ptr, head.len);
    full += "\r\n";
    full.append(body.ptr ? body.ptr : "", body.len);
    reply_def r{};
    r.kind = REPLY_STATIC;
    r.full = full.data();
    r.head_len = uint32_t(head.len);
    r.body_len = uint32_t(body.len);
    r.status = uint16_t(status);
    if (!t.cur.term[0]) {
        t.cur.term[0] = 'L';
        t.cur.term[1] = t.cur.phase == api_phase::RES ? 'H' : 'R';
    }
    return send_reply(s, r);
}

const ptc_http_api http_api = {
    sizeof(ptc_http_api),
    api_req_method,
    api_req_uri,
    api_req_path,
    api_req_hdr,
    api_req_hdr_add,
    api_req_hdr_set,
    api_req_hdr_del,
    api_res_status,
    api_res_hdr,
    api_res_hdr_add,
    api_res_hdr_set,
    api_res_hdr_del,
    api_reply,
    api_req_set_line,
    api_res_set_status,
    api_reply_raw,
    reason_phrase,
};

} // namespace portico::http
