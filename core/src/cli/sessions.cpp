// SPDX-License-Identifier: MIT
// "show sess" and "shutdown session": the streams live in the workers, the runtime API in
// the master. The request path writes nothing for them: on a command the master bumps a
// generation and wakes every worker (its eventfd); each worker, at its next loop turn, kills
// the stream asked for (if it is one of its own), writes a summary of each of its streams
// into its own slots of a shared area and acknowledges; the master waits for the
// acknowledgements (bounded) and renders HAProxy's layout.
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "cli/cli.hpp"
#include "event/clock.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "util/pool.hpp"
#include "stream/stream-t.hpp"
#include "stream/stream.hpp"
#include "stream/stream_int.hpp"

namespace portico {

namespace {

// One stream as a worker published it.
struct sess_slot {
    uint64_t id;                 // stream::sess_id
    uint64_t age_ms;             // since accept
    int64_t exp_ms;              // nearest stream timer, -1 none
    int32_t fe, be, srv;         // proxy indexes, shm server index; -1 none
    int32_t cli_fd, srv_fd;      // -1 none
    uint8_t closing;             // the stream is being closed
    uint8_t queued;              // waiting in a queue
    uint8_t pad[2];
    uint32_t retries;            // connection retries of the current attempt
    sockaddr_storage src;        // client address
    sockaddr_storage dst;        // address the client connected to
    sockaddr_storage srv_addr;   // server address (when a server is chosen)
};

// A worker's object pool ("show pools").
struct pool_stat {
    char name[16];
    uint64_t size, allocated, used, failed;
};
constexpr uint32_t k_pools = 3;

struct sess_worker {
    std::atomic<uint64_t> ack;   // generation served
    std::atomic<uint32_t> count; // slots filled
    std::atomic<uint32_t> more;  // streams that did not fit
    std::atomic<uint32_t> killed;
    uint32_t pad[11];
    pool_stat pools[k_pools];
};

struct sess_area {
    std::atomic<uint64_t> gen;
    std::atomic<uint64_t> kill_id; // 0: none
    uint32_t nworkers;
    uint32_t cap;                  // slots per worker
    sess_worker w[k_shm_max_workers];
};

sess_area* g_area;

sess_slot* slots(uint32_t w)
{
    char* base = reinterpret_cast<char*>(g_area) + ((sizeof(sess_area) + 63) & ~size_t(63));
    return reinterpret_cast<sess_slot*>(base) + size_t(w) * g_area->cap;
}

// HAProxy's human_time(): at most two units ("1d2h", "3m4s", "0s").
std::string human_time(int64_t t)
{
    if (t < 0)
        return "?";
    char b[32];
    size_t n = 0;
    int cnt = 2;
    if (t >= 86400) {
        n += size_t(snprintf(b + n, sizeof(b) - n, "%lldd", (long long)(t / 86400)));
        cnt--;
    }
    if (cnt && t % 86400 / 3600) {
        n += size_t(snprintf(b + n, sizeof(b) - n, "%lldh", (long long)(t % 86400 / 3600)));
        cnt--;
    }
    if (cnt && t % 3600 / 60) {
        n += size_t(snprintf(b + n, sizeof(b) - n, "%lldm", (long long)(t % 3600 / 60)));
        cnt--;
    }
    if ((cnt && t % 60) || !t)
        n += size_t(snprintf(b + n, sizeof(b) - n, "%llds", (long long)(t % 60)));
    return std::string(b, n);
}

std::string addr_text(const sockaddr_storage& a)
{
    if (a.ss_family != AF_INET && a.ss_family != AF_INET6)
        return std::string();
    return addr_ip(a) + ":" + std::to_string(addr_port(a));
}

const char* proto_name(const sockaddr_storage& a)
{
    return a.ss_family == AF_INET6 ? "tcpv6" : a.ss_family == AF_INET ? "tcpv4" : "?";
}

// Asks every worker to publish (and to kill <kill>, 0 none); waits at most 500 ms.
// Returns the generation: the workers whose ack equals it answered.
uint64_t collect(uint64_t kill)
{
    shm_header* h = shm_get();
    if (!g_area || !h)
        return 0;
    g_area->kill_id.store(kill, std::memory_order_relaxed);
    uint64_t gen = g_area->gen.fetch_add(1, std::memory_order_acq_rel) + 1;
    uint32_t nw = std::min(g_area->nworkers, h->nworkers);
    for (uint32_t i = 0; i < nw; i++)
        if (h->wake_fd[i] >= 0) {
            uint64_t one = 1;
            ssize_t r = write(h->wake_fd[i], &one, sizeof(one));
            (void)r;
        }
    uint64_t deadline = event::monotonic_ms() + 500;
    for (;;) {
        uint32_t done = 0;
        for (uint32_t i = 0; i < nw; i++)
            if (g_area->w[i].ack.load(std::memory_order_acquire) == gen)
                done++;
        if (done == nw || event::monotonic_ms() >= deadline)
            return gen;
        usleep(500);
    }
}

const proxy* px_at(int32_t i)
{
    if (i < 0 || size_t(i) >= g_config->proxies.size())
        return nullptr;
    return g_config->proxies[size_t(i)].get();
}

// The server of shm slot <i> of backend <be>: its name and id, from the shared slot (servers
// added at run time have no configuration object in the master).
bool srv_at(int32_t i, std::string& name, uint32_t& id)
{
    shm_server* sh = i >= 0 ? shm_server_slot(uint32_t(i)) : nullptr;
    if (!sh)
        return false;
    name = sh->name;
    id = sh->srv_id;
    return true;
}

std::string line_of(const sess_slot& s, uint32_t worker)
{
    const proxy* fe = px_at(s.fe);
    const proxy* be = px_at(s.be);
    std::string sname = "<none>";
    uint32_t sid = 0;
    if (!srv_at(s.srv, sname, sid))
        sname = "<none>";
    char b[256];
    snprintf(b, sizeof(b), "0x%llx: proto=%s src=%s fe=%s be=%s srv=%s", (unsigned long long)s.id,
             proto_name(s.src), addr_text(s.src).c_str(), fe ? fe->name.c_str() : "?",
             be && (be->cap & CAP_BE) ? be->name.c_str() : "<NONE>", sname.c_str());
    std::string out = b;
    out += " age=" + human_time(int64_t(s.age_ms / 1000));
    out += " worker=" + std::to_string(worker + 1);
    snprintf(b, sizeof(b), " scf=[fd=%d] scb=[fd=%d]", s.cli_fd, s.srv_fd);
    out += b;
    out += " exp=" + (s.exp_ms < 0 ? std::string("<NEVER>") : human_time(s.exp_ms / 1000));
    if (s.closing)
        out += " closing";
    else if (s.queued)
        out += " queued";
    return out + "\n";
}

std::string detail_of(const sess_slot& s, uint32_t worker)
{
    const proxy* fe = px_at(s.fe);
    const proxy* be = px_at(s.be);
    char b[512];
    std::string out;
    timeval tv;
    gettimeofday(&tv, nullptr);
    int64_t acc = int64_t(tv.tv_sec) * 1000 + tv.tv_usec / 1000 - int64_t(s.age_ms);
    time_t at = time_t(acc / 1000);
    struct tm tm;
    localtime_r(&at, &tm);
    static const char* const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(b, sizeof(b), "0x%llx: [%02d/%s/%04d:%02d:%02d:%02d.%06lld] id=%llu proto=%s",
             (unsigned long long)s.id, tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (long long)(acc % 1000) * 1000,
             (unsigned long long)(s.id & 0xffffffffffffull), proto_name(s.src));
    out += b;
    std::string src = addr_text(s.src);
    out += src.empty() ? "\n" : " source=" + src + "\n";
    snprintf(b, sizeof(b), "  flags=%s, conn_retries=%u, worker=%u, queued=%u\n",
             s.closing ? "closing" : "active", s.retries, worker + 1, s.queued);
    out += b;
    if (fe) {
        snprintf(b, sizeof(b), "  frontend=%s (id=%u mode=%s)", fe->name.c_str(), fe->index + 2,
                 mode_name(fe->mode));
        out += b;
    } else {
        out += "  frontend=? (id=0 mode=-)";
    }
    std::string dst = addr_text(s.dst);
    out += dst.empty() ? "\n" : " addr=" + dst + "\n";
    if (be && (be->cap & CAP_BE)) {
        snprintf(b, sizeof(b), "  backend=%s (id=%u mode=%s)\n", be->name.c_str(), be->index + 2,
                 mode_name(be->mode));
        out += b;
        std::string sname;
        uint32_t sid = 0;
        if (srv_at(s.srv, sname, sid)) {
            snprintf(b, sizeof(b), "  server=%s (id=%u)", sname.c_str(), sid);
            out += b;
            std::string sa = addr_text(s.srv_addr);
            out += sa.empty() ? "\n" : " addr=" + sa + "\n";
        } else {
            out += "  server=<none> (id=0)\n";
        }
    } else {
        out += "  backend=<NONE> (id=-1 mode=-)\n  server=<NONE> (id=-1)\n";
    }
    snprintf(b, sizeof(b), "  age=%s exp=%s\n", human_time(int64_t(s.age_ms / 1000)).c_str(),
             s.exp_ms < 0 ? "<NEVER>" : human_time(s.exp_ms / 1000).c_str());
    out += b;
    snprintf(b, sizeof(b), "  scf=[fd=%d] scb=[fd=%d]\n", s.cli_fd, s.srv_fd);
    out += b;
    return out;
}

bool parse_id(const std::string& w, uint64_t& id)
{
    if (w.empty())
        return false;
    char* end = nullptr;
    id = strtoull(w.c_str(), &end, 0);
    return end && *end == '\0' && id != 0;
}

} // namespace

void sesstab_init(const config& cfg)
{
    if (g_area)
        return;
    shm_header* h = shm_get();
    uint32_t nw = h ? std::min(h->nworkers, k_shm_max_workers) : 1;
    uint32_t cap = cfg.global.maxconn ? std::min<uint32_t>(cfg.global.maxconn, 100000) : 10000;
    size_t head = (sizeof(sess_area) + 63) & ~size_t(63);
    size_t total = head + size_t(nw) * cap * sizeof(sess_slot);
    void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return;
    g_area = new (mem) sess_area{};
    g_area->nworkers = nw;
    g_area->cap = cap;
}

void sesstab_serve(worker* w)
{
    if (!g_area)
        return;
    uint32_t wi = uint32_t(w->slot);
    if (wi >= g_area->nworkers)
        return;
    uint64_t gen = g_area->gen.load(std::memory_order_acquire);
    sess_worker& me = g_area->w[wi];
    if (me.ack.load(std::memory_order_relaxed) == gen)
        return;
    uint64_t kill = g_area->kill_id.load(std::memory_order_relaxed);
    uint32_t killed = 0;
    uint64_t now = event::now_ms();
    sess_slot* out = slots(wi);
    uint32_t n = 0, more = 0;
    for (stream* s = w->all; s; s = s->all_next) {
        if (kill && s->sess_id == kill && s->closing != close_mode::dead) {
            // The protocol handler sees a client error (it ends and logs its transaction);
            // the stream is closed after that call whatever the handler did (stream.cpp),
            // and logged with termination cause 'K'.
            s->killed = true;
            if (s->opened && s->closing == close_mode::none) {
                if (!s->log_ev)
                    s->log_ev = PTC_EV_CLI_ERROR;
                stream_enqueue(s, PTC_EV_CLI_ERROR);
            } else {
                s->closing = close_mode::dead;
                stream_enqueue(s, 0);
            }
            killed++;
        }
        if (n == g_area->cap) {
            more++;
            continue;
        }
        sess_slot& o = out[n++];
        std::memset(&o, 0, sizeof(o));
        o.id = s->sess_id;
        o.age_ms = s->log_t_accept && now > s->log_t_accept ? now - s->log_t_accept : 0;
        int64_t exp = -1;
        for (int i = 0; i < 2; i++)
            if (s->timer[i].expire) {
                int64_t left = int64_t(s->timer[i].expire) - int64_t(now);
                left = left < 0 ? 0 : left;
                if (exp < 0 || left < exp)
                    exp = left;
            }
        o.exp_ms = exp;
        o.fe = s->fe ? int32_t(s->fe->index) : -1;
        o.be = s->be_selected && s->be ? int32_t(s->be->index) : -1;
        o.srv = s->srv ? int32_t(s->srv->index) : -1;
        o.cli_fd = s->cli ? s->cli->fd : -1;
        o.srv_fd = s->srvc ? s->srvc->fd : -1;
        o.closing = s->closing != close_mode::none;
        o.queued = s->q_id != 0;
        o.retries = s->conn_retries;
        std::memcpy(&o.src, &s->cli_addr, sizeof(o.src));
        if (s->bind)
            std::memcpy(&o.dst, &s->bind->addr, sizeof(o.dst));
        if (s->srv && s->srv->shared)
            std::memcpy(&o.srv_addr, &s->srv->shared->addr, sizeof(o.srv_addr));
    }
    const struct {
        const char* name;
        const block_pool* p;
    } pools[k_pools] = {{"stream", &w->stream_pool}, {"connection", &w->conn_pool},
                        {"buffer", &w->buf_pool}};
    for (uint32_t i = 0; i < k_pools; i++) {
        pool_stat& ps = me.pools[i];
        snprintf(ps.name, sizeof(ps.name), "%s", pools[i].name);
        ps.size = pools[i].p->block_size();
        ps.allocated = pools[i].p->allocated();
        ps.used = pools[i].p->used();
        ps.failed = pools[i].p->failed();
    }
    me.count.store(n, std::memory_order_relaxed);
    me.more.store(more, std::memory_order_relaxed);
    me.killed.store(killed, std::memory_order_relaxed);
    me.ack.store(gen, std::memory_order_release);
}

// show sess [<id>|all]
std::string cli_show_sess(const std::vector<std::string>& a)
{
    bool all = a.size() > 2 && a[2] == "all";
    uint64_t want = 0;
    if (a.size() > 2 && !all && !parse_id(a[2], want))
        return "Session not found.\n";
    uint64_t gen = collect(0);
    std::string out;
    bool found = false;
    uint32_t answered = 0;
    for (uint32_t w = 0; gen && w < g_area->nworkers; w++) {
        if (g_area->w[w].ack.load(std::memory_order_acquire) != gen)
            continue;
        answered++;
        uint32_t n = g_area->w[w].count.load(std::memory_order_relaxed);
        const sess_slot* sl = slots(w);
        for (uint32_t i = 0; i < n; i++) {
            if (want && sl[i].id != want)
                continue;
            found = true;
            out += all || want ? detail_of(sl[i], w) : line_of(sl[i], w);
        }
        if (uint32_t more = g_area->w[w].more.load())
            if (!want)
                out += "(worker " + std::to_string(w + 1) + ": " + std::to_string(more) +
                       " more streams not shown)\n";
    }
    if (want && !found)
        return "Session not found.\n";
    uint32_t nw = g_area ? g_area->nworkers : 0;
    if (answered < nw)
        out += "(" + std::to_string(nw - answered) + " worker(s) did not answer)\n";
    return out;
}

// show pools: the workers' object pools, summed by pool (HAProxy's layout; the request
// path allocates only from them).
std::string cli_show_pools()
{
    uint64_t gen = collect(0);
    pool_stat tot[k_pools] = {};
    uint32_t answered = 0;
    for (uint32_t w = 0; gen && w < g_area->nworkers; w++) {
        if (g_area->w[w].ack.load(std::memory_order_acquire) != gen)
            continue;
        answered++;
        for (uint32_t i = 0; i < k_pools; i++) {
            const pool_stat& ps = g_area->w[w].pools[i];
            std::memcpy(tot[i].name, ps.name, sizeof(ps.name));
            tot[i].size = ps.size;
            tot[i].allocated += ps.allocated;
            tot[i].used += ps.used;
            tot[i].failed += ps.failed;
        }
    }
    std::string out = "Dumping pools usage. Use SIGQUIT to flush them.\n";
    uint64_t bytes = 0, used = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; answered && i < k_pools; i++) {
        const pool_stat& ps = tot[i];
        char b[512];
        snprintf(b, sizeof(b),
                 "  - Pool %s (%llu bytes) : %llu allocated (%llu bytes), %llu used (~0 by "
                 "thread caches), needed_avg %llu, %llu failures, %u users, in %u workers\n",
                 ps.name, (unsigned long long)ps.size, (unsigned long long)ps.allocated,
                 (unsigned long long)(ps.size * ps.allocated), (unsigned long long)ps.used,
                 (unsigned long long)ps.used, (unsigned long long)ps.failed, 1u, answered);
        out += b;
        bytes += ps.size * ps.allocated;
        used += ps.size * ps.used;
        n++;
    }
    out += "Total: " + std::to_string(n) + " pools, " + std::to_string(bytes) +
           " bytes allocated, " + std::to_string(used) + " used (~0 by thread caches).\n";
    uint32_t nw = g_area ? g_area->nworkers : 0;
    if (answered < nw)
        out += "(" + std::to_string(nw - answered) + " worker(s) did not answer)\n";
    return out;
}

// shutdown session <id>
std::string cli_shutdown_session(const std::vector<std::string>& a)
{
    uint64_t id = 0;
    if (a.size() < 3 || !parse_id(a[2], id))
        return "Session pointer expected (use 'show sess').\n";
    uint64_t gen = collect(id);
    uint32_t killed = 0;
    for (uint32_t w = 0; gen && w < g_area->nworkers; w++)
        if (g_area->w[w].ack.load(std::memory_order_acquire) == gen)
            killed += g_area->w[w].killed.load();
    if (!killed)
        return "No such session (use 'show sess').\n";
    return "";
}

} // namespace portico
