// SPDX-License-Identifier: MIT
// The HAProxy statistics page, served by the "stats" HTTP service (ABI 1.5, service.h).
//
// Configuration: "stats enable/uri/realm/auth/admin/refresh/hide-version/show-legends/
// show-node/show-desc/scope/http-request" in defaults, listen, frontend and backend
// sections, as HAProxy 2.6 (any of them enables the page). The proxy blob holds a pointer
// to a heap stats_conf, deep-copied from the defaults section.
//
// Requests: the http module asks the registered services whether one claims a request
// (service_match): this one does when the proxy has stats enabled and the request target
// starts with its "stats uri". The page is generated proxy by proxy from the rows of
// "show stat" (cli_show_stat, the same counters and status words), so the CSV export is
// exactly "show stat"'s and the HTML cannot disagree with it. Output is streamed: each
// run() call writes what the client's buffer takes and renders the next proxy only when
// the previous one is out.
#include "stats/stats_page.hpp"

#include <unistd.h>

#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "module/module.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "lb/srv_state.hpp"
#include "sample/sample.hpp"
#include "shm/shm.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

// ";json": HAProxy 2.6's "show stat json" document (the runtime API's renderer).
static std::string stats_json_all() { return cli_stat_json({}); }
std::string (*stats_json_hook)() = stats_json_all;

