/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the host function table passed to every module (append-only). */
#ifndef PORTICO_HOST_H
#define PORTICO_HOST_H

#include <sys/socket.h>

#include "cli.h"
#include "keywords.h"
#include "sample.h"
#include "service.h"
#include "task.h"
#include "transport.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A check's state for the runtime API (since 1.4; defined below). */
typedef struct ptc_check_info ptc_check_info;

/*
 * The table of host functions. A module receives it in ptc_module_entry() and
 * keeps the pointer: it stays valid for the life of the process.
 *
 * WARNING: this struct only ever grows at its end. Never reorder, remove or
 * change a member; add new ones after the last with a "since 1.n" note and
 * bump PTC_ABI_MINOR. A module checks PTC_HOST_HAS(host, member) before using
 * a member added after the minor it was built against.
 *
 * Threading: portico workers are single-threaded processes; every function is
 * called from the worker's event loop (or from the master while it loads the
 * configuration, for the cfg_* and proxy_* functions).
 *
 * Ownership: a ptc_str returned by the host points to host memory valid until
 * the stated event (usually: until the current callback returns, or until the
 * next call changing the same channel). Strings passed in are copied if kept.
 */
typedef struct ptc_host {
    uint32_t magic;        /* PTC_HOST_MAGIC */
    uint16_t abi_major;    /* PTC_ABI_MAJOR of the host */
    uint16_t abi_minor;    /* PTC_ABI_MINOR of the host */
    uint32_t size;         /* sizeof(ptc_host) as the host knows it */
    uint32_t reserved0;    /* 0 */
    const char *version;   /* portico version, e.g. "0.1.0" */

    /* ---- logging and memory (1.0) ---- */
    /** Write a message to portico's error/diagnostic log at `level` (PTC_LOG_*). */
    void (*log)(uint32_t level, const char *fmt, ...) PTC_PRINTF(2, 3);
    /** Allocate `size` bytes (never NULL for size > 0: aborts on exhaustion). */
    void *(*alloc)(size_t size);
    /** Free memory from alloc(); NULL is fine. */
    void (*free)(void *ptr);

    /* ---- configuration time (1.0); master process only ---- */
    /** Report a configuration error as "file:line: message" for the keyword
     *  being parsed; the load fails. Returns PTC_ERROR for convenience. */
    int (*cfg_errorf)(const ptc_kw_ctx *ctx, const char *fmt, ...) PTC_PRINTF(2, 3);
    /** Report a warning for the keyword being parsed. */
    void (*cfg_warnf)(const ptc_kw_ctx *ctx, const char *fmt, ...) PTC_PRINTF(2, 3);
    /** Copy `s` into memory that lives as long as the loaded configuration;
     *  the copy is NUL-terminated. */
    const char *(*cfg_strdup)(const ptc_kw_ctx *ctx, ptc_str s);
    /** Parse a HAProxy time ("100", "5s", "1m") into ms. 0 ok, PTC_ERROR if malformed. */
    int (*parse_time)(ptc_str s, uint64_t *ms);
    /** Parse a size ("16k", "1m"). 0 ok, PTC_ERROR if malformed. */
    int (*parse_size)(ptc_str s, uint64_t *bytes);
    /** Report an error found after parsing (in post_config); the load fails. */
    void (*errorf)(ptc_modref *self, const char *fmt, ...) PTC_PRINTF(2, 3);

    /* ---- proxies and servers (1.0) ---- */
    /** The proxy's name (host-owned, valid for the life of the configuration). */
    ptc_str (*proxy_name)(const ptc_proxy *p);
    /** The proxy's mode name ("tcp", "http"). */
    ptc_str (*proxy_mode)(const ptc_proxy *p);
    /** PTC_SEC_FRONTEND and/or PTC_SEC_BACKEND capability bits of the proxy. */
    uint32_t (*proxy_cap)(const ptc_proxy *p);
    /** This module's conf blob for the proxy (NULL only if proxy_conf_size is 0;
     *  during parsing, blobs exist for proxies where the module was used). */
    void *(*proxy_conf)(ptc_modref *self, const ptc_proxy *p);
    /** Iterate over the configured proxies (defaults excluded): pass NULL first. */
    ptc_proxy *(*proxy_next)(ptc_proxy *prev);
    /** A configured timeout of the proxy in ms (0 = unset): which is
     *  "client", "server", "connect", "http-request", ... */
    uint64_t (*proxy_timeout)(const ptc_proxy *p, const char *which);
    /** The server's name. */
    ptc_str (*server_name)(const ptc_server *srv);
    /** This module's conf blob for the server. */
    void *(*server_conf)(ptc_modref *self, const ptc_server *srv);

    /* ---- streams (1.0); worker processes ---- */
    ptc_proxy *(*stream_frontend)(ptc_stream *s);
    /** The chosen backend, or NULL before the choice. */
    ptc_proxy *(*stream_backend)(ptc_stream *s);
    /** The server in use (connected or connecting, including the turn-around delay
     *  before a retry on it), or NULL. */
    ptc_server *(*stream_server)(ptc_stream *s);
    /** Run the frontend's backend selection rules (use_backend, default_backend);
     *  every call evaluates them again (call it once per request). When the
     *  backend changes, the server connection to the old one is closed.
     *  Returns PTC_OK, or PTC_ERROR when no backend applies. */
    int (*stream_select_backend)(ptc_stream *s);
    /** Choose a server with the backend's balance algorithm (selecting the
     *  backend first if stream_select_backend was never called) and connect to
     *  it. If the stream's established server connection goes to the chosen
     *  server, it is reused. Returns PTC_OK when a connection started or is
     *  reused (PTC_EV_SRV_CONNECTED or PTC_EV_SRV_ERROR follows), or PTC_ERROR
     *  at once with stream_srv_error() set (e.g. PTC_SRVERR_NOSRV). A stream has
     *  at most one server connection; call it only while it is idle. */
    int (*stream_connect)(ptc_stream *s);
    /** Close the server connection (if any), keeping the client. Pending response
     *  bytes are dropped; forwarded-but-unsent request bytes are dropped. */
    void (*stream_srv_close)(ptc_stream *s);
    /** Last server-side error, PTC_SRVERR_*. */
    int (*stream_srv_error)(ptc_stream *s);
    /** End the stream: PTC_CLOSE_ABORT or PTC_CLOSE_FLUSH. The handler gets no
     *  further events except the release. */
    void (*stream_close)(ptc_stream *s, uint32_t how);
    /** Arm, re-arm or disarm (ms = 0) a stream timer (PTC_TMO_*). */
    void (*stream_set_timeout)(ptc_stream *s, uint32_t which, uint64_t ms);
    /** Copy an address (PTC_ADDR_*) into *out. Returns its length, or 0 if unknown. */
    socklen_t (*stream_addr)(ptc_stream *s, uint32_t which, struct sockaddr_storage *out);
    /** Ask for a PTC_EV_WAKE event on the next loop turn. */
    void (*stream_wake)(ptc_stream *s);
    /** This module's conf blob for the stream's frontend. */
    void *(*stream_fe_conf)(ptc_modref *self, ptc_stream *s);
    /** The per-stream state of the stream's protocol handler. */
    void *(*stream_state)(ptc_stream *s);
    /** Current time in ms (monotonic, cached per loop turn). */
    uint64_t (*now_ms)(void);

    /* ---- channels (1.0) ---- */
    /** The pending (not yet forwarded) bytes of a channel; valid until the next
     *  call that changes this channel or the callback returns. Returns the
     *  channel's PTC_CHAN_* flags. */
    uint32_t (*chan_data)(ptc_stream *s, uint32_t dir, ptc_str *pending);
    /** Release the first `n` pending bytes for sending. Returns bytes released. */
    size_t (*chan_forward)(ptc_stream *s, uint32_t dir, size_t n);
    /** Forward the next `n` bytes (pending ones first, then arriving ones)
     *  without waking the handler until they are all forwarded or the source
     *  ends; PTC_FORWARD_ALL for a tunnel. 0 stops auto-forwarding. */
    void (*chan_autoforward)(ptc_stream *s, uint32_t dir, uint64_t n);
    /** Bytes still to auto-forward. */
    uint64_t (*chan_autoforward_left)(ptc_stream *s, uint32_t dir);
    /** Replace `len` pending bytes at offset `off` with `data` (`dlen` bytes).
     *  PTC_OK, or PTC_ERROR if out of range or the buffer has no room. */
    int (*chan_replace)(ptc_stream *s, uint32_t dir, size_t off, size_t len,
                        const char *data, size_t dlen);
    /** Append bytes after the pending ones (e.g. a generated response).
     *  PTC_OK, or PTC_ERROR if there is no room. */
    int (*chan_append)(ptc_stream *s, uint32_t dir, const char *data, size_t len);
    /** Drop the first `n` pending bytes. Returns bytes dropped. */
    size_t (*chan_skip)(ptc_stream *s, uint32_t dir, size_t n);
    /** Free bytes left in the channel's buffer. */
    size_t (*chan_room)(ptc_stream *s, uint32_t dir);
    /** PTC_CHAN_* flags. */
    uint32_t (*chan_flags)(ptc_stream *s, uint32_t dir);
    /** Once every forwarded byte is sent, shut the write side of the
     *  destination (server for REQ, client for RES). */
    void (*chan_shutw)(ptc_stream *s, uint32_t dir);
    /** Pause (on=1) or resume (on=0) reading the source of a channel. */
    void (*chan_pause)(ptc_stream *s, uint32_t dir, int on);

    /* ---- hooks and inter-module APIs (1.0) ---- */
    /** Run every module's hooks for `phase` on the stream, in priority order.
     *  Returns the first result that is not PTC_CONTINUE, else PTC_CONTINUE. */
    int (*hooks_run)(ptc_stream *s, uint32_t phase);
    /** Publish an API (a struct of function pointers, owned by the module and
     *  valid until its fini) under `name` at `version`. PTC_ERROR if taken. */
    int (*api_publish)(ptc_modref *self, const char *name, uint32_t version, const void *api);
    /** Find an API published with `name` and a version >= min_version;
     *  NULL if none. Call it from post_config or later (all modules loaded). */
    const void *(*api_lookup)(const char *name, uint32_t min_version, uint32_t *version);

    /* ---- server connection reuse (1.1) ---- */
    /** Declare the established server connection idle between two requests and fit
     *  for another one. The host stops reading from it and watches it for a close
     *  instead (an idle connection the server closes is dropped silently). With
     *  PTC_IDLE_POOL, when the stream ends or its next request goes to another
     *  server, the connection joins the worker's pool for its server instead of
     *  being closed. The next stream_connect*() call ends the idle state.
     *  Returns PTC_OK, or PTC_ERROR when there is no established connection.
     *  Since 1.1. */
    int (*stream_srv_idle)(ptc_stream *s, uint32_t flags);
    /** stream_connect() that may also take a pooled idle connection to the chosen
     *  server (flags PTC_CONNECT_POOL_*). Since 1.1. */
    int (*stream_connect_ex)(ptc_stream *s, uint32_t flags);

    /* ---- samples, rules, log formats, variables, logging (1.2) ---- */
    /** Run the rules of `ruleset` (PTC_RULES_*) declared in proxy `px` (the
     *  frontend, then the backend, as HAProxy does) on the stream: conditions are
     *  evaluated and actions executed in order. Returns PTC_ACT_CONTINUE when every
     *  rule ran (or none matched), PTC_ACT_STOP, PTC_ACT_DONE, PTC_ACT_YIELD (call
     *  again when woken: it resumes at the yielding rule) or PTC_ACT_ERROR.
     *  Since 1.2. */
    int (*rules_run)(ptc_stream *s, uint32_t ruleset, ptc_proxy *px);
    /** Compile a log-format string ("%[req.hdr(host),lower] %ci"); NULL after
     *  reporting an error. Config-lifetime, host-owned. Since 1.2. */
    ptc_logfmt *(*logfmt_compile)(const ptc_kw_ctx *ctx, ptc_str fmt);
    /** Evaluate a log-format into buf (at most cap bytes, not NUL-terminated);
     *  returns the length written (output is truncated at cap). Since 1.2. */
    size_t (*logfmt_eval)(ptc_stream *s, const ptc_logfmt *lf, char *buf, size_t cap);
    /** Compile a sample expression ("req.hdr(host),lower"). Since 1.2. */
    ptc_expr *(*expr_compile)(const ptc_kw_ctx *ctx, ptc_str expr);
    /** Evaluate an expression: 1 with *out set, 0 when no sample. Strings in
     *  *out stay valid until the next evaluation on this worker. Since 1.2.
     *  Since 1.25, out->flags holds PTC_SMPF_MAYCHANGE only while a rule set runs
     *  with PTC_RULES_PARTIAL (an action may return PTC_ACT_YIELD to wait for it). */
    int (*expr_eval)(ptc_stream *s, const ptc_expr *e, ptc_sample *out);
    /** A scratch buffer for converters writing a new string (two rotate, each
     *  tune.bufsize long); valid until the current expression evaluation ends.
     *  *cap receives its size. Since 1.2. */
    char *(*scratch)(size_t *cap);
    /** Set / get a variable ("txn.foo", "sess.bar", "req.x", "res.y",
     *  "proc.z"); the value is copied. var_get returns 1 when found. Since 1.2. */
    int (*var_set)(ptc_stream *s, ptc_str name, const ptc_sample *value);
    int (*var_get)(ptc_stream *s, ptc_str name, ptc_sample *out);
    /** Log one transaction of the stream (mode http: once per request) with the
     *  proxy's log settings, and count it in the statistics. Since 1.2. */
    void (*stream_log_txn)(ptc_stream *s, const ptc_log_txn *txn);
    /** The raw HTTP response configured with "errorfile <status>" for the proxy
     *  (checked at load time), or an empty string. Since 1.12 the empty string of "no
     *  message" has a NULL pointer, while an empty file ("errorfile 408 /dev/null":
     *  send nothing, close) is a non-NULL pointer with length 0. Since 1.2. */
    ptc_str (*proxy_errorfile)(const ptc_proxy *p, int status);
    /** A numeric global setting: "tune.bufsize", "tune.maxrewrite",
     *  "tune.http.maxhdr", "maxconn", "workers"; 0 when unknown. Since 1.2. */
    uint64_t (*global_setting)(const char *name);
    /** A numeric proxy setting: "retries", "redispatch" (0/1), "maxconn",
     *  "option httplog"-style flags by name ("forwardfor"...); 0 when unset.
     *  Since 1.24 also "uuid": the proxy's numeric id (the "iid" of "show stat").
     *  Since 1.2. */
    uint64_t (*proxy_setting)(const ptc_proxy *p, const char *name);
    /** Keep the request bytes forwarded from now on in the buffer after they are
     *  sent (on = 1), so that chan_rewind can send them again to another server
     *  (L7 retries); on = 0 releases them. Since 1.2. */
    void (*chan_mark)(ptc_stream *s, uint32_t dir, int on);
    /** Make every byte forwarded since chan_mark forwarded-but-unsent again (for
     *  the next server connection). PTC_ERROR when no mark is held. Since 1.2. */
    int (*chan_rewind)(ptc_stream *s, uint32_t dir);

    /* ---- binds, per-stream module state, the connection phase (1.3) ---- */
    /** The listening address the stream was accepted on. Since 1.3. */
    ptc_bind *(*stream_bind)(ptc_stream *s);
    /** This module's blob for a listening address (NULL if bind_conf_size is 0).
     *  Since 1.3. */
    void *(*bind_conf)(ptc_modref *self, const ptc_bind *b);
    /** The frontend a listening address belongs to. Since 1.3. */
    ptc_proxy *(*bind_proxy)(const ptc_bind *b);
    /** The bind's "name" option, else its address as written. Since 1.3. */
    ptc_str (*bind_name)(const ptc_bind *b);
    /** This module's per-stream state (stream_state_size bytes, zeroed when the
     *  stream was created), or NULL if the module declared none. Since 1.3. */
    void *(*stream_modstate)(ptc_modref *self, ptc_stream *s);
    /** Replace the stream's client (PTC_ADDR_CLIENT) or frontend
     *  (PTC_ADDR_FRONTEND) address, as a PROXY header does: logs, fetches ("src",
     *  "dst"), ACLs, balancing and forwardfor see the new one. AF_INET, AF_INET6 or
     *  AF_UNIX. PTC_OK or PTC_ERROR (bad family or length). Since 1.3. */
    int (*stream_set_addr)(ptc_stream *s, uint32_t which, const struct sockaddr *sa,
                           socklen_t len);
    /** Record why a connection is being refused before it reached the protocol
     *  handler (e.g. "Received something which does not look like a PROXY protocol
     *  header"): the frontend counts it (failed handshakes) and a log line in
     *  HAProxy's format for connection errors is emitted ("<client>:<port>
     *  [<date>] <frontend>/<bind>: <reason>") when the frontend logs. Then return
     *  PTC_DENY from the hook, or call stream_close(). Since 1.3. */
    void (*stream_conn_fail)(ptc_stream *s, const char *reason);

    /* ---- the server side of a stream (1.3) ---- */
    /** From a PTC_PHASE_SRV_CONNECTED hook: queue `len` bytes to be sent on the new
     *  server connection before any request byte (a PROXY header). The bytes are
     *  copied (at most 4096 per connection, in one or more calls). A connection
     *  that carried such bytes belongs to its stream: it is never pooled for
     *  another client. PTC_OK, or PTC_ERROR (no connection being set up, too big).
     *  Since 1.3. */
    int (*stream_srv_prepend)(ptc_stream *s, const void *data, size_t len);
    /** From a PTC_PHASE_SERVER_CHOICE hook: use `srv` (a server of the stream's
     *  backend) instead of balancing. Without PTC_USE_SRV_FORCE a server that is
     *  down, in maintenance or draining is not taken (PTC_ERROR, and the balancer
     *  runs; a stopping one or one with weight 0 is, as for HAProxy's persistence);
     *  with it the server is used whatever its state ("option persist",
     *  "force-persist"). Since 1.3. */
    int (*stream_use_server)(ptc_stream *s, ptc_server *srv, uint32_t flags);
    /** Iterate over the servers of a backend (configured and added at run time):
     *  pass NULL first. Since 1.3. */
    ptc_server *(*server_next)(const ptc_proxy *be, ptc_server *prev);
    /** The backend a server belongs to. Since 1.3. */
    ptc_proxy *(*server_backend)(const ptc_server *srv);
    /** The server's current address (it may change at run time). Returns its length,
     *  0 if it has none. Since 1.3. */
    socklen_t (*server_addr)(const ptc_server *srv, struct sockaddr_storage *out);
    /** PTC_SRV_ST_* bits of the server's instance-wide state. Since 1.3. */
    uint32_t (*server_state)(const ptc_server *srv);
    /** Set the server's operational state (PTC_SRV_OP_UP, _DOWN or _STOPPING) for
     *  the whole instance; every worker applies it at its next server choice.
     *  The transition is logged (unless `reason` is NULL) as HAProxy words it:
     *  "Server be/s1 is DOWN, <reason>. 1 active and 0 backup servers left. 0 sessions
     *  active, 0 requeued, 0 remaining in queue." (and "backend 'be' has no server
     *  available!" when it was the last), where a check passes "reason: Layer4
     *  connection problem, info: ..." and the runtime API "changed from CLI"; an empty
     *  reason logs "Server be/s1 is DOWN. 1 active ..."; a reason starting with "via "
     *  ("via be/s0", a tracking server) is written "is DOWN via be/s0." Returns the
     *  previous PTC_SRV_OP_* value. Master or worker. Since 1.3. */
    uint32_t (*server_set_op)(ptc_server *srv, uint32_t op, const char *reason);
    /** Set the server's effective weight as a fraction of its configured weight,
     *  in 1/256 units (256 = the full weight; slowstart ramps it), for the whole
     *  instance. Since 1.3. */
    void (*server_set_eweight)(ptc_server *srv, uint32_t frac256);

    /* ---- module shared memory, workers (1.3) ---- */
    /** In the master, before the workers start (init or post_config): reserve `size`
     *  bytes of memory shared by the master and every worker of this instance,
     *  zeroed, under `name` (unique per module; the same name returns the same
     *  area). The address is the same in every process; it lives until the
     *  instance exits (a reload will hand it to the new workers only if the layout
     *  is unchanged). Use atomics or a lock that lives in the area: workers run in
     *  parallel. NULL on failure. Since 1.3. */
    void *(*shm_reserve)(ptc_modref *self, const char *name, size_t size);
    /** This worker's slot (0 .. workers-1; -1 in the master), and the number of
     *  worker slots (the same in every process). Both answer from worker_init() on.
     *  Since 1.3. */
    int (*worker_slot)(void);
    uint32_t (*worker_count)(void);

    /* ---- tasks and outgoing connections (1.3, task.h); worker processes ---- */
    /** A task of this worker running fn(ctx); it sleeps until scheduled. NULL
     *  outside a worker (the master). Since 1.3. */
    ptc_task *(*task_new)(ptc_modref *self, ptc_task_fn fn, void *ctx);
    /** Run the task at `at_ms` (now_ms() scale; 0 or a past time: on the next loop
     *  turn, never from inside this call). Replaces any earlier schedule. Since 1.3. */
    void (*task_schedule)(ptc_task *t, uint64_t at_ms);
    /** Free a task (it will not run again). From its own callback too: it is then
     *  freed when the callback returns, whose return value is ignored. Since 1.3. */
    void (*task_free)(ptc_task *t);
    /** Start a TCP (or unix stream) connection to `addr` (AF_INET, AF_INET6 or
     *  AF_UNIX); events go to cb(ctx), the first one PTC_CEV_CONNECTED or
     *  PTC_CEV_ERROR (e.g. ECONNREFUSED). NULL if no socket could be created or
     *  bound (errno set; EPERM outside a worker). `src` may bind a source address
     *  (NULL: any). Each connection has 16 KiB of input and 16 KiB of output
     *  buffer. Since 1.3. */
    ptc_conn *(*conn_new)(ptc_modref *self, const struct sockaddr *addr, socklen_t len,
                          const struct sockaddr *src, socklen_t srclen, ptc_conn_fn cb,
                          void *ctx);
    /** Queue bytes to send (copied; at most the room left, see return): returns the
     *  number of bytes queued (0 after an error or conn_shutw). Bytes queued before
     *  the connection is established leave once it is. PTC_CEV_SENT comes when all
     *  are out. Since 1.3. */
    size_t (*conn_send)(ptc_conn *c, const void *data, size_t len);
    /** The received bytes not yet consumed (valid until the next host call on the
     *  connection or the callback returns); returns PTC_CONN_* bits. Since 1.3. */
    uint32_t (*conn_data)(ptc_conn *c, ptc_str *in);
    /** Consume the first n received bytes (room for more input: nothing is read
     *  while the 16 KiB input buffer is full). Since 1.3. */
    void (*conn_consume)(ptc_conn *c, size_t n);
    /** Shut the write side once every queued byte is sent. Since 1.3. */
    void (*conn_shutw)(ptc_conn *c);
    /** Arm (ms > 0: from now) or disarm the connection's timer; when it expires
     *  PTC_CEV_TIMEOUT comes once (the connection stays open). Not pushed back by
     *  I/O. Since 1.3. */
    void (*conn_set_timeout)(ptc_conn *c, uint64_t ms);
    /** The errno of a failed connection, 0 if none. Since 1.3. */
    int (*conn_error)(ptc_conn *c);
    /** Close and free the connection (from anywhere, its callback included); what
     *  was not sent yet is dropped. Since 1.3. */
    void (*conn_close)(ptc_conn *c);

    /* ---- transports (1.3, transport.h) ---- */
    /** Install a transport on a side (PTC_SIDE_*) of the stream; see transport.h
     *  for when. PTC_OK, or PTC_ERROR (too late, or already one). Since 1.3. */
    int (*stream_set_transport)(ptc_stream *s, uint32_t side, const ptc_transport *t,
                                void *tctx);

    /* ---- registering samples after the descriptor (1.3) ---- */
    /** Register one more fetch, converter or action (entry of `size` bytes, copied;
     *  its strings and `priv` must stay valid), in the master, from init() until
     *  the configuration is completely read, e.g. from a keyword parser ("lua-load"
     *  registering a script's functions). When `fn` is not NULL it is called instead
     *  of the entry's fn/parse, with `priv`. The entry is found exactly like the
     *  descriptor's (an action name ending in '.' is a prefix, exact names win); a
     *  name registered twice is refused. PTC_OK or PTC_ERROR (logged). Since 1.3. */
    int (*fetch_register)(ptc_modref *self, const ptc_fetch *f, uint32_t size,
                          ptc_fetch_priv_fn fn, void *priv);
    int (*conv_register)(ptc_modref *self, const ptc_conv *c, uint32_t size,
                         ptc_conv_priv_fn fn, void *priv);
    int (*action_register)(ptc_modref *self, const ptc_action *a, uint32_t size,
                           ptc_act_parse_priv_fn parse, void *priv);

    /* ---- health checks, server administration, runtime API commands (1.4) ---- */
    /** Publish the state of a server's health check (which = PTC_CHECK_HEALTH) or
     *  agent check (PTC_CHECK_AGENT) for the runtime API ("show stat" check_* and
     *  agent_* columns, the "UP 1/3" status, "show servers state"); copied into
     *  shared memory, so every process sees it. Master or worker. Since 1.4.
     *  Since 1.31, a PTC_CHECK_HEALTH info whose state lacks PTC_CHKST_CONFIGURED says the
     *  server has no health check: only `health` is kept, the level "show servers state"
     *  prints (HAProxy's: the server's "rise" at start, 0 while in maintenance, moved by
     *  "set server ... health"); the stats say "no check" for it while it is up (until a
     *  server_set_op: "UP"). It may then be called from post_config (the level the
     *  server starts with). */
    void (*server_set_check)(ptc_server *srv, uint32_t which, const ptc_check_info *ci);
    /** Set the server's administrative state (PTC_SRV_ADMIN_*) as the runtime API's
     *  "set server ... state" does, for the whole instance (an agent's "drain",
     *  "maint", "ready"). `reason` is logged with the transition (may be NULL).
     *  Returns the previous PTC_SRV_ADMIN_* value. Master or worker. Since 1.4. */
    uint32_t (*server_set_admin)(ptc_server *srv, uint32_t admin, const char *reason);
    /** Set the server's current (user) weight as "set server ... weight" does: an
     *  absolute weight 0..256, or with PTC_WEIGHT_PERCENT a percentage of its
     *  configured weight (an agent's "75%"). Returns the new weight. Since 1.4. */
    uint32_t (*server_set_weight)(ptc_server *srv, uint32_t value, uint32_t flags);
    /** The server's configured ("initial") weight, and its numeric id. Since 1.4. */
    uint32_t (*server_iweight)(const ptc_server *srv);
    uint32_t (*server_id)(const ptc_server *srv);
    /** Find a server by backend and server name (configured or added at run time);
     *  NULL if none. Configuration time (post_config) and later. Since 1.4. */
    ptc_server *(*server_find)(ptc_str backend, ptc_str server);
    /** Close every stream using `srv` (connected or connecting to it, or queued for
     *  it), in every worker ("on-marked-down shutdown-sessions"); `backup_of` set:
     *  close instead the streams of the backup servers of srv's backend
     *  ("on-marked-up shutdown-backup-sessions"). Asynchronous: workers act within
     *  a loop turn. Since 1.4. */
    void (*server_shutdown_streams)(ptc_server *srv, uint32_t flags);
    /** Emit a log line for proxy `p` the way HAProxy's own messages go (server state
     *  changes, health check results): to the proxy's "log" targets (with its log
     *  tag and facility) and, at PTC_LOG_WARNING or more severe, to the diagnostic
     *  output. Since 1.4. */
    void (*proxy_log)(const ptc_proxy *p, uint32_t level, const char *fmt, ...) PTC_PRINTF(3, 4);
    /** Register a runtime API command (cli.h), in the master, from init() until
     *  post_config() returns. PTC_OK or PTC_ERROR (logged: malformed, or the same
     *  words registered twice). Since 1.4. */
    int (*cli_register)(ptc_modref *self, const ptc_cli_cmd *cmd, uint32_t size);
    /** Append to a runtime API command's answer. Since 1.4. */
    void (*cli_printf)(ptc_cli_reply *r, const char *fmt, ...) PTC_PRINTF(2, 3);
    /** conn_close() with a reset instead of a FIN, so that no TIME_WAIT is left on this
     *  side (HAProxy ends its health checks so unless told to "linger"). Since 1.4. */
    void (*conn_abort)(ptc_conn *c);

    /* ---- captures and unique ids (1.5) ---- */
    /** The frontend `fe`'s capture slot `idx` of direction `dir` (PTC_DIR_REQ: "capture
     *  request header", "declare capture request", "http-request capture ... len";
     *  PTC_DIR_RES: the response ones), in declaration order: *hdr gets the header name
     *  to capture ("capture ... header"; empty for a declared or sample slot), *len the
     *  most bytes kept (either may be NULL). Returns 1, or 0 when there is no such slot.
     *  Since 1.5. */
    int (*proxy_capture_slot)(const ptc_proxy *fe, uint32_t dir, uint32_t idx, ptc_str *hdr,
                              uint32_t *len);
    /** The frontend's "capture cookie" name (empty: none) and length. Since 1.5. */
    int (*proxy_capture_cookie)(const ptc_proxy *fe, ptc_str *name, uint32_t *len);
    /** Store a captured value for the current transaction of `s` in its frontend's slot
     *  (`dir`, `slot`), or its cookie capture with slot PTC_CAPTURE_COOKIE; copied,
     *  truncated to the slot's length; replaces an earlier value. Without such a slot,
     *  nothing happens. Logged by %hr/%hs/%CC/%CS; cleared when the transaction is logged
     *  (stream_log_txn). Since 1.5. */
    void (*stream_capture)(ptc_stream *s, uint32_t dir, uint32_t slot, ptc_str value);
    /** The unique id of the current transaction of `s`, generated from its frontend's
     *  "unique-id-format" on first use (then stable until the transaction is logged).
     *  Returns 1 with *out set (valid until then), 0 when no format is configured.
     *  Since 1.5. */
    int (*stream_unique_id)(ptc_stream *s, ptc_str *out);
    /** "option logasap": a protocol module calls it when the response head is about to
     *  go to the client; if the frontend logs as soon as possible, the line is sent now
     *  (with what `txn` says so far; '+' before %B, %Ta, %Tt) and stream_log_txn() only
     *  counts the transaction. Returns 1 if a line was sent for it, else 0. Since 1.5. */
    int (*stream_log_asap)(ptc_stream *s, const ptc_log_txn *txn);

    /* ---- HTTP services (1.5, service.h) ---- */
    /** Register an HTTP service (entry of `size` bytes, copied; its strings must stay
     *  valid), in the master, from init() until the configuration is completely read.
     *  PTC_OK, or PTC_ERROR (logged: malformed, or the name is taken). Since 1.5. */
    int (*service_register)(ptc_modref *self, const ptc_service *svc, uint32_t size);
    /** The service registered under `name`, or NULL. Configuration time and later
     *  (a use-service parser checks the name). Since 1.5. */
    const ptc_service *(*service_find)(ptc_str name);
    /** For a runner: the first registered service whose match() claims `uri` for proxy
     *  `px` (*arg set to its argument), or NULL. Worker. Since 1.5. */
    const ptc_service *(*service_match)(ptc_proxy *px, ptc_str uri, const void **arg);

    /* ---- protocol error snapshots (1.6) ---- */
    /** Record an invalid message for the runtime API's "show errors": `side`
     *  PTC_SIDE_CLIENT for a request (kept by the stream's frontend), PTC_SIDE_SERVER
     *  for a response (kept by its backend). `msg` holds the bytes received so far
     *  (copied, up to tune.bufsize), `err_pos` the offset where parsing stopped,
     *  `reason` a short static text ("invalid character in field name"), may be NULL.
     *  The latest snapshot per proxy and side is kept, instance-wide. Worker.
     *  Since 1.6. */
    void (*stream_report_error)(ptc_stream *s, uint32_t side, ptc_str msg, size_t err_pos,
                                const char *reason);

    /* ---- persistence cookies in the log (1.8) ---- */
    /** Set the two cookie letters of the current transaction's termination state (the
     *  3rd and 4th characters of %tsc, as HAProxy writes them for a backend with a
     *  persistence cookie): `cli` what the request's cookie did (one of "NIDVEOU"), `srv`
     *  what happened to the response's (one of "NPDIRU"); 0 leaves a letter as it is.
     *  Both go back to '-' once the transaction is logged (stream_log_txn). A letter the
     *  protocol module put in ptc_log_txn.term[2..3] wins. Worker. Since 1.8. */
    void (*stream_set_cookie_state)(ptc_stream *s, uint32_t cli, uint32_t srv);

    /* ---- stream byte counts (1.10) ---- */
    /** The bytes received so far on channel `dir` (PTC_DIR_REQ: from the client,
     *  PTC_DIR_RES: from the server) of stream `s`, all transactions together (what the
     *  stick tables' bytes_in/bytes_out counters add up). Worker. Since 1.10. */
    uint64_t (*stream_bytes)(ptc_stream *s, uint32_t dir);

    /* ---- conditions of a module's own keywords (1.10) ---- */
    /** Compile the condition starting at ctx->args[first], which must be "if" or
     *  "unless", to the end of the line (ACL names of ctx->proxy, '!', '||',
     *  "{ anonymous acl }"), with samples available at `use` (PTC_USE_*). NULL after
     *  reporting the error at file:line. Config time. Since 1.10. */
    ptc_cond *(*cond_compile)(const ptc_kw_ctx *ctx, uint32_t first, uint32_t use);
    /** Evaluate a compiled condition on stream `s`: 1 when the rule applies (the "if"
     *  condition holds, the "unless" one does not), else 0. Worker. Since 1.10. */
    int (*cond_eval)(ptc_stream *s, const ptc_cond *c);
    /** This instance's peer name in "peers" sections: -L, else "localpeer", else the
     *  host name (from worker_init on: -L is applied after the configuration).
     *  Since 1.10. */
    ptc_str (*local_peer)(void);

    /* ---- variables (1.11) ---- */
    /** Remove a variable ("txn.foo", "sess.bar", "req.x", "res.y", "proc.z") of the
     *  stream (proc: of this worker). Returns 1 when it existed, else 0. Worker.
     *  Since 1.11. */
    int (*var_unset)(ptc_stream *s, ptc_str name);

    /* ---- error messages (1.12) ---- */
    /** The raw response for `status` in the "http-errors" section named `section`:
     *  1 with *out set (its length is 0 for an empty file such as /dev/null: answer
     *  nothing and close), 0 when the section has no message for that status, -1 when
     *  there is no such section. Config time (post_config) or worker. Since 1.12. */
    int (*http_errors_message)(ptc_str section, int status, ptc_str *out);
    /* ---- pattern files (1.15) ---- */
    /** Change the shared entries of pattern file `file` (as a map converter or a "-f"
     *  ACL names it) for every worker, as the set-map/del-map/add-acl/del-acl actions:
     *  `op` is PTC_PAT_ADD_ACL (add `key` unless present), PTC_PAT_DEL_ACL or
     *  PTC_PAT_DEL_MAP (delete every entry of `key`), PTC_PAT_SET_MAP (set `value` on
     *  every entry of `key`, or add one). Returns 1, or 0 when no map or ACL uses the
     *  file. Worker. Since 1.15. */
    int (*pattern_change)(ptc_str file, uint32_t op, ptc_str key, ptc_str value);

    /* ---- actions built at run time (1.16) ---- */
    /** Build one action of rule set `ruleset` (PTC_RULES_*) from its words (args[0] is
     *  the action's name: "set-tos", "replace-header"...), parsed as that configuration
     *  line would be in proxy `px`; no "if"/"unless". Returns the rule, which lives as long
     *  as the process (cache it: every call builds a new one), or NULL with the reason in
     *  `err` (NUL-terminated, cut at `errlen`). Worker (config time too). Since 1.16. */
    ptc_act_rule *(*action_compile)(ptc_proxy *px, uint32_t ruleset, uint32_t argc,
                                    const ptc_str *args, char *err, size_t errlen);
    /** Run a rule built by action_compile on stream `s`, in the phase its rule set runs
     *  in; returns the action's PTC_ACT_* result. Worker. Since 1.16. */
    int (*action_exec)(ptc_stream *s, const ptc_act_rule *rule);

    /* ---- services of TCP streams (1.16) ---- */
    /** From now on, deliver the stream's events to `fn` (called with `ctx` as its state)
     *  instead of its protocol handler: a module's service answers the client itself
     *  ("tcp-request content use-service", Lua's AppletTCP). The stream is woken
     *  (PTC_EV_WAKE) at once. A content rule that calls it returns PTC_ACT_YIELD. The
     *  module frees `ctx` in its PTC_PHASE_CLOSE hook. Worker. Since 1.16. */
    void (*stream_set_applet)(ptc_stream *s,
                              int (*fn)(ptc_stream *s, void *ctx, uint32_t events),
                              void *ctx);

    /* ---- a module's listening sockets (1.18, task.h) ---- */
    /** Listen for TCP connections in this worker: on `fd` when it is >= 0 (a socket
     *  already bound, "fd@<n>"; listen() is called on it, addr may be NULL), else on a
     *  new socket bound to `addr` (AF_INET or AF_INET6; SO_REUSEADDR, SO_REUSEPORT).
     *  The listener's cb(ctx) gets PTC_CEV_ACCEPT while connections wait; conn_accept()
     *  takes them. conn_close() stops listening and closes the socket. NULL on failure
     *  (errno set; EPERM outside a worker). Since 1.18. */
    ptc_conn *(*conn_listen)(ptc_modref *self, const struct sockaddr *addr, socklen_t len, int fd,
                             ptc_conn_fn cb, void *ctx);
    /** One connection waiting on listener `l`, established, as a ptc_conn whose events
     *  go to cb(ctx) (no PTC_CEV_CONNECTED: the first is PTC_CEV_DATA); `from` (may be
     *  NULL) gets the client's address, *fromlen its length. NULL when none waits
     *  (errno EAGAIN) or on failure. Since 1.18. */
    ptc_conn *(*conn_accept)(ptc_conn *l, ptc_conn_fn cb, void *ctx, struct sockaddr_storage *from,
                             socklen_t *fromlen);

    /* ---- variables (1.21) ---- */
    /** 1 when the variable name ("proc.foo": scope and name) is known: the configuration
     *  uses it, or var_set created it, as HAProxy's "ifexist" tests (Lua's
     *  txn:set_var(name, value, true)); 0 otherwise or for a bad scope. Since 1.21. */
    int (*var_known)(ptc_str name);

    /* ---- "show info" (1.22) ---- */
    /** In init: "show info" (and its typed and JSON forms, in the master or a worker)
     *  asks fn for each field the host does not count itself, by HAProxy's name
     *  ("CurrSslConns", "SslFrontendSessionReuse_pct"...): fn returns 1 with *value set
     *  when it knows the field, 0 otherwise (the field says 0). fn reads state shared by
     *  the workers (shm_reserve). PTC_OK / PTC_ERROR. Since 1.22. */
    int (*info_provider)(ptc_modref *self,
                         int (*fn)(ptc_modref *self, const char *field, uint64_t *value));

    /* ---- runtime API commands from a module, connection addresses (1.24) ---- */
    /** Run one runtime API command, given as its words ("set", "server", "be/s1", "addr",
     *  "10.0.0.2"), at the admin level in this process, as the stats socket would: the
     *  change applies to the whole instance (a "shutdown frontend" run by a worker
     *  closes the master's copies of the sockets at the master's next turn, within a
     *  second). `out` (may be NULL) gets the answer without the prompt, cut to
     *  outlen - 1 bytes and NUL-terminated; returns the answer's full length (0: the
     *  command printed nothing, HAProxy's success for most). Lua's Server and Proxy
     *  methods. Master or worker. Since 1.24. */
    size_t (*cli_run)(uint32_t argc, const ptc_str *argv, char *out, size_t outlen);
    /** The local (PTC_CONN_ADDR_LOCAL) or peer (PTC_CONN_ADDR_PEER) address of a
     *  connection of conn_new/conn_accept: its length, 0 when it has none (not
     *  connected, closed). Lua's Socket:getsockname. Since 1.24. */
    socklen_t (*conn_addr)(ptc_conn *c, uint32_t which, struct sockaddr_storage *out);

    /* ---- error messages built per use (1.25) ---- */
    /** When proxy p's message for status is an "http-error" one built per use (lf-string,
     *  lf-file, a log-format hdr value), builds it for stream s (a complete HTTP/1.1
     *  response: status line, content-length, content-type, headers, body) and returns 1
     *  with *out set (valid until the next call in this worker); 0 otherwise (then
     *  proxy_errorfile, which says "no message" for such a status, tells the rest).
     *  Worker. Since 1.25. */
    int (*proxy_error_render)(ptc_stream *s, const ptc_proxy *p, int status, ptc_str *out);

    /* ---- transports (1.26) ---- */
    /** What the transport of side <side> (PTC_SIDE_CLIENT, PTC_SIDE_SERVER) of <s>
     *  negotiated: ptc_transport.info(<what>) (PTC_XPRT_*), a string valid while the
     *  side's connection lives, or NULL (no transport, released, none yet, or it does not
     *  say). Since 1.26. */
    const char *(*stream_xprt_info)(ptc_stream *s, uint32_t side, uint32_t what);

    /* ---- servers other state refers to (1.29) ---- */
    /** Server s is referred to by this module's state (a "track" on it, a Lua object for
     *  it): the runtime API's "del server" refuses it from now on ("This server cannot be
     *  removed at runtime due to other configuration elements pointing to it."), for the
     *  whole instance. At configuration time (post_config) or in a worker. Since 1.29. */
    void (*server_pin)(ptc_server *s);

    /* ---- a server connection for one transaction (1.30) ---- */
    /** The stream's server connection carries bytes that belong to the current
     *  transaction alone (a PROXY v2 header with the stream's unique ID, written with
     *  stream_srv_prepend): no later transaction reuses it, the next request of the
     *  stream opens a new one (HAProxy keys its connection reuse on the whole PROXY
     *  header). No effect without a server connection. Since 1.30. */
    void (*stream_srv_once)(ptc_stream *s);
} ptc_host;

