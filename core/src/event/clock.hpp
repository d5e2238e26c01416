// SPDX-License-Identifier: MIT
// Monotonic millisecond clock, cached once per event-loop turn.
#pragma once

#include <cstdint>

namespace portico::event {

namespace detail {
extern uint64_t cached_ms; // last value read by update_clock(), 0 before the first read
}

// Read CLOCK_MONOTONIC now, in milliseconds, without touching the cache.
uint64_t monotonic_ms();

// Refresh the cached clock; the event loop calls it once per turn, after waiting.
void update_clock();

// The cached monotonic time in milliseconds (never 0).
inline uint64_t now_ms()
{
    if (detail::cached_ms == 0) [[unlikely]]
        update_clock();
    return detail::cached_ms;
}

} // namespace portico::event
