// SPDX-License-Identifier: MIT
// More of HAProxy 2.6's internal fetches: bin, meth, date, date_us, rand, uuid, hostname,
// nbproc, nbthread, thread, stopping, fe_conn, be_conn, queue, srv_conn, srv_queue,
// srv_is_up, prio_class, prio_offset, fe_sess_rate, fe_req_rate, be_sess_rate,
// srv_sess_rate, cpu_calls, cpu_ns_avg, cpu_ns_tot, lat_ns_avg, lat_ns_tot.
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <string>

#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample_int.hpp"
#include "shm/shm.hpp"
#include "stream/stream-t.hpp"
#include "stream/stream_host.hpp"

namespace portico {
namespace smp {

namespace {

inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

std::deque<std::string> g_bins;

std::string_view sv(const ptc_arg& a) { return std::string_view(a.str.ptr, a.str.len); }

int out_int(ptc_sample* out, int64_t v, uint32_t type = PTC_SMP_SINT)
{
    out->type = type;
    out->flags = 0;
    out->u.sint = v;
    return 1;
}

bool parse_i64(std::string_view t, int64_t& v)
{
    if (t.empty())
        return false;
    size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    if (i == t.size())
        return false;
    uint64_t x = 0;
    for (; i < t.size(); i++) {
        if (t[i] < '0' || t[i] > '9' || x > (uint64_t)INT64_MAX / 10)
            return false;
        x = x * 10 + (uint64_t)(t[i] - '0');
    }
    v = t[0] == '-' ? -(int64_t)x : (int64_t)x;
    return true;
}

// bin(<hex>): an even number of hex digits
int chk_bin(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t = sv(args[0]);
    if (t.size() % 2)
        return arg_error(ctx, "an even number of hex digit is expected");
    std::string out;
    for (size_t i = 0; i < t.size(); i += 2) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = t[i + k];
            int d = (c >= '0' && c <= '9') ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (d < 0)
                return arg_error(ctx, "'" + std::string(1, c) + "' unexpected hexa digit");
            v = v * 16 + d;
        }
        out.push_back((char)v);
    }
    g_bins.push_back(out);
    args[0].data = &g_bins.back();
    return PTC_OK;
}

int f_bin(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    const auto* b = static_cast<const std::string*>(args[0].data);
    out->type = PTC_SMP_BIN;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{b->data(), b->size()};
    return 1;
}

bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

int chk_meth(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t = sv(args[0]);
    for (char c : t)
        if (!is_tchar(c) || !c)
            return arg_error(ctx, "expects valid method.");
    return PTC_OK;
}

int f_meth(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_METH;
    out->flags = PTC_SMPF_CONST;
    out->u.str = args[0].str;
    return 1;
}

// date([<offset>[,<unit>]]): args[1].sint 1 (s), 1000 (ms), 1000000 (us)
int chk_date(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs > 0) {
        if (!args[0].str.len)
            args[0].sint = 0;
        else if (!parse_i64(sv(args[0]), args[0].sint))
            return arg_error(ctx, "failed to parse '" + std::string(sv(args[0])) +
                                      "' as type signed integer at position 1");
    }
    if (nargs > 1) {
        std::string_view u = sv(args[1]);
        if (u == "s" || u.empty())
            args[1].sint = 1;
        else if (u == "ms")
            args[1].sint = 1000;
        else if (u == "us")
            args[1].sint = 1000000;
        else
            return arg_error(ctx, "expects 's', 'ms' or 'us', got '" + std::string(u) + "'");
    }
    return PTC_OK;
}

int f_date(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    timeval tv;
    gettimeofday(&tv, nullptr);
    int64_t v = tv.tv_sec, unit = nargs > 1 ? args[1].sint : 1;
    if (unit == 1000)
        v = v * 1000 + tv.tv_usec / 1000;
    else if (unit == 1000000)
        v = v * 1000000 + tv.tv_usec;
    if (nargs > 0)
        v += args[0].sint;
    return out_int(out, v);
}

int f_date_us(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    timeval tv;
    gettimeofday(&tv, nullptr);
    return out_int(out, tv.tv_usec);
}

