// SPDX-License-Identifier: MIT
// Captures and unique ids: the per-stream block of captured values (headers, cookies,
// "http-request capture" samples) and the unique id, the "capture" actions, the
// capture.req.hdr / capture.res.hdr / unique-id fetches and the host functions modules use.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "log/log.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "sample/sample.hpp"
#include "sample/sample_host.hpp"
#include "stream/stream-t.hpp"

namespace portico::log {

namespace {

const char k_hex[] = "0123456789ABCDEF";

bool hdr_encoded(unsigned char ch)
{
    return ch < 32 || ch >= 127 || ch == '"' || ch == '#' || ch == '{' || ch == '|' ||
           ch == '}';
}

// Block layout: int32_t lengths[nlens] (-1: nothing captured), then the values.
int32_t* lens_of(void* blk) { return static_cast<int32_t*>(blk); }

const cap_conf* conf_of(const stream* s)
{
    const proxy_log* pl = s && s->fe ? s->fe->logs.get() : nullptr;
    return pl && pl->caps.block ? &pl->caps : nullptr;
}

void* block_of(stream* s, bool create)
{
    if (s->caps || !create)
        return s->caps;
    proxy_log* pl = s->fe ? s->fe->logs.get() : nullptr;
    if (!pl || !pl->caps.block)
        return nullptr;
    cap_conf& cc = pl->caps;
    void* b = cc.free_list;
    if (b) {
        std::memcpy(&cc.free_list, b, sizeof(void*));
    } else {
        b = std::malloc(cc.block);
        if (!b)
            return nullptr;
    }
    int32_t* l = lens_of(b);
    for (uint32_t i = 0; i < cc.nlens; i++)
        l[i] = -1;
    s->caps = b;
    return b;
}

uint32_t off_of(const cap_conf& cc, uint32_t lidx, uint32_t& max)
{
    uint32_t nreq = (uint32_t)cc.slots[0].size(), nres = (uint32_t)cc.slots[1].size();
    if (lidx < nreq) {
        max = cc.slots[0][lidx].len;
        return cc.slots[0][lidx].off;
    }
    if (lidx < nreq + nres) {
        max = cc.slots[1][lidx - nreq].len;
        return cc.slots[1][lidx - nreq].off;
    }
    if (lidx < nreq + nres + 2) {
        max = cc.cookie_len;
        return cc.cookie_off[lidx - nreq - nres];
    }
    max = k_uid_max;
    return cc.uid_off;
}

} // namespace

size_t cap_encode(const char* s, size_t n, bool esc, char* out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (hdr_encoded(ch)) {
            if (o + 3 > cap)
                break;
            out[o++] = '#';
            out[o++] = k_hex[ch >> 4];
            out[o++] = k_hex[ch & 15];
        } else if (esc && (ch == '\\' || ch == ']')) {
            if (o + 2 > cap)
                break;
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else {
            if (o + 1 > cap)
                break;
            out[o++] = (char)ch;
        }
    }
    return o;
}

void cap_layout(proxy_log& pl)
{
    cap_conf& cc = pl.caps;
    if (cc.slots[0].empty() && cc.slots[1].empty() && cc.cookie.empty() && !pl.uid_fmt) {
        cc.block = 0;
        return;
    }
    cc.nlens = (uint32_t)(cc.slots[0].size() + cc.slots[1].size()) + 3;
    uint32_t off = (uint32_t)(cc.nlens * sizeof(int32_t));
    off = (off + 7u) & ~7u;
    if (off < sizeof(void*))
        off = sizeof(void*); // the free list link
    for (auto& v : cc.slots)
        for (cap_slot& sl : v) {
            sl.off = off;
            off += sl.len;
        }
    for (int d = 0; d < 2; d++) {
        cc.cookie_off[d] = off;
        off += cc.cookie_len;
    }
    cc.uid_off = off;
    off += k_uid_max;
    cc.block = off;
}

bool cap_get(const cap_conf& cc, const unsigned char* blk, uint32_t lidx, ptc_str& out)
{
    if (!blk || lidx >= cc.nlens)
        return false;
    int32_t l;
    std::memcpy(&l, blk + lidx * sizeof(int32_t), sizeof(l));
    if (l < 0)
        return false;
    uint32_t max;
    out = ptc_str{reinterpret_cast<const char*>(blk) + off_of(cc, lidx, max), (size_t)l};
    return true;
}

void cap_set(stream* s, uint32_t lidx, const char* v, size_t n)
{
    const cap_conf* cc = conf_of(s);
    if (!cc || lidx >= cc->nlens)
        return;
    void* b = block_of(s, true);
    if (!b)
        return;
    uint32_t max;
    uint32_t off = off_of(*cc, lidx, max);
    if (n > max)
        n = max;
    // a value stops at a NUL byte, as HAProxy's C strings
    if (const void* z = std::memchr(v, 0, n))
        n = (size_t)(static_cast<const char*>(z) - v);
    std::memcpy(static_cast<char*>(b) + off, v, n);
    lens_of(b)[lidx] = (int32_t)n;
}

void cap_txn_end(stream* s)
{
    if (!s->caps)
        return;
    const cap_conf* cc = conf_of(s);
    if (!cc)
        return;
    int32_t* l = lens_of(s->caps);
    for (uint32_t i = 0; i < cc->nlens; i++)
        l[i] = -1;
}

void cap_release(stream* s)
{
    if (!s->caps)
        return;
    proxy_log* pl = s->fe ? s->fe->logs.get() : nullptr;
    if (pl && pl->caps.block) {
        std::memcpy(s->caps, &pl->caps.free_list, sizeof(void*));
        pl->caps.free_list = s->caps;
    } else {
        std::free(s->caps);
    }
    s->caps = nullptr;
}

bool unique_id(stream* s, const log_ctx* c, ptc_str& out)
{
    proxy_log* pl = s && s->fe ? s->fe->logs.get() : nullptr;
    if (!pl || !pl->uid_fmt || !pl->caps.block)
        return false;
    const cap_conf& cc = pl->caps;
    uint32_t li = cc.uid_lidx();
    if (cap_get(cc, static_cast<const unsigned char*>(s->caps), li, out))
        return true;
    void* b = block_of(s, true);
    if (!b)
        return false;
    char* dst = static_cast<char*>(b) + cc.uid_off;
    size_t n;
    if (c) {
        n = logfmt_render(pl->uid_fmt, *c, dst, k_uid_max);
    } else {
        n = host_logfmt_eval(reinterpret_cast<ptc_stream*>(s), pl->uid_fmt, dst, k_uid_max);
    }
    lens_of(b)[li] = (int32_t)n;
    out = ptc_str{dst, n};
    return true;
}

// ---- actions: http-request / http-response / tcp-request content capture ---------------------

namespace {

struct cap_act {
    ptc_expr* expr;
    uint32_t dir;
    uint32_t slot; // index in the frontend's slots of <dir>
};

bool is_fe(const ptc_kw_ctx* c)
{
    return (c->section & PTC_SEC_FRONTEND) != 0;
}

template <uint32_t RS>
int act_capture_parse(const ptc_kw_ctx* c, uint32_t first, uint32_t* next, void** state)
{
    const uint32_t dir = RS == PTC_RULES_HTTP_RES ? PTC_DIR_RES : PTC_DIR_REQ;
    const char* what = RS == PTC_RULES_HTTP_RES   ? "http-response capture"
                       : RS == PTC_RULES_HTTP_REQ ? "http-request capture"
                                                  : "tcp-request content capture";
    auto word = [&](uint32_t i) { return i < c->argc ? kw_word(c, i) : std::string(); };
    std::string k = word(first + 1), n = word(first + 2);
    bool id = k == "id";
    if (word(first).empty() || (k != "len" && k != "id") || n.empty()) {
        std::string form = RS == PTC_RULES_HTTP_RES   ? "<sample> id <id>"
                           : RS == PTC_RULES_HTTP_REQ ? "<sample> [ len <length> | id <id> ]"
                                                      : "<sample> len <length>";
        return kw_error(c, std::string("'") + what + "' expects " + form);
    }
    if (RS == PTC_RULES_HTTP_RES && !id)
        return kw_error(c, "'http-response capture' expects 'id <id>' (a slot of 'declare "
                           "capture response'); 'len' is only for request captures");
    if (RS == PTC_RULES_TCP_REQ_CONTENT && id)
        return kw_error(c, "'tcp-request content capture' expects 'len <length>'");
    char* end = nullptr;
    long v = std::strtol(n.c_str(), &end, 10);
    if (*end || v < (id ? 0 : 1) || v > 65535)
        return kw_error(c, std::string("'") + what + "': invalid " + (id ? "id" : "length") +
                               " '" + n + "'");
    ptc_expr* e = host_expr_compile(c, c->args[first]);
    if (!e)
        return PTC_ERROR;
    proxy& p = *to_proxy(c->proxy);
    if (!p.logs)
        p.logs = std::make_shared<proxy_log>();
    cap_conf& cc = p.logs->caps;
    auto* a = new cap_act{e, dir, 0};
    if (!id) {
        // a defaults section declares the slot too: the frontends built from it inherit
        // it, numbered before their own (HAProxy 2.5+ rules in named defaults)
        if (!is_fe(c) && !(c->section & PTC_SEC_DEFAULTS)) {
            delete a;
            return kw_error(c, std::string("'") + what + " ... len' needs a proxy with a "
                               "frontend side (use 'id' with a slot the frontend declares)");
        }
        cap_slot sl;
        sl.len = (uint32_t)v;
        cc.slots[dir].push_back(sl);
        a->slot = (uint32_t)cc.slots[dir].size() - 1;
    } else {
        if (is_fe(c) && (size_t)v >= cc.slots[dir].size()) {
            delete a;
            return kw_error(c, std::string("'") + what + "': no capture id " + n +
                                   " declared before in this proxy (see 'declare capture')");
        }
        a->slot = (uint32_t)v;
    }
    *state = a;
    *next = first + 3;
    return PTC_OK;
}

int act_capture_exec(ptc_stream* ps, void* state)
{
    auto* a = static_cast<cap_act*>(state);
    stream* s = reinterpret_cast<stream*>(ps);
    const cap_conf* cc = conf_of(s);
    if (!cc || a->slot >= cc->slots[a->dir].size())
        return PTC_ACT_CONTINUE; // the frontend has no such slot: ignored, as HAProxy
    ptc_sample smp{};
    if (!smp::expr_eval(ps, a->expr, &smp))
        return PTC_ACT_CONTINUE;
    ptc_str t{nullptr, 0};
    if (!smp::sample_to_str(&smp, &t) || !t.ptr)
        return PTC_ACT_CONTINUE;
    cap_set(s, cc->lidx(a->dir, a->slot), t.ptr, t.len);
    return PTC_ACT_CONTINUE;
}

// ---- fetches ------------------------------------------------------------------------------------

template <uint32_t DIR>
int f_capture_hdr(ptc_stream* ps, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    stream* s = reinterpret_cast<stream*>(ps);
    const cap_conf* cc = conf_of(s);
    if (!cc || args[0].sint < 0 || (size_t)args[0].sint >= cc->slots[DIR].size())
        return 0;
    ptc_str v;
    if (!cap_get(*cc, static_cast<const unsigned char*>(s->caps),
                 cc->lidx(DIR, (uint32_t)args[0].sint), v))
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = v;
    return 1;
}

int check_idx(const ptc_kw_ctx* c, ptc_arg* args, uint32_t)
{
    const char* v = args[0].str.ptr;
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (!*v || *end || n < 0)
        return kw_error(c, std::string("invalid capture index '") + v + "'");
    args[0].sint = n;
    return PTC_OK;
}

int f_unique_id(ptc_stream* ps, const ptc_arg*, uint32_t, ptc_sample* out)
{
    ptc_str v;
    if (!unique_id(reinterpret_cast<stream*>(ps), nullptr, v))
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = v;
    return 1;
}

} // namespace

const ptc_action k_cap_actions[] = {
    {PTC_RULES_HTTP_REQ, "capture", act_capture_parse<PTC_RULES_HTTP_REQ>, act_capture_exec,
     "capture <sample> [ len <length> | id <id> ]"},
    {PTC_RULES_HTTP_RES, "capture", act_capture_parse<PTC_RULES_HTTP_RES>, act_capture_exec,
     "capture <sample> id <id>"},
    {PTC_RULES_TCP_REQ_CONTENT, "capture", act_capture_parse<PTC_RULES_TCP_REQ_CONTENT>,
     act_capture_exec, "capture <sample> len <length>"},
};
const uint32_t k_cap_action_count = sizeof(k_cap_actions) / sizeof(k_cap_actions[0]);

const ptc_fetch k_cap_fetches[] = {
    {"capture.req.hdr", PTC_SMP_STR, PTC_USE_ANY, 1, 1, f_capture_hdr<PTC_DIR_REQ>, check_idx,
     "capture.req.hdr(<idx>)"},
    {"capture.res.hdr", PTC_SMP_STR, PTC_USE_ANY, 1, 1, f_capture_hdr<PTC_DIR_RES>, check_idx,
     "capture.res.hdr(<idx>)"},
    {"unique-id", PTC_SMP_STR, PTC_USE_ANY, 0, 0, f_unique_id, nullptr, "unique-id"},
};
const uint32_t k_cap_fetch_count = sizeof(k_cap_fetches) / sizeof(k_cap_fetches[0]);

} // namespace portico::log

