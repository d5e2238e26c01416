// SPDX-License-Identifier: MIT
// The check module: active health checks, agent checks and passive checks ("observe"), as
// HAProxy 2.6 does them, with one probe per checked target for the whole instance.
//
// This file holds the configuration: the server options (check, inter, rise, fall, port,
// addr, observe, agent-check, track...), the proxy keywords (option httpchk, http-check,
// option tcp-check, tcp-check, the protocol checks — parsed by the probe engine, spec.cpp),
// and post_config, which turns every checked server into members of probes: servers with
// the same target and the same check specification share one probe (in every backend),
// and each probe is owned by exactly one worker slot (rt.cpp).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "check_int.hpp"

namespace chk {

const ptc_host* host;
ptc_modref* g_self;
const ptc_pp_api* g_pp;
const ptc_http_api* g_http;
const ptc_ssl_api* g_ssl;
std::vector<member> g_members;
std::vector<probe_def> g_probes;
std::unordered_map<const ptc_server*, uint32_t> g_member_of;
bool g_any_observe;
uint32_t g_spread;
uint64_t g_max_spread;

namespace {

std::string str(ptc_str s) { return std::string(s.ptr, s.len); }

server_cf* scf(const ptc_kw_ctx* c) { return static_cast<server_cf*>(c->conf); }
proxy_cf* pcf(const ptc_kw_ctx* c) { return static_cast<proxy_cf*>(c->conf); }
ptc_str arg(const ptc_kw_ctx* c, uint32_t i = 0) { return c->args[c->kw_words + i]; }
std::string kwname(const ptc_kw_ctx* c)
{
    std::string k;
    for (uint32_t i = 0; i < c->kw_words; i++)
        k += (i ? " " : "") + str(c->args[i]);
    return k;
}

void note_where(const ptc_kw_ctx* c)
{
    if (c->server) {
        scf(c)->file = c->file;
        scf(c)->line = c->line;
    }
}

// ---- server options ----------------------------------------------------------------------

int kw_check(const ptc_kw_ctx* c)
{
    note_where(c);
    scf(c)->check = 1;
    return PTC_OK;
}

int kw_no_check(const ptc_kw_ctx* c)
{
    scf(c)->check = 0;
    return PTC_OK;
}

int kw_agent_check(const ptc_kw_ctx* c)
{
    note_where(c);
    scf(c)->agent = 1;
    return PTC_OK;
}

int kw_no_agent_check(const ptc_kw_ctx* c)
{
    scf(c)->agent = 0;
    return PTC_OK;
}

// "inter", "fastinter", "downinter", "agent-inter": a positive delay.
int kw_delay(const ptc_kw_ctx* c)
{
    uint64_t ms = 0;
    std::string k = kwname(c);
    if (host->parse_time(arg(c), &ms) != PTC_OK)
        return host->cfg_errorf(c, "'%s' expects a delay as argument, got '%.*s'", k.c_str(),
                                (int)arg(c).len, arg(c).ptr);
    if (ms == 0 || ms > 0x7fffffff)
        return host->cfg_errorf(c, "'%s' expects a positive delay (got '%.*s')", k.c_str(),
                                (int)arg(c).len, arg(c).ptr);
    server_cf* s = scf(c);
    uint32_t v = (uint32_t)ms;
    if (k == "inter")
        s->inter = v;
    else if (k == "fastinter")
        s->fastinter = v;
    else if (k == "downinter")
        s->downinter = v;
    else
        s->agent_inter = v;
    return PTC_OK;
}

bool parse_u32(ptc_str a, uint32_t lo, uint32_t hi, uint32_t& out)
{
    if (a.len == 0 || a.len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < a.len; i++) {
        if (a.ptr[i] < '0' || a.ptr[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(a.ptr[i] - '0');
    }
    if (v < lo || v > hi)
        return false;
    out = (uint32_t)v;
    return true;
}

// "rise", "fall", "error-limit": a positive count.
int kw_count(const ptc_kw_ctx* c)
{
    uint32_t v;
    std::string k = kwname(c);
    if (!parse_u32(arg(c), 1, 1000000, v))
        return host->cfg_errorf(c, "'%s' expects a positive integer, got '%.*s'", k.c_str(),
                                (int)arg(c).len, arg(c).ptr);
    if (k == "rise")
        scf(c)->rise = v;
    else if (k == "fall")
        scf(c)->fall = v;
    else
        scf(c)->error_limit = v;
    return PTC_OK;
}

int kw_port(const ptc_kw_ctx* c)
{
    uint32_t v;
    std::string k = kwname(c);
    if (!parse_u32(arg(c), 1, 65535, v))
        return host->cfg_errorf(c, "'%s' expects a valid port number (1..65535), got '%.*s'",
                                k.c_str(), (int)arg(c).len, arg(c).ptr);
    if (k == "port")
        scf(c)->port = v;
    else
        scf(c)->agent_port = v;
    return PTC_OK;
}

// "addr", "agent-addr": an IPv4/IPv6 address or a host name, resolved now (an unresolvable
// one is a configuration error, as HAProxy reports it at start-up).
int kw_addr(const ptc_kw_ctx* c)
{
    std::string k = kwname(c);
    std::string a = str(arg(c));
    // a port may follow ("addr 10.0.0.1:80", "[::1]:80"), as HAProxy accepts it: the checks
    // go to "port" or to the server's port anyway
    auto port_ok = [](const std::string& p) {
        return !p.empty() && p.find_first_not_of("0123456789") == std::string::npos;
    };
    if (a.size() > 2 && a.front() == '[') {
        size_t e = a.find(']');
        if (e != std::string::npos && (e + 1 == a.size() ||
                                       (a[e + 1] == ':' && port_ok(a.substr(e + 2)))))
            a = a.substr(1, e - 1);
    } else if (std::count(a.begin(), a.end(), ':') == 1 && port_ok(a.substr(a.find(':') + 1))) {
        a.erase(a.find(':'));
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(a.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res)
        return host->cfg_errorf(c, "'%s' : could not resolve address '%s' (%s)", k.c_str(),
                                a.c_str(), gai_strerror(rc));
    server_cf* s = scf(c);
    const char* text = host->cfg_strdup(c, ptc_str{a.data(), a.size()});
    if (k == "addr") {
        memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
        s->addrlen = (socklen_t)res->ai_addrlen;
        s->addr_text = text;
    } else {
        memcpy(&s->agent_addr, res->ai_addr, res->ai_addrlen);
        s->agent_addrlen = (socklen_t)res->ai_addrlen;
        s->agent_addr_text = text;
    }
    freeaddrinfo(res);
    return PTC_OK;
}

int kw_agent_send(const ptc_kw_ctx* c)
{
    scf(c)->agent_send = host->cfg_strdup(c, arg(c));
    return PTC_OK;
}

int kw_track(const ptc_kw_ctx* c)
{
    note_where(c);
    scf(c)->track = host->cfg_strdup(c, arg(c));
    return PTC_OK;
}

int kw_observe(const ptc_kw_ctx* c)
{
    std::string v = str(arg(c));
    if (v == "none")
        scf(c)->observe = OBS_NONE;
    else if (v == "layer4")
        scf(c)->observe = OBS_L4;
    else if (v == "layer7")
        scf(c)->observe = OBS_L7;
    else
        return host->cfg_errorf(c, "'observe' expects one of 'none', 'layer4', 'layer7' but "
                                   "got '%s'", v.c_str());
    return PTC_OK;
}

int kw_on_error(const ptc_kw_ctx* c)
{
    std::string v = str(arg(c));
    server_cf* s = scf(c);
    if (v == "fastinter")
        s->on_error = ONERR_FASTINTER;
    else if (v == "fail-check")
        s->on_error = ONERR_FAIL_CHECK;
    else if (v == "sudden-death")
        s->on_error = ONERR_SUDDEN_DEATH;
    else if (v == "mark-down")
        s->on_error = ONERR_MARK_DOWN;
    else
        return host->cfg_errorf(c, "'on-error' expects one of 'fastinter', 'fail-check', "
                                   "'sudden-death' or 'mark-down' but got '%s'", v.c_str());
    return PTC_OK;
}

int kw_on_marked(const ptc_kw_ctx* c)
{
    std::string k = kwname(c), v = str(arg(c));
    if (k == "on-marked-down") {
        if (v != "shutdown-sessions")
            return host->cfg_errorf(c, "'on-marked-down' expects 'shutdown-sessions' but got "
                                       "'%s'", v.c_str());
        scf(c)->down_shutdown = 1;
    } else {
        if (v != "shutdown-backup-sessions")
            return host->cfg_errorf(c, "'on-marked-up' expects 'shutdown-backup-sessions' but "
                                       "got '%s'", v.c_str());
        scf(c)->up_shutdown = 1;
    }
    return PTC_OK;
}

int kw_check_proto(const ptc_kw_ctx* c)
{
    std::string v = str(arg(c));
    if (v == "h1" || v == "http/1.1" || v == "http/1.0")
        return PTC_OK; // HTTP/1 is what the checks speak
    return host->cfg_errorf(c, "'check-proto %s' is not supported yet by portico (health "
                               "checks speak HTTP/1 only)", v.c_str());
}

// ---- proxy keywords ------------------------------------------------------------------------

int kw_spec(const ptc_kw_ctx* c)
{
    proxy_cf* p = pcf(c);
    if (!p->file) {
        p->file = c->file;
        p->line = c->line;
    }
    std::vector<std::string> words;
    for (uint32_t i = 0; i < c->argc; i++)
        words.push_back(str(c->args[i]));
    if (c->negated) {
        // "no option httpchk" (and the other options): back to a plain connect check
        *p->spec = check_spec();
        return PTC_OK;
    }
    std::string err;
    if (!p->spec->parse(words, err))
        return host->cfg_errorf(c, "%s", err.c_str());
    return PTC_OK;
}

int kw_log_health(const ptc_kw_ctx* c)
{
    pcf(c)->log_health = c->negated ? 0 : 1;
    return PTC_OK;
}

constexpr uint32_t SV = PTC_KW_SERVER | PTC_KW_DEFSERVER;
constexpr uint32_t BE = PTC_SEC_DEFAULTS | PTC_SEC_BACKEND;

const ptc_keyword keywords[] = {
    // server and default-server options
    {"check", SV, 0, 0, 0, kw_check, "check: enable health checks of this server"},
    {"no-check", SV, 0, 0, 0, kw_no_check, "no-check: cancel an inherited 'check'"},
    {"inter", SV, 0, 1, 1, kw_delay, "inter <delay>: interval between two checks (2s)"},
    {"fastinter", SV, 0, 1, 1, kw_delay,
     "fastinter <delay>: interval while the server's state is changing"},
    {"downinter", SV, 0, 1, 1, kw_delay, "downinter <delay>: interval while the server is down"},
    {"rise", SV, 0, 1, 1, kw_count, "rise <count>: consecutive good checks to be up (2)"},
    {"fall", SV, 0, 1, 1, kw_count, "fall <count>: consecutive failed checks to be down (3)"},
    {"port", SV, 0, 1, 1, kw_port, "port <port>: port the health checks connect to"},
    {"addr", SV, 0, 1, 1, kw_addr, "addr <address>: address the health checks connect to"},
    {"observe", SV, 0, 1, 1, kw_observe,
     "observe none|layer4|layer7: count errors of real traffic (passive checks)"},
    {"error-limit", SV, 0, 1, 1, kw_count,
     "error-limit <count>: consecutive observed errors before on-error acts (10)"},
    {"on-error", SV, 0, 1, 1, kw_on_error,
     "on-error fastinter|fail-check|sudden-death|mark-down: what observed errors do"},
    {"on-marked-down", SV, 0, 1, 1, kw_on_marked,
     "on-marked-down shutdown-sessions: close the server's streams when it goes down"},
    {"on-marked-up", SV, 0, 1, 1, kw_on_marked,
     "on-marked-up shutdown-backup-sessions: close the backups' streams when it comes up"},
    {"agent-check", SV, 0, 0, 0, kw_agent_check, "agent-check: enable the agent check"},
    {"no-agent-check", SV, 0, 0, 0, kw_no_agent_check,
     "no-agent-check: cancel an inherited 'agent-check'"},
    {"agent-port", SV, 0, 1, 1, kw_port, "agent-port <port>: port of the agent"},
    {"agent-addr", SV, 0, 1, 1, kw_addr, "agent-addr <address>: address of the agent"},
    {"agent-inter", SV, 0, 1, 1, kw_delay, "agent-inter <delay>: interval of the agent check"},
    {"agent-send", SV, 0, 1, 1, kw_agent_send, "agent-send <string>: sent to the agent first"},
    {"track", SV, 0, 1, 1, kw_track,
     "track [<backend>/]<server>: follow another server's check state"},
    {"check-proto", SV, 0, 1, 1, kw_check_proto, "check-proto h1: protocol of HTTP checks"},
    // check-ssl, no-check-ssl, check-sni and check-alpn are the ssl module's (TLS settings,
    // as in HAProxy); check-via-socks4 is not registered: the core refuses it as an HAProxy
    // keyword portico does not support yet
    // proxy keywords
    {"option httpchk", BE, PTC_KWF_NEGATABLE, 0, -1, kw_spec,
     "option httpchk [<method> <uri> [<version>]]: HTTP health checks"},
    {"option tcp-check", BE, PTC_KWF_NEGATABLE, 0, 0, kw_spec,
     "option tcp-check: health checks run the tcp-check rules"},
    {"option ssl-hello-chk", BE, PTC_KWF_NEGATABLE, 0, 0, kw_spec,
     "option ssl-hello-chk: check with an SSLv3 client hello"},
    {"option mysql-check", BE, PTC_KWF_NEGATABLE, 0, -1, kw_spec,
     "option mysql-check [user <name> [post-41|pre-41]]: MySQL health checks"},
    {"option pgsql-check", BE, PTC_KWF_NEGATABLE, 0, -1, kw_spec,
     "option pgsql-check user <name>: PostgreSQL health checks"},
    {"option redis-check", BE, PTC_KWF_NEGATABLE, 0, 0, kw_spec,
     "option redis-check: Redis health checks (PING)"},
    {"option smtpchk", BE, PTC_KWF_NEGATABLE, 0, -1, kw_spec,
     "option smtpchk [HELO|EHLO <domain>]: SMTP health checks"},
    {"option ldap-check", BE, PTC_KWF_NEGATABLE, 0, 0, kw_spec,
     "option ldap-check: LDAPv3 health checks"},
    {"http-check", BE, 0, 1, -1, kw_spec,
     "http-check send|expect|connect|comment|disable-on-404|send-state ..."},
    {"tcp-check", BE, 0, 1, -1, kw_spec, "tcp-check connect|send|send-binary|expect|comment ..."},
    {"option log-health-checks", BE, PTC_KWF_NEGATABLE, 0, 0, kw_log_health,
     "option log-health-checks: log every change of a check's status"},
};

// ---- blobs -------------------------------------------------------------------------------

void conf_init(ptc_modref*, uint32_t kind, void* conf)
{
    if (kind == PTC_CONF_SERVER) {
        server_cf* s = static_cast<server_cf*>(conf);
        s->inter = 2000;
        s->rise = 2;
        s->fall = 3;
        s->error_limit = 10;
        s->on_error = ONERR_FASTINTER;
    } else if (kind == PTC_CONF_PROXY) {
        static_cast<proxy_cf*>(conf)->spec = new check_spec();
    }
}

void conf_copy(ptc_modref*, uint32_t kind, void* dst, const void* src)
{
    if (kind == PTC_CONF_PROXY) {
        const proxy_cf* s = static_cast<const proxy_cf*>(src);
        proxy_cf* d = static_cast<proxy_cf*>(dst);
        *d = *s;
        d->spec = new check_spec(*s->spec);
        d->file = nullptr; // errors name the proxy's own lines
        return;
    }
    size_t n = kind == PTC_CONF_SERVER ? sizeof(server_cf) : 0;
    memcpy(dst, src, n);
}

// ---- post_config -------------------------------------------------------------------------

std::string addr_text(const sockaddr_storage& a)
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof(buf));
    else if (a.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf,
                  sizeof(buf));
    return buf;
}

uint16_t get_port(const sockaddr_storage& a)
{
    if (a.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    if (a.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    return 0;
}

// An IPv4 or IPv6 address other than the "any" one (0.0.0.0, ::).
bool inet_specific(const sockaddr_storage& a)
{
    static const in6_addr any6 = IN6ADDR_ANY_INIT;
    if (a.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr != 0;
    if (a.ss_family == AF_INET6)
        return memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, &any6,
                      sizeof(any6)) != 0;
    return false;
}

void set_port(sockaddr_storage& a, uint16_t p)
{
    if (a.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in&>(a).sin_port = htons(p);
    else if (a.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(p);
}

std::string where(const server_cf* c)
{
    if (!c->file)
        return "";
    return std::string(c->file) + ":" + std::to_string(c->line) + ": ";
}

// Finds "[<backend>/]<server>" (relative to <be>).
ptc_server* find_tracked(ptc_proxy* be, const char* spec)
{
    std::string t = spec;
    std::string bname, sname;
    size_t sl = t.find('/');
    if (sl == std::string::npos) {
        ptc_str n = host->proxy_name(be);
        bname.assign(n.ptr, n.len);
        sname = t;
    } else {
        bname = t.substr(0, sl);
        sname = t.substr(sl + 1);
    }
    return host->server_find(ptc_str{bname.data(), bname.size()},
                             ptc_str{sname.data(), sname.size()});
}

// TLS of server <s>'s health checks (HAProxy's init_srv_check): "check-ssl" always,
// "no-check-ssl" never, else the server's "ssl" unless the checks go to another "port" or
// "addr". Fills d.tls and the key parts; prepares the server's TLS context when a check
// connection may use it. false after an error was reported.
bool tls_setup(probe_def& d, ptc_server* s, const server_cf* c, const std::string& at)
{
    uint32_t f = g_ssl ? g_ssl->server_flags(s) : 0;
    bool explicit_ssl = d.spec->connect_ssl();
    d.tls = (f & PTC_SSL_SRV_CHECK_TLS) ||
            (!(f & PTC_SSL_SRV_NO_CHECK_TLS) && (f & PTC_SSL_SRV_TLS) && !c->port && !c->addrlen);
    if (!d.tls && !explicit_ssl)
        return true;
    ptc_str bn = host->proxy_name(host->server_backend(s)), sn = host->server_name(s);
    if (!g_ssl) {
        host->errorf(g_self, "%sserver '%.*s/%.*s': TLS health checks need the ssl module",
                     at.c_str(), (int)bn.len, bn.ptr, (int)sn.len, sn.ptr);
        return false;
    }
    if (g_ssl->check_prepare(s) != PTC_OK)
        return false;
    d.tls_srv = s;
    // the checks speak HTTP/1 only: an HTTP check does not offer h2 in its ALPN
    d.no_h2 = d.spec->kind() == check_spec::K_HTTP;
    // a probe with TLS uses its own server's TLS settings: never shared with another server
    d.key_tls = std::string("|tls") + (d.tls ? "1" : "0") + ":" + std::string(bn.ptr, bn.len) +
                "/" + std::string(sn.ptr, sn.len);
    return true;
}

int post_config(ptc_modref* self)
{
    g_pp = static_cast<const ptc_pp_api*>(host->api_lookup(PTC_PP_API_NAME, 1, nullptr));
    g_http = static_cast<const ptc_http_api*>(host->api_lookup(PTC_HTTP_API_NAME, 1, nullptr));
    g_ssl = static_cast<const ptc_ssl_api*>(host->api_lookup(PTC_SSL_API_NAME, 1, nullptr));
    if (g_ssl && g_ssl->size < offsetof(ptc_ssl_api, transport_error) + sizeof(void*))
        g_ssl = nullptr; // an ssl module older than 1.9: no TLS checks
    g_spread = (uint32_t)host->global_setting("spread-checks");
    g_max_spread = host->global_setting("max-spread-checks");
    bool ok = true;

    // 1. finish every backend's rules
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!(host->proxy_cap(p) & PTC_SEC_BACKEND))
            continue;
        proxy_cf* pc = static_cast<proxy_cf*>(host->proxy_conf(self, p));
        if (!pc || !pc->spec)
            continue;
        std::string err;
        if (!pc->spec->finish(err)) {
            ptc_str n = host->proxy_name(p);
            if (pc->file)
                host->errorf(self, "%s:%u: backend '%.*s': %s", pc->file, pc->line, (int)n.len,
                             n.ptr, err.c_str());
            else
                host->errorf(self, "backend '%.*s': %s", (int)n.len, n.ptr, err.c_str());
            ok = false;
            continue;
        }
        for (const std::string& w : pc->spec->warnings()) {
            ptc_str n = host->proxy_name(p);
            host->log(PTC_LOG_WARNING, "config : backend '%.*s' %s", (int)n.len, n.ptr,
                      w.c_str());
        }
    }
    if (!ok)
        return PTC_ERROR;

    // 2. members: every server with check or agent-check
    std::map<std::string, uint32_t> by_key;
    auto add_probe = [&](probe_def&& d, uint32_t m) {
        auto it = by_key.find(d.key);
        uint32_t i;
        if (it == by_key.end()) {
            i = (uint32_t)g_probes.size();
            by_key.emplace(d.key, i);
            g_probes.push_back(std::move(d));
        } else {
            i = it->second;
        }
        g_probes[i].members.push_back(m);
        return (int)i;
    };
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!(host->proxy_cap(p) & PTC_SEC_BACKEND))
            continue;
        proxy_cf* pc = static_cast<proxy_cf*>(host->proxy_conf(self, p));
        uint64_t tconnect = host->proxy_timeout(p, "connect");
        uint64_t tcheck = host->proxy_timeout(p, "check");
        for (ptc_server* s = host->server_next(p, nullptr); s; s = host->server_next(p, s)) {
            const server_cf* c = static_cast<const server_cf*>(host->server_conf(self, s));
            if (c && (c->track || !c->check))
                publish_level(s, c->rise); // HAProxy: "rise" sets the level, checked or not
            if (!c || c->track || (!c->check && !c->agent))
                continue;
            member mb;
            mb.srv = s;
            mb.be = p;
            mb.cf = c;
            mb.pcf = pc;
            ptc_str bn = host->proxy_name(p), sn = host->server_name(s);
            mb.be_name.assign(bn.ptr, bn.len);
            mb.srv_name.assign(sn.ptr, sn.len);
            sockaddr_storage sa{};
            socklen_t salen = host->server_addr(s, &sa);
            uint32_t mi = (uint32_t)g_members.size();
            for (int k = K_HEALTH; k <= K_AGENT; k++) {
                if (k == K_HEALTH ? !c->check : !c->agent)
                    continue;
                probe_def d;
                d.kind = k;
                uint32_t inter = k == K_AGENT && c->agent_inter ? c->agent_inter : c->inter;
                d.inter = inter;
                d.fastinter = k == K_HEALTH && c->fastinter ? c->fastinter : inter;
                d.downinter = k == K_HEALTH && c->downinter ? c->downinter : inter;
                d.tmo_connect = (uint32_t)tconnect;
                d.tmo_check = (uint32_t)tcheck;
                const sockaddr_storage* a = &sa;
                socklen_t alen = salen;
                if (k == K_AGENT && c->agent_addrlen) {
                    a = &c->agent_addr;
                    alen = c->agent_addrlen;
                } else if (c->addrlen) {
                    a = &c->addr;
                    alen = c->addrlen;
                }
                if (!alen || (a->ss_family != AF_INET && a->ss_family != AF_INET6 &&
                              a->ss_family != AF_UNIX)) {
                    host->errorf(self, "%sserver '%s/%s' has no address to check",
                                 where(c).c_str(), mb.be_name.c_str(), mb.srv_name.c_str());
                    ok = false;
                    continue;
                }
                memcpy(&d.addr, a, alen);
                d.addrlen = alen;
                d.addr_is_server = (a == &sa);
                uint16_t port = 0;
                if (k == K_AGENT) // "port" stands for a missing "agent-port", as HAProxy
                    port = (uint16_t)(c->agent_port ? c->agent_port : c->port);
                else
                    port = c->port ? (uint16_t)c->port : (uint16_t)0;
                if (!port && a->ss_family != AF_UNIX)
                    port = get_port(sa);
                if (k == K_AGENT && !port) {
                    host->errorf(self, "%sserver '%s/%s': 'agent-check' needs 'agent-port'",
                                 where(c).c_str(), mb.be_name.c_str(), mb.srv_name.c_str());
                    ok = false;
                    continue;
                }
                // A port is needed to check a given IP address (HAProxy 2.6's refusal); the
                // "any" address (a server written ":" or "*" or 0.0.0.0, no port) passes as
                // in HAProxy, whose check then fails to connect (L4CON).
                if (!port && (inet_specific(*a) ||
                              (a != &sa && a->ss_family != AF_UNIX && inet_specific(sa)))) {
                    host->errorf(self, "%sbackend '%s': server '%s' has neither service port nor check port.",
                                 where(c).c_str(), mb.be_name.c_str(), mb.srv_name.c_str());
                    ok = false;
                    continue;
                }
                if (a->ss_family != AF_UNIX)
                    set_port(d.addr, port);
                d.port = port;
                if (k == K_HEALTH) {
                    d.spec = pc->spec;
                    // PROXY header: check-send-proxy, or send-proxy without port/addr
                    uint32_t f = g_pp ? g_pp->server_flags(s) : 0;
                    if ((f & PTC_PP_CHECK_SEND) ||
                        ((f & (PTC_PP_SEND_V1 | PTC_PP_SEND_V2)) && !c->port && !c->addrlen))
                        d.pp_version = (f & PTC_PP_SEND_V2) ? 2 : 1;
                    if (!tls_setup(d, s, c, where(c)))
                        ok = false;
                } else if (c->agent_send) {
                    d.agent_send = c->agent_send;
                }
                mb.addr_text[k] = a->ss_family == AF_UNIX ? std::string("unix") : addr_text(d.addr);
                mb.port[k] = port;
                mb.cfg_port[k] = k == K_AGENT ? port : (uint16_t)c->port;
                if (a != &sa)
                    mb.cfg_addr[k] = addr_text(*a);
                // HAProxy's agent has its own counters: rise 1, fall 1
                mb.rise[k] = k == K_AGENT ? 1 : c->rise;
                mb.fall[k] = k == K_AGENT ? 1 : c->fall;
                char head[256];
                snprintf(head, sizeof(head), "%d|%s|%u|%u|%u|%u|%u|%u|%u|%u|%u|", k,
                         mb.addr_text[k].c_str(), port, d.inter, d.fastinter, d.downinter,
                         d.tmo_connect, d.tmo_check, d.pp_version, c->rise, c->fall);
                d.key = head;
                d.key += k == K_HEALTH ? d.spec->key() : d.agent_send;
                // a probe that follows its server's address ("set server ... addr") follows
                // its first member's: members sharing it had the same address at load
                d.key += d.addr_is_server ? "|server-addr" : "|addr";
                d.key += d.key_tls;
                mb.probe[k] = add_probe(std::move(d), mi);
            }
            if (mb.probe[K_HEALTH] < 0 && mb.probe[K_AGENT] < 0)
                continue;
            if (c->observe != OBS_NONE)
                g_any_observe = true;
            g_member_of[s] = mi;
            g_members.push_back(std::move(mb));
        }
    }

    // 3. "track": a tracking server follows the state of the member at the end of the chain
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!(host->proxy_cap(p) & PTC_SEC_BACKEND))
            continue;
        for (ptc_server* s = host->server_next(p, nullptr); s; s = host->server_next(p, s)) {
            const server_cf* c = static_cast<const server_cf*>(host->server_conf(self, s));
            if (!c || !c->track)
                continue;
            ptc_str bn = host->proxy_name(p), sn = host->server_name(s);
            ptc_server* t = s;
            const server_cf* tc = c;
            int hops = 0;
            while (tc && tc->track && hops++ < 64) {
                ptc_server* nt = find_tracked(host->server_backend(t), tc->track);
                if (!nt) {
                    host->errorf(self, "%sserver '%.*s/%.*s': unable to find required server "
                                 "'%s' for tracking", where(c).c_str(), (int)bn.len, bn.ptr,
                                 (int)sn.len, sn.ptr, tc->track);
                    ok = false;
                    t = nullptr;
                    break;
                }
                t = nt;
                // tracked: "del server" refuses it (HAProxy's non-purgeable servers)
                if (PTC_HOST_HAS(host, server_pin))
                    host->server_pin(t);
                tc = static_cast<const server_cf*>(host->server_conf(self, t));
            }
            if (!t)
                continue;
            auto it = g_member_of.find(t);
            if (t == s || hops >= 64 || it == g_member_of.end()) {
                host->errorf(self, "%sserver '%.*s/%.*s': unable to use '%s' for tracking as it "
                             "does not have any check nor agent enabled", where(c).c_str(),
                             (int)bn.len, bn.ptr, (int)sn.len, sn.ptr, c->track);
                ok = false;
                continue;
            }
            g_members[it->second].trackers.push_back(s);
        }
    }
    if (!ok)
        return PTC_ERROR;
    if (!rt_reserve()) {
        host->errorf(self, "health checks: could not reserve shared memory");
        return PTC_ERROR;
    }
    return cli_register_all();
}

int init(ptc_modref* self)
{
    g_self = self;
    return PTC_OK;
}

int worker_init(ptc_modref*) { return rt_worker_init(); }
void worker_fini(ptc_modref*) { rt_worker_fini(); }

const ptc_hook hooks[] = {
    {PTC_PHASE_SRV_CONNECTED, 100, hook_srv_connected},
    {PTC_PHASE_SRV_ERROR, 100, hook_srv_error},
    {PTC_PHASE_HTTP_RESPONSE, 100, hook_http_response},
};

const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "check",
    .version = "1.0.0",
    .description = "health checks: HTTP, TCP rules, protocol and agent checks, observe",
    .keywords = keywords,
    .keyword_count = PTC_COUNTOF(keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(proxy_cf),
    .server_conf_size = sizeof(server_cf),
    .conf_init = conf_init,
    .conf_copy = conf_copy,
    .init = init,
    .post_config = post_config,
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace
} // namespace chk

PTC_MODULE_ENTRY(h)
{
    chk::host = h;
    return &chk::descriptor;
}
