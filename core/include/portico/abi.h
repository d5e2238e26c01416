/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: version numbers, magic values, result codes and the changelog. */
#ifndef PORTICO_ABI_H
#define PORTICO_ABI_H

/*
 * Versioning rules (see portico-module(3)):
 *
 *  - A module records the ABI it was built against in its descriptor
 *    (abi_major, abi_minor). The host accepts it when the majors are equal
 *    and the module's minor is <= the host's minor.
 *  - A minor bump only appends: new fields at the end of a struct (found
 *    through its `size`), new functions at the end of the host table, new
 *    #define values, new table entries. Anything else bumps the major.
 *  - A module that uses something added in 1.n checks PTC_HOST_HAS() (or
 *    host->abi_minor >= n) before calling it.
 *
 * Changelog
 *  1.0  first stable ABI: ptc_host (log .. api_lookup), ptc_module,
 *       ptc_keyword, ptc_kw_ctx, ptc_hook, ptc_proto, channel and stream
 *       functions.
 *  1.1  server connection reuse: ptc_host.stream_srv_idle,
 *       ptc_host.stream_connect_ex; PTC_IDLE_POOL, PTC_CONNECT_POOL_SAFE,
 *       PTC_CONNECT_POOL_ANY (stream.h).
 *  1.2  samples and rules (sample.h): ptc_module.fetches/convs/actions tables;
 *       ptc_host.rules_run, logfmt_compile, logfmt_eval, expr_compile,
 *       expr_eval, scratch, var_set, var_get, stream_log_txn, proxy_errorfile,
 *       global_setting, proxy_setting, chan_mark, chan_rewind; PTC_TMO_FIXED,
 *       PTC_CLOSE_NOLINGER.
 *  1.3  room for every remaining module (task.h, transport.h): ptc_module.bind_conf_size,
 *       stream_state_size, features; ptc_kw_ctx.bind/bind_conf; PTC_CONF_BIND;
 *       ptc_bind; hook phases PTC_PHASE_CONNECTION, PTC_PHASE_SRV_CONNECTED,
 *       PTC_PHASE_SERVER_CHOICE (PTC_PHASE_MAX); PTC_CHAN_TIMEOUT; ptc_host.stream_bind ..
 *       bind_name (per-bind blobs), stream_modstate, stream_set_addr,
 *       stream_conn_fail, stream_srv_prepend, stream_use_server (PTC_USE_SRV_FORCE),
 *       server_next .. server_set_eweight (PTC_SRV_ST_*, PTC_SRV_OP_*), shm_reserve,
 *       worker_slot, worker_count, task_* and conn_* (ptc_task, ptc_conn, PTC_CEV_*,
 *       PTC_CONN_*), stream_set_transport (ptc_transport, PTC_SIDE_*),
 *       fetch_register, conv_register, action_register (ptc_fetch_priv_fn,
 *       ptc_conv_priv_fn, ptc_act_parse_priv_fn).
 *  1.4  health checks and runtime API commands (cli.h): ptc_host.server_set_check
 *       (ptc_check_info, PTC_CHECK_*, PTC_CHKST_*), server_set_admin
 *       (PTC_SRV_ADMIN_*), server_set_weight (PTC_WEIGHT_PERCENT), server_iweight,
 *       server_id, server_find, server_shutdown_streams (PTC_SHUT_BACKUPS), proxy_log,
 *       cli_register (ptc_cli_cmd, ptc_cli_fn, PTC_CLI_*), cli_printf (ptc_cli_reply),
 *       conn_abort; ptc_check_info.hanafail;
 *       hook phase PTC_PHASE_SRV_ERROR (PTC_PHASE_MAX); server_set_op's log line
 *       carries HAProxy's server counts.
 *  1.5  captures and unique ids: ptc_host.proxy_capture_slot, proxy_capture_cookie,
 *       stream_capture (PTC_CAPTURE_COOKIE), stream_unique_id, stream_log_asap.
 *       HTTP services (service.h): ptc_service, ptc_svc_txn, ptc_svc_ops,
 *       PTC_SVC_F_*; ptc_host.service_register, service_find, service_match.
 *       ptc_log_txn.flags (was reserved) with PTC_LOG_TXN_SILENT.
 *  1.6  ptc_host.stream_report_error (the runtime API's "show errors").
 *  1.7  transports that handshake (TLS): ptc_transport.ready (the server side's
 *       PTC_EV_SRV_CONNECTED waits for it; a failure before it is a failed connection
 *       attempt) and ptc_transport.shutw (a last record before the write shutdown).
 *  1.8  ptc_host.stream_set_cookie_state (the cookie letters of %tsc).
 *  1.9  TLS health checks (ssl.h, the ssl module's published API, found by its `size`):
 *       ptc_ssl_api.check_prepare, check_transport, transport_error;
 *       PTC_SSL_SRV_CHECK_TLS, PTC_SSL_SRV_NO_CHECK_TLS, PTC_SSL_CHK_DEFAULT,
 *       PTC_SSL_CHK_NO_H2. Nothing in the host table.
 *  1.10 ptc_host.stream_bytes (a stream's byte counts, for the stick tables'
 *       bytes_in_* / bytes_out_* data); ptc_host.cond_compile / cond_eval (the
 *       "if"/"unless" conditions of a module's own keywords: stick rules);
 *       ptc_host.local_peer (this instance's peer name); PTC_SEC_PEERS (a module keyword
 *       named "peers" receives the "peers" sections' lines).
 *  1.11 ptc_host.var_unset (Lua's txn:unset_var); var_set creates a variable name the
 *       configuration never used (as HAProxy 2.6 does for Lua).
 *  1.12 ptc_host.http_errors_message ("errorfiles <section>" in a module's replies);
 *       proxy_errorfile tells "no message" (NULL) from an empty file ("", length 0).
 *  1.13 hook phase PTC_PHASE_TXN_END (PTC_PHASE_MAX): an HTTP transaction ended (the
 *       stick module releases the counters its HTTP and content rules tracked).
 *  1.14 PTC_CLOSE_SILENT for stream_close ("silent-drop": no FIN nor RST to the client);
 *       proxy_timeout() knows "tarpit" ("timeout tarpit").
 *  1.15 ptc_host.pattern_change (runtime map/ACL changes of a pattern file shared by
 *       every worker: Lua's core.add_acl/del_acl/set_map/del_map); PTC_PAT_*.
 *  1.16 ptc_host.action_compile / action_exec (ptc_act_rule): an action of a rule set built
 *       from its words at run time and run on a stream (Lua's TXN:set_tos, set_mark,
 *       set_loglevel, set_priority_*, HTTP:req_rep_header...); ptc_log_txn.level (the
 *       level "set-log-level" gave the transaction's log line); ptc_host.stream_set_applet
 *       (a module's service takes a TCP stream's events: "tcp-request content use-service",
 *       Lua's AppletTCP).
 *  1.17 PTC_TMO_TUNNEL for stream_set_timeout ("http-request set-timeout tunnel" replaces
 *       the tunnel timeout a module arms with it; PTC_TMO_DEFAULT on PTC_TMO_SERVER gives
 *       "set-timeout server"'s value); rule set PTC_RULES_TCP_REQ_SESS ("tcp-request
 *       session", run once per connection after its handshakes: PROXY header, TLS), so
 *       PTC_RULES_MAX is 7 (register an action for it only when host->abi_minor >= 17).
 *  1.18 a module's own listening sockets (task.h): ptc_host.conn_listen, conn_accept;
 *       PTC_CEV_ACCEPT (the stick module's peers listen for the other instances).
 *  1.19 PTC_RULES_PARTIAL (a rules_run flag) and PTC_ACT_MISS: with more data still
 *       possible, a condition whose fetch says PTC_SMPF_MAYCHANGE is undecided and
 *       stops the rule set ("tcp-request inspect-delay" as HAProxy's ACL_TEST_MISS);
 *       ptc_log_txn.flags PTC_LOG_TXN_SERVICE (a service answered: %Tw = %Tc = 0).
 *  1.20 not used (no change was numbered 1.20; a module built for 1.20 sees 1.19's ABI).
 *  1.21 ptc_ssl_api.client_transport (ssl.h): a TLS client with no server behind it and
 *       no verification (Lua's Socket:connect_ssl); ptc_host.var_known (whether a
 *       variable name exists: Lua's set_var "ifexist").
 *  1.22 ptc_transport.info (PTC_XPRT_CIPHER, PTC_XPRT_VERSION: the log's %sslc and %sslv
 *       of a client-side transport); ptc_host.info_provider (a module gives "show info"
 *       the values of fields the host does not count: the ssl module's Ssl* fields).
 *  1.23 ssl.h (the ssl module's published API, found by its `size`): ptc_ssl_api.endpoint_new,
 *       endpoint_transport, PTC_SSL_EP_CLIENT, PTC_SSL_EP_SERVER (TLS outside any proxy:
 *       the stick module's peers sessions). Nothing in the host table.
 *  1.24 ptc_host.cli_run (a runtime API command run by a module: Lua's Server and Proxy
 *       methods), ptc_host.conn_addr, PTC_CONN_ADDR_LOCAL, PTC_CONN_ADDR_PEER (a
 *       connection's addresses: Lua's Socket:getsockname); proxy_setting "uuid";
 *       stick.h (the stick module's published API, found by its `size`):
 *       ptc_stick_api.table_info, ptc_stick_info (Lua's StickTable:info).
 *  1.25 host->expr_eval reports PTC_SMPF_MAYCHANGE only while a rule set runs with
 *       PTC_RULES_PARTIAL (more data may still come), never otherwise: an action may then
 *       wait for the data its expression needs by returning PTC_ACT_YIELD (the stick
 *       module's track-sc with a key not there yet, as HAProxy's);
 *       ptc_host.proxy_error_render ("http-error ... lf-string|lf-file" and log-format
 *       "hdr" values: the message built per use; proxy_errorfile says "none" for them).
 *  1.26 ptc_transport.info codes PTC_XPRT_SNI, PTC_XPRT_ALPN, PTC_XPRT_PEER_CN,
 *       PTC_XPRT_CERT_SIG, PTC_XPRT_CERT_KEY, PTC_XPRT_PEER_CERT, PTC_XPRT_VERIFY;
 *       ptc_host.stream_xprt_info (a module reads what a side's transport negotiated:
 *       the proxy_protocol module's SSL TLV of a TLS client).
 *  1.27 not used (no change was numbered 1.27; a module built for 1.27 sees 1.26's ABI).
 *  1.28 ptc_transport.info code PTC_XPRT_EARLY ("1" while a TLS client side is still in
 *       early data: 0-RTT received, handshake not complete; asked before the handshake
 *       ends too): the http module's wait-for-handshake and Early-Data header.
 *  1.29 ptc_host.server_pin (a module whose state refers to a server: "del server"
 *       refuses it, as HAProxy's non-purgeable servers: "track" targets, Lua Server
 *       objects); server_state bit PTC_SRV_ST_DELETED (the server was removed with "del
 *       server": a module stops its work for it; the host ignores changes made to it).
 *  1.30 ptc_host.stream_srv_once (the server connection carries bytes of the current
 *       transaction alone, as a PROXY v2 header with its unique ID: no later transaction
 *       of the stream reuses it).
 *  1.31 ptc_host.server_set_check for a server without a health check: a
 *       PTC_CHECK_HEALTH info without PTC_CHKST_CONFIGURED keeps only its health level
 *       (HAProxy's check.health of an unchecked server: "rise" at start, moved by "set
 *       server ... health"), callable from post_config on.
 */
