// SPDX-License-Identifier: MIT
// The check module's probe engine: parsing of the proxy keywords into rule lists
// (HAProxy 2.6's "option httpchk", "http-check", "option tcp-check", "tcp-check" and the
// protocol check options), and the final rule list of a proxy.
#include "probe_rules.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <arpa/inet.h>
#include <strings.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace chk {

// ---- statuses ------------------------------------------------------------------------------

namespace {
struct status_info {
    const char* name;
    const char* desc;
};
const status_info k_status[HCHK_SIZE] = {
    {"UNK", "Unknown"},
    {"INI", "Initializing"},
    {"START", ""},
    {"CHECKED", "No status change"},
    {"HANA", "Health analyze"},
    {"SOCKERR", "Socket error"},
    {"L4OK", "Layer4 check passed"},
    {"L4TOUT", "Layer4 timeout"},
    {"L4CON", "Layer4 connection problem"},
    {"L6OK", "Layer6 check passed"},
    {"L6TOUT", "Layer6 timeout"},
    {"L6RSP", "Layer6 invalid response"},
    {"L7TOUT", "Layer7 timeout"},
    {"L7RSP", "Layer7 invalid response"},
    {"", ""},
    {"L7OK", "Layer7 check passed"},
    {"L7OKC", "Layer7 check conditionally passed"},
    {"L7STS", "Layer7 wrong status"},
    {"PROCERR", "External check error"},
    {"PROCTOUT", "External check timeout"},
    {"PROCOK", "External check passed"},
};
} // namespace

const char* hchk_name(hchk s)
{
    return s < HCHK_SIZE ? k_status[s].name : "UNK";
}

const char* hchk_desc(hchk s)
{
    return s < HCHK_SIZE ? k_status[s].desc : "Unknown";
}

// ---- regex ---------------------------------------------------------------------------------

std::shared_ptr<regex> regex::compile(const std::string& pat, bool icase, std::string& err)
{
    int ec = 0;
    PCRE2_SIZE off = 0;
    pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pat.data()), pat.size(),
                                  icase ? PCRE2_CASELESS : 0, &ec, &off, nullptr);
    if (!c) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        err = "regex '" + pat + "' is invalid (error=" + reinterpret_cast<char*>(buf) +
              ", erroffset=" + std::to_string(off) + ")";
        return nullptr;
    }
    std::shared_ptr<regex> r(new regex());
    r->code_ = c;
    return r;
}

regex::~regex()
{
    pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool regex::match(std::string_view s) const
{
    auto* c = static_cast<pcre2_code*>(code_);
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(c, nullptr);
    if (!md)
        return false;
    pcre2_match_context* mc = pcre2_match_context_create(nullptr);
    if (mc) {
        pcre2_set_match_limit(mc, 1000000); // never spin on a pathological input
        pcre2_set_depth_limit(mc, 10000);
    }
    int rc = pcre2_match(c, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, mc);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    return rc >= 0;
}

// ---- helpers -------------------------------------------------------------------------------

bool parse_hex(std::string_view src, std::string& out, std::string& err)
{
    if (src.size() % 2) {
        err = "an even number of hex digit is expected";
        return false;
    }
    out.clear();
    auto hv = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < src.size(); i += 2) {
        int h = hv(src[i]), l = hv(src[i + 1]);
        if (h < 0 || l < 0) {
            err = std::string("an hex digit is expected (found '") + (h < 0 ? src[i] : src[i + 1]) +
                  "')";
            return false;
        }
        out.push_back(static_cast<char>(h << 4 | l));
    }
    return true;
}

