// SPDX-License-Identifier: MIT
// The wire-format readers behind the protobuf, ungrpc, fix_* and mqtt_* converters
// (conv_wire.cpp), exposed for the unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <portico/portico.h>

namespace portico {
namespace smp {

extern const ptc_conv k_wire_convs[];
extern const uint32_t k_wire_conv_count;

namespace wire {

// Results of the FIX and MQTT readers (HAProxy's values).
constexpr int WIRE_INVALID = -1, WIRE_MORE = 0, WIRE_VALID = 1;

// protobuf field types, in HAProxy's order (PB_BINARY: the raw bytes, the default).
enum {
    PB_BINARY = 1, PB_INT32, PB_UINT32, PB_INT64, PB_UINT64, PB_BOOL, PB_ENUM, PB_SINT32,
    PB_SINT64, PB_FIXED32, PB_SFIXED32, PB_FLOAT, PB_FIXED64, PB_SFIXED64, PB_DOUBLE
};
int pb_type(std::string_view s);                                 // -1: unknown
bool pb_parse_fid(std::string_view s, std::vector<uint32_t>& ids); // "1.2.3"
// The field <fid> of the message at pos (len bytes) into *io (BIN or SINT); pos/len advance.
bool pb_lookup(const uint32_t* fid, size_t nf, int type, const uint8_t*& pos, size_t& len,
               ptc_sample* io);
bool grpc_lookup(const uint32_t* fid, size_t nf, int type, const uint8_t* pos, size_t len,
                 ptc_sample* io);

uint32_t fix_tagid(std::string_view s);                          // 0: unknown
int fix_validate(std::string_view msg);
int fix_tag_value(std::string_view msg, uint32_t tagid, std::string_view& out);

int mqtt_typeid(std::string_view s);                             // -1: unknown
int mqtt_fieldname(int type, std::string_view s);                // -1: not for this type
int mqtt_validate(std::string_view msg);
// The field's value: a slice of msg, or digits written to a scratch buffer.
int mqtt_field_value(std::string_view msg, int type, int field, std::string_view& out);

} // namespace wire
} // namespace smp
} // namespace portico
