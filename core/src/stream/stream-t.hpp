// SPDX-License-Identifier: MIT
// Stream engine types: channels, connections, streams, listeners and the per-worker engine
// state. Types only (HAProxy's -t.h style): readers of these structs (log, sample, lb)
// include this; the engine's entry points are in stream_host.hpp, and stream.hpp has both.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <portico/portico.h>

#include "event/poller.hpp"
#include "event/timers.hpp"
#include "util/pool.hpp"

namespace portico {

struct proxy;
struct server;
struct bind_conf;
struct module_rec;
struct stream;
struct worker;
struct task_sched;
struct xprt;

// A channel: one buffer per direction. Layout of the buffer:
//   [0, head)      free (already sent); with a mark, [mark, head) is sent but kept
//   [head, fwd)    forwarded, waiting to be sent to the destination
//   [fwd, tail)    pending: visible to the protocol handler
//   [tail, cap)    free
struct chan {
    char* buf = nullptr;         // pool buffer (refcounted, see buf_ref/buf_unref)
    uint32_t head = 0;
    uint32_t fwd = 0;
    uint32_t tail = 0;
    uint32_t flags = 0;          // PTC_CHAN_EOF | ERROR | SHUTW | PAUSED
    bool shut_done = false;      // shutdown(SHUT_WR) issued on the destination
    bool sent_event = false;     // deliver *_SENT once the forwarded bytes are out
    int32_t mark = -1;           // chan_mark: sent bytes from here on are kept (-1: none)
    uint64_t auto_left = 0;      // bytes still to auto-forward
    uint64_t bytes = 0;          // total bytes received on this channel
};

enum class conn_state : uint8_t { idle, connecting, ready, closed };

// One socket. Completion records are embedded; the conn outlives its stream while any
// operation is in flight (owner == nullptr then), and frees itself on the last completion.
struct conn {
    int fd = -1;
    conn_state state = conn_state::idle;
    stream* owner = nullptr;
    uint8_t dir_in = 0;          // channel this socket fills (REQ for client, RES for server)
    event::completion rx;        // recv
    event::completion tx;        // send
    event::completion cx;        // connect
    char* rx_buf = nullptr;      // buffer the in-flight recv writes into (holds a ref)
    uint32_t rx_off = 0;
    uint32_t rx_len = 0;
    char* tx_buf = nullptr;      // buffer the in-flight send reads from (holds a ref)
    bool lingering = false;      // draining input after the final shutdown
    bool watching = false;       // cx holds a poll for a close while idle (not a connect)
    bool pooled = false;         // in the worker's idle pool (owner == nullptr)
    uint32_t requests = 0;       // exchanges this connection carried (attachments)
    server* srv = nullptr;       // server of a server-side connection
    conn* pool_next = nullptr;   // idle pool list of its server
    conn* pool_prev = nullptr;
    uint64_t idle_since = 0;
    worker* w = nullptr;
    // ---- ABI 1.3: bytes to send before the channel's (stream_srv_prepend) ----
    char* pre = nullptr;         // heap copy, freed once sent or with the conn
    uint16_t pre_len = 0;
    uint16_t pre_off = 0;        // bytes of it already sent
    bool tx_pre = false;         // the in-flight send is from <pre>
    bool priv = false;           // carried a preamble: never pooled for another stream
    bool once = false;           // serves the current transaction only (stream_srv_once)
    bool srv_phase = false;      // new server connection: PTC_PHASE_SRV_CONNECTED pending
    // ---- ABI 1.3: transport (xprt.cpp); nullptr on the plain path ----
    xprt* x = nullptr;           // raw in/out buffers and the module's transport