/* Which address host->conn_addr returns (since 1.24). */
#define PTC_CONN_ADDR_LOCAL 0u
#define PTC_CONN_ADDR_PEER  1u

/* host->pattern_change's operations (since 1.15). */
#define PTC_PAT_ADD_ACL 1u
#define PTC_PAT_DEL_ACL 2u
#define PTC_PAT_SET_MAP 3u
#define PTC_PAT_DEL_MAP 4u

/* host->stream_capture's slot for the "capture cookie" value (since 1.5). */
#define PTC_CAPTURE_COOKIE 0xffffffffu

/* Which check host->server_set_check() describes (since 1.4). */
#define PTC_CHECK_HEALTH 0u
#define PTC_CHECK_AGENT  1u

/* Check state bits (ptc_check_info.state), HAProxy's CHK_ST_* values as "show servers
 * state" prints them (since 1.4). */
#define PTC_CHKST_INPROGRESS 0x0001u /* a probe is running now */
#define PTC_CHKST_CONFIGURED 0x0002u /* the check is configured */
#define PTC_CHKST_ENABLED    0x0004u /* not disabled by "disable health/agent" */
#define PTC_CHKST_PAUSED     0x0008u /* paused (the server is in maintenance) */
#define PTC_CHKST_AGENT      0x0010u /* this is an agent check */