namespace {

const auto arg = kw_word;
const auto err = kw_error;

enum rule_kind { R_ALLOW, R_DENY, R_AUTH };

struct stats_rule {
    rule_kind kind;
    std::string realm;
    smp::cond* cond = nullptr;
};

struct stats_conf {
    bool enabled = false;
    std::string uri = "/haproxy?stats";
    std::string realm;
    std::vector<std::string> users; // "user:pass" of "stats auth"
    bool admin_set = false;
    smp::cond* admin = nullptr;     // "stats admin if|unless <cond>"
    uint32_t refresh = 0;           // seconds, 0 = none
    bool hide_version = false;
    bool show_legends = false;
    bool show_node = false;
    std::string node;
    bool show_desc = false;
    std::string desc;
    std::vector<std::string> scope; // "stats scope" ("." = this proxy)
    std::vector<stats_rule> rules;  // "stats http-request"
};

struct blob {
    stats_conf* c;
};

void conf_copy(ptc_modref*, uint32_t, void* dst, const void* src)
{
    auto* d = static_cast<blob*>(dst);
    auto* s = static_cast<const blob*>(src);
    d->c = s->c ? new stats_conf(*s->c) : nullptr;
}

module_rec* g_self;

stats_conf& C(const ptc_kw_ctx* c)
{
    g_self = to_module(c->self);
    auto* b = static_cast<blob*>(c->conf);
    if (!b->c)
        b->c = new stats_conf();
    b->c->enabled = true; // every "stats" keyword enables the page, as in HAProxy
    return *b->c;
}

std::string rest(const ptc_kw_ctx* c, uint32_t from)
{
    std::string s;
    for (uint32_t i = from; i < c->argc; i++) {
        if (i > from)
            s += ' ';
        s += arg(c, i);
    }
    return s;
}

int parse_enable(const ptc_kw_ctx* c)
{
    C(c);
    return PTC_OK;
}

int parse_uri(const ptc_kw_ctx* c)
{
    C(c).uri = arg(c, 2);
    return PTC_OK;
}

int parse_realm(const ptc_kw_ctx* c)
{
    C(c).realm = arg(c, 2);
    return PTC_OK;
}

int parse_auth(const ptc_kw_ctx* c)
{
    std::string a = arg(c, 2);
    if (a.find(':') == std::string::npos)
        return err(c, "'stats auth' expects <user>:<password>, got '" + a + "'");
    C(c).users.push_back(a);
    return PTC_OK;
}

int parse_refresh(const ptc_kw_ctx* c)
{
    uint64_t ms;
    if (g_host.parse_time(c->args[2], &ms) != PTC_OK)
        return err(c, "'stats refresh' expects a time, got '" + arg(c, 2) + "'");
    uint64_t sec = (ms + 999) / 1000;
    C(c).refresh = (uint32_t)(sec > 86400 * 365 ? 86400 * 365 : sec);
    return PTC_OK;
}

int parse_flag(const ptc_kw_ctx* c)
{
    std::string k = arg(c, 1);
    stats_conf& s = C(c);
    if (k == "hide-version")
        s.hide_version = true;
    else if (k == "show-legends")
        s.show_legends = true;
    return PTC_OK;
}

int parse_show_node(const ptc_kw_ctx* c)
{
    stats_conf& s = C(c);
    s.show_node = true;
    s.node = c->argc > 2 ? arg(c, 2) : "";
    return PTC_OK;
}

int parse_show_desc(const ptc_kw_ctx* c)
{
    stats_conf& s = C(c);
    s.show_desc = true;
    s.desc = rest(c, 2);
    return PTC_OK;
}

int parse_scope(const ptc_kw_ctx* c)
{
    C(c).scope.push_back(arg(c, 2));
    return PTC_OK;
}

int parse_admin(const ptc_kw_ctx* c)
{
    std::string w = arg(c, 2);
    if (w != "if" && w != "unless")
        return err(c, "'stats admin' requires a condition: 'stats admin { if | unless } "
                      "<cond>'");
    std::string e;
    uint32_t next = 0;
    smp::cond* cond = smp::cond_parse(c, 2, &next, smp::ruleset_use(PTC_RULES_HTTP_REQ), e);
    if (!cond)
        return err(c, "'stats admin': " + e);
    stats_conf& s = C(c);
    s.admin_set = true;
    s.admin = cond;
    return PTC_OK;
}

int parse_http_request(const ptc_kw_ctx* c)
{
    std::string a = arg(c, 2);
    stats_rule r{};
    uint32_t i = 3;
    if (a == "allow")
        r.kind = R_ALLOW;
    else if (a == "deny")
        r.kind = R_DENY;
    else if (a == "auth") {
        r.kind = R_AUTH;
        if (i < c->argc && arg(c, i) == "realm") {
            if (i + 1 >= c->argc)
                return err(c, "'stats http-request auth': 'realm' expects an argument");
            r.realm = arg(c, i + 1);
            i += 2;
        }
    } else {
        return err(c, "'stats http-request' expects 'allow', 'deny', 'auth', got '" + a + "'");
    }
    if (i < c->argc) {
        std::string w = arg(c, i);
        if (w != "if" && w != "unless")
            return err(c, "'stats http-request " + a + "': unexpected '" + w +
                              "', expects 'if' or 'unless'");
        std::string e;
        uint32_t next = 0;
        r.cond = smp::cond_parse(c, i, &next, smp::ruleset_use(PTC_RULES_HTTP_REQ), e);
        if (!r.cond)
            return err(c, "'stats http-request': " + e);
    }
    C(c).rules.push_back(r);
    return PTC_OK;
}


const stats_conf* conf_of(const ptc_proxy* px)
{
    auto* b = static_cast<const blob*>(g_host.proxy_conf(to_handle(g_self), px));
    return b && b->c && b->c->enabled ? b->c : nullptr;
}

// Refuses stats on proxies that cannot serve it.
int post_config(ptc_modref* self)
{
    g_self = to_module(self);
    int bad = 0;
    for (auto& p : g_config->proxies) {
        const stats_conf* s = conf_of(to_handle(p.get()));
        if (!s)
            continue;
        if (p->mode != px_mode::http && (p->cap & CAP_FE)) {
            // HAProxy ignores it with a warning; the page only exists in mode http
            diag(diag_level::warning,
                 "config : '%s' '%s': 'stats' settings ignored: the proxy is not in 'mode http'.",
                 proxy_type_name(*p), p->name.c_str());
        }
    }
    return bad ? PTC_ERROR : PTC_OK;
}

// ---- request helpers -----------------------------------------------------------------------

int b64val(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

std::string b64decode(std::string_view in)
{
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : in) {
        if (ch == '=')
            break;
        int v = b64val(ch);
        if (v < 0)
            return {};
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += (char)((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::string url_decode(std::string_view s)
{
    std::string o;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '+')
            o += ' ';
        else if (s[i] == '%' && i + 2 < s.size() &&
                 isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            o += (char)std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16);
            i += 2;
        } else
            o += s[i];
    }
    return o;
}

std::string html(std::string_view s)
{
    std::string o;
    for (char ch : s) {
        switch (ch) {
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '&': o += "&amp;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&#39;"; break;
        default: o += ch;
        }
    }
    return o;
}

// Splits "show stat" CSV into lines of fields (HAProxy's quoting: "..." with "" inside).
std::vector<std::vector<std::string>> csv_rows(const std::string& csv)
{
    std::vector<std::vector<std::string>> rows;
    size_t i = 0;
    while (i < csv.size()) {
        std::vector<std::string> f;
        std::string cur;
        bool q = false;
        for (; i < csv.size(); i++) {
            char ch = csv[i];
            if (q) {
                if (ch == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
                    cur += '"';
                    i++;
                } else if (ch == '"') {
                    q = false;
                } else {
                    cur += ch;
                }
            } else if (ch == '"') {
                q = true;
            } else if (ch == ',') {
                f.push_back(cur);
                cur.clear();
            } else if (ch == '\n') {
                i++;
                break;
            } else {
                cur += ch;
            }
        }
        if (!cur.empty())
            f.push_back(cur);
        rows.push_back(std::move(f));
    }
    return rows;
}

// ---- the service ---------------------------------------------------------------------------

enum out_kind { OUT_HTML, OUT_CSV, OUT_JSON, OUT_TYPED };

struct page {
    std::string out;  // rendered, not yet written
    size_t off = 0;
    int step = 0;     // 0: head, 1..n: proxy index + 1, then the end
    size_t px = 0;
    bool done = false;
    out_kind kind = OUT_HTML;
    bool up_only = false;
    bool norefresh = false;
    bool admin = false;
    std::string prefix;  // the stats uri as configured
    std::string st;      // ";st=" status to show
    std::string scope;   // "scope=" of the query
    const stats_conf* conf = nullptr;
    ptc_proxy* self_px = nullptr;
    std::map<std::string, size_t> col;
};

struct svc_ctx {
    page* p;
};

void send_simple(ptc_svc_txn* t, int status, const char* ctype, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& hdrs = {})
{
    t->ops->res_status(t, status, ptc_str{"", 0});
    t->ops->res_hdr_add(t, ptc_str{"content-length", 14},
                        ptc_str{std::to_string(body.size()).c_str(), std::to_string(body.size()).size()});
    t->ops->res_hdr_add(t, ptc_str{"cache-control", 13}, ptc_str{"no-cache", 8});
    t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{ctype, strlen(ctype)});
    for (auto& h : hdrs)
        t->ops->res_hdr_add(t, ptc_str{h.first.data(), h.first.size()},
                            ptc_str{h.second.data(), h.second.size()});
    if (!body.empty())
        t->ops->res_write(t, body.data(), body.size());
}

int service_match(ptc_proxy* px, ptc_str uri, const void** a)
{
    const stats_conf* s = conf_of(px);
    if (!s || to_proxy(px)->mode != px_mode::http)
        return 0;
    if (uri.len < s->uri.size() || std::memcmp(uri.ptr, s->uri.data(), s->uri.size()) != 0)
        return 0;
    *a = s;
    return 1;
}

bool in_scope(const page& pg, const proxy& p)
{
    if (!pg.conf->scope.empty()) {
        bool ok = false;
        for (auto& sc : pg.conf->scope)
            if (sc == p.name || (sc == "." && to_handle(const_cast<proxy*>(&p)) == pg.self_px))
                ok = true;
        if (!ok)
            return false;
    }
    if (!pg.scope.empty() && p.name.find(pg.scope) == std::string::npos)
        return false;
    return true;
}

std::string fmt_dur(uint64_t s)
{
    char b[64];
    if (s < 60)
        snprintf(b, sizeof(b), "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(b, sizeof(b), "%llum%llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(b, sizeof(b), "%lluh%llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60));
    else
        snprintf(b, sizeof(b), "%llud%lluh", (unsigned long long)(s / 86400),
                 (unsigned long long)(s / 3600 % 24));
    return b;
}

const char* k_css =
    "body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal;"
    " color: black; background: white;}\n"
    "th,td { font-size: 10px;}\n"
    "h1 { font-size: x-large; margin-bottom: 0.5em;}\n"
    "h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style:"
    " italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}\n"
    "h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040;"
    " background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}\n"
    "li { margin-top: 0.25em; margin-right: 2em;}\n"
    ".hr { margin-top: 0.25em; border-color: black; border-bottom-style: solid;}\n"
    ".titre { background: #20D0D0; color: #000000; font-weight: bold; text-align: center;}\n"
    ".total { background: #20D0D0; color: #ffff80;}\n"
    ".frontend { background: #e8e8d0;}\n"
    ".socket { background: #d0d0d0;}\n"
    ".backend { background: #e8e8d0;}\n"
    ".active_down { background: #ff9090;}\n"
    ".active_going_up { background: #ffd020;}\n"
    ".active_going_down { background: #ffffa0;}\n"
    ".active_up { background: #c0ffc0;}\n"
    ".active_nolb { background: #20a0ff;}\n"
    ".active_draining { background: #20a0ff;}\n"
    ".active_no_check { background: #e0e0e0;}\n"
    ".backup_down { background: #ff9090;}\n"
    ".backup_going_up { background: #ff80ff;}\n"
    ".backup_going_down { background: #c060ff;}\n"
    ".backup_up { background: #b0d0ff;}\n"
    ".backup_nolb { background: #90b0e0;}\n"
    ".backup_draining { background: #cc9900;}\n"
    ".backup_no_check { background: #e0e0e0;}\n"
    ".maintain { background: #c07820;}\n"
    "a.px:link, a.px:visited { color: #ffff40; text-decoration: none;}\n"
    "a.px:hover { color: #ffffff; text-decoration: none;}\n"
    "a.lfsb:link, a.lfsb:visited { color: #000000; text-decoration: none;}\n"
    "a.lfsb:hover { color: #505050; text-decoration: none;}\n"
    "table.tbl { border-collapse: collapse; border-style: none;}\n"
    "table.tbl td { text-align: right; border: 1px solid gray; padding: 2px 3px;"
    " white-space: nowrap;}\n"
    "table.tbl td.ac { text-align: center;}\n"
    "table.tbl th { border: 1px solid gray;}\n"
    "table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold;"
    " border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}\n"
    "table.tbl th.empty { border-style: none; empty-cells: hide; background: white;}\n"
    "table.tbl th.desc { background: white; border-style: solid solid none solid;"
    " text-align: left; padding: 2px 3px;}\n"
    "table.lgd { border-collapse: collapse; border-width: 1px; border-style: none none none"
    " solid; border-color: black;}\n"
    "table.lgd td { border: 1px solid gray; padding: 2px;}\n"
    "table.lgd td.noborder { border-style: none; padding: 2px; white-space: nowrap;}\n";

std::map<std::string, std::string> info_map()
{
    std::map<std::string, std::string> m;
    std::string s = cli_show_info();
    size_t i = 0;
    while (i < s.size()) {
        size_t e = s.find('\n', i);
        if (e == std::string::npos)
            e = s.size();
        std::string l = s.substr(i, e - i);
        size_t c = l.find(": ");
        if (c != std::string::npos)
            m[l.substr(0, c)] = l.substr(c + 2);
        i = e + 1;
    }
    return m;
}

std::string link(const page& pg, const std::string& opts)
{
    return html(pg.prefix + opts);
}

void render_head(page& pg)
{
    auto info = info_map();
    const stats_conf& c = *pg.conf;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    std::string node = c.node.empty() ? (info.count("node") ? info["node"] : host) : c.node;
    std::string& o = pg.out;
    o += "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n"
         "\"http://www.w3.org/TR/html4/loose.dtd\">\n<html><head><title>Statistics Report "
         "for portico";
    if (c.show_node)
        o += " on " + html(node);
    o += "</title>\n<link rel=\"icon\" href=\"data:,\">\n<meta http-equiv=\"content-type\" "
         "content=\"text/html; charset=iso-8859-1\">\n<style type=\"text/css\"><!--\n";
    o += k_css;
    o += "-->\n</style></head>\n<body><h1><a href=\"https://github.com/portico-proxy\" "
         "style=\"text-decoration: none;\">portico";
    if (!c.hide_version)
        o += std::string(" version ") + k_portico_version;
    o += "</a></h1>\n<h2>Statistics Report for pid " + info["Pid"];
    if (c.show_node)
        o += " on " + html(node);
    // as HAProxy: ": <description>" in the same title, the global one by default
    const std::string& desc = c.desc.empty() ? g_config->global.description : c.desc;
    if (c.show_desc && !desc.empty())
        o += ": " + html(desc);
    o += "</h2>\n";
    o += "<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n"
         "<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n<p><b>pid = </b> " +
         info["Pid"] + " (process #1, nbproc = 1, workers = " + info["Nbthread"] +
         ")<br>\n<b>uptime = </b> " + info["Uptime"] + "<br>\n<b>maxconn = </b> " +
         info["Maxconn"] + "<br>\ncurrent conns = " + info["CurrConns"] +
         "; cumulated conns = " + info["CumConns"] + "<br>\n</td>";
    if (c.show_legends || pg.admin) {
        o += "<td align=\"center\" nowrap>\n<table class=\"lgd\">"
             "<tr><td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td>"
             "<td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr>\n"
             "<tr><td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going "
             "down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, "
             "going down </td></tr>\n"
             "<tr><td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going "
             "up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, "
             "going up </td></tr>\n"
             "<tr><td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN "
             "&nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked "
             "</td></tr>\n"
             "<tr><td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or "
             "backup DOWN for maintenance (MAINT) &nbsp;</td></tr>\n"
             "<tr><td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">"
             "active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n"
             "Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>";
    }
    o += "<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b>"
         "<ul style=\"margin-top: 0.25em;\"><li><form method=\"GET\">Scope : <input value=\"" +
         html(pg.scope) +
         "\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n";
    o += pg.up_only ? "<li><a href=\"" + link(pg, "") + "\">Show all servers</a><br>\n"
                    : "<li><a href=\"" + link(pg, ";up") + "\">Hide 'DOWN' servers</a><br>\n";
    if (c.refresh)
        o += pg.norefresh ? "<li><a href=\"" + link(pg, "") + "\">Enable refresh</a><br>\n"
                          : "<li><a href=\"" + link(pg, ";norefresh") +
                                "\">Disable refresh</a><br>\n";
    o += "<li><a href=\"" + link(pg, "") + "\">Refresh now</a><br>\n";
    o += "<li><a href=\"" + link(pg, ";csv;norefresh") + "\">CSV export</a><br>\n";
    if (stats_json_hook)
        o += "<li><a href=\"" + link(pg, ";json;norefresh") + "\">JSON export</a><br>\n";
    o += "</ul></td></tr></table>\n";
    if (!pg.st.empty()) {
        static const std::pair<const char*, std::pair<const char*, const char*>> msgs[] = {
            {"DONE", {"active_up", "Action processed successfully."}},
            {"PART", {"active_going_down", "Action partially processed."}},
            {"NONE", {"active_going_down", "Nothing has changed."}},
            {"DENY", {"active_down", "Action denied."}},
            {"ERRP", {"active_down", "Action not processed because of invalid parameters."}},
        };
        for (auto& m : msgs)
            if (pg.st == m.first)
                o += std::string("<p><div class=") + m.second.first +
                     "><a class=lfsb href=\"" + link(pg, "") +
                     "\" title=\"Remove this message\">[X]</a> " + m.second.second +
                     "</div>\n";
    }
}

struct rowv {
    const page* pg;
    const std::vector<std::string>* f;
    std::string operator[](const char* n) const
    {
        auto it = pg->col.find(n);
        return it != pg->col.end() && it->second < f->size() ? (*f)[it->second] : "";
    }
};

std::string td(const std::string& v, const char* cls = nullptr)
{
    return std::string("<td") + (cls ? std::string(" class=") + cls : "") + ">" + html(v) +
           "</td>";
}

std::string or_dash(const std::string& v) { return v.empty() ? "-" : v; }

const char* server_class(const std::string& status, bool backup)
{
    std::string_view s = status;
    if (s.find("MAINT") != s.npos)
        return "maintain";
    auto pick = [&](const char* a, const char* b) { return backup ? b : a; };
    if (s.starts_with("DRAIN"))
        return pick("active_draining", "backup_draining");
    if (s.starts_with("no check"))
        return pick("active_no_check", "backup_no_check");
    if (s.starts_with("NOLB"))
        return pick("active_nolb", "backup_nolb");
    bool partial = s.find('/') != s.npos;
    if (s.starts_with("UP"))
        return partial ? pick("active_going_down", "backup_going_down")
                       : pick("active_up", "backup_up");
    if (s.starts_with("DOWN"))
        return partial ? pick("active_going_up", "backup_going_up")
                       : pick("active_down", "backup_down");
    return pick("active_no_check", "backup_no_check");
}

const char* k_groups =
    "<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>"
    "<th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th>"
    "<th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n"
    "<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>"
    "<th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th>"
    "<th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th>"
    "<th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th>"
    "<th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th></tr>\n";

std::string last_sess(const std::string& v)
{
    if (v.empty() || v[0] == '-')
        return "?";
    return fmt_dur(std::stoull(v));
}

void render_proxy(page& pg, const proxy& p)
{
    std::string err;
    std::vector<std::string> args = {"show", "stat", std::to_string(p.index + 2), "-1", "-1"};
    if (pg.up_only)
        args.push_back("up");
    std::string csv = cli_show_stat(args, err);
    auto rows = csv_rows(csv);
    if (rows.empty())
        return;
    if (pg.col.empty()) {
        auto& h = rows[0];
        for (size_t i = 0; i < h.size(); i++) {
            std::string n = h[i];
            if (i == 0 && n.starts_with("# "))
                n = n.substr(2);
            pg.col[n] = i;
        }
    }
    std::string& o = pg.out;
    bool admin_form = pg.admin && (p.cap & CAP_BE) && !p.servers.empty();
    std::string name = html(p.name);
    o += "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" "
         "width=\"10%\"><a name=\"" + name + "\"></a><a class=px href=\"#" + name + "\">" +
         name + "</a></th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n";
    if (admin_form)
        o += "<form method=\"post\">";
    o += "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">";
    if (admin_form)
        o += "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in "
             "document.getElementsByClassName('" + name + "-checkbox')) "
             "document.getElementsByClassName('" + name + "-checkbox').item(c).checked = "
             "this.checked\"></th>";
    else
        o += "<th rowspan=2></th>";
    o += "<th rowspan=2></th>";
    o += k_groups;
    for (size_t i = 1; i < rows.size(); i++) {
        rowv r{&pg, &rows[i]};
        std::string sv = r["svname"];
        if (sv.empty())
            continue;
        if (sv == "FRONTEND") {
            o += "<tr class=\"frontend\"><td></td><td class=ac><a name=\"" + name +
                 "/Frontend\"></a><a class=lfsb href=\"#" + name +
                 "/Frontend\">Frontend</a></td><td colspan=3></td>";
            o += td(r["rate"]) + td(r["rate_max"]) + td(or_dash(r["rate_lim"]));
            o += td(r["scur"]) + td(r["smax"]) + td(r["slim"]) + td(r["stot"]) + td("") +
                 td("");
            o += td(r["bin"]) + td(r["bout"]) + td(r["dreq"]) + td(r["dresp"]);
            o += td(r["ereq"]) + td("") + td("") + td("") + td("");
            o += "<td class=ac>" + html(r["status"]) + "</td><td class=ac colspan=8></td></tr>\n";
        } else if (sv == "BACKEND") {
            o += "<tr class=\"backend\"><td></td><td class=ac><a name=\"" + name +
                 "/Backend\"></a><a class=lfsb href=\"#" + name + "/Backend\">Backend</a></td>";
            o += td(r["qcur"]) + td(r["qmax"]) + td("");
            o += td(r["rate"]) + td(r["rate_max"]) + td("");
            o += td(r["scur"]) + td(r["smax"]) + td(r["slim"]) + td(r["stot"]) +
                 td(r["lbtot"]) + td(last_sess(r["lastsess"]));
            o += td(r["bin"]) + td(r["bout"]) + td(r["dreq"]) + td(r["dresp"]);
            o += td("") + td(r["econ"]) + td(r["eresp"]) + td(r["wretr"]) + td(r["wredis"]);
            std::string lc = r["lastchg"];
            o += "<td class=ac>" + (lc.empty() ? "" : fmt_dur(std::stoull(lc)) + " ") +
                 html(r["status"]) + "</td><td class=ac>&nbsp;</td>";
            o += "<td class=ac>" + html(r["weight"]) + "/" + html(r["uweight"]) + "</td>";
            o += "<td class=ac>" + html(r["act"]) + "</td><td class=ac>" + html(r["bck"]) +
                 "</td><td class=ac>&nbsp;</td>";
            std::string dt = r["downtime"];
            o += td(r["chkdown"]) + td(dt.empty() ? "" : fmt_dur(std::stoull(dt))) + td("") +
                 "</tr>\n";
        } else {
            std::string status = r["status"];
            bool backup = r["bck"] == "1";
            o += std::string("<tr class=\"") + server_class(status, backup) + "\">";
            if (admin_form)
                o += "<td><input class='" + name + "-checkbox' type=\"checkbox\" name=\"s\" "
                     "value=\"" + html(sv) + "\"></td>";
            else
                o += "<td></td>";
            o += "<td class=ac><a name=\"" + name + "/" + html(sv) + "\"></a><a class=lfsb "
                 "href=\"#" + name + "/" + html(sv) + "\">" + html(sv) + "</a></td>";
            o += td(r["qcur"]) + td(r["qmax"]) + td(or_dash(r["qlimit"]));
            o += td(r["rate"]) + td(r["rate_max"]) + td("");
            o += td(r["scur"]) + td(r["smax"]) + td(or_dash(r["slim"])) + td(r["stot"]) +
                 td(r["lbtot"]) + td(last_sess(r["lastsess"]));
            o += td(r["bin"]) + td(r["bout"]) + td("") + td(r["dresp"]);
            o += td("") + td(r["econ"]) + td(r["eresp"]) + td(r["wretr"]) + td(r["wredis"]);
            std::string lc = r["lastchg"];
            if (status == "no check")
                o += "<td class=ac><i>no check</i></td>";
            else
                o += "<td class=ac>" + (lc.empty() ? "" : fmt_dur(std::stoull(lc)) + " ") +
                     html(status) + "</td>";
            std::string cs = r["check_status"];
            std::string cd = r["check_duration"];
            std::string cc = r["check_code"];
            std::string lastchk = cs.empty() ? "" : cs + (cc.empty() ? "" : "/" + cc) +
                                                        (cd.empty() ? "" : " in " + cd + "ms");
            o += "<td class=ac>" + html(lastchk) + "</td>";
            o += "<td class=ac>" + html(r["weight"]) + "/" + html(r["uweight"]) + "</td>";
            o += std::string("<td class=ac>") + (backup ? "-" : "Y") + "</td><td class=ac>" +
                 (backup ? "Y" : "-") + "</td>";
            if (cs.empty())
                o += "<td colspan=3></td>";
            else {
                std::string dt = r["downtime"];
                o += td(r["chkfail"]) + td(r["chkdown"]) +
                     td(dt.empty() ? "" : fmt_dur(std::stoull(dt)));
            }
            o += "<td class=ac>-</td></tr>\n";
        }
    }
    o += "</table>";
    if (admin_form) {
        o += "Choose the action to perform on the checked servers : <select name=action>"
             "<option value=\"\"></option>"
             "<option value=\"ready\">Set state to READY</option>"
             "<option value=\"drain\">Set state to DRAIN</option>"
             "<option value=\"maint\">Set state to MAINT</option>"
             "<option value=\"dhlth\">Health: disable checks</option>"
             "<option value=\"ehlth\">Health: enable checks</option>"
             "<option value=\"hrunn\">Health: force UP</option>"
             "<option value=\"hnolb\">Health: force NOLB</option>"
             "<option value=\"hdown\">Health: force DOWN</option>"
             "<option value=\"dagent\">Agent: disable checks</option>"
             "<option value=\"eagent\">Agent: enable checks</option>"
             "<option value=\"arunn\">Agent: force UP</option>"
             "<option value=\"adown\">Agent: force DOWN</option>"
             "<option value=\"shutdown\">Kill Sessions</option>"
             "</select><input type=\"hidden\" name=\"b\" value=\"#" +
             std::to_string(p.index + 2) +
             "\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>";
    }
    o += "<p>\n";
}

// Applies an admin form POST; returns HAProxy's status word.
std::string apply_post(std::string_view body, bool truncated)
{
    if (truncated)
        return "EXCD";
    std::string action, b;
    std::vector<std::string> srvs;
    size_t i = 0;
    while (i <= body.size()) {
        size_t e = body.find('&', i);
        if (e == std::string_view::npos)
            e = body.size();
        std::string_view kv = body.substr(i, e - i);
        size_t eq = kv.find('=');
        if (eq != std::string_view::npos) {
            std::string k = url_decode(kv.substr(0, eq));
            std::string v = url_decode(kv.substr(eq + 1));
            if (k == "action")
                action = v;
            else if (k == "b")
                b = v;
            else if (k == "s")
                srvs.push_back(v);
        }
        i = e + 1;
    }
    if (action.empty() || b.size() < 2 || b[0] != '#')
        return "ERRP";
    proxy* be = nullptr;
    for (auto& p : g_config->proxies)
        if (std::to_string(p->index + 2) == b.substr(1) && (p->cap & CAP_BE))
            be = p.get();
    if (!be)
        return "ERRP";
    static const char* const known[] = {"ready", "drain", "maint",  "hrunn",  "hnolb",
                                        "hdown", "shutdown", "dhlth", "ehlth", "dagent",
                                        "eagent", "arunn", "adown"};
    // The check actions are the health-check module's runtime API commands (run here, in
    // the worker: they act on the module's shared memory).
    static const struct {
        const char* action;
        const char* cmd; // "%s" = backend/server
    } by_cli[] = {{"dhlth", "disable health %s"},   {"ehlth", "enable health %s"},
                  {"dagent", "disable agent %s"},   {"eagent", "enable agent %s"},
                  {"arunn", "set server %s agent up"}, {"adown", "set server %s agent down"}};
    bool ok = false;
    for (const char* k : known)
        ok |= action == k;
    if (!ok)
        return "ERRP";
    size_t done = 0, total = 0;
    for (auto& name : srvs) {
        total++;
        server* sv = nullptr;
        for (auto& s : be->servers)
            if (s->name == name)
                sv = s.get();
        if (!sv || !sv->shared)
            continue;
        const char* why = "changed from stats page";
        const char* cmd = nullptr;
        for (auto& c : by_cli)
            if (action == c.action)
                cmd = c.cmd;
        if (cmd) {
            if (!cli_has_command(cmd)) // no health-check module loaded
                continue;
            char line[512];
            std::string target = be->name + "/" + sv->name;
            snprintf(line, sizeof(line), cmd, target.c_str());
            cli_session cs;
            cs.level = CLI_LVL_ADMIN;
            std::string out = cli_run_line(cs, line);
            if (out != "\n") // a message: refused (no such check...)
                continue;
            done++;
            continue;
        }
        if (action == "ready")
            srv_set_admin_flags(be, sv, 0, SRV_RT_FMAINT | SRV_RT_FDRAIN, why);
        else if (action == "drain")
            srv_set_admin_flags(be, sv, SRV_RT_FDRAIN, SRV_RT_FMAINT, why);
        else if (action == "maint")
            srv_set_admin_flags(be, sv, SRV_RT_FMAINT, SRV_RT_FDRAIN, why);
        else if (action == "hrunn")
            srv_set_op(sv, SRV_OP_UP, "changed from stats page");
        else if (action == "hnolb")
            srv_set_op(sv, SRV_OP_STOPPING, "changed from stats page");
        else if (action == "hdown")
            srv_set_op(sv, SRV_OP_DOWN, "changed from stats page");
        else if (action == "shutdown")
            srv_shutdown_streams(sv, false);
        done++;
    }
    if (!total)
        return "NONE";
    return done == total ? "DONE" : done ? "PART" : "ERRP";
}

// Parses the options after the prefix (";csv", ";up", ";norefresh", ";st=XXX", "scope=").
void parse_opts(page& pg, std::string_view rest)
{
    size_t i = 0;
    while ((i = rest.find(';', i)) != std::string_view::npos) {
        std::string_view o = rest.substr(i + 1);
        size_t e = o.find_first_of(";?&");
        std::string_view w = o.substr(0, e);
        if (w == "csv")
            pg.kind = OUT_CSV;
        else if (w == "typed")
            pg.kind = OUT_TYPED;
        else if (w == "up")
            pg.up_only = true;
        else if (w == "norefresh")
            pg.norefresh = true;
        else if (w.starts_with("st="))
            pg.st = std::string(w.substr(3));
        i++;
    }
    size_t sc = rest.find("scope=");
    if (sc != std::string_view::npos) {
        std::string_view v = rest.substr(sc + 6);
        v = v.substr(0, v.find_first_of(";&"));
        pg.scope = url_decode(v);
    }
}

int svc_start(ptc_svc_txn* t)
{
    auto* ctx = static_cast<svc_ctx*>(t->ctx);
    // claimed by "stats uri": its settings; "http-request use-service stats": the proxy's
    // stats settings if it has some, else the defaults
    static const stats_conf k_default{};
    const stats_conf* cp = static_cast<const stats_conf*>(t->arg);
    if (!cp)
        cp = conf_of(t->proxy);
    const stats_conf& c = cp ? *cp : k_default;
    // "stats http-request" rules, then "stats auth"
    bool allowed = false;
    std::string realm = c.realm.empty() ? "HAProxy Statistics" : c.realm;
    bool need_auth = false;
    for (auto& r : c.rules) {
        if (r.cond && smp::cond_eval(t->stream, r.cond) != smp::COND_TRUE)
            continue;
        if (r.kind == R_ALLOW)
            allowed = true;
        else if (r.kind == R_DENY) {
            send_simple(t, 403, "text/html",
                        "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by "
                        "administrative rules.\n</body></html>\n");
            return PTC_OK;
        } else {
            need_auth = true;
            if (!r.realm.empty())
                realm = r.realm;
        }
        break;
    }
    if (!allowed && (need_auth || !c.users.empty())) {
        bool ok = false;
        ptc_str h;
        if (t->ops->req_hdr(t, ptc_str{"authorization", 13}, 0, &h) == PTC_OK) {
            std::string_view v(h.ptr, h.len);
            if (v.size() > 6 && strncasecmp(v.data(), "Basic ", 6) == 0) {
                std::string cred = b64decode(v.substr(6));
                for (auto& u : c.users)
                    ok |= cred == u;
            }
        }
        if (!ok) {
            send_simple(t, 401, "text/html",
                        "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and "
                        "password to access this content.\n</body></html>\n",
                        {{"www-authenticate", "Basic realm=\"" + realm + "\""}});
            return PTC_OK;
        }
    }
    auto* pg = new page();
    ctx->p = pg;
    pg->conf = &c;
    pg->self_px = t->proxy;
    pg->prefix = c.uri;
    pg->admin = c.admin_set && smp::cond_eval(t->stream, c.admin) == smp::COND_TRUE;
    std::string_view uri(t->uri.ptr, t->uri.len);
    // the options follow the prefix (or, for use-service, the path)
    std::string_view opts = uri.starts_with(c.uri) ? uri.substr(c.uri.size())
                                                   : uri.substr(std::min(uri.size(),
                                                                         uri.find_first_of(";?")));
    if (!uri.starts_with(c.uri))
        pg->prefix = std::string(uri.substr(0, uri.size() - opts.size()));
    parse_opts(*pg, opts);
    std::string_view method(t->method.ptr, t->method.len);
    if (method == "POST") {
        std::string st = pg->admin ? apply_post(std::string_view(t->body.ptr, t->body.len),
                                                t->flags & PTC_SVC_F_BODY_TRUNC)
                                   : "DENY";
        std::string loc = pg->prefix + ";st=" + st;
        send_simple(t, 303, "text/plain", "", {{"location", loc}});
        return PTC_OK;
    }
    if (opts.find(";json-schema") != std::string_view::npos) {
        send_simple(t, 200, "application/json", std::string(cli_stat_schema()) + "\n");
        return PTC_OK;
    }
    if (opts.find(";json") != std::string_view::npos) {
        if (!stats_json_hook) {
            send_simple(t, 501, "text/plain", "JSON output is not implemented yet.\n");
            return PTC_OK;
        }
        // streamed like the page: a large instance's document exceeds a buffer
        pg->kind = OUT_JSON;
        t->ops->res_status(t, 200, ptc_str{"", 0});
        t->ops->res_hdr_add(t, ptc_str{"cache-control", 13}, ptc_str{"no-cache", 8});
        t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{"application/json", 16});
        return PTC_YIELD;
    }
    t->ops->res_status(t, 200, ptc_str{"", 0});
    t->ops->res_hdr_add(t, ptc_str{"cache-control", 13}, ptc_str{"no-cache", 8});
    if (pg->kind == OUT_CSV || pg->kind == OUT_TYPED) {
        t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{"text/plain", 10});
    } else {
        t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{"text/html", 9});
        if (c.refresh && !pg->norefresh) {
            std::string r = std::to_string(c.refresh);
            t->ops->res_hdr_add(t, ptc_str{"refresh", 7}, ptc_str{r.data(), r.size()});
        }
    }
    return PTC_YIELD;
}

