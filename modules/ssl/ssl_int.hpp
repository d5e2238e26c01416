// SPDX-License-Identifier: MIT
// The ssl module's shared types: TLS settings of binds and servers, loaded certificates,
// per-connection transport state.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <portico/portico.h>

namespace tls {

extern const ptc_host* host;
extern ptc_modref* g_self;

// Protocol versions in order; bit i of the masks below is k_versions[i].
constexpr int k_nver = 5;
extern const int k_versions[k_nver];       // SSL3_VERSION .. TLS1_3_VERSION
extern const char* const k_ver_names[k_nver]; // "SSLv3", "TLSv1.0" .. "TLSv1.3"

// TLS settings shared by binds and servers. Strings are config-lifetime (cfg_strdup);
// 0/NULL/-1 = not set (then the ssl-default-* globals apply). POD: memcpy'd from
// default-server.
struct tls_opts {
    uint8_t ssl;          // "ssl" (servers: 2 = "no-ssl")
    uint8_t no_tickets;   // "no-tls-tickets"
    uint8_t prefer_client; // "prefer-client-ciphers"
    uint8_t strict_sni;   // "strict-sni"
    int8_t verify;        // -1 unset, 0 none, 1 optional, 2 required
    int8_t min_ver;       // index in k_versions, -1 unset
    int8_t max_ver;
    uint8_t no_ver;       // "no-sslv3", "no-tlsv1x" bits
    uint8_t force_ver;    // "force-*" bits
    const char* ciphers;
    const char* ciphersuites;
    const char* curves;
    const char* alpn;     // as written: "h2,http/1.1"
    const char* ca_file;
    const char* crl_file;
    const char* ca_ignore;  // "ca-ignore-err": "all" or IDs/names, comma-separated
    const char* crt_ignore; // "crt-ignore-err"
    const char* ca_verify_file; // "ca-verify-file": trusted for verifying, names not sent
};
void opts_init(tls_opts& o);

struct cert;

// A bind's TLS: its settings, certificates and built contexts (master, config time;
// inherited by the workers).
struct sni_entry {
    std::string name;     // lowercase; "*.example.com" for a wildcard
    bool neg = false;     // a crt-list "!name" exclusion
    size_t ctx;           // index in ctxs
};
struct bind_tls {
    tls_opts o;
    std::vector<std::string> crts;     // "crt" arguments (resolved with crt-base)
    std::vector<std::string> crt_lists; // "crt-list" files
    std::string file;                  // where the bind line is, for messages
    uint32_t line = 0;
    bool http = false;                 // the frontend is mode http (no h2 in ALPN)
    bool early = false;                // "allow-0rtt": TLS 1.3 early data accepted
    bool any_early = false;            // ... here or on one of its crt-list lines
    // built in post_config
    struct ctx_ent {
        SSL_CTX* ctx = nullptr;
        cert* c = nullptr;
        bool explicit_filters = false; // crt-list line with SNI filters: no names from the cert
        std::string list;              // the crt-list it comes from ("" : a crt)
        uint32_t lineno = 0;           // its line there
        bool removed = false;          // "del ssl crt-list": no name leads to it any more
        bool early = false;            // its crt-list line has "allow-0rtt"
    };
    std::vector<ctx_ent> ctxs;         // ctxs[0] is the default certificate's
    std::vector<sni_entry> names;      // exact names first, then wildcards
    std::string alpn_wire;             // ALPN list in wire format, for the select callback
    int ticket_ref = -1;               // "tls-ticket-keys": index of its key file (tickets.cpp)
    // "generate-certificates" (gencert.cpp): certificates forged for unknown SNI names,
    // signed by the "ca-sign-file" CA (loaded in post_config)
    bool gen_certs = false;
    std::string ca_sign_file, ca_sign_pass;
    X509* ca_cert = nullptr;
    STACK_OF(X509)* ca_chain = nullptr;
    EVP_PKEY* ca_key = nullptr;
};
struct bind_cf {
    bind_tls* t; // NULL: no TLS option on this address
};

// A server's TLS settings (POD, memcpy'd from default-server).
struct server_cf {
    tls_opts o;
    uint8_t no_reuse;        // "no-ssl-reuse"
    uint8_t verifyhost_set;
    const char* verifyhost;  // "verifyhost <name>"
    const char* crt;         // client certificate
    ptc_expr* sni;           // "sni <expr>"
    SSL_CTX* ctx;            // built in post_config
    char* alpn_wire;
    uint32_t alpn_wire_len;
    // health checks (ssl.h's check API)
    uint8_t check_ssl;       // 0 unset, 1 "check-ssl", 2 "no-check-ssl"
    const char* check_sni;   // "check-sni <name>"
    const char* check_alpn;  // "check-alpn <list>" as written
};
// Builds <srv>'s client context if its traffic ("ssl") or its checks need one and it has
// none yet (post_config, or the check module asking first). PTC_OK / PTC_ERROR (reported).
// ALPN "h2,http/1.1" in wire format (without h2/h3 when <drop_h2>).
std::string alpn_wire(const char* s, bool drop_h2);
int build_server(ptc_proxy* be, ptc_server* srv, bool for_checks);
// ssl.h's endpoint_new / endpoint_transport (since 1.23): TLS outside any proxy.
int endpoint_new(uint32_t role, const char* crt, const char* ca_file, int verify, const char* where,
                 void** ep);
int endpoint_transport(void* ep, const ptc_transport** t, void** tctx);
// Prepares <ssl> for a connection to the server of <sc>: SNI, the name to verify, ALPN in
// wire format (NULL: none).
void client_setup(SSL* ssl, const server_cf* sc, const char* sni, const char* alpn_wire,
                  uint32_t alpn_len);

// A loaded certificate (with key and chain), shared by the binds that name its file.
struct cert {
    std::string path;
    X509* leaf = nullptr;
    STACK_OF(X509)* chain = nullptr;
    EVP_PKEY* key = nullptr;
    std::vector<std::string> names; // CN and DNS SANs, lowercase
    time_t mtime = 0;
    std::vector<SSL_CTX*> users;    // contexts serving it
    std::vector<std::pair<bind_tls*, size_t>> bind_users; // (bind, index in its ctxs)
    std::string stamp;              // what the files looked like when last read (reload.cpp)
    // OCSP stapling (ocsp.cpp): the ".ocsp" side file's response, DER
    std::string ocsp;               // the response stapled (empty: none)
    time_t ocsp_expire = 0;         // its nextUpdate less 5 minutes: not stapled after
    std::string ocsp_key;           // DER of the OCSP certificate ID (empty: no ".ocsp" at load)
    // Certificate Transparency: the ".sctl" side file (a SignedCertificateTimestampList)
    std::string sctl;               // empty: none
    EVP_PKEY* dh = nullptr;         // DH parameters found in the PEM file (DHE), or none
};
// Reads "<path>.sctl" when present (ssl-load-extra-files sctl); false with <err> when it is
// there but unreadable or malformed.
bool sctl_load(cert* c, const std::string& path, std::string& err);
// Sends the certificate's SCT list to the clients of <ctx> that ask for it (TLS 1.2 and less).
void sctl_attach(SSL_CTX* ctx, const cert* c);
// The extra files read with a certificate (ssl-load-extra-files).
enum : uint32_t { EXTRA_KEY = 1, EXTRA_OCSP = 2, EXTRA_ISSUER = 4, EXTRA_SCTL = 8,
                  EXTRA_BUNDLE = 16,
                  EXTRA_ALL = EXTRA_KEY | EXTRA_OCSP | EXTRA_ISSUER | EXTRA_SCTL | EXTRA_BUNDLE };
// Reads <c>'s ".ocsp" (and ".issuer") side files from <path> as ssl-load-extra-files says:
// the response is checked against the certificate and its issuer. false with <err> set.
bool ocsp_load(cert* c, const std::string& path, std::string& err);
// Staples the certificate's OCSP response on handshakes asking for it (bind contexts).
void ocsp_attach(SSL_CTX* ctx, cert* c);
// Runtime API: "set/show ssl ocsp-response" (init), their shared area (post_config), the
// workers' update (their once-a-second tick).
int ocsp_cli_register(ptc_modref* self);
bool ocsp_reserve();
void ocsp_apply();
// The identity of <path>'s files on disk (and its ".key" side file): changes when either is
// replaced or rewritten.
std::string file_stamp(const std::string& path);
// Rereads <c>'s file if it changed on disk; on success the new certificate replaces the old
// in every context using it (install) and in the SNI names of its binds. A file that does
// not load leaves the old certificate in place. Logs either way unless quiet. Returns true
// when <c> was replaced.
bool cert_refresh(cert* c, bool install, bool quiet);
// Replaces <c>'s certificate with <n>'s (n keeps the old one), in every context using it
// (install) and in the SNI names of its binds.
void cert_replace(cert* c, cert* n, bool install, bool quiet);
// Worker: checks every certificate file (and the runtime API's commits) once a second.
void reload_start();
void reload_sync(); // before a handshake: apply the runtime API's pending changes
// Master: "set/commit/abort ssl cert" (registered in init), their shared area (post_config),
// the certificate of the ongoing transaction (NULL: none).
int reload_cli_register(ptc_modref* self);
bool reload_reserve();
const char* reload_tx_path();
// Loads <path> (PEM: certificate, chain, key; or the key in <path>.key). Returns NULL
// with <err> set.
cert* cert_load(const std::string& path, std::string& err);
// The same from a PEM in memory (the runtime API's payload); <path> names it.
cert* cert_load_mem(const std::string& pem, const std::string& path, std::string& err);
cert* cert_parse(BIO* b, const std::string& path, bool side_key, std::string& err);
void cert_free(cert* c);
// The certificate already loaded from <path>, or NULL.
cert* cert_find(const std::string& path);
std::vector<cert*>& cert_all();
// Installs <c> (leaf, chain, key) into <ctx>; in a bind's context also the DHE parameters,
// as HAProxy 2.6 picks them: the PEM file's, else ssl-dh-param-file's, else with
// tune.ssl.default-dh-param a predefined group the size of the RSA/DSA key up to that value
// (ffdhe4096, ffdhe2048, else a 1024-bit group), else none (no DHE). False with <err> set.
bool cert_install(SSL_CTX* ctx, const cert* c, std::string& err);

// Global settings ("ssl-default-*", crt-base, tune.ssl.*).
struct globals {
    std::string crt_base, ca_base;
    tls_opts bind_def, server_def;
    int server_verify = 2; // ssl-server-verify: 2 required (HAProxy's default), 0 none
    uint64_t cachesize = 20000;
    uint64_t lifetime_s = 300;
    uint64_t maxrecord = 0;
    uint64_t capture_size = 0; // tune.ssl.capture-buffer-size: ClientHello capture (0: none)
    uint32_t extra_files = 0xffffffffu; // ssl-load-extra-files: EXTRA_* bits (all)
    bool extra_del_ext = false; // ssl-load-extra-del-ext: "a.crt" has "a.key", not "a.crt.key"
    uint64_t ctx_cache = 1000; // tune.ssl.ssl-ctx-cache-size: forged certificates kept
    uint64_t dh_param = 0;     // tune.ssl.default-dh-param (0: not set, no predefined group)
    EVP_PKEY* dh = nullptr;    // ssl-dh-param-file's parameters
};
extern globals g;
// The side file <ext> (".key", ".ocsp", ".issuer", ".sctl") of certificate file <path>:
// <path><ext>, or with ssl-load-extra-del-ext and a ".crt" file, <path> less ".crt" + <ext>.
std::string extra_path(const std::string& path, const char* ext);

// generate-certificates (gencert.cpp): loads <bt>'s ca-sign-file (post_config; false with
// <err> in HAProxy's wording); the context serving a certificate forged for <name>
// (lowercase), from this worker's cache or made now (<owned>: not cached, the caller frees
// it once set); NULL when forging fails.
bool gen_load_ca(bind_tls* bt, std::string& err);
SSL_CTX* gen_ctx(bind_tls* bt, const std::string& name, bool& owned);
// cfg.cpp: a context of <bt> for a forged certificate <c> (no OCSP, SCT, reload).
SSL_CTX* make_forged_ctx(bind_tls* bt, cert* c, std::string& err);

// A crt-list line's options as (name, value) pairs: a flag ("allow-0rtt") gets an empty value.
void crtlist_pair_flags(std::vector<std::string>& options);

// Config time (cfg.cpp).
extern const ptc_keyword k_keywords[];
extern const uint32_t k_keyword_count;
int build_all(); // post_config: contexts for every bind and server
// "show ssl crt-list" (init).
int crtlist_cli_register(ptc_modref* self);
// Runtime crt-list changes ("add/del ssl crt-list"), made by the master and replayed by the
// workers (runtime.cpp): add <line> (its certificate loaded) to crt-list <list> in every bind
// using it (<nbinds> set); delete the entry of certificate <cert> (line <lineno>, 0: the only
// one). false with <err> (HAProxy's wording).
bool crtlist_exists(const std::string& list, bool& is_dir);
bool crtlist_add(const std::string& list, const std::string& line, size_t& nbinds,
                 std::string& err);
bool crtlist_del(const std::string& list, const std::string& cert, uint32_t lineno,
                 std::string& err);
// A certificate some bind or server uses.
bool cert_used(const cert* c);
// "new/del ssl cert", "add/del ssl crt-list": commands (init), the journal the workers replay
// (post_config), the replay (workers' tick).
int runtime_cli_register(ptc_modref* self);
bool runtime_reserve();
void runtime_apply();
bool runtime_pending(); // the runtime journal has operations this process has not replayed
// reload.cpp: "new ssl cert" certificates (empty until set + commit); commit of one.
bool cert_is_new(const std::string& path);
const std::vector<std::string>& cert_new_list();
void cert_new_add(const std::string& path);
bool cert_new_del(const std::string& path);
// Journals a committed certificate that was not in the configuration (runtime.cpp).
bool runtime_commit_new(const std::string& path, const std::string& file, std::string& err);

// CA and CRL files (cafile.cpp): <ctx>'s verify store from o's ca-file, ca-verify-file and
// crl-file, each read once and shared (false with <err>); a bind context verifying clients
// sends its ca-file's names; tracked contexts follow the runtime API's commits (the forged
// ones of generate-certificates too, while cached); a freed context forgotten; whether a file is known (loaded or
// "new ssl ca/crl-file"). Runtime API ("new/set/commit/abort/del/show ssl ca-file/crl-file"),
// the journal the workers replay (post_config), the replay (before a handshake, tick).
bool cafile_setup(SSL_CTX* ctx, const tls_opts& o, bool client_list, bool track,
                  std::string& err);
void cafile_forget(SSL_CTX* ctx);
bool cafile_known(const std::string& path, bool crl);
int cafile_cli_register(ptc_modref* self);
bool cafile_reserve();
bool cafile_pending();
void cafile_apply();

// The transport (xprt.cpp).
// What the client's ClientHello offered (tune.ssl.capture-buffer-size): the raw lists, each
// cut to the capture size, and the legacy version.
struct hello_capture {
    uint16_t version = 0;
    std::string ciphers;   // 2 bytes per cipher suite
    std::string ciphers_all; // the same, whole (ssl_fc_cipherlist_xxh hashes it all)
    std::string exts;      // 2 bytes per extension type
    std::string groups;    // supported_groups: 2 bytes each
    std::string ecformats; // ec_point_formats: 1 byte each
};

struct tls_conn {
    SSL* ssl = nullptr;
    std::unique_ptr<hello_capture> hello; // the ClientHello, when captured
    BIO* rbio = nullptr;
    BIO* wbio = nullptr;
    ptc_stream* s = nullptr;
    tls_conn** slot = nullptr; // the stream state's pointer to this, cleared at release
    const ptc_server* srv = nullptr; // server side: for the session cache
    bool server_role = false;  // we are the TLS server (client side of the stream)
    bool started = false;
    bool hs_done = false;
    bool failed = false;
    bool shut = false;
    bool woke = false;
    // 0-RTT ("allow-0rtt"): early data read with SSL_read_early_data before the handshake
    // ends (early_ok), that phase over (early_done), early data received (early)
    bool early_ok = false;
    bool early_done = false;
    bool early = false;
    // what the ClientHello's signature_algorithms and cipher suites allow (HAProxy's test):
    // bit 0 RSA, bit 1 ECDSA; -1 not seen (then RSA only)
    int8_t hello_sig = -1;
    bool forged = false;       // generate-certificates chose the context (or kept the default)
    unsigned long ssl_err = 0; // ssl_fc_err: the first OpenSSL error stack's last error
    int ca_err = 0;            // first verification error ignored at depth > 0 (ssl_c_ca_err)
    int crt_err = 0;           // ... at depth 0 (ssl_c_err)
    // the client certificate verification that failed the handshake: 1 at a CA of the
    // chain (fc_err 30), 2 at the certificate itself (31); 0 none
    uint8_t verify_fail = 0;
    X509* client_crt = nullptr; // the client's certificate when its verification failed
                               // (ssl_c_* fetches of the error log, as HAProxy keeps it)
    const char* why = nullptr; // HAProxy's connection error text on failure
    std::string info[4];       // ptc_transport.info's computed strings (ALPN, CN, key, verify)
};
extern const ptc_transport k_transport;
tls_conn* conn_new(SSL* ssl, ptc_stream* s, bool server_role);
void conn_free(tls_conn* tc);

// Per-stream state.
struct stream_st {
    tls_conn* cli;
    tls_conn* srv;
    const char* srv_why; // the TLS server connection's failure (bc_err), NULL: none
    // a TLS server connection closed before the stream's end: its ssl_bc_err (logged after)
    bool srv_gone;
    unsigned long srv_ssl_err;
};
stream_st* state(ptc_stream* s);

// Server-side session cache (this worker's): the last session of each server.
void sess_store(const ptc_server* srv, SSL_SESSION* sess);
SSL_SESSION* sess_get(const ptc_server* srv);
void sess_forget_all(); // a client certificate changed: no session made with the old one

int ex_index(); // SSL ex_data index of the tls_conn

// The server-side session cache shared by the workers (sesscache.cpp): reserved in
// post_config, attached to every bind context.
bool sess_cache_reserve();
void sess_cache_attach(SSL_CTX* ctx);
// Ticket keys derived per epoch of tune.ssl.lifetime from a secret drawn in the master
// (tickets.cpp): the same in every worker, rotating.
bool tickets_init();
void tickets_attach(SSL_CTX* ctx, const bind_tls* bt);
// "tls-ticket-keys <file>" (config time): the index of the file's keys (one per file, shared
// by the binds naming it), or -1 with <err> set (HAProxy's wording).
int tickets_load_file(const std::string& path, std::string& err);
// Runtime API: "show tls-keys", "set ssl tls-key" (init); the keys' shared area (post_config).
int tickets_cli_register(ptc_modref* self);
bool tickets_reserve();

// "show info"'s Ssl* fields (stats.cpp): the provider (init), the shared counters
// (post_config), the events counted (workers).
int stats_register(ptc_modref* self);
bool stats_reserve();
void stats_conn_open(bool frontend);
void stats_conn_close();
void stats_handshake(bool frontend, bool reused);
void stats_cache_lookup(bool hit);

} // namespace tls
