// SPDX-License-Identifier: MIT
// Strict, zero-copy HTTP/1.x header block parser, body framing and chunked-body validator.
#include "h1.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

namespace portico::h1 {

namespace {

// Character classes, one bit each.
enum : uint8_t {
    C_TCHAR = 1,   // token character (RFC 9110 5.6.2)
    C_FVAL = 2,    // field-value / reason-phrase byte: HTAB, SP, VCHAR, obs-text
    C_TARGET = 4,  // request-target byte: VCHAR except '#'
    C_QDTEXT = 8,  // quoted-string text: HTAB, SP, VCHAR except '"' and '\', obs-text
    C_SCHEME = 16, // URI scheme character after the first: ALPHA, DIGIT, '+', '-', '.'
    C_ALPHA = 32,  // ALPHA
    C_RNAME = 64,  // relaxed field-name byte: VCHAR except ':', and obs-text
    C_RTARGET = 128, // relaxed request-target byte: C_TARGET, '#' and obs-text
};

constexpr std::array<uint8_t, 256> make_classes()
{
    std::array<uint8_t, 256> t{};
    constexpr std::string_view tspecial = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
        uint8_t v = 0;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (alpha || digit || (c > 0 && c < 128 && tspecial.find(char(c)) != tspecial.npos))
            v |= C_TCHAR;
        if (c == '\t' || (c >= 0x20 && c != 0x7f))
            v |= C_FVAL;
        if (c > 0x20 && c < 0x7f && c != '#')
            v |= C_TARGET;
        if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
            (c >= 0x5d && c <= 0x7e) || c >= 0x80)
            v |= C_QDTEXT;
        if (alpha || digit || c == '+' || c == '-' || c == '.')
            v |= C_SCHEME;
        if (alpha)
            v |= C_ALPHA;
        if (c > 0x20 && c != 0x7f && c != ':')
            v |= C_RNAME;
        if ((v & C_TARGET) || c == '#' || c >= 0x80)
            v |= C_RTARGET;
        t[c] = v;
    }
    return t;
}

constexpr std::array<int8_t, 256> make_hex()
{
    std::array<int8_t, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = c >= '0' && c <= '9'   ? int8_t(c - '0')
               : c >= 'a' && c <= 'f' ? int8_t(c - 'a' + 10)
               : c >= 'A' && c <= 'F' ? int8_t(c - 'A' + 10)
                                      : int8_t(-1);
    return t;
}