namespace {

using words_t = std::vector<std::string>;

// The word at <i>, or "" past the end (HAProxy's args[] end with empty strings).
const std::string& arg(const words_t& w, size_t i)
{
    static const std::string empty;
    return i < w.size() ? w[i] : empty;
}

bool has_lf_var(const std::string& s)
{
    return s.find('%') != std::string::npos;
}

std::string not_yet(const std::string& what)
{
    return what + " is not supported yet";
}

// Default-connect rule of the protocol checks ("tcp-check connect default linger").
rule connect_rule(int index, bool linger)
{
    rule r;
    r.a = act::CONNECT;
    r.index = index;
    r.conn.is_default = true;
    r.conn.linger = linger;
    return r;
}

rule send_rule(int index, std::string data)
{
    rule r;
    r.a = act::SEND;
    r.index = index;
    r.stype = snd::STRING;
    r.data = std::move(data);
    return r;
}

rule expect_rule(int index, ex type, std::string pat, long min_recv)
{
    rule r;
    r.a = act::EXPECT;
    r.index = index;
    r.exp.type = type;
    r.exp.min_recv = min_recv;
    std::string err;
    if (type == ex::RSTRING || type == ex::RBINARY)
        r.exp.re = regex::compile(pat, false, err);
    r.exp.data = std::move(pat);
    return r;
}

msg_fmt text_msg(std::string t)
{
    msg_fmt m;
    m.kind = msg_fmt::TEXT;
    m.text = std::move(t);
    return m;
}

msg_fmt payload_msg(size_t off, bool ltrim)
{
    msg_fmt m;
    m.kind = msg_fmt::PAYLOAD;
    m.off = off;
    m.ltrim_sp = ltrim;
    m.cut_crlf = true;
    return m;
}

// A literal message for on-success / on-error (log-format variables are refused).
bool parse_msg(const std::string& kw, const std::string& v, msg_fmt& m, std::string& err)
{
    if (has_lf_var(v)) {
        err = not_yet("'" + kw + "' with a log-format expression");
        return false;
    }
    m = text_msg(v);
    return true;
}

bool parse_port(const std::string& s, long& port)
{
    if (s.empty() || s.size() > 5)
        return false;
    for (char c : s)
        if (!isdigit(static_cast<unsigned char>(c)))
            return false;
    port = atol(s.c_str());
    return true;
}

bool is_ip(const std::string& s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "addr" of a connect rule: an IP literal, optionally with ":port" ("[v6]:port" too).
bool parse_addr(const std::string& s, std::string& addr, long& port, std::string& err)
{
    port = 0;
    if (is_ip(s)) {
        addr = s;
        return true;
    }
    if (s.size() > 2 && s.front() == '[') {
        size_t e = s.find(']');
        if (e != std::string::npos && is_ip(s.substr(1, e - 1))) {
            addr = s.substr(1, e - 1);
            if (e + 1 == s.size())
                return true;
            if (s[e + 1] == ':' && parse_port(s.substr(e + 2), port) && port >= 1 && port <= 65535)
                return true;
        }
    }
    size_t c = s.rfind(':');
    if (c != std::string::npos && c > 0 && is_ip(s.substr(0, c)) &&
        parse_port(s.substr(c + 1), port) && port >= 1 && port <= 65535) {
        addr = s.substr(0, c);
        return true;
    }
    err = "'addr' : " + not_yet("an address other than an IP literal ('" + s + "')");
    return false;
}

int next_index(const std::vector<rule>& list)
{
    return list.empty() ? 0 : list.back().index + 1;
}

// ---- rule parsers (the words from "connect"/"send"/"expect"/"comment" on) -----------------

bool parse_connect(const words_t& w, size_t i, const std::vector<rule>& list, rule& r,
                   std::string& err)
{
    for (const rule& p : list) {
        if (p.a == act::CONNECT)
            break;
        if (p.a == act::COMMENT || (p.a == act::SEND && p.http.from_opt))
            continue;
        err = "first step MUST also be a 'connect', optionally preceded by a 'set-var', an "
              "'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check "
              "ruleset";
        return false;
    }
    r.a = act::CONNECT;
    long port = 0, addr_port = 0;
    for (i++; i < w.size(); i++) {
        const std::string& k = w[i];
        if (k == "default")
            r.conn.is_default = true;
        else if (k == "addr") {
            if (arg(w, i + 1).empty()) {
                err = "'addr' expects <ipv4|ipv6> as argument.";
                return false;
            }
            if (!parse_addr(w[i + 1], r.conn.addr, addr_port, err))
                return false;
            i++;
        }
        else if (k == "port") {
            if (arg(w, i + 1).empty()) {
                err = "'port' expects a port number or a sample expression as argument.";
                return false;
            }
            i++;
            if (!parse_port(w[i], port)) {
                bool digits = !w[i].empty() && isdigit(static_cast<unsigned char>(w[i][0]));
                if (digits && w[i].find_first_not_of("0123456789") == std::string::npos) {
                    err = "expects a valid TCP port (from range 1 to 65535) or a sample "
                          "expression, got " + w[i] + ".";
                    return false;
                }
                err = "'port' : " + not_yet("a sample expression ('" + w[i] + "')");
                return false;
            }
            if (port < 1 || port > 65535) {
                err = "expects a valid TCP port (from range 1 to 65535) or a sample expression, "
                      "got " + w[i] + ".";
                return false;
            }
        }
        else if (k == "comment") {
            if (arg(w, i + 1).empty()) {
                err = "'comment' expects a string as argument.";
                return false;
            }
            r.comment = w[++i];
            r.has_comment = true;
        }
        else if (k == "send-proxy")
            r.conn.send_proxy = true;
        else if (k == "linger")
            r.conn.linger = true;
        else if (k == "ssl")
            r.conn.ssl = true;
        else if (k == "sni" || k == "alpn") {
            if (arg(w, i + 1).empty()) {
                err = "'" + k + "' expects a string as argument.";
                return false;
            }
            (k == "sni" ? r.conn.sni : r.conn.alpn) = w[++i];
        }
        else if (k == "via-socks4" || k == "proto") {
            err = "'" + k + "' : " + not_yet("'" + k + "'");
            return false;
        }
        else {
            err = "expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or "
                  "'via-socks4', 'linger', 'default' but got '" + k + "' as argument.";
            return false;
        }
    }
    r.conn.port = static_cast<uint16_t>(port ? port : addr_port);
    return true;
}

bool parse_send(const words_t& w, size_t i, rule& r, std::string& err)
{
    const std::string& kw = w[i];
    bool binary = kw == "send-binary" || kw == "send-binary-lf";
    bool lf = kw == "send-lf" || kw == "send-binary-lf";
    if (arg(w, i + 1).empty()) {
        err = "'" + kw + "' expects a " + (binary ? "binary string" : "string") + " as argument";
        return false;
    }
    const std::string& data = w[i + 1];
    for (i += 2; i < w.size(); i++) {
        if (w[i] == "comment") {
            if (arg(w, i + 1).empty()) {
                err = "'comment' expects a string as argument.";
                return false;
            }
            r.comment = w[++i];
            r.has_comment = true;
        }
        else {
            err = "expects 'comment' but got '" + w[i] + "' as argument.";
            return false;
        }
    }
    if (lf && has_lf_var(data)) {
        err = "'" + kw + "' : " + not_yet("a log-format expression");
        return false;
    }
    r.a = act::SEND;
    r.stype = snd::STRING;
    if (binary) {
        std::string e;
        if (!parse_hex(data, r.data, e)) {
            err = "'" + data + "' invalid binary string (" + e + ").";
            return false;
        }
    }
    else
        r.data = data;
    return true;
}

bool parse_send_http(const words_t& w, size_t i, rule& r, std::string& err)
{
    http_req& h = r.http;
    bool host_seen = false;
    std::string host_val;
    for (i++; i < w.size(); i++) {
        const std::string& k = w[i];
        if (k == "meth" || k == "uri" || k == "uri-lf" || k == "ver" || k == "body" ||
            k == "body-lf" || k == "comment") {
            if (arg(w, i + 1).empty()) {
                err = "'" + k + "' expects a string as argument.";
                return false;
            }
            const std::string& v = w[++i];
            if ((k == "uri-lf" || k == "body-lf") && has_lf_var(v)) {
                err = "'" + k + "' : " + not_yet("a log-format expression");
                return false;
            }
            if (k == "meth")
                h.meth = v;
            else if (k == "uri" || k == "uri-lf") {
                h.uri = v;
                h.has_uri = true;
            }
            else if (k == "ver") {
                h.ver = v;
                h.has_ver = true;
            }
            else if (k == "body" || k == "body-lf") {
                h.body = v;
                h.has_body = true;
            }
            else {
                r.comment = v;
                r.has_comment = true;
            }
        }
        else if (k == "hdr") {
            if (arg(w, i + 1).empty() || arg(w, i + 2).empty()) {
                err = "'hdr' expects <name> and <value> as arguments";
                return false;
            }
            const std::string& n = w[i + 1];
            const std::string& v = w[i + 2];
            i += 2;
            if (strcasecmp(n.c_str(), "host") == 0) {
                if (host_seen) {
                    err = "'" + n + "' header already defined (previous value is '" + host_val +
                          "')";
                    return false;
                }
                host_seen = true;
                host_val = v;
            }
            else if (strcasecmp(n.c_str(), "content-length") == 0 ||
                     strcasecmp(n.c_str(), "transfer-encoding") == 0)
                continue;
            if (has_lf_var(v)) {
                err = "'hdr' : " + not_yet("a log-format expression in a header value");
                return false;
            }
            h.hdrs.emplace_back(n, v);
        }
        else {
            err = "expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' "
                  "but got '" + k + "' as argument.";
            return false;
        }
    }
    r.a = act::SEND;
    r.stype = snd::HTTP;
    return true;
}

bool parse_status(const std::string& kw, const std::string& v, hchk& st, std::string& err)
{
    struct m {
        const char* n;
        hchk s;
    };
    static const m ok[] = {{"L7OK", HCHK_L7OKD}, {"L7OKC", HCHK_L7OKCD}, {"L6OK", HCHK_L6OK},
                           {"L4OK", HCHK_L4OK}};
    static const m er[] = {{"L7RSP", HCHK_L7RSP}, {"L7STS", HCHK_L7STSERR},
                           {"L7OKC", HCHK_L7OKCD}, {"L6RSP", HCHK_L6RSP}, {"L4CON", HCHK_L4CON}};
    static const m to[] = {{"L7TOUT", HCHK_L7TOUT}, {"L6TOUT", HCHK_L6TOUT},
                           {"L4TOUT", HCHK_L4TOUT}};
    const m* b;
    size_t n;
    const char* list;
    if (kw == "ok-status") {
        b = ok, n = 4, list = "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'";
    }
    else if (kw == "error-status") {
        b = er, n = 5, list = "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'";
    }
    else {
        b = to, n = 3, list = "'L4TOUT', 'L6TOUT' or 'L7TOUT'";
    }
    for (size_t k = 0; k < n; k++)
        if (strcasecmp(v.c_str(), b[k].n) == 0) {
            st = b[k].s;
            return true;
        }
    err = "'" + kw + "' only supports " + list + " status (got '" + v + "').";
    return false;
}

bool parse_codes(const std::string& pat, expect_t& e, std::string& err)
{
    const char* p = pat.c_str();
    const char* end = p + pat.size();
    auto read_uint = [&]() {
        unsigned long v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v > UINT_MAX)
                v = UINT_MAX;
            p++;
        }
        return static_cast<unsigned>(v);
    };
    while (true) {
        unsigned c1 = read_uint(), c2 = c1;
        if (p < end && *p == '-') {
            p++;
            c2 = read_uint();
        }
        if (c1 > c2) {
            err = "invalid range of status codes '" + pat + "'";
            return false;
        }
        e.codes.emplace_back(c1, c2);
        if (p == end)
            return true;
        if (*p != ',') {
            err = std::string("invalid character '") + *p + "' in the list of status codes";
            return false;
        }
        p++;
    }
}