uint64_t rnd64()
{
    static thread_local uint64_t s[2] = {0, 0};
    if (!s[0] && !s[1]) {
        if (getrandom(s, sizeof(s), 0) != (ssize_t)sizeof(s) || (!s[0] && !s[1])) {
            s[0] = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(nullptr);
            s[1] = 0x2545F4914F6CDD1Dull;
        }
    }
    // xorshift128+
    uint64_t a = s[0], b = s[1];
    s[0] = b;
    a ^= a << 23;
    s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return s[1] + b;
}

int chk_rand(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && !parse_i64(sv(args[0]), args[0].sint))
        return arg_error(ctx, "failed to parse '" + std::string(sv(args[0])) +
                                  "' as type signed integer at position 1");
    return PTC_OK;
}

int f_rand(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    uint64_t v = (uint32_t)(rnd64() >> 32);
    if (nargs)
        v = (v * (uint64_t)args[0].sint) >> 32;
    return out_int(out, (int64_t)v);
}

int chk_uuid(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && args[0].str.len && sv(args[0]) != "4")
        return arg_error(ctx, "Unsupported UUID version: '" + std::string(sv(args[0])) + "'");
    return PTC_OK;
}

int f_uuid(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    uint64_t a = rnd64(), b = rnd64();
    size_t cap;
    char* buf = scratch(&cap);
    if (cap < 37)
        return 0;
    // HAProxy's ha_generate_uuid(): version 4, variant 10xx
    int n = snprintf(buf, cap, "%8.8x-%4.4x-%4.4x-%4.4x-%12.12llx", (unsigned)(a >> 32),
                     (unsigned)((a >> 16) & 0xFFFF), (unsigned)((a & 0x0FFF) | 0x4000),
                     (unsigned)(((b >> 48) & 0x3FFF) | 0x8000),
                     (unsigned long long)(b & 0xFFFFFFFFFFFFull));
    out->type = PTC_SMP_STR;
    out->flags = 0;
    out->u.str = ptc_str{buf, (size_t)n};
    return 1;
}

int f_hostname(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    static char name[256];
    static size_t len = 0;
    if (!len) {
        if (gethostname(name, sizeof(name) - 1) != 0)
            return 0;
        name[sizeof(name) - 1] = 0;
        len = std::strlen(name);
    }
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{name, len};
    return 1;
}

int f_nbproc(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out) { return out_int(out, 1); }

// portico's workers are HAProxy's threads
int f_nbthread(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return out_int(out, g_worker ? g_worker->nworkers : 1);
}

int f_thread(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return out_int(out, g_worker ? g_worker->slot : 0);
}

int f_stopping(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return out_int(out, g_worker && g_worker->stopping ? 1 : 0, PTC_SMP_BOOL);
}

// wait_end: no sample, "may change", while content rules still wait for data
// (tcp-request/tcp-response inspect-delay); true once they run on what is there
int f_wait_end(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    if (g_rules_partial) {
        out->flags |= PTC_SMPF_MAYCHANGE;
        return 0;
    }
    return out_int(out, 1, PTC_SMP_BOOL);
}

// fe_conn([<frontend>]), be_conn([<backend>]): resolved at first use (proxies may be
// declared after the rule)
template <bool FE>
const proxy* named_proxy(ptc_stream* s, const ptc_arg* args, uint32_t nargs)
{
    if (!nargs)
        return FE ? S(s)->fe : cur_backend(S(s));
    auto* a = const_cast<ptc_arg*>(&args[0]);
    if (!a->data && g_config) {
        for (auto& p : g_config->proxies)
            if ((p->cap & (FE ? CAP_FE : CAP_BE)) && p->name == sv(*a))
                a->data = p.get();
    }
    return static_cast<const proxy*>(a->data);
}

int f_fe_conn(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = named_proxy<true>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    return out_int(out, p->shared->cur_conns.load(std::memory_order_relaxed));
}

int f_be_conn(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = named_proxy<false>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    return out_int(out, p->shared->be_conns.load(std::memory_order_relaxed));
}

