// SPDX-License-Identifier: MIT
// HAProxy 2.6's converters that read binary wire formats: protobuf and ungrpc (a field of a
// protocol buffers message, bare or in gRPC framing), fix_tag_value and fix_is_valid (FIX
// messages), mqtt_field_value and mqtt_is_valid (MQTT 3.1, 3.1.1 and 5.0 control packets).
// Written after doc/configuration.txt 7.3.1 and the behaviour of HAProxy 2.6, quirks
// included (see the comments), so that the same input gives the same bytes.
#include <strings.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "sample/sample_int.hpp"
#include "sample/wire.hpp"

namespace portico {
namespace smp {

// ---- protocol buffers -----------------------------------------------------------------------

namespace wire {

namespace {

// A varint at pos (at most 10 bytes, the last without the continuation bit). An empty
// input decodes as 0 (HAProxy does the same: a length-delimited key at the very end of a
// message reads as a field of length 0).
bool pb_varint(uint64_t& v, const uint8_t*& pos, size_t& len)
{
    v = 0;
    unsigned shift = 0;
    while (len > 0) {
        uint8_t b = *pos++;
        len--;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        if (!len)
            return false;
        shift += 7;
        if (shift > 63)
            return false;
    }
    return true;
}

// The x86-64 truncation of a double into a signed 64-bit register (what an out-of-range or
// NaN conversion gives on the machine HAProxy runs on: the "integer indefinite" value).
int64_t trunc64(double d)
{
    if (std::isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

// HAProxy converts a double field to uint64_t and a float one to uint32_t, as the compiler
// does it on x86-64.
uint64_t double_to_u64(double d)
{
    if (d >= 9223372036854775808.0)
        return (uint64_t)trunc64(d - 9223372036854775808.0) ^ 0x8000000000000000ull;
    return (uint64_t)trunc64(d);
}

uint32_t le32(const uint8_t* p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint64_t le64(const uint8_t* p) { return le32(p) | ((uint64_t)le32(p + 4) << 32); }

void set_bin(ptc_sample* io, const uint8_t* p, size_t n)
{
    io->type = PTC_SMP_BIN;
    io->u.str = ptc_str{reinterpret_cast<const char*>(p), n};
}

void set_sint(ptc_sample* io, int64_t v)
{
    io->type = PTC_SMP_SINT;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.sint = v;
}

// The value of a found field (wire type <wt>, at pos with len bytes left; vlen: the length
// of a length-delimited one) as <type> asks.
bool pb_store(ptc_sample* io, unsigned wt, int type, const uint8_t* pos, size_t len,
              uint64_t vlen)
{
    switch (wt) {
    case 0: {
        if (type == PB_BINARY) {
            const uint8_t* p = pos;
            size_t l = len;
            uint64_t v;
            if (!pb_varint(v, p, l))
                return false;
            set_bin(io, pos, (size_t)(p - pos));
            return true;
        }
        uint64_t v;
        if (type >= PB_INT32 && type <= PB_ENUM) {
            if (!pb_varint(v, pos, len))
                return false;
            set_sint(io, (int64_t)v);
            return true;
        }
        if (type == PB_SINT32 || type == PB_SINT64) {
            if (!pb_varint(v, pos, len))
                return false;
            set_sint(io, (int64_t)((v >> 1) ^ (~(v & 1) + 1)));
            return true;
        }
        return false;
    }
    case 1:
        if (len < 8)
            return false;
        if (type == PB_BINARY)
            set_bin(io, pos, 8);
        else if (type == PB_FIXED64 || type == PB_SFIXED64)
            set_sint(io, (int64_t)le64(pos));
        else if (type == PB_DOUBLE) {
            double d;
            std::memcpy(&d, pos, 8);
            set_sint(io, (int64_t)double_to_u64(d));
        } else
            return false;
        return true;
    case 2:
        if (len < vlen || type != PB_BINARY)
            return false;
        set_bin(io, pos, (size_t)vlen);
        return true;
    case 5:
        if (len < 4)
            return false;
        if (type == PB_BINARY)
            set_bin(io, pos, 4);
        else if (type == PB_FIXED32)
            set_sint(io, (int64_t)le32(pos));
        else if (type == PB_SFIXED32)
            set_sint(io, (int64_t)(int32_t)le32(pos));
        else if (type == PB_FLOAT) {
            float f;
            std::memcpy(&f, pos, 4);
            set_sint(io, (int64_t)(uint32_t)(uint64_t)trunc64((double)f));
        } else
            return false;
        return true;
    }
    return false;
}

} // namespace

int pb_type(std::string_view s)
{
    static const char* const names[] = {"int32",   "uint32",   "int64",  "uint64",
                                        "bool",    "enum",     "sint32", "sint64",
                                        "fixed32", "sfixed32", "float",  "fixed64",
                                        "sfixed64", "double"};
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (s == names[i])
            return PB_INT32 + i;
    return -1;
}

bool pb_parse_fid(std::string_view s, std::vector<uint32_t>& ids)
{
    // "1.2.3": unsigned integers (wrapping as HAProxy's read_uint does) separated by dots,
    // no trailing dot; an empty component between two dots reads as 0, as in HAProxy.
    ids.clear();
    size_t i = 0;
    while (i < s.size()) {
        uint32_t v = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (uint32_t)(s[i++] - '0');
        if (i < s.size()) {
            if (s[i] != '.' || i + 1 == s.size())
                return false;
            i++;
        }
        ids.push_back(v);
    }
    return true;
}

// HAProxy's lookup, quirks included: the path is matched one level at a time; a field that
// does not match at a nested level is skipped, and skipping a length-delimited one (or
// running past the end of the enclosing message) restarts the match at the first level.
bool pb_lookup(const uint32_t* fid, size_t nf, int type, const uint8_t*& pos, size_t& len,
               ptc_sample* io)
{
    uint64_t elen = 0;
    size_t field = 0;
    while (field < nf) {
        if ((int64_t)len <= 0)
            return false;
        uint64_t sleft = len;
        uint64_t key;
        if (!pb_varint(key, pos, len))
            return false;
        unsigned wt = (unsigned)(key & 7);
        bool found = (uint32_t)(key >> 3) == fid[field];
        switch (wt) {
        case 0:
            if (!found) {
                uint64_t v;
                if (!pb_varint(v, pos, len))
                    return false;
            }
            break;
        case 1:
        case 5: {
            size_t n = wt == 1 ? 8 : 4;
            if (!found) {
                if (len < n)
                    return false;
                pos += n;
                len -= n;
            }
            break;
        }
        case 2:
            if (!pb_varint(elen, pos, len) || elen > len)
                return false;
            sleft = len;
            if (!found) {
                pos += elen;
                len -= (size_t)elen;
            }
            break;
        default:
            return false;
        }
        if (found && field == nf - 1)
            return pb_store(io, wt, type, pos, len, elen);
        if ((int64_t)elen > 0)
            elen -= sleft - len;
        if (found)
            field++;
        else if ((int64_t)elen <= 0)
            field = 0;
    }
    return false;
}

bool grpc_lookup(const uint32_t* fid, size_t nf, int type, const uint8_t* pos, size_t left,
                 ptc_sample* io)
{
    // gRPC messages: a compression flag byte, a 4-byte big-endian length, the message. As
    // HAProxy, the next message is read where the lookup of one stopped.
    while (left > 5) {
        size_t mlen = ((size_t)pos[1] << 24) | ((size_t)pos[2] << 16) | ((size_t)pos[3] << 8) |
                      pos[4];
        size_t l = mlen;
        pos += 5;
        left -= 5;
        if (left < l)
            return false;
        if (pb_lookup(fid, nf, type, pos, l, io))
            return true;
        left -= mlen;
    }
    return false;
}

// ---- FIX ------------------------------------------------------------------------------------

namespace {

constexpr char FIX_DELIM = 0x01;

// A tag number: digits only (wrapping), not 0; with a version, in that version's range or
// a user-defined one (10000-19999).
uint32_t fix_check_id(std::string_view s, std::string_view version, bool has_version)
{
    uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (uint32_t)(c - '0');
    }
    if (!v)
        return 0;
    if (!has_version || (v >= 10000 && v <= 19999))
        return v;
    static const struct {
        const char* name;
        uint32_t max;
    } ranges[] = {{"FIX.4.0", 140},  {"FIX.4.1", 211}, {"FIX.4.2", 446},
                  {"FIX.4.3", 659},  {"FIX.4.4", 956}, {"FIXT.1.1", 1621}};
    for (auto& r : ranges)
        if (version == r.name)
            return v <= r.max ? v : 0;
    return 0;
}

// One "tag=value<SOH>" at the head of <p>: false when the delimiter is not there yet.
bool fix_next(std::string_view p, std::string_view& tag, std::string_view& value)
{
    size_t eq = p.find('=');
    if (eq == std::string_view::npos)
        return false;
    size_t d = p.find(FIX_DELIM, eq);
    if (d == std::string_view::npos)
        return false;
    tag = p.substr(0, eq);
    value = p.substr(eq + 1, d - eq - 1);
    return true;
}

} // namespace

uint32_t fix_tagid(std::string_view s)
{
    if (uint32_t id = fix_check_id(s, {}, false))
        return id;
    static const struct {
        const char* name;
        uint32_t id;
    } names[] = {{"MsgType", 35},    {"CheckSum", 10},    {"BodyLength", 9},
                 {"TargetCompID", 56}, {"BeginString", 8}, {"SenderCompID", 49}};
    for (auto& n : names)
        if (s.size() == std::strlen(n.name) && strncasecmp(s.data(), n.name, s.size()) == 0)
            return n.id;
    return 0;
}

int fix_validate(std::string_view msg)
{
    if (msg.size() < 26)
        return WIRE_MORE;
    std::string_view p = msg, version;
    bool has_version = false;
    unsigned tagnum = 0;
    uint32_t bodylen = 0;
    uint8_t sum = 0;
    const char* body = nullptr;
    while (!p.empty()) {
        std::string_view tag, value;
        if (!fix_next(p, tag, value))
            return WIRE_MORE;
        if (tag.empty())
            return WIRE_INVALID;
        uint32_t id = fix_check_id(tag, version, has_version);
        if (!id)
            return WIRE_INVALID;
        tagnum++;
        if (tagnum == 1) {
            if (id != 8)
                return WIRE_INVALID;
            static const char* const versions[] = {"FIX.4.0", "FIX.4.1", "FIX.4.2",
                                                   "FIX.4.3", "FIX.4.4", "FIXT.1.1"};
            for (const char* v : versions)
                if (value == v) {
                    version = v;
                    has_version = true;
                }
            if (!has_version)
                return WIRE_INVALID;
        } else if (tagnum == 2) {
            if (id != 9 || value.empty())
                return WIRE_INVALID;
            for (char c : value) {
                if (c < '0' || c > '9')
                    return WIRE_INVALID;
                bodylen = bodylen * 10 + (uint32_t)(c - '0');
            }
            if (!bodylen)
                return WIRE_INVALID;
            body = value.data() + value.size() + 1;
        } else if (tagnum == 3) {
            if (id != 35)
                return WIRE_INVALID;
        } else if (id == 10) {
            // the last tag: the body length runs up to it, the checksum (3 digits) is the
            // sum of the bytes before it, modulo 256
            if ((int64_t)bodylen != p.data() - body || value.size() != 3)
                return WIRE_INVALID;
            uint32_t v = 0;
            for (char c : value)
                v = v * 10 - '0' + (uint8_t)c; // HAProxy reads the digits unchecked
            return v == sum ? WIRE_VALID : WIRE_INVALID;
        }
        for (char c : tag)
            sum += (uint8_t)c;
        sum += '=';
        for (char c : value)
            sum += (uint8_t)c;
        sum += FIX_DELIM;
        p.remove_prefix(tag.size() + value.size() + 2);
    }
    return body ? WIRE_MORE : WIRE_INVALID;
}

int fix_tag_value(std::string_view msg, uint32_t tagid, std::string_view& out)
{
    std::string_view p = msg;
    while (!p.empty()) {
        std::string_view tag, value;
        if (!fix_next(p, tag, value))
            break;
        if (tag.empty())
            return WIRE_INVALID;
        uint32_t id = fix_check_id(tag, {}, false);
        if (!id)
            return WIRE_INVALID;
        if (id == tagid) {
            out = value;
            return value.empty() ? WIRE_MORE : WIRE_VALID;
        }
        if (id == 10)
            return WIRE_INVALID;
        p.remove_prefix(tag.size() + value.size() + 2);
    }
    return WIRE_MORE;
}

// ---- MQTT -----------------------------------------------------------------------------------

namespace {

// Field names (HAProxy's MQTT_FN_* order): the fixed names, then MQTT 5.0 property ids.
enum {
    FN_INVALID, FN_FLAGS, FN_REASON_CODE, FN_PROTOCOL_NAME, FN_PROTOCOL_VERSION,
    FN_CLIENT_IDENTIFIER, FN_WILL_TOPIC, FN_WILL_PAYLOAD, FN_USERNAME, FN_PASSWORD,
    FN_KEEPALIVE, FN_PAYLOAD_FORMAT_INDICATOR, FN_MESSAGE_EXPIRY_INTERVAL, FN_CONTENT_TYPE,
    FN_RESPONSE_TOPIC, FN_CORRELATION_DATA, FN_SUBSCRIPTION_IDENTIFIER,
    FN_SESSION_EXPIRY_INTERVAL, FN_ASSIGNED_CLIENT_IDENTIFIER, FN_SERVER_KEEPALIVE,
    FN_AUTHENTICATION_METHOD, FN_AUTHENTICATION_DATA, FN_REQUEST_PROBLEM_INFORMATION,
    FN_DELAY_INTERVAL, FN_REQUEST_RESPONSE_INFORMATION, FN_RESPONSE_INFORMATION,
    FN_SERVER_REFERENCE, FN_REASON_STRING, FN_RECEIVE_MAXIMUM, FN_TOPIC_ALIAS_MAXIMUM,
    FN_TOPIC_ALIAS, FN_MAXIMUM_QOS, FN_RETAIN_AVAILABLE, FN_USER_PROPERTY,
    FN_MAXIMUM_PACKET_SIZE, FN_WILDCARD_SUBSCRIPTION_AVAILABLE,
    FN_SUBSCRIPTION_IDENTIFIERS_AVAILABLE, FN_SHARED_SUBSCRIPTION_AVAILABLE, FN_ENTRIES
};

const char* const k_fn_names[FN_ENTRIES] = {
    "", "flags", "reason_code", "protocol_name", "protocol_version", "client_identifier",
    "will_topic", "will_payload", "username", "password", "keepalive", "1", "2", "3", "8", "9",
    "11", "17", "18", "19", "21", "22", "23", "24", "25", "26", "28", "31", "33", "34", "35",
    "36", "37", "38", "39", "40", "41", "42"};

constexpr uint64_t B(int fn) { return 1ull << fn; }

enum { CPT_CONNECT = 1, CPT_CONNACK = 2, CPT_ENTRIES = 16 };

const char* const k_cpt_names[CPT_ENTRIES] = {
    "", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
    "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};

// The flags each packet type must carry in its first byte (PUBLISH: any, 0x0F marks it).
const uint8_t k_cpt_flags[CPT_ENTRIES] = {0, 0, 0, 0x0F, 0, 0, 0x02, 0, 0x02, 0, 0x02, 0, 0, 0,
                                          0, 0};

// The fields mqtt_field_value accepts per packet type (as HAProxy; only CONNECT and CONNACK
// ever give a value).
const uint64_t k_fields_per_packet[CPT_ENTRIES] = {
    0,
    B(FN_PROTOCOL_NAME) | B(FN_PROTOCOL_VERSION) | B(FN_FLAGS) | B(FN_KEEPALIVE) |
        B(FN_SESSION_EXPIRY_INTERVAL) | B(FN_RECEIVE_MAXIMUM) | B(FN_MAXIMUM_PACKET_SIZE) |
        B(FN_TOPIC_ALIAS_MAXIMUM) | B(FN_REQUEST_RESPONSE_INFORMATION) |
        B(FN_REQUEST_PROBLEM_INFORMATION) | B(FN_USER_PROPERTY) | B(FN_AUTHENTICATION_METHOD) |
        B(FN_AUTHENTICATION_DATA) | B(FN_CLIENT_IDENTIFIER) | B(FN_DELAY_INTERVAL) |
        B(FN_PAYLOAD_FORMAT_INDICATOR) | B(FN_MESSAGE_EXPIRY_INTERVAL) | B(FN_CONTENT_TYPE) |
        B(FN_RESPONSE_TOPIC) | B(FN_CORRELATION_DATA) | B(FN_WILL_TOPIC) | B(FN_WILL_PAYLOAD) |
        B(FN_USERNAME) | B(FN_PASSWORD),
    B(FN_FLAGS) | B(FN_PROTOCOL_VERSION) | B(FN_REASON_CODE) | B(FN_SESSION_EXPIRY_INTERVAL) |
        B(FN_RECEIVE_MAXIMUM) | B(FN_MAXIMUM_QOS) | B(FN_RETAIN_AVAILABLE) |
        B(FN_MAXIMUM_PACKET_SIZE) | B(FN_ASSIGNED_CLIENT_IDENTIFIER) |
        B(FN_TOPIC_ALIAS_MAXIMUM) | B(FN_REASON_STRING) |
        B(FN_WILDCARD_SUBSCRIPTION_AVAILABLE) | B(FN_SUBSCRIPTION_IDENTIFIERS_AVAILABLE) |
        B(FN_SHARED_SUBSCRIPTION_AVAILABLE) | B(FN_SERVER_KEEPALIVE) |
        B(FN_RESPONSE_INFORMATION) | B(FN_SERVER_REFERENCE) | B(FN_USER_PROPERTY) |
        B(FN_AUTHENTICATION_METHOD) | B(FN_AUTHENTICATION_DATA),
    B(FN_PAYLOAD_FORMAT_INDICATOR) | B(FN_MESSAGE_EXPIRY_INTERVAL) | B(FN_CONTENT_TYPE) |
        B(FN_RESPONSE_TOPIC) | B(FN_CORRELATION_DATA) | B(FN_SUBSCRIPTION_IDENTIFIER) |
        B(FN_TOPIC_ALIAS) | B(FN_USER_PROPERTY),
    B(FN_REASON_CODE) | B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_REASON_CODE) | B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_REASON_CODE) | B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_REASON_CODE) | B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_SUBSCRIPTION_IDENTIFIER) | B(FN_USER_PROPERTY),
    B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_USER_PROPERTY),
    B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    0,
    0,
    B(FN_REASON_CODE) | B(FN_SESSION_EXPIRY_INTERVAL) | B(FN_SERVER_REFERENCE) |
        B(FN_REASON_STRING) | B(FN_USER_PROPERTY),
    B(FN_AUTHENTICATION_METHOD) | B(FN_AUTHENTICATION_DATA) | B(FN_REASON_STRING) |
        B(FN_USER_PROPERTY),
};

bool ieq(std::string_view a, const char* b)
{
    return a.size() == std::strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// A reader over the packet; a failed read leaves it "null" (HAProxy's IST_NULL).
struct rd {
    const uint8_t* p = nullptr;
    size_t n = 0;
    bool ok = true;
    bool take(size_t k)
    {
        if (!ok || n < k)
            return ok = false;
        p += k;
        n -= k;
        return true;
    }
};

bool rd_u8(rd& r, uint32_t& v)
{
    if (!r.ok || r.n < 1)
        return r.ok = false;
    v = r.p[0];
    return r.take(1);
}
bool rd_u16(rd& r, uint32_t& v)
{
    if (!r.ok || r.n < 2)
        return r.ok = false;
    v = ((uint32_t)r.p[0] << 8) | r.p[1];
    return r.take(2);
}
bool rd_u32(rd& r, uint32_t& v)
{
    if (!r.ok || r.n < 4)
        return r.ok = false;
    v = ((uint32_t)r.p[0] << 24) | ((uint32_t)r.p[1] << 16) | ((uint32_t)r.p[2] << 8) | r.p[3];
    return r.take(4);
}
// A variable byte integer: at most 4 bytes; running out of input ends it (as HAProxy).
bool rd_varint(rd& r, uint32_t& v)
{
    v = 0;
    if (!r.ok)
        return false;
    int off = 0, m = 0;
    for (; off < 4 && r.n; off++) {
        uint8_t b = r.p[0];
        v += (uint32_t)(b & 127) << m;
        m += 7;
        r.p++;
        r.n--;
        if (b <= 127)
            break;
    }
    if (off == 4)
        return r.ok = false;
    return true;
}
bool rd_str(rd& r, std::string_view& s)
{
    uint32_t len;
    if (!r.ok || r.n < 2)
        return r.ok = false;
    rd_u16(r, len);
    if (r.n < len)
        return r.ok = false;
    s = std::string_view(reinterpret_cast<const char*>(r.p), len);
    return r.take(len);
}

struct mqtt_pkt {
    uint32_t type = 0, remaining = 0;
    uint32_t version = 0, flags = 0, keepalive = 0, reason = 0;
    uint32_t num[FN_ENTRIES] = {};
    std::string_view str[FN_ENTRIES];
};

constexpr uint32_t FL_RESERVED = 0x01, FL_WILL = 0x04, FL_WILL_QOS = 0x18,
                   FL_WILL_RETAIN = 0x20, FL_PASSWORD = 0x40, FL_USERNAME = 0x80;

// One MQTT 5.0 property list. Returns WIRE_VALID when read whole, WIRE_INVALID on an error
// or a property this packet may not carry (CONNACK: an unknown one answers WIRE_MORE, as
// HAProxy does).
int mqtt_props(rd& r, mqtt_pkt& m, bool connack, bool will)
{
    uint32_t plen = 0;
    if (!rd_varint(r, plen) || r.n < plen)
        return WIRE_INVALID;
    rd props{r.p, plen, true};
    r.take(plen);
    uint64_t seen = 0;
    // property id -> field and width (1, 2, 4 bytes; 0: a string)
    while (props.n > 0) {
        uint8_t id = props.p[0];
        int fn = -1, w = 0, mx = -1; // mx: the largest value allowed (-1: any); -2: not 0
        bool user = false;
        if (!will && !connack) {
            switch (id) {
            case 0x11: fn = FN_SESSION_EXPIRY_INTERVAL; w = 4; break;
            case 0x21: fn = FN_RECEIVE_MAXIMUM; w = 2; mx = -2; break;
            case 0x27: fn = FN_MAXIMUM_PACKET_SIZE; w = 4; mx = -2; break;
            case 0x22: fn = FN_TOPIC_ALIAS_MAXIMUM; w = 2; break;
            case 0x19: fn = FN_REQUEST_RESPONSE_INFORMATION; w = 1; mx = 1; break;
            case 0x17: fn = FN_REQUEST_PROBLEM_INFORMATION; w = 1; mx = 1; break;
            case 0x26: user = true; break;
            case 0x15: fn = FN_AUTHENTICATION_METHOD; break;
            case 0x16: fn = FN_AUTHENTICATION_DATA; break;
            default: return WIRE_INVALID;
            }
        } else if (will) {
            switch (id) {
            case 0x18: fn = FN_DELAY_INTERVAL; w = 4; break;
            case 0x01: fn = FN_PAYLOAD_FORMAT_INDICATOR; w = 1; mx = 1; break;
            case 0x02: fn = FN_MESSAGE_EXPIRY_INTERVAL; w = 4; break;
            case 0x03: fn = FN_CONTENT_TYPE; break;
            case 0x08: fn = FN_RESPONSE_TOPIC; break;
            case 0x09: fn = FN_CORRELATION_DATA; break;
            case 0x26: user = true; break;
            default: return WIRE_INVALID;
            }
        } else {
            switch (id) {
            case 0x11: fn = FN_SESSION_EXPIRY_INTERVAL; w = 4; break;
            case 0x21: fn = FN_RECEIVE_MAXIMUM; w = 2; mx = -2; break;
            case 0x24: fn = FN_MAXIMUM_QOS; w = 1; mx = 1; break;
            case 0x25: fn = FN_RETAIN_AVAILABLE; w = 1; mx = 1; break;
            case 0x27: fn = FN_MAXIMUM_PACKET_SIZE; w = 4; mx = -2; break;
            case 0x12: fn = FN_ASSIGNED_CLIENT_IDENTIFIER; mx = -2; break;
            case 0x22: fn = FN_TOPIC_ALIAS_MAXIMUM; w = 2; break;
            case 0x1F: fn = FN_REASON_STRING; break;
            case 0x28: fn = FN_WILDCARD_SUBSCRIPTION_AVAILABLE; w = 1; mx = 1; break;
            case 0x29: fn = FN_SUBSCRIPTION_IDENTIFIERS_AVAILABLE; w = 1; mx = 1; break;
            case 0x2A: fn = FN_SHARED_SUBSCRIPTION_AVAILABLE; w = 1; mx = 1; break;
            case 0x13: fn = FN_SERVER_KEEPALIVE; w = 2; break;
            case 0x1A: fn = FN_RESPONSE_INFORMATION; break;
            case 0x1C: fn = FN_SERVER_REFERENCE; break;
            case 0x26: user = true; break;
            case 0x15: fn = FN_AUTHENTICATION_METHOD; break;
            case 0x16: fn = FN_AUTHENTICATION_DATA; break;
            default: return WIRE_MORE;
            }
        }
        props.take(1);
        if (user) {
            std::string_view k, v;
            if (!rd_str(props, k) || !rd_str(props, v))
                return WIRE_INVALID;
            continue;
        }
        if (seen & B(fn))
            return WIRE_INVALID;
        if (w) {
            uint32_t v = 0;
            if (w == 1)
                rd_u8(props, v);
            else if (w == 2)
                rd_u16(props, v);
            else
                rd_u32(props, v);
            m.num[fn] = v;
            if ((mx == -2 && !v) || (mx >= 0 && v > (uint32_t)mx))
                return WIRE_INVALID;
        } else {
            rd_str(props, m.str[fn]);
            if (mx == -2 && m.str[fn].empty())
                return WIRE_INVALID;
        }
        if (!props.ok)
            return WIRE_INVALID;
        seen |= B(fn);
    }
    return WIRE_VALID;
}

int mqtt_parse_connect(rd r, mqtt_pkt& m)
{
    size_t orig = r.n;
    std::string_view name;
    if (!rd_str(r, name) || !(ieq(name, "MQTT") || ieq(name, "MQIsdp")))
        return WIRE_INVALID;
    m.str[FN_PROTOCOL_NAME] = name;
    if (!rd_u8(r, m.version) || (m.version != 3 && m.version != 4 && m.version != 5))
        return WIRE_INVALID;
    if (!rd_u8(r, m.flags) || (m.flags & FL_RESERVED))
        return WIRE_INVALID;
    if ((m.flags & (FL_WILL | FL_WILL_QOS | FL_WILL_RETAIN)) == FL_WILL_QOS)
        return WIRE_INVALID;
    if (!rd_u16(r, m.keepalive))
        return WIRE_INVALID;
    if (m.version == 5 && mqtt_props(r, m, false, false) != WIRE_VALID)
        return WIRE_INVALID;
    if (m.str[FN_AUTHENTICATION_METHOD].empty() && !m.str[FN_AUTHENTICATION_DATA].empty())
        return WIRE_INVALID;
    if (!rd_str(r, m.str[FN_CLIENT_IDENTIFIER]))
        return WIRE_INVALID;
    if (m.version == 5 && (m.flags & FL_WILL) && mqtt_props(r, m, false, true) != WIRE_VALID)
        return WIRE_INVALID;
    if ((m.flags & FL_WILL) &&
        (!rd_str(r, m.str[FN_WILL_TOPIC]) || !rd_str(r, m.str[FN_WILL_PAYLOAD])))
        return WIRE_INVALID;
    if ((m.flags & FL_USERNAME) && !rd_str(r, m.str[FN_USERNAME]))
        return WIRE_INVALID;
    if ((m.flags & FL_PASSWORD) && !rd_str(r, m.str[FN_PASSWORD]))
        return WIRE_INVALID;
    return orig - r.n == m.remaining ? WIRE_VALID : WIRE_INVALID;
}

int mqtt_parse_connack(rd r, mqtt_pkt& m)
{
    size_t orig = r.n;
    if (r.n < 2)
        return WIRE_INVALID;
    m.version = r.n == 2 ? 4 : 5;
    if (!rd_u8(r, m.flags) || (m.flags & 0xFE))
        return WIRE_INVALID;
    if (!rd_u8(r, m.reason))
        return WIRE_INVALID;
    if (m.version == 5) {
        int pr = mqtt_props(r, m, true, false);
        if (pr != WIRE_VALID)
            return pr;
    }
    return orig - r.n == m.remaining ? WIRE_VALID : WIRE_INVALID;
}

int mqtt_parse(std::string_view msg, mqtt_pkt& m)
{
    if (msg.size() < 2)
        return WIRE_MORE;
    rd r{reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), true};
    uint8_t b = r.p[0];
    uint32_t type = b >> 4, flags = b & 0x0F;
    if (type == 0 || flags != k_cpt_flags[type])
        return WIRE_INVALID;
    m.type = type;
    r.take(1);
    if (!rd_varint(r, m.remaining))
        return WIRE_INVALID;
    if (r.n < m.remaining)
        return WIRE_MORE;
    if (type == CPT_CONNECT)
        return mqtt_parse_connect(r, m);
    if (type == CPT_CONNACK)
        return mqtt_parse_connack(r, m);
    return WIRE_INVALID;
}

} // namespace

int mqtt_typeid(std::string_view s)
{
    uint32_t v = 0; // HAProxy reads the digits unchecked, so a name may also read as a number
    for (char c : s)
        v = v * 10 - '0' + (uint8_t)c;
    if ((int)v >= 1 && (int)v < CPT_ENTRIES)
        return (int)v;
    for (int i = 1; i < CPT_ENTRIES; i++)
        if (ieq(s, k_cpt_names[i]))
            return i;
    return -1;
}

int mqtt_fieldname(int type, std::string_view s)
{
    for (int i = 0; i < FN_ENTRIES; i++)
        if (ieq(s, k_fn_names[i]))
            return (k_fields_per_packet[type] & B(i)) && i ? i : -1;
    return -1;
}

int mqtt_validate(std::string_view msg)
{
    mqtt_pkt m;
    return mqtt_parse(msg, m);
}

int mqtt_field_value(std::string_view msg, int type, int fn, std::string_view& out)
{
    mqtt_pkt m;
    int r = mqtt_parse(msg, m);
    if (r != WIRE_VALID)
        return r;
    if ((int)m.type != type || (type != CPT_CONNECT && type != CPT_CONNACK) ||
        fn == FN_USER_PROPERTY)
        return WIRE_INVALID;
    // the properties exist in MQTT 5.0 only; a CONNECT's will properties with a will only
    if (fn >= FN_PAYLOAD_FORMAT_INDICATOR && m.version != 5)
        return WIRE_INVALID;
    if (type == CPT_CONNECT && !(m.flags & FL_WILL) &&
        (fn == FN_PAYLOAD_FORMAT_INDICATOR || fn == FN_MESSAGE_EXPIRY_INTERVAL ||
         fn == FN_CONTENT_TYPE || fn == FN_RESPONSE_TOPIC || fn == FN_CORRELATION_DATA ||
         fn == FN_DELAY_INTERVAL))
        return WIRE_INVALID;
    bool number = true;
    uint32_t v = 0;
    switch (fn) {
    case FN_FLAGS: v = m.flags; break;
    case FN_PROTOCOL_VERSION: v = m.version; break;
    case FN_KEEPALIVE: v = m.keepalive; break;
    case FN_REASON_CODE: v = m.reason; break;
    case FN_PROTOCOL_NAME: case FN_CLIENT_IDENTIFIER: case FN_WILL_TOPIC:
    case FN_WILL_PAYLOAD: case FN_USERNAME: case FN_PASSWORD: case FN_CONTENT_TYPE:
    case FN_RESPONSE_TOPIC: case FN_CORRELATION_DATA: case FN_AUTHENTICATION_METHOD:
    case FN_AUTHENTICATION_DATA: case FN_ASSIGNED_CLIENT_IDENTIFIER:
    case FN_RESPONSE_INFORMATION: case FN_SERVER_REFERENCE: case FN_REASON_STRING:
        number = false;
        break;
    default: v = m.num[fn]; break;
    }
    if (!number) {
        if (m.str[fn].empty())
            return WIRE_INVALID;
        out = m.str[fn];
        return WIRE_VALID;
    }
    size_t cap;
    char* b = scratch(&cap);
    int n = std::snprintf(b, cap, "%u", v);
    out = std::string_view(b, (size_t)n);
    return WIRE_VALID;
}

} // namespace wire

