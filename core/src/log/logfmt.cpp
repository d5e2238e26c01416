// SPDX-License-Identifier: MIT
// Log-format strings: compilation of "%ci:%cp [%tr] %{+Q}r %[expr]" into nodes, and rendering
// of a log line (HAProxy's variables, flags Q/X/E, separator merging) or of a JSON object.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "log/log.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample.hpp"
#include "stream/stream-t.hpp"
#include "stream/stream_host.hpp"

namespace portico::log {

const char* const k_tcplog_fmt =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
const char* const k_httplog_fmt =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
    "%sq/%bq %hr %hs %{+Q}r";
// HAProxy 2.6's "option httpslog": httplog with the TLS errors and SNI/version/cipher
const char* const k_httpslog_fmt =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
    "%sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/"
    "%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";
const char* const k_clf_fmt =
    "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "
    "%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";

namespace {

enum : uint8_t { F_Q = 1, F_X = 2, F_E = 4 };

enum class v : uint8_t {
    B, CC, CS, H, HM, HP, HPO, HQ, HU, HV, ID, ST, T, Ta, Tc, Td, Tl, Th, Ti, Tq, TR, Tr, Ts, Tt,
    Tu, Tw, U, ac, b, bc, bi, bp, bq, ci, cp, f, fc, fi, fp, ft, lc, hr, hrl, hs, hsl, ms, pid, r,
    rc, rt, s, sc, si, sp, sq, sslc, sslv, t, tr, trg, trl, ts, tsc, count
};

struct var_def {
    const char* name;
    v id;
    bool http;  // needs the HTTP transaction (HAProxy's "H" restriction)
};

const var_def k_vars[] = {
    {"B", v::B, false},     {"CC", v::CC, true},    {"CS", v::CS, true},
    {"H", v::H, false},     {"HM", v::HM, true},    {"HP", v::HP, true},
    {"HPO", v::HPO, true},  {"HQ", v::HQ, true},    {"HU", v::HU, true},
    {"HV", v::HV, true},    {"ID", v::ID, false},   {"ST", v::ST, false},
    {"T", v::T, false},     {"Ta", v::Ta, true},    {"Tc", v::Tc, false},
    {"Td", v::Td, false},   {"Tl", v::Tl, false},   {"Th", v::Th, false},
    {"Ti", v::Ti, true},    {"Tq", v::Tq, true},    {"TR", v::TR, true},
    {"Tr", v::Tr, true},    {"Ts", v::Ts, false},   {"Tt", v::Tt, false},
    {"Tu", v::Tu, false},   {"Tw", v::Tw, false},   {"U", v::U, false},
    {"ac", v::ac, false},   {"b", v::b, false},     {"bc", v::bc, false},
    {"bi", v::bi, false},   {"bp", v::bp, false},   {"bq", v::bq, false},
    {"ci", v::ci, false},   {"cp", v::cp, false},   {"f", v::f, false},
    {"fc", v::fc, false},   {"fi", v::fi, false},   {"fp", v::fp, false},
    {"ft", v::ft, false},   {"lc", v::lc, false},   {"hr", v::hr, false},
    {"hrl", v::hrl, false}, {"hs", v::hs, false},   {"hsl", v::hsl, false},
    {"ms", v::ms, false},   {"pid", v::pid, false}, {"r", v::r, true},
    {"rc", v::rc, false},   {"rt", v::rt, false},   {"s", v::s, false},
    {"sc", v::sc, false},   {"si", v::si, false},   {"sp", v::sp, false},
    {"sq", v::sq, false},   {"sslc", v::sslc, false}, {"sslv", v::sslv, false},
    {"t", v::t, false},     {"tr", v::tr, true},    {"trg", v::trg, true},
    {"trl", v::trl, true},  {"ts", v::ts, false},   {"tsc", v::tsc, true},
};

enum class node_type : uint8_t { text, sep, var, expr };

struct node {
    node_type type = node_type::text;
    v var = v::B;
    uint8_t flags = 0;
    std::string text;        // literal text, or the JSON key
    ptc_expr* expr = nullptr;
};

} // namespace
} // namespace portico::log

struct ptc_logfmt {
    std::vector<portico::log::node> nodes;
    bool json = false;
    bool http = false;
    portico::log::lf_mode mode = portico::log::lf_mode::log;
    // a rule's format using %r, %HM, %HU...: the request line's parts, fetched while the
    // request is processed (the transaction's log record is filled only at its end)
    ptc_expr* reqline[3] = {nullptr, nullptr, nullptr};
};

