// SPDX-License-Identifier: MIT
// HTTP compression ("compression algo|type|offload"), with HAProxy 2.6's rules: the algorithm
// is chosen from the request's Accept-Encoding once the request rules ran, the response is
// compressed only when it qualifies (HTTP/1.1 both ways, 200..203, not HEAD, a length or
// chunked framing, no Content-Encoding, no "no-transform", a sane single ETag, a listed
// Content-Type), and its body is re-framed as chunks of zlib output.
//
// The body is transformed in place in the response channel: each batch of raw body bytes
// (Content-Length or chunked framing) is decoded, fed to zlib and the bytes it consumed are
// replaced by one chunk of what zlib produced (a sync flush per batch, as HAProxy, so the
// client sees data as it comes). What does not fit waits in the stream's comp_run until
// the client drains (PTC_EV_RES_SENT).
#include <zlib.h>

#include <cstring>
#include <string>

#include "http_int.hpp"

namespace portico::http {

namespace {

std::string_view sv(ptc_str s) { return {s.ptr, s.len}; }

struct algo_def {
    const char* cfg;   // name in "compression algo"
    const char* token; // Accept-Encoding token and Content-Encoding value
};
// indexed by CA_*
const algo_def k_algos[] = {
    {"", ""}, {"identity", "identity"}, {"gzip", "gzip"}, {"deflate", "deflate"},
    {"raw-deflate", "deflate"},
};

// global tunables (tune.comp.maxlevel, tune.zlib.memlevel, tune.zlib.windowsize, maxzlibmem)
int g_level = 1;
int g_memlevel = 8;
int g_window = 15;
uint64_t g_maxmem = 0; // bytes, 0 = no limit
uint64_t g_used = 0;   // zlib memory in use by this worker

bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

// HAProxy's word_match(): <s> starts with <w> (ASCII case-insensitive) followed only by blanks.
bool word_match(std::string_view s, std::string_view w)
{
    if (s.size() < w.size())
        return false;
    for (size_t i = 0; i < w.size(); ++i) {
        char c = char(s[i] ^ w[i]);
        if (c && c != ('A' ^ 'a'))
            return false;
    }
    for (size_t i = w.size(); i < s.size(); ++i)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

int parse_qvalue(std::string_view q)
{
    size_t i = 0;
    auto dig = [&](size_t k) { return k < q.size() && q[k] >= '0' && q[k] <= '9'; };
    if (!dig(i))
        return 1000;
    int v = (q[i++] - '0') * 1000;
    if (i >= q.size() || q[i++] != '.')
        return v > 1000 ? 1000 : v;
    for (int m : {100, 10, 1}) {
        if (!dig(i))
            break;
        v += (q[i++] - '0') * m;
    }
    return v > 1000 ? 1000 : v;
}

std::string_view trim(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

// Calls fn(element) for each comma-separated element of every <name> header of <idx>.
template <class F> void each_value(const head_index& idx, const char* base, const char* name, F fn)
{
    for (uint32_t occ = 0;; ++occ) {
        int h = index_find(idx, base, name, occ);
        if (h < 0)
            return;
        std::string_view v = value_of(idx, base, uint32_t(h));
        size_t p = 0;
        while (p <= v.size()) {
            size_t c = v.find(',', p);
            std::string_view e = trim(v.substr(p, c == std::string_view::npos ? v.npos : c - p));
            if (!e.empty())
                fn(e);
            if (c == std::string_view::npos)
                break;
            p = c + 1;
        }
    }
}

const comp_conf* algos_of(const txn& t)
{
    if (t.be_conf && t.be_conf->comp.nalgos)
        return &t.be_conf->comp;
    if (t.fe_conf && t.fe_conf->comp.nalgos)
        return &t.fe_conf->comp;
    return nullptr;
}

const comp_conf* types_of(const txn& t)
{
    if (t.be_conf && t.be_conf->comp.ntypes)
        return &t.be_conf->comp;
    if (t.fe_conf && t.fe_conf->comp.ntypes)
        return &t.fe_conf->comp;
    return nullptr;
}

// zlib allocations counted against maxzlibmem (per worker process, as HAProxy per process)
voidpf z_alloc(voidpf, uInt items, uInt size)
{
    uint64_t n = uint64_t(items) * size;
    if (g_maxmem && g_used + n + sizeof(uint64_t) > g_maxmem)
        return Z_NULL;
    auto* p = static_cast<uint64_t*>(host->alloc(size_t(n) + sizeof(uint64_t)));
    if (!p)
        return Z_NULL;
    *p = n + sizeof(uint64_t);
    g_used += *p;
    return p + 1;
}

void z_free(voidpf, voidpf a)
{
    if (!a)
        return;
    uint64_t* p = static_cast<uint64_t*>(a) - 1;
    g_used -= *p;
    host->free(p);
}

} // namespace

// One compressing transaction's state (heap: zlib needs its own memory anyway).
struct comp_run {
    z_stream z;
    bool finished = false; // Z_FINISH done: nothing more will come out of zlib
    bool last_sent = false; // the last-chunk went out
    std::string pend;      // zlib output not placed in the channel yet
    uint64_t left = 0;     // body::LENGTH: raw body bytes still to come
    // chunked input: where the payload is in the bytes chunked_feed() validated (it keeps no
    // spans): payload bytes left in the current chunk, and the state: 0 size line, 1 data,
    // 2 the CRLF after data, 3 trailers; a line split across reads is kept in <line>
    uint64_t data_left = 0;
    uint8_t wst = 0;
    std::string line;
};

// ---- configuration --------------------------------------------------------------------------

int parse_compression(const ptc_kw_ctx* ctx)
{
    auto* c = static_cast<proxy_conf*>(ctx->conf);
    std::string_view what = sv(ctx->args[ctx->kw_words]);
    uint32_t first = ctx->kw_words + 1;
    if (what == "algo") {
        if (first >= ctx->argc)
            return host->cfg_errorf(ctx, "'compression' expects <algorithm>.");
        for (uint32_t i = first; i < ctx->argc; ++i) {
            std::string_view a = sv(ctx->args[i]);
            uint8_t id = 0;
            for (uint8_t k = CA_IDENTITY; k <= CA_RAW_DEFLATE; ++k)
                if (a == k_algos[k].cfg)
                    id = k;
            if (!id)
                return host->cfg_errorf(ctx, "'compression' : '%.*s' is not a supported "
                                        "algorithm.", int(a.size()), a.data());
            if (c->comp.nalgos >= sizeof(c->comp.algos))
                return host->cfg_errorf(ctx, "'compression' : too many algorithms (at most "
                                        "%zu).", sizeof(c->comp.algos));
            // each new one goes first, as HAProxy's list
            memmove(c->comp.algos + 1, c->comp.algos, c->comp.nalgos);
            c->comp.algos[0] = id;
            c->comp.nalgos++;
        }
        return PTC_OK;
    }
    if (what == "type") {
        if (first >= ctx->argc)
            return host->cfg_errorf(ctx, "'compression' expects <type>.");
        uint32_t add = ctx->argc - first;
        auto* nt = static_cast<ptc_str*>(host->alloc(sizeof(ptc_str) * (c->comp.ntypes + add)));
        if (!nt)
            return host->cfg_errorf(ctx, "'compression': out of memory.");
        // the new ones first, last listed first, then the inherited/earlier ones
        for (uint32_t i = 0; i < add; ++i) {
            ptc_str a = ctx->args[ctx->argc - 1 - i];
            nt[i] = ptc_str{host->cfg_strdup(ctx, a), a.len};
        }
        for (uint32_t i = 0; i < c->comp.ntypes; ++i)
            nt[add + i] = c->comp.types[i];
        c->comp.types = nt;
        c->comp.ntypes += add;
        return PTC_OK;
    }
    if (what == "offload") {
        if (ctx->section == PTC_SEC_DEFAULTS) {
            host->cfg_warnf(ctx, "'compression' : 'offload' ignored in 'defaults' section.");
            return PTC_OK;
        }
        if (first < ctx->argc)
            return host->cfg_errorf(ctx, "'compression offload' takes no argument.");
        c->comp.offload = true;
        return PTC_OK;
    }
    return host->cfg_errorf(ctx, "'compression' expects 'algo', 'type' or 'offload'");
}

int parse_comp_global(const ptc_kw_ctx* ctx)
{
    std::string_view k = sv(ctx->args[0]);
    std::string v(sv(ctx->args[1]));
    char* end = nullptr;
    long n = strtol(v.c_str(), &end, 10);
    if (v.empty() || *end)
        return host->cfg_errorf(ctx, "'%.*s' expects a numeric value.", int(k.size()), k.data());
    if (k == "tune.comp.maxlevel") {
        if (n < 1 || n > 9)
            return host->cfg_errorf(ctx, "'tune.comp.maxlevel' expects a numeric value between "
                                    "1 and 9.");
        g_level = int(n);
    } else if (k == "tune.zlib.memlevel") {
        if (n < 1 || n > 9)
            return host->cfg_errorf(ctx, "'tune.zlib.memlevel' expects a numeric value between "
                                    "1 and 9.");
        g_memlevel = int(n);
    } else if (k == "tune.zlib.windowsize") {
        if (n < 8 || n > 15)
            return host->cfg_errorf(ctx, "'tune.zlib.windowsize' expects a numeric value "
                                    "between 8 and 15.");
        g_window = int(n);
    } else { // maxzlibmem <MB>
        if (n < 0)
            return host->cfg_errorf(ctx, "'maxzlibmem' expects a numeric value.");
        g_maxmem = uint64_t(n) * 1024 * 1024;
    }
    return PTC_OK;
}

// ---- request: which algorithm -------------------------------------------------------------------

void comp_select_request(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    c.comp_algo = CA_NONE;
    const comp_conf* cc = algos_of(t);
    if (!cc)
        return;
    ptc_str d;
    host->chan_data(s, PTC_DIR_REQ, &d);
    const char* base = d.ptr;
    // old user agents announcing "Mozilla/4" unless MSIE 6 with XP SP2, or MSIE 7 and later
    int ua = index_find(t.idx, base, "user-agent", 0);
    if (ua >= 0) {
        std::string_view u = value_of(t.idx, base, uint32_t(ua));
        if (u.size() >= 9 && u.substr(0, 9) == "Mozilla/4" &&
            (u.size() < 31 || u.substr(25, 5) != "MSIE " || u[30] < '6' ||
             (u[30] == '6' && (u.size() < 54 || u.substr(51, 3) != "SV1"))))
            return;
    }
    int best_q = 0;
    uint8_t pick = CA_NONE;
    each_value(t.idx, base, "accept-encoding", [&](std::string_view e) {
        size_t toklen = 0;
        while (toklen < e.size() && is_tchar(e[toklen]))
            ++toklen;
        // the first "q=" parameter, if any
        std::string_view rest = e.substr(toklen);
        int q = 1000;
        for (;;) {
            rest = trim(rest);
            if (rest.empty() || rest[0] != ';')
                break;
            rest = trim(rest.substr(1));
            if (rest.empty())
                break;
            if (rest.size() >= 2 ? rest.substr(0, 2) == "q=" : rest == "q") {
                q = parse_qvalue(rest.substr(rest.size() >= 2 ? 2 : 1));
                break;
            }
            size_t sc = rest.find(';');
            rest = sc == std::string_view::npos ? std::string_view{} : rest.substr(sc);
        }
        if (q <= best_q)
            return;
        for (uint8_t i = 0; i < cc->nalgos; ++i) {
            uint8_t a = cc->algos[i];
            if (e[0] == '*' || word_match(e.substr(0, toklen), k_algos[a].token)) {
                pick = a;
                best_q = q;
                break;
            }
        }
    });
    if (!pick) {
        // identity needs no header
        for (uint8_t i = 0; i < cc->nalgos; ++i)
            if (cc->algos[i] == CA_IDENTITY)
                pick = CA_IDENTITY;
        c.comp_algo = pick;
        return;
    }
    c.comp_algo = pick;
    if ((t.be_conf && t.be_conf->comp.offload) || (t.fe_conf && t.fe_conf->comp.offload))
        head_del(s, PTC_DIR_REQ, t.idx, base, "accept-encoding");
}

// ---- response: whether to compress, and the head's changes ------------------------------------

namespace {

enum { ETAG_INVALID, ETAG_STRONG, ETAG_WEAK };

int etag_type(std::string_view e)
{
    if (e.size() < 2 || e.back() != '"')
        return ETAG_INVALID;
    if (e[0] == '"')
        return ETAG_STRONG;
    if (e.size() < 4 || e.substr(0, 3) != "W/\"")
        return ETAG_INVALID;
    return ETAG_WEAK;
}

bool res_qualifies(ptc_stream* s, txn& t, const char* base)
{
    txn_cur& c = t.cur;
    if (c.req_minor < 1 || c.res_minor < 1 || c.is_head)
        return false;
    if (c.res_status < 200 || c.res_status > 203)
        return false;
    // a length or chunked framing, and a body (HAProxy counts "content-length: 0" bodyless)
    if (c.res_body != body::LENGTH && c.res_body != body::CHUNKED)
        return false;
    if (index_find(t.idx, base, "content-encoding", 0) >= 0)
        return false;
    bool nt = false;
    each_value(t.idx, base, "cache-control", [&](std::string_view e) {
        nt = nt || word_match(e, "no-transform");
    });
    if (nt)
        return false;
    int et = index_find(t.idx, base, "etag", 0);
    if (et >= 0 && (etag_type(trim(value_of(t.idx, base, uint32_t(et)))) == ETAG_INVALID ||
                    index_find(t.idx, base, "etag", 1) >= 0))
        return false;
    const comp_conf* tc = types_of(t);
    int ct = index_find(t.idx, base, "content-type", 0);
    if (ct >= 0) {
        std::string_view v = value_of(t.idx, base, uint32_t(ct));
        if (v.size() >= 9 && strncasecmp(v.data(), "multipart", 9) == 0)
            return false;
        if (tc) {
            bool listed = false;
            for (uint32_t i = 0; i < tc->ntypes && !listed; ++i)
                listed = v.size() >= tc->types[i].len &&
                         strncasecmp(v.data(), tc->types[i].ptr, tc->types[i].len) == 0;
            if (!listed)
                return false;
        }
    } else if (tc) {
        return false; // a content-type was required
    }
    (void)s;
    return true;
}

bool z_start(comp_run& r, uint8_t algo)
{
    memset(&r.z, 0, sizeof(r.z));
    r.z.zalloc = z_alloc;
    r.z.zfree = z_free;
    if (algo == CA_IDENTITY)
        return true;
    int wbits = algo == CA_GZIP ? g_window + 16 : algo == CA_DEFLATE ? g_window : -g_window;
    return deflateInit2(&r.z, g_level, Z_DEFLATED, wbits, g_memlevel, Z_DEFAULT_STRATEGY) == Z_OK;
}

} // namespace

void comp_free(txn& t)
{
    if (!t.comp)
        return;
    if (t.cur.comp_algo != CA_IDENTITY)
        deflateEnd(&t.comp->z);
    t.comp->~comp_run();
    host->free(t.comp);
    t.comp = nullptr;
}

bool comp_start_response(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    if (!c.comp_algo || t.comp)
        return false;
    ptc_str d;
    host->chan_data(s, PTC_DIR_RES, &d);
    if (!res_qualifies(s, t, d.ptr)) {
        c.comp_algo = CA_NONE;
        return false;
    }
    void* mem = host->alloc(sizeof(comp_run));
    if (!mem) {
        c.comp_algo = CA_NONE;
        return false;
    }
    t.comp = new (mem) comp_run();
    if (!z_start(*t.comp, c.comp_algo)) { // maxzlibmem reached: sent as it is
        t.comp->~comp_run();
        host->free(t.comp);
        t.comp = nullptr;
        c.comp_algo = CA_NONE;
        return false;
    }
    // the head: Content-Encoding (not for identity), no Content-Length, chunked, a weak
    // ETag, Vary
    if (c.comp_algo != CA_IDENTITY)
        head_add(s, PTC_DIR_RES, t.idx, "Content-Encoding", k_algos[c.comp_algo].token);
    host->chan_data(s, PTC_DIR_RES, &d);
    head_del(s, PTC_DIR_RES, t.idx, d.ptr, "content-length");
    if (c.res_body != body::CHUNKED)
        head_add(s, PTC_DIR_RES, t.idx, "Transfer-Encoding", "chunked");
    host->chan_data(s, PTC_DIR_RES, &d);
    int et = index_find(t.idx, d.ptr, "etag", 0);
    if (et >= 0) {
        std::string_view v = value_of(t.idx, d.ptr, uint32_t(et));
        if (!v.empty() && v[0] == '"')
            head_edit(s, PTC_DIR_RES, t.idx, t.idx.hdr[et].value_off, 0, "W/");
    }
    head_add(s, PTC_DIR_RES, t.idx, "Vary", "Accept-Encoding");
    t.comp->left = c.res_body == body::LENGTH ? c.res_len : 0;
    if (c.res_body == body::CHUNKED)
        t.res_chunk.reset();
    c.comp_on = true;
    return true;
}

// ---- body ------------------------------------------------------------------------------------------

namespace {

// Feeds <len> payload bytes to zlib (identity: copied), output appended to r.pend.
void z_feed(comp_run& r, uint8_t algo, const char* p, size_t len, int flush)
{
    if (algo == CA_IDENTITY) {
        r.pend.append(p, len);
        if (flush == Z_FINISH)
            r.finished = true;
        return;
    }
    r.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    r.z.avail_in = uInt(len);
    char out[8192];
    for (;;) {
        r.z.next_out = reinterpret_cast<Bytef*>(out);
        r.z.avail_out = sizeof(out);
        int rc = deflate(&r.z, flush);
        r.pend.append(out, sizeof(out) - r.z.avail_out);
        if (rc == Z_STREAM_END) {
            r.finished = true;
            return;
        }
        if (r.z.avail_out != 0 && r.z.avail_in == 0)
            return; // all input taken and all output out
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return;
    }
}

} // namespace

int comp_pump(ptc_stream* s, txn& t)
{
    txn_cur& c = t.cur;
    comp_run& r = *t.comp;
    ptc_str d;
    uint32_t fl = host->chan_data(s, PTC_DIR_RES, &d);
    size_t consumed = 0;
    bool done = false;
    if (!r.finished) {
        if (c.res_body == body::LENGTH) {
            size_t take = size_t(std::min<uint64_t>(d.len, r.left));
            if (take)
                z_feed(r, c.comp_algo, d.ptr, take, Z_NO_FLUSH);
            r.left -= take;
            consumed = d.len; // bytes beyond the announced length are dropped
            if (d.len > take)
                t.srv_reusable = false;
            done = r.left == 0;
        } else if (c.res_body == body::CHUNKED) {
            int n = d.len ? h1::chunked_feed(t.res_chunk, d.ptr, d.len, &done) : 0;
            if (n < 0)
                return CP_ABORT_SRV;
            // walk the validated bytes again for the payload: the validator keeps no spans
            std::string_view v(d.ptr, size_t(n));
            while (!v.empty()) {
                comp_run& w = r;
                if (w.wst == 1) {
                    size_t k = size_t(std::min<uint64_t>(w.data_left, v.size()));
                    z_feed(r, c.comp_algo, v.data(), k, Z_NO_FLUSH);
                    w.data_left -= k;
                    v.remove_prefix(k);
                    if (!w.data_left)
                        w.wst = 2;
                    continue;
                }
                size_t nl = v.find('\n');
                std::string_view line = v.substr(0, nl == v.npos ? v.size() : nl + 1);
                if (nl == v.npos) { // a line split across batches: keep its start in the walk
                    r.line.append(line);
                    v = {};
                    break;
                }
                std::string l = r.line + std::string(line);
                r.line.clear();
                v.remove_prefix(line.size());
                if (w.wst == 0) {
                    uint64_t sz = 0;
                    for (char ch : l) {
                        int h = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
                        if (h < 0)
                            break;
                        sz = sz * 16 + uint64_t(h);
                    }
                    w.data_left = sz;
                    w.wst = sz ? 1 : 3;
                } else if (w.wst == 2) {
                    w.wst = 0;
                } // st 3: trailer lines, dropped (the validator says when they end)
            }
            consumed = d.len;
            if (done && d.len > size_t(n))
                t.srv_reusable = false;
        }
        if (done)
            z_feed(r, c.comp_algo, nullptr, 0, Z_FINISH);
        else if (consumed)
            z_feed(r, c.comp_algo, nullptr, 0, Z_SYNC_FLUSH);
    }
    // place what fits of the pending output, as one chunk, over the consumed input
    size_t room = host->chan_room(s, PTC_DIR_RES) + consumed;
    size_t n = 0;
    std::string frame;
    if (!r.pend.empty() && room > 16) {
        n = std::min(r.pend.size(), room - 16);
        char hex[20];
        int hl = snprintf(hex, sizeof(hex), "%zx\r\n", n);
        frame.reserve(size_t(hl) + n + 7);
        frame.append(hex, size_t(hl));
        frame.append(r.pend, 0, n);
        frame.append("\r\n");
    }
    bool last = r.finished && n == r.pend.size() && !r.last_sent;
    if (last && frame.size() + 5 <= room) {
        frame.append("0\r\n\r\n");
        r.last_sent = true;
    }
    if (consumed || !frame.empty()) {
        if (host->chan_replace(s, PTC_DIR_RES, 0, consumed, frame.data(), frame.size()) != PTC_OK)
            return CP_ABORT_INT;
        if (!frame.empty())
            host->chan_forward(s, PTC_DIR_RES, frame.size());
        c.bytes_out += frame.size();
        r.pend.erase(0, n);
    }
    if (r.last_sent) {
        c.res = res_st::DONE;
        return CP_AGAIN;
    }
    if (!r.finished && (fl & (PTC_CHAN_EOF | PTC_CHAN_ERROR)))
        return CP_ABORT_SRV; // closed before the end of the body
    return CP_WAIT;
}

int f_res_comp(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_BOOL;
    out->flags = 0;
    const txn* t = view(s, PTC_DIR_RES, out); // none on a tcp stream: false, as HAProxy
    out->u.sint = t && t->cur.comp_on ? 1 : 0;
    return 1;
}

int f_res_comp_algo(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const txn* t = view(s, PTC_DIR_RES, out);
    if (!t || !t->cur.comp_on)
        return 0;
    const char* n = k_algos[t->cur.comp_algo].cfg;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{n, strlen(n)};
    return 1;
}

} // namespace portico::http
