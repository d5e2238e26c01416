// SPDX-License-Identifier: MIT
// The tcp module: "mode tcp" full-duplex forwarding with half-close and timeouts, the
// tcp-request content rules (with "tcp-request inspect-delay"), and the fetches on the raw
// request bytes (req.len, req.payload, req.ssl_sni & co. for SNI routing of TLS).
//
// A stream connects to a server as soon as it opens, then both channels are put in
// auto-forward mode: the host moves bytes on its own and only wakes this handler on
// EOF, errors, timeouts and connection events. An EOF on one side becomes a shutdown of
// the write side of the other once every byte was delivered (half-close); the stream
// ends when both directions are shut, or on an error or a timeout.
#include <cstdlib>
#include <unordered_map>

#include <portico/portico.h>

#include "hello.hpp"

namespace {

const ptc_host* host;

struct tcp_state {
    uint8_t connected;
    uint8_t req_shut;   // client EOF relayed to the server
    uint8_t res_shut;   // server EOF relayed to the client
    uint8_t inspecting; // "tcp-request inspect-delay": the content rules wait for bytes
    uint8_t res_inspecting; // "tcp-response inspect-delay": the response rules wait
    uint8_t fe_done;    // the frontend's content rules decided, its backend is chosen
    uint8_t yielded;    // a content rule yielded (a Lua action waits): run them again
};

// While an inspect-delay runs and more bytes may come, a condition that those bytes may
// change (a fetch's PTC_SMPF_MAYCHANGE: req.len, req.payload, req.ssl_sni...) stops the
// rules, which run again from the first when bytes come, as HAProxy's ACL_TEST_MISS; a
// run that ends without such a wait goes on at once. A host older than ABI 1.19 cannot
// tell: there, a run in which no rule decided waits for the end of the delay.
bool host_misses() { return host->abi_minor >= 19; }
uint32_t partial_flag(bool inspecting, bool final)
{
    return inspecting && !final && host_misses() ? PTC_RULES_PARTIAL : 0;
}

// "tcp-request inspect-delay" of each frontend and "tcp-response inspect-delay" of each
// backend, read once (post_config).
std::unordered_map<const ptc_proxy*, uint64_t> g_inspect, g_res_inspect;

uint64_t inspect_delay(const ptc_proxy* fe)
{
    auto it = g_inspect.find(fe);
    return it == g_inspect.end() ? 0 : it->second;
}

uint64_t res_inspect_delay(const ptc_proxy* be)
{
    auto it = g_res_inspect.find(be);
    return it == g_res_inspect.end() ? 0 : it->second;
}

int post_config(ptc_modref*)
{
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (uint64_t d = host->proxy_timeout(p, "inspect-delay"))
            g_inspect[p] = d;
        if (uint64_t d = host->proxy_timeout(p, "res-inspect-delay"))
            g_res_inspect[p] = d;
    }
    return PTC_OK;
}

// The backend's tcp-response content rules, once the server is connected. With
// "tcp-response inspect-delay", a run in which no rule decided waits for response bytes
// until the delay ends, the server's EOF or a full buffer (<final>), as HAProxy does;
// the response is forwarded only once they decided. "reject" closes the stream.
void run_response_rules(ptc_stream* s, tcp_state* st, bool final)
{
    int r = host->rules_run(s, PTC_RULES_TCP_RES_CONTENT | partial_flag(st->res_inspecting, final),
                            host->stream_backend(s));
    if (r == PTC_ACT_DONE || r == PTC_ACT_ERROR) {
        st->res_inspecting = 0;
        host->stream_close(s, PTC_CLOSE_ABORT);
        return;
    }
    if (r == PTC_ACT_MISS || (r == PTC_ACT_YIELD && st->res_inspecting) ||
        (!host_misses() && r == PTC_ACT_CONTINUE && st->res_inspecting && !final))
        return; // undecided, or a rule waits (a Lua action): wait for more bytes
    if (st->res_inspecting) {
        st->res_inspecting = 0;
        host->stream_set_timeout(s, PTC_TMO_SERVER, PTC_TMO_DEFAULT);
        host->chan_autoforward(s, PTC_DIR_RES, PTC_FORWARD_ALL);
    }
}

