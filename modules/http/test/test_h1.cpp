// SPDX-License-Identifier: MIT
// Unit tests of the HTTP/1.x parser, body framing and chunked-body validator.
#define BOOST_TEST_MODULE h1
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "h1.hpp"

#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace portico::h1;
using namespace std::string_literals;

namespace {

constexpr size_t max_hdrs = 64;

struct req_parse {
    header hdrs[max_hdrs];
    request req{};
    int ret = 0;
    uint8_t flags = 0; // H1F_* relaxations passed to every run()

    int run(const std::string& s, size_t max_target = 8000, size_t last_len = 0,
            size_t len = std::string::npos)
    {
        req = request{};
        req.flags = flags;
        req.headers = hdrs;
        req.max_headers = max_hdrs;
        ret = parse_request(s.data(), len == std::string::npos ? s.size() : len, req, max_target,
                            last_len);
        return ret;
    }
};

struct res_parse {
    header hdrs[max_hdrs];
    response res{};
    int ret = 0;
    uint8_t flags = 0; // H1F_* relaxations passed to every run()

    int run(const std::string& s, size_t len = std::string::npos, size_t last_len = 0)
    {
        res = response{};
        res.flags = flags;
        res.headers = hdrs;
        res.max_headers = max_hdrs;
        ret = parse_response(s.data(), len == std::string::npos ? s.size() : len, res, last_len);
        return ret;
    }
};

// Flattened parse result, to compare the parses of a message fed in pieces.
std::string dump(const request& r)
{
    std::string s = std::string(r.method) + "|" + std::string(r.target) + "|" +
                    std::to_string(r.minor_version);
    for (size_t i = 0; i < r.num_headers; ++i)
        s += "|" + std::string(r.headers[i].name) + "=" + std::string(r.headers[i].value);
    return s;
}

std::string dump(const response& r)
{
    std::string s = std::to_string(r.minor_version) + "|" + std::to_string(r.status) + "|" +
                    std::string(r.reason);
    for (size_t i = 0; i < r.num_headers; ++i)
        s += "|" + std::string(r.headers[i].name) + "=" + std::string(r.headers[i].value);
    return s;
}

// Feeds every proper prefix of <msg> (each block must be INCOMPLETE, both with and without
// the last_len hint), then the whole message; returns the final parse.
void check_request_splits(const std::string& msg, const std::string& expect_dump,
                          uint8_t flags = 0)
{
    req_parse full;
    full.flags = flags;
    BOOST_TEST_REQUIRE(full.run(msg) == int(msg.size()));
    BOOST_TEST(dump(full.req) == expect_dump);
    for (size_t k = 0; k < msg.size(); ++k) {
        std::string prefix = msg.substr(0, k);
        req_parse p;
        p.flags = flags;
        BOOST_TEST(p.run(prefix) == H1_INCOMPLETE, "prefix " << k << " of " << msg);
        BOOST_TEST(p.run(prefix, 8000, k ? k - 1 : 0) == H1_INCOMPLETE);
        // Resume from the short prefix with the full buffer.
        BOOST_TEST(p.run(msg, 8000, k) == int(msg.size()));
        BOOST_TEST(dump(p.req) == expect_dump);
    }
    // Trailing bytes (a body, a pipelined request) are not part of the block.
    req_parse more;
    more.flags = flags;
    std::string pipelined = msg + "GET / HTTP/1.1\r\n";
    BOOST_TEST(more.run(pipelined) == int(msg.size()));
    BOOST_TEST(dump(more.req) == expect_dump);
}

} // namespace

BOOST_AUTO_TEST_CASE(valid_requests)
{
    struct {
        std::string msg, dump;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET|/|1|Host=example.com"},
        {"GET /a/b?c=d&e HTTP/1.0\r\n\r\n", "GET|/a/b?c=d&e|0"},
        {"POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
         "Content-Type: text/plain\r\n\r\n",
         "POST|/submit|1|Host=h|Content-Length=5|Content-Type=text/plain"},
        {"PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
         "PUT|/up|1|Host=h|Transfer-Encoding=chunked"},
        {"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET|/|1|Host=h"},
        {"GET / HTTP/1.1\r\nHost:h\r\nX-Empty:\r\nX-Sp:   \t \r\nX-Trim: \t a b \t\r\n\r\n",
         "GET|/|1|Host=h|X-Empty=|X-Sp=|X-Trim=a b"},
        {"get / HTTP/1.1\r\nHost: h\r\n\r\n", "get|/|1|Host=h"},
        {"M-SEARCH /x HTTP/1.1\r\nHost: h\r\n\r\n", "M-SEARCH|/x|1|Host=h"},
        {"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "OPTIONS|*|1|Host=h"},
        {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
         "CONNECT|example.com:443|1|Host=example.com:443"},
        {"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
         "CONNECT|[::1]:8443|1|Host=[::1]:8443"},
        {"GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n",
         "GET|http://example.com/x?y|1|Host=example.com"},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-Obs: caf\xc3\xa9\r\nX-Q: \"a,b\"\r\n\r\n",
         "GET|/|1|Host=h|X-Obs=caf\xc3\xa9|X-Q=\"a,b\""},
        {"GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09az: v\r\n\r\n", "GET|/|1|!#$%&'*+-.^_`|~09az=v"},
    };
    for (auto& c : cases)
        check_request_splits(c.msg, c.dump);
}

