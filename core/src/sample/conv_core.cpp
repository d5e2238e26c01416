// SPDX-License-Identifier: MIT
// The core's converters: case, length, bytes/field/word extraction, regsub, encodings,
// ipmask, integer arithmetic and comparisons, concat and the map family.
#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <tuple>

#include "sample/sample_int.hpp"

namespace portico {
namespace smp {

namespace {

std::deque<var_ref> g_refs;
std::deque<ptc_sample> g_defaults;

bool out_str(ptc_sample* io, char* b, size_t n, uint32_t type = PTC_SMP_STR)
{
    io->type = type;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.str = ptc_str{b, n};
    return true;
}

std::string_view sv(const ptc_arg& a) { return std::string_view(a.str.ptr, a.str.len); }

// ---- case, length --------------------------------------------------------------------------

int c_lower(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    size_t n = io->u.str.len < cap ? io->u.str.len : cap;
    for (size_t i = 0; i < n; i++) {
        char c = io->u.str.ptr[i];
        b[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return out_str(io, b, n);
}

int c_upper(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    size_t n = io->u.str.len < cap ? io->u.str.len : cap;
    for (size_t i = 0; i < n; i++) {
        char c = io->u.str.ptr[i];
        b[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    return out_str(io, b, n);
}

int c_length(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = (int64_t)io->u.str.len;
    io->type = PTC_SMP_SINT;
    io->flags &= ~PTC_SMPF_CONST;
    return 1;
}

// ---- bytes, field, word ---------------------------------------------------------------------------

int chk_ints(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs, uint32_t first, uint32_t last,
             const char* what)
{
    for (uint32_t i = first; i < nargs && i <= last; i++)
        if (!is_int(sv(args[i]), args[i].sint))
            return arg_error(ctx, std::string(what) + ": argument " + std::to_string(i + 1) +
                                      " must be an integer, got '" + std::string(sv(args[i])) +
                                      "'");
    return PTC_OK;
}

int chk_bytes(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (chk_ints(ctx, args, nargs, 0, 1, "bytes") != PTC_OK)
        return PTC_ERROR;
    // HAProxy compares them unsigned: a negative offset is beyond any input (empty result),
    // a negative length is longer than any (the rest of the input)
    if (args[0].sint < 0)
        args[0].sint = INT64_MAX;
    if (nargs > 1 && args[1].sint < 0)
        args[1].sint = INT64_MAX;
    return PTC_OK;
}

int c_bytes(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    size_t off = (size_t)args[0].sint, n = io->u.str.len;
    if (off >= n) {
        io->u.str.len = 0;
        return 1;
    }
    size_t len = n - off;
    if (nargs > 1 && (size_t)args[1].sint < len)
        len = (size_t)args[1].sint;
    io->u.str = ptc_str{io->u.str.ptr + off, len};
    io->type = PTC_SMP_BIN;
    return 1;
}

int chk_field(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (chk_ints(ctx, args, nargs, 0, 0, "field/word") != PTC_OK ||
        chk_ints(ctx, args, nargs, 2, 2, "field/word") != PTC_OK)
        return PTC_ERROR;
    if (args[0].sint == 0)
        return arg_error(ctx, "field/word: the index starts at 1 (or -1 from the end)");
    if (!args[1].str.len)
        return arg_error(ctx, "field/word: empty delimiter list");
    if (nargs > 2 && args[2].sint < 0)
        args[2].sint = 0; // HAProxy: a negative count is like 0, up to the end
    return PTC_OK;
}

// Walks the input as HAProxy 2.6 does, one character at a time, from the start (<index> > 0)
// or from the end (<index> < 0). field: each delimiter ends a field, so empty fields count.
// word: runs of delimiters are one, and only a non-delimiter opens a word. The part starts at
// the <index>th field/word and stops at the delimiter that ends its <count>th one; with a
// count of 0, or when the input ends first, it runs to the end of the input (delimiters
// included). A field that is never reached gives no sample; a word that is never reached
// gives an empty sample (HAProxy 2.6's word converter).
template <bool Word>
int c_split(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    const char* s = io->u.str.ptr;
    const size_t n = io->u.str.len;
    const char* delims = args[1].str.ptr;
    const size_t nd = args[1].str.len;
    auto is_d = [&](char c) { return std::memchr(delims, c, nd) != nullptr; };
    const int64_t idx = args[0].sint;
    int64_t cnt = nargs > 2 ? args[2].sint : 1;
    // Consumes one delimiter that ends the wanted part: true when the part is complete.
    auto part_ends = [&]() {
        if (cnt == 1)
            return true;
        if (cnt > 1)
            cnt--;
        return false;
    };
    size_t from = 0, to = 0;
    bool done = false;
    int64_t k = 0;
    if (idx > 0) {
        size_t i = 0;
        bool in = false;
        if (!Word)
            k = 1;
        for (; i < n && !done; i++) {
            bool d = is_d(s[i]);
            if (!Word) {
                if (!d)
                    continue;
                if (k == idx)
                    done = part_ends();
                else {
                    from = i + 1;
                    k++;
                }
            } else if (!in) {
                if (!d) {
                    if (k != idx) {
                        k++;
                        from = i;
                    }
                    in = true;
                }
            } else if (d) {
                if (k == idx)
                    done = part_ends();
                in = false;
            }
            if (done)
                to = i;
        }
        if (!done)
            to = n;
    } else {
        size_t i = n; // s[i - 1] is the character looked at
        bool in = false;
        if (!Word)
            k = -1;
        to = n;
        for (; i > 0 && !done; i--) {
            bool d = is_d(s[i - 1]);
            if (!Word) {
                if (!d)
                    continue;
                if (k == idx)
                    done = part_ends();
                else {
                    to = i - 1;
                    k--;
                }
            } else if (!in) {
                if (!d) {
                    if (k != idx) {
                        k--;
                        to = i;
                    }
                    in = true;
                }
            } else if (d) {
                if (k == idx)
                    done = part_ends();
                in = false;
            }
            if (done)
                from = i;
        }
        if (!done)
            from = 0;
    }
    if (!done && k != idx) {
        io->u.str.len = 0;
        return Word ? 1 : 0;
    }
    io->u.str = ptc_str{s + from, to - from};
    return 1;
}

// ---- regsub ---------------------------------------------------------------------------------------

struct regsub_conf {
    regex* re;
    bool global;
};
std::deque<regsub_conf> g_regsubs;

int chk_regsub(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    bool g = false, icase = false;
    if (nargs > 2)
        for (char c : sv(args[2])) {
            if (c == 'g')
                g = true;
            else if (c == 'i')
                icase = true;
            else
                return arg_error(ctx, std::string("regsub: unknown flag '") + c +
                                          "' (expected 'g' and/or 'i')");
        }
    std::string err;
    regex* r = regex_compile(sv(args[0]), icase, err);
    if (!r)
        return arg_error(ctx, "regsub: " + err);
    g_regsubs.push_back(regsub_conf{r, g});
    args[0].data = &g_regsubs.back();
    return PTC_OK;
}

int c_regsub(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    auto* rc = static_cast<const regsub_conf*>(args[0].data);
    const char* s = io->u.str.ptr;
    size_t n = io->u.str.len, pos = 0, o = 0, cap;
    char* b = scratch(&cap);
    const char* sub = args[1].str.ptr;
    size_t subn = args[1].str.len;
    long ov[20];
    auto put = [&](const char* p, size_t l) {
        if (o + l > cap)
            l = cap - o;
        std::memcpy(b + o, p, l);
        o += l;
    };
    while (pos <= n) {
        if (!regex_exec(rc->re, s, n, pos, ov, 10))
            break;
        size_t ms = (size_t)ov[0], me = (size_t)ov[1];
        put(s + pos, ms - pos);
        for (size_t i = 0; i < subn; i++) {
            if (sub[i] == '\\' && i + 1 < subn && sub[i + 1] >= '0' && sub[i + 1] <= '9') {
                int g = sub[++i] - '0';
                if (ov[2 * g] >= 0)
                    put(s + ov[2 * g], (size_t)(ov[2 * g + 1] - ov[2 * g]));
            } else if (sub[i] == '\\' && i + 1 < subn) {
                put(&sub[++i], 1);
            } else {
                put(&sub[i], 1);
            }
        }
        if (me == ms) { // empty match: copy one char and move on
            if (me < n)
                put(s + me, 1);
            pos = me + 1;
        } else {
            pos = me;
        }
        if (!rc->global)
            break;
    }
    if (pos < n)
        put(s + pos, n - pos);
    return out_str(io, b, o);
}

// ---- encodings ----------------------------------------------------------------------------------

const char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int c_base64(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    const auto* s = reinterpret_cast<const unsigned char*>(io->u.str.ptr);
    size_t n = io->u.str.len;
    if ((n + 2) / 3 * 4 > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        b[o++] = k_b64[(v >> 18) & 63];
        b[o++] = k_b64[(v >> 12) & 63];
        b[o++] = i + 1 < n ? k_b64[(v >> 6) & 63] : '=';
        b[o++] = i + 2 < n ? k_b64[v & 63] : '=';
    }
    return out_str(io, b, o);
}

int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int c_b64dec(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    size_t cap;
    char* b = scratch(&cap);
    const char* s = io->u.str.ptr;
    size_t n = io->u.str.len;
    if (n % 4)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + k];
            if (c == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad)
                    return 0;
                v[k] = b64val(c);
                if (v[k] < 0)
                    return 0;
            }
        }
        uint32_t x = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        if (o + 3 > cap)
            return 0;
        b[o++] = (char)(x >> 16);
        if (pad < 2)
            b[o++] = (char)(x >> 8);
        if (pad < 1)
            b[o++] = (char)x;
    }
    return out_str(io, b, o, PTC_SMP_BIN);
}

int c_hex(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t cap;
    char* b = scratch(&cap);
    size_t n = io->u.str.len;
    if (2 * n > cap)
        n = cap / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)io->u.str.ptr[i];
        b[2 * i] = hx[c >> 4];
        b[2 * i + 1] = hx[c & 15];
    }
    return out_str(io, b, 2 * n);
}

enum json_mode : int64_t { J_ASCII, J_UTF8, J_UTF8S, J_UTF8P, J_UTF8PS };

int chk_json(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (!nargs)
        return PTC_OK;
    std::string_view m = sv(args[0]);
    static const char* const names[] = {"ascii", "utf8", "utf8s", "utf8p", "utf8ps"};
    for (int i = 0; i < 5; i++)
        if (m == names[i]) {
            args[0].sint = i;
            return PTC_OK;
        }
    if (m.empty()) {
        args[0].sint = J_ASCII;
        return PTC_OK;
    }
    return arg_error(ctx, "json: unknown input code '" + std::string(m) +
                              "' (expected ascii, utf8, utf8s, utf8p or utf8ps)");
}

// Decodes one UTF-8 character at s[i]: returns its length (0 on error), sets cp and
// overlong.
size_t utf8_dec(const unsigned char* s, size_t n, size_t i, uint32_t& cp, bool& overlong)
{
    unsigned char c = s[i];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        cp = c;
        overlong = false;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    overlong = cp < min;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int c_json(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    int64_t mode = nargs ? args[0].sint : J_ASCII;
    size_t cap, o = 0;
    char* b = scratch(&cap);
    const auto* s = reinterpret_cast<const unsigned char*>(io->u.str.ptr);
    size_t n = io->u.str.len;
    char tmp[8];
    for (size_t i = 0; i < n;) {
        const char* e = nullptr;
        size_t el = 0;
        uint32_t cp = s[i];
        size_t step = 1;
        if (mode != J_ASCII && s[i] >= 0x80) {
            bool overlong = false;
            step = utf8_dec(s, n, i, cp, overlong);
            bool bad = step == 0 || (overlong && (mode == J_UTF8 || mode == J_UTF8S)) ||
                       cp > 0xffff;
            if (bad) {
                if (mode == J_UTF8 || mode == J_UTF8P)
                    return 0;
                // silently drop the bad byte/sequence
                i += step ? step : 1;
                continue;
            }
        }
        switch (cp) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '/':
            e = "\\/";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            if (cp < 0x20 || cp > 0x7e) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
                e = tmp;
            }
        }
        if (e)
            el = std::strlen(e);
        else {
            tmp[0] = (char)cp;
            e = tmp;
            el = 1;
        }
        if (o + el > cap)
            return 0;
        std::memcpy(b + o, e, el);
        o += el;
        i += step;
    }
    return out_str(io, b, o);
}

