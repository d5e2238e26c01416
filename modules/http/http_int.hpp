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

// Header fields of a message: tune.http.maxhdr (read in post_config, HAProxy's default 101),
// at most max_hdr_cap (the size of the per-stream index, fixed at build time).
inline constexpr size_t max_hdr_cap = 256;
extern uint32_t max_hdr;
// Largest request header block: tune.bufsize - tune.maxrewrite (431 beyond).
extern size_t head_limit;

// Bytes of the request line kept per stream for logs and for request fetches in the response
// phase (HAProxy's tune.http.logurilen default).
inline constexpr size_t reqline_cap = 1024;

// ---- configuration ---------------------------------------------------------------------------

// A configured reply ("http-request return", "deny", "redirect"...), built at configuration
// time. A static reply is kept as one contiguous string: <head> (status line and fields,
// without the final empty line), then "\r\n", then the body, so the common keep-alive answer
// is a single append. A dynamic reply has log-format parts evaluated per use.
struct reply_def {
    const char* full;    // static: head "\r\n" body, config-lifetime memory
    uint32_t head_len;   // static: bytes of the head before the final "\r\n"
    uint32_t body_len;   // static: bytes of the body (after head and "\r\n")
    uint16_t status;
    uint8_t kind;        // REPLY_*
    uint8_t reserved;
    uint32_t nhdr;       // dynamic: extra header fields
    const char** hdr_names;      // dynamic: lower-case names
    ptc_logfmt** hdr_vals;       // dynamic: values
    const char* ctype;           // dynamic: content-type or NULL
    ptc_logfmt* body_lf;         // dynamic: lf-string / lf-file body, or NULL
};

enum : uint8_t {
    REPLY_STATIC,    // <full> as is
    REPLY_ERRORFILE, // the proxy's error page for <status> (errorfile, else built-in)
    REPLY_DYNAMIC,   // built per use from log-format parts
    REPLY_NONE,      // an empty errorfile: nothing is sent, the connection is closed
    REPLY_ERRSEC,    // "errorfiles <section>" (<full> its name), resolved by post_config
};

// Resolves the replies that name an http-errors section (post_config): PTC_OK, or
// PTC_ERROR after reporting an unknown section.
int replies_resolve();

// Connection modes (option http-keep-alive / http-server-close / httpclose); the strongest
// of the frontend's and the backend's applies, as in HAProxy.
enum : uint8_t { CM_UNSET, CM_KAL, CM_SCL, CM_CLO };

// retry-on keywords (bits of proxy_conf::retry_on).
enum : uint32_t {
    RETRY_CONN_FAILURE = 1u << 0,
    RETRY_EMPTY_RESPONSE = 1u << 1,
    RETRY_JUNK_RESPONSE = 1u << 2,
    RETRY_RESPONSE_TIMEOUT = 1u << 3,
    RETRY_0RTT_REJECTED = 1u << 4,
    RETRY_404 = 1u << 5,
    RETRY_408 = 1u << 6,
    RETRY_425 = 1u << 7,
    RETRY_500 = 1u << 8,
    RETRY_501 = 1u << 9,
    RETRY_502 = 1u << 10,
    RETRY_503 = 1u << 11,
    RETRY_504 = 1u << 12,
    RETRY_SET = 1u << 31, // retry-on was configured (even "none")
};
// Retry conditions that need the request to be kept for a replay (L7 retries).
inline constexpr uint32_t retry_l7_mask = ~(RETRY_CONN_FAILURE | RETRY_SET);

// This module's conf blob for a proxy (frontend, backend, listen or defaults).
// option forwardfor|originalto [except <network>] [header <name>] [if-none]: a header
// carrying one of the stream's addresses to the server.
struct addr_hdr_conf {
    bool on;
    bool if_none;            // forwardfor only: not when the request has the header
    bool except4, except6;   // except <network>, per family
    uint8_t net4[4], mask4[4];
    uint8_t net6[16], mask6[16];
    const char* hdr;         // header name (the option's default when NULL)
    uint32_t hdr_len;
};

// compression algorithms (CA_*), as "compression algo" names them
enum : uint8_t { CA_NONE, CA_IDENTITY, CA_GZIP, CA_DEFLATE, CA_RAW_DEFLATE };

