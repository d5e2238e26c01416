// SPDX-License-Identifier: MIT
// Consistent hashing (hash-type consistent: a weighted ring) and Maglev (balance maglev):
// the request's key (lb_hash.cpp) looked up in a table that moves few keys when the set
// of servers changes.
#include <cstdint>

#include "lb/lb_int.hpp"

namespace portico {

namespace {

void chash_build(lb_tier& t, const std::vector<lbh::member>& m) { t.ring = lbh::build_ring(m); }

// The ring's server for the key; when it cannot be used, the next points of the ring, as
// HAProxy does, then round-robin.
int chash_pick(proxy* be, const lb_backend* b, stream* s, const lb_tier& t, server* avoid,
               server** out)
{
    uint32_t h = 0;
    if (!lb_hash_key(s, b, h))
        return lb_rr_pick(be, t.srv, avoid, out); // no key: round-robin (HAProxy)
    size_t pos = lbh::ring_find(t.ring, h);
    if (pos == SIZE_MAX)
        return CH_NONE;
    server* srv = t.members[t.ring[pos].idx];
    if (lb_usable(srv) && srv != avoid) {
        *out = srv;
        return lb_try_take(srv, out) == CH_OK ? CH_OK : CH_FULL_SRV;
    }
    size_t n = t.ring.size();
    for (size_t k = 1; k < n && k < 4096; k++) {
        server* c = t.members[t.ring[(pos + k) % n].idx];
        if (c != srv && c != avoid && lb_usable(c)) {
            *out = c;
            return lb_try_take(c, out) == CH_OK ? CH_OK : CH_FULL_SRV;
        }
    }
    return lb_rr_pick(be, t.srv, avoid, out);
}

void maglev_build(lb_tier& t, const std::vector<lbh::member>& m) { t.maglev = lbh::build_maglev(m); }

int maglev_pick(proxy* be, const lb_backend* b, stream* s, const lb_tier& t, server* avoid,
                server** out)
{
    uint32_t h = 0;
    if (!lb_hash_key(s, b, h))
        return lb_rr_pick(be, t.srv, avoid, out); // no key: round-robin
    if (t.maglev.empty())
        return CH_NONE;
    // maglev always spreads the key over the table, whatever the hash function
    uint32_t hh = b->conf->avalanche ? h : lbh::avalanche(h);
    return lb_hash_take(be, t, t.members[t.maglev[hh % t.maglev.size()]], avoid, out);
}

} // namespace

const lb_ops lb_ops_chash = {"consistent", chash_build, chash_pick, true, true, false};
const lb_ops lb_ops_maglev = {"maglev", maglev_build, maglev_pick, true, true, false};

} // namespace portico
