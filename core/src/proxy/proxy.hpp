// SPDX-License-Identifier: MIT
// The configuration model: global settings, proxies (frontend/backend/listen/defaults),
// bind lines and servers, as built by the configuration loader.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

#include "proxy/balance.hpp"

namespace portico {

struct module_rec;
struct shm_proxy;
struct shm_server;
namespace smp {
struct proxy_data;
struct cond;
} // namespace smp
namespace log {
struct proxy_log;
struct global_log;
} // namespace log

// Per-module configuration blobs of one object, indexed by module index.
struct conf_blobs {
    std::vector<void*> blobs;
};

struct bind_conf {
    std::string spec;             // as written, for messages
    std::string file;
    int line = 0;
    sockaddr_storage addr{};
    socklen_t addrlen = 0;
    int inherited_fd = -1;        // "fd@N": an already listening socket
    std::vector<int> fds;         // listening sockets (one per worker, or the inherited one)
    std::string name;             // bind option "name"
    int defer_accept = -1;        // TCP_DEFER_ACCEPT: -1 auto (on for mode http), 0 off, 1 on
    int unix_mode = -1;           // UNIX socket: "mode" (permissions), -1 = umask's
    long unix_uid = -1;           // UNIX socket: "uid"/"user" owner, -1 = unchanged
    long unix_gid = -1;           // UNIX socket: "gid"/"group", -1 = unchanged
    struct proxy* fe = nullptr;   // the frontend it belongs to
    // One socket accepted from by every worker (a UNIX socket, or "fd@N"), rather than
    // one SO_REUSEPORT socket per worker slot.
    bool shared_socket() const { return inherited_fd >= 0 || addr.ss_family == AF_UNIX; }
    conf_blobs mod;               // per-module bind blobs (ABI 1.3 bind_conf_size)
};

struct server {
    std::string name;
    std::string file;
    int line = 0;
    std::string addr_spec;
    sockaddr_storage addr{};
    socklen_t addrlen = 0;
    // HAProxy's transparent-like servers: address 0.0.0.0 (or ::, *) connects to the
    // client connection's destination address, a missing port to its destination port
    bool dst_addr = false;
    bool dst_port = false;
    // "init-addr": how a host name is resolved at start-up, in order ("last", "libc", "none",
    // an IP address); empty: HAProxy's default, "last,libc"
    std::vector<std::string> init_addr;
    bool no_addr = false;         // "init-addr none" applied: no address, in maintenance
    std::string hostname;         // the host name the address names (not an IP), "srv_fqdn"
    // a host name with "last" among its methods: resolved once the configuration is read
    // and the server-state files with it (core/src/load/cfgload.cpp post_checks)
    bool addr_pending = false;
    // its line of a server-state file ("load-server-state-from-file"), split; empty: none
    std::vector<std::string> state_fields;
    uint32_t weight = 1;          // 0..256
    uint32_t id = 0;              // "id": numeric id, unique in the backend
    bool disabled = false;
    // the health level "show servers state" prints for a server without a health check
    // (HAProxy's check.health = rise), as a module said before shm existed (ABI 1.31)
    uint32_t chk_level = 2;
    bool no_check = false;
    // referred to by other configuration (a "track", a fetch argument, a Lua object): "del
    // server" refuses it, as HAProxy's SRV_F_NON_PURGEABLE (shm SRV_RT_PINNED at run time)
    bool non_purgeable = false;
    bool deleted = false;         // removed with "del server" (kept: streams may point to it)
    uint32_t incarnation = 0;     // its shm slot's incarnation when it was created
    uint32_t maxconn = 0;         // 0 = unlimited
    struct proxy* be = nullptr;
    uint32_t index = 0;           // index in the instance-wide shm server table
    shm_server* shared = nullptr; // instance-wide state, set once shm exists
    conf_blobs mod;
    // balancing (core/src/lb)
    bool backup = false;          // "backup": used only when no active server is usable
    uint32_t minconn = 0;         // dynamic maxconn floor (with the backend's fullconn)
    uint32_t maxqueue = 0;        // 0 = unlimited
    // idle server connections kept for reuse (each worker has its own pool)
    int32_t pool_max_conn = -1;   // "pool-max-conn": per worker; -1 = no limit of its own
    int32_t pool_low_conn = -1;   // "pool-low-conn": accepted (nothing is stolen between workers)
    uint32_t pool_purge_ms = 5000; // "pool-purge-delay": idle connections closed after it
};

enum proxy_cap : uint32_t {
    CAP_FE = PTC_SEC_FRONTEND,
    CAP_BE = PTC_SEC_BACKEND,
    CAP_DEFAULTS = PTC_SEC_DEFAULTS,
};

// "mode": resolved when the keyword is parsed; the protocol handler of the same name is
// looked up after parsing (proxy::proto). Only the loader turns names into modes.
enum class px_mode : uint8_t {
    tcp,  // HAProxy's default
    http,
};

// The keyword's name of a mode ("tcp", "http"): messages, "show stat", logs, the ABI.
const char* mode_name(px_mode m);

// Every "timeout <name>" a proxy accepts, in ms, parsed once at load; 0 = not set. The
// field names are the ones the request path reads (core/src/stream/).
struct proxy_timeouts {
    uint64_t t_client = 0;          // timeout client
    uint64_t t_server = 0;          // timeout server
    uint64_t t_connect = 0;         // timeout connect
    uint64_t t_queue = 0;           // timeout queue
    uint64_t t_http_request = 0;    // timeout http-request
    uint64_t t_http_keep_alive = 0; // timeout http-keep-alive
    uint64_t t_tunnel = 0;          // timeout tunnel
    uint64_t client_fin = 0;        // timeout client-fin
    uint64_t server_fin = 0;        // timeout server-fin
    uint64_t t_tarpit = 0;          // timeout tarpit (read by the http module)
    uint64_t t_check = 0;           // timeout check (read by the health-check module)
    uint64_t t_inspect = 0;         // tcp-request inspect-delay (read by the tcp module)
    uint64_t t_res_inspect = 0;     // tcp-response inspect-delay (read by the tcp module)

