// SPDX-License-Identifier: MIT
// More of HAProxy 2.6's converters: hashes (crc32, crc32c, djb2, sdbm, wt6, xxh32, xxh64, xxh3),
// digests (sha1, sha2, digest, hmac, secure_memcmp), encodings (url_enc, ub64enc/ub64dec,
// be2dec, be2hex, hex2i, htonl), dates (ltime, utime, http_date), strings (cut_crlf, ltrim,
// rtrim, strcmp), iif and cpl. Outputs are byte-exact to HAProxy's.
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>

#include "lb/hash.hpp"
#include "sample/sample_int.hpp"

namespace portico {
namespace smp {

namespace {

std::deque<var_ref> g_ext_refs;
std::deque<std::string> g_ext_keys;

std::string_view sv(const ptc_arg& a) { return std::string_view(a.str.ptr, a.str.len); }


int out_str(ptc_sample* io, char* b, size_t n, uint32_t type = PTC_SMP_STR)
{
    io->type = type;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.str = ptc_str{b, n};
    return 1;
}

int out_int(ptc_sample* io, int64_t v)
{
    io->type = PTC_SMP_SINT;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.sint = v;
    return 1;
}

// Optional integer arguments (absent: 0).
template <int N>
int chk_opt_ints(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    for (uint32_t i = 0; i < nargs && i < (uint32_t)N; i++) {
        if (!args[i].str.len) {
            args[i].sint = 0;
            continue;
        }
        if (!is_int(sv(args[i]), args[i].sint))
            return arg_error(ctx, "failed to parse '" + std::string(sv(args[i])) +
                                      "' as type signed integer at position " +
                                      std::to_string(i + 1));
    }
    return PTC_OK;
}

// ---- non-cryptographic hashes ------------------------------------------------------------

uint32_t crc32c(const unsigned char* p, size_t n)
{
    static uint32_t table[256];
    static bool init = false;
    if (!init) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ ((c & 1) ? 0x82f63b78u : 0);
            table[i] = c;
        }
        init = true;
    }
    uint32_t crc = 0xffffffffu;
    while (n--)
        crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
    return crc ^ 0xffffffffu;
}

enum hash_kind { H_CRC32, H_CRC32C, H_DJB2, H_SDBM, H_WT6 };

template <int K>
int c_hash(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    const auto* p = reinterpret_cast<const unsigned char*>(io->u.str.ptr);
    size_t n = io->u.str.len;
    uint32_t h = 0;
    switch (K) {
    case H_CRC32: h = lbh::hash_crc32(p, n); break;
    case H_CRC32C: h = crc32c(p, n); break;
    case H_DJB2: h = lbh::hash_djb2(p, n); break;
    case H_SDBM: h = lbh::hash_sdbm(p, n); break;
    default: h = lbh::hash_wt6(p, n); break;
    }
    if (nargs && args[0].sint)
        h = lbh::avalanche(h) * 3221225473u; // HAProxy's full_hash()
    return out_int(io, (int64_t)h);
}

// xxHash (XXH32 and XXH64), after the public specification.
constexpr uint32_t P32_1 = 0x9E3779B1u, P32_2 = 0x85EBCA77u, P32_3 = 0xC2B2AE3Du,
                   P32_4 = 0x27D4EB2Fu, P32_5 = 0x165667B1u;
constexpr uint64_t P64_1 = 0x9E3779B185EBCA87ull, P64_2 = 0xC2B2AE3D27D4EB4Full,
                   P64_3 = 0x165667B19E3779F9ull, P64_4 = 0x85EBCA77C2B2AE63ull,
                   P64_5 = 0x27D4EB2F165667C5ull;

inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint32_t rd32(const unsigned char* p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
inline uint64_t rd64(const unsigned char* p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

uint32_t xxh32(const unsigned char* p, size_t len, uint32_t seed)
{
    const unsigned char* end = p + len;
    uint32_t h;
    if (len >= 16) {
        uint32_t v1 = seed + P32_1 + P32_2, v2 = seed + P32_2, v3 = seed, v4 = seed - P32_1;
        const unsigned char* lim = end - 16;
        do {
            v1 = rotl32(v1 + rd32(p) * P32_2, 13) * P32_1;
            v2 = rotl32(v2 + rd32(p + 4) * P32_2, 13) * P32_1;
            v3 = rotl32(v3 + rd32(p + 8) * P32_2, 13) * P32_1;
            v4 = rotl32(v4 + rd32(p + 12) * P32_2, 13) * P32_1;
            p += 16;
        } while (p <= lim);
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + P32_5;
    }
    h += (uint32_t)len;
    while (p + 4 <= end) {
        h = rotl32(h + rd32(p) * P32_3, 17) * P32_4;
        p += 4;
    }
    while (p < end) {
        h = rotl32(h + (*p) * P32_5, 11) * P32_1;
        p++;
    }
    h ^= h >> 15;
    h *= P32_2;
    h ^= h >> 13;
    h *= P32_3;
    h ^= h >> 16;
    return h;
}

inline uint64_t xround(uint64_t acc, uint64_t in)
{
    acc += in * P64_2;
    acc = rotl64(acc, 31);
    return acc * P64_1;
}
inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
    acc ^= xround(0, v);
    return acc * P64_1 + P64_4;
}

uint64_t xxh64(const unsigned char* p, size_t len, uint64_t seed)
{
    const unsigned char* end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = seed + P64_1 + P64_2, v2 = seed + P64_2, v3 = seed, v4 = seed - P64_1;
        const unsigned char* lim = end - 32;
        do {
            v1 = xround(v1, rd64(p));
            v2 = xround(v2, rd64(p + 8));
            v3 = xround(v3, rd64(p + 16));
            v4 = xround(v4, rd64(p + 24));
            p += 32;
        } while (p <= lim);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xmerge(h, v1);
        h = xmerge(h, v2);
        h = xmerge(h, v3);
        h = xmerge(h, v4);
    } else {
        h = seed + P64_5;
    }
    h += (uint64_t)len;
    while (p + 8 <= end) {
        h ^= xround(0, rd64(p));
        h = rotl64(h, 27) * P64_1 + P64_4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)rd32(p) * P64_1;
        h = rotl64(h, 23) * P64_2 + P64_3;
        p += 4;
    }
    while (p < end) {
        h ^= (*p) * P64_5;
        h = rotl64(h, 11) * P64_1;
        p++;
    }
    h ^= h >> 33;
    h *= P64_2;
    h ^= h >> 29;
    h *= P64_3;
    h ^= h >> 32;
    return h;
}

int c_xxh32(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    uint32_t seed = nargs ? (uint32_t)args[0].sint : 0;
    return out_int(io, xxh32(reinterpret_cast<const unsigned char*>(io->u.str.ptr),
                             io->u.str.len, seed));
}