void relay_eof(ptc_stream* s, tcp_state* st)
{
    if (!st->req_shut && (host->chan_flags(s, PTC_DIR_REQ) & PTC_CHAN_EOF)) {
        st->req_shut = 1;
        host->chan_shutw(s, PTC_DIR_REQ);
    }
    if (!st->res_shut && (host->chan_flags(s, PTC_DIR_RES) & PTC_CHAN_EOF)) {
        st->res_shut = 1;
        host->chan_shutw(s, PTC_DIR_RES);
    }
    if (st->req_shut && st->res_shut)
        host->stream_close(s, PTC_CLOSE_FLUSH);
}

// The tcp-request content rules of the frontend, then (its backend chosen by use_backend
// with the bytes they waited for) of the backend, as HAProxy's two analysers. With
// "tcp-request inspect-delay", the rules wait for more bytes while a condition needs
// them (see partial_flag), until the delay ends, the client's EOF or a full buffer
// (<final>): then they run once more with what is there.
// Returns true when the stream goes on (connect), false when it waits or was closed.
bool run_content_rules(ptc_stream* s, tcp_state* st, bool final)
{
    uint32_t partial = partial_flag(st->inspecting, final);
    auto undecided = [&](int r) {
        return r == PTC_ACT_MISS ||
               (!host_misses() && r == PTC_ACT_CONTINUE && st->inspecting && !final);
    };
    int r;
    if (!st->fe_done) {
        // A rule that yields (a Lua action that waits, or a service that took the stream
        // with stream_set_applet, which then receives its events) is run again when woken
        r = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT | partial, host->stream_frontend(s));
        st->yielded = r == PTC_ACT_YIELD;
        if (st->yielded || undecided(r))
            return false; // wait for more bytes
        if (r == PTC_ACT_DONE || r == PTC_ACT_ERROR) {
            host->stream_close(s, PTC_CLOSE_ABORT); // "reject"
            return false;
        }
        st->fe_done = 1;
        if (host->stream_select_backend(s) != PTC_OK) { // no backend: closed as HAProxy
            host->stream_close(s, PTC_CLOSE_FLUSH);
            return false;
        }
    }
    if (host->stream_backend(s) != host->stream_frontend(s)) {
        r = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT | partial, host->stream_backend(s));
        st->yielded = r == PTC_ACT_YIELD;
        if (st->yielded || undecided(r))
            return false;
        if (r == PTC_ACT_DONE || r == PTC_ACT_ERROR) {
            host->stream_close(s, PTC_CLOSE_ABORT);
            return false;
        }
    }
    if (st->inspecting) {
        st->inspecting = 0;
        host->stream_set_timeout(s, PTC_TMO_CLIENT, PTC_TMO_DEFAULT);
    }
    // bytes from the client wait in the buffer until the server is connected; the response
    // waits for the tcp-response rules when they have an inspect-delay
    host->chan_autoforward(s, PTC_DIR_REQ, PTC_FORWARD_ALL);
    if (!res_inspect_delay(host->stream_backend(s)))
        host->chan_autoforward(s, PTC_DIR_RES, PTC_FORWARD_ALL);
    else
        st->res_inspecting = 1;
    if (host->stream_connect(s) != PTC_OK) {
        // no backend or no usable server ("SC", <NOSRV>): the client connection is closed
        // (FIN, what it sent drained), as HAProxy, not reset
        host->stream_close(s, PTC_CLOSE_FLUSH);
        return false;
    }
    return true;
}

