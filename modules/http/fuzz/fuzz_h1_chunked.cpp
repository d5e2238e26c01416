// SPDX-License-Identifier: MIT
// libFuzzer target for the HTTP/1 chunked body decoder (h1 chunked_feed). Input: byte 0
// holds options (bare LF allowed, feed pattern), the rest is a chunked body. Checks: the
// verdict and the bytes consumed are the same whether the body comes whole, byte by byte,
// or in pieces of a size derived from the input; and a body accepted as complete reads the
// same (same end, same data bytes) through an independent, lenient reference decoder, so
// the bytes portico forwards verbatim cannot be framed differently by a server.
#include "h1_fuzz.hpp"

#include <string>

using namespace h1fuzz;

namespace {

constexpr const char* who = "fuzz_h1_chunked";

struct verdict {
    int r;          // consumed, or H1_ERROR
    bool done;
    uint64_t body;  // body_bytes
};

// Feeds <buf> in pieces of <step> bytes (0: whole), stopping at an error or at the end.
verdict feed(const char* buf, size_t len, size_t step, bool bare_lf)
{
    chunk_state st;
    st.allow_bare_lf = bare_lf;
    size_t off = 0;
    bool done = false;
    do {
        size_t n = step ? std::min(step, len - off) : len - off;
        int r = chunked_feed(st, buf + off, n, &done);
        if (r == H1_ERROR) {
            if (!st.error_msg || !*st.error_msg)
                fail(who, "error without a reason");
            return {H1_ERROR, false, 0};
        }
        if (r < 0 || (size_t)r > n)
            fail(who, "bad consumed count");
        if (!done && (size_t)r != n)
            fail(who, "unfinished body not consumed whole");
        off += (size_t)r;
    } while (!done && off < len);
    return {(int)off, done, st.body_bytes};
}

// Reference: a lenient decoder (hex size, anything up to the line end, data, CRLF or LF,
// trailer lines up to an empty one). Returns the end offset of a complete body, or -1, and
// the data byte count in <body>.
long reference(const std::string_view b, uint64_t& body)
{
    size_t i = 0;
    body = 0;
    auto line_end = [&](size_t from) -> size_t {
        size_t e = b.find('\n', from);
        return e == std::string_view::npos ? e : e + 1;
    };
    for (;;) {
        uint64_t size = 0;
        size_t start = i;
        while (i < b.size() && isxdigit((unsigned char)b[i])) {
            if (size >> 60)
                return -1;
            int c = (unsigned char)b[i];
            size = size * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            i++;
        }
        if (i == start)
            return -1;
        size_t e = line_end(i);
        if (e == std::string_view::npos)
            return -1;
        i = e;
        if (size == 0)
            break;
        if (b.size() - i < size)
            return -1;
        i += size;
        body += size;
        if (i < b.size() && b[i] == '\r')
            i++;
        if (i >= b.size() || b[i] != '\n')
            return -1;
        i++;
    }
    for (;;) {
        size_t e = line_end(i);
        if (e == std::string_view::npos)
            return -1;
        std::string_view l = b.substr(i, e - i);
        i = e;
        if (l == "\n" || l == "\r\n")
            return (long)i;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1 || size > 16 * 1024)
        return 0;
    const uint8_t opt = data[0];
    const bool bare_lf = opt & 1;
    const char* buf = (const char*)data + 1;
    const size_t len = size - 1;

    verdict whole = feed(buf, len, 0, bare_lf);
    verdict bytes = feed(buf, len, 1, bare_lf);
    verdict parts = feed(buf, len, 1 + (opt >> 1), bare_lf);
    for (const verdict* v : {&bytes, &parts})
        if (v->r != whole.r || v->done != whole.done ||
            (whole.r != H1_ERROR && v->body != whole.body))
            fail(who, "split feeds disagree with the whole body");
    if (whole.r == H1_ERROR || !whole.done)
        return 0;

    uint64_t rbody = 0;
    long end = reference(std::string_view(buf, len), rbody);
    if (end != whole.r)
        fail(who, "the reference decoder ends the body elsewhere");
    if (rbody != whole.body)
        fail(who, "the reference decoder counts other data bytes");
    return 0;
}
