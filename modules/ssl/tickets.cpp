// SPDX-License-Identifier: MIT
// Session ticket keys that rotate and are the same in every worker. A random secret is drawn
// once in the master (post_config) and inherited by the workers at fork; the keys of epoch e
// (e = wall-clock time / tune.ssl.lifetime) are derived from it with HMAC-SHA256, so every
// worker encrypts with the same current key without talking to the others. A ticket of the
// current epoch or the one before is accepted and replaced by a new one; older ones are
// refused, which makes a full handshake.
//
// "tls-ticket-keys <file>" on a bind replaces them with HAProxy's key files: base64 lines of
// 48 bytes (name, AES-128 key, HMAC key of 16 bytes each) or 80 bytes (name 16, AES-256 key
// 32, HMAC key 32); the last 3 are kept, the penultimate encrypts, all 3 decrypt (a ticket of
// another one than the current is accepted and renewed). The keys live in shared memory, so
// the runtime API's "set ssl tls-key" rotates them in every worker at once: the new key
// becomes the next one, the next one the current one.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

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

// ---- tls-ticket-keys files ----------------------------------------------------------------

constexpr int k_nkeys = 3; // HAProxy's TLS_TICKETS_NO
constexpr size_t k_key128 = 48, k_key256 = 80;

struct tk_keys {
    uint32_t size;             // 48 or 80
    uint32_t enc;              // index of the encryption key
    unsigned char keys[k_nkeys][k_key256];
};
struct tk_slot {
    std::atomic<uint64_t> seq; // odd while the master writes
    tk_keys k;
};
struct tk_file {
    std::string path;
    int id = 0;                // HAProxy's unique id ("#<id>" on the runtime API)
    tk_keys init{};            // as read at load (copied to shared memory)
};
std::vector<tk_file> g_files;
tk_slot* g_slots;              // shared memory, one per file
int g_ref_index = -1;          // SSL_CTX ex_data: the file's index + 1

bool b64dec(const std::string& in, std::string& out)
{
    EVP_ENCODE_CTX* e = EVP_ENCODE_CTX_new();
    if (!e)
        return false;
    out.assign(in.size() + 4, '\0');
    int n = 0, m = 0;
    EVP_DecodeInit(e);
    bool ok = EVP_DecodeUpdate(e, reinterpret_cast<unsigned char*>(out.data()), &n,
                               reinterpret_cast<const unsigned char*>(in.data()),
                               (int)in.size()) >= 0 &&
              EVP_DecodeFinal(e, reinterpret_cast<unsigned char*>(out.data()) + n, &m) == 1;
    EVP_ENCODE_CTX_free(e);
    if (!ok)
        return false;
    out.resize((size_t)(n + m));
    return true;
}

std::string b64enc(const unsigned char* p, size_t n)
{
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int k = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, (int)n);
    out.resize((size_t)k);
    return out;
}

// A consistent copy of file <i>'s keys (the workers read while the master may write).
tk_keys snapshot(size_t i)
{
    if (!g_slots)
        return g_files[i].init;
    tk_keys c{};
    const tk_slot& s = g_slots[i];
    for (int tries = 0; tries < 100; tries++) {
        uint64_t q = s.seq.load(std::memory_order_acquire);
        if (q & 1)
            continue;
        std::memcpy(&c, &s.k, sizeof(c));
        std::atomic_thread_fence(std::memory_order_acquire);
        if (s.seq.load(std::memory_order_acquire) == q)
            break;
    }
    return c;
}

int set_mac_key(EVP_MAC_CTX* hctx, const unsigned char* key, size_t n)
{
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void*)key, n);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char*)"SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    return EVP_MAC_CTX_set_params(hctx, params);
}