int on_event(ptc_stream* s, void* state, uint32_t ev)
{
    tcp_state* st = static_cast<tcp_state*>(state);
    if (ev & PTC_EV_OPEN) {
        host->stream_set_timeout(s, PTC_TMO_CLIENT, PTC_TMO_DEFAULT);
        host->stream_set_timeout(s, PTC_TMO_SERVER, PTC_TMO_DEFAULT);
        uint64_t delay = inspect_delay(host->stream_frontend(s));
        if (delay) {
            st->inspecting = 1;
            host->stream_set_timeout(s, PTC_TMO_CLIENT | PTC_TMO_FIXED, delay);
        }
        run_content_rules(s, st, false);
        return PTC_CONTINUE;
    }
    if (st->yielded) {
        if (ev & PTC_EV_CLI_ERROR) {
            host->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_CONTINUE;
        }
        uint32_t fl = host->chan_flags(s, PTC_DIR_REQ);
        bool final = !st->inspecting || (ev & PTC_EV_CLI_TIMEOUT) || (fl & PTC_CHAN_EOF) ||
                     host->chan_room(s, PTC_DIR_REQ) == 0;
        if (run_content_rules(s, st, final))
            relay_eof(s, st);
        return PTC_CONTINUE;
    }
    if (st->inspecting) {
        if (ev & PTC_EV_CLI_ERROR) {
            host->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_CONTINUE;
        }
        uint32_t fl = host->chan_flags(s, PTC_DIR_REQ);
        bool final = (ev & PTC_EV_CLI_TIMEOUT) || (fl & PTC_CHAN_EOF) ||
                     host->chan_room(s, PTC_DIR_REQ) == 0;
        if ((ev & (PTC_EV_REQ_DATA | PTC_EV_CLI_TIMEOUT)) && run_content_rules(s, st, final))
            relay_eof(s, st); // the client may have closed its side meanwhile
        return PTC_CONTINUE;
    }
    if (st->res_inspecting && st->connected && !(ev & (PTC_EV_SRV_ERROR | PTC_EV_CLI_ERROR))) {
        uint32_t fl = host->chan_flags(s, PTC_DIR_RES);
        bool final = (ev & PTC_EV_SRV_TIMEOUT) || (fl & PTC_CHAN_EOF) ||
                     host->chan_room(s, PTC_DIR_RES) == 0;
        if (ev & (PTC_EV_RES_DATA | PTC_EV_SRV_TIMEOUT | PTC_EV_WAKE)) {
            run_response_rules(s, st, final);
            if (!st->res_inspecting)
                relay_eof(s, st);
        }
        if (!(ev & PTC_EV_CLI_TIMEOUT))
            return PTC_CONTINUE;
    }
    if (ev & (PTC_EV_SRV_ERROR | PTC_EV_CLI_ERROR | PTC_EV_CLI_TIMEOUT | PTC_EV_SRV_TIMEOUT)) {
        // HAProxy closes both sides; data already forwarded is flushed first when possible
        host->stream_close(s, (ev & PTC_EV_CLI_ERROR) ? PTC_CLOSE_ABORT : PTC_CLOSE_FLUSH);
        return PTC_CONTINUE;
    }
    if (ev & PTC_EV_SRV_CONNECTED) {
        st->connected = 1;
        if (st->res_inspecting) {
            host->stream_set_timeout(s, PTC_TMO_SERVER | PTC_TMO_FIXED,
                                     res_inspect_delay(host->stream_backend(s)));
        }
        run_response_rules(s, st, false);
        if (st->res_inspecting || !(ev & (PTC_EV_REQ_DATA | PTC_EV_RES_DATA)))
            return PTC_CONTINUE;
    }
    if (ev & (PTC_EV_REQ_DATA | PTC_EV_RES_DATA))
        relay_eof(s, st);
    return PTC_CONTINUE;
}

// ---- fetches on the raw request bytes (SNI routing without terminating TLS) ----------------

// The pending request bytes parsed as a ClientHello. Returns the parse status; *mc is set
// when more bytes may change the answer.
hello::status hello_of(ptc_stream* s, hello::info& h, uint32_t* flags)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, PTC_DIR_REQ, &d);
    hello::status st = hello::parse(reinterpret_cast<const uint8_t*>(d.ptr), d.len, h);
    *flags = st == hello::status::need_more && !(fl & PTC_CHAN_EOF) ? PTC_SMPF_MAYCHANGE : 0;
    return st;
}

int no_sample(ptc_sample* out, uint32_t flags)
{
    out->flags = flags;
    return 0;
}

int f_ssl_hello_type(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    hello::info h;
    uint32_t fl;
    if (hello_of(s, h, &fl) != hello::status::ok)
        return no_sample(out, fl);
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = h.hello_type;
    return 1;
}

int f_ssl_sni(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    hello::info h;
    uint32_t fl;
    if (hello_of(s, h, &fl) != hello::status::ok || h.hello_type != 1 || h.sni.empty())
        return no_sample(out, fl);
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{h.sni.data(), h.sni.size()};
    return 1;
}

int f_ssl_alpn(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    hello::info h;
    uint32_t fl;
    if (hello_of(s, h, &fl) != hello::status::ok || h.hello_type != 1)
        return no_sample(out, fl);
    std::string_view a = hello::first_alpn(h.alpn);
    if (a.empty())
        return no_sample(out, 0);
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{a.data(), a.size()};
    return 1;
}

