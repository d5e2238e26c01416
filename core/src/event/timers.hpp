// SPDX-License-Identifier: MIT
// Hierarchical timer wheel (1 ms ticks) for many connection timeouts refreshed on every I/O.
#pragma once

#include <cstdint>

#include "event/clock.hpp"

namespace portico::event {

// An intrusive timer, usually embedded in the object it times out. Zero-initialised it is
// disarmed. The owner must disarm it before freeing it (disarm is O(1) and safe to call on
// a disarmed timer).
struct timer {
    timer* next = nullptr;        // wheel slot list
    timer* prev = nullptr;
    uint64_t expire = 0;          // absolute ms (clock.hpp), 0 = not armed
    void (*fn)(timer*) = nullptr; // called once when it expires; it is disarmed by then
    void* data = nullptr;         // free for the owner
    uint16_t slot_ = 0;           // wheel-private: level * 64 + index
};

// Six levels of 64 slots: level k holds timers due in [64^k, 64^(k+1)) ms, which covers
// about 795 days; later timers are parked at the top and re-examined when reached.
class timer_wheel {
public:
    // <now> is the current time in ms; timers due at or before it fire on the next run().
    explicit timer_wheel(uint64_t now = now_ms());
    ~timer_wheel();
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    // Arm (or re-arm) <t> to fire at absolute time <expire_ms> (0 is treated as 1). O(1);
    // moving an armed timer later only updates its expiry, it is re-filed lazily.
    void arm(timer* t, uint64_t expire_ms);

    // Disarm <t>; no-op when not armed. O(1).
    void disarm(timer* t);

    // Milliseconds until the wheel next needs run(): 0 if something is due, -1 if no timer
    // is armed, otherwise at most 1000. It may be early (lazily re-armed timers), never late.
    int next_timeout_ms(uint64_t now) const;

    // Fire every timer whose expiry is <= <now>, in expiry order (ties in arming order).
    // A callback may arm/disarm any timer, including its own, and may free the owner of
    // its own timer or (after disarming it) of any other timer. A timer armed from a
    // callback with an expiry already past fires on a later tick, never re-entrantly.
    void run(uint64_t now);

    // Number of armed timers.
    unsigned size() const { return count_; }

private:
    static constexpr unsigned bits = 6;
    static constexpr unsigned slots = 1u << bits;
    static constexpr unsigned levels = 6;
    static constexpr uint64_t max_delta = (uint64_t(1) << (bits * levels)) - 1;

    void place(timer* t);
    void unlink(timer* t);
    void cascade(unsigned level, unsigned idx);
    uint64_t next_event_tick() const;

    timer heads_[levels][slots];  // circular list sentinels
    uint64_t bitmap_[levels] = {}; // non-empty slots
    uint64_t base_;               // next tick (ms) to process; all earlier ticks are done
    unsigned count_ = 0;
};

} // namespace portico::event