int c_xxh64(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    uint64_t seed = nargs ? (uint64_t)args[0].sint : 0;
    return out_int(io, (int64_t)xxh64(reinterpret_cast<const unsigned char*>(io->u.str.ptr),
                                      io->u.str.len, seed));
}

// XXH3 (64-bit, seeded), after the public xxHash specification (XXH3_64bits_withSeed).
const unsigned char k_xxh3_secret[192] = {
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};
constexpr uint64_t PMX_1 = 0x165667919E3779F9ull, PMX_2 = 0x9FB21C651E98DF25ull;

inline uint64_t fold64(uint64_t a, uint64_t b)
{
    unsigned __int128 m = (unsigned __int128)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}
inline uint64_t x64_avalanche(uint64_t h)
{
    h ^= h >> 33;
    h *= P64_2;
    h ^= h >> 29;
    h *= P64_3;
    return h ^ (h >> 32);
}
inline uint64_t x3_avalanche(uint64_t h)
{
    h ^= h >> 37;
    h *= PMX_1;
    return h ^ (h >> 32);
}
inline uint64_t x3_rrmxmx(uint64_t h, uint64_t len)
{
    h ^= rotl64(h, 49) ^ rotl64(h, 24);
    h *= PMX_2;
    h ^= (h >> 35) + len;
    h *= PMX_2;
    return h ^ (h >> 28);
}
inline uint64_t x3_mix16(const unsigned char* in, const unsigned char* sec, uint64_t seed)
{
    return fold64(rd64(in) ^ (rd64(sec) + seed), rd64(in + 8) ^ (rd64(sec + 8) - seed));
}

void x3_acc512(uint64_t* acc, const unsigned char* in, const unsigned char* sec)
{
    for (int i = 0; i < 8; i++) {
        uint64_t v = rd64(in + 8 * i), k = v ^ rd64(sec + 8 * i);
        acc[i ^ 1] += v;
        acc[i] += (k & 0xffffffffu) * (k >> 32);
    }
}

uint64_t x3_long(const unsigned char* in, size_t len, const unsigned char* sec)
{
    uint64_t acc[8] = {P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1};
    const size_t stripes = (192 - 64) / 8, block = 64 * stripes;
    const size_t blocks = (len - 1) / block;
    for (size_t n = 0; n < blocks; n++) {
        for (size_t i = 0; i < stripes; i++)
            x3_acc512(acc, in + n * block + i * 64, sec + i * 8);
        for (int i = 0; i < 8; i++) { // scramble
            uint64_t a = acc[i];
            a ^= a >> 47;
            a ^= rd64(sec + 192 - 64 + 8 * i);
            acc[i] = a * P32_1;
        }
    }
    const size_t last = ((len - 1) - block * blocks) / 64;
    for (size_t i = 0; i < last; i++)
        x3_acc512(acc, in + blocks * block + i * 64, sec + i * 8);
    x3_acc512(acc, in + len - 64, sec + 192 - 64 - 7);
    uint64_t r = (uint64_t)len * P64_1;
    for (int i = 0; i < 4; i++)
        r += fold64(acc[2 * i] ^ rd64(sec + 11 + 16 * i), acc[2 * i + 1] ^ rd64(sec + 11 + 16 * i + 8));
    return x3_avalanche(r);
}

uint64_t xxh3(const unsigned char* in, size_t len, uint64_t seed)
{
    const unsigned char* sec = k_xxh3_secret;
    if (len == 0)
        return x64_avalanche(seed ^ rd64(sec + 56) ^ rd64(sec + 64));
    if (len <= 3) {
        uint32_t c = ((uint32_t)in[0] << 16) | ((uint32_t)in[len >> 1] << 24) |
                     (uint32_t)in[len - 1] | ((uint32_t)len << 8);
        uint64_t flip = (uint64_t)(rd32(sec) ^ rd32(sec + 4)) + seed;
        return x64_avalanche((uint64_t)c ^ flip);
    }
    if (len <= 8) {
        seed ^= (uint64_t)__builtin_bswap32((uint32_t)seed) << 32;
        uint64_t flip = (rd64(sec + 8) ^ rd64(sec + 16)) - seed;
        uint64_t v = rd32(in + len - 4) + ((uint64_t)rd32(in) << 32);
        return x3_rrmxmx(v ^ flip, len);
    }
    if (len <= 16) {
        uint64_t lo = rd64(in) ^ ((rd64(sec + 24) ^ rd64(sec + 32)) + seed);
        uint64_t hi = rd64(in + len - 8) ^ ((rd64(sec + 40) ^ rd64(sec + 48)) - seed);
        return x3_avalanche(len + __builtin_bswap64(lo) + hi + fold64(lo, hi));
    }
    if (len <= 128) {
        uint64_t acc = len * P64_1;
        if (len > 32) {
            if (len > 64) {
                if (len > 96) {
                    acc += x3_mix16(in + 48, sec + 96, seed);
                    acc += x3_mix16(in + len - 64, sec + 112, seed);
                }
                acc += x3_mix16(in + 32, sec + 64, seed);
                acc += x3_mix16(in + len - 48, sec + 80, seed);
            }
            acc += x3_mix16(in + 16, sec + 32, seed);
            acc += x3_mix16(in + len - 32, sec + 48, seed);
        }
        acc += x3_mix16(in, sec, seed);
        acc += x3_mix16(in + len - 16, sec + 16, seed);
        return x3_avalanche(acc);
    }
    if (len <= 240) {
        uint64_t acc = len * P64_1;
        for (size_t i = 0; i < 8; i++)
            acc += x3_mix16(in + 16 * i, sec + 16 * i, seed);
        acc = x3_avalanche(acc);
        for (size_t i = 8; i < len / 16; i++)
            acc += x3_mix16(in + 16 * i, sec + 16 * (i - 8) + 3, seed);
        acc += x3_mix16(in + len - 16, sec + 136 - 17, seed);
        return x3_avalanche(acc);
    }
    if (!seed)
        return x3_long(in, len, sec);
    unsigned char custom[192]; // the secret derived from the seed
    for (int i = 0; i < 12; i++) {
        uint64_t lo = rd64(sec + 16 * i) + seed, hi = rd64(sec + 16 * i + 8) - seed;
        for (int b = 0; b < 8; b++) {
            custom[16 * i + b] = (unsigned char)(lo >> (8 * b));
            custom[16 * i + 8 + b] = (unsigned char)(hi >> (8 * b));
        }
    }
    return x3_long(in, len, custom);
}

