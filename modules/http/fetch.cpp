// SPDX-License-Identifier: MIT
// Sample fetches of HTTP messages (method, path, hdr(), cook(), status...) and the url_dec
// converter, registered with the core's sample engine.
#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <string>

#include "http_int.hpp"

namespace portico::http {

namespace {

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

int set_str(ptc_sample* out, std::string_view v, uint32_t type = PTC_SMP_STR)
{
    out->type = type;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{v.data(), v.size()};
    return 1;
}

int set_int(ptc_sample* out, int64_t v, uint32_t type = PTC_SMP_SINT)
{
    out->type = type;
    out->flags = 0;
    out->u.sint = v;
    return 1;
}

// A stream of another protocol (a "mode tcp" frontend's: tcp-request content rules) has no
// transaction: as HAProxy does, the request bytes buffered so far are parsed as an HTTP/1
// request head, at each fetch, into this worker-local one (the samples point into the
// channel's bytes). While the head is incomplete and more bytes may come, the fetch has no
// answer *yet* (PTC_SMPF_MAYCHANGE: the rule waits within the inspect-delay); bytes that are
// not HTTP, or a head that cannot complete (the client's end, a full buffer), give none.
// HTTP fetches on the response of such a stream give none (HAProxy's neither).
txn g_raw;
h1::header g_raw_hdrs[max_hdr_cap];

txn* raw_request(ptc_stream* s, uint32_t dir, ptc_sample* out)
{
    if (dir != PTC_DIR_REQ)
        return nullptr;
    ptc_str d;
    uint32_t fl = host->chan_data(s, PTC_DIR_REQ, &d);
    h1::request req{};
    req.headers = g_raw_hdrs;
    req.max_headers = max_hdr;
    int r = h1::parse_request(d.ptr, d.len, req);
    if (r == h1::H1_INCOMPLETE) {
        if (!(fl & (PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_FULL)) && d.len < head_limit &&
            host->chan_room(s, PTC_DIR_REQ) > 0)
            out->flags |= PTC_SMPF_MAYCHANGE;
        return nullptr;
    }
    if (r <= 0)
        return nullptr;
    txn& t = g_raw;
    t.cur = txn_cur{};
    t.first_req = true;
    index_head(t.idx, d.ptr, req.headers, req.num_headers, size_t(r));
    t.cur.phase = api_phase::REQ;
    t.cur.method_off = uint32_t(req.method.data() - d.ptr);
    t.cur.method_len = uint32_t(req.method.size());
    t.cur.target_off = uint32_t(req.target.data() - d.ptr);
    t.cur.target_len = uint32_t(req.target.size());
    t.cur.req_minor = uint8_t(req.minor_version);
    return &t;
}

} // namespace

// The transaction the fetches read: the stream's own in mode http (at no cost but the
// frontend's conf lookup), else the request bytes parsed as above, or NULL.
txn* view(ptc_stream* s, uint32_t dir, ptc_sample* out)
{
    auto* c = static_cast<const proxy_conf*>(host->stream_fe_conf(self, s));
    if (!c || !c->raw)
        return &txn_of(s);
    return raw_request(s, dir, out);
}

namespace {

// The indexed head of <dir> when it is pending.
txn* msg(ptc_stream* s, uint32_t dir, const char** base, ptc_sample* out)
{
    txn* t = view(s, dir, out);
    if (!t || t->cur.phase != (dir == PTC_DIR_REQ ? api_phase::REQ : api_phase::RES))
        return nullptr;
    ptc_str d;
    host->chan_data(s, dir, &d);
    *base = d.ptr;
    return t;
}

// Method, target and version of the request: live while the request head is pending, from
// the copy of the request line afterwards (as received).
bool req_line(ptc_stream* s, std::string_view* method, std::string_view* target,
              std::string_view* version, ptc_sample* out)
{
    const char* base;
    txn* tp = view(s, PTC_DIR_REQ, out);
    if (!tp)
        return false;
    txn& t = *tp;
    if (t.cur.phase == api_phase::REQ) {
        ptc_str d;
        host->chan_data(s, PTC_DIR_REQ, &d);
        base = d.ptr;
        *method = {base + t.cur.method_off, t.cur.method_len};
        *target = {base + t.cur.target_off, t.cur.target_len};
        std::string_view rest(base + t.cur.target_off + t.cur.target_len,
                              t.idx.head_len - t.cur.target_off - t.cur.target_len);
        size_t e = rest.find_first_of("\r\n");
        *version = rest.substr(1, e == std::string_view::npos ? 0 : e - 1);
        return true;
    }
    if (!t.cur.reqline_len)
        return false;
    std::string_view rl(t.reqline, t.cur.reqline_len);
    size_t a = rl.find(' '), b = rl.rfind(' ');
    if (a == std::string_view::npos || b <= a)
        return false;
    *method = rl.substr(0, a);
    *target = rl.substr(a + 1, b - a - 1);
    *version = rl.substr(b + 1);
    return true;
}

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

int f_method(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    return req_line(s, &m, &t, &v, out) ? set_str(out, m, PTC_SMP_METH) : 0;
}

int f_url(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    return req_line(s, &m, &t, &v, out) ? set_str(out, t) : 0;
}

int f_path(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!req_line(s, &m, &t, &v, out))
        return 0;
    std::string_view p = path_of(t);
    return p.empty() && t.find("://") != std::string_view::npos ? 0 : set_str(out, p);
}

// pathq: the path with its query string, from the first slash (an absolute-form target
// loses its scheme and authority)
int f_pathq(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!req_line(s, &m, &t, &v, out))
        return 0;
    std::string_view p = path_of(t);
    if (p.empty() && t.find("://") != std::string_view::npos)
        return 0;
    size_t at = size_t(p.data() - t.data());
    return set_str(out, t.substr(at));
}

