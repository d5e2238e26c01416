// SPDX-License-Identifier: MIT
// OCSP stapling: a certificate's ".ocsp" side file (DER, as "openssl ocsp -respout" writes
// it) is loaded with it, checked against the certificate and its issuer (from the PEM's
// chain or a ".issuer" side file), and stapled in the handshakes that ask for it until its
// nextUpdate (less 5 minutes, as HAProxy). The runtime API's "set ssl ocsp-response"
// replaces a response in every worker (shared memory, applied on the workers' tick) and
// "show ssl ocsp-response" lists the certificate IDs or prints one response.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>

#include "ssl_int.hpp"

namespace tls {

namespace {

constexpr long k_skew = 300;        // OCSP_MAX_RESPONSE_TIME_SKEW
constexpr size_t k_max_der = 16384; // largest response the runtime API accepts
int g_ctx_index = -1;

// One certificate's response in shared memory: written by the master under an odd
// sequence number, read by the workers when the sequence is even and changed.
struct ocsp_slot {
    std::atomic<uint64_t> seq;
    uint32_t len;
    unsigned char der[k_max_der];
};
struct ocsp_area {
    uint32_t n;
    ocsp_slot s[];
};
ocsp_area* g_area;
std::vector<uint64_t> g_seen;

bool read_file(const std::string& path, std::string& out)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

std::string cid_der(OCSP_CERTID* id)
{
    int n = i2d_OCSP_CERTID(id, nullptr);
    if (n <= 0)
        return {};
    std::string k((size_t)n, '\0');
    unsigned char* p = reinterpret_cast<unsigned char*>(k.data());
    i2d_OCSP_CERTID(id, &p);
    return k;
}

// HAProxy's checks of a response (ssl_sock_load_ocsp_response): successful, one single
// response, good or revoked, with a nextUpdate, valid now; for <cid> if given. Fills
// <expire> and <key> (the DER of the response's certificate ID).
bool check_response(const std::string& der, OCSP_CERTID* cid, time_t& expire, std::string& key,
                    std::string& err)
{
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, (long)der.size());
    OCSP_BASICRESP* bs = nullptr;
    bool ok = false;
    do {
        if (!resp) {
            err = "Unable to parse OCSP response";
            break;
        }
        if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
            err = "OCSP response status not successful";
            break;
        }
        bs = OCSP_response_get1_basic(resp);
        if (!bs) {
            err = "Failed to get basic response from OCSP Response";
            break;
        }
        int count = OCSP_resp_count(bs);
        if (count > 1) {
            err = "OCSP response ignored because contains multiple single responses (" +
                  std::to_string(count) + ")";
            break;
        }
        OCSP_SINGLERESP* sr = OCSP_resp_get0(bs, 0);
        if (!sr) {
            err = "Failed to get OCSP single response";
            break;
        }
        const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(sr);
        int reason = 0;
        ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
        int st = OCSP_single_get0_status(sr, &reason, &rev, &thisupd, &nextupd);
        if (st != V_OCSP_CERTSTATUS_GOOD && st != V_OCSP_CERTSTATUS_REVOKED) {
            err = "OCSP single response: certificate status is unknown";
            break;
        }
        if (!nextupd) {
            err = "OCSP single response: missing nextupdate";
            break;
        }
        if (!OCSP_check_validity(thisupd, nextupd, k_skew, -1)) {
            err = "OCSP single response: no longer valid.";
            break;
        }
        if (cid && OCSP_id_cmp(id, cid)) {
            err = "OCSP single response: Certificate ID does not match certificate and issuer";
            break;
        }
        struct tm tm {};
        if (!ASN1_TIME_to_tm(nextupd, &tm)) {
            err = "OCSP single response: Invalid \"Next Update\" time";
            break;
        }
        expire = timegm(&tm) - k_skew;
        key = cid_der(const_cast<OCSP_CERTID*>(id));
        ok = true;
    } while (false);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return ok;
}

int status_cb(SSL* ssl, void*)
{
    SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
    cert* c = ctx ? static_cast<cert*>(SSL_CTX_get_ex_data(ctx, g_ctx_index)) : nullptr;
    if (!c || c->ocsp.empty() || c->ocsp_expire < time(nullptr))
        return SSL_TLSEXT_ERR_NOACK;
    void* copy = OPENSSL_memdup(c->ocsp.data(), c->ocsp.size());
    if (!copy)
        return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)c->ocsp.size());
    return SSL_TLSEXT_ERR_OK;
}

std::string hex(const std::string& b)
{
    static const char* d = "0123456789abcdef";
    std::string h;
    for (unsigned char ch : b) {
        h.push_back(d[ch >> 4]);
        h.push_back(d[ch & 15]);
    }
    return h;
}

std::string bio_text(BIO* b)
{
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    return n > 0 ? std::string(p, (size_t)n) : std::string();
}

