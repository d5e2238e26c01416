// SPDX-License-Identifier: MIT
// The Prometheus exporter: HAProxy 2.6's metric families (haproxy_process_*, _frontend_*,
// _backend_*, _server_*, _sticktable_*), names, types, help strings and labels, its "scope"
// and "no-maint" query filters, plus portico's latency histograms. The stick tables belong
// to the stick module: their sizes come from its runtime API command "show table".
//
// A scrape starts from a snapshot of "show info" and "show stat" (the same counters and
// status words as the runtime API and the stats page), taken proxy by proxy, about 128
// rows per run() call, the stream waking itself between parts. The body is then rendered family by family, object by object, a bounded piece at a
// time (k_chunk bytes): each run() call writes what the client's buffer takes and renders
// the next piece only when the previous one left, so a large instance never blocks the loop
// for long nor holds its whole body in memory.
//
// Histograms (beyond HAProxy): haproxy_{frontend,backend,server}_{queue,connect,response,
// total}_time_seconds, with "le" buckets from "prometheus.histogram-buckets", read from
// shm/hist (per-worker cells summed here).
#include "stats/prometheus.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cfg/units.hpp"
#include "cli/cli.hpp"
#include "module/module.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/hist.hpp"

namespace portico {

namespace {

enum special : uint8_t {
    SP_NONE,
    SP_BUILD,        // build_info{version=...} 1
    SP_STATUS,       // one line per state label
    SP_HRSP,         // http_responses_total{code=...}: one pass per code
    SP_HTTP,         // only for "mode http" proxies
    SP_AVG,          // average time in ms (CSV) shown in seconds
    SP_MAX,          // maximum time in ms (CSV) shown in seconds
    SP_AGG_SRV,      // backend: servers per state
    SP_AGG_CHECK,    // backend: servers per check status
    SP_CHECK_STATUS, // server: one line per check status (checked servers only)
    SP_CHECK_CODE,   // server: layer 7 code (checked servers only)
    SP_CHECK_DUR,    // server: last check duration in seconds
};

// One metric family: its name after the scope prefix, where its value comes from (a "show
// info" field for the process, a "show stat" column otherwise), its type and help string.
struct family {
    const char* name;
    const char* col;
    bool counter;
    special sp;
    const char* help;
};

const family k_process[] = {
    {"nbthread", "Nbthread", false, SP_NONE,
     "Number of started threads (global.nbthread)"},
    {"nbproc", "Nbproc", false, SP_NONE,
     "Number of started worker processes (historical, always 1)"},
    {"relative_process_id", "Process_num", false, SP_NONE,
     "Relative worker process number (1)"},
    {"uptime_seconds", "Uptime_sec", false, SP_NONE,
     "How long ago this worker process was started (seconds)"},
    {"pool_failures_total", "PoolFailed", true, SP_NONE,
     "Number of failed pool allocations since this worker was started"},
    {"max_fds", "Ulimit-n", false, SP_NONE,
     "Hard limit on the number of per-process file descriptors"},
    {"max_sockets", "Maxsock", false, SP_NONE,
     "Hard limit on the number of per-process sockets"},
    {"max_connections", "Maxconn", false, SP_NONE,
     "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"},
    {"hard_max_connections", "Hard_maxconn", false, SP_NONE,
     "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"},
    {"current_connections", "CurrConns", false, SP_NONE,
     "Current number of connections on this worker process"},
    {"connections_total", "CumConns", true, SP_NONE,
     "Total number of connections on this worker process since started"},
    {"requests_total", "CumReq", true, SP_NONE,
     "Total number of requests on this worker process since started"},
    {"max_ssl_connections", "MaxSslConns", false, SP_NONE,
     "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"},
    {"current_ssl_connections", "CurrSslConns", false, SP_NONE,
     "Current number of SSL endpoints on this worker process (front+back)"},
    {"ssl_connections_total", "CumSslConns", true, SP_NONE,
     "Total number of SSL endpoints on this worker process since started (front+back)"},
    {"max_pipes", "Maxpipes", false, SP_NONE,
     "Hard limit on the number of pipes for splicing, 0=unlimited"},
    {"pipes_used_total", "PipesUsed", true, SP_NONE,
     "Current number of pipes in use in this worker process"},
    {"pipes_free_total", "PipesFree", true, SP_NONE,
     "Current number of allocated and available pipes in this worker process"},
    {"current_connection_rate", "ConnRate", false, SP_NONE,
     "Number of front connections created on this worker process over the last second"},
    {"limit_connection_rate", "ConnRateLimit", false, SP_NONE,
     "Hard limit for ConnRate (global.maxconnrate)"},
    {"max_connection_rate", "MaxConnRate", false, SP_NONE,
     "Highest ConnRate reached on this worker process since started (in connections per second)"},
    {"current_session_rate", "SessRate", false, SP_NONE,
     "Number of sessions created on this worker process over the last second"},
    {"limit_session_rate", "SessRateLimit", false, SP_NONE,
     "Hard limit for SessRate (global.maxsessrate)"},
    {"max_session_rate", "MaxSessRate", false, SP_NONE,
     "Highest SessRate reached on this worker process since started (in sessions per second)"},
    {"current_ssl_rate", "SslRate", false, SP_NONE,
     "Number of SSL connections created on this worker process over the last second"},
    {"limit_ssl_rate", "SslRateLimit", false, SP_NONE,
     "Hard limit for SslRate (global.maxsslrate)"},
    {"max_ssl_rate", "MaxSslRate", false, SP_NONE,
     "Highest SslRate reached on this worker process since started (in connections per second)"},
    {"current_frontend_ssl_key_rate", "SslFrontendKeyRate", false, SP_NONE,
     "Number of SSL keys created on frontends in this worker process over the last second"},
    {"max_frontend_ssl_key_rate", "SslFrontendMaxKeyRate", false, SP_NONE,
     "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"},
    {"frontend_ssl_reuse", "SslFrontendSessionReuse_pct", false, SP_NONE,
     "Percent of frontend SSL connections which did not require a new key"},
    {"current_backend_ssl_key_rate", "SslBackendKeyRate", false, SP_NONE,
     "Number of SSL keys created on backends in this worker process over the last second"},
    {"max_backend_ssl_key_rate", "SslBackendMaxKeyRate", false, SP_NONE,
     "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"},
    {"ssl_cache_lookups_total", "SslCacheLookups", true, SP_NONE,
     "Total number of SSL session ID lookups in the SSL session cache on this worker since started"},
    {"ssl_cache_misses_total", "SslCacheMisses", true, SP_NONE,
     "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"},
    {"http_comp_bytes_in_total", "CompressBpsIn", true, SP_NONE,
     "Number of bytes submitted to the HTTP compressor in this worker process over the last second"},
    {"http_comp_bytes_out_total", "CompressBpsOut", true, SP_NONE,
     "Number of bytes emitted by the HTTP compressor in this worker process over the last second"},
    {"limit_http_comp", "CompressBpsRateLim", false, SP_NONE,
     "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"},
    {"current_zlib_memory", "ZlibMemUsage", false, SP_NONE,
     "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"},
    {"max_zlib_memory", "MaxZlibMemUsage", false, SP_NONE,
     "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"},
    {"current_tasks", "Tasks", false, SP_NONE,
     "Total number of tasks in the current worker process (active + sleeping)"},
    {"current_run_queue", "Run_queue", false, SP_NONE,
     "Total number of active tasks+tasklets in the current worker process"},
    {"idle_time_percent", "Idle_pct", false, SP_NONE,
     "Percentage of last second spent waiting in the current worker thread"},
    {"stopping", "Stopping", false, SP_NONE,
     "1 if the worker process is currently stopping, otherwise zero"},
    {"jobs", "Jobs", false, SP_NONE,
     "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"},
    {"unstoppable_jobs", "Unstoppable Jobs", false, SP_NONE,
     "Current number of unstoppable jobs on the current worker process (master connections)"},
    {"listeners", "Listeners", false, SP_NONE,
     "Current number of active listeners on the current worker process"},
    {"active_peers", "ActivePeers", false, SP_NONE,
     "Current number of verified active peers connections on the current worker process"},
    {"connected_peers", "ConnectedPeers", false, SP_NONE,
     "Current number of peers having passed the connection step on the current worker process"},
    {"dropped_logs_total", "DroppedLogs", true, SP_NONE,
     "Total number of dropped logs for current worker process since started"},
    {"busy_polling_enabled", "BusyPolling", false, SP_NONE,
     "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"},
    {"failed_resolutions", "FailedResolutions", true, SP_NONE,
     "Total number of failed DNS resolutions in current worker process since started"},
    {"bytes_out_total", "TotalBytesOut", true, SP_NONE,
     "Total number of bytes emitted by current worker process since started"},
    {"spliced_bytes_out_total", "TotalSplicdedBytesOut", true, SP_NONE,
     "Total number of bytes emitted by current worker process through a kernel pipe since started"},
    {"bytes_out_rate", "BytesOutRate", false, SP_NONE,
     "Number of bytes emitted by current worker process over the last second"},
    {"recv_logs_total", "CumRecvLogs", true, SP_NONE,
     "Total number of log messages received by log-forwarding listeners on this worker process since started"},
    {"build_info", "Build info", false, SP_BUILD,
     "Build info"},
    {"max_memory_bytes", "Memmax_bytes", false, SP_NONE,
     "Worker process's hard limit on memory usage in byes (-m on command line)"},
    {"pool_allocated_bytes", "PoolAlloc_bytes", false, SP_NONE,
     "Amount of memory allocated in pools (in bytes)"},
    {"pool_used_bytes", "PoolUsed_bytes", false, SP_NONE,
     "Amount of pool memory currently used (in bytes)"},
    {"start_time_seconds", "Start_time_sec", false, SP_NONE,
     "Start time in seconds"},
};
const family k_frontend[] = {
    {"current_sessions", "scur", false, SP_NONE,
     "Number of current sessions on the frontend, backend or server"},
    {"max_sessions", "smax", false, SP_NONE,
     "Highest value of current sessions encountered since process started"},
    {"limit_sessions", "slim", false, SP_NONE,
     "Frontend/listener/server's maxconn, backend's fullconn"},
    {"sessions_total", "stot", true, SP_NONE,
     "Total number of sessions since process started"},
    {"bytes_in_total", "bin", true, SP_NONE,
     "Total number of request bytes since process started"},
    {"bytes_out_total", "bout", true, SP_NONE,
     "Total number of response bytes since process started"},
    {"requests_denied_total", "dreq", true, SP_NONE,
     "Total number of denied requests since process started"},
    {"responses_denied_total", "dresp", true, SP_NONE,
     "Total number of denied responses since process started"},
    {"request_errors_total", "ereq", true, SP_NONE,
     "Total number of invalid requests since process started"},
    {"status", "status", false, SP_STATUS,
     "Current status of the service, per state label value."},
    {"limit_session_rate", "rate_lim", false, SP_NONE,
     "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"},
    {"max_session_rate", "rate_max", false, SP_NONE,
     "Highest value of sessions per second observed since the worker process started"},
    {"http_responses_total", "hrsp_", true, SP_HRSP,
     "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"},
    {"http_requests_rate_max", "req_rate_max", false, SP_HTTP,
     "Highest value of http requests observed since the worker process started"},
    {"http_requests_total", "req_tot", true, SP_HTTP,
     "Total number of HTTP requests processed by this object since the worker process started"},
    {"http_comp_bytes_in_total", "comp_in", true, SP_HTTP,
     "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"},
    {"http_comp_bytes_out_total", "comp_out", true, SP_HTTP,
     "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"},
    {"http_comp_bytes_bypassed_total", "comp_byp", true, SP_HTTP,
     "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"},
    {"http_comp_responses_total", "comp_rsp", true, SP_HTTP,
     "Total number of HTTP responses that were compressed for this object since the worker process started"},
    {"connections_rate_max", "conn_rate_max", false, SP_NONE,
     "Highest value of connections per second observed since the worker process started"},
    {"connections_total", "conn_tot", true, SP_NONE,
     "Total number of new connections accepted on this frontend since the worker process started"},
    {"intercepted_requests_total", "intercepted", true, SP_HTTP,
     "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"},
    {"denied_connections_total", "dcon", true, SP_NONE,
     "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"},
    {"denied_sessions_total", "dses", true, SP_NONE,
     "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"},
    {"failed_header_rewriting_total", "wrew", true, SP_NONE,
     "Total number of failed HTTP header rewrites since the worker process started"},
    {"http_cache_lookups_total", "cache_lookups", true, SP_HTTP,
     "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"},
    {"http_cache_hits_total", "cache_hits", true, SP_HTTP,
     "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"},
    {"internal_errors_total", "eint", true, SP_NONE,
     "Total number of internal errors since process started"},
};
const family k_backend[] = {
    {"current_queue", "qcur", false, SP_NONE,
     "Number of current queued connections"},
    {"max_queue", "qmax", false, SP_NONE,
     "Highest value of queued connections encountered since process started"},
    {"current_sessions", "scur", false, SP_NONE,
     "Number of current sessions on the frontend, backend or server"},
    {"max_sessions", "smax", false, SP_NONE,
     "Highest value of current sessions encountered since process started"},
    {"limit_sessions", "slim", false, SP_NONE,
     "Frontend/listener/server's maxconn, backend's fullconn"},
    {"sessions_total", "stot", true, SP_NONE,
     "Total number of sessions since process started"},
    {"bytes_in_total", "bin", true, SP_NONE,
     "Total number of request bytes since process started"},
    {"bytes_out_total", "bout", true, SP_NONE,
     "Total number of response bytes since process started"},
    {"requests_denied_total", "dreq", true, SP_NONE,
     "Total number of denied requests since process started"},
    {"responses_denied_total", "dresp", true, SP_NONE,
     "Total number of denied responses since process started"},
    {"connection_errors_total", "econ", true, SP_NONE,
     "Total number of failed connections to server since the worker process started"},
    {"response_errors_total", "eresp", true, SP_NONE,
     "Total number of invalid responses since the worker process started"},
    {"retry_warnings_total", "wretr", true, SP_NONE,
     "Total number of server connection retries since the worker process started"},
    {"redispatch_warnings_total", "wredis", true, SP_NONE,
     "Total number of server redispatches due to connection failures since the worker process started"},
    {"status", "status", false, SP_STATUS,
     "Current status of the service, per state label value."},
    {"weight", "weight", false, SP_NONE,
     "Server's effective weight, or sum of active servers' effective weights for a backend"},
    {"active_servers", "act", false, SP_NONE,
     "Total number of active UP servers with a non-zero weight"},
    {"backup_servers", "bck", false, SP_NONE,
     "Total number of backup UP servers with a non-zero weight"},
    {"check_up_down_total", "chkdown", true, SP_NONE,
     "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"},
    {"check_last_change_seconds", "lastchg", false, SP_NONE,
     "How long ago the last server state changed, in seconds"},
    {"downtime_seconds_total", "downtime", true, SP_NONE,
     "Total time spent in DOWN state, for server or backend"},
    {"loadbalanced_total", "lbtot", true, SP_NONE,
     "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"},
    {"max_session_rate", "rate_max", false, SP_NONE,
     "Highest value of sessions per second observed since the worker process started"},
    {"http_responses_total", "hrsp_", true, SP_HRSP,
     "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"},
    {"http_requests_total", "req_tot", true, SP_HTTP,
     "Total number of HTTP requests processed by this object since the worker process started"},
    {"client_aborts_total", "cli_abrt", true, SP_NONE,
     "Total number of requests or connections aborted by the client since the worker process started"},
    {"server_aborts_total", "srv_abrt", true, SP_NONE,
     "Total number of requests or connections aborted by the server since the worker process started"},
    {"http_comp_bytes_in_total", "comp_in", true, SP_HTTP,
     "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"},
    {"http_comp_bytes_out_total", "comp_out", true, SP_HTTP,
     "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"},
    {"http_comp_bytes_bypassed_total", "comp_byp", true, SP_HTTP,
     "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"},
    {"http_comp_responses_total", "comp_rsp", true, SP_HTTP,
     "Total number of HTTP responses that were compressed for this object since the worker process started"},
    {"last_session_seconds", "lastsess", false, SP_NONE,
     "How long ago some traffic was seen on this object on this worker process, in seconds"},
    {"queue_time_average_seconds", "qtime", false, SP_AVG,
     "Avg. queue time for last 1024 successful connections."},
    {"connect_time_average_seconds", "ctime", false, SP_AVG,
     "Avg. connect time for last 1024 successful connections."},
    {"response_time_average_seconds", "rtime", false, SP_AVG,
     "Avg. response time for last 1024 successful connections."},
    {"total_time_average_seconds", "ttime", false, SP_AVG,
     "Avg. total time for last 1024 successful connections."},
    {"failed_header_rewriting_total", "wrew", true, SP_NONE,
     "Total number of failed HTTP header rewrites since the worker process started"},
    {"connection_attempts_total", "connect", true, SP_NONE,
     "Total number of outgoing connection attempts on this backend/server since the worker process started"},
    {"connection_reuses_total", "reuse", true, SP_NONE,
     "Total number of reused connection on this backend/server since the worker process started"},
    {"http_cache_lookups_total", "cache_lookups", true, SP_HTTP,
     "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"},
    {"http_cache_hits_total", "cache_hits", true, SP_HTTP,
     "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"},
    {"max_queue_time_seconds", "qtime_max", false, SP_MAX,
     "Maximum observed time spent in the queue"},
    {"max_connect_time_seconds", "ctime_max", false, SP_MAX,
     "Maximum observed time spent waiting for a connection to complete"},
    {"max_response_time_seconds", "rtime_max", false, SP_MAX,
     "Maximum observed time spent waiting for a server response"},
    {"max_total_time_seconds", "ttime_max", false, SP_MAX,
     "Maximum observed total request+response time (request+queue+connect+response+processing)"},
    {"internal_errors_total", "eint", true, SP_NONE,
     "Total number of internal errors since process started"},
    {"uweight", "uweight", false, SP_NONE,
     "Server's user weight, or sum of active servers' user weights for a backend"},
    {"agg_server_status", "agg_server_status", false, SP_AGG_SRV,
     "Backend's aggregated gauge of servers' status"},
    {"agg_server_check_status", "agg_server_check_status", false, SP_AGG_SRV,
     "Backend's aggregated gauge of servers' state check status"},
    {"agg_check_status", "agg_check_status", false, SP_AGG_CHECK,
     "Backend's aggregated gauge of servers' state check status"},
};
const family k_server[] = {
    {"current_queue", "qcur", false, SP_NONE,
     "Number of current queued connections"},
    {"max_queue", "qmax", false, SP_NONE,
     "Highest value of queued connections encountered since process started"},
    {"current_sessions", "scur", false, SP_NONE,
     "Number of current sessions on the frontend, backend or server"},
    {"max_sessions", "smax", false, SP_NONE,
     "Highest value of current sessions encountered since process started"},
    {"limit_sessions", "slim", false, SP_NONE,
     "Frontend/listener/server's maxconn, backend's fullconn"},
    {"sessions_total", "stot", true, SP_NONE,
     "Total number of sessions since process started"},
    {"bytes_in_total", "bin", true, SP_NONE,
     "Total number of request bytes since process started"},
    {"bytes_out_total", "bout", true, SP_NONE,
     "Total number of response bytes since process started"},
    {"responses_denied_total", "dresp", true, SP_NONE,
     "Total number of denied responses since process started"},
    {"connection_errors_total", "econ", true, SP_NONE,
     "Total number of failed connections to server since the worker process started"},
    {"response_errors_total", "eresp", true, SP_NONE,
     "Total number of invalid responses since the worker process started"},
    {"retry_warnings_total", "wretr", true, SP_NONE,
     "Total number of server connection retries since the worker process started"},
    {"redispatch_warnings_total", "wredis", true, SP_NONE,
     "Total number of server redispatches due to connection failures since the worker process started"},
    {"status", "status", false, SP_STATUS,
     "Current status of the service, per state label value."},
    {"weight", "weight", false, SP_NONE,
     "Server's effective weight, or sum of active servers' effective weights for a backend"},
    {"check_failures_total", "chkfail", true, SP_NONE,
     "Total number of failed individual health checks per server/backend, since the worker process started"},
    {"check_up_down_total", "chkdown", true, SP_NONE,
     "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"},
    {"check_last_change_seconds", "lastchg", false, SP_NONE,
     "How long ago the last server state changed, in seconds"},
    {"downtime_seconds_total", "downtime", true, SP_NONE,
     "Total time spent in DOWN state, for server or backend"},
    {"queue_limit", "qlimit", false, SP_NONE,
     "Limit on the number of connections in queue, for servers only (maxqueue argument)"},
    {"current_throttle", "throttle", false, SP_NONE,
     "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"},
    {"loadbalanced_total", "lbtot", true, SP_NONE,
     "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"},
    {"max_session_rate", "rate_max", false, SP_NONE,
     "Highest value of sessions per second observed since the worker process started"},
    {"check_status", "check_status", false, SP_CHECK_STATUS,
     "Status of last health check, per state label value."},
    {"check_code", "check_code", false, SP_CHECK_CODE,
     "layer5-7 code, if available of the last health check."},
    {"check_duration_seconds", "check_duration", false, SP_CHECK_DUR,
     "Total duration of the latest server health check, in seconds."},
    {"http_responses_total", "hrsp_", true, SP_HRSP,
     "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"},
    {"client_aborts_total", "cli_abrt", true, SP_NONE,
     "Total number of requests or connections aborted by the client since the worker process started"},
    {"server_aborts_total", "srv_abrt", true, SP_NONE,
     "Total number of requests or connections aborted by the server since the worker process started"},
    {"last_session_seconds", "lastsess", false, SP_NONE,
     "How long ago some traffic was seen on this object on this worker process, in seconds"},
    {"queue_time_average_seconds", "qtime", false, SP_AVG,
     "Avg. queue time for last 1024 successful connections."},
    {"connect_time_average_seconds", "ctime", false, SP_AVG,
     "Avg. connect time for last 1024 successful connections."},
    {"response_time_average_seconds", "rtime", false, SP_AVG,
     "Avg. response time for last 1024 successful connections."},
    {"total_time_average_seconds", "ttime", false, SP_AVG,
     "Avg. total time for last 1024 successful connections."},
    {"failed_header_rewriting_total", "wrew", true, SP_NONE,
     "Total number of failed HTTP header rewrites since the worker process started"},
    {"connection_attempts_total", "connect", true, SP_NONE,
     "Total number of outgoing connection attempts on this backend/server since the worker process started"},
    {"connection_reuses_total", "reuse", true, SP_NONE,
     "Total number of reused connection on this backend/server since the worker process started"},
    {"idle_connections_current", "srv_icur", false, SP_NONE,
     "Current number of idle connections available for reuse on this server"},
    {"idle_connections_limit", "src_ilim", false, SP_NONE,
     "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"},
    {"max_queue_time_seconds", "qtime_max", false, SP_MAX,
     "Maximum observed time spent in the queue"},
    {"max_connect_time_seconds", "ctime_max", false, SP_MAX,
     "Maximum observed time spent waiting for a connection to complete"},
    {"max_response_time_seconds", "rtime_max", false, SP_MAX,
     "Maximum observed time spent waiting for a server response"},
    {"max_total_time_seconds", "ttime_max", false, SP_MAX,
     "Maximum observed total request+response time (request+queue+connect+response+processing)"},
    {"internal_errors_total", "eint", true, SP_NONE,
     "Total number of internal errors since process started"},
    {"unsafe_idle_connections_current", "idle_conn_cur", false, SP_NONE,
     "Current number of unsafe idle connections"},
    {"safe_idle_connections_current", "safe_conn_cur", false, SP_NONE,
     "Current number of safe idle connections"},
    {"used_connections_current", "used_conn_cur", false, SP_NONE,
     "Current number of connections in use"},
    {"need_connections_current", "need_conn_est", false, SP_NONE,
     "Estimated needed number of connections"},
    {"uweight", "uweight", false, SP_NONE,
     "Server's user weight, or sum of active servers' user weights for a backend"},
};

// haproxy_sticktable_*: one series per stick table, labelled with its name and key type.
const family k_sticktable[] = {
    {"size", "size", false, SP_NONE,
     "Stick table size."},
    {"used", "used", false, SP_NONE,
     "Number of entries used in this stick table."},
};

const char* const k_hrsp_codes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
const char* const k_srv_states[] = {"DOWN", "UP", "MAINT", "DRAIN", "NOLB"};
// The check statuses HAProxy 2.6 reports per state label (those of a finished check).
const char* const k_chk_states[] = {"HANA",   "SOCKERR", "L4OK",  "L4TOUT", "L4CON",  "L6OK",
                                    "L6TOUT", "L6RSP",   "L7TOUT", "L7RSP", "L7OK",   "L7OKC",
                                    "L7STS",  "PROCERR", "PROCTOUT", "PROCOK"};

// The portico histograms, rendered after HAProxy's families of each scope.
struct hist_family {
    const char* name;
    hist_timer timer;
    const char* help;
};
const hist_family k_hists[] = {
    {"queue_time_seconds", HT_QUEUE,
     "portico: time spent waiting for a connection slot (queues included), histogram"},
    {"connect_time_seconds", HT_CONNECT,
     "portico: time to establish the connection to the server, histogram"},
    {"response_time_seconds", HT_RESPONSE,
     "portico: time waiting for the server's response headers, histogram"},
    {"total_time_seconds", HT_TOTAL,
     "portico: total time of the transaction (request to end of response), histogram"},
};

enum scope_bits : uint32_t {
    SC_GLOBAL = 1,
    SC_FRONT = 2,
    SC_BACK = 4,
    SC_SERVER = 8,
    SC_LISTENER = 16,
    SC_STICK = 32,
    SC_ALL = 63,
};

constexpr size_t k_chunk = 32 * 1024; // rendered ahead of the client at most
constexpr size_t k_snap_rows = 128;   // "show stat" rows taken per run() call

// One "show stat" row, with what the renderer needs to label and find it.
struct obj {
    std::vector<std::string_view> v; // cells, by column
    std::string labels;              // proxy="x"[,server="y"]
    uint32_t hobj = 0;               // histogram object (shm/hist)
    bool http = false;
    uint32_t sb = 0, se = 0;         // backend: its servers, [sb, se) of scrape::srv
};

// Sections in output order.
enum section { S_GLOBAL, S_FRONT, S_BACK, S_SERVER, S_STICK, S_DONE };

struct scrape {
    uint32_t scopes = 0;
    bool no_maint = false;
    // snapshot
    std::map<std::string, std::string, std::less<>> info;
    std::deque<std::string> csvs;     // "show stat" of each proxy (the cells point into them)
    bool info_done = false;
    size_t snap_px = 0;               // next proxy to add to the snapshot
    bool snap_done = false;
    bool tables_done = false;         // the stick tables were listed
    std::deque<std::string> unquoted; // cells that were quoted in the CSV
    std::map<std::string, int, std::less<>> cols;
    std::vector<int> fcol[S_DONE];   // per section, per family: the column of its value
    int c_type = -1, c_sid = -1, c_status = -1, c_check = -1, c_hrsp[6] = {-1, -1, -1, -1, -1, -1};
    std::vector<std::string> le; // the histograms' "le" values, then "+Inf"
    std::vector<obj> fe, be, srv;
    std::vector<obj> tables;          // stick tables: cells size, used
    // cursor
    section sec = S_GLOBAL;
    size_t fam = 0;     // family index in the section (HAProxy's, then the histograms)
    size_t pass = 0;    // http_responses_total: code index
    size_t oi = 0;      // object index
    bool hdr = true;    // the family's HELP/TYPE lines are still to be written
    std::string out;
    size_t off = 0;
};

struct svc_ctx {
    scrape* s;
};

// ---- snapshot ------------------------------------------------------------------------------

int col_index(const scrape& s, const char* col)
{
    auto it = s.cols.find(col);
    return it == s.cols.end() ? -1 : it->second;
}

std::string_view cell(const obj& o, int i)
{
    return i < 0 || (size_t)i >= o.v.size() ? std::string_view() : o.v[i];
}

// Splits one CSV line (HAProxy's encoding: quoted cells with doubled quotes) into cells.
void split_csv(scrape& s, std::string_view line, std::vector<std::string_view>& out)
{
    size_t i = 0;
    while (i <= line.size()) {
        if (i < line.size() && line[i] == '"') {
            std::string u;
            size_t j = i + 1;
            for (; j < line.size(); j++) {
                if (line[j] == '"') {
                    if (j + 1 < line.size() && line[j + 1] == '"') {
                        u += '"';
                        j++;
                        continue;
                    }
                    break;
                }
                u += line[j];
            }
            s.unquoted.push_back(std::move(u));
            out.push_back(s.unquoted.back());
            i = line.find(',', j);
        } else {
            size_t e = line.find(',', i);
            out.push_back(line.substr(i, e == std::string_view::npos ? line.size() - i : e - i));
            i = e;
        }
        if (i == std::string_view::npos)
            break;
        i++;
        if (i == line.size()) // the trailing comma ends the row
            break;
    }
}

std::string label_value(std::string_view v)
{
    std::string o;
    for (char c : v) {
        if (c == '\\' || c == '"')
            o += '\\';
        if (c == '\n') {
            o += "\\n";
            continue;
        }
        o += c;
    }
    return o;
}

// The columns of "show stat" and the family -> column indices, from its header line.
void read_header(scrape& s, std::string_view hdr)
{
    std::vector<std::string_view> h;
    split_csv(s, hdr, h);
    for (size_t i = 0; i < h.size(); i++)
        s.cols.emplace(std::string(h[i]), (int)i);
    s.c_type = col_index(s, "type");
    s.c_sid = col_index(s, "sid");
    s.c_status = col_index(s, "status");
    s.c_check = col_index(s, "check_status");
    for (int i = 0; i < 6; i++)
        s.c_hrsp[i] = col_index(s, (std::string("hrsp_") + k_hrsp_codes[i]).c_str());
    const family* tabs[] = {nullptr, k_frontend, k_backend, k_server};
    size_t ntabs[] = {0, PTC_COUNTOF(k_frontend), PTC_COUNTOF(k_backend), PTC_COUNTOF(k_server)};
    for (int sec = S_FRONT; sec <= S_SERVER; sec++)
        for (size_t f = 0; f < ntabs[sec]; f++)
            s.fcol[sec].push_back(col_index(s, tabs[sec][f].col));
}

// Adds the "show stat" rows of proxy <px> to the snapshot; returns how many.
size_t snapshot_proxy(scrape& s, const proxy& px)
{
    std::string err;
    // the servers' rows for the server scope, and for the backends' aggregated states
    std::vector<std::string> args = {"show", "stat", std::to_string(px.index + 2),
                                     s.scopes & (SC_SERVER | SC_BACK) ? "-1" : "3", "-1"};
    s.csvs.push_back(cli_show_stat(args, err));
    std::string_view all(s.csvs.back());
    size_t nl = all.find('\n');
    if (nl == std::string_view::npos || nl < 2)
        return 0;
    if (s.cols.empty()) // header: "# pxname,svname,..."
        read_header(s, all.substr(2, nl - 2));
    if (s.c_type < 0 || s.c_sid < 0)
        return 0;
    size_t cursor = 0; // next server of the proxy (its rows follow px.servers)
    size_t srv_begin = s.srv.size();
    size_t n = 0;
    std::string px_label = "proxy=\"" + label_value(px.name) + "\"";
    for (size_t p = nl + 1; p < all.size();) {
        size_t e = all.find('\n', p);
        if (e == std::string_view::npos)
            e = all.size();
        obj o;
        split_csv(s, all.substr(p, e - p), o.v);
        p = e + 1;
        if ((size_t)s.c_type >= o.v.size() || (size_t)s.c_sid >= o.v.size())
            continue;
        n++;
        o.http = px.mode == px_mode::http;
        o.labels = px_label;
        std::string_view type = o.v[s.c_type];
        if (type == "0") {
            o.hobj = hist_obj_fe(px.index);
            s.fe.push_back(std::move(o));
        } else if (type == "1") {
            o.hobj = hist_obj_be(px.index);
            o.sb = (uint32_t)srv_begin;
            o.se = (uint32_t)s.srv.size();
            s.be.push_back(std::move(o));
        } else {
            uint32_t sid = (uint32_t)std::atol(std::string(o.v[s.c_sid]).c_str());
            while (cursor < px.servers.size() && px.servers[cursor]->id != sid)
                cursor++;
            if (cursor >= px.servers.size())
                continue;
            const server& sv = *px.servers[cursor++];
            o.labels += ",server=\"" + label_value(sv.name) + "\"";
            o.hobj = hist_obj_srv(sv.index);
            s.srv.push_back(std::move(o));
        }
    }
    return n;
}

// The stick tables, from the runtime API's "show table" (registered by the stick module; no
// table without it): its heads "# table: <name>, type: <type>, size:<n>, used:<n>" come in
// HAProxy's order, the reverse of the declarations, as its exporter lists them.
void snapshot_tables(scrape& s)
{
    if (!cli_has_command("show table"))
        return;
    cli_session cs;
    cs.level = CLI_LVL_ADMIN;
    s.csvs.push_back(cli_run_line(cs, "show table"));
    std::string_view all(s.csvs.back());
    static constexpr std::string_view k_head = "# table: ", k_type = ", type: ",
                                      k_size = ", size:", k_used = ", used:";
    for (size_t p = 0; p < all.size();) {
        size_t e = all.find('\n', p);
        if (e == std::string_view::npos)
            e = all.size();
        std::string_view l = all.substr(p, e - p);
        p = e + 1;
        if (!l.starts_with(k_head))
            continue;
        size_t ty = l.rfind(k_type), sz = l.rfind(k_size), us = l.rfind(k_used);
        if (ty == std::string_view::npos || sz == std::string_view::npos ||
            us == std::string_view::npos || ty < k_head.size() || sz < ty || us < sz)
            continue;
        std::string_view name = l.substr(k_head.size(), ty - k_head.size());
        std::string_view type = l.substr(ty + k_type.size(), sz - ty - k_type.size());
        std::string_view size = l.substr(sz + k_size.size(), us - sz - k_size.size());
        if (size == "0") // as HAProxy: a table without entries is not listed
            continue;
        obj o;
        o.v = {size, l.substr(us + k_used.size())};
        o.labels = "name=\"" + label_value(name) + "\",type=\"" + label_value(type) + "\"";
        s.tables.push_back(std::move(o));
    }
    s.fcol[S_STICK] = {0, 1};
}

// Takes the next part of the snapshot (the process' fields, then about k_snap_rows rows of
// "show stat", proxy by proxy); returns true once it is complete.
bool snapshot_step(scrape& s)
{
    if (!s.info_done) {
        s.info_done = true;
        if (s.scopes & SC_GLOBAL) {
            std::string info = cli_show_info();
            size_t p = 0;
            while (p < info.size()) {
                size_t nl = info.find('\n', p);
                if (nl == std::string::npos)
                    nl = info.size();
                std::string_view l(info.data() + p, nl - p);
                size_t c = l.find(": ");
                if (c != std::string_view::npos)
                    s.info.emplace(std::string(l.substr(0, c)), std::string(l.substr(c + 2)));
                p = nl + 1;
            }
        }
    }
    if (s.scopes & (SC_FRONT | SC_BACK | SC_SERVER)) {
        auto& pxs = g_config->proxies;
        size_t rows = 0;
        while (s.snap_px < pxs.size() && rows < k_snap_rows)
            rows += snapshot_proxy(s, *pxs[s.snap_px++]);
        if (s.snap_px < pxs.size())
            return false;
    }
    if (!s.tables_done) {
        s.tables_done = true;
        if (s.scopes & SC_STICK)
            snapshot_tables(s);
    }
    return true;
}

// ---- rendering -----------------------------------------------------------------------------

void put_u64(std::string& out, uint64_t v)
{
    char b[24];
    auto r = std::to_chars(b, b + sizeof(b), v);
    out.append(b, r.ptr);
}

void put_secs(std::string& out, double secs)
{
    char b[48];
    int n = snprintf(b, sizeof(b), "%f", secs);
    out.append(b, (size_t)std::max(n, 0));
}

// A bucket bound in seconds, shortest exact form ("0.005", "1", "2.5").
void put_bound(std::string& out, uint32_t ms)
{
    put_u64(out, ms / 1000);
    if (uint32_t f = ms % 1000) {
        char b[8];
        snprintf(b, sizeof(b), ".%03u", f);
        std::string_view d(b);
        while (d.back() == '0')
            d.remove_suffix(1);
        out += d;
    }
}

// A "show stat"/"show info" value as HAProxy's exporter prints it: integers as they are,
// anything else (empty, text) as NaN.
void put_value(std::string& out, std::string_view v)
{
    bool num = !v.empty();
    for (size_t i = 0; i < v.size() && num; i++)
        num = (v[i] >= '0' && v[i] <= '9') || (i == 0 && v[i] == '-' && v.size() > 1);
    if (num)
        out += v;
    else
        out += "NaN";
}

const char* prefix_of(section sec)
{
    switch (sec) {
    case S_GLOBAL: return "haproxy_process_";
    case S_FRONT: return "haproxy_frontend_";
    case S_BACK: return "haproxy_backend_";
    case S_SERVER: return "haproxy_server_";
    default: return "haproxy_sticktable_";
    }
}

void put_header(scrape& s, const char* name, const char* help, const char* type)
{
    if (!s.hdr)
        return;
    s.hdr = false;
    const char* pfx = prefix_of(s.sec);
    s.out += "# HELP ";
    s.out += pfx;
    s.out += name;
    s.out += ' ';
    s.out += help;
    s.out += "\n# TYPE ";
    s.out += pfx;
    s.out += name;
    s.out += ' ';
    s.out += type;
    s.out += '\n';
}

// One sample line: <prefix><name>{<labels>[,<extra>]} <value>.
void put_line(scrape& s, const family& f, const obj* o, const char* extra_name,
              const char* extra_value, std::string_view value)
{
    put_header(s, f.name, f.help, f.counter ? "counter" : "gauge");
    s.out += prefix_of(s.sec);
    s.out += f.name;
    if (o || extra_name) {
        s.out += '{';
        if (o)
            s.out += o->labels;
        if (extra_name) {
            if (o)
                s.out += ',';
            s.out += extra_name;
            s.out += "=\"";
            s.out += extra_value;
            s.out += '"';
        }
        s.out += '}';
    }
    s.out += ' ';
    put_value(s.out, value);
    s.out += '\n';
}

void put_secs_line(scrape& s, const family& f, const obj& o, double secs)
{
    put_header(s, f.name, f.help, f.counter ? "counter" : "gauge");
    s.out += prefix_of(s.sec);
    s.out += f.name;
    s.out += '{';
    s.out += o.labels;
    s.out += "} ";
    put_secs(s.out, secs);
    s.out += '\n';
}

int srv_state(std::string_view st)
{
    if (st.starts_with("MAINT"))
        return 2;
    if (st.starts_with("DRAIN"))
        return 3;
    if (st.starts_with("NOLB"))
        return 4;
    if (st.starts_with("UP") || st == "no check")
        return 1;
    return 0;
}

std::string_view check_status(std::string_view v)
{
    if (v.starts_with("* "))
        v.remove_prefix(2);
    return v;
}

// Servers of backend <b>.
template <typename F> void for_servers_of(const scrape& s, const obj& b, F fn)
{
    for (uint32_t i = b.sb; i < b.se && i < s.srv.size(); i++)
        fn(s.srv[i]);
}

// Renders family <f> for object <o>.
void render_obj(scrape& s, const family& f, const obj& o)
{
    if ((f.sp == SP_HTTP || f.sp == SP_HRSP) && !o.http)
        return;
    std::string_view v = cell(o, s.fcol[s.sec][s.fam]);
    switch (f.sp) {
    case SP_STATUS:
        if (s.sec == S_SERVER) {
            int st = srv_state(cell(o, s.c_status));
            for (int i = 0; i < 5; i++)
                put_line(s, f, &o, "state", k_srv_states[i], st == i ? "1" : "0");
        } else {
            std::string_view st = cell(o, s.c_status);
            bool up = s.sec == S_FRONT ? st != "STOP" : st == "UP";
            put_line(s, f, &o, "state", "DOWN", up ? "0" : "1");
            put_line(s, f, &o, "state", "UP", up ? "1" : "0");
        }
        return;
    case SP_HRSP: {
        put_line(s, f, &o, "code", k_hrsp_codes[s.pass], cell(o, s.c_hrsp[s.pass]));
        return;
    }
    case SP_AVG:
    case SP_MAX:
        put_secs_line(s, f, o, std::atof(std::string(v).c_str()) / 1000.0);
        return;
    case SP_AGG_SRV: {
        uint64_t n[5] = {};
        bool any = false;
        for_servers_of(s, o, [&](const obj& sv) {
            any = true;
            n[srv_state(cell(sv, s.c_status))]++;
        });
        if (!any)
            return;
        for (int i = 0; i < 5; i++)
            put_line(s, f, &o, "state", k_srv_states[i], std::to_string(n[i]));
        return;
    }
    case SP_AGG_CHECK: {
        uint64_t n[16] = {};
        bool any = false;
        for_servers_of(s, o, [&](const obj& sv) {
            any = true;
            std::string_view c = check_status(cell(sv, s.c_check));
            for (int i = 0; i < 16; i++)
                if (c == k_chk_states[i])
                    n[i]++;
        });
        if (!any) // as HAProxy 2.6.12: nothing for a backend without servers
            return;
        for (int i = 0; i < 16; i++)
            put_line(s, f, &o, "state", k_chk_states[i], std::to_string(n[i]));
        return;
    }
    case SP_CHECK_STATUS: {
        if (v.empty())
            return; // no check enabled
        std::string_view c = check_status(v);
        for (int i = 0; i < 16; i++)
            put_line(s, f, &o, "state", k_chk_states[i], c == k_chk_states[i] ? "1" : "0");
        return;
    }
    case SP_CHECK_CODE:
        if (cell(o, s.c_check).empty())
            return;
        put_line(s, f, &o, nullptr, nullptr, v.empty() ? std::string_view("0") : v);
        return;
    case SP_CHECK_DUR:
        if (v.empty())
            return;
        put_secs_line(s, f, o, std::atof(std::string(v).c_str()) / 1000.0);
        return;
    default:
        put_line(s, f, &o, nullptr, nullptr, v);
    }
}

void render_hist(scrape& s, const hist_family& h, const obj& o)
{
    hist_read r;
    if (!hist_get(o.hobj, h.timer, r))
        return;
    put_header(s, h.name, h.help, "histogram");
    const char* pfx = prefix_of(s.sec);
    uint32_t nb = hist_nbounds();
    if (s.le.empty()) {
        for (uint32_t b = 0; b < nb; b++) {
            s.le.emplace_back();
            put_bound(s.le.back(), hist_bounds()[b]);
        }
        s.le.push_back("+Inf");
    }
    uint64_t cum = 0;
    for (uint32_t b = 0; b <= nb; b++) {
        cum += r.bucket[b];
        s.out += pfx;
        s.out += h.name;
        s.out += "_bucket{";
        s.out += o.labels;
        s.out += ",le=\"";
        s.out += s.le[std::min<size_t>(b, s.le.size() - 1)];
        s.out += "\"} ";
        put_u64(s.out, cum);
        s.out += '\n';
    }
    s.out += pfx;
    s.out += h.name;
    s.out += "_sum{";
    s.out += o.labels;
    s.out += "} ";
    put_u64(s.out, r.sum_ms / 1000); // seconds, to the ms
    char frac[5] = {'.', char('0' + r.sum_ms % 1000 / 100), char('0' + r.sum_ms % 100 / 10),
                    char('0' + r.sum_ms % 10), '\n'};
    s.out.append(frac, sizeof(frac));
    s.out += pfx;
    s.out += h.name;
    s.out += "_count{";
    s.out += o.labels;
    s.out += "} ";
    put_u64(s.out, cum); // = the +Inf bucket, whatever was added meanwhile
    s.out += '\n';
}

struct section_def {
    const family* fams;
    size_t nfams;
    uint32_t scope;
};

section_def section_of(section sec)
{
    switch (sec) {
    case S_GLOBAL: return {k_process, PTC_COUNTOF(k_process), SC_GLOBAL};
    case S_FRONT: return {k_frontend, PTC_COUNTOF(k_frontend), SC_FRONT};
    case S_BACK: return {k_backend, PTC_COUNTOF(k_backend), SC_BACK};
    case S_SERVER: return {k_server, PTC_COUNTOF(k_server), SC_SERVER};
    default: return {k_sticktable, PTC_COUNTOF(k_sticktable), SC_STICK};
    }
}

const std::vector<obj>& objects_of(const scrape& s, section sec)
{
    return sec == S_FRONT ? s.fe : sec == S_BACK ? s.be : sec == S_SERVER ? s.srv : s.tables;
}

bool skip_obj(const scrape& s, const obj& o)
{
    return s.sec == S_SERVER && s.no_maint && cell(o, s.c_status).starts_with("MAINT");
}

void next_family(scrape& s)
{
    s.fam++;
    s.pass = 0;
    s.oi = 0;
    s.hdr = true;
}

// Renders the next piece (about k_chunk bytes) into s.out; false when all was rendered.
bool render_next(scrape& s)
{
    while (s.sec != S_DONE && s.out.size() < k_chunk) {
        section_def d = section_of(s.sec);
        bool hists = s.sec != S_GLOBAL && s.sec != S_STICK && hist_nbounds() > 0;
        size_t total = d.nfams + (hists ? PTC_COUNTOF(k_hists) : 0);
        if (!(s.scopes & d.scope) || s.fam >= total) {
            s.sec = (section)(s.sec + 1);
            s.fam = s.pass = s.oi = 0;
            s.hdr = true;
            continue;
        }
        if (s.sec == S_GLOBAL) {
            const family& f = d.fams[s.fam];
            auto it = s.info.find(f.col);
            std::string_view v = it == s.info.end() ? std::string_view() : it->second;
            if (f.sp == SP_BUILD) {
                std::string ver = label_value(s.info.count("Version") ? s.info["Version"] : "");
                put_line(s, f, nullptr, "version", ver.c_str(), "1");
            } else {
                put_line(s, f, nullptr, nullptr, nullptr, v);
            }
            next_family(s);
            continue;
        }
        const auto& objs = objects_of(s, s.sec);
        while (s.oi < objs.size() && s.out.size() < k_chunk) {
            const obj& o = objs[s.oi++];
            if (skip_obj(s, o))
                continue;
            if (s.fam < d.nfams)
                render_obj(s, d.fams[s.fam], o);
            else
                render_hist(s, k_hists[s.fam - d.nfams], o);
        }
        if (s.oi < objs.size())
            break; // the piece is full: resume this family with the next object
        if (s.fam < d.nfams && d.fams[s.fam].sp == SP_HRSP &&
            s.pass + 1 < PTC_COUNTOF(k_hrsp_codes)) {
            s.pass++; // http_responses_total: the next code, over every object again
            s.oi = 0;
            continue;
        }
        next_family(s);
    }
    return !s.out.empty();
}

// ---- the service ---------------------------------------------------------------------------

int url_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool url_decode(std::string_view in, std::string& out)
{
    out.clear();
    for (size_t i = 0; i < in.size(); i++) {
        if (in[i] == '%') {
            if (i + 2 >= in.size())
                return false;
            int h = url_hex(in[i + 1]), l = url_hex(in[i + 2]);
            if (h < 0 || l < 0)
                return false;
            out += (char)(h * 16 + l);
            i += 2;
        } else if (in[i] == '+') {
            out += ' ';
        } else {
            out += in[i];
        }
    }
    return true;
}

// The query string's filters, as HAProxy 2.6: "scope=<name>" (repeatable; "scope=" alone
// selects nothing, "scope=*" everything), "no-maint". False: a malformed query (400).
bool parse_query(scrape& s, std::string_view uri)
{
    uint32_t scopes = SC_ALL;
    bool scope_seen = false;
    size_t q = uri.find('?');
    if (q != std::string_view::npos) {
        std::string_view qs = uri.substr(q + 1);
        qs = qs.substr(0, qs.find('#'));
        while (!qs.empty()) {
            size_t amp = qs.find('&');
            std::string_view kv = qs.substr(0, amp);
            qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
            size_t eq = kv.find('=');
            std::string key, value;
            if (!url_decode(kv.substr(0, eq), key))
                return false;
            bool has_value = eq != std::string_view::npos;
            if (has_value) {
                std::string_view raw = kv.substr(eq + 1);
                if (raw.find('=') != std::string_view::npos || !url_decode(raw, value))
                    return false;
            }
            if (key == "scope") {
                if (!scope_seen)
                    scopes = 0;
                scope_seen = true;
                if (!has_value)
                    return false;
                if (value.empty())
                    scopes = 0;
                else if (value == "*")
                    scopes |= SC_ALL;
                else if (value == "global")
                    scopes |= SC_GLOBAL;
                else if (value == "frontend")
                    scopes |= SC_FRONT;
                else if (value == "backend")
                    scopes |= SC_BACK;
                else if (value == "server")
                    scopes |= SC_SERVER;
                else if (value == "listener")
                    scopes |= SC_LISTENER;
                else if (value == "sticktable")
                    scopes |= SC_STICK;
                else
                    return false;
            } else if (key == "no-maint") {
                s.no_maint = true;
            }
        }
    }
    s.scopes = scopes;
    return true;
}

void send_400(ptc_svc_txn* t)
{
    static const char body[] = "<html><body><h1>400 Bad request</h1>\nYour browser sent an "
                               "invalid request.\n</body></html>\n";
    std::string len = std::to_string(sizeof(body) - 1);
    t->ops->res_status(t, 400, ptc_str{"Bad request", 11}); // HAProxy's spelling
    t->ops->res_hdr_add(t, ptc_str{"content-length", 14}, ptc_str{len.data(), len.size()});
    t->ops->res_hdr_add(t, ptc_str{"cache-control", 13}, ptc_str{"no-cache", 8});
    t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{"text/html", 9});
    t->ops->res_write(t, body, sizeof(body) - 1);
}

int svc_run(ptc_svc_txn* t)
{
    auto* ctx = static_cast<svc_ctx*>(t->ctx);
    if (t->calls == 0) {
        auto* s = new scrape();
        ctx->s = s;
        if (!parse_query(*s, std::string_view(t->uri.ptr, t->uri.len))) {
            send_400(t);
            return PTC_OK;
        }
        t->ops->res_status(t, 200, ptc_str{"", 0});
        t->ops->res_hdr_add(t, ptc_str{"cache-control", 13}, ptc_str{"no-cache", 8});
        static const char ctype[] = "text/plain; version=0.0.4";
        t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{ctype, sizeof(ctype) - 1});
        // as HAProxy's (the runner frames the body itself; a HEAD answer shows this field)
        t->ops->res_hdr_add(t, ptc_str{"transfer-encoding", 17}, ptc_str{"chunked", 7});
        if (t->flags & PTC_SVC_F_HEAD)
            return PTC_OK;
    }
    scrape& s = *ctx->s;
    if (!s.snap_done) {
        // the snapshot a part at a time, so that a large instance does not hold up the
        // worker's other streams: the head leaves with the first part, then each run()
        // call (after the client took it, or a wake-up) adds the next
        s.snap_done = snapshot_step(s);
        if (!s.snap_done) {
            if (t->calls == 0)
                t->ops->res_write(t, "", 0); // the head, now
            g_host.stream_wake(t->stream);
            return PTC_YIELD;
        }
    }
    for (;;) {
        if (s.off < s.out.size()) {
            size_t room = t->ops->res_room(t);
            if (!room)
                return PTC_YIELD;
            size_t n = t->ops->res_write(t, s.out.data() + s.off,
                                         std::min(room, s.out.size() - s.off));
            if (!n)
                return PTC_YIELD;
            s.off += n;
            continue;
        }
        s.out.clear();
        s.off = 0;
        if (!render_next(s))
            return PTC_OK;
    }
}

