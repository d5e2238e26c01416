// SPDX-License-Identifier: MIT
// PROXY protocol v1/v2: incremental strict parser, header builders and CRC32C.
#include "pp_parse.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace pp {

namespace {

constexpr uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr char v1_sig[6] = {'P', 'R', 'O', 'X', 'Y', ' '};

constexpr size_t addr_len_inet = 12;
constexpr size_t addr_len_inet6 = 36;
constexpr size_t addr_len_unix = 216;
constexpr size_t unix_path_len = 108;

constexpr std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1; // reflected Castagnoli polynomial
        t[i] = c;
    }
    return t;
}
constexpr std::array<uint32_t, 256> crc_table = make_crc_table();

uint16_t rd16(const uint8_t* p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t rd32(const uint8_t* p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void wr16(uint8_t* p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void wr32(uint8_t* p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_prefix_of(std::string_view tok, std::string_view word)
{
    return tok.size() <= word.size() && word.substr(0, tok.size()) == tok;
}

// --- v1 ---------------------------------------------------------------------------------

// Dotted quad, no heading zeroes. <complete>: the whole token; otherwise a prefix that only
// fails when no continuation can be valid.
const char* v1_check_ipv4(std::string_view t, bool complete)
{
    int dots = 0, digits = 0, val = 0;
    for (char c : t) {
        if (c == '.') {
            if (digits == 0 || ++dots > 3)
                return "bad v1 address";
            digits = val = 0;
        } else if (is_digit(c)) {
            if (digits == 1 && val == 0) // heading zero
                return "bad v1 address";
            val = val * 10 + (c - '0');
            if (++digits > 3 || val > 255)
                return "bad v1 address";
        } else {
            return "bad v1 address";
        }
    }
    if (complete && (dots != 3 || digits == 0))
        return "bad v1 address";
    return nullptr;
}

const char* v1_check_ipv6(std::string_view t, bool complete)
{
    if (t.size() > INET6_ADDRSTRLEN - 1)
        return "bad v1 address";
    for (char c : t)
        if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' &&
            c != '.')
            return "bad v1 address";
    if (complete) {
        char buf[INET6_ADDRSTRLEN];
        in6_addr a;
        memcpy(buf, t.data(), t.size());
        buf[t.size()] = 0;
        if (inet_pton(AF_INET6, buf, &a) != 1)
            return "bad v1 address";
    }
    return nullptr;
}

// Decimal 0-65535, no '+', no heading zero.
const char* v1_check_port(std::string_view t, bool complete)
{
    uint32_t val = 0;
    for (size_t i = 0; i < t.size(); i++) {
        if (!is_digit(t[i]) || (i == 1 && t[0] == '0'))
            return "bad v1 port";
        val = val * 10 + (uint32_t)(t[i] - '0');
        if (val > 65535)
            return "bad v1 port";
    }
    if (complete && t.empty())
        return "bad v1 port";
    return nullptr;
}

// <port_be>: the port in network byte order, as sin_port wants it.
void set_inet(sockaddr_storage& ss, const void* addr, uint16_t port_be)
{
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, addr, 4);
    sin->sin_port = port_be;
}

void set_inet6(sockaddr_storage& ss, const void* addr, uint16_t port_be)
{
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, addr, 16);
    sin6->sin6_port = port_be;
}

uint16_t port_of(std::string_view t)
{
    uint32_t v = 0;
    for (char c : t)
        v = v * 10 + (uint32_t)(c - '0');
    return htons((uint16_t)v);
}

// The v1 line <s>/<n> after "PROXY ", without its CRLF. <complete>: the whole line, fill
// <out>; otherwise a prefix of it, failing only on what no continuation can repair.
const char* v1_line(const char* s, size_t n, bool complete, header& out)
{
    std::string_view line(s, n);
    size_t sp = line.find(' ');
    std::string_view proto = line.substr(0, sp);
    if (sp == std::string_view::npos && !complete) {
        if (is_prefix_of(proto, "TCP4") || is_prefix_of(proto, "TCP6") ||
            is_prefix_of(proto, "UNKNOWN"))
            return nullptr;
        return "bad v1 protocol";
    }
    if (proto == "UNKNOWN") { // the rest of the line is ignored
        out.local = true;
        return nullptr;
    }
    if (proto != "TCP4" && proto != "TCP6")
        return "bad v1 protocol";
    if (sp == std::string_view::npos)
        return "bad v1 syntax";
    bool v6 = proto == "TCP6";

    std::string_view f[4]; // src dst sport dport
    int nf = 0;
    size_t pos = sp + 1;
    for (;;) {
        size_t e = line.find(' ', pos);
        bool last = e == std::string_view::npos;
        std::string_view tok = line.substr(pos, last ? std::string_view::npos : e - pos);
        if (nf == 4)
            return "bad v1 syntax"; // a fifth field, or a trailing space
        bool tok_complete = complete || !last;
        const char* r = nf >= 2 ? v1_check_port(tok, tok_complete)
                        : v6    ? v1_check_ipv6(tok, tok_complete)
                                : v1_check_ipv4(tok, tok_complete);
        if (r)
            return r;
        f[nf++] = tok;
        if (last)
            break;
        pos = e + 1;
    }
    if (!complete)
        return nullptr;
    if (nf != 4)
        return "bad v1 syntax";

    char buf[INET6_ADDRSTRLEN];
    uint8_t a[2][16];
    for (int i = 0; i < 2; i++) {
        memcpy(buf, f[i].data(), f[i].size());
        buf[f[i].size()] = 0;
        if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a[i]) != 1)
            return "bad v1 address";
    }
    out.family = v6 ? AF_INET6 : AF_INET;
    if (v6) {
        set_inet6(out.src, a[0], port_of(f[2]));
        set_inet6(out.dst, a[1], port_of(f[3]));
        out.addrlen = sizeof(sockaddr_in6);
    } else {
        set_inet(out.src, a[0], port_of(f[2]));
        set_inet(out.dst, a[1], port_of(f[3]));
        out.addrlen = sizeof(sockaddr_in);
    }
    return nullptr;
}

