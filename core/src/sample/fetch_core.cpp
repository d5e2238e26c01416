// SPDX-License-Identifier: MIT
// The core's sample fetches: addresses, proxy and server names, server counts, constants,
// variables and environment variables.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <deque>

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

std::deque<var_ref> g_var_refs;
std::deque<ptc_sample> g_consts;

bool set_addr(const sockaddr_storage& ss, socklen_t len, ptc_sample* out, bool port)
{
    if (!len)
        return false;
    if (ss.ss_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        if (port) {
            out->type = PTC_SMP_SINT;
            out->u.sint = ntohs(a->sin_port);
        } else {
            out->type = PTC_SMP_IPV4;
            std::memcpy(out->u.ipv4, &a->sin_addr, 4);
        }
        return true;
    }
    if (ss.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        if (port) {
            out->type = PTC_SMP_SINT;
            out->u.sint = ntohs(a->sin6_port);
        } else {
            out->type = PTC_SMP_IPV6;
            std::memcpy(out->u.ipv6, &a->sin6_addr, 16);
        }
        return true;
    }
    return false;
}

int f_src(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return set_addr(S(s)->cli_addr, S(s)->cli_addrlen, out, false);
}

int f_src_port(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return set_addr(S(s)->cli_addr, S(s)->cli_addrlen, out, true);
}

// fc_src, fc_dst (and their ports): the connection's addresses, as the PROXY header and
// "tcp-request connection" rules left them, not those "tcp-request session|content" or
// "http-request" set-src & co gave the session or the request (HAProxy 2.5+).
socklen_t fc_addr(ptc_stream* ps, bool src, sockaddr_storage& out)
{
    const stream* s = S(ps);
    const uint8_t bit = src ? 1 : 2;
    const sockaddr_storage* a;
    socklen_t n;
    if (s->fc_saved & bit) {
        a = src ? &s->fc_cli_addr : &s->fc_fe_addr;
        n = src ? s->fc_cli_addrlen : s->fc_fe_addrlen;
    } else if (s->addr_saved & bit) {
        a = src ? &s->saved_cli_addr : &s->saved_fe_addr;
        n = src ? s->saved_cli_addrlen : s->saved_fe_addrlen;
    } else if (src) {
        a = &s->cli_addr;
        n = s->cli_addrlen;
    } else {
        return host_stream_addr(ps, PTC_ADDR_FRONTEND, &out);
    }
    if (n) {
        std::memcpy(&out, a, n);
        return n;
    }
    if (src || !s->cli || s->cli->fd < 0)
        return 0;
    socklen_t len = sizeof(out); // the frontend socket's own address
    return getsockname(s->cli->fd, reinterpret_cast<sockaddr*>(&out), &len) < 0 ? 0 : len;
}

int f_fc_src(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = fc_addr(s, true, ss);
    return set_addr(ss, n, out, false);
}
int f_fc_src_port(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = fc_addr(s, true, ss);
    return set_addr(ss, n, out, true);
}
int f_fc_dst(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = fc_addr(s, false, ss);
    return set_addr(ss, n, out, false);
}
int f_fc_dst_port(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = fc_addr(s, false, ss);
    return set_addr(ss, n, out, true);
}

int f_dst(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = host_stream_addr(s, PTC_ADDR_FRONTEND, &ss);
    return set_addr(ss, n, out, false);
}

int f_dst_port(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    sockaddr_storage ss;
    socklen_t n = host_stream_addr(s, PTC_ADDR_FRONTEND, &ss);
    return set_addr(ss, n, out, true);
}

int set_name(const std::string& n, ptc_sample* out)
{
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{n.data(), n.size()};
    return 1;
}

int f_fe_name(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return S(s)->fe ? set_name(S(s)->fe->name, out) : 0;
}

int f_be_name(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const proxy* be = cur_backend(S(s));
    return be ? set_name(be->name, out) : 0;
}

int f_srv_name(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return S(s)->srv ? set_name(S(s)->srv->name, out) : 0;
}

int f_srv_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    if (!S(s)->srv)
        return 0;
    out->type = PTC_SMP_SINT;
    out->u.sint = S(s)->srv->id;
    return 1;
}

// Servers that can take traffic (same test as the balancer's).
int64_t usable_servers(const proxy* be)
{
    int64_t n = 0;
    for (auto& sv : be->servers) {
        const shm_server* sh = sv->shared;
        if (!sh)
            continue;
        if (sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY &&
            srv_op_up(sh) && srv_eweight(sh) > 0)
            n++;
    }
    return n;
}

int check_nbsrv(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs && !args[0].str.len)
        return arg_error(ctx, "nbsrv: empty backend name");
    return PTC_OK;
}