    bool busy() const { return rx.busy || tx.busy || cx.busy; }
};

enum class close_mode : uint8_t { none, flush, linger, dead };

struct stream {
    worker* w = nullptr;
    proxy* fe = nullptr;
    proxy* be = nullptr;
    server* srv = nullptr;
    bind_conf* bind = nullptr;
    const ptc_proto* proto = nullptr;
    ptc_stream_fn applet = nullptr; // host->stream_set_applet (1.16): takes the events
    void* applet_ctx = nullptr;
    conn* cli = nullptr;
    conn* srvc = nullptr;
    chan ch[2];
    uint32_t events = 0;         // pending PTC_EV_* for the handler
    bool queued = false;         // on the run queue
    bool be_selected = false;
    bool opened = false;         // handler has seen PTC_EV_OPEN
    close_mode closing = close_mode::none;
    bool nolinger = false;       // PTC_CLOSE_NOLINGER
    int srv_error = 0;
    bool srv_counted = false;    // counted in the server's cur_conns
    bool srv_idle = false;       // server connection idle between requests (stream_srv_idle)
    uint32_t idle_flags = 0;     // PTC_IDLE_*
    uint64_t tmo[2] = {0, 0};    // PTC_TMO_CLIENT / SERVER in ms (0 = off)
    bool tmo_fixed[2] = {false, false}; // PTC_TMO_FIXED: not pushed back by I/O
    event::timer timer[2];       // client / server (connect timeout uses the server timer)
    sockaddr_storage cli_addr{};
    socklen_t cli_addrlen = 0;
    stream* run_next = nullptr;
    stream* all_prev = nullptr;  // worker's list of live streams
    stream* all_next = nullptr;
    // ---- logging (core/src/log): now_ms() times, 0 = not (yet) happened ----
    uint64_t log_t_accept = 0;   // accepted
    uint64_t log_t_first = 0;    // first request byte since the last logged transaction
    uint64_t log_t_cstart = 0;   // server connection attempt started (or reused)
    uint64_t log_t_cdone = 0;    // server connection established (or reused)
    uint32_t log_ev = 0;         // first PTC_EV_{CLI,SRV}_{ERROR,TIMEOUT} bit the core raised
    bool log_txn_done = false;   // a protocol module logged transactions (no log at close)
    bool log_asap_done = false;  // option logasap: this transaction is already logged
    uint64_t log_req_id = 0;     // %rt of the current transaction (0: not numbered yet)
    void* caps = nullptr;        // captured values and unique id (log/capture.cpp), lazily
    void* smp = nullptr;         // sample engine data: variables, rule resume point (sample/)
    // ---- connect path: balancing, queues, retries (core/src/lb) ----
    server* lb_avoid = nullptr;  // server of the last failed attempt (retries avoid it)
    stream* q_prev = nullptr;    // links in this worker's queue (lb/queue.cpp)
    stream* q_next = nullptr;
    uint64_t q_ticket = 0;       // order over the backend's queues: priority class, then
                                 // arrival time + priority offset, then arrival (lb/queue.cpp)
    int32_t prio_offset = 0;     // set-priority-offset of this transaction (ms)
    int16_t prio_class = 0;      // set-priority-class of this transaction
    bool be_rate_counted = false; // counted in the backend's be_sess_rate this transaction
    uint32_t calls = 0;          // handler runs this transaction (cpu_calls)
    uint32_t q_id = 0;           // queue index + 1 while waiting for a slot, else 0
    uint32_t lb_hash = 0;        // hash key of the current request (lb_hash_state 1)
    uint8_t lb_hash_state = 0;   // 0: not computed yet, 1: valid, 2: no key (round-robin)
    uint8_t cx_wait = 0;         // 1: waiting for the retry turn-around delay
    uint8_t conn_retries = 0;    // retries of the current connect (%rc)
    uint8_t redispatched = 0;    // the current connect was redispatched
    uint32_t cx_flags = 0;       // flags of the current stream_connect_ex
    uint64_t rt_start_us = 0;    // leasttime: first request byte sent (0: not measuring)
    uint64_t sess_id = 0;        // "show sess" id: worker slot + 1 in bits 48.., a serial below
    bool killed = false;         // "shutdown session": logged with termination cause 'K'
    char log_ck[2] = {0, 0};     // ABI 1.7: cookie letters of %tsc for this transaction
    bool rt_armed = false;       // leasttime: measure this exchange
    // ---- ABI 1.3: connection phase, addresses, server choice, module state (phase.cpp) ----
    uint8_t cphase = 0;          // 1 while PTC_PHASE_CONNECTION waits (handler not opened)
    bool conn_failed = false;    // stream_conn_fail() counted and logged this connection
    uint8_t conn_err = 0;        // fc_err: HAProxy's code of the reason it failed with
    bool cli_xprt = false;       // a transport (TLS) on the client side: %ft ends in '~'
    uint16_t cphase_idx = 0;     // hook of the connection phase to resume at
    uint32_t use_srv_flags = 0;  // PTC_USE_SRV_* of use_srv
    server* use_srv = nullptr;   // chosen by a PTC_PHASE_SERVER_CHOICE hook
    unsigned char* modstate = nullptr; // modules' per-stream states (after the proto state)
    socklen_t fe_addrlen = 0;    // frontend address set by stream_set_addr (0: the socket's)
    sockaddr_storage fe_addr{};
    // set-src/set-dst of a transaction (sample/rules.cpp): the connection's addresses,
    // put back when the transaction ends; addr_saved: 1 client, 2 frontend
    uint8_t addr_saved = 0;
    // a PROXY header (stream_set_addr in the connection phase) and tcp-request session
    // set-src & co (sample/rules.cpp) change the addresses for the whole session: the
    // connection's own ones (fc_src, fc_dst) are kept here first; fc_saved: 1 client, 2 frontend
    uint8_t fc_saved = 0;
    socklen_t fc_cli_addrlen = 0;
    socklen_t fc_fe_addrlen = 0;
    sockaddr_storage fc_cli_addr{};
    sockaddr_storage fc_fe_addr{};
    socklen_t saved_cli_addrlen = 0;
    socklen_t saved_fe_addrlen = 0;
    sockaddr_storage saved_cli_addr{};
    sockaddr_storage saved_fe_addr{};
    uint64_t stop_idle_at = 0;   // soft stop: when first seen idle between requests (0: not)
    // http-request set-timeout server|tunnel of this transaction, in ms (0: the backend's)
    uint64_t tmo_set_server = 0;
    uint64_t tmo_set_tunnel = 0;
    alignas(16) unsigned char state[]; // protocol handler state (proto->state_size bytes)
};

// The backend of the current transaction, as HAProxy's s->be: the frontend until one is
// selected. A keep-alive stream keeps s->be between transactions (its idle server connection
// belongs to it), but the next request has none selected until its rules pick one.
inline proxy* cur_backend(const stream* s) { return s->be_selected && s->be ? s->be : s->fe; }

struct listener {
    int fd = -1;
    proxy* fe = nullptr;
    bind_conf* bind = nullptr;
    worker* w = nullptr;
    event::completion acc;
    bool armed = false;
    bool paused = false;
    bool quickack_off = false;   // TCP_QUICKACK 0 on accepted sockets (HTTP frontends)
    // Connections accepted past the frontend's maxconn (a multishot accept or an epoll
    // accept loop already had them): held unread, served in order as slots free up.
    std::deque<int> parked;
};

// The per-process engine.
struct worker {
    std::unique_ptr<event::poller> poller;
    std::unique_ptr<event::timer_wheel> timers;
    block_pool stream_pool;
    block_pool conn_pool;
    block_pool buf_pool;
    uint32_t bufsize = 16384;    // recv limit while a handler analyses a channel
    uint32_t bufcap = 16384;     // full buffer capacity (bufsize)
    uint32_t maxrewrite = 1024;
    uint32_t state_size = 0;     // largest protocol state
    uint32_t modstate_size = 0;  // modules' per-stream states, after the protocol state
    std::vector<std::unique_ptr<listener>> listeners;
    stream* runq_head = nullptr;
    stream* runq_tail = nullptr;
    stream* all = nullptr;
    uint32_t nstreams = 0;
    uint32_t global_maxconn = 0;
    bool stopping = false;       // soft stop: no new connections
    bool exit_now = false;
    bool listen_paused = false;  // SIGTTOU: not accepting until SIGTTIN
    int slot = 0;                // worker slot number
    uint32_t nworkers = 1;       // workers of this generation (listener sockets j % n)
    event::timer stop_timer;     // soft stop: idle keep-alive sweep, hard-stop-after
    uint64_t hard_stop_at = 0;   // now_ms() deadline of hard-stop-after (0: none)
    event::timer resume_timer;   // re-checks paused listeners
    std::vector<conn*> pool;     // idle server connections, list head by server index
    std::vector<uint32_t> pool_count;
    uint32_t pool_total = 0;
    event::timer pool_timer;     // closes idle connections older than the purge delay
    task_sched* tsched = nullptr; // module tasks and outgoing connections (task.hpp)
    // ---- ABI 1.4 server_shutdown_streams: generations last seen (worker.cpp) ----
    uint64_t shut_seen = 0;      // shm_header::shut_gen
    uint64_t fe_seen = 0;        // shm_header::fe_gen
    std::vector<uint64_t> srv_shut_seen; // shm_server::shut_gen, by server slot
    uint64_t sess_serial = 0;    // last stream::sess_id serial ("show sess")
};

// Idle pool limits (HAProxy: pool-max-conn, pool-purge-delay).
constexpr uint32_t k_pool_max_per_server = 100;

} // namespace portico
