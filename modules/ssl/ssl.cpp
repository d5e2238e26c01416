// SPDX-License-Identifier: MIT
// The ssl module: TLS with OpenSSL 3 on both sides of a stream.
//
// Client side: a PTC_PHASE_CONNECTION hook installs the TLS transport (xprt.cpp) on an
// address with "ssl" and waits, yielding, until the handshake is done, so the protocol
// handler ("mode tcp" or "mode http") only ever sees a stream whose handshake succeeded;
// the wait is bounded by "timeout client", and a failure is counted and logged as HAProxy
// logs failed handshakes ("SSL handshake failure", "Timeout during SSL handshake"...).
// Server side: a PTC_PHASE_SRV_CONNECTED hook installs it on connections to a server with
// "ssl" (SNI, verification, ALPN, client certificate, session reuse); the host holds the
// connection back from the handler until the handshake is done (transport.h, 1.7).
// Fetches: ssl_fc*, ssl_c_*, ssl_bc*. Runtime API: "show ssl cert".
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <unordered_map>

#include "ssl_int.hpp"

namespace tls {

const ptc_host* host;
ptc_modref* g_self;

namespace {

int g_ex_index = -1;
std::unordered_map<const ptc_server*, SSL_SESSION*> g_sessions; // this worker's

} // namespace

int ex_index() { return g_ex_index; }

stream_st* state(ptc_stream* s)
{
    return static_cast<stream_st*>(host->stream_modstate(g_self, s));
}

void sess_store(const ptc_server* srv, SSL_SESSION* sess)
{
    SSL_SESSION*& slot = g_sessions[srv];
    if (slot)
        SSL_SESSION_free(slot);
    slot = sess;
}

void sess_forget_all()
{
    for (auto& [srv, sess] : g_sessions)
        SSL_SESSION_free(sess);
    g_sessions.clear();
}

SSL_SESSION* sess_get(const ptc_server* srv)
{
    auto it = g_sessions.find(srv);
    return it == g_sessions.end() ? nullptr : it->second;
}

// Offers the last session of <srv> (from a connection or a health check, as HAProxy
// keeps one per server) unless "no-ssl-reuse", or unless it was made for another SNI.
void sess_offer(SSL* ssl, const ptc_server* srv, const server_cf* sc, const char* sni)
{
    if (sc->no_reuse)
        return;
    SSL_SESSION* sess = sess_get(srv);
    if (!sess)
        return;
    const char* was = SSL_SESSION_get0_hostname(sess);
    if (was && std::strcmp(was, sni ? sni : "") != 0)
        return;
    // a copy: OpenSSL marks the session of a connection closed without close_notify as
    // not resumable, and the one kept here must stay usable (HAProxy keeps it serialized)
    SSL_SESSION* dup = SSL_SESSION_dup(sess);
    if (!dup)
        return;
    SSL_set_session(ssl, dup);
    SSL_SESSION_free(dup);
}

namespace {

// ---- hooks ---------------------------------------------------------------------------------

int on_connection(ptc_stream* s, void*, void*)
{
    const bind_cf* bc = static_cast<const bind_cf*>(host->bind_conf(g_self, host->stream_bind(s)));
    if (!bc || !bc->t || !bc->t->o.ssl || bc->t->ctxs.empty())
        return PTC_CONTINUE;
    stream_st* st = state(s);
    tls_conn* tc = st->cli;
    if (!tc) {
        reload_sync();
        SSL* ssl = SSL_new(bc->t->ctxs[0].ctx);
        tc = ssl ? conn_new(ssl, s, true) : nullptr;
        if (!tc) {
            SSL_free(ssl);
            host->stream_conn_fail(s, "Out of memory during SSL handshake");
            return PTC_DENY;
        }
        if (host->stream_set_transport(s, PTC_SIDE_CLIENT, &k_transport, tc) != PTC_OK) {
            conn_free(tc);
            host->stream_conn_fail(s, "SSL handshake failure");
            return PTC_DENY;
        }
        st->cli = tc;
        tc->slot = &st->cli;
        if (bc->t->any_early) {
            // allow-0rtt: offered in the tickets issued here (HAProxy's size, a buffer less
            // its rewrite reserve) and read before the handshake ends; replays are the
            // server's business (the Early-Data header), as in HAProxy
            tc->early_ok = true;
            uint64_t bs = host->global_setting("tune.bufsize");
            uint64_t mr = host->global_setting("tune.maxrewrite");
            SSL_set_max_early_data(ssl, bs > mr ? (uint32_t)(bs - mr) : 16384 - 1024);
            SSL_set_options(ssl, SSL_OP_NO_ANTI_REPLAY);
        }
    }
    // early data (0-RTT) received: the request goes on before the handshake completes
    if (tc->hs_done || (tc->early && !tc->failed))
        return PTC_CONTINUE;
    if (tc->failed) {
        host->stream_conn_fail(s, tc->why ? tc->why : "SSL handshake failure");
        return PTC_DENY;
    }
    uint32_t fl = host->chan_flags(s, PTC_DIR_REQ);
    if (fl & PTC_CHAN_TIMEOUT) {
        host->stream_conn_fail(s, "Timeout during SSL handshake");
        return PTC_DENY;
    }
    if (fl & PTC_CHAN_ERROR) {
        host->stream_conn_fail(s, "Connection error during SSL handshake");
        return PTC_DENY;
    }
    if (fl & PTC_CHAN_EOF) {
        host->stream_conn_fail(s, "Connection closed during SSL handshake");
        return PTC_DENY;
    }
    return PTC_YIELD;
}

} // namespace

void client_setup(SSL* ssl, const server_cf* sc, const char* sni, const char* alpn_wire,
                  uint32_t alpn_len)
{
    if (sni && *sni)
        SSL_set_tlsext_host_name(ssl, sni);
    if (sc->o.verify == 2) {
        // HAProxy 2.6: the name sent as SNI, else verifyhost's
        const char* name = (sni && *sni) ? sni : sc->verifyhost;
        if (name) {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            SSL_set1_host(ssl, name);
        }
    }
    if (alpn_len)
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn_wire), alpn_len);
}