// ---- ipmask ----------------------------------------------------------------------------------

void mask_bytes(uint8_t* a, size_t len, int64_t bits)
{
    for (size_t i = 0; i < len; i++) {
        int64_t keep = bits - (int64_t)i * 8;
        if (keep >= 8)
            continue;
        a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

std::deque<std::array<uint8_t, 16>> g_masks6; // the IPv6 masks of ipmask(), by address

// ipmask(<mask4>[,<mask6>]): <mask4> is a length or a dotted mask; <mask6> a length (0..128)
// or an IPv6 address used as is, contiguous or not (args[1].data points to its 16 bytes).
int chk_ipmask(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    pattern p;
    std::string m4 = "0.0.0.0/" + std::string(sv(args[0]));
    if (!parse_ip_mask(m4, p, true) || p.family != 4)
        return arg_error(ctx, "ipmask: invalid IPv4 mask '" + std::string(sv(args[0])) + "'");
    args[0].sint = p.bits;
    if (nargs > 1) {
        std::string a(sv(args[1]));
        std::array<uint8_t, 16> m{};
        int64_t bits;
        if (is_int(a, bits)) {
            if (bits < 0 || bits > 128)
                return arg_error(ctx, "ipmask: invalid IPv6 mask '" + a + "'");
            m.fill(0xff);
            mask_bytes(m.data(), 16, bits);
        } else if (inet_pton(AF_INET6, a.c_str(), m.data()) != 1) {
            return arg_error(ctx, "ipmask: invalid IPv6 mask '" + a + "'");
        }
        g_masks6.push_back(m);
        args[1].data = g_masks6.back().data();
    }
    return PTC_OK;
}

int c_ipmask(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (io->type != PTC_SMP_IPV4 && io->type != PTC_SMP_IPV6 &&
        !sample_cast(io, PTC_SMP_IPV4) && !sample_cast(io, PTC_SMP_IPV6))
        return 0;
    // An IPv4-mapped IPv6 address takes the IPv4 mask, as an IPv4 address.
    if (io->type == PTC_SMP_IPV6 && std::memcmp(io->u.ipv6, mapped, 12) == 0) {
        uint8_t v4[4];
        std::memcpy(v4, io->u.ipv6 + 12, 4);
        std::memcpy(io->u.ipv4, v4, 4);
        io->type = PTC_SMP_IPV4;
    }
    if (io->type == PTC_SMP_IPV4) {
        mask_bytes(io->u.ipv4, 4, args[0].sint);
        return 1;
    }
    if (nargs < 2 || !args[1].data)
        return 0;
    const uint8_t* m = static_cast<const uint8_t*>(args[1].data);
    for (int i = 0; i < 16; i++)
        io->u.ipv6[i] &= m[i];
    return 1;
}

// ---- integers ----------------------------------------------------------------------------------

int chk_int_or_var(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    for (uint32_t i = 0; i < nargs; i++) {
        std::string_view t = sv(args[i]);
        if (is_int(t, args[i].sint))
            continue;
        var_ref v;
        std::string err;
        if (!var_parse(t, v, err))
            return arg_error(ctx, "expects an integer or a variable name, got '" +
                                      std::string(t) + "'");
        g_refs.push_back(v);
        args[i].data = &g_refs.back();
    }
    return PTC_OK;
}

bool int_arg(ptc_stream* s, const ptc_arg& a, int64_t& v)
{
    if (!a.data) {
        v = a.sint;
        return true;
    }
    ptc_sample t;
    if (!var_get(s, *static_cast<const var_ref*>(a.data), &t) || !sample_cast(&t, PTC_SMP_SINT))
        return false;
    v = t.u.sint;
    return true;
}

enum arith_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_AND, OP_OR, OP_XOR, OP_EQ, OP_NE,
                OP_GT, OP_GE, OP_LT, OP_LE };

template <int Op> int c_arith(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    int64_t v, x = io->u.sint;
    if (!int_arg(s, args[0], v))
        return 0;
    int64_t r = 0;
    bool boolean = false;
    switch (Op) {
    case OP_ADD:
        if (__builtin_add_overflow(x, v, &r))
            r = v > 0 ? INT64_MAX : INT64_MIN;
        break;
    case OP_SUB:
        if (__builtin_sub_overflow(x, v, &r))
            r = v < 0 ? INT64_MAX : INT64_MIN;
        break;
    case OP_MUL:
        if (__builtin_mul_overflow(x, v, &r))
            r = ((x < 0) != (v < 0)) ? INT64_MIN : INT64_MAX;
        break;
    case OP_DIV:
        r = v == 0 ? INT64_MAX : (x == INT64_MIN && v == -1) ? INT64_MAX : x / v;
        break;
    case OP_MOD:
        r = v == 0 ? 0 : (v == -1) ? 0 : x % v;
        break;
    case OP_AND:
        r = x & v;
        break;
    case OP_OR:
        r = x | v;
        break;
    case OP_XOR:
        r = x ^ v;
        break;
    default:
        boolean = true;
        r = Op == OP_EQ ? x == v : Op == OP_NE ? x != v : Op == OP_GT ? x > v
          : Op == OP_GE ? x >= v : Op == OP_LT ? x < v : x <= v;
    }
    io->u.sint = r;
    io->type = boolean ? PTC_SMP_BOOL : PTC_SMP_SINT;
    return 1;
}

int c_neg(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = io->u.sint == INT64_MIN ? INT64_MAX : -io->u.sint;
    return 1;
}

int c_not(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = io->u.sint == 0;
    io->type = PTC_SMP_BOOL;
    return 1;
}

int c_bool(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = io->u.sint != 0;
    io->type = PTC_SMP_BOOL;
    return 1;
}

int c_odd(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = io->u.sint & 1;
    io->type = PTC_SMP_BOOL;
    return 1;
}

int c_even(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->u.sint = !(io->u.sint & 1);
    io->type = PTC_SMP_BOOL;
    return 1;
}

// ---- concat ------------------------------------------------------------------------------------

int chk_concat(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs > 1 && args[1].str.len) {
        var_ref v;
        std::string err;
        if (!var_parse(sv(args[1]), v, err))
            return arg_error(ctx, "concat: " + err);
        g_refs.push_back(v);
        args[1].data = &g_refs.back();
    }
    return PTC_OK;
}

