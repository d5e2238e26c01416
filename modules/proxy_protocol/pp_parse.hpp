// SPDX-License-Identifier: MIT
// PROXY protocol v1/v2 header parser and builders (HAProxy's doc/proxy-protocol.txt), pure C++.
//
// No dependency on the portico ABI: the module glue (accept-proxy, send-proxy, fetches) wraps
// it. Nothing here allocates; parse() only reads the caller's bytes and fills a fixed-size
// header, so it can run on every read of a connection that has not sent its header yet.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pp {

// TLV types (v2), as in the spec.
enum : uint8_t {
    PP2_TYPE_ALPN = 0x01,
    PP2_TYPE_AUTHORITY = 0x02,
    PP2_TYPE_CRC32C = 0x03,
    PP2_TYPE_NOOP = 0x04,
    PP2_TYPE_UNIQUE_ID = 0x05,
    PP2_TYPE_SSL = 0x20,
    PP2_SUBTYPE_SSL_VERSION = 0x21,
    PP2_SUBTYPE_SSL_CN = 0x22,
    PP2_SUBTYPE_SSL_CIPHER = 0x23,
    PP2_SUBTYPE_SSL_SIG_ALG = 0x24,
    PP2_SUBTYPE_SSL_KEY_ALG = 0x25,
    PP2_TYPE_NETNS = 0x30,
};

// Bits of the SSL TLV's "client" byte.
enum : uint8_t {
    PP2_CLIENT_SSL = 0x01,       // the client connected over TLS
    PP2_CLIENT_CERT_CONN = 0x02, // it presented a certificate on this connection
    PP2_CLIENT_CERT_SESS = 0x04, // it presented one at least once in this TLS session
};

constexpr size_t PP_V1_MAX_LEN = 107;            // longest v1 line, CRLF included
constexpr size_t PP_V2_HDR_LEN = 16;             // fixed part of a v2 header
constexpr size_t PP_V2_MAX_LEN = 16 + 65535;     // longest v2 header
constexpr size_t PP_MAX_TLVS = 32;               // TLVs kept per header (NOOPs not counted)
constexpr size_t PP_UNIQUE_ID_MAX = 128;         // longest PP2_TYPE_UNIQUE_ID value
constexpr size_t PP_AUTHORITY_MAX = 255;         // longest PP2_TYPE_AUTHORITY value
constexpr uint8_t PP_NO_PARENT = 0xff;           // tlv::parent of a top-level TLV

enum class status { need_more, ok, error };

// One TLV of a v2 header. The value is header bytes [off, off + len) of the buffer given to
// parse(). PP2_TYPE_SSL is listed with its whole value (client byte, verify, sub-TLVs), then
// each of its sub-TLVs with parent = the SSL TLV's index in header::tlvs.
struct tlv {
    uint8_t type;   // PP2_TYPE_* / PP2_SUBTYPE_SSL_* / any custom type
    uint8_t parent; // PP_NO_PARENT, or index of the enclosing PP2_TYPE_SSL entry
    uint16_t len;   // value length
    uint32_t off;   // value offset from the start of the header
};

struct header {
    uint8_t version = 0;      // 1 or 2
    bool local = false;       // v2 LOCAL, v2 UNSPEC or v1 UNKNOWN: keep the real addresses
    bool dgram = false;       // v2 DGRAM transport (UDP, unix dgram)
    int family = 0;           // AF_INET, AF_INET6, AF_UNIX; AF_UNSPEC when local
    sockaddr_storage src{};   // source (client) address when !local
    sockaddr_storage dst{};   // destination address when !local
    socklen_t addrlen = 0;    // size of src/dst's sockaddr_in/_in6/_un; 0 when local
    uint32_t length = 0;      // total header bytes to consume (ok only)
    uint16_t tlv_count = 0;   // entries used in tlvs
    tlv tlvs[PP_MAX_TLVS];    // v2 TLVs in wire order (NOOPs skipped)
    bool has_ssl = false;     // a PP2_TYPE_SSL TLV was present
    uint8_t ssl_client = 0;   // its client byte (PP2_CLIENT_* bits)
    uint32_t ssl_verify = 0;  // its verify field (0: client certificate verified)
    bool crc_checked = false; // a PP2_TYPE_CRC32C TLV was present and matched

    // First TLV of <type> (top-level or SSL sub-TLV), or nullptr.
    const tlv* find(uint8_t type) const;
};

