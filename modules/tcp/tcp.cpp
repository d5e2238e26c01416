// SPDX-License-Identifier: MIT
// The tcp module: "mode tcp" full-duplex forwarding with half-close and timeouts.
//
// A stream connects to a server as soon as it opens, then both channels are put in
// auto-forward mode: the host moves bytes on its own and only wakes this handler on
// EOF, errors, timeouts and connection events. An EOF on one side becomes a shutdown of
// the write side of the other once every byte was delivered (half-close); the stream
// ends when both directions are shut, or on an error or a timeout.
#include <portico/portico.h>

namespace {

const ptc_host* host;

struct tcp_state {
    uint8_t connected;
    uint8_t req_shut;   // client EOF relayed to the server
    uint8_t res_shut;   // server EOF relayed to the client
};

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

int on_event(ptc_stream* s, void* state, uint32_t ev)
{
    tcp_state* st = static_cast<tcp_state*>(state);
    if (ev & PTC_EV_OPEN) {
        host->stream_set_timeout(s, PTC_TMO_CLIENT, PTC_TMO_DEFAULT);
        host->stream_set_timeout(s, PTC_TMO_SERVER, PTC_TMO_DEFAULT);
        // bytes from the client wait in the buffer until the server is connected
        host->chan_autoforward(s, PTC_DIR_REQ, PTC_FORWARD_ALL);
        host->chan_autoforward(s, PTC_DIR_RES, PTC_FORWARD_ALL);
        // tcp-request content rules of the frontend, then of the backend (no
        // inspect-delay: they see what has arrived, usually nothing yet)
        int r = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT, host->stream_frontend(s));
        if (r == PTC_ACT_CONTINUE && host->stream_select_backend(s) == PTC_OK &&
            host->stream_backend(s) != host->stream_frontend(s))
            r = host->rules_run(s, PTC_RULES_TCP_REQ_CONTENT, host->stream_backend(s));
        if (r == PTC_ACT_DONE || r == PTC_ACT_ERROR) {
            host->stream_close(s, PTC_CLOSE_ABORT); // "reject"
            return PTC_CONTINUE;
        }
        if (host->stream_connect(s) != PTC_OK) {
            host->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_CONTINUE;
        }
    }
    if (ev & (PTC_EV_SRV_ERROR | PTC_EV_CLI_ERROR | PTC_EV_CLI_TIMEOUT | PTC_EV_SRV_TIMEOUT)) {
        // HAProxy closes both sides; data already forwarded is flushed first when possible
        host->stream_close(s, (ev & PTC_EV_CLI_ERROR) ? PTC_CLOSE_ABORT : PTC_CLOSE_FLUSH);
        return PTC_CONTINUE;
    }
    if (ev & PTC_EV_SRV_CONNECTED)
        st->connected = 1;
    if (ev & (PTC_EV_REQ_DATA | PTC_EV_RES_DATA))
        relay_eof(s, st);
    return PTC_CONTINUE;
}

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