int c_xxh3(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    uint64_t seed = nargs ? (uint64_t)args[0].sint : 0;
    return out_int(io, (int64_t)xxh3(reinterpret_cast<const unsigned char*>(io->u.str.ptr),
                                     io->u.str.len, seed));
}

// ---- json_query ------------------------------------------------------------------------------

// json_query(<json_path>[,int]) (HAProxy 2.6, after its mjson library's rules): the path is
// "$" followed by ".key" (a backslash escapes the next character) and "[index]" steps; the
// value found gives a string (JSON escapes undone; \u00XX only, as mjson), a boolean, a
// number (printed with "%g", or an integer with "int", within +/-(2^53-1)); null, arrays,
// objects, a missing value or invalid JSON give no sample.
namespace js {

enum tok { T_NONE, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, T_ARR, T_OBJ };

struct cur {
    const char* p;
    const char* e;
    int depth = 0;
};

void ws(cur& c)
{
    while (c.p < c.e && (*c.p == ' ' || *c.p == '\t' || *c.p == '\n' || *c.p == '\r'))
        c.p++;
}

// Skips a string at c.p (on its opening quote); false if malformed.
bool skip_str(cur& c)
{
    for (c.p++; c.p < c.e; c.p++) {
        if (*c.p == '\\') {
            c.p++;
            continue;
        }
        if ((unsigned char)*c.p < 0x20)
            return false;
        if (*c.p == '"') {
            c.p++;
            return true;
        }
    }
    return false;
}

bool skip_value(cur& c, tok* t = nullptr);

bool skip_num(cur& c)
{
    const char* b = c.p;
    if (c.p < c.e && *c.p == '-')
        c.p++;
    while (c.p < c.e && ((*c.p >= '0' && *c.p <= '9') || *c.p == '.' || *c.p == 'e' ||
                         *c.p == 'E' || *c.p == '+' || *c.p == '-'))
        c.p++;
    return c.p > b && (c.p[-1] >= '0' && c.p[-1] <= '9');
}

bool skip_lit(cur& c, std::string_view w)
{
    if (size_t(c.e - c.p) < w.size() || std::string_view(c.p, w.size()) != w)
        return false;
    c.p += w.size();
    return true;
}

bool skip_value(cur& c, tok* t)
{
    ws(c);
    if (c.p >= c.e || ++c.depth > 64) // bounded recursion
        return false;
    bool ok = false;
    tok k = T_NONE;
    switch (*c.p) {
    case '"': k = T_STR; ok = skip_str(c); break;
    case 't': k = T_TRUE; ok = skip_lit(c, "true"); break;
    case 'f': k = T_FALSE; ok = skip_lit(c, "false"); break;
    case 'n': k = T_NULL; ok = skip_lit(c, "null"); break;
    case '[':
    case '{': {
        const bool obj = *c.p == '{';
        k = obj ? T_OBJ : T_ARR;
        c.p++;
        ws(c);
        if (c.p < c.e && *c.p == (obj ? '}' : ']')) {
            c.p++;
            ok = true;
            break;
        }
        for (;;) {
            if (obj) {
                ws(c);
                if (c.p >= c.e || *c.p != '"' || !skip_str(c))
                    break;
                ws(c);
                if (c.p >= c.e || *c.p++ != ':')
                    break;
            }
            if (!skip_value(c))
                break;
            ws(c);
            if (c.p < c.e && *c.p == ',') {
                c.p++;
                continue;
            }
            ok = c.p < c.e && *c.p++ == (obj ? '}' : ']');
            break;
        }
        break;
    }
    default: k = T_NUM; ok = skip_num(c); break;
    }
    c.depth--;
    if (t)
        *t = k;
    return ok;
}

// Compares a raw JSON key (between quotes) with a path key (backslashes escape).
bool key_eq(std::string_view raw, std::string_view pk)
{
    size_t i = 0, j = 0;
    for (; j < raw.size(); i++, j++) {
        if (i < pk.size() && pk[i] == '\\')
            i++;
        if (i >= pk.size() || raw[j] != pk[i])
            return false;
    }
    return i == pk.size();
}

// Finds the value at <path> (after "$") in <c>: its type, start and length.
tok find(cur& c, std::string_view path, const char** vp, size_t* vl)
{
    ws(c);
    if (path.empty()) {
        const char* b = c.p;
        tok t;
        if (!skip_value(c, &t))
            return T_NONE;
        *vp = b;
        *vl = size_t(c.p - b);
        return t;
    }
    if (c.p >= c.e)
        return T_NONE;
    if (path[0] == '.') {
        size_t n = 1;
        while (n < path.size() && path[n] != '.' && path[n] != '[')
            n += path[n] == '\\' ? 2 : 1;
        n = std::min(n, path.size());
        std::string_view key = path.substr(1, n - 1), rest = path.substr(n);
        if (*c.p != '{')
            return T_NONE;
        c.p++;
        for (;;) {
            ws(c);
            if (c.p >= c.e || *c.p != '"')
                return T_NONE;
            const char* kb = c.p;
            if (!skip_str(c))
                return T_NONE;
            std::string_view raw(kb + 1, size_t(c.p - kb - 2));
            ws(c);
            if (c.p >= c.e || *c.p++ != ':')
                return T_NONE;
            if (key_eq(raw, key))
                return find(c, rest, vp, vl);
            if (!skip_value(c))
                return T_NONE;
            ws(c);
            if (c.p >= c.e || *c.p++ != ',')
                return T_NONE;
        }
    }
    if (path[0] == '[') {
        size_t close = path.find(']');
        if (close == std::string_view::npos)
            return T_NONE;
        long idx = 0; // mjson reads the leading digits
        for (size_t k = 1; k < close && path[k] >= '0' && path[k] <= '9' && idx < 1000000; k++)
            idx = idx * 10 + (path[k] - '0');
        if (*c.p != '[')
            return T_NONE;
        c.p++;
        for (long i = 0;; i++) {
            ws(c);
            if (i == idx)
                return find(c, path.substr(close + 1), vp, vl);
            if (!skip_value(c))
                return T_NONE;
            ws(c);
            if (c.p >= c.e || *c.p++ != ',')
                return T_NONE;
        }
    }
    return T_NONE;
}

int unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

// mjson_unescape(): -1 on an escape it does not take or when <cap> is too small.
long unescape(std::string_view s, char* to, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < s.size(); i++, j++) {
        if (j >= cap)
            return -1;
        if (s[i] == '\\' && i + 5 < s.size() && s[i + 1] == 'u') {
            int a = unhex(s[i + 4]), b = unhex(s[i + 5]);
            if (s[i + 2] != '0' || s[i + 3] != '0' || a < 0 || b < 0)
                return -1;
            to[j] = char(a << 4 | b);
            i += 5;
        } else if (s[i] == '\\' && i + 1 < s.size()) {
            static const char from[] = "bfnrt\\/\"", into[] = "\b\f\n\r\t\\/\"";
            const char* f = std::strchr(from, s[i + 1]);
            if (!f || !s[i + 1])
                return -1;
            to[j] = into[f - from];
            i++;
        } else {
            to[j] = s[i];
        }
    }
    return j >= cap ? -1 : long(j);
}

} // namespace js

