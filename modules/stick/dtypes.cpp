// SPDX-License-Identifier: MIT
// Stick table data types, the "store" list parser, entry layout, frequency counters.
#include "dtypes.hpp"

#include <stdlib.h>

namespace stick {

const dtype k_dtypes[NDT] = {
    {"server_id", ST_SINT, false},      {"gpt0", ST_UINT, false},
    {"gpc0", ST_UINT, false},           {"gpc0_rate", ST_FRQ, false},
    {"conn_cnt", ST_UINT, false},       {"conn_rate", ST_FRQ, false},
    {"conn_cur", ST_UINT, false},       {"sess_cnt", ST_UINT, false},
    {"sess_rate", ST_FRQ, false},       {"http_req_cnt", ST_UINT, false},
    {"http_req_rate", ST_FRQ, false},   {"http_err_cnt", ST_UINT, false},
    {"http_err_rate", ST_FRQ, false},   {"bytes_in_cnt", ST_ULL, false},
    {"bytes_in_rate", ST_FRQ, false},   {"bytes_out_cnt", ST_ULL, false},
    {"bytes_out_rate", ST_FRQ, false},  {"gpc1", ST_UINT, false},
    {"gpc1_rate", ST_FRQ, false},       {"server_key", ST_DICT, false},
    {"http_fail_cnt", ST_UINT, false},  {"http_fail_rate", ST_FRQ, false},
    {"gpt", ST_UINT, true},             {"gpc", ST_UINT, true},
    {"gpc_rate", ST_FRQ, true},
};

layout::layout() : nslots(0)
{
    for (uint32_t d = 0; d < NDT; d++) {
        slot[d] = -1;
        nelem[d] = 0;
        period[d] = 0;
    }
}

uint32_t dtype_by_name(const std::string& n)
{
    for (uint32_t d = 0; d < NDT; d++)
        if (n == k_dtypes[d].name)
            return d;
    return NDT;
}

namespace {

// Levenshtein distance, for "did you mean".
size_t distance(const std::string& a, const std::string& b)
{
    size_t prev[64], cur[64];
    if (a.size() > 60 || b.size() > 60)
        return 99;
    for (size_t j = 0; j <= b.size(); j++)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); j++) {
            size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c)
                c = prev[j] + 1;
            if (cur[j - 1] + 1 < c)
                c = cur[j - 1] + 1;
            cur[j] = c;
        }
        for (size_t j = 0; j <= b.size(); j++)
            prev[j] = cur[j];
    }
    return prev[b.size()];
}

bool parse_uint(const std::string& s, uint32_t* out)
{
    if (s.empty() || s.size() > 9)
        return false;
    uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + uint32_t(c - '0');
    }
    *out = v;
    return true;
}

} // namespace

std::string parse_store(const std::string& list, layout& l, bool (*parse_ms)(const std::string&, uint64_t*),
                        std::string* warn)
{
    size_t p = 0;
    while (p < list.size()) {
        // one item: a name, optionally "(a)" or "(a,b)"
        size_t q = p;
        while (q < list.size() && list[q] != ',' && list[q] != '(')
            q++;
        std::string name = list.substr(p, q - p), a1, a2;
        bool args = false;
        if (q < list.size() && list[q] == '(') {
            args = true;
            size_t c = list.find(')', q);
            if (c == std::string::npos)
                return "missing closing parenthesis after store option '" + name + "'.";
            std::string in = list.substr(q + 1, c - q - 1);
            size_t comma = in.find(',');
            a1 = in.substr(0, comma);
            if (comma != std::string::npos)
                a2 = in.substr(comma + 1);
            q = c + 1;
            while (q < list.size() && list[q] != ',')
                q++;
        }
        p = q + 1;
        uint32_t d = dtype_by_name(name);
        if (d == NDT) {
            std::string best;
            size_t bd = 4;
            for (const dtype& t : k_dtypes) {
                size_t x = distance(name, t.name);
                if (x < bd) {
                    bd = x;
                    best = t.name;
                }
            }
            return "unknown store option '" + name + "'" +
                   (best.empty() ? std::string(".") : " (did you mean '" + best + "'?).");
        }
        if (l.has(d)) {
            if (warn)
                *warn = "store option '" + name + "' already enabled, ignored.";
            continue;
        }
        const dtype& t = k_dtypes[d];
        uint32_t n = 1, per = 0;
        std::string perarg = a1;
        if (t.array) {
            if (!args || a1.empty())
                return "missing argument to store option '" + name + "'.";
            if (!parse_uint(a1, &n) || !n || n > k_max_array)
                return "array size is out of allowed range (1-" + std::to_string(k_max_array) +
                       ") for store option '" + name + "'.";
            perarg = a2;
        } else if (!a2.empty()) {
            return "unexpected argument to store option '" + name + "'.";
        }
        if (t.st == ST_FRQ) {
            uint64_t ms = 0;
            if (perarg.empty())
                return "missing argument to store option '" + name + "'.";
            if (!parse_ms(perarg, &ms) || ms > 0x7fffffff)
                return "error when processing store option '" + name + "'.";
            per = uint32_t(ms);
        } else if (!perarg.empty() || (args && !t.array)) {
            return "unexpected argument to store option '" + name + "'.";
        }
        l.slot[d] = int32_t(l.nslots);
        l.nelem[d] = n;
        l.period[d] = per;
        l.nslots += n;
    }
    if (l.has(DT_GPT) && l.has(DT_GPT0))
        return "simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.";
    if (l.has(DT_GPC) && (l.has(DT_GPC0) || l.has(DT_GPC1)))
        return "simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.";
    if (l.has(DT_GPC_RATE) && (l.has(DT_GPC0_RATE) || l.has(DT_GPC1_RATE)))
        return "simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.";
    return "";
}

void frq_rotate(frq* f, uint32_t period, uint32_t now)
{
    uint32_t el = now - f->curr_tick;
    if (el < period)
        return;
    f->prev_ctr = el < 2 * period ? f->curr_ctr : 0;
    f->curr_ctr = 0;
    // the next period follows the last one, or starts now when two or more went by without
    // an event (a new counter's first period starts at its first event), as HAProxy does
    f->curr_tick = el < 2 * period ? f->curr_tick + period : now;
}

void frq_add(frq* f, uint32_t period, uint32_t now, uint32_t n)
{
    frq_rotate(f, period, now);
    f->curr_ctr += n;
}

uint32_t frq_read(const frq* f0, uint32_t period, uint32_t now)
{
    frq f = *f0;
    frq_rotate(&f, period, now);
    uint32_t remain = f.curr_tick + period - now;
    if (!f.curr_ctr && f.prev_ctr <= 1) // HAProxy's correction at very low rates: no flapping
        return f.prev_ctr;                // between 1 and 0 while waiting for the next event
    return f.curr_ctr + uint32_t((uint64_t(f.prev_ctr) * remain) / period);
}

} // namespace stick