constexpr std::array<uint8_t, 256> make_lower()
{
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = uint8_t(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return t;
}

constexpr auto cls = make_classes();
constexpr auto hexval = make_hex();
constexpr auto lower = make_lower();

inline uint8_t u8(char c) { return static_cast<uint8_t>(c); }
inline bool is(char c, uint8_t mask) { return cls[u8(c)] & mask; }
inline bool is_ws(char c) { return c == ' ' || c == '\t'; }

// Returns the first position in [<p>, <end>) whose byte is not in class <mask>.
inline const char* scan(const char* p, const char* end, uint8_t mask)
{
    while (end - p >= 4) {
        if (!is(p[0], mask))
            return p;
        if (!is(p[1], mask))
            return p + 1;
        if (!is(p[2], mask))
            return p + 2;
        if (!is(p[3], mask))
            return p + 3;
        p += 4;
    }
    while (p < end && is(*p, mask))
        ++p;
    return p;
}

constexpr uint64_t ones8 = 0x0101010101010101ull, highs8 = 0x8080808080808080ull;

// Nonzero if a byte of <x> is below <n> (n <= 0x80).
constexpr uint64_t any_below(uint64_t x, uint8_t n) { return (x - ones8 * n) & ~x & highs8; }
// Nonzero if a byte of <x> equals <c>.
constexpr uint64_t any_eq(uint64_t x, uint8_t c) { return any_below(x ^ (ones8 * c), 1); }

inline uint64_t load8(const char* p)
{
    uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
}

// scan(p, end, C_FVAL), skipping whole 8-byte words free of CTLs and DEL; a word holding one
// (the line end, or an HTAB) is finished byte by byte.
inline const char* scan_value(const char* p, const char* end)
{
    while (end - p >= 8) {
        uint64_t x = load8(p);
        if (any_below(x, 0x20) | any_eq(x, 0x7f))
            break;
        p += 8;
    }
    return scan(p, end, C_FVAL);
}

// scan(p, end, C_TARGET), word at a time likewise.
inline const char* scan_target(const char* p, const char* end)
{
    while (end - p >= 8) {
        uint64_t x = load8(p);
        if (any_below(x, 0x21) | (x & highs8) | any_eq(x, 0x7f) | any_eq(x, '#'))
            break;
        p += 8;
    }
    return scan(p, end, C_TARGET);
}

// Where H1_ERROR details go.
struct err_out {
    int* status;
    const char** msg;
    size_t* pos;        // offset of <at> from <base>: where the parser stopped
    const char* base;
    int fail(const char* at, int s, const char* m) const
    {
        *status = s;
        *msg = m;
        *pos = at && at >= base ? size_t(at - base) : 0;
        return H1_ERROR;
    }
};

// Tells whether the header block may be complete: an empty line ("\n\n" or "\n\r\n") appears
// at or after <from> - 2, or a "\n\r" followed by anything (the full parse reports a bare CR).
bool block_maybe_complete(const char* buf, size_t len, size_t from)
{
    // Common case first: a whole request without body ends with the empty line.
    if (len >= 2 && buf[len - 1] == '\n' &&
        (buf[len - 2] == '\n' || (len >= 3 && buf[len - 2] == '\r' && buf[len - 3] == '\n')))
        return true;
    from = from > len ? len : from;
    const char* p = buf + (from > 2 ? from - 2 : 0);
    const char* end = buf + len;
    while (p < end) {
        p = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        if (!p || ++p == end)
            return false;
        if (*p == '\n' || (*p == '\r' && end - p >= 2))
            return true;
    }
    return false;
}

// Consumes an end of line (CRLF or LF) at <p>.
inline int eat_eol(const char*& p, const char* end, const err_out& e, int status,
                   const char* msg)
{
    if (p == end)
        return H1_INCOMPLETE;
    if (*p == '\n') {
        ++p;
        return 0;
    }
    if (*p != '\r')
        return e.fail(p, status, msg);
    if (end - p < 2)
        return H1_INCOMPLETE;
    if (p[1] != '\n')
        return e.fail(p, status, "bare CR");
    p += 2;
    return 0;
}

// Parses "HTTP/" DIGIT "." DIGIT at <p>, checking every available byte.
int parse_version(const char*& p, const char* end, int& major, int& minor, const err_out& e,
                  int status)
{
    static constexpr char pattern[] = "HTTP/0.0";
    for (int i = 0; i < 8; ++i) {
        if (p + i == end)
            return H1_INCOMPLETE;
        char c = p[i];
        bool ok = pattern[i] == '0' ? (c >= '0' && c <= '9') : c == pattern[i];
        if (!ok)
            return e.fail(p + i, status, "invalid HTTP version");
    }
    major = p[5] - '0';
    minor = p[7] - '0';
    p += 8;
    return 0;
}

// H1F_RELAX_VERSION: parses <name> "/" 1*DIGIT "." 1*DIGIT at <p>, where <name> is made of
// uppercase letters and digits when <any_name>, else "HTTP". Checks every available byte; the
// caller checks what follows.
int parse_version_relaxed(const char*& p, const char* end, bool any_name, const err_out& e,
                          int status)
{
    const char* q = p;
    if (any_name) {
        while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            ++q;
        if (q == end)
            return H1_INCOMPLETE;
        if (q == p)
            return e.fail(q, status, "invalid HTTP version");
    } else {
        for (char c : {'H', 'T', 'T', 'P'}) {
            if (q == end)
                return H1_INCOMPLETE;
            if (*q++ != c)
                return e.fail(q - 1, status, "invalid HTTP version");
        }
    }
    for (char sep : {'/', '.'}) {
        if (q == end)
            return H1_INCOMPLETE;
        if (*q++ != sep)
            return e.fail(q - 1, status, "invalid HTTP version");
        const char* d = q;
        while (q < end && *q >= '0' && *q <= '9')
            ++q;
        if (q == end)
            return H1_INCOMPLETE;
        if (q == d)
            return e.fail(q, status, "invalid HTTP version");
    }
    p = q;
    return 0;
}

// Parses header fields up to and including the empty line ending the block. <relax_name>:
// H1F_RELAX_NAME.
int parse_headers(const char*& pp, const char* end, header* hdrs, size_t max, size_t& num,
                  const err_out& e, int bad, int too_many, bool relax_name)
{
    const char* p = pp;
    for (;;) {
        if (p == end)
            return H1_INCOMPLETE;
        if (*p == '\r' || *p == '\n') {
            int r = eat_eol(p, end, e, bad, "bare CR");
            if (r == 0)
                pp = p;
            return r;
        }
        const char* name = p;
        p = scan(p, end, C_TCHAR);
        if (p == end)
            return H1_INCOMPLETE;
        if (*p != ':' && relax_name && is(*p, C_RNAME)) {
            p = scan(p, end, C_RNAME);
            if (p == end)
                return H1_INCOMPLETE;
        }
        if (*p != ':') {
            if (p == name && is_ws(*p))
                return e.fail(p, bad, num ? "obs-fold line folding" : "whitespace before first field");
            if (is_ws(*p))
                return e.fail(p, bad, "whitespace before colon");
            return e.fail(p, bad, "invalid character in field name");
        }
        if (p == name)
            return e.fail(p, bad, "empty field name");
        if (num == max)
            return e.fail(p, too_many, "too many header fields");
        size_t name_len = size_t(p - name);
        ++p;
        while (p < end && is_ws(*p))
            ++p;
        const char* val = p;
        p = scan_value(p, end);
        if (p == end)
            return H1_INCOMPLETE;
        const char* vend = p;
        if (*p == '\r') {
            if (end - p < 2)
                return H1_INCOMPLETE;
            if (p[1] != '\n')
                return e.fail(p, bad, "CR in field value");
            p += 2;
        } else if (*p == '\n') {
            ++p;
        } else {
            return e.fail(p, bad, *p ? "invalid character in field value" : "NUL in field value");
        }
        while (vend > val && is_ws(vend[-1]))
            --vend;
        hdrs[num++] = header{{name, name_len}, {val, size_t(vend - val)}};
    }
}

// Validates the request-target form against the method (RFC 9112 3.2). Returns an error
// message or nullptr.
const char* check_target(std::string_view method, std::string_view t)
{
    if (method == "CONNECT") {
        // authority-form: uri-host ":" port
        size_t colon = t.rfind(':');
        if (colon == t.npos || colon == 0 || colon + 1 == t.size())
            return "invalid CONNECT target";
        for (size_t i = colon + 1; i < t.size(); ++i)
            if (t[i] < '0' || t[i] > '9')
                return "invalid CONNECT target";
        for (size_t i = 0; i < colon; ++i)
            if (t[i] == '/' || t[i] == '?' || t[i] == '@')
                return "invalid CONNECT target";
        return nullptr;
    }
    if (t[0] == '/')
        return nullptr;
    if (t.size() == 1 && t[0] == '*')
        return method == "OPTIONS" ? nullptr : "asterisk target without OPTIONS";
    // absolute-form: scheme ":" ...
    if (!is(t[0], C_ALPHA))
        return "invalid request target";
    size_t i = 1;
    while (i < t.size() && is(t[i], C_SCHEME))
        ++i;
    if (i == t.size() || t[i] != ':')
        return "invalid request target";
    // "host:port" outside CONNECT is not a target a server reads as absolute-form
    if (t.size() - i < 3 || t[i + 1] != '/' || t[i + 2] != '/')
        return "invalid request target";
    return nullptr;
}

int parse_request_full(const char* buf, size_t len, request& req, size_t max_target)
{
    const err_out e{&req.error_status, &req.error_msg, &req.error_pos, buf};
    const char* p = buf;
    const char* end = buf + len;

    // RFC 9112 2.2: ignore empty lines received before the request-line.
    for (;;) {
        if (p == end)
            return H1_INCOMPLETE;
        if (*p == '\n') {
            ++p;
        } else if (*p == '\r') {
            if (end - p < 2)
                return H1_INCOMPLETE;
            if (p[1] != '\n')
                return e.fail(p, 400, "bare CR before request line");
            p += 2;
        } else {
            break;
        }
    }

    // A request line must end within max_target + 64 bytes, a long method or version
    // included: parse_request() refuses it so before the block completes, and the verdict
    // must not depend on how the bytes arrived.
    const size_t line_lim = max_target > SIZE_MAX - 64 ? SIZE_MAX : max_target + 64;
    if (size_t(end - p) > line_lim && !std::memchr(p, '\n', line_lim))
        return e.fail(p, 414, "request line too long");

    const char* m = p;
    p = scan(p, end, C_TCHAR);
    if (p == end)
        return H1_INCOMPLETE;
    if (*p != ' ')
        return e.fail(p, 400, p == m ? "invalid method" : "invalid character in method");
    if (p == m)
        return e.fail(p, 400, "invalid method");
    req.method = {m, size_t(p - m)};
    ++p;

    const char* t = p;
    const char* lim = size_t(end - p) > max_target ? p + max_target + 1 : end;
    p = scan_target(p, lim);
    if (p < lim && *p != ' ' && (req.flags & H1F_RELAX_TARGET))
        p = scan(p, lim, C_RTARGET);
    size_t tlen = size_t(p - t);
    if (tlen > max_target)
        return e.fail(p, 414, "request target too long");
    if (p == end)
        return H1_INCOMPLETE;
    if (*p != ' ') {
        if (*p == '#')
            return e.fail(p, 400, "fragment in request target");
        if (*p == '\r' || *p == '\n')
            return e.fail(p, 400, tlen ? "missing HTTP version" : "missing request target");
        return e.fail(p, 400, tlen ? "invalid character in request target" : "missing request target");
    }
    if (tlen == 0)
        return e.fail(p, 400, "missing request target");
    req.target = {t, tlen};
    ++p;

    int major, minor;
    const char* v = p;
    int r = parse_version(p, end, major, minor, e, 400);
    if (r == 0)
        r = eat_eol(p, end, e, 400, "invalid HTTP version");
    if (r == H1_ERROR && (req.flags & H1F_RELAX_VERSION)) {
        p = v;
        if ((r = parse_version_relaxed(p, end, true, e, 400)) == 0)
            r = eat_eol(p, end, e, 400, "invalid HTTP version");
        if (r == 0)
            e.fail(p, 0, nullptr); // clear the strict parser's error
        major = 1; // handled as HTTP/1.0
        minor = 0;
    }
    if (r)
        return r;
    if (major != 1 || minor > 1)
        return e.fail(p, 505, "unsupported HTTP version");
    req.minor_version = minor;
    if (const char* msg = check_target(req.method, req.target))
        return e.fail(p, 400, msg);

    if ((r = parse_headers(p, end, req.headers, req.max_headers, req.num_headers, e, 400, 431,
                           req.flags & H1F_RELAX_NAME)))
        return r;
    // The head is forwarded as received: a lone LF (RFC 9112 2.2 lets a recipient accept
    // it, not requires it) could end a line for us and not for the server.
    for (const char* q = buf; (q = static_cast<const char*>(std::memchr(q, '\n', size_t(p - q))));
         ++q)
        if (q == buf || q[-1] != '\r')
            return e.fail(q, 400, "bare LF in request head");
    return int(p - buf);
}

int parse_response_full(const char* buf, size_t len, response& res)
{
    const err_out e{&res.error_status, &res.error_msg, &res.error_pos, buf};
    const char* p = buf;
    const char* end = buf + len;

    int major, minor;
    int r = parse_version(p, end, major, minor, e, 502);
    if (r == 0 && p == end)
        return H1_INCOMPLETE;
    if (r == 0 && *p != ' ')
        r = e.fail(p, 502, "invalid HTTP version");
    if (r == H1_ERROR && (res.flags & H1F_RELAX_VERSION)) {
        p = buf;
        if ((r = parse_version_relaxed(p, end, false, e, 502)) == 0 && *p != ' ')
            r = e.fail(p, 502, "invalid HTTP version");
        if (r == 0)
            e.fail(p, 0, nullptr); // clear the strict parser's error
        major = 1; // handled as HTTP/1.0
        minor = 0;
    }
    if (r)
        return r;
    if (major != 1 || minor > 1)
        return e.fail(p, 502, "unsupported HTTP version");
    res.minor_version = minor;
    ++p;

    int status = 0;
    for (int i = 0; i < 3; ++i, ++p) {
        if (p == end)
            return H1_INCOMPLETE;
        if (*p < '0' || *p > '9')
            return e.fail(p, 502, "invalid status code");
        status = status * 10 + (*p - '0');
    }
    if (status < 100)
        return e.fail(p, 502, "invalid status code");
    res.status = status;
    if (p == end)
        return H1_INCOMPLETE;
    // The SP before an empty reason-phrase is commonly omitted; tolerate that.
    const char* reason = p;
    if (*p == ' ') {
        reason = ++p;
        p = scan(p, end, C_FVAL);
    } else if (*p != '\r' && *p != '\n') {
        return e.fail(p, 502, "invalid status code");
    }
    res.reason = {reason, size_t(p - reason)};
    if ((r = eat_eol(p, end, e, 502, "invalid character in reason phrase")))
        return r;

    if ((r = parse_headers(p, end, res.headers, res.max_headers, res.num_headers, e, 502, 502,
                           res.flags & H1F_RELAX_NAME)))
        return r;
    return int(p - buf);
}

} // namespace