int chk_json_query(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!args[0].str.len)
        return arg_error(ctx, "json_path must not be empty");
    args[0].sint = 0;
    if (nargs > 1 && args[1].str.len) {
        if (std::string_view(args[1].str.ptr, args[1].str.len) != "int")
            return arg_error(ctx, "output_type only supports \"int\" as argument");
        args[0].sint = 1;
    }
    return PTC_OK;
}

int c_json_query(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    if (args[0].str.ptr[0] != '$')
        return 0; // as mjson: nothing found
    js::cur c{io->u.str.ptr, io->u.str.ptr + io->u.str.len};
    const char* v = nullptr;
    size_t n = 0;
    switch (js::find(c, std::string_view(args[0].str.ptr + 1, args[0].str.len - 1), &v, &n)) {
    case js::T_NUM: {
        char num[64];
        if (n >= sizeof(num))
            return 0;
        std::memcpy(num, v, n);
        num[n] = 0;
        if (args[0].sint) {
            const long long lim = (1LL << 53) - 1;
            long long i = std::strtoll(num, nullptr, 0);
            if (i < -lim || i > lim)
                return 0;
            return out_int(io, i);
        }
        size_t cap;
        char* b = scratch(&cap);
        int w = std::snprintf(b, cap, "%g", std::strtod(num, nullptr));
        return w > 0 && size_t(w) < cap ? out_str(io, b, size_t(w)) : 0;
    }
    case js::T_TRUE:
    case js::T_FALSE:
        io->type = PTC_SMP_BOOL;
        io->flags = 0;
        io->u.sint = *v == 't';
        return 1;
    case js::T_STR: {
        size_t cap;
        char* b = scratch(&cap);
        long len = js::unescape(std::string_view(v + 1, n - 2), b, cap);
        return len < 0 ? 0 : out_str(io, b, size_t(len));
    }
    default: // null, arrays, objects, nothing found
        return 0;
    }
}

// ---- digests ---------------------------------------------------------------------------------

// Digests run on explicitly fetched EVP_MDs (config time: no implicit fetch per call) and
// on one reusable context per thread and digest, so that a warm evaluation allocates
// nothing.
const EVP_MD* fetch_md(const char* name)
{
    static std::deque<std::pair<std::string, EVP_MD*>> cache;
    for (auto& e : cache)
        if (e.first == name)
            return e.second;
    EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (!md)
        return nullptr;
    cache.emplace_back(name, md);
    return md;
}

EVP_MD_CTX* md_ctx(const EVP_MD* md)
{
    struct slot {
        const EVP_MD* md;
        EVP_MD_CTX* c;
    };
    static thread_local slot slots[16] = {};
    for (slot& s : slots) {
        if (s.md == md)
            return s.c;
        if (!s.md) {
            s.c = EVP_MD_CTX_new();
            if (!s.c || !EVP_DigestInit_ex2(s.c, md, nullptr))
                return nullptr;
            s.md = md;
            return s.c;
        }
    }
    return nullptr;
}

// The common digests run on OpenSSL's low-level functions, which keep their state on the
// stack: the EVP interface of OpenSSL 3 allocates on every initialization. Other digests
// (digest(<name>) with a rarer algorithm) go through EVP.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
enum ll_kind { LL_NONE, LL_MD5, LL_SHA1, LL_SHA224, LL_SHA256, LL_SHA384, LL_SHA512 };

ll_kind ll_of(const EVP_MD* md)
{
    switch (EVP_MD_get_type(md)) {
    case NID_md5: return LL_MD5;
    case NID_sha1: return LL_SHA1;
    case NID_sha224: return LL_SHA224;
    case NID_sha256: return LL_SHA256;
    case NID_sha384: return LL_SHA384;
    case NID_sha512: return LL_SHA512;
    default: return LL_NONE;
    }
}

template <typename C, int (*I)(C*), int (*U)(C*, const void*, size_t),
          int (*F)(unsigned char*, C*)>
bool ll_run(const void* a, size_t al, const void* b, size_t bl, unsigned char* out)
{
    C c;
    return I(&c) && U(&c, a, al) && (!bl || U(&c, b, bl)) && F(out, &c);
}

bool digest_raw(const EVP_MD* md, const void* a, size_t al, const void* b, size_t bl,
                unsigned char* out, unsigned int* n)
{
    *n = (unsigned int)EVP_MD_get_size(md);
    switch (ll_of(md)) {
    case LL_MD5: return ll_run<MD5_CTX, MD5_Init, MD5_Update, MD5_Final>(a, al, b, bl, out);
    case LL_SHA1: return ll_run<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final>(a, al, b, bl, out);
    case LL_SHA224:
        return ll_run<SHA256_CTX, SHA224_Init, SHA224_Update, SHA224_Final>(a, al, b, bl, out);
    case LL_SHA256:
        return ll_run<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final>(a, al, b, bl, out);
    case LL_SHA384:
        return ll_run<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final>(a, al, b, bl, out);
    case LL_SHA512:
        return ll_run<SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final>(a, al, b, bl, out);
    default: break;
    }
    EVP_MD_CTX* c = md_ctx(md);
    return c && EVP_DigestInit_ex2(c, nullptr, nullptr) && EVP_DigestUpdate(c, a, al) &&
           (!bl || EVP_DigestUpdate(c, b, bl)) && EVP_DigestFinal_ex(c, out, n);
}
#pragma GCC diagnostic pop

int digest_into(const EVP_MD* md, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    unsigned int n = 0;
    if (!md || cap < EVP_MAX_MD_SIZE ||
        !digest_raw(md, io->u.str.ptr, io->u.str.len, nullptr, 0,
                    reinterpret_cast<unsigned char*>(b), &n))
        return 0;
    return out_str(io, b, n, PTC_SMP_BIN);
}

