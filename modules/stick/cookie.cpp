// SPDX-License-Identifier: MIT
// Persistence cookies (HAProxy 2.6 semantics): "cookie <name> rewrite|insert|prefix ...",
// the server option "cookie <value>" and "option persist".
//
// Per request, in three steps:
//  - PTC_PHASE_BACKEND: the backend is known. Every Cookie header is scanned for the
//    backend's cookie; its value names a server (first match among the backend's servers
//    that is not stopped: not operationally down and not in maintenance; with "option
//    persist" a stopped one too). In insert+indirect mode the cookie is removed before the
//    request goes to the server; in prefix mode the "<server>~" prefix is removed. With
//    maxidle/maxlife the "|<last>|<first>" dates are checked (4 s resolution, HAProxy's
//    30-bit base64 encoding) and an expired cookie is ignored. The result is the log's
//    first cookie letter (N I D V E O U).
//  - PTC_PHASE_SERVER_CHOICE: the named server is used (host->stream_use_server) instead
//    of balancing. The core redispatches on connect failures ("option redispatch").
//  - PTC_PHASE_HTTP_RESPONSE: the server's own Set-Cookie for the name is deleted
//    (insert mode, or indirect on a direct hit), rewritten (rewrite mode) or prefixed
//    (prefix mode), unless "preserve"; then in insert mode a Set-Cookie is added when the
//    client did not come directly to the server that answered (or a date needs an
//    update), with "Cache-control: private" for a cacheable response under "nocache".
//    The result is the second letter (N P D I R U).
// The two letters reach the log's %tsc through host->stream_set_cookie_state (ABI 1.8).
#include "stick_int.hpp"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <string>
#include <vector>