// Renders the next piece into pg.out; false when everything was rendered.
bool render_next(page& pg)
{
    auto& px = g_config->proxies;
    if (pg.kind == OUT_JSON) {
        if (pg.step)
            return false;
        pg.step = 1;
        pg.out = stats_json_hook();
        return true;
    }
    if (pg.step == 0) {
        pg.step = 1;
        if (pg.kind == OUT_CSV)
            pg.out += cli_stat_header();
        else if (pg.kind == OUT_HTML)
            render_head(pg);
        return true;
    }
    while (pg.px < px.size()) {
        const proxy& p = *px[pg.px++];
        if (!in_scope(pg, p))
            continue;
        if (pg.kind == OUT_CSV || pg.kind == OUT_TYPED) {
            std::string err;
            std::vector<std::string> args = {"show", "stat", std::to_string(p.index + 2), "-1",
                                             "-1"};
            if (pg.up_only)
                args.push_back("up");
            if (pg.kind == OUT_TYPED) {
                args.push_back("typed");
                pg.out += cli_show_stat(args, err);
            } else {
                std::string csv = cli_show_stat(args, err);
                size_t nl = csv.find('\n');
                pg.out += nl == std::string::npos ? "" : csv.substr(nl + 1);
            }
        } else {
            render_proxy(pg, p);
        }
        return true;
    }
    if (pg.step == 1) {
        pg.step = 2;
        if (pg.kind == OUT_HTML)
            pg.out += "</body></html>\n";
        return true;
    }
    return false;
}