// HMAC (RFC 2104) on the digest contexts above.
bool hmac_raw(const EVP_MD* md, const unsigned char* key, size_t kl, const void* msg,
              size_t ml, unsigned char* out, unsigned int* n)
{
    int bs = EVP_MD_get_block_size(md);
    if (bs <= 0 || bs > 256)
        return false;
    unsigned char k[256] = {}, pad[256], inner[EVP_MAX_MD_SIZE];
    unsigned int kn = 0, in = 0;
    if (kl > (size_t)bs) {
        if (!digest_raw(md, key, kl, nullptr, 0, k, &kn))
            return false;
    } else {
        std::memcpy(k, key, kl);
    }
    for (int i = 0; i < bs; i++)
        pad[i] = k[i] ^ 0x36;
    if (!digest_raw(md, pad, (size_t)bs, msg, ml, inner, &in))
        return false;
    for (int i = 0; i < bs; i++)
        pad[i] = k[i] ^ 0x5c;
    return digest_raw(md, pad, (size_t)bs, inner, in, out, n);
}

int c_sha1(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    static const EVP_MD* md = fetch_md("SHA1");
    return digest_into(md, io);
}

int chk_sha2(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (chk_opt_ints<1>(ctx, args, nargs) != PTC_OK)
        return PTC_ERROR;
    int64_t bits = nargs && args[0].sint ? args[0].sint : 256;
    switch (bits) {
    case 224: args[0].data = (void*)fetch_md("SHA2-224"); break;
    case 256: args[0].data = (void*)fetch_md("SHA2-256"); break;
    case 384: args[0].data = (void*)fetch_md("SHA2-384"); break;
    case 512: args[0].data = (void*)fetch_md("SHA2-512"); break;
    default:
        return arg_error(ctx, "Unsupported number of bits: '" + std::to_string(bits) + "'");
    }
    return PTC_OK;
}

int c_sha2(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    static const EVP_MD* dflt = fetch_md("SHA2-256");
    return digest_into(nargs ? static_cast<const EVP_MD*>(args[0].data) : dflt, io);
}

int chk_digest(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    const EVP_MD* md = EVP_get_digestbyname(std::string(sv(args[0])).c_str());
    if (md)
        md = fetch_md(EVP_MD_get0_name(md));
    if (!md)
        return arg_error(ctx, "algorithm must be a valid OpenSSL message digest name.");
    args[0].data = (void*)md;
    return PTC_OK;
}

int c_digest(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    return digest_into(static_cast<const EVP_MD*>(args[0].data), io);
}

// Standard (url=false) or URL-safe base64 decoding as HAProxy's base64dec/base64urldec.
// Returns the length or -1.
long b64_decode(const char* in, size_t ilen, unsigned char* out, size_t olen, bool url)
{
    auto val = [url](unsigned char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == (url ? '-' : '+')) return 62;
        if (c == (url ? '_' : '/')) return 63;
        return -1;
    };
    if (!url && ilen % 4)
        return -1;
    if (url && ilen % 4 == 1)
        return -1;
    size_t pad = 0;
    if (!url) {
        while (pad < 2 && ilen > pad && in[ilen - 1 - pad] == '=')
            pad++;
    }
    size_t n = ilen - pad, o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= olen)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

size_t b64_encode(const unsigned char* in, size_t n, char* out, size_t cap, bool url)
{
    const char* tab = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n && o + 4 <= cap; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n && o + 4 <= cap) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = tab[(v >> 6) & 63];
        else if (!url)
            out[o++] = '=';
        if (!url)
            out[o++] = '=';
    }
    return o;
}

int chk_hmac(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (chk_digest(ctx, args, nargs) != PTC_OK)
        return PTC_ERROR;
    var_ref v;
    std::string err;
    std::string_view k = sv(args[1]);
    if (k.find('.') != std::string_view::npos && var_parse(k, v, err)) {
        g_ext_refs.push_back(v);
        args[1].data = &g_ext_refs.back();
        args[1].sint = 1; // a variable
        return PTC_OK;
    }
    std::string out(k.size(), '\0');
    long n = b64_decode(k.data(), k.size(), reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), false);
    if (n < 0)
        return arg_error(ctx, "failed to parse key : failed to decode base64");
    out.resize((size_t)n);
    g_ext_keys.push_back(out);
    args[1].data = &g_ext_keys.back();
    args[1].sint = 0;
    return PTC_OK;
}

int c_hmac(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    static thread_local unsigned char key[4096];
    const unsigned char* kp;
    size_t kl;
    if (args[1].sint) {
        ptc_sample v;
        if (!var_get(s, *static_cast<const var_ref*>(args[1].data), &v) ||
            !sample_cast(&v, PTC_SMP_STR))
            return 0;
        long n = b64_decode(v.u.str.ptr, v.u.str.len, key, sizeof(key), false);
        if (n < 0)
            return 0;
        kp = key;
        kl = (size_t)n;
    } else {
        const auto* k = static_cast<const std::string*>(args[1].data);
        kp = reinterpret_cast<const unsigned char*>(k->data());
        kl = k->size();
    }
    size_t cap;
    char* b = scratch(&cap);
    unsigned int n = 0;
    if (cap < EVP_MAX_MD_SIZE ||
        !hmac_raw(static_cast<const EVP_MD*>(args[0].data), kp, kl, io->u.str.ptr,
                  io->u.str.len, reinterpret_cast<unsigned char*>(b), &n))
        return 0;
    return out_str(io, b, n, PTC_SMP_BIN);
}

// strcmp(<var>), secure_memcmp(<var>)
int chk_var1(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    var_ref v;
    std::string err;
    if (!var_parse(sv(args[0]), v, err))
        return arg_error(ctx, "failed to register variable name '" + std::string(sv(args[0])) +
                                  "' : " + err);
    g_ext_refs.push_back(v);
    args[0].data = &g_ext_refs.back();
    return PTC_OK;
}

int c_strcmp(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    ptc_sample v;
    if (!var_get(s, *static_cast<const var_ref*>(args[0].data), &v) ||
        !sample_cast(&v, PTC_SMP_STR))
        return 0;
    size_t a = io->u.str.len, b = v.u.str.len, m = a < b ? a : b;
    int r = strncmp(io->u.str.ptr, v.u.str.ptr, m);
    if (r == 0 && a != b)
        r = a < b ? -1 : 1;
    return out_int(io, r);
}

int c_secure_memcmp(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    ptc_sample v;
    if (!var_get(s, *static_cast<const var_ref*>(args[0].data), &v) ||
        !sample_cast(&v, PTC_SMP_BIN))
        return 0;
    int eq = 0;
    if (v.u.str.len == io->u.str.len) {
        unsigned char d = 0;
        for (size_t i = 0; i < v.u.str.len; i++)
            d |= (unsigned char)(v.u.str.ptr[i] ^ io->u.str.ptr[i]);
        eq = d == 0;
    }
    io->type = PTC_SMP_BOOL;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.sint = eq;
    return 1;
}

// ---- encodings ----------------------------------------------------------------------------

const char k_hex[] = "0123456789ABCDEF";

