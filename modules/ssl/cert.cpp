// SPDX-License-Identifier: MIT
// Certificates: loading a PEM file (certificate, chain and key, or the key in a ".key"
// side file), checking that the key matches, the names a certificate answers for (CN and
// DNS SANs), and installing it into a context.
#include <openssl/bn.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ssl_int.hpp"

namespace tls {

namespace {

std::vector<cert*> g_certs;

// DH parameters ("BEGIN DH PARAMETERS") in <b>, or NULL.
EVP_PKEY* read_dh(BIO* b)
{
    while (EVP_PKEY* p = PEM_read_bio_Parameters(b, nullptr)) {
        if (EVP_PKEY_is_a(p, "DH"))
            return p;
        EVP_PKEY_free(p);
    }
    ERR_clear_error();
    return nullptr;
}

// The predefined DHE group of <bits> (kept for the process): RFC 7919's ffdhe2048/4096, or
// RFC 2409's 1024-bit MODP group (which OpenSSL's default security level refuses, as with
// HAProxy).
EVP_PKEY* dh_group(int bits)
{
    static EVP_PKEY* groups[3];
    int i = bits >= 4096 ? 2 : bits >= 2048 ? 1 : 0;
    if (groups[i])
        return groups[i];
    EVP_PKEY_CTX* pc = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
    EVP_PKEY* k = nullptr;
    if (pc && i) {
        if (EVP_PKEY_paramgen_init(pc) == 1 &&
            EVP_PKEY_CTX_set_dh_nid(pc, i == 2 ? NID_ffdhe4096 : NID_ffdhe2048) == 1)
            EVP_PKEY_paramgen(pc, &k);
    } else if (pc) {
        BIGNUM* p = BN_get_rfc2409_prime_1024(nullptr);
        BIGNUM* gen = BN_new();
        OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM* prm = nullptr;
        if (p && gen && bld && BN_set_word(gen, 2) && OSSL_PARAM_BLD_push_BN(bld, "p", p) &&
            OSSL_PARAM_BLD_push_BN(bld, "g", gen) && (prm = OSSL_PARAM_BLD_to_param(bld)) &&
            EVP_PKEY_fromdata_init(pc) == 1)
            EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEY_PARAMETERS, prm);
        OSSL_PARAM_free(prm);
        OSSL_PARAM_BLD_free(bld);
        BN_free(gen);
        BN_free(p);
    }
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    groups[i] = k;
    return k;
}

std::string lower(std::string s)
{
    for (char& c : s)
        c = (char)std::tolower((unsigned char)c);
    return s;
}

void collect_names(cert* c)
{
    X509_NAME* sn = X509_get_subject_name(c->leaf);
    int i = -1;
    while ((i = X509_NAME_get_index_by_NID(sn, NID_commonName, i)) >= 0) {
        ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i));
        unsigned char* u = nullptr;
        int n = ASN1_STRING_to_UTF8(&u, d);
        if (n > 0)
            c->names.push_back(lower(std::string(reinterpret_cast<char*>(u), (size_t)n)));
        OPENSSL_free(u);
    }
    GENERAL_NAMES* sans = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(c->leaf, NID_subject_alt_name, nullptr, nullptr));
    if (sans) {
        for (int k = 0; k < sk_GENERAL_NAME_num(sans); k++) {
            GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, k);
            if (g->type != GEN_DNS)
                continue;
            const unsigned char* p = ASN1_STRING_get0_data(g->d.dNSName);
            int n = ASN1_STRING_length(g->d.dNSName);
            std::string nm = lower(std::string(reinterpret_cast<const char*>(p), (size_t)n));
            bool dup = false;
            for (auto& e : c->names)
                dup |= e == nm;
            if (!dup)
                c->names.push_back(nm);
        }
        GENERAL_NAMES_free(sans);
    }
}

EVP_PKEY* read_key(const std::string& path)
{
    BIO* b = BIO_new_file(path.c_str(), "r");
    if (!b)
        return nullptr;
    EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    ERR_clear_error();
    return k;
}

} // namespace

std::vector<cert*>& cert_all() { return g_certs; }

cert* cert_find(const std::string& path)
{
    for (cert* c : g_certs)
        if (c->path == path)
            return c;
    return nullptr;
}

void cert_free(cert* c)
{
    if (!c)
        return;
    X509_free(c->leaf);
    sk_X509_pop_free(c->chain, X509_free);
    EVP_PKEY_free(c->key);
    EVP_PKEY_free(c->dh);
    delete c;
}

cert* cert_load(const std::string& path, std::string& err)
{
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        err = "unable to stat SSL certificate from file '" + path + "' : " + strerror(errno);
        return nullptr;
    }
    BIO* b = BIO_new_file(path.c_str(), "r");
    if (!b) {
        err = "unable to read SSL certificate file '" + path + "' : " + strerror(errno);
        ERR_clear_error();
        return nullptr;
    }
    cert* c = cert_parse(b, path, g.extra_files & EXTRA_KEY, err);
    if (c && (!ocsp_load(c, path, err) || !sctl_load(c, path, err))) {
        cert_free(c);
        return nullptr;
    }
    if (c)
        c->mtime = st.st_mtime;
    return c;
}

