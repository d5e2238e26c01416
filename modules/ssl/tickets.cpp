// SPDX-License-Identifier: MIT
// Session ticket keys that rotate and are the same in every worker. A random secret is drawn
// once in the master (post_config) and inherited by the workers at fork; the keys of epoch e
// (e = wall-clock time / tune.ssl.lifetime) are derived from it with HMAC-SHA256, so every
// worker encrypts with the same current key without talking to the others. A ticket of the
// current epoch or the one before is accepted and replaced by a new one; older ones are
// refused, which makes a full handshake.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <ctime>

#include "ssl_int.hpp"

namespace tls {

namespace {

constexpr unsigned char k_magic[8] = {'p', 't', 'c', 't', 'k', 't', '0', '1'};
unsigned char g_secret[32];
bool g_ready;

struct keys {
    uint64_t epoch = UINT64_MAX;
    unsigned char aes[32];
    unsigned char mac[32];
};
keys g_cache[2]; // the two epochs in use, recomputed when the epoch moves

uint64_t period_s() { return g.lifetime_s ? g.lifetime_s : 300; }
uint64_t current_epoch() { return (uint64_t)time(nullptr) / period_s(); }

void derive(uint64_t epoch, const char* label, unsigned char out[32])
{
    unsigned char msg[16];
    std::memcpy(msg, label, 4);
    for (int i = 0; i < 8; i++)
        msg[4 + i] = (unsigned char)(epoch >> (56 - 8 * i));
    std::memset(msg + 12, 0, 4);
    unsigned int n = 32;
    HMAC(EVP_sha256(), g_secret, sizeof(g_secret), msg, sizeof(msg), out, &n);
}

const keys& keys_for(uint64_t epoch)
{
    keys& k = g_cache[epoch & 1];
    if (k.epoch != epoch) {
        derive(epoch, "aes:", k.aes);
        derive(epoch, "mac:", k.mac);
        k.epoch = epoch;
    }
    return k;
}

int set_mac(EVP_MAC_CTX* hctx, const keys& k)
{
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void*)k.mac, sizeof(k.mac));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char*)"SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    return EVP_MAC_CTX_set_params(hctx, params);
}

int ticket_cb(SSL*, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cctx,
              EVP_MAC_CTX* hctx, int enc)
{
    uint64_t now = current_epoch();
    if (enc) {
        const keys& k = keys_for(now);
        std::memcpy(key_name, k_magic, 8);
        for (int i = 0; i < 8; i++)
            key_name[8 + i] = (unsigned char)(now >> (56 - 8 * i));
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
            EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k.aes, iv) != 1 ||
            set_mac(hctx, k) != 1)
            return -1;
        return 1;
    }
    if (std::memcmp(key_name, k_magic, 8) != 0)
        return 0; // not one of ours: full handshake
    uint64_t e = 0;
    for (int i = 0; i < 8; i++)
        e = (e << 8) | key_name[8 + i];
    if (e != now && e + 1 != now)
        return 0; // too old (or from the future): full handshake
    const keys& k = keys_for(e);
    if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k.aes, iv) != 1 ||
        set_mac(hctx, k) != 1)
        return -1;
    // 2: accepted, and a new ticket is sent: always, since a TLS 1.3 client uses a ticket
    // once (RFC 8446, C.4) and would otherwise run out after one resumption
    return 2;
}

} // namespace

bool tickets_init()
{
    if (g_ready)
        return true;
    g_ready = RAND_bytes(g_secret, sizeof(g_secret)) == 1;
    return g_ready;
}

void tickets_attach(SSL_CTX* ctx)
{
    if (g_ready)
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
}

} // namespace tls
