// SPDX-License-Identifier: MIT
// Internal declarations shared by the http module's files: per-stream state, proxy conf, helpers.
#pragma once

#include <portico/portico.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "h1.hpp"

namespace portico::http {

// Host table and our own module reference (set by the entry point and init()).
extern const ptc_host* host;
extern ptc_modref* self;

// Maximum number of header fields of a message (HAProxy's default tune.http.maxhdr).
inline constexpr size_t max_hdr = 101;

// ---- configuration ---------------------------------------------------------------------------

// One "http-request return" rule, built at configuration time. The response is kept as one
// contiguous string: <head> (status line and fields, without the final empty line), then
// "\r\n", then the body, so the common keep-alive answer is a single append.
struct return_rule {
    const char* full;    // head "\r\n" body, config-lifetime memory
    uint32_t head_len;   // bytes of the head before the final "\r\n"
    uint32_t body_len;   // bytes of the body (after head and "\r\n")
    uint16_t status;
};

// This module's conf blob for a proxy (frontend, backend, listen or defaults).
struct proxy_conf {
    return_rule* rules;   // "http-request return" rules, in order (host->alloc'd array)
    uint32_t rule_count;
    uint32_t reserved;
    uint64_t tmo_request; // timeout http-request, PTC_TMO_DEFAULT if unset
    uint64_t tmo_idle;    // keep-alive idle: http-keep-alive, else http-request, else DEFAULT
    uint64_t tmo_tunnel;  // timeout tunnel, PTC_TMO_DEFAULT if unset
    uint32_t reuse;       // http-reuse: REUSE_* (backend side)
};

// "http-reuse" modes (HAProxy's): how server connections are shared between streams.
enum : uint32_t { REUSE_NEVER, REUSE_SAFE, REUSE_AGGRESSIVE, REUSE_ALWAYS };

void conf_init(ptc_modref* self, uint32_t kind, void* conf);
void conf_copy(ptc_modref* self, uint32_t kind, void* dst, const void* src);
int parse_http_request(const ptc_kw_ctx* ctx);
int parse_http_reuse(const ptc_kw_ctx* ctx);

// ---- per-stream state --------------------------------------------------------------------------

// Stream state machine (see the comment at the top of http.cpp).
enum class st : uint8_t {
    WAIT_REQ,   // waiting for a complete request header block
    REQ_HOOKS,  // request head parsed and pending: hooks and rules (may yield)
    CONNECTING, // waiting for the server connection; request head still pending
    EXCHANGE,   // request head forwarded: request body and response in progress
    TUNNEL,     // after 101 or a 2xx to CONNECT: opaque bytes both ways
    CLOSED,     // stream_close() was called: nothing more to do
};

// Body progress of one direction.
enum class body : uint8_t {
    DONE,        // no body left to forward
    LENGTH,      // auto-forwarding a Content-Length body (the host counts)
    CHUNKED,     // chunked body, validated and forwarded by chunked_feed()
    UNTIL_CLOSE, // response body delimited by the server closing
    TUNNEL,      // response opens a tunnel (101, 2xx to CONNECT)
};

// Response progress within EXCHANGE.
enum class res_st : uint8_t {
    WAIT_HEAD, // waiting for a (final or interim) response header block
    HOOKS,     // final response head parsed and pending: HTTP_RESPONSE hooks (may yield)
    BODY,      // head forwarded, body in progress
    DONE,      // complete
};

// Which message the API and the header index currently describe.
enum class api_phase : uint8_t { NONE, REQ, RES };

// A header field of the pending head, as offsets from the start of the channel's pending data
// (which is where the head starts while it is pending). Offsets survive buffer moves.
struct hdr_ref {
    uint32_t name_off;
    uint32_t value_off;
    uint32_t value_len;
    uint16_t name_len;
    uint16_t reserved;
};

// The header index of the pending head (request or response, never both at once).
struct head_index {
    uint32_t head_len;  // bytes of the whole header block
    uint32_t eoh_off;   // offset of the terminating empty line
    uint32_t count;     // entries used in hdr
    uint32_t reserved;
    hdr_ref hdr[max_hdr];
};

// Per-transaction part of the stream state, reset between keep-alive requests.
struct txn_cur {
    res_st res;
    body req_body;
    body res_body;
    api_phase phase;
    bool cli_close;      // the client connection ends after this transaction (announced)
    bool cli_eof;        // the client half-closed: end after this transaction, silently
    bool req_close;      // the request asked to close (the server will close too)
    bool srv_ka;         // the request as sent lets the server keep the connection
    bool req_ka10;       // HTTP/1.0 client asked for keep-alive: answer "connection: keep-alive"
    bool res_close;      // the response asked to close (or is delimited by the close)
    bool res_started;    // bytes of the final response head were released to the client
    bool replied;        // a generated response answers the current request
    bool is_head;        // request method is HEAD
    bool is_connect;     // request method is CONNECT
    uint8_t req_minor;   // request HTTP minor version
    uint16_t res_status; // final response status
    uint32_t last_len;   // pending length at the previous H1_INCOMPLETE (resumable parse)
    uint32_t method_off; // request line parts, offsets in the pending head
    uint32_t method_len;
    uint32_t target_off;
    uint32_t target_len;
    uint64_t req_len;    // Content-Length of the request body
    uint64_t res_len;    // Content-Length of the response body
    uint64_t res_avail;  // response bytes pending after the head when it was parsed
    uint64_t drain_len;  // request bytes to drop after a generated reply
};

// Per-stream state (ptc_proto.state_size), zeroed by the host at open; no heap memory.
struct txn {
    st state;
    bool first_req;      // no transaction completed yet on this connection (408 when idle)
    bool srv_alive;      // a server connection is established
    bool srv_reusable;   // ... and may carry the next request
    bool req_more;       // request bytes may be pending beyond the current request
    bool srv_tmo_armed;  // the server timer is armed (it stays armed across requests)
    bool be_selected;    // stream_select_backend() succeeded
    uint64_t cli_tmo;    // value the client timer was last set to
    const proxy_conf* fe_conf;
    const proxy_conf* be_conf;
    txn_cur cur;
    h1::chunk_state req_chunk;
    h1::chunk_state res_chunk;
    head_index idx;      // header index of the pending head (see api_phase)
};

// The stream's state from the API side.
inline txn& txn_of(ptc_stream* s) { return *static_cast<txn*>(host->stream_state(s)); }

// ---- header index (hdr.cpp) -------------------------------------------------------------------

// Fills <t>.idx from a successful parse of a head starting at <base>, <head_len> bytes.
void index_head(head_index& idx, const char* base, const h1::header* h, size_t n,
                size_t head_len);
// Finds the <occ>-th header named <name>; returns its index position or -1.
int index_find(const head_index& idx, const char* base, std::string_view name, uint32_t occ);
// True if a Connection header of the indexed head lists <token>.
bool index_conn_has(const head_index& idx, const char* base, std::string_view token);
// Appends "name: value\r\n" before the end of the pending head of <dir>. PTC_OK/PTC_ERROR.
int head_add(ptc_stream* s, uint32_t dir, head_index& idx, std::string_view name,
             std::string_view value);
// Removes every header named <name>. PTC_OK if at least one was removed, else PTC_ERROR.
int head_del(ptc_stream* s, uint32_t dir, head_index& idx, const char* base,
             std::string_view name);
// Removes a Connection header whose only token is <token>; true if removed.
bool head_del_conn_only(ptc_stream* s, uint32_t dir, head_index& idx, const char* base,
                        std::string_view token);

extern const ptc_http_api http_api;

// ---- generated responses (reply.cpp) -----------------------------------------------------------

// Builds the error pages; called once from init().
void build_error_pages();
// The complete error response for <status> (500 for unknown codes). <close_hdr> selects the
// variant announcing "connection: close" (pages that do not always carry it).
std::string_view error_page(int status, bool close_hdr);
// Reason phrase for <status> (HAProxy's wording).
const char* reason_phrase(int status);
// Appends a response built from status/content-type/body to the RES channel and forwards it.
// <conn> is "" or "close" or "keep-alive" (connection header). PTC_OK or PTC_ERROR.
int send_generated(ptc_stream* s, int status, std::string_view ctype, std::string_view body,
                   std::string_view conn);
// Sends a configured return rule with the given connection header ("", "close", "keep-alive").
int send_rule(ptc_stream* s, const return_rule& r, std::string_view conn);

// ---- stream handler (http.cpp) ----------------------------------------------------------------

// Prepares the end of the current request for a generated answer: decides whether the
// client connection can stay open (the whole request body is already pending) and returns
// the connection header value to announce. Used by reply() and the return rules.
std::string_view reply_prepare(ptc_stream* s, txn& t);

int on_event(ptc_stream* s, void* state, uint32_t events);

} // namespace portico::http
