// SPDX-License-Identifier: MIT
// Hierarchical timer wheel (1 ms ticks) for many connection timeouts refreshed on every I/O.
#include "event/timers.hpp"

#include <bit>

namespace portico::event {

namespace {

void list_init(timer* h)
{
    h->next = h->prev = h;
}

void list_append(timer* h, timer* t)
{
    t->prev = h->prev;
    t->next = h;
    h->prev->next = t;
    h->prev = t;
}

// Move every element of <from> to the empty list <to>.
void list_move(timer* from, timer* to)
{
    to->next = from->next;
    to->prev = from->prev;
    to->next->prev = to;
    to->prev->next = to;
    list_init(from);
}

} // namespace

timer_wheel::timer_wheel(uint64_t now) : base_(now)
{
    for (auto& level : heads_)
        for (auto& h : level)
            list_init(&h);
}

timer_wheel::~timer_wheel()
{
    // Leave the remaining timers in a sane disarmed state for their owners.
    for (auto& level : heads_) {
        for (auto& h : level) {
            while (h.next != &h) {
                timer* t = h.next;
                h.next = t->next;
                t->next = t->prev = nullptr;
                t->expire = 0;
            }
        }
    }
}

// File <t> in the slot that is processed first at or before its expiry.
void timer_wheel::place(timer* t)
{
    uint64_t e = t->expire < base_ ? base_ : t->expire;
    uint64_t d = e - base_;
    if (d > max_delta) {
        d = max_delta;
        e = base_ + max_delta;
    }
    unsigned level = d < slots ? 0 : unsigned(std::bit_width(d) - 1) / bits;
    unsigned idx = unsigned(e >> (bits * level)) & (slots - 1);
    list_append(&heads_[level][idx], t);
    bitmap_[level] |= uint64_t(1) << idx;
    t->slot_ = uint16_t(level * slots + idx);
}

void timer_wheel::unlink(timer* t)
{
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = nullptr;
    unsigned level = t->slot_ / slots, idx = t->slot_ % slots;
    timer* h = &heads_[level][idx];
    if (h->next == h)
        bitmap_[level] &= ~(uint64_t(1) << idx);
}

void timer_wheel::arm(timer* t, uint64_t expire_ms)
{
    if (expire_ms == 0)
        expire_ms = 1;
    if (t->expire) {
        if (expire_ms >= t->expire) {
            t->expire = expire_ms; // lazy: re-filed when its current slot comes up
            return;
        }
        unlink(t);
    } else {
        ++count_;
    }
    t->expire = expire_ms;
    place(t);
}

void timer_wheel::disarm(timer* t)
{
    if (!t->expire)
        return;
    unlink(t);
    t->expire = 0;
    --count_;
}

// The earliest tick >= base_ at which a non-empty slot is processed.
uint64_t timer_wheel::next_event_tick() const
{
    uint64_t best = ~uint64_t(0);
    for (unsigned level = 0; level < levels; ++level) {
        if (!bitmap_[level])
            continue;
        unsigned shift = bits * level;
        uint64_t unit = uint64_t(1) << shift;
        uint64_t m = (base_ + unit - 1) >> shift; // first slot boundary at or after base_
        unsigned cur = unsigned(m) & (slots - 1);
        uint64_t rotated = std::rotr(bitmap_[level], int(cur));
        unsigned dist = unsigned(std::countr_zero(rotated));
        uint64_t tick = (m + dist) << shift;
        if (tick < best)
            best = tick;
    }
    return best;
}

void timer_wheel::cascade(unsigned level, unsigned idx)
{
    timer* h = &heads_[level][idx];
    if (h->next == h)
        return;
    timer local;
    list_move(h, &local);
    bitmap_[level] &= ~(uint64_t(1) << idx);
    while (local.next != &local) {
        timer* t = local.next;
        t->prev->next = t->next;
        t->next->prev = t->prev;
        place(t);
    }
}

void timer_wheel::run(uint64_t now)
{
    while (count_) {
        uint64_t tick = next_event_tick();
        if (tick > now)
            break;
        base_ = tick;
        for (unsigned level = 1; level < levels; ++level) {
            unsigned shift = bits * level;
            if (tick & ((uint64_t(1) << shift) - 1))
                break;
            cascade(level, unsigned(tick >> shift) & (slots - 1));
        }
        unsigned idx = unsigned(tick) & (slots - 1);
        timer* h = &heads_[0][idx];
        base_ = tick + 1;
        if (h->next == h)
            continue;
        // Detach the slot so callbacks arming timers cannot extend this batch; timers in
        // it stay individually unlinkable (disarm) while we walk it.
        timer local;
        list_move(h, &local);
        bitmap_[0] &= ~(uint64_t(1) << idx);
        while (local.next != &local) {
            timer* t = local.next;
            t->prev->next = t->next;
            t->next->prev = t->prev;
            if (t->expire > tick) {
                place(t); // was re-armed later
                continue;
            }
            t->next = t->prev = nullptr;
            t->expire = 0;
            --count_;
            t->fn(t);
        }
    }
    if (base_ <= now)
        base_ = now + 1;
}

int timer_wheel::next_timeout_ms(uint64_t now) const
{
    if (!count_)
        return -1;
    uint64_t tick = next_event_tick();
    if (tick <= now)
        return 0;
    uint64_t d = tick - now;
    return d > 1000 ? 1000 : int(d);
}

} // namespace portico::event