// capture.req.method / capture.req.uri / capture.req.ver: the request line as received
// (kept for the response phase and the logs: none on a tcp stream, whose request line no
// HTTP analyser captured, as HAProxy); capture.res.ver: "HTTP/1.x" of the response.
bool captured_line(ptc_stream* s, std::string_view* m, std::string_view* t, std::string_view* v,
                   ptc_sample* out)
{
    auto* c = static_cast<const proxy_conf*>(host->stream_fe_conf(self, s));
    return !(c && c->raw) && req_line(s, m, t, v, out);
}
int f_cap_req_method(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    return captured_line(s, &m, &t, &v, out) ? set_str(out, m) : 0;
}
int f_cap_req_uri(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!captured_line(s, &m, &t, &v, out))
        return 0;
    size_t sl = t.find('/');
    return sl == std::string_view::npos ? 0 : set_str(out, t.substr(sl));
}
int f_cap_req_ver(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    return captured_line(s, &m, &t, &v, out) && !v.empty() ? set_str(out, v) : 0;
}
int f_cap_res_ver(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    txn* tp = view(s, PTC_DIR_RES, out);
    if (!tp || !tp->cur.res_status)
        return 0;
    return set_str(out, tp->cur.res_minor ? "HTTP/1.1" : "HTTP/1.0");
}

int f_query(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!req_line(s, &m, &t, &v, out))
        return 0;
    size_t q = t.find('?');
    return q == std::string_view::npos ? 0 : set_str(out, t.substr(q + 1));
}

// req.proto_http: the request parses as HTTP (always so in mode http; see raw_request for a
// tcp stream: none while undecided, none when not HTTP, which an ACL reads as false)
int f_proto_http(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    return req_line(s, &m, &t, &v, out) ? set_int(out, 1, PTC_SMP_BOOL) : 0;
}

int f_req_ver(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!req_line(s, &m, &t, &v, out) || v.size() < 5)
        return 0;
    return set_str(out, v.substr(5)); // "HTTP/1.1" -> "1.1"
}

int f_res_ver(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const char* base;
    txn* t = msg(s, PTC_DIR_RES, &base, out);
    if (!t || t->idx.head_len < 8)
        return 0;
    return set_str(out, {base + 5, 3});
}

int f_status(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    txn* t = view(s, PTC_DIR_RES, out);
    if (t && t->cur.phase == api_phase::RES && t->cur.res_status)
        return set_int(out, t->cur.res_status);
    return 0;
}

