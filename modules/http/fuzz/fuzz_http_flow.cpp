// SPDX-License-Identifier: MIT
// libFuzzer target for the http module's request path with http-request/http-response rules:
// fuzzed client bytes go through the module's real on_event handler (the fake host of the unit
// test, modules/http/test/fake_host.hpp), a fake server answers every request the module
// forwards, and what reaches the server and the client is re-parsed with the real parser.
//
// Input: 5 control bytes, then the client bytes.
//   [0] bits 0-3: the rule set (sets[] below, modulo their count); bit 7: the client closes
//       (EOF) after its last byte
//   [1] [2] split points: the client bytes arrive in up to 3 pieces
//   [3] [4] the server's answers, 3 bits per forwarded request (kinds in server_answer())
//
// Checks (abort() with a message):
//   - the bytes forwarded to the server are complete requests that parse (parse_request,
//     request_framing, chunked_feed), none preceded by an empty line, no more of them than
//     the client sent, never with both Content-Length and Transfer-Encoding, no CR/LF/NUL in
//     a field name or value;
//   - a client request the parser rejects, once the module reaches it, gets a 4xx/5xx final
//     response and the stream closes; nothing of it reaches the server;
//   - what the client receives is a sequence of well-formed responses (parse_response,
//     response_framing), each answering a request the client sent.
// Conditions ("if"/"unless") are left out: the fake host has no sample engine
// (expr_compile/cond_compile), so every configured rule applies to every request.
#include "../test/fake_host.hpp"
#include "h1.hpp"

#include <string_view>

