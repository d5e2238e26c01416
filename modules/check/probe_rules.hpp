// SPDX-License-Identifier: MIT
// Internal to the probe engine (spec.cpp, probe.cpp): the compiled rule list of a check_spec.
#pragma once

#include "probe.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chk {

// A compiled PCRE2 pattern (shared: rules are copied from defaults to proxies).
class regex {
  public:
    // nullptr with <err> set ("regex '<p>' is invalid (...)").
    static std::shared_ptr<regex> compile(const std::string& pat, bool icase, std::string& err);
    ~regex();
    bool match(std::string_view s) const;
    regex(const regex&) = delete;
    regex& operator=(const regex&) = delete;

  private:
    regex() = default;
    void* code_ = nullptr; // pcre2_code*
};

enum class act : uint8_t { CONNECT, SEND, EXPECT, COMMENT };

enum class snd : uint8_t {
    STRING,    // bytes as configured (send, send-binary, literal send-lf)
    HTTP,      // http-check send / option httpchk
    SSL_HELLO, // option ssl-hello-chk: built at run time (carries the current time)
};

enum class ex : uint8_t {
    STRING, BINARY, RSTRING, RBINARY,             // tcp-check
    HTTP_STATUS, HTTP_RSTATUS, HTTP_BODY, HTTP_RBODY, HTTP_HDR, // http-check
    MYSQL_INIT, MYSQL_OK, LDAP_BIND,              // protocol checks' custom functions
};

// Header match methods of "http-check expect hdr|fhdr".
enum class hm : uint8_t { NONE, STR, BEG, END, SUB, REG };

// An "on-success"/"on-error" message: literal text, or (protocol checks) a piece of the
// received payload as HAProxy's "%[res.payload(off,0),ltrim(' '),cut_crlf]" gives it.
struct msg_fmt {
    enum kind_t : uint8_t { NONE, TEXT, PAYLOAD } kind = NONE;
    std::string text;
    size_t off = 0;
    bool ltrim_sp = false;
    bool cut_crlf = false;
};

struct http_req {
    bool from_opt = false;       // implicit, from "option httpchk"
    std::string meth;            // "" : OPTIONS
    bool has_uri = false, has_ver = false, has_body = false;
    std::string uri, ver, body;
    std::vector<std::pair<std::string, std::string>> hdrs;
};

struct expect_t {
    ex type = ex::STRING;
    bool inverse = false;
    long min_recv = -1;
    hchk ok_st = HCHK_UNKNOWN, err_st = HCHK_UNKNOWN, tout_st = HCHK_UNKNOWN;
    std::string data;                   // string/binary pattern bytes, or regex source
    std::shared_ptr<regex> re;          // rstring/rbinary/rstatus/body regex
    std::vector<std::pair<unsigned, unsigned>> codes; // status ranges
    // hdr / fhdr
    bool full = false;
    hm nmatch = hm::STR, vmatch = hm::NONE;
    std::string npat, vpat;
    std::shared_ptr<regex> nre, vre;
    msg_fmt on_success, on_error;
    bool code_from_payload = false;     // smtp: "status-code res.payload(0,3)"
    size_t head = 0;                    // first rule to re-evaluate when waiting for data
};

struct rule {
    act a = act::COMMENT;
    int index = 0;              // HAProxy's rule index (step ids in messages)
    std::string comment;
    bool has_comment = false;
    // connect
    connect_opts conn;
    // send
    snd stype = snd::STRING;
    std::string data;
    http_req http;
    // expect
    expect_t exp;
};

struct check_spec::rules {
    kind_t kind = K_CONNECT;
    // Rule lists as HAProxy keeps them: a proxy's own list (started by its first rule),
    // else the one it inherits from its defaults section.
    std::vector<rule> http_own, http_inh;
    bool http_own_set = false;
    std::vector<rule> tcp_own, tcp_inh;
    bool tcp_own_set = false;
    bool disable404 = false, send_state = false;
    // protocol check parameters
    std::string mysql_user;
    bool mysql_pre41 = false;
    std::string pgsql_user;
    std::string smtp_cmd = "HELO localhost";
    // built by finish()
    std::vector<rule> final;
    bool finished = false;
    std::vector<std::string> warnings;
};

// Helpers shared by spec.cpp and probe.cpp.
bool parse_hex(std::string_view src, std::string& out, std::string& err);
std::string build_http_request(const http_req& r, const probe_env& env, bool send_state);
std::string build_ssl_hello(uint32_t now);

} // namespace chk
