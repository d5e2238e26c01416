// SPDX-License-Identifier: MIT
// Unit tests of the logger: log-format parsing and rendering (fixed inputs, exact lines),
// syslog headers and log target parsing.
#define BOOST_TEST_MODULE log
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "log/log.hpp"
#include "proxy/proxy.hpp"
#include <sys/uio.h>

using namespace portico;
using namespace portico::log;

namespace {

struct utc_fixture {
    utc_fixture()
    {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};
BOOST_GLOBAL_FIXTURE(utc_fixture);

uint64_t epoch_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm {};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (uint64_t)timegm(&tm) * 1000 + (uint64_t)ms;
}

void set_v4(sockaddr_storage& a, const char* ip, uint16_t port)
{
    auto* in = reinterpret_cast<sockaddr_in*>(&a);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
}

const char k_req[] = "GET /x?y=1 HTTP/1.1";

// The transaction of HAProxy's own log line (measured with haproxy 2.6):
// 127.0.0.1:49318 [22/Nov/2026:12:40:10.187] f b/s1 0/0/0/5/5 404 500 - - ---- 1/1/0/0/0 0/0
log_ctx sample_ctx()
{
    log_ctx c;
    c.http = true;
    set_v4(c.cli, "127.0.0.1", 49318);
    set_v4(c.fe_addr, "127.0.0.1", 8080);
    set_v4(c.srv_addr, "127.0.0.2", 8000);
    set_v4(c.be_src, "127.0.0.1", 40000);
    c.fe_name = "f";
    c.be_name = "b";
    c.srv_name = "s1";
    c.t_accept = epoch_ms(2026, 11, 22, 12, 40, 10, 187);
    c.t_request = c.t_accept;
    c.Th = 0;
    c.Ti = 0;
    c.TR = 0;
    c.Tq = 0;
    c.Tw = 0;
    c.Tc = 0;
    c.Tr = 5;
    c.Ta = 5;
    c.Tt = 5;
    c.Td = 0;
    c.Tu = 5;
    c.status = 404;
    c.bytes_in = 79;
    c.bytes_out = 500;
    c.actconn = 1;
    c.feconn = 1;
    c.request_line = ptc_str{k_req, sizeof(k_req) - 1};
    c.pid = 5426;
    c.hostname = "vm";
    c.log_counter = 7;
    c.req_counter = 9;
    return c;
}

std::string render(const std::string& fmt, const log_ctx& c, bool json = false)
{
    std::string err;
    const ptc_logfmt* lf = logfmt_compile(nullptr, fmt, json, err);
    BOOST_REQUIRE_MESSAGE(lf, "compile '" << fmt << "': " << err);
    char buf[4096];
    size_t n = logfmt_render(lf, c, buf, sizeof(buf));
    return std::string(buf, n);
}

std::string compile_error(const std::string& fmt)
{
    std::string err;
    const ptc_logfmt* lf = logfmt_compile(nullptr, fmt, false, err);
    BOOST_CHECK(!lf);
    return err;
}

} // namespace

BOOST_AUTO_TEST_CASE(httplog_line_is_haproxys)
{
    BOOST_TEST(render(k_httplog_fmt, sample_ctx()) ==
               "127.0.0.1:49318 [22/Nov/2026:12:40:10.187] f b/s1 0/0/0/5/5 404 500 - - ---- "
               "1/1/0/0/0 0/0 \"GET /x?y=1 HTTP/1.1\"");
}

BOOST_AUTO_TEST_CASE(httplog_clf_line)
{
    // haproxy 2.6: trailing space where the (absent) captures would be
    BOOST_TEST(render(k_clf_fmt, sample_ctx()) ==
               "127.0.0.1 - - [22/Nov/2026:12:40:10 +0000] \"GET /x?y=1 HTTP/1.1\" 404 500 \"\" "
               "\"\" 49318 187 \"f\" \"b\" \"s1\" 0 0 0 5 5 ---- 1 1 0 0 0 0 0 \"\" \"\" ");
}