bool parse_hmatch(const std::string& kw, const std::string& m, hm& out, std::string& err)
{
    if (m == "str")
        out = hm::STR;
    else if (m == "beg")
        out = hm::BEG;
    else if (m == "end")
        out = hm::END;
    else if (m == "sub")
        out = hm::SUB;
    else if (m == "reg")
        out = hm::REG;
    else {
        err = "'" + kw + "' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '" + m +
              "')";
        return false;
    }
    return true;
}

bool parse_expect(const words_t& w_in, size_t i, bool http, const std::vector<rule>& /*list*/,
                  rule& r, std::string& err)
{
    words_t w = w_in; // '!' prefixes are stripped in place
    expect_t& e = r.exp;
    bool have_type = false;
    std::string pattern;
    if (arg(w, i + 1).empty()) {
        err = "expects at least a matching pattern as arguments";
        return false;
    }
    auto bad_kw = [&](const std::string& k) {
        if (http)
            err = "'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', "
                  "'[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '" + k +
                  "' as argument.";
        else
            err = "'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', "
                  "'[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '" + k +
                  "' as argument.";
        return false;
    };
    auto one_pattern = [&]() {
        if (have_type) {
            err = "only on pattern expected";
            return false;
        }
        have_type = true;
        return true;
    };
    for (i++; i < w.size(); i++) {
        bool in_pattern = false;
    rescan:
        if (i >= w.size())
            break;
        std::string k = w[i];
        if (!k.empty() && k[0] == '!') {
            in_pattern = true;
            size_t n = 0;
            while (n < k.size() && k[n] == '!') {
                e.inverse = !e.inverse;
                n++;
            }
            w[i] = k.substr(n);
            if (w[i].empty())
                i++;
            goto rescan;
        }
        bool opt_kw = k == "min-recv" || k == "comment" || k == "on-success" ||
                      k == "on-error" || k == "ok-status" || k == "error-status" ||
                      k == "tout-status" || k == "status-code" || k == "custom";
        if (opt_kw && in_pattern) {
            err = "[!] not supported with '" + k + "'";
            return false;
        }
        if (k == "min-recv") {
            if (arg(w, i + 1).empty()) {
                err = "'min-recv' expects a integer as argument";
                return false;
            }
            long v = atol(w[++i].c_str());
            if (v < -1 || v > INT_MAX) {
                err = "'min-recv' expects -1 or an integer from 0 to INT_MAX";
                return false;
            }
            e.min_recv = v;
        }
        else if (k == "string" || k == "rstring" || k == "binary" || k == "rbinary" ||
                 k == "status" || k == "rstatus") {
            bool bin = k == "binary" || k == "rbinary";
            bool st = k == "status" || k == "rstatus";
            if (bin && http)
                return bad_kw(k);
            if (st && !http)
                return bad_kw(k);
            if (!one_pattern())
                return false;
            if (arg(w, i + 1).empty()) {
                err = "'" + k + "' expects a <pattern> as argument";
                return false;
            }
            pattern = w[++i];
            if (k == "string")
                e.type = http ? ex::HTTP_BODY : ex::STRING;
            else if (k == "rstring")
                e.type = http ? ex::HTTP_RBODY : ex::RSTRING;
            else if (k == "binary")
                e.type = ex::BINARY;
            else if (k == "rbinary")
                e.type = ex::RBINARY;
            else if (k == "status")
                e.type = ex::HTTP_STATUS;
            else
                e.type = ex::HTTP_RSTATUS;
        }
        else if (k == "string-lf" || k == "binary-lf") {
            if (http && k == "binary-lf")
                return bad_kw(k);
            err = "'" + k + "' : " + not_yet("'" + k + "'");
            return false;
        }
        else if (k == "custom") {
            err = "'custom' : " + not_yet("'custom'");
            return false;
        }
        else if (k == "hdr" || k == "fhdr") {
            if (!http)
                return bad_kw(k);
            if (!one_pattern())
                return false;
            e.type = ex::HTTP_HDR;
            e.full = k == "fhdr";
            const std::string& a1 = arg(w, i + 1);
            if (a1.empty() || arg(w, i + 2).empty() || (a1 != "name" && a1 != "name-lf")) {
                err = "'" + k + "' expects at the name keyword as first argument followed by a "
                      "pattern";
                return false;
            }
            if (a1 == "name-lf") {
                err = "'" + k + "' : " + not_yet("'name-lf'");
                return false;
            }
            i += 2;
            e.nmatch = hm::STR;
            if (w[i] == "-m") {
                if (arg(w, i + 1).empty()) {
                    err = "'" + k + "' : '-m' expects at a matching pattern ('str', 'beg', "
                          "'end', 'sub' or 'reg')";
                    return false;
                }
                if (!parse_hmatch(k, w[i + 1], e.nmatch, err))
                    return false;
                i += 2;
            }
            e.npat = arg(w, i);
            const std::string& v1 = arg(w, i + 1);
            if (v1.empty() || (v1 != "value" && v1 != "value-lf")) {
                e.vmatch = hm::NONE;
                continue;
            }
            if (v1 == "value-lf") {
                err = "'" + k + "' : " + not_yet("'value-lf'");
                return false;
            }
            e.vmatch = hm::STR;
            if (arg(w, i + 2) == "-m") {
                i += 2;
                if (arg(w, i + 1).empty()) {
                    err = "'" + k + "' : '-m' expects at a matching pattern ('str', 'beg', "
                          "'end', 'sub' or 'reg')";
                    return false;
                }
                if (!parse_hmatch(k, w[i + 1], e.vmatch, err))
                    return false;
            }
            if (arg(w, i + 2).empty()) {
                err = "'" + k + "' expect a pattern with the value keyword";
                return false;
            }
            e.vpat = w[i + 2];
            i += 2;
        }
        else if (k == "comment" || k == "on-success" || k == "on-error" || k == "ok-status" ||
                 k == "error-status" || k == "tout-status" || k == "status-code") {
            if (arg(w, i + 1).empty()) {
                err = "'" + k + "' expects " +
                      (k == "status-code" ? "an expression" : "a string") + " as argument";
                return false;
            }
            const std::string& v = w[++i];
            if (k == "comment") {
                r.comment = v;
                r.has_comment = true;
            }
            else if (k == "on-success") {
                if (!parse_msg(k, v, e.on_success, err))
                    return false;
            }
            else if (k == "on-error") {
                if (!parse_msg(k, v, e.on_error, err))
                    return false;
            }
            else if (k == "ok-status") {
                if (!parse_status(k, v, e.ok_st, err))
                    return false;
            }
            else if (k == "error-status") {
                if (!parse_status(k, v, e.err_st, err))
                    return false;
            }
            else if (k == "tout-status") {
                if (!parse_status(k, v, e.tout_st, err))
                    return false;
            }
            else {
                err = "'status-code' : " + not_yet("'status-code'");
                return false;
            }
        }
        else
            return bad_kw(k);
    }
    if (!have_type) {
        err = "pattern not found";
        return false;
    }
    r.a = act::EXPECT;
    switch (e.type) {
    case ex::HTTP_STATUS:
        if (!parse_codes(pattern, e, err))
            return false;
        break;
    case ex::STRING:
    case ex::HTTP_BODY:
        e.data = pattern;
        break;
    case ex::BINARY: {
        std::string he;
        if (!parse_hex(pattern, e.data, he)) {
            err = "invalid binary string (" + he + ")";
            return false;
        }
        break;
    }
    case ex::RSTRING:
    case ex::RBINARY:
    case ex::HTTP_RSTATUS:
    case ex::HTTP_RBODY:
        e.data = pattern;
        e.re = regex::compile(pattern, false, err);
        if (!e.re)
            return false;
        break;
    case ex::HTTP_HDR:
        if (e.nmatch == hm::REG) {
            e.nre = regex::compile(e.npat, true, err);
            if (!e.nre)
                return false;
        }
        if (e.vmatch == hm::REG) {
            e.vre = regex::compile(e.vpat, false, err);
            if (!e.vre)
                return false;
        }
        break;
    default:
        break;
    }
    return true;
}