namespace {

int on_srv_connected(ptc_stream* s, void*, void*)
{
    ptc_server* srv = host->stream_server(s);
    server_cf* sc = srv ? static_cast<server_cf*>(host->server_conf(g_self, srv)) : nullptr;
    if (!sc || sc->o.ssl != 1 || !sc->ctx)
        return PTC_CONTINUE;
    reload_sync();
    SSL* ssl = SSL_new(sc->ctx);
    tls_conn* tc = ssl ? conn_new(ssl, s, false) : nullptr;
    if (!tc) {
        SSL_free(ssl);
        return PTC_ERROR;
    }
    tc->srv = srv;
    std::string sni;
    if (sc->sni) {
        ptc_sample smp;
        if (host->expr_eval(s, sc->sni, &smp) &&
            (smp.type == PTC_SMP_STR || smp.type == PTC_SMP_BIN) && smp.u.str.len)
            sni.assign(smp.u.str.ptr, smp.u.str.len);
    }
    client_setup(ssl, sc, sni.empty() ? nullptr : sni.c_str(), sc->alpn_wire,
                 sc->alpn_wire_len);
    sess_offer(ssl, srv, sc, sni.empty() ? nullptr : sni.c_str());
    if (host->stream_set_transport(s, PTC_SIDE_SERVER, &k_transport, tc) != PTC_OK) {
        conn_free(tc);
        return PTC_ERROR;
    }
    stream_st* st = state(s);
    st->srv = tc;
    tc->slot = &st->srv;
    return PTC_CONTINUE;
}

int on_close(ptc_stream* s, void*, void*)
{
    stream_st* st = state(s);
    if (!st)
        return PTC_CONTINUE;
    // the transports may outlive the stream (a last record to send): they forget it. The
    // stream keeps them until its end, for the fetches of its last log line (mode tcp logs
    // after this hook, before the connections are closed)
    for (tls_conn* tc : {st->cli, st->srv})
        if (tc) {
            tc->slot = nullptr;
            tc->s = nullptr; // (an idle server connection outlives the stream)
        }
    return PTC_CONTINUE;
}

const ptc_hook hooks[] = {
    {PTC_PHASE_CONNECTION, 0, on_connection}, // after a PROXY header (-1000)
    {PTC_PHASE_SRV_CONNECTED, 100, on_srv_connected}, // after send-proxy's preamble
    {PTC_PHASE_CLOSE, 0, on_close},
};

// ---- fetches -------------------------------------------------------------------------------

SSL* fc(ptc_stream* s)
{
    stream_st* st = state(s);
    // a failed handshake too: HAProxy's fetches read what it got to (error-log-format)
    return st && st->cli && (st->cli->hs_done || st->cli->early || st->cli->failed)
               ? st->cli->ssl
               : nullptr;
}
SSL* bc(ptc_stream* s)
{
    stream_st* st = state(s);
    return st && st->srv && st->srv->hs_done ? st->srv->ssl : nullptr;
}

int set_bool(ptc_sample* out, bool v)
{
    out->type = PTC_SMP_BOOL;
    out->flags = 0;
    out->u.sint = v;
    return 1;
}
int set_str(ptc_sample* out, const char* p, size_t n, uint32_t type = PTC_SMP_STR,
            uint32_t flags = PTC_SMPF_CONST)
{
    if (!p)
        return 0;
    out->type = type;
    out->flags = flags;
    out->u.str = ptc_str{p, n};
    return 1;
}
int set_cstr(ptc_sample* out, const char* p) { return p ? set_str(out, p, std::strlen(p)) : 0; }
int set_scratch(ptc_sample* out, const void* p, size_t n, uint32_t type)
{
    size_t cap = 0;
    char* b = host->scratch(&cap);
    if (n > cap)
        n = cap;
    std::memcpy(b, p, n);
    return set_str(out, b, n, type, 0);
}

int f_ssl_fc(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return set_bool(out, fc(s) != nullptr);
}
// ssl_fc_has_early: early data received and the handshake not complete yet
int f_fc_has_early(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    stream_st* st = state(s);
    if (!st || !st->cli)
        return 0;
    const tls_conn* tc = st->cli;
    return set_bool(out, tc->early && !tc->hs_done);
}
int f_ssl_bc(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return set_bool(out, bc(s) != nullptr);
}
int f_fc_sni(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    SSL* ssl = fc(s);
    return ssl ? set_cstr(out, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) : 0;
}
int proto_of(SSL* ssl, ptc_sample* out) { return ssl ? set_cstr(out, SSL_get_version(ssl)) : 0; }
int cipher_of(SSL* ssl, ptc_sample* out)
{
    return ssl ? set_cstr(out, SSL_get_cipher_name(ssl)) : 0;
}
int alpn_of(SSL* ssl, ptc_sample* out)
{
    if (!ssl)
        return 0;
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return n ? set_str(out, reinterpret_cast<const char*>(p), n) : 0;
}
// false without TLS too, as HAProxy
int reused_of(SSL* ssl, ptc_sample* out) { return set_bool(out, ssl && SSL_session_reused(ssl) == 1); }
int f_fc_protocol(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return proto_of(fc(s), o); }
int f_bc_protocol(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return proto_of(bc(s), o); }
int f_fc_cipher(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return cipher_of(fc(s), o); }
int f_bc_cipher(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return cipher_of(bc(s), o); }
int f_fc_alpn(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return alpn_of(fc(s), o); }
int f_bc_alpn(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return alpn_of(bc(s), o); }
int f_fc_reused(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return reused_of(fc(s), o); }
int f_bc_reused(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* o) { return reused_of(bc(s), o); }

// The captured ClientHello of the client connection (tune.ssl.capture-buffer-size).
const hello_capture* hello_of(ptc_stream* s)
{
    SSL* ssl = fc(s);
    auto* tc = ssl ? static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index())) : nullptr;
    return tc ? tc->hello.get() : nullptr;
}

bool is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

// A 2-byte list without its GREASE values when <filter> (HAProxy's filter_option 1).
std::string_view list16(const std::string& l, bool filter, std::string& tmp)
{
    if (!filter)
        return l;
    tmp.clear();
    for (size_t i = 0; i + 1 < l.size(); i += 2)
        if (!is_grease(uint16_t((unsigned char)l[i] << 8 | (unsigned char)l[i + 1])))
            tmp.append(l, i, 2);
    return tmp;
}

bool filter_arg(const ptc_arg* a, uint32_t n) { return n > 0 && a[0].sint == 1; }
// The internal "ssl_fc_cipherlist_bin(all)" of ssl_fc_cipherlist_xxh: the whole list
bool all_arg(const ptc_arg* a, uint32_t n) { return n > 0 && a[0].sint == 2; }