BOOST_AUTO_TEST_CASE(tcplog_line)
{
    log_ctx c = sample_ctx();
    c.http = false;
    c.Tw = 1;
    c.Tc = 0;
    c.Tt = 1;
    c.bytes_out = 570;
    c.term[0] = c.term[1] = '-';
    c.srv_name = "s1";
    c.be_name = "bt";
    c.fe_name = "t";
    c.cli.ss_family = 0;
    set_v4(c.cli, "127.0.0.1", 60666);
    c.t_accept = epoch_ms(2026, 11, 22, 12, 40, 24, 621);
    BOOST_TEST(render(k_tcplog_fmt, c) ==
               "127.0.0.1:60666 [22/Nov/2026:12:40:24.621] t bt/s1 1/0/1 570 -- 1/1/0/0/0 0/0");
}

BOOST_AUTO_TEST_CASE(bad_request_and_no_server)
{
    log_ctx c = sample_ctx();
    c.request_line = ptc_str{nullptr, 0};
    c.srv_name = "<NOSRV>";
    c.be_name = "f";
    c.TR = c.Tw = c.Tc = c.Tr = -1;
    c.Ta = 0;
    c.status = 400;
    c.bytes_out = 0;
    c.term[0] = 'C';
    c.term[1] = 'R';
    BOOST_TEST(render(k_httplog_fmt, c) ==
               "127.0.0.1:49318 [22/Nov/2026:12:40:10.187] f f/<NOSRV> -1/-1/-1/-1/0 400 0 - - "
               "CR-- 1/1/0/0/0 0/0 \"<BADREQ>\"");
}

BOOST_AUTO_TEST_CASE(variables)
{
    log_ctx c = sample_ctx();
    BOOST_TEST(render("%HM %HU %HP %HQ %HV", c) == "GET /x?y=1 /x ?y=1 HTTP/1.1");
    BOOST_TEST(render("%fi:%fp %si:%sp %bi:%bp", c) ==
               "127.0.0.1:8080 127.0.0.2:8000 127.0.0.1:40000");
    BOOST_TEST(render("%f %ft %b %s %pid %H %lc %rt", c) == "f f b s1 5426 vm 7 9");
    BOOST_TEST(render("%U %B %ST %ts %tsc %ac %fc %bc %sc %rc %sq %bq", c) ==
               "79 500 404 -- ---- 1 1 0 0 0 0 0");
    BOOST_TEST(render("%Th/%Ti/%TR/%Tq/%Tw/%Tc/%Tr/%Ta/%Tt/%Td/%Tu", c) ==
               "0/0/0/0/0/0/5/5/5/0/5");
    BOOST_TEST(render("%t|%tr|%trg|%trl|%T|%Tl|%Ts|%ms", c) ==
               "22/Nov/2026:12:40:10.187|22/Nov/2026:12:40:10.187|22/Nov/2026:12:40:10 +0000|"
               "22/Nov/2026:12:40:10 +0000|22/Nov/2026:12:40:10 +0000|"
               "22/Nov/2026:12:40:10 +0000|1795351210|187");
    BOOST_TEST(render("%ID %CC %CS %sslc %sslv", c) == "- - - - -");
    BOOST_TEST(render("[%hr][%hs][%hrl][%hsl]", c) == "[][][][]");
    c.request_line = ptc_str{"GET http://h:1/p/q?z HTTP/1.1", 29};
    BOOST_TEST(render("%HPO %HP", c) == "/p/q http://h:1/p/q");
}