namespace portico::log {

namespace {

std::vector<std::unique_ptr<ptc_logfmt>> g_formats; // config lifetime

// ---- output buffer ------------------------------------------------------------------------

struct out {
    char* p;
    size_t cap;
    size_t len = 0;
    void put(char ch)
    {
        if (len < cap)
            p[len] = ch;
        len++;
    }
    void put(const char* s, size_t n)
    {
        if (len < cap)
            std::memcpy(p + len, s, std::min(n, cap - len));
        len += n;
    }
    void puts(const char* s) { put(s, std::strlen(s)); }
    size_t size() const { return std::min(len, cap); }
};

const char k_hex[] = "0123456789ABCDEF";

// Writes a string with the log flags: Q quotes it, E escapes '"', '\' and ']'; <enc>
// encodes non-printable bytes, '#' and '"' as #XX (HAProxy's request/header escaping).
void put_str(out& o, const char* s, size_t n, uint8_t flags, bool enc, bool json)
{
    if (json) {
        o.put('"');
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch == '"' || ch == '\\') {
                o.put('\\');
                o.put((char)ch);
            } else if (ch < 0x20 || ch == 0x7f) {
                char b[8];
                snprintf(b, sizeof(b), "\\u%04x", ch);
                o.put(b, 6);
            } else if (ch >= 0x80) {
                // not necessarily UTF-8: keep the byte value visible and the JSON valid
                char b[8];
                snprintf(b, sizeof(b), "\\u%04x", ch);
                o.put(b, 6);
            } else {
                o.put((char)ch);
            }
        }
        o.put('"');
        return;
    }
    if (flags & F_Q)
        o.put('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (enc && (ch < 32 || ch > 126 || ch == '#' || ch == '"')) {
            o.put('#');
            o.put(k_hex[ch >> 4]);
            o.put(k_hex[ch & 15]);
        } else if ((flags & F_E) && (ch == '"' || ch == '\\' || ch == ']')) {
            o.put('\\');
            o.put((char)ch);
        } else {
            o.put((char)ch);
        }
    }
    if (flags & F_Q)
        o.put('"');
}

// An absent string: "-" (or "" when quoted), null in JSON.
void put_none(out& o, uint8_t flags, bool json)
{
    if (json)
        o.puts("null");
    else if (flags & F_Q)
        o.put("\"\"", 2);
    else
        o.put('-');
}

void put_int(out& o, int64_t n, uint8_t flags, bool json)
{
    char b[32];
    int l;
    if ((flags & F_X) && !json)
        l = snprintf(b, sizeof(b), "%04llX", (unsigned long long)n);
    else
        l = snprintf(b, sizeof(b), "%lld", (long long)n);
    o.put(b, (size_t)l);
}

void put_uint(out& o, uint64_t n, uint8_t flags, bool json)
{
    char b[32];
    int l;
    if ((flags & F_X) && !json)
        l = snprintf(b, sizeof(b), "%04llX", (unsigned long long)n);
    else
        l = snprintf(b, sizeof(b), "%llu", (unsigned long long)n);
    o.put(b, (size_t)l);
}

void put_ip(out& o, const sockaddr_storage& a, uint8_t flags, bool json)
{
    char b[INET6_ADDRSTRLEN + 8];
    if (a.ss_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(&a);
        if ((flags & F_X) && !json) {
            const uint8_t* x = reinterpret_cast<const uint8_t*>(&in->sin_addr);
            snprintf(b, sizeof(b), "%02X%02X%02X%02X", x[0], x[1], x[2], x[3]);
        } else {
            inet_ntop(AF_INET, &in->sin_addr, b, sizeof(b));
        }
    } else if (a.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
        if ((flags & F_X) && !json) {
            const uint8_t* x = in6->sin6_addr.s6_addr;
            for (int i = 0; i < 16; i++)
                snprintf(b + 2 * i, 3, "%02X", x[i]);
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, b, sizeof(b));
        }
    } else if (a.ss_family == AF_UNIX) {
        std::strcpy(b, "unix");
    } else {
        put_none(o, flags, json);
        return;
    }
    put_str(o, b, std::strlen(b), flags, false, json);
}