int f_first_req(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    txn* t = view(s, PTC_DIR_REQ, out);
    return t ? set_int(out, t->first_req ? 1 : 0, PTC_SMP_BOOL) : 0;
}

// Calls <fn>(value) for every value of header <name> (every header if <name> is empty), split
// on commas when <split>. Stops when fn returns false.
template <class F>
void each_value(const head_index& idx, const char* base, std::string_view name, bool split,
                F&& fn)
{
    for (uint32_t i = 0; i < idx.count; ++i) {
        if (!name.empty() && (idx.hdr[i].name_len != name.size() ||
                              !h1::ieq(name_of(idx, base, i), name)))
            continue;
        std::string_view v = value_of(idx, base, i);
        if (!split) {
            // a value set by a rule may end in blanks the parser would have dropped:
            // values are read without surrounding blanks, as HAProxy
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
                v.remove_suffix(1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                v.remove_prefix(1);
            if (!fn(v))
                return;
            continue;
        }
        h1::list_iter it(v);
        std::string_view item;
        while (it.next(item))
            if (!fn(item))
                return;
    }
}

int hdr_fetch(ptc_stream* s, uint32_t dir, const ptc_arg* args, uint32_t nargs, bool split,
              ptc_sample* out)
{
    const char* base;
    txn* t = msg(s, dir, &base, out);
    if (!t)
        return 0;
    std::string_view name = nargs > 0 ? sv(args[0].str) : std::string_view{};
    int64_t occ = nargs > 1 ? args[1].sint : -1;
    if (occ == 0)
        occ = -1;
    std::string_view found;
    bool have = false;
    if (occ > 0) {
        int64_t n = 0;
        each_value(t->idx, base, name, split, [&](std::string_view v) {
            if (++n == occ) {
                found = v;
                have = true;
                return false;
            }
            return true;
        });
    } else {
        // Negative: count first, then pick from the end.
        int64_t total = 0;
        each_value(t->idx, base, name, split, [&](std::string_view) {
            ++total;
            return true;
        });
        int64_t want = total + occ + 1, n = 0;
        if (want >= 1)
            each_value(t->idx, base, name, split, [&](std::string_view v) {
                if (++n == want) {
                    found = v;
                    have = true;
                    return false;
                }
                return true;
            });
    }
    return have ? set_str(out, found) : 0;
}

int hdr_count(ptc_stream* s, uint32_t dir, const ptc_arg* args, uint32_t nargs, bool split,
              ptc_sample* out)
{
    const char* base;
    txn* t = msg(s, dir, &base, out);
    if (!t)
        return 0;
    std::string_view name = nargs > 0 ? sv(args[0].str) : std::string_view{};
    int64_t n = 0;
    each_value(t->idx, base, name, split, [&](std::string_view) {
        ++n;
        return true;
    });
    return set_int(out, n);
}

int f_req_hdr(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_fetch(s, PTC_DIR_REQ, a, n, true, o);
}
int f_req_fhdr(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_fetch(s, PTC_DIR_REQ, a, n, false, o);
}
int f_req_hdr_cnt(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_count(s, PTC_DIR_REQ, a, n, true, o);
}
int f_req_fhdr_cnt(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_count(s, PTC_DIR_REQ, a, n, false, o);
}
int f_res_hdr(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_fetch(s, PTC_DIR_RES, a, n, true, o);
}
int f_res_fhdr(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_fetch(s, PTC_DIR_RES, a, n, false, o);
}
int f_res_hdr_cnt(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_count(s, PTC_DIR_RES, a, n, true, o);
}

// Reads a dotted IPv4 address at the start of <v> (exactly four decimal parts, each up to
// 255) into <out>: returns the number of characters used, 0 when <v> does not start with one.
size_t lead_ipv4(std::string_view v, uint8_t out[4])
{
    unsigned part = 0, parts = 0;
    bool digit = false;
    size_t i = 0;
    uint8_t tmp[4] = {0, 0, 0, 0};
    for (; i < v.size(); i++) {
        char c = v[i];
        if (c >= '0' && c <= '9') {
            part = part * 10 + unsigned(c - '0');
            if (part > 255)
                return 0;
            if (!digit) {
                if (++parts > 4)
                    return 0;
                digit = true;
            }
            tmp[parts - 1] = (uint8_t)part;
        } else if (c == '.') {
            if (!digit || parts == 4)
                return 0;
            digit = false;
            part = 0;
        } else {
            break;
        }
    }
    if (parts < 4 || !digit)
        return 0;
    std::memcpy(out, tmp, 4);
    return i;
}

// hdr_ip: the header value as an address: a plain IPv4 address, an IPv4 address followed
// by ":<port>", or an IPv6 address; anything else gives no sample.
int hdr_ip_fetch(ptc_stream* s, uint32_t dir, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    ptc_sample v{};
    if (!hdr_fetch(s, dir, a, n, true, &v)) {
        o->flags |= v.flags & PTC_SMPF_MAYCHANGE;
        return 0;
    }
    std::string_view t(v.u.str.ptr, v.u.str.len);
    uint8_t ip4[4];
    size_t len = lead_ipv4(t, ip4);
    bool ok4 = len > 0 && len == t.size();
    if (!ok4 && len > 0 && t[len] == ':') {
        std::string_view p = t.substr(len + 1);
        long port = 0;
        ok4 = p.size() <= 5;
        for (char c : p)
            if (c < '0' || c > '9')
                ok4 = false;
            else
                port = port * 10 + (c - '0');
        ok4 = ok4 && port <= 65535;
    }
    if (ok4) {
        o->type = PTC_SMP_IPV4;
        o->flags = 0;
        std::memcpy(o->u.ipv4, ip4, 4);
        return 1;
    }
    char buf[64];
    if (t.size() >= sizeof(buf))
        return 0;
    std::memcpy(buf, t.data(), t.size());
    buf[t.size()] = 0;
    if (inet_pton(AF_INET6, buf, o->u.ipv6) != 1)
        return 0;
    o->type = PTC_SMP_IPV6;
    o->flags = 0;
    return 1;
}
int f_req_hdr_ip(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_ip_fetch(s, PTC_DIR_REQ, a, n, o);
}
int f_res_hdr_ip(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return hdr_ip_fetch(s, PTC_DIR_RES, a, n, o);
}

// "hdr()" means req.hdr() in request rules and res.hdr() in response rules.
int f_hdr(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    txn* t = view(s, PTC_DIR_REQ, o);
    uint32_t dir = t && t->cur.phase == api_phase::RES ? PTC_DIR_RES : PTC_DIR_REQ;
    return hdr_fetch(s, dir, a, n, true, o);
}
int f_hdr_cnt(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    txn* t = view(s, PTC_DIR_REQ, o);
    uint32_t dir = t && t->cur.phase == api_phase::RES ? PTC_DIR_RES : PTC_DIR_REQ;
    return hdr_count(s, dir, a, n, true, o);
}

// Occurrence argument: an integer (config-time check).
int check_occ(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs < 2)
        return PTC_OK;
    std::string v(sv(args[1].str));
    char* end = nullptr;
    long long n = strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end)
        return host->cfg_errorf(ctx, "invalid occurrence '%s' (expects an integer)", v.c_str());
    args[1].sint = n;
    return PTC_OK;
}