cert* cert_load_mem(const std::string& pem, const std::string& path, std::string& err)
{
    BIO* b = BIO_new_mem_buf(pem.data(), (int)pem.size());
    if (!b) {
        err = "out of memory";
        return nullptr;
    }
    return cert_parse(b, path, false, err);
}

// Reads a certificate, its chain and its key from <b> (freed); with <side_key>, a key
// missing there is looked for in <path>.key.
cert* cert_parse(BIO* b, const std::string& path, bool side_key, std::string& err)
{
    cert* c = new cert();
    c->path = path;
    c->leaf = PEM_read_bio_X509_AUX(b, nullptr, nullptr, nullptr);
    if (!c->leaf) {
        BIO_free(b);
        ERR_clear_error();
        cert_free(c);
        err = "no certificate found in PEM file '" + path + "'";
        return nullptr;
    }
    c->chain = sk_X509_new_null();
    while (X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr))
        sk_X509_push(c->chain, x);
    ERR_clear_error();
    (void)BIO_reset(b); // the key may come before the certificate
    c->key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    ERR_clear_error();
    (void)BIO_reset(b);
    c->dh = read_dh(b);
    BIO_free(b);
    ERR_clear_error();
    if (!c->key && side_key) {
        struct stat ks;
        if (stat(extra_path(path, ".key").c_str(), &ks) == 0)
            c->key = read_key(extra_path(path, ".key"));
    }
    if (!c->key) {
        cert_free(c);
        err = side_key ? "unable to load the private key of '" + path +
                             "' (none in the PEM file, nor a readable '" +
                             extra_path(path, ".key") + "')"
                       : "no private key in the payload for '" + path + "'";
        return nullptr;
    }
    if (X509_check_private_key(c->leaf, c->key) != 1) {
        ERR_clear_error();
        cert_free(c);
        err = "inconsistencies between the private key and the certificate loaded from '" +
              path + "'";
        return nullptr;
    }
    collect_names(c);
    c->stamp = file_stamp(path);
    return c;
}

bool cert_install(SSL_CTX* ctx, const cert* c, std::string& err)
{
    ERR_clear_error();
    if (SSL_CTX_use_certificate(ctx, c->leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
        SSL_CTX_set1_chain(ctx, c->chain) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        char buf[256];
        ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
        ERR_clear_error();
        err = "cannot use the certificate '" + c->path + "': " + buf;
        return false;
    }
    if (SSL_CTX_get_ssl_method(ctx) != TLS_client_method()) {
        EVP_PKEY* dh = c->dh ? c->dh : g.dh ? g.dh : nullptr;
        if (!dh && g.dh_param) {
            int id = EVP_PKEY_get_base_id(c->key);
            uint64_t bits = id == EVP_PKEY_RSA || id == EVP_PKEY_DSA ? (uint64_t)EVP_PKEY_get_bits(c->key) : 0;
            if (bits > g.dh_param)
                bits = g.dh_param;
            dh = dh_group(bits >= 4096 ? 4096 : bits >= 2048 ? 2048 : 1024);
        }
        if (dh && EVP_PKEY_up_ref(dh) == 1 && SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
            EVP_PKEY_free(dh);
            ERR_clear_error();
        }
    }
    return true;
}

} // namespace tls

namespace tls {

std::string extra_path(const std::string& path, const char* ext)
{
    if (g.extra_del_ext && path.size() > 4 && path.compare(path.size() - 4, 4, ".crt") == 0)
        return path.substr(0, path.size() - 4) + ext;
    return path + ext;
}

bool sctl_load(cert* c, const std::string& path, std::string& err)
{
    if (!(g.extra_files & EXTRA_SCTL))
        return true;
    std::string f = extra_path(path, ".sctl");
    struct stat st;
    if (stat(f.c_str(), &st) != 0)
        return true;
    std::FILE* fp = std::fopen(f.c_str(), "rb");
    std::string data;
    if (fp) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof(buf), fp)) > 0 && data.size() < 65537)
            data.append(buf, n);
        std::fclose(fp);
    }
    // a 2-byte length, then that many bytes (HAProxy checks no more)
    if (!fp || data.size() < 2 || data.size() > 65537 ||
        ((size_t)(unsigned char)data[0] << 8 | (unsigned char)data[1]) != data.size() - 2) {
        err = "'" + f + "' is present but cannot be read or parsed.";
        return false;
    }
    c->sctl = std::move(data);
    return true;
}

namespace {

int sctl_add_cb(SSL*, unsigned int, const unsigned char** out, size_t* outlen, int*, void* arg)
{
    const std::string* v = static_cast<const std::string*>(arg);
    *out = reinterpret_cast<const unsigned char*>(v->data());
    *outlen = v->size();
    return 1;
}

int sctl_parse_cb(SSL*, unsigned int, const unsigned char*, size_t, int*, void*) { return 1; }

} // namespace

void sctl_attach(SSL_CTX* ctx, const cert* c)
{
    if (c->sctl.empty())
        return;
    // the context keeps its copy: a certificate replaced at run time keeps its first list
    auto* v = new std::string(c->sctl);
    if (SSL_CTX_add_server_custom_ext(ctx, 18 /* signed_certificate_timestamp */, sctl_add_cb,
                                      nullptr, v, sctl_parse_cb, nullptr) != 1) {
        delete v;
        ERR_clear_error();
    }
}

} // namespace tls
