// SPDX-License-Identifier: MIT
// The runtime API ("stats socket"): HAProxy's CLI protocol and commands, served by the
// master, with server changes published to the workers through shared memory.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <cstdarg>

#include <portico/portico.h>

// The answer of a runtime API command being built (cli.h's opaque ptc_cli_reply).
struct ptc_cli_reply {
    std::string* out;
};

namespace portico {

struct config;
struct proxy;
struct server;

// Access levels, HAProxy's order: a command needs at least its level.
enum cli_level : int {
    CLI_LVL_USER = 0,
    CLI_LVL_OPERATOR = 1,
    CLI_LVL_ADMIN = 2,
};

// One "stats socket" line.
struct cli_socket_conf {
    std::string spec;             // address as written
    std::string file;
    int line = 0;
    bool is_unix = false;
    std::string path;             // unix socket path
    sockaddr_storage addr{};      // TCP address
    socklen_t addrlen = 0;
    int inherited_fd = -1;        // "fd@N"
    bool has_mode = false;
    mode_t mode = 0;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    int level = CLI_LVL_OPERATOR; // HAProxy's default
    int fd = -1;                  // listening socket once bound
    bool expose_fd = false;       // "expose-fd listeners": "_getsocks" hands them over
};

// Runtime-API settings from the global section.
struct cli_conf {
    std::vector<cli_socket_conf> sockets;
    uint32_t timeout_ms = 10000;  // "stats timeout" (HAProxy's default: 10s)
    uint32_t maxconn = 10;        // "stats maxconn" (HAProxy's default: 10)
};

extern cli_conf g_cli;

// The descriptor of the runtime-API keyword table (registered as module "cli").
const ptc_module* cli_module();

// Spare server slots each backend reserves in shared memory for "add server"
// (global_conf::dynamic_servers, set by "tune.dynamic-servers").
uint32_t cli_spare_slots();

// ---- master ------------------------------------------------------------------------------

// Fills the runtime fields of the configured servers' shm slots (after shm_create()) and
// records the start time. Call once in the master before forking.
void cli_shm_init(config& cfg);
// Creates (or adopts) the listening sockets of every "stats socket". Reports failures as
// alerts and returns false.
bool cli_bind(config& cfg);
// In a freshly forked worker: closes every runtime-API descriptor.
void cli_close_in_child();
// Reload (the master re-executes itself): cli_export_listeners() answers the pending
// commands of the open sessions (what has arrived; they close at the exec), clears
// FD_CLOEXEC on every listening socket it bound and returns "key=fd;..." for the next
// master; cli_adopt_listeners(text) there makes cli_bind() take those sockets again
// instead of binding new ones, so connections waiting in their backlog are kept and a
// client never finds the path refusing. The sockets the new configuration drops close.
std::string cli_export_listeners();
void cli_adopt_listeners(const std::string& text);
// Master loop integration: appends the descriptors to watch; handles the poll results of
// the entries it appended (starting at <first>); returns the poll timeout (ms, -1 none)
// the sessions need, merged with <tmo>.
void cli_poll_fill(std::vector<pollfd>& fds);
void cli_poll_handle(const std::vector<pollfd>& fds, size_t first);
int cli_poll_timeout(int tmo);
// Number of workers, reported by "show info" (set by the master).
void cli_set_workers(uint32_t n);
// "_getsocks" on a socket with "expose-fd listeners" (admin level): <fn> sends the
// listening sockets over the connected unix socket <fd> (set by the master).
void cli_set_getsocks(bool (*fn)(int fd));

// ---- command engine (no I/O: unit-testable) ---------------------------------------------

struct cli_session {
    int level = CLI_LVL_OPERATOR;
    bool interactive = false;     // "prompt" mode
    bool quit = false;            // "quit" was seen: close after the output
    bool expert = false;          // "expert-mode on"
    bool experimental = false;    // "experimental-mode on"
    uint32_t timeout_ms = 0;      // "set timeout cli" (0 = the socket's default)
    // "show events <ring> -w": the session follows the ring until the client sends a key
    void* follow_ring = nullptr;  // log::ring_conf
    uint64_t follow_pos = 0;      // next ring position to send
    // master CLI: the worker a command was sent to ("@!<pid>"; 0 = none): "show info"
    // reports its pid (the state shown is the instance's, shared by all workers)
    long target_pid = 0;
};

// A session following a ring ("show events -w"): the lines stored since the last call.
std::string cli_follow_more(cli_session& s);

// Runs one input line (without its LF): its ';'-separated commands, each followed by the
// prompt ("\n", or "\n> " in interactive mode). Returns the bytes to send.
std::string cli_run_line(cli_session& s, const std::string& line);
// The same for a line that ended with "<<": <payload> (the lines that followed, up to an
// empty one) is the last word of the line's last command ("set ssl cert <file> <<").
std::string cli_run_line(cli_session& s, const std::string& line, const std::string& payload);

// host->cli_run (1.24): one command (its words) at the admin level in this process; the
// answer without the prompt, cut to <outlen> - 1 bytes and NUL-terminated; returns its
// full length.
size_t host_cli_run(uint32_t argc, const ptc_str* argv, char* out, size_t outlen);
// Master loop, every turn: closes the master's copies of the sockets of frontends a worker
// shut down (host->cli_run "shutdown frontend").
void cli_master_turn();

// True when a module registered the command <line> starts with (the stats page checks that
// the health-check module's commands exist before it runs them).
bool cli_has_command(const std::string& line);

// A module's command (host->cli_register): false with <err> when malformed or registered
// twice. Module commands are tried before the core's and listed by "help".
bool cli_register_command(ptc_modref* self, const ptc_cli_cmd* cmd, std::string& err);
// host->cli_printf.
void cli_reply_append(ptc_cli_reply* r, const char* fmt, va_list ap);

// Splits one line into commands and words as HAProxy does ('\' escapes, ';' separates).
std::vector<std::vector<std::string>> cli_split(const std::string& line);
// One word quoted for cli_split: a space, tab, ';' or '\\' gets a '\\' before it.
std::string cli_word(const std::string& w);

// Renderings (exact HAProxy 2.6 formats).
std::string cli_stat_header();
std::string cli_show_stat(const std::vector<std::string>& args, std::string& err);
// "show info" in the plain (fmt ""), "typed" or "json" format.
// <pid>: the worker named on the master CLI ("@!<pid>"), else this process's.
std::string cli_show_info(const std::string& fmt = std::string(), bool desc = false, long pid = 0);
// ptc_host.info_provider (1.22): a module's values for "show info" fields the host does not
// count (the ssl module's Ssl* fields).
int host_info_provider(ptc_modref* self, int (*fn)(ptc_modref*, const char*, uint64_t*));
// HAProxy 2.6's JSON schema of the JSON outputs ("show schema json", the stats page's
// ";json-schema").
const char* cli_stat_schema();
// HAProxy's description of an info or stat field ("desc" option), or nullptr.
const char* cli_info_desc(const char* name);
const char* cli_stat_desc(const char* name);
// "show stat json" with the filters that follow "show stat" ([{<iid>|<proxy>} <type>
// <sid>] [no-maint|up]*); the stats page's ";json" renders with it. Ends with LF.
std::string cli_stat_json(const std::vector<std::string>& filters);
// Global maxconn now ("set maxconn global" or the configuration's) and the configured one.
uint32_t cli_global_maxconn();
uint32_t cli_hard_maxconn();
std::string cli_show_servers_state(const std::string& backend, bool& found);
// Number of CSV columns of "show stat" (HAProxy 2.6 with its ssl/h1/h2 stats modules).
size_t cli_stat_columns();

// ---- protocol error snapshots (errors.cpp) ----------------------------------------------

struct stream;
// Reserves the snapshot area (master, before the workers fork; called by cli_shm_init).
void errsnap_init(const config& cfg);
// Worker: records an invalid request (PTC_SIDE_CLIENT) or response (PTC_SIDE_SERVER).
void errsnap_record(stream* s, uint32_t side, const char* msg, size_t len, size_t err_pos,
                    const char* reason);
// "show errors [{<iid>|<proxy>}] [request|response]" (HAProxy 2.6's layout).
std::string cli_show_errors(const std::vector<std::string>& args);

// ---- sessions (sessions.cpp) ------------------------------------------------------------

struct worker;
// Reserves the per-worker session tables (master, before the workers fork).
void sesstab_init(const config& cfg);
// Worker, every loop turn: serves a pending "show sess" / "shutdown session" request.
void sesstab_serve(worker* w);
// "show sess [<id>|all]" and "shutdown session <id>".
std::string cli_show_sess(const std::vector<std::string>& args);
std::string cli_shutdown_session(const std::vector<std::string>& args);
// "show pools": the workers' object pools, summed.
std::string cli_show_pools();

// ---- servers (master and workers) -------------------------------------------------------

// Builds a server of backend <be> like a "server" line would: default-server first, then
// <args> = address then options, parsed with the server keyword registry. Returns nullptr
// with <err> set.
std::unique_ptr<server> cli_make_server(proxy& be, const std::string& name,
                                        const std::vector<std::string>& args, std::string& err);

// Worker side: applies the runtime changes of backend <be>'s shm slots to this process's
// server objects (added servers created, deleted ones unlinked — never freed —, address
// changes applied, their idle connections closed). Call when <be>'s srv_gen changed,
// before rebuilding the balancing tables.
void cli_backend_sync(proxy* be);

// Takes server <pos> out of <be>'s list, marked deleted, and keeps the object (a stream, an
// idle connection or a module's state may still point to it; host calls on it do nothing).
void cli_server_bury(proxy& be, size_t pos);

} // namespace portico
