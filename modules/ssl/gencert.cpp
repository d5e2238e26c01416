// SPDX-License-Identifier: MIT
// "generate-certificates": a client asking for a name no certificate of the bind serves gets
// a certificate forged for it on the fly, with the default certificate's key, signed by the
// "ca-sign-file" CA, as HAProxy 2.6 does; forged contexts are kept in a per-worker LRU cache
// of tune.ssl.ssl-ctx-cache-size entries.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <list>
#include <map>
#include <utility>

#include "ssl_int.hpp"

namespace tls {

namespace {

int pass_cb(char* buf, int size, int, void* u)
{
    const std::string* pass = static_cast<const std::string*>(u);
    if (!pass || pass->empty())
        return -1; // never prompt
    int n = (int)std::min<size_t>(pass->size(), (size_t)size);
    std::memcpy(buf, pass->data(), (size_t)n);
    return n;
}

std::string ossl_err()
{
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (!e)
        return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
}

// The cache: (bind, name) -> context, most recently used first.
using key_t = std::pair<const bind_tls*, std::string>;
std::list<std::pair<key_t, SSL_CTX*>> g_lru;
std::map<key_t, std::list<std::pair<key_t, SSL_CTX*>>::iterator> g_index;

bool add_ext(X509* crt, X509V3_CTX* ctx, int nid, const char* value)
{
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(crt, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

SSL_CTX* forge(bind_tls* bt, const std::string& name)
{
    if (!bt->ca_cert || !bt->ca_key || bt->ctxs.empty() || !bt->ctxs[0].c)
        return nullptr;
    EVP_PKEY* pkey = bt->ctxs[0].c->key; // the default certificate's key
    X509* crt = X509_new();
    X509_NAME* subj = nullptr;
    cert c;
    SSL_CTX* ctx = nullptr;
    std::string err;
    bool ok = crt && X509_set_version(crt, 2) == 1;
    if (ok) {
        // a random positive serial (HAProxy counts from its start time, per process)
        unsigned char r[8];
        ok = RAND_bytes(r, sizeof(r)) == 1;
        r[0] &= 0x7f;
        BIGNUM* bn = ok ? BN_bin2bn(r, sizeof(r), nullptr) : nullptr;
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt));
        BN_free(bn);
    }
    // a day back, a year ahead
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(crt), -60L * 60 * 24) &&
         X509_gmtime_adj(X509_getm_notAfter(crt), 60L * 60 * 24 * 365) &&
         X509_set_pubkey(crt, pkey) == 1 &&
         X509_set_issuer_name(crt, X509_get_subject_name(bt->ca_cert)) == 1;
    // the CA's subject with the name as one more CN
    if (ok) {
        subj = X509_NAME_dup(X509_get_subject_name(bt->ca_cert));
        ok = subj &&
             X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(name.c_str()),
                                        -1, -1, 0) == 1 &&
             X509_set_subject_name(crt, subj) == 1;
        X509_NAME_free(subj);
    }
    if (ok) {
        X509V3_CTX xc;
        X509V3_set_ctx(&xc, bt->ca_cert, crt, nullptr, nullptr, 0);
        std::string san = "DNS:" + name;
        ok = add_ext(crt, &xc, NID_basic_constraints, "CA:FALSE") &&
             add_ext(crt, &xc, NID_netscape_comment, "OpenSSL Generated Certificate") &&
             add_ext(crt, &xc, NID_subject_key_identifier, "hash") &&
             add_ext(crt, &xc, NID_authority_key_identifier, "keyid,issuer:always") &&
             add_ext(crt, &xc, NID_key_usage, "nonRepudiation,digitalSignature,keyEncipherment") &&
             add_ext(crt, &xc, NID_subject_alt_name, san.c_str());
    }
    if (ok) {
        int kt = EVP_PKEY_get_base_id(bt->ca_key);
        const EVP_MD* md = kt == EVP_PKEY_DSA ? EVP_sha1() : EVP_sha256();
        if (kt == EVP_PKEY_ED25519 || kt == EVP_PKEY_ED448)
            md = nullptr;
        ok = X509_sign(crt, bt->ca_key, md) > 0;
    }
    if (ok) {
        // served with the CA and its chain, in that order
        c.path = "generated certificate for '" + name + "'";
        c.leaf = crt;
        c.key = pkey;
        c.chain = sk_X509_new_null();
        ok = c.chain && sk_X509_push(c.chain, bt->ca_cert);
        for (int i = 0; ok && bt->ca_chain && i < sk_X509_num(bt->ca_chain); i++)
            ok = sk_X509_push(c.chain, sk_X509_value(bt->ca_chain, i));
        if (ok)
            ctx = make_forged_ctx(bt, &c, err); // takes its own references
        if (ctx) {
            // a session context of its own: a session of another certificate is not
            // resumed with this one (HAProxy's forged contexts have none, to the same end)
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned mdlen = 0;
            EVP_Digest(name.data(), name.size(), md, &mdlen, EVP_sha256(), nullptr);
            std::string sid = "portico-gen:";
            static const char hx[] = "0123456789abcdef";
            for (unsigned k = 0; k < 10 && k < mdlen; k++) {
                sid += hx[md[k] >> 4];
                sid += hx[md[k] & 15];
            }
            SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(sid.data()),
                                           (unsigned)sid.size());
        }
        sk_X509_free(c.chain);                   // not the certificates: the CA's
    }
    X509_free(crt);
    if (!ctx) {
        host->log(PTC_LOG_WARNING, "%s:%u: cannot generate a certificate for '%s': %s",
                  bt->file.c_str(), bt->line, name.c_str(),
                  err.empty() ? ossl_err().c_str() : err.c_str());
        ERR_clear_error();
    }
    return ctx;
}

} // namespace

