// SPDX-License-Identifier: MIT
// The check module's probe engine: what a health check sends and expects (HAProxy 2.6's
// "option httpchk", "http-check ...", "option tcp-check", "tcp-check ...", the protocol
// checks "option ssl-hello-chk|mysql-check|pgsql-check|redis-check|smtpchk|ldap-check"),
// compiled at load time into a rule list, and run against one connection at a time.
//
// No portico host here: the engine is pure, driven through probe_io, so that it is unit
// tested and fuzzed alone. The runtime (check.cpp) owns scheduling, connections, timers,
// the rise/fall state machine and shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chk {

// HAProxy 2.6's check statuses (enum healthcheck_status), with its numeric values: "show
// servers state" prints the number, "show stat" the short name.
enum hchk : uint32_t {
    HCHK_UNKNOWN = 0, // "UNK"
    HCHK_INI,         // "INI"     Initializing
    HCHK_START,       // "START"   (internal)
    HCHK_CHECKED,     // "CHECKED" (internal: everything below is a finished check)
    HCHK_HANA,        // "HANA"    Health analyze (observe)
    HCHK_SOCKERR,     // "SOCKERR" Socket error
    HCHK_L4OK,        // "L4OK"    Layer4 check passed
    HCHK_L4TOUT,      // "L4TOUT"  Layer4 timeout
    HCHK_L4CON,       // "L4CON"   Layer4 connection problem
    HCHK_L6OK,        // "L6OK"    Layer6 check passed
    HCHK_L6TOUT,      // "L6TOUT"  Layer6 timeout
    HCHK_L6RSP,       // "L6RSP"   Layer6 invalid response
    HCHK_L7TOUT,      // "L7TOUT"  Layer7 timeout
    HCHK_L7RSP,       // "L7RSP"   Layer7 invalid response
    HCHK_L57DATA,     // (marker: statuses from here carry a code)
    HCHK_L7OKD,       // "L7OK"    Layer7 check passed
    HCHK_L7OKCD,      // "L7OKC"   Layer7 check conditionally passed
    HCHK_L7STSERR,    // "L7STS"   Layer7 wrong status
    HCHK_PROCERR,     // "PROCERR" External check error
    HCHK_PROCTOUT,    // "PROCTOUT"
    HCHK_PROCOK,      // "PROCOK"
    HCHK_SIZE
};
const char* hchk_name(hchk s); // "L4CON"
const char* hchk_desc(hchk s); // "Layer4 connection problem"

// HAProxy's check results (CHK_RES_*).
enum chk_res : uint32_t { RES_UNKNOWN = 0, RES_NEUTRAL, RES_FAILED, RES_PASSED, RES_CONDPASS };

// The outcome of one probe.
struct probe_result {
    hchk status = HCHK_UNKNOWN;
    chk_res result = RES_UNKNOWN; // passed / failed / conditionally passed (L7OKC: 404
                                  // with "http-check disable-on-404": the server goes
                                  // STOPPING), from status in most cases
    int code = -1;                // L7 status code (or -1)
    std::string desc;             // the "info" HAProxy logs and shows in last_chk
};

// Options of a "connect" step (an explicit "tcp-check connect"/"http-check connect" rule,
// or the implicit first connection to the server's check address and port).
struct connect_opts {
    uint16_t port = 0;          // 0: the check's port (server "port", else the server's)
    std::string addr;           // "" : the check's address; else an IP literal
    bool send_proxy = false;    // "send-proxy" on the rule (or check-send-proxy)
    bool linger = false;        // "linger": close with RST
    bool implicit = false;      // not written in the configuration
    bool is_default = false;    // "default" (always set when implicit): the server's check
                                // settings apply (check-send-proxy, check-ssl)
    bool ssl = false;           // "ssl": TLS on this connection whatever the server's
    std::string sni, alpn;      // "sni <name>", "alpn <list>" ("" : not given)
};

// Where the engine sends, reads and connects. The runtime implements it over a ptc_conn;
// the unit tests over a scripted peer.
struct probe_io {
    virtual ~probe_io() = default;
    // Open (or reopen, for a second "connect" rule) the connection. false: could not even
    // start it (the engine then ends with SOCKERR).
    virtual bool connect(const connect_opts& o) = 0;
    virtual bool connected() const = 0;  // established
    // Queue bytes; returns how many were accepted (the rest: call again on the next step).
    virtual size_t send(std::string_view data) = 0;
    virtual bool sent_all() const = 0;   // every queued byte reached the socket
    virtual std::string_view input() const = 0; // received, not yet consumed
    virtual void consume(size_t n) = 0;
    virtual bool eof() const = 0;        // the peer closed (no more input will come)
    virtual bool input_full() const = 0; // the input buffer is full: nothing more fits
    // Connected at layer 4 but a TLS handshake is still under way (a failure or a timeout
    // now is a layer 6 one: L6RSP, L6TOUT).
    virtual bool handshaking() const { return false; }
    // HAProxy's connection error text of the last failure ("SSL handshake failure"), or
    // NULL: then only the errno describes it.
    virtual const char* error_text() const { return nullptr; }
    // The connection is TLS (a check ending on its connect then passes as L6OK).
    virtual bool is_tls() const { return false; }
};