int chk_url_enc(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && args[0].str.len && sv(args[0]) != "query")
        return arg_error(ctx, "Unexpected encode type. Allowed value is 'query'");
    return PTC_OK;
}

int c_url_enc(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap, o = 0;
    char* b = scratch(&cap);
    for (size_t i = 0; i < io->u.str.len; i++) {
        unsigned char c = (unsigned char)io->u.str.ptr[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        if (keep) {
            if (o + 1 > cap)
                return 0;
            b[o++] = (char)c;
        } else {
            if (o + 3 > cap)
                return 0;
            b[o++] = '%';
            b[o++] = k_hex[c >> 4];
            b[o++] = k_hex[c & 15];
        }
    }
    return out_str(io, b, o);
}

int c_ub64enc(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    if ((io->u.str.len + 2) / 3 * 4 > cap)
        return 0;
    size_t n = b64_encode(reinterpret_cast<const unsigned char*>(io->u.str.ptr), io->u.str.len,
                          b, cap, true);
    return out_str(io, b, n);
}

int c_ub64dec(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    long n = b64_decode(io->u.str.ptr, io->u.str.len, reinterpret_cast<unsigned char*>(b), cap,
                        true);
    if (n < 0)
        return 0;
    return out_str(io, b, (size_t)n, PTC_SMP_BIN);
}

// be2dec(<separator>,<chunk_size>[,<truncate>])
int chk_be2dec(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    for (uint32_t i = 1; i < nargs; i++)
        if (!is_int(sv(args[i]), args[i].sint))
            return arg_error(ctx, "failed to parse '" + std::string(sv(args[i])) +
                                      "' as type signed integer at position " +
                                      std::to_string(i + 1));
    int64_t cs = nargs > 1 ? args[1].sint : 0, tr = nargs > 2 ? args[2].sint : 0;
    if (cs <= 0 || cs > 8)
        return arg_error(ctx, "chunk_size out of [1..8] range (" + std::to_string(cs) + ")");
    if (tr != 0 && tr != 1)
        return arg_error(ctx, "Unsupported truncate value (" + std::to_string(tr) + ")");
    return PTC_OK;
}

int c_be2dec(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    size_t cap, o = 0;
    char* b = scratch(&cap);
    const auto* in = reinterpret_cast<const unsigned char*>(io->u.str.ptr);
    long n = (long)io->u.str.len, cs = (long)args[1].sint;
    bool trunc = nargs > 2 && args[2].sint;
    long last = trunc ? n - cs + 1 : n;
    size_t sl = args[0].str.len;
    for (long p = 0; p < last;) {
        if (o + sl + 21 > cap)
            break;
        if (p) {
            std::memcpy(b + o, args[0].str.ptr, sl);
            o += sl;
        }
        unsigned long long v = 0;
        for (long i = 0; i < cs && p < n; i++)
            v = (v << 8) + in[p++];
        o += (size_t)snprintf(b + o, cap - o, "%llu", v);
    }
    return out_str(io, b, o);
}

int chk_be2hex(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    for (uint32_t i = 1; i < nargs; i++) {
        if (!args[i].str.len) {
            args[i].sint = 0;
            continue;
        }
        if (!is_int(sv(args[i]), args[i].sint))
            return arg_error(ctx, "failed to parse '" + std::string(sv(args[i])) +
                                      "' as type signed integer at position " +
                                      std::to_string(i + 1));
    }
    int64_t cs = nargs > 1 ? args[1].sint : 0, tr = nargs > 2 ? args[2].sint : 0;
    size_t sl = nargs ? args[0].str.len : 0;
    if (cs <= 0 && (sl > 0 || tr != 0))
        return arg_error(ctx, "chunk_size needs to be positive (" + std::to_string(cs) + ")");
    if (tr != 0 && tr != 1)
        return arg_error(ctx, "Unsupported truncate value (" + std::to_string(tr) + ")");
    return PTC_OK;
}

int c_be2hex(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    size_t cap, o = 0;
    char* b = scratch(&cap);
    const auto* in = reinterpret_cast<const unsigned char*>(io->u.str.ptr);
    long n = (long)io->u.str.len;
    long cs = nargs > 1 ? (long)args[1].sint : 0;
    bool trunc = nargs > 2 && args[2].sint;
    size_t sl = nargs ? args[0].str.len : 0;
    long last = trunc ? n - cs + 1 : n;
    if (sl == 0 && !trunc)
        cs = n;
    for (long p = 0; p < last;) {
        if (o + sl + 2 * (size_t)cs > cap)
            break;
        if (p) {
            std::memcpy(b + o, args[0].str.ptr, sl);
            o += sl;
        }
        for (long i = 0; i < cs && p < n; i++) {
            unsigned char c = in[p++];
            b[o++] = k_hex[c >> 4];
            b[o++] = k_hex[c & 15];
        }
    }
    return out_str(io, b, o);
}

int c_hex2i(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    long long n = 0;
    for (size_t i = 0; i < io->u.str.len; i++) {
        char c = io->u.str.ptr[i];
        int d = (c >= '0' && c <= '9') ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return 0;
        n = (long long)(((unsigned long long)n << 4) + (unsigned)d);
    }
    return out_int(io, n);
}

int c_htonl(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    uint32_t v = (uint32_t)io->u.sint;
    for (int i = 0; i < 4; i++)
        b[i] = (char)(v >> (24 - 8 * i));
    return out_str(io, b, 4, PTC_SMP_BIN);
}

// ---- dates --------------------------------------------------------------------------------------

int chk_time(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs > 1 && !is_int(sv(args[1]), args[1].sint))
        return arg_error(ctx, "failed to parse '" + std::string(sv(args[1])) +
                                  "' as type signed integer at position 2");
    return PTC_OK;
}

template <bool LOCAL>
int c_time(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    time_t t = (time_t)(io->u.sint & 0x007fffffffffffffLL);
    if (nargs > 1)
        t += (time_t)args[1].sint;
    struct tm tm;
    if (LOCAL)
        localtime_r(&t, &tm);
    else
        gmtime_r(&t, &tm);
    size_t cap;
    char* b = scratch(&cap);
    size_t n = strftime(b, cap, args[0].str.ptr, &tm);
    return out_str(io, b, n);
}

// http_date([<offset>[,<unit>]]): unit "s", "ms" or "us"; args[1].sint: 0, 1000, 1000000
int chk_http_date(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs > 0) {
        if (!args[0].str.len)
            args[0].sint = 0;
        else if (!is_int(sv(args[0]), args[0].sint))
            return arg_error(ctx, "failed to parse '" + std::string(sv(args[0])) +
                                      "' as type signed integer at position 1");
    }
    if (nargs > 1) {
        std::string_view u = sv(args[1]);
        if (u == "s" || u.empty())
            args[1].sint = 1;
        else if (u == "ms")
            args[1].sint = 1000;
        else if (u == "us")
            args[1].sint = 1000000;
        else
            return arg_error(ctx, "expects 's', 'ms' or 'us', got '" + std::string(u) + "'");
    }
    return PTC_OK;
}