status parse_v1(const uint8_t* d, size_t len, header& out, const char** err)
{
    // The CR must be at index <= 105 so that the line with its LF stays within 107 bytes.
    size_t lim = len < PP_V1_MAX_LEN - 1 ? len : PP_V1_MAX_LEN - 1;
    size_t eol = sizeof(v1_sig);
    while (eol < lim && d[eol] != '\r' && d[eol] != '\n')
        eol++;
    const char* line = reinterpret_cast<const char*>(d) + sizeof(v1_sig);
    size_t n = eol - sizeof(v1_sig);
    const char* r = nullptr;
    status st = status::error;
    if (eol == lim) {
        if (len >= PP_V1_MAX_LEN - 1)
            r = "v1 line too long (no CRLF within 107 bytes)";
        else
            r = v1_line(line, n, false, out);
        st = status::need_more;
    } else if (d[eol] == '\n') {
        r = "bad v1 line ending (LF without CR)";
    } else if (eol + 1 == len) {
        r = v1_line(line, n, false, out);
        st = status::need_more;
    } else if (d[eol + 1] != '\n') {
        r = "bad v1 line ending (CR without LF)";
    } else {
        r = v1_line(line, n, true, out);
        out.length = (uint32_t)(eol + 2);
        st = status::ok;
    }
    if (r) {
        *err = r;
        return status::error;
    }
    return st;
}

// --- v2 ---------------------------------------------------------------------------------

// Walks the TLVs in d[start, end) of a header of <total> bytes, appending them to <out>.
const char* v2_tlvs(const uint8_t* d, size_t start, size_t end, size_t total, header& out,
                    uint8_t parent)
{
    size_t off = start;
    while (off < end) {
        if (end - off < 3)
            return "truncated TLV";
        uint8_t type = d[off];
        size_t l = rd16(d + off + 1);
        size_t voff = off + 3;
        if (l > end - voff)
            return "truncated TLV";
        off = voff + l;
        if (type == PP2_TYPE_NOOP)
            continue;
        if (out.tlv_count == PP_MAX_TLVS)
            return "too many TLVs";
        uint8_t idx = (uint8_t)out.tlv_count;
        out.tlvs[out.tlv_count++] = tlv{type, parent, (uint16_t)l, (uint32_t)voff};
        if (parent != PP_NO_PARENT)
            continue; // sub-TLVs of SSL: kept as they are
        switch (type) {
        case PP2_TYPE_CRC32C: {
            if (l != 4)
                return "bad CRC32C TLV length";
            static constexpr uint8_t zero[4] = {};
            uint32_t c = crc32c(d, voff);
            c = crc32c(zero, 4, c);
            c = crc32c(d + voff + 4, total - voff - 4, c);
            if (c != rd32(d + voff))
                return "CRC32C mismatch";
            out.crc_checked = true;
            break;
        }
        case PP2_TYPE_AUTHORITY:
            if (l > PP_AUTHORITY_MAX)
                return "authority TLV too long";
            break;
        case PP2_TYPE_UNIQUE_ID:
            if (l > PP_UNIQUE_ID_MAX)
                return "unique-id TLV too long";
            break;
        case PP2_TYPE_SSL: {
            if (l < 5)
                return "bad SSL TLV length";
            if (!out.has_ssl) {
                out.has_ssl = true;
                out.ssl_client = d[voff];
                out.ssl_verify = rd32(d + voff + 1);
            }
            if (const char* r = v2_tlvs(d, voff + 5, voff + l, total, out, idx))
                return r;
            break;
        }
        default:
            break;
        }
    }
    return nullptr;
}