// The first inverted expect of the chain of expects ending at list.back(), or itself:
// where HAProxy resumes when an expect waits for more data.
void set_heads(std::vector<rule>& list)
{
    for (size_t k = 0; k < list.size(); k++) {
        if (list[k].a != act::EXPECT)
            continue;
        size_t head = k;
        for (size_t j = k; j-- > 0;) {
            if (list[j].a == act::EXPECT) {
                if (list[j].exp.inverse)
                    head = j;
                continue;
            }
            if (list[j].a != act::COMMENT)
                break;
        }
        list[k].exp.head = head;
    }
}

const rule* first_rule(const std::vector<rule>& l, size_t* pos = nullptr)
{
    for (size_t k = 0; k < l.size(); k++)
        if (l[k].a != act::COMMENT) {
            if (pos)
                *pos = k;
            return &l[k];
        }
    return nullptr;
}

const rule* last_rule(const std::vector<rule>& l)
{
    for (size_t k = l.size(); k-- > 0;)
        if (l[k].a != act::COMMENT)
            return &l[k];
    return nullptr;
}

void overwrite_send(http_req& old, http_req& nw)
{
    if (!nw.meth.empty())
        old.meth = nw.meth;
    if (nw.has_uri) {
        old.uri = nw.uri;
        old.has_uri = true;
    }
    if (nw.has_ver) {
        old.ver = nw.ver;
        old.has_ver = true;
    }
    old.hdrs = nw.hdrs;
    if (nw.has_body) {
        old.body = nw.body;
        old.has_body = true;
    }
}

// HAProxy's tcpcheck_add_http_rule(): adds <chk> to an active http-check rule list.
bool add_http_rule(rule chk, std::vector<rule>& list, std::string& err)
{
    if (chk.a == act::SEND && chk.http.from_opt) {
        size_t pos = 0;
        const rule* r = first_rule(list, &pos);
        if (r && r->a == act::CONNECT) {
            r = nullptr;
            for (size_t k = pos + 1; k < list.size(); k++)
                if (list[k].a != act::COMMENT) {
                    r = &list[k];
                    pos = k;
                    break;
                }
        }
        if (!r || r->a != act::SEND)
            list.insert(list.begin(), std::move(chk));
        else if (r->http.from_opt) {
            list.erase(list.begin() + static_cast<long>(pos));
            list.insert(list.begin(), std::move(chk));
        }
        else
            overwrite_send(list[pos].http, chk.http);
        return true;
    }
    const rule* r = last_rule(list);
    const char* what = chk.a == act::SEND ? "send" : chk.a == act::EXPECT ? "expect" : "connect";
    std::string step = std::to_string(chk.index + 1);
    if (!r || (r->a == act::SEND && r->http.from_opt)) {
    }
    else if (r->a != act::CONNECT && chk.a == act::SEND) {
        err = std::string("unable to add http-check ") + what + " rule at step " + step +
              " (missing connect rule).";
        return false;
    }
    else if (r->a != act::SEND && r->a != act::EXPECT && chk.a == act::EXPECT) {
        err = std::string("unable to add http-check ") + what + " rule at step " + step +
              " (missing send rule).";
        return false;
    }
    else if (r->a != act::EXPECT && chk.a == act::CONNECT) {
        err = std::string("unable to add http-check ") + what + " rule at step " + step +
              " (missing expect rule).";
        return false;
    }
    if (chk.a == act::SEND) {
        size_t pos = 0;
        const rule* f = first_rule(list, &pos);
        if (f && f->a == act::SEND && f->http.from_opt) {
            rule merged = list[pos];
            overwrite_send(merged.http, chk.http);
            merged.http.from_opt = false;
            merged.comment = chk.comment;
            merged.has_comment = chk.has_comment;
            list.erase(list.begin() + static_cast<long>(pos));
            chk = std::move(merged);
        }
    }
    list.push_back(std::move(chk));
    return true;
}