int c_http_date(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    static const char day[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t v = io->u.sint;
    if (nargs > 0)
        v += args[0].sint;
    int64_t unit = nargs > 1 ? args[1].sint : 1, frac = 0;
    if (unit > 1) {
        frac = v % unit;
        v /= unit;
    }
    time_t t = (time_t)(v & 0x007fffffffffffffLL);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t cap;
    char* b = scratch(&cap);
    int n;
    if (unit > 1)
        n = snprintf(b, cap, "%s, %02d %s %04d %02d:%02d:%02d.%d GMT", day[tm.tm_wday],
                     tm.tm_mday, mon[tm.tm_mon], 1900 + tm.tm_year, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)frac);
    else
        n = snprintf(b, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", day[tm.tm_wday], tm.tm_mday,
                     mon[tm.tm_mon], 1900 + tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0)
        return 0;
    return out_str(io, b, (size_t)n < cap ? (size_t)n : cap);
}

// ---- strings, booleans, integers ------------------------------------------------------------------

int c_cut_crlf(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t l = 0;
    while (l < io->u.str.len && io->u.str.ptr[l] != '\r' && io->u.str.ptr[l] != '\n')
        l++;
    io->u.str.len = l;
    return 1;
}

int c_ltrim(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    const char* p = io->u.str.ptr;
    size_t l = io->u.str.len;
    while (l && std::memchr(args[0].str.ptr, *p, args[0].str.len)) {
        p++;
        l--;
    }
    io->u.str = ptc_str{p, l};
    return 1;
}

int c_rtrim(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    size_t l = io->u.str.len;
    while (l && std::memchr(args[0].str.ptr, io->u.str.ptr[l - 1], args[0].str.len))
        l--;
    io->u.str.len = l;
    return 1;
}

int c_iif(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    const ptc_arg& a = io->u.sint ? args[0] : args[1];
    io->type = PTC_SMP_STR;
    io->flags |= PTC_SMPF_CONST;
    io->u.str = a.str;
    return 1;
}

int c_cpl(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = ~io->u.sint;
    return 1;
}

// ---- add_item(<delim>,[<var>][,<suffix>]) ------------------------------------------------

int chk_add_item(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs > 1 && args[1].str.len) {
        var_ref v;
        std::string err;
        if (!var_parse(sv(args[1]), v, err))
            return arg_error(ctx, "failed to register variable name '" +
                                      std::string(sv(args[1])) + "'");
        g_ext_refs.push_back(v);
        args[1].data = &g_ext_refs.back();
    }
    if ((nargs < 2 || !args[1].str.len) && (nargs < 3 || !args[2].str.len))
        return arg_error(ctx, "one of the optional arguments has to be nonempty");
    return PTC_OK;
}

int c_add_item(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    char num[32];
    const char* vp = nullptr;
    size_t vl = 0;
    bool var_ok = false;
    if (nargs > 1 && args[1].data) {
        ptc_sample v;
        if (var_get(s, *static_cast<const var_ref*>(args[1].data), &v)) {
            if (v.type == PTC_SMP_STR || v.type == PTC_SMP_BIN || v.type == PTC_SMP_METH) {
                vp = v.u.str.ptr;
                vl = v.u.str.len;
                var_ok = true;
            } else if (v.type == PTC_SMP_SINT || v.type == PTC_SMP_BOOL) {
                int n = snprintf(num, sizeof(num), "%lld", (long long)v.u.sint);
                vp = num;
                vl = n > 0 ? (size_t)n : 0;
                var_ok = true;
            } else if (sample_cast(&v, PTC_SMP_STR) && v.u.str.len < sizeof(num)) {
                std::memcpy(num, v.u.str.ptr, v.u.str.len);
                vp = num;
                vl = v.u.str.len;
                var_ok = true;
            }
        }
    }
    size_t cap, o = 0;
    char* b = scratch(&cap);
    if (cap)
        cap--; // as HAProxy: room for a NUL in its trash chunk
    auto put = [&](const char* p, size_t l) {
        if (l > cap - o)
            l = cap - o;
        std::memmove(b + o, p, l);
        o += l;
    };
    size_t suffix_len = nargs > 2 ? args[2].str.len : 0;
    put(io->u.str.ptr, io->u.str.len);
    if (io->u.str.len && ((var_ok && vl) || suffix_len))
        put(args[0].str.ptr, args[0].str.len);
    if (var_ok)
        put(vp, vl);
    if (suffix_len)
        put(args[2].str.ptr, suffix_len);
    return out_str(io, b, o);
}

// ---- language(<value>[,<default>]): the preferred language of an Accept-Language value ----

bool lang_match(const char* range, size_t rl, const char* tag, size_t tl)
{
    const char *end = range + rl, *tend = tag + tl;
    while (range < end) {
        if (*range == '-' && tag == tend)
            return true;
        if (tag == tend || *range != *tag)
            return false;
        range++;
        tag++;
    }
    return tag == tend;
}

int parse_q(const char*& p, const char* end)
{
    int q = 1000;
    auto dig = [&]() { return p < end && *p >= '0' && *p <= '9'; };
    if (!dig())
        return q;
    q = (*p++ - '0') * 1000;
    if (p >= end || *p++ != '.')
        return q > 1000 ? 1000 : q;
    for (int m = 100; m >= 1; m /= 10) {
        if (!dig())
            break;
        q += (*p++ - '0') * m;
    }
    return q > 1000 ? 1000 : q;
}

