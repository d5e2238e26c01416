// SPDX-License-Identifier: MIT
// libFuzzer target for the messages of an established peers session (what a peer reads
// after the hello and its status line): next_message() in a loop, each stick-table
// payload (definitions, updates with their keys, data fields, frequency counters and
// dictionary entries, acks, switches) through peermsg.hpp's decoders, with round trips
// through the encoders; and the same bytes delivered in two reads must end the same way.
// See peer_fuzz.hpp for the checks.
#include "peer_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace peerfuzz;
    g_target = "fuzz_peer_msgs";
    session s;
    size_t n = s.stream(data, data + size);
    if (n > size)
        fail("stream: consumed more than received");
    if (size < 2)
        return 0;
    // Two reads: the first <cut> bytes, then (unless the session ended) the rest with what
    // the first one left unconsumed, as receive() keeps it.
    session s2;
    size_t cut = size_t(data[0]) * size / 256;
    size_t first = s2.stream(data, data + cut);
    if (first > cut || first > n)
        fail("stream: a prefix consumed more than the whole");
    size_t total = first;
    if (!s2.closed)
        total += s2.stream(data + first, data + size);
    if (total != n || s2.closed != s.closed || s2.unacked != s.unacked || s2.remotes.size() != s.remotes.size())
        fail("stream: two reads end differently from one");
    for (uint32_t i = 0; i < PEER_DICT_IDS; i++)
        if (s.drx[i] != s2.drx[i])
            fail("stream: two reads learn other dictionary entries");
    return 0;
}