int parse_request(const char* buf, size_t len, request& req, size_t max_target, size_t last_len)
{
    req.num_headers = 0;
    req.error_status = 0;
    req.error_msg = nullptr;
    req.error_pos = 0;
    if (len > size_t(INT_MAX))
        len = size_t(INT_MAX);
    // Leading empty lines look like the end of a block to block_maybe_complete(), so the
    // previous call may have run the full parse (INCOMPLETE) on them: run it again now that
    // more bytes came, as without the hint, or garbage after them is refused later or not.
    if (len && (buf[0] == '\r' || buf[0] == '\n'))
        last_len = 0;
    if (!block_maybe_complete(buf, len, last_len)) {
        if (len == 0)
            return H1_INCOMPLETE;
        // Cheap early rejection of garbage (TLS on a clear port, binary junk).
        if (!is(buf[0], C_TCHAR) && buf[0] != '\r' && buf[0] != '\n') {
            req.error_status = 400;
            req.error_msg = "invalid method";
            return H1_ERROR;
        }
        // A request line longer than the limit must be refused before the block completes.
        size_t line_lim = max_target > SIZE_MAX - 64 ? SIZE_MAX : max_target + 64;
        if (len > line_lim && !std::memchr(buf, '\n', line_lim)) {
            int r = parse_request_full(buf, len, req, max_target);
            if (r != H1_INCOMPLETE)
                return r;
            req.error_status = 414;
            req.error_msg = "request line too long";
            return H1_ERROR;
        }
        return H1_INCOMPLETE;
    }
    return parse_request_full(buf, len, req, max_target);
}

