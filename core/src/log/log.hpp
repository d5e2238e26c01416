// SPDX-License-Identifier: MIT
// Traffic logging: log targets, syslog headers, log-format strings and the per-stream and
// per-transaction log lines (HAProxy's "log", "option httplog/tcplog", "log-format").
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <portico/portico.h>

// A compiled log-format string (opaque in the ABI).
struct ptc_logfmt;

namespace portico {

struct stream;
struct proxy;
struct config;

namespace log {

// Syslog header layouts ("format" of a log target).
enum class hdr_format : uint8_t { local, rfc3164, rfc5424, priority, shortfmt, timed, iso, raw };

enum class target_kind : uint8_t { udp, unix_dgram, fd, ring };

struct ring_shm;

// A "ring" section: an in-memory buffer of log lines shared by every process (ring.cpp).
struct ring_conf {
    std::string name, desc, file;
    int line = 0;
    hdr_format format = hdr_format::raw; // header of the lines stored
    uint32_t maxlen = 1024;             // longest line stored (longer ones are cut)
    uint32_t size = 16384;              // bytes of the buffer (default: tune.bufsize)
    ring_shm* shm = nullptr;            // mapped by rings_map()
};

// One "log" line's destination. Sockets are opened lazily by the process that sends (a
// worker), so each worker has its own.
struct target {
    std::string spec;               // address as written, for messages
    target_kind kind = target_kind::udp;
    sockaddr_storage addr{};
    socklen_t addrlen = 0;
    int fdnum = -1;                 // fd targets: the descriptor number
    std::string ring_name;          // ring targets ("ring@<name>"), resolved after parsing
    ring_conf* ring = nullptr;
    std::string file;               // where the "log" line is, for messages
    int line = 0;
    uint32_t maxlen = 1024;         // "len"
    bool len_set = false;
    hdr_format format = hdr_format::local;
    bool format_set = false;
    // "sample <ranges>:<size>": the messages sent (after the level filter) are numbered
    // 1..size cyclically over the whole instance; only those in a range go out
    std::vector<std::pair<uint32_t, uint32_t>> smp_ranges;
    uint32_t smp_size = 0;          // 0: no sampling
    uint64_t* smp_ctr = nullptr;    // shared by every process (mapped at parse time)
    uint8_t facility = 1;
    uint8_t maxlvl = PTC_LOG_DEBUG; // messages above are not sent
    uint8_t minlvl = PTC_LOG_EMERG; // messages more severe are capped to this level
    // per process state
    int sock = -1;
    bool is_socket = false;         // fd targets: the fd is a socket (send MSG_DONTWAIT)
    bool failed = false;
};

// Captures of a frontend ("capture request|response header", "declare capture", "capture
// cookie", "http-request capture ... len"): slots in declaration order, per direction.
struct cap_slot {
    std::string hdr;                // header name ("" for a declared / sample slot)
    uint32_t len = 0;               // most bytes kept
    uint32_t off = 0;               // offset of its bytes in a stream's capture block
};

// Longest unique id kept (HAProxy's UNIQUEID_LEN).
inline constexpr uint32_t k_uid_max = 128;

struct cap_conf {
    std::vector<cap_slot> slots[2]; // PTC_DIR_REQ, PTC_DIR_RES
    std::string cookie;             // "capture cookie" name ("" = none)
    uint32_t cookie_len = 0;
    uint32_t cookie_off[2] = {0, 0};
    uint32_t uid_off = 0;
    uint32_t nlens = 0;             // entries of the block's length table
    uint32_t block = 0;             // bytes of a stream's block, 0 before post_config
    void* free_list = nullptr;      // per process: released blocks
    // index of a slot in the length table: req slots, res slots, cookie req/res, uid
    uint32_t lidx(uint32_t dir, uint32_t slot) const
    {
        return dir == 0 ? slot : (uint32_t)slots[0].size() + slot;
    }
    uint32_t cookie_lidx(uint32_t dir) const
    {
        return (uint32_t)(slots[0].size() + slots[1].size()) + (dir ? 1 : 0);
    }
    uint32_t uid_lidx() const { return (uint32_t)(slots[0].size() + slots[1].size()) + 2; }
};

// What a proxy logs and where.
enum class style : uint8_t { none, tcplog, httplog, clf, custom, httpslog };

struct proxy_log {
    std::vector<std::shared_ptr<target>> targets;
    bool use_global = false;        // "log global"
    std::string tag;                // "log-tag" ("" = global's)
    style st = style::none;
    bool json = false;              // "option httplog json" / "option tcplog json"
    const ptc_logfmt* custom = nullptr; // "log-format"
    bool dontlognull = false;
    bool dontlog_normal = false;
    bool separate_errors = false;
    bool logasap = false;           // "option logasap"
    const ptc_logfmt* sd = nullptr;      // "log-format-sd"
    const ptc_logfmt* error_fmt = nullptr; // "error-log-format": connection errors' lines
    const ptc_logfmt* uid_fmt = nullptr; // "unique-id-format"
    cap_conf caps;                  // frontend captures
    // resolved after parsing
    const ptc_logfmt* fmt = nullptr;
    bool at_close = false;          // tcp mode: the core logs at the end of the stream
    uint64_t counter = 0;           // %lc, per process
};

struct global_log {
    std::vector<std::shared_ptr<target>> targets;
    std::vector<std::shared_ptr<ring_conf>> rings; // "ring" sections, in order
    std::string tag;                // "log-tag" ("" = program name)
    bool send_hostname = false;
    std::string hostname;           // "log-send-hostname [<name>]"
};

// ---- log-format --------------------------------------------------------------------------

// Values a log line is rendered from (filled from a stream, or by hand in tests). Times are
// in ms; -1 means "did not happen". Dates are wall-clock ms since the epoch.
struct log_ctx {
    stream* s = nullptr;            // for %[expr], %fi/%fp/%bi/%bp (may be null)
    bool http = false;
    bool expr_none_empty = false;   // a %[expr] without a sample renders nothing (not "-"):
                                    // formats outside logs (headers, return bodies), as HAProxy
    sockaddr_storage cli{};         // %ci/%cp (family 0: unknown)
    sockaddr_storage fe_addr{};     // %fi/%fp
    sockaddr_storage be_src{};      // %bi/%bp
    sockaddr_storage srv_addr{};    // %si/%sp
    bool fe_addr_lazy = false;      // compute %fi/%fp from s on demand
    bool be_src_lazy = false;
    const char* fe_name = "-";
    bool fe_tls = false;            // %ft: the frontend name then '~' (a TLS client connection)
    const char* ssl_cipher = nullptr; // %sslc, %sslv of the client connection (NULL: "-")
    const char* ssl_version = nullptr;
    const char* be_name = "-";
    const char* srv_name = "<NOSRV>";
    const char* mode = "TCP";       // default log format
    uint64_t t_accept = 0;          // %t, %ms, %T, %Ts (wall ms)
    uint64_t t_request = 0;         // %tr, %trg, %trl (wall ms)
    int64_t Th = 0, Ti = -1, TR = -1, Tq = -1, Tw = -1, Tc = -1, Tr = -1, Ta = -1, Tt = -1;
    int64_t Td = -1, Tu = -1;
    int status = -1;
    uint64_t bytes_in = 0, bytes_out = 0;
    char term[5] = {'-', '-', '-', '-', 0};
    uint32_t actconn = 0, feconn = 0, beconn = 0, srvconn = 0, retries = 0;
    uint32_t srv_queue = 0, be_queue = 0;
    ptc_str request_line{nullptr, 0};
    int pid = 0;
    uint64_t log_counter = 0;
    uint64_t req_counter = 0;
    const char* hostname = "";
    const cap_conf* caps = nullptr; // captures of the frontend (null: none configured)
    const unsigned char* capblk = nullptr; // the stream's captured values (null: none)
    bool asap = false;              // option logasap: '+' before %B, %Ta, %Tt
};

// ---- captures and unique ids (capture.cpp) ------------------------------------------------

// Writes <s, n> as HAProxy writes a captured header: '"', '#', '{', '|', '}' and bytes
// outside 32..126 become #XX; with <esc> (+E), '"', '\\' and ']' are backslash-escaped
// instead when they are not encoded. Returns the bytes written (truncated at cap).
size_t cap_encode(const char* s, size_t n, bool esc, char* out, size_t cap);
// Value of a slot (dir, slot) of a capture block: false if not captured.
bool cap_get(const cap_conf& cc, const unsigned char* blk, uint32_t lidx, ptc_str& out);
// Stores a captured value (truncated to the slot's length) in the stream's block.
void cap_set(stream* s, uint32_t lidx, const char* v, size_t n);
// End of a transaction: forget the values (the block is kept for the next one).
void cap_txn_end(stream* s);
// End of the stream: the block goes back to its frontend's free list.
void cap_release(stream* s);
// The stream's unique id, generated from the frontend's unique-id-format on first use
// (<c>: a context already filled for this stream, or null). False without a format.
bool unique_id(stream* s, const log_ctx* c, ptc_str& out);
// The log module's fetches and actions (capture, capture.req.hdr, unique-id...).
extern const ptc_action k_cap_actions[];
extern const uint32_t k_cap_action_count;
extern const ptc_fetch k_cap_fetches[];
extern const uint32_t k_cap_fetch_count;
// Lays out the capture blocks of <pl> (after parsing).
void cap_layout(proxy_log& pl);

// Where a log-format string is used, as HAProxy 2.6 tells them apart:
//  - log: log-format, log-format-sd, error-log-format: runs of spaces are one separator,
//    a %[expr] without a sample (or an empty one) writes "-" ("" with +Q);
//  - http_merge: unique-id-format: spaces merged, samples HTTP-encoded (below);
//  - http: HTTP actions (set-header, return, redirect, set-map...): spaces kept, a sample's
//    control characters (0x00-0x08, 0x0a-0x1f, 0x7f) written %XX, no quotes, nothing for
//    no sample;
//  - plain: set-var-fmt, dynamic use_backend/use-server: spaces kept, samples verbatim up
//    to a NUL byte, nothing for no sample ("" with +Q).
enum class lf_mode : uint8_t { log, http_merge, http, plain };

// Compiles a log-format string. On error returns nullptr with <err> set. <ctx> (may be null)
// is used to compile %[expr] sample expressions. <json> renders key/value JSON instead.
const ptc_logfmt* logfmt_compile(const ptc_kw_ctx* ctx, const std::string& fmt, bool json,
                                 std::string& err, lf_mode mode = lf_mode::log);
// Formats compiled for one use only (the fuzz targets): logfmt_mark() before compiling,
// logfmt_release_to(mark) once rendered frees them (configuration formats live as long as
// the process).
size_t logfmt_mark();
void logfmt_release_to(size_t mark);
// For a rule's format (rendered while the request is processed): sets c.request_line from
// the HTTP module's capture.req.* fetches when the format uses %r, %HM, %HU... and it is not
// known yet.
void logfmt_fill_reqline(const ptc_logfmt* lf, log_ctx& c);
// Renders into buf (not NUL-terminated), truncating at cap. Returns the length.
size_t logfmt_render(const ptc_logfmt* lf, const log_ctx& c, char* buf, size_t cap);
// True if the format uses a variable that needs the HTTP transaction.
bool logfmt_is_http(const ptc_logfmt* lf);

// The strings "option tcplog", "option httplog" and "option httplog clf" stand for.
extern const char* const k_tcplog_fmt;
extern const char* const k_httplog_fmt;
extern const char* const k_httpslog_fmt;
extern const char* const k_clf_fmt;

// ---- syslog headers and sending ----------------------------------------------------------

// Builds the header of a line for <t> at <level> into out (cap >= 256). <now_us> is the wall
// clock in microseconds. Returns its length.
size_t build_header(const target& t, uint32_t level, const char* tag, int pid,
                    const char* hostname, uint64_t now_us, char* out, size_t cap);
// Sends one line (header + body + '\n') to <t>; never blocks; drops on failure.
void send_line(target& t, const char* hdr, size_t hlen, const char* body, size_t blen);

// Parses "log" arguments (after the keyword) into <t>. Returns false with <err>.
bool parse_target(const std::vector<std::string>& args, target& t, std::string& err);

// HAProxy's date "dd/Mon/yyyy:HH:MM:SS.mmm" (local time) of wall-clock <wall_ms>, as %t and
// "show errors" write it (logfmt.cpp).
std::string accept_date(uint64_t wall_ms);

// ---- rings (ring.cpp) ----------------------------------------------------------------------

// "ring <name>" opens a section; ring_keyword() parses one of its lines (words, keyword
// first). False with <err>; <warn> set for a line accepted with a warning.
bool ring_open(config& cfg, const std::string& name, const std::string& file, int line,
               std::string& err);
bool ring_keyword(config& cfg, const std::vector<std::string>& words, std::string& err,
                  std::string& warn);
ring_conf* find_ring(const config& cfg, const std::string& name);
// After parsing: a maxlen over the ring's size is forced to it (warnings appended).
void rings_check(config& cfg, std::vector<std::pair<const ring_conf*, std::string>>& warnings);
// Master, before the workers fork: maps every ring's buffer.
void rings_map(config& cfg);
// Stores one line (the parts concatenated, cut at the ring's maxlen); drops the oldest
// lines to make room.
void ring_write(ring_conf& r, const struct iovec* iov, int n);
// The lines kept, oldest first, each followed by LF ("show events <ring>"); none with
// <only_new> ("-n").
std::string ring_dump(ring_conf& r, bool only_new);
// The lines stored from absolute position <pos> on (UINT64_MAX: from now on, none yet);
// moves <pos> past them. A reader that fell behind skips the overwritten lines.
std::string ring_read(ring_conf& r, uint64_t& pos);
uint64_t ring_overwritten(const ring_conf& r);

// ---- configuration glue --------------------------------------------------------------------

// The module descriptor holding the logging keywords (registered as module "log").
const ptc_module* log_module();
// Copies the logging settings of a defaults section into a new proxy.
void inherit(proxy& dst, const proxy& defs);
// After parsing: resolves formats, warns about unusable options. Returns false on error.
bool post_config(config& cfg);

// ---- emission --------------------------------------------------------------------------------

// Stream engine calls (stream.cpp).
void on_accept(stream* s);      // default format ("Connect from ...")
void on_close(stream* s);       // tcp mode: tcplog / log-format at the end of the stream
void record_times(stream* s, const ptc_log_txn* txn); // latency histograms (shm/hist)
// A connection refused before its protocol handler (bad PROXY header, failed handshake):
// "<client>:<port> [<accept date>] <frontend>/<bind>: <reason>", as HAProxy logs them.
void on_conn_error(stream* s, const char* reason);
// One of HAProxy's own messages about proxy <p> (server state changes, health checks): sent
// at <level> (PTC_LOG_*) to the proxy's log targets with its tag, as HAProxy's send_log().
// No diagnostic output here (the caller writes that).
void proxy_message(const proxy& p, uint32_t level, const char* body, size_t blen);
// option logasap: logs the transaction now (the response head is there) and not again at its
// end. True if a line was sent (or the proxy does not log).
bool log_asap(stream* s, const ptc_log_txn* txn);

} // namespace log
} // namespace portico
