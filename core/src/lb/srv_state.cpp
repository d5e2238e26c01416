// SPDX-License-Identifier: MIT
// Server state changes and their HAProxy 2.6 messages (see srv_state.hpp).
#include "lb/srv_state.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cfg/units.hpp"
#include "lb/lb.hpp"
#include "log/log.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

uint32_t now_s() { return (uint32_t)time(nullptr); }

bool is_backup(const server& s)
{
    return s.backup || (s.shared && (s.shared->rt_flags.load() & SRV_RT_BACKUP));
}

bool usable(const shm_server* sh)
{
    return sh->in_use.load(std::memory_order_relaxed) &&
           sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY && srv_op_up(sh) &&
           srv_eweight(sh) > 0;
}

// "Server be/s" with HAProxy's "Backup " prefix.
std::string srv_title(const server& sv)
{
    return std::string(is_backup(sv) ? "Backup " : "") + "Server " +
           (sv.be ? sv.be->name : std::string("-")) + "/" + sv.name;
}

// HAProxy's tail of a state change line: counts of the backend's servers and of the
// streams involved. <stopped>: the server is now DOWN (else it is still serving).
std::string counts_tail(const server& sv, bool stopped, uint32_t xferred)
{
    srv_counts c = srv_count_usable(*sv.be);
    const shm_server* sh = sv.shared;
    char buf[256];
    const char* on_bck = c.bck && !c.act ? " Running on backup." : "";
    if (stopped)
        snprintf(buf, sizeof(buf),
                 ". %u active and %u backup servers left.%s %u sessions active, %u requeued, "
                 "%u remaining in queue",
                 c.act, c.bck, on_bck, sh->cur_conns.load(), xferred,
                 sh->queue.cur.load() - std::min(sh->queue.cur.load(), xferred));
    else
        snprintf(buf, sizeof(buf),
                 ". %u active and %u backup servers online.%s %u sessions requeued, %u total "
                 "in queue",
                 c.act, c.bck, on_bck, xferred, sh->queue.cur.load());
    return buf;
}

// After a change that may have left the backend without any usable server.
void check_backend_down(const proxy& be, uint32_t before)
{
    srv_counts c = srv_count_usable(be);
    if (!before || c.act || c.bck)
        return;
    std::string type = proxy_type_name(be);
    PTC_ALERT("%s '%s' has no server available!", type.c_str(), be.name.c_str());
    std::string m = type + " " + be.name + " has no server available!";
    log::proxy_message(be, PTC_LOG_EMERG, m.data(), m.size());
}

// Records a change of HAProxy's STOPPED state (DOWN or maintenance): chkdown, downtime.
void note_stopped(shm_server* sh, bool now_stopped)
{
    uint32_t was = sh->stopped.exchange(now_stopped ? 1 : 0);
    uint32_t t = now_s();
    if (!was && now_stopped) {
        sh->down_trans.fetch_add(1, std::memory_order_relaxed);
    } else if (was && !now_stopped) {
        if (sh->last_change < t)
            sh->down_time.fetch_add(t - sh->last_change, std::memory_order_relaxed);
    }
    sh->last_change = t;
}

uint32_t total_usable(const proxy& be)
{
    srv_counts c = srv_count_usable(be);
    return c.act + c.bck;
}

void copy_str(char* dst, size_t cap, const char* src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

} // namespace

srv_counts srv_count_usable(const proxy& be)
{
    srv_counts c;
    for (auto& up : be.servers) {
        const server& s = *up;
        if (!s.shared || !usable(s.shared))
            continue;
        if (is_backup(s))
            c.bck++;
        else
            c.act++;
    }
    return c;
}

const char* proxy_type_name(const proxy& p)
{
    if ((p.cap & CAP_FE) && (p.cap & CAP_BE))
        return "proxy";
    return p.cap & CAP_BE ? "backend" : "frontend";
}

void srv_message(const proxy& p, bool alert, uint32_t level, const std::string& msg)
{
    if (alert)
        PTC_ALERT("%s", msg.c_str());
    else
        PTC_WARN("%s", msg.c_str());
    log::proxy_message(p, level, msg.data(), msg.size());
}