int c_concat(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    size_t cap, o = 0;
    char* b = scratch(&cap);
    auto put = [&](const char* p, size_t l) {
        if (o + l > cap)
            l = cap - o;
        std::memmove(b + o, p, l);
        o += l;
    };
    put(io->u.str.ptr, io->u.str.len);
    if (nargs > 0)
        put(args[0].str.ptr, args[0].str.len);
    if (nargs > 1 && args[1].data) {
        ptc_sample v;
        if (var_get(s, *static_cast<const var_ref*>(args[1].data), &v)) {
            if (v.type == PTC_SMP_STR || v.type == PTC_SMP_BIN || v.type == PTC_SMP_METH) {
                put(v.u.str.ptr, v.u.str.len);
            } else {
                // cast through a local buffer: the scratch rotation would clobber <b>
                char t[64];
                int n = 0;
                if (v.type == PTC_SMP_SINT || v.type == PTC_SMP_BOOL)
                    n = snprintf(t, sizeof(t), "%lld", (long long)v.u.sint);
                else if (sample_cast(&v, PTC_SMP_STR) && v.u.str.len < sizeof(t)) {
                    std::memcpy(t, v.u.str.ptr, v.u.str.len);
                    n = (int)v.u.str.len;
                }
                put(t, (size_t)n);
            }
        }
    }
    if (nargs > 2)
        put(args[2].str.ptr, args[2].str.len);
    return out_str(io, b, o);
}

