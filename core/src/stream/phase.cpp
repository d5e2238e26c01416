// SPDX-License-Identifier: MIT
// ABI 1.3 pieces of the stream engine: the connection phase (PTC_PHASE_CONNECTION) that
// runs before the protocol handler, stream addresses set by modules, connection failures
// counted and logged, the server-side preamble (PTC_PHASE_SRV_CONNECTED and
// stream_srv_prepend), and the modules' per-stream states.
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "event/clock.hpp"
#include "lb/lb.hpp"
#include "lb/srv_state.hpp"
#include "log/log.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "module/hooks.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"
#include "stream/stream_int.hpp"

namespace portico {

namespace {

inline stream* S(ptc_stream* s) { return reinterpret_cast<stream*>(s); }

// Offset of each module's per-stream state from stream::modstate (by module index; the
// value is meaningless for modules without one).
std::vector<uint32_t> g_modstate_off;

constexpr uint32_t k_pre_max = 4096; // bytes a connection's preamble may hold

void refuse(stream* s)
{
    if (!s->conn_failed && s->fe->shared)
        s->fe->shared->denied.fetch_add(1, std::memory_order_relaxed);
    s->log_txn_done = true; // refused before the handler: no traffic log line (HAProxy)
    s->cphase = 0;
    s->closing = close_mode::dead;
    stream_enqueue(s, 0);
}

// Runs the connection phase from where it stopped. Returns true when it is over.
bool conn_phase_run(stream* s)
{
    chan& req = s->ch[PTC_DIR_REQ];
    int r = run_hooks_from(s, PTC_PHASE_CONNECTION, s->cphase_idx);
    if (r == PTC_YIELD) {
        const char* why = nullptr;
        if (req.flags & PTC_CHAN_TIMEOUT)
            why = "Timeout during the connection handshake";
        else if (req.flags & (PTC_CHAN_EOF | PTC_CHAN_ERROR))
            why = "Connection closed during the connection handshake";
        else if (req.tail - req.fwd >= s->w->bufsize - s->w->maxrewrite)
            why = "Connection handshake larger than the buffer";
        if (!why)
            return false; // wait for more bytes
        if (!s->conn_failed)
            host_stream_conn_fail(reinterpret_cast<ptc_stream*>(s), why);
        refuse(s);
        return false;
    }
    if (r == PTC_DENY || r == PTC_ERROR) {
        refuse(s);
        return false;
    }
    s->cphase = 0;
    req.flags &= ~PTC_CHAN_TIMEOUT;
    s->w->timers->disarm(&s->timer[PTC_TMO_CLIENT]); // the protocol handler arms its own
    s->tmo[PTC_TMO_CLIENT] = 0;
    return true;
}

} // namespace

void modstate_layout(worker* w)
{
    g_modstate_off.assign(g_modules.count(), 0);
    uint32_t off = 0;
    for (auto& m : g_modules.all()) {
        uint32_t n = m->desc.stream_state_size;
        if (!n)
            continue;
        g_modstate_off[m->index] = off;
        off += (n + 15) & ~15u;
    }
    w->modstate_size = off;
}

void modstate_attach(stream* s)
{
    s->modstate = s->w->modstate_size ? s->state + s->w->state_size : nullptr;
}

socklen_t stream_local_addr(stream* s, sockaddr_storage* out)
{
    if (s->fe_addrlen) {
        std::memcpy(out, &s->fe_addr, s->fe_addrlen);
        return s->fe_addrlen;
    }
    socklen_t len = sizeof(*out);
    if (!s->cli || s->cli->fd < 0 || getsockname(s->cli->fd, (sockaddr*)out, &len) < 0)
        return 0;
    return len;
}

void stream_req_start(stream* s)
{
    s->log_t_first = event::monotonic_ms(); // logging: first request byte
    if (s->fe && s->fe->mode == px_mode::http && s->fe->shared)
        shm_rate_add(s->fe->shared->req_rate, s->log_t_first);
}

bool conn_phase_start(stream* s)
{
    if (!hooks_present(PTC_PHASE_CONNECTION))
        return true;
    s->cphase = 1;
    s->cphase_idx = 0;
    if (conn_phase_run(s))
        return true; // nothing to wait for (the usual case): no timer was touched
    if (s->closing != close_mode::none)
        return false;
    // waiting for bytes: bounded by the frontend's "timeout client" unless a hook armed
    // the client timer itself
    if (!s->tmo[PTC_TMO_CLIENT] && s->fe->t_client) {
        s->tmo[PTC_TMO_CLIENT] = s->fe->t_client;
        s->tmo_fixed[PTC_TMO_CLIENT] = false;
        s->w->timers->arm(&s->timer[PTC_TMO_CLIENT], event::now_ms() + s->fe->t_client);
    }
    stream_enqueue(s, 0); // post the first recv
    return false;
}

bool conn_phase_resume(stream* s, uint32_t ev)
{
    if (ev & PTC_EV_CLI_TIMEOUT)
        s->ch[PTC_DIR_REQ].flags |= PTC_CHAN_TIMEOUT;
    if (ev & PTC_EV_CLI_ERROR)
        s->ch[PTC_DIR_REQ].flags |= PTC_CHAN_ERROR;
    return conn_phase_run(s);
}

bool srv_phase_run(stream* s)
{
    int r = run_hooks(s, PTC_PHASE_SRV_CONNECTED); // srv_phase set: stream_set_transport
    if (s->srvc)
        s->srvc->srv_phase = false;
    return r != PTC_DENY && r != PTC_ERROR;
}

void conn_pre_free(conn* c)
{
    std::free(c->pre);
    c->pre = nullptr;
    c->pre_len = c->pre_off = 0;
}

// ---- host functions (ptc_host, 1.3) ----------------------------------------------------

void* host_stream_modstate(ptc_modref* self, ptc_stream* ps)
{
    stream* s = S(ps);
    module_rec* m = to_module(self);
    if (!s->modstate || !m->desc.stream_state_size || m->index >= g_modstate_off.size())
        return nullptr;
    return s->modstate + g_modstate_off[m->index];
}

int host_stream_set_addr(ptc_stream* ps, uint32_t which, const sockaddr* sa, socklen_t len)
{
    stream* s = S(ps);
    if (!sa)
        return PTC_ERROR;
    socklen_t need = sa->sa_family == AF_INET    ? sizeof(sockaddr_in)
                     : sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                     : sa->sa_family == AF_UNIX  ? offsetof(sockaddr_un, sun_path)
                                                 : 0;
    if (!need || len < need || len > sizeof(sockaddr_storage))
        return PTC_ERROR;
    // The addresses of a PROXY header (connection phase) are the session's, as in HAProxy
    // 2.5+: the connection's own stay for fc_src / fc_dst.
    const uint8_t bit = which == PTC_ADDR_CLIENT ? 1 : 2;
    if (s->cphase && !(s->fc_saved & bit)) {
        if (bit == 1) {
            s->fc_cli_addr = s->cli_addr;
            s->fc_cli_addrlen = s->cli_addrlen;
        } else {
            s->fc_fe_addr = s->fe_addr;
            s->fc_fe_addrlen = s->fe_addrlen;
        }
        s->fc_saved |= bit;
    }
    if (which == PTC_ADDR_CLIENT) {
        std::memset(&s->cli_addr, 0, sizeof(s->cli_addr));
        std::memcpy(&s->cli_addr, sa, len);
        s->cli_addrlen = len;
        return PTC_OK;
    }
    if (which == PTC_ADDR_FRONTEND) {
        std::memset(&s->fe_addr, 0, sizeof(s->fe_addr));
        std::memcpy(&s->fe_addr, sa, len);
        s->fe_addrlen = len;
        return PTC_OK;
    }
    return PTC_ERROR;
}

namespace {
// HAProxy 2.6's CO_ER_* codes, by their messages (configuration.txt, fc_err_str)
const char* const k_conn_errs[] = {
    "Success",
    "Reached configured maxconn value",
    "Too many sockets on the process",
    "Too many sockets on the system",
    "Out of system buffers",
    "Protocol or address family not supported",
    "General socket error",
    "Source port range exhausted",
    "Can't bind to source address",
    "Out of local source ports on the system",
    "Local source address already in use",
    "Connection closed while waiting for PROXY protocol header",
    "Connection error while waiting for PROXY protocol header",
    "Timeout while waiting for PROXY protocol header",
    "Truncated PROXY protocol header received",
    "Received something which does not look like a PROXY protocol header",
    "Received an invalid PROXY protocol header",
    "Received an unhandled protocol in the PROXY protocol header",
    "Connection closed while waiting for NetScaler Client IP header",
    "Connection error while waiting for NetScaler Client IP header",
    "Timeout while waiting for a NetScaler Client IP header",
    "Truncated NetScaler Client IP header received",
    "Received an invalid NetScaler Client IP magic number",
    "Received an unhandled protocol in the NetScaler Client IP header",
    "Connection closed during SSL handshake",
    "Connection error during SSL handshake",
    "Timeout during SSL handshake",
    "Too many SSL connections",
    "Out of memory when initializing an SSL connection",
    "Rejected a client-initiated SSL renegotiation attempt",
    "SSL client CA chain cannot be verified",
    "SSL client certificate not trusted",
    "Server presented an SSL certificate different from the configured one",
    "Server presented an SSL certificate different from the expected one",
    "SSL handshake failure",
    "SSL handshake failure after heartbeat",
    "Stopped a TLSv1 heartbeat attack (CVE-2014-0160)",
    "Attempt to use SSL on an unknown target (internal error)",
    "Server refused early data",
    "SOCKS4 Proxy write error during handshake",
    "SOCKS4 Proxy read error during handshake",
    "SOCKS4 Proxy deny the request",
    "SOCKS4 Proxy handshake aborted by server",
    "SSL fatal error",
};
constexpr int k_conn_err_n = (int)(sizeof(k_conn_errs) / sizeof(k_conn_errs[0]));
} // namespace

int conn_err_code(const char* reason)
{
    if (!reason)
        return 0;
    // the longest message the reason starts with ("Received an invalid PROXY protocol
    // header (bad address)" is 16)
    int best = -1;
    size_t blen = 0;
    for (int i = 1; i < k_conn_err_n; i++) {
        size_t n = std::strlen(k_conn_errs[i]);
        if (n > blen && std::strncmp(reason, k_conn_errs[i], n) == 0) {
            best = i;
            blen = n;
        }
    }
    if (best > 0)
        return best;
    if (std::strcmp(reason, "Out of memory during SSL handshake") == 0)
        return 28;
    if (std::strncmp(reason, "SSL", 3) == 0)
        return 34; // another TLS failure ("SSL error"): a handshake failure
    return 6;      // General socket error
}

const char* conn_err_text(int code)
{
    return code >= 0 && code < k_conn_err_n ? k_conn_errs[code] : nullptr;
}

void host_stream_conn_fail(ptc_stream* ps, const char* reason)
{
    stream* s = S(ps);
    if (s->conn_failed)
        return;
    s->conn_failed = true;
    s->conn_err = (uint8_t)conn_err_code(reason);
    if (s->fe->shared)
        s->fe->shared->conn_errors.fetch_add(1, std::memory_order_relaxed);
    log::on_conn_error(s, reason ? reason : "connection refused");
}

int host_stream_srv_prepend(ptc_stream* ps, const void* data, size_t len)
{
    stream* s = S(ps);
    conn* c = s->srvc;
    if (!c || c->state != conn_state::ready || c->pre_off || !data)
        return PTC_ERROR;
    if (!len)
        return PTC_OK;
    if (c->pre_len + len > k_pre_max)
        return PTC_ERROR;
    char* p = static_cast<char*>(std::realloc(c->pre, c->pre_len + len));
    if (!p)
        return PTC_ERROR;
    std::memcpy(p + c->pre_len, data, len);
    c->pre = p;
    c->pre_len = (uint16_t)(c->pre_len + len);
    c->priv = true; // the bytes belong to this client: never hand the connection to another
    return PTC_OK;
}

void host_stream_srv_once(ptc_stream* ps)
{
    stream* s = S(ps);
    if (s->srvc) {
        s->srvc->once = true; // closed when the next transaction connects
        s->srvc->priv = true;
    }
}

int host_stream_use_server(ptc_stream* ps, ptc_server* psrv, uint32_t flags)
{
    stream* s = S(ps);
    server* srv = to_server(psrv);
    if (!srv || !s->be || srv->be != s->be || !srv->shared || srv_stale(srv) ||
        !srv->shared->in_use.load(std::memory_order_relaxed))
        return PTC_ERROR;
    // Persistence, as HAProxy's: a stopping (NOLB) server or one with weight 0 still takes
    // persistent traffic; down, maintenance and drain need PTC_USE_SRV_FORCE.
    const shm_server* sh = srv->shared;
    if (!(flags & PTC_USE_SRV_FORCE) &&
        (sh->admin.load(std::memory_order_relaxed) != SRV_ADMIN_READY ||
         sh->up.load(std::memory_order_relaxed) == SRV_OP_DOWN))
        return PTC_ERROR;
    s->use_srv = srv;
    s->use_srv_flags = flags;
    return PTC_OK;
}

bool server_choice_hooks(stream* s, server** out, int* result)
{
    s->use_srv = nullptr;
    run_hooks(s, PTC_PHASE_SERVER_CHOICE);
    server* srv = s->use_srv;
    s->use_srv = nullptr;
    if (!srv)
        return false;
    if (lb_take_slot(srv)) {
        *out = srv;
        *result = LB_OK;
    } else {
        lb_queue_add(s, srv); // full: wait for this very server (persistence)
        *result = LB_QUEUED;
    }
    return true;
}

} // namespace portico