bool g_internal_compile = false; // compiling ssl_fc_cipherlist_xxh's expression
const ptc_expr* g_xxh_expr = nullptr;

// <filter_option>: 0 keeps the GREASE values (RFC 8701), 1 removes them
int check_filter(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs)
        return PTC_OK;
    std::string v(args[0].str.ptr, args[0].str.len);
    if (g_internal_compile && v == "all") {
        args[0].sint = 2;
        return PTC_OK;
    }
    if (v != "0" && v != "1")
        return host->cfg_errorf(ctx, "filter_option expects 0 or 1, got '%s'", v.c_str());
    args[0].sint = v == "1";
    return PTC_OK;
}

int f_fc_cipherlist_bin(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    std::string tmp;
    std::string_view v = list16(all_arg(a, n) ? h->ciphers_all : h->ciphers, filter_arg(a, n), tmp);
    return set_scratch(out, v.data(), v.size(), PTC_SMP_BIN);
}

// ssl_fc_cipherlist_xxh: HAProxy's XXH64 (seed 0) of the whole cipher list of the
// ClientHello, GREASE included, even past the capture size; the core's xxh64 converter
// computes it on the internal "ssl_fc_cipherlist_bin(all)".
int check_xxh(const ptc_kw_ctx* ctx, ptc_arg*, uint32_t)
{
    static const char k_expr[] = "ssl_fc_cipherlist_bin(all),xxh64";
    g_internal_compile = true;
    const ptc_expr* e = host->expr_compile(ctx, ptc_str{k_expr, sizeof(k_expr) - 1});
    g_internal_compile = false;
    if (!e)
        return PTC_ERROR;
    g_xxh_expr = e; // the same expression for every use: the last configuration's
    return PTC_OK;
}
int f_fc_cipherlist_xxh(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    if (!g_xxh_expr || !hello_of(s))
        return 0;
    ptc_sample smp;
    if (!host->expr_eval(s, g_xxh_expr, &smp) || smp.type != PTC_SMP_SINT)
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = smp.u.sint;
    return 1;
}

int f_fc_cipherlist_hex(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    std::string tmp, hex;
    std::string_view v = list16(h->ciphers, filter_arg(a, n), tmp);
    static const char d[] = "0123456789ABCDEF";
    for (unsigned char c : v) {
        hex += d[c >> 4];
        hex += d[c & 15];
    }
    return set_scratch(out, hex.data(), hex.size(), PTC_SMP_STR);
}

int f_fc_cipherlist_str(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    std::string tmp, str;
    std::string_view v = list16(h->ciphers, filter_arg(a, n), tmp);
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
        const SSL_CIPHER* c =
            SSL_CIPHER_find(fc(s), reinterpret_cast<const unsigned char*>(v.data() + i));
        const char* name = c ? SSL_CIPHER_get_name(c) : nullptr;
        if (!str.empty())
            str += ',';
        if (!name || std::strcmp(name, "(NONE)") == 0) {
            char u[24];
            snprintf(u, sizeof(u), "UNKNOWN(%04x)",
                     unsigned((unsigned char)v[i] << 8 | (unsigned char)v[i + 1]));
            str += u;
        } else {
            str += name;
        }
    }
    return set_scratch(out, str.data(), str.size(), PTC_SMP_STR);
}

int f_fc_extlist_bin(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    std::string tmp;
    std::string_view v = list16(h->exts, filter_arg(a, n), tmp);
    return set_scratch(out, v.data(), v.size(), PTC_SMP_BIN);
}

int f_fc_eclist_bin(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    std::string tmp;
    std::string_view v = list16(h->groups, filter_arg(a, n), tmp);
    return set_scratch(out, v.data(), v.size(), PTC_SMP_BIN);
}

int f_fc_ecformats_bin(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    return h ? set_scratch(out, h->ecformats.data(), h->ecformats.size(), PTC_SMP_BIN) : 0;
}

int f_fc_protocol_hello_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const hello_capture* h = hello_of(s);
    if (!h)
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = h->version;
    return 1;
}

// the client showed a certificate in this handshake: false on a resumed session, whose
// certificate only ssl_c_used sees (HAProxy)
int f_fc_has_crt(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    SSL* ssl = fc(s);
    return ssl ? set_bool(out, SSL_get0_peer_certificate(ssl) != nullptr && !SSL_session_reused(ssl))
               : 0;
}
int f_c_err(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    stream_st* st = state(s);
    if (!fc(s))
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = st->cli->crt_err;
    return 1;
}
int f_c_ca_err(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    stream_st* st = state(s);
    if (!fc(s))
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = st->cli->ca_err;
    return 1;
}
// ssl_fc_err, ssl_bc_err: the OpenSSL error code of the side's first error stack (0: none),
// of a handshake that failed too;
// ssl_fc_err_str, ssl_bc_err_str: its error string (no sample without one)
int side_err(ptc_stream* s, bool front, bool text, ptc_sample* out)
{
    // a failed handshake too: the error that failed it (error-log-format's use)
    stream_st* st = state(s);
    const tls_conn* tc = st ? (front ? st->cli : st->srv) : nullptr;
    unsigned long e;
    if (tc && (tc->hs_done || tc->failed))
        e = tc->ssl_err;
    else if (!tc && !front && st && st->srv_gone) // that server connection is closed
        e = st->srv_ssl_err;
    else
        return 0;
    if (text) {
        // OpenSSL's whole error string ("error:0A0000C1:SSL routines::no shared cipher"),
        // as HAProxy 2.6 built with OpenSSL 3 prints it
        if (!e)
            return 0;
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        return set_scratch(out, buf, std::strlen(buf), PTC_SMP_STR);
    }
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = (int64_t)e;
    return 1;
}
// bc_err, bc_err_str: HAProxy 2.6's connection error code (CO_ER_*) of the connection to the
// server and its message: a TLS failure ("SSL handshake failure", 34...), else 0 and
// "Success" (also before any server connection, where HAProxy has no sample). The codes of
// the TLS failures, as the core's fc_err numbers them.
struct co_err {
    int code;
    const char* msg;
};
const co_err k_tls_errs[] = {
    {24, "Connection closed during SSL handshake"},
    {25, "Connection error during SSL handshake"},
    {26, "Timeout during SSL handshake"},
    {27, "Too many SSL connections"},
    {28, "Out of memory when initializing an SSL connection"},
    {29, "Rejected a client-initiated SSL renegotiation attempt"},
    {30, "SSL client CA chain cannot be verified"},
    {31, "SSL client certificate not trusted"},
    {32, "Server presented an SSL certificate different from the configured one"},
    {33, "Server presented an SSL certificate different from the expected one"},
    {34, "SSL handshake failure"},
    {35, "SSL handshake failure after heartbeat"},
    {36, "Stopped a TLSv1 heartbeat attack (CVE-2014-0160)"},
    {37, "Attempt to use SSL on an unknown target (internal error)"},
    {38, "Server refused early data"},
    {43, "SSL fatal error"},
};
const co_err k_success{0, "Success"};
const co_err* bc_error(ptc_stream* s)
{
    stream_st* st = state(s);
    const char* why = st ? st->srv_why : nullptr;
    if (!why)
        return &k_success;
    const co_err* best = nullptr;
    size_t blen = 0;
    for (const co_err& e : k_tls_errs) {
        size_t n = std::strlen(e.msg);
        if (n > blen && !std::strncmp(why, e.msg, n)) {
            best = &e;
            blen = n;
        }
    }
    if (!best && !std::strcmp(why, "Out of memory during SSL handshake"))
        best = &k_tls_errs[4];
    return best ? best : &k_tls_errs[10]; // another TLS failure: a handshake failure
}
int f_bcerr(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = bc_error(s)->code;
    return 1;
}
int f_bcerr_str(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const co_err* e = bc_error(s);
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{e->msg, std::strlen(e->msg)};
    return 1;
}
int f_fc_err(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out) { return side_err(s, true, false, out); }
int f_fc_err_str(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out) { return side_err(s, true, true, out); }
int f_bc_err(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out) { return side_err(s, false, false, out); }
int f_bc_err_str(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out) { return side_err(s, false, true, out); }
int f_c_verify(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    SSL* ssl = fc(s);
    if (!ssl)
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = SSL_get0_peer_certificate(ssl) ? SSL_get_verify_result(ssl) : 0;
    return 1;
}

