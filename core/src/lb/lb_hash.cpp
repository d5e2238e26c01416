// SPDX-License-Identifier: MIT
// Hash keys (sample expressions compiled at load time, evaluated here) and the map-based
// hashing algorithm (source, uri, url_param, hdr(), hash <expr> with hash-type map-based).
#include <cstring>

#include <portico/portico.h>

#include "lb/lb_int.hpp"
#include "sample/sample.hpp"
#include "stream/stream.hpp"

namespace portico {

namespace {

// balance uri: [path-only] skips scheme://authority, [len] truncates, then the key stops
// at '?' (unless whole) or at the (depth+1)th '/'.
bool uri_key(const lb_conf& c, const char*& p, size_t& len)
{
    if (!len)
        return false;
    if (c.uri_path_only && p[0] != '/') {
        // absolute-form: skip "scheme://authority"
        const char* e = static_cast<const char*>(memmem(p, len, "://", 3));
        if (e) {
            const char* slash =
                static_cast<const char*>(memchr(e + 3, '/', len - (size_t)(e + 3 - p)));
            if (!slash)
                return false;
            len -= (size_t)(slash - p);
            p = slash;
        }
    }
    if (c.uri_len && len > c.uri_len)
        len = c.uri_len;
    size_t n = 0;
    uint32_t slashes = 0;
    for (; n < len; n++) {
        char ch = p[n];
        if (ch == '?' && !c.uri_whole)
            break;
        if (ch == '/' && c.uri_depth && ++slashes > c.uri_depth)
            break;
    }
    len = n;
    return true;
}

// hdr(<name>) use_domain_only: the label before the top-level domain ("example" of
// "www.example.com"), the whole value when it has no dot (HAProxy's get_server_hh).
void domain_only(const char*& p, size_t& len)
{
    size_t i = len, end = len, left = len;
    bool dohash = false;
    while (left) {
        if (dohash) {
            if (p[i - 1] == '.')
                break;
        } else if (i < len && p[i] == '.') {
            end = i;
            dohash = true;
        }
        i--;
        left--;
    }
    p += i;
    len = end - i;
}

bool eval_key(stream* st, const lb_conf& c, uint32_t& h)
{
    if (!c.expr)
        return false;
    ptc_sample smp;
    if (!smp::expr_eval(reinterpret_cast<ptc_stream*>(st), c.expr, &smp))
        return false;
    const char* p;
    size_t len;
    switch (smp.type) {
    case PTC_SMP_IPV4:
        p = reinterpret_cast<const char*>(smp.u.ipv4);
        len = 4;
        break;
    case PTC_SMP_IPV6:
        p = reinterpret_cast<const char*>(smp.u.ipv6);
        len = 16;
        break;
    case PTC_SMP_STR:
    case PTC_SMP_BIN:
    case PTC_SMP_METH:
        p = smp.u.str.ptr;
        len = smp.u.str.len;
        break;
    default: // integers and booleans: their 8 bytes in network order (HAProxy's cast)
        if (!smp::sample_cast(&smp, PTC_SMP_BIN))
            return false;
        p = smp.u.str.ptr;
        len = smp.u.str.len;
        break;
    }
    switch (c.key) {
    case lb_key::uri:
        if (!uri_key(c, p, len))
            return false;
        break;
    case lb_key::hdr:
        if (c.use_domain_only)
            domain_only(p, len);
        if (!len)
            return false;
        break;
    case lb_key::url_param:
        if (!len)
            return false;
        break;
    default: // source; hash <expr>: any sample, even empty, is a key (HAProxy)
        break;
    }
    h = lbh::hash_key(c.hash_fn, c.avalanche, p, len);
    return true;
}

void map_build(lb_tier& t, const std::vector<lbh::member>& m)
{
    t.seq = lbh::weighted_sequence(m);
}

// map-based: the key modulo the weighted sequence of the servers.
int map_pick(proxy* be, const lb_backend* b, stream* s, const lb_tier& t, server* avoid,
             server** out)
{
    uint32_t h = 0;
    if (!lb_hash_key(s, b, h))
        return lb_rr_pick(be, t.srv, avoid, out); // no key: round-robin (HAProxy)
    if (t.seq.empty())
        return CH_NONE;
    return lb_hash_take(be, t, t.members[t.seq[h % t.seq.size()]], avoid, out);
}

} // namespace

bool lb_hash_key(stream* s, const lb_backend* b, uint32_t& h)
{
    if (s->lb_hash_state == 0) {
        uint32_t v = 0;
        bool ok = eval_key(s, *b->conf, v);
        s->lb_hash = v;
        s->lb_hash_state = ok ? 1 : 2;
    }
    h = s->lb_hash;
    return s->lb_hash_state == 1;
}

int lb_hash_take(proxy* be, const lb_tier& t, server* srv, server* avoid, server** out)
{
    if (lb_usable(srv) && srv != avoid) {
        *out = srv;
        return lb_try_take(srv, out) == CH_OK ? CH_OK : CH_FULL_SRV;
    }
    // the server left since the tables were built (or must be avoided)
    return lb_rr_pick(be, t.srv, avoid, out);
}

const lb_ops lb_ops_map_hash = {"map-based", map_build, map_pick, true, false, false};

} // namespace portico
