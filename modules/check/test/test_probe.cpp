// SPDX-License-Identifier: MIT
// Unit tests of the check module's probe engine: keyword parsing, and probes run against a
// scripted fake connection (expectations from HAProxy 2.6's reg-tests/checks/).
#define BOOST_TEST_MODULE probe
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "probe.hpp"

#include <cerrno>
#include <sstream>
#include <string>
#include <vector>

using namespace std::string_literals;
using namespace chk;

namespace {

std::vector<std::string> split(const std::string& s)
{
    std::istringstream is(s);
    std::vector<std::string> w;
    std::string x;
    while (is >> x)
        w.push_back(x);
    return w;
}

// A spec from configuration lines (words split on blanks; use parse() for other words).
check_spec make(const std::vector<std::vector<std::string>>& lines)
{
    check_spec s;
    std::string err;
    for (auto& l : lines)
        BOOST_REQUIRE_MESSAGE(s.parse(l, err), err);
    BOOST_REQUIRE_MESSAGE(s.finish(err), err);
    return s;
}

std::string parse_err(const std::vector<std::string>& words)
{
    check_spec s;
    std::string err;
    if (s.parse(words, err))
        return "";
    return err;
}

// A scripted peer: connection succeeds (or not), records what was sent, feeds replies.
struct fake_io : probe_io {
    bool refuse = false, conn = false, closed = false, start_fails = false;
    bool auto_connect = true;
    bool tls = false, hs = false; // a TLS connection; its handshake under way
    const char* why = nullptr;
    size_t accept_max = SIZE_MAX; // bytes accepted per send()
    std::string sent, in;
    size_t cap = 16384;
    int connects = 0;
    connect_opts last;