BOOST_AUTO_TEST_CASE(flags_and_text)
{
    log_ctx c = sample_ctx();
    BOOST_TEST(render("%{+Q}ci %{+X}cp %{+X}ci %{+Q}b %{+Q}ST", c) ==
               "\"127.0.0.1\" C0A6 7F000001 \"b\" 404");
    BOOST_TEST(render("%{+Q}o %b %{-Q}s %f", c) == "\"b\" s1 \"f\"");
    BOOST_TEST(render("100%% %b", c) == "100% b");
    BOOST_TEST(render("a   b    %b", c) == "a b b");
    // separators after empty output are merged, none at the start
    BOOST_TEST(render("%hr %b %hs %hr %s", c) == "b s1");
    const char weird[] = "GET /a\"b#c\x01] HTTP/1.1";
    c.request_line = ptc_str{weird, sizeof(weird) - 1};
    BOOST_TEST(render("%r", c) == "GET /a#22b#23c#01] HTTP/1.1");
    c.be_name = "x\"y]z\\";
    BOOST_TEST(render("%{+E}b", c) == "x\\\"y\\]z\\\\");
}

BOOST_AUTO_TEST_CASE(compile_errors)
{
    BOOST_TEST(compile_error("%ci %Zz").find("unknown log-format variable '%Zz'") !=
               std::string::npos);
    BOOST_TEST(compile_error("%{+Q ci").find("missing '}'") != std::string::npos);
    BOOST_TEST(compile_error("%{+W}ci").find("unknown log-format flag '+W'") !=
               std::string::npos);
    BOOST_TEST(compile_error("abc % def").find("missing variable name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_output)
{
    log_ctx c = sample_ctx();
    const char weird[] = "GET /\"\\\x01\xc3 HTTP/1.1";
    c.request_line = ptc_str{weird, sizeof(weird) - 1};
    BOOST_TEST(render(k_httplog_fmt, c, true) ==
               "{\"ci\":\"127.0.0.1\",\"cp\":49318,\"tr\":\"22/Nov/2026:12:40:10.187\","
               "\"ft\":\"f\",\"b\":\"b\",\"s\":\"s1\",\"TR\":0,\"Tw\":0,\"Tc\":0,\"Tr\":5,"
               "\"Ta\":5,\"ST\":404,\"B\":500,\"CC\":null,\"CS\":null,\"tsc\":\"----\","
               "\"ac\":1,\"fc\":1,\"bc\":0,\"sc\":0,\"rc\":0,\"sq\":0,\"bq\":0,"
               "\"r\":\"GET /\\\"\\\\\\u0001\\u00c3 HTTP/1.1\"}");
    c.request_line = ptc_str{nullptr, 0};
    BOOST_TEST(render("%ci %r", c, true) == "{\"ci\":\"127.0.0.1\",\"r\":\"<BADREQ>\"}");
}

BOOST_AUTO_TEST_CASE(truncation)
{
    std::string err;
    const ptc_logfmt* lf = logfmt_compile(nullptr, "%r %r", false, err);
    BOOST_REQUIRE(lf);
    char buf[10];
    BOOST_TEST(logfmt_render(lf, sample_ctx(), buf, sizeof(buf)) == 10u);
    BOOST_TEST(std::string(buf, 10) == "GET /x?y=1");
}

BOOST_AUTO_TEST_CASE(syslog_headers)
{
    target t;
    t.facility = 16; // local0
    uint64_t us = epoch_ms(2026, 11, 22, 12, 40, 10, 193) * 1000 + 420;
    char h[512];
    auto hdr = [&](hdr_format f, const char* host) {
        t.format = f;
        size_t n = build_header(t, PTC_LOG_INFO, "haproxy", 5426, host, us, h, sizeof(h));
        return std::string(h, n);
    };
    BOOST_TEST(hdr(hdr_format::local, nullptr) == "<134>Nov 22 12:40:10 haproxy[5426]: ");
    BOOST_TEST(hdr(hdr_format::rfc3164, nullptr) ==
               "<134>Nov 22 12:40:10 localhost haproxy[5426]: ");
    BOOST_TEST(hdr(hdr_format::local, "web1") == "<134>Nov 22 12:40:10 web1 haproxy[5426]: ");
    BOOST_TEST(hdr(hdr_format::rfc5424, nullptr) ==
               "<134>1 2026-11-22T12:40:10.193420+00:00 - haproxy 5426 - - ");
    BOOST_TEST(hdr(hdr_format::priority, nullptr) == "<134>");
    BOOST_TEST(hdr(hdr_format::shortfmt, nullptr) == "<6>");
    BOOST_TEST(hdr(hdr_format::timed, nullptr) == "<6>2026-11-22T12:40:10.193420+00:00 ");
    BOOST_TEST(hdr(hdr_format::iso, nullptr) == "2026-11-22T12:40:10.193420+00:00 ");
    BOOST_TEST(hdr(hdr_format::raw, nullptr) == "");
    t.facility = 17;
    t.format = hdr_format::local;
    size_t n = build_header(t, PTC_LOG_ERR, "x", 1, nullptr, epoch_ms(2026, 1, 2, 3, 4, 5, 0) * 1000,
                            h, sizeof(h));
    BOOST_TEST(std::string(h, n) == "<139>Jan  2 03:04:05 x[1]: ");
}

BOOST_AUTO_TEST_CASE(targets)
{
    auto parse = [](std::vector<std::string> a, target& t) {
        std::string err;
        bool ok = parse_target(a, t, err);
        BOOST_TEST_MESSAGE(err);
        return ok ? std::string() : (err.empty() ? std::string("?") : err);
    };
    target t;
    BOOST_TEST(parse({"127.0.0.1", "local0"}, t) == "");
    BOOST_TEST((t.kind == target_kind::udp));
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in*>(&t.addr)->sin_port) == 514);
    BOOST_TEST(t.facility == 16);
    BOOST_TEST(t.maxlvl == PTC_LOG_DEBUG);
    target t2;
    BOOST_TEST(parse({"udp@127.0.0.1:1514", "len", "4096", "format", "rfc5424", "daemon",
                      "notice", "err"},
                     t2) == "");
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in*>(&t2.addr)->sin_port) == 1514);
    BOOST_TEST(t2.maxlen == 4096u);
    BOOST_TEST((t2.format == hdr_format::rfc5424));
    BOOST_TEST(t2.facility == 3);
    BOOST_TEST(t2.maxlvl == PTC_LOG_NOTICE);
    BOOST_TEST(t2.minlvl == PTC_LOG_ERR);
    target t3;
    BOOST_TEST(parse({"[::1]:1515", "local7"}, t3) == "");
    BOOST_TEST(t3.addr.ss_family == AF_INET6);
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in6*>(&t3.addr)->sin6_port) == 1515);
    target t4;
    BOOST_TEST(parse({"stdout", "format", "raw", "daemon"}, t4) == "");
    BOOST_TEST((t4.kind == target_kind::fd && t4.fdnum == 1));
    target t5;
    BOOST_TEST(parse({"fd@3", "user"}, t5) == "");
    BOOST_TEST(t5.fdnum == 3);
    target t6;
    BOOST_TEST(parse({"/dev/log", "local0"}, t6) == "");
    BOOST_TEST((t6.kind == target_kind::unix_dgram));
    BOOST_TEST(std::string(reinterpret_cast<sockaddr_un*>(&t6.addr)->sun_path) == "/dev/log");
    target bad;
    BOOST_TEST(parse({"tcp@127.0.0.1:514", "local0"}, bad).find("not supported") !=
               std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "len", "70", "local0"}, bad).find("len") != std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "local9"}, bad).find("facility") != std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "local0", "loud"}, bad).find("level") != std::string::npos);
    BOOST_TEST(parse({"127.0.0.1"}, bad).find("facility") != std::string::npos);
    // sample <ranges>:<size> (HAProxy's log load-balancing)
    target t7;
    BOOST_TEST(parse({"127.0.0.1", "sample", "1,3-4:5", "local0"}, t7) == "");
    BOOST_TEST(t7.smp_size == 5u);
    BOOST_TEST(t7.smp_ranges.size() == 2u);
    BOOST_TEST((t7.smp_ranges[1] == std::pair<uint32_t, uint32_t>(3, 4)));
    BOOST_TEST(t7.smp_ctr != nullptr);
    BOOST_TEST(parse({"127.0.0.1", "sample", "1:2", "local0"}, bad) == "");
    target b2;
    BOOST_TEST(parse({"127.0.0.1", "sample", "1,2", "local0"}, b2).find("sample size") !=
               std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "sample", "0:2", "local0"}, b2).find("wrong sample range") !=
               std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "sample", "2-2:2", "local0"}, b2).find("wrong sample range") !=
               std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "sample", "1-3,3:4", "local0"}, b2).find("overlapping") !=
               std::string::npos);
    BOOST_TEST(parse({"127.0.0.1", "sample", "1-3:2", "local0"}, b2).find("greater or equal") !=
               std::string::npos);
}