// "/C=FR/O=x/CN=y", or with <entry>[,<occ>] one entry's value (occ > 0 from the first,
// < 0 from the last; default: the first), as HAProxy's ssl_c_s_dn(CN); with an empty <entry>
// and <format> "rfc2253" (args[2].sint 1), the whole DN in RFC 2253 form.
int dn_sample(X509_NAME* nm, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    if (!nm)
        return 0;
    if (!n || !a[0].str.len) {
        if (n > 2 && a[2].sint == 1) {
            BIO* b = BIO_new(BIO_s_mem());
            if (!b)
                return 0;
            int ok = X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0;
            char* p = nullptr;
            long len = BIO_get_mem_data(b, &p);
            int r = ok && len >= 0 ? set_scratch(out, p, (size_t)len, PTC_SMP_STR) : 0;
            BIO_free(b);
            return r;
        }
        char buf[1024];
        if (!X509_NAME_oneline(nm, buf, sizeof(buf)))
            return 0;
        return set_scratch(out, buf, std::strlen(buf), PTC_SMP_STR);
    }
    int nid = OBJ_txt2nid(a[0].str.ptr);
    if (nid == NID_undef)
        return 0;
    std::vector<int> idx;
    for (int i = -1; (i = X509_NAME_get_index_by_NID(nm, nid, i)) >= 0;)
        idx.push_back(i);
    if (idx.empty())
        return 0;
    long occ = n > 1 && a[1].str.len ? std::strtol(a[1].str.ptr, nullptr, 10) : 1;
    long k = occ > 0 ? occ - 1 : (long)idx.size() + occ;
    if (occ == 0 || k < 0 || k >= (long)idx.size())
        return 0;
    ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx[(size_t)k]));
    return set_scratch(out, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d), PTC_SMP_STR);
}

// Which certificate a fetch family reads: 'c' the client's (ssl_c_*), 'f' the one this
// frontend showed (ssl_f_*), 's' the server's on the backend connection (ssl_s_*).
template <char W> X509* cert_of(ptc_stream* s)
{
    if constexpr (W == 'c') {
        SSL* ssl = fc(s);
        if (X509* x = ssl ? SSL_get0_peer_certificate(ssl) : nullptr)
            return x;
        // a handshake that failed verifying it: the certificate the client showed (HAProxy
        // keeps it for the error log)
        stream_st* st = state(s);
        return ssl && st->cli->failed ? st->cli->client_crt : nullptr;
    } else if constexpr (W == 'f') {
        SSL* ssl = fc(s);
        return ssl ? SSL_get_certificate(ssl) : nullptr;
    } else {
        SSL* ssl = bc(s);
        return ssl ? SSL_get0_peer_certificate(ssl) : nullptr;
    }
}
int f_c_used(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return fc(s) ? set_bool(out, cert_of<'c'>(s) != nullptr) : 0;
}
template <char W> int f_x_s_dn(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    return x ? dn_sample(X509_get_subject_name(x), a, n, out) : 0;
}
template <char W> int f_x_i_dn(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    return x ? dn_sample(X509_get_issuer_name(x), a, n, out) : 0;
}
template <char W> int f_x_serial(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    if (!x)
        return 0;
    const ASN1_INTEGER* sn = X509_get0_serialNumber(x);
    return set_scratch(out, ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn),
                       PTC_SMP_BIN);
}
template <char W> int f_x_sha1(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    if (!x)
        return 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(x, EVP_sha1(), md, &n) != 1)
        return 0;
    return set_scratch(out, md, n, PTC_SMP_BIN);
}
// As HAProxy: a UTCTime as it is (YYMMDDhhmmss[Z]); a GeneralizedTime of the years 20xx
// without its century (so also YYMMDDhhmmss[Z]); other years: none.
int time_sample(const ASN1_TIME* t, ptc_sample* out)
{
    if (!t)
        return 0;
    const unsigned char* d = ASN1_STRING_get0_data(t);
    int n = ASN1_STRING_length(t);
    if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME) {
        if (n < 12 || d[0] != '2' || d[1] != '0')
            return 0;
        d += 2;
        n -= 2;
    } else if (n < 12) {
        return 0;
    }
    return set_scratch(out, d, (size_t)n, PTC_SMP_STR);
}
template <char W> int f_x_notafter(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    return x ? time_sample(X509_get0_notAfter(x), out) : 0;
}
template <char W> int f_x_notbefore(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    return x ? time_sample(X509_get0_notBefore(x), out) : 0;
}
// The DER encoding, in the scratch buffer (none when it does not fit).
int der_append(X509* x, std::string& to)
{
    int n = i2d_X509(x, nullptr);
    if (n <= 0)
        return 0;
    size_t at = to.size();
    to.resize(at + (size_t)n);
    unsigned char* p = reinterpret_cast<unsigned char*>(to.data() + at);
    return i2d_X509(x, &p) == n;
}
int bin_out(const std::string& v, ptc_sample* out)
{
    size_t cap = 0;
    host->scratch(&cap);
    return v.size() <= cap ? set_scratch(out, v.data(), v.size(), PTC_SMP_BIN) : 0;
}
template <char W> int f_x_der(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    std::string v;
    return x && der_append(x, v) ? bin_out(v, out) : 0;
}
// The peer's chain as OpenSSL keeps it (on the frontend without the client's own
// certificate, on the backend with the server's), each DER after the other.
template <char W> int f_x_chain_der(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    SSL* ssl = W == 'c' ? fc(s) : bc(s);
    STACK_OF(X509)* chain = ssl ? SSL_get_peer_cert_chain(ssl) : nullptr;
    if (!chain)
        return 0;
    std::string v;
    for (int i = 0; i < sk_X509_num(chain); i++)
        if (!der_append(sk_X509_value(chain, i), v))
            return 0;
    return bin_out(v, out);
}
const char* alg_name(const ASN1_OBJECT* o)
{
    int nid = o ? OBJ_obj2nid(o) : NID_undef;
    return nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
}
template <char W> int f_x_sig_alg(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    if (!x)
        return 0;
    const X509_ALGOR* alg = nullptr;
    X509_get0_signature(nullptr, &alg, x);
    const ASN1_OBJECT* o = nullptr;
    if (alg)
        X509_ALGOR_get0(&o, nullptr, nullptr, alg);
    return set_cstr(out, alg_name(o));
}
template <char W> int f_x_key_alg(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    if (!x)
        return 0;
    ASN1_OBJECT* o = nullptr;
    if (X509_PUBKEY_get0_param(&o, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x)) != 1)
        return 0;
    return set_cstr(out, alg_name(o));
}
template <char W> int f_x_version(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    X509* x = cert_of<W>(s);
    if (!x)
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = X509_get_version(x) + 1;
    return 1;
}