uint32_t srv_set_op(server* sv, uint32_t op, const char* reason)
{
    shm_server* sh = sv->shared;
    proxy* be = sv->be;
    uint32_t before = be ? total_usable(*be) : 0;
    sh->op_managed.store(1, std::memory_order_relaxed);
    sh->no_check.store(0, std::memory_order_relaxed); // a module's state: "UP", not "no check"
    uint32_t prev = sh->up.exchange(op);
    if (prev == op)
        return prev;
    bool maint = sh->admin.load() == SRV_ADMIN_MAINT;
    bool was_stopping = prev == SRV_OP_STOPPING || sh->admin.load() == SRV_ADMIN_DRAIN;
    note_stopped(sh, op == SRV_OP_DOWN || maint);
    if (be && be->shared)
        shm_servers_changed(be->shared);
    if (!be || maint) // HAProxy reports nothing while the server is in maintenance
        return prev;
    std::string m = srv_title(*sv);
    m += op == SRV_OP_DOWN ? " is DOWN" : op == SRV_OP_UP ? " is UP" : " is stopping";
    if (reason && std::strncmp(reason, "via ", 4) == 0)
        m += std::string(" ") + reason;
    else if (reason && *reason)
        m += std::string(", ") + reason; // "reason: Layer4 ...", "changed from CLI"
    // queued streams of a server that leaves move to the backend queue (lb/queue.cpp)
    uint32_t xferred = op == SRV_OP_UP ? 0 : sh->queue.cur.load();
    m += counts_tail(*sv, op == SRV_OP_DOWN, xferred) + ".";
    uint32_t level = op == SRV_OP_DOWN && !was_stopping ? PTC_LOG_ALERT : PTC_LOG_NOTICE;
    srv_message(*be, false, level, m);
    if (op != SRV_OP_UP)
        check_backend_down(*be, before);
    return prev;
}

bool srv_stale(const server* sv)
{
    return sv->deleted ||
           (sv->shared &&
            sv->shared->incarnation.load(std::memory_order_relaxed) != sv->incarnation);
}

uint32_t srv_set_admin_flags(proxy* be, server* sv, uint32_t set, uint32_t clear,
                             const char* cause)
{
    shm_server* sh = sv->shared;
    uint32_t before_n = total_usable(*be);
    uint32_t before = sh->rt_flags.load();
    uint32_t fl = (before | set) & ~clear;
    while (!sh->rt_flags.compare_exchange_weak(before, fl)) // a worker may pin it meanwhile
        fl = (before | set) & ~clear;
    uint32_t adm = fl & SRV_RT_FMAINT ? SRV_ADMIN_MAINT
                   : fl & SRV_RT_FDRAIN ? SRV_ADMIN_DRAIN
                                        : SRV_ADMIN_READY;
    if (adm == SRV_ADMIN_MAINT)
        sh->check_health.store(0);
    uint32_t prev = sh->admin.exchange(adm);
    if (prev == adm) {
        shm_servers_changed(be->shared);
        return prev;
    }
    uint32_t op = sh->up.load();
    bool op_down = op == SRV_OP_DOWN;
    std::string c = cause && *cause ? std::string(" (") + cause + ")" : std::string();
    std::string t = srv_title(*sv);
    if (adm == SRV_ADMIN_MAINT) {
        note_stopped(sh, true);
        shm_servers_changed(be->shared);
        if (op_down) {
            srv_message(*be, false, PTC_LOG_NOTICE,
                        t + " was DOWN and now enters maintenance" + c + ".");
        } else {
            bool was_stopping = op == SRV_OP_STOPPING || prev == SRV_ADMIN_DRAIN;
            srv_message(*be, false, was_stopping ? PTC_LOG_NOTICE : PTC_LOG_ALERT,
                        t + " is going DOWN for maintenance" + c +
                            counts_tail(*sv, true, sh->queue.cur.load()) + ".");
            check_backend_down(*be, before_n);
        }
        return prev;
    }
    if (prev == SRV_ADMIN_MAINT) {
        note_stopped(sh, op_down);
        shm_servers_changed(be->shared);
        srv_message(*be, false, PTC_LOG_NOTICE,
                    t + " is " + (op_down ? "DOWN" : "UP") + "/" +
                        (adm == SRV_ADMIN_DRAIN ? "DRAIN" : "READY") +
                        " (leaving forced maintenance).");
        return prev;
    }
    sh->last_change = now_s();
    shm_servers_changed(be->shared);
    if (adm == SRV_ADMIN_DRAIN) {
        srv_message(*be, false, PTC_LOG_NOTICE,
                    t + " enters drain state" + c +
                        counts_tail(*sv, op_down, sh->queue.cur.load()) + ".");
        check_backend_down(*be, before_n);
    } else {
        srv_message(*be, false, PTC_LOG_NOTICE,
                    t + " is " + (op_down ? "DOWN" : "UP") + " (leaving forced drain).");
    }
    return prev;
}