BOOST_AUTO_TEST_CASE(many_headers)
{
    std::string msg = "GET /many HTTP/1.1\r\n";
    std::string expect = "GET|/many|1";
    for (size_t i = 0; i < max_hdrs; ++i) {
        msg += "X-H" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
        expect += "|X-H" + std::to_string(i) + "=value " + std::to_string(i);
    }
    msg += "\r\n";
    check_request_splits(msg, expect);

    // One more than the caller's array holds -> 431.
    std::string over = msg.substr(0, msg.size() - 2) + "X-Over: 1\r\n\r\n";
    req_parse p;
    BOOST_TEST(p.run(over) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 431);
}

// Found by fuzz_h1_request: after leading empty lines, the last_len hint must not change the
// verdict (here: an invalid method refused at once, with or without the hint).
BOOST_AUTO_TEST_CASE(leading_empty_lines_hint)
{
    const std::string msg("\n\r\nH\0\0", 6);
    req_parse p;
    BOOST_TEST(p.run(msg, 8000, 0, 3) == H1_INCOMPLETE);
    BOOST_TEST(p.run(msg) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 400);
    BOOST_TEST(p.run(msg, 8000, 3) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 400);
    // A valid request after them still completes with the hint.
    const std::string ok = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    for (size_t k = 0; k < ok.size(); ++k)
        BOOST_TEST(p.run(ok, 8000, k) == int(ok.size()));
}

// Found by fuzz_h1_request: a request line past max_target + 64 bytes because of a long
// method got 414 when it arrived in pieces but was accepted whole.
BOOST_AUTO_TEST_CASE(long_method_line_limit)
{
    const std::string msg = std::string(90, 'D') + " / HTTP/1.1\r\nHost: h\r\n\r\n";
    req_parse p;
    BOOST_TEST(p.run(msg, 32, 0, 97) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 414);
    BOOST_TEST(p.run(msg, 32) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 414);
    // Within the limit the same method is fine.
    BOOST_TEST(p.run(msg, 8000) == int(msg.size()));
}

BOOST_AUTO_TEST_CASE(target_limit)
{
    std::string target = "/" + std::string(99, 'a');
    std::string msg = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    req_parse p;
    BOOST_TEST(p.run(msg, 100) == int(msg.size()));
    BOOST_TEST(p.run(msg, 99) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 414);
    // Refused before the header block completes, once the buffer holds more than the limit.
    std::string partial = "GET /" + std::string(300, 'a');
    BOOST_TEST(p.run(partial, 100) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 414);
    BOOST_TEST(p.run(partial.substr(0, 50), 100) == H1_INCOMPLETE);
    // Garbage is refused early too.
    BOOST_TEST(p.run("\x16\x03\x01\x02\x00"s) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 400);
}