#define PTC_ABI_MAJOR 1
#define PTC_ABI_MINOR 31

#define PTC_MODULE_MAGIC 0x4d435450u /* "PTCM" little-endian: module descriptor */
#define PTC_HOST_MAGIC   0x48435450u /* "PTCH" little-endian: host function table */

/* Result codes shared by hooks, keyword parsers and stream handlers. */
#define PTC_CONTINUE 0   /* go on with the next step / hook */
#define PTC_OK       0   /* same value: success */
#define PTC_STOP     1   /* stop evaluating further hooks; the caller already acted */
#define PTC_YIELD    2   /* not finished: call again when the stream is woken */
#define PTC_DENY     3   /* refuse: what follows depends on the phase (hooks.h) */
#define PTC_ERROR    (-1) /* failure; for parsers an error was reported with cfg_errorf */

#if defined(__GNUC__)
#define PTC_EXPORT  __attribute__((visibility("default")))
#define PTC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PTC_EXPORT
#define PTC_PRINTF(a, b)
#endif

#ifdef __cplusplus
#define PTC_EXTERN_C extern "C"
#else
#define PTC_EXTERN_C
#endif

/* Name of the one symbol a module exports. */
#define PTC_MODULE_ENTRY_NAME "ptc_module_entry"

#endif