int file_ticket_cb(SSL* ssl, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cctx,
                   EVP_MAC_CTX* hctx, int enc)
{
    SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
    size_t ref = (size_t)(uintptr_t)SSL_CTX_get_ex_data(ctx, g_ref_index);
    if (!ref || ref > g_files.size())
        return -1;
    tk_keys k = snapshot(ref - 1);
    bool big = k.size == k_key256;
    size_t kl = big ? 32 : 16;
    const EVP_CIPHER* cipher = big ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
    uint32_t head = k.enc % k_nkeys;
    if (enc) {
        const unsigned char* key = k.keys[head];
        std::memcpy(key_name, key, 16);
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
            EVP_EncryptInit_ex(cctx, cipher, nullptr, key + 16, iv) != 1 ||
            set_mac_key(hctx, key + 16 + kl, kl) != 1)
            return -1;
        return 1;
    }
    for (uint32_t i = 0; i < (uint32_t)k_nkeys; i++) {
        const unsigned char* key = k.keys[(head + i) % k_nkeys];
        if (std::memcmp(key_name, key, 16) != 0)
            continue;
        if (set_mac_key(hctx, key + 16 + kl, kl) != 1 ||
            EVP_DecryptInit_ex(cctx, cipher, nullptr, key + 16, iv) != 1)
            return -1;
        return i ? 2 : 1; // 2: an older key, the ticket is renewed
    }
    return 0;
}

// "#<id>" or a file name.
long find_ref(const std::string& ref)
{
    if (!ref.empty() && ref[0] == '#') {
        char* end = nullptr;
        long id = std::strtol(ref.c_str() + 1, &end, 10);
        if (ref.size() < 2 || *end)
            return -1;
        for (size_t i = 0; i < g_files.size(); i++)
            if (g_files[i].id == id)
                return (long)i;
        return -1;
    }
    for (size_t i = 0; i < g_files.size(); i++)
        if (g_files[i].path == ref)
            return (long)i;
    return -1;
}

// Files in the order of their ids.
std::vector<size_t> by_id()
{
    std::vector<size_t> v;
    for (size_t i = 0; i < g_files.size(); i++)
        v.push_back(i);
    std::sort(v.begin(), v.end(), [](size_t a, size_t b) { return g_files[a].id < g_files[b].id; });
    return v;
}

void dump_keys(ptc_cli_reply* r, size_t i)
{
    tk_keys k = snapshot(i);
    host->cli_printf(r, "# %d (%s)\n", g_files[i].id, g_files[i].path.c_str());
    for (int n = 0; n < k_nkeys; n++)
        host->cli_printf(r, "%d.%d %s\n", g_files[i].id, n,
                         b64enc(k.keys[(k.enc + 2 + (uint32_t)n) % k_nkeys], k.size).c_str());
}

int cli_show_keys(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string a = argc > 2 ? std::string(args[2].ptr, args[2].len) : "";
    if (a.empty()) {
        host->cli_printf(r, "# id (file)\n");
        for (size_t i : by_id())
            host->cli_printf(r, "%d (%s)\n", g_files[i].id, g_files[i].path.c_str());
        return PTC_OK;
    }
    if (a[0] == '*') {
        host->cli_printf(r, "# id secret\n");
        for (size_t i : by_id())
            dump_keys(r, i);
        return PTC_OK;
    }
    long i = find_ref(a);
    if (i < 0) {
        host->cli_printf(r, "'show tls-keys' unable to locate referenced filename\n");
        return PTC_ERROR;
    }
    host->cli_printf(r, "# id secret\n");
    dump_keys(r, (size_t)i);
    return PTC_OK;
}