int parse_response(const char* buf, size_t len, response& res, size_t last_len)
{
    res.num_headers = 0;
    res.error_status = 0;
    res.error_msg = nullptr;
    res.error_pos = 0;
    if (len > size_t(INT_MAX))
        len = size_t(INT_MAX);
    if (!block_maybe_complete(buf, len, last_len)) {
        if (len && buf[0] != 'H') {
            res.error_status = 502;
            res.error_msg = "invalid HTTP version";
            return H1_ERROR;
        }
        return H1_INCOMPLETE;
    }
    return parse_response_full(buf, len, res);
}

bool ieq(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower[u8(a[i])] != lower[u8(b[i])])
            return false;
    return true;
}

bool list_iter::next(std::string_view& item)
{
    if (done_)
        return false;
    size_t i = 0, n = rest_.size();
    bool quoted = false;
    for (; i < n; ++i) {
        char c = rest_[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            break;
        }
    }
    if (i >= n) {
        item = rest_;
        done_ = true;
    } else {
        item = rest_.substr(0, i);
        rest_.remove_prefix(i + 1);
    }
    while (!item.empty() && is_ws(item.front()))
        item.remove_prefix(1);
    while (!item.empty() && is_ws(item.back()))
        item.remove_suffix(1);
    return true;
}

