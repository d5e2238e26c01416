// SPDX-License-Identifier: MIT
// The TLS counters of "show info" (HAProxy 2.6's Ssl* fields), kept in memory shared by the
// workers and read by the master's runtime API through ptc_host.info_provider (1.22).
#include <atomic>
#include <cstring>
#include <ctime>

#include "ssl_int.hpp"

namespace tls {

namespace {

// An events-per-second counter as HAProxy's freq_ctr: this second's count and the last
// one's; read, the last second weighs what is left of the current one.
struct rate {
    std::atomic<uint64_t> sec{0};
    std::atomic<uint32_t> cur{0}, prev{0};
    std::atomic<uint32_t> max{0};

    static void now(uint64_t& s, uint32_t& ms)
    {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_sec;
        ms = (uint32_t)(ts.tv_nsec / 1000000);
    }
    void rotate(uint64_t s)
    {
        uint64_t old = sec.load();
        while (old != s) {
            if (sec.compare_exchange_weak(old, s)) {
                prev.store(s == old + 1 ? cur.exchange(0) : (cur.store(0), 0u));
                return;
            }
        }
    }
    uint32_t read() const
    {
        uint64_t s;
        uint32_t ms;
        now(s, ms);
        uint64_t at = sec.load();
        uint32_t c = cur.load(), p = prev.load();
        if (at + 1 == s) {
            p = c;
            c = 0;
        } else if (at != s) {
            return 0;
        }
        return c + (uint32_t)((uint64_t)p * (1000 - ms) / 1000);
    }
    void add()
    {
        uint64_t s;
        uint32_t ms;
        now(s, ms);
        rotate(s);
        cur.fetch_add(1);
        uint32_t r = read(), m = max.load();
        while (r > m && !max.compare_exchange_weak(m, r)) {
        }
    }
};

struct area {
    std::atomic<int64_t> cur_conns;
    std::atomic<uint64_t> cum_conns;
    rate fe_sess;  // SslRate: frontend TLS sessions
    rate fe_keys;  // SslFrontendKeyRate: their full handshakes
    rate be_keys;  // SslBackendKeyRate
    std::atomic<uint64_t> cache_lookups, cache_misses;
};
area* g_area = nullptr;

int provider(ptc_modref*, const char* field, uint64_t* v)
{
    if (!g_area)
        return 0;
    const area& a = *g_area;
    if (!std::strcmp(field, "CurrSslConns")) {
        int64_t c = a.cur_conns.load();
        *v = c > 0 ? (uint64_t)c : 0;
    } else if (!std::strcmp(field, "CumSslConns")) {
        *v = a.cum_conns.load();
    } else if (!std::strcmp(field, "SslRate")) {
        *v = a.fe_sess.read();
    } else if (!std::strcmp(field, "MaxSslRate")) {
        *v = a.fe_sess.max.load();
    } else if (!std::strcmp(field, "SslFrontendKeyRate")) {
        *v = a.fe_keys.read();
    } else if (!std::strcmp(field, "SslFrontendMaxKeyRate")) {
        *v = a.fe_keys.max.load();
    } else if (!std::strcmp(field, "SslFrontendSessionReuse_pct")) {
        // HAProxy's ratio: the share of this second's frontend sessions without a new key
        uint64_t sess = a.fe_sess.read(), keys = a.fe_keys.read();
        *v = keys < sess ? 100 - (100 * keys + (sess - 1)) / sess : 0;
    } else if (!std::strcmp(field, "SslBackendKeyRate")) {
        *v = a.be_keys.read();
    } else if (!std::strcmp(field, "SslBackendMaxKeyRate")) {
        *v = a.be_keys.max.load();
    } else if (!std::strcmp(field, "SslCacheLookups")) {
        *v = a.cache_lookups.load();
    } else if (!std::strcmp(field, "SslCacheMisses")) {
        *v = a.cache_misses.load();
    } else {
        return 0;
    }
    return 1;
}

} // namespace

int stats_register(ptc_modref* self)
{
    if (!PTC_HOST_HAS(host, info_provider) || !host->info_provider)
        return PTC_OK; // an older host: its "show info" says 0
    return host->info_provider(self, provider);
}

bool stats_reserve()
{
    g_area = static_cast<area*>(host->shm_reserve(g_self, "stats", sizeof(area)));
    return g_area != nullptr;
}

void stats_conn_open(bool frontend)
{
    if (!g_area)
        return;
    g_area->cur_conns.fetch_add(1);
    g_area->cum_conns.fetch_add(1);
    if (frontend)
        g_area->fe_sess.add();
}

void stats_conn_close()
{
    if (g_area)
        g_area->cur_conns.fetch_sub(1);
}

void stats_handshake(bool frontend, bool reused)
{
    if (!g_area || reused)
        return;
    (frontend ? g_area->fe_keys : g_area->be_keys).add();
}

void stats_cache_lookup(bool hit)
{
    if (!g_area)
        return;
    g_area->cache_lookups.fetch_add(1);
    if (!hit)
        g_area->cache_misses.fetch_add(1);
}

} // namespace tls