int cli_set_key(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 5 || !args[3].len || !args[4].len) {
        host->cli_printf(r, "'set ssl tls-key' expects a filename and the new TLS key in base64 "
                            "encoding.\n");
        return PTC_ERROR;
    }
    long i = find_ref(std::string(args[3].ptr, args[3].len));
    if (i < 0 || !g_slots) {
        host->cli_printf(r, "'set ssl tls-key' unable to locate referenced filename\n");
        return PTC_ERROR;
    }
    std::string key;
    if (!b64dec(std::string(args[4].ptr, args[4].len), key)) {
        host->cli_printf(r, "'set ssl tls-key' received invalid base64 encoded TLS key.\n");
        return PTC_ERROR;
    }
    tk_keys& s = g_slots[i].k;
    if (key.size() != s.size) {
        host->cli_printf(r, "'set ssl tls-key' received a key of wrong size.\n");
        return PTC_ERROR;
    }
    // the new key becomes the next one; the next one encrypts from now on
    std::atomic<uint64_t>& seq = g_slots[i].seq;
    uint64_t q = seq.load(std::memory_order_relaxed);
    seq.store(q + 1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_release);
    std::memset(s.keys[(s.enc + 2) % k_nkeys], 0, k_key256);
    std::memcpy(s.keys[(s.enc + 2) % k_nkeys], key.data(), key.size());
    s.enc = (s.enc + 1) % k_nkeys;
    seq.store(q + 2, std::memory_order_release);
    host->cli_printf(r, "TLS ticket key updated!\n");
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"show tls-keys", "show tls-keys [id|*]",
     "show tls keys references or dump tls ticket keys when id specified", PTC_CLI_ADMIN,
     cli_show_keys},
    {"set ssl tls-key", "set ssl tls-key [id|file] <key>",
     "set the next TLS key for the <id> or <file> listener to <key>", PTC_CLI_ADMIN,
     cli_set_key},
};

} // namespace

int tickets_load_file(const std::string& path, std::string& err)
{
    for (size_t i = 0; i < g_files.size(); i++)
        if (g_files[i].path == path)
            return (int)i;
    std::ifstream in(path);
    if (!in) {
        err = "'" + path + "' : unable to load ssl tickets keys file";
        return -1;
    }
    tk_file f;
    f.path = path;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::string k;
        if (!b64dec(line, k)) {
            err = "'" + path + "' : unable to decode base64 key on line " + std::to_string(n + 1);
            return -1;
        }
        if ((k.size() != k_key128 && k.size() != k_key256) || (f.init.size && k.size() != f.init.size)) {
            err = "'" + path + "' : wrong sized key on line " + std::to_string(n + 1);
            return -1;
        }
        f.init.size = (uint32_t)k.size();
        std::memcpy(f.init.keys[n % k_nkeys], k.data(), k.size());
        n++;
    }
    if (n < k_nkeys) {
        err = "'" + path + "' : please supply at least " + std::to_string(k_nkeys) +
              " keys in the tls-tickets-file";
        return -1;
    }
    f.init.enc = (uint32_t)((n - 2) % k_nkeys); // the penultimate key encrypts
    // HAProxy numbers its key files from the last one declared
    for (auto& o : g_files)
        o.id++;
    f.id = 0;
    g_files.push_back(std::move(f));
    return (int)g_files.size() - 1;
}

int tickets_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

bool tickets_reserve()
{
    if (g_files.empty())
        return true;
    g_slots = static_cast<tk_slot*>(
        host->shm_reserve(g_self, "tls-keys", g_files.size() * sizeof(tk_slot)));
    if (!g_slots)
        return false;
    for (size_t i = 0; i < g_files.size(); i++)
        std::memcpy(&g_slots[i].k, &g_files[i].init, sizeof(tk_keys));
    return true;
}

bool tickets_init()
{
    if (g_ready)
        return true;
    g_ready = RAND_bytes(g_secret, sizeof(g_secret)) == 1;
    return g_ready;
}

void tickets_attach(SSL_CTX* ctx, const bind_tls* bt)
{
    if (bt && bt->ticket_ref >= 0) {
        if (g_ref_index < 0)
            g_ref_index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        SSL_CTX_set_ex_data(ctx, g_ref_index, (void*)(uintptr_t)(bt->ticket_ref + 1));
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, file_ticket_cb);
        return;
    }
    if (g_ready)
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
}

} // namespace tls