// compression algo|type|offload of a proxy (HAProxy keeps both lists last-listed first)
struct comp_conf {
    uint8_t algos[16];     // CA_*, in priority order
    uint8_t nalgos;
    bool offload;          // drop Accept-Encoding from requests (frontend/backend only)
    uint32_t ntypes;
    const ptc_str* types;  // Content-Type prefixes to compress, in priority order
};

// One proxy-level "redirect" rule (a list per proxy, in configuration order).
struct redirect_rule {
    void* act;            // the redirect action's state (actions.cpp)
    ptc_cond* cond;       // if/unless, or NULL
    redirect_rule* next;
};

struct proxy_conf {
    uint64_t tmo_request;    // timeout http-request, PTC_TMO_DEFAULT if unset
    uint64_t tmo_idle;       // keep-alive idle: http-keep-alive, else http-request, else DEFAULT
    uint64_t tmo_tunnel;     // timeout tunnel, PTC_TMO_DEFAULT if unset
    uint64_t tmo_client_fin; // timeout client-fin, 0 if unset
    uint64_t tmo_server_fin; // timeout server-fin, 0 if unset
    uint64_t tmo_tarpit;     // timeout tarpit, else timeout connect, else 0
    uint32_t reuse;          // http-reuse: REUSE_* (backend side)
    uint8_t conn_mode;       // CM_*
    bool accept_invalid_req; // option accept-invalid-http-request
    bool accept_invalid_res; // option accept-invalid-http-response
    bool abortonclose;       // option abortonclose (backend side)
    bool ignore_probes;      // option http-ignore-probes (frontend side)
    bool pretend_ka;         // option http-pretend-keepalive (backend side)
    bool buffer_req;         // option http-buffer-request
    uint8_t restrict_names;  // option http-restrict-req-hdr-names: 0 preserve, 1 delete, 2 reject
    uint32_t monitor_uri_len;
    const char* monitor_uri; // monitor-uri, or NULL
    uint32_t retry_on;       // RETRY_* bits
    uint32_t uid_hdr_len;    // unique-id-header: name length (0: none)
    const char* uid_hdr;     // unique-id-header name, or NULL
    addr_hdr_conf ff;        // option forwardfor
    addr_hdr_conf ot;        // option originalto: the local address the client connected to
    redirect_rule* redirects; // "redirect" rules (never in defaults)
    comp_conf comp;          // compression
    bool raw;                // not "mode http": its streams belong to another protocol
                             // (tcp); the fetches parse their request bytes (fetch.cpp)
};

// "http-reuse" modes (HAProxy's): how server connections are shared between streams.
enum : uint32_t { REUSE_NEVER, REUSE_SAFE, REUSE_AGGRESSIVE, REUSE_ALWAYS };

void conf_init(ptc_modref* self, uint32_t kind, void* conf);
void conf_copy(ptc_modref* self, uint32_t kind, void* dst, const void* src);
int parse_http_reuse(const ptc_kw_ctx* ctx);
int parse_option_forwardfor(const ptc_kw_ctx* ctx);
int parse_option_originalto(const ptc_kw_ctx* ctx);
int parse_option_conn_mode(const ptc_kw_ctx* ctx);
int parse_monitor_uri(const ptc_kw_ctx* ctx);
int parse_retry_on(const ptc_kw_ctx* ctx);
int parse_option_accept_invalid(const ptc_kw_ctx* ctx);
int parse_option_restrict_names(const ptc_kw_ctx* ctx);
int parse_unique_id_header(const ptc_kw_ctx* ctx);
// "redirect ..." as a proxy keyword (actions.cpp), and running a proxy's list of them after
// its http-request rules: PTC_ACT_CONTINUE when none applied.
int parse_proxy_redirect(const ptc_kw_ctx* ctx);
// option http-buffer-request: waits for the whole request body (or a full buffer, or the
// client's end) for at most <time> ms as "wait-for-body" does: PTC_ACT_CONTINUE when done,
// PTC_ACT_YIELD while waiting, PTC_ACT_DONE when it answered 408.
int wait_request_body(ptc_stream* s, uint64_t time);
// Request-line and status rewrites for the published API (actions.cpp): PTC_OK/PTC_ERROR.
int req_line_set(ptc_stream* s, uint32_t part, std::string_view v);
int res_status_set(ptc_stream* s, int status, std::string_view reason);
// compression (comp.cpp): the keywords; the algorithm chosen once the request rules ran;
// at the response head, whether to compress (the head's edits done, txn::comp set); the
// body's transformation (the response step) and the state's release.
int parse_compression(const ptc_kw_ctx* ctx);
int parse_comp_global(const ptc_kw_ctx* ctx);
void comp_select_request(ptc_stream* s, struct txn& t);
bool comp_start_response(ptc_stream* s, struct txn& t);
void comp_free(struct txn& t);
enum { CP_WAIT, CP_AGAIN, CP_ABORT_SRV, CP_ABORT_INT };
int comp_pump(ptc_stream* s, struct txn& t);
int f_res_comp(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out);
int f_res_comp_algo(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out);
int run_proxy_redirects(ptc_stream* s, const proxy_conf* c);