/* A check's state for the runtime API (host->server_set_check, since 1.4). Strings are
 * copied (status at most 15 bytes, desc 127, addr 63). */
struct ptc_check_info {
    uint32_t size;          /* sizeof(ptc_check_info) as the module knows it */
    uint32_t state;         /* PTC_CHKST_* */
    const char *status;     /* HAProxy's short status of the last probe: "L4OK", "L4CON",
                               "L7STS", "INI" (none yet)...; NULL = "" */
    const char *status_desc;/* its description: "Layer4 connection problem"... */
    uint32_t status_num;    /* HAProxy's numeric HCHK_STATUS_* (show servers state) */
    uint32_t result;        /* HAProxy's CHK_RES_* of the last probe (0 unknown, 1 neutral,
                               2 failed, 3 passed, 4 conditionally passed) */
    int32_t code;           /* layer 7 status code of the last probe, -1 none */
    int32_t duration_ms;    /* duration of the last probe, -1 none */
    const char *desc;       /* the last probe's details ("Connection refused",
                               "HTTP status check returned code <3C>503<3E>"), or NULL */
    uint32_t health;        /* HAProxy's health counter: 0 .. rise+fall-1; the server is
                               up from rise on */
    uint32_t rise, fall;
    uint64_t failed;        /* failed probes so far (chkfail; health check only) */
    uint32_t port;          /* port probed (0: the server's) */
    const char *addr;       /* address probed as text, NULL = the server's */
    uint64_t hanafail;      /* passive check ("observe") failures acted upon (hanafail;
                               health check only) */
};

