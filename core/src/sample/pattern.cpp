// SPDX-License-Identifier: MIT
// ACL and map patterns: parsing per match method, PCRE2 regexes, pattern files, and the
// allocation-free matching functions.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <pcre2.h>
#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cfg/units.hpp"
#include "sample/sample_int.hpp"

namespace portico {
namespace smp {

// ---- regexes --------------------------------------------------------------------------------

struct regex {
    pcre2_code* code = nullptr;
    bool jit = false;
    int captures = 0;
};

namespace {

pcre2_match_data* g_md;          // shared by every match of this process (single-threaded)
constexpr int k_max_pairs = 32;

inline char lc(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool ieq(const char* a, const char* b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lc(a[i]) != b[i])
            return false;
    return true;
}

bool eq(const char* a, const char* b, size_t n, bool icase)
{
    return icase ? ieq(a, b, n) : std::memcmp(a, b, n) == 0;
}

} // namespace

regex* regex_compile(std::string_view re, bool icase, std::string& err)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code* code = pcre2_compile((PCRE2_SPTR)re.data(), re.size(),
                                     icase ? PCRE2_CASELESS : 0, &ec, &off, nullptr);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        err = "invalid regex '" + std::string(re) + "' at offset " + std::to_string(off) + ": " +
              reinterpret_cast<char*>(msg);
        return nullptr;
    }
    auto* r = new regex;
    r->code = code;
    r->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    uint32_t cap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
    r->captures = (int)cap;
    if (!g_md)
        g_md = pcre2_match_data_create(k_max_pairs, nullptr);
    return r;
}

int regex_captures(const regex* r) { return r->captures; }

int regex_exec(const regex* r, const char* subject, size_t len, size_t start, long* ov, int ovn)
{
    int rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)subject, len, start, 0, g_md, nullptr)
                    : pcre2_match(r->code, (PCRE2_SPTR)subject, len, start, 0, g_md, nullptr);
    if (rc < 0)
        return 0;
    if (rc == 0)
        rc = k_max_pairs;
    if (ov) {
        PCRE2_SIZE* v = pcre2_get_ovector_pointer(g_md);
        for (int i = 0; i < ovn; i++) {
            if (i < rc && v[2 * i] != PCRE2_UNSET) {
                ov[2 * i] = (long)v[2 * i];
                ov[2 * i + 1] = (long)v[2 * i + 1];
            } else {
                ov[2 * i] = ov[2 * i + 1] = -1;
            }
        }
    }
    return rc;
}

// ---- match methods -----------------------------------------------------------------------------

const char* match_name(match m)
{
    static const char* const n[] = {"found", "bool", "int", "ip",  "str", "beg",
                                    "end",   "sub",  "reg", "dom", "dir", "len"};
    return n[(int)m];
}

bool match_from_name(std::string_view n, match& m)
{
    for (int i = 0; i <= (int)match::len; i++)
        if (n == match_name((match)i)) {
            m = (match)i;
            return true;
        }
    if (n == "bin") { // binary patterns compare like strings here
        m = match::str;
        return true;
    }
    return false;
}

uint32_t match_input_type(match m)
{
    switch (m) {
    case match::found:
        return PTC_SMP_ANY;
    case match::boolean:
        return PTC_SMP_BOOL;
    case match::integer:
        return PTC_SMP_SINT;
    case match::ip:
        return PTC_SMP_IPV6; // IPv4 samples are matched as they are
    default:
        return PTC_SMP_STR;
    }
}

