// SPDX-License-Identifier: MIT
// libFuzzer target for what a peer accepting a connection runs on the bytes it receives:
// the hello (parse_hello), then, once it is one table.cpp answers 200 to, the messages
// that follow (next_message() in a loop, each stick-table payload through peermsg.hpp's
// decoders). See peer_fuzz.hpp for the checks.
#include "peer_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace peerfuzz;
    g_target = "fuzz_peerwire";
    const char* b = reinterpret_cast<const char*>(data);
    hello h{};
    size_t used = 0;
    int r = parse_hello(b, size, &h, &used);
    if (r < 0 && size <= 1024)
        fail("hello: too long under 1024 bytes");
    if (r <= 0)
        return 0;
    if (used < 3 || used > size || b[used - 1] != '\n')
        fail("hello: bad length");
    if (!inside(h.host.data(), h.host.size(), b, used) || !inside(h.peer.data(), h.peer.size(), b, used))
        fail("hello: names outside the hello");
    if (h.status != 0 && h.status != 501 && h.status != 502)
        fail("hello: bad status");
    hello h2{};
    size_t used2 = 0;
    if (parse_hello(b, used - 1, &h2, &used2) == 1)
        fail("hello: complete one byte short");
    if (parse_hello(b, used, &h2, &used2) != 1 || used2 != used || h2.status != h.status ||
        h2.host != h.host || h2.peer != h.peer || h2.bad_last != h.bad_last)
        fail("hello: the hello alone parses differently");
    if (h.status != 0 || h.bad_last)
        return 0; // refused: the connection ends
    session s;
    size_t n = s.stream(data + used, data + size);
    if (n > size - used)
        fail("stream: consumed more than received");
    return 0;
}
