// SPDX-License-Identifier: MIT
// The check module's runtime: probes, the rise/fall state machine, agent answers, passive
// checks ("observe").
//
// One probe per target for the whole instance: probe i is run by worker slot
// (i % workers) only. Its schedule (next_due, on the monotonic clock every process shares)
// and every member's counters live in module shared memory, so the slot's replacement after
// a crash picks the probe up where it was: no burst, no gap beyond the worker's restart. A
// probe's result is applied to each member server (HAProxy's health counter: 0..rise+fall-1,
// up from rise on); a transition sets the server's operational state for every worker
// through host->server_set_op, which logs it in HAProxy's words.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "check_int.hpp"

namespace chk {

namespace {

shm_area* g_area;
std::mt19937 g_rng;

constexpr size_t k_inbuf = 16384; // a ptc_conn's input buffer

} // namespace

shm_member* sh_member(uint32_t i)
{
    return reinterpret_cast<shm_member*>(reinterpret_cast<char*>(g_area) + sizeof(shm_area)) + i;
}

shm_probe* sh_probe(uint32_t i)
{
    return reinterpret_cast<shm_probe*>(sh_member(g_area->nmembers)) + i;
}

bool rt_reserve()
{
    size_t sz = sizeof(shm_area) + g_members.size() * sizeof(shm_member) +
                g_probes.size() * sizeof(shm_probe);
    g_area = static_cast<shm_area*>(host->shm_reserve(g_self, "state", sz));
    if (!g_area)
        return false;
    g_area->nmembers = (uint32_t)g_members.size();
    g_area->nprobes = (uint32_t)g_probes.size();
    for (uint32_t i = 0; i < g_members.size(); i++) {
        shm_member* sm = sh_member(i);
        for (int k = K_HEALTH; k <= K_AGENT; k++) {
            // HAProxy starts a checked server up, one failure away from down
            sm->c[k].health = g_members[i].rise[k];
            sm->c[k].status = HCHK_INI;
            sm->c[k].code = -1;
            sm->c[k].duration = -1;
        }
    }
    return true;
}

// ---- reasons and publication -------------------------------------------------------------

std::string reason_of(uint32_t status, int code, const char* desc, int duration)
{
    std::string r = hchk_desc((hchk)status);
    if (status >= HCHK_L57DATA)
        r += ", code: " + std::to_string(code);
    if (desc && *desc)
        r += std::string(", info: \"") + desc + "\"";
    if (duration >= 0)
        r += ", check duration: " + std::to_string(duration) + "ms";
    return r;
}

void publish(uint32_t m, int k)
{
    const member& mb = g_members[m];
    if (mb.probe[k] < 0)
        return;
    shm_member* sm = sh_member(m);
    const shm_check& c = sm->c[k];
    ptc_check_info ci{};
    ci.size = sizeof(ci);
    ci.state = PTC_CHKST_CONFIGURED | (c.disabled ? 0 : PTC_CHKST_ENABLED) |
               (c.running ? PTC_CHKST_INPROGRESS : 0) | (k == K_AGENT ? PTC_CHKST_AGENT : 0);
    if (host->server_state(mb.srv) & PTC_SRV_ST_MAINT)
        ci.state |= PTC_CHKST_PAUSED;
    ci.status = hchk_name((hchk)c.status);
    ci.status_desc = hchk_desc((hchk)c.status);
    ci.status_num = c.status;
    ci.result = c.result;
    ci.code = c.code;
    ci.duration_ms = c.duration;
    ci.desc = c.desc;
    ci.health = c.health;
    ci.rise = mb.rise[k];
    ci.fall = mb.fall[k];
    ci.failed = c.failed;
    ci.hanafail = c.hanafail;
    uint32_t po = sh_probe((uint32_t)mb.probe[k])->port_override.load();
    ci.port = po ? po : mb.cfg_port[k];
    ci.addr = mb.cfg_addr[k].c_str();
    host->server_set_check(mb.srv, (uint32_t)k, &ci);
}

void publish_level(ptc_server* s, uint32_t level)
{
    if (host->abi_minor < 31) // an older host would take it for a configured check
        return;
    ptc_check_info ci{};
    ci.size = sizeof(ci);
    ci.state = 0; // not PTC_CHKST_CONFIGURED: no health check
    ci.code = -1;
    ci.duration_ms = -1;
    ci.health = level;
    host->server_set_check(s, PTC_CHECK_HEALTH, &ci);
}

bool member_up(uint32_t m)
{
    const member& mb = g_members[m];
    shm_member* sm = sh_member(m);
    for (int k = K_HEALTH; k <= K_AGENT; k++)
        if (mb.probe[k] >= 0 && !sm->c[k].disabled && sm->c[k].health < mb.rise[k])
            return false;
    return true;
}

namespace {

// Which op state the counters call for (STOPPING: a 404 with disable-on-404, or "stopping"
// forced from the runtime API, while up).
uint32_t wanted_op(uint32_t m, bool condpass)
{
    if (!member_up(m))
        return PTC_SRV_OP_DOWN;
    return condpass ? PTC_SRV_OP_STOPPING : PTC_SRV_OP_UP;
}

uint32_t current_op(ptc_server* s)
{
    uint32_t st = host->server_state(s);
    if (!(st & PTC_SRV_ST_UP))
        return PTC_SRV_OP_DOWN;
    return (st & PTC_SRV_ST_STOPPING) ? PTC_SRV_OP_STOPPING : PTC_SRV_OP_UP;
}

} // namespace

void settle(uint32_t m, const std::string& why, bool condpass)
{
    const member& mb = g_members[m];
    uint32_t want = wanted_op(m, condpass);
    uint32_t cur = current_op(mb.srv);
    if (want == cur)
        return;
    host->server_set_op(mb.srv, want, why.c_str());
    std::string via = "via " + mb.be_name + "/" + mb.srv_name;
    for (ptc_server* t : mb.trackers)
        host->server_set_op(t, want, via.c_str());
    if (want == PTC_SRV_OP_DOWN && mb.cf->down_shutdown) {
        host->server_shutdown_streams(mb.srv, 0);
        for (ptc_server* t : mb.trackers)
            host->server_shutdown_streams(t, 0);
    }
    if (want == PTC_SRV_OP_UP && cur == PTC_SRV_OP_DOWN && mb.cf->up_shutdown)
        host->server_shutdown_streams(mb.srv, PTC_SHUT_BACKUPS);
}

namespace {

// HAProxy's "Health check for server be/s1 succeeded, reason: ..., status: 3/3 UP." line
// (option log-health-checks).
void log_health(uint32_t m, int k, const shm_check& c, bool status_changed, bool backup)
{
    const member& mb = g_members[m];
    if (!mb.pcf || !mb.pcf->log_health)
        return;
    if (k == K_AGENT && c.result == RES_NEUTRAL && c.status == HCHK_CHECKED)
        return; // an answer without a health word changes nothing worth a line
    uint32_t rise = mb.rise[k], fall = mb.fall[k];
    bool failed = c.result == RES_FAILED;
    bool passed = c.result >= RES_PASSED;
    if (!(status_changed || (failed && c.health != 0) || (passed && c.health != rise + fall - 1)))
        return;
    const char* what = c.result == RES_CONDPASS ? "conditionally succeeded"
                       : passed                 ? "succeeded"
                                                : "failed";
    char st[64];
    if (c.health >= rise)
        snprintf(st, sizeof(st), "%u/%u UP", c.health - rise + 1, fall);
    else
        snprintf(st, sizeof(st), "%u/%u DOWN", c.health, rise);
    std::string r = reason_of(c.status, c.code, c.desc, c.duration);
    // HAProxy writes it as a warning on its output and logs it at "notice"
    char line[512];
    snprintf(line, sizeof(line), "%s check for %sserver %s/%s %s, reason: %s, status: %s.",
             k == K_AGENT ? "Agent" : "Health", backup ? "backup " : "", mb.be_name.c_str(),
             mb.srv_name.c_str(), what, r.c_str(), st);
    host->log(PTC_LOG_WARNING, "%s", line);
    host->proxy_log(mb.be, PTC_LOG_NOTICE, "%s", line);
}

// What follows "Server be/s is DOWN" in the transition's log line: ", reason: ..." (the
// core adds the comma); nothing when "option log-health-checks" already said it.
std::string check_tail(uint32_t m, const shm_check& c)
{
    const member& mb = g_members[m];
    if (mb.pcf && mb.pcf->log_health)
        return std::string();
    return "reason: " + reason_of(c.status, c.code, c.desc, c.duration);
}

// Applies a finished probe of kind k to member m. Returns whether the member is usable by it.
void apply(uint32_t m, int k, const probe_result& r, int duration)
{
    const member& mb = g_members[m];
    shm_member* sm = sh_member(m);
    uint32_t rise = mb.rise[k], fall = mb.fall[k];
    bool backup = host->server_state(mb.srv) & PTC_SRV_ST_BACKUP;
    sm->lock.lock();
    shm_check& c = sm->c[k];
    if (c.disabled) {
        sm->lock.unlock();
        return;
    }
    bool status_changed = c.status != (uint32_t)r.status;
    c.status = r.status;
    c.result = r.result;
    c.code = r.code;
    c.duration = duration;
    snprintf(c.desc, sizeof(c.desc), "%s", r.desc.c_str());
    if (r.result == RES_FAILED) {
        if (c.health >= rise)
            c.failed++;
        if (c.health > rise)
            c.health--;
        else
            c.health = 0;
    } else if (r.result == RES_PASSED || r.result == RES_CONDPASS) {
        if (c.health < rise + fall - 1) {
            c.health++;
            if (c.health >= rise)
                c.health = rise + fall - 1;
        }
    }
    shm_check snap = c;
    sm->lock.unlock();
    log_health(m, k, snap, status_changed, backup);
    publish(m, k);
    if (k == K_HEALTH || r.result == RES_FAILED || r.result == RES_PASSED)
        settle(m, check_tail(m, snap), k == K_HEALTH && r.result == RES_CONDPASS);
}

// ---- probes --------------------------------------------------------------------------------

struct runner;

// probe_io over a ptc_conn, with TLS when the check asks for it (the ssl module's check
// transport, driven here: the raw bytes go through it both ways).
struct conn_io final : probe_io {
    runner* r = nullptr;
    ptc_conn* c = nullptr;
    bool is_connected = false;
    bool all_sent = true;
    bool linger = false;      // the last connect said "linger": end with a FIN, not a reset
    // TLS
    const ptc_transport* tt = nullptr;
    void* tctx = nullptr;
    std::string plain;        // decoded bytes not yet consumed
    std::string raw_out;      // encoded bytes the connection had no room for yet
    bool tls_ready = false;   // handshake done
    bool tls_failed = false;
    bool raw_eof = false;     // the peer closed and every raw byte was decoded
    std::string err_text;     // HAProxy's connection error text ("SSL handshake failure")