// Cookies: "Cookie: a=1; b=2" (request) or Set-Cookie lines (response: first pair only).
// <last> returns the last occurrence (request), else the first.
int cookie_fetch(ptc_stream* s, uint32_t dir, const ptc_arg* args, uint32_t nargs,
                 ptc_sample* out, bool count)
{
    const char* base;
    txn* t = msg(s, dir, &base, out);
    if (!t)
        return 0;
    std::string_view want = nargs > 0 ? sv(args[0].str) : std::string_view{};
    std::string_view hname = dir == PTC_DIR_REQ ? "cookie" : "set-cookie";
    std::string_view found;
    bool have = false;
    int64_t n = 0;
    for (uint32_t i = 0; i < t->idx.count; ++i) {
        if (!h1::ieq(name_of(t->idx, base, i), hname))
            continue;
        std::string_view v = value_of(t->idx, base, i);
        while (!v.empty()) {
            size_t e = v.find(';');
            std::string_view pair = v.substr(0, e);
            v = e == std::string_view::npos ? std::string_view{} : v.substr(e + 1);
            while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t'))
                pair.remove_prefix(1);
            while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t'))
                pair.remove_suffix(1);
            size_t eq = pair.find('=');
            if (eq == std::string_view::npos)
                continue;
            std::string_view name = pair.substr(0, eq), val = pair.substr(eq + 1);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
                name.remove_suffix(1);
            while (!val.empty() && (val.front() == ' ' || val.front() == '\t'))
                val.remove_prefix(1);
            if (want.empty() || name == want) {
                ++n;
                if (!have || dir == PTC_DIR_REQ) {
                    found = val;
                    have = true;
                }
                if (want.empty() && !count)
                    return set_str(out, found); // no name: the first cookie
            }
            if (dir == PTC_DIR_RES)
                break; // only the first pair of a Set-Cookie is the cookie
        }
    }
    if (count)
        return set_int(out, n);
    return have ? set_str(out, found) : 0;
}