// Builds a reply from "return"-style words ctx->args[first..): status, content-type,
// string/file/lf-string/lf-file, errorfile, hdr. <def_status> applies without "status";
// <deny> selects deny's rules (deny_status, the error page by default). Sets *next.
int parse_reply(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, int def_status,
                bool deny, reply_def* out);

// The action table (actions.cpp) and the fetch table (fetch.cpp).
extern const ptc_action actions[];
extern const uint32_t action_count;
extern const ptc_fetch fetches[];
extern const uint32_t fetch_count;
extern const ptc_conv convs[];
extern const uint32_t conv_count;

// ---- per-stream state --------------------------------------------------------------------------

// Stream state machine (see the comment at the top of http.cpp).
enum class st : uint8_t {
    WAIT_REQ,   // waiting for a complete request header block
    REQ_HOOKS,  // request head parsed and pending: hooks and rules (may yield)
    CONNECTING, // waiting for the server connection; request head still pending
    EXCHANGE,   // request head forwarded: request body and response in progress
    TUNNEL,     // after 101 or a 2xx to CONNECT: opaque bytes both ways
    CLOSED,     // stream_close() was called: nothing more to do
    SERVICE,    // an HTTP service (ABI 1.5) generates the response (service.cpp)
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
    hdr_ref hdr[max_hdr_cap];
};

// Steps of the request processing in REQ_HOOKS (resumable after a yield). BE_TCP: the
// backend's tcp-request content rules.
enum class rq_step : uint8_t { HOOKS, FE_RULES, BACKEND, BE_TCP, BE_RULES, FORWARD };
// Steps of the response processing in res_st::HOOKS. TCP_RULES: the backend's
// tcp-response content rules, first (HAProxy's response analysers' order).
enum class rs_step : uint8_t { TCP_RULES, HOOKS, BE_RULES, FE_RULES, FORWARD };