void put_port(out& o, const sockaddr_storage& a, uint8_t flags, bool json)
{
    if (a.ss_family == AF_INET)
        put_uint(o, ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port), flags, json);
    else if (a.ss_family == AF_INET6)
        put_uint(o, ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port), flags, json);
    else if (a.ss_family == AF_UNIX)
        put_uint(o, 0, flags, json);
    else
        put_none(o, flags, json);
}

const char* const k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// kind 0: "dd/Mon/yyyy:HH:MM:SS.mmm" local; 1: "dd/Mon/yyyy:HH:MM:SS +0000" GMT;
// 2: "dd/Mon/yyyy:HH:MM:SS +hhmm" local.
void put_date(out& o, uint64_t wall_ms, int kind, bool json)
{
    time_t sec = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (kind == 1)
        gmtime_r(&sec, &tm);
    else
        localtime_r(&sec, &tm);
    char b[48];
    int l;
    if (kind == 0) {
        l = snprintf(b, sizeof(b), "%02d/%s/%04d:%02d:%02d:%02d.%03u", tm.tm_mday,
                     k_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (unsigned)(wall_ms % 1000));
    } else {
        long off = kind == 1 ? 0 : tm.tm_gmtoff;
        char sign = off < 0 ? '-' : '+';
        if (off < 0)
            off = -off;
        l = snprintf(b, sizeof(b), "%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld", tm.tm_mday,
                     k_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     sign, off / 3600, (off / 60) % 60);
    }
    if (json) {
        o.put('"');
        o.put(b, (size_t)l);
        o.put('"');
    } else {
        o.put(b, (size_t)l);
    }
}

// Splits the request line "METHOD URI VERSION".
struct reqline {
    ptc_str method{nullptr, 0}, uri{nullptr, 0}, version{nullptr, 0};
};
reqline split_reqline(ptc_str r)
{
    reqline out;
    if (!r.ptr || !r.len)
        return out;
    const char* p = r.ptr;
    const char* e = r.ptr + r.len;
    const char* sp1 = static_cast<const char*>(memchr(p, ' ', r.len));
    if (!sp1) {
        out.method = r;
        return out;
    }
    out.method = ptc_str{p, (size_t)(sp1 - p)};
    const char* u = sp1 + 1;
    const char* sp2 = e;
    for (const char* q = e; q > u; q--)
        if (q[-1] == ' ') {
            sp2 = q - 1;
            break;
        }
    out.uri = ptc_str{u, (size_t)(sp2 - u)};
    if (sp2 < e)
        out.version = ptc_str{sp2 + 1, (size_t)(e - sp2 - 1)};
    return out;
}