int f_req_cook(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return cookie_fetch(s, PTC_DIR_REQ, a, n, o, false);
}
int f_req_cook_cnt(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return cookie_fetch(s, PTC_DIR_REQ, a, n, o, true);
}
// req.cook_val([<name>]) / cook_val: the cookie's value as an integer, as HAProxy's strl2ic():
// an optional '-', then the leading digits (none: 0)
int f_req_cook_val(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    if (!cookie_fetch(s, PTC_DIR_REQ, a, n, o, false))
        return 0;
    std::string_view v(o->u.str.ptr, o->u.str.len);
    bool neg = !v.empty() && v[0] == '-';
    int64_t x = 0;
    for (size_t k = neg ? 1 : 0; k < v.size() && v[k] >= '0' && v[k] <= '9'; ++k)
        x = x * 10 + (v[k] - '0');
    return set_int(o, neg ? -x : x);
}

int f_res_cook(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o)
{
    return cookie_fetch(s, PTC_DIR_RES, a, n, o, false);
}

int f_base(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const char* base;
    txn* t = msg(s, PTC_DIR_REQ, &base, out);
    if (!t)
        return 0;
    std::string_view m, tg, v;
    req_line(s, &m, &tg, &v, out);
    std::string_view p = path_of(tg);
    int h = index_find(t->idx, base, "host", 0);
    std::string_view hv = h >= 0 ? value_of(t->idx, base, uint32_t(h)) : std::string_view{};
    size_t cap;
    char* buf = host->scratch(&cap);
    if (hv.size() + p.size() > cap)
        return 0;
    memcpy(buf, hv.data(), hv.size());
    memcpy(buf + hv.size(), p.data(), p.size());
    out->type = PTC_SMP_STR;
    out->flags = 0;
    out->u.str = ptc_str{buf, hv.size() + p.size()};
    return 1;
}

int f_url_param(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    std::string_view m, t, v;
    if (!req_line(s, &m, &t, &v, out))
        return 0;
    std::string_view name = nargs > 0 ? sv(args[0].str) : std::string_view{};
    char delim = nargs > 1 && args[1].str.len ? args[1].str.ptr[0] : '?';
    size_t q = t.find('?');
    size_t d = t.find(delim);
    size_t start = std::min(q, d);
    if (start == std::string_view::npos)
        return 0;
    std::string_view qs = t.substr(start + 1);
    while (!qs.empty()) {
        size_t e = qs.find_first_of(std::string_view("&;\0", 2));
        size_t e2 = qs.find(delim);
        e = std::min(e, e2);
        std::string_view p = qs.substr(0, e);
        qs = e == std::string_view::npos ? std::string_view{} : qs.substr(e + 1);
        size_t eq = p.find('=');
        std::string_view pn = p.substr(0, eq);
        if (name.empty() || pn == name)
            return set_str(out, eq == std::string_view::npos ? std::string_view{}
                                                             : p.substr(eq + 1));
    }
    return 0;
}