// Per-server values a probe needs (strings valid for the probe's life).
struct probe_env {
    std::string_view server_name;   // "s1"
    std::string_view backend_name;  // "be"
    std::string_view host;          // the check's address as text, for Host-less requests
    uint16_t port = 0;              // the check's port
    std::string_view server_state;  // "http-check send-state" header value, or empty
    bool server_down = false;       // the server is (going) DOWN: "disable-on-404" then does
                                    // not turn a 404 into L7OKC
};

class check_spec;

// One run of a check spec against one connection.
class probe {
  public:
    probe(const check_spec& spec, const probe_env& env, probe_io& io);
    ~probe();
    // Advance as far as possible with what io offers (call after every connection event
    // and once to start). Returns true when the probe is finished: result() is then set.
    bool step();
    // The connection failed (errno value, e.g. ECONNREFUSED): finishes the probe (L4CON
    // while connecting; once established, what was received is evaluated as a last read,
    // and if that decides nothing, SOCKERR as HAProxy reports an I/O error).
    void fail(int err);
    // "timeout check" (or inter) expired: finishes the probe with the timeout status of
    // the stage reached (L4TOUT while connecting, L7TOUT / L6TOUT waiting for data).
    void timeout();
    bool done() const;
    const probe_result& result() const;

  private:
    struct impl;
    std::unique_ptr<impl> p_;
};

// The compiled rules of one proxy (config lifetime; several servers share it).
class check_spec {
  public:
    check_spec();
    ~check_spec();
    check_spec(const check_spec&);            // defaults -> proxy inheritance
    check_spec& operator=(const check_spec&);

    // Parse one proxy keyword into the spec. <words> are the whole line, keyword words
    // included ("option", "httpchk", "GET", "/health"; "http-check", "expect", "status",
    // "200"; "tcp-check", "send", "PING\r\n" — arguments already unquoted/unescaped by
    // the configuration lexer). Returns false with <err> set (HAProxy-like wording,
    // without file:line). Handles: option httpchk, option tcp-check, option ssl-hello-chk,
    // option mysql-check [user <u> [post-41|pre-41]], option pgsql-check user <u>,
    // option redis-check, option smtpchk [HELO|EHLO <domain>], option ldap-check,
    // http-check send|expect|connect|comment|disable-on-404|send-state, tcp-check
    // connect|send|send-lf|send-binary|send-binary-lf|expect|comment. Keywords it knows
    // but does not implement (set-var, unset-var, ssl on connect, send-lf with samples)
    // are refused with a "not supported yet" message.
    bool parse(const std::vector<std::string>& words, std::string& err);

    // Called once after the proxy's section is read: validates (an "http-check expect"
    // without "option httpchk"...) and builds the final rule list. false with <err>.
    bool finish(std::string& err);

    // Kind of check this spec runs: none configured (a plain TCP connect: L4OK), tcp-check
    // rules, http-check, or one of the protocol checks.
    enum kind_t { K_CONNECT, K_TCP, K_HTTP, K_SSL_HELLO, K_MYSQL, K_PGSQL, K_REDIS, K_SMTP,
                  K_LDAP };
    kind_t kind() const;
    // A canonical text of everything that decides what a probe does: two servers whose
    // specs have the same key (plus address, port and timings) share one probe.
    std::string key() const;
    // true if a "tcp-check connect" / "http-check connect" rule has "ssl".
    bool connect_ssl() const;
    // true if "http-check disable-on-404" is set.
    bool disable_on_404() const;
    // true if "http-check send-state" is set (the runtime fills probe_env.server_state).
    bool send_state() const;
    // Warnings of the last finish() (HAProxy-like wording, to prefix with the proxy's type
    // and name: "backend 'be' uses http-check rules without 'option httpchk', ...").
    const std::vector<std::string>& warnings() const;

  private:
    friend class probe;
    struct rules;
    std::unique_ptr<rules> r_;
};

// ---- agent checks ------------------------------------------------------------------------

// An agent's answer (one line of words separated by spaces, tabs or commas, HAProxy 2.6's
// "agent-check"): weight "75%", administrative "ready" / "drain" / "maint", operational
// "up" / "down" / "stopped" / "fail", and "#<text>" a description.
struct agent_reply {
    bool has_weight = false;
    uint32_t weight_pct = 0;   // 0..(whatever was sent), HAProxy caps the result at 256
    enum admin_t { A_NONE, A_READY, A_DRAIN, A_MAINT } admin = A_NONE;
    enum op_t { O_NONE, O_UP, O_DOWN, O_STOPPED, O_FAIL } op = O_NONE;
    std::string desc;          // the text after '#', or the words HAProxy reports
    bool valid = false;        // false: nothing usable (HAProxy: "L7RSP")
    bool has_maxconn = false;  // "maxconn:<n>"
    uint32_t maxconn = 0;
    // What HAProxy records for the check: L7OK ("up"), L7STS ("down"/"stopped"/"fail"), or
    // CHECKED (no health word); info: "via agent : down (text)", "agent reports an error :
    // <word>", "agent warns : <msg>" or "".
    hchk status = HCHK_CHECKED;
    std::string info;
};
// Parses the agent's first line (up to '\n' or EOF).
agent_reply parse_agent_reply(std::string_view line);

} // namespace chk