bool get_sockname(stream* s, bool server_side, sockaddr_storage& a)
{
    if (!s)
        return false;
    if (!server_side)
        return stream_local_addr(s, &a) != 0;
    conn* c = s->srvc;
    if (!c || c->fd < 0)
        return false;
    socklen_t len = sizeof(a);
    return getsockname(c->fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
}

// %hr/%hs: "{a|b}" ; %hrl/%hsl: "a b" with "-" for a slot without a value. Nothing at all
// when the frontend has no capture in that direction (HAProxy's rule).
void put_caps(out& o, const node& n, const log_ctx& c, bool json)
{
    uint32_t dir = n.var == v::hr || n.var == v::hrl ? 0 : 1;
    bool list = n.var == v::hrl || n.var == v::hsl;
    if (!c.caps || c.caps->slots[dir].empty())
        return;
    const size_t ns = c.caps->slots[dir].size();
    bool q = (n.flags & F_Q) && !json;
    bool esc = (n.flags & F_E) != 0;
    char tmp[256];
    auto enc = [&](const ptc_str& x) {
        // encoded in pieces: a value may be longer than tmp
        for (size_t i = 0; i < x.len;) {
            size_t take = std::min<size_t>(x.len - i, sizeof(tmp) / 3);
            size_t l = cap_encode(x.ptr + i, take, esc, tmp, sizeof(tmp));
            if (json) {
                // cap_encode already turned '"' and control bytes into #XX: only a
                // backslash still needs JSON's escape
                for (size_t k = 0; k < l; k++) {
                    if (tmp[k] == '\\')
                        o.put('\\');
                    o.put(tmp[k]);
                }
            } else {
                o.put(tmp, l);
            }
            i += take;
        }
    };
    if (json)
        o.put('"');
    if (!list) {
        if (q)
            o.put('"');
        o.put('{');
        for (size_t i = 0; i < ns; i++) {
            if (i)
                o.put('|');
            ptc_str x;
            if (cap_get(*c.caps, c.capblk, c.caps->lidx(dir, (uint32_t)i), x))
                enc(x);
        }
        o.put('}');
        if (q)
            o.put('"');
    } else {
        for (size_t i = 0; i < ns; i++) {
            if (i)
                o.put(' ');
            if (q)
                o.put('"');
            ptc_str x;
            if (cap_get(*c.caps, c.capblk, c.caps->lidx(dir, (uint32_t)i), x))
                enc(x);
            else if (!q)
                o.put('-');
            if (q)
                o.put('"');
        }
    }
    if (json)
        o.put('"');
}

// Renders one variable; returns false if it wrote nothing (captures without a capture).
void render_var(out& o, const node& n, const log_ctx& c, bool json)
{
    uint8_t f = n.flags;
    auto tm = [&](int64_t t) { put_int(o, t, f & ~F_X, json); };
    switch (n.var) {
    case v::B:
        if (c.asap && !json)
            o.put('+');
        put_uint(o, c.bytes_out, f & ~F_X, json);
        break;
    case v::U: put_uint(o, c.bytes_in, f & ~F_X, json); break;
    case v::CC:
    case v::CS: {
        ptc_str x;
        if (c.caps && c.capblk && !c.caps->cookie.empty() &&
            cap_get(*c.caps, c.capblk, c.caps->cookie_lidx(n.var == v::CC ? 0 : 1), x))
            put_str(o, x.ptr, x.len, f, false, json);
        else
            put_none(o, f, json);
        break;
    }
    case v::ID: {
        ptc_str x;
        if (c.caps && c.capblk && cap_get(*c.caps, c.capblk, c.caps->uid_lidx(), x))
            put_str(o, x.ptr, x.len, f, false, json);
        else
            put_none(o, f, json);
        break;
    }
    case v::sslc:
    case v::sslv: {
        const char* x = n.var == v::sslc ? c.ssl_cipher : c.ssl_version;
        if (x)
            put_str(o, x, std::strlen(x), f, false, json);
        else
            put_none(o, f, json);
        break;
    }
    case v::H: put_str(o, c.hostname, std::strlen(c.hostname), f, false, json); break;
    case v::HM:
    case v::HP:
    case v::HPO:
    case v::HQ:
    case v::HU:
    case v::HV: {
        reqline rl = split_reqline(c.request_line);
        ptc_str x{nullptr, 0};
        if (n.var == v::HM) {
            x = rl.method;
        } else if (n.var == v::HV) {
            x = rl.version;
        } else if (rl.uri.ptr) {
            const char* q = static_cast<const char*>(memchr(rl.uri.ptr, '?', rl.uri.len));
            size_t plen = q ? (size_t)(q - rl.uri.ptr) : rl.uri.len;
            if (n.var == v::HU) {
                x = rl.uri;
            } else if (n.var == v::HQ) {
                x = q ? ptc_str{q, rl.uri.len - plen} : ptc_str{"", 0};
            } else {
                x = ptc_str{rl.uri.ptr, plen};
                if (n.var == v::HPO && x.ptr && x.len && x.ptr[0] != '/') {
                    // absolute form: drop "scheme://authority"
                    const char* ss = static_cast<const char*>(memmem(x.ptr, x.len, "://", 3));
                    if (ss) {
                        const char* a = ss + 3;
                        const char* sl = static_cast<const char*>(
                            memchr(a, '/', (size_t)(x.ptr + x.len - a)));
                        x = sl ? ptc_str{sl, (size_t)(x.ptr + x.len - sl)} : ptc_str{"/", 1};
                    }
                }
            }
        }
        if (!x.ptr)
            put_none(o, f, json);
        else
            put_str(o, x.ptr, x.len, f, true, json);
        break;
    }
    case v::r:
        if (c.request_line.len)
            put_str(o, c.request_line.ptr, c.request_line.len, f, true, json);
        else
            put_str(o, "<BADREQ>", 8, f, false, json);
        break;
    case v::ST: put_int(o, c.status, f & ~F_X, json); break;
    case v::T: put_date(o, c.t_accept, 1, json); break;
    case v::Tl: put_date(o, c.t_accept, 2, json); break;
    case v::t: put_date(o, c.t_accept, 0, json); break;
    case v::tr: put_date(o, c.t_request, 0, json); break;
    case v::trg: put_date(o, c.t_request, 1, json); break;
    case v::trl: put_date(o, c.t_request, 2, json); break;
    case v::Ts: put_uint(o, c.t_accept / 1000, f, json); break;
    case v::ms: {
        char b[8];
        int l = snprintf(b, sizeof(b), "%03u", (unsigned)(c.t_accept % 1000));
        o.put(b, (size_t)l);
        break;
    }
    case v::Ta:
        if (c.asap && !json)
            o.put('+');
        tm(c.Ta);
        break;
    case v::Tc: tm(c.Tc); break;
    case v::Td: tm(c.Td); break;
    case v::Th: tm(c.Th); break;
    case v::Ti: tm(c.Ti); break;
    case v::Tq: tm(c.Tq); break;
    case v::TR: tm(c.TR); break;
    case v::Tr: tm(c.Tr); break;
    case v::Tt:
        if (c.asap && !json)
            o.put('+');
        tm(c.Tt);
        break;
    case v::Tu: tm(c.Tu); break;
    case v::Tw: tm(c.Tw); break;
    case v::ac: put_uint(o, c.actconn, f & ~F_X, json); break;
    case v::fc: put_uint(o, c.feconn, f & ~F_X, json); break;
    case v::bc: put_uint(o, c.beconn, f & ~F_X, json); break;
    case v::sc: put_uint(o, c.srvconn, f & ~F_X, json); break;
    case v::rc: put_uint(o, c.retries, f & ~F_X, json); break;
    case v::sq: put_uint(o, c.srv_queue, f & ~F_X, json); break;
    case v::bq: put_uint(o, c.be_queue, f & ~F_X, json); break;
    case v::lc: put_uint(o, c.log_counter, f & ~F_X, json); break;
    case v::rt: put_uint(o, c.req_counter, f, json); break;
    case v::pid: put_uint(o, (uint64_t)c.pid, f, json); break;
    case v::b: put_str(o, c.be_name, std::strlen(c.be_name), f, false, json); break;
    case v::f:
    case v::ft: {
        // as HAProxy: %ft is the frontend's name, then '~' when the client connection is TLS
        std::string name = c.fe_name;
        if (c.fe_tls && n.var == v::ft)
            name += '~';
        put_str(o, name.data(), name.size(), f, false, json);
        break;
    }
    case v::s: put_str(o, c.srv_name, std::strlen(c.srv_name), f, false, json); break;
    case v::ci: put_ip(o, c.cli, f, json); break;
    case v::cp: put_port(o, c.cli, f, json); break;
    case v::si: put_ip(o, c.srv_addr, f, json); break;
    case v::sp: put_port(o, c.srv_addr, f, json); break;
    case v::fi:
    case v::fp:
    case v::bi:
    case v::bp: {
        bool fe = n.var == v::fi || n.var == v::fp;
        sockaddr_storage a = fe ? c.fe_addr : c.be_src;
        if ((fe ? c.fe_addr_lazy : c.be_src_lazy) && !get_sockname(c.s, !fe, a))
            a.ss_family = 0;
        if (n.var == v::fi || n.var == v::bi)
            put_ip(o, a, f, json);
        else
            put_port(o, a, f, json);
        break;
    }
    case v::ts:
    case v::tsc: {
        size_t l = n.var == v::ts ? 2 : 4;
        put_str(o, c.term, l, f & ~F_Q, false, json);
        break;
    }
    case v::hr:
    case v::hrl:
    case v::hs:
    case v::hsl: put_caps(o, n, c, json); break;
    case v::count: break;
    }
}

bool var_empty(v id) { return id == v::hr || id == v::hrl || id == v::hs || id == v::hsl; }

// A sample written outside JSON, as HAProxy 2.6's log-format does it: cast to a string,
// then per the format's use (see lf_mode).
void put_sample_str(out& o, const ptc_str* t, uint8_t flags, lf_mode mode)
{
    if (mode == lf_mode::http || mode == lf_mode::http_merge) {
        // HAProxy's HTTP encoding: no quotes; +E also escapes '"', '\' and ']'
        for (size_t i = 0; t && i < t->len; i++) {
            unsigned char ch = (unsigned char)t->ptr[i];
            if (ch < 0x20 && ch != '\t') {
                o.put('%');
                o.put(k_hex[ch >> 4]);
                o.put(k_hex[ch & 15]);
            } else if (ch == 0x7f) {
                o.put("%7F", 3);
            } else if ((flags & F_E) && (ch == '"' || ch == '\\' || ch == ']')) {
                o.put('\\');
                o.put((char)ch);
            } else {
                o.put((char)ch);
            }
        }
        return;
    }
    // log and plain: the bytes up to a NUL one
    size_t n = t ? strnlen(t->ptr, t->len) : 0;
    if (n) {
        put_str(o, t->ptr, n, flags & (F_Q | F_E), false, false);
        return;
    }
    if (flags & F_Q)
        o.put("\"\"", 2);
    else if (mode == lf_mode::log)
        o.put('-');
}

void render_expr(out& o, const node& n, const log_ctx& c, bool json, lf_mode mode)
{
    ptc_sample smp{};
    if (!c.s || !n.expr || !smp::expr_eval(reinterpret_cast<ptc_stream*>(c.s), n.expr, &smp)) {
        if (json) {
            put_none(o, n.flags, json);
            return;
        }
        // host_logfmt_eval (rules) on a log-mode format: nothing for no sample
        put_sample_str(o, nullptr, n.flags,
                       c.expr_none_empty && mode == lf_mode::log ? lf_mode::plain : mode);
        return;
    }
    if (!json) {
        ptc_str t{nullptr, 0};
        if (!smp::sample_to_str(&smp, &t) || !t.ptr)
            t = ptc_str{nullptr, 0};
        put_sample_str(o, t.ptr ? &t : nullptr, n.flags,
                       c.expr_none_empty && mode == lf_mode::log && !t.len ? lf_mode::plain
                                                                          : mode);
        return;
    }
    switch (smp.type) {
    case PTC_SMP_BOOL:
    case PTC_SMP_SINT: put_int(o, smp.u.sint, n.flags & ~F_X, json); return;
    case PTC_SMP_IPV4:
    case PTC_SMP_IPV6: {
        sockaddr_storage a{};
        if (smp.type == PTC_SMP_IPV4) {
            a.ss_family = AF_INET;
            std::memcpy(&reinterpret_cast<sockaddr_in*>(&a)->sin_addr, smp.u.ipv4, 4);
        } else {
            a.ss_family = AF_INET6;
            std::memcpy(&reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr, smp.u.ipv6, 16);
        }
        put_ip(o, a, n.flags, json);
        return;
    }
    default: {
        ptc_str t{nullptr, 0};
        if (!smp::sample_to_str(&smp, &t) || !t.ptr) {
            put_none(o, n.flags, json);
            return;
        }
        put_str(o, t.ptr, t.len, n.flags, false, json);
        return;
    }
    }
}

bool parse_flags(const std::string& s, uint8_t& flags, std::string& err)
{
    size_t i = 0;
    while (i < s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos)
            j = s.size();
        std::string f = s.substr(i, j - i);
        uint8_t bit = 0;
        if (f.size() == 2 && (f[0] == '+' || f[0] == '-')) {
            bit = f[1] == 'Q' ? F_Q : f[1] == 'X' ? F_X : f[1] == 'E' ? F_E : 0;
        }
        if (!bit) {
            err = "unknown log-format flag '" + f + "' (expected +Q, -Q, +X, -X, +E, -E)";
            return false;
        }
        if (f[0] == '+')
            flags |= bit;
        else
            flags &= (uint8_t)~bit;
        i = j + 1;
    }
    return true;
}

} // namespace

