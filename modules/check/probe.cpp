// SPDX-License-Identifier: MIT
// The check module's probe engine: one run of a compiled rule list against one connection
// (HAProxy 2.6's tcpcheck_main() and its evaluators), and the agent reply parser.
#include "probe_rules.hpp"

#include <strings.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace chk {

namespace {

constexpr size_t k_bufsize = 16384;  // tune.bufsize: the check's buffers
constexpr size_t k_desc_len = 127;   // HCHK_DESC_LEN - 1
constexpr size_t k_max_hdrs = 101;   // tune.http.maxhdr

enum class ev { CONTINUE, WAIT, STOP };

chk_res result_of(hchk s)
{
    switch (s) {
    case HCHK_L4OK:
    case HCHK_L6OK:
    case HCHK_L7OKD:
    case HCHK_PROCOK:
        return RES_PASSED;
    case HCHK_L7OKCD:
        return RES_CONDPASS;
    case HCHK_CHECKED:
        return RES_NEUTRAL;
    case HCHK_UNKNOWN:
    case HCHK_INI:
    case HCHK_START:
    case HCHK_L57DATA:
    case HCHK_SIZE:
        return RES_UNKNOWN;
    default:
        return RES_FAILED;
    }
}

bool unclean_errno(int e)
{
    return e != 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINPROGRESS && e != EISCONN &&
           e != EALREADY;
}

bool istchar(unsigned char c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

// ---- HTTP/1 response ------------------------------------------------------------------------

struct http_resp {
    enum state_t { MORE, ERROR, OK } state = MORE;
    unsigned status = 0;
    std::string_view code_txt, reason;
    std::vector<std::pair<std::string_view, std::string_view>> hdrs;
    std::string body;   // decoded body bytes available
    bool eom = false;   // the whole message was received
};

bool ieq(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

// Next line of <in> from <pos> (without its CRLF or LF); false when no complete line.
bool next_line(std::string_view in, size_t& pos, std::string_view& line)
{
    size_t e = in.find('\n', pos);
    if (e == std::string_view::npos)
        return false;
    line = in.substr(pos, e - pos);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    pos = e + 1;
    return true;
}

void parse_http(std::string_view in, bool at_eof, http_resp& r)
{
    r = http_resp();
    size_t pos = 0;
    std::string_view line;
    if (!next_line(in, pos, line)) {
        // A status line cannot be longer than the buffer; garbage is detected early.
        if (in.size() >= 5 && in.substr(0, 5) != "HTTP/")
            r.state = http_resp::ERROR;
        return;
    }
    // "HTTP/x.y NNN reason"
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || !isdigit((unsigned char)line[5]) ||
        line[6] != '.' || !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
        !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (line.size() > 12 && line[12] != ' ')) {
        r.state = http_resp::ERROR;
        return;
    }
    r.code_txt = line.substr(9, 3);
    r.status = (line[9] - '0') * 100u + (line[10] - '0') * 10u + (line[11] - '0');
    r.reason = line.size() > 13 ? line.substr(13) : std::string_view();
    bool chunked = false;
    bool has_clen = false;
    size_t clen = 0;
    while (true) {
        if (!next_line(in, pos, line))
            return; // headers incomplete
        if (line.empty())
            break;
        size_t c = line.find(':');
        if (c == std::string_view::npos || c == 0 || r.hdrs.size() >= k_max_hdrs) {
            r.state = http_resp::ERROR;
            return;
        }
        for (size_t k = 0; k < c; k++)
            if (!istchar(static_cast<unsigned char>(line[k]))) {
                r.state = http_resp::ERROR;
                return;
            }
        std::string_view n = line.substr(0, c), v = trim(line.substr(c + 1));
        for (char ch : v)
            if (ch == '\0' || ch == '\r' || ch == '\n') {
                r.state = http_resp::ERROR;
                return;
            }
        if (ieq(n, "transfer-encoding")) {
            std::string_view t = v;
            size_t cm = t.rfind(',');
            if (cm != std::string_view::npos)
                t = trim(t.substr(cm + 1));
            chunked = ieq(t, "chunked");
        }
        else if (ieq(n, "content-length")) {
            if (v.empty() || v.size() > 15) {
                r.state = http_resp::ERROR;
                return;
            }
            size_t val = 0;
            for (char ch : v) {
                if (!isdigit((unsigned char)ch)) {
                    r.state = http_resp::ERROR;
                    return;
                }
                val = val * 10 + static_cast<size_t>(ch - '0');
            }
            if (has_clen && val != clen) {
                r.state = http_resp::ERROR;
                return;
            }
            has_clen = true;
            clen = val;
        }
        r.hdrs.emplace_back(n, v);
    }
    r.state = http_resp::OK;
    std::string_view rest = in.substr(pos);
    if ((r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304) {
        r.eom = true;
        return;
    }
    if (chunked) {
        size_t p = 0;
        while (true) {
            std::string_view l;
            size_t q = p;
            if (!next_line(rest, q, l))
                return;
            size_t semi = l.find(';');
            std::string_view hx = trim(semi == std::string_view::npos ? l : l.substr(0, semi));
            if (hx.empty() || hx.size() > 8) {
                r.state = http_resp::ERROR;
                return;
            }
            size_t sz = 0;
            for (char ch : hx) {
                int d = isdigit((unsigned char)ch) ? ch - '0'
                        : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
                        : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;
                if (d < 0) {
                    r.state = http_resp::ERROR;
                    return;
                }
                sz = sz * 16 + static_cast<size_t>(d);
            }
            if (sz == 0) {
                r.eom = true; // trailers are not looked at
                return;
            }
            size_t avail = rest.size() - q;
            r.body.append(rest.substr(q, sz < avail ? sz : avail));
            if (avail < sz + 2)
                return;
            if (rest.substr(q + sz, 2) != "\r\n" && rest[q + sz] != '\n') {
                r.state = http_resp::ERROR;
                return;
            }
            p = q + sz + (rest[q + sz] == '\n' ? 1 : 2);
        }
    }
    if (has_clen) {
        r.body.assign(rest.substr(0, clen < rest.size() ? clen : rest.size()));
        r.eom = rest.size() >= clen;
        return;
    }
    r.body.assign(rest);
    r.eom = at_eof;
}

void hexdump(std::string_view in, std::string& out)
{
    static const char* h = "0123456789ABCDEF";
    out.clear();
    out.reserve(in.size() * 2);
    for (unsigned char c : in) {
        out.push_back(h[c >> 4]);
        out.push_back(h[c & 15]);
    }
}

} // namespace

// ---- probe ---------------------------------------------------------------------------------

struct probe::impl {
    const check_spec& spec;
    const std::vector<rule>& rules;
    probe_env env;
    probe_io& io;
    bool tcp_kind;              // messages of HAProxy's pure tcp-check ruleset
    bool http_kind;

    size_t cur = 0;             // next rule to evaluate
    long current = -1;          // HAProxy's current_step (index in rules), -1: none
    bool connect_started = false; // the connect rule at <cur> was issued
    bool sending = false;
    std::string out;
    size_t out_off = 0;
    bool broken = false;        // the connection failed: last read
    int code = 0;
    bool finished = false;
    probe_result res;
    http_resp resp;
    std::string scratch;

    // Without finish(), a spec runs a plain connect.
    static const std::vector<rule>& rules_of(const check_spec& s)
    {
        static const std::vector<rule> plain = [] {
            rule c;
            c.a = act::CONNECT;
            c.conn.implicit = c.conn.is_default = true;
            return std::vector<rule>{c};
        }();
        return s.r_->finished && !s.r_->final.empty() ? s.r_->final : plain;
    }

    impl(const check_spec& s, const probe_env& e, probe_io& i)
        : spec(s), rules(rules_of(s)), env(e), io(i),
          tcp_kind(s.r_->finished && s.r_->kind == check_spec::K_TCP),
          http_kind(s.r_->finished && s.r_->kind == check_spec::K_HTTP)
    {
    }

    int step_id(long idx) const
    {
        if (idx < 0)
            return 1;
        const rule& r = rules[static_cast<size_t>(idx)];
        if (r.index == 0 && r.a == act::CONNECT && r.conn.implicit)
            return 0;
        return r.index + 1;
    }

    void set_status(hchk st, std::string desc)
    {
        size_t nul = desc.find('\0');
        if (nul != std::string::npos)
            desc.resize(nul);
        if (desc.size() > k_desc_len)
            desc.resize(k_desc_len);
        res.status = st;
        res.result = result_of(st);
        res.code = st > HCHK_L57DATA && st < HCHK_PROCERR ? code : -1;
        res.desc = std::move(desc);
        finished = true;
        sending = false;
    }

    std::string_view in() const
    {
        std::string_view v = io.input();
        return v.size() > k_bufsize ? v.substr(0, k_bufsize) : v;
    }

    void drop_input()
    {
        size_t n = io.input().size();
        if (n)
            io.consume(n);
    }

    std::string msg_out(const msg_fmt& m)
    {
        if (m.kind == msg_fmt::TEXT)
            return m.text;
        if (m.kind != msg_fmt::PAYLOAD)
            return {};
        std::string_view v = in();
        v = m.off < v.size() ? v.substr(m.off) : std::string_view();
        if (m.ltrim_sp)
            while (!v.empty() && v.front() == ' ')
                v.remove_prefix(1);
        if (m.cut_crlf) {
            size_t e = v.find_first_of("\r\n");
            if (e != std::string_view::npos)
                v = v.substr(0, e);
        }
        return std::string(v);
    }

    // tcpcheck_expect_onerror_message()
    std::string onerror(const rule& r, bool match, const std::string& info)
    {
        const expect_t& e = r.exp;
        std::string m;
        if (!info.empty())
            m = info;
        else if (e.on_error.kind != msg_fmt::NONE)
            m = msg_out(e.on_error);
        else if (tcp_kind) {
            m = match ? "TCPCHK matched unwanted content" : "TCPCHK did not match content";
            std::string step = std::to_string(step_id(static_cast<long>(&r - rules.data())));
            switch (e.type) {
            case ex::STRING:
                m += " '" + e.data + "' at step " + step;
                break;
            case ex::BINARY:
                m += " (binary) at step " + step;
                break;
            case ex::RSTRING:
                m += " (regex) at step " + step;
                break;
            case ex::RBINARY:
                m += " (binary regex) at step " + step;
                break;
            default:
                m += " (custom function) at step " + step;
                break;
            }
        }
        if (r.has_comment)
            m += " comment: " + r.comment;
        if (e.code_from_payload)
            code_from_payload();
        return m;
    }

    void code_from_payload()
    {
        std::string_view v = in().substr(0, 3);
        size_t k = 0;
        bool neg = false;
        if (k < v.size() && (v[k] == '-' || v[k] == '+'))
            neg = v[k++] == '-';
        if (k >= v.size() || !isdigit((unsigned char)v[k]))
            return;
        int c = 0;
        for (; k < v.size() && isdigit((unsigned char)v[k]); k++)
            c = c * 10 + (v[k] - '0');
        code = neg ? -c : c;
    }

    ev fail_expect(const rule& r, hchk st, bool match, const std::string& info)
    {
        std::string d = onerror(r, match, info);
        set_status(st, std::move(d));
        return ev::STOP;
    }

    // ---- expects ----

    ev expect_mysql(const rule& r, size_t offset, bool last_read)
    {
        std::string_view b = in();
        if (b.size() < offset + 4)
            return last_read ? fail_expect(r, HCHK_L7RSP, false, "") : ev::WAIT;
        size_t plen = (unsigned char)b[offset] | (unsigned char)b[offset + 1] << 8 |
                      (size_t)(unsigned char)b[offset + 2] << 16;
        if (b.size() < offset + plen + 4)
            return last_read ? fail_expect(r, HCHK_L7RSP, false, "") : ev::WAIT;
        if (plen >= 1 && (unsigned char)b[offset + 4] == 0xff) {
            code = plen >= 3 ? ((unsigned char)b[offset + 5] | (unsigned char)b[offset + 6] << 8)
                             : 0;
            std::string d = b.size() > offset + 7 ? std::string(b.substr(offset + 7)) : "";
            return fail_expect(r, HCHK_L7STSERR, false, d);
        }
        if (&r != &rules.back())
            return ev::CONTINUE;
        hchk st = r.exp.ok_st != HCHK_UNKNOWN ? r.exp.ok_st : HCHK_L7OKD;
        set_status(st, b.size() > 5 ? std::string(b.substr(5)) : "");
        return ev::STOP;
    }

    ev expect_ldap(const rule& r, bool last_read)
    {
        std::string_view b = in();
        auto too_short = [&]() {
            return last_read ? fail_expect(r, HCHK_L7RSP, false, "") : ev::WAIT;
        };
        auto at = [&](size_t k) { return static_cast<unsigned char>(b[k]); };
        if (b.size() < 2)
            return too_short();
        size_t p = 1, nbytes = 0, msglen = 0;
        if (at(p) & 0x80) {
            nbytes = at(p) & 0x7f;
            if (b.size() < 1 + nbytes + 1)
                return too_short();
            if (nbytes == 4)
                msglen = (size_t)at(p + 1) << 24 | at(p + 2) << 16 | at(p + 3) << 8 | at(p + 4);
            else if (nbytes == 2)
                msglen = at(p + 1) << 8 | at(p + 2);
            else
                return fail_expect(r, HCHK_L7RSP, false, "Not LDAPv3 protocol");
        }
        else
            msglen = at(p);
        p += 1 + nbytes;
        if (b.size() < 2 + nbytes + msglen || b.size() < p + 4)
            return too_short();
        if (b.substr(p, 4) != std::string_view("\x02\x01\x01\x61", 4))
            return fail_expect(r, HCHK_L7RSP, false, "Not LDAPv3 protocol");
        p += 4;
        if (b.size() < p + 1)
            return too_short();
        nbytes = (at(p) & 0x80) ? (at(p) & 0x7f) : 0;
        p += 1 + nbytes;
        if (b.size() < p + 3)
            return too_short();
        if (b.substr(p, 2) != std::string_view("\x0a\x01", 2))
            return fail_expect(r, HCHK_L7RSP, false, "Not LDAPv3 protocol");
        p += 2;
        code = at(p);
        if (code)
            return fail_expect(r, HCHK_L7STSERR, false,
                               "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9");
        hchk st = r.exp.ok_st != HCHK_UNKNOWN ? r.exp.ok_st : HCHK_L7OKD;
        set_status(st, "Success");
        return ev::STOP;
    }

    ev expect_tcp(const rule& r, bool last_read)
    {
        const expect_t& e = r.exp;
        std::string_view b = in();
        last_read = last_read || io.input_full() || b.size() >= k_bufsize;
        if (!last_read) {
            if ((e.type == ex::STRING || e.type == ex::BINARY) && b.size() < e.data.size())
                return ev::WAIT;
            if (e.min_recv > 0 && b.size() < static_cast<size_t>(e.min_recv))
                return ev::WAIT;
        }
        bool match = false;
        switch (e.type) {
        case ex::STRING:
        case ex::BINARY:
            match = !e.data.empty() ? b.find(e.data) != std::string_view::npos : true;
            break;
        case ex::RSTRING:
            match = e.re && e.re->match(b.substr(0, k_bufsize - 1));
            break;
        case ex::RBINARY:
            hexdump(b, scratch);
            match = e.re && e.re->match(std::string_view(scratch).substr(0, k_bufsize - 1));
            break;
        case ex::MYSQL_INIT:
            return expect_mysql(r, 0, last_read);
        case ex::MYSQL_OK: {
            if (b.size() < 3)
                return last_read ? fail_expect(r, HCHK_L7RSP, false, "") : ev::WAIT;
            size_t hs = 4 + ((unsigned char)b[0] | (unsigned char)b[1] << 8 |
                             (size_t)(unsigned char)b[2] << 16);
            return expect_mysql(r, hs, last_read);
        }
        case ex::LDAP_BIND:
            return expect_ldap(r, last_read);
        default:
            return fail_expect(r, HCHK_L7RSP, false, "");
        }
        if (!match && !last_read && e.min_recv == -1)
            return ev::WAIT;
        if (match != e.inverse)
            return ev::CONTINUE;
        hchk st = e.err_st != HCHK_UNKNOWN ? e.err_st : HCHK_L7RSP;
        return fail_expect(r, st, match, "");
    }

    bool hdr_value_match(const expect_t& e, std::string_view v) const
    {
        switch (e.vmatch) {
        case hm::STR:
            return v == e.vpat;
        case hm::BEG:
            return v.size() >= e.vpat.size() && v.substr(0, e.vpat.size()) == e.vpat;
        case hm::END:
            return v.size() >= e.vpat.size() && v.substr(v.size() - e.vpat.size()) == e.vpat;
        case hm::SUB:
            return v.find(e.vpat) != std::string_view::npos;
        case hm::REG:
            return e.vre && e.vre->match(v);
        case hm::NONE:
            return true;
        }
        return false;
    }

    bool hdr_name_match(const expect_t& e, std::string_view n) const
    {
        std::string_view p = e.npat;
        switch (e.nmatch) {
        case hm::STR:
            return ieq(n, p);
        case hm::BEG:
            return n.size() >= p.size() && ieq(n.substr(0, p.size()), p);
        case hm::END:
            return n.size() >= p.size() && ieq(n.substr(n.size() - p.size()), p);
        case hm::SUB:
            if (p.size() > n.size())
                return false;
            for (size_t k = 0; k + p.size() <= n.size(); k++)
                if (ieq(n.substr(k, p.size()), p))
                    return true;
            return p.empty();
        case hm::REG:
            return e.nre && e.nre->match(n);
        case hm::NONE:
            return true;
        }
        return false;
    }

    ev expect_http(const rule& r, bool last_read)
    {
        const expect_t& e = r.exp;
        std::string_view b = in();
        parse_http(b, last_read, resp);
        last_read = last_read || io.input_full() || b.size() >= k_bufsize || resp.eom;
        if (resp.state == http_resp::ERROR)
            return fail_expect(r, e.err_st != HCHK_UNKNOWN ? e.err_st : HCHK_L7RSP, false, "");
        if (resp.state == http_resp::MORE) {
            if (last_read)
                return fail_expect(r, HCHK_L7RSP, false, "");
            return ev::WAIT;
        }
        code = static_cast<int>(resp.status);
        if (spec.disable_on_404() && !env.server_down && code == 404)
            return ev::CONTINUE;
        bool match = e.inverse;
        hchk st = e.err_st;
        std::string desc;
        bool has_fmt = e.on_error.kind != msg_fmt::NONE;
        switch (e.type) {
        case ex::HTTP_STATUS:
            match = false;
            for (auto& c : e.codes)
                if (resp.status >= c.first && resp.status <= c.second) {
                    match = true;
                    break;
                }
            st = st != HCHK_UNKNOWN ? st : HCHK_L7STSERR;
            if (!has_fmt)
                desc = resp.reason;
            break;
        case ex::HTTP_RSTATUS:
            match = e.re && e.re->match(resp.code_txt);
            st = st != HCHK_UNKNOWN ? st : HCHK_L7STSERR;
            if (!has_fmt)
                desc = resp.reason;
            break;
        case ex::HTTP_HDR:
            match = false;
            for (auto& h : resp.hdrs) {
                if (!hdr_name_match(e, h.first))
                    continue;
                if (e.vmatch == hm::NONE) {
                    match = true;
                    break;
                }
                if (e.full) {
                    if (hdr_value_match(e, h.second)) {
                        match = true;
                        break;
                    }
                    continue;
                }
                std::string_view v = h.second;
                while (true) {
                    size_t c = v.find(',');
                    if (hdr_value_match(e, trim(v.substr(0, c)))) {
                        match = true;
                        break;
                    }
                    if (c == std::string_view::npos)
                        break;
                    v.remove_prefix(c + 1);
                }
                if (match)
                    break;
            }
            st = st != HCHK_UNKNOWN ? st : HCHK_L7STSERR;
            if (!has_fmt)
                desc = resp.reason;
            break;
        case ex::HTTP_BODY:
        case ex::HTTP_RBODY: {
            match = false;
            const std::string& body = resp.body;
            if (body.empty()) {
                if (!last_read)
                    return ev::WAIT;
                st = st != HCHK_UNKNOWN ? st : HCHK_L7RSP;
                return fail_expect(r, st, false,
                                   has_fmt ? ""
                                           : "HTTP content check could not find a response body");
            }
            if (!last_read && ((e.type == ex::HTTP_BODY && body.size() < e.data.size()) ||
                               (e.min_recv > 0 && body.size() < static_cast<size_t>(e.min_recv))))
                return ev::WAIT;
            if (e.type == ex::HTTP_BODY)
                match = body.find(e.data) != std::string::npos;
            else
                match = e.re && e.re->match(body);
            if (!match && !last_read && e.min_recv == -1)
                return ev::WAIT;
            st = st != HCHK_UNKNOWN ? st : HCHK_L7RSP;
            if (!has_fmt)
                desc = e.inverse ? "HTTP check matched unwanted content"
                                 : "HTTP content check did not match";
            break;
        }
        default:
            return fail_expect(r, st != HCHK_UNKNOWN ? st : HCHK_L7RSP, false, "");
        }
        if (match == e.inverse)
            return fail_expect(r, st, false, desc);
        return ev::CONTINUE;
    }

    ev expect(size_t idx)
    {
        const rule& r = rules[idx];
        bool last_read = broken || io.eof();
        if (in().empty()) {
            if (!last_read)
                return ev::WAIT;
            std::string d = "TCPCHK got an empty response at step " +
                            std::to_string(step_id(static_cast<long>(idx)));
            if (r.has_comment)
                d += " comment: '" + r.comment + "'";
            set_status(r.exp.err_st != HCHK_UNKNOWN ? r.exp.err_st : HCHK_L7RSP, d);
            return ev::STOP;
        }
        return http_kind ? expect_http(r, last_read) : expect_tcp(r, last_read);
    }

    // ---- connection errors (chk_report_conn_err) ----

    std::string tcp_suffix() const
    {
        if (!tcp_kind)
            return {};
        int step = step_id(current);
        if (!step)
            return " at initial connection step of tcp-check";
        std::string s = " at step " + std::to_string(step) + " of tcp-check";
        if (current >= 0) {
            const rule& r = rules[static_cast<size_t>(current)];
            if (r.a == act::CONNECT)
                s += r.conn.port ? " (connect port " + std::to_string(r.conn.port) + ")"
                                 : std::string(" (connect)");
            else if (r.a == act::EXPECT) {
                switch (r.exp.type) {
                case ex::STRING:
                    s += " (expect string '" + r.exp.data + "')";
                    break;
                case ex::BINARY:
                    s += " (expect binary '" + r.exp.data + "')";
                    break;
                case ex::RSTRING:
                    s += " (expect regex)";
                    break;
                case ex::RBINARY:
                    s += " (expect binary regex)";
                    break;
                default:
                    s += " (expect custom function)";
                    break;
                }
            }
            else if (r.a == act::SEND)
                s += " (send)";
            if (r.has_comment)
                s += " comment: '" + r.comment + "'";
        }
        return s;
    }

    void conn_err(int err, bool expired)
    {
        if (finished)
            return;
        bool connecting = !io.connected();
        bool l6 = connecting && io.handshaking();
        std::string m;
        const char* text = io.error_text();
        if (text && unclean_errno(err))
            m = std::string(text) + " (" + strerror(err) + ")";
        else if (text)
            m = text;
        else if (unclean_errno(err)) {
            if (connecting && err == ENETUNREACH)
                m = std::string("General socket error (") + strerror(err) + ")";
            else
                m = strerror(err);
        }
        m += tcp_suffix();
        if (l6)
            set_status(expired ? HCHK_L6TOUT : HCHK_L6RSP, m);
        else if (connecting)
            set_status(expired ? HCHK_L4TOUT : HCHK_L4CON, m);
        else if (!expired)
            set_status(HCHK_SOCKERR, m);
        else {
            hchk t = HCHK_L7TOUT;
            if (current >= 0) {
                const rule& r = rules[static_cast<size_t>(current)];
                if (r.a == act::EXPECT && r.exp.tout_st != HCHK_UNKNOWN)
                    t = r.exp.tout_st;
            }
            set_status(t, m);
        }
    }

    // ---- the rule loop (tcpcheck_main) ----

    void final_status()
    {
        if (current < 0) {
            set_status(HCHK_L7OKD, "(tcp-check)");
            return;
        }
        const rule& r = rules[static_cast<size_t>(current)];
        if (r.a == act::EXPECT) {
            if (spec.disable_on_404() && !env.server_down && code == 404) {
                set_status(HCHK_L7OKCD, "");
                return;
            }
            std::string m;
            if (r.exp.on_success.kind != msg_fmt::NONE)
                m = msg_out(r.exp.on_success);
            else if (tcp_kind)
                m = "(tcp-check)";
            if (r.exp.code_from_payload)
                code_from_payload();
            set_status(r.exp.ok_st != HCHK_UNKNOWN ? r.exp.ok_st : HCHK_L7OKD, m);
        }
        else if (r.a == act::CONNECT)
            set_status(io.is_tls() ? HCHK_L6OK : HCHK_L4OK, r.conn.implicit ? "" : "(tcp-check)");
        else
            set_status(HCHK_L7OKD, "(tcp-check)");
    }

    bool run()
    {
        if (finished)
            return true;
        while (cur < rules.size()) {
            const rule& r = rules[cur];
            code = 0;
            switch (r.a) {
            case act::COMMENT:
                cur++;
                continue;
            case act::CONNECT:
                current = static_cast<long>(cur);
                if (!connect_started) {
                    if (broken)
                        return false; // fail() reports the error
                    drop_input();
                    connect_started = true;
                    if (!io.connect(r.conn)) {
                        std::string d = tcp_suffix();
                        set_status(HCHK_SOCKERR, d);
                        return true;
                    }
                }
                if (!io.connected())
                    return false;
                connect_started = false;
                cur++;
                continue;
            case act::SEND:
                current = static_cast<long>(cur);
                if (broken)
                    return false; // fail() reports the error
                if (!sending) {
                    drop_input();
                    std::string step = std::to_string(step_id(current));
                    if (r.stype == snd::HTTP) {
                        out = build_http_request(r.http, env, spec.send_state());
                        if (out.size() > k_bufsize) {
                            set_status(HCHK_L7RSP, "tcp-check send : failed to build HTTP "
                                                   "request at step " + step);
                            return true;
                        }
                    }
                    else if (r.stype == snd::SSL_HELLO)
                        out = build_ssl_hello(static_cast<uint32_t>(time(nullptr)));
                    else {
                        out = r.data;
                        if (out.size() >= k_bufsize) {
                            set_status(HCHK_L7RSP, "tcp-check send : string too large (" +
                                                       std::to_string(out.size()) +
                                                       ") for buffer size (" +
                                                       std::to_string(k_bufsize) + ") at step " +
                                                       step);
                            return true;
                        }
                    }
                    out_off = 0;
                    sending = true;
                }
                if (out_off < out.size()) {
                    size_t n = io.send(std::string_view(out).substr(out_off));
                    out_off += n < out.size() - out_off ? n : out.size() - out_off;
                }
                if (out_off < out.size())
                    return false;
                sending = false;
                out.clear();
                cur++;
                continue;
            case act::EXPECT: {
                current = static_cast<long>(cur);
                ev e = expect(cur);
                if (e == ev::STOP)
                    return true;
                if (e == ev::WAIT) {
                    cur = r.exp.head;
                    current = static_cast<long>(cur);
                    return false;
                }
                cur++;
                continue;
            }
            }
        }
        final_status();
        return true;
    }
};

probe::probe(const check_spec& spec, const probe_env& env, probe_io& io)
    : p_(std::make_unique<impl>(spec, env, io))
{
}

probe::~probe() = default;

bool probe::step()
{
    return p_->run();
}

void probe::fail(int err)
{
    impl& p = *p_;
    if (p.finished)
        return;
    // Once established, what was received before the error is evaluated as a last read
    // (HAProxy reports a network error only when it got no data).
    if (p.io.connected() && p.cur < p.rules.size() && p.rules[p.cur].a == act::EXPECT &&
        !p.in().empty()) {
        p.broken = true;
        if (p.run())
            return;
    }
    p.conn_err(err, false);
}

void probe::timeout()
{
    p_->conn_err(0, true);
}

bool probe::done() const
{
    return p_->finished;
}

const probe_result& probe::result() const
{
    return p_->res;
}

// ---- agent ---------------------------------------------------------------------------------

agent_reply parse_agent_reply(std::string_view line)
{
    agent_reply a;
    size_t e = line.find_first_of("\r\n");
    if (e != std::string_view::npos)
        line = line.substr(0, e);
    size_t nul = line.find('\0');
    if (nul != std::string_view::npos)
        line = line.substr(0, nul);
    std::string_view hs, as, ps, sc, err, desc;
    size_t p = 0;
    while (p < line.size()) {
        char c = line[p];
        if (c == ' ' || c == '\t' || c == ',') {
            p++;
            continue;
        }
        if (c == '#') {
            p++;
            while (p < line.size() && (line[p] == ' ' || line[p] == '\t'))
                p++;
            desc = line.substr(p);
            break;
        }
        size_t q = p + 1;
        while (q < line.size() && line[q] != ' ' && line[q] != '\t' && line[q] != ',')
            q++;
        std::string_view w = line.substr(p, q - p);
        p = q;
        if (ieq(w, "up")) {
            hs = w;
            a.op = agent_reply::O_UP;
            a.status = HCHK_L7OKD;
        }
        else if (ieq(w, "down") || ieq(w, "stopped") || ieq(w, "fail")) {
            hs = w;
            a.op = ieq(w, "down") ? agent_reply::O_DOWN
                   : ieq(w, "stopped") ? agent_reply::O_STOPPED : agent_reply::O_FAIL;
            a.status = HCHK_L7STSERR;
        }
        else if (ieq(w, "ready") || ieq(w, "drain") || ieq(w, "maint")) {
            as = w;
            a.admin = ieq(w, "ready") ? agent_reply::A_READY
                      : ieq(w, "drain") ? agent_reply::A_DRAIN : agent_reply::A_MAINT;
        }
        else if (isdigit((unsigned char)w[0]) && w.find('%') != std::string_view::npos)
            ps = w;
        else if (w.size() >= 8 && strncasecmp(w.data(), "maxconn:", 8) == 0)
            sc = w;
        else if (err.empty())
            err = w;
    }
    std::string wrn;
    if (!ps.empty()) {
        // HAProxy: a relative weight "<n>%"; anything else after the digits is refused.
        uint64_t v = 0;
        size_t k = 0;
        while (k < ps.size() && isdigit((unsigned char)ps[k]) && v < 100000000)
            v = v * 10 + static_cast<uint64_t>(ps[k++] - '0');
        if (k < ps.size() && ps[k] == '%' && k + 1 == ps.size()) {
            a.has_weight = true;
            a.weight_pct = static_cast<uint32_t>(v);
        }
        else
            wrn = "Trailing garbage in weight string";
    }
    if (!sc.empty()) {
        std::string_view v = sc.substr(8);
        uint64_t n = 0;
        size_t k = 0;
        while (k < v.size() && isdigit((unsigned char)v[k]) && n < 100000000)
            n = n * 10 + static_cast<uint64_t>(v[k++] - '0');
        if (k == v.size() && k > 0) {
            a.has_maxconn = true;
            a.maxconn = static_cast<uint32_t>(n);
        }
        else if (wrn.empty())
            wrn = "maxconn string empty or preceded by garbage";
    }
    a.valid = !hs.empty() || !as.empty() || a.has_weight || a.has_maxconn;
    a.desc = std::string(desc);
    if (!hs.empty()) {
        std::string_view msg = desc;
        if (msg.empty() || a.status == HCHK_L7OKD) {
            if (!err.empty())
                msg = err;
            else if (!wrn.empty())
                msg = wrn;
        }
        a.info = "via agent : " + std::string(hs);
        if (!msg.empty())
            a.info += " (" + std::string(msg) + ")";
    }
    else if (!err.empty())
        a.info = "agent reports an error : " + std::string(err);
    else if (!wrn.empty())
        a.info = "agent warns : " + wrn;
    if (a.info.size() > k_desc_len)
        a.info.resize(k_desc_len);
    return a;
}

} // namespace chk
