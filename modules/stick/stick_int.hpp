// SPDX-License-Identifier: MIT
// The stick module's shared declarations: configuration blobs and per-stream state.
#pragma once

#include <portico/http.h>
#include <portico/portico.h>

#include <stdint.h>

#include <string_view>

namespace stick {

extern const ptc_host* host;
extern ptc_modref* me;
extern const ptc_http_api* g_http; // the http module's API (post_config)

// Cookie modes (px_conf::mode).
constexpr uint32_t CK_PSV = 0; // passive: only read
constexpr uint32_t CK_INS = 1; // insert
constexpr uint32_t CK_RW = 2;  // rewrite
constexpr uint32_t CK_PFX = 3; // prefix

// Per-proxy configuration (inherited from defaults by memcpy: strings are config-lifetime).
struct px_conf {
    const char* ckname;  // "cookie" name, NULL: no persistence cookie
    uint32_t cklen;
    uint32_t mode;       // CK_*
    bool indirect, nocache, postonly, preserve, httponly, secure;
    bool persist;        // "option persist"
    const char* domain;  // "a; domain=b" for several, or NULL
    const char* attrs;   // "x; y" for several, or NULL
    uint32_t maxidle;    // seconds, 0: none
    uint32_t maxlife;    // seconds, 0: none
    void* table;         // this proxy's "stick-table" (table.cpp), or NULL
    bool dynamic;        // "cookie ... dynamic"
    const char* dynkey;  // "dynamic-cookie-key", or NULL
    uint32_t dynkeylen;
};

// Per-server configuration.
struct srv_conf {
    const char* cookie;  // the server's "cookie" value, or NULL
    uint32_t cklen;
};

// Per-stream state, reset at every request's backend phase.
struct stream_st {
    bool active;         // the backend has a persistence cookie
    bool post;           // the request is a POST
    bool cacheable;      // the request method allows a cacheable response
    char ck, sck;        // the log's cookie letters
    ptc_server* srv;     // the server the cookie designates
    uint32_t last_date;  // the cookie's dates (seconds since the epoch, 0: none)
    uint32_t first_date;
    bool force_prst;     // "force-persist" matched for this request
    bool ignore_prst;    // "ignore-persist" matched for this request
    uint8_t ntrack;      // tracked counters in use (fast path: none)
    uint8_t nstore;      // keys of "stick store-request"/"stick on" rules to store
    struct {
        void* t;         // the table of the tracked entry, or NULL
        int32_t idx;     // the entry (held: its use count counts this stream)
        uint32_t level;  // SCL_*
    } sc[3];
    uint64_t acct_in, acct_out; // the stream's bytes already added to the tracked entries
    struct {
        void* t;
        uint32_t keylen;
        unsigned char key[64];
    } store[4];
};

constexpr uint32_t k_max_key_len = 64; // "type string|binary len" at most

// Where a counter was tracked (stream_st::sc[].level): the connection's whole life
// ("tcp-request connection"), the stream's ("tcp-request content") or one HTTP
// transaction ("http-request", "http-response").
constexpr uint32_t SCL_SESS = 1, SCL_STREAM = 2, SCL_HTTP = 3;

inline px_conf* px_conf_of(const ptc_proxy* p) { return static_cast<px_conf*>(host->proxy_conf(me, p)); }
inline srv_conf* srv_conf_of(const ptc_server* s) { return static_cast<srv_conf*>(host->server_conf(me, s)); }
inline stream_st* state_of(ptc_stream* s) { return static_cast<stream_st*>(host->stream_modstate(me, s)); }

int hook_backend(ptc_stream* s, void* fe_conf, void* be_conf);
void persist_rules(ptc_stream* s, stream_st* st);
int hook_server_choice(ptc_stream* s, void* fe_conf, void* be_conf);
int hook_response(ptc_stream* s, void* fe_conf, void* be_conf);
int hook_http_request(ptc_stream* s, void* fe_conf, void* be_conf);
int hook_connection(ptc_stream* s, void* fe_conf, void* be_conf);
int hook_close(ptc_stream* s, void* fe_conf, void* be_conf);
int hook_txn_end(ptc_stream* s, void* fe_conf, void* be_conf);

// use_server.cpp: "use-server" rules
int parse_use_server(const ptc_kw_ctx* ctx);
int use_server_post_config(ptc_modref* self);
// The server the backend's first matching rule names (skipping stopped ones unless
// persistence is forced), or NULL.
ptc_server* use_server_choice(ptc_stream* s, const px_conf* pc);

// table.cpp
int parse_stick_table_kw(const ptc_kw_ctx* ctx);
int table_init(ptc_modref* self);
int table_post_config(ptc_modref* self);
// Publishes the stick API (stick.h, ABI 1.24) from init.
int table_publish(ptc_modref* self);
void table_response(ptc_stream* s, int status);
int parse_stick_kw(const ptc_kw_ctx* ctx);
int parse_peers_kw(const ptc_kw_ctx* ctx);
int peers_worker_init(ptc_modref* self);
void stick_backend(ptc_stream* s);
int stick_server_choice(ptc_stream* s);
void stick_store(ptc_stream* s);
void stick_store_response(ptc_stream* s);

} // namespace stick