/* Administrative states (host->server_set_admin, since 1.4). */
#define PTC_SRV_ADMIN_READY 0u
#define PTC_SRV_ADMIN_DRAIN 1u
#define PTC_SRV_ADMIN_MAINT 2u

/* Flags of host->server_set_weight (since 1.4). */
#define PTC_WEIGHT_PERCENT 0x0001u /* value is a percentage of the configured weight */

/* Flags of host->server_shutdown_streams (since 1.4). */
#define PTC_SHUT_BACKUPS 0x0001u /* the streams of the backend's backup servers instead */

/* Flags of host->stream_use_server (since 1.3). */
#define PTC_USE_SRV_FORCE 0x0001u /* use the server even when down, in maintenance or
                                     draining */

/* Server state bits (host->server_state, since 1.3). */
#define PTC_SRV_ST_UP       0x0001u /* operationally up (checks pass or none) */
#define PTC_SRV_ST_STOPPING 0x0002u /* operationally stopping (agent/checks: "drain"-like,
                                       still up for persistent clients) */
#define PTC_SRV_ST_MAINT    0x0004u /* administratively in maintenance */
#define PTC_SRV_ST_DRAIN    0x0008u /* administratively draining (weight 0) */
#define PTC_SRV_ST_BACKUP   0x0010u /* a backup server */
#define PTC_SRV_ST_USABLE   0x0020u /* would get new traffic now (up, not maint/drain,
                                       weight > 0) */
#define PTC_SRV_ST_DELETED  0x0040u /* removed with "del server" (since 1.29): the host
                                       ignores state changes made to it */

/* Operational states (host->server_set_op, since 1.3). */
#define PTC_SRV_OP_DOWN     0u
#define PTC_SRV_OP_UP       1u
#define PTC_SRV_OP_STOPPING 2u

/* True if the host table has `member` (it was added in a minor the host has). */
#define PTC_HOST_HAS(host, member) \
    (offsetof(ptc_host, member) + sizeof(((ptc_host *)0)->member) <= (host)->size)

#ifdef __cplusplus
}
#endif

#endif