namespace {

// Compares <a> case-insensitively with the lowercase literal <b>.
inline bool ieq_lc(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower[u8(a[i])] != u8(b[i]))
            return false;
    return true;
}

// What request_framing() and response_framing() need from the header fields.
struct field_summary {
    int host_count = 0;
    bool has_cl = false;
    bool has_te = false;
    int te_lines = 0;             // Transfer-Encoding field lines
    bool te_bad = false;          // empty TE, empty coding name, parameters on chunked
    bool te_unknown = false;      // a coding we do not implement
    bool te_last_chunked = false; // the final coding is chunked
    int te_chunked = 0;           // times chunked appears
    bool conn_close = false;
    bool conn_keep_alive = false;
    bool conn_upgrade = false;
    bool has_upgrade = false;
    bool expect_continue = false;
    uint64_t cl = 0;
    const char* cl_err = nullptr; // why the Content-Length values are unusable
};

bool known_coding(std::string_view c)
{
    return ieq_lc(c, "gzip") || ieq_lc(c, "x-gzip") || ieq_lc(c, "deflate") ||
           ieq_lc(c, "compress") || ieq_lc(c, "x-compress");
}

void summarize_cl(std::string_view v, field_summary& s)
{
    list_iter it(v);
    std::string_view item;
    while (it.next(item)) {
        if (item.empty()) {
            s.cl_err = "empty Content-Length";
            return;
        }
        uint64_t n = 0;
        for (char c : item) {
            if (c < '0' || c > '9') {
                s.cl_err = "invalid Content-Length";
                return;
            }
            uint64_t d = uint64_t(c - '0');
            if (n > (uint64_t(INT64_MAX) - d) / 10) {
                s.cl_err = "Content-Length overflow";
                return;
            }
            n = n * 10 + d;
        }
        if (s.has_cl && n != s.cl) {
            s.cl_err = "conflicting Content-Length values";
            return;
        }
        // The header block is forwarded as received: a repeated value ("5, 5", or two
        // fields) would reach the server as is, and one that reads only the first field or
        // refuses lists would frame the body differently (t/http_desync.t).
        if (s.has_cl) {
            s.cl_err = "repeated Content-Length";
            return;
        }
        s.has_cl = true;
        s.cl = n;
    }
}

void summarize_te(std::string_view v, field_summary& s)
{
    s.has_te = true;
    ++s.te_lines;
    list_iter it(v);
    std::string_view item;
    bool any = false;
    while (it.next(item)) {
        if (item.empty())
            continue; // RFC 9110 5.6.1: empty list elements are ignored
        any = true;
        size_t i = 0;
        while (i < item.size() && is(item[i], C_TCHAR))
            ++i;
        std::string_view name = item.substr(0, i), rest = item.substr(i);
        while (!rest.empty() && is_ws(rest.front()))
            rest.remove_prefix(1);
        if (name.empty() || (!rest.empty() && rest.front() != ';')) {
            s.te_bad = true;
            return;
        }
        if (ieq_lc(name, "chunked")) {
            if (!rest.empty())
                s.te_bad = true;
            ++s.te_chunked;
            s.te_last_chunked = true;
        } else {
            s.te_last_chunked = false;
            if (!known_coding(name))
                s.te_unknown = true;
        }
    }
    if (!any)
        s.te_bad = true;
}

void summarize(const header* h, size_t n, field_summary& s)
{
    for (size_t i = 0; i < n; ++i) {
        std::string_view name = h[i].name, v = h[i].value;
        std::string_view item;
        switch (name.size()) {
        case 4:
            if (ieq_lc(name, "host"))
                ++s.host_count;
            break;
        case 6:
            if (ieq_lc(name, "expect")) {
                list_iter it(v);
                while (it.next(item))
                    if (ieq_lc(item, "100-continue"))
                        s.expect_continue = true;
            }
            break;
        case 7:
            if (ieq_lc(name, "upgrade") && !v.empty())
                s.has_upgrade = true;
            break;
        case 10:
            if (ieq_lc(name, "connection")) {
                list_iter it(v);
                while (it.next(item)) {
                    if (ieq_lc(item, "close"))
                        s.conn_close = true;
                    else if (ieq_lc(item, "keep-alive"))
                        s.conn_keep_alive = true;
                    else if (ieq_lc(item, "upgrade"))
                        s.conn_upgrade = true;
                }
            }
            break;
        case 14:
            if (ieq_lc(name, "content-length") && !s.cl_err)
                summarize_cl(v, s);
            break;
        case 17:
            if (ieq_lc(name, "transfer-encoding"))
                summarize_te(v, s);
            break;
        default:
            break;
        }
    }
}

