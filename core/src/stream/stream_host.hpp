// SPDX-License-Identifier: MIT
// The stream engine's entry points for the rest of the core: worker setup and loop (master),
// the idle pool purge (runtime API), the queue hand-over (lb), and the functions behind the
// ptc_host table's stream_* / chan_* entries (module host table, sample fetches). Include
// this rather than declaring any of these by hand.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <portico/portico.h>

namespace portico {

struct server;
struct stream;
struct worker;

// This process's engine (worker.cpp); nullptr in the master.
extern worker* g_worker;

// ---- worker (worker.cpp) ----
// Sets up the engine in this (worker) process: poller, pools, listeners of slot <slot> of
// <nworkers> (listening socket j of a bind goes to slot j % nworkers). Returns false with
// <err> set.
bool worker_setup(int slot, uint32_t nworkers, std::string& err);
// Runs the loop until a fast stop, or until a soft stop finished every stream.
void worker_run();
// Stops accepting (soft stop) / stops everything (fast stop).
// A soft stop also closes this worker's copies of the listening sockets, closes its idle
// HTTP keep-alive connections (then each one as it becomes idle) and, with
// "hard-stop-after", ends the worker after that delay.
void worker_soft_stop();
void worker_fast_stop();
// SIGTTOU / SIGTTIN: stop / resume accepting (the master stops the sockets listening).
void worker_pause_listeners(bool pause);

// ---- idle server-connection pool (conn.cpp) ----
// Closes the idle pooled connections to server slot <index> (runtime API).
void worker_pool_purge(uint32_t index);

// ---- backend glue (backend.cpp) ----
// A queued stream got a slot of <srv> (reserved), or failed (srv nullptr: no server left).
void stream_slot_granted(stream* s, server* srv);

// ---- ABI 1.3 (phase.cpp) ----
// The local address of the client connection: set by stream_set_addr, else the socket's.
socklen_t stream_local_addr(stream* s, sockaddr_storage* out);
// The first byte of a request arrived (conn.cpp, xprt.cpp): the frontend's request rate.
void stream_req_start(stream* s);
void* host_stream_modstate(ptc_modref* self, ptc_stream* s);
int host_stream_set_addr(ptc_stream* s, uint32_t which, const sockaddr* sa, socklen_t len);
void host_stream_conn_fail(ptc_stream* s, const char* reason);
// HAProxy's connection error codes (fc_err) and their texts (fc_err_str, the connection
// error log's message): the code of a stream_conn_fail reason (the text the code stands for,
// or one that starts with it); 0 for none, k_conn_err_count - 1 for another.
int conn_err_code(const char* reason);
const char* conn_err_text(int code); // nullptr outside 0..43
int host_stream_srv_prepend(ptc_stream* s, const void* data, size_t len);
void host_stream_srv_once(ptc_stream* s);
int host_stream_use_server(ptc_stream* s, ptc_server* srv, uint32_t flags);
// ---- ABI 1.3 transports (xprt.cpp) ----
int host_stream_set_transport(ptc_stream* s, uint32_t side, const ptc_transport* t, void* tctx);


// ---- ptc_host stream_* / chan_* entries (host_stream.cpp, backend.cpp) ----
ptc_proxy* host_stream_frontend(ptc_stream* s);
ptc_proxy* host_stream_backend(ptc_stream* s);
ptc_server* host_stream_server(ptc_stream* s);
int host_stream_select_backend(ptc_stream* s);
int host_stream_connect(ptc_stream* s);
int host_stream_connect_ex(ptc_stream* s, uint32_t flags);
int host_stream_srv_idle(ptc_stream* s, uint32_t flags);
void host_stream_srv_close(ptc_stream* s);
int host_stream_srv_error(ptc_stream* s);
void host_stream_close(ptc_stream* s, uint32_t how);
void host_stream_set_timeout(ptc_stream* s, uint32_t which, uint64_t ms);
socklen_t host_stream_addr(ptc_stream* s, uint32_t which, sockaddr_storage* out);
void host_stream_wake(ptc_stream* s);
void host_stream_set_applet(ptc_stream* s, ptc_stream_fn fn, void* ctx);
void* host_stream_state(ptc_stream* s);
uint32_t host_chan_data(ptc_stream* s, uint32_t dir, ptc_str* out);
size_t host_chan_forward(ptc_stream* s, uint32_t dir, size_t n);
void host_chan_autoforward(ptc_stream* s, uint32_t dir, uint64_t n);
uint64_t host_chan_autoforward_left(ptc_stream* s, uint32_t dir);
int host_chan_replace(ptc_stream* s, uint32_t dir, size_t off, size_t len, const char* data,
                      size_t dlen);
int host_chan_append(ptc_stream* s, uint32_t dir, const char* data, size_t len);
size_t host_chan_skip(ptc_stream* s, uint32_t dir, size_t n);
size_t host_chan_room(ptc_stream* s, uint32_t dir);
uint32_t host_chan_flags(ptc_stream* s, uint32_t dir);
void host_chan_shutw(ptc_stream* s, uint32_t dir);
void host_chan_pause(ptc_stream* s, uint32_t dir, int on);
void host_chan_mark(ptc_stream* s, uint32_t dir, int on);
int host_chan_rewind(ptc_stream* s, uint32_t dir);

} // namespace portico
