// SPDX-License-Identifier: MIT
// Channels and their buffers: migration to a fresh buffer and room-making for the
// handler's growing edits. The small hot helpers (buffers' refcounts, compaction, state
// flags, auto-forward) are inline in stream_int.hpp.
#include <cstring>

#include "stream/stream_int.hpp"

namespace portico {

bool chan_migrate(worker* w, chan& c)
{
    char* nb = buf_get(w);
    if (!nb) [[unlikely]]
        return false;
    uint32_t base = live_start(c);
    uint32_t len = c.tail - base;
    if (c.buf) {
        std::memcpy(nb, c.buf + base, len);
        buf_unref(w, c.buf);
    }
    c.buf = nb;
    c.head -= base;
    c.fwd -= base;
    c.tail = len;
    if (c.mark >= 0)
        c.mark = 0;
    return true;
}

bool chan_make_room(stream* s, uint32_t dir, size_t extra)
{
    worker* w = s->w;
    chan& c = s->ch[dir];
    if (!chan_ensure(w, c)) {
        stream_oom(s);
        return false;
    }
    conn* src = src_of(s, dir);
    conn* dst = dst_of(s, dir);
    if (rx_on(src, c)) {
        // the kernel writes at [rx_off, rx_off+rx_len): move our bytes away from it
        if ((c.tail - live_start(c)) + extra + src->rx_len > w->bufcap)
            return false;
        if (!chan_migrate(w, c)) {
            stream_oom(s);
            return false;
        }
        return true;
    }
    if (c.tail + extra <= w->bufcap)
        return true;
    if ((c.tail - live_start(c)) + extra > w->bufcap)
        return false;
    if (tx_on(dst, c)) {
        if (!chan_migrate(w, c)) {
            stream_oom(s);
            return false;
        }
    } else {
        chan_compact(c);
    }
    return true;
}

} // namespace portico