status parse_v2(const uint8_t* d, size_t len, header& out, const char** err, size_t max_len)
{
    const char* r = nullptr;
    if (len < 13)
        return status::need_more;
    if ((d[12] >> 4) != 2)
        r = "bad v2 version";
    else if ((d[12] & 0x0f) > 1)
        r = "bad v2 command";
    if (r) {
        *err = r;
        return status::error;
    }
    if (len < 14)
        return status::need_more;

    uint8_t fam = d[13];
    size_t addr_len;
    switch (fam) {
    case 0x00:
        addr_len = 0;
        break;
    case 0x11:
    case 0x12:
        addr_len = addr_len_inet;
        break;
    case 0x21:
    case 0x22:
        addr_len = addr_len_inet6;
        break;
    case 0x31:
    case 0x32:
        addr_len = addr_len_unix;
        break;
    default:
        *err = "unsupported family";
        return status::error;
    }
    if (len < PP_V2_HDR_LEN)
        return status::need_more;
    size_t total = PP_V2_HDR_LEN + rd16(d + 14);
    if (total < PP_V2_HDR_LEN + addr_len)
        r = "bad v2 length (too small for the address family)";
    else if (total > max_len)
        r = "v2 header larger than the buffer";
    if (r) {
        *err = r;
        return status::error;
    }
    if (len < total)
        return status::need_more;

    bool proxy = (d[12] & 0x0f) == 1;
    out.version = 2;
    out.length = (uint32_t)total;
    out.dgram = (fam & 0x0f) == 2;
    const uint8_t* a = d + PP_V2_HDR_LEN;
    if (!proxy || fam == 0x00) {
        out.local = true;
    } else if (fam >> 4 == 1) {
        out.family = AF_INET;
        set_inet(out.src, a, htons(rd16(a + 8)));
        set_inet(out.dst, a + 4, htons(rd16(a + 10)));
        out.addrlen = sizeof(sockaddr_in);
    } else if (fam >> 4 == 2) {
        out.family = AF_INET6;
        set_inet6(out.src, a, htons(rd16(a + 32)));
        set_inet6(out.dst, a + 16, htons(rd16(a + 34)));
        out.addrlen = sizeof(sockaddr_in6);
    } else {
        out.family = AF_UNIX;
        static_assert(sizeof(sockaddr_un::sun_path) == unix_path_len);
        auto* s = reinterpret_cast<sockaddr_un*>(&out.src);
        auto* t = reinterpret_cast<sockaddr_un*>(&out.dst);
        s->sun_family = t->sun_family = AF_UNIX;
        memcpy(s->sun_path, a, unix_path_len);
        memcpy(t->sun_path, a + unix_path_len, unix_path_len);
        out.addrlen = sizeof(sockaddr_un);
    }
    if ((r = v2_tlvs(d, PP_V2_HDR_LEN + addr_len, total, total, out, PP_NO_PARENT))) {
        *err = r;
        return status::error;
    }
    return status::ok;
}

// --- builders ---------------------------------------------------------------------------

// <sa> as IPv6 (IPv4 mapped) into <a16>, its port (network order) into <port>.
void to_inet6(const sockaddr* sa, uint8_t* a16, uint16_t* port)
{
    if (sa->sa_family == AF_INET6) {
        auto* s = reinterpret_cast<const sockaddr_in6*>(sa);
        memcpy(a16, &s->sin6_addr, 16);
        *port = s->sin6_port;
    } else {
        auto* s = reinterpret_cast<const sockaddr_in*>(sa);
        memset(a16, 0, 10);
        a16[10] = a16[11] = 0xff;
        memcpy(a16 + 12, &s->sin_addr, 4);
        *port = s->sin_port;
    }
}