// [<entry>[,<occ>[,<format>]]]: a known DN entry (or empty), an occurrence, "rfc2253"
int check_dn_args(const ptc_kw_ctx* c, ptc_arg* a, uint32_t n)
{
    if (n >= 1 && a[0].str.len && OBJ_txt2nid(a[0].str.ptr) == NID_undef)
        return host->cfg_errorf(c, "unknown DN entry '%s'", a[0].str.ptr);
    if (n >= 2 && a[1].str.len) {
        char* end = nullptr;
        std::strtol(a[1].str.ptr, &end, 10);
        if (!end || *end)
            return host->cfg_errorf(c, "invalid occurrence '%s'", a[1].str.ptr);
    }
    if (n >= 3) {
        std::string f(a[2].str.ptr, a[2].str.len);
        if (f != "rfc2253")
            return host->cfg_errorf(c, "only rfc2253 or a blank value are currently supported "
                                       "as the format argument, got '%s'", f.c_str());
        a[2].sint = 1;
    }
    return PTC_OK;
}

constexpr uint32_t A = PTC_USE_ANY;
const ptc_fetch fetches[] = {
    {"ssl_fc", PTC_SMP_BOOL, A, 0, 0, f_ssl_fc, nullptr, "ssl_fc: the client connection is TLS"},
    {"ssl_fc_sni", PTC_SMP_STR, A, 0, 0, f_fc_sni, nullptr, "ssl_fc_sni: SNI the client sent"},
    {"ssl_fc_has_early", PTC_SMP_BOOL, A, 0, 0, f_fc_has_early, nullptr,
     "ssl_fc_has_early: early data (0-RTT) received, the handshake not complete yet"},
    {"ssl_fc_protocol", PTC_SMP_STR, A, 0, 0, f_fc_protocol, nullptr,
     "ssl_fc_protocol: \"TLSv1.3\"..."},
    {"ssl_fc_cipher", PTC_SMP_STR, A, 0, 0, f_fc_cipher, nullptr, "ssl_fc_cipher: cipher name"},
    {"ssl_fc_cipherlist_bin", PTC_SMP_BIN, A, 0, 1, f_fc_cipherlist_bin, check_filter,
     "ssl_fc_cipherlist_bin([<filter_option>]): the ClientHello's cipher suites"},
    {"ssl_fc_cipherlist_hex", PTC_SMP_STR, A, 0, 1, f_fc_cipherlist_hex, check_filter,
     "ssl_fc_cipherlist_hex([<filter_option>]): the same in hexadecimal"},
    {"ssl_fc_cipherlist_str", PTC_SMP_STR, A, 0, 1, f_fc_cipherlist_str, check_filter,
     "ssl_fc_cipherlist_str([<filter_option>]): the same by name"},
    {"ssl_fc_cipherlist_xxh", PTC_SMP_SINT, A, 0, 0, f_fc_cipherlist_xxh, check_xxh,
     "ssl_fc_cipherlist_xxh: XXH64 of the ClientHello's whole cipher list"},
    {"ssl_fc_extlist_bin", PTC_SMP_BIN, A, 0, 1, f_fc_extlist_bin, check_filter,
     "ssl_fc_extlist_bin([<filter_option>]): the ClientHello's extension types"},
    {"ssl_fc_eclist_bin", PTC_SMP_BIN, A, 0, 1, f_fc_eclist_bin, check_filter,
     "ssl_fc_eclist_bin([<filter_option>]): its supported groups"},
    {"ssl_fc_ecformats_bin", PTC_SMP_BIN, A, 0, 0, f_fc_ecformats_bin, nullptr,
     "ssl_fc_ecformats_bin: its EC point formats"},
    {"ssl_fc_protocol_hello_id", PTC_SMP_SINT, A, 0, 0, f_fc_protocol_hello_id, nullptr,
     "ssl_fc_protocol_hello_id: the ClientHello's legacy version"},
    {"ssl_fc_alpn", PTC_SMP_STR, A, 0, 0, f_fc_alpn, nullptr, "ssl_fc_alpn: protocol chosen"},
    {"ssl_fc_is_resumed", PTC_SMP_BOOL, A, 0, 0, f_fc_reused, nullptr,
     "ssl_fc_is_resumed: the TLS session was resumed"},
    {"ssl_fc_session_reused", PTC_SMP_BOOL, A, 0, 0, f_fc_reused, nullptr,
     "ssl_fc_session_reused: the TLS session was resumed (ssl_fc_is_resumed)"},
    {"ssl_fc_has_crt", PTC_SMP_BOOL, A, 0, 0, f_fc_has_crt, nullptr,
     "ssl_fc_has_crt: the client showed a certificate"},
    {"ssl_c_used", PTC_SMP_BOOL, A, 0, 0, f_c_used, nullptr,
     "ssl_c_used: a client certificate was used"},
    {"ssl_c_verify", PTC_SMP_SINT, A, 0, 0, f_c_verify, nullptr,
     "ssl_c_verify: the client certificate's verification result (0: ok)"},
    {"ssl_c_err", PTC_SMP_SINT, A, 0, 0, f_c_err, nullptr,
     "ssl_c_err: first error ignored (crt-ignore-err) on the client certificate, 0: none"},
    {"ssl_fc_err", PTC_SMP_SINT, A, 0, 0, f_fc_err, nullptr,
     "ssl_fc_err: OpenSSL error code of the client connection's first error, 0: none"},
    {"ssl_fc_err_str", PTC_SMP_STR, A, 0, 0, f_fc_err_str, nullptr,
     "ssl_fc_err_str: its reason text"},
    {"bc_err", PTC_SMP_SINT, A, 0, 0, f_bcerr, nullptr,
     "bc_err: HAProxy's error code of the TLS server connection (0: none)"},
    {"bc_err_str", PTC_SMP_STR, A, 0, 0, f_bcerr_str, nullptr,
     "bc_err_str: the message of that code"},
    {"ssl_bc_err", PTC_SMP_SINT, A, 0, 0, f_bc_err, nullptr,
     "ssl_bc_err: OpenSSL error code of the server connection's first error, 0: none"},
    {"ssl_bc_err_str", PTC_SMP_STR, A, 0, 0, f_bc_err_str, nullptr,
     "ssl_bc_err_str: its reason text"},
    {"ssl_c_ca_err", PTC_SMP_SINT, A, 0, 0, f_c_ca_err, nullptr,
     "ssl_c_ca_err: first error ignored (ca-ignore-err) on the client chain, 0: none"},
    {"ssl_c_s_dn", PTC_SMP_STR, A, 0, 3, f_x_s_dn<'c'>, check_dn_args,
     "ssl_c_s_dn([<entry>[,<occ>[,<format>]]]): client certificate subject"},
    {"ssl_c_i_dn", PTC_SMP_STR, A, 0, 3, f_x_i_dn<'c'>, check_dn_args,
     "ssl_c_i_dn([<entry>[,<occ>[,<format>]]]): client certificate issuer"},
    {"ssl_c_serial", PTC_SMP_BIN, A, 0, 0, f_x_serial<'c'>, nullptr,
     "ssl_c_serial: client certificate serial number"},
    {"ssl_c_sha1", PTC_SMP_BIN, A, 0, 0, f_x_sha1<'c'>, nullptr,
     "ssl_c_sha1: SHA-1 of the client certificate"},
    {"ssl_c_notafter", PTC_SMP_STR, A, 0, 0, f_x_notafter<'c'>, nullptr,
     "ssl_c_notafter: client certificate end date (YYMMDDhhmmss[Z])"},
    {"ssl_c_notbefore", PTC_SMP_STR, A, 0, 0, f_x_notbefore<'c'>, nullptr,
     "ssl_c_notbefore: client certificate start date (YYMMDDhhmmss[Z])"},
    {"ssl_c_der", PTC_SMP_BIN, A, 0, 0, f_x_der<'c'>, nullptr,
     "ssl_c_der: client certificate in DER"},
    {"ssl_c_sig_alg", PTC_SMP_STR, A, 0, 0, f_x_sig_alg<'c'>, nullptr,
     "ssl_c_sig_alg: client certificate signature algorithm"},
    {"ssl_c_key_alg", PTC_SMP_STR, A, 0, 0, f_x_key_alg<'c'>, nullptr,
     "ssl_c_key_alg: client certificate public key algorithm"},
    {"ssl_c_version", PTC_SMP_SINT, A, 0, 0, f_x_version<'c'>, nullptr,
     "ssl_c_version: client certificate X.509 version (1, 3)"},
    {"ssl_c_chain_der", PTC_SMP_BIN, A, 0, 0, f_x_chain_der<'c'>, nullptr,
     "ssl_c_chain_der: peer chain in DER, certificates one after the other"},
    {"ssl_f_s_dn", PTC_SMP_STR, A, 0, 3, f_x_s_dn<'f'>, check_dn_args,
     "ssl_f_s_dn([<entry>[,<occ>[,<format>]]]): certificate the frontend showed subject"},
    {"ssl_f_i_dn", PTC_SMP_STR, A, 0, 3, f_x_i_dn<'f'>, check_dn_args,
     "ssl_f_i_dn([<entry>[,<occ>[,<format>]]]): certificate the frontend showed issuer"},
    {"ssl_f_serial", PTC_SMP_BIN, A, 0, 0, f_x_serial<'f'>, nullptr,
     "ssl_f_serial: certificate the frontend showed serial number"},
    {"ssl_f_sha1", PTC_SMP_BIN, A, 0, 0, f_x_sha1<'f'>, nullptr,
     "ssl_f_sha1: SHA-1 of the certificate the frontend showed"},
    {"ssl_f_notafter", PTC_SMP_STR, A, 0, 0, f_x_notafter<'f'>, nullptr,
     "ssl_f_notafter: certificate the frontend showed end date (YYMMDDhhmmss[Z])"},
    {"ssl_f_notbefore", PTC_SMP_STR, A, 0, 0, f_x_notbefore<'f'>, nullptr,
     "ssl_f_notbefore: certificate the frontend showed start date (YYMMDDhhmmss[Z])"},
    {"ssl_f_der", PTC_SMP_BIN, A, 0, 0, f_x_der<'f'>, nullptr,
     "ssl_f_der: certificate the frontend showed in DER"},
    {"ssl_f_sig_alg", PTC_SMP_STR, A, 0, 0, f_x_sig_alg<'f'>, nullptr,
     "ssl_f_sig_alg: certificate the frontend showed signature algorithm"},
    {"ssl_f_key_alg", PTC_SMP_STR, A, 0, 0, f_x_key_alg<'f'>, nullptr,
     "ssl_f_key_alg: certificate the frontend showed public key algorithm"},
    {"ssl_f_version", PTC_SMP_SINT, A, 0, 0, f_x_version<'f'>, nullptr,
     "ssl_f_version: certificate the frontend showed X.509 version (1, 3)"},
    {"ssl_s_s_dn", PTC_SMP_STR, A, 0, 3, f_x_s_dn<'s'>, check_dn_args,
     "ssl_s_s_dn([<entry>[,<occ>[,<format>]]]): server certificate subject"},
    {"ssl_s_i_dn", PTC_SMP_STR, A, 0, 3, f_x_i_dn<'s'>, check_dn_args,
     "ssl_s_i_dn([<entry>[,<occ>[,<format>]]]): server certificate issuer"},
    {"ssl_s_serial", PTC_SMP_BIN, A, 0, 0, f_x_serial<'s'>, nullptr,
     "ssl_s_serial: server certificate serial number"},
    {"ssl_s_sha1", PTC_SMP_BIN, A, 0, 0, f_x_sha1<'s'>, nullptr,
     "ssl_s_sha1: SHA-1 of the server certificate"},
    {"ssl_s_notafter", PTC_SMP_STR, A, 0, 0, f_x_notafter<'s'>, nullptr,
     "ssl_s_notafter: server certificate end date (YYMMDDhhmmss[Z])"},
    {"ssl_s_notbefore", PTC_SMP_STR, A, 0, 0, f_x_notbefore<'s'>, nullptr,
     "ssl_s_notbefore: server certificate start date (YYMMDDhhmmss[Z])"},
    {"ssl_s_der", PTC_SMP_BIN, A, 0, 0, f_x_der<'s'>, nullptr,
     "ssl_s_der: server certificate in DER"},
    {"ssl_s_sig_alg", PTC_SMP_STR, A, 0, 0, f_x_sig_alg<'s'>, nullptr,
     "ssl_s_sig_alg: server certificate signature algorithm"},
    {"ssl_s_key_alg", PTC_SMP_STR, A, 0, 0, f_x_key_alg<'s'>, nullptr,
     "ssl_s_key_alg: server certificate public key algorithm"},
    {"ssl_s_version", PTC_SMP_SINT, A, 0, 0, f_x_version<'s'>, nullptr,
     "ssl_s_version: server certificate X.509 version (1, 3)"},
    {"ssl_s_chain_der", PTC_SMP_BIN, A, 0, 0, f_x_chain_der<'s'>, nullptr,
     "ssl_s_chain_der: peer chain in DER, certificates one after the other"},
    {"ssl_bc", PTC_SMP_BOOL, A, 0, 0, f_ssl_bc, nullptr, "ssl_bc: the server connection is TLS"},
    {"ssl_bc_protocol", PTC_SMP_STR, A, 0, 0, f_bc_protocol, nullptr,
     "ssl_bc_protocol: server connection protocol version"},
    {"ssl_bc_cipher", PTC_SMP_STR, A, 0, 0, f_bc_cipher, nullptr,
     "ssl_bc_cipher: server connection cipher"},
    {"ssl_bc_alpn", PTC_SMP_STR, A, 0, 0, f_bc_alpn, nullptr,
     "ssl_bc_alpn: protocol the server chose"},
    {"ssl_bc_is_resumed", PTC_SMP_BOOL, A, 0, 0, f_bc_reused, nullptr,
     "ssl_bc_is_resumed: the server TLS session was resumed"},
};