// ---- maps ------------------------------------------------------------------------------------

struct map_conf {
    pattern_list pl;
    uint32_t out;
};
std::map<std::tuple<std::string, int, uint32_t>, std::unique_ptr<map_conf>> g_maps;

template <int M, uint32_t Out> int chk_map(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    std::string path(sv(args[0]));
    auto key = std::make_tuple(path, M, Out);
    auto it = g_maps.find(key);
    if (it == g_maps.end()) {
        auto mc = std::make_unique<map_conf>();
        mc->pl.m = (match)M;
        mc->pl.out_type = Out;
        mc->out = Out;
        std::string err;
        if (!patref_attach(mc->pl, path, true, true, "map", ctx ? ctx->file : "",
                           ctx ? (int)ctx->line : 0, err))
            return arg_error(ctx, "map: " + err);
        it = g_maps.emplace(key, std::move(mc)).first;
    }
    args[0].data = it->second.get();
    if (nargs > 1) {
        g_defaults.push_back(ptc_sample{});
        ptc_sample& d = g_defaults.back();
        std::string_view t = sv(args[1]);
        if (Out == PTC_SMP_SINT) {
            if (!is_int(t, d.u.sint))
                return arg_error(ctx, "map: default value '" + std::string(t) +
                                          "' is not an integer");
            d.type = PTC_SMP_SINT;
        } else if (Out == PTC_SMP_IPV4) {
            pattern p;
            if (!parse_ip_mask(t, p, false))
                return arg_error(ctx, "map: default value '" + std::string(t) +
                                          "' is not an IP address");
            d.type = p.family == 4 ? PTC_SMP_IPV4 : PTC_SMP_IPV6;
            std::memcpy(p.family == 4 ? d.u.ipv4 : d.u.ipv6, p.addr, p.family == 4 ? 4 : 16);
        } else {
            d.type = PTC_SMP_STR;
            d.flags = PTC_SMPF_CONST;
            d.u.str = args[1].str;
        }
        args[1].data = &d;
    }
    return PTC_OK;
}

