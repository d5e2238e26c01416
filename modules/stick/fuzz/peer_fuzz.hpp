// SPDX-License-Identifier: MIT
// Shared part of the peers protocol fuzz targets (fuzz_peerwire.cpp, fuzz_peer_msgs.cpp):
// a receiving peer's session as table.cpp runs it (framing by next_message(), then each
// stick-table message's payload through the decoders of peermsg.hpp), without the tables,
// with checks of what the decoders return and round trips through the encoders.
#pragma once

#include "peermsg.hpp"
#include "peerwire.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

namespace peerfuzz {

using namespace stick;
using namespace stick::peerwire;

inline const char* g_target = "peer_fuzz";

[[noreturn]] inline void fail(const char* what)
{
    fprintf(stderr, "%s: %s\n", g_target, what);
    abort();
}

inline bool inside(const void* p, size_t n, const void* buf, size_t len)
{
    auto* a = static_cast<const unsigned char*>(p);
    auto* b = static_cast<const unsigned char*>(buf);
    return n == 0 || (a >= b && a + n <= b + len);
}

// Whether table.cpp would find a local table for a definition (whatever its name, here):
// a key type and size of a table portico can declare; <cap>: the bytes of a key it keeps.
inline bool local_table(const table_def& d, uint32_t* cap)
{
    switch (d.key_type) {
    case KT_SINT:
    case KT_IPV4: *cap = 4; return d.key_size == 4;
    case KT_IPV6: *cap = 16; return d.key_size == 16;
    case KT_STR: *cap = uint32_t(d.key_size - 1); return d.key_size >= 2 && d.key_size <= 65;
    case KT_BIN: *cap = uint32_t(d.key_size); return d.key_size >= 1 && d.key_size <= 64;
    default: return false;
    }
}

inline bool same_def(const table_def& a, const table_def& b)
{
    if (a.id != b.id || a.name != b.name || a.key_type != b.key_type || a.key_size != b.key_size ||
        a.data != b.data || a.has_expire != b.has_expire || a.expire != b.expire)
        return false;
    for (uint32_t t = 0; t < NDT; t++)
        if (a.nelem[t] != b.nelem[t] || a.period[t] != b.period[t])
            return false;
    return true;
}

inline bool same_field(const field& a, const field& b)
{
    return a.type == b.type && a.index == b.index && a.value == b.value && a.curr == b.curr &&
           a.prev == b.prev && a.dict_id == b.dict_id && a.dict_has_value == b.dict_has_value &&
           a.dict_value == b.dict_value;
}

// The payload of an update with these parts, as table.cpp's update_msg() writes one.
inline void put_field(std::string& m, const field& f)
{
    uint32_t st = k_dtypes[f.type].st;
    if (st == ST_DICT) {
        if (!f.dict_id) {
            put_varint(m, 0);
            return;
        }
        std::string v;
        put_varint(v, f.dict_id);
        if (f.dict_has_value) {
            put_varint(v, f.dict_value.size());
            v.append(f.dict_value);
        }
        put_varint(m, v.size());
        m += v;
        return;
    }
    put_varint(m, f.value);
    if (st == ST_FRQ) {
        put_varint(m, f.curr);
        put_varint(m, f.prev);
    }
}

struct session {
    struct remote {
        uint64_t id;
        table_def def;
        std::string name; // def.name (emptied)
        uint32_t cap;
        uint32_t last_id;
    };
    std::deque<remote> remotes;
    remote* cur = nullptr;
    std::string drx[PEER_DICT_IDS];
    uint32_t unacked = 0;
    bool closed = false; // a message table.cpp closes the session on

