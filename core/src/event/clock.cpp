// SPDX-License-Identifier: MIT
// Monotonic millisecond clock, cached once per event-loop turn.
#include "event/clock.hpp"

#include <time.h>

namespace portico::event {

namespace detail {
uint64_t cached_ms = 0;
}

uint64_t monotonic_ms()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    // +1 keeps the value non-zero so that 0 can mean "not read yet" / "not armed".
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000 + 1;
}

void update_clock()
{
    detail::cached_ms = monotonic_ms();
}

} // namespace portico::event