const ptc_logfmt* logfmt_compile(const ptc_kw_ctx* ctx, const std::string& fmt, bool json,
                                 std::string& err, lf_mode mode)
{
    auto lf = std::make_unique<ptc_logfmt>();
    lf->json = json;
    lf->mode = mode;
    bool merge = json || mode == lf_mode::log || mode == lf_mode::http_merge;
    uint8_t deflt = 0; // flags of %o
    std::string text;
    auto flush_text = [&]() {
        if (!text.empty()) {
            node n;
            n.type = node_type::text;
            n.text = text;
            lf->nodes.push_back(std::move(n));
            text.clear();
        }
    };
    size_t i = 0;
    while (i < fmt.size()) {
        char ch = fmt[i];
        if (ch == ' ' && merge) {
            flush_text();
            if (lf->nodes.empty() || lf->nodes.back().type != node_type::sep) {
                node n;
                n.type = node_type::sep;
                lf->nodes.push_back(n);
            }
            while (i < fmt.size() && fmt[i] == ' ')
                i++;
            continue;
        }
        if (ch != '%') {
            text += ch;
            i++;
            continue;
        }
        if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
            text += '%';
            i += 2;
            continue;
        }
        size_t start = i;
        i++;
        uint8_t flags = deflt;
        bool has_flags = false;
        if (i < fmt.size() && fmt[i] == '{') {
            size_t e = fmt.find('}', i);
            if (e == std::string::npos) {
                err = "missing '}' after '%{' at position " + std::to_string(start) +
                      " in log-format '" + fmt + "'";
                return nullptr;
            }
            if (!parse_flags(fmt.substr(i + 1, e - i - 1), flags, err))
                return nullptr;
            has_flags = true;
            i = e + 1;
        }
        if (i < fmt.size() && fmt[i] == '[') {
            // sample expression up to the matching ']' (the sample engine finds it)
            size_t used = 0;
            std::string perr;
            ptc_expr* e = smp::expr_parse(ctx, std::string_view(fmt).substr(i + 1), &used, ']',
                                          PTC_USE_ANY, perr);
            if (!e) {
                // an empty message means the sample engine already reported the error
                err = perr.empty() ? std::string("-")
                                   : "failed to parse sample expression '%[" +
                                         fmt.substr(i + 1) + "' in log-format: " + perr;
                return nullptr;
            }
            if (i + 1 + used >= fmt.size() || fmt[i + 1 + used] != ']') {
                err = "missing ']' after '%[' at position " + std::to_string(start) +
                      " in log-format '" + fmt + "'";
                return nullptr;
            }
            flush_text();
            node n;
            n.type = node_type::expr;
            n.flags = flags;
            n.text = fmt.substr(i + 1, used);
            n.expr = e;
            lf->nodes.push_back(std::move(n));
            i = i + 2 + used;
            continue;
        }
        size_t j = i;
        while (j < fmt.size() && ((fmt[j] >= 'a' && fmt[j] <= 'z') ||
                                  (fmt[j] >= 'A' && fmt[j] <= 'Z')))
            j++;
        std::string name = fmt.substr(i, j - i);
        if (name.empty()) {
            err = "missing variable name after '%' at position " + std::to_string(start) +
                  " in log-format '" + fmt + "' (use '%%' for a literal '%')";
            return nullptr;
        }
        if (name == "o") {
            // %o: its flags apply to every following variable
            if (has_flags)
                deflt = flags;
            i = j;
            continue;
        }
        const var_def* d = nullptr;
        for (const var_def& x : k_vars)
            if (name == x.name)
                d = &x;
        if (!d) {
            err = "unknown log-format variable '%" + name + "' in '" + fmt + "'";
            return nullptr;
        }
        flush_text();
        node n;
        n.type = node_type::var;
        n.var = d->id;
        n.flags = flags;
        n.text = name;
        lf->http |= d->http;
        lf->nodes.push_back(std::move(n));
        i = j;
    }
    flush_text();
    if (mode == lf_mode::http || mode == lf_mode::plain) {
        bool uses = false;
        for (const node& n : lf->nodes)
            uses |= n.type == node_type::var &&
                    (n.var == v::r || n.var == v::HM || n.var == v::HP || n.var == v::HPO ||
                     n.var == v::HQ || n.var == v::HU || n.var == v::HV);
        static const char* const parts[3] = {"capture.req.method", "capture.req.uri",
                                             "capture.req.ver"};
        for (int k = 0; uses && k < 3; k++) {
            std::string perr;
            lf->reqline[k] = smp::expr_parse(nullptr, parts[k], nullptr, 0, 0, perr);
        }
    }
    g_formats.push_back(std::move(lf));
    return g_formats.back().get();
}