BOOST_AUTO_TEST_CASE(malformed_requests)
{
    struct {
        std::string msg;
        int status;
    } cases[] = {
        {"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},              // invalid method char
        {"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},             // tab separator
        {" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},             // leading space
        {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},             // double space
        {"GET HTTP/1.1\r\nHost: h\r\n\r\n", 400},                // missing target
        {"GET /\r\nHost: h\r\n\r\n", 400},                       // HTTP/0.9 style
        {"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400},           // space in target
        {"GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400},         // DEL in target
        {"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},   // non-ASCII target
        {"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400},        // fragment
        {"GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400},            // not origin/absolute form
        {"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400},              // asterisk without OPTIONS
        {"CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", 400},         // CONNECT origin-form
        {"CONNECT host HTTP/1.1\r\nHost: h\r\n\r\n", 400},       // CONNECT without port
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},              // HTTP/2.0
        {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},              // unknown minor
        {"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505},              // 0.9
        {"GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400},             // two-digit minor
        {"GET / http/1.1\r\nHost: h\r\n\r\n", 400},              // lowercase version
        {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},             // trailing space
        {"GET / HTTP/1.1\rHost: h\r\n\r\n", 400},                // bare CR
        {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},             // whitespace before colon
        {"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},            // tab before colon
        {"GET / HTTP/1.1\r\n: h\r\n\r\n", 400},                  // empty name
        {"GET / HTTP/1.1\r\nHo(st: h\r\n\r\n", 400},             // invalid name char
        {"GET / HTTP/1.1\r\nHost h\r\n\r\n", 400},               // no colon
        {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400}, // obs-fold
        {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},             // space before first field
        {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n"s, 400}, // NUL in value
        {"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},   // CR in value
        {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n", 400},  // CTL in value
        {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400},  // DEL in value
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", 400},            // bare CR in final line
        {"\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},          // bare CR before request
    };
    for (auto& c : cases) {
        req_parse p;
        BOOST_TEST(p.run(c.msg) == H1_ERROR, c.msg);
        BOOST_TEST(p.req.error_status == c.status, c.msg);
        BOOST_TEST(p.req.error_msg != nullptr);
        // No prefix may parse successfully.
        for (size_t k = 0; k < c.msg.size(); ++k)
            BOOST_TEST(p.run(c.msg, 8000, 0, k) < 0, c.msg << " prefix " << k);
    }
}

BOOST_AUTO_TEST_CASE(byte_positions)
{
    // Every byte value at every offset of a long value and a long target (word-at-a-time scans).
    for (size_t pos = 0; pos < 40; ++pos) {
        for (int b = 0; b < 256; ++b) {
            char c = char(b);
            std::string value(40, 'v');
            value[pos] = c;
            std::string msg = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "z\r\n\r\n";
            bool ok = b == '\t' || (b >= 0x20 && b != 0x7f);
            req_parse p;
            int r = p.run(msg);
            BOOST_TEST((r > 0) == ok, "value byte " << b << " at " << pos);
            if (ok)
                BOOST_TEST(p.req.headers[1].value.size() ==
                           41 - ((pos == 0 && (b == ' ' || b == '\t')) ? 1 : 0));

            std::string target = "/" + std::string(40, 't');
            target[pos + 1] = c;
            msg = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
            ok = b > 0x20 && b < 0x7f && b != '#';
            r = p.run(msg);
            BOOST_TEST((r > 0) == ok, "target byte " << b << " at " << pos);
            if (ok)
                BOOST_TEST(p.req.target == target);
        }
    }
}

// ---- responses ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(valid_responses)
{
    struct {
        std::string msg, dump;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "1|200|OK|Content-Length=3"},
        {"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n", "0|404|Not Found|Server=x"},
        {"HTTP/1.1 204\r\n\r\n", "1|204|"},
        {"HTTP/1.1 204 \r\n\r\n", "1|204|"},
        {"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n",
         "1|101|Switching Protocols|Upgrade=websocket|Connection=Upgrade"},
        {"HTTP/1.1 599 Weird \t reason\xff\r\n\r\n", "1|599|Weird \t reason\xff"},
    };
    for (auto& c : cases) {
        res_parse p;
        BOOST_TEST_REQUIRE(p.run(c.msg) == int(c.msg.size()));
        BOOST_TEST(dump(p.res) == c.dump);
        for (size_t k = 0; k < c.msg.size(); ++k) {
            BOOST_TEST(p.run(c.msg, k) == H1_INCOMPLETE, c.msg << " prefix " << k);
            BOOST_TEST(p.run(c.msg, std::string::npos, k) == int(c.msg.size()));
            BOOST_TEST(dump(p.res) == c.dump);
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_responses)
{
    const std::string cases[] = {
        "HTTP/2.0 200 OK\r\n\r\n",    "HTTP/1.1 20 OK\r\n\r\n",  "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 OK\r\n\r\n",    "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
        "ICY 200 OK\r\n\r\n",         "HTTP/1.1 200 OK\r\nA: \x00\r\n\r\n"s,
    };
    for (auto& c : cases) {
        res_parse p;
        BOOST_TEST(p.run(c) == H1_ERROR, c);
        BOOST_TEST(p.res.error_status == 502);
    }
}

// ---- framing --------------------------------------------------------------------------------

namespace {

struct req_framing_result {
    int ret;
    framing f;
};

req_framing_result frame_request(const std::string& msg)
{
    req_parse p;
    int r = p.run(msg);
    BOOST_TEST_REQUIRE(r == int(msg.size()), msg);
    req_framing_result out{};
    out.ret = request_framing(p.req, out.f);
    return out;
}

req_framing_result frame_response(const std::string& msg, std::string_view method = "GET")
{
    res_parse p;
    int r = p.run(msg);
    BOOST_TEST_REQUIRE(r == int(msg.size()), msg);
    req_framing_result out{};
    out.ret = response_framing(p.res, method, out.f);
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(request_framing_valid)
{
    auto r = frame_request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::NONE);
    BOOST_TEST(!r.f.conn_close);
    BOOST_TEST(r.f.host_count == 1);

    r = frame_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::LENGTH);
    BOOST_TEST(r.f.length == 42u);

    // Forwarded as received, so a repeated value is refused (t/http_desync.t).
    r = frame_request("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 5, 5\r\n"
                      "Content-Length: 5\r\n\r\n");
    BOOST_TEST(r.ret == -1);
    BOOST_TEST(std::string(r.f.error_msg) == "repeated Content-Length");

    r = frame_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.length == 9223372036854775807u);

    r = frame_request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, CHUNKED\r\n"
                      "Expect: 100-continue\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::CHUNKED);
    BOOST_TEST(r.f.expect_continue);

    // Two field lines: refused, a server reading one would miss chunked (t/http_desync.t).
    r = frame_request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST(r.ret == -1);

    // Found by t/http_desync.t: a bare LF in a request head, a Host list, a Host that is
    // not the absolute-form target's authority, "host:port" outside CONNECT, Upgrade in
    // HTTP/1.0 and a chunk size above 2^63 - 1 are refused.
    {
        req_parse lf;
        BOOST_TEST(lf.run("GET / HTTP/1.1\nHost: h\n\n") == H1_ERROR);
        BOOST_TEST(std::string(lf.req.error_msg) == "bare LF in request head");
        req_parse af;
        BOOST_TEST(af.run("GET x:80 HTTP/1.1\r\nHost: h\r\n\r\n") == H1_ERROR);
    }
    r = frame_request("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n");
    BOOST_TEST(r.ret == -1);
    r = frame_request("GET http://y/ HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.ret == -1);
    r = frame_request("GET http://u@X/ HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    r = frame_request("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    BOOST_TEST(r.ret == -1);
    {
        chunk_state st;
        bool done = false;
        std::string b = "ffffffffffffffff\r\nx\r\n0\r\n\r\n";
        BOOST_TEST(chunked_feed(st, b.data(), b.size(), &done) == H1_ERROR);
    }

    r = frame_request("GET / HTTP/1.0\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.conn_close);
    BOOST_TEST(!r.f.keep_alive);
    BOOST_TEST(r.f.host_count == 0);

    r = frame_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(!r.f.conn_close);
    BOOST_TEST(r.f.keep_alive);
    BOOST_TEST(!r.f.expect_continue);

    r = frame_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n");
    BOOST_TEST(r.f.conn_close);

    r = frame_request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
                      "Upgrade: websocket\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.upgrade);
    BOOST_TEST(r.f.keep_alive);

    r = frame_request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n");
    BOOST_TEST(!r.f.upgrade);
}

BOOST_AUTO_TEST_CASE(request_framing_malformed)
{
    struct {
        std::string hdrs;
        int status;
        int minor = 1;
    } cases[] = {
        {"Host: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: chunked, identity\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: chunked, chunked\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: gzip\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: \r\n", 400},
        {"Host: h\r\nTransfer-Encoding: chunked;x=1\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: \"chunked\"\r\n", 400},
        {"Host: h\r\nTransfer-Encoding: foo, chunked\r\n", 501},
        {"Host: h\r\nTransfer-Encoding: identity, chunked\r\n", 501},
        {"Transfer-Encoding: chunked\r\n", 400, 0},
        {"Host: h\r\nContent-Length: +5\r\n", 400},
        {"Host: h\r\nContent-Length: -5\r\n", 400},
        {"Host: h\r\nContent-Length: 5, 6\r\n", 400},
        {"Host: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n", 400},
        {"Host: h\r\nContent-Length: 5,\r\n", 400},
        {"Host: h\r\nContent-Length: \r\n", 400},
        {"Host: h\r\nContent-Length: 0x10\r\n", 400},
        {"Host: h\r\nContent-Length: 5 5\r\n", 400},
        {"Host: h\r\nContent-Length: 1.0\r\n", 400},
        {"Host: h\r\nContent-Length: 9223372036854775808\r\n", 400},
        {"Host: h\r\nContent-Length: 99999999999999999999999\r\n", 400},
        {"Host: a\r\nHost: b\r\n", 400},
        {"Host: a\r\nhost: a\r\n", 400},
        {"", 400},
        {"Host: a\r\nHost: b\r\n", 400, 0},
    };
    for (auto& c : cases) {
        std::string msg = "POST / HTTP/1." + std::to_string(c.minor) + "\r\n" + c.hdrs + "\r\n";
        auto r = frame_request(msg);
        BOOST_TEST(r.ret == -1, msg);
        BOOST_TEST(r.f.error_status == c.status, msg);
        BOOST_TEST(r.f.error_msg != nullptr);
    }
    // The header-level smuggling classics never reach framing.
    const std::string hdr_level[] = {
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0b" "chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\r\n\r\n",
    };
    for (auto& m : hdr_level) {
        req_parse p;
        BOOST_TEST(p.run(m) == H1_ERROR, m);
        BOOST_TEST(p.req.error_status == 400);
    }
}

BOOST_AUTO_TEST_CASE(response_framing_rules)
{
    auto r = frame_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::LENGTH);
    BOOST_TEST(r.f.length == 10u);
    BOOST_TEST(!r.f.conn_close);

    r = frame_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD");
    BOOST_TEST(r.f.kind == framing::NONE);
    for (const char* st : {"100 Continue", "103 Early", "204 No Content", "304 Not Modified"}) {
        r = frame_response("HTTP/1.1 "s + st + "\r\nContent-Length: 10\r\n\r\n");
        BOOST_TEST(r.ret == 0);
        BOOST_TEST(r.f.kind == framing::NONE, st);
    }
    r = frame_response("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT");
    BOOST_TEST(r.f.kind == framing::TUNNEL);
    r = frame_response("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n", "CONNECT");
    BOOST_TEST(r.f.kind == framing::LENGTH);
    r = frame_response("HTTP/1.1 101 Switching\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\n");
    BOOST_TEST(r.f.kind == framing::TUNNEL);
    BOOST_TEST(r.f.upgrade);

    r = frame_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST(r.f.kind == framing::CHUNKED);
    BOOST_TEST(!r.f.conn_close);
    r = frame_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    BOOST_TEST(r.f.kind == framing::UNTIL_CLOSE);
    BOOST_TEST(r.f.conn_close);
    r = frame_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Length: 3\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::CHUNKED);
    BOOST_TEST(r.f.conn_close);
    r = frame_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST(r.ret == 0);
    BOOST_TEST(r.f.kind == framing::CHUNKED);
    r = frame_response("HTTP/1.1 200 OK\r\n\r\n");
    BOOST_TEST(r.f.kind == framing::UNTIL_CLOSE);
    BOOST_TEST(r.f.conn_close);
    r = frame_response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
    BOOST_TEST(r.f.conn_close);
    r = frame_response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n");
    BOOST_TEST(!r.f.conn_close);
    BOOST_TEST(r.f.keep_alive);

    for (const char* bad : {"Content-Length: 1\r\nContent-Length: 2\r\n", "Content-Length: -1\r\n",
                            "Content-Length: 1, 2\r\n", "Content-Length: \r\n"}) {
        r = frame_response("HTTP/1.1 200 OK\r\n"s + bad + "\r\n");
        BOOST_TEST(r.ret == -1, bad);
        BOOST_TEST(r.f.error_status == 502);
    }
    r = frame_response("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST(r.ret == -1);
    BOOST_TEST(r.f.error_status == 502);
}

BOOST_AUTO_TEST_CASE(list_helpers)
{
    std::vector<std::string> got;
    std::string_view item;
    list_iter it(" a ,b,,\"x,y\" , \"q\\\"\" ,");
    while (it.next(item))
        got.emplace_back(item);
    std::vector<std::string> want{"a", "b", "", "\"x,y\"", "\"q\\\"\"", ""};
    BOOST_TEST(got == want, boost::test_tools::per_element());
    BOOST_TEST(ieq("Content-LENGTH", "content-length"));
    BOOST_TEST(!ieq("content-lengtx", "content-length"));
    BOOST_TEST(!ieq("a", "ab"));
}

// ---- chunked --------------------------------------------------------------------------------

namespace {

// Feeds <body> in pieces whose sizes come from <next_size>; returns bytes consumed before done
// (or -1 on error) and sets <done>.
template <typename F> long feed_pieces(const std::string& body, F next_size, bool& done,
                                       chunk_state& st)
{
    size_t off = 0;
    done = false;
    while (off < body.size()) {
        size_t n = std::min(next_size(), body.size() - off);
        bool d = false;
        int r = chunked_feed(st, body.data() + off, n, &d);
        if (r < 0)
            return -1;
        BOOST_TEST_REQUIRE(size_t(r) <= n);
        off += size_t(r);
        if (d) {
            done = true;
            return long(off);
        }
        if (size_t(r) != n) {
            BOOST_TEST(false, "bytes left unconsumed before done");
            return -1;
        }
    }
    return long(off);
}

} // namespace

BOOST_AUTO_TEST_CASE(chunked_valid)
{
    const std::string bodies[] = {
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\na\r\n0123456789\r\n0000\r\n\r\n",
        "5;name\r\nhello\r\n0;a=b;c=\"d e\\\"f\"\r\n\r\n",
        "5 ;name = val\r\nhello\r\n0\t;\tx\t=\t\"q\"\r\n\r\n",
        "5\nhello\n0\n\n",
        "3\r\nabc\r\n0\r\nX-Trailer: v\r\nChecksum:\r\n\r\n",
        "3\r\nabc\r\n0\r\nX-Trailer: v\nA: b \t\n\n",
        "000000000000000F\r\n0123456789abcde\r\n0\r\n\r\n",
        "3\r\n\r\n\n\r\n0\r\n\r\n", // data may hold CR/LF
    };
    std::mt19937 rng(12345);
    for (auto& b : bodies) {
        const std::string stream = b + "GET /next HTTP/1.1\r\n";
        // Whole.
        {
            chunk_state st;
            bool done = false;
            int r = chunked_feed(st, stream.data(), stream.size(), &done);
            BOOST_TEST(r == int(b.size()), b);
            BOOST_TEST(done);
            // Further calls consume nothing.
            r = chunked_feed(st, stream.data() + b.size(), stream.size() - b.size(), &done);
            BOOST_TEST(r == 0);
            BOOST_TEST(done);
        }
        // One byte at a time.
        {
            chunk_state st;
            bool done = false;
            long n = feed_pieces(stream, [] { return size_t(1); }, done, st);
            BOOST_TEST(n == long(b.size()), b);
            BOOST_TEST(done);
        }
        // Split at every single boundary.
        for (size_t k = 0; k <= b.size(); ++k) {
            chunk_state st;
            bool d1 = false, d2 = false;
            int r1 = chunked_feed(st, stream.data(), k, &d1);
            BOOST_TEST(r1 == int(k));
            BOOST_TEST(d1 == (k == b.size()));
            int r2 = chunked_feed(st, stream.data() + k, stream.size() - k, &d2);
            BOOST_TEST(r2 == int(b.size() - k), b << " split " << k);
            BOOST_TEST(d2);
        }
        // Random splits.
        for (int round = 0; round < 200; ++round) {
            chunk_state st;
            bool done = false;
            std::uniform_int_distribution<size_t> dist(0, 7);
            long n = feed_pieces(stream, [&] { return dist(rng); }, done, st);
            BOOST_TEST(n == long(b.size()));
            BOOST_TEST(done);
        }
    }
}

BOOST_AUTO_TEST_CASE(chunked_large)
{
    // Big chunks are skipped without per-byte work, across many feeds.
    std::string body = "10000\r\n" + std::string(0x10000, 'x') + "\r\n0\r\n\r\n";
    chunk_state st;
    bool done = false;
    std::mt19937 rng(7);
    std::uniform_int_distribution<size_t> dist(1, 5000);
    long n = feed_pieces(body, [&] { return dist(rng); }, done, st);
    BOOST_TEST(n == long(body.size()));
    BOOST_TEST(done);
    BOOST_TEST(st.body_bytes == 0x10000u);
    st.reset();
    BOOST_TEST(chunked_feed(st, body.data(), body.size(), &done) == int(body.size()));
}

BOOST_AUTO_TEST_CASE(chunked_malformed)
{
    const std::string bodies[] = {
        "0x10\r\n0123456789abcdef\r\n0\r\n\r\n", // 0x prefix
        "+5\r\nhello\r\n0\r\n\r\n",               // sign
        "-5\r\nhello\r\n0\r\n\r\n",               // sign
        "\r\nhello\r\n0\r\n\r\n",                 // empty size
        " 5\r\nhello\r\n0\r\n\r\n",               // leading space
        "5 \r\nhello\r\n0\r\n\r\n",               // trailing space without extension
        "g\r\n",                                  // non-hex
        "10000000000000000\r\n",                  // 17 digits
        "00000000000000005\r\nhello\r\n0\r\n\r\n", // 17 digits with leading zeros
        "1;ext\"bad\r\nx\r\n0\r\n\r\n",           // quote in extension name
        "1;\r\nx\r\n0\r\n\r\n",                   // empty extension
        "1;a=\r\nx\r\n0\r\n\r\n",                 // empty extension value
        "1;a=\"x\r\nx\r\n0\r\n\r\n",              // unterminated quoted-string
        "1;a=b c\r\nx\r\n0\r\n\r\n",              // garbage after value
        "1;a b\r\nx\r\n0\r\n\r\n",                // garbage after name
        "1;a=\"\x01\"\r\nx\r\n0\r\n\r\n",         // CTL in quoted-string
        "5\r\nhelloX\r\n0\r\n\r\n",               // data without CRLF
        "5\r\nhello0\r\n\r\n",                    // data without CRLF
        "5\r\nhello\rX0\r\n\r\n",                 // CR without LF after data
        "5\rhello\r\n0\r\n\r\n",                  // bare CR in size line
        "0\r\nX : y\r\n\r\n",                     // whitespace before colon in trailer
        "0\r\nX: y\r\n z\r\n\r\n",                // obs-fold in trailer
        "0\r\n: y\r\n\r\n",                       // empty trailer name
        "0\r\nX: a\x00y\r\n\r\n"s,                // NUL in trailer
        "0\r\nX: a\ry\r\n\r\n",                   // bare CR in trailer
        "0\r\nX\r\n\r\n",                         // trailer without colon
        "0\r\n\rX",                               // bare CR at end
        "1;" + std::string(5000, 'a') + "\r\nx\r\n0\r\n\r\n", // over-long size line
    };
    for (auto& b : bodies) {
        chunk_state st;
        bool done = true;
        BOOST_TEST(chunked_feed(st, b.data(), b.size(), &done) == H1_ERROR, b);
        BOOST_TEST(!done);
        BOOST_TEST(st.error_msg != nullptr);
        chunk_state st1;
        long n = feed_pieces(b, [] { return size_t(1); }, done, st1);
        BOOST_TEST(n == -1, b);
    }
    // Bare LF refused when disabled.
    chunk_state strict;
    strict.allow_bare_lf = false;
    bool done = false;
    BOOST_TEST(chunked_feed(strict, "5\nhello\r\n0\r\n\r\n", 15, &done) == H1_ERROR);
    strict.reset();
    BOOST_TEST(!strict.allow_bare_lf);
    BOOST_TEST(chunked_feed(strict, "5\r\nhello\n0\r\n\r\n", 15, &done) == H1_ERROR);
    strict.reset();
    BOOST_TEST(chunked_feed(strict, "5\r\nhello\r\n0\r\n\r\n", 15, &done) == 15);
    BOOST_TEST(done);
}

// ---- relaxations (option accept-invalid-http-request / -response) --------------------------

namespace {

// Parses <msg> strictly then with <flags>: returns {strict result, relaxed result}.
std::pair<int, int> req_both(const std::string& msg, uint8_t flags, req_parse& relaxed)
{
    req_parse strict;
    int a = strict.run(msg);
    relaxed.flags = flags;
    return {a, relaxed.run(msg)};
}

} // namespace

BOOST_AUTO_TEST_CASE(relaxed_request_names)
{
    const std::string names[] = {"X(Y", "X@Y", "X\"Y", "[x]", "X/Y", "X{}Y", "X\\Y", "X=Y",
                                 "X?Y", "X,Y", "X;Y", "caf\xc3\xa9", "\xff"};
    for (auto& n : names) {
        std::string msg = "GET / HTTP/1.1\r\nHost: h\r\n" + n + ": v\r\nX-After: 1\r\n\r\n";
        req_parse p;
        auto [strict, relaxed] = req_both(msg, H1F_RELAX_NAME, p);
        BOOST_TEST(strict == H1_ERROR, n);
        BOOST_TEST(relaxed == int(msg.size()), n);
        BOOST_TEST(dump(p.req) == "GET|/|1|Host=h|" + n + "=v|X-After=1");
        // The whole set of relaxations, as the option sets them.
        p.flags = H1F_ACCEPT_INVALID_REQ;
        BOOST_TEST(p.run(msg) == int(msg.size()), n);
    }
    // What stays refused: CTLs (NUL, HTAB, VT, FF, CR...), SP, DEL, whitespace before the
    // colon, empty names, obs-fold, a line without colon.
    const std::string bad[] = {
        "X\x00Y: v"s, "X\x01Y: v", "X\tY: v", "X\vY: v", "X\fY: v", "X\rY: v", "X\x7fY: v",
        "X Y: v",     "X : v",     "X(\t: v", ": v",     "X(Y v",   "X(Y",     " X(Y: v",
    };
    for (auto& b : bad) {
        std::string msg = "GET / HTTP/1.1\r\nHost: h\r\n" + b + "\r\n\r\n";
        req_parse p;
        auto [strict, relaxed] = req_both(msg, H1F_ACCEPT_INVALID_REQ, p);
        BOOST_TEST(strict == H1_ERROR, b);
        BOOST_TEST(relaxed == H1_ERROR, b);
        BOOST_TEST(p.req.error_status == 400);
    }
    // Every byte at every position of a name.
    for (size_t pos = 0; pos < 20; ++pos) {
        for (int b = 0; b < 256; ++b) {
            std::string name(20, 'n');
            name[pos] = char(b);
            std::string msg = "GET / HTTP/1.1\r\nHost: h\r\n" + name + ": v\r\n\r\n";
            req_parse p;
            p.flags = H1F_RELAX_NAME;
            bool ok = b > 0x20 && b != 0x7f && b != ':';
            // (':' splits the name, LF first ends the block: neither parses as this field.)
            bool got = p.run(msg) == int(msg.size()) && p.req.num_headers == 2 &&
                       p.req.headers[1].name == name;
            BOOST_TEST(got == ok, "name byte " << b << " at " << pos);
        }
    }
}

BOOST_AUTO_TEST_CASE(relaxed_request_target)
{
    struct {
        std::string target;
    } cases[] = {{"/a#frag"}, {"/caf\xc3\xa9"}, {"/\xff"}, {"/a?b#c\x80"}, {"/#"},
                 {"http://h/p#f"}};
    for (auto& c : cases) {
        std::string msg = "GET " + c.target + " HTTP/1.1\r\nHost: h\r\n\r\n";
        req_parse p;
        auto [strict, relaxed] = req_both(msg, H1F_RELAX_TARGET, p);
        BOOST_TEST(strict == H1_ERROR, c.target);
        BOOST_TEST(relaxed == int(msg.size()), c.target);
        BOOST_TEST(p.req.target == c.target);
    }
    // Every byte at every offset (the word-at-a-time scan, then the relaxed one).
    for (size_t pos = 0; pos < 40; ++pos) {
        for (int b = 0; b < 256; ++b) {
            std::string target = "/" + std::string(40, 't');
            target[pos + 1] = char(b);
            std::string msg = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
            req_parse p;
            p.flags = H1F_RELAX_TARGET;
            bool ok = b > 0x20 && b != 0x7f;
            int r = p.run(msg);
            BOOST_TEST((r > 0) == ok, "target byte " << b << " at " << pos);
            if (ok)
                BOOST_TEST(p.req.target == target);
        }
    }
    // The length limit still counts every byte.
    std::string target = "/" + std::string(98, '\xe9') + "#";
    std::string msg = "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    req_parse p;
    p.flags = H1F_RELAX_TARGET;
    BOOST_TEST(p.run(msg, 100) == int(msg.size()));
    BOOST_TEST(p.run(msg, 99) == H1_ERROR);
    BOOST_TEST(p.req.error_status == 414);
}

BOOST_AUTO_TEST_CASE(relaxed_request_version)
{
    struct {
        std::string version;
    } cases[] = {{"RTSP/1.0"}, {"HTTP/1.10"}, {"HTTP/01.1"}, {"HTTP/11.1"}, {"ICE9/123.456"},
                 {"HTTP/1.1000000000000000000000"}};
    for (auto& c : cases) {
        std::string msg = "GET / " + c.version + "\r\nHost: h\r\n\r\n";
        req_parse p;
        auto [strict, relaxed] = req_both(msg, H1F_RELAX_VERSION, p);
        BOOST_TEST(strict == H1_ERROR, c.version);
        BOOST_TEST(relaxed == int(msg.size()), c.version);
        BOOST_TEST(dump(p.req) == "GET|/|0|Host=h", c.version); // handled as HTTP/1.0
        BOOST_TEST(p.req.error_msg == nullptr);
    }
    // Still refused: HTTP/0.9, lowercase or empty names, missing digits, trailing bytes; and
    // the well-formed but unsupported versions keep their 505.
    struct {
        std::string line;
        int status;
    } bad[] = {
        {"GET /\r\n", 400},          {"GET / http/1.1\r\n", 400}, {"GET / HTTP/1.\r\n", 400},
        {"GET / HTTP/1\r\n", 400},   {"GET / FOO\r\n", 400},      {"GET / /1.1\r\n", 400},
        {"GET / HTTP/.1\r\n", 400},  {"GET / HTTP/1.1 \r\n", 400}, {"GET / HTTP/1.1x\r\n", 400},
        {"GET / R-S/1.0\r\n", 400},  {"GET / HTTP/2.0\r\n", 505}, {"GET / HTTP/1.2\r\n", 505},
        {"GET / HTTP/1.1\rX\r\n", 400},
    };
    for (auto& c : bad) {
        std::string msg = c.line + "Host: h\r\n\r\n";
        req_parse p;
        p.flags = H1F_ACCEPT_INVALID_REQ;
        BOOST_TEST(p.run(msg) == H1_ERROR, c.line);
        BOOST_TEST(p.req.error_status == c.status, c.line);
        for (size_t k = 0; k < msg.size(); ++k)
            BOOST_TEST(p.run(msg, 8000, 0, k) < 0, c.line << " prefix " << k);
    }
}

BOOST_AUTO_TEST_CASE(relaxed_request_splits)
{
    // One request using every relaxation, fed split at every byte.
    std::string msg = "GET /caf\xc3\xa9?q#frag RTSP/1.0\r\nHost: h\r\nX(Y)\xe9: 1\r\n"
                      "{a}: 2\r\n\r\n";
    check_request_splits(msg, "GET|/caf\xc3\xa9?q#frag|0|Host=h|X(Y)\xe9=1|{a}=2",
                         H1F_ACCEPT_INVALID_REQ);
    req_parse p;
    BOOST_TEST(p.run(msg) == H1_ERROR);
}

BOOST_AUTO_TEST_CASE(relaxed_request_framing)
{
    // The relaxations never reach the body framing rules.
    const std::string bad[] = {
        "POST / HTTP/1.1\r\nHost: h\r\nX(Y: 1\r\nContent-Length: 3\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        // Handled as HTTP/1.0: Transfer-Encoding is refused.
        "POST / RTSP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.10\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    for (auto& m : bad) {
        req_parse p;
        p.flags = H1F_ACCEPT_INVALID_REQ;
        BOOST_TEST_REQUIRE(p.run(m) == int(m.size()), m);
        framing f;
        BOOST_TEST(request_framing(p.req, f) == -1, m);
        BOOST_TEST(f.error_status == 400);
    }
    // A value keeps its strict checks.
    req_parse p;
    p.flags = H1F_ACCEPT_INVALID_REQ;
    BOOST_TEST(p.run("GET / HTTP/1.1\r\nHost: h\r\nX(: a\x00b\r\n\r\n"s) == H1_ERROR);
    BOOST_TEST(p.run("GET / HTTP/1.1\r\nHost: h\r\nX(: a\r\n b\r\n\r\n"s) == H1_ERROR);
}

BOOST_AUTO_TEST_CASE(relaxed_responses)
{
    struct {
        std::string msg, dump;
        uint8_t flag;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nX(Y: 1\r\nContent-Length: 0\r\n\r\n",
         "1|200|OK|X(Y=1|Content-Length=0", H1F_RELAX_NAME},
        {"HTTP/1.1 200 OK\r\nX\xe9Y: 1\r\n\r\n", "1|200|OK|X\xe9Y=1", H1F_RELAX_NAME},
        {"HTTP/1.10 200 OK\r\nA: b\r\n\r\n", "0|200|OK|A=b", H1F_RELAX_VERSION},
        {"HTTP/01.1 404 Nope\r\n\r\n", "0|404|Nope", H1F_RELAX_VERSION},
        {"HTTP/11.1 200\r\n\r\n", "0|200|", H1F_RELAX_VERSION},
    };
    for (auto& c : cases) {
        res_parse strict;
        BOOST_TEST(strict.run(c.msg) == H1_ERROR, c.msg);
        res_parse p;
        p.flags = c.flag;
        BOOST_TEST_REQUIRE(p.run(c.msg) == int(c.msg.size()), c.msg);
        BOOST_TEST(dump(p.res) == c.dump);
        BOOST_TEST(p.res.error_msg == nullptr);
        p.flags = H1F_ACCEPT_INVALID_RES;
        for (size_t k = 0; k < c.msg.size(); ++k) {
            BOOST_TEST(p.run(c.msg, k) == H1_INCOMPLETE, c.msg << " prefix " << k);
            BOOST_TEST(p.run(c.msg, std::string::npos, k) == int(c.msg.size()));
            BOOST_TEST(dump(p.res) == c.dump);
        }
    }
    // Still refused with the option's flags.
    const std::string bad[] = {
        "HTTP/1.1 200 OK\r\nX\x00Y: 1\r\n\r\n"s, "HTTP/1.1 200 OK\r\nX\x01Y: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX Y: 1\r\n\r\n",     "HTTP/1.1 200 OK\r\nXY : 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: 1\r\n\r\n",        "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",               "RTSP/1.0 200 OK\r\n\r\n",
        "HTTP/1. 200 OK\r\n\r\n",                "HTTP/1.1x 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: \x00\r\n\r\n"s,   "HTTP/1.10  200 OK\r\n\r\n",
    };
    for (auto& b : bad) {
        res_parse p;
        p.flags = H1F_ACCEPT_INVALID_RES;
        BOOST_TEST(p.run(b) == H1_ERROR, b);
        BOOST_TEST(p.res.error_status == 502);
    }
    // Response framing is untouched: a relaxed version is HTTP/1.0, where TE is refused.
    res_parse p;
    p.flags = H1F_ACCEPT_INVALID_RES;
    std::string m = "HTTP/1.10 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    BOOST_TEST_REQUIRE(p.run(m) == int(m.size()));
    framing f;
    BOOST_TEST(response_framing(p.res, "GET", f) == -1);
}

// "show errors" reports where parsing stopped (HAProxy's "error at position"): the first
// byte the parser could not accept.
BOOST_AUTO_TEST_CASE(error_positions)
{
    struct c {
        const char* msg;
        size_t pos;
    } cases[] = {
        {"GET /foo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 31},  // space before colon
        {"GET /foo HTTP/1.1\r\nHost: x\r\nBa(d: 1\r\n\r\n", 30},    // '(' in a name
        {"GE\x01T / HTTP/1.1\r\n\r\n", 2},                         // control byte in method
        {"GET / HTTP/1.x\r\n\r\n", 13},                             // version minor digit
        {"GET / XTTP/1.1\r\n\r\n", 6},                              // version name
        {"GET /a b HTTP/1.1\r\n\r\n", 7},                          // a space in the target
    };
    for (const auto& k : cases) {
        req_parse p;
        BOOST_TEST(p.run(k.msg) == H1_ERROR, k.msg);
        BOOST_TEST(p.req.error_pos == k.pos, k.msg);
    }
    res_parse r;
    BOOST_TEST(r.run("HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 0\r\n\r\n") == H1_ERROR);
    BOOST_TEST(r.res.error_pos == 20u);
    BOOST_TEST(r.run("HTTP/1.1 2x0 OK\r\n\r\n") == H1_ERROR);
    BOOST_TEST(r.res.error_pos == 10u);
}