int c_map(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    auto* mc = static_cast<const map_conf*>(args[0].data);
    const pattern* p = pattern_match(mc->pl, io);
    if (p) {
        *io = p->value;
        io->flags = PTC_SMPF_CONST;
        return 1;
    }
    if (nargs > 1) {
        *io = *static_cast<const ptc_sample*>(args[1].data);
        return 1;
    }
    return 0;
}

// Writes the map value <val> with "\N" (N = 0..9) replaced by the Nth capture of the match
// of <ov> in <s> (nothing for a group that did not take part), "\xHH" by that byte and "\c"
// by c. Returns false for a value that ends in a lone backslash or a truncated "\x".
bool regm_expand(std::string_view val, const char* s, const long* ov, char* b, size_t cap,
                 size_t& o)
{
    auto put = [&](const char* p, size_t l) {
        if (o + l > cap)
            return false;
        std::memcpy(b + o, p, l);
        o += l;
        return true;
    };
    auto hexval = [](char c) {
        unsigned char v = (unsigned char)(std::toupper((unsigned char)c) - '0');
        return v > 9 ? (unsigned char)(v - ('A' - '9' - 1)) : v;
    };
    for (size_t i = 0; i < val.size(); i++) {
        char c = val[i];
        if (c != '\\') {
            if (!put(&c, 1))
                return false;
            continue;
        }
        if (++i == val.size())
            return false;
        c = val[i];
        if (c >= '0' && c <= '9') {
            int g = c - '0';
            if (ov[2 * g] >= 0 && !put(s + ov[2 * g], (size_t)(ov[2 * g + 1] - ov[2 * g])))
                return false;
        } else if (c == 'x') {
            if (i + 2 >= val.size())
                return false;
            char h = (char)((hexval(val[i + 1]) << 4) + hexval(val[i + 2]));
            i += 2;
            if (!put(&h, 1))
                return false;
        } else if (!put(&c, 1)) {
            return false;
        }
    }
    return true;
}