// The Host field (RFC 9112 3.2): a value with blanks or a list is invalid, and with an
// absolute-form target it must name the target's authority, since the head is forwarded as
// received and a server may route on either (RFC 9112 3.2.2). nullptr when fine.
const char* check_host(const request& req)
{
    std::string_view host;
    bool found = false;
    for (size_t i = 0; i < req.num_headers; ++i)
        if (req.headers[i].name.size() == 4 && ieq_lc(req.headers[i].name, "host")) {
            host = req.headers[i].value;
            found = true;
        }
    for (char c : host)
        if (c == ' ' || c == '\t' || c == ',')
            return "invalid Host header";
    std::string_view t = req.target;
    size_t sep = t.find("://");
    if (t.empty() || t[0] == '/' || sep == t.npos || req.method == "CONNECT")
        return nullptr;
    std::string_view auth = t.substr(sep + 3);
    auth = auth.substr(0, std::min(auth.find_first_of("/?#"), auth.size()));
    size_t at = auth.rfind('@');
    if (at != auth.npos)
        auth.remove_prefix(at + 1);
    if (found && !ieq(auth, host))
        return "Host header does not match the request target";
    return nullptr;
}

inline int framing_fail(framing& f, int status, const char* msg)
{
    f.error_status = status;
    f.error_msg = msg;
    return -1;
}

void framing_init(framing& f)
{
    f.kind = framing::NONE;
    f.length = 0;
    f.conn_close = f.keep_alive = f.upgrade = f.expect_continue = false;
    f.host_count = 0;
    f.error_status = 0;
    f.error_msg = nullptr;
}

} // namespace

int request_framing(const request& req, framing& f)
{
    framing_init(f);
    field_summary s;
    summarize(req.headers, req.num_headers, s);
    bool v11 = req.minor_version >= 1;

    f.host_count = s.host_count;
    f.keep_alive = s.conn_keep_alive;
    f.conn_close = s.conn_close || (!v11 && !s.conn_keep_alive);
    f.upgrade = v11 && s.conn_upgrade && s.has_upgrade; // RFC 9110 7.8: ignored in 1.0
    f.expect_continue = v11 && s.expect_continue;

    if (s.host_count > 1)
        return framing_fail(f, 400, "multiple Host headers");
    if (v11 && s.host_count == 0)
        return framing_fail(f, 400, "missing Host header");
    if (const char* msg = check_host(req))
        return framing_fail(f, 400, msg);
    // An HTTP/1.0 request asking for an upgrade: a server granting it would switch
    // protocols where we do not (RFC 9110 7.8), so the two sides would read differently.
    if (!v11 && s.conn_upgrade && s.has_upgrade)
        return framing_fail(f, 400, "Upgrade in HTTP/1.0 request");
    if (s.has_te) {
        if (!v11)
            return framing_fail(f, 400, "Transfer-Encoding in HTTP/1.0 request");
        if (s.has_cl || s.cl_err)
            return framing_fail(f, 400, "both Content-Length and Transfer-Encoding");
        if (s.te_bad)
            return framing_fail(f, 400, "invalid Transfer-Encoding");
        // Forwarded as received: a server reading one field line only would miss the
        // chunked coding of the other (t/http_desync.t).
        if (s.te_lines > 1)
            return framing_fail(f, 400, "several Transfer-Encoding header lines");
        if (s.te_chunked > 1)
            return framing_fail(f, 400, "chunked applied more than once");
        if (!s.te_last_chunked)
            return framing_fail(f, 400, "Transfer-Encoding does not end with chunked");
        if (s.te_unknown)
            return framing_fail(f, 501, "unknown transfer-coding");
        f.kind = framing::CHUNKED;
    } else if (s.cl_err) {
        return framing_fail(f, 400, s.cl_err);
    } else if (s.has_cl) {
        f.kind = framing::LENGTH;
        f.length = s.cl;
    }
    return 0;
}