// fe_sess_rate, fe_req_rate ([<frontend>]), be_sess_rate([<backend>]): events per second
// over the last second, all workers together.
enum { R_FE_SESS, R_FE_REQ, R_BE_SESS };
template <int R>
int f_rate(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = R == R_BE_SESS ? named_proxy<false>(s, args, nargs)
                                    : named_proxy<true>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    auto* sp = const_cast<shm_proxy*>(p->shared);
    shm_rate& r = R == R_FE_SESS ? sp->fe_rate : R == R_FE_REQ ? sp->req_rate : sp->be_rate;
    return out_int(out, shm_rate_read(r, event::monotonic_ms()));
}

int chk_proxy_name(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && !args[0].str.len)
        return arg_error(ctx, "empty proxy name");
    return PTC_OK;
}

// fe_id, be_id: the proxy's numeric id: 1, 2... in declaration order (defaults sections
// are not counted), as HAProxy numbers proxies without an "id"
int f_fe_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return S(s)->fe ? out_int(out, (int64_t)S(s)->fe->index + 1) : 0;
}

int f_be_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const proxy* be = cur_backend(S(s));
    return be ? out_int(out, (int64_t)be->index + 1) : 0;
}

// be_server_timeout, be_tunnel_timeout, fe_client_timeout: the configured timeouts in ms (0
// when unset); cur_server_timeout, cur_tunnel_timeout: the transaction's, those of an
// "http-request set-timeout" rule, else the backend's
int f_be_server_timeout(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const proxy* be = cur_backend(S(s));
    return be ? out_int(out, (int64_t)be->t_server) : 0;
}
int f_be_tunnel_timeout(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const proxy* be = cur_backend(S(s));
    return be ? out_int(out, (int64_t)be->t_tunnel) : 0;
}
int f_cur_server_timeout(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    if (S(s)->tmo_set_server)
        return out_int(out, (int64_t)S(s)->tmo_set_server);
    return f_be_server_timeout(s, a, n, out);
}
int f_cur_tunnel_timeout(ptc_stream* s, const ptc_arg* a, uint32_t n, ptc_sample* out)
{
    if (S(s)->tmo_set_tunnel)
        return out_int(out, (int64_t)S(s)->tmo_set_tunnel);
    return f_be_tunnel_timeout(s, a, n, out);
}
int f_fe_client_timeout(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return S(s)->fe ? out_int(out, (int64_t)S(s)->fe->t_client) : 0;
}

// so_name: the "name" of the bind line the client came through; so_id: its listener's id,
// 1, 2... in the frontend's order of addresses (HAProxy's automatic listener ids)
int f_so_name(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const bind_conf* b = S(s)->bind;
    if (!b || b->name.empty())
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{b->name.data(), b->name.size()};
    return 1;
}
int f_so_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const stream* st = S(s);
    if (!st->bind || !st->fe)
        return 0;
    for (size_t i = 0; i < st->fe->binds.size(); ++i)
        if (st->fe->binds[i].get() == st->bind)
            return out_int(out, (int64_t)i + 1);
    return 0;
}

// <backend>/<server> (or <server> of the proxy the expression is in): resolved once the
// configuration is read (resolve_server_refs: the server must exist, as in HAProxy, and is
// then pinned, so "del server" refuses it), else at first use (expressions compiled at run
// time).
struct srv_ref {
    std::string be, srv;
    const server* sv = nullptr;
    const proxy* px = nullptr; // the proxy of the expression, for a reference without backend
    std::string file;
    int line = 0;
};
std::deque<srv_ref> g_srv_refs;