namespace {

std::deque<std::vector<uint32_t>> g_fids;

int chk_protobuf(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    std::string_view f(args[0].str.ptr, args[0].str.len);
    if (f.empty())
        return arg_error(ctx, "expected type 'Protocol buffers field number' at position 1, "
                              "but got nothing");
    std::vector<uint32_t> ids;
    if (!wire::pb_parse_fid(f, ids))
        return arg_error(ctx, "failed to parse '" + std::string(f) +
                                  "' as type 'Protocol buffers field number' at position 1");
    g_fids.push_back(std::move(ids));
    args[0].data = &g_fids.back();
    args[0].sint = wire::PB_BINARY;
    if (nargs >= 2 && args[1].str.len) {
        int t = wire::pb_type(std::string_view(args[1].str.ptr, args[1].str.len));
        if (t < 0)
            return arg_error(ctx, "Wrong protocol buffer type '" +
                                      std::string(args[1].str.ptr, args[1].str.len) + "'");
        args[0].sint = t;
    }
    return PTC_OK;
}

template <bool GRPC>
int c_protobuf(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    const auto* ids = static_cast<const std::vector<uint32_t>*>(args[0].data);
    const auto* pos = reinterpret_cast<const uint8_t*>(io->u.str.ptr);
    size_t len = io->u.str.len;
    if (ids->empty())
        return 0;
    if (GRPC)
        return wire::grpc_lookup(ids->data(), ids->size(), (int)args[0].sint, pos, len, io);
    return wire::pb_lookup(ids->data(), ids->size(), (int)args[0].sint, pos, len, io);
}

int chk_fix_tag(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t(args[0].str.ptr, args[0].str.len);
    uint32_t id = wire::fix_tagid(t);
    if (!id)
        return arg_error(ctx, "Unknown FIX tag name '" + std::string(t) + "'");
    args[0].sint = id;
    return PTC_OK;
}

int c_fix_tag_value(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    std::string_view v;
    io->flags &= ~PTC_SMPF_MAYCHANGE;
    int r = wire::fix_tag_value(std::string_view(io->u.str.ptr, io->u.str.len),
                                (uint32_t)args[0].sint, v);
    if (r != wire::WIRE_VALID) {
        if (r == wire::WIRE_MORE)
            io->flags |= PTC_SMPF_MAYCHANGE;
        return 0;
    }
    io->type = PTC_SMP_BIN;
    io->u.str = ptc_str{v.data(), v.size()};
    return 1;
}

template <int (*VALIDATE)(std::string_view)>
int c_is_valid(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io)
{
    io->flags &= ~PTC_SMPF_MAYCHANGE;
    int r = VALIDATE(std::string_view(io->u.str.ptr, io->u.str.len));
    if (r == wire::WIRE_MORE) {
        io->flags |= PTC_SMPF_MAYCHANGE;
        return 0;
    }
    io->type = PTC_SMP_BOOL;
    io->flags &= ~PTC_SMPF_CONST;
    io->u.sint = r == wire::WIRE_VALID;
    return 1;
}

int mqtt_validate_only(std::string_view msg) { return wire::mqtt_validate(msg); }

int chk_mqtt_field(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t(args[0].str.ptr, args[0].str.len), f(args[1].str.ptr, args[1].str.len);
    int type = wire::mqtt_typeid(t);
    if (type < 0)
        return arg_error(ctx, "Unknown MQTT type '" + std::string(t) + "'");
    int fn = wire::mqtt_fieldname(type, f);
    if (fn < 0)
        return arg_error(ctx, "Unknown MQTT field name '" + std::string(f) +
                                  "' for packet type '" + std::string(t) + "'");
    args[0].sint = type;
    args[1].sint = fn;
    return PTC_OK;
}

int c_mqtt_field_value(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* io)
{
    std::string_view v;
    io->flags &= ~PTC_SMPF_MAYCHANGE;
    int r = wire::mqtt_field_value(std::string_view(io->u.str.ptr, io->u.str.len),
                                   (int)args[0].sint, (int)args[1].sint, v);
    if (r != wire::WIRE_VALID) {
        if (r == wire::WIRE_MORE)
            io->flags |= PTC_SMPF_MAYCHANGE;
        return 0;
    }
    if (v.data() < io->u.str.ptr || v.data() >= io->u.str.ptr + io->u.str.len)
        io->flags &= ~PTC_SMPF_CONST; // digits written to a scratch buffer
    io->type = PTC_SMP_STR;
    io->u.str = ptc_str{v.data(), v.size()};
    return 1;
}

constexpr uint32_t STR = PTC_SMP_STR, BIN = PTC_SMP_BIN, BOOL = PTC_SMP_BOOL;

} // namespace

const ptc_conv k_wire_convs[] = {
    // name              in   out   min max fn                   check           help
    {"protobuf",         BIN, BIN,  1, 2, c_protobuf<false>,  chk_protobuf,   "protobuf(<field_number>[,<field_type>])"},
    {"ungrpc",           BIN, BIN,  1, 2, c_protobuf<true>,   chk_protobuf,   "ungrpc(<field_number>[,<field_type>])"},
    {"fix_tag_value",    BIN, BIN,  1, 1, c_fix_tag_value,    chk_fix_tag,    "fix_tag_value(<tag>)"},
    {"fix_is_valid",     BIN, BOOL, 0, 0, c_is_valid<wire::fix_validate>, nullptr, "fix_is_valid"},
    {"mqtt_field_value", BIN, STR,  2, 2, c_mqtt_field_value, chk_mqtt_field, "mqtt_field_value(<packettype>,<fieldname_or_property_ID>)"},
    {"mqtt_is_valid",    BIN, BOOL, 0, 0, c_is_valid<mqtt_validate_only>, nullptr, "mqtt_is_valid"},
};
const uint32_t k_wire_conv_count = sizeof(k_wire_convs) / sizeof(k_wire_convs[0]);

} // namespace smp
} // namespace portico