namespace {

bool parse_int(std::string_view t, int64_t& v)
{
    return cfg::parse_int(t, -INT64_MAX, INT64_MAX, v);
}

// "major[.minor]" as HAProxy's dotted versions (req.ssl_ver): major * 65536 + minor, each
// below 65536.
bool parse_dotted(std::string_view t, int64_t& v, std::string& err)
{
    size_t dot = t.find('.');
    int64_t maj, min = 0;
    std::string_view a = t.substr(0, dot);
    if (a.empty() || !cfg::parse_int(a, 0, INT64_MAX, maj) ||
        (dot != std::string_view::npos && !cfg::parse_int(t.substr(dot + 1), 0, INT64_MAX, min))) {
        err = "'" + std::string(t) + "' is not a dotted number";
        return false;
    }
    if (maj > 65535 || min > 65535) {
        err = "'" + std::string(t) + "' contains too large a " +
              (maj > 65535 ? "major" : "minor") + " value";
        return false;
    }
    v = maj * 65536 + min;
    return true;
}

bool parse_range(std::string_view t, std::string_view op, pattern& p, std::string& err,
                 bool dotted)
{
    std::string derr; // a dotted number's own complaint
    auto num = [&](std::string_view x, int64_t& v) {
        return dotted ? parse_dotted(x, v, derr) : parse_int(x, v);
    };
    if (!op.empty()) {
        int64_t v;
        if (!num(t, v)) {
            err = derr.empty() ? "'" + std::string(t) + "' is not a number" : derr;
            return false;
        }
        if (op == "eq") {
            p.lo = p.hi = v;
            p.has_lo = p.has_hi = true;
        } else if (op == "ge") {
            p.lo = v;
            p.has_lo = true;
        } else if (op == "gt") {
            p.lo = v + 1;
            p.has_lo = true;
        } else if (op == "le") {
            p.hi = v;
            p.has_hi = true;
        } else if (op == "lt") {
            p.hi = v - 1;
            p.has_hi = true;
        }
        return true;
    }
    size_t colon = t.find(':');
    if (colon == std::string_view::npos) {
        if (!num(t, p.lo)) {
            err = derr.empty() ? "'" + std::string(t) + "' is not a number or a range" : derr;
            return false;
        }
        p.hi = p.lo;
        p.has_lo = p.has_hi = true;
        return true;
    }
    std::string_view a = t.substr(0, colon), b = t.substr(colon + 1);
    if ((!a.empty() && !num(a, p.lo)) || (!b.empty() && !num(b, p.hi)) ||
        (a.empty() && b.empty())) {
        err = derr.empty() ? "'" + std::string(t) + "' is not a valid range ('<min>:<max>')"
                           : derr;
        return false;
    }
    p.has_lo = !a.empty();
    p.has_hi = !b.empty();
    return true;
}

} // namespace

bool parse_ip_mask(std::string_view t, pattern& p, bool allow_mask)
{
    std::string s(t);
    std::string mask;
    size_t slash = s.find('/');
    if (slash != std::string::npos) {
        if (!allow_mask)
            return false;
        mask = s.substr(slash + 1);
        s.resize(slash);
    }
    uint8_t a[16];
    if (inet_pton(AF_INET, s.c_str(), a) == 1) {
        p.family = 4;
        std::memcpy(p.addr, a, 4);
        p.bits = 32;
        if (!mask.empty()) {
            int64_t b;
            if (parse_int(mask, b)) {
                if (b < 0 || b > 32)
                    return false;
                p.bits = (uint8_t)b;
            } else {
                uint8_t m[4];
                if (inet_pton(AF_INET, mask.c_str(), m) != 1)
                    return false;
                uint32_t v = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) |
                             ((uint32_t)m[2] << 8) | m[3];
                int bits = 0;
                while (bits < 32 && (v & (0x80000000u >> bits)))
                    bits++;
                if (bits < 32 && (v << bits) != 0)
                    return false; // not contiguous
                p.bits = (uint8_t)bits;
            }
        }
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), a) == 1) {
        p.family = 6;
        std::memcpy(p.addr, a, 16);
        p.bits = 128;
        if (!mask.empty()) {
            int64_t b;
            if (!parse_int(mask, b) || b < 0 || b > 128)
                return false;
            p.bits = (uint8_t)b;
        }
        return true;
    }
    return false;
}