int f_ssl_ver(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    hello::info h;
    uint32_t fl;
    if (hello_of(s, h, &fl) != hello::status::ok)
        return no_sample(out, fl);
    // the ClientHello's legacy version, as HAProxy 2.6 (3.3 for a TLS 1.3 client: the
    // supported_versions extension is not looked at)
    uint16_t v = h.hello_type == 1 ? h.hello_ver : h.record_ver;
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = (int64_t)(v >> 8) * 65536 + (v & 0xff); // HAProxy: major * 65536 + minor
    return 1;
}

template <uint32_t DIR>
int f_chan_len(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, DIR, &d);
    out->type = PTC_SMP_SINT;
    out->flags = fl & PTC_CHAN_EOF ? 0 : PTC_SMPF_MAYCHANGE;
    out->u.sint = (int64_t)d.len;
    return 1;
}

// req.payload / res.payload: the bytes of the request / response channel's buffer
template <uint32_t DIR>
int f_chan_payload(ptc_stream* s, const ptc_arg* a, uint32_t, ptc_sample* out)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, DIR, &d);
    uint64_t off = (uint64_t)a[0].sint, len = (uint64_t)a[1].sint;
    if (!len) // 0: everything from off on
        len = d.len > off ? d.len - off : 0;
    if (off + len > d.len || !len)
        return no_sample(out, fl & PTC_CHAN_EOF ? 0 : PTC_SMPF_MAYCHANGE);
    out->type = PTC_SMP_BIN;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{d.ptr + off, (size_t)len};
    return 1;
}

int check_payload(const ptc_kw_ctx* c, ptc_arg* a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        char* end = nullptr;
        long long v = strtoll(a[i].str.ptr, &end, 10);
        if (!a[i].str.len || *end || v < 0)
            return host->cfg_errorf(c, "req.payload: '%s' is not a non-negative integer",
                                    a[i].str.ptr);
        a[i].sint = v;
    }
    return PTC_OK;
}

// req.payload_lv / res.payload_lv(<offset1>,<length>[,<offset2>]): a block whose length is
// the <length>-byte big-endian integer at <offset1>; the block follows it, or starts at
// <offset2> (written with a sign: relative to the end of the length field). As HAProxy, an
// absolute <offset2> is kept as written and read as "odd: relative, value/2" too.
int check_payload_lv(const ptc_kw_ctx* c, ptc_arg* a, uint32_t n)
{
    for (uint32_t i = 0; i < 2; i++) {
        char* end = nullptr;
        long long v = strtoll(a[i].str.ptr, &end, 10);
        if (!a[i].str.len || *end)
            return host->cfg_errorf(c, "failed to parse '%s' as type 'integer' at position %u",
                                    a[i].str.ptr, i + 1);
        a[i].sint = v;
    }
    if (a[0].sint < 0)
        return host->cfg_errorf(c, "payload offset1 must be positive");
    if (!a[1].sint)
        return host->cfg_errorf(c, "payload length must be > 0");
    a[0].data = nullptr; // no <offset2>
    if (n >= 3 && a[2].str.len) {
        const char* p = a[2].str.ptr;
        bool relative = *p == '+' || *p == '-';
        char* end = nullptr;
        long long v = strtoll(p, &end, 10);
        if (*end)
            return host->cfg_errorf(c, "payload offset2 is not a number");
        if (a[0].sint + a[1].sint + v < 0)
            return host->cfg_errorf(c, "payload offset2 too negative");
        a[2].sint = relative ? (int64_t)((uint64_t)v << 1) + 1 : v;
        a[0].data = &a[2];
    }
    return PTC_OK;
}