bool gen_load_ca(bind_tls* bt, std::string& err)
{
    BIO* b = BIO_new_file(bt->ca_sign_file.c_str(), "r");
    if (!b) {
        err = "Chain loading failed: unable to open '" + bt->ca_sign_file + "': " + ossl_err();
        return false;
    }
    bt->ca_cert = PEM_read_bio_X509(b, nullptr, pass_cb, &bt->ca_sign_pass);
    if (bt->ca_cert) {
        bt->ca_chain = sk_X509_new_null();
        while (X509* x = PEM_read_bio_X509(b, nullptr, pass_cb, &bt->ca_sign_pass))
            sk_X509_push(bt->ca_chain, x);
        ERR_clear_error();
        (void)BIO_reset(b);
        bt->ca_key = PEM_read_bio_PrivateKey(b, nullptr, pass_cb, &bt->ca_sign_pass);
    }
    BIO_free(b);
    if (!bt->ca_cert || !bt->ca_key) {
        err = std::string("Chain missing certificate or private key") +
              (bt->ca_cert ? " (" + ossl_err() + ")" : "");
        ERR_clear_error();
        return false;
    }
    if (X509_check_private_key(bt->ca_cert, bt->ca_key) != 1) {
        err = "the CA's private key does not match its certificate";
        ERR_clear_error();
        return false;
    }
    return true;
}

SSL_CTX* gen_ctx(bind_tls* bt, const std::string& name, bool& owned)
{
    owned = false;
    if (!g.ctx_cache) {
        // no cache: the caller frees it once the handshake's SSL holds it
        owned = true;
        return forge(bt, name);
    }
    key_t k{bt, name};
    auto it = g_index.find(k);
    if (it != g_index.end()) {
        g_lru.splice(g_lru.begin(), g_lru, it->second);
        return it->second->second;
    }
    SSL_CTX* ctx = forge(bt, name);
    if (!ctx)
        return nullptr;
    g_lru.emplace_front(k, ctx);
    g_index[k] = g_lru.begin();
    while (g_lru.size() > g.ctx_cache) {
        // handshakes still using it hold references of their own; it no longer follows the
        // CA/CRL commits
        cafile_forget(g_lru.back().second);
        SSL_CTX_free(g_lru.back().second);
        g_index.erase(g_lru.back().first);
        g_lru.pop_back();
    }
    return ctx;
}

} // namespace tls