    bool connect(const connect_opts& o) override
    {
        connects++;
        last = o;
        if (start_fails)
            return false;
        conn = auto_connect;
        closed = false;
        in.clear();
        return true;
    }
    bool connected() const override { return conn; }
    size_t send(std::string_view d) override
    {
        size_t n = std::min(d.size(), accept_max);
        sent.append(d.substr(0, n));
        return n;
    }
    bool sent_all() const override { return true; }
    std::string_view input() const override { return in; }
    void consume(size_t n) override { in.erase(0, n); }
    bool eof() const override { return closed; }
    bool input_full() const override { return in.size() >= cap; }
    bool handshaking() const override { return hs; }
    const char* error_text() const override { return why; }
    bool is_tls() const override { return tls; }
    void feed(const std::string& s) { in += s.substr(0, cap > in.size() ? cap - in.size() : 0); }
};

std::string hex(const std::string& h)
{
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

// Runs <spec> with the peer sending <reply> then closing (if <close>).
probe_result run(const check_spec& spec, const std::string& reply, bool close = true,
                 fake_io* iop = nullptr, probe_env env = {})
{
    fake_io local;
    fake_io& io = iop ? *iop : local;
    probe p(spec, env, io);
    if (!p.step()) {
        io.feed(reply);
        if (!p.step() && close) {
            io.closed = true;
            p.step();
        }
    }
    if (!p.done())
        p.timeout();
    return p.result();
}

} // namespace

// ---- names ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(status_names)
{
    BOOST_TEST(hchk_name(HCHK_L4CON) == "L4CON"s);
    BOOST_TEST(hchk_desc(HCHK_L4CON) == "Layer4 connection problem"s);
    BOOST_TEST(hchk_name(HCHK_L7OKD) == "L7OK"s);
    BOOST_TEST(hchk_name(HCHK_L7OKCD) == "L7OKC"s);
    BOOST_TEST(hchk_name(HCHK_L7STSERR) == "L7STS"s);
    BOOST_TEST(hchk_desc(HCHK_L7STSERR) == "Layer7 wrong status"s);
    BOOST_TEST(hchk_desc(HCHK_L6RSP) == "Layer6 invalid response"s);
    BOOST_TEST(static_cast<int>(HCHK_L7OKD) == 15);
}

// ---- parsing --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_errors)
{
    BOOST_TEST(parse_err(split("option pgsql-check")) ==
               "'option pgsql-check' expects 'user <username>' as argument.");
    BOOST_TEST(parse_err(split("option mysql-check foo")) ==
               "'option mysql-check' only supports optional values: 'user' (got 'foo').");
    BOOST_TEST(parse_err(split("option mysql-check user u v5")) ==
               "keyword 'user' only supports 'post-41' and 'pre-41' (got 'v5').");
    BOOST_TEST(parse_err(split("option redis-check x")) ==
               "'option redis-check' cannot handle unexpected argument 'x'.");
    BOOST_TEST(parse_err(split("http-check expect")) ==
               "'http-check expect' : expects at least a matching pattern as arguments.");
    BOOST_TEST(parse_err(split("http-check expect status 300-200")) ==
               "'http-check expect' : invalid range of status codes '300-200'.");
    BOOST_TEST(parse_err(split("http-check expect binary 00")).find("'only supports") !=
               std::string::npos);
    BOOST_TEST(parse_err(split("tcp-check expect status 200")).find("'only supports") !=
               std::string::npos);
    BOOST_TEST(parse_err(split("tcp-check expect binary 0G")) ==
               "'tcp-check expect' : invalid binary string (an hex digit is expected (found "
               "'G')).");
    BOOST_TEST(parse_err(split("tcp-check expect ! min-recv 3 string x")) ==
               "'tcp-check expect' : [!] not supported with 'min-recv'.");
    BOOST_TEST(parse_err(split("tcp-check expect rstring (")).find("regex '(' is invalid") !=
               std::string::npos);
    BOOST_TEST(parse_err(split("tcp-check foo")) ==
               "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', "
               "'expect'. but got 'foo'");
    BOOST_TEST(parse_err(split("tcp-check expect error-status L7OK string x")) ==
               "'tcp-check expect' : 'error-status' only supports 'L4CON', 'L6RSP', 'L7RSP' or "
               "'L7STS' status (got 'L7OK').");
    BOOST_TEST(parse_err(split("tcp-check connect port 70000")).find("expects a valid TCP port") !=
               std::string::npos);
    BOOST_TEST(parse_err(split("http-check send hdr Host a hdr host b")) ==
               "'http-check send' : 'host' header already defined (previous value is 'a').");
}

BOOST_AUTO_TEST_CASE(parse_refused_not_supported)
{
    for (const char* l : {"tcp-check connect proto h2", "tcp-check connect via-socks4", "tcp-check send-lf %[date]",
                          "tcp-check expect string-lf %[x]", "tcp-check expect status-code x string a",
                          "tcp-check set-var(check.x) int(1)", "http-check send hdr X %[date]",
                          "http-check send uri-lf /%[x]", "http-check expect on-error %[x] status 200",
                          "http-check expect hdr name-lf %[x]", "tcp-check connect port res.payload(0,1)",
                          "tcp-check connect addr example.com"}) {
        std::string e = parse_err(split(l));
        BOOST_TEST_INFO(l);
        BOOST_TEST(e.find("not supported yet") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(http_rule_order_errors)
{
    check_spec s;
    std::string err;
    BOOST_REQUIRE(s.parse(split("option httpchk"), err));
    BOOST_REQUIRE(s.parse(split("http-check expect status 200"), err));
    BOOST_TEST(s.parse(split("http-check expect status 200"), err));
    BOOST_TEST(!s.parse(split("http-check send meth GET"), err));
    BOOST_TEST(err.find("(missing connect rule)") != std::string::npos);
    check_spec t;
    BOOST_REQUIRE(t.parse(split("tcp-check send x"), err));
    BOOST_TEST(!t.parse(split("tcp-check connect"), err));
    BOOST_TEST(err.find("first step MUST also be a 'connect'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(warnings_and_keys)
{
    check_spec s = make({split("http-check expect status 200")});
    BOOST_TEST(s.kind() == check_spec::K_CONNECT);
    BOOST_REQUIRE(s.warnings().size() == 1u);
    BOOST_TEST(s.warnings()[0].find("without 'option httpchk'") != std::string::npos);
    check_spec a = make({split("option httpchk GET /a")});
    check_spec b = make({split("option httpchk GET /a")});
    check_spec c = make({split("option httpchk GET /b")});
    BOOST_TEST(a.key() == b.key());
    BOOST_TEST(a.key() != c.key());
    BOOST_TEST(a.key() != make({}).key());
}

// ---- plain connect --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(plain_connect)
{
    check_spec s = make({});
    BOOST_TEST(s.kind() == check_spec::K_CONNECT);
    fake_io io;
    probe p(s, {}, io);
    BOOST_TEST(p.step());
    BOOST_TEST(p.result().status == HCHK_L4OK);
    BOOST_TEST(p.result().result == RES_PASSED);
    BOOST_TEST(p.result().desc == "");
    BOOST_TEST(io.last.implicit);

    fake_io r;
    r.auto_connect = false;
    probe q(s, {}, r);
    BOOST_TEST(!q.step());
    q.fail(ECONNREFUSED);
    BOOST_TEST(q.result().status == HCHK_L4CON);
    BOOST_TEST(q.result().desc == "Connection refused");
    BOOST_TEST(q.result().code == -1);

    fake_io t;
    t.auto_connect = false;
    probe u(s, {}, t);
    BOOST_TEST(!u.step());
    u.timeout();
    BOOST_TEST(u.result().status == HCHK_L4TOUT);
    BOOST_TEST(u.result().desc == "");

    fake_io f;
    f.start_fails = true;
    probe v(s, {}, f);
    BOOST_TEST(v.step());
    BOOST_TEST(v.result().status == HCHK_SOCKERR);
}

// TLS connections: the rule's options reach the connection, a check ending on a TLS connect
// passes as L6OK, a handshake failure is L6RSP with the transport's text, its timeout L6TOUT.
BOOST_AUTO_TEST_CASE(tls_connect)
{
    check_spec s = make({{"option", "tcp-check"},
                         {"tcp-check", "connect", "ssl", "sni", "a.test", "alpn", "x,y", "port",
                          "8443"}});
    BOOST_TEST(s.connect_ssl());
    BOOST_TEST(!make({}).connect_ssl());
    BOOST_TEST(s.key() != make({{"option", "tcp-check"},
                                {"tcp-check", "connect", "ssl", "sni", "b.test", "alpn", "x,y",
                                 "port", "8443"}})
                              .key());
    fake_io io;
    io.tls = true;
    probe p(s, {}, io);
    BOOST_TEST(p.step());
    BOOST_TEST(io.last.ssl);
    BOOST_TEST(io.last.sni == "a.test");
    BOOST_TEST(io.last.alpn == "x,y");
    BOOST_TEST(io.last.port == 8443);
    BOOST_TEST(p.result().status == HCHK_L6OK);
    BOOST_TEST(p.result().desc == "(tcp-check)");

    check_spec plain = make({});
    fake_io h;
    h.auto_connect = false;
    h.tls = h.hs = true;
    h.why = "SSL handshake failure";
    probe q(plain, {}, h);
    BOOST_TEST(!q.step());
    q.fail(0);
    BOOST_TEST(q.result().status == HCHK_L6RSP);
    BOOST_TEST(q.result().desc == "SSL handshake failure");

    fake_io r;
    r.auto_connect = false;
    r.tls = r.hs = true;
    r.why = "Connection error during SSL handshake";
    probe u(plain, {}, r);
    BOOST_TEST(!u.step());
    u.fail(ECONNRESET);
    BOOST_TEST(u.result().status == HCHK_L6RSP);
    BOOST_TEST(u.result().desc ==
               "Connection error during SSL handshake (Connection reset by peer)");

    fake_io t;
    t.auto_connect = false;
    t.tls = t.hs = true;
    probe v(plain, {}, t);
    BOOST_TEST(!v.step());
    v.timeout();
    BOOST_TEST(v.result().status == HCHK_L6TOUT);

    BOOST_TEST(parse_err(split("tcp-check connect ssl sni")).find("expects a string") !=
               std::string::npos);
}

// ---- HTTP -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(http_default_request_and_statuses)
{
    check_spec s = make({split("option httpchk")});
    BOOST_TEST(s.kind() == check_spec::K_HTTP);
    fake_io io;
    auto r = run(s, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", true, &io);
    BOOST_TEST(io.sent == "OPTIONS / HTTP/1.0\r\ncontent-length: 0\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.code == 200);
    BOOST_TEST(r.desc == "");

    r = run(s, "HTTP/1.0 302 Found\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.code == 302);

    r = run(s, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.result == RES_FAILED);
    BOOST_TEST(r.code == 503);
    BOOST_TEST(r.desc == "Service Unavailable");
}

BOOST_AUTO_TEST_CASE(http_garbage_empty_partial_huge)
{
    check_spec s = make({split("option httpchk")});
    auto r = run(s, "garbage\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "");

    r = run(s, "");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "TCPCHK got an empty response at step 2");

    r = run(s, "HTTP/1.1 200 OK\r\nServer: x\r\n"); // closed mid-headers
    BOOST_TEST(r.status == HCHK_L7RSP);

    r = run(s, "HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a')); // headers overflow
    BOOST_TEST(r.status == HCHK_L7RSP);

    // A response whose body does not fit: the status decides.
    r = run(s, "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + std::string(30000, 'b'),
            false);
    BOOST_TEST(r.status == HCHK_L7OKD);
}

BOOST_AUTO_TEST_CASE(http_timeouts_and_errors)
{
    check_spec s = make({split("option httpchk")});
    fake_io io;
    probe p(s, {}, io);
    BOOST_TEST(!p.step());
    io.feed("HTTP/1.1 200 O");
    BOOST_TEST(!p.step());
    p.timeout();
    BOOST_TEST(p.result().status == HCHK_L7TOUT);
    BOOST_TEST(p.result().desc == "");

    fake_io c;
    c.auto_connect = false;
    probe q(s, {}, c);
    BOOST_TEST(!q.step());
    q.fail(ECONNREFUSED);
    BOOST_TEST(q.result().status == HCHK_L4CON);
    BOOST_TEST(q.result().desc == "Connection refused");

    fake_io d;
    probe x(s, {}, d);
    BOOST_TEST(!x.step());
    x.fail(ECONNRESET);
    BOOST_TEST(x.result().status == HCHK_SOCKERR);
    BOOST_TEST(x.result().desc == "Connection reset by peer");

    // Data then a reset: the data decides.
    fake_io e;
    probe y(s, {}, e);
    BOOST_TEST(!y.step());
    e.feed("HTTP/1.1 404 Not Found\r\n\r\n");
    y.fail(ECONNRESET);
    BOOST_TEST(y.result().status == HCHK_L7STSERR);
    BOOST_TEST(y.result().code == 404);
}

BOOST_AUTO_TEST_CASE(http_send_requests)
{
    // reg-tests/checks/http-check-send.vtc
    fake_io io;
    run(make({split("option httpchk GET /test HTTP/1.1")}), "HTTP/1.1 200 OK\r\n\r\n", true, &io);
    BOOST_TEST(io.sent == "GET /test HTTP/1.1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");

    // Legacy headers in the version string (deprecated, still sent).
    check_spec leg;
    std::string err;
    BOOST_REQUIRE(leg.parse({"option", "httpchk", "GET", "/", "HTTP/1.1\r\nHost: www"}, err));
    BOOST_REQUIRE(leg.finish(err));
    fake_io l;
    run(leg, "HTTP/1.1 200 OK\r\n\r\n", true, &l);
    BOOST_TEST(l.sent == "GET / HTTP/1.1\r\nhost: www\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");

    // "http-check send" replaces the legacy headers and sets a body.
    check_spec def;
    BOOST_REQUIRE(def.parse({"option", "httpchk", "GET", "/status", "HTTP/1.1\r\nHdr: must-be-removed"}, err));
    BOOST_REQUIRE(def.parse(split("http-check send hdr Host my-www-host hdr X-test true body test"), err));
    check_spec be4(def);
    BOOST_REQUIRE(be4.finish(err));
    fake_io b4;
    run(be4, "HTTP/1.1 200 OK\r\n\r\n", true, &b4);
    BOOST_TEST(b4.sent == "GET /status HTTP/1.1\r\nhost: my-www-host\r\nx-test: true\r\n"
                         "connection: close\r\ncontent-length: 4\r\n\r\ntest");

    // A backend's own http-check rules replace the ones of its defaults (be5).
    check_spec be5(def);
    BOOST_REQUIRE(be5.parse({"http-check", "send", "hdr", "Host", "other-www-host", "hdr",
                             "X-New-Test", "true", "body", "other test"}, err));
    BOOST_REQUIRE(be5.finish(err));
    fake_io b5;
    run(be5, "HTTP/1.1 200 OK\r\n\r\n", true, &b5);
    BOOST_TEST(b5.sent == "OPTIONS / HTTP/1.0\r\nhost: other-www-host\r\nx-new-test: true\r\n"
                         "content-length: 10\r\n\r\nother test");

    // "option httpchk" in the backend starts from scratch too (be3).
    check_spec be3(def);
    BOOST_REQUIRE(be3.parse(split("option httpchk"), err));
    BOOST_REQUIRE(be3.finish(err));
    fake_io b3;
    run(be3, "HTTP/1.1 200 OK\r\n\r\n", true, &b3);
    BOOST_TEST(b3.sent == "OPTIONS / HTTP/1.0\r\ncontent-length: 0\r\n\r\n");

    // be6_ws: connection: upgrade kept, 101 expected.
    check_spec ws = make({split("option httpchk"),
                          split("http-check send meth GET uri / ver HTTP/1.1 hdr host ws-host hdr "
                                "connection upgrade hdr upgrade raw-proto"),
                          split("http-check expect status 101")});
    fake_io w;
    auto r = run(ws, "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\n\r\n", false, &w);
    BOOST_TEST(w.sent == "GET / HTTP/1.1\r\nhost: ws-host\r\nconnection: upgrade\r\n"
                        "upgrade: raw-proto\r\ncontent-length: 0\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.code == 101);

    // send-state
    check_spec st = make({split("option httpchk"), split("http-check send-state")});
    fake_io sio;
    probe_env env;
    env.server_state = "UP 1/2; name=be/s1";
    run(st, "HTTP/1.1 200 OK\r\n\r\n", true, &sio, env);
    BOOST_TEST(sio.sent.find("x-haproxy-server-state: UP 1/2; name=be/s1\r\n") != std::string::npos);

    // A slow socket: the request goes out in pieces.
    fake_io slow;
    slow.accept_max = 3;
    check_spec d = make({split("option httpchk")});
    probe p(d, {}, slow);
    for (int k = 0; k < 100 && !p.step(); k++)
        if (slow.sent.size() == 41)
            slow.feed("HTTP/1.0 200 OK\r\n\r\n");
    BOOST_TEST(slow.sent == "OPTIONS / HTTP/1.0\r\ncontent-length: 0\r\n\r\n");
    BOOST_TEST(p.result().status == HCHK_L7OKD);
}

BOOST_AUTO_TEST_CASE(http_expect_variants)
{
    auto with = [](const std::vector<std::string>& e) {
        return make({split("option httpchk"), e});
    };
    std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Val: a, bcd\r\n"
                     "content-length: 11\r\n\r\nhello world";
    BOOST_TEST(run(with(split("http-check expect status 200-399,500")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect status 500")), ok).status == HCHK_L7STSERR);
    BOOST_TEST(run(with(split("http-check expect ! status 500")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect rstatus ^2")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect rstatus ^5")), ok).status == HCHK_L7STSERR);

    auto r = run(with(split("http-check expect string world")), ok);
    BOOST_TEST(r.status == HCHK_L7OKD);
    r = run(with(split("http-check expect string nope")), ok);
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "HTTP content check did not match");
    r = run(with(split("http-check expect ! string hello")), ok);
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "HTTP check matched unwanted content");
    r = run(with(split("http-check expect rstring ^hel+o")), ok);
    BOOST_TEST(r.status == HCHK_L7OKD);
    r = run(with(split("http-check expect string x")), "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "HTTP content check could not find a response body");

    // chunked body
    r = run(with(split("http-check expect string world")),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
            false);
    BOOST_TEST(r.status == HCHK_L7OKD);

    BOOST_TEST(run(with(split("http-check expect hdr name content-type")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect hdr name -m beg content- value -m sub plain")), ok)
                   .status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect hdr name x-val value bcd")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect fhdr name x-val value bcd")), ok).status ==
               HCHK_L7STSERR);
    BOOST_TEST(run(with(split("http-check expect fhdr name x-val value -m reg ^a,")), ok).status ==
               HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect hdr name -m reg ^X-V")), ok).status == HCHK_L7OKD);
    BOOST_TEST(run(with(split("http-check expect hdr name x-none")), ok).desc == "OK");

    // statuses and comments
    r = run(make({split("option httpchk"), split("http-check comment health"),
                  split("http-check expect error-status L7RSP status 201")}), ok);
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "OK comment: health");
    r = run(make({split("option httpchk"),
                  split("http-check expect on-error down! on-success fine status 200")}), ok);
    BOOST_TEST(r.desc == "fine");
    r = run(make({split("option httpchk"),
                  split("http-check expect on-error down! on-success fine status 201")}), ok);
    BOOST_TEST(r.desc == "down!");
    r = run(make({split("option httpchk"), split("http-check expect ok-status L7OKC status 200")}), ok);
    BOOST_TEST(r.status == HCHK_L7OKCD);
    BOOST_TEST(r.result == RES_CONDPASS);
}

BOOST_AUTO_TEST_CASE(http_disable_on_404)
{
    check_spec s = make({split("option httpchk"), split("http-check disable-on-404")});
    auto r = run(s, "HTTP/1.1 404 Not Found\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L7OKCD);
    BOOST_TEST(r.code == 404);
    probe_env down;
    down.server_down = true;
    r = run(s, "HTTP/1.1 404 Not Found\r\n\r\n", true, nullptr, down);
    BOOST_TEST(r.status == HCHK_L7STSERR);
}

BOOST_AUTO_TEST_CASE(http_connect_rules)
{
    check_spec s = make({split("option httpchk"), split("http-check connect port 8080"),
                         split("http-check send meth GET uri /a"), split("http-check expect status 200"),
                         split("http-check connect port 8081"), split("http-check send meth GET uri /b"),
                         split("http-check expect status 200")});
    fake_io io;
    probe p(s, {}, io);
    BOOST_TEST(!p.step());
    BOOST_TEST(io.last.port == 8080);
    BOOST_TEST(io.sent == "GET /a HTTP/1.0\r\ncontent-length: 0\r\n\r\n");
    io.feed("HTTP/1.0 200 OK\r\n\r\n");
    BOOST_TEST(!p.step());
    BOOST_TEST(io.connects == 2);
    BOOST_TEST(io.last.port == 8081);
    io.feed("HTTP/1.0 500 KO\r\n\r\n");
    BOOST_TEST(p.step());
    BOOST_TEST(p.result().status == HCHK_L7STSERR);
    BOOST_TEST(p.result().desc == "KO");
}

// ---- tcp-check ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tcp_check_send_expect)
{
    check_spec s = make({split("option tcp-check"), {"tcp-check", "send", "PING\r\n"},
                         split("tcp-check expect string +PONG")});
    fake_io io;
    auto r = run(s, "+PONG\r\n", false, &io);
    BOOST_TEST(io.sent == "PING\r\n");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "(tcp-check)");
    BOOST_TEST(r.code == 0);

    r = run(s, "-ERR\r\n");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "TCPCHK did not match content '+PONG' at step 2");

    // waiting for the rest of the pattern, then the timeout
    fake_io t;
    probe p(s, {}, t);
    BOOST_TEST(!p.step());
    t.feed("+PO");
    BOOST_TEST(!p.step());
    p.timeout();
    BOOST_TEST(p.result().status == HCHK_L7TOUT);
    BOOST_TEST(p.result().desc == " at step 2 of tcp-check (expect string '+PONG')");

    // connection refused at the implicit connect
    fake_io c;
    c.auto_connect = false;
    probe q(s, {}, c);
    BOOST_TEST(!q.step());
    q.fail(ECONNREFUSED);
    BOOST_TEST(q.result().status == HCHK_L4CON);
    BOOST_TEST(q.result().desc == "Connection refused at initial connection step of tcp-check");

    fake_io c2;
    c2.auto_connect = false;
    probe q2(s, {}, c2);
    BOOST_TEST(!q2.step());
    q2.timeout();
    BOOST_TEST(q2.result().status == HCHK_L4TOUT);
    BOOST_TEST(q2.result().desc == " at initial connection step of tcp-check");

    r = run(s, "");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "TCPCHK got an empty response at step 2");
}

BOOST_AUTO_TEST_CASE(tcp_check_patterns)
{
    auto one = [](const std::vector<std::string>& e) {
        return make({split("option tcp-check"), e});
    };
    BOOST_TEST(run(one(split("tcp-check expect ! string ERR")), "OK\n").status == HCHK_L7OKD);
    auto r = run(one(split("tcp-check expect ! string ERR")), "ERR\n");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "TCPCHK matched unwanted content 'ERR' at step 1");
    BOOST_TEST(run(one({"tcp-check", "expect", "rstring", "^OK [0-9]+"}), "OK 12\n").status ==
               HCHK_L7OKD);
    r = run(one({"tcp-check", "expect", "rstring", "^OK [0-9]+"}), "KO\n");
    BOOST_TEST(r.desc == "TCPCHK did not match content (regex) at step 1");
    BOOST_TEST(run(one(split("tcp-check expect binary 0a0b")), "\x01\x0a\x0b").status == HCHK_L7OKD);
    r = run(one(split("tcp-check expect binary 0a0b")), "\x01\x02\x03");
    BOOST_TEST(r.desc == "TCPCHK did not match content (binary) at step 1");
    BOOST_TEST(run(one(split("tcp-check expect rbinary ^0A0B")), "\x0a\x0b").status == HCHK_L7OKD);
    r = run(one(split("tcp-check expect ! rbinary ^0A")), "\x0a\x0b");
    BOOST_TEST(r.desc == "TCPCHK matched unwanted content (binary regex) at step 1");
    r = run(one(split("tcp-check expect error-status L7STS comment checking string X")), "Y");
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.desc == "TCPCHK did not match content 'X' at step 1 comment: checking");
    r = run(one(split("tcp-check expect ok-status L4OK on-success yes string X")), "X");
    BOOST_TEST(r.status == HCHK_L4OK);
    BOOST_TEST(r.desc == "yes");

    // min-recv: a mismatch with enough data is conclusive at once
    check_spec m = one(split("tcp-check expect min-recv 4 string ABCD"));
    fake_io io;
    probe p(m, {}, io);
    BOOST_TEST(!p.step());
    io.feed("AB");
    BOOST_TEST(!p.step());
    io.feed("XYZ");
    BOOST_TEST(p.step());
    BOOST_TEST(p.result().status == HCHK_L7RSP);

    // tout-status
    check_spec t = one(split("tcp-check expect tout-status L6TOUT string Z"));
    fake_io ti;
    probe q(t, {}, ti);
    BOOST_TEST(!q.step());
    q.timeout();
    BOOST_TEST(q.result().status == HCHK_L6TOUT);
}

BOOST_AUTO_TEST_CASE(tcp_check_connects_and_comments)
{
    check_spec s = make({split("option tcp-check"), split("tcp-check comment first"),
                         split("tcp-check connect port 1 linger"), split("tcp-check send-binary 50494e47"),
                         split("tcp-check expect string PONG")});
    fake_io io;
    io.auto_connect = false;
    probe p(s, {}, io);
    BOOST_TEST(!p.step());
    BOOST_TEST(io.last.port == 1);
    BOOST_TEST(io.last.linger);
    BOOST_TEST(!io.last.implicit);
    p.fail(ECONNREFUSED);
    BOOST_TEST(p.result().desc ==
               "Connection refused at step 2 of tcp-check (connect port 1) comment: 'first'");

    check_spec only = make({split("option tcp-check"), split("tcp-check connect port 80")});
    auto r = run(only, "", false);
    BOOST_TEST(r.status == HCHK_L4OK);
    BOOST_TEST(r.desc == "(tcp-check)");
    auto e = run(make({split("option tcp-check")}), "", false);
    BOOST_TEST(e.status == HCHK_L4OK);
    BOOST_TEST(e.desc == "");

    check_spec snd = make({split("option tcp-check"), split("tcp-check send hello")});
    fake_io si;
    r = run(snd, "", false, &si);
    BOOST_TEST(si.sent == "hello");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "(tcp-check)");
}

BOOST_AUTO_TEST_CASE(tcp_check_inheritance)
{
    check_spec def;
    std::string err;
    BOOST_REQUIRE(def.parse(split("option tcp-check"), err));
    BOOST_REQUIRE(def.parse(split("tcp-check send a"), err));
    check_spec be(def);
    BOOST_REQUIRE(be.finish(err));
    fake_io io;
    run(be, "", false, &io);
    BOOST_TEST(io.sent == "a");
    check_spec be2(def);
    BOOST_REQUIRE(be2.parse(split("tcp-check send b"), err));
    BOOST_REQUIRE(be2.finish(err));
    fake_io io2;
    run(be2, "", false, &io2);
    BOOST_TEST(io2.sent == "b");
}

// ---- protocol checks ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(redis)
{
    check_spec s = make({split("option redis-check")});
    fake_io io;
    auto r = run(s, "+PONG\r\n", false, &io);
    BOOST_TEST(io.sent == "*1\r\n$4\r\nPING\r\n");
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "Redis server is ok");
    r = run(s, "-Error message\r\n");
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.desc == "-Error message");
}

BOOST_AUTO_TEST_CASE(ssl_hello)
{
    check_spec s = make({split("option ssl-hello-chk")});
    fake_io io;
    auto r = run(s, "\x16\x03\x01\x00\x31\x02"s, false, &io);
    BOOST_REQUIRE(io.sent.size() == 126u);
    BOOST_TEST(io.sent.substr(0, 11) == "\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00"s);
    BOOST_TEST(io.sent.substr(15, 28) == "HAPROXYSSLCHK\nHAPROXYSSLCHK\n");
    BOOST_TEST(r.status == HCHK_L6OK);
    BOOST_TEST(r.desc == "");
    r = run(s, "HTTP/1.1 400 Bad Request\r\n\r\n");
    BOOST_TEST(r.status == HCHK_L6RSP);
    r = run(s, "");
    BOOST_TEST(r.status == HCHK_L6RSP);
    BOOST_TEST(r.desc == "TCPCHK got an empty response at step 2");
    fake_io t;
    probe p(s, {}, t);
    BOOST_TEST(!p.step());
    p.timeout();
    BOOST_TEST(p.result().status == HCHK_L6TOUT);
}

BOOST_AUTO_TEST_CASE(smtp)
{
    // reg-tests/checks/smtp-check.vtc
    check_spec s = make({split("option smtpchk")});
    fake_io io;
    probe p(s, {}, io);
    BOOST_TEST(!p.step());
    BOOST_TEST(io.last.linger);
    io.feed("220 smtp-check.vtc SMTP Server\r\n");
    BOOST_TEST(!p.step());
    BOOST_TEST(io.sent == "HELO localhost\r\n");
    io.feed("250 smtp-check.vtc\r\n");
    // HAProxy 2.6.12 (Debian 12) then sends QUIT and wants a 2xx answer
    BOOST_TEST(!p.step());
    BOOST_TEST(io.sent == "HELO localhost\r\nQUIT\r\n");
    io.feed("221 smtp-check.vtc closing\r\n");
    BOOST_TEST(p.step());
    BOOST_TEST(p.result().status == HCHK_L7OKD);
    BOOST_TEST(p.result().code == 221);
    BOOST_TEST(p.result().desc == "smtp-check.vtc closing");

    check_spec e = make({split("option smtpchk EHLO domain.tld")});
    fake_io ei;
    probe q(e, {}, ei);
    q.step();
    ei.feed("220 smtp-check.vtc SMTP Server\r\n");
    q.step();
    BOOST_TEST(ei.sent == "EHLO domain.tld\r\n");
    ei.feed("250-smtp-check.vtc\r\n250-KEYWORD\r\n250 LAST KEYWORD\r\n");
    BOOST_TEST(!q.step());
    ei.feed("221 bye\r\n");
    BOOST_TEST(q.step());
    BOOST_TEST(q.result().status == HCHK_L7OKD);

    auto r = run(s, "I'm not a SMTP server\r\n");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "I'm not a SMTP server");
    r = run(s, "421 Try again later\r\n");
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.code == 421);
    BOOST_TEST(r.desc == "Try again later");

    fake_io d;
    probe x(s, {}, d);
    x.step();
    d.feed("220 smtp-check.vtc SMTP Server\r\n");
    x.step();
    d.feed("512 DNS error\r\n");
    BOOST_TEST(x.step());
    BOOST_TEST(x.result().status == HCHK_L7STSERR);
    BOOST_TEST(x.result().code == 512);
    BOOST_TEST(x.result().desc == "DNS error");
}

BOOST_AUTO_TEST_CASE(pgsql)
{
    check_spec s = make({split("option pgsql-check user postgres")});
    fake_io io;
    auto r = run(s, hex("520000000800000000"), false, &io);
    BOOST_TEST(io.sent.size() == 23u); // reg-test: "recv 23"
    BOOST_TEST(io.sent == std::string("\x00\x00\x00\x17\x00\x03\x00\x00user\0postgres\0\0", 23));
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "PostgreSQL server is ok");
    r = run(s, hex("450000000B53464154414C00"));
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "FATAL");
    r = run(s, "Not a PostgreSQL response");
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.desc == "PostgreSQL unknown error");
}

