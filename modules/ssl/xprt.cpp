// SPDX-License-Identifier: MIT
// The TLS transport: an SSL object over two memory BIOs, driven by the host's transport
// slot (decode/encode/want_send, ABI 1.3; ready/shutw, 1.7). The loop never blocks:
// decode feeds received records in and reads plaintext out, encode writes plaintext in
// and takes records out; the handshake advances in whichever runs.
#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "ssl_int.hpp"

namespace tls {

namespace {
// A failed connection to a server: its reason kept in the stream's state for bc_err, which
// outlives the connection.
void note_fail(tls_conn* tc)
{
    if (tc->server_role || !tc->s)
        return;
    if (stream_st* st = state(tc->s))
        st->srv_why = tc->why ? tc->why : "SSL handshake failure";
}


constexpr size_t k_rbio_max = 64 * 1024; // raw bytes buffered in the read BIO at most
constexpr size_t k_record_overhead = 5 + 1 + 16 + 256; // header, type, tag, padding slack

// Copies what the write BIO holds into [out, out+cap).
size_t drain(tls_conn* tc, char* out, size_t cap)
{
    size_t made = 0;
    while (made < cap && BIO_ctrl_pending(tc->wbio) > 0) {
        int n = BIO_read(tc->wbio, out + made, (int)std::min(cap - made, (size_t)INT32_MAX));
        if (n <= 0)
            break;
        made += (size_t)n;
    }
    return made;
}

// HAProxy's connection error texts for a failed handshake.
const char* fail_reason(tls_conn* tc, int err)
{
    if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN)
        return "Connection closed during SSL handshake";
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
        int r = ERR_GET_REASON(e);
        if (r == SSL_R_NO_SHARED_CIPHER)
            return "SSL handshake failure";
        if (r == SSL_R_CERTIFICATE_VERIFY_FAILED || r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
            if (tc->server_role) {
                long v = SSL_get_verify_result(tc->ssl);
                if (r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
                    return "SSL handshake failure"; // no certificate to verify (HAProxy)
                // where the verification failed (HAProxy's verify callback decides so)
                if (tc->verify_fail)
                    return tc->verify_fail == 1 ? "SSL client CA chain cannot be verified"
                                                : "SSL client certificate not trusted";
                return v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                               v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                               v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                           ? "SSL client CA chain cannot be verified"
                           : "SSL client certificate not trusted";
            }
            // the server's certificate does not carry the name checked: the SNI sent, else
            // verifyhost's (HAProxy's two codes)
            if (SSL_get_verify_result(tc->ssl) == X509_V_ERR_HOSTNAME_MISMATCH) {
                const char* sni = SSL_get_servername(tc->ssl, TLSEXT_NAMETYPE_host_name);
                return sni && *sni ? "Server presented an SSL certificate different from the "
                                     "expected one"
                                   : "Server presented an SSL certificate different from the "
                                     "configured one";
            }
            return "SSL handshake failure";
        }
    }
    return "SSL handshake failure";
}

// ssl_fc_err / ssl_bc_err: the last error of the first error stack raised (HAProxy).
void keep_err(tls_conn* tc)
{
    if (!tc->ssl_err)
        tc->ssl_err = ERR_peek_last_error();
}

// Advances the handshake. Returns false when it failed.
bool handshake(tls_conn* tc)
{
    tc->started = true;
    ERR_clear_error();
    int r = SSL_do_handshake(tc->ssl);
    if (r == 1) {
        tc->hs_done = true;
        stats_handshake(tc->server_role, SSL_session_reused(tc->ssl) == 1);
        if (tc->server_role && tc->s && (!tc->woke || tc->early)) {
            // the connection phase waits for it; after early data, wait-for-handshake does
            tc->woke = true;
            host->stream_wake(tc->s);
        }
        return true;
    }
    int err = SSL_get_error(tc->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return true;
    tc->failed = true;
    tc->why = fail_reason(tc, err);
    note_fail(tc);
    keep_err(tc);
    ERR_clear_error();
    return false;
}

// allow-0rtt: reads the client's early data (TLS 1.3 0-RTT) into [out+*made, out+cap) before
// the handshake completes; SSL_read_early_data also answers the ClientHello. Once the early
// data ended (or there was none, or it was rejected) the handshake goes on as usual.
// Returns false when it failed.
bool early_read(tls_conn* tc, char* out, size_t cap, size_t* made)
{
    tc->started = true;
    while (!tc->early_done && *made < cap) {
        ERR_clear_error();
        size_t n = 0;
        int r = SSL_read_early_data(tc->ssl, out + *made, cap - *made, &n);
        if (r == SSL_READ_EARLY_DATA_ERROR) {
            int err = SSL_get_error(tc->ssl, 0);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
                return true;
            tc->failed = true;
            tc->why = fail_reason(tc, err);
            keep_err(tc);
            ERR_clear_error();
            return false;
        }
        *made += n;
        if (n && !tc->early) {
            tc->early = true;
            if (tc->s && !tc->woke) {
                tc->woke = true;
                host->stream_wake(tc->s); // the connection phase lets the request in
            }
        }
        if (r == SSL_READ_EARLY_DATA_FINISH)
            tc->early_done = true;
    }
    return true;
}

int t_decode(void* ctx, const char* in, size_t inlen, size_t* used, char* out, size_t cap,
             size_t* made, int eof)
{
    tls_conn* tc = static_cast<tls_conn*>(ctx);
    *used = *made = 0;
    if (tc->failed)
        return PTC_ERROR;
    if (inlen && (size_t)BIO_ctrl_pending(tc->rbio) < k_rbio_max) {
        int n = BIO_write(tc->rbio, in, (int)std::min(inlen, (size_t)INT32_MAX));
        if (n > 0)
            *used = (size_t)n;
    }
    if (!tc->hs_done) {
        if (tc->early_ok && !tc->early_done) {
            if (!early_read(tc, out, cap, made))
                return PTC_ERROR;
            if (!tc->early_done)
                return PTC_OK;
        }
        if (!handshake(tc))
            return PTC_ERROR;
        if (!tc->hs_done) {
            if (eof && !inlen && tc->server_role) {
                tc->failed = true;
                tc->why = "Connection closed during SSL handshake";
                note_fail(tc);
            }
            return PTC_OK;
        }
    }
    if (tc->shut && eof)
        return PTC_OK;
    while (*made < cap) {
        ERR_clear_error();
        int n = SSL_read(tc->ssl, out + *made, (int)std::min(cap - *made, (size_t)INT32_MAX));
        if (n > 0) {
            *made += (size_t)n;
            continue;
        }
        int err = SSL_get_error(tc->ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            break;
        if (err == SSL_ERROR_ZERO_RETURN) { // close_notify: the peer's end of data
            tc->shut = true;
            break;
        }
        if (*made)
            break; // give what was decoded first
        if (eof)
            break; // the peer went away without close_notify: a plain EOF
        tc->failed = true;
        tc->why = "SSL error";
        note_fail(tc);
        keep_err(tc);
        ERR_clear_error();
        return PTC_ERROR;
    }
    return PTC_OK;
}

int t_encode(void* ctx, const char* in, size_t inlen, size_t* used, char* out, size_t cap,
             size_t* made)
{
    tls_conn* tc = static_cast<tls_conn*>(ctx);
    *used = *made = 0;
    if (tc->failed) { // only the alert OpenSSL queued when the handshake failed goes out
        *made = drain(tc, out, cap);
        return *made ? PTC_OK : PTC_ERROR;
    }
    *made = drain(tc, out, cap);
    if (!tc->hs_done) {
        if (!tc->started || !tc->server_role) {
            if (!handshake(tc))
                return PTC_ERROR;
            *made += drain(tc, out + *made, cap - *made);
        }
        if (!tc->hs_done)
            return PTC_OK;
    }
    // plaintext in, one record at a time, only while what it makes fits the room left
    while (*used < inlen && BIO_ctrl_pending(tc->wbio) == 0 &&
           cap - *made > k_record_overhead + 512) {
        size_t n = std::min({inlen - *used, cap - *made - k_record_overhead, (size_t)16384});
        ERR_clear_error();
        int r = SSL_write(tc->ssl, in + *used, (int)n);
        if (r <= 0) {
            int err = SSL_get_error(tc->ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
                break;
            tc->failed = true;
            tc->why = "SSL error";
            note_fail(tc);
            keep_err(tc);
            ERR_clear_error();
            return PTC_ERROR;
        }
        *used += (size_t)r;
        *made += drain(tc, out + *made, cap - *made);
    }
    return PTC_OK;
}

int t_want_send(void* ctx)
{
    tls_conn* tc = static_cast<tls_conn*>(ctx);
    if (BIO_ctrl_pending(tc->wbio) > 0)
        return 1; // records, or the alert of a failed handshake
    if (tc->failed)
        return 0;
    return !tc->started && !tc->server_role; // our ClientHello
}

void t_release(void* ctx)
{
    tls_conn* tc = static_cast<tls_conn*>(ctx);
    if (tc->slot) { // the stream is still there
        if (!tc->server_role && tc->s && (tc->hs_done || tc->failed))
            if (stream_st* st = state(tc->s)) {
                st->srv_gone = true;
                st->srv_ssl_err = tc->ssl_err;
            }
        *tc->slot = nullptr;
    }
    conn_free(tc);
}

int t_ready(void* ctx) { return static_cast<tls_conn*>(ctx)->hs_done; }

void t_shutw(void* ctx)
{
    tls_conn* tc = static_cast<tls_conn*>(ctx);
    if (tc->hs_done && !tc->failed) {
        ERR_clear_error();
        SSL_shutdown(tc->ssl); // queues close_notify in the write BIO
        ERR_clear_error();
    }
}

} // namespace

// What the handshake negotiated (ptc_transport.info): %sslc and %sslv of the log (1.22), the
// proxy_protocol module's SSL TLV (1.26), with HAProxy's values for them
const char* t_info(void* tctx, uint32_t what)
{
    auto* tc = static_cast<tls_conn*>(tctx);
    if (what == PTC_XPRT_EARLY) // 1.28: still in early data (wait-for-handshake, Early-Data)
        return tc && tc->early && !tc->hs_done && !tc->failed ? "1" : nullptr;
    if (!tc || !tc->ssl || !(tc->hs_done || tc->failed)) // a failed one: the log's %sslv...
        return nullptr;
    SSL* ssl = tc->ssl;
    switch (what) {
    case PTC_XPRT_CIPHER:
        return SSL_get_cipher_name(ssl);
    case PTC_XPRT_VERSION:
        return SSL_get_version(ssl);
    case PTC_XPRT_SNI:
        return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    case PTC_XPRT_ALPN: {
        const unsigned char* p = nullptr;
        unsigned int n = 0;
        SSL_get0_alpn_selected(ssl, &p, &n);
        if (!n)
            return nullptr;
        tc->info[0].assign(reinterpret_cast<const char*>(p), n);
        return tc->info[0].c_str();
    }
    case PTC_XPRT_PEER_CN: {
        // the first CN entry of the subject, as HAProxy's SSL_CN sub-TLV
        X509* x = SSL_get0_peer_certificate(ssl);
        X509_NAME* nm = x ? X509_get_subject_name(x) : nullptr;
        int i = nm ? X509_NAME_get_index_by_NID(nm, NID_commonName, -1) : -1;
        if (i < 0)
            return nullptr;
        ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));
        tc->info[1].assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)),
                           (size_t)ASN1_STRING_length(d));
        return tc->info[1].c_str();
    }
    case PTC_XPRT_CERT_SIG: {
        X509* x = SSL_get_certificate(ssl);
        if (!x)
            return nullptr;
        const ASN1_OBJECT* alg = nullptr;
        X509_ALGOR_get0(&alg, nullptr, nullptr, X509_get0_tbs_sigalg(x));
        return OBJ_nid2sn(OBJ_obj2nid(alg));
    }
    case PTC_XPRT_CERT_KEY: {
        X509* x = SSL_get_certificate(ssl);
        EVP_PKEY* k = x ? X509_get0_pubkey(x) : nullptr;
        if (!k)
            return nullptr;
        const char* fam = nullptr;
        switch (EVP_PKEY_get_base_id(k)) {
        case EVP_PKEY_RSA: fam = "RSA"; break;
        case EVP_PKEY_EC: fam = "EC"; break;
        case EVP_PKEY_DSA: fam = "DSA"; break;
        default: return nullptr; // HAProxy names these three only
        }
        tc->info[2] = fam + std::to_string(EVP_PKEY_get_bits(k));
        return tc->info[2].c_str();
    }
    case PTC_XPRT_PEER_CERT:
        // HAProxy: a certificate verified in this handshake, or only one its resumed
        // session remembers
        if (!SSL_get0_peer_certificate(ssl))
            return nullptr;
        return SSL_session_reused(ssl) ? "sess" : "conn";
    case PTC_XPRT_VERIFY:
        tc->info[3] = std::to_string(SSL_get_verify_result(ssl));
        return tc->info[3].c_str();
    default:
        return nullptr;
    }
}