bool is_ip(const sockaddr* sa)
{
    return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

// Appends a TLV header + value at out[*pos]; false when it does not fit in <cap>.
bool put_tlv(uint8_t* out, size_t cap, size_t* pos, uint8_t type, const void* v, size_t l)
{
    if (l > 65535 || cap - *pos < 3 + l)
        return false;
    out[*pos] = type;
    wr16(out + *pos + 1, (uint16_t)l);
    if (l)
        memcpy(out + *pos + 3, v, l);
    *pos += 3 + l;
    return true;
}

bool put_str(uint8_t* out, size_t cap, size_t* pos, uint8_t type, std::string_view s)
{
    return s.empty() || put_tlv(out, cap, pos, type, s.data(), s.size());
}

} // namespace

const tlv* header::find(uint8_t type) const
{
    for (uint16_t i = 0; i < tlv_count; i++)
        if (tlvs[i].type == type)
            return &tlvs[i];
    return nullptr;
}

status parse(const uint8_t* data, size_t len, header& out, const char** err, size_t max_len)
{
    const char* dummy;
    if (!err)
        err = &dummy;
    out = header{};
    if (len == 0)
        return status::need_more;
    status st;
    size_t n = len < sizeof(v2_sig) ? len : sizeof(v2_sig);
    if (data[0] == 'P') {
        size_t m = len < sizeof(v1_sig) ? len : sizeof(v1_sig);
        if (memcmp(data, v1_sig, m) != 0) {
            *err = "bad signature";
            return status::error;
        }
        if (len < sizeof(v1_sig))
            return status::need_more;
        out.version = 1;
        st = parse_v1(data, len, out, err);
    } else if (memcmp(data, v2_sig, n) == 0) {
        st = len < sizeof(v2_sig) ? status::need_more : parse_v2(data, len, out, err, max_len);
    } else {
        *err = "bad signature";
        return status::error;
    }
    // A header the caller cannot hold is an error, however it would have ended.
    if ((st == status::ok && out.length > max_len) ||
        (st == status::need_more && len >= max_len)) {
        *err = "header larger than the buffer";
        st = status::error;
    }
    if (st != status::ok) {
        uint8_t v = out.version;
        out = header{};
        out.version = v;
    }
    return st;
}

size_t build_v1(char* out, size_t cap, const sockaddr* src, const sockaddr* dst)
{
    int n;
    if (!is_ip(src) || !is_ip(dst)) {
        n = snprintf(out, cap, "PROXY UNKNOWN\r\n");
    } else if (src->sa_family == AF_INET && dst->sa_family == AF_INET) {
        auto* s = reinterpret_cast<const sockaddr_in*>(src);
        auto* d = reinterpret_cast<const sockaddr_in*>(dst);
        char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
        inet_ntop(AF_INET, &d->sin_addr, b, sizeof(b));
        n = snprintf(out, cap, "PROXY TCP4 %s %s %u %u\r\n", a, b, ntohs(s->sin_port),
                     ntohs(d->sin_port));
    } else {
        uint8_t sa[16], da[16];
        uint16_t sp, dp;
        to_inet6(src, sa, &sp);
        to_inet6(dst, da, &dp);
        char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, sa, a, sizeof(a));
        inet_ntop(AF_INET6, da, b, sizeof(b));
        n = snprintf(out, cap, "PROXY TCP6 %s %s %u %u\r\n", a, b, ntohs(sp), ntohs(dp));
    }
    // snprintf writes a NUL the header does not need: the line fits when n < cap, or n == cap.
    if (n < 0 || (size_t)n > cap)
        return 0;
    if ((size_t)n == cap) { // truncated by the NUL: write it again into a larger buffer
        char tmp[PP_V1_MAX_LEN + 1];
        if (build_v1(tmp, sizeof(tmp), src, dst) != (size_t)n)
            return 0;
        memcpy(out, tmp, (size_t)n);
    }
    return (size_t)n;
}