BOOST_AUTO_TEST_CASE(mysql)
{
    // reg-tests/checks/mysql-check.vtc
    const std::string hs = hex("4A0000000A382E302E3139000A0000006F3C025E6249410D00FFFFFF0200FFC71500000000"
                               "0000000000007C182159106E2761144322200063616368696E675F736861325F7061737377"
                               "6F726400");
    auto r = run(make({split("option mysql-check")}), hs, true);
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "8.0.19");

    fake_io io41;
    check_spec s41 = make({split("option mysql-check user user")});
    r = run(s41, hs + hex("0700000200000002000000"), false, &io41);
    BOOST_TEST(io41.sent.size() == 47u);
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "8.0.19");

    fake_io io40;
    check_spec s40 = make({split("option mysql-check user user pre-41")});
    r = run(s40, hs + hex("03000002000000"), false, &io40);
    BOOST_TEST(io40.sent.size() == 20u);
    BOOST_TEST(r.status == HCHK_L7OKD);

    const std::string err = hex("67000002FFE304436C69656E7420646F6573206E6F7420737570706F72742061757468656E"
                                "7469636174696F6E2070726F746F636F6C20726571756573746564206279207365727665"
                                "723B20636F6E736964657220757067726164696E67204D7953514C20636C69656E74");
    r = run(s41, hs + err, false);
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.code == 1251);
    BOOST_TEST(r.desc == "Client does not support authentication protocol requested by server; "
                         "consider upgrading MySQL client");

    r = run(make({split("option mysql-check")}), hs.substr(0, 10), true);
    BOOST_TEST(r.status == HCHK_L7RSP);
}