// ---- runtime API: show ssl cert --------------------------------------------------------------

void print_time(ptc_cli_reply* r, const char* label, const ASN1_TIME* t)
{
    BIO* b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, t);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    host->cli_printf(r, "%s: %.*s\n", label, (int)n, p);
    BIO_free(b);
}

void print_name(ptc_cli_reply* r, const char* label, X509_NAME* nm)
{
    char buf[1024];
    X509_NAME_oneline(nm, buf, sizeof(buf));
    host->cli_printf(r, "%s: %s\n", label, buf);
}

int cli_show_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    for (cert* c : cert_all()) // the master's copy follows the files the workers reload
        cert_refresh(c, false, true);
    if (argc < 4) {
        if (const char* tx = reload_tx_path())
            host->cli_printf(r, "# transaction\n*%s\n", tx);
        host->cli_printf(r, "# filename\n");
        for (cert* c : cert_all())
            host->cli_printf(r, "%s\n", c->path.c_str());
        for (const std::string& n : cert_new_list())
            host->cli_printf(r, "%s\n", n.c_str());
        return PTC_OK;
    }
    std::string name(args[3].ptr, args[3].len);
    cert* c = cert_find(name);
    if (!c && cert_is_new(name)) {
        host->cli_printf(r, "Filename: %s\nStatus: Empty\n", name.c_str());
        return PTC_OK;
    }
    if (!c) {
        host->cli_printf(r, "certificate '%s' doesn't exist!\n", name.c_str());
        return PTC_ERROR;
    }
    X509* x = c->leaf;
    host->cli_printf(r, "Filename: %s\n", c->path.c_str());
    host->cli_printf(r, "Status: %s\n", c->users.empty() ? "Unused" : "Used");
    const ASN1_INTEGER* sn = X509_get0_serialNumber(x);
    host->cli_printf(r, "Serial: ");
    for (int i = 0; i < ASN1_STRING_length(sn); i++)
        host->cli_printf(r, "%02X", ASN1_STRING_get0_data(sn)[i]);
    host->cli_printf(r, "\n");
    print_time(r, "notBefore", X509_get0_notBefore(x));
    print_time(r, "notAfter", X509_get0_notAfter(x));
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x)))
        host->cli_printf(r, "Days to expiry: %d\n", days);
    host->cli_printf(r, "Subject Alternative Name: ");
    GENERAL_NAMES* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type == GEN_DNS)
            host->cli_printf(r, "%sDNS:%.*s", i ? ", " : "",
                             ASN1_STRING_length(gn->d.dNSName),
                             reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
    host->cli_printf(r, "\n");
    int bits = EVP_PKEY_get_bits(c->key);
    const char* alg = EVP_PKEY_get_base_id(c->key) == EVP_PKEY_RSA  ? "RSA"
                      : EVP_PKEY_get_base_id(c->key) == EVP_PKEY_EC ? "EC"
                                                                    : "other";
    host->cli_printf(r, "Algorithm: %s%d\n", alg, bits);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha1(), md, &n);
    host->cli_printf(r, "SHA1 FingerPrint: ");
    for (unsigned i = 0; i < n; i++)
        host->cli_printf(r, "%02X", md[i]);
    host->cli_printf(r, "\n");
    print_name(r, "Subject", X509_get_subject_name(x));
    print_name(r, "Issuer", X509_get_issuer_name(x));
    return PTC_OK;
}