int svc_run(ptc_svc_txn* t)
{
    auto* ctx = static_cast<svc_ctx*>(t->ctx);
    if (t->calls == 0) {
        int rc = svc_start(t);
        if (rc != PTC_YIELD)
            return rc;
    }
    page& pg = *ctx->p;
    for (;;) {
        if (pg.off < pg.out.size()) {
            size_t room = t->ops->res_room(t);
            if (!room)
                return PTC_YIELD;
            size_t n = t->ops->res_write(t, pg.out.data() + pg.off,
                                         std::min(room, pg.out.size() - pg.off));
            if (!n)
                return PTC_YIELD;
            pg.off += n;
            continue;
        }
        pg.out.clear();
        pg.off = 0;
        if (!render_next(pg))
            return PTC_OK;
    }
}

void svc_release(ptc_svc_txn* t)
{
    auto* ctx = static_cast<svc_ctx*>(t->ctx);
    delete ctx->p;
    ctx->p = nullptr;
}

const ptc_service k_stats_service = {
    .size = sizeof(ptc_service),
    .flags = 0,
    .name = "stats",
    .ctx_size = sizeof(svc_ctx),
    .max_body = 8192,
    .match = service_match,
    .run = svc_run,
    .release = svc_release,
    .help = "HAProxy statistics page (stats uri)",
};

