// SPDX-License-Identifier: MIT
// libFuzzer target for the HTTP/1 response parser: header block, framing, chunked body.
// Input: byte 0 picks the split position, byte 1 the options (H1F_* relaxations, request
// method, few headers, bare-LF chunks), the rest is the message. The message is parsed
// whole, then as a prefix up to the split followed by a resumed parse: both must agree.
#include "h1_fuzz.hpp"

using namespace h1fuzz;

namespace {

constexpr const char* who = "fuzz_h1_response";
constexpr size_t max_hdrs = 64;

struct parse {
    header hdrs[max_hdrs];
    response res;
    int run(const char* buf, size_t len, uint8_t flags, size_t nh, size_t last_len)
    {
        res = response{};
        res.headers = hdrs;
        res.max_headers = nh;
        res.flags = flags;
        return parse_response(buf, len, res, last_len);
    }
};

bool same(const response& a, const response& b)
{
    if (a.minor_version != b.minor_version || a.status != b.status || a.reason != b.reason ||
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
    const uint8_t flags = opt & (H1F_RELAX_NAME | H1F_RELAX_VERSION);
    const size_t nh = (opt & 8) ? 4 : max_hdrs;
    const bool bare_lf = !(opt & 16);
    static const char* const methods[] = {"GET", "HEAD", "CONNECT", "POST"};
    const std::string_view method = methods[(opt >> 5) & 3];
    const size_t k = split_at(sb, len);

    static parse whole, part; // keep the header arrays off the stack
    int r = whole.run(buf, len, flags, nh, 0);
    if (r == H1_ERROR) {
        if (!whole.res.error_msg || !*whole.res.error_msg || whole.res.error_status != 502)
            fail(who, "error without a reason or with a status other than 502");
    } else if (r == 0 || (r > 0 && (size_t)r > len) || (r < 0 && r != H1_INCOMPLETE)) {
        fail(who, "bad return value");
    }

    int r1 = part.run(buf, k, flags, nh, 0);
    if (r1 > 0) {
        if (r1 != r || !same(whole.res, part.res))
            fail(who, "complete prefix disagrees with the whole buffer");
    } else if (r1 == H1_ERROR) {
        if (r != H1_ERROR)
            fail(who, "prefix refused but not the whole buffer");
    } else {
        int r2 = part.run(buf, len, flags, nh, k);
        if (r2 != r)
            fail(who, "resumed parse disagrees with the whole buffer");
        if (r > 0 && !same(whole.res, part.res))
            fail(who, "resumed parse yields another response");
    }
    if (r <= 0)
        return 0;

    const response& s = whole.res;
    if (s.status < 100 || s.status > 999 || (s.minor_version != 0 && s.minor_version != 1) ||
        !inside(s.reason, buf, len))
        fail(who, "bad status line");
    check_headers(who, s.headers, s.num_headers, nh, buf, len);

    framing f{};
    if (response_framing(s, method, f) != 0) {
        if (!f.error_msg || f.error_status != 502)
            fail(who, "framing error without a reason or with a status other than 502");
        return 0;
    }
    if (f.kind == framing::CHUNKED) {
        const char* body = buf + r;
        size_t blen = len - r;
        check_chunked(who, body, blen, split_at(sb, blen), bare_lf);
    }
    return 0;
}
