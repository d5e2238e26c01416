// SPDX-License-Identifier: MIT
// The check module's internals shared by its files: configuration (check.cpp), the runtime
// that probes and keeps the state machine (rt.cpp), and the runtime API commands (cli.cpp).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <portico/portico.h>

#include "probe.hpp"

namespace chk {

extern const ptc_host* host;
extern ptc_modref* g_self;
extern const ptc_pp_api* g_pp;    // the proxy_protocol module's API, or null
extern const ptc_http_api* g_http; // the http module's API, or null
extern const ptc_ssl_api* g_ssl;   // the ssl module's API (1.9 or later), or null

// ---- configuration -----------------------------------------------------------------------

enum observe_t : uint8_t { OBS_NONE = 0, OBS_L4 = 1, OBS_L7 = 2 };
enum on_error_t : uint8_t { ONERR_FASTINTER = 0, ONERR_FAIL_CHECK, ONERR_SUDDEN_DEATH,
                            ONERR_MARK_DOWN };

// A server's check options (server and default-server lines; copied by memcpy).
struct server_cf {
    uint8_t check;           // "check"
    uint8_t agent;           // "agent-check"
    uint8_t observe;         // observe_t
    uint8_t on_error;        // on_error_t
    uint8_t down_shutdown;   // "on-marked-down shutdown-sessions"
    uint8_t up_shutdown;     // "on-marked-up shutdown-backup-sessions"
    uint32_t inter;          // ms
    uint32_t fastinter;      // ms, 0 = inter
    uint32_t downinter;      // ms, 0 = inter
    uint32_t rise, fall;
    uint32_t port;           // "port", 0 = the server's
    uint32_t agent_port;
    uint32_t agent_inter;    // ms, 0 = inter
    uint32_t error_limit;    // "error-limit" (default 10)
    sockaddr_storage addr;   // "addr" (resolved at load), addrlen 0 = the server's
    socklen_t addrlen;
    sockaddr_storage agent_addr; // "agent-addr", agent_addrlen 0 = the check's address
    socklen_t agent_addrlen;
    const char* addr_text;   // as written (for show servers state), or null
    const char* agent_addr_text;
    const char* agent_send;  // "agent-send" string, or null
    const char* track;       // "track [<backend>/]<server>", or null
    const char* file;        // where the server line is, for errors after parsing
    uint32_t line;
};

// A proxy's check configuration (defaults are copied deeply into each proxy).
struct proxy_cf {
    check_spec* spec;        // http-check / tcp-check / option *-check rules
    uint8_t log_health;      // "option log-health-checks"
    const char* file;        // first check keyword of the proxy, for errors after parsing
    uint32_t line;
};

// ---- what post_config builds (the same in every process: built before the fork) ---------

enum { K_HEALTH = 0, K_AGENT = 1 };

// One checked server (with "check" and/or "agent-check").
struct member {
    ptc_server* srv = nullptr;
    ptc_proxy* be = nullptr;
    const server_cf* cf = nullptr;
    const proxy_cf* pcf = nullptr;
    int probe[2] = {-1, -1};            // probe index per kind (K_HEALTH, K_AGENT), -1 none
    uint32_t rise[2] = {0, 0}, fall[2] = {0, 0};
    std::vector<ptc_server*> trackers;  // servers with "track" on this one (transitively)
    std::string be_name, srv_name;
    std::string addr_text[2];           // address:port probed, for the runtime API
    uint16_t port[2] = {0, 0};
    // as configured ("port"/"addr", "agent-port"/"agent-addr"): 0 and "" when not set, which
    // is what "show servers state" prints (srv_check_port/addr, srv_agent_port/addr)
    uint16_t cfg_port[2] = {0, 0};
    std::string cfg_addr[2];
};

// One probe: a target, what to send and expect, and when; shared by every member listed.
struct probe_def {
    int kind = K_HEALTH;
    const check_spec* spec = nullptr;   // K_HEALTH only
    sockaddr_storage addr{};            // target; port already applied
    socklen_t addrlen = 0;
    bool addr_is_server = false;        // follow the first member's address (set server addr)
    uint16_t port = 0;                  // the port probed (0: the server's current one)
    uint32_t inter = 2000, fastinter = 2000, downinter = 2000;
    uint32_t tmo_connect = 0, tmo_check = 0;
    uint32_t pp_version = 0;            // PROXY header on the probe's connections (1, 2)
    std::string agent_send;
    bool tls = false;                   // the default connection is TLS (check-ssl, ssl)
    const ptc_server* tls_srv = nullptr; // whose TLS settings (set when TLS may be used)
    bool no_h2 = false;                 // HTTP check: h2 left out of the ALPN offered
    std::string key_tls;
    std::vector<uint32_t> members;
    std::string key;
};

extern std::vector<member> g_members;
extern std::vector<probe_def> g_probes;
extern std::unordered_map<const ptc_server*, uint32_t> g_member_of;
extern bool g_any_observe;     // some server has "observe"
extern uint32_t g_spread;          // global spread-checks (percent)
extern uint64_t g_max_spread;      // global max-spread-checks (ms, 0 = none)

// ---- shared state (module shared memory) ----------------------------------------------

struct spin {
    std::atomic<uint32_t> v;
    void lock()
    {
        while (v.exchange(1, std::memory_order_acquire))
            while (v.load(std::memory_order_relaxed))
                __builtin_ia32_pause();
    }
    void unlock() { v.store(0, std::memory_order_release); }
};

struct shm_check {
    uint32_t health;
    uint32_t status;          // hchk
    uint32_t result;          // chk_res
    int32_t code;
    int32_t duration;
    uint32_t disabled;        // "disable health|agent"
    uint32_t running;         // a probe is in progress
    uint64_t failed;          // chkfail
    uint64_t hanafail;        // observe: on-error actions taken
    char desc[128];
};

struct shm_member {
    spin lock;
    uint32_t inited;          // the owner published the initial state
    shm_check c[2];
    std::atomic<uint32_t> consec_errors; // observe: consecutive errors of real traffic
};

struct shm_probe {
    std::atomic<uint64_t> next_due;  // now_ms() scale (CLOCK_MONOTONIC: same in every process)
    std::atomic<uint64_t> probes;    // probes started (statistics, tests)
    std::atomic<uint32_t> port_override; // "set server ... check-port", 0 none
};

struct shm_area {
    uint32_t nmembers, nprobes;
    // followed by shm_member[nmembers], shm_probe[nprobes]
};

shm_member* sh_member(uint32_t i);
shm_probe* sh_probe(uint32_t i);
bool rt_reserve();                // post_config: the shared area

// ---- runtime (rt.cpp) ---------------------------------------------------------------------

int rt_worker_init();
void rt_worker_fini();
// Publish member m's check state of kind k for the runtime API (lock held or not).
void publish(uint32_t m, int k);
// The health level of a server without a health check (HAProxy's check.health: rise at
// start, moved by "set server ... health"), for "show servers state" (a 1.31 host).
void publish_level(ptc_server* s, uint32_t level);
// After member m's health counters changed (lock NOT held): bring the server's operational
// state in line; <tail> follows "Server be/s is DOWN" in the log line, after a comma:
// "reason: Layer4 ... check duration: 0ms", "changed from CLI", or "" (nothing).
void settle(uint32_t m, const std::string& tail, bool condpass);
// Human reason of a probe result, HAProxy's wording without the leading "reason: ".
std::string reason_of(uint32_t status, int code, const char* desc, int duration);
bool member_up(uint32_t m);       // health (and agent) counters say up

// Hooks for observe (passive checks).
int hook_srv_connected(ptc_stream* s, void*, void*);
int hook_srv_error(ptc_stream* s, void*, void*);
int hook_http_response(ptc_stream* s, void*, void*);

// ---- runtime API (cli.cpp) ---------------------------------------------------------------

int cli_register_all();

} // namespace chk