// ---- captures (HAProxy 2.6's escaping and layout, measured with haproxy 2.6.12) ----------

BOOST_AUTO_TEST_CASE(capture_encoding)
{
    char out[64];
    const char in[] = "a|b{c}\"d#e\xe9" "f\x01";
    size_t n = cap_encode(in, sizeof(in) - 1, false, out, sizeof(out));
    BOOST_TEST(std::string(out, n) == "a#7Cb#7Bc#7D#22d#23e#E9f#01");
    // +E: backslash and ']' are escaped, '"' stays encoded
    n = cap_encode("a\\b]\"", 5, true, out, sizeof(out));
    BOOST_TEST(std::string(out, n) == "a\\\\b\\]#22");
    // never a partial escape at the end of the room
    n = cap_encode("ab|", 3, false, out, 4);
    BOOST_TEST(std::string(out, n) == "ab");
}

namespace {

void put_cap(const cap_conf& cc, std::vector<unsigned char>& blk, uint32_t li, uint32_t off,
             const char* v)
{
    int32_t l = (int32_t)std::strlen(v);
    std::memcpy(blk.data() + li * sizeof(int32_t), &l, sizeof(l));
    std::memcpy(blk.data() + off, v, (size_t)l);
    (void)cc;
}

} // namespace

BOOST_AUTO_TEST_CASE(capture_variables)
{
    proxy_log pl;
    pl.caps.slots[0] = {cap_slot{"host", 32, 0}, cap_slot{"x-missing", 10, 0},
                        cap_slot{"", 8, 0}};
    pl.caps.slots[1] = {cap_slot{"x-missing", 20, 0}};
    pl.caps.cookie = "SESS";
    pl.caps.cookie_len = 20;
    cap_layout(pl);
    const cap_conf& cc = pl.caps;
    BOOST_REQUIRE(cc.block > 0);
    std::vector<unsigned char> blk(cc.block);
    for (uint32_t i = 0; i < cc.nlens; i++) {
        int32_t m = -1;
        std::memcpy(blk.data() + i * sizeof(int32_t), &m, sizeof(m));
    }
    put_cap(cc, blk, cc.lidx(0, 0), cc.slots[0][0].off, "example.com");
    put_cap(cc, blk, cc.lidx(0, 2), cc.slots[0][2].off, "a|b");
    put_cap(cc, blk, cc.cookie_lidx(0), cc.cookie_off[0], "SESSID=12");
    log_ctx c = sample_ctx();
    c.caps = &cc;
    c.capblk = blk.data();
    BOOST_TEST(render("%hr %hrl %hs %hsl %CC %CS", c) ==
               "{example.com||a#7Cb} example.com - a#7Cb {} - SESSID=12 -");
    BOOST_TEST(render("%{+Q}hr %{+Q}hrl %{+Q}CC", c) ==
               "\"{example.com||a#7Cb}\" \"example.com\" \"\" \"a#7Cb\" \"SESSID=12\"");
    c.caps = nullptr; // a frontend without captures: nothing, separators merge
    BOOST_TEST(render("a %hr %hrl b %CC", c) == "a b -");
}