template <uint32_t DIR>
int f_chan_payload_lv(ptc_stream* s, const ptc_arg* a, uint32_t, ptc_sample* out)
{
    ptc_str d;
    uint32_t fl = host->chan_data(s, DIR, &d);
    uint32_t more = fl & PTC_CHAN_EOF ? 0 : PTC_SMPF_MAYCHANGE;
    uint32_t len_off = (uint32_t)a[0].sint, len_size = (uint32_t)a[1].sint;
    if ((uint64_t)len_off + len_size > d.len)
        return no_sample(out, more);
    uint32_t size = 0;
    for (uint32_t i = 0; i < len_size; i++)
        size = (size << 8) + (uint8_t)d.ptr[len_off + i];
    uint32_t off = len_off + len_size;
    if (a[0].data) {
        int64_t o2 = a[2].sint;
        if (o2 & 1)
            off += (uint32_t)(o2 >> 1);
        else
            off = (uint32_t)(o2 >> 1);
    }
    uint64_t max = host->global_setting("tune.bufsize");
    if (!max)
        max = 16384;
    if (!size || size > max || (uint64_t)(uint32_t)(off + size) > max)
        return no_sample(out, 0); // will never match
    if ((uint64_t)(uint32_t)(off + size) > d.len)
        return no_sample(out, more);
    out->type = PTC_SMP_BIN;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{d.ptr + off, size};
    return 1;
}

constexpr uint32_t L4 = PTC_USE_L4;
const ptc_fetch fetches[] = {
    {"req.ssl_hello_type", PTC_SMP_SINT, L4, 0, 0, f_ssl_hello_type, nullptr,
     "req.ssl_hello_type: 1 when the request starts with a TLS ClientHello"},
    {"req_ssl_hello_type", PTC_SMP_SINT, L4, 0, 0, f_ssl_hello_type, nullptr,
     "req_ssl_hello_type: req.ssl_hello_type"},
    {"req.ssl_sni", PTC_SMP_STR, L4, 0, 0, f_ssl_sni, nullptr,
     "req.ssl_sni: SNI of the ClientHello in the request buffer"},
    {"req_ssl_sni", PTC_SMP_STR, L4, 0, 0, f_ssl_sni, nullptr, "req_ssl_sni: req.ssl_sni"},
    {"req.ssl_alpn", PTC_SMP_STR, L4, 0, 0, f_ssl_alpn, nullptr,
     "req.ssl_alpn: first ALPN protocol of the ClientHello in the request buffer"},
    {"req.ssl_ver", PTC_SMP_SINT, L4, 0, 0, f_ssl_ver, nullptr,
     "req.ssl_ver: TLS version of the request's ClientHello (major*65536+minor)"},
    {"req_ssl_ver", PTC_SMP_SINT, L4, 0, 0, f_ssl_ver, nullptr, "req_ssl_ver: req.ssl_ver"},
    {"req.len", PTC_SMP_SINT, L4, 0, 0, f_chan_len<PTC_DIR_REQ>, nullptr,
     "req.len: bytes in the request buffer"},
    {"req_len", PTC_SMP_SINT, L4, 0, 0, f_chan_len<PTC_DIR_REQ>, nullptr, "req_len: req.len"},
    {"req.payload", PTC_SMP_BIN, L4, 2, 2, f_chan_payload<PTC_DIR_REQ>, check_payload,
     "req.payload(<offset>,<length>): bytes of the request buffer (length 0: to the end)"},
    {"req.payload_lv", PTC_SMP_BIN, L4, 2, 3, f_chan_payload_lv<PTC_DIR_REQ>, check_payload_lv,
     "req.payload_lv(<offset1>,<length>[,<offset2>]): a length-prefixed block of the request buffer"},
    {"res.payload_lv", PTC_SMP_BIN, L4, 2, 3, f_chan_payload_lv<PTC_DIR_RES>, check_payload_lv,
     "res.payload_lv(<offset1>,<length>[,<offset2>]): a length-prefixed block of the response buffer"},
    {"res.len", PTC_SMP_SINT, L4, 0, 0, f_chan_len<PTC_DIR_RES>, nullptr,
     "res.len: bytes in the response buffer"},
    {"res.payload", PTC_SMP_BIN, L4, 2, 2, f_chan_payload<PTC_DIR_RES>, check_payload,
     "res.payload(<offset>,<length>): bytes of the response buffer (length 0: to the end)"},
};

const ptc_proto protos[] = {
    {"tcp", sizeof(tcp_state), on_event, nullptr},
};

const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "tcp",
    .version = "1.0.0",
    .description = "mode tcp: full-duplex TCP forwarding with half-close",
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .protos = protos,
    .proto_count = PTC_COUNTOF(protos),
    .proto_size = sizeof(ptc_proto),
    .post_config = post_config,
    .fetches = fetches,
    .fetch_count = PTC_COUNTOF(fetches),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &desc;
}