// Per-transaction part of the stream state, reset between keep-alive requests.
struct txn_cur {
    res_st res;
    body req_body;
    body res_body;
    api_phase phase;
    rq_step rq;          // progress in REQ_HOOKS
    rs_step rs;          // progress in res_st::HOOKS
    bool cli_close;      // the client connection ends after this transaction (announced)
    bool cli_eof;        // the client half-closed: end after this transaction, silently
    bool req_close;      // the request asked to close (the server will close too)
    bool srv_ka;         // the request as sent lets the server keep the connection
    bool req_ka10;       // HTTP/1.0 client asked for keep-alive: answer "connection: keep-alive"
    bool res_close;      // the response asked to close (or is delimited by the close)
    bool res_started;    // bytes of the final response head were released to the client
    bool replied;        // a generated response answers the current request
    bool is_head;        // request method is HEAD
    bool cli_head;       // the client's request method was HEAD (rules may change is_head)
    bool lead_lines;     // empty lines came before the request line (dropped, not sent on)
    bool is_connect;     // request method is CONNECT
    bool logged;         // stream_log_txn was called for this transaction
    bool ended;          // the PTC_PHASE_TXN_END hooks ran for this transaction
    bool replayable;     // the request is kept (chan_mark) for an L7 retry
    bool no_l7_retry;    // http-request disable-l7-retry
    bool eh_open;        // early-hint: a 103 head is being written to the response channel
    bool expect_100;     // the request carries "Expect: 100-continue"
    uint8_t req_minor;   // request HTTP minor version
    uint8_t log_level;   // set-log-level: 0 = unchanged, else level + 1 (8 = debug), 9 = silent
    uint8_t l7_retries;  // L7 retries done for this request
    uint8_t res_minor;   // response HTTP minor version
    uint8_t comp_algo;   // CA_* chosen from the request (compression), CA_NONE if none
    bool comp_on;        // the response body is compressed (txn::comp)
    char term[2];        // termination state (log), 0 = not set yet
    uint16_t res_status; // final response status
    uint16_t log_status; // status sent to the client (logs), 0 = none
    uint32_t last_len;   // pending length at the previous H1_INCOMPLETE (resumable parse)
    uint32_t method_off; // request line parts, offsets in the pending head
    uint32_t method_len;
    uint32_t target_off;
    uint32_t target_len;
    uint32_t reqline_len; // bytes of txn::reqline in use
    uint64_t req_len;    // Content-Length of the request body
    uint64_t res_len;    // Content-Length of the response body
    uint64_t res_avail;  // response bytes pending after the head when it was parsed
    uint64_t drain_len;  // request bytes to drop after a generated reply
    uint64_t t_start;    // now_ms() at the start of the transaction
    uint64_t tarpit_until; // http-request tarpit: now_ms() of the answer (0: not tarpitted)
    uint64_t wfb_until;    // wait-for-body: now_ms() when the wait ends (0: not waiting)
    bool body_buffered;    // option http-buffer-request: the wait is over for this request
    uint64_t t_request;  // request head complete
    uint64_t t_response; // response head received
    uint64_t bytes_in;   // request bytes (head + body as far as known)
    uint64_t bytes_out;  // response bytes sent to the client (head + body)
    const ptc_service* svc; // ABI 1.5 service answering this request (service.cpp), or null
    const void* svc_arg;    // its match() argument
    bool svc_by_uri;        // claimed by its match() ("stats uri"): no http-response rules
    ptc_proxy* svc_px;      // the proxy that selected it
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
    bool req_fixed_tmo;  // the fixed http-request deadline is armed
    uint8_t conn_mode;   // effective CM_* (frontend's, then max with the backend's)
    uint8_t cx_gen;      // bumped at each connect: server events of an earlier one are stale
    uint64_t cli_tmo;    // value the client timer was last set to
    const proxy_conf* fe_conf;
    const proxy_conf* be_conf;
    txn_cur cur;
    h1::chunk_state req_chunk;
    h1::chunk_state res_chunk;
    char reqline[reqline_cap]; // copy of the request line (method SP target SP version)
    head_index idx;      // header index of the pending head (see api_phase)
    struct svc_run* svc; // the running service (st::SERVICE), heap, freed by service_free
    struct comp_run* comp; // the response compressor (comp.cpp), heap, freed by comp_free
};

// The stream's state from the API side.
inline txn& txn_of(ptc_stream* s) { return *static_cast<txn*>(host->stream_state(s)); }
// The request came as TLS early data (bind ... allow-0rtt) and the handshake is not complete
// yet (the client side's transport says so, ABI 1.28).
inline bool in_early_data(ptc_stream* s)
{
    if (!host->stream_xprt_info) // a host table without transports (the unit tests')
        return false;
    const char* v = host->stream_xprt_info(s, PTC_SIDE_CLIENT, PTC_XPRT_EARLY);
    return v && v[0] == '1';
}
// The transaction a fetch reads (fetch.cpp): the stream's own in mode http; for a stream of
// another protocol ("mode tcp"), its buffered request bytes parsed as an HTTP/1 head (a
// worker-local transaction, valid until the next fetch), or NULL (not HTTP, not complete
// yet: then out->flags says PTC_SMPF_MAYCHANGE, or the response direction).
txn* view(ptc_stream* s, uint32_t dir, ptc_sample* out);

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
// Replaces <len> bytes at <off> of the pending head of <dir> with <data>, keeping the index
// right (offsets after the edit move; a value containing the edit grows or shrinks).
int head_edit(ptc_stream* s, uint32_t dir, head_index& idx, uint32_t off, uint32_t len,
              std::string_view data);