int chk_srv(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t = sv(args[0]);
    size_t slash = t.rfind('/');
    srv_ref r;
    if (slash == std::string_view::npos) {
        r.srv = std::string(t);
    } else {
        r.be = std::string(t.substr(0, slash));
        r.srv = std::string(t.substr(slash + 1));
    }
    if (r.srv.empty() || (slash != std::string_view::npos && r.be.empty()))
        return arg_error(ctx, "invalid server reference '" + std::string(t) +
                                  "' (expects [<backend>/]<server>)");
    if (r.be.empty() && ctx && ctx->section == PTC_SEC_DEFAULTS)
        return arg_error(ctx, "backend name must be set in '" + std::string(t) +
                                  "' (a defaults section has no servers of its own)");
    if (ctx) {
        r.file = ctx->file ? ctx->file : "";
        r.line = (int)ctx->line;
        if (r.be.empty() && ctx->proxy)
            r.px = to_proxy(ctx->proxy);
    }
    g_srv_refs.push_back(r);
    args[0].data = &g_srv_refs.back();
    return PTC_OK;
}

} // namespace

void resolve_server_refs(config& cfg,
                         const std::function<void(const std::string&, int, const std::string&)>& err)
{
    for (srv_ref& r : g_srv_refs) {
        if (r.sv || (r.be.empty() && !r.px))
            continue;
        const proxy* be = r.be.empty() ? r.px : cfg.find_backend(r.be);
        if (!be) {
            err(r.file, r.line, "unable to find backend '" + r.be + "' referenced in '" + r.be +
                                    "/" + r.srv + "'");
            continue;
        }
        for (auto& v : be->servers)
            if (v->name == r.srv)
                r.sv = v.get();
        if (!r.sv) {
            err(r.file, r.line, "unable to find server '" + r.srv + "' in proxy '" + be->name +
                                    "', referenced in a sample fetch argument");
            continue;
        }
        const_cast<server*>(r.sv)->non_purgeable = true;
    }
}

namespace {

const shm_server* ref_server(ptc_stream* s, const ptc_arg* args)
{
    auto* r = static_cast<srv_ref*>(args[0].data);
    if (!r->sv && g_config) {
        const proxy* be = nullptr;
        if (r->be.empty())
            be = S(s)->be;
        else
            for (auto& p : g_config->proxies)
                if ((p->cap & CAP_BE) && p->name == r->be)
                    be = p.get();
        if (!be)
            return nullptr;
        for (auto& v : be->servers)
            if (v->name == r->srv) {
                if (r->be.empty())
                    return v->shared; // depends on the stream's backend: not cached
                r->sv = v.get();
            }
    }
    return r->sv ? r->sv->shared : nullptr;
}

int f_srv_conn(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    const shm_server* sh = ref_server(s, args);
    return sh ? out_int(out, sh->cur_conns.load(std::memory_order_relaxed)) : 0;
}

// srv_sess_rate([<backend>/]<server>): streams given to the server per second over the
// last second, all workers together
int f_srv_sess_rate(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    auto* sh = const_cast<shm_server*>(ref_server(s, args));
    return sh ? out_int(out, shm_rate_read(sh->sess_rate, event::monotonic_ms())) : 0;
}

int f_srv_queue(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    const shm_server* sh = ref_server(s, args);
    return sh ? out_int(out, sh->queue.cur.load(std::memory_order_relaxed)) : 0;
}

int f_srv_is_up(ptc_stream* s, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    const shm_server* sh = ref_server(s, args);
    if (!sh)
        return 0;
    bool up = sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY && srv_op_up(sh);
    return out_int(out, up ? 1 : 0, PTC_SMP_BOOL);
}

// queue([<backend>]): the backend's queue plus its servers' queues
int f_queue(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = named_proxy<false>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    int64_t n = p->shared->queue.cur.load(std::memory_order_relaxed);
    for (auto& v : p->servers)
        if (v->shared)
            n += v->shared->queue.cur.load(std::memory_order_relaxed);
    return out_int(out, n);
}

int64_t total_queued(const proxy* p)
{
    int64_t n = p->shared->queue.cur.load(std::memory_order_relaxed);
    for (auto& v : p->servers)
        if (v->shared)
            n += v->shared->queue.cur.load(std::memory_order_relaxed);
    return n;
}

// avg_queue([<backend>]): queued streams per usable server, rounded up (twice the queue
// when no server is usable), as HAProxy
int f_avg_queue(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = named_proxy<false>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    int64_t q = total_queued(p), n = 0;
    for (auto& v : p->servers) {
        const shm_server* sh = v->shared;
        if (sh && sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY &&
            srv_op_up(sh) && srv_eweight(sh) > 0)
            n++;
    }
    return out_int(out, n > 0 ? (q + n - 1) / n : q * 2);
}

// connslots([<backend>]): free connection and queue slots of the servers not down; -1 when
// one of them has no maxconn or no maxqueue
int f_connslots(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* p = named_proxy<false>(s, args, nargs);
    if (!p || !p->shared)
        return 0;
    int64_t n = 0;
    for (auto& v : p->servers) {
        const shm_server* sh = v->shared;
        if (!sh || sh->stopped.load(std::memory_order_relaxed))
            continue;
        int64_t mc = sh->maxconn.load(std::memory_order_relaxed);
        int64_t mq = sh->maxqueue.load(std::memory_order_relaxed);
        if (!mc || !mq)
            return out_int(out, -1);
        n += (mc - sh->cur_conns.load(std::memory_order_relaxed)) +
             (mq - sh->queue.cur.load(std::memory_order_relaxed));
    }
    return out_int(out, n);
}

constexpr uint32_t L4 = PTC_USE_L4;

} // namespace