// "option httpchk [<method>] [<uri>] [<version>]" -> the implicit send rule.
bool parse_httpchk_req(const words_t& w, rule& r, std::string& err)
{
    r.a = act::SEND;
    r.stype = snd::HTTP;
    r.http.from_opt = true;
    std::string a0 = arg(w, 2), a1 = arg(w, 3), a2 = arg(w, 4);
    std::string hdrs, body;
    bool has_hdrs = false, has_body = false;
    if (!a2.empty()) {
        size_t h = a2.find("\r\n");
        size_t b = a2.find("\r\n\r\n");
        if (b != std::string::npos) {
            body = a2.substr(b + 4);
            has_body = true;
        }
        if (h != std::string::npos && h != b) {
            hdrs = a2.substr(h + 2, (b == std::string::npos ? a2.size() : b) - h - 2);
            has_hdrs = true;
        }
        if (h != std::string::npos)
            a2.resize(h);
    }
    if (!a0.empty()) {
        if (a1.empty())
            r.http.uri = a0, r.http.has_uri = true;
        else
            r.http.meth = a0;
    }
    if (!a1.empty())
        r.http.uri = a1, r.http.has_uri = true;
    if (!arg(w, 4).empty())
        r.http.ver = a2, r.http.has_ver = true;
    if (has_hdrs) {
        // "Name: value" lines separated by CRLF (or LF).
        size_t p = 0;
        while (p <= hdrs.size()) {
            size_t e = hdrs.find('\n', p);
            std::string line = hdrs.substr(p, e == std::string::npos ? std::string::npos : e - p);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (!line.empty()) {
                size_t c = line.find(':');
                bool ok = c != std::string::npos && c > 0;
                for (size_t k = 0; ok && k < c; k++) {
                    unsigned char ch = static_cast<unsigned char>(line[k]);
                    if (ch <= 32 || ch >= 127 || strchr("()<>@,;:\\\"/[]?={}", ch))
                        ok = false;
                }
                if (!ok) {
                    err = "unable to parse the request '" + hdrs + "\r\n\r\n'.";
                    return false;
                }
                std::string v = line.substr(c + 1);
                size_t s = v.find_first_not_of(" \t");
                v = s == std::string::npos ? "" : v.substr(s);
                while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
                    v.pop_back();
                if (has_lf_var(v)) {
                    err = not_yet("a log-format expression in a header value");
                    return false;
                }
                r.http.hdrs.emplace_back(line.substr(0, c), v);
            }
            if (e == std::string::npos)
                break;
            p = e + 1;
        }
    }
    if (has_body)
        r.http.body = body, r.http.has_body = true;
    return true;
}

bool too_many(const words_t& w, size_t max_args, std::string& err)
{
    // "option <name>" takes at most <max_args> more words.
    if (w.size() > 2 + max_args) {
        err = "'" + w[0] + " " + w[1] + "' cannot handle unexpected argument '" + w[2 + max_args] +
              "'.";
        return true;
    }
    return false;
}

std::string with_dot(const std::string& e)
{
    return !e.empty() && e.back() == '.' ? e : e + ".";
}

void put(std::string& k, std::string_view s)
{
    k += std::to_string(s.size());
    k += ':';
    k += s;
    k += ';';
}

} // namespace

// ---- check_spec ----------------------------------------------------------------------------

check_spec::check_spec() : r_(std::make_unique<rules>()) {}
check_spec::~check_spec() = default;

check_spec::check_spec(const check_spec& o) : r_(std::make_unique<rules>(*o.r_))
{
    // A proxy inherits the lists its defaults section uses; its own rules start empty.
    rules& r = *r_;
    r.http_inh = o.r_->http_own_set ? o.r_->http_own : o.r_->http_inh;
    r.tcp_inh = o.r_->tcp_own_set ? o.r_->tcp_own : o.r_->tcp_inh;
    r.http_own.clear();
    r.tcp_own.clear();
    r.http_own_set = r.tcp_own_set = false;
    r.final.clear();
    r.finished = false;
    r.warnings.clear();
}

check_spec& check_spec::operator=(const check_spec& o)
{
    if (this != &o) {
        check_spec tmp(o);
        r_ = std::move(tmp.r_);
    }
    return *this;
}

// "http-check comment <text>" / "tcp-check comment <text>".
bool parse_comment(const std::vector<std::string>& w, rule& r, std::string& err)
{
    if (arg(w, 2).empty()) {
        err = "expects a string as argument";
        return false;
    }
    if (w.size() > 3) {
        err = "cannot handle unexpected argument '" + w[3] + "'";
        return false;
    }
    r.a = act::COMMENT;
    r.comment = arg(w, 2);
    r.has_comment = true;
    return true;
}

// set-var / unset-var, refused as not supported yet by both rule sets.
bool is_var_action(const std::string& s)
{
    return s == "set-var" || s.rfind("set-var(", 0) == 0 || s == "unset-var" ||
           s.rfind("unset-var(", 0) == 0;
}

