// SPDX-License-Identifier: MIT
// HAProxy's peers protocol wire encoding.
#include "peerwire.hpp"

namespace stick::peerwire {

void put_varint(std::string& out, uint64_t v)
{
    if (v < 0xf0) {
        out.push_back(char(v));
        return;
    }
    out.push_back(char(uint8_t(v) | 0xf0));
    v = (v - 0xf0) >> 4;
    while (v >= 0x80) {
        out.push_back(char(uint8_t(v) | 0x80));
        v = (v - 0x80) >> 7;
    }
    out.push_back(char(v));
}

bool get_varint(const unsigned char** pp, const unsigned char* end, uint64_t* out)
{
    const unsigned char* p = *pp;
    if (p >= end)
        return false;
    uint64_t v = *p++;
    if (v >= 0xf0) {
        int shift = 4;
        for (;;) {
            if (p >= end || shift > 63)
                return false;
            uint8_t b = *p++;
            v += uint64_t(b) << shift;
            shift += 7;
            if (b < 0x80)
                break;
        }
    }
    *pp = p;
    *out = v;
    return true;
}

void put_u32(std::string& out, uint32_t v)
{
    out.push_back(char(v >> 24));
    out.push_back(char(v >> 16));
    out.push_back(char(v >> 8));
    out.push_back(char(v));
}

bool get_u32(const unsigned char** pp, const unsigned char* end, uint32_t* v)
{
    if (end - *pp < 4)
        return false;
    const unsigned char* p = *pp;
    *v = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    *pp += 4;
    return true;
}

std::string message(uint8_t cls, uint8_t type, const std::string& payload)
{
    std::string m;
    m.push_back(char(cls));
    m.push_back(char(type));
    if (type & 0x80) {
        put_varint(m, payload.size());
        m += payload;
    }
    return m;
}

int next_message(const unsigned char* p, const unsigned char* end, size_t max, uint8_t* cls,
                 uint8_t* type, const unsigned char** payload, size_t* len, size_t* used)
{
    if (end - p < 2)
        return 0;
    *cls = p[0];
    *type = p[1];
    const unsigned char* q = p + 2;
    if (!(p[1] & 0x80)) {
        *payload = q;
        *len = 0;
        *used = 2;
        return 1;
    }
    uint64_t n = 0;
    if (!get_varint(&q, end, &n))
        return end - q > 10 ? -1 : 0;
    if (n > max)
        return -1;
    if (uint64_t(end - q) < n)
        return 0;
    *payload = q;
    *len = size_t(n);
    *used = size_t(q - p) + size_t(n);
    return 1;
}

} // namespace stick::peerwire
