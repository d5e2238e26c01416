// SPDX-License-Identifier: MIT
// libFuzzer target for the probe engine: arbitrary server bytes, delivered in arbitrary
// pieces, to an http-check, a tcp-check and the protocol checks; and to parse_agent_reply.
// A probe must finish (or wait) without crashing, and always finish on EOF or a timeout.
#include "probe.hpp"

#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what)
{
    __builtin_printf("fuzz_probe: %s\n", what);
    abort();
}

struct io_t : chk::probe_io {
    std::string in;
    bool closed = false;
    bool connect(const chk::connect_opts&) override
    {
        in.clear();
        return true;
    }
    bool connected() const override { return true; }
    size_t send(std::string_view d) override { return d.size(); }
    bool sent_all() const override { return true; }
    std::string_view input() const override { return in; }
    void consume(size_t n) override { in.erase(0, n < in.size() ? n : in.size()); }
    bool eof() const override { return closed; }
    bool input_full() const override { return in.size() >= 16384; }
};

std::vector<chk::check_spec> specs()
{
    std::vector<std::vector<std::vector<std::string>>> confs = {
        {{"option", "httpchk", "GET", "/"}},
        {{"option", "httpchk"}, {"http-check", "expect", "string", "ok"}},
        {{"option", "httpchk"}, {"http-check", "expect", "!", "rstring", "^e.*r$"}},
        {{"option", "httpchk"}, {"http-check", "expect", "hdr", "name", "x-a", "value", "-m", "reg", "b+"}},
        {{"option", "tcp-check"}, {"tcp-check", "send", "PING\r\n"},
         {"tcp-check", "expect", "string", "+PONG"}, {"tcp-check", "expect", "rbinary", "^2B"}},
        {{"option", "tcp-check"}, {"tcp-check", "expect", "min-recv", "3", "!", "rstring", "x"}},
        {{"option", "redis-check"}},
        {{"option", "smtpchk"}},
        {{"option", "pgsql-check", "user", "u"}},
        {{"option", "mysql-check", "user", "u"}},
        {{"option", "ldap-check"}},
        {{"option", "ssl-hello-chk"}},
    };
    std::vector<chk::check_spec> out;
    for (auto& c : confs) {
        chk::check_spec s;
        std::string err;
        for (auto& l : c)
            if (!s.parse(l, err))
                fail("spec does not parse");
        if (!s.finish(err))
            fail("spec does not finish");
        out.push_back(s);
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const std::vector<chk::check_spec> all = specs();
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)chk::parse_agent_reply(bytes);
    // The first byte chooses the piece size (1..32 bytes, or all at once).
    size_t piece = size ? (data[0] & 31) + 1 : 1;
    if (size && (data[0] & 0x80))
        piece = size;
    for (const chk::check_spec& s : all) {
        io_t io;
        chk::probe p(s, chk::probe_env{}, io);
        size_t off = 0;
        int rounds = 0;
        while (!p.step()) {
            if (++rounds > 100000)
                fail("probe does not progress");
            if (off < size) {
                size_t n = piece < size - off ? piece : size - off;
                io.in.append(bytes.substr(off, n));
                off += n;
            }
            else if (!io.closed)
                io.closed = true;
            else {
                p.timeout();
                break;
            }
        }
        if (!p.done())
            fail("probe not done after a timeout");
        const chk::probe_result& r = p.result();
        if (r.status <= chk::HCHK_CHECKED || r.status >= chk::HCHK_SIZE || r.desc.size() > 127)
            fail("bad result");
    }
    return 0;
}