namespace {

using namespace portico::h1;

[[noreturn]] void fail(const char* what, const std::string& detail = "")
{
    fprintf(stderr, "fuzz_http_flow: %s\n", what);
    if (!detail.empty())
        fprintf(stderr, "---\n%s\n---\n", detail.c_str());
    abort();
}

// ---- rule sets, configured once through the module's own keyword and action parsers --------

struct ruleset {
    std::vector<unsigned char> conf;
    std::map<uint32_t, std::vector<std::pair<const ptc_action*, void*>>> rules;
};

using words = std::vector<std::string>;

struct set_def {
    std::vector<words> keywords; // proxy keywords: {words, kw_words as the last word}
    std::vector<words> rules;
};

const std::vector<set_def> set_defs = {
    // 0: no rule
    {{}, {}},
    // 1: header edits, line rewrites
    {{},
     {{"http-request", "set-header", "X-Set", "v"},
      {"http-request", "add-header", "X-Add", "a"},
      {"http-request", "del-header", "user-agent"},
      {"http-request", "del-header", "x-d", "-m", "beg"},
      {"http-request", "replace-header", "host", "^(.*)\\.old$", "\\1.new"},
      {"http-request", "replace-value", "x-list", "^b$", "B"},
      {"http-request", "set-path", "/p"},
      {"http-request", "set-query", "q=2"},
      {"http-request", "set-method", "POST"},
      {"http-response", "set-header", "X-Res", "1"},
      {"http-response", "del-header", "server"}}},
    // 2: URI rewrites with captures from the client's bytes
    {{},
     {{"http-request", "replace-uri", "^/old/(.*)", "/new/\\1"},
      {"http-request", "replace-path", "(/foo)(/.*)", "\\2"},
      {"http-request", "replace-pathq", "^/q(.*)$", "/r\\1"},
      {"http-request", "replace-header", "cookie", "(.*);(.*)", "\\2;\\1"},
      {"http-request", "replace-value", "accept", "^(.*)$", "x-\\1"},
      {"http-response", "set-status", "299", "reason", "Weird"},
      {"http-after-response", "add-header", "x-after", "1"}}},
    // 3: set-uri, absolute form
    {{},
     {{"http-request", "set-uri", "http://up.example/x?y=1"},
      {"http-request", "del-header", "content-type"},
      {"http-response", "replace-header", "content-type", "^text/(.*)", "t/\\1"}}},
    // 4: deny everything
    {{}, {{"http-request", "deny", "deny_status", "403"}}},
    // 5: local answer with a body and headers
    {{},
     {{"http-request", "return", "status", "404", "content-type", "text/plain", "string",
       "nope", "hdr", "X-A", "b c"}}},
    // 6: redirects
    {{}, {{"http-request", "redirect", "prefix", "/pre", "set-cookie", "A=1"}}},
    {{},
     {{"http-request", "redirect", "scheme", "https", "code", "301", "drop-query",
       "append-slash"}}},
    // 8: connection modes, X-Forwarded-For, response deny
    {{{"option", "forwardfor", "2"}, {"option", "http-server-close", "2"}},
     {{"http-request", "set-header", "X-Set", "v"}, {"http-response", "deny"}}},
    {{{"option", "httpclose", "2"}},
     {{"http-request", "set-uri", "/u"}, {"http-after-response", "set-header", "x-a", "1"}}},
    // 10: header edits on both sides plus a response rewrite
    {{{"option", "forwardfor", "except", "127.0.0.0/8", "header", "X-Real", "2"}},
     {{"http-request", "set-method", "GET"},
      {"http-request", "del-header", "content-length"},
      {"http-request", "set-header", "Host", "h"},
      {"http-response", "set-header", "Content-Type", "x/y"},
      {"http-response", "del-header", "content-length"}}},
};

// never destroyed: the configuration stays reachable for LeakSanitizer at exit
std::vector<ruleset>& sets = *new std::vector<ruleset>;

void configure()
{
    module();
    for (const set_def& d : set_defs) {
        world.rules.clear();
        std::fill(world.fe_conf.begin(), world.fe_conf.end(), 0);
        world.mod->conf_init(nullptr, PTC_CONF_PROXY, world.fe_conf.data());
        for (words w : d.keywords) {
            uint32_t kw_words = uint32_t(std::stoul(w.back()));
            w.pop_back();
            if (keyword(w, kw_words) != PTC_OK)
                fail("keyword refused", w[0] + " " + w[1]);
        }
        for (const words& w : d.rules)
            if (add_rule(w) != PTC_OK)
                fail("rule refused", w[0] + " " + w[1] + " " +
                                         (world.errors.empty() ? "" : world.errors.back()));
        sets.push_back(ruleset{world.fe_conf, world.rules});
    }
}

// ---- message scanning with the real parser ----------------------------------------------------

constexpr size_t max_fields = 1024;
header fields[max_fields];

bool has_ctl(std::string_view v)
{
    for (char c : v)
        if (c == '\r' || c == '\n' || c == '\0')
            return true;
    return false;
}

struct req_info {
    std::string method;
    bool upgrade = false; // "Connection: upgrade" + Upgrade, or CONNECT
    size_t end = 0;       // offset after the request (head and body)
};

enum class scan { DONE, INCOMPLETE_HEAD, INCOMPLETE_BODY, BAD_HEAD, BAD_BODY };

// Body of a request or response of framing <f> at buf[off..): sets <end>.
scan body(std::string_view buf, size_t off, const framing& f, size_t& end)
{
    if (f.kind == framing::LENGTH) {
        if (buf.size() - off < f.length)
            return scan::INCOMPLETE_BODY;
        end = off + f.length;
        return scan::DONE;
    }
    if (f.kind == framing::CHUNKED) {
        chunk_state cs;
        bool done = false;
        int n = chunked_feed(cs, buf.data() + off, buf.size() - off, &done);
        if (n < 0)
            return scan::BAD_BODY;
        if (!done)
            return scan::INCOMPLETE_BODY;
        end = off + size_t(n);
        return scan::DONE;
    }
    end = off;
    return scan::DONE;
}

// One request at buf[off..). <max_hdr> as the module's parser (client side) or larger
// (forwarded side: the rules may add fields). <strict> checks the forwarded side's rules.
scan one_request(std::string_view buf, size_t off, size_t max_hdr, bool strict, req_info& ri)
{
    request req;
    req.headers = fields;
    req.max_headers = max_hdr;
    int r = parse_request(buf.data() + off, buf.size() - off, req);
    if (r == H1_INCOMPLETE)
        return scan::INCOMPLETE_HEAD;
    if (r < 0)
        return scan::BAD_HEAD;
    framing f;
    if (request_framing(req, f) < 0)
        return scan::BAD_HEAD;
    if (strict) {
        bool cl = false, te = false;
        for (size_t i = 0; i < req.num_headers; i++) {
            if (has_ctl(req.headers[i].name) || has_ctl(req.headers[i].value))
                fail("forwarded field with CR/LF/NUL");
            cl |= ieq(req.headers[i].name, "content-length");
            te |= ieq(req.headers[i].name, "transfer-encoding");
        }
        if (cl && te)
            fail("forwarded request with both Content-Length and Transfer-Encoding");
    }
    ri.method.assign(req.method);
    ri.upgrade = f.upgrade || req.method == "CONNECT";
    return body(buf, off + size_t(r), f, ri.end);
}

// ---- the fake server ----------------------------------------------------------------------------

// The answer of kind <k> to a request <ri>; sets <close_after> when the server closes after it.
std::string server_answer(unsigned k, const req_info& ri, bool& close_after)
{
    const bool head = ri.method == "HEAD";
    close_after = false;
    switch (k) {
    case 0:
        return head ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    case 1:
        return std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: s\r\n"
                           "Content-Type: text/html\r\n\r\n") +
               (head ? "" : "2\r\nok\r\n0\r\nX-T: 1\r\n\r\n");
    case 2:
        if (ri.method == "CONNECT")
            return "HTTP/1.1 200 Connection established\r\n\r\n";
        if (ri.upgrade)
            return "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                   "Upgrade: websocket\r\n\r\n";
        return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    case 3:
        close_after = true;
        return head ? "HTTP/1.0 200 OK\r\n\r\n" : "HTTP/1.0 200 OK\r\n\r\nuntil close";
    case 4:
        return "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n";
    case 5:
        close_after = true;
        return "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    case 6:
        return head ? "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: s\r\n\r\n"
                    : "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: s\r\n\r\nnone\n";
    default:
        return head ? "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n"
                    : "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    }
}

bool rewrites_method = false; // the input's rule set rewrites the request line

// A forwarded request line that a line rewrite made of a CONNECT request: an authority-form
// target ("host:port") with another method (set-method), or a CONNECT with another target
// (set-uri, set-path...). HAProxy does not check the rewritten line either.
bool method_rewritten_connect(const std::string& out, size_t off)
{
    if (!rewrites_method)
        return false;
    size_t eol = out.find('\n', off);
    std::string_view line(out.data() + off, (eol == std::string::npos ? out.size() : eol) - off);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos)
        return false;
    if (line.substr(0, sp) == "CONNECT")
        return true; // set-uri/set-path on a CONNECT: the target is no authority any more
    // The CONNECT's authority-form target under another method. A reg-name may begin with a
    // sub-delim ('*', '&'...): only "*" alone is the asterisk-form.
    std::string_view tgt = line.substr(sp + 1);
    tgt = tgt.substr(0, tgt.find(' '));
    return !tgt.empty() && tgt[0] != '/' && tgt != "*" &&
           tgt.find("://") == std::string_view::npos;
}