int response_framing(const response& res, std::string_view req_method, framing& f)
{
    framing_init(f);
    field_summary s;
    summarize(res.headers, res.num_headers, s);
    bool v11 = res.minor_version >= 1;
    int st = res.status;

    f.keep_alive = s.conn_keep_alive;
    f.conn_close = s.conn_close || (!v11 && !s.conn_keep_alive);
    f.upgrade = s.conn_upgrade && s.has_upgrade;

    if (st == 101) {
        f.kind = framing::TUNNEL;
        return 0;
    }
    if (st < 200 || st == 204 || st == 304 || req_method == "HEAD")
        return 0;
    if (st < 300 && req_method == "CONNECT") {
        f.kind = framing::TUNNEL;
        return 0;
    }
    if (s.has_te) {
        // RFC 9112 6.1: TE in HTTP/1.0 means the framing is faulty.
        if (!v11)
            return framing_fail(f, 502, "Transfer-Encoding in HTTP/1.0 response");
        if (s.te_bad)
            return framing_fail(f, 502, "invalid Transfer-Encoding");
        if (s.te_chunked > 1)
            return framing_fail(f, 502, "chunked applied more than once");
        if (s.has_cl || s.cl_err)
            f.conn_close = true; // RFC 9112 6.3: TE overrides CL, then close
        if (s.te_last_chunked) {
            f.kind = framing::CHUNKED;
        } else {
            f.kind = framing::UNTIL_CLOSE;
            f.conn_close = true;
        }
    } else if (s.cl_err) {
        return framing_fail(f, 502, s.cl_err);
    } else if (s.has_cl) {
        f.kind = framing::LENGTH;
        f.length = s.cl;
    } else {
        f.kind = framing::UNTIL_CLOSE;
        f.conn_close = true;
    }
    return 0;
}

namespace {

// Chunked decoder states.
enum : uint8_t {
    CS_SIZE0,       // expecting the first hex digit of chunk-size
    CS_SIZE,        // in chunk-size
    CS_SIZE_WS,     // BWS after chunk-size or an extension value: only ';' may follow
    CS_EXT_WS,      // after ';': BWS then an extension name
    CS_EXT_NAME,    // in an extension name
    CS_EXT_NAME_WS, // BWS after an extension name: '=' or ';' must follow
    CS_EXT_EQ_WS,   // after '=': BWS then a token or quoted-string
    CS_EXT_TOKEN,   // in a token extension value
    CS_EXT_QS,      // in a quoted-string extension value
    CS_EXT_QP,      // after a backslash in a quoted-string
    CS_EXT_QEND,    // after the closing quote
    CS_SIZE_LF,     // CR of the chunk-size line seen
    CS_DATA,        // in chunk-data
    CS_DATA_END,    // expecting CRLF after chunk-data
    CS_DATA_LF,     // CR after chunk-data seen
    CS_TR_START,    // start of a trailer line or of the final empty line
    CS_TR_NAME,     // in a trailer field name
    CS_TR_VALUE,    // in a trailer field value
    CS_TR_LF,       // CR of a trailer line seen
    CS_FINAL_LF,    // CR of the final empty line seen
    CS_DONE,        // message body complete
};

} // namespace