bool check_spec::parse(const std::vector<std::string>& w, std::string& err)
{
    rules& R = *r_;
    err.clear();
    if (w.empty())
        return false;
    R.finished = false;
    const std::string& k0 = w[0];
    if (k0 == "option") {
        const std::string& o = arg(w, 1);
        if (o == "httpchk") {
            if (too_many(w, 3, err))
                return false;
            rule s;
            if (!parse_httpchk_req(w, s, err)) {
                err = "'option httpchk' : " + err;
                return false;
            }
            if (!R.http_own_set) {
                R.http_own.clear();
                R.http_own_set = true;
            }
            R.kind = K_HTTP;
            s.index = 0;
            if (!add_http_rule(std::move(s), R.http_own, err)) {
                err = "'option httpchk' : " + err;
                return false;
            }
            return true;
        }
        if (o == "tcp-check") {
            if (too_many(w, 0, err))
                return false;
            R.kind = K_TCP;
            return true;
        }
        if (o == "ssl-hello-chk" || o == "redis-check" || o == "ldap-check") {
            if (too_many(w, 0, err))
                return false;
            R.kind = o == "ssl-hello-chk" ? K_SSL_HELLO : o == "redis-check" ? K_REDIS : K_LDAP;
            return true;
        }
        if (o == "smtpchk") {
            if (too_many(w, 2, err))
                return false;
            const std::string &a = arg(w, 2), &b = arg(w, 3);
            if (!a.empty() && !b.empty() && (a == "EHLO" || a == "HELO"))
                R.smtp_cmd = a + " " + b;
            else
                R.smtp_cmd = "HELO localhost";
            R.kind = K_SMTP;
            return true;
        }
        if (o == "pgsql-check") {
            if (too_many(w, 2, err))
                return false;
            if (arg(w, 2).empty() || arg(w, 3).empty()) {
                err = "'option pgsql-check' expects 'user <username>' as argument.";
                return false;
            }
            if (w[2] != "user") {
                err = "'option pgsql-check' only supports optional values: 'user'.";
                return false;
            }
            R.pgsql_user = w[3];
            R.kind = K_PGSQL;
            return true;
        }
        if (o == "mysql-check") {
            if (too_many(w, 3, err))
                return false;
            R.mysql_user.clear();
            R.mysql_pre41 = false;
            if (!arg(w, 2).empty()) {
                if (w[2] != "user") {
                    err = "'option mysql-check' only supports optional values: 'user' (got '" +
                          w[2] + "').";
                    return false;
                }
                if (arg(w, 3).empty()) {
                    err = "'option mysql-check user' expects <username> as argument.";
                    return false;
                }
                const std::string& v = arg(w, 4);
                if (!v.empty() && v != "post-41" && v != "pre-41") {
                    err = "keyword 'user' only supports 'post-41' and 'pre-41' (got '" + v + "').";
                    return false;
                }
                R.mysql_user = w[3];
                R.mysql_pre41 = v == "pre-41";
            }
            R.kind = K_MYSQL;
            return true;
        }
        err = "unknown check option '" + o + "'";
        return false;
    }

    if (k0 == "http-check") {
        const std::string& s = arg(w, 1);
        if (s == "disable-on-404" || s == "send-state") {
            if (w.size() > 2) {
                err = "'http-check " + s + "' cannot handle unexpected argument '" + w[2] + "'.";
                return false;
            }
            (s == "disable-on-404" ? R.disable404 : R.send_state) = true;
            return true;
        }
        if (!R.http_own_set) {
            R.http_own.clear();
            R.http_own_set = true;
        }
        std::vector<rule>& list = R.http_own;
        int index = 0;
        if (!list.empty() && !(list.back().a == act::SEND && list.back().http.from_opt))
            index = list.back().index + 1;
        rule r;
        bool ok;
        if (s == "connect")
            ok = parse_connect(w, 1, list, r, err);
        else if (s == "send")
            ok = parse_send_http(w, 1, r, err);
        else if (s == "expect")
            ok = parse_expect(w, 1, true, list, r, err);
        else if (s == "comment")
            ok = parse_comment(w, r, err);
        else if (is_var_action(s)) {
            err = "'http-check " + s + "' is not supported yet";
            return false;
        }
        else {
            err = "'http-check' only supports 'disable-on-404', 'send-state', 'comment', "
                  "'connect', 'send', 'expect'. but got '" + s + "'";
            return false;
        }
        if (!ok) {
            err = "'http-check " + s + "' : " + with_dot(err);
            return false;
        }
        r.index = index;
        if (R.kind == K_HTTP) {
            if (!add_http_rule(std::move(r), list, err)) {
                err = "'http-check " + s + "' : " + with_dot(err);
                return false;
            }
        }
        else
            list.push_back(std::move(r));
        return true;
    }

    if (k0 == "tcp-check") {
        const std::string& s = arg(w, 1);
        if (!R.tcp_own_set) {
            R.tcp_own.clear();
            R.tcp_own_set = true;
        }
        std::vector<rule>& list = R.tcp_own;
        rule r;
        bool ok;
        if (s == "connect")
            ok = parse_connect(w, 1, list, r, err);
        else if (s == "send" || s == "send-lf" || s == "send-binary" || s == "send-binary-lf")
            ok = parse_send(w, 1, r, err);
        else if (s == "expect")
            ok = parse_expect(w, 1, false, list, r, err);
        else if (s == "comment")
            ok = parse_comment(w, r, err);
        else if (is_var_action(s)) {
            err = "'tcp-check " + s + "' is not supported yet";
            return false;
        }
        else {
            err = "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', "
                  "'expect'. but got '" + s + "'";
            return false;
        }
        if (!ok) {
            err = "'tcp-check " + s + "' : " + with_dot(err);
            return false;
        }
        r.index = next_index(list);
        list.push_back(std::move(r));
        return true;
    }
    err = "unknown keyword '" + k0 + "'";
    return false;
}