const ptc_transport k_transport = {
    .size = sizeof(ptc_transport),
    .reserved = 0,
    .name = "tls",
    .decode = t_decode,
    .encode = t_encode,
    .want_send = t_want_send,
    .release = t_release,
    .ready = t_ready,
    .shutw = t_shutw,
    .info = t_info,
};

tls_conn* conn_new(SSL* ssl, ptc_stream* s, bool server_role)
{
    tls_conn* tc = new (std::nothrow) tls_conn();
    if (!tc)
        return nullptr;
    tc->rbio = BIO_new(BIO_s_mem());
    tc->wbio = BIO_new(BIO_s_mem());
    if (!tc->rbio || !tc->wbio) {
        BIO_free(tc->rbio);
        BIO_free(tc->wbio);
        delete tc;
        return nullptr;
    }
    BIO_set_mem_eof_return(tc->rbio, -1); // empty: "retry", never EOF
    SSL_set_bio(ssl, tc->rbio, tc->wbio);
    tc->ssl = ssl;
    tc->s = s;
    tc->server_role = server_role;
    SSL_set_ex_data(ssl, ex_index(), tc);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
    if (server_role)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    stats_conn_open(server_role);
    return tc;
}

void conn_free(tls_conn* tc)
{
    if (!tc)
        return;
    // a connection closed after a good handshake keeps its session resumable (OpenSSL
    // marks the session of an SSL freed without a shutdown as bad)
    if (tc->hs_done && !tc->failed)
        SSL_set_shutdown(tc->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(tc->ssl); // frees the BIOs too
    X509_free(tc->client_crt);
    delete tc;
    stats_conn_close();
}

} // namespace tls