// prio_class, prio_offset: the queue priority set by set-priority-class / -offset.
int f_prio_class(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return s ? out_int(out, S(s)->prio_class) : 0;
}

int f_prio_offset(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return s ? out_int(out, S(s)->prio_offset) : 0;
}

// cpu_calls: the runs of the stream's handler in this transaction (HAProxy: the calls of
// the stream's task). cpu_ns_avg, cpu_ns_tot, lat_ns_avg, lat_ns_tot: 0, as HAProxy gives
// them while task profiling is off (portico does not profile tasks).
int f_cpu_calls(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return s ? out_int(out, S(s)->calls) : 0;
}

int f_zero(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return s ? out_int(out, 0) : 0;
}

const ptc_fetch k_ext_fetches[] = {
    // name      out            use min max fn          check           help
    {"bin",      PTC_SMP_BIN,  L4, 1, 1, f_bin,      chk_bin,        "bin(<hex>)"},
    {"meth",     PTC_SMP_METH, L4, 1, 1, f_meth,     chk_meth,       "meth(<method>)"},
    {"date",     PTC_SMP_SINT, L4, 0, 2, f_date,     chk_date,       "date([<offset>[,<unit>]])"},
    {"date_us",  PTC_SMP_SINT, L4, 0, 0, f_date_us,  nullptr,        "date_us"},
    {"rand",     PTC_SMP_SINT, L4, 0, 1, f_rand,     chk_rand,       "rand([<range>])"},
    {"uuid",     PTC_SMP_STR,  L4, 0, 1, f_uuid,     chk_uuid,       "uuid([<version>])"},
    {"hostname", PTC_SMP_STR,  L4, 0, 0, f_hostname, nullptr,        "hostname"},
    {"nbproc",   PTC_SMP_SINT, L4, 0, 0, f_nbproc,   nullptr,        "nbproc"},
    {"nbthread", PTC_SMP_SINT, L4, 0, 0, f_nbthread, nullptr,        "nbthread (portico: worker processes)"},
    {"thread",   PTC_SMP_SINT, L4, 0, 0, f_thread,   nullptr,        "thread (portico: worker slot)"},
    {"stopping", PTC_SMP_BOOL, L4, 0, 0, f_stopping, nullptr,        "stopping"},
    {"wait_end", PTC_SMP_BOOL, L4, 0, 0, f_wait_end, nullptr,        "wait_end"},
    {"fe_conn",  PTC_SMP_SINT, L4, 0, 1, f_fe_conn,  chk_proxy_name, "fe_conn([<frontend>])"},
    {"be_conn",  PTC_SMP_SINT, L4, 0, 1, f_be_conn,  chk_proxy_name, "be_conn([<backend>])"},
    {"fe_id",    PTC_SMP_SINT, L4, 0, 0, f_fe_id,    nullptr,        "fe_id"},
    {"be_id",    PTC_SMP_SINT, L4, 0, 0, f_be_id,    nullptr,        "be_id"},
    {"be_server_timeout",  PTC_SMP_SINT, L4, 0, 0, f_be_server_timeout, nullptr, "be_server_timeout"},
    {"cur_server_timeout", PTC_SMP_SINT, L4, 0, 0, f_cur_server_timeout, nullptr, "cur_server_timeout"},
    {"be_tunnel_timeout",  PTC_SMP_SINT, L4, 0, 0, f_be_tunnel_timeout, nullptr, "be_tunnel_timeout"},
    {"cur_tunnel_timeout", PTC_SMP_SINT, L4, 0, 0, f_cur_tunnel_timeout, nullptr, "cur_tunnel_timeout"},
    {"fe_client_timeout",  PTC_SMP_SINT, L4, 0, 0, f_fe_client_timeout, nullptr, "fe_client_timeout"},
    {"so_name",  PTC_SMP_STR,  L4, 0, 0, f_so_name,  nullptr,        "so_name"},
    {"so_id",    PTC_SMP_SINT, L4, 0, 0, f_so_id,    nullptr,        "so_id"},
    {"queue",    PTC_SMP_SINT, L4, 0, 1, f_queue,    chk_proxy_name, "queue([<backend>])"},
    {"avg_queue", PTC_SMP_SINT, L4, 0, 1, f_avg_queue, chk_proxy_name, "avg_queue([<backend>])"},
    {"connslots", PTC_SMP_SINT, L4, 0, 1, f_connslots, chk_proxy_name, "connslots([<backend>])"},
    {"srv_conn", PTC_SMP_SINT, L4, 1, 1, f_srv_conn, chk_srv,        "srv_conn([<backend>/]<server>)"},
    {"srv_sess_rate", PTC_SMP_SINT, L4, 1, 1, f_srv_sess_rate, chk_srv, "srv_sess_rate([<backend>/]<server>)"},
    {"srv_queue", PTC_SMP_SINT, L4, 1, 1, f_srv_queue, chk_srv,      "srv_queue([<backend>/]<server>)"},
    {"srv_is_up", PTC_SMP_BOOL, L4, 1, 1, f_srv_is_up, chk_srv,      "srv_is_up([<backend>/]<server>)"},
    {"fe_sess_rate", PTC_SMP_SINT, L4, 0, 1, f_rate<R_FE_SESS>, chk_proxy_name, "fe_sess_rate([<frontend>])"},
    {"fe_req_rate", PTC_SMP_SINT, L4, 0, 1, f_rate<R_FE_REQ>, chk_proxy_name, "fe_req_rate([<frontend>])"},
    {"be_sess_rate", PTC_SMP_SINT, L4, 0, 1, f_rate<R_BE_SESS>, chk_proxy_name, "be_sess_rate([<backend>])"},
    {"cpu_calls", PTC_SMP_SINT, L4, 0, 0, f_cpu_calls, nullptr,     "cpu_calls"},
    {"cpu_ns_avg", PTC_SMP_SINT, L4, 0, 0, f_zero, nullptr,         "cpu_ns_avg (0: no task profiling)"},
    {"cpu_ns_tot", PTC_SMP_SINT, L4, 0, 0, f_zero, nullptr,         "cpu_ns_tot (0: no task profiling)"},
    {"lat_ns_avg", PTC_SMP_SINT, L4, 0, 0, f_zero, nullptr,         "lat_ns_avg (0: no task profiling)"},
    {"lat_ns_tot", PTC_SMP_SINT, L4, 0, 0, f_zero, nullptr,         "lat_ns_tot (0: no task profiling)"},
    {"prio_class", PTC_SMP_SINT, L4, 0, 0, f_prio_class, nullptr,    "prio_class"},
    {"prio_offset", PTC_SMP_SINT, L4, 0, 0, f_prio_offset, nullptr,  "prio_offset"},
};
const uint32_t k_ext_fetch_count = sizeof(k_ext_fetches) / sizeof(k_ext_fetches[0]);

} // namespace smp
} // namespace portico