    // The field of "timeout <name>", or null for a name that is not one of them. The only
    // lookup by name: the keyword parser and the ABI's proxy_timeout() (config time).
    static uint64_t proxy_timeouts::*field(std::string_view name);
    // Value of "timeout <name>"; 0 when unset or unknown.
    uint64_t timeout(std::string_view name) const
    {
        auto f = field(name);
        return f ? this->*f : 0;
    }
};

// The settings a proxy inherits from its defaults section (the last one declared before
// it, or the one named by "from"), copied as a whole when the proxy is created: a field
// added here is inherited, a field of struct proxy is not. Inherited by other means, since
// they are not plain values: "default-server" (deep copy), the modules' conf blobs, log
// settings (log::inherit) and the rules of a named defaults section (smp::inherit_rules).
struct proxy_settings : proxy_timeouts {
    px_mode mode = px_mode::tcp;  // "mode"
    bool mode_set = false;
    uint32_t maxconn = 0;         // frontend maxconn (0 = global's)
    uint32_t sess_rate_lim = 0;   // "rate-limit sessions": new sessions per second (0: none)

    std::string default_backend_name;
    std::string default_backend_file;
    int default_backend_line = 0;

    std::map<int, std::string> errorfiles; // "errorfile <status> <file>": raw responses
    // "errorfiles <name> [<code>...]" (and "http-error ... errorfiles"): imported from the
    // http-errors section once the whole file is read, unless an "errorfile" line that
    // comes later sets that code; "errorfile" lines record their order for that
    struct errorfiles_ref {
        std::string name;
        std::vector<int> codes; // empty: every code of the section
        uint32_t seq;
        std::string file;
        int line;
    };
    std::vector<errorfiles_ref> errorfiles_refs;
    // "http-error status <code> ... lf-string|lf-file ..." or with a log-format "hdr" value:
    // built per use (host->proxy_error_render); errorfiles[code] then holds dyn_error_marker
    // (so that later "errorfile"/"errorfiles" lines override it the same way)
    struct dyn_error {
        std::string ctype;
        std::vector<std::pair<std::string, ptc_logfmt*>> hdrs;
        ptc_logfmt* body_lf = nullptr; // lf-string / lf-file, else body
        std::string body;
    };
    std::map<int, std::shared_ptr<const dyn_error>> dyn_errors;
    std::map<int, uint32_t> errorfile_seq;
    uint32_t errors_seq = 0;
    uint32_t retries = 3;         // "retries" (HAProxy's default)
    int32_t redispatch = 0;       // "option redispatch [<interval>]": 0 off, else interval