namespace {

void insert_len(std::vector<uint32_t>& v, uint32_t n)
{
    auto it = std::lower_bound(v.begin(), v.end(), n, std::greater<uint32_t>());
    if (it == v.end() || *it != n)
        v.insert(it, n);
}

void insert_bits(std::vector<uint8_t>& v, uint8_t n)
{
    auto it = std::lower_bound(v.begin(), v.end(), n, std::greater<uint8_t>());
    if (it == v.end() || *it != n)
        v.insert(it, n);
}

// Key of an address masked to <bits>: one byte of length then the address bytes.
size_t ip_key(char* key, const uint8_t* addr, size_t alen, uint8_t bits)
{
    key[0] = (char)bits;
    size_t full = bits / 8, rest = bits % 8;
    std::memcpy(key + 1, addr, full);
    size_t n = 1 + full;
    if (rest && full < alen)
        key[n++] = (char)(addr[full] & (uint8_t)(0xff << (8 - rest)));
    return n;
}

// Adds <pos> under <key>: the first of equal keys stays the head, the others are chained.
void idx_add(pattern_list& l, sv_index& ix, std::string_view key, uint32_t pos, int slot)
{
    auto it = ix.find(key);
    if (it == ix.end()) {
        ix.emplace(std::string(key), pos);
        return;
    }
    uint32_t c = it->second;
    while (l.pats[c].next[slot] != k_no_pos)
        c = l.pats[c].next[slot];
    l.pats[c].next[slot] = pos;
}

void idx_del(pattern_list& l, sv_index& ix, std::string_view key, uint32_t pos, int slot)
{
    auto it = ix.find(key);
    if (it == ix.end())
        return;
    uint32_t nx = l.pats[pos].next[slot];
    if (it->second == pos) {
        if (nx == k_no_pos)
            ix.erase(it);
        else
            it->second = nx;
        return;
    }
    for (uint32_t c = it->second; c != k_no_pos; c = l.pats[c].next[slot])
        if (l.pats[c].next[slot] == pos) {
            l.pats[c].next[slot] = nx;
            return;
        }
}

void ip_index(pattern_list& l, int fam, const uint8_t* addr, uint8_t bits, uint32_t pos, bool add)
{
    char key[20];
    size_t n = ip_key(key, addr, fam == 0 ? 4 : 16, bits);
    if (add) {
        idx_add(l, l.ipidx[fam], std::string_view(key, n), pos, fam);
        insert_bits(l.ip_bits[fam], bits);
    } else {
        idx_del(l, l.ipidx[fam], std::string_view(key, n), pos, fam);
    }
}

const uint8_t k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Adds pattern <pos> of <l> to (or removes it from) its index, when its method has one.
void index_pos(pattern_list& l, uint32_t pos, bool add)
{
    const pattern& p = l.pats[pos];
    if (l.m == match::str) {
        if (add)
            idx_add(l, l.exact, p.s, pos, 0);
        else
            idx_del(l, l.exact, p.s, pos, 0);
    } else if (l.m == match::beg && !l.icase) {
        if (add) {
            idx_add(l, l.prefix, p.s, pos, 0);
            insert_len(l.prefix_lens, (uint32_t)p.s.size());
        } else {
            idx_del(l, l.prefix, p.s, pos, 0);
        }
    } else if (l.m == match::ip) {
        if (p.family == 4) {
            ip_index(l, 0, p.addr, p.bits, pos, add);
            uint8_t m6[16];
            std::memcpy(m6, k_mapped, 12);
            std::memcpy(m6 + 12, p.addr, 4);
            ip_index(l, 1, m6, (uint8_t)(p.bits + 96), pos, add);
        } else {
            ip_index(l, 1, p.addr, p.bits, pos, add);
            if (p.bits >= 96 && std::memcmp(p.addr, k_mapped, 12) == 0)
                ip_index(l, 0, p.addr + 12, (uint8_t)(p.bits - 96), pos, add);
        }
    }
}

} // namespace