BOOST_AUTO_TEST_CASE(logasap_marks)
{
    log_ctx c = sample_ctx();
    c.asap = true;
    BOOST_TEST(render("%B %Ta %Tt %U", c) == "+500 +5 +5 79");
}

// "ring" sections: keywords, and a ring that wraps keeps the newest lines whole.
BOOST_AUTO_TEST_CASE(ring_keywords_and_wrap)
{
    config cfg;
    std::string err, warn;
    BOOST_TEST(ring_open(cfg, "r", "f.cfg", 3, err));
    BOOST_TEST(!ring_open(cfg, "r", "f.cfg", 9, err));
    BOOST_TEST(err.find("already declared at f.cfg:3") != std::string::npos, err);
    BOOST_TEST(ring_keyword(cfg, {"description", "my", "ring"}, err, warn));
    BOOST_TEST(ring_keyword(cfg, {"format", "rfc5424"}, err, warn));
    BOOST_TEST(!ring_keyword(cfg, {"format", "bogus"}, err, warn));
    BOOST_TEST(ring_keyword(cfg, {"maxlen", "100"}, err, warn));
    BOOST_TEST(!ring_keyword(cfg, {"maxlen", "0"}, err, warn));
    warn.clear();
    BOOST_TEST(ring_keyword(cfg, {"size", "100"}, err, warn)); // smaller: ignored
    BOOST_TEST(warn.find("ignoring new size '100'") != std::string::npos, warn);
    BOOST_TEST(!ring_keyword(cfg, {"server", "s", "127.0.0.1:514"}, err, warn));
    BOOST_TEST(!ring_keyword(cfg, {"bogus"}, err, warn));
    ring_conf* r = find_ring(cfg, "r");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->desc == "my ring");
    BOOST_TEST(r->maxlen == 100u);
    BOOST_TEST(r->size == cfg.global.bufsize);
    BOOST_TEST(!find_ring(cfg, "other"));

    rings_map(cfg);
    BOOST_REQUIRE(r->shm);
    uint64_t pos = UINT64_MAX; // a follower from now on
    BOOST_TEST(ring_read(*r, pos).empty());
    std::string all;
    for (int i = 0; i < 1000; i++) {
        std::string line = "line " + std::to_string(i) + std::string(size_t(i % 50), 'x');
        iovec iov[2] = {{const_cast<char*>("H "), 2}, {line.data(), line.size()}};
        ring_write(*r, iov, 2);
    }
    std::string dump = ring_dump(*r, false);
    BOOST_TEST(dump.size() <= size_t(r->size));
    BOOST_TEST(dump.find("H line 999x") != std::string::npos);
    BOOST_TEST(dump.find("H line 0\n") == std::string::npos);
    // every line kept is whole and in order
    size_t prev = 0, n = 0;
    for (size_t at = 0; at < dump.size();) {
        size_t e = dump.find('\n', at);
        BOOST_REQUIRE(e != std::string::npos);
        std::string l = dump.substr(at, e - at);
        BOOST_REQUIRE(l.rfind("H line ", 0) == 0);
        size_t k = std::stoul(l.substr(7));
        BOOST_TEST((n == 0 || k == prev + 1));
        prev = k;
        n++;
        at = e + 1;
    }
    BOOST_TEST(prev == 999u);
    BOOST_TEST(ring_overwritten(*r) + n == 1000u);
    // the follower fell behind: it gets what is still kept, then only new lines
    std::string f = ring_read(*r, pos);
    BOOST_TEST(f == dump);
    BOOST_TEST(ring_read(*r, pos).empty());
    std::string cut(300, 'y');
    iovec one = {cut.data(), cut.size()};
    ring_write(*r, &one, 1);
    BOOST_TEST(ring_read(*r, pos) == std::string(100, 'y') + "\n"); // maxlen
    BOOST_TEST(ring_dump(*r, true).empty());
}