// Certificates with an OCSP certificate ID, in HAProxy's order (by the ID's bytes).
std::vector<cert*> with_ids()
{
    std::vector<cert*> v;
    for (cert* c : cert_all())
        if (!c->ocsp_key.empty())
            v.push_back(c);
    std::sort(v.begin(), v.end(), [](const cert* a, const cert* b) {
        return a->ocsp_key < b->ocsp_key; // memcmp order of the zero-padded keys
    });
    return v;
}

int cli_show(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc > 3 && args[3].len) {
        std::string want(args[3].ptr, args[3].len);
        if (want.size() > 256) {
            host->cli_printf(r, "'show ssl ocsp-response' received a too big key.\n");
            return PTC_ERROR;
        }
        for (char& ch : want)
            ch = (char)std::tolower((unsigned char)ch);
        for (cert* c : with_ids()) {
            if (hex(c->ocsp_key) != want)
                continue;
            const unsigned char* p = reinterpret_cast<const unsigned char*>(c->ocsp.data());
            OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, (long)c->ocsp.size());
            if (!resp) {
                host->cli_printf(r, "Unable to parse OCSP response");
                return PTC_OK;
            }
            BIO* b = BIO_new(BIO_s_mem());
            OCSP_RESPONSE_print(b, resp, 0);
            std::string t = bio_text(b);
            BIO_free(b);
            OCSP_RESPONSE_free(resp);
            // HAProxy puts a space on the empty lines (a CLI answer ends at an empty line)
            std::string out;
            for (size_t i = 0; i < t.size(); i++) {
                out.push_back(t[i]);
                if (t[i] == '\n' && i + 1 < t.size() && t[i + 1] == '\n')
                    out.push_back(' ');
            }
            host->cli_printf(r, "%s", out.c_str());
            return PTC_OK;
        }
        host->cli_printf(r, "Certificate ID does not match any certificate.\n");
        return PTC_ERROR;
    }
    host->cli_printf(r, "# Certificate IDs\n");
    for (cert* c : with_ids()) {
        host->cli_printf(r, "Certificate ID key : %s\n", hex(c->ocsp_key).c_str());
        const unsigned char* p = reinterpret_cast<const unsigned char*>(c->ocsp_key.data());
        OCSP_CERTID* id = d2i_OCSP_CERTID(nullptr, &p, (long)c->ocsp_key.size());
        if (!id)
            continue;
        ASN1_OCTET_STRING *nh = nullptr, *kh = nullptr;
        ASN1_INTEGER* serial = nullptr;
        BIO* b = BIO_new(BIO_s_mem());
        if (OCSP_id_get0_info(&nh, nullptr, &kh, &serial, id)) {
            BIO_printf(b, " Certificate ID:\n   Issuer Name Hash: ");
            i2a_ASN1_STRING(b, nh, 0);
            BIO_printf(b, "\n   Issuer Key Hash: ");
            i2a_ASN1_STRING(b, kh, 0);
            BIO_printf(b, "\n   Serial Number: ");
            i2a_ASN1_INTEGER(b, serial);
        }
        std::string t = bio_text(b);
        BIO_free(b);
        OCSP_CERTID_free(id);
        while (!t.empty() && t.back() == '\n')
            t.pop_back();
        host->cli_printf(r, "%s\n", t.c_str());
    }
    return PTC_OK;
}

bool base64_decode(const std::string& in, std::string& out)
{
    EVP_ENCODE_CTX* e = EVP_ENCODE_CTX_new();
    if (!e)
        return false;
    out.assign(in.size(), '\0');
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

int cli_set(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string b64;
    for (uint32_t i = 3; i < argc; i++) // the argument, or the payload after "<<"
        for (size_t k = 0; k < args[i].len; k++)
            if (args[i].ptr[k] != '\r' && args[i].ptr[k] != '\n' && args[i].ptr[k] != ' ')
                b64.push_back(args[i].ptr[k]);
    if (b64.empty()) {
        host->cli_printf(r, "'set ssl ocsp-response' expects response in base64 encoding.\n");
        return PTC_ERROR;
    }
    std::string der, err, key;
    if (!base64_decode(b64, der) || der.empty()) {
        host->cli_printf(r, "'set ssl ocsp-response' received invalid base64 encoded "
                            "response.\n");
        return PTC_ERROR;
    }
    time_t expire = 0;
    if (!check_response(der, nullptr, expire, key, err)) {
        host->cli_printf(r, "%s.\n", err.c_str());
        return PTC_ERROR;
    }
    auto& all = cert_all();
    size_t i = 0;
    while (i < all.size() && (all[i]->ocsp_key.empty() || all[i]->ocsp_key != key))
        i++;
    if (i == all.size()) {
        host->cli_printf(r, "OCSP single response: Certificate ID does not match any "
                            "certificate or issuer.\n");
        return PTC_ERROR;
    }
    if (!g_area || i >= g_area->n || der.size() > k_max_der) {
        host->cli_printf(r, "OCSP response: Memory allocation error.\n");
        return PTC_ERROR;
    }
    // every certificate with this ID (the same file named twice is one certificate)
    ocsp_slot& sl = g_area->s[i];
    uint64_t q = sl.seq.load(std::memory_order_relaxed);
    sl.seq.store(q + 1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(sl.der, der.data(), der.size());
    sl.len = (uint32_t)der.size();
    sl.seq.store(q + 2, std::memory_order_release);
    all[i]->ocsp = der;
    all[i]->ocsp_expire = expire;
    host->cli_printf(r, "OCSP Response updated!\n");
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"set ssl ocsp-response", "set ssl ocsp-response <resp|payload>",
     "update a certificate's OCSP Response from a base64-encode DER", PTC_CLI_ADMIN, cli_set},
    {"show ssl ocsp-response", "show ssl ocsp-response [id]",
     "display the IDs of the OCSP responses used in memory, or the details of a single OCSP "
     "response",
     PTC_CLI_OPERATOR, cli_show},
};

} // namespace