    // balancing (core/src/lb)
    lb_conf lbconf;               // "balance", "hash-type" (typed, parsed at load)
    bool allbackups = false;      // "option allbackups"
    bool prefer_last = false;     // "option prefer-last-server"
    uint32_t fullconn = 0;        // "fullconn" (0: computed from the frontends' maxconn)

    // TCP socket behaviour (core/src/stream): "option tcpka|clitcpka|srvtcpka" and the
    // "clitcpka-*"/"srvtcpka-*" probes (0: the system's), "option nolinger" (close with a
    // reset), "option independent-streams" (sending does not refresh the side's timeout),
    // "option tcp-smart-accept" (-1: HTTP mode only) and "option tcp-smart-connect"
    bool cli_ka = false;
    bool srv_ka = false;
    uint32_t cli_ka_cnt = 0, cli_ka_idle = 0, cli_ka_intvl = 0; // probes, seconds, seconds
    uint32_t srv_ka_cnt = 0, srv_ka_idle = 0, srv_ka_intvl = 0;
    bool nolinger = false;
    bool indep_streams = false;
    int8_t smart_accept = -1;
    bool smart_connect = false;

    // "load-server-state-from-file" (0 none, 1 global, 2 local) and "server-state-file-name"
    // (empty: the backend's name) — core/src/proc/server_state_file.cpp
    uint8_t srv_state_load = 0;
    std::string srv_state_file_name;
};

struct proxy : proxy_settings {
    std::string name;
    std::string file;
    int line = 0;
    uint32_t cap = 0;             // CAP_* bits; listen = FE|BE
    const ptc_proto* proto = nullptr;  // protocol handler of the mode (after parsing)
    module_rec* proto_owner = nullptr;

    std::vector<std::unique_ptr<bind_conf>> binds;
    std::vector<std::unique_ptr<server>> servers;
    std::unique_ptr<server> default_server;  // "default-server" options (template)

    struct use_backend_rule {
        std::string name;
        std::string file;
        int line;
        proxy* target = nullptr;
        smp::cond* cond = nullptr;     // if/unless condition (sample engine), or none
        std::string dyn;              // dynamic name "be_%[expr]" as written, or empty
        void* dyn_fmt = nullptr;      // its compiled form (sample engine)
    };
    std::vector<use_backend_rule> use_backend;
    proxy* default_backend = nullptr;