std::string srv_change_weight(proxy* be, server* sv, const std::string* arg)
{
    if (!arg || arg->empty())
        return "Require <weight> or <weight%>.\n";
    std::string v = *arg;
    bool rel = v.back() == '%';
    if (rel)
        v.pop_back();
    bool neg = !v.empty() && v[0] == '-';
    std::string num = neg ? v.substr(1) : v;
    uint64_t u;
    if (!cfg::parse_uint(num, 999999999, u))
        return "Empty weight string empty or preceded by garbage";
    long w = (long)u * (neg ? -1 : 1);
    uint32_t iw = sv->shared->iweight;
    if (rel) {
        if (w < 0)
            return "Relative weight must be positive.\n";
        w = (long)((int64_t)iw * w / 100);
        if (w > 256)
            w = 256;
    } else if (w < 0 || w > 256) {
        return "Absolute weight can only be between 0 and 256 inclusive.\n";
    }
    if (!lb_weights_dynamic(be) && w != 0 && (uint32_t)w != iw)
        return "Backend is using a static LB algorithm and only accepts weights '0%' and "
               "'100%'.\n";
    sv->shared->weight.store((uint32_t)w);
    shm_servers_changed(be->shared);
    return "";
}

void srv_set_check(server* sv, uint32_t which, const ptc_check_info* ci)
{
    shm_server* sh = sv->shared;
    if (!ci || which > PTC_CHECK_AGENT)
        return;
    // fields a smaller (older) ptc_check_info lacks stay zero
    ptc_check_info in{};
    std::memcpy(&in, ci, std::min<size_t>(ci->size, sizeof(in)));
    // no health check (1.31): only the level HAProxy keeps for such a server (its "rise" at
    // start; "set server ... health" moves it), also before shm exists (post_config)
    if (which == PTC_CHECK_HEALTH && !(in.state & PTC_CHKST_CONFIGURED)) {
        if (!sh) {
            sv->chk_level = in.health;
            sv->no_check = true;
            return;
        }
        sh->check_health.store(in.health);
        sh->no_check.store(1);
        return;
    }
    if (!sh)
        return;
    shm_check c{};
    c.state = in.state;
    copy_str(c.status, sizeof(c.status), in.status);
    copy_str(c.status_desc, sizeof(c.status_desc), in.status_desc);
    c.status_num = in.status_num;
    c.result = in.result;
    c.code = in.code;
    c.duration = in.duration_ms;
    copy_str(c.desc, sizeof(c.desc), in.desc);
    c.health = in.health;
    c.rise = in.rise;
    c.fall = in.fall;
    c.failed = in.failed;
    c.hanafail = in.hanafail;
    c.port = in.port;
    copy_str(c.addr, sizeof(c.addr), in.addr);
    sh->chk_lock.lock();
    sh->chk[which] = c;
    sh->chk_lock.unlock();
    sh->chk_set.fetch_or(1u << which);
    if (which == PTC_CHECK_HEALTH)
        sh->check_health.store(in.health);
}

bool srv_get_check(const shm_server* sh, uint32_t which, shm_check& out)
{
    if (which > PTC_CHECK_AGENT || !(sh->chk_set.load() & (1u << which)))
        return false;
    shm_server* w = const_cast<shm_server*>(sh);
    w->chk_lock.lock();
    out = sh->chk[which];
    w->chk_lock.unlock();
    return true;
}

uint32_t srv_downtime(const shm_server* sh)
{
    uint32_t t = now_s();
    uint32_t d = sh->down_time.load();
    if (!sh->stopped.load() || sh->last_change >= t)
        return d;
    return d + (t - sh->last_change);
}

void srv_shutdown_streams(server* sv, bool backups)
{
    proxy* be = sv->be;
    if (!backups) {
        if (sv->shared)
            sv->shared->shut_gen.fetch_add(1);
    } else if (be) {
        for (auto& s : be->servers)
            if (s->shared && is_backup(*s))
                s->shared->shut_gen.fetch_add(1);
    }
    shm_header* h = shm_get();
    if (!h)
        return;
    h->shut_gen.fetch_add(1);
    for (uint32_t i = 0; i < h->nworkers; i++) {
        if (h->wake_fd[i] < 0)
            continue;
        uint64_t one = 1;
        ssize_t r = write(h->wake_fd[i], &one, sizeof(one));
        (void)r;
    }
}

} // namespace portico