const ptc_cli_cmd k_cli[] = {
    {"show ssl cert", "show ssl cert [<certfile>]",
     "display the SSL certificates used in memory, or the details of one", PTC_CLI_OPERATOR,
     cli_show_cert},
};

// ---- life ------------------------------------------------------------------------------------

// The API health checks use (ssl.h): whether a server's traffic is TLS.
uint32_t api_server_flags(const ptc_server* srv)
{
    const server_cf* sc = srv ? static_cast<const server_cf*>(
                                    host->server_conf(g_self, srv))
                              : nullptr;
    if (!sc)
        return 0;
    return (sc->o.ssl == 1 ? PTC_SSL_SRV_TLS : 0) |
           (sc->check_ssl == 1 ? PTC_SSL_SRV_CHECK_TLS : 0) |
           (sc->check_ssl == 2 ? PTC_SSL_SRV_NO_CHECK_TLS : 0);
}

int api_check_prepare(ptc_server* srv)
{
    return build_server(host->server_backend(srv), srv, true);
}

int api_check_transport(const ptc_server* srv, const char* sni, const char* alpn,
                        uint32_t flags, const ptc_transport** t, void** tctx)
{
    const server_cf* sc = srv ? static_cast<const server_cf*>(host->server_conf(g_self, srv))
                              : nullptr;
    if (!sc || !sc->ctx || !t || !tctx)
        return PTC_ERROR;
    reload_sync();
    SSL* ssl = SSL_new(sc->ctx);
    tls_conn* tc = ssl ? conn_new(ssl, nullptr, false) : nullptr;
    if (!tc) {
        SSL_free(ssl);
        return PTC_ERROR;
    }
    bool dflt = flags & PTC_SSL_CHK_DEFAULT;
    if (!sni && dflt)
        sni = sc->check_sni;
    // the server's "alpn" is part of its context in HAProxy: checks offer it too unless
    // the rule or "check-alpn" says otherwise
    const char* src = alpn ? alpn : (dflt && sc->check_alpn) ? sc->check_alpn : sc->o.alpn;
    std::string w = src ? alpn_wire(src, flags & PTC_SSL_CHK_NO_H2) : std::string();
    const char* aw = w.data();
    uint32_t al = (uint32_t)w.size();
    client_setup(ssl, sc, sni, aw, al);
    // a check resumes the server's last session and keeps its own for the next
    // connection or check, as HAProxy's checks share the server's
    tc->srv = srv;
    sess_offer(ssl, srv, sc, sni && *sni ? sni : nullptr);
    *t = &k_transport;
    *tctx = tc;
    return PTC_OK;
}

