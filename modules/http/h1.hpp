// SPDX-License-Identifier: MIT
// Strict, zero-copy, resumable HTTP/1.x message parser and body framing (RFC 9110/9112).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portico::h1 {

// A header field; both views point into the caller's buffer. The value has OWS trimmed.
struct header {
    std::string_view name, value;
};

enum : int {
    H1_INCOMPLETE = -2, // more bytes are needed
    H1_ERROR = -1,      // protocol violation; error_status/error_msg describe it
};

inline constexpr size_t default_max_target = 8000;

// Relaxations of the strict grammar (bits of request::flags / response::flags), the parsing
// side of HAProxy's "option accept-invalid-http-request/-response". They only change what is
// accepted; the strict path costs the same whether they are set or not.
enum : uint8_t {
    // A field name may hold any VCHAR but ':' and obs-text (0x80-0xff), not only tchars. It
    // still must not be empty; CTLs (NUL, CR, LF, HTAB, VT, FF...), SP, DEL, whitespace before
    // the colon and obs-fold stay errors (they are what request smuggling relies on).
    H1F_RELAX_NAME = 1,
    // The request target may also hold obs-text (0x80-0xff) and a '#' fragment (kept in the
    // target). NUL, CTLs, SP and DEL stay refused.
    H1F_RELAX_TARGET = 2,
    // The version may have several digits in its major or minor number, and (requests only)
    // another protocol name than "HTTP" made of uppercase letters and digits, as "RTSP/1.0":
    // name "/" 1*DIGIT "." 1*DIGIT. Such a message is handled as HTTP/1.0 (minor_version 0)
    // and its start line is kept as received. HTTP/0.9 (no version) stays refused.
    H1F_RELAX_VERSION = 4,
};
// Everything "option accept-invalid-http-request" / "-response" relaxes in the parser.
inline constexpr uint8_t H1F_ACCEPT_INVALID_REQ =
    H1F_RELAX_NAME | H1F_RELAX_TARGET | H1F_RELAX_VERSION;
inline constexpr uint8_t H1F_ACCEPT_INVALID_RES = H1F_RELAX_NAME | H1F_RELAX_VERSION;

struct request {
    std::string_view method, target; // views into the caller's buffer
    int minor_version;               // 0 or 1 (HTTP/1.0 or HTTP/1.1)
    header* headers;                 // caller-provided array ...
    size_t max_headers;              // ... and its capacity (input)
    size_t num_headers;              // number of headers filled in (output)
    int error_status;                // on H1_ERROR: 400, 414, 431, 501 or 505
    const char* error_msg;           // static string naming the violation (for logs)
    size_t error_pos;                // on H1_ERROR: offset where the parser stopped
    uint8_t flags = 0;               // H1F_* relaxations (input)
};

struct response {
    int minor_version;          // 0 or 1
    int status;                 // 100..999
    std::string_view reason;    // may be empty
    header* headers;            // caller-provided array ...
    size_t max_headers;         // ... and its capacity (input)
    size_t num_headers;         // number of headers filled in (output)
    int error_status;           // on H1_ERROR: always 502
    const char* error_msg;      // static string naming the violation (for logs)
    size_t error_pos;           // on H1_ERROR: offset where the parser stopped
    uint8_t flags = 0;          // H1F_* relaxations (input; H1F_RELAX_TARGET is ignored)
};

// Parses a complete request header block from <buf>[0..<len>). Returns the number of bytes of
// the block (leading empty lines, request line, fields and the terminating empty line), or
// H1_INCOMPLETE, or H1_ERROR with <req>.error_status/error_msg set. <req>.headers,
// <req>.max_headers and <req>.flags are inputs; everything else is output (unspecified unless
// the return value is > 0, except error_* on H1_ERROR). A target longer than <max_target>
// yields 414, more than max_headers fields 431. <last_len> is the length the caller passed on
// the previous H1_INCOMPLETE call for the same (grown) buffer, or 0: it lets the search for the
// end of the block start where the previous one stopped, so retries with a partial block cost
// O(new bytes).
int parse_request(const char* buf, size_t len, request& req,
                  size_t max_target = default_max_target, size_t last_len = 0);