    uint32_t index = 0;           // index in the shm proxy table
    shm_proxy* shared = nullptr;
    conf_blobs mod;
    smp::proxy_data* smp = nullptr; // sample engine: ACLs, rule sets (core/src/sample/)
    struct lb_backend* lb = nullptr; // per-process balancing tables (lb.cpp)
    // logging (core/src/log): "log", "log-format", "option httplog"...; null = none
    std::shared_ptr<log::proxy_log> logs;
};

struct global_conf {
    bool daemon = false;
    uint32_t maxconn = 0;         // 0 = computed default
    uint32_t workers = 0;         // 0 = one per CPU
    std::string pidfile;
    std::vector<std::string> module_paths;
    uint32_t bufsize = 16384;     // tune.bufsize
    uint32_t maxrewrite = 1024;   // tune.maxrewrite
    uint32_t http_maxhdr = 101;   // tune.http.maxhdr
    uint32_t dynamic_servers = 16; // spare server slots per backend for "add server"
    uint32_t spread_checks = 0;   // "spread-checks": percent of random spread (0..50)
    uint64_t max_spread_checks = 0; // "max-spread-checks": ms (0 = not set)
    conf_blobs mod;
    std::shared_ptr<log::global_log> logs; // logging (core/src/log): "log", "log-tag"...
    // ---- process (core/src/proc): privileges, limits, stops ----
    int64_t uid = -1;             // "uid"/"user": workers switch to it (-1: stay)
    int64_t gid = -1;             // "gid"/"group"
    std::string chroot;           // "chroot": workers chroot() there before dropping
    uint32_t ulimit_n = 0;        // "ulimit-n" (0: raise the soft limit to the hard one)
    bool strict_limits = false;   // "strict-limits": a failed setrlimit is fatal
    bool experimental = false;    // "expose-experimental-directives" (normalize-uri...)
    uint64_t hard_stop_after = 0; // ms; 0: soft stops are unbounded
    uint64_t grace = 0;           // ms between SIGUSR1 and the soft stop
    bool master_worker = false;   // "master-worker" (portico always runs one)
    uint32_t mworker_max_reloads = 0; // old workers older than that many reloads: SIGTERM
    std::string node;             // "node" (show info)
    std::string description;      // "description" (show info)
    std::string localpeer;        // "localpeer" / -L
    std::string server_state_base; // "server-state-base": directory of relative state files
    std::string server_state_file; // "server-state-file": for "load-server-state-from-file global"
    std::vector<std::pair<uint32_t, std::vector<int>>> cpu_map; // worker slot -> CPUs
};

// A "program" section: a command the master starts and supervises (core/src/proc/program.cpp).
struct program_conf {
    std::string name;
    std::string file;
    int line = 0;
    std::vector<std::string> argv; // "command"
    int64_t uid = -1;              // "user"
    int64_t gid = -1;              // "group"
    bool start_on_reload = true;   // "[no] option start-on-reload"
};

// A "userlist" section (core/src/auth/userlist.cpp): users with passwords and groups.
struct userlist_conf {
    struct user {
        std::string pass;            // crypt(3) hash, or the clear text when insecure
        bool insecure = false;       // "insecure-password"
        std::vector<std::string> groups;
    };
    std::string name;
    std::string file;
    int line = 0;
    std::map<std::string, user> users;
    std::map<std::string, std::vector<std::string>> groups; // group -> users ("group ... users")
    std::vector<std::pair<std::string, int>> refs; // names used in "groups"/"users", with lines
};

struct config {
    global_conf global;
    std::map<std::string, std::map<int, std::string>> http_errors; // "http-errors" sections
    std::vector<program_conf> programs;
    std::vector<std::unique_ptr<userlist_conf>> userlists;
    std::vector<std::unique_ptr<proxy>> proxies;       // frontends, backends, listens (ordered)
    std::vector<std::unique_ptr<proxy>> defaults;      // defaults sections (ordered)
    std::map<std::string, proxy*> by_name_fe;
    std::map<std::string, proxy*> by_name_be;
    std::vector<std::unique_ptr<std::string>> strings; // cfg_strdup storage
    uint32_t server_count = 0;

    proxy* find_backend(const std::string& name) const
    {
        auto it = by_name_be.find(name);
        return it == by_name_be.end() ? nullptr : it->second;
    }
};

// Internal handle casts: the public ABI's opaque types are our structs.
inline proxy* to_proxy(ptc_proxy* p) { return reinterpret_cast<proxy*>(p); }
inline const proxy* to_proxy(const ptc_proxy* p) { return reinterpret_cast<const proxy*>(p); }
inline ptc_proxy* to_handle(proxy* p) { return reinterpret_cast<ptc_proxy*>(p); }
inline server* to_server(ptc_server* s) { return reinterpret_cast<server*>(s); }
inline const server* to_server(const ptc_server* s) { return reinterpret_cast<const server*>(s); }
inline ptc_server* to_handle(server* s) { return reinterpret_cast<ptc_server*>(s); }

} // namespace portico