int init(ptc_modref* self)
{
    g_self = to_module(self);
    return g_host.service_register(self, &k_stats_service, sizeof(k_stats_service));
}

constexpr uint32_t ALL = PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND | PTC_SEC_BACKEND;
constexpr uint32_t NODEF = PTC_SEC_FRONTEND | PTC_SEC_BACKEND;

const ptc_keyword k_stats_keywords[] = {
    {"stats enable", ALL, 0, 0, 0, parse_enable, "stats enable"},
    {"stats uri", ALL, 0, 1, 1, parse_uri, "stats uri <prefix>"},
    {"stats realm", ALL, 0, 1, 1, parse_realm, "stats realm <realm>"},
    {"stats auth", ALL, 0, 1, 1, parse_auth, "stats auth <user>:<passwd>"},
    {"stats admin", NODEF, 0, 2, -1, parse_admin, "stats admin { if | unless } <cond>"},
    {"stats refresh", ALL, 0, 1, 1, parse_refresh, "stats refresh <delay>"},
    {"stats hide-version", ALL, 0, 0, 0, parse_flag, "stats hide-version"},
    {"stats show-legends", ALL, 0, 0, 0, parse_flag, "stats show-legends"},
    {"stats show-node", ALL, 0, 0, 1, parse_show_node, "stats show-node [<name>]"},
    {"stats show-desc", ALL, 0, 0, -1, parse_show_desc, "stats show-desc [<description>]"},
    {"stats scope", ALL, 0, 1, 1, parse_scope, "stats scope { <name> | \".\" }"},
    {"stats http-request", NODEF, 0, 1, -1, parse_http_request,
     "stats http-request { allow | deny | auth [realm <realm>] } [ { if | unless } <cond> ]"},
};

const ptc_module k_stats_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "stats",
    .version = "0.1.0",
    .description = "portico statistics page",
    .keywords = k_stats_keywords,
    .keyword_count = PTC_COUNTOF(k_stats_keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(blob),
    .conf_copy = conf_copy,
    .init = init,
    .post_config = post_config,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* stats_module() { return &k_stats_module; }

} // namespace portico
