// SPDX-License-Identifier: MIT
// The server-side TLS session cache shared by every worker ("tune.ssl.cachesize" entries in
// module shared memory), behind OpenSSL's external cache callbacks: a session made by one
// worker is resumed by any other, also without tickets ("no-tls-tickets", where TLS 1.3 hands
// out session IDs). Sessions are stored serialized (i2d); one too large for an entry (a big
// client certificate chain) is simply not shared. A spinlock in the area serializes access:
// each operation is a hash, at most k_probe slot compares and one copy.
#include <openssl/ssl.h>

#include <atomic>
#include <cstring>

#include "ssl_int.hpp"

namespace tls {

namespace {

constexpr uint32_t k_data = 480; // serialized session bytes per entry
constexpr uint32_t k_probe = 8;  // slots looked at from the hashed one

struct entry {
    uint64_t seq;        // insertion order (0: free)
    uint16_t len;        // serialized length
    uint8_t idlen;
    uint8_t id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    uint8_t data[k_data];
};

struct area {
    std::atomic<uint32_t> lock;
    uint32_t n;
    uint64_t seq;
    entry e[];
};

area* g_area;

struct guard {
    guard()
    {
        while (g_area->lock.exchange(1, std::memory_order_acquire))
            while (g_area->lock.load(std::memory_order_relaxed)) {
            }
    }
    ~guard() { g_area->lock.store(0, std::memory_order_release); }
};

uint32_t slot_of(const unsigned char* id, unsigned len)
{
    uint32_t h = 2166136261u; // FNV-1a
    for (unsigned i = 0; i < len; i++)
        h = (h ^ id[i]) * 16777619u;
    return h % g_area->n;
}

entry* find(const unsigned char* id, unsigned len)
{
    uint32_t s = slot_of(id, len);
    for (uint32_t k = 0; k < k_probe; k++) {
        entry& e = g_area->e[(s + k) % g_area->n];
        if (e.seq && e.idlen == len && !std::memcmp(e.id, id, len))
            return &e;
    }
    return nullptr;
}

int new_cb(SSL*, SSL_SESSION* sess)
{
    unsigned idlen = 0;
    const unsigned char* id = SSL_SESSION_get_id(sess, &idlen);
    int len = i2d_SSL_SESSION(sess, nullptr);
    if (!idlen || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH || len <= 0 || (uint32_t)len > k_data)
        return 0;
    unsigned char buf[k_data];
    unsigned char* p = buf;
    i2d_SSL_SESSION(sess, &p);
    guard g;
    entry* e = find(id, idlen);
    if (!e) { // a free slot, else the oldest of the probed ones
        uint32_t s = slot_of(id, idlen);
        for (uint32_t k = 0; k < k_probe; k++) {
            entry& c = g_area->e[(s + k) % g_area->n];
            if (!e || c.seq < e->seq)
                e = &c;
            if (!c.seq)
                break;
        }
    }
    e->seq = ++g_area->seq;
    e->idlen = (uint8_t)idlen;
    std::memcpy(e->id, id, idlen);
    e->len = (uint16_t)len;
    std::memcpy(e->data, buf, (size_t)len);
    return 0; // we kept no reference
}

SSL_SESSION* get_cb(SSL*, const unsigned char* id, int idlen, int* copy)
{
    *copy = 0;
    if (idlen <= 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
        return nullptr;
    unsigned char buf[k_data];
    uint16_t len = 0;
    {
        guard g;
        entry* e = find(id, (unsigned)idlen);
        stats_cache_lookup(e != nullptr);
        if (!e)
            return nullptr;
        len = e->len;
        std::memcpy(buf, e->data, len);
    }
    const unsigned char* p = buf;
    return d2i_SSL_SESSION(nullptr, &p, len); // OpenSSL checks its time and timeout
}

void remove_cb(SSL_CTX*, SSL_SESSION* sess)
{
    unsigned idlen = 0;
    const unsigned char* id = SSL_SESSION_get_id(sess, &idlen);
    guard g;
    if (entry* e = find(id, idlen))
        e->seq = 0;
}

} // namespace

bool sess_cache_reserve()
{
    uint64_t n = g.cachesize;
    if (!n)
        return true; // "tune.ssl.cachesize 0": no shared cache
    if (n > (1u << 22))
        n = 1u << 22;
    g_area = static_cast<area*>(
        host->shm_reserve(g_self, "sessions", sizeof(area) + n * sizeof(entry)));
    if (!g_area)
        return false;
    g_area->n = (uint32_t)n;
    return true;
}

void sess_cache_attach(SSL_CTX* ctx)
{
    if (!g_area)
        return;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, new_cb);
    SSL_CTX_sess_set_get_cb(ctx, get_cb);
    SSL_CTX_sess_set_remove_cb(ctx, remove_cb);
}

} // namespace tls