// map_regm: map_reg whose value may use the captures of the matching regex.
int c_map_regm(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* io)
{
    auto* mc = static_cast<const map_conf*>(args[0].data);
    const pattern* p = pattern_match(mc->pl, io);
    if (!p) {
        if (nargs > 1) {
            *io = *static_cast<const ptc_sample*>(args[1].data);
            return 1;
        }
        return 0;
    }
    long ov[20];
    const char* s = io->u.str.ptr;
    if (!p->re || !regex_exec(p->re, s, io->u.str.len, 0, ov, 10))
        return 0;
    size_t cap, o = 0;
    char* b = scratch(&cap);
    if (!regm_expand(std::string_view(p->value.u.str.ptr, p->value.u.str.len), s, ov, b, cap, o))
        return 0;
    return out_str(io, b, o);
}

constexpr uint32_t STR = PTC_SMP_STR, SINT = PTC_SMP_SINT, IP = PTC_SMP_IPV4, ANY = PTC_SMP_ANY,
                   BIN = PTC_SMP_BIN, BOOL = PTC_SMP_BOOL;

#define MAPS(m, in, M)                                                                          \
    {"map_" #m, in, STR, 1, 2, c_map, chk_map<(int)match::M, STR>,                              \
     "map_" #m "(<map_file>[,<default>])"},                                                     \
    {"map_" #m "_int", in, SINT, 1, 2, c_map, chk_map<(int)match::M, SINT>,                     \
     "map_" #m "_int(<map_file>[,<default>])"},                                                 \
    {"map_" #m "_ip", in, IP, 1, 2, c_map, chk_map<(int)match::M, IP>,                          \
     "map_" #m "_ip(<map_file>[,<default>])"}

} // namespace

const ptc_conv k_core_convs[] = {
    // name      in    out   min max fn            check            help
    {"lower",    STR,  STR,  0, 0, c_lower,        nullptr,         "lower"},
    {"upper",    STR,  STR,  0, 0, c_upper,        nullptr,         "upper"},
    {"length",   STR,  SINT, 0, 0, c_length,       nullptr,         "length"},
    {"bytes",    BIN,  BIN,  1, 2, c_bytes,        chk_bytes,       "bytes(<offset>[,<length>])"},
    {"field",    STR,  STR,  2, 3, c_split<false>, chk_field,       "field(<index>,<delimiters>[,<count>])"},
    {"word",     STR,  STR,  2, 3, c_split<true>,  chk_field,       "word(<index>,<delimiters>[,<count>])"},
    {"regsub",   STR,  STR,  2, 3, c_regsub,       chk_regsub,      "regsub(<regex>,<subst>[,<flags>])"},
    {"base64",   BIN,  STR,  0, 0, c_base64,       nullptr,         "base64"},
    {"b64dec",   STR,  BIN,  0, 0, c_b64dec,       nullptr,         "b64dec"},
    {"hex",      BIN,  STR,  0, 0, c_hex,          nullptr,         "hex"},
    {"json",     STR,  STR,  0, 1, c_json,         chk_json,        "json([<input-code>])"},
    {"ipmask",   ANY,  IP,   1, 2, c_ipmask,       chk_ipmask,      "ipmask(<mask4>[,<mask6>])"},
    {"add",      SINT, SINT, 1, 1, c_arith<OP_ADD>, chk_int_or_var, "add(<value>)"},
    {"sub",      SINT, SINT, 1, 1, c_arith<OP_SUB>, chk_int_or_var, "sub(<value>)"},
    {"mul",      SINT, SINT, 1, 1, c_arith<OP_MUL>, chk_int_or_var, "mul(<value>)"},
    {"div",      SINT, SINT, 1, 1, c_arith<OP_DIV>, chk_int_or_var, "div(<value>)"},
    {"mod",      SINT, SINT, 1, 1, c_arith<OP_MOD>, chk_int_or_var, "mod(<value>)"},
    {"and",      SINT, SINT, 1, 1, c_arith<OP_AND>, chk_int_or_var, "and(<value>)"},
    {"or",       SINT, SINT, 1, 1, c_arith<OP_OR>,  chk_int_or_var, "or(<value>)"},
    {"xor",      SINT, SINT, 1, 1, c_arith<OP_XOR>, chk_int_or_var, "xor(<value>)"},
    {"eq",       SINT, BOOL, 1, 1, c_arith<OP_EQ>,  chk_int_or_var, "eq(<value>)"},
    {"ne",       SINT, BOOL, 1, 1, c_arith<OP_NE>,  chk_int_or_var, "ne(<value>)"},
    {"gt",       SINT, BOOL, 1, 1, c_arith<OP_GT>,  chk_int_or_var, "gt(<value>)"},
    {"ge",       SINT, BOOL, 1, 1, c_arith<OP_GE>,  chk_int_or_var, "ge(<value>)"},
    {"lt",       SINT, BOOL, 1, 1, c_arith<OP_LT>,  chk_int_or_var, "lt(<value>)"},
    {"le",       SINT, BOOL, 1, 1, c_arith<OP_LE>,  chk_int_or_var, "le(<value>)"},
    {"neg",      SINT, SINT, 0, 0, c_neg,          nullptr,         "neg"},
    {"not",      SINT, BOOL, 0, 0, c_not,          nullptr,         "not"},
    {"bool",     SINT, BOOL, 0, 0, c_bool,         nullptr,         "bool"},
    {"odd",      SINT, BOOL, 0, 0, c_odd,          nullptr,         "odd"},
    {"even",     SINT, BOOL, 0, 0, c_even,         nullptr,         "even"},
    {"concat",   STR,  STR,  0, 3, c_concat,       chk_concat,      "concat([<start>],[<var>],[<end>])"},
    {"set-var",  ANY,  ANY,  1, 5, conv_setvar,    conv_setvar_check, "set-var(<var>[,<cond>...])"},
    {"unset-var", ANY, ANY,  1, 1, conv_unsetvar,  conv_unsetvar_check, "unset-var(<var>)"},
    {"map",      STR,  STR,  1, 2, c_map,          chk_map<(int)match::str, STR>, "map(<map_file>[,<default>])"},
    MAPS(str, STR, str),
    MAPS(beg, STR, beg),
    MAPS(sub, STR, sub),
    MAPS(end, STR, end),
    MAPS(reg, STR, reg),
    {"map_regm", STR, STR, 1, 2, c_map_regm, chk_map<(int)match::reg, STR>,
     "map_regm(<map_file>[,<default>])"},
    MAPS(dom, STR, dom),
    MAPS(dir, STR, dir),
    MAPS(int, SINT, integer),
    MAPS(ip, ANY, ip),
};
const uint32_t k_core_conv_count = sizeof(k_core_convs) / sizeof(k_core_convs[0]);

} // namespace smp
} // namespace portico