namespace portico {

// ---- host table (1.5) ------------------------------------------------------------------------

int host_proxy_capture_slot(const ptc_proxy* fe, uint32_t dir, uint32_t idx, ptc_str* hdr,
                            uint32_t* len)
{
    const proxy* p = fe ? to_proxy(fe) : nullptr;
    if (!p || !p->logs || dir > 1 || idx >= p->logs->caps.slots[dir].size())
        return 0;
    const log::cap_slot& sl = p->logs->caps.slots[dir][idx];
    if (hdr)
        *hdr = ptc_str{sl.hdr.c_str(), sl.hdr.size()};
    if (len)
        *len = sl.len;
    return 1;
}

int host_proxy_capture_cookie(const ptc_proxy* fe, ptc_str* name, uint32_t* len)
{
    const proxy* p = fe ? to_proxy(fe) : nullptr;
    bool has = p && p->logs && !p->logs->caps.cookie.empty();
    if (name)
        *name = has ? ptc_str{p->logs->caps.cookie.c_str(), p->logs->caps.cookie.size()}
                    : ptc_str{"", 0};
    if (len)
        *len = has ? p->logs->caps.cookie_len : 0;
    return has ? 1 : 0;
}

void host_stream_capture(ptc_stream* ps, uint32_t dir, uint32_t slot, ptc_str value)
{
    stream* s = reinterpret_cast<stream*>(ps);
    const log::proxy_log* pl = s && s->fe ? s->fe->logs.get() : nullptr;
    if (!pl || !pl->caps.block || dir > 1 || (!value.ptr && value.len))
        return;
    const log::cap_conf& cc = pl->caps;
    uint32_t li;
    if (slot == PTC_CAPTURE_COOKIE) {
        if (cc.cookie.empty())
            return;
        li = cc.cookie_lidx(dir);
    } else {
        if (slot >= cc.slots[dir].size())
            return;
        li = cc.lidx(dir, slot);
    }
    log::cap_set(s, li, value.ptr ? value.ptr : "", value.len);
}

int host_stream_unique_id(ptc_stream* ps, ptc_str* out)
{
    ptc_str v{nullptr, 0};
    if (!log::unique_id(reinterpret_cast<stream*>(ps), nullptr, v))
        return 0;
    if (out)
        *out = v;
    return 1;
}

int host_stream_log_asap(ptc_stream* ps, const ptc_log_txn* txn)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s || !txn)
        return 0;
    ptc_log_txn t{};
    std::memcpy(&t, txn, std::min<size_t>(txn->size ? txn->size : sizeof(t), sizeof(t)));
    return log::log_asap(s, &t) ? 1 : 0;
}

} // namespace portico