// Removes header line <i>.
int head_remove(ptc_stream* s, uint32_t dir, head_index& idx, uint32_t i);
inline std::string_view name_of(const head_index& idx, const char* base, uint32_t i)
{
    return {base + idx.hdr[i].name_off, idx.hdr[i].name_len};
}
inline std::string_view value_of(const head_index& idx, const char* base, uint32_t i)
{
    return {base + idx.hdr[i].value_off, idx.hdr[i].value_len};
}
// Start of the pending bytes of <dir> (a head edit may move them: fetch again after one).
const char* pending(ptc_stream* s, uint32_t dir);
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

// ---- HTTP services, ABI 1.5 (service.cpp) -----------------------------------------------------

struct svc_run;
// Registers the "use-service" action (init).
int service_init();
// Lets a service claim the current request for proxy <px> by its URI ("stats uri"); true
// when a service answers it (t.cur.svc set), whether claimed now or by use-service before.
bool service_claim(ptc_stream* s, txn& t, ptc_proxy* px);
// Outcome of a service step.
enum class svc_res : uint8_t {
    WAIT,   // waiting for the request body or for the client to drain the output
    DONE,   // the whole response was handed over: end the transaction
    FAIL,   // the service failed before any byte left: answer 500
    ABORT,  // failed after the head left (or out of room): abort the stream
    CLOSED, // the stream was closed meanwhile
};
svc_res service_advance(ptc_stream* s, txn& t, uint32_t ev);
// Releases the running service (end of the transaction, or of the stream).
void service_free(ptc_stream* s, txn& t);
// The client timer while a service streams its response (timeout client).
void set_cli_tmo_default(ptc_stream* s, txn& t);

// ---- stream handler (http.cpp) ----------------------------------------------------------------

// Prepares the end of the current request for a generated answer: decides whether the
// client connection can stay open (the whole request body is already pending) and returns
// the connection header value to announce. Used by reply() and the return rules.
std::string_view reply_prepare(ptc_stream* s, txn& t);
// Keeps the Host header and an absolute-form target's authority in step after a rewrite: the
// URI's authority wins when <uri_changed>, else the Host header (actions.cpp).
void sync_host_authority(ptc_stream* s, txn& t, bool uri_changed);

int on_event(ptc_stream* s, void* state, uint32_t events);

// Sends the reply <r> for the current transaction (request or response phase): evaluates its
// dynamic parts, runs the after-response rules, forwards it. Returns PTC_ACT_DONE, or
// PTC_ACT_ERROR (the stream was aborted).
int send_reply(ptc_stream* s, const reply_def& r);
void txn_close(ptc_stream* s, txn& t, uint32_t how); // http.cpp: log, then stream_close
// actions.cpp: ends and sends the 103 Early Hints response early-hint rules started
void early_hints_flush(ptc_stream* s, txn& t);
// http.cpp: answer the error page <status>, log with termination state <a><b>, close
void txn_fail(ptc_stream* s, txn& t, int status, char a, char b);
// Sends a generated response of <len> bytes just appended to the (otherwise empty) RES
// channel: indexes it, runs the http-after-response rules, forwards it and records the status.
int emit_generated(ptc_stream* s, txn& t, size_t len, bool fix_conn = true);
// Parses and indexes the response head at the start of the RES channel (a service's head,
// before its http-response rules): the response phase of the http API. False if invalid.
bool index_res_head(ptc_stream* s, txn& t);
// The module's work buffers (tune.bufsize bytes each, allocated once per process).
char* work_buf(int which, size_t* cap);
// The proxy whose errorfiles apply to the stream now (backend once chosen, else frontend).
ptc_proxy* error_proxy(ptc_stream* s, const txn& t);
// The proxy's message for <status>: {NULL,0} when it has none (the built-in page applies),
// a non-NULL empty string for an empty errorfile (nothing is sent, the connection closes).
ptc_str error_message(ptc_stream* s, const txn& t, int status);
// An empty errorfile's answer: the transaction ends with <status> in the log, no byte is
// sent and the client connection is closed.
void reply_nothing(ptc_stream* s, txn& t, int status);

} // namespace portico::http
