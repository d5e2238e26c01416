// SPDX-License-Identifier: MIT
// Stick table data types (HAProxy 2.6's list and order), the "store" list parser, the
// layout of an entry's data slots, and the period frequency counters. Pure code: no host
// calls, unit-tested in test/test_dtypes.cpp.
#pragma once

#include <stdint.h>

#include <string>

namespace stick {

// Data types, in HAProxy's order (the order "show table" prints them).
enum : uint32_t {
    DT_SERVER_ID, DT_GPT0, DT_GPC0, DT_GPC0_RATE, DT_CONN_CNT, DT_CONN_RATE, DT_CONN_CUR,
    DT_SESS_CNT, DT_SESS_RATE, DT_HTTP_REQ_CNT, DT_HTTP_REQ_RATE, DT_HTTP_ERR_CNT,
    DT_HTTP_ERR_RATE, DT_BYTES_IN_CNT, DT_BYTES_IN_RATE, DT_BYTES_OUT_CNT, DT_BYTES_OUT_RATE,
    DT_GPC1, DT_GPC1_RATE, DT_SERVER_KEY, DT_HTTP_FAIL_CNT, DT_HTTP_FAIL_RATE, DT_GPT, DT_GPC,
    DT_GPC_RATE, NDT
};

// Storage kinds.
constexpr uint32_t ST_SINT = 0, ST_UINT = 1, ST_ULL = 2, ST_FRQ = 3, ST_DICT = 4;

struct dtype {
    const char* name;
    uint32_t st;  // ST_*
    bool array;   // gpt(N), gpc(N), gpc_rate(N,period)
};
extern const dtype k_dtypes[NDT];

constexpr uint32_t k_max_array = 100; // HAProxy's STKTABLE_MAX_DT_ARRAY_SIZE

// One data slot of an entry (12 bytes): a frequency counter, a 32-bit counter (curr_ctr)
// or a 64-bit one (curr_ctr low, prev_ctr high).
struct frq {
    uint32_t curr_tick; // start of the current period (ms, low 32 bits of the clock)
    uint32_t curr_ctr;
    uint32_t prev_ctr;
};

// What a table stores: for each data type its first slot (-1: not stored), its element
// count and its period (rates, ms).
struct layout {
    int32_t slot[NDT];
    uint32_t nelem[NDT];
    uint32_t period[NDT];
    uint32_t nslots;
    layout();
    bool has(uint32_t d) const { return slot[d] >= 0; }
};

// Parses a "store" list ("gpc0,http_req_rate(10s),gpc(3),gpc_rate(2,1m)") into <l>.
// <parse_ms> reads a time with units into ms (false if malformed). Returns "" or the error
// (HAProxy's wording); <warn> gets a warning for a repeated type.
std::string parse_store(const std::string& list, layout& l, bool (*parse_ms)(const std::string&, uint64_t*),
                        std::string* warn);

// The data type named <n> (NDT if none).
uint32_t dtype_by_name(const std::string& n);

// HAProxy's period frequency counter.
void frq_rotate(frq* f, uint32_t period, uint32_t now);
void frq_add(frq* f, uint32_t period, uint32_t now, uint32_t n);
uint32_t frq_read(const frq* f, uint32_t period, uint32_t now);

inline uint64_t ull_get(const frq* f) { return uint64_t(f->curr_ctr) | (uint64_t(f->prev_ctr) << 32); }
inline void ull_set(frq* f, uint64_t v)
{
    f->curr_ctr = uint32_t(v);
    f->prev_ctr = uint32_t(v >> 32);
}

} // namespace stick