struct session {
    harness h;
    uint32_t answers_bits;
    int connects_seen = 0;
    size_t answered = 0;            // forwarded requests answered
    std::vector<req_info> fwd;      // forwarded complete requests
    size_t tunnel_at = std::string::npos; // forwarded offset where a tunnel began
    bool srv_tunnel = false;

    explicit session(uint32_t bits) : answers_bits(bits) {}

    // Re-scans what was forwarded: complete requests (checked), up to a tunnel.
    void scan_forwarded()
    {
        const std::string& out = h.to_server();
        fwd.clear();
        size_t off = 0;
        while (off < out.size() && off < tunnel_at) {
            // empty lines before a request line are the client's, dropped (RFC 9112 2.2)
            if (out[off] == '\r' || out[off] == '\n')
                fail("an empty line was sent on before a request", out);
            req_info ri;
            scan r = one_request(out, off, max_fields, true, ri);
            if (r == scan::BAD_HEAD && method_rewritten_connect(out, off))
                break; // a line rewrite of a CONNECT: HAProxy does not re-check the line
            if (r == scan::BAD_HEAD)
                fail("forwarded request head does not parse", out);
            if (r == scan::BAD_BODY)
                fail("forwarded request body does not parse", out);
            if (r != scan::DONE)
                break;
            fwd.push_back(ri);
            off = ri.end;
        }
    }