int f_nbsrv(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const proxy* be = cur_backend(S(s));
    if (nargs) {
        // resolved on first use in this process (backends may be declared after the rule)
        auto* a = const_cast<ptc_arg*>(&args[0]);
        if (!a->data && g_config) {
            std::string_view want(a->str.ptr, a->str.len);
            for (auto& p : g_config->proxies)
                if ((p->cap & CAP_BE) && p->name == want)
                    a->data = p.get();
        }
        be = static_cast<const proxy*>(a->data);
    }
    if (!be)
        return 0;
    out->type = PTC_SMP_SINT;
    out->u.sint = usable_servers(be);
    return 1;
}

int f_true(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_BOOL;
    out->u.sint = 1;
    return 1;
}

int f_false(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_BOOL;
    out->u.sint = 0;
    return 1;
}

int check_var(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    std::string err;
    var_ref v;
    if (!var_parse(std::string_view(args[0].str.ptr, args[0].str.len), v, err))
        return arg_error(ctx, err);
    g_var_refs.push_back(v);
    args[0].data = &g_var_refs.back();
    if (nargs > 1) {
        // default value, a string
        g_consts.push_back(ptc_sample{});
        ptc_sample& d = g_consts.back();
        d.type = PTC_SMP_STR;
        d.flags = PTC_SMPF_CONST;
        d.u.str = args[1].str;
        args[1].data = &d;
    }
    return PTC_OK;
}

int f_var(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    if (var_get(s, *static_cast<const var_ref*>(args[0].data), out))
        return 1;
    if (nargs > 1) {
        *out = *static_cast<const ptc_sample*>(args[1].data);
        return 1;
    }
    return 0;
}

int f_env(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    const char* v = std::getenv(args[0].str.ptr);
    if (!v)
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{v, std::strlen(v)};
    return 1;
}

int check_int(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    // a signed 64-bit decimal, INT64_MIN included
    std::string_view t(args[0].str.ptr, args[0].str.len);
    size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    bool neg = !t.empty() && t[0] == '-';
    uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool ok = i < t.size();
    for (; ok && i < t.size(); i++) {
        if (t[i] < '0' || t[i] > '9' || x > (lim - (uint64_t)(t[i] - '0')) / 10)
            ok = false;
        else
            x = x * 10 + (uint64_t)(t[i] - '0');
    }
    if (!ok)
        return arg_error(ctx, "int: '" + std::string(t) + "' is not an integer");
    args[0].sint = neg ? (int64_t)(0 - x) : (int64_t)x;
    return PTC_OK;
}

int f_int(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_SINT;
    out->u.sint = args[0].sint;
    return 1;
}

int f_str(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = nargs ? args[0].str : ptc_str{"", 0}; // str() is the empty string
    return 1;
}

int check_bool(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    std::string_view t(args[0].str.ptr, args[0].str.len);
    if (t == "1" || t == "true")
        args[0].sint = 1;
    else if (t == "0" || t == "false")
        args[0].sint = 0;
    else
        return arg_error(ctx, "bool: expects 'true', 'false', '1' or '0', got '" +
                                  std::string(t) + "'");
    return PTC_OK;
}

int f_bool(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_BOOL;
    out->u.sint = args[0].sint;
    return 1;
}

template <int Fam> int check_ip(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t)
{
    pattern p;
    std::string_view t(args[0].str.ptr, args[0].str.len);
    if (!parse_ip_mask(t, p, false) || p.family != Fam)
        return arg_error(ctx, std::string(Fam == 4 ? "ipv4" : "ipv6") + ": '" + std::string(t) +
                                  "' is not a valid address");
    g_consts.push_back(ptc_sample{});
    ptc_sample& d = g_consts.back();
    d.type = Fam == 4 ? PTC_SMP_IPV4 : PTC_SMP_IPV6;
    std::memcpy(Fam == 4 ? d.u.ipv4 : d.u.ipv6, p.addr, Fam == 4 ? 4 : 16);
    args[0].data = &d;
    return PTC_OK;
}

int f_ip(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    *out = *static_cast<const ptc_sample*>(args[0].data);
    return 1;
}

constexpr uint32_t L4 = PTC_USE_L4;

} // namespace

// last_rule_file / last_rule_line: where the rule that ended the last rule set of this
// transaction (tcp-request/tcp-response content, http-request/response/after-response) is.
int f_last_rule_file(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const rule* r = last_rule_get(s);
    if (!r || r->file.empty())
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{r->file.data(), r->file.size()};
    return 1;
}

int f_last_rule_line(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const rule* r = last_rule_get(s);
    if (!r || !r->line)
        return 0;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = r->line;
    return 1;
}