// Since 1.21: a TLS client of its own (Lua's Socket:connect_ssl), no verification.
int api_client_transport(const char* sni, const char* alpn, uint32_t flags,
                         const ptc_transport** t, void** tctx)
{
    static SSL_CTX* ctx = nullptr; // this worker's, made on first use
    if (!t || !tctx)
        return PTC_ERROR;
    if (!ctx) {
        ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx)
            return PTC_ERROR;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    SSL* ssl = SSL_new(ctx);
    tls_conn* tc = ssl ? conn_new(ssl, nullptr, false) : nullptr;
    if (!tc) {
        SSL_free(ssl);
        return PTC_ERROR;
    }
    if (sni && *sni)
        SSL_set_tlsext_host_name(ssl, sni);
    if (alpn && *alpn) {
        std::string w = alpn_wire(alpn, flags & PTC_SSL_CHK_NO_H2);
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(w.data()),
                            (unsigned)w.size());
    }
    *t = &k_transport;
    *tctx = tc;
    return PTC_OK;
}

const char* api_transport_error(void* tctx)
{
    const tls_conn* tc = static_cast<const tls_conn*>(tctx);
    return tc && tc->failed ? (tc->why ? tc->why : "SSL handshake failure") : nullptr;
}

const ptc_ssl_api k_api = {
    .size = sizeof(ptc_ssl_api),
    .server_flags = api_server_flags,
    .check_prepare = api_check_prepare,
    .check_transport = api_check_transport,
    .transport_error = api_transport_error,
    .client_transport = api_client_transport,
    .endpoint_new = endpoint_new,
    .endpoint_transport = endpoint_transport,
};

int init(ptc_modref* self)
{
    g_self = self;
    if (host->api_publish(self, PTC_SSL_API_NAME, PTC_SSL_API_VERSION, &k_api) != PTC_OK)
        return PTC_ERROR;
    opts_init(g.bind_def);
    opts_init(g.server_def);
    g_ex_index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    for (const ptc_cli_cmd& c : k_cli)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    if (ocsp_cli_register(self) != PTC_OK || tickets_cli_register(self) != PTC_OK ||
        crtlist_cli_register(self) != PTC_OK || runtime_cli_register(self) != PTC_OK ||
        cafile_cli_register(self) != PTC_OK ||
        stats_register(self) != PTC_OK)
        return PTC_ERROR;
    return reload_cli_register(self);
}

int post_config(ptc_modref*) { return build_all(); }

int worker_init(ptc_modref*)
{
    g_sessions.clear();
    reload_start();
    return PTC_OK;
}

void conf_init(ptc_modref*, uint32_t kind, void* conf)
{
    if (kind == PTC_CONF_SERVER)
        opts_init(static_cast<server_cf*>(conf)->o);
}

const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "ssl",
    .version = "1.0.0",
    .description = "TLS with OpenSSL 3: bind ... ssl crt, crt-list, SNI, ALPN, client "
                   "certificates, server ... ssl",
    .keywords = k_keywords,
    .keyword_count = k_keyword_count,
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .server_conf_size = sizeof(server_cf),
    .conf_init = conf_init,
    .init = init,
    .post_config = post_config,
    .worker_init = worker_init,
    .fetches = fetches,
    .fetch_count = PTC_COUNTOF(fetches),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .bind_conf_size = sizeof(bind_cf),
    .stream_state_size = sizeof(stream_st),
    .features = "OPENSSL",
};

} // namespace

} // namespace tls

PTC_MODULE_ENTRY(h)
{
    tls::host = h;
    return &tls::descriptor;
}