    // Plays the server until nothing moves; bounded.
    void pump()
    {
        for (int round = 0; round < 32; round++) {
            if (h.f.closed)
                return;
            bool moved = false;
            if (h.f.connects > connects_seen && !h.f.srv_connected) {
                connects_seen = h.f.connects;
                h.server_connects();
                moved = true;
            }
            scan_forwarded();
            if (h.f.srv_connected && !srv_tunnel && answered < fwd.size() && !h.f.closed) {
                const req_info& ri = fwd[answered];
                unsigned k = (answers_bits >> (3 * (answered % 5))) & 7;
                bool close_after;
                std::string a = server_answer(k, ri, close_after);
                answered++;
                int st = std::atoi(a.c_str() + 9);
                if (st == 101 || (ri.method == "CONNECT" && st >= 200 && st < 300)) {
                    srv_tunnel = true;
                    tunnel_at = ri.end;
                }
                h.server_sends(a);
                if (close_after && !h.f.closed && h.f.srv_connected)
                    h.server_closes();
                moved = true;
            }
            if (!moved)
                return;
        }
    }
};

// Client-side reference: the requests the client sent, as the module's parser sees them.
struct client_view {
    std::vector<req_info> reqs; // valid heads, body complete or not
    size_t bad_at = std::string::npos; // index of a rejected head, if any
    bool stopped = false;             // stopped early (body error or incomplete)
};

client_view client_requests(std::string_view in, bool eof)
{
    client_view cv;
    size_t off = 0;
    while (off < in.size()) {
        // empty lines before a request line are dropped (RFC 9112 2.2); only they, then the
        // end of the connection: the module answers 400
        size_t lead = off;
        while (lead < in.size() &&
               (in[lead] == '\n' || (in[lead] == '\r' && lead + 1 < in.size() && in[lead + 1] == '\n')))
            lead += in[lead] == '\n' ? 1 : 2;
        if (lead == in.size()) {
            if (eof)
                cv.bad_at = cv.reqs.size();
            break;
        }
        off = lead;
        req_info ri;
        scan r = one_request(in, off, 101, false, ri);
        if (r == scan::BAD_HEAD) {
            cv.bad_at = cv.reqs.size();
            break;
        }
        if (r == scan::INCOMPLETE_HEAD) {
            if (eof) // the client closed in the middle of a head: the module answers 400
                cv.bad_at = cv.reqs.size();
            break;
        }
        cv.reqs.push_back(ri);
        if (r != scan::DONE) {
            cv.stopped = true;
            break;
        }
        off = ri.end;
    }
    return cv;
}

