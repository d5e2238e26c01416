// SPDX-License-Identifier: MIT
// libFuzzer target for the log-format compiler (log/logfmt.cpp: "%{+Q}o %ci %[expr] %%"),
// text and JSON flavours, with sample expressions compiled by the sample engine. Input: byte
// 0 picks JSON and the output buffer size, the rest is the format. Checks: a refusal has a
// message; an accepted format renders a fixed transaction into a buffer of any size without
// writing past it, and the rendering is a prefix of the rendering into a larger buffer.
// Inputs naming a path ('/') are skipped: map files in "%[...]" would be opened.
#include "../test/test_sample_fixture.hpp"
#include "log/log.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace portico;
using namespace portico::log;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_logfmt: %s\n", what);
    abort();
}

void set_v4(sockaddr_storage& a, const char* ip, uint16_t port)
{
    auto* in = reinterpret_cast<sockaddr_in*>(&a);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
}

const char k_req[] = "GET /x?y=1 HTTP/1.1";

log_ctx make_ctx(stream* s)
{
    log_ctx c;
    c.s = s;
    c.http = true;
    set_v4(c.cli, "127.0.0.1", 49318);
    set_v4(c.fe_addr, "127.0.0.1", 8080);
    set_v4(c.srv_addr, "127.0.0.2", 8000);
    set_v4(c.be_src, "127.0.0.1", 40000);
    c.fe_name = "f";
    c.be_name = "b";
    c.srv_name = "s1";
    c.t_accept = 1795000000187;
    c.t_request = c.t_accept;
    c.Th = c.Ti = c.TR = c.Tq = c.Tw = c.Tc = 0;
    c.Tr = c.Ta = c.Tt = c.Tu = 5;
    c.status = 404;
    c.bytes_in = 79;
    c.bytes_out = 500;
    c.request_line = ptc_str{k_req, sizeof(k_req) - 1};
    c.pid = 5426;
    c.hostname = "vm";
    return c;
}

// Whether <f> has a sample expression: '%', then optional "{flags}", then '['.
bool has_sample(const std::string& f)
{
    for (size_t i = f.find('%'); i != std::string::npos; i = f.find('%', i + 1)) {
        size_t j = i + 1;
        if (j < f.size() && f[j] == '{') {
            j = f.find('}', j);
            if (j == std::string::npos)
                continue; // no flags here: a later '%' may still start an expression
            j++;
        }
        if (j < f.size() && f[j] == '[')
            return true;
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1 || size > 1024)
        return 0;
    const std::string fmt((const char*)data + 1, size - 1);
    if (fmt.find('/') != std::string::npos)
        return 0;
    static tfx::world* w = new tfx::world();
    const bool json = data[0] & 1;
    const size_t cap = data[0] >> 1; // 0..127

    // What one input compiles is freed after it (a long run would otherwise grow without end).
    struct release {
        size_t lf_mark = logfmt_mark();
        smp::parse_marks smp_mark = smp::parse_mark();
        ~release()
        {
            logfmt_release_to(lf_mark);
            smp::parse_release(smp_mark);
        }
    } rel;
    std::string err;
    const ptc_logfmt* lf = logfmt_compile(nullptr, fmt, json, err);
    if (!lf) {
        if (err.empty())
            fail("format refused without a message");
        return 0;
    }
    const log_ctx c = make_ctx(w->st);
    static char big[65536];
    size_t n = logfmt_render(lf, c, big, sizeof(big));
    if (n > sizeof(big))
        fail("rendered past the buffer");
    std::string whole(big, n);
    // A small heap buffer: ASan sees any write past <cap>.
    char* small = cap ? new char[cap] : nullptr;
    size_t m = logfmt_render(lf, c, small, cap);
    if (m > cap)
        fail("rendered past a small buffer");
    // Sample expressions ("%[expr]", "%{+Q}[expr]") render from scratch buffers, and some
    // differ from one rendering to the next ("uuid", "rand"): compare only formats without.
    if (!has_sample(fmt) && (m > n || (m && memcmp(small, big, m) != 0)))
        fail("a small buffer is not a prefix of the whole rendering");
    delete[] small;
    smp::txn_end(w->ps());
    return 0;
}