    bool define(const unsigned char* q, const unsigned char* end);
    bool update(uint8_t type, const unsigned char* q, const unsigned char* end);
    // One message; false where table.cpp closes the session.
    bool message(uint8_t cls, uint8_t type, const unsigned char* q, const unsigned char* end);
    // The messages of [p, end) as receive() splits them, up to an incomplete one or one that
    // closes the session (closed set). Returns the bytes consumed.
    size_t stream(const unsigned char* p, const unsigned char* end);
};

inline bool session::define(const unsigned char* q, const unsigned char* end)
{
    table_def d;
    if (!decode_define(q, end, &d))
        return false;
    if (!inside(d.name.data(), d.name.size(), q, size_t(end - q)))
        fail("define: name outside the payload");
    std::string enc = encode_define(d);
    if (enc.size() > size_t(end - q))
        fail("define: encoding longer than the payload it was read from");
    table_def back;
    const unsigned char* e = reinterpret_cast<const unsigned char*>(enc.data());
    if (!decode_define(e, e + enc.size(), &back) || !same_def(d, back))
        fail("define: encode/decode round trip differs");
    // table.cpp's define_remote(): a table we do not share is not kept; one we share (the
    // same name, key type and size) keeps one remote id, the last defined
    uint32_t cap = 0;
    bool shared = local_table(d, &cap);
    cur = nullptr;
    for (auto it = remotes.begin(); it != remotes.end();)
        if (it->id == d.id || (shared && it->name == d.name && it->def.key_type == d.key_type &&
                               it->def.key_size == d.key_size))
            it = remotes.erase(it);
        else
            ++it;
    if (!shared)
        return true;
    remotes.emplace_back();
    remote* r = &remotes.back();
    r->id = d.id;
    r->name.assign(d.name);
    r->def = d;
    r->def.name = {}; // it points into the payload; erase() moves the elements: name
    r->cap = cap;
    r->last_id = 0;
    cur = r;
    return true;
}

inline bool session::update(uint8_t type, const unsigned char* q, const unsigned char* end)
{
    if (!cur)
        return true; // a table we do not share
    const unsigned char* start = q;
    update_head h;
    if (!decode_update_head(type, &q, end, cur->last_id + 1, &h))
        return false;
    if (q < start || q > end)
        fail("update: head outside the payload");
    cur->last_id = h.id;
    unacked++;
    unsigned char k[64 + 8];
    memset(k, 0xa5, sizeof(k));
    uint32_t n = 0;
    const unsigned char* kq = q;
    if (!decode_key(&q, end, cur->def.key_type, cur->cap, k, &n))
        return false;
    if (q < kq || q > end || n > cur->cap || (cur->def.key_type == KT_SINT && n != 4))
        fail("update: bad key");
    for (size_t i = cur->cap; i < sizeof(k); i++)
        if (k[i] != 0xa5)
            fail("update: key written past its capacity");

    // The fields, then the same update written again and read back.
    std::string again;
    if (type == STKT_UPDATE || type == STKT_UPDATE_TIMED)
        put_u32(again, h.id);
    if (h.timed)
        put_u32(again, h.expire);
    if (cur->def.key_type == KT_STR) {
        put_varint(again, n);
        again.append(reinterpret_cast<const char*>(k), n);
    } else if (cur->def.key_type == KT_SINT) {
        uint32_t u;
        memcpy(&u, k, 4);
        put_u32(again, u);
    } else {
        again.append(reinterpret_cast<const char*>(k), n);
    }
    size_t fields_at = again.size();
    std::deque<field> got;
    field_reader fr(q, end, cur->def.data, cur->def.nelem);
    field f;
    int r;
    uint32_t last_type = 0, last_index = 0;
    while ((r = fr.next(&f)) > 0) {
        if (fr.pos() < q || fr.pos() > end)
            fail("update: reader outside the payload");
        if (f.type >= NDT || !(cur->def.data & (1ULL << f.type)))
            fail("update: a field of a type not defined");
        if (k_dtypes[f.type].array ? f.index >= cur->def.nelem[f.type] : f.index != 0)
            fail("update: a field index out of range");
        if (!got.empty() && (f.type < last_type || (f.type == last_type && f.index != last_index + 1)))
            fail("update: fields out of order");
        last_type = f.type;
        last_index = f.index;
        if (k_dtypes[f.type].st == ST_DICT) {
            if (f.dict_id > PEER_DICT_IDS || (!f.dict_id && f.dict_has_value))
                fail("update: bad dictionary id");
            if (!inside(f.dict_value.data(), f.dict_value.size(), q, size_t(end - q)))
                fail("update: dictionary value outside the payload");
            if (f.dict_has_value)
                drx[f.dict_id - 1].assign(f.dict_value);
        } else if (f.dict_id || f.dict_has_value) {
            fail("update: dictionary parts on another type");
        }
        got.push_back(f);
        put_field(again, f);
        if (got.size() > size_t(end - start))
            fail("update: more fields than bytes");
    }
    if (fr.next(&f) != r)
        fail("update: the reader's end is not sticky");
    if (r == 0) { // read back
        const unsigned char* a = reinterpret_cast<const unsigned char*>(again.data());
        const unsigned char* ae = a + again.size();
        update_head h2;
        unsigned char k2[64 + 8];
        uint32_t n2 = 0;
        if (!decode_update_head(type, &a, ae, h.id, &h2) || h2.id != h.id || h2.timed != h.timed ||
            h2.expire != h.expire)
            fail("update: head round trip differs");
        if (!decode_key(&a, ae, cur->def.key_type, cur->cap, k2, &n2) || n2 != n || memcmp(k, k2, n) != 0 ||
            a != reinterpret_cast<const unsigned char*>(again.data()) + fields_at)
            fail("update: key round trip differs");
        field_reader fr2(a, ae, cur->def.data, cur->def.nelem);
        field f2;
        for (const field& x : got)
            if (fr2.next(&f2) != 1 || !same_field(x, f2))
                fail("update: fields round trip differs");
        if (fr2.next(&f2) != 0 || fr2.pos() != ae)
            fail("update: fields round trip does not end where written");
    }
    return r == 0;
}

inline bool session::message(uint8_t cls, uint8_t type, const unsigned char* q, const unsigned char* end)
{
    if (cls == CLASS_ERROR)
        return false;
    if (cls != CLASS_STKT)
        return true; // control messages carry nothing
    if (type == STKT_DEFINE)
        return define(q, end);
    if (type == STKT_ACK) {
        uint64_t id = 0;
        uint32_t upd = 0;
        (void)decode_ack(q, end, &id, &upd);
        return true;
    }
    if (type == STKT_SWITCH) {
        uint64_t id = 0;
        if (!decode_switch(q, end, &id))
            return false;
        cur = nullptr;
        for (auto& x : remotes)
            if (x.id == id)
                cur = &x;
        return true;
    }
    if (type == STKT_UPDATE || type == STKT_INCUPDATE || type == STKT_UPDATE_TIMED ||
        type == STKT_INCUPDATE_TIMED)
        return update(type, q, end);
    return true;
}

inline size_t session::stream(const unsigned char* p, const unsigned char* end)
{
    constexpr size_t max = 65536; // receive()'s limit
    size_t total = 0;
    for (;;) {
        uint8_t cls = 0, type = 0;
        const unsigned char* pl = nullptr;
        size_t len = 0, used = 0;
        const unsigned char* at = p + total;
        int r = next_message(at, end, max, &cls, &type, &pl, &len, &used);
        if (r < 0)
            closed = true;
        if (r <= 0)
            return total;
        if (used < 2 || used > size_t(end - at) || len > max || !inside(pl, len, at, used) ||
            pl + len != at + used)
            fail("next_message: bad message bounds");
        // the same message arriving a byte short must wait for that byte
        uint8_t c2, t2;
        const unsigned char* pl2;
        size_t len2, used2;
        if (next_message(at, at + used - 1, max, &c2, &t2, &pl2, &len2, &used2) != 0)
            fail("next_message: a message one byte short is not incomplete");
        total += used;
        if (!message(cls, type, pl, pl + len)) {
            closed = true;
            return total;
        }
    }
}

} // namespace peerfuzz
