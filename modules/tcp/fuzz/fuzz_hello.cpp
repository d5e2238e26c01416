// SPDX-License-Identifier: MIT
// libFuzzer target for hello::parse: no crash, results inside the input, and feeding a
// prefix never gives a different definite answer than the whole buffer's ok.
#include "hello.hpp"

#include <cstdlib>

namespace {

[[noreturn]] void fail(const char* what)
{
    __builtin_printf("fuzz_hello: %s\n", what);
    abort();
}

bool inside(std::string_view v, const uint8_t* d, size_t n)
{
    return v.empty() || (reinterpret_cast<const uint8_t*>(v.data()) >= d &&
                         reinterpret_cast<const uint8_t*>(v.data()) + v.size() <= d + n);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    hello::info whole;
    hello::status st = hello::parse(data, size, whole);
    if (st == hello::status::ok) {
        if (!inside(whole.sni, data, size) || !inside(whole.alpn, data, size))
            fail("result outside the input");
        std::string_view a = hello::first_alpn(whole.alpn);
        if (!inside(a, data, size))
            fail("alpn outside the input");
    }
    for (size_t n = 0; n < size; n++) {
        hello::info part;
        hello::status p = hello::parse(data, n, part);
        if (p == hello::status::need_more)
            continue;
        if (st == hello::status::ok && p == hello::status::not_tls)
            fail("a prefix is not TLS but the whole is a hello");
        break;
    }
    return 0;
}
