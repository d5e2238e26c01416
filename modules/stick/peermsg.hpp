// SPDX-License-Identifier: MIT
// The payloads of the peers protocol's stick-table messages (doc/peers-v2.0.txt): table
// definitions, updates (their id, expiry, key and data fields, dictionary entries
// included), acks and table switches. Decoding only, of bytes from a remote peer
// (untrusted): no table, no shared memory, no host call. table.cpp applies what these
// return; unit-tested in test/test_peermsg.cpp, fuzzed by fuzz/fuzz_peerwire.cpp and
// fuzz/fuzz_peer_msgs.cpp.
#pragma once

#include "dtypes.hpp"
#include "peerwire.hpp"

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <string_view>

namespace stick::peerwire {

constexpr uint32_t PEER_DICT_IDS = 128; // HAProxy's dictionary cache entries per peer

// A table definition (STKT_DEFINE): "<id> <name len> <name> <key type> <key size> <data
// bits> [<expire> <parameters>]", the parameters (each "<type> ..." for the data types
// of <data> in order: an array's element count, then a frequency counter's period) only
// read when <expire> is there.
struct table_def {
    uint64_t id = 0;           // the sender's table id (SWITCH, ACK)
    std::string_view name;     // inside the payload
    uint64_t key_type = 0;     // KT_*
    uint64_t key_size = 0;     // a string's with its trailing zero
    uint64_t data = 0;         // bit d: data type d is sent (bits >= NDT: ignored)
    bool has_expire = false;
    uint64_t expire = 0;
    uint32_t nelem[NDT] = {};  // an array type's element count (0: not given)
    uint64_t period[NDT] = {}; // a frequency counter's period (0: not given)
};
// False when malformed (truncated, or a parameter for another type than expected).
// Bytes after the last parameter are ignored.
bool decode_define(const unsigned char* q, const unsigned char* end, table_def* d);
// The payload decode_define reads back (the fields of <d> it would set).
std::string encode_define(const table_def& d);

// The start of an update: STKT_UPDATE[_TIMED] carry "<update id>" (32 bits), the _TIMED
// ones then "<expire in ms>" (32 bits); STKT_INCUPDATE[_TIMED] take <next_id> (the last
// id + 1). False when truncated. Advances *q.
struct update_head {
    uint32_t id = 0;
    bool timed = false;
    uint32_t expire = 0;
};
bool decode_update_head(uint8_t type, const unsigned char** q, const unsigned char* end, uint32_t next_id,
                        update_head* h);

// The key of an update for a table whose wire key type is <kt>: KT_STR a varint length
// then that many bytes, of which at most <cap> are kept; KT_SINT 4 bytes in network order,
// stored in host order; any other <cap> bytes. <k> has room for <cap> bytes (4 at least
// for KT_SINT); *n gets the key's length. False when truncated. Advances *q.
bool decode_key(const unsigned char** q, const unsigned char* end, uint64_t kt, uint32_t cap, unsigned char* k,
                uint32_t* n);

// One data field of an update.
struct field {
    uint32_t type = 0;        // DT_*
    uint32_t index = 0;       // the element of an array type (0 otherwise)
    uint64_t value = 0;       // the value; a frequency counter's age of its current tick
    uint64_t curr = 0, prev = 0; // a frequency counter's counters
    uint64_t dict_id = 0;     // ST_DICT: the id in the sender's cache (0: no entry)
    bool dict_has_value = false; // ST_DICT: the entry carries the (new) value of that id
    std::string_view dict_value; // inside the payload
};

// The data fields of an update after its key: for each data type d of <data> (below NDT),
// in order, nelem[d] elements for an array type, else one. Each is a varint; a frequency
// counter's three (tick age, current, previous); a dictionary entry's a varint length then
// that many bytes: none if 0, else "<id 1..PEER_DICT_IDS> [<value length> <value>]" taking
// exactly those bytes. Bytes after the last field are ignored.
class field_reader {
  public:
    field_reader(const unsigned char* q, const unsigned char* end, uint64_t data, const uint32_t* nelem)
        : q_(q), end_(end), data_(data), nelem_(nelem)
    {
    }
    // 1: *f is the next field; 0: no more; -1: malformed (and from then on).
    int next(field* f);
    const unsigned char* pos() const { return q_; }

  private:
    const unsigned char* q_;
    const unsigned char* end_;
    uint64_t data_;
    const uint32_t* nelem_;
    uint32_t d_ = 0, x_ = 0;
    bool failed_ = false;
};

// ACK: "<table id> <update id>" (32 bits). SWITCH: "<table id>". False when truncated.
bool decode_ack(const unsigned char* q, const unsigned char* end, uint64_t* table_id, uint32_t* update_id);
bool decode_switch(const unsigned char* q, const unsigned char* end, uint64_t* table_id);

} // namespace stick::peerwire