namespace stick {

const ptc_http_api* g_http;

namespace {

constexpr char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 30-bit value <-> 5 base64 characters, most significant first (the cookie dates).
void s30_to_b64(uint32_t v, char* out)
{
    for (int i = 4; i >= 0; i--) {
        out[i] = k_b64[v & 63];
        v >>= 6;
    }
}

int b64_to_s30(const char* in)
{
    uint32_t v = 0;
    for (int i = 0; i < 5; i++) {
        const char* p = strchr(k_b64, in[i]);
        if (!in[i] || !p)
            return -1;
        v = (v << 6) | uint32_t(p - k_b64);
    }
    return int(v);
}

bool istarts(ptc_str a, const char* b)
{
    size_t n = strlen(b);
    return a.len >= n && strncasecmp(a.ptr, b, n) == 0;
}

bool is_spht(char c) { return c == ' ' || c == '\t'; }

bool ieq(ptc_str a, const char* b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

// The server of backend <be> whose cookie is <v>: the first one not stopped, else (with
// <persist>) the first stopped one. *down is set when a stopped one matched.
ptc_server* server_by_cookie(const ptc_proxy* be, std::string_view v, bool persist, bool* down)
{
    *down = false;
    for (ptc_server* s = host->server_next(be, nullptr); s; s = host->server_next(be, s)) {
        srv_conf* sc = srv_conf_of(s);
        if (!sc || !sc->cookie || sc->cklen != v.size() || memcmp(sc->cookie, v.data(), v.size()))
            continue;
        uint32_t st = host->server_state(s);
        bool stopped = !(st & PTC_SRV_ST_UP) || (st & PTC_SRV_ST_MAINT);
        if (!stopped || persist) {
            *down = stopped;
            return s;
        }
        *down = true;
    }
    return nullptr;
}

// Processes one Cookie header value <h> for backend conf <pc>; returns the new value
// (may be empty: drop the header) and whether it changed.
bool process_cookie_hdr(ptc_stream* s, const px_conf* pc, stream_st* st, std::string& h)
{
    bool changed = false;
    size_t pos = 0;
    bool first = true;
    std::string out;
    std::vector<std::string> pieces; // the cookies kept, as "name=value"
    while (pos <= h.size()) {
        size_t att = first ? pos : pos + 1;
        first = false;
        if (att > h.size())
            break;
        while (att < h.size() && is_spht(h[att]))
            att++;
        size_t eq = att, att_end = att;
        while (eq < h.size() && h[eq] != '=' && h[eq] != ';' && h[eq] != ',') {
            if (!is_spht(h[eq]))
                att_end = eq + 1;
            eq++;
        }
        size_t next, vb = eq, ve = eq;
        if (eq < h.size() && h[eq] == '=') {
            vb = eq + 1;
            while (vb < h.size() && is_spht(h[vb]))
                vb++;
            next = vb;
            if (next < h.size() && h[next] == '"') {
                next++;
                while (next < h.size() && h[next] != '"')
                    next += h[next] == '\\' && next + 1 < h.size() ? 2 : 1;
                if (next < h.size())
                    next++;
            }
            while (next < h.size() && h[next] != ';')
                next++;
            ve = next;
            while (ve > vb && is_spht(h[ve - 1]))
                ve--;
        } else {
            next = eq;
            while (next < h.size() && h[next] != ';')
                next++;
        }
        std::string name = h.substr(att, att_end - att);
        std::string val = h.substr(vb, ve - vb);
        bool has_eq = eq < h.size() && h[eq] == '=';
        if (att == h.size() && !has_eq) {
            if (next >= h.size())
                break;
        }
        if (!name.empty() && name[0] != '$' && has_eq && name.size() == pc->cklen &&
            memcmp(name.data(), pc->ckname, pc->cklen) == 0) {
            std::string_view sv = val;
            size_t delim = sv.size();
            uint32_t last = 0, firstd = 0;
            if (pc->mode == CK_PFX) {
                delim = sv.find('~');
                if (delim == std::string_view::npos)
                    delim = sv.size();
            } else {
                size_t bar = sv.find('|');
                if (bar != std::string_view::npos) {
                    delim = bar;
                    if (sv.size() - (bar + 1) >= 5) {
                        int v = b64_to_s30(std::string(sv.substr(bar + 1, 5)).c_str());
                        if (v > 0)
                            last = uint32_t(v) << 2;
                    }
                    size_t bar2 = sv.find('|', bar + 1);
                    if (bar2 != std::string_view::npos && sv.size() - bar2 > 5) {
                        int v = b64_to_s30(std::string(sv.substr(bar2 + 1, 5)).c_str());
                        if (v > 0)
                            firstd = uint32_t(v) << 2;
                    }
                }
            }
            int64_t now = int64_t(time(nullptr));
            bool ignore = delim == 0;
            if (firstd && pc->maxlife &&
                (now - int64_t(firstd) > int64_t(pc->maxlife) || int64_t(firstd) - now > 86400)) {
                st->ck = 'O';
                ignore = true;
                firstd = last = 0;
            } else if (last && pc->maxidle &&
                       (now - int64_t(last) > int64_t(pc->maxidle) ||
                        int64_t(last) - now > 86400)) {
                st->ck = 'E';
                ignore = true;
                firstd = last = 0;
            }
            st->last_date = last;
            st->first_date = firstd;
            ptc_server* srv = nullptr;
            bool down = false;
            if (!ignore && !st->srv && !st->ignore_prst) {
                ptc_proxy* be = host->stream_backend(s);
                srv = server_by_cookie(be, sv.substr(0, delim), pc->persist || st->force_prst, &down);
                if (srv) {
                    st->srv = srv;
                    st->ck = down ? 'D' : 'V';
                } else if (down) {
                    st->ck = 'D';
                }
            }
            if (!srv && st->ck != 'D' && st->ck != 'E' && st->ck != 'O')
                st->ck = st->ignore_prst ? 'U' : 'I';
            if (pc->mode == CK_PFX && delim != sv.size()) {
                // keep the application's own value
                pieces.push_back(name + "=" + std::string(sv.substr(delim + 1)));
                changed = true;
            } else if (pc->mode == CK_INS && pc->indirect) {
                changed = true; // insert + indirect: the server never sees it
            } else {
                pieces.push_back(h.substr(att, ve - att));
            }
        } else if (att < h.size() || has_eq) {
            std::string p = h.substr(att, (has_eq ? ve : att_end) - att);
            if (!p.empty())
                pieces.push_back(p);
        }
        pos = next;
        if (pos >= h.size())
            break;
    }
    if (!changed)
        return false;
    for (size_t i = 0; i < pieces.size(); i++) {
        if (i)
            out += "; ";
        out += pieces[i];
    }
    h = out;
    return true;
}

bool method_is(ptc_stream* s, const char* m)
{
    ptc_str v{};
    return g_http->req_method(s, &v) == PTC_OK && v.len == strlen(m) &&
           memcmp(v.ptr, m, v.len) == 0;
}

void report(ptc_stream* s, const stream_st* st)
{
    if (PTC_HOST_HAS(host, stream_set_cookie_state))
        host->stream_set_cookie_state(s, uint32_t(st->ck ? st->ck : 'N'),
                                      uint32_t(st->sck ? st->sck : 'N'));
}

} // namespace

int hook_backend(ptc_stream* s, void*, void* be_conf)
{
    stream_st* st = state_of(s);
    if (!st)
        return PTC_CONTINUE;
    // the cookie fields only: track-sc rules of the frontend ran before
    st->active = st->post = st->cacheable = false;
    st->ck = st->sck = 0;
    st->srv = nullptr;
    st->last_date = st->first_date = 0;
    persist_rules(s, st); // force-persist / ignore-persist
    stick_backend(s); // the keys of "stick on" / "stick store-request"
    const px_conf* pc = static_cast<const px_conf*>(be_conf);
    if (!pc || !pc->ckname || !g_http)
        return PTC_CONTINUE;
    st->active = true;
    st->ck = 'N';
    st->sck = 'N';
    st->post = method_is(s, "POST");
    st->cacheable = method_is(s, "GET") || method_is(s, "HEAD") || method_is(s, "OPTIONS") ||
                    method_is(s, "TRACE");
    // every Cookie header, processed one by one, then written back when one changed
    std::vector<std::string> hdrs;
    ptc_str v{};
    const ptc_str name{"Cookie", 6};
    for (uint32_t occ = 0; g_http->req_hdr(s, name, occ, &v) == PTC_OK; occ++)
        hdrs.emplace_back(v.ptr, v.len);
    bool changed = false;
    for (std::string& h : hdrs)
        changed |= process_cookie_hdr(s, pc, st, h);
    if (changed) {
        g_http->req_hdr_del(s, name);
        for (const std::string& h : hdrs)
            if (!h.empty())
                g_http->req_hdr_add(s, name, ptc_str{h.data(), h.size()});
    }
    report(s, st);
    return PTC_CONTINUE;
}

namespace {

int persistence_choice(ptc_stream* s)
{
    stream_st* st = state_of(s);
    if (!st || !st->active || !st->srv)
        return stick_server_choice(s); // "stick on" / "stick match"

    // the server named by the cookie: a running one (draining or stopping included, as
    // HAProxy keeps persistent clients there), or a stopped one with "option persist"
    if (host->stream_use_server(s, st->srv, PTC_USE_SRV_FORCE) == PTC_OK)
        return PTC_STOP;
    return stick_server_choice(s);
}

} // namespace

int hook_server_choice(ptc_stream* s, void*, void* be_conf)
{
    // "use-server" rules come first; cookies and stick tables still run (their keys are
    // stored at the response), but the rule's server is the one used
    ptc_server* us = use_server_choice(s, static_cast<const px_conf*>(be_conf));
    int r = persistence_choice(s);
    if (us && host->stream_use_server(s, us, PTC_USE_SRV_FORCE) == PTC_OK)
        return PTC_STOP;
    return r;
}

int hook_response(ptc_stream* s, void*, void* be_conf)
{
    stream_st* st = state_of(s);
    const px_conf* pc = static_cast<const px_conf*>(be_conf);
    stick_store(s); // the server answered: "stick on" / "stick store-request" keys
    stick_store_response(s); // "stick store-response"
    if (st && st->sc[0].t == nullptr && st->sc[1].t == nullptr && st->sc[2].t == nullptr &&
        !st->active)
        return PTC_CONTINUE;
    if (!st || !g_http)
        return PTC_CONTINUE;
    int status = g_http->res_status(s);
    table_response(s, status); // HTTP errors of the tracked counters
    if (!st->active || !pc || !pc->ckname)
        return PTC_CONTINUE;
    if (status < 200 && status != 101)
        return PTC_CONTINUE;
    ptc_server* srv = host->stream_server(s);
    srv_conf* sc = srv ? srv_conf_of(srv) : nullptr;
    bool direct = srv && st->srv == srv;
    bool sck_found = false;

    // the server's Set-Cookie headers
    const ptc_str setck{"Set-Cookie", 10};
    std::vector<std::string> hdrs;
    ptc_str v{};
    for (uint32_t occ = 0; g_http->res_hdr(s, setck, occ, &v) == PTC_OK; occ++)
        hdrs.emplace_back(v.ptr, v.len);
    bool changed = false;
    for (std::string& h : hdrs) {
        size_t a = 0;
        while (a < h.size() && is_spht(h[a]))
            a++;
        size_t eq = h.find('=', a);
        if (eq == std::string::npos)
            continue;
        size_t ne = eq;
        while (ne > a && is_spht(h[ne - 1]))
            ne--;
        if (ne - a != pc->cklen || memcmp(h.data() + a, pc->ckname, pc->cklen) != 0)
            continue;
        size_t vb = eq + 1;
        while (vb < h.size() && is_spht(h[vb]))
            vb++;
        size_t ve = h.find(';', vb);
        if (ve == std::string::npos)
            ve = h.size();
        while (ve > vb && is_spht(h[ve - 1]))
            ve--;
        sck_found = true;
        st->sck = 'P';
        if (pc->preserve) {
            // the server's cookie is left alone
        } else if ((srv && pc->mode == CK_INS) || (direct && pc->indirect)) {
            h.clear();
            changed = true;
            st->sck = 'D';
        } else if (sc && sc->cookie && pc->mode == CK_RW) {
            h = h.substr(0, a) + std::string(pc->ckname, pc->cklen) + "=" +
                std::string(sc->cookie, sc->cklen) + h.substr(ve);
            changed = true;
            st->sck = 'R';
        } else if (sc && sc->cookie && pc->mode == CK_PFX) {
            h = h.substr(0, vb) + std::string(sc->cookie, sc->cklen) + "~" + h.substr(vb);
            changed = true;
            st->sck = 'R';
        }
    }
    if (changed) {
        g_http->res_hdr_del(s, setck);
        for (const std::string& h : hdrs)
            if (!h.empty())
                g_http->res_hdr_add(s, setck, ptc_str{h.data(), h.size()});
    }

    // cacheability of the response (what "nocache" needs)
    bool cacheable = st->cacheable, fresh = false;
    if (pc->nocache && cacheable) {
        switch (status) {
        case 200: case 203: case 204: case 206: case 300: case 301: case 404: case 405:
        case 410: case 414: case 501:
            break;
        default:
            cacheable = false;
        }
        if (g_http->res_hdr(s, ptc_str{"Pragma", 6}, 0, &v) == PTC_OK && ieq(v, "no-cache"))
            cacheable = false;
        for (uint32_t occ = 0;
             cacheable && g_http->res_hdr(s, ptc_str{"Cache-Control", 13}, occ, &v) == PTC_OK;
             occ++) {
            // each comma-separated value of every Cache-Control header
            size_t i = 0;
            while (i < v.len) {
                size_t j = i;
                while (j < v.len && v.ptr[j] != ',')
                    j++;
                ptc_str item{v.ptr + i, j - i};
                while (item.len && is_spht(item.ptr[0])) {
                    item.ptr++;
                    item.len--;
                }
                while (item.len && is_spht(item.ptr[item.len - 1]))
                    item.len--;
                if (ieq(item, "private") || ieq(item, "no-cache") || ieq(item, "no-store") ||
                    ieq(item, "max-age=0") || ieq(item, "s-maxage=0"))
                    cacheable = false;
                else if (istarts(item, "max-age") || istarts(item, "s-maxage"))
                    fresh = true;
                i = j + 1;
            }
        }
        // without freshness information (max-age, Expires) nor a validator (ETag,
        // Last-Modified) HAProxy 2.6 does not consider the response cacheable
        if (!fresh && g_http->res_hdr(s, ptc_str{"Expires", 7}, 0, &v) != PTC_OK &&
            g_http->res_hdr(s, ptc_str{"ETag", 4}, 0, &v) != PTC_OK &&
            g_http->res_hdr(s, ptc_str{"Last-Modified", 13}, 0, &v) != PTC_OK)
            cacheable = false;
    }

    // insert mode: tell the client which server answered
    int64_t now = int64_t(time(nullptr));
    if (srv && pc->mode == CK_INS && !(sck_found && pc->preserve) &&
        (!direct ||
         ((pc->maxidle || st->last_date) &&
          (!st->last_date || int64_t(st->last_date) - now < 0)) ||
         (pc->maxlife && !st->first_date) || (!pc->maxlife && st->first_date)) &&
        (!pc->postonly || st->post) && !st->ignore_prst) {
        std::string c(pc->ckname, pc->cklen);
        if (!sc || !sc->cookie) {
            c += "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/";
        } else {
            c += "=";
            c.append(sc->cookie, sc->cklen);
            if (pc->maxidle || pc->maxlife) {
                char b[6] = {};
                s30_to_b64(uint32_t((now + 3) >> 2), b);
                c += "|";
                c += b;
                if (pc->maxlife) {
                    s30_to_b64(st->first_date ? st->first_date >> 2 : uint32_t((now + 3) >> 2), b);
                    c += "|";
                    c += b;
                }
            }
            c += "; path=/";
        }
        if (pc->domain) {
            c += "; domain=";
            c += pc->domain;
        }
        if (pc->httponly)
            c += "; HttpOnly";
        if (pc->secure)
            c += "; Secure";
        if (pc->attrs) {
            c += "; ";
            c += pc->attrs;
        }
        if (g_http->res_hdr_add(s, setck, ptc_str{c.data(), c.size()}) != PTC_OK)
            return PTC_ERROR;
        st->sck = (sc && sc->cookie && direct) ? 'U' : 'I';
        if (pc->nocache && cacheable) {
            if (g_http->res_hdr_add(s, ptc_str{"Cache-control", 13}, ptc_str{"private", 7}) !=
                PTC_OK)
                return PTC_ERROR;
        }
    }
    report(s, st);
    return PTC_CONTINUE;
}

} // namespace stick