// Checks what the client received: well-formed responses, each to a request it sent.
// Returns the final responses seen and the last final status.
size_t check_client(const std::string& out, const client_view& cv, int& last_status)
{
    size_t off = 0, finals = 0;
    last_status = 0;
    while (off < out.size()) {
        response res;
        res.headers = fields;
        res.max_headers = max_fields;
        int r = parse_response(out.data() + off, out.size() - off, res);
        if (r < 0)
            fail(r == H1_INCOMPLETE ? "partial response head sent to the client"
                                    : "response to the client does not parse",
                 out);
        std::string method = "GET";
        if (res.status >= 200) {
            if (finals < cv.reqs.size())
                method = cv.reqs[finals].method;
            else if (finals != cv.bad_at)
                fail("more final responses than client requests", out);
            finals++;
            last_status = res.status;
        }
        framing f;
        if (response_framing(res, method, f) < 0)
            fail("response to the client has bad framing", out);
        if (f.kind == framing::TUNNEL || f.kind == framing::UNTIL_CLOSE)
            break;
        size_t end;
        scan b = body(out, off + size_t(r), f, end);
        if (b == scan::BAD_BODY)
            fail("response body to the client does not parse", out);
        if (b != scan::DONE)
            fail("partial response body sent to the client", out);
        off = end;
    }
    return finals;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (sets.empty())
        configure();
    if (size < 5)
        return 0;
    const ruleset& rs = sets[(data[0] & 0x0f) % sets.size()];
    const bool client_eof = data[0] & 0x80;
    const std::string in(reinterpret_cast<const char*>(data) + 5, size - 5);
    const size_t a = size_t(data[1]) * in.size() / 255;
    const size_t b = a + size_t(data[2]) * (in.size() - a) / 255;
    const uint32_t answers = uint32_t(data[3]) | uint32_t(data[4]) << 8;

    rewrites_method = false;
    for (const words& w : set_defs[size_t(&rs - sets.data())].rules)
        rewrites_method |= w[1] == "set-method" || w[1] == "set-uri" || w[1] == "set-path" ||
                           w[1] == "set-query" || w[1].starts_with("replace-path") ||
                           w[1] == "replace-uri";
    world.fe_conf = rs.conf;
    world.rules = rs.rules;
    world.logs.clear();
    world.log_lines.clear();

    session ss(answers);
    const std::string pieces[3] = {in.substr(0, a), in.substr(a, b - a), in.substr(b)};
    for (const std::string& p : pieces) {
        if (ss.h.f.closed)
            break;
        if (p.empty())
            continue;
        ss.h.client_sends(p);
        ss.pump();
    }
    if (client_eof && !ss.h.f.closed) {
        ss.h.f.ch[PTC_DIR_REQ].flags |= PTC_CHAN_EOF;
        ss.h.event(PTC_EV_REQ_DATA);
        ss.pump();
    }
    ss.scan_forwarded();
    world.mod->protos[0].on_release(ss.h.s(), ss.h.f.state.data());

    // What reached the server: complete requests first, no partial head after them.
    const std::string& srv = ss.h.to_server();
    size_t fwd_end = ss.fwd.empty() ? 0 : ss.fwd.back().end;
    if (!ss.srv_tunnel && fwd_end < srv.size()) {
        req_info ri;
        if (one_request(srv, fwd_end, max_fields, true, ri) == scan::INCOMPLETE_HEAD)
            fail("partial request head forwarded", srv);
    }
    const client_view cv = client_requests(in, client_eof);
    size_t fwd_heads = ss.fwd.size() + (fwd_end < srv.size() && !ss.srv_tunnel ? 1 : 0);
    if (fwd_heads > cv.reqs.size())
        fail("more requests forwarded than the client sent", srv);

    int last_status;
    size_t finals = check_client(ss.h.to_client(), cv, last_status);

    // A rejected request, once reached, gets a 4xx/5xx and the stream closes.
    if (cv.bad_at != std::string::npos && !cv.stopped && !ss.srv_tunnel) {
        if (finals == cv.bad_at + 1) {
            if (last_status < 400 || last_status > 599)
                fail("rejected request answered without 4xx/5xx", ss.h.to_client());
            if (!ss.h.f.closed)
                fail("rejected request left the stream open", ss.h.to_client());
        }
        if (ss.fwd.size() > cv.bad_at)
            fail("a rejected request reached the server", srv);
    }
    return 0;
}
