// SPDX-License-Identifier: MIT
// The proxy_protocol module: PROXY protocol v1/v2 on both sides of a stream.
//
// Client side: "bind ... accept-proxy" (every connection of that address must start with a
// header) and the "tcp-request connection expect-proxy layer4 [if|unless <cond>]" action
// (only connections the rule matches must) are served by a PTC_PHASE_CONNECTION hook: it
// waits for the header (bounded by "timeout client"), parses it with pp_parse, consumes it,
// and makes its addresses the stream's, so logs, "src"/"dst", ACLs, "balance source" and
// "option forwardfor" all see the real client. TLVs are kept for the fc_pp_* fetches.
//
// Server side: "server ... send-proxy | send-proxy-v2 [proxy-v2-options ...]" writes a
// header on each new server connection from a PTC_PHASE_SRV_CONNECTED hook, before any
// request byte (the host then keeps that connection private to the stream).
#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <portico/portico.h>

#include "pp_parse.hpp"

namespace {

const ptc_host* host;
ptc_modref* g_self;
size_t g_max_header = pp::PP_V2_MAX_LEN; // tune.bufsize, read once in post_config

// ---- configuration ---------------------------------------------------------------------

struct bind_cf {
    uint8_t accept_proxy; // "accept-proxy"
};

// proxy-v2-options bits
enum : uint32_t {
    PPO_SSL = 1u << 0,
    PPO_CERT_CN = 1u << 1,
    PPO_SSL_CIPHER = 1u << 2,
    PPO_CERT_SIG = 1u << 3,
    PPO_CERT_KEY = 1u << 4,
    PPO_AUTHORITY = 1u << 5,
    PPO_CRC32C = 1u << 6,
    PPO_UNIQUE_ID = 1u << 7,
};

struct server_cf {
    uint8_t send;        // 0 none, 1 v1, 2 v2
    uint8_t check_send;  // "check-send-proxy" (used by health checks)
    uint32_t v2_opts;    // PPO_*
};

// ---- per-stream state ------------------------------------------------------------------

// Received TLVs are copied to the heap (only for headers that carry some).
struct tlv_store {
    uint16_t count;
    pp::tlv tlvs[pp::PP_MAX_TLVS]; // offsets into data
    uint32_t len;
    uint8_t data[];
};

struct stream_st {
    uint8_t expect;   // "expect-proxy layer4" matched for this connection
    uint8_t done;     // the header was consumed (or none was expected)
    uint8_t rcvd;     // fc_rcvd_proxy
    uint8_t version;  // 1 or 2
    tlv_store* tlvs;  // received v2 TLVs, or null
};

stream_st* state(ptc_stream* s) { return static_cast<stream_st*>(host->stream_modstate(g_self, s)); }

// ---- keywords --------------------------------------------------------------------------

int kw_accept_proxy(const ptc_kw_ctx* c)
{
    if (!c->bind_conf)
        return host->cfg_errorf(c, "'accept-proxy' needs a bind line");
    static_cast<bind_cf*>(c->bind_conf)->accept_proxy = 1;
    return PTC_OK;
}

// send-proxy[-v2[-ssl[-cn]]] and their no- forms: what each sets or clears.
struct send_kw {
    const char* name;
    uint8_t send;      // sets send to this (1 or 2); 0: leaves it
    uint8_t unsend;    // no-: clears send when it is this version
    uint32_t set_opts; // v2 options added
    uint32_t clr_opts; // v2 options removed
};
const send_kw k_send_kws[] = {
    {"send-proxy", 1, 0, 0, 0},
    {"send-proxy-v2", 2, 0, 0, 0},
    {"send-proxy-v2-ssl", 2, 0, PPO_SSL, 0},
    {"send-proxy-v2-ssl-cn", 2, 0, PPO_SSL | PPO_CERT_CN, 0},
    {"no-send-proxy", 0, 1, 0, 0},
    {"no-send-proxy-v2", 0, 2, 0, 0},
    {"no-send-proxy-v2-ssl", 0, 0, 0, PPO_SSL},
    {"no-send-proxy-v2-ssl-cn", 0, 0, 0, PPO_CERT_CN},
};

int kw_send(const ptc_kw_ctx* c)
{
    server_cf* sc = static_cast<server_cf*>(c->conf);
    ptc_str k = c->args[0];
    for (const send_kw& e : k_send_kws) {
        if (strlen(e.name) != k.len || memcmp(e.name, k.ptr, k.len) != 0)
            continue;
        if (e.send)
            sc->send = e.send;
        if (e.unsend && sc->send == e.unsend)
            sc->send = 0;
        sc->v2_opts = (sc->v2_opts | e.set_opts) & ~e.clr_opts;
        return PTC_OK;
    }
    return host->cfg_errorf(c, "'%.*s': unknown option", (int)k.len, k.ptr);
}

int kw_check_send_proxy(const ptc_kw_ctx* c)
{
    static_cast<server_cf*>(c->conf)->check_send = 1;
    return PTC_OK;
}

int kw_proxy_v2_options(const ptc_kw_ctx* c)
{
    static const struct {
        const char* name;
        uint32_t bit;
    } opts[] = {
        {"ssl", PPO_SSL},           {"cert-cn", PPO_CERT_CN},     {"ssl-cipher", PPO_SSL_CIPHER},
        {"cert-sig", PPO_CERT_SIG}, {"cert-key", PPO_CERT_KEY},   {"authority", PPO_AUTHORITY},
        {"crc32c", PPO_CRC32C},     {"unique-id", PPO_UNIQUE_ID},
    };
    server_cf* sc = static_cast<server_cf*>(c->conf);
    ptc_str v = c->args[c->kw_words];
    size_t i = 0;
    while (i <= v.len) {
        size_t j = i;
        while (j < v.len && v.ptr[j] != ',')
            j++;
        size_t n = j - i;
        bool found = false;
        for (auto& o : opts)
            if (strlen(o.name) == n && memcmp(o.name, v.ptr + i, n) == 0) {
                sc->v2_opts |= o.bit;
                found = true;
            }
        if (!found)
            return host->cfg_errorf(c,
                                    "'proxy-v2-options' : unknown option '%.*s' (expects a comma-"
                                    "separated list of ssl, cert-cn, ssl-cipher, cert-sig, "
                                    "cert-key, authority, crc32c, unique-id)",
                                    (int)n, v.ptr + i);
        i = j + 1;
    }
    return PTC_OK;
}

constexpr uint32_t SV = PTC_KW_SERVER | PTC_KW_DEFSERVER;

const ptc_keyword keywords[] = {
    {"accept-proxy", PTC_KW_BIND, 0, 0, 0, kw_accept_proxy,
     "accept-proxy: connections to this address start with a PROXY v1 or v2 header"},
    {"send-proxy", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "send-proxy: send a PROXY v1 header on each new connection"},
    {"send-proxy-v2", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "send-proxy-v2: send a PROXY v2 header on each new connection"},
    {"send-proxy-v2-ssl", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "send-proxy-v2-ssl: send-proxy-v2 with the SSL TLV"},
    {"send-proxy-v2-ssl-cn", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "send-proxy-v2-ssl-cn: send-proxy-v2 with the SSL TLV and the client certificate's CN"},
    {"no-send-proxy", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "no-send-proxy: cancel an inherited send-proxy"},
    {"no-send-proxy-v2", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "no-send-proxy-v2: cancel an inherited send-proxy-v2"},
    {"no-send-proxy-v2-ssl", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "no-send-proxy-v2-ssl: cancel an inherited send-proxy-v2-ssl"},
    {"no-send-proxy-v2-ssl-cn", SV, PTC_KWF_RUNTIME, 0, 0, kw_send,
     "no-send-proxy-v2-ssl-cn: cancel an inherited send-proxy-v2-ssl-cn"},
    {"check-send-proxy", SV, PTC_KWF_RUNTIME, 0, 0, kw_check_send_proxy,
     "check-send-proxy: health checks send a PROXY header too"},
    {"proxy-v2-options", SV, PTC_KWF_RUNTIME, 1, 1, kw_proxy_v2_options,
     "proxy-v2-options <opt>[,<opt>]*: ssl, cert-cn, ssl-cipher, cert-sig, cert-key, authority, "
     "crc32c, unique-id"},
};

// ---- "tcp-request connection expect-proxy layer4" ----------------------------------------

int act_expect_parse(const ptc_kw_ctx* c, uint32_t first, uint32_t* next, void** st)
{
    if (first >= c->argc || c->args[first].len != 6 || memcmp(c->args[first].ptr, "layer4", 6))
        return host->cfg_errorf(c, "'expect-proxy' expects 'layer4'");
    *next = first + 1;
    *st = nullptr;
    return PTC_OK;
}

int act_expect_exec(ptc_stream* s, void*)
{
    state(s)->expect = 1;
    return PTC_ACT_CONTINUE;
}

const ptc_action actions[] = {
    {PTC_RULES_TCP_REQ_CONN, "expect-proxy", act_expect_parse, act_expect_exec,
     "expect-proxy layer4"},
};

// ---- receiving a header ----------------------------------------------------------------

void keep_tlvs(stream_st* st, const uint8_t* hdr, const pp::header& h)
{
    if (!h.tlv_count)
        return;
    // copy the TLV area: from the first TLV's value start - 3 to the header's end
    uint32_t lo = h.length, hi = 0;
    for (uint16_t i = 0; i < h.tlv_count; i++) {
        if (h.tlvs[i].off < lo)
            lo = h.tlvs[i].off;
        if (h.tlvs[i].off + h.tlvs[i].len > hi)
            hi = h.tlvs[i].off + h.tlvs[i].len;
    }
    tlv_store* t = static_cast<tlv_store*>(host->alloc(sizeof(tlv_store) + (hi - lo)));
    t->count = h.tlv_count;
    t->len = hi - lo;
    memcpy(t->data, hdr + lo, hi - lo);
    for (uint16_t i = 0; i < h.tlv_count; i++) {
        t->tlvs[i] = h.tlvs[i];
        t->tlvs[i].off -= lo;
    }
    st->tlvs = t;
}

int on_connection(ptc_stream* s, void*, void*)
{
    stream_st* st = state(s);
    if (st->done)
        return PTC_CONTINUE;
    const bind_cf* bc = static_cast<const bind_cf*>(host->bind_conf(g_self, host->stream_bind(s)));
    if (!(bc && bc->accept_proxy) && !st->expect) {
        st->done = 1;
        return PTC_CONTINUE;
    }
    ptc_str in;
    uint32_t fl = host->chan_data(s, PTC_DIR_REQ, &in);
    pp::header h;
    const char* why = nullptr;
    pp::status r = pp::parse(reinterpret_cast<const uint8_t*>(in.ptr), in.len, h, &why,
                             g_max_header);
    if (r == pp::status::need_more) {
        if (fl & PTC_CHAN_TIMEOUT) {
            host->stream_conn_fail(s, "Timeout while waiting for PROXY protocol header");
            return PTC_DENY;
        }
        if (fl & PTC_CHAN_ERROR) {
            host->stream_conn_fail(s, "Connection error while waiting for PROXY protocol header");
            return PTC_DENY;
        }
        if (fl & PTC_CHAN_EOF) {
            host->stream_conn_fail(s, "Connection closed while waiting for PROXY protocol header");
            return PTC_DENY;
        }
        return PTC_YIELD;
    }
    if (r == pp::status::error) {
        char msg[160];
        if (in.len && in.ptr[0] != 'P' && in.ptr[0] != '\r')
            snprintf(msg, sizeof(msg),
                     "Received something which does not look like a PROXY protocol header");
        else
            snprintf(msg, sizeof(msg), "Received an invalid PROXY protocol header (%s)",
                     why ? why : "malformed");
        host->stream_conn_fail(s, msg);
        return PTC_DENY;
    }
    if (!h.local && h.addrlen) {
        if (host->stream_set_addr(s, PTC_ADDR_CLIENT, reinterpret_cast<const sockaddr*>(&h.src),
                                  h.addrlen) != PTC_OK ||
            host->stream_set_addr(s, PTC_ADDR_FRONTEND,
                                  reinterpret_cast<const sockaddr*>(&h.dst),
                                  h.addrlen) != PTC_OK) {
            host->stream_conn_fail(s, "Received an invalid PROXY protocol header (bad address)");
            return PTC_DENY;
        }
    }
    keep_tlvs(st, reinterpret_cast<const uint8_t*>(in.ptr), h);
    host->chan_skip(s, PTC_DIR_REQ, h.length);
    st->done = 1;
    st->rcvd = 1;
    st->version = h.version;
    return PTC_CONTINUE;
}

int on_close(ptc_stream* s, void*, void*)
{
    stream_st* st = state(s);
    if (st && st->tlvs) {
        host->free(st->tlvs);
        st->tlvs = nullptr;
    }
    return PTC_CONTINUE;
}

// ---- sending a header ------------------------------------------------------------------

const pp::tlv* find_tlv(const stream_st* st, uint8_t type, const uint8_t** val)
{
    if (!st || !st->tlvs)
        return nullptr;
    for (uint16_t i = 0; i < st->tlvs->count; i++)
        if (st->tlvs->tlvs[i].type == type) {
            *val = st->tlvs->data + st->tlvs->tlvs[i].off;
            return &st->tlvs->tlvs[i];
        }
    return nullptr;
}

int on_srv_connected(ptc_stream* s, void*, void*)
{
    ptc_server* srv = host->stream_server(s);
    const server_cf* sc = srv ? static_cast<const server_cf*>(host->server_conf(g_self, srv))
                              : nullptr;
    if (!sc || !sc->send)
        return PTC_CONTINUE;
    sockaddr_storage src{}, dst{};
    socklen_t sl = host->stream_addr(s, PTC_ADDR_CLIENT, &src);
    socklen_t dl = host->stream_addr(s, PTC_ADDR_FRONTEND, &dst);
    const sockaddr* ps = sl ? reinterpret_cast<const sockaddr*>(&src) : nullptr;
    const sockaddr* pd = dl ? reinterpret_cast<const sockaddr*>(&dst) : nullptr;
    uint8_t buf[1024];
    size_t n;
    if (sc->send == 1) {
        n = pp::build_v1(reinterpret_cast<char*>(buf), sizeof(buf), ps, pd);
    } else {
        pp::v2_opts o;
        const stream_st* st = state(s);
        const uint8_t* v;
        o.crc32c = (sc->v2_opts & PPO_CRC32C) != 0;
        // what the client's TLS transport negotiated (ABI 1.26); NULL without TLS
        auto xi = [s](uint32_t what) -> const char* {
            return PTC_HOST_HAS(host, stream_xprt_info)
                       ? host->stream_xprt_info(s, PTC_SIDE_CLIENT, what)
                       : nullptr;
        };
        auto sv = [](const char* p) { return p ? std::string_view(p) : std::string_view(); };
        const char* tls_version = xi(PTC_XPRT_VERSION); // set once a TLS handshake is done
        // the ALPN the TLS client negotiated, always (HAProxy)
        if (tls_version)
            o.alpn = sv(xi(PTC_XPRT_ALPN));
        if (sc->v2_opts & PPO_AUTHORITY) {
            // the authority a PROXY header brought in, else the TLS client's SNI
            if (const pp::tlv* t = find_tlv(st, pp::PP2_TYPE_AUTHORITY, &v))
                o.authority = std::string_view(reinterpret_cast<const char*>(v), t->len);
            else if (tls_version)
                o.authority = sv(xi(PTC_XPRT_SNI));
        }
        if (sc->v2_opts & PPO_UNIQUE_ID) {
            // the stream's unique id (unique-id-format), as HAProxy; without one, the id a
            // PROXY header brought in is passed on
            ptc_str id{nullptr, 0};
            if (PTC_HOST_HAS(host, stream_unique_id) && host->stream_unique_id(s, &id))
                o.unique_id = std::string_view(id.ptr, id.len);
            else if (const pp::tlv* t = find_tlv(st, pp::PP2_TYPE_UNIQUE_ID, &v))
                o.unique_id = std::string_view(reinterpret_cast<const char*>(v), t->len);
        }
        if (sc->v2_opts & (PPO_SSL | PPO_CERT_CN | PPO_SSL_CIPHER | PPO_CERT_SIG | PPO_CERT_KEY)) {
            // the SSL TLV (each of these options implies it, as in HAProxy): the client
            // byte and verify field, then the sub-TLVs of a TLS client; a clear-text
            // client gets client 0, verify 0 and no sub-TLV
            o.has_ssl = true;
            if (tls_version) {
                o.ssl_client = pp::PP2_CLIENT_SSL;
                o.ssl_version = tls_version;
                if (const char* used = xi(PTC_XPRT_PEER_CERT)) {
                    o.ssl_client |= pp::PP2_CLIENT_CERT_SESS;
                    if (strcmp(used, "conn") == 0)
                        o.ssl_client |= pp::PP2_CLIENT_CERT_CONN;
                    if (const char* vr = xi(PTC_XPRT_VERIFY))
                        o.ssl_verify = (uint32_t)strtol(vr, nullptr, 10);
                }
                if (sc->v2_opts & PPO_CERT_CN)
                    o.ssl_cn = sv(xi(PTC_XPRT_PEER_CN));
                if (sc->v2_opts & PPO_CERT_KEY)
                    o.ssl_key_alg = sv(xi(PTC_XPRT_CERT_KEY));
                if (sc->v2_opts & PPO_CERT_SIG)
                    o.ssl_sig_alg = sv(xi(PTC_XPRT_CERT_SIG));
                if (sc->v2_opts & PPO_SSL_CIPHER)
                    o.ssl_cipher = sv(xi(PTC_XPRT_CIPHER));
            }
        }
        n = pp::build_v2(buf, sizeof(buf), ps, pd, o);
    }
    if (!n || host->stream_srv_prepend(s, buf, n) != PTC_OK) {
        host->log(PTC_LOG_ERR, "proxy_protocol: cannot build the PROXY header for server %.*s",
                  (int)host->server_name(srv).len, host->server_name(srv).ptr);
        return PTC_ERROR;
    }
    // The unique ID is the transaction's: the next request of the stream needs a header of
    // its own, so a connection of its own (HAProxy keys reuse on the whole PROXY header).
    if (sc->send == 2 && (sc->v2_opts & PPO_UNIQUE_ID) && PTC_HOST_HAS(host, stream_srv_once))
        host->stream_srv_once(s);
    return PTC_CONTINUE;
}

const ptc_hook hooks[] = {
    {PTC_PHASE_CONNECTION, -1000, on_connection}, // first: before TLS,
    {PTC_PHASE_SRV_CONNECTED, 0, on_srv_connected},
    {PTC_PHASE_CLOSE, 0, on_close},
};

// ---- fetches ---------------------------------------------------------------------------

int f_rcvd_proxy(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_BOOL;
    out->flags = 0;
    out->u.sint = state(s)->rcvd;
    return 1;
}

int tlv_sample(ptc_stream* s, uint8_t type, ptc_sample* out)
{
    const uint8_t* v;
    const pp::tlv* t = find_tlv(state(s), type, &v);
    if (!t)
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{reinterpret_cast<const char*>(v), t->len};
    return 1;
}

int f_pp_authority(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return tlv_sample(s, pp::PP2_TYPE_AUTHORITY, out);
}

int f_pp_unique_id(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return tlv_sample(s, pp::PP2_TYPE_UNIQUE_ID, out);
}

int f_pp_tlv(ptc_stream* s, const ptc_arg* a, uint32_t, ptc_sample* out)
{
    return tlv_sample(s, (uint8_t)a[0].sint, out);
}

// fc_pp_tlv(<id>): a number (decimal or 0x..) 0..255, or a PP2_TYPE_* / PP2_SUBTYPE_SSL_* name
int check_tlv_id(const ptc_kw_ctx* c, ptc_arg* a, uint32_t n)
{
    static const struct {
        const char* name;
        uint8_t type;
    } names[] = {
        {"ALPN", pp::PP2_TYPE_ALPN},
        {"AUTHORITY", pp::PP2_TYPE_AUTHORITY},
        {"CRC32C", pp::PP2_TYPE_CRC32C},
        {"NOOP", pp::PP2_TYPE_NOOP},
        {"UNIQUE_ID", pp::PP2_TYPE_UNIQUE_ID},
        {"SSL", pp::PP2_TYPE_SSL},
        {"SSL_VERSION", pp::PP2_SUBTYPE_SSL_VERSION},
        {"SSL_CN", pp::PP2_SUBTYPE_SSL_CN},
        {"SSL_CIPHER", pp::PP2_SUBTYPE_SSL_CIPHER},
        {"SSL_SIG_ALG", pp::PP2_SUBTYPE_SSL_SIG_ALG},
        {"SSL_KEY_ALG", pp::PP2_SUBTYPE_SSL_KEY_ALG},
        {"NETNS", pp::PP2_TYPE_NETNS},
    };
    if (n != 1)
        return host->cfg_errorf(c, "fc_pp_tlv expects one TLV type");
    const char* t = a[0].str.ptr;
    for (auto& e : names) {
        char full[40];
        snprintf(full, sizeof(full), "PP2_%s%s",
                 strncmp(e.name, "SSL_", 4) == 0 ? "SUBTYPE_" : "TYPE_", e.name);
        if (strcmp(t, e.name) == 0 || strcmp(t, full) == 0) {
            a[0].sint = e.type;
            return PTC_OK;
        }
    }
    char* end = nullptr;
    unsigned long v = strtoul(t, &end, 0);
    if (!*t || *end || v > 255)
        return host->cfg_errorf(c, "fc_pp_tlv: invalid TLV type '%s' (0..255 or a PP2_TYPE_* name)",
                                t);
    a[0].sint = (int64_t)v;
    return PTC_OK;
}

const ptc_fetch fetches[] = {
    {"fc_rcvd_proxy", PTC_SMP_BOOL, PTC_USE_ANY, 0, 0, f_rcvd_proxy, nullptr, "fc_rcvd_proxy"},
    {"fc_pp_authority", PTC_SMP_STR, PTC_USE_ANY, 0, 0, f_pp_authority, nullptr,
     "fc_pp_authority"},
    {"fc_pp_unique_id", PTC_SMP_STR, PTC_USE_ANY, 0, 0, f_pp_unique_id, nullptr,
     "fc_pp_unique_id"},
    {"fc_pp_tlv", PTC_SMP_STR, PTC_USE_ANY, 1, 1, f_pp_tlv, check_tlv_id, "fc_pp_tlv(<id>)"},
};

// ---- the API health checks use (PTC_PP_API_NAME) ---------------------------------------

uint32_t api_server_flags(const ptc_server* srv)
{
    const server_cf* sc = static_cast<const server_cf*>(host->server_conf(g_self, srv));
    if (!sc)
        return 0;
    return (sc->send == 1 ? PTC_PP_SEND_V1 : 0) | (sc->send == 2 ? PTC_PP_SEND_V2 : 0) |
           (sc->check_send ? PTC_PP_CHECK_SEND : 0);
}

size_t api_local_header(uint32_t version, void* buf, size_t cap)
{
    if (version == 1) {
        static const char v1[] = "PROXY UNKNOWN\r\n";
        if (cap < sizeof(v1) - 1)
            return 0;
        memcpy(buf, v1, sizeof(v1) - 1);
        return sizeof(v1) - 1;
    }
    if (version == 2) {
        // signature, version 2 + LOCAL, AF_UNSPEC/UNSPEC, no address block
        static const uint8_t v2[16] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51,
                                       0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
        if (cap < sizeof(v2))
            return 0;
        memcpy(buf, v2, sizeof(v2));
        return sizeof(v2);
    }
    return 0;
}

const ptc_pp_api k_api = {
    .size = sizeof(ptc_pp_api),
    .server_flags = api_server_flags,
    .local_header = api_local_header,
};

int init(ptc_modref* self)
{
    g_self = self;
    return host->api_publish(self, PTC_PP_API_NAME, PTC_PP_API_VERSION, &k_api);
}

int post_config(ptc_modref*)
{
    // a header longer than a buffer can never arrive whole: refuse it at its length field
    if (uint64_t b = host->global_setting("tune.bufsize"))
        g_max_header = (size_t)b;
    return PTC_OK;
}

const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "proxy_protocol",
    .version = "1.0.0",
    .description = "PROXY protocol v1/v2: accept-proxy, expect-proxy, send-proxy[-v2]",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .server_conf_size = sizeof(server_cf),
    .init = init,
    .post_config = post_config,
    .fetches = fetches,
    .fetch_count = PTC_COUNTOF(fetches),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .actions = actions,
    .action_count = PTC_COUNTOF(actions),
    .action_size = sizeof(ptc_action),
    .bind_conf_size = sizeof(bind_cf),
    .stream_state_size = sizeof(stream_st),
};

} // namespace

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &descriptor;
}
