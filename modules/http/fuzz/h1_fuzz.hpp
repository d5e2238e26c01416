// SPDX-License-Identifier: MIT
// Shared checks of the HTTP/1 fuzz targets (fuzz_h1_request.cpp, fuzz_h1_response.cpp).
#pragma once

#include "h1.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace h1fuzz {

using namespace portico::h1;

[[noreturn]] inline void fail(const char* target, const char* what)
{
    fprintf(stderr, "%s: %s\n", target, what);
    abort();
}

// The split position derived from a control byte: anywhere in [0, len].
inline size_t split_at(uint8_t b, size_t len)
{
    return (size_t)b * len / 255;
}

inline bool inside(std::string_view v, const char* buf, size_t len)
{
    return v.empty() || (v.data() >= buf && v.data() + v.size() <= buf + len);
}

// Field views inside the buffer, list elements inside their value, and a finite list.
inline void check_headers(const char* who, const header* h, size_t n, size_t max, const char* buf,
                          size_t len)
{
    if (n > max)
        fail(who, "more headers than the caller's array");
    for (size_t i = 0; i < n; i++) {
        if (h[i].name.empty() || !inside(h[i].name, buf, len) || !inside(h[i].value, buf, len))
            fail(who, "header view outside the buffer");
        list_iter it(h[i].value);
        std::string_view item;
        size_t count = 0;
        while (it.next(item)) {
            if (!inside(item, h[i].value.data(), h[i].value.size()))
                fail(who, "list element outside its value");
            if (++count > h[i].value.size() + 1)
                fail(who, "list_iter does not end");
        }
    }
}

// Validates <body> as a chunked body, whole and split at <k>: same verdict, same length.
inline void check_chunked(const char* who, const char* body, size_t len, size_t k, bool bare_lf)
{
    chunk_state whole;
    whole.allow_bare_lf = bare_lf;
    bool done = false;
    int r = chunked_feed(whole, body, len, &done);
    if (r == H1_ERROR) {
        if (!whole.error_msg || !*whole.error_msg)
            fail(who, "chunked error without a reason");
    } else if (r < 0 || (size_t)r > len || (!done && (size_t)r != len)) {
        fail(who, "chunked: bad consumed count");
    } else if (done) {
        // Once done, nothing more is consumed.
        bool d = false;
        if (chunked_feed(whole, body + r, len - r, &d) != 0 || !d)
            fail(who, "chunked: bytes consumed after the end");
    }

    chunk_state part;
    part.allow_bare_lf = bare_lf;
    bool d1 = false, d2 = false;
    int r1 = chunked_feed(part, body, k, &d1);
    int total;
    bool pdone;
    if (r1 == H1_ERROR) {
        total = H1_ERROR;
        pdone = false;
    } else if (d1) {
        total = r1;
        pdone = true;
    } else {
        if ((size_t)r1 != k)
            fail(who, "chunked: unfinished body not consumed whole");
        int r2 = chunked_feed(part, body + k, len - k, &d2);
        total = r2 == H1_ERROR ? H1_ERROR : r1 + r2;
        pdone = d2;
    }
    if (total != r || (r != H1_ERROR && pdone != done))
        fail(who, "chunked: split feed disagrees with the whole body");
    if (r != H1_ERROR && part.body_bytes != whole.body_bytes)
        fail(who, "chunked: split feed counts other body bytes");
}

} // namespace h1fuzz