bool pattern_parse(const pattern_list& l, std::string_view text, std::string_view op, pattern& p,
                   std::string& err)
{
    switch (l.m) {
    case match::found:
    case match::boolean:
        err = std::string("match method '") + match_name(l.m) + "' takes no pattern (got '" +
              std::string(text) + "')";
        return false;
    case match::integer:
    case match::len:
        if (!parse_range(text, op, p, err, l.dotted && l.m == match::integer))
            return false;
        break;
    case match::ip:
        if (!parse_ip_mask(text, p, true)) {
            err = "'" + std::string(text) + "' is not a valid IPv4 or IPv6 address or network";
            return false;
        }
        break;
    case match::reg:
        p.re = regex_compile(text, l.icase, err);
        if (!p.re)
            return false;
        break;
    case match::dom:
    case match::dir: {
        // delimiters around the pattern are not part of the word
        const char* delims = l.m == match::dom ? "/?.:" : "/?";
        size_t b = 0, e = text.size();
        while (b < e && std::strchr(delims, text[b]))
            b++;
        while (e > b && std::strchr(delims, text[e - 1]))
            e--;
        p.s.assign(text.substr(b, e - b));
        if (l.icase)
            for (char& c : p.s)
                c = lc(c);
        break;
    }
    default:
        if (l.bin && l.m == match::str) {
            // hex digits, two per byte, as HAProxy's "-m bin"
            auto hx = [](char c) {
                return c >= '0' && c <= '9'   ? c - '0'
                       : c >= 'a' && c <= 'f' ? c - 'a' + 10
                       : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
            };
            if (text.size() % 2) {
                err = "'" + std::string(text) + "' is not a hex string (odd length)";
                return false;
            }
            p.s.clear();
            for (size_t i = 0; i < text.size(); i += 2) {
                int a = hx(text[i]), b = hx(text[i + 1]);
                if (a < 0 || b < 0) {
                    err = "'" + std::string(text) + "' is not a hex string";
                    return false;
                }
                p.s.push_back((char)(a * 16 + b));
            }
            break;
        }
        p.s.assign(text);
        if (l.icase)
            for (char& c : p.s)
                c = lc(c);
        break;
    }
    if (!op.empty() && l.m != match::integer && l.m != match::len) {
        err = "operator '" + std::string(op) + "' only applies to integer matches";
        return false;
    }
    return true;
}

void pattern_push(pattern_list& l, pattern&& p)
{
    l.pats.push_back(std::move(p));
    pattern& b = l.pats.back();
    if (b.value.type == PTC_SMP_STR && l.out_type)
        b.value.u.str = ptc_str{b.value_str.data(), b.value_str.size()};
    if (!b.dead)
        index_pos(l, (uint32_t)(l.pats.size() - 1), true);
}

void pattern_del(pattern_list& l, uint32_t pos)
{
    if (pos >= l.pats.size() || l.pats[pos].dead)
        return;
    index_pos(l, pos, false);
    l.pats[pos].dead = true;
}

void pattern_clear(pattern_list& l)
{
    // the previous patterns stay allocated until the next clear: a request may still hold
    // a map value taken from them
    static std::deque<std::deque<pattern>> s_old;
    if (s_old.size() > 1)
        s_old.pop_front();
    s_old.push_back(std::move(l.pats));
    l.pats = std::deque<pattern>();
    l.exact.clear();
    l.prefix.clear();
    l.prefix_lens.clear();
    for (int f = 0; f < 2; f++) {
        l.ipidx[f].clear();
        l.ip_bits[f].clear();
    }
}

bool pattern_add(pattern_list& l, std::string_view text, std::string_view op, std::string& err)
{
    pattern p;
    if (!pattern_parse(l, text, op, p, err))
        return false;
    pattern_push(l, std::move(p));
    return true;
}