void svc_release(ptc_svc_txn* t)
{
    auto* ctx = static_cast<svc_ctx*>(t->ctx);
    delete ctx->s;
    ctx->s = nullptr;
}

const ptc_service k_prom_service = {
    .size = sizeof(ptc_service),
    .flags = 0,
    .name = "prometheus-exporter",
    .ctx_size = sizeof(svc_ctx),
    .max_body = 0,
    .match = nullptr,
    .run = svc_run,
    .release = svc_release,
    .help = "Prometheus exporter (HAProxy 2.6's metrics, plus latency histograms)",
};

int init(ptc_modref* self)
{
    return g_host.service_register(self, &k_prom_service, sizeof(k_prom_service));
}

// prometheus.histogram-buckets { <time> [<time>...] | none }
int parse_histogram_buckets(const ptc_kw_ctx* c)
{
    std::vector<uint32_t> b;
    for (uint32_t i = c->kw_words; i < c->argc; i++) {
        std::string w = kw_word(c, i);
        if (w == "none" && c->argc == c->kw_words + 1)
            break;
        uint64_t ms;
        if (!cfg::parse_time_ms(w, ms) || ms == 0 || ms > 3600u * 1000u)
            return kw_error(c, "'prometheus.histogram-buckets' expects times between 1ms and "
                               "1h (or 'none'), got '" + w + "'");
        if (!b.empty() && ms <= b.back())
            return kw_error(c, "'prometheus.histogram-buckets': bounds must be strictly "
                               "increasing ('" + w + "' after " + std::to_string(b.back()) +
                               "ms)");
        b.push_back((uint32_t)ms);
    }
    if (b.size() > k_hist_max_buckets)
        return kw_error(c, "'prometheus.histogram-buckets' accepts at most " +
                               std::to_string(k_hist_max_buckets) + " bounds");
    hist_bounds() = b;
    return PTC_OK;
}

const ptc_keyword k_prom_keywords[] = {
    {"prometheus.histogram-buckets", PTC_SEC_GLOBAL, 0, 1, -1, parse_histogram_buckets,
     "prometheus.histogram-buckets { <time> [<time>...] | none }"},
};

const ptc_module k_prom_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "prometheus",
    .version = "0.1.0",
    .description = "portico Prometheus exporter",
    .keywords = k_prom_keywords,
    .keyword_count = PTC_COUNTOF(k_prom_keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .init = init,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .features = "PROMEX",
};

} // namespace

const ptc_module* prometheus_module() { return &k_prom_module; }

} // namespace portico