// The body of the pending message <dir> that is in the buffer (a chunked one de-chunked into
// a scratch buffer, as far as it goes), and its announced size (Content-Length, else what
// is there), as HAProxy's req.body / req.body_size.
bool body_of(ptc_stream* s, uint32_t dir, std::string_view& out, uint64_t& announced,
             ptc_sample* smp)
{
    const char* base;
    txn* t = msg(s, dir, &base, smp);
    if (!t)
        return false;
    ptc_str d;
    host->chan_data(s, dir, &d);
    size_t hl = t->idx.head_len;
    if (d.len < hl)
        return false;
    std::string_view raw(d.ptr + hl, d.len - hl);
    bool req = dir == PTC_DIR_REQ;
    switch (req ? t->cur.req_body : t->cur.res_body) {
    case body::LENGTH: {
        uint64_t len = req ? t->cur.req_len : t->cur.res_len;
        out = raw.substr(0, size_t(std::min<uint64_t>(len, raw.size())));
        announced = len;
        return true;
    }
    case body::CHUNKED: {
        size_t cap;
        char* buf = host->scratch(&cap);
        size_t n = 0, p = 0;
        while (p < raw.size()) {
            size_t nl = raw.find('\n', p);
            if (nl == std::string_view::npos)
                break;
            uint64_t sz = 0;
            size_t i = p;
            for (; i < nl; ++i) {
                char c = raw[i];
                int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (h < 0 || sz > (UINT64_MAX >> 4))
                    break;
                sz = sz * 16 + uint64_t(h);
            }
            if (i == p || sz == 0)
                break; // the last chunk, or not a size line
            size_t take = size_t(std::min<uint64_t>(sz, raw.size() - (nl + 1)));
            take = std::min(take, cap - n);
            memcpy(buf + n, raw.data() + nl + 1, take);
            n += take;
            if (take < sz)
                break; // the rest of this chunk has not come yet
            p = nl + 1 + size_t(sz);
            if (p < raw.size() && raw[p] == '\r')
                ++p;
            if (p < raw.size() && raw[p] == '\n')
                ++p;
        }
        out = std::string_view(buf, n);
        announced = n;
        return true;
    }
    case body::UNTIL_CLOSE:
        out = raw;
        announced = raw.size();
        return true;
    default:
        out = std::string_view("", 0); // an empty sample, not none
        announced = 0;
        return true;
    }
}

int f_body(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out, uint32_t dir, int what)
{
    std::string_view b;
    uint64_t size;
    if (!body_of(s, dir, b, size, out))
        return 0;
    if (what == 1)
        return set_int(out, int64_t(b.size()));
    if (what == 2)
        return set_int(out, int64_t(size));
    return set_str(out, b, PTC_SMP_BIN);
}
int f_req_body(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_REQ, 0); }
int f_req_body_len(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_REQ, 1); }
int f_req_body_size(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_REQ, 2); }
int f_res_body(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_RES, 0); }
int f_res_body_len(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_RES, 1); }
int f_res_body_size(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* o) { return f_body(s, a, n, o, PTC_DIR_RES, 2); }

// req.body_param([<name>]): a parameter of a url-encoded request body (the first one named
// <name>; the first one without a name). HAProxy 2.6 takes no case flag.
int f_req_body_param(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    std::string_view b;
    uint64_t size;
    if (!body_of(s, PTC_DIR_REQ, b, size, out))
        return 0;
    std::string_view name = nargs > 0 ? sv(args[0].str) : std::string_view{};
    while (!b.empty()) {
        size_t e = b.find('&');
        std::string_view p = b.substr(0, e);
        b = e == std::string_view::npos ? std::string_view{} : b.substr(e + 1);
        size_t eq = p.find('=');
        std::string_view pn = p.substr(0, eq);
        if (name.empty() || pn == name)
            return set_str(out, eq == std::string_view::npos ? std::string_view{} : p.substr(eq + 1));
    }
    return 0;
}