void logfmt_fill_reqline(const ptc_logfmt* lf, log_ctx& c)
{
    if (!lf || !lf->reqline[0] || !lf->reqline[1] || !lf->reqline[2] || c.request_line.len ||
        !c.s)
        return;
    static char* buf;
    static size_t cap;
    if (!buf) {
        cap = g_config ? g_config->global.bufsize : 16384;
        buf = new char[cap];
    }
    size_t len = 0;
    for (int k = 0; k < 3; k++) {
        ptc_sample smp{};
        ptc_str t{nullptr, 0};
        if (!smp::expr_eval(reinterpret_cast<ptc_stream*>(c.s), lf->reqline[k], &smp) ||
            !smp::sample_to_str(&smp, &t))
            return;
        if (len + t.len + 1 > cap)
            return;
        if (k)
            buf[len++] = ' ';
        std::memcpy(buf + len, t.ptr, t.len);
        len += t.len;
    }
    c.request_line = ptc_str{buf, len};
}

size_t logfmt_mark() { return g_formats.size(); }

void logfmt_release_to(size_t mark)
{
    while (g_formats.size() > mark)
        g_formats.pop_back();
}

bool logfmt_is_http(const ptc_logfmt* lf) { return lf && lf->http; }

size_t logfmt_render(const ptc_logfmt* lf, const log_ctx& c, char* buf, size_t cap)
{
    out o{buf, cap};
    if (!lf)
        return 0;
    if (lf->json) {
        o.put('{');
        bool first = true;
        for (const node& n : lf->nodes) {
            if (n.type == node_type::text || n.type == node_type::sep)
                continue;
            if (n.type == node_type::var && var_empty(n.var) &&
                (!c.caps || c.caps->slots[n.var == v::hr || n.var == v::hrl ? 0 : 1].empty()))
                continue;
            if (!first)
                o.put(',');
            first = false;
            put_str(o, n.text.data(), n.text.size(), 0, false, true);
            o.put(':');
            if (n.type == node_type::var)
                render_var(o, n, c, true);
            else
                render_expr(o, n, c, true, lf->mode);
        }
        o.put('}');
        return o.size();
    }
    bool last_space = true; // a separator is written only after some output
    for (const node& n : lf->nodes) {
        size_t before = o.len;
        switch (n.type) {
        case node_type::sep:
            if (!last_space) {
                o.put(' ');
                last_space = true;
            }
            continue;
        case node_type::text:
            o.put(n.text.data(), n.text.size());
            break;
        case node_type::var:
            render_var(o, n, c, false);
            break;
        case node_type::expr:
            render_expr(o, n, c, false, lf->mode);
            last_space = false; // as HAProxy, even when it wrote nothing
            break;
        }
        if (o.len != before)
            last_space = false;
    }
    return o.size();
}