bool ocsp_load(cert* c, const std::string& path, std::string& err)
{
    if (!(g.extra_files & EXTRA_OCSP))
        return true;
    std::string der;
    struct stat st;
    const std::string of = extra_path(path, ".ocsp");
    if (stat(of.c_str(), &st) != 0 || !read_file(of, der))
        return true; // no response: nothing stapled
    // the issuer: in the PEM's chain, else the ".issuer" side file
    X509* issuer = nullptr;
    for (int i = 0; c->chain && i < sk_X509_num(c->chain); i++) {
        X509* x = sk_X509_value(c->chain, i);
        if (X509_check_issued(x, c->leaf) == X509_V_OK) {
            issuer = x;
            X509_up_ref(issuer);
            break;
        }
    }
    if (!issuer && (g.extra_files & EXTRA_ISSUER)) {
        if (BIO* b = BIO_new_file(extra_path(path, ".issuer").c_str(), "r")) {
            issuer = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
            BIO_free(b);
            if (issuer && X509_check_issued(issuer, c->leaf) != X509_V_OK) {
                X509_free(issuer);
                issuer = nullptr;
            }
        }
        ERR_clear_error();
    }
    OCSP_CERTID* cid = issuer ? OCSP_cert_to_id(nullptr, c->leaf, issuer) : nullptr;
    X509_free(issuer);
    if (!cid) {
        ERR_clear_error();
        err = "'" + path + ".ocsp' is present and activates OCSP but it is impossible to "
              "compute the OCSP certificate ID (maybe the issuer could not be found)'";
        return false;
    }
    std::string key, why;
    time_t expire = 0;
    bool ok = check_response(der, cid, expire, key, why);
    c->ocsp_key = cid_der(cid);
    OCSP_CERTID_free(cid);
    if (!ok) {
        err = "'" + path + ".ocsp' : " + why;
        return false;
    }
    c->ocsp = der;
    c->ocsp_expire = expire;
    return true;
}

void ocsp_attach(SSL_CTX* ctx, cert* c)
{
    if (g_ctx_index < 0)
        g_ctx_index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    SSL_CTX_set_ex_data(ctx, g_ctx_index, c);
    SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
}

int ocsp_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

bool ocsp_reserve()
{
    size_t n = 0;
    for (cert* c : cert_all())
        n += !c->ocsp_key.empty();
    if (!n)
        return true;
    n = cert_all().size();
    g_area = static_cast<ocsp_area*>(
        host->shm_reserve(g_self, "ocsp", sizeof(ocsp_area) + n * sizeof(ocsp_slot)));
    if (!g_area)
        return false;
    g_area->n = (uint32_t)n;
    return true;
}

void ocsp_apply()
{
    if (!g_area)
        return;
    auto& all = cert_all();
    g_seen.resize(g_area->n, 0);
    for (uint32_t i = 0; i < g_area->n && i < all.size(); i++) {
        ocsp_slot& sl = g_area->s[i];
        uint64_t q = sl.seq.load(std::memory_order_acquire);
        if (q == g_seen[i] || (q & 1))
            continue;
        uint32_t len = sl.len;
        if (len > k_max_der)
            continue;
        std::string der(reinterpret_cast<const char*>(sl.der), len);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (sl.seq.load(std::memory_order_acquire) != q)
            continue; // written meanwhile: next tick
        g_seen[i] = q;
        std::string key, err;
        time_t expire = 0;
        if (!check_response(der, nullptr, expire, key, err) || key != all[i]->ocsp_key)
            continue;
        all[i]->ocsp = der;
        all[i]->ocsp_expire = expire;
    }
}

} // namespace tls