int chunked_feed(chunk_state& st, const char* buf, size_t len, bool* done)
{
    if (len > size_t(INT_MAX))
        len = size_t(INT_MAX);
    const char* p = buf;
    const char* const end = buf + len;
    uint8_t s = st.state;
    const char* err = nullptr;

// Leaves the loop with an error.
#define CHUNK_FAIL(m)                                                                              \
    do {                                                                                           \
        err = (m);                                                                                 \
        goto fail;                                                                                 \
    } while (0)

    while (p < end) {
        if (s == CS_DATA) {
            size_t n = size_t(end - p);
            if (st.remaining < n)
                n = size_t(st.remaining);
            p += n;
            st.remaining -= n;
            st.body_bytes += n;
            if (st.remaining == 0)
                s = CS_DATA_END;
            continue;
        }
        if (s == CS_DONE)
            break;
        char c = *p;
        if (s <= CS_SIZE_LF) {
            if (++st.line_len > chunk_max_line)
                CHUNK_FAIL("chunk size line too long");
        } else if (s >= CS_TR_START) {
            if (++st.trailer_len > chunk_max_trailer)
                CHUNK_FAIL("trailer section too large");
        }
        // End of a chunk-size line, from the states where the grammar allows it.
        bool size_eol = false;
        switch (s) {
        case CS_SIZE0: {
            int8_t v = hexval[u8(c)];
            if (v < 0)
                CHUNK_FAIL("invalid chunk size");
            st.remaining = uint64_t(v);
            st.ndigits = 1;
            s = CS_SIZE;
            break;
        }
        case CS_SIZE: {
            int8_t v = hexval[u8(c)];
            if (v >= 0) {
                // At most 2^63 - 1: a server with signed 64-bit sizes must read the same.
                if (st.ndigits == 16 || (st.remaining >> 59))
                    CHUNK_FAIL("chunk size too large");
                st.remaining = (st.remaining << 4) | uint64_t(v);
                if (st.ndigits < 255)
                    ++st.ndigits;
            } else if (c == ';') {
                s = CS_EXT_WS;
            } else if (is_ws(c)) {
                s = CS_SIZE_WS;
            } else if (c == '\r' || c == '\n') {
                size_eol = true;
            } else {
                CHUNK_FAIL("invalid chunk size");
            }
            break;
        }
        case CS_SIZE_WS:
            if (c == ';')
                s = CS_EXT_WS;
            else if (!is_ws(c))
                CHUNK_FAIL("invalid chunk extension");
            break;
        case CS_EXT_WS:
            if (is(c, C_TCHAR))
                s = CS_EXT_NAME;
            else if (!is_ws(c))
                CHUNK_FAIL("invalid chunk extension");
            break;
        case CS_EXT_NAME:
            if (is(c, C_TCHAR))
                break;
            if (c == '=')
                s = CS_EXT_EQ_WS;
            else if (c == ';')
                s = CS_EXT_WS;
            else if (is_ws(c))
                s = CS_EXT_NAME_WS;
            else if (c == '\r' || c == '\n')
                size_eol = true;
            else
                CHUNK_FAIL("invalid chunk extension");
            break;
        case CS_EXT_NAME_WS:
            if (c == '=')
                s = CS_EXT_EQ_WS;
            else if (c == ';')
                s = CS_EXT_WS;
            else if (!is_ws(c))
                CHUNK_FAIL("invalid chunk extension");
            break;
        case CS_EXT_EQ_WS:
            if (c == '"')
                s = CS_EXT_QS;
            else if (is(c, C_TCHAR))
                s = CS_EXT_TOKEN;
            else if (!is_ws(c))
                CHUNK_FAIL("invalid chunk extension value");
            break;
        case CS_EXT_TOKEN:
            if (is(c, C_TCHAR))
                break;
            if (c == ';')
                s = CS_EXT_WS;
            else if (is_ws(c))
                s = CS_SIZE_WS;
            else if (c == '\r' || c == '\n')
                size_eol = true;
            else
                CHUNK_FAIL("invalid chunk extension value");
            break;
        case CS_EXT_QS:
            if (c == '"')
                s = CS_EXT_QEND;
            else if (c == '\\')
                s = CS_EXT_QP;
            else if (!is(c, C_QDTEXT))
                CHUNK_FAIL("invalid chunk extension value");
            break;
        case CS_EXT_QP:
            if (!is(c, C_FVAL))
                CHUNK_FAIL("invalid chunk extension value");
            s = CS_EXT_QS;
            break;
        case CS_EXT_QEND:
            if (c == ';')
                s = CS_EXT_WS;
            else if (is_ws(c))
                s = CS_SIZE_WS;
            else if (c == '\r' || c == '\n')
                size_eol = true;
            else
                CHUNK_FAIL("invalid chunk extension value");
            break;
        case CS_SIZE_LF:
            if (c != '\n')
                CHUNK_FAIL("bare CR in chunk size line");
            s = st.remaining ? CS_DATA : CS_TR_START;
            break;
        case CS_DATA_END:
            if (c == '\r')
                s = CS_DATA_LF;
            else if (c == '\n' && st.allow_bare_lf)
                s = CS_SIZE0;
            else
                CHUNK_FAIL("missing CRLF after chunk data");
            st.line_len = 0;
            break;
        case CS_DATA_LF:
            if (c != '\n')
                CHUNK_FAIL("missing CRLF after chunk data");
            s = CS_SIZE0;
            st.line_len = 0;
            break;
        case CS_TR_START:
            if (is(c, C_TCHAR))
                s = CS_TR_NAME;
            else if (c == '\r')
                s = CS_FINAL_LF;
            else if (c == '\n' && st.allow_bare_lf)
                s = CS_DONE;
            else if (is_ws(c))
                CHUNK_FAIL("obs-fold in trailer section");
            else if (c == ':')
                CHUNK_FAIL("empty trailer field name");
            else
                CHUNK_FAIL("invalid trailer field");
            break;
        case CS_TR_NAME:
            if (c == ':')
                s = CS_TR_VALUE;
            else if (is_ws(c))
                CHUNK_FAIL("whitespace before colon in trailer");
            else if (!is(c, C_TCHAR))
                CHUNK_FAIL("invalid character in trailer field name");
            break;
        case CS_TR_VALUE:
            if (c == '\r')
                s = CS_TR_LF;
            else if (c == '\n' && st.allow_bare_lf)
                s = CS_TR_START;
            else if (!is(c, C_FVAL))
                CHUNK_FAIL(c ? "invalid character in trailer value" : "NUL in trailer value");
            break;
        case CS_TR_LF:
            if (c != '\n')
                CHUNK_FAIL("bare CR in trailer section");
            s = CS_TR_START;
            break;
        case CS_FINAL_LF:
            if (c != '\n')
                CHUNK_FAIL("bare CR after trailer section");
            s = CS_DONE;
            break;
        default:
            CHUNK_FAIL("corrupt chunk decoder state");
        }
        if (size_eol) {
            if (c == '\r')
                s = CS_SIZE_LF;
            else if (st.allow_bare_lf)
                s = st.remaining ? CS_DATA : CS_TR_START;
            else
                CHUNK_FAIL("bare LF in chunk size line");
        }
        ++p;
    }
#undef CHUNK_FAIL
    st.state = s;
    *done = s == CS_DONE;
    return int(p - buf);

fail:
    st.state = s;
    st.error_msg = err;
    *done = false;
    return H1_ERROR;
}

} // namespace portico::h1