// Parses a PROXY header at the start of a connection's bytes <data>/<len>: v1 ("PROXY ...")
// or v2 (12-byte binary signature), auto-detected. Returns
//   ok        <out> filled; <out>.length bytes are the header, the rest is payload;
//   need_more <data> is a valid prefix so far: call again with more bytes (from the start);
//   error     never a valid header, whatever follows: *<err> (if <err> is not null) points to
//             a short static reason ("bad signature", "CRC32C mismatch", ...).
// Anything that cannot start a header fails at once (a plain HTTP request after 1 byte).
// v1 fails as soon as the partial line cannot become valid, and when no CRLF is seen within
// PP_V1_MAX_LEN bytes. A v2 header longer than <max_len> bytes (the caller's buffer size)
// fails as soon as its length field is read, so need_more always means "fits in max_len".
// The result depends only on the bytes up to the header's end, so feeding a stream byte by
// byte gives the same answer as the whole buffer. <out> is overwritten on every call.
// Strictness beyond the spec: v2 family/transport bytes other than 0x00, 0x11, 0x12, 0x21,
// 0x22, 0x31, 0x32 fail even with LOCAL; TLVs are walked (and must fit) for every command and
// family; at most PP_MAX_TLVS non-NOOP TLVs; AUTHORITY <= 255 and UNIQUE_ID <= 128 bytes.
status parse(const uint8_t* data, size_t len, header& out, const char** err,
             size_t max_len = PP_V2_MAX_LEN);

// Writes a v1 line for <src> -> <dst> into <out> (<cap> bytes, no NUL written); returns its
// length, or 0 if it does not fit. "TCP4" for two IPv4 addresses, "TCP6" for two IPv6 ones
// (an IPv4 address paired with an IPv6 one is written IPv4-mapped), "UNKNOWN" otherwise
// (null address, other families). PP_V1_MAX_LEN bytes always suffice.
size_t build_v1(char* out, size_t cap, const sockaddr* src, const sockaddr* dst);

// An extra TLV for build_v2.
struct raw_tlv {
    uint8_t type;
    std::string_view value;
};

// Optional parts of a v2 header. Empty strings are not sent.
struct v2_opts {
    bool dgram = false;              // transport DGRAM instead of STREAM
    bool crc32c = false;             // add a PP2_TYPE_CRC32C TLV (placed first)
    std::string_view alpn;           // PP2_TYPE_ALPN
    std::string_view authority;      // PP2_TYPE_AUTHORITY (<= 255 bytes)
    std::string_view unique_id;      // PP2_TYPE_UNIQUE_ID (<= 128 bytes)
    std::string_view netns;          // PP2_TYPE_NETNS
    bool has_ssl = false;            // add a PP2_TYPE_SSL TLV with the fields below
    uint8_t ssl_client = 0;          // PP2_CLIENT_* bits
    uint32_t ssl_verify = 0;         // 0: client certificate verified (or none presented)
    std::string_view ssl_version;    // PP2_SUBTYPE_SSL_VERSION, e.g. "TLSv1.3"
    std::string_view ssl_cn;         // PP2_SUBTYPE_SSL_CN
    std::string_view ssl_cipher;     // PP2_SUBTYPE_SSL_CIPHER (sub-TLVs are written in
                                     // HAProxy's order: VERSION, CN, KEY_ALG, SIG_ALG, CIPHER)
    std::string_view ssl_sig_alg;    // PP2_SUBTYPE_SSL_SIG_ALG
    std::string_view ssl_key_alg;    // PP2_SUBTYPE_SSL_KEY_ALG
    const raw_tlv* extra = nullptr;  // more TLVs, written last as given
    size_t extra_count = 0;
};

// Writes a v2 header into <out> (<cap> bytes); returns its length, or 0 if it does not fit,
// the TLVs exceed 65535 bytes, or a field is over its limit. PROXY with INET (TCP4/UDP4),
// INET6 (an IPv4 address paired with IPv6 is mapped) or UNIX addresses; LOCAL with family
// UNSPEC when <src> or <dst> is null or of another family. TLVs are written either way.
size_t build_v2(uint8_t* out, size_t cap, const sockaddr* src, const sockaddr* dst,
                const v2_opts& o);

// CRC32C (Castagnoli) of <n> bytes at <p>, continuing <crc> (the result of a previous call
// over the preceding bytes; 0 to start). crc32c("123456789", 9) == 0xE3069283.
uint32_t crc32c(const uint8_t* p, size_t n, uint32_t crc = 0);

} // namespace pp
