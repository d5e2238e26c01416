// SPDX-License-Identifier: MIT
// libFuzzer target for the HTTP/1 request parser: header block, framing, chunked body.
// Input: byte 0 picks the split position, byte 1 the options (H1F_* relaxations, small
// limits, bare-LF chunks), the rest is the message. The message is parsed whole, then as a
// prefix up to the split followed by a resumed parse (last_len hint): both must agree.
#include "h1_fuzz.hpp"

#include <cstring>

using namespace h1fuzz;

namespace {

constexpr const char* who = "fuzz_h1_request";
constexpr size_t max_hdrs = 64;

struct parse {
    header hdrs[max_hdrs];
    request req;
    int run(const char* buf, size_t len, uint8_t flags, size_t nh, size_t max_target,
            size_t last_len)
    {
        req = request{};
        req.headers = hdrs;
        req.max_headers = nh;
        req.flags = flags;
        return parse_request(buf, len, req, max_target, last_len);
    }
};

bool same(const request& a, const request& b)
{
    if (a.method != b.method || a.target != b.target || a.minor_version != b.minor_version ||
        a.num_headers != b.num_headers)
        return false;
    for (size_t i = 0; i < a.num_headers; i++)
        if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t sb = data[0], opt = data[1];
    const char* buf = (const char*)data + 2;
    const size_t len = size - 2;
    const uint8_t flags = opt & (H1F_RELAX_NAME | H1F_RELAX_TARGET | H1F_RELAX_VERSION);
    const size_t nh = (opt & 8) ? 4 : max_hdrs;
    const size_t max_target = (opt & 16) ? 32 : default_max_target;
    const bool bare_lf = !(opt & 32);
    const size_t k = split_at(sb, len);

    static parse whole, part; // keep the header arrays off the stack
    int r = whole.run(buf, len, flags, nh, max_target, 0);
    if (r == H1_ERROR) {
        if (!whole.req.error_msg || !*whole.req.error_msg)
            fail(who, "error without a reason");
        int s = whole.req.error_status;
        if (s != 400 && s != 414 && s != 431 && s != 501 && s != 505)
            fail(who, "unexpected error status");
    } else if (r == 0 || (r > 0 && (size_t)r > len) || (r < 0 && r != H1_INCOMPLETE)) {
        fail(who, "bad return value");
    }

    // The prefix up to the split, then the whole buffer resumed from it.
    int r1 = part.run(buf, k, flags, nh, max_target, 0);
    if (r1 > 0) {
        if (r1 != r || !same(whole.req, part.req))
            fail(who, "complete prefix disagrees with the whole buffer");
    } else if (r1 == H1_ERROR) {
        // The status may differ: a long prefix is refused with 414 before the line's own
        // error (a bad version...) shows.
        if (r != H1_ERROR)
            fail(who, "prefix refused but not the whole buffer");
    } else {
        int r2 = part.run(buf, len, flags, nh, max_target, k);
        if (r2 != r)
            fail(who, "resumed parse disagrees with the whole buffer");
        if (r > 0 && !same(whole.req, part.req))
            fail(who, "resumed parse yields another request");
    }
    if (r <= 0)
        return 0;

    const request& q = whole.req;
    if (q.method.empty() || !inside(q.method, buf, len) || !inside(q.target, buf, len) ||
        (q.minor_version != 0 && q.minor_version != 1))
        fail(who, "bad request line views");
    check_headers(who, q.headers, q.num_headers, nh, buf, len);

    framing f{};
    if (request_framing(q, f) != 0) {
        if (!f.error_msg || (f.error_status != 400 && f.error_status != 501))
            fail(who, "framing error without a reason or with a bad status");
        return 0;
    }
    if (f.kind == framing::CHUNKED) {
        const char* body = buf + r;
        size_t blen = len - r;
        check_chunked(who, body, blen, split_at(sb, blen), bare_lf);
    }
    return 0;
}
