// SPDX-License-Identifier: MIT
// Test fixture (ABI 1.3 transports): a trivial transport that XORs every byte with 0x5A in
// both directions, after a 4-byte handshake, so that the engine's transport path can be
// tested without TLS. Used by t/module_xor_xprt.t.
//
//  - bind option "xor": installed on the client side from a PTC_PHASE_CONNECTION hook at
//    once. The client first sends "XOR1" (clear); the transport answers "OK\r\n" (clear,
//    through want_send/encode) and only then encodes payload. Anything else than "XOR1"
//    first is a decode error (the connection is closed).
//  - bind option "xor-peek": the hook first waits (PTC_YIELD) until "XOR1" is in the
//    request channel, without consuming it, then installs: the bytes already pending are
//    decoded first (the ClientHello case).
//  - server option "xor": installed on the server side from PTC_PHASE_SRV_CONNECTED: the
//    transport sends "XOR1" through want_send/encode, expects "OK\r\n" back, and encodes
//    no payload before it got it (encode yields, as TLS would).
// Each release is logged at NOTICE ("xor_xprt: release client|server"), each install too.
#include <cstring>

#include <portico/portico.h>

namespace {

const ptc_host* H;
ptc_modref* g_self;

struct bind_cf {
    uint8_t mode; // 0 none, 1 xor, 2 xor-peek
};
struct server_cf {
    uint8_t on;
};

constexpr unsigned char K = 0x5A;
const char k_hello[] = "XOR1"; // what the connecting side sends first
const char k_ok[] = "OK\r\n";  // what the accepting side answers

struct ctx {
    bool server;    // portico connects (server side of a stream): we send XOR1
    uint8_t hs_in;  // bytes of the peer's handshake matched (client side: XOR1, server: OK)
    uint8_t hs_out; // bytes of our handshake written (client side: OK, server: XOR1)
};

const char* peer_hs(const ctx* c) { return c->server ? k_ok : k_hello; }
const char* own_hs(const ctx* c) { return c->server ? k_hello : k_ok; }

int x_decode(void* t, const char* in, size_t inlen, size_t* used, char* out, size_t cap,
             size_t* made, int eof)
{
    ctx* c = static_cast<ctx*>(t);
    size_t i = 0, o = 0;
    (void)eof;
    const char* hs = peer_hs(c);
    while (i < inlen && c->hs_in < 4) {
        if (in[i] != hs[c->hs_in]) {
            H->log(PTC_LOG_WARNING, "xor_xprt: bad handshake on the %s side",
                   c->server ? "server" : "client");
            return PTC_ERROR;
        }
        c->hs_in++;
        i++;
    }
    while (i < inlen && o < cap)
        out[o++] = (char)(in[i++] ^ K);
    *used = i;
    *made = o;
    return (i || o) ? PTC_OK : PTC_YIELD;
}

int x_want_send(void* t)
{
    ctx* c = static_cast<ctx*>(t);
    // client side: the answer is owed once XOR1 came; server side: XOR1 at once
    return c->hs_out < 4 && (c->server || c->hs_in == 4);
}

int x_encode(void* t, const char* in, size_t inlen, size_t* used, char* out, size_t cap,
             size_t* made)
{
    ctx* c = static_cast<ctx*>(t);
    size_t i = 0, o = 0;
    const char* hs = own_hs(c);
    while (o < cap && x_want_send(t))
        out[o++] = hs[c->hs_out++];
    // payload only once both handshakes are done
    if (c->hs_out == 4 && c->hs_in == 4)
        while (i < inlen && o < cap)
            out[o++] = (char)(in[i++] ^ K);
    *used = i;
    *made = o;
    return (i || o || !inlen) ? PTC_OK : PTC_YIELD;
}

void x_release(void* t)
{
    ctx* c = static_cast<ctx*>(t);
    H->log(PTC_LOG_NOTICE, "xor_xprt: release %s", c->server ? "server" : "client");
    delete c;
}

const ptc_transport g_xor = {
    sizeof(ptc_transport), 0, "xor", x_decode, x_encode, x_want_send, x_release,
};

int install(ptc_stream* s, bool server)
{
    ctx* c = new ctx{server, 0, 0};
    if (H->stream_set_transport(s, server ? PTC_SIDE_SERVER : PTC_SIDE_CLIENT, &g_xor, c) !=
        PTC_OK) {
        delete c;
        H->log(PTC_LOG_WARNING, "xor_xprt: stream_set_transport refused");
        return PTC_ERROR;
    }
    H->log(PTC_LOG_NOTICE, "xor_xprt: install %s", server ? "server" : "client");
    return PTC_CONTINUE;
}

int on_connection(ptc_stream* s, void*, void*)
{
    const bind_cf* bc = static_cast<const bind_cf*>(H->bind_conf(g_self, H->stream_bind(s)));
    if (!bc || !bc->mode)
        return PTC_CONTINUE;
    if (bc->mode == 2) { // peek at the first bytes, as TLS would at a ClientHello
        ptc_str in;
        uint32_t fl = H->chan_data(s, PTC_DIR_REQ, &in);
        if (in.len < 4) {
            if (fl & (PTC_CHAN_EOF | PTC_CHAN_ERROR | PTC_CHAN_TIMEOUT))
                return PTC_DENY;
            return PTC_YIELD;
        }
        if (std::memcmp(in.ptr, k_hello, 4) != 0) {
            H->stream_conn_fail(s, "xor_xprt: not an XOR1 hello");
            return PTC_DENY;
        }
    }
    return install(s, false);
}

int on_srv_connected(ptc_stream* s, void*, void*)
{
    ptc_server* srv = H->stream_server(s);
    const server_cf* sc = srv ? static_cast<const server_cf*>(H->server_conf(g_self, srv))
                              : nullptr;
    if (!sc || !sc->on)
        return PTC_CONTINUE;
    return install(s, true);
}

int kw_bind_xor(const ptc_kw_ctx* c)
{
    if (!c->bind_conf)
        return H->cfg_errorf(c, "'xor' needs a bind line");
    static_cast<bind_cf*>(c->bind_conf)->mode = 1;
    return PTC_OK;
}

int kw_bind_xor_peek(const ptc_kw_ctx* c)
{
    if (!c->bind_conf)
        return H->cfg_errorf(c, "'xor-peek' needs a bind line");
    static_cast<bind_cf*>(c->bind_conf)->mode = 2;
    return PTC_OK;
}

int kw_server_xor(const ptc_kw_ctx* c)
{
    static_cast<server_cf*>(c->conf)->on = 1;
    return PTC_OK;
}

const ptc_keyword keywords[] = {
    {"xor", PTC_KW_BIND, 0, 0, 0, kw_bind_xor, "xor: the XOR test transport (client side)"},
    {"xor-peek", PTC_KW_BIND, 0, 0, 0, kw_bind_xor_peek,
     "xor-peek: the XOR test transport, installed after peeking at the hello"},
    {"xor", PTC_KW_SERVER | PTC_KW_DEFSERVER, 0, 0, 0, kw_server_xor,
     "xor: the XOR test transport (server side)"},
};

const ptc_hook hooks[] = {
    {PTC_PHASE_CONNECTION, 0, on_connection},
    {PTC_PHASE_SRV_CONNECTED, 0, on_srv_connected},
};

int init(ptc_modref* self)
{
    g_self = self;
    return PTC_OK;
}

const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "xor_xprt",
    .version = "1.0.0",
    .description = "test fixture: a XOR transport (ABI 1.3 transport slot)",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .server_conf_size = sizeof(server_cf),
    .init = init,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .bind_conf_size = sizeof(bind_cf),
};

} // namespace

PTC_MODULE_ENTRY(h)
{
    H = h;
    return &descriptor;
}