inline bool sp(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int c_language(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    const char* al = io->u.str.ptr;
    const char* end = al + io->u.str.len;
    const char* best = "";
    size_t best_len = 0;
    int best_q = 0;
    while (true) {
        while (al < end && sp(*al))
            al++;
        if (al >= end)
            break;
        const char* token = al;
        while (al < end && *al != ';' && *al != ',' && !sp(*al))
            al++;
        size_t toklen = (size_t)(al - token);
        const char *w = nullptr, *we = nullptr;
        if (toklen) {
            // the configured list: words separated by ';'
            const char* str = args[0].str.ptr;
            const char* lend = str + args[0].str.len;
            const char* ws = str;
            for (const char* c = str;; c++) {
                if (c == lend || *c == ';') {
                    if (lang_match(token, toklen, ws, (size_t)(c - ws))) {
                        w = ws;
                        we = c;
                        break;
                    }
                    if (c == lend)
                        break;
                    ws = c + 1;
                }
            }
        }
        if (w) {
            int q = 1000;
            while (al < end && sp(*al))
                al++;
            if (al < end && *al == ';') {
                al++;
                while (al < end && sp(*al))
                    al++;
                if (al < end && *al == 'q') {
                    al++;
                    while (al < end && sp(*al))
                        al++;
                    if (al < end && *al == '=') {
                        al++;
                        while (al < end && sp(*al))
                            al++;
                        if (al < end)
                            q = parse_q(al, end);
                    }
                }
            } else if (al < end && *al != ',') {
                w = nullptr; // best effort: to the next comma
            }
            if (w && q > best_q) {
                best = w;
                best_len = (size_t)(we - w);
                if (q >= 1000)
                    break;
                best_q = q;
            }
        }
        while (al < end && *al != ',')
            al++;
        if (al >= end)
            break;
        al++;
    }
    if (!best_len && nargs > 1) {
        best = args[1].str.ptr;
        best_len = args[1].str.len;
    }
    io->type = PTC_SMP_STR;
    io->flags |= PTC_SMPF_CONST;
    io->u.str = ptc_str{best, best_len};
    return best_len != 0;
}

constexpr uint32_t STR = PTC_SMP_STR, SINT = PTC_SMP_SINT, BIN = PTC_SMP_BIN,
                   BOOL = PTC_SMP_BOOL;

} // namespace

// Test access to the hash functions.
uint32_t ext_xxh32(const void* p, size_t n, uint32_t seed)
{
    return xxh32(static_cast<const unsigned char*>(p), n, seed);
}
uint64_t ext_xxh64(const void* p, size_t n, uint64_t seed)
{
    return xxh64(static_cast<const unsigned char*>(p), n, seed);
}
uint64_t ext_xxh3(const void* p, size_t n, uint64_t seed)
{
    return xxh3(static_cast<const unsigned char*>(p), n, seed);
}
uint32_t ext_crc32c(const void* p, size_t n)
{
    return crc32c(static_cast<const unsigned char*>(p), n);
}

const ptc_conv k_ext_convs[] = {
    // name          in    out   min max fn               check             help
    {"crc32",        BIN,  SINT, 0, 1, c_hash<H_CRC32>,  chk_opt_ints<1>,  "crc32([<avalanche>])"},
    {"crc32c",       BIN,  SINT, 0, 1, c_hash<H_CRC32C>, chk_opt_ints<1>,  "crc32c([<avalanche>])"},
    {"djb2",         BIN,  SINT, 0, 1, c_hash<H_DJB2>,   chk_opt_ints<1>,  "djb2([<avalanche>])"},
    {"sdbm",         BIN,  SINT, 0, 1, c_hash<H_SDBM>,   chk_opt_ints<1>,  "sdbm([<avalanche>])"},
    {"wt6",          BIN,  SINT, 0, 1, c_hash<H_WT6>,    chk_opt_ints<1>,  "wt6([<avalanche>])"},
    {"xxh32",        BIN,  SINT, 0, 1, c_xxh32,          chk_opt_ints<1>,  "xxh32([<seed>])"},
    {"xxh64",        BIN,  SINT, 0, 1, c_xxh64,          chk_opt_ints<1>,  "xxh64([<seed>])"},
    {"xxh3",         BIN,  SINT, 0, 1, c_xxh3,           chk_opt_ints<1>,  "xxh3([<seed>])"},
    {"json_query",   STR,  PTC_SMP_ANY, 1, 2, c_json_query, chk_json_query, "json_query(<json_path>[,int])"},
    {"sha1",         BIN,  BIN,  0, 0, c_sha1,           nullptr,          "sha1"},
    {"sha2",         BIN,  BIN,  0, 1, c_sha2,           chk_sha2,         "sha2([<bits>])"},
    {"digest",       BIN,  BIN,  1, 1, c_digest,         chk_digest,       "digest(<algorithm>)"},
    {"hmac",         BIN,  BIN,  2, 2, c_hmac,           chk_hmac,         "hmac(<algorithm>,<key>)"},
    {"secure_memcmp", BIN, BOOL, 1, 1, c_secure_memcmp,  chk_var1,         "secure_memcmp(<var>)"},
    {"strcmp",       STR,  SINT, 1, 1, c_strcmp,         chk_var1,         "strcmp(<var>)"},
    {"url_enc",      STR,  STR,  0, 1, c_url_enc,        chk_url_enc,      "url_enc([<enc_type>])"},
    {"ub64enc",      BIN,  STR,  0, 0, c_ub64enc,        nullptr,          "ub64enc"},
    {"ub64dec",      STR,  BIN,  0, 0, c_ub64dec,        nullptr,          "ub64dec"},
    {"be2dec",       BIN,  STR,  2, 3, c_be2dec,         chk_be2dec,       "be2dec(<separator>,<chunk_size>[,<truncate>])"},
    {"be2hex",       BIN,  STR,  0, 3, c_be2hex,         chk_be2hex,       "be2hex([<separator>[,<chunk_size>[,<truncate>]]])"},
    {"hex2i",        STR,  SINT, 0, 0, c_hex2i,          nullptr,          "hex2i"},
    {"htonl",        SINT, BIN,  0, 0, c_htonl,          nullptr,          "htonl"},
    {"ltime",        SINT, STR,  1, 2, c_time<true>,     chk_time,         "ltime(<format>[,<offset>])"},
    {"utime",        SINT, STR,  1, 2, c_time<false>,    chk_time,         "utime(<format>[,<offset>])"},
    {"http_date",    SINT, STR,  0, 2, c_http_date,      chk_http_date,    "http_date([<offset>[,<unit>]])"},
    {"cut_crlf",     STR,  STR,  0, 0, c_cut_crlf,       nullptr,          "cut_crlf"},
    {"ltrim",        STR,  STR,  1, 1, c_ltrim,          nullptr,          "ltrim(<chars>)"},
    {"rtrim",        STR,  STR,  1, 1, c_rtrim,          nullptr,          "rtrim(<chars>)"},
    {"iif",          BOOL, STR,  2, 2, c_iif,            nullptr,          "iif(<true>,<false>)"},
    {"add_item",     STR,  STR,  2, 3, c_add_item,       chk_add_item,     "add_item(<delim>,[<var>][,<suffix>])"},
    {"language",     STR,  STR,  1, 2, c_language,       nullptr,          "language(<value>[,<default>])"},
    {"cpl",          SINT, SINT, 0, 0, c_cpl,            nullptr,          "cpl"},
};
const uint32_t k_ext_conv_count = sizeof(k_ext_convs) / sizeof(k_ext_convs[0]);

} // namespace smp
} // namespace portico