bool pattern_parse_value(uint32_t out_type, std::string_view val, pattern& p, std::string& err)
{
    p.value_str.assign(val);
    ptc_sample& v = p.value;
    if (out_type == PTC_SMP_SINT) {
        if (!parse_int(val, v.u.sint)) {
            err = "'" + std::string(val) + "' is not an integer";
            return false;
        }
        v.type = PTC_SMP_SINT;
    } else if (out_type == PTC_SMP_IPV4) {
        pattern tmp;
        if (!parse_ip_mask(val, tmp, false)) {
            err = "'" + std::string(val) + "' is not an IP address";
            return false;
        }
        if (tmp.family == 4) {
            v.type = PTC_SMP_IPV4;
            std::memcpy(v.u.ipv4, tmp.addr, 4);
        } else {
            v.type = PTC_SMP_IPV6;
            std::memcpy(v.u.ipv6, tmp.addr, 16);
        }
    } else {
        v.type = PTC_SMP_STR;
        v.u.str = ptc_str{p.value_str.data(), p.value_str.size()};
    }
    v.flags = PTC_SMPF_CONST;
    return true;
}

bool pattern_file_read(const std::string& path, bool kv,
                       const std::function<bool(int, std::string_view, std::string_view)>& fn,
                       std::string& err)
{
    std::ifstream in(path);
    if (!in) {
        err = "failed to open pattern file '" + path + "': " + std::strerror(errno);
        return false;
    }
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        n++;
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
            line.pop_back();
        size_t b = 0;
        while (b < line.size() && (line[b] == ' ' || line[b] == '\t'))
            b++;
        if (b == line.size() || line[b] == '#')
            continue;
        std::string_view rest(line);
        rest.remove_prefix(b);
        std::string_view key = rest, val;
        if (kv) {
            size_t e = 0;
            while (e < rest.size() && rest[e] != ' ' && rest[e] != '\t')
                e++;
            key = rest.substr(0, e);
            while (e < rest.size() && (rest[e] == ' ' || rest[e] == '\t'))
                e++;
            val = rest.substr(e);
            while (!val.empty() && (val.back() == ' ' || val.back() == '\t'))
                val.remove_suffix(1);
        }
        if (!fn(n, key, val))
            return false;
    }
    return true;
}

bool pattern_load_file(pattern_list& l, const std::string& path, bool map, uint32_t out_type,
                       std::string& err)
{
    return pattern_file_read(path, map, [&](int n, std::string_view key, std::string_view val) {
        pattern p;
        if (!pattern_parse(l, key, "", p, err) ||
            (map && !pattern_parse_value(out_type, val, p, err))) {
            err = path + ":" + std::to_string(n) + ": " + err;
            return false;
        }
        uint32_t keep = l.out_type;
        l.out_type = map ? out_type : 0;
        pattern_push(l, std::move(p));
        l.out_type = keep;
        return true;
    }, err);
}

// ---- matching ---------------------------------------------------------------------------------

namespace {

bool word_match(const char* s, size_t n, const std::string& w, const char* delims, bool icase)
{
    size_t wl = w.size();
    if (wl == 0)
        return false;
    for (size_t i = 0; i + wl <= n; i++) {
        if (i > 0 && !std::strchr(delims, s[i - 1]))
            continue;
        if (i + wl < n && !std::strchr(delims, s[i + wl]))
            continue;
        if (eq(s + i, w.data(), wl, icase))
            return true;
    }
    return false;
}

bool sub_match(const char* s, size_t n, const std::string& w, bool icase)
{
    size_t wl = w.size();
    if (wl > n)
        return false;
    if (!icase)
        return wl == 0 || memmem(s, n, w.data(), wl) != nullptr;
    for (size_t i = 0; i + wl <= n; i++)
        if (ieq(s + i, w.data(), wl))
            return true;
    return false;
}

bool range_match(const pattern& p, int64_t v)
{
    return (!p.has_lo || v >= p.lo) && (!p.has_hi || v <= p.hi);
}

const pattern k_true_pattern{};

} // namespace