// Same for a response status line and header block. Errors carry error_status 502.
int parse_response(const char* buf, size_t len, response& res, size_t last_len = 0);

// Message body framing (RFC 9112 section 6) derived from a parsed header block.
struct framing {
    enum kind_t : uint8_t {
        NONE,        // no body
        LENGTH,      // Content-Length bytes (length, may be 0)
        CHUNKED,     // chunked transfer coding, see chunked_feed()
        UNTIL_CLOSE, // response body delimited by connection close
        TUNNEL,      // bytes after the header block are an opaque tunnel (CONNECT 2xx, 101)
    } kind;
    uint64_t length;       // for LENGTH
    bool conn_close;       // the connection must be closed after this message
    bool keep_alive;       // explicit "Connection: keep-alive" (relevant for HTTP/1.0)
    bool upgrade;          // "Connection: upgrade" and an Upgrade header (HTTP/1.1 only)
    bool expect_continue;  // "Expect: 100-continue" (HTTP/1.1 requests)
    int host_count;        // number of Host headers (requests)
    int error_status;      // on error: 400/501 (request), 502 (response)
    const char* error_msg; // static string naming the violation
};

// Request framing. Errors (400): Content-Length together with Transfer-Encoding, TE in
// HTTP/1.0, TE whose final coding is not chunked, chunked applied twice, invalid or differing
// Content-Length values, zero or several Host headers (HTTP/1.1), several Host headers
// (HTTP/1.0). Unknown transfer-coding: 501. A request without body headers gets NONE; CONNECT
// requests get NONE too (the tunnel starts with the 2xx response). Returns 0 or -1.
int request_framing(const request& req, framing& f);

// Response framing for a response to a request with method <req_method>: HEAD, 1xx, 204, 304
// -> NONE; 101 and 2xx to CONNECT -> TUNNEL; TE ending in chunked -> CHUNKED, other TE ->
// UNTIL_CLOSE; Content-Length -> LENGTH (invalid/differing -> error 502); TE and CL -> TE wins
// and conn_close is set; neither -> UNTIL_CLOSE. TE in an HTTP/1.0 response -> error 502.
// Returns 0 or -1.
int response_framing(const response& res, std::string_view req_method, framing& f);

// Limits of the chunked decoder.
inline constexpr uint32_t chunk_max_line = 4096;     // chunk-size line incl. extensions
inline constexpr uint32_t chunk_max_trailer = 65536; // whole trailer section

// State of the incremental chunked-body validator; value-initialise (or reset()) per body.
struct chunk_state {
    uint64_t remaining = 0;      // data bytes left in the current chunk
    uint32_t line_len = 0;       // bytes seen in the current size line
    uint32_t trailer_len = 0;    // bytes seen in the trailer section
    uint8_t state = 0;           // internal state machine position
    uint8_t ndigits = 0;         // hex digits seen in the current chunk-size
    bool allow_bare_lf = true;   // accept a lone LF as line terminator (RFC 9112 2.2)
    const char* error_msg = nullptr; // on H1_ERROR: static string naming the violation
    uint64_t body_bytes = 0;     // total chunk-data bytes seen (statistics)

    void reset()
    {
        bool lf = allow_bare_lf;
        *this = chunk_state{};
        allow_bare_lf = lf;
    }
};

// Validates chunked body bytes <buf>[0..<len>) without copying. Returns the number of bytes
// consumed (all of them valid and forwardable verbatim), or H1_ERROR (st.error_msg set). Sets
// *<done> once the last-chunk, the trailers and the final CRLF have been consumed; bytes after
// that are not consumed. Works with the input split at any byte boundary. At most INT_MAX
// bytes are consumed per call.
int chunked_feed(chunk_state& st, const char* buf, size_t len, bool* done);

// Case-insensitive (ASCII) equality.
bool ieq(std::string_view a, std::string_view b);

// Iterates over the elements of a comma-separated list field value, OWS trimmed; commas inside
// quoted strings do not split. Every element is returned, empty ones included, so an empty
// value yields one empty element and "a," yields "a" then "".
class list_iter {
public:
    explicit list_iter(std::string_view list) : rest_(list) {}
    bool next(std::string_view& item); // false once the list is exhausted

private:
    std::string_view rest_;
    bool done_ = false;
};

} // namespace portico::h1