BOOST_AUTO_TEST_CASE(ldap)
{
    // reg-tests/checks/ldap-check.vtc
    check_spec s = make({split("option ldap-check")});
    fake_io io;
    auto r = run(s, hex("300C02010161070A010004000400"), false, &io);
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(io.sent.size() == 14u);
    r = run(s, hex("300C02010161070A010004000400"), false);
    BOOST_TEST(r.status == HCHK_L7OKD);
    BOOST_TEST(r.desc == "Success");
    r = run(s, hex("300C02010160070A010004000400"), false);
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "Not LDAPv3 protocol");
    r = run(s, hex("300C02010161070A010104000400"), false);
    BOOST_TEST(r.status == HCHK_L7STSERR);
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.desc == "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9");
    r = run(s, hex("308400000010020101618400000007" "0A010004000400"), false);
    BOOST_TEST(r.status == HCHK_L7OKD);
    r = run(s, "\x31\x02garbage-garbage");
    BOOST_TEST(r.status == HCHK_L7RSP);
    BOOST_TEST(r.desc == "Not LDAPv3 protocol");
}

// ---- agent ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(agent_replies)
{
    auto a = parse_agent_reply("up 75%\n");
    BOOST_TEST(a.valid);
    BOOST_TEST(a.op == agent_reply::O_UP);
    BOOST_TEST(a.has_weight);
    BOOST_TEST(a.weight_pct == 75u);
    BOOST_TEST(a.status == HCHK_L7OKD);
    BOOST_TEST(a.info == "via agent : up");

    a = parse_agent_reply("down#disk full\r\n"); // '#' only starts a word
    BOOST_TEST(a.info == "agent reports an error : down#disk");
    a = parse_agent_reply("down #disk full\r\n");
    BOOST_TEST(a.op == agent_reply::O_DOWN);
    BOOST_TEST(a.desc == "disk full");
    BOOST_TEST(a.status == HCHK_L7STSERR);
    BOOST_TEST(a.info == "via agent : down (disk full)");

    a = parse_agent_reply("drain,maxconn:30\tstopped # going away");
    BOOST_TEST(a.admin == agent_reply::A_DRAIN);
    BOOST_TEST(a.op == agent_reply::O_STOPPED);
    BOOST_TEST(a.has_maxconn);
    BOOST_TEST(a.maxconn == 30u);
    BOOST_TEST(a.desc == "going away");

    a = parse_agent_reply("MAINT READY");
    BOOST_TEST(a.admin == agent_reply::A_READY);

    a = parse_agent_reply("hello");
    BOOST_TEST(!a.valid);
    BOOST_TEST(a.status == HCHK_CHECKED);
    BOOST_TEST(a.info == "agent reports an error : hello");

    a = parse_agent_reply("up foo");
    BOOST_TEST(a.info == "via agent : up (foo)");
    a = parse_agent_reply("");
    BOOST_TEST(!a.valid);
    a = parse_agent_reply("fail");
    BOOST_TEST(a.op == agent_reply::O_FAIL);
}