// fc_err: HAProxy's code of the error the client connection failed with (its handshakes:
// PROXY header, TLS), 0 while it did not; fc_err_str: the message of that code ("Success"
// for 0, as HAProxy 2.6)
int f_fc_err(ptc_stream* ps, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const stream* s = reinterpret_cast<const stream*>(ps);
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = s ? s->conn_err : 0;
    return 1;
}

int f_fc_err_str(ptc_stream* ps, const ptc_arg*, uint32_t, ptc_sample* out)
{
    const stream* s = reinterpret_cast<const stream*>(ps);
    const char* t = s ? conn_err_text(s->conn_err) : nullptr;
    if (!t)
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{t, std::strlen(t)};
    return 1;
}

const ptc_fetch k_core_fetches[] = {
    // name          out type       use min max fn          check          help
    {"src",          PTC_SMP_IPV4,  L4, 0, 0, f_src,        nullptr,       "src: the client's address (ipv4 or ipv6)"},
    {"src_port",     PTC_SMP_SINT,  L4, 0, 0, f_src_port,   nullptr,       "src_port: the client's port"},
    {"dst",          PTC_SMP_IPV4,  L4, 0, 0, f_dst,        nullptr,       "dst: the local address the client connected to"},
    {"dst_port",     PTC_SMP_SINT,  L4, 0, 0, f_dst_port,   nullptr,       "dst_port: the local port the client connected to"},
    {"fc_src",       PTC_SMP_IPV4,  L4, 0, 0, f_fc_src,     nullptr,       "fc_src: the connection's client address"},
    {"fc_src_port",  PTC_SMP_SINT,  L4, 0, 0, f_fc_src_port, nullptr,      "fc_src_port: the connection's client port"},
    {"fc_dst",       PTC_SMP_IPV4,  L4, 0, 0, f_fc_dst,     nullptr,       "fc_dst: the connection's local address"},
    {"fc_dst_port",  PTC_SMP_SINT,  L4, 0, 0, f_fc_dst_port, nullptr,      "fc_dst_port: the connection's local port"},
    {"fc_err",       PTC_SMP_SINT,  L4, 0, 0, f_fc_err,     nullptr,       "fc_err: the client connection's error code (0: none)"},
    {"fc_err_str",   PTC_SMP_STR,   L4, 0, 0, f_fc_err_str, nullptr,       "fc_err_str: the client connection's error message"},
    {"fe_name",      PTC_SMP_STR,   L4, 0, 0, f_fe_name,    nullptr,       "fe_name: the frontend's name"},
    {"be_name",      PTC_SMP_STR,   L4, 0, 0, f_be_name,    nullptr,       "be_name: the backend's name"},
    {"srv_name",     PTC_SMP_STR,   L4, 0, 0, f_srv_name,   nullptr,       "srv_name: the server's name"},
    {"srv_id",       PTC_SMP_SINT,  L4, 0, 0, f_srv_id,     nullptr,       "srv_id: the server's id"},
    {"nbsrv",        PTC_SMP_SINT,  L4, 0, 1, f_nbsrv,      check_nbsrv,   "nbsrv([<backend>]): usable servers"},
    {"always_true",  PTC_SMP_BOOL,  L4, 0, 0, f_true,       nullptr,       "always_true"},
    {"last_rule_file", PTC_SMP_STR, L4, 0, 0, f_last_rule_file, nullptr, "last_rule_file: file of the last final rule"},
    {"last_rule_line", PTC_SMP_SINT, L4, 0, 0, f_last_rule_line, nullptr, "last_rule_line: line of the last final rule"},
    {"always_false", PTC_SMP_BOOL,  L4, 0, 0, f_false,      nullptr,       "always_false"},
    {"var",          PTC_SMP_ANY,   L4, 1, 2, f_var,        check_var,     "var(<name>[,<default>])"},
    {"env",          PTC_SMP_STR,   L4, 1, 1, f_env,        nullptr,       "env(<name>): an environment variable"},
    {"int",          PTC_SMP_SINT,  L4, 1, 1, f_int,        check_int,     "int(<integer>)"},
    {"str",          PTC_SMP_STR,   L4, 1, 1, f_str,        nullptr,       "str(<string>)"},
    {"bool",         PTC_SMP_BOOL,  L4, 1, 1, f_bool,       check_bool,    "bool(<true|false|1|0>)"},
    {"ipv4",         PTC_SMP_IPV4,  L4, 1, 1, f_ip,         check_ip<4>,   "ipv4(<address>)"},
    {"ipv6",         PTC_SMP_IPV6,  L4, 1, 1, f_ip,         check_ip<6>,   "ipv6(<address>)"},
};
const uint32_t k_core_fetch_count = sizeof(k_core_fetches) / sizeof(k_core_fetches[0]);

} // namespace smp
} // namespace portico