size_t build_v2(uint8_t* out, size_t cap, const sockaddr* src, const sockaddr* dst,
                const v2_opts& o)
{
    if (o.authority.size() > PP_AUTHORITY_MAX || o.unique_id.size() > PP_UNIQUE_ID_MAX)
        return 0;
    if (cap < PP_V2_HDR_LEN)
        return 0;
    memcpy(out, v2_sig, sizeof(v2_sig));
    uint8_t trans = o.dgram ? 2 : 1;
    size_t pos = PP_V2_HDR_LEN;
    if (is_ip(src) && is_ip(dst) && src->sa_family == AF_INET && dst->sa_family == AF_INET) {
        if (cap - pos < addr_len_inet)
            return 0;
        auto* s = reinterpret_cast<const sockaddr_in*>(src);
        auto* d = reinterpret_cast<const sockaddr_in*>(dst);
        out[12] = 0x21;
        out[13] = (uint8_t)(0x10 | trans);
        memcpy(out + pos, &s->sin_addr, 4);
        memcpy(out + pos + 4, &d->sin_addr, 4);
        memcpy(out + pos + 8, &s->sin_port, 2);
        memcpy(out + pos + 10, &d->sin_port, 2);
        pos += addr_len_inet;
    } else if (is_ip(src) && is_ip(dst)) {
        if (cap - pos < addr_len_inet6)
            return 0;
        uint16_t sp, dp;
        out[12] = 0x21;
        out[13] = (uint8_t)(0x20 | trans);
        to_inet6(src, out + pos, &sp);
        to_inet6(dst, out + pos + 16, &dp);
        memcpy(out + pos + 32, &sp, 2);
        memcpy(out + pos + 34, &dp, 2);
        pos += addr_len_inet6;
    } else if (src && dst && src->sa_family == AF_UNIX && dst->sa_family == AF_UNIX) {
        if (cap - pos < addr_len_unix)
            return 0;
        out[12] = 0x21;
        out[13] = (uint8_t)(0x30 | trans);
        memcpy(out + pos, reinterpret_cast<const sockaddr_un*>(src)->sun_path, unix_path_len);
        memcpy(out + pos + unix_path_len, reinterpret_cast<const sockaddr_un*>(dst)->sun_path,
               unix_path_len);
        pos += addr_len_unix;
    } else {
        out[12] = 0x20; // LOCAL, UNSPEC
        out[13] = 0x00;
    }

    size_t crc_pos = 0;
    if (o.crc32c) {
        static constexpr uint8_t zero[4] = {};
        crc_pos = pos + 3;
        if (!put_tlv(out, cap, &pos, PP2_TYPE_CRC32C, zero, 4))
            return 0;
    }
    if (!put_str(out, cap, &pos, PP2_TYPE_ALPN, o.alpn) ||
        !put_str(out, cap, &pos, PP2_TYPE_AUTHORITY, o.authority) ||
        !put_str(out, cap, &pos, PP2_TYPE_UNIQUE_ID, o.unique_id) ||
        !put_str(out, cap, &pos, PP2_TYPE_NETNS, o.netns))
        return 0;
    if (o.has_ssl) {
        size_t ssl_pos = pos;
        uint8_t fixed[5] = {o.ssl_client};
        wr32(fixed + 1, o.ssl_verify);
        if (!put_tlv(out, cap, &pos, PP2_TYPE_SSL, fixed, sizeof(fixed)) ||
            !put_str(out, cap, &pos, PP2_SUBTYPE_SSL_VERSION, o.ssl_version) ||
            !put_str(out, cap, &pos, PP2_SUBTYPE_SSL_CN, o.ssl_cn) ||
            !put_str(out, cap, &pos, PP2_SUBTYPE_SSL_KEY_ALG, o.ssl_key_alg) ||
            !put_str(out, cap, &pos, PP2_SUBTYPE_SSL_SIG_ALG, o.ssl_sig_alg) ||
            !put_str(out, cap, &pos, PP2_SUBTYPE_SSL_CIPHER, o.ssl_cipher))
            return 0;
        if (pos - ssl_pos - 3 > 65535)
            return 0;
        wr16(out + ssl_pos + 1, (uint16_t)(pos - ssl_pos - 3));
    }
    for (size_t i = 0; i < o.extra_count; i++)
        if (!put_tlv(out, cap, &pos, o.extra[i].type, o.extra[i].value.data(),
                     o.extra[i].value.size()))
            return 0;
    if (pos - PP_V2_HDR_LEN > 65535)
        return 0;
    wr16(out + 14, (uint16_t)(pos - PP_V2_HDR_LEN));
    if (o.crc32c)
        wr32(out + crc_pos, crc32c(out, pos));
    return pos;
}

uint32_t crc32c(const uint8_t* p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

} // namespace pp