namespace {

// HAProxy's check_proxy_tcpcheck(): implicit rules, comments moved onto the rules.
void post_process(std::vector<rule>& l, bool http)
{
    if (http) {
        size_t pos = 0;
        const rule* f = first_rule(l, &pos);
        if (f && f->a == act::SEND && f->http.from_opt) {
            for (size_t k = pos + 1; k < l.size(); k++) {
                if (l[k].a == act::COMMENT)
                    continue;
                if (l[k].a == act::CONNECT) {
                    rule s = l[pos];
                    s.index = l[k].index + 1;
                    l.insert(l.begin() + static_cast<long>(k) + 1, std::move(s));
                    l.erase(l.begin() + static_cast<long>(pos));
                }
                break;
            }
        }
        const rule* last = last_rule(l);
        if (last && last->a == act::SEND) {
            rule e;
            e.a = act::EXPECT;
            e.index = last->index + 1;
            e.exp.type = ex::HTTP_STATUS;
            e.exp.codes.emplace_back(200, 399);
            l.push_back(std::move(e));
        }
    }
    const rule* f = first_rule(l);
    if (!f || f->a != act::CONNECT) {
        rule c;
        c.a = act::CONNECT;
        c.index = 0;
        c.conn.implicit = true;
        c.conn.is_default = true;
        l.insert(l.begin(), std::move(c));
    }
    // Comments: a comment applies to the rules of the same kind that follow it.
    std::vector<rule> out;
    std::string comment;
    bool has = false;
    act prev = act::COMMENT;
    for (rule& r : l) {
        if (r.a != prev && prev != act::COMMENT)
            has = false;
        prev = r.a;
        switch (r.a) {
        case act::COMMENT:
            comment = r.comment;
            has = true;
            continue;
        case act::CONNECT:
            if (!r.has_comment && has)
                r.comment = comment, r.has_comment = true;
            has = false;
            break;
        case act::SEND:
        case act::EXPECT:
            if (!r.has_comment && has)
                r.comment = comment, r.has_comment = true;
            break;
        }
        out.push_back(std::move(r));
    }
    l = std::move(out);
    set_heads(l);
}

std::string be32(uint32_t v)
{
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

} // namespace

bool check_spec::finish(std::string& err)
{
    rules& R = *r_;
    err.clear();
    R.warnings.clear();
    R.final.clear();
    const std::vector<rule>& http = R.http_own_set ? R.http_own : R.http_inh;
    const std::vector<rule>& tcp = R.tcp_own_set ? R.tcp_own : R.tcp_inh;
    if (R.kind != K_HTTP && R.http_own_set && !R.http_own.empty())
        R.warnings.push_back("uses http-check rules without 'option httpchk', so the rules are "
                             "ignored.");
    if (R.kind != K_TCP && R.tcp_own_set && !R.tcp_own.empty())
        R.warnings.push_back("uses tcp-check rules without 'option tcp-check', so the rules are "
                             "ignored.");
    std::vector<rule>& f = R.final;
    switch (R.kind) {
    case K_CONNECT:
        break;
    case K_HTTP:
        f = http;
        post_process(f, true);
        break;
    case K_TCP:
        f = tcp;
        break;
    case K_SSL_HELLO: {
        rule s = send_rule(0, "");
        s.stype = snd::SSL_HELLO;
        f.push_back(std::move(s));
        rule e = expect_rule(1, ex::RBINARY, "^1[56]", 5);
        e.exp.ok_st = HCHK_L6OK;
        e.exp.err_st = HCHK_L6RSP;
        e.exp.tout_st = HCHK_L6TOUT;
        f.push_back(std::move(e));
        break;
    }
    case K_REDIS: {
        f.push_back(send_rule(0, "*1\r\n$4\r\nPING\r\n"));
        rule e = expect_rule(1, ex::STRING, "+PONG\r\n", -1);
        e.exp.err_st = HCHK_L7STSERR;
        e.exp.on_error = payload_msg(0, false);
        e.exp.on_success = text_msg("Redis server is ok");
        f.push_back(std::move(e));
        break;
    }
    case K_SMTP: {
        f.push_back(connect_rule(0, true));
        rule e1 = expect_rule(1, ex::RSTRING, "^[0-9]{3}[ \r]", 4);
        e1.exp.err_st = HCHK_L7RSP;
        e1.exp.on_error = payload_msg(0, false);
        f.push_back(std::move(e1));
        rule e2 = expect_rule(2, ex::RSTRING, "^2[0-9]{2}[ \r]", 4);
        e2.exp.err_st = HCHK_L7STSERR;
        e2.exp.on_error = payload_msg(4, true);
        e2.exp.code_from_payload = true;
        f.push_back(std::move(e2));
        f.push_back(send_rule(3, R.smtp_cmd + "\r\n"));
        rule e3 = expect_rule(4, ex::RSTRING, "^2[0-9]{2}[- \r]", 4);
        e3.exp.err_st = HCHK_L7STSERR;
        e3.exp.on_error = payload_msg(4, true);
        e3.exp.code_from_payload = true;
        f.push_back(std::move(e3));
        // HAProxy 2.6 then says goodbye and wants the 2xx answer to QUIT
        f.push_back(send_rule(5, "QUIT\r\n"));
        rule e4 = expect_rule(6, ex::RSTRING, "^2[0-9]{2}[- \r]", 4);
        e4.exp.err_st = HCHK_L7STSERR;
        e4.exp.on_error = payload_msg(4, true);
        e4.exp.on_success = payload_msg(4, true);
        e4.exp.code_from_payload = true;
        f.push_back(std::move(e4));
        break;
    }
    case K_PGSQL: {
        f.push_back(connect_rule(0, true));
        const std::string& u = R.pgsql_user;
        std::string pkt = be32(static_cast<uint32_t>(15 + u.size()));
        pkt += std::string("\x00\x03\x00\x00", 4);
        pkt += std::string("user\0", 5);
        pkt += u;
        pkt += std::string("\0\0", 2);
        f.push_back(send_rule(1, pkt));
        rule e1 = expect_rule(2, ex::RSTRING, "^E", 5);
        e1.exp.inverse = true;
        e1.exp.err_st = HCHK_L7RSP;
        msg_fmt m;
        m.kind = msg_fmt::PAYLOAD;
        m.off = 6;
        e1.exp.on_error = m;
        f.push_back(std::move(e1));
        rule e2 = expect_rule(3, ex::RBINARY, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", 9);
        e2.exp.err_st = HCHK_L7STSERR;
        e2.exp.on_success = text_msg("PostgreSQL server is ok");
        e2.exp.on_error = text_msg("PostgreSQL unknown error");
        f.push_back(std::move(e2));
        break;
    }
    case K_MYSQL: {
        f.push_back(connect_rule(0, true));
        int idx = 1;
        if (!R.mysql_user.empty()) {
            const std::string& u = R.mysql_user;
            size_t plen = u.size() + (R.mysql_pre41 ? 7 : 7 + 27);
            std::string pkt;
            pkt += static_cast<char>(plen & 0xff);
            pkt += static_cast<char>((plen >> 8) & 0xff);
            pkt += static_cast<char>((plen >> 16) & 0xff);
            pkt += '\x01';
            if (R.mysql_pre41)
                pkt += std::string("\x00\x80\x00\x00\x01", 5);
            else {
                pkt += std::string("\x00\x82\x00\x00\x00\x80\x00\x01\x21", 9);
                pkt += std::string(23, '\0');
            }
            pkt += u;
            pkt += std::string("\0\0", 2);
            pkt += std::string("\x01\x00\x00\x00\x01", 5);
            f.push_back(send_rule(idx++, pkt));
        }
        rule e = expect_rule(idx++, ex::MYSQL_INIT, "", -1);
        f.push_back(std::move(e));
        if (!R.mysql_user.empty())
            f.push_back(expect_rule(idx++, ex::MYSQL_OK, "", -1));
        break;
    }
    case K_LDAP: {
        std::string req, e2;
        parse_hex("300C020101600702010304008000", req, e2);
        f.push_back(send_rule(0, req));
        rule e = expect_rule(1, ex::RBINARY, "^30", 14);
        e.exp.on_error = text_msg("Not LDAPv3 protocol");
        f.push_back(std::move(e));
        f.push_back(expect_rule(2, ex::LDAP_BIND, "", -1));
        break;
    }
    }
    if (R.kind != K_HTTP)
        post_process(f, false);
    R.finished = true;
    return true;
}

check_spec::kind_t check_spec::kind() const
{
    return r_->kind;
}

bool check_spec::disable_on_404() const
{
    return r_->disable404;
}

bool check_spec::send_state() const
{
    return r_->send_state;
}

const std::vector<std::string>& check_spec::warnings() const
{
    return r_->warnings;
}

bool check_spec::connect_ssl() const
{
    for (const rule& r : r_->final)
        if (r.a == act::CONNECT && r.conn.ssl)
            return true;
    return false;
}

std::string check_spec::key() const
{
    const rules& R = *r_;
    std::string k = "k" + std::to_string(R.kind) + (R.disable404 ? "d" : "") +
                    (R.send_state ? "s" : "") + "|";
    auto msg = [&](const msg_fmt& m) {
        k += std::to_string(m.kind) + "," + std::to_string(m.off) + (m.ltrim_sp ? "l" : "") +
             (m.cut_crlf ? "c" : "");
        put(k, m.text);
    };
    for (const rule& r : R.final) {
        k += "R" + std::to_string(static_cast<int>(r.a)) + "," + std::to_string(r.index);
        put(k, r.has_comment ? r.comment : std::string_view());
        switch (r.a) {
        case act::CONNECT:
            k += std::to_string(r.conn.port) + (r.conn.send_proxy ? "p" : "") +
                 (r.conn.linger ? "l" : "") + (r.conn.implicit ? "i" : "") +
                 (r.conn.is_default ? "d" : "") + (r.conn.ssl ? "s" : "");
            put(k, r.conn.addr);
            put(k, r.conn.sni);
            put(k, r.conn.alpn);
            break;
        case act::SEND:
            k += std::to_string(static_cast<int>(r.stype));
            put(k, r.data);
            put(k, r.http.meth);
            put(k, r.http.has_uri ? r.http.uri : "\x01");
            put(k, r.http.has_ver ? r.http.ver : "\x01");
            put(k, r.http.has_body ? r.http.body : "\x01");
            for (auto& h : r.http.hdrs) {
                put(k, h.first);
                put(k, h.second);
            }
            break;
        case act::EXPECT: {
            const expect_t& e = r.exp;
            k += std::to_string(static_cast<int>(e.type)) + (e.inverse ? "!" : "") + "," +
                 std::to_string(e.min_recv) + "," + std::to_string(e.ok_st) + "," +
                 std::to_string(e.err_st) + "," + std::to_string(e.tout_st) + "," +
                 std::to_string(e.head) + (e.full ? "f" : "") + std::to_string((int)e.nmatch) +
                 std::to_string((int)e.vmatch) + (e.code_from_payload ? "c" : "");
            put(k, e.data);
            put(k, e.npat);
            put(k, e.vpat);
            for (auto& c : e.codes)
                k += std::to_string(c.first) + "-" + std::to_string(c.second) + ",";
            msg(e.on_success);
            msg(e.on_error);
            break;
        }
        case act::COMMENT:
            break;
        }
    }
    return k;
}

// ---- request builders ----------------------------------------------------------------------

std::string build_http_request(const http_req& r, const probe_env& env, bool send_state)
{
    std::string meth = r.meth.empty() ? "OPTIONS" : r.meth;
    std::string uri = r.has_uri && !r.uri.empty() ? r.uri : "/";
    std::string ver = r.has_ver ? r.ver : "HTTP/1.0";
    bool v11 = (ver.size() == 6 && ver[5] == '2') ||
               (ver.size() == 8 && (ver[5] > '1' || (ver[5] == '1' && ver[7] >= '1')));
    std::string out = meth + " " + uri + " " + (v11 ? "HTTP/1.1" : ver) + "\r\n";
    auto lower = [](std::string s) {
        for (char& c : s)
            c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        return s;
    };
    // An absolute URI gives the Host header its authority.
    bool host_from_uri = false;
    size_t sch = uri.find("://");
    if (sch != std::string::npos && sch > 0 && uri[0] != '/') {
        size_t a = sch + 3;
        size_t e = uri.find_first_of("/?#", a);
        std::string auth = uri.substr(a, e == std::string::npos ? std::string::npos : e - a);
        size_t at = auth.rfind('@');
        if (at != std::string::npos)
            auth = auth.substr(at + 1);
        if (!auth.empty()) {
            out += "host: " + auth + "\r\n";
            host_from_uri = true;
        }
    }
    bool conn_hdr = false;
    // HTTP/1 output: "connection" tokens that are the version's default are dropped.
    auto conn_value = [&](const std::string& v) {
        std::string res;
        size_t p = 0;
        while (p <= v.size()) {
            size_t c = v.find(',', p);
            std::string t = v.substr(p, c == std::string::npos ? std::string::npos : c - p);
            size_t s = t.find_first_not_of(" \t");
            t = s == std::string::npos ? "" : t.substr(s);
            while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
                t.pop_back();
            bool skip = t.empty() || (strcasecmp(t.c_str(), "close") == 0 && !v11) ||
                        (strcasecmp(t.c_str(), "keep-alive") == 0 && v11);
            if (!skip)
                res += (res.empty() ? "" : ", ") + t;
            if (c == std::string::npos)
                break;
            p = c + 1;
        }
        return res;
    };
    for (auto& h : r.hdrs) {
        std::string n = lower(h.first);
        if (h.second.empty())
            continue;
        if (n == "host" && host_from_uri) {
            // the configured Host replaces the URI's authority
            size_t hp = out.find("\r\nhost: ");
            if (hp != std::string::npos) {
                size_t e = out.find("\r\n", hp + 2);
                out.erase(hp + 2, e - hp);
            }
            host_from_uri = false;
        }
        std::string v = h.second;
        if (n == "connection") {
            conn_hdr = true;
            v = conn_value(v);
            if (v.empty())
                continue;
        }
        out += n + ": " + v + "\r\n";
    }
    if (send_state)
        out += "x-haproxy-server-state: " + std::string(env.server_state) + "\r\n";
    if (!conn_hdr && v11)
        out += "connection: close\r\n";
    out += "content-length: " + std::to_string(r.has_body ? r.body.size() : 0) + "\r\n\r\n";
    if (r.has_body)
        out += r.body;
    return out;
}

std::string build_ssl_hello(uint32_t now)
{
    std::string hex = "16"
                      "0300"
                      "0079"
                      "01"
                      "000075"
                      "0300";
    char t[9];
    snprintf(t, sizeof(t), "%08X", now);
    hex += t;
    for (char c : std::string("HAPROXYSSLCHK\nHAPROXYSSLCHK\n")) {
        char b[3];
        snprintf(b, sizeof(b), "%02X", static_cast<unsigned char>(c));
        hex += b;
    }
    hex += "00"
           "004E";
    for (unsigned c = 0x01; c <= 0x1B; c++) {
        char b[5];
        snprintf(b, sizeof(b), "%04X", c);
        hex += b;
    }
    for (unsigned c = 0x2F; c <= 0x3A; c++) {
        char b[5];
        snprintf(b, sizeof(b), "%04X", c);
        hex += b;
    }
    hex += "01"
           "00";
    std::string out, err;
    parse_hex(hex, out, err);
    return out;
}

} // namespace chk