const pattern* pattern_match(const pattern_list& l, ptc_sample* smp)
{
    if (l.ref)
        patref_check(); // another process changed the shared reference
    switch (l.m) {
    case match::found:
        return &k_true_pattern;
    case match::boolean:
        if (smp->type != PTC_SMP_BOOL && !sample_cast(smp, PTC_SMP_BOOL))
            return nullptr;
        return smp->u.sint ? &k_true_pattern : nullptr;
    case match::integer:
        if (smp->type != PTC_SMP_SINT && !sample_cast(smp, PTC_SMP_SINT))
            return nullptr;
        for (const pattern& p : l.pats)
            if (!p.dead && range_match(p, smp->u.sint))
                return &p;
        return nullptr;
    case match::ip: {
        if (smp->type != PTC_SMP_IPV4 && smp->type != PTC_SMP_IPV6) {
            if (!sample_cast(smp, PTC_SMP_IPV4) && !sample_cast(smp, PTC_SMP_IPV6))
                return nullptr;
        }
        // longest prefix first, as HAProxy's tree
        const int fam = smp->type == PTC_SMP_IPV4 ? 0 : 1;
        const uint8_t* a = fam == 0 ? smp->u.ipv4 : smp->u.ipv6;
        char key[20];
        for (uint8_t bits : l.ip_bits[fam]) {
            size_t n = ip_key(key, a, fam == 0 ? 4 : 16, bits);
            auto it = l.ipidx[fam].find(std::string_view(key, n));
            if (it != l.ipidx[fam].end())
                return &l.pats[it->second];
        }
        return nullptr;
    }
    default:
        break;
    }
    if (smp->type != PTC_SMP_STR && smp->type != PTC_SMP_METH &&
        (smp->type != PTC_SMP_BIN || !l.bin) && !sample_cast(smp, PTC_SMP_STR))
        return nullptr; // (a binary sample matched as a string stops at a NUL byte, as HAProxy)
    const char* s = smp->u.str.ptr;
    size_t n = smp->u.str.len;
    bool ic = l.icase;
    if (l.m == match::str) {
        static char lbuf[8192]; // -i: the lower-cased sample (one match at a time)
        std::string_view k(s, n);
        if (ic && n > sizeof(lbuf)) {
            for (const pattern& p : l.pats) // very long samples: compared one by one
                if (!p.dead && p.s.size() == n && eq(s, p.s.data(), n, true))
                    return &p;
            return nullptr;
        }
        if (ic) {
            for (size_t i = 0; i < n; i++)
                lbuf[i] = lc(s[i]);
            k = std::string_view(lbuf, n);
        }
        auto it = l.exact.find(k);
        return it == l.exact.end() ? nullptr : &l.pats[it->second];
    }
    if (l.m == match::beg && !ic) {
        for (uint32_t pl : l.prefix_lens) {
            if (pl > n)
                continue;
            auto it = l.prefix.find(std::string_view(s, pl));
            if (it != l.prefix.end())
                return &l.pats[it->second];
        }
        return nullptr;
    }
    for (const pattern& p : l.pats) {
        if (p.dead)
            continue;
        size_t pl = p.s.size();
        switch (l.m) {
        case match::str:
            if (pl == n && eq(s, p.s.data(), n, ic))
                return &p;
            break;
        case match::beg:
            if (pl <= n && eq(s, p.s.data(), pl, ic))
                return &p;
            break;
        case match::end:
            if (pl <= n && eq(s + n - pl, p.s.data(), pl, ic))
                return &p;
            break;
        case match::sub:
            if (sub_match(s, n, p.s, ic))
                return &p;
            break;
        case match::dom:
            if (word_match(s, n, p.s, "/?.:", ic))
                return &p;
            break;
        case match::dir:
            if (word_match(s, n, p.s, "/?", ic))
                return &p;
            break;
        case match::reg:
            if (regex_exec(p.re, s, n, 0, nullptr, 0))
                return &p;
            break;
        case match::len:
            if (range_match(p, (int64_t)n))
                return &p;
            break;
        default:
            return nullptr;
        }
    }
    return nullptr;
}

} // namespace smp
} // namespace portico
