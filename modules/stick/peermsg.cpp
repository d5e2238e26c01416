// SPDX-License-Identifier: MIT
// The payloads of the peers protocol's stick-table messages: decoding (untrusted input).
#include "peermsg.hpp"

#include <string.h>

namespace stick::peerwire {

bool decode_define(const unsigned char* q, const unsigned char* end, table_def* d)
{
    *d = table_def{};
    uint64_t nl = 0;
    if (!get_varint(&q, end, &d->id) || !get_varint(&q, end, &nl) || uint64_t(end - q) < nl)
        return false;
    d->name = std::string_view(reinterpret_cast<const char*>(q), size_t(nl));
    q += nl;
    if (!get_varint(&q, end, &d->key_type) || !get_varint(&q, end, &d->key_size) ||
        !get_varint(&q, end, &d->data))
        return false;
    if (!get_varint(&q, end, &d->expire))
        return true; // no expire, no parameters
    d->has_expire = true;
    for (uint32_t t = 0; t < NDT; t++) {
        if (!(d->data & (1ULL << t)))
            continue;
        uint64_t ty = 0, x = 0;
        if (k_dtypes[t].array) {
            if (!get_varint(&q, end, &ty) || ty != t || !get_varint(&q, end, &x))
                return false;
            d->nelem[t] = uint32_t(x);
            if (k_dtypes[t].st == ST_FRQ && !get_varint(&q, end, &d->period[t]))
                return false;
        } else if (k_dtypes[t].st == ST_FRQ) {
            if (!get_varint(&q, end, &ty) || ty != t || !get_varint(&q, end, &d->period[t]))
                return false;
        }
    }
    return true;
}

std::string encode_define(const table_def& d)
{
    std::string m;
    put_varint(m, d.id);
    put_varint(m, d.name.size());
    m.append(d.name);
    put_varint(m, d.key_type);
    put_varint(m, d.key_size);
    put_varint(m, d.data);
    if (!d.has_expire)
        return m;
    put_varint(m, d.expire);
    for (uint32_t t = 0; t < NDT; t++) {
        if (!(d.data & (1ULL << t)))
            continue;
        if (k_dtypes[t].array) {
            put_varint(m, t);
            put_varint(m, d.nelem[t]);
            if (k_dtypes[t].st == ST_FRQ)
                put_varint(m, d.period[t]);
        } else if (k_dtypes[t].st == ST_FRQ) {
            put_varint(m, t);
            put_varint(m, d.period[t]);
        }
    }
    return m;
}

bool decode_update_head(uint8_t type, const unsigned char** q, const unsigned char* end, uint32_t next_id,
                        update_head* h)
{
    *h = update_head{};
    h->id = next_id;
    h->timed = type == STKT_UPDATE_TIMED || type == STKT_INCUPDATE_TIMED;
    bool with_id = type == STKT_UPDATE || type == STKT_UPDATE_TIMED;
    if (with_id && !get_u32(q, end, &h->id))
        return false;
    if (h->timed && !get_u32(q, end, &h->expire))
        return false;
    return true;
}

bool decode_key(const unsigned char** pq, const unsigned char* end, uint64_t kt, uint32_t cap, unsigned char* k,
                uint32_t* n)
{
    const unsigned char* q = *pq;
    if (kt == KT_STR) {
        uint64_t l = 0;
        if (!get_varint(&q, end, &l) || uint64_t(end - q) < l)
            return false;
        *n = uint32_t(l < cap ? l : cap);
        memcpy(k, q, *n);
        q += l;
    } else if (kt == KT_SINT) {
        uint32_t u = 0;
        if (!get_u32(&q, end, &u))
            return false;
        memcpy(k, &u, 4);
        *n = 4;
    } else {
        if (uint64_t(end - q) < cap)
            return false;
        memcpy(k, q, cap);
        *n = cap;
        q += cap;
    }
    *pq = q;
    return true;
}

int field_reader::next(field* f)
{
    if (failed_)
        return -1;
    for (; d_ < NDT; d_++, x_ = 0) {
        if (!(data_ & (1ULL << d_)))
            continue;
        uint32_t cnt = k_dtypes[d_].array ? nelem_[d_] : 1;
        if (x_ >= cnt)
            continue;
        *f = field{};
        f->type = d_;
        f->index = x_++;
        uint32_t st = k_dtypes[d_].st;
        if (!get_varint(&q_, end_, &f->value) ||
            (st == ST_FRQ && (!get_varint(&q_, end_, &f->curr) || !get_varint(&q_, end_, &f->prev)))) {
            failed_ = true;
            return -1;
        }
        if (st != ST_DICT || !f->value)
            return 1; // a dictionary entry of length 0: none
        if (uint64_t(end_ - q_) < f->value) {
            failed_ = true;
            return -1;
        }
        const unsigned char* de = q_ + f->value;
        uint64_t vl = 0;
        if (!get_varint(&q_, de, &f->dict_id) || !f->dict_id || f->dict_id > PEER_DICT_IDS) {
            failed_ = true;
            return -1;
        }
        if (q_ != de) { // a new value for that id
            if (!get_varint(&q_, de, &vl) || uint64_t(de - q_) != vl) {
                failed_ = true;
                return -1;
            }
            f->dict_has_value = true;
            f->dict_value = std::string_view(reinterpret_cast<const char*>(q_), size_t(vl));
        }
        q_ = de;
        return 1;
    }
    return 0;
}

bool decode_ack(const unsigned char* q, const unsigned char* end, uint64_t* table_id, uint32_t* update_id)
{
    return get_varint(&q, end, table_id) && get_u32(&q, end, update_id);
}

bool decode_switch(const unsigned char* q, const unsigned char* end, uint64_t* table_id)
{
    return get_varint(&q, end, table_id);
}

} // namespace stick::peerwire