// url_dec([in_form]): percent-decoding; '+' becomes a space after the first literal '?' (or
// everywhere when <in_form> is 1), as HAProxy's url_decode().
int c_url_dec(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    size_t cap;
    char* buf = host->scratch(&cap);
    std::string_view in(io->u.str.ptr, io->u.str.len);
    bool plus = nargs > 0 && args[0].sint;
    size_t n = 0;
    auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    for (size_t i = 0; i < in.size() && n < cap; ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size())
                return 0;
            int h = hex(in[i + 1]), l = hex(in[i + 2]);
            if (h < 0 || l < 0)
                return 0;
            buf[n++] = char(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus) {
            buf[n++] = ' ';
        } else {
            buf[n++] = c;
            if (c == '?')
                plus = true; // the query string: '+' is a space from here on (HAProxy)
        }
    }
    io->type = PTC_SMP_STR;
    io->flags = 0;
    io->u.str = ptc_str{buf, n};
    return 1;
}

int check_url_dec(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs < 1)
        return PTC_OK;
    std::string v(sv(args[0].str));
    if (v != "0" && v != "1")
        return host->cfg_errorf(ctx, "url_dec: expects 0 or 1, got '%s'", v.c_str());
    args[0].sint = v == "1";
    return PTC_OK;
}

constexpr uint32_t RQ = PTC_USE_HTTP_REQ;
constexpr uint32_t RS = PTC_USE_HTTP_RES;
constexpr uint32_t STR = PTC_SMP_STR;

} // namespace