std::string accept_date(uint64_t wall_ms)
{
    time_t sec = (time_t)(wall_ms / 1000);
    struct tm tm;
    localtime_r(&sec, &tm);
    char b[48];
    snprintf(b, sizeof(b), "%02d/%s/%04d:%02d:%02d:%02d.%03u", tm.tm_mday, k_months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(wall_ms % 1000));
    return b;
}

} // namespace portico::log

namespace portico {

// ---- host table entry points -------------------------------------------------------------

namespace {
ptc_logfmt* compile_reported(const ptc_kw_ctx* ctx, ptc_str fmt, log::lf_mode mode)
{
    std::string err;
    const ptc_logfmt* lf = log::logfmt_compile(ctx, std::string(fmt.ptr ? fmt.ptr : "", fmt.len),
                                               false, err, mode);
    if (!lf) {
        if (err != "-" && g_cfg_ctx && ctx)
            g_cfg_ctx->error_at(ctx->file, (int)ctx->line, err);
        return nullptr;
    }
    return const_cast<ptc_logfmt*>(lf);
}
} // namespace

// set-var-fmt: HAProxy's plain formats (spaces kept, samples verbatim)
ptc_logfmt* host_logfmt_compile_plain(const ptc_kw_ctx* ctx, ptc_str fmt)
{
    return compile_reported(ctx, fmt, log::lf_mode::plain);
}

ptc_logfmt* host_logfmt_compile(const ptc_kw_ctx* ctx, ptc_str fmt)
{
    std::string err;
    // the formats of modules' rules (set-header, return, redirect...): HAProxy's HTTP ones
    const ptc_logfmt* lf = log::logfmt_compile(ctx, std::string(fmt.ptr ? fmt.ptr : "", fmt.len),
                                               false, err, log::lf_mode::http);
    if (!lf) {
        if (err != "-" && g_cfg_ctx && ctx)
            g_cfg_ctx->error_at(ctx->file, (int)ctx->line, err);
        return nullptr;
    }
    return const_cast<ptc_logfmt*>(lf);
}

} // namespace portico