    bool connect(const connect_opts& o) override;
    bool connected() const override { return is_connected && (!tt || tls_ready); }
    bool handshaking() const override { return is_connected && tt && !tls_ready; }
    bool is_tls() const override { return tt != nullptr; }
    const char* error_text() const override
    {
        return err_text.empty() ? nullptr : err_text.c_str();
    }
    void flush()
    {
        if (!c || raw_out.empty())
            return;
        size_t n = host->conn_send(c, raw_out.data(), raw_out.size());
        if (n) {
            all_sent = false;
            raw_out.erase(0, n);
        }
    }
    void tls_fail(const char* why)
    {
        if (tls_failed)
            return;
        tls_failed = true;
        const char* t = g_ssl ? g_ssl->transport_error(tctx) : nullptr;
        err_text = t ? t : why;
    }
    // Encodes what TLS has to send of its own (handshake records) and sends it.
    void pump_out()
    {
        if (!tt || tls_failed)
            return;
        flush();
        while (raw_out.empty() && tt->want_send(tctx)) {
            char buf[4096];
            size_t used = 0, made = 0;
            if (tt->encode(tctx, nullptr, 0, &used, buf, sizeof(buf), &made) != PTC_OK) {
                tls_fail("SSL handshake failure");
                return;
            }
            if (!made)
                break;
            raw_out.append(buf, made);
            flush();
        }
    }
    // Decodes what was received (raw bytes consumed from the connection into <plain>).
    void pump_in()
    {
        if (!tt || !c || tls_failed)
            return;
        for (int guard = 0; guard < 64; guard++) {
            ptc_str in{};
            uint32_t fl = host->conn_data(c, &in);
            bool eof = fl & (PTC_CONN_EOF | PTC_CONN_ERROR);
            size_t room = plain.size() < k_inbuf ? k_inbuf - plain.size() : 0;
            char buf[k_inbuf];
            size_t used = 0, made = 0;
            int rc = tt->decode(tctx, in.ptr, in.len, &used, buf, std::min(room, sizeof(buf)),
                                &made, eof && !in.len);
            plain.append(buf, made);
            if (used)
                host->conn_consume(c, used);
            if (rc == PTC_ERROR) {
                tls_fail(tls_ready ? "SSL error" : "SSL handshake failure");
                break;
            }
            if (!tls_ready && tt->ready && tt->ready(tctx))
                tls_ready = true;
            raw_eof = eof && used == in.len;
            if (raw_eof && !tls_ready) {
                // the server closed during the handshake
                tls_fail("SSL handshake failure");
                break;
            }
            if (!used && !made)
                break;
        }
        pump_out();
    }
    size_t send(std::string_view d) override
    {
        if (!c || d.empty())
            return 0;
        if (tt) {
            flush();
            if (!tls_ready || tls_failed || !raw_out.empty())
                return 0;
            char buf[k_inbuf + 1024];
            size_t used = 0, made = 0;
            if (tt->encode(tctx, d.data(), d.size(), &used, buf, sizeof(buf), &made) !=
                PTC_OK) {
                tls_fail("SSL error");
                return 0;
            }
            raw_out.append(buf, made);
            flush();
            return used;
        }
        size_t n = host->conn_send(c, d.data(), d.size());
        if (n)
            all_sent = false;
        return n;
    }
    bool sent_all() const override { return all_sent && raw_out.empty(); }
    std::string_view input() const override
    {
        if (tt)
            return plain;
        if (!c)
            return {};
        ptc_str in{};
        host->conn_data(c, &in);
        return std::string_view(in.ptr, in.len);
    }
    void consume(size_t n) override
    {
        if (tt)
            plain.erase(0, std::min(n, plain.size()));
        else if (c)
            host->conn_consume(c, n);
    }
    bool eof() const override
    {
        if (!c)
            return true;
        if (tt)
            return raw_eof || tls_failed;
        ptc_str in{};
        return host->conn_data(c, &in) & (PTC_CONN_EOF | PTC_CONN_ERROR);
    }
    bool input_full() const override { return input().size() >= k_inbuf; }
    void close()
    {
        if (c && linger)
            host->conn_close(c);
        else if (c)
            host->conn_abort(c); // HAProxy resets its checks: no TIME_WAIT per probe
        c = nullptr;
        is_connected = false;
        all_sent = true;
        if (tt)
            tt->release(tctx);
        tt = nullptr;
        tctx = nullptr;
        plain.clear();
        raw_out.clear();
        tls_ready = tls_failed = raw_eof = false;
        err_text.clear();
    }
};

struct runner {
    uint32_t idx = 0;              // probe index
    ptc_task* task = nullptr;
    conn_io io;
    std::unique_ptr<probe> pr;     // health checks
    std::string agent_line;        // agent checks: the answer so far
    std::string state_hdr;         // "http-check send-state": the header's value
    bool agent_sent = false;
    uint64_t started = 0;
    bool connect_phase = true;
    bool active = false;
};

std::vector<std::unique_ptr<runner>> g_runners; // this worker's probes

void conn_cb(ptc_conn* c, void* ctx, uint32_t ev);
void finish(runner* r, const probe_result& res);

// The target of probe <d> now (the server's current address when it has no "addr").
void target_of(const probe_def& d, sockaddr_storage& a, socklen_t& len)
{
    a = d.addr;
    len = d.addrlen;
    if (d.addr_is_server && !d.members.empty()) {
        sockaddr_storage cur{};
        socklen_t cl = host->server_addr(g_members[d.members[0]].srv, &cur);
        if (cl && cur.ss_family == d.addr.ss_family) {
            a = cur;
            len = cl;
        }
    }
}

void apply_port(sockaddr_storage& a, uint16_t port)
{
    if (!port)
        return;
    if (a.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
    else if (a.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
}

bool conn_io::connect(const connect_opts& o)
{
    close();
    const probe_def& d = g_probes[r->idx];
    sockaddr_storage a;
    socklen_t len;
    target_of(d, a, len);
    uint16_t port = d.port;
    if (uint32_t po = sh_probe(r->idx)->port_override.load())
        port = (uint16_t)po;
    if (!o.addr.empty()) {
        sockaddr_storage b{};
        if (inet_pton(AF_INET, o.addr.c_str(), &reinterpret_cast<sockaddr_in&>(b).sin_addr) ==
            1) {
            b.ss_family = AF_INET;
            len = sizeof(sockaddr_in);
        } else if (inet_pton(AF_INET6, o.addr.c_str(),
                             &reinterpret_cast<sockaddr_in6&>(b).sin6_addr) == 1) {
            b.ss_family = AF_INET6;
            len = sizeof(sockaddr_in6);
        } else {
            return false;
        }
        a = b;
    }
    if (o.port)
        port = o.port;
    apply_port(a, port);
    linger = o.linger;
    c = host->conn_new(g_self, reinterpret_cast<sockaddr*>(&a), len, nullptr, 0, conn_cb, r);
    if (!c)
        return false;
    uint32_t ppv = o.send_proxy ? (d.pp_version ? d.pp_version : 1)
                                : (o.implicit || o.is_default ? d.pp_version : 0);
    if (ppv && g_pp) {
        char hdr[64];
        size_t n = g_pp->local_header(ppv, hdr, sizeof(hdr));
        if (n)
            send(std::string_view(hdr, n));
    }
    // TLS: "ssl" on the rule, or the server's (check-ssl, ssl) on the default connection
    bool dflt = o.implicit || o.is_default;
    if (o.ssl || (dflt && d.tls)) {
        uint32_t fl = (dflt ? PTC_SSL_CHK_DEFAULT : 0) | (d.no_h2 ? PTC_SSL_CHK_NO_H2 : 0);
        if (!g_ssl || !d.tls_srv ||
            g_ssl->check_transport(d.tls_srv, o.sni.empty() ? nullptr : o.sni.c_str(),
                                   o.alpn.empty() ? nullptr : o.alpn.c_str(), fl, &tt,
                                   &tctx) != PTC_OK) {
            close();
            return false;
        }
        pump_out(); // the ClientHello leaves once connected
    }
    r->connect_phase = true;
    return true;
}

uint64_t now() { return host->now_ms(); }

// Interval before the next probe, by the first member's health (HAProxy's srv_getinter).
uint32_t interval(const probe_def& d)
{
    uint32_t m = d.members[0];
    const shm_check& c = sh_member(m)->c[d.kind];
    uint32_t rise = g_members[m].rise[d.kind], fall = g_members[m].fall[d.kind];
    uint32_t v;
    if (c.health == rise + fall - 1)
        v = d.inter;
    else if (c.health == 0)
        v = d.downinter;
    else
        v = d.fastinter;
    if (g_spread) {
        std::uniform_int_distribution<int> dist(-(int)g_spread, (int)g_spread);
        int64_t j = (int64_t)v * dist(g_rng) / 100;
        v = (uint32_t)std::max<int64_t>(1, (int64_t)v + j);
    }
    return v;
}

void set_running(const probe_def& d, bool on)
{
    for (uint32_t m : d.members) {
        sh_member(m)->c[d.kind].running = on;
        publish(m, d.kind);
    }
}

bool all_paused(const probe_def& d)
{
    for (uint32_t m : d.members) {
        const shm_check& c = sh_member(m)->c[d.kind];
        uint32_t st = host->server_state(g_members[m].srv);
        if (st & PTC_SRV_ST_DELETED) // "del server": nothing asks for it any more
            continue;
        // the agent keeps asking in maintenance: its "ready" is how a server leaves it
        if (!c.disabled && (d.kind == K_AGENT || !(st & PTC_SRV_ST_MAINT)))
            return false;
    }
    return true;
}


// "http-check send-state": the server's state as HAProxy words it in its status column
// ("UP", "UP 2/3", "DOWN 1/2", "NOLB", "MAINT"), its name and this node's name.
std::string state_header(uint32_t m)
{
    const member& mb = g_members[m];
    const shm_check& c = sh_member(m)->c[K_HEALTH];
    uint32_t rise = mb.rise[K_HEALTH], fall = mb.fall[K_HEALTH];
    uint32_t st = host->server_state(mb.srv);
    char buf[64];
    if (st & PTC_SRV_ST_MAINT)
        snprintf(buf, sizeof(buf), "MAINT");
    else if (c.health >= rise) {
        const char* w = (st & PTC_SRV_ST_STOPPING) ? "NOLB" : "UP";
        if (c.health == rise + fall - 1)
            snprintf(buf, sizeof(buf), "%s", w);
        else
            snprintf(buf, sizeof(buf), "%s %u/%u", w, c.health - rise + 1, fall);
    } else if (c.health == 0)
        snprintf(buf, sizeof(buf), "DOWN");
    else
        snprintf(buf, sizeof(buf), "DOWN %u/%u", c.health, rise);
    char node[256] = "";
    gethostname(node, sizeof(node) - 1);
    return std::string(buf) + "; name=" + mb.be_name + "/" + mb.srv_name + "; node=" + node;
}

uint64_t task_fn(ptc_task*, void* ctx)
{
    runner* r = static_cast<runner*>(ctx);
    const probe_def& d = g_probes[r->idx];
    shm_probe* sp = sh_probe(r->idx);
    if (r->active)
        return 0;
    uint64_t t = now();
    uint64_t due = sp->next_due.load();
    if (due > t) // "observe" may bring the due time forward from another worker: re-read
        return g_any_observe ? std::min<uint64_t>(due, t + 500) : due;
    if (all_paused(d)) {
        sp->next_due.store(t + d.inter);
        return t + d.inter;
    }
    sp->probes.fetch_add(1, std::memory_order_relaxed);
    r->active = true;
    r->started = t;
    r->agent_line.clear();
    r->agent_sent = false;
    set_running(d, true);
    // "timeout check" set: connect bounded by min(timeout connect, inter), then the rest by
    // timeout check; unset: the whole probe by inter (HAProxy's rules)
    if (d.kind == K_HEALTH) {
        probe_env env;
        const member& mb = g_members[d.members[0]];
        env.server_name = mb.srv_name;
        env.backend_name = mb.be_name;
        env.host = mb.addr_text[K_HEALTH];
        env.port = d.port;
        env.server_down = !(host->server_state(mb.srv) & PTC_SRV_ST_UP);
        if (d.spec->send_state()) {
            r->state_hdr = state_header(d.members[0]);
            env.server_state = r->state_hdr;
        }
        r->pr = std::make_unique<probe>(*d.spec, env, r->io);
        r->io.r = r;
        bool fin = r->pr->step();
        if (!fin && r->io.c) {
            uint64_t ct = d.tmo_check && d.tmo_connect ? std::min(d.tmo_connect, d.inter)
                                                        : d.inter;
            host->conn_set_timeout(r->io.c, ct);
        }
        if (fin || r->pr->done())
            finish(r, r->pr->result());
        else if (!r->io.c) {
            probe_result res;
            res.status = HCHK_SOCKERR;
            res.result = RES_FAILED;
            res.desc = "failed to create a socket";
            finish(r, res);
        }
    } else {
        r->io.r = r;
        connect_opts o;
        o.implicit = true;
        if (!r->io.connect(o)) {
            probe_result res;
            res.status = HCHK_SOCKERR;
            res.result = RES_NEUTRAL;
            finish(r, res);
            return 0;
        }
        uint64_t ct = d.tmo_check && d.tmo_connect ? std::min(d.tmo_connect, d.inter) : d.inter;
        host->conn_set_timeout(r->io.c, ct);
    }
    return 0;
}

void finish(runner* r, const probe_result& result)
{
    // <result> may live in the probe reset below (the engine's own result): keep a copy
    // (a heap-use-after-free found by the ASan run of t/check_tcp.t)
    const probe_result res = result;
    const probe_def& d = g_probes[r->idx];
    int dur = (int)(now() - r->started);
    r->pr.reset();
    r->active = false;
    for (uint32_t m : d.members)
        sh_member(m)->c[d.kind].running = 0;
    if (d.kind == K_HEALTH) {
        for (uint32_t m : d.members)
            apply(m, K_HEALTH, res, dur);
    } else {
        for (uint32_t m : d.members) {
            const member& mb = g_members[m];
            // an agent's answer: weight and administrative state act directly
            agent_reply ar = parse_agent_reply(r->agent_line);
            if (res.result != RES_NEUTRAL || !ar.valid) {
                apply(m, K_AGENT, res, dur);
                continue;
            }
            if (ar.has_weight)
                host->server_set_weight(mb.srv, std::min<uint32_t>(ar.weight_pct, 25600),
                                        PTC_WEIGHT_PERCENT);
            // "maxconn:<n>": the server's maxconn, the change "set maxconn server" makes
            // (HAProxy's agent makes the same one)
            if (ar.has_maxconn && PTC_HOST_HAS(host, cli_run)) {
                std::string who = mb.be_name + "/" + mb.srv_name;
                std::string n = std::to_string(ar.maxconn);
                const ptc_str w[5] = {{"set", 3}, {"maxconn", 7}, {"server", 6},
                                      {who.data(), who.size()}, {n.data(), n.size()}};
                host->cli_run(5, w, nullptr, 0);
            }
            if (ar.admin == agent_reply::A_READY)
                host->server_set_admin(mb.srv, PTC_SRV_ADMIN_READY, "");
            else if (ar.admin == agent_reply::A_DRAIN)
                host->server_set_admin(mb.srv, PTC_SRV_ADMIN_DRAIN, "");
            else if (ar.admin == agent_reply::A_MAINT)
                host->server_set_admin(mb.srv, PTC_SRV_ADMIN_MAINT, "");
            // HAProxy's wording (parse_agent_reply): "via agent : up", "via agent : down
            // (going away)", "agent warns : ...", or no health word (CHECKED)
            probe_result pr;
            pr.code = 0;
            pr.status = ar.status;
            pr.desc = ar.info;
            if (ar.op == agent_reply::O_UP) {
                pr.result = RES_PASSED;
            } else if (ar.op != agent_reply::O_NONE) {
                pr.result = RES_FAILED;
                // "down", "stopped", "fail": the server is down at once
                shm_member* sm = sh_member(m);
                sm->lock.lock();
                if (sm->c[K_AGENT].health > mb.rise[K_AGENT])
                    sm->c[K_AGENT].health = mb.rise[K_AGENT];
                sm->lock.unlock();
            } else {
                pr.result = RES_NEUTRAL;
                pr.code = -1;
            }
            apply(m, K_AGENT, pr, dur);
        }
    }
    // closed once the verdict is applied, as HAProxy: whoever sees the close (an agent
    // answering once) then sees the new state
    r->io.close();
    uint64_t next = now() + interval(d);
    sh_probe(r->idx)->next_due.store(next);
    host->task_schedule(r->task, next);
}

void agent_step(runner* r, uint32_t ev)
{
    const probe_def& d = g_probes[r->idx];
    probe_result res;
    if (ev & PTC_CEV_ERROR) {
        // the regular health check tests connectivity: an unreachable agent is no verdict
        res.status = HCHK_L4CON;
        res.result = RES_NEUTRAL;
        res.desc = strerror(host->conn_error(r->io.c));
        finish(r, res);
        return;
    }
    if (ev & PTC_CEV_TIMEOUT) {
        res.status = r->io.is_connected ? HCHK_L7TOUT : HCHK_L4TOUT;
        res.result = RES_NEUTRAL;
        finish(r, res);
        return;
    }
    if ((ev & PTC_CEV_CONNECTED) && !r->agent_sent) {
        r->agent_sent = true;
        if (!d.agent_send.empty())
            r->io.send(d.agent_send);
        if (d.tmo_check)
            host->conn_set_timeout(r->io.c, d.tmo_check);
    }
    std::string_view in = r->io.input();
    size_t nl = in.find('\n');
    if (nl != std::string_view::npos || r->io.eof() || in.size() >= k_inbuf) {
        r->agent_line.assign(in.substr(0, nl == std::string_view::npos ? in.size() : nl));
        agent_reply ar = parse_agent_reply(r->agent_line);
        if (!ar.valid) {
            res.status = HCHK_L7RSP;
            res.result = RES_NEUTRAL;
            res.desc = r->agent_line.empty() ? "" : r->agent_line.substr(0, 100);
        } else {
            res.status = HCHK_L7OKD;
            res.result = RES_NEUTRAL; // finish() reads the words
        }
        finish(r, res);
    }
}

void conn_cb(ptc_conn* c, void* ctx, uint32_t ev)
{
    runner* r = static_cast<runner*>(ctx);
    if (!r->active || c != r->io.c)
        return;
    if (ev & PTC_CEV_CONNECTED) {
        r->io.is_connected = true;
        const probe_def& d = g_probes[r->idx];
        if (d.tmo_check && r->connect_phase)
            host->conn_set_timeout(c, d.tmo_check);
        r->connect_phase = false;
    }
    if (ev & PTC_CEV_SENT)
        r->io.all_sent = true;
    if (g_probes[r->idx].kind == K_AGENT) {
        agent_step(r, ev);
        return;
    }
    if (r->io.tt) {
        if ((ev & PTC_CEV_ERROR) && r->io.handshaking())
            r->io.err_text = "Connection error during SSL handshake";
        else if (!(ev & PTC_CEV_ERROR))
            r->io.pump_in();
        r->io.pump_out();
    }
    probe* p = r->pr.get();
    if (ev & PTC_CEV_ERROR)
        p->fail(host->conn_error(c));
    else if (r->io.tls_failed && !(ev & PTC_CEV_TIMEOUT))
        p->fail(0);
    else if (ev & PTC_CEV_TIMEOUT)
        p->timeout();
    else
        p->step();
    if (p->done())
        finish(r, p->result());
}

} // namespace

int rt_worker_init()
{
    int slot = host->worker_slot();
    uint32_t n = host->worker_count();
    if (slot < 0 || !n || !g_area)
        return PTC_OK;
    g_rng.seed((uint32_t)(now() ^ ((uint64_t)slot << 20) ^ (uint64_t)getpid()));
    uint64_t t = now();
    uint32_t np = (uint32_t)g_probes.size();
    for (uint32_t i = 0; i < np; i++) {
        if (i % n != (uint32_t)slot)
            continue;
        const probe_def& d = g_probes[i];
        shm_probe* sp = sh_probe(i);
        for (uint32_t m : d.members) {
            shm_member* sm = sh_member(m);
            // the first owner says the server is checked (it starts up), and publishes it
            if (!sm->inited) {
                sm->inited = 1;
                host->server_set_op(g_members[m].srv, PTC_SRV_OP_UP, nullptr);
                for (ptc_server* tr : g_members[m].trackers)
                    host->server_set_op(tr, PTC_SRV_OP_UP, nullptr);
            }
            sm->c[d.kind].running = 0; // a probe of a dead predecessor is over
            publish(m, d.kind);
        }
        if (!sp->next_due.load()) {
            // first start: spread the first probes over one interval (max-spread-checks caps)
            uint64_t window = d.inter;
            if (g_max_spread && g_max_spread < window)
                window = g_max_spread;
            sp->next_due.store(t + window * (uint64_t)i / std::max<uint32_t>(np, 1));
        }
        auto r = std::make_unique<runner>();
        r->idx = i;
        r->io.r = r.get();
        r->task = host->task_new(g_self, task_fn, r.get());
        if (!r->task)
            return PTC_ERROR;
        host->task_schedule(r->task, sp->next_due.load());
        g_runners.push_back(std::move(r));
    }
    return PTC_OK;
}

void rt_worker_fini()
{
    for (auto& r : g_runners) {
        r->io.close();
        if (r->task)
            host->task_free(r->task);
    }
    g_runners.clear();
}

// ---- passive checks ("observe") ------------------------------------------------------------

namespace {

// HAProxy's health analysis: consecutive errors reaching error-limit trigger on-error.
void observed(ptc_server* srv, bool error, bool layer7, const char* what)
{
    auto it = g_member_of.find(srv);
    if (it == g_member_of.end())
        return;
    uint32_t m = it->second;
    const member& mb = g_members[m];
    uint8_t obs = mb.cf->observe;
    // HAProxy's analysis table: connection errors count in both modes, a successful
    // connection clears the count only when observing layer 4, HTTP outcomes only layer 7
    if (obs == OBS_NONE || (layer7 && obs != OBS_L7) || (!error && !layer7 && obs != OBS_L4))
        return;
    shm_member* sm = sh_member(m);
    if (!error) {
        if (sm->consec_errors.load(std::memory_order_relaxed))
            sm->consec_errors.store(0, std::memory_order_relaxed);
        return;
    }
    uint32_t n = sm->consec_errors.fetch_add(1) + 1;
    if (n < mb.cf->error_limit)
        return;
    sm->consec_errors.store(0);
    // fastinter in every case: bring the next probe forward
    if (mb.probe[K_HEALTH] >= 0) {
        const probe_def& d = g_probes[(size_t)mb.probe[K_HEALTH]];
        uint64_t soon = now() + d.fastinter;
        shm_probe* sp = sh_probe((uint32_t)mb.probe[K_HEALTH]);
        uint64_t cur = sp->next_due.load();
        while (cur > soon && !sp->next_due.compare_exchange_weak(cur, soon)) {
        }
    }
    if (mb.probe[K_HEALTH] < 0)
        return;
    sm->lock.lock();
    sm->c[K_HEALTH].hanafail++;
    sm->lock.unlock();
    if (mb.cf->on_error == ONERR_FASTINTER) {
        publish(m, K_HEALTH);
        return;
    }
    char desc[128];
    snprintf(desc, sizeof(desc), "Detected %u consecutive errors, last one was: %s", n, what);
    uint32_t rise = mb.rise[K_HEALTH];
    sm->lock.lock();
    shm_check& c = sm->c[K_HEALTH];
    switch (mb.cf->on_error) {
    case ONERR_FAIL_CHECK:
        if (c.health >= rise)
            c.failed++;
        c.health = c.health > rise ? c.health - 1 : 0;
        break;
    case ONERR_SUDDEN_DEATH:
        if (c.health > rise)
            c.health = rise; // one more failure and it is down
        else
            c.health = 0;
        break;
    default: // mark-down
        c.health = 0;
        break;
    }
    c.status = HCHK_HANA;
    c.result = RES_FAILED;
    c.code = -1;
    c.duration = -1;
    snprintf(c.desc, sizeof(c.desc), "%s", desc);
    sm->lock.unlock();
    publish(m, K_HEALTH);
    shm_check hc{};
    hc.status = HCHK_HANA;
    hc.code = -1;
    hc.duration = -1;
    snprintf(hc.desc, sizeof(hc.desc), "%s", desc);
    settle(m, check_tail(m, hc), false);
}

} // namespace

int hook_srv_connected(ptc_stream* s, void*, void*)
{
    if (!g_any_observe)
        return PTC_CONTINUE;
    if (ptc_server* srv = host->stream_server(s))
        observed(srv, false, false, "");
    return PTC_CONTINUE;
}

int hook_srv_error(ptc_stream* s, void*, void*)
{
    if (!g_any_observe)
        return PTC_CONTINUE;
    ptc_server* srv = host->stream_server(s);
    if (!srv)
        return PTC_CONTINUE;
    int e = host->stream_srv_error(s);
    if (e == PTC_SRVERR_CONNECT)
        observed(srv, true, false, "Failed to connect to server");
    else if (e == PTC_SRVERR_CTIMEOUT)
        observed(srv, true, false, "Connection timeout");
    else if (e == PTC_SRVERR_RESET)
        observed(srv, true, true, "Broken pipe or reset");
    else
        observed(srv, true, true, "Read timeout");
    return PTC_CONTINUE;
}

int hook_http_response(ptc_stream* s, void*, void*)
{
    if (!g_any_observe || !g_http)
        return PTC_CONTINUE;
    ptc_server* srv = host->stream_server(s);
    if (!srv || g_member_of.find(srv) == g_member_of.end())
        return PTC_CONTINUE;
    int st = g_http->res_status(s);
    if (st < 0)
        return PTC_CONTINUE;
    bool err = st >= 500 && st <= 599 && st != 501 && st != 505;
    observed(srv, err, true, "Wrong http response");
    return PTC_CONTINUE;
}

} // namespace chk