const ptc_fetch fetches[] = {
    {"method", PTC_SMP_METH, RQ | RS, 0, 0, f_method, nullptr, "method"},
    {"path", STR, RQ | RS, 0, 0, f_path, nullptr, "path"},
    {"url", STR, RQ | RS, 0, 0, f_url, nullptr, "url"},
    {"query", STR, RQ | RS, 0, 0, f_query, nullptr, "query"},
    {"pathq", STR, RQ | RS, 0, 0, f_pathq, nullptr, "pathq"},
    {"capture.req.method", STR, RQ | RS, 0, 0, f_cap_req_method, nullptr, "capture.req.method"},
    {"capture.req.uri", STR, RQ | RS, 0, 0, f_cap_req_uri, nullptr, "capture.req.uri"},
    {"capture.req.ver", STR, RQ | RS, 0, 0, f_cap_req_ver, nullptr, "capture.req.ver"},
    {"capture.res.ver", STR, RS, 0, 0, f_cap_res_ver, nullptr, "capture.res.ver"},
    {"base", STR, RQ, 0, 0, f_base, nullptr, "base"},
    {"url_param", STR, RQ | RS, 0, 2, f_url_param, nullptr, "url_param([<name>[,<delim>]])"},
    {"urlp", STR, RQ | RS, 0, 2, f_url_param, nullptr, "urlp([<name>[,<delim>]])"},
    {"req.ver", STR, RQ | RS, 0, 0, f_req_ver, nullptr, "req.ver"},
    {"req.proto_http", PTC_SMP_BOOL, RQ, 0, 0, f_proto_http, nullptr, "req.proto_http"},
    {"req_proto_http", PTC_SMP_BOOL, RQ, 0, 0, f_proto_http, nullptr, "req_proto_http"},
    {"req_ver", STR, RQ | RS, 0, 0, f_req_ver, nullptr, "req_ver"},
    {"res.ver", STR, RS, 0, 0, f_res_ver, nullptr, "res.ver"},
    {"status", PTC_SMP_SINT, RS, 0, 0, f_status, nullptr, "status"},
    {"http_first_req", PTC_SMP_BOOL, RQ | RS, 0, 0, f_first_req, nullptr, "http_first_req"},
    {"hdr", STR, RQ | RS, 0, 2, f_hdr, check_occ, "hdr([<name>[,<occ>]])"},
    {"hdr_cnt", PTC_SMP_SINT, RQ | RS, 0, 1, f_hdr_cnt, nullptr, "hdr_cnt([<name>])"},
    {"req.hdr", STR, RQ, 0, 2, f_req_hdr, check_occ, "req.hdr([<name>[,<occ>]])"},
    {"req.hdr_cnt", PTC_SMP_SINT, RQ, 0, 1, f_req_hdr_cnt, nullptr, "req.hdr_cnt([<name>])"},
    {"req.hdr_ip", PTC_SMP_IPV4, RQ, 0, 2, f_req_hdr_ip, check_occ, "req.hdr_ip([<name>[,<occ>]])"},
    {"hdr_ip", PTC_SMP_IPV4, RQ, 0, 2, f_req_hdr_ip, check_occ, "hdr_ip([<name>[,<occ>]])"},
    {"req.fhdr", STR, RQ, 0, 2, f_req_fhdr, check_occ, "req.fhdr(<name>[,<occ>])"},
    {"req.fhdr_cnt", PTC_SMP_SINT, RQ, 0, 1, f_req_fhdr_cnt, nullptr, "req.fhdr_cnt([<name>])"},
    {"res.hdr", STR, RS, 0, 2, f_res_hdr, check_occ, "res.hdr([<name>[,<occ>]])"},
    {"shdr", STR, RS, 0, 2, f_res_hdr, check_occ, "shdr([<name>[,<occ>]])"},
    {"res.hdr_cnt", PTC_SMP_SINT, RS, 0, 1, f_res_hdr_cnt, nullptr, "res.hdr_cnt([<name>])"},
    {"res.hdr_ip", PTC_SMP_IPV4, RS, 0, 2, f_res_hdr_ip, check_occ, "res.hdr_ip([<name>[,<occ>]])"},
    {"shdr_ip", PTC_SMP_IPV4, RS, 0, 2, f_res_hdr_ip, check_occ, "shdr_ip([<name>[,<occ>]])"},
    {"res.fhdr", STR, RS, 0, 2, f_res_fhdr, check_occ, "res.fhdr([<name>[,<occ>]])"},
    {"req.cook", STR, RQ, 0, 1, f_req_cook, nullptr, "req.cook([<name>])"},
    {"cook", STR, RQ, 0, 1, f_req_cook, nullptr, "cook([<name>])"},
    {"req.cook_cnt", PTC_SMP_SINT, RQ, 0, 1, f_req_cook_cnt, nullptr, "req.cook_cnt([<name>])"},
    {"res.cook", STR, RS, 0, 1, f_res_cook, nullptr, "res.cook([<name>])"},
    {"req.cook_val", PTC_SMP_SINT, RQ, 0, 1, f_req_cook_val, nullptr, "req.cook_val([<name>])"},
    {"cook_val", PTC_SMP_SINT, RQ, 0, 1, f_req_cook_val, nullptr, "cook_val([<name>])"},
    {"req.body", PTC_SMP_BIN, RQ, 0, 0, f_req_body, nullptr, "req.body"},
    {"req.body_len", PTC_SMP_SINT, RQ, 0, 0, f_req_body_len, nullptr, "req.body_len"},
    {"req.body_size", PTC_SMP_SINT, RQ, 0, 0, f_req_body_size, nullptr, "req.body_size"},
    {"req.body_param", STR, RQ, 0, 1, f_req_body_param, nullptr, "req.body_param([<name>])"},
    {"res.body", PTC_SMP_BIN, RS, 0, 0, f_res_body, nullptr, "res.body"},
    {"res.body_len", PTC_SMP_SINT, RS, 0, 0, f_res_body_len, nullptr, "res.body_len"},
    {"res.body_size", PTC_SMP_SINT, RS, 0, 0, f_res_body_size, nullptr, "res.body_size"},
    {"res.comp", PTC_SMP_BOOL, RS, 0, 0, f_res_comp, nullptr, "res.comp"},
    {"res.comp_algo", STR, RS, 0, 0, f_res_comp_algo, nullptr, "res.comp_algo"},
};
const uint32_t fetch_count = sizeof(fetches) / sizeof(fetches[0]);

const ptc_conv convs[] = {
    {"url_dec", PTC_SMP_STR, PTC_SMP_STR, 0, 1, c_url_dec, check_url_dec, "url_dec([<in_form>])"},
};
const uint32_t conv_count = sizeof(convs) / sizeof(convs[0]);

} // namespace portico::http
