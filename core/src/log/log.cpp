// SPDX-License-Identifier: MIT
// Traffic log emission: log targets (UDP, unix datagram, fd), syslog headers, the default,
// tcplog and httplog lines, per-transaction logging for protocol modules, HTTP counters.
#include "log/log.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cfg/units.hpp"
#include "event/clock.hpp"
#include "log/log_host.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "sample/sample.hpp"
#include "shm/hist.hpp"
#include "shm/shm.hpp"
#include "stream/stream-t.hpp"
#include "stream/stream_int.hpp"
#include "stream/stream_host.hpp"
#include "util/diag.hpp"

extern char* program_invocation_short_name;

namespace portico::log {

namespace {

const char* const k_facilities[] = {"kern",  "user",   "mail",   "daemon", "auth",   "syslog",
                                    "lpr",   "news",   "uucp",   "cron",   "auth2",  "ftp",
                                    "ntp",   "audit",  "alert",  "cron2",  "local0", "local1",
                                    "local2", "local3", "local4", "local5", "local6", "local7"};
const char* const k_levels[] = {"emerg",   "alert",  "crit", "err",
                                "warning", "notice", "info", "debug"};

int find_name(const char* const* tab, size_t n, const std::string& s)
{
    for (size_t i = 0; i < n; i++)
        if (s == tab[i])
            return (int)i;
    return -1;
}


// log-format-sd: the structured-data part of RFC 5424 headers of the line being sent.
char g_sd[4096];
size_t g_sd_len;

// Per-process line buffer: logging never allocates per request.
constexpr size_t k_line_max = 65536;
char g_body[k_line_max];

char g_hostname[256];
bool g_hostname_done;

const char* system_hostname()
{
    if (!g_hostname_done) {
        g_hostname_done = true;
        if (gethostname(g_hostname, sizeof(g_hostname) - 1) != 0)
            std::strcpy(g_hostname, "localhost");
    }
    return g_hostname;
}

uint64_t wall_us()
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

// Wall-clock ms of a now_ms() instant (monotonic), given the current wall time.
uint64_t to_wall_ms(uint64_t mono, uint64_t now_mono, uint64_t now_wall_ms)
{
    if (!mono || mono > now_mono)
        return now_wall_ms;
    return now_wall_ms - (now_mono - mono);
}

// Cached date parts per second: "Mmm dd hh:mm:ss" (local) and the ISO prefix.
struct date_cache {
    time_t sec = -1;
    char rfc3164[64];
    char iso[80];      // "2026-11-22T12:40:10"
    char tz[16];       // "+00:00"
};
date_cache g_dates;

void refresh_dates(time_t sec)
{
    if (sec == g_dates.sec)
        return;
    g_dates.sec = sec;
    struct tm tm;
    localtime_r(&sec, &tm);
    static const char* const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(g_dates.rfc3164, sizeof(g_dates.rfc3164), "%s %2d %02d:%02d:%02d", mon[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(g_dates.iso, sizeof(g_dates.iso), "%04d-%02d-%02dT%02d:%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(g_dates.tz, sizeof(g_dates.tz), "%c%02ld:%02ld", sign, (off / 3600) % 100,
             (off / 60) % 60);
}

} // namespace

// ---- targets -----------------------------------------------------------------------------

namespace {

// "<ranges>:<size>" of "log ... sample": ranges "N" or "N-M" (from 1, M > N), separated by
// commas, not overlapping; size at least the highest limit.
bool parse_sample(const std::string& spec, target& t, std::string& err)
{
    size_t colon = spec.find(':');
    if (colon == std::string::npos) {
        err = "'sample' expects <ranges>:<size>: missing sample size in '" + spec + "'";
        return false;
    }
    std::string rgs = spec.substr(0, colon), sz = spec.substr(colon + 1);
    t.smp_ranges.clear();
    uint32_t top = 0;
    size_t p = 0;
    while (p < rgs.size()) {
        size_t e = rgs.find(',', p);
        if (e == std::string::npos)
            e = rgs.size();
        std::string r = rgs.substr(p, e - p);
        size_t dash = r.find('-');
        uint64_t lo = 0, hi = 0;
        bool ok = cfg::parse_uint(r.substr(0, dash), UINT32_MAX, lo) && lo > 0;
        hi = lo;
        if (ok && dash != std::string::npos)
            ok = cfg::parse_uint(r.substr(dash + 1), UINT32_MAX, hi) && hi > lo;
        if (!ok) {
            err = "'sample': wrong sample range '" + rgs.substr(p) + "'";
            return false;
        }
        for (auto& [l, h] : t.smp_ranges) // the check HAProxy makes (either end inside)
            if ((lo >= l && lo <= h) || (hi >= l && hi <= h)) {
                err = "'sample': ranges are overlapping in '" + rgs + "'";
                return false;
            }
        t.smp_ranges.emplace_back((uint32_t)lo, (uint32_t)hi);
        top = std::max(top, (uint32_t)hi);
        p = e + 1;
    }
    if (t.smp_ranges.empty()) {
        err = "'sample': no sampling ranges given";
        return false;
    }
    uint64_t n = 0;
    if (!cfg::parse_uint(sz, UINT32_MAX, n) || n == 0) {
        err = "'sample': wrong sample size '" + sz + "' for sample range '" + rgs + "'";
        return false;
    }
    if (n < top) {
        err = "'sample': sample size " + sz + " should be greater or equal to " +
              std::to_string(top) + " the maximum of the high ranges limits";
        return false;
    }
    t.smp_size = (uint32_t)n;
    if (!t.smp_ctr) {
        void* m = mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            err = "'sample': cannot map the shared counter";
            return false;
        }
        t.smp_ctr = static_cast<uint64_t*>(m);
    }
    return true;
}

// Whether the next message for <t> is one of its samples (counts it).
bool sampled(target& t)
{
    if (!t.smp_size)
        return true;
    uint32_t i = (uint32_t)(__atomic_fetch_add(t.smp_ctr, 1, __ATOMIC_RELAXED) % t.smp_size) + 1;
    for (auto& [l, h] : t.smp_ranges)
        if (i >= l && i <= h)
            return true;
    return false;
}

} // namespace

bool parse_target(const std::vector<std::string>& args, target& t, std::string& err)
{
    if (args.empty()) {
        err = "expects a target address";
        return false;
    }
    std::string a = args[0];
    t.spec = a;
    if (a == "stdout" || a == "stderr") {
        t.kind = target_kind::fd;
        t.fdnum = a == "stdout" ? 1 : 2;
    } else if (a.rfind("fd@", 0) == 0) {
        uint64_t n;
        if (!cfg::parse_uint(a.substr(3), 65535, n)) {
            err = "invalid file descriptor in '" + a + "'";
            return false;
        }
        t.kind = target_kind::fd;
        t.fdnum = (int)n;
    } else if (a.rfind("ring@", 0) == 0) {
        if (a.size() == 5) {
            err = "'ring@' expects a ring name";
            return false;
        }
        t.kind = target_kind::ring;
        t.ring_name = a.substr(5); // resolved after parsing (post_config)
    } else if (a[0] == '/' || a.rfind("unix@", 0) == 0) {
        std::string path = a[0] == '/' ? a : a.substr(5);
        sockaddr_un un{};
        if (path.empty() || path.size() >= sizeof(un.sun_path)) {
            err = "invalid unix socket path '" + path + "'";
            return false;
        }
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, path.data(), path.size());
        std::memcpy(&t.addr, &un, sizeof(un));
        t.addrlen = (socklen_t)(offsetof(sockaddr_un, sun_path) + path.size() + 1);
        t.kind = target_kind::unix_dgram;
    } else {
        static const char* const refused[] = {"tcp@", "tcp4@", "tcp6@", "uxst@",
                                              "abns@", "sockpair@", nullptr};
        for (const char* const* r = refused; *r; r++)
            if (a.rfind(*r, 0) == 0) {
                err = "log target '" + a + "' is not supported yet by portico (only UDP, "
                      "unix datagram sockets, stdout, stderr, fd@ and ring@)";
                return false;
            }
        // environment variables first, as HAProxy: "${H}:${P}" with both unset is ":"
        // (0.0.0.0:514), "${H}" unset an empty address
        std::string spec = addr_env_expand(a);
        std::string pfx;
        for (const char* p : {"udp4@", "udp6@", "udp@", "ipv4@", "ipv6@"})
            if (spec.rfind(p, 0) == 0) {
                pfx = p;
                spec = spec.substr(pfx.size());
            }
        if (spec.empty() && a.find('$') != std::string::npos) {
            err = "'" + a + "' resolves to an empty address (environment variable missing?)";
            return false;
        }
        // default port 514: add it when missing
        bool v6 = pfx == "udp6@" || pfx == "ipv6@" || spec.find(':') != spec.rfind(':') ||
                  (!spec.empty() && spec[0] == '[');
        std::string full = spec;
        if (v6) {
            if (spec[0] != '[') {
                // "ipv6@::1" or "::1" without a port; HAProxy reads the part after the last
                // colon as the port only with brackets, so keep it an address.
                full = "[" + spec + "]:514";
            } else if (spec.back() == ']') {
                full = spec + ":514";
            } else if (spec.size() > 1 && spec.back() == ':') {
                full = spec + "514";
            }
            full = "ipv6@" + full;
        } else {
            if (spec.find(':') == std::string::npos)
                full = spec + ":514";
            else if (spec.back() == ':')
                full = spec + "514";
            full = "ipv4@" + full;
        }
        addr_opts o;
        o.need_port = true;
        o.resolve = true;
        std::string perr;
        if (!parse_addr(full, o, t.addr, t.addrlen, nullptr, perr)) {
            err = "invalid log target '" + a + "': " + perr;
            return false;
        }
        t.kind = target_kind::udp;
    }
    size_t i = 1;
    while (i < args.size()) {
        if (args[i] == "len") {
            uint64_t n;
            if (i + 1 >= args.size() || !cfg::parse_uint(args[i + 1], 65535, n) || n < 80) {
                err = "'len' expects a length between 80 and 65535";
                return false;
            }
            t.maxlen = (uint32_t)n;
            t.len_set = true;
            i += 2;
        } else if (args[i] == "format") {
            static const char* const names[] = {"local", "rfc3164", "rfc5424", "priority",
                                                "short", "timed",   "iso",     "raw"};
            int f = i + 1 < args.size() ? find_name(names, 8, args[i + 1]) : -1;
            if (f < 0) {
                err = "'format' expects one of local, rfc3164, rfc5424, priority, short, "
                      "timed, iso, raw";
                return false;
            }
            t.format = (hdr_format)f;
            t.format_set = true;
            i += 2;
        } else if (args[i] == "sample") {
            if (i + 1 >= args.size() || !parse_sample(args[i + 1], t, err))
                return false;
            i += 2;
        } else {
            break;
        }
    }
    if (i >= args.size()) {
        err = "expects a facility after the address (e.g. local0)";
        return false;
    }
    int fac = find_name(k_facilities, 24, args[i]);
    if (fac < 0) {
        err = "unknown log facility '" + args[i] + "'";
        return false;
    }
    t.facility = (uint8_t)fac;
    i++;
    for (uint8_t* lvl : {&t.maxlvl, &t.minlvl}) { // [<max level> [<min level>]]
        if (i >= args.size())
            break;
        int l = find_name(k_levels, 8, args[i]);
        if (l < 0) {
            err = "unknown log level '" + args[i] + "'";
            return false;
        }
        *lvl = (uint8_t)l;
        i++;
    }
    if (i < args.size()) {
        err = "unexpected word '" + args[i] + "' after the levels";
        return false;
    }
    return true;
}

size_t build_header(const target& t, uint32_t level, const char* tag, int pid,
                    const char* hostname, uint64_t now_us, char* out, size_t cap)
{
    time_t sec = (time_t)(now_us / 1000000u);
    unsigned usec = (unsigned)(now_us % 1000000u);
    uint32_t prio = t.facility * 8u + level;
    hdr_format f = t.format;
    if (f == hdr_format::local && hostname && *hostname)
        f = hdr_format::rfc3164; // log-send-hostname switches the default to rfc3164
    int n = 0;
    switch (f) {
    case hdr_format::local:
        refresh_dates(sec);
        n = snprintf(out, cap, "<%u>%s %s[%d]: ", prio, g_dates.rfc3164, tag, pid);
        break;
    case hdr_format::rfc3164:
        refresh_dates(sec);
        n = snprintf(out, cap, "<%u>%s %s %s[%d]: ", prio, g_dates.rfc3164,
                     hostname && *hostname ? hostname : "localhost", tag, pid);
        break;
    case hdr_format::rfc5424:
        refresh_dates(sec);
        n = snprintf(out, cap, "<%u>1 %s.%06u%s %s %s %d - %.*s ", prio, g_dates.iso, usec,
                     g_dates.tz, hostname && *hostname ? hostname : "-", tag, pid,
                     g_sd_len ? (int)g_sd_len : 1, g_sd_len ? g_sd : "-");
        break;
    case hdr_format::priority:
        n = snprintf(out, cap, "<%u>", prio);
        break;
    case hdr_format::shortfmt:
        n = snprintf(out, cap, "<%u>", level);
        break;
    case hdr_format::timed:
        refresh_dates(sec);
        n = snprintf(out, cap, "<%u>%s.%06u%s ", level, g_dates.iso, usec, g_dates.tz);
        break;
    case hdr_format::iso:
        refresh_dates(sec);
        n = snprintf(out, cap, "%s.%06u%s ", g_dates.iso, usec, g_dates.tz);
        break;
    case hdr_format::raw:
        n = 0;
        break;
    }
    if (n < 0)
        return 0;
    return std::min((size_t)n, cap - 1);
}

namespace {

void open_target(target& t)
{
    if (t.sock >= 0 || t.failed)
        return;
    if (t.kind == target_kind::fd) {
        struct stat st;
        if (fstat(t.fdnum, &st) != 0) {
            t.failed = true;
            return;
        }
        if (S_ISSOCK(st.st_mode)) {
            t.sock = t.fdnum;
            t.is_socket = true;
            return;
        }
        // A private open file description, so that O_NONBLOCK does not leak to whoever
        // shares the descriptor (a terminal, the parent's pipe).
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", t.fdnum);
        int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        t.sock = fd >= 0 ? fd : t.fdnum; // no /proc: write to the descriptor itself
        return;
    }
    int fam = t.kind == target_kind::unix_dgram ? AF_UNIX : t.addr.ss_family;
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        t.failed = true;
        return;
    }
    if (fam == AF_UNIX) {
        // bigger messages than the default datagram limit of some systems
        int sz = 256 * 1024;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    t.sock = fd;
}

} // namespace

void send_line(target& t, const char* hdr, size_t hlen, const char* body, size_t blen)
{
    if (t.kind == target_kind::ring) {
        if (!t.ring)
            return;
        iovec iov[2] = {{const_cast<char*>(hdr), hlen}, {const_cast<char*>(body), blen}};
        ring_write(*t.ring, iov, 2);
        return;
    }
    open_target(t);
    if (t.sock < 0)
        return;
    // syslog targets: at most <len> bytes before the final line feed (as HAProxy); fd
    // targets only when "len" was given
    if (t.kind != target_kind::fd || t.len_set) {
        size_t max = t.maxlen;
        if (hlen > max)
            hlen = max;
        if (hlen + blen > max)
            blen = max - hlen;
    }
    iovec iov[3];
    iov[0] = {const_cast<char*>(hdr), hlen};
    iov[1] = {const_cast<char*>(body), blen};
    iov[2] = {const_cast<char*>("\n"), 1};
    if (t.kind == target_kind::fd && !t.is_socket) {
        ssize_t r = writev(t.sock, iov, 3);
        (void)r; // dropped when the pipe is full: never block the loop
        return;
    }
    msghdr m{};
    if (t.kind != target_kind::fd) {
        m.msg_name = &t.addr;
        m.msg_namelen = t.addrlen;
    }
    m.msg_iov = iov;
    m.msg_iovlen = 3;
    ssize_t r = sendmsg(t.sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)r;
}

// ---- emission ------------------------------------------------------------------------------

namespace {

const global_log* G()
{
    return g_config && g_config->global.logs ? g_config->global.logs.get() : nullptr;
}

const char* tag_of(const proxy_log& pl)
{
    if (!pl.tag.empty())
        return pl.tag.c_str();
    const global_log* g = G();
    if (g && !g->tag.empty())
        return g->tag.c_str();
    return program_invocation_short_name ? program_invocation_short_name : "portico";
}

const char* hostname_of()
{
    const global_log* g = G();
    if (!g || !g->send_hostname)
        return nullptr;
    return g->hostname.empty() ? system_hostname() : g->hostname.c_str();
}

bool has_targets(const proxy_log& pl)
{
    if (!pl.targets.empty())
        return true;
    const global_log* g = G();
    return pl.use_global && g && !g->targets.empty();
}

void emit_to(target& t, uint32_t level, const char* tag, int pid, const char* host,
             uint64_t now_us, const char* body, size_t blen)
{
    if (level > t.maxlvl)
        return;
    if (!sampled(t))
        return;
    if (level < t.minlvl)
        level = t.minlvl;
    char hdr[512];
    size_t hlen = build_header(t, level, tag, pid, host, now_us, hdr, sizeof(hdr));
    send_line(t, hdr, hlen, body, blen);
}

void emit(const proxy_log& pl, uint32_t level, uint64_t now_us, const char* body, size_t blen)
{
    const char* tag = tag_of(pl);
    const char* host = hostname_of();
    int pid = g_diag.pid ? g_diag.pid : (int)getpid();
    for (auto& t : pl.targets)
        emit_to(*t, level, tag, pid, host, now_us, body, blen);
    if (pl.use_global)
        if (const global_log* g = G())
            for (auto& t : g->targets)
                emit_to(*t, level, tag, pid, host, now_us, body, blen);
}

uint64_t g_req_counter;

// Fills what the stream knows; <txn> adds the transaction (http) or nullptr (tcp).
void fill_ctx(stream* s, const ptc_log_txn* txn, log_ctx& c, uint64_t now_wall_ms)
{
    // fresh: the core notes some events with a fresh clock, ahead of the loop's cache
    uint64_t now = std::max(event::now_ms(), event::monotonic_ms());
    auto since = [](uint64_t later, uint64_t earlier) -> int64_t {
        return later > earlier ? (int64_t)(later - earlier) : 0;
    };
    proxy* fe = s->fe;
    proxy* be = cur_backend(s);
    c.s = s;
    c.http = txn != nullptr;
    if (s->cli_addrlen)
        std::memcpy(&c.cli, &s->cli_addr, std::min<size_t>(s->cli_addrlen, sizeof(c.cli)));
    c.fe_addr_lazy = true;
    c.be_src_lazy = true;
    c.fe_name = fe->name.c_str();
    c.fe_tls = s->cli_xprt;
    if (s->cli_xprt) {
        c.ssl_cipher = xprt_cli_info(s, PTC_XPRT_CIPHER);
        c.ssl_version = xprt_cli_info(s, PTC_XPRT_VERSION);
    }
    c.be_name = be->name.c_str();
    server* srv = s->srv;
    bool srv_used = srv && s->log_t_cstart;
    c.srv_name = srv_used ? srv->name.c_str() : "<NOSRV>";
    if (srv_used)
        std::memcpy(&c.srv_addr, &srv->addr, std::min<size_t>(srv->addrlen, sizeof(c.srv_addr)));
    c.pid = g_diag.pid ? g_diag.pid : (int)getpid();
    c.hostname = hostname_of() ? hostname_of() : system_hostname();
    if (!s->log_req_id)
        s->log_req_id = ++g_req_counter;
    c.req_counter = s->log_req_id - 1; // HAProxy numbers its streams from 0
    if (proxy_log* pl = fe->logs.get(); pl && pl->caps.block) {
        c.caps = &pl->caps;
        c.capblk = static_cast<const unsigned char*>(s->caps);
    }
    if (shm_header* h = shm_get())
        c.actconn = h->cur_conns.load(std::memory_order_relaxed);
    if (fe->shared)
        c.feconn = fe->shared->cur_conns.load(std::memory_order_relaxed);
    if (be->shared)
        c.beconn = be->shared->be_conns.load(std::memory_order_relaxed);
    if (srv && srv->shared)
        c.srvconn = srv->shared->cur_conns.load(std::memory_order_relaxed);

    uint64_t start = txn && txn->t_start ? txn->t_start : s->log_t_accept;
    uint64_t first = s->log_t_first && s->log_t_first >= start ? s->log_t_first : 0;
    bool connected = s->log_t_cstart && s->log_t_cstart >= start;
    c.t_accept = to_wall_ms(start, now, now_wall_ms);
    c.Th = 0;
    c.Tt = since(now, start);
    // Tw: from the request being ready to the connection attempt (queues included)
    uint64_t ready = txn && txn->t_request ? txn->t_request : start;
    // (a stream still waiting in a queue, its client gone, or out of it at "timeout queue":
    // the time it waited, as HAProxy)
    bool queue_end = s->q_id || s->srv_error == PTC_SRVERR_QUEUE;
    c.Tw = connected ? since(s->log_t_cstart, ready) : queue_end ? since(now, ready) : -1;
    c.Tc = connected && s->log_t_cdone ? since(s->log_t_cdone, s->log_t_cstart) : -1;
    if (txn) {
        // first request byte: noted by the core since the previous transaction, else the
        // transaction start (pipelined request already buffered)
        uint64_t fb = first ? first : start;
        if (txn->t_request && fb > txn->t_request)
            fb = txn->t_request;
        c.t_request = to_wall_ms(fb, now, now_wall_ms);
        c.Ti = since(fb, start);
        c.TR = txn->t_request ? since(txn->t_request, fb) : -1;
        c.Tq = txn->t_request ? since(txn->t_request, start) : -1;
        if (txn->t_response) {
            uint64_t from = s->log_t_cdone && connected ? s->log_t_cdone : txn->t_request;
            if (txn->t_request > from)
                from = txn->t_request;
            c.Tr = since(txn->t_response, from);
        } else {
            c.Tr = -1;
        }
        c.Ta = since(now, fb);
        c.status = txn->status;
        c.bytes_in = txn->bytes_in;
        c.bytes_out = txn->bytes_out;
        c.retries = txn->retries;
        c.request_line = txn->request_line;
        c.term[0] = s->killed ? 'K' : txn->term[0] ? txn->term[0] : '-'; // 'K': shutdown session
        c.term[1] = txn->term[1] ? txn->term[1] : '-';
        c.term[2] = txn->term[2] ? txn->term[2] : s->log_ck[0] ? s->log_ck[0] : '-';
        c.term[3] = txn->term[3] ? txn->term[3] : s->log_ck[1] ? s->log_ck[1] : '-';
        c.mode = "HTTP";
    } else {
        c.t_request = c.t_accept;
        c.bytes_in = s->ch[PTC_DIR_REQ].bytes;
        c.bytes_out = s->ch[PTC_DIR_RES].bytes;
        c.mode = "TCP";
        // termination state from what the core saw
        char who = '-', st = '-';
        bool est = s->log_t_cdone != 0;
        char phase = est ? 'D' : (s->log_t_cstart ? 'C' : 'C');
        switch (s->srv_error) {
        case PTC_SRVERR_NOSRV: who = 'S'; st = 'C'; break;
        case PTC_SRVERR_CONNECT: who = 'S'; st = 'C'; break;
        case PTC_SRVERR_CTIMEOUT: who = 's'; st = 'C'; break;
        case PTC_SRVERR_QUEUE: who = 's'; st = 'Q'; break;
        case PTC_SRVERR_RESET: who = 'S'; st = 'D'; break;
        default: break;
        }
        if (s->killed) { // "shutdown session"
            who = 'K';
            st = phase;
        }
        if (who == '-') {
            if (s->log_ev & PTC_EV_CLI_TIMEOUT) {
                who = 'c';
                st = phase;
            } else if (s->log_ev & PTC_EV_SRV_TIMEOUT) {
                who = 's';
                st = phase;
            } else if (s->log_ev & PTC_EV_CLI_ERROR) {
                who = 'C';
                st = phase;
            } else if (s->log_ev & PTC_EV_SRV_ERROR) {
                who = 'S';
                st = phase;
            } else if (!est && s->log_t_cstart) {
                who = 'C'; // client left while connecting
                st = 'C';
            }
        }
        c.term[0] = who;
        c.term[1] = st;
        c.status = -1;
    }
    // Td = Tt - (Tq + Tw + Tc + Tr), -1 timers excluded; -1 as HAProxy when no response
    // head came (HTTP) or no connection was made (TCP)
    int64_t td = c.Tt;
    for (int64_t x : {c.Th, c.Ti, c.TR, c.Tw, c.Tc, c.Tr})
        if (x > 0)
            td -= x;
    c.Td = (c.http ? c.Tr < 0 : c.Tc < 0) ? -1 : td < 0 ? 0 : td;
    c.Tu = c.Ti > 0 ? c.Tt - c.Ti : c.Tt;
}

// HAProxy's "error" for log-separate-errors and dontlog-normal: a termination cause other
// than none or 'L' (a local answer), a retry, or a 5xx status.
bool is_error(const log_ctx& c)
{
    return (c.term[0] != '-' && c.term[0] != 'L') || c.retries ||
           (c.status >= 500 && c.status <= 599);
}

void log_stream(stream* s, const ptc_log_txn* txn, bool asap = false)
{
    proxy_log* pl = s->fe->logs.get();
    if (!pl || !pl->fmt || !has_targets(*pl))
        return;
    uint64_t us = wall_us();
    log_ctx c;
    fill_ctx(s, txn, c, us / 1000);
    if (pl->dontlognull && c.bytes_in == 0 && (txn || c.bytes_out == 0))
        return;
    bool err = is_error(c);
    if (pl->dontlog_normal && !err)
        return;
    c.asap = pl->logasap;
    if (pl->uid_fmt) { // %ID and %[unique-id] see the id the request got, or get one now
        ptc_str id;
        unique_id(s, &c, id);
        c.capblk = static_cast<const unsigned char*>(s->caps);
    }
    (void)asap;
    c.log_counter = ++pl->counter;
    g_sd_len = pl->sd ? logfmt_render(pl->sd, c, g_sd, sizeof(g_sd)) : 0;
    size_t n = logfmt_render(pl->fmt, c, g_body, sizeof(g_body));
    uint32_t level = pl->separate_errors && err ? PTC_LOG_ERR : PTC_LOG_INFO;
    // set-log-level <level> (ptc_log_txn.level, since 1.16) wins, as in HAProxy
    if (txn && txn->size >= offsetof(ptc_log_txn, level) + sizeof(txn->level) &&
        txn->level >= 1 && txn->level <= 8)
        level = txn->level - 1;
    emit(*pl, level, us, g_body, n);
    g_sd_len = 0;
}

} // namespace

namespace {

// A JSON string literal of <v> (control characters and bytes above 127 as \u00XX, as the
// JSON traffic logs write them).
void json_str(std::string& o, std::string_view v)
{
    static const char hex[] = "0123456789abcdef";
    o += '"';
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            o += "\\u00";
            o += hex[c >> 4];
            o += hex[c & 15];
        } else {
            o += char(c);
        }
    }
    o += '"';
}

} // namespace

// A line that is not a transaction (server state changes, health checks, refused
// connections) for a proxy whose traffic logs are JSON ("option httplog json", "option
// tcplog json"): one JSON object as well, {"tr":date,"lvl":level,"px":proxy,"msg":text} and
// the extra fields given (already rendered "key":value pairs).
std::string json_event(const proxy& p, uint32_t level, uint64_t us, std::string_view msg,
                       const std::string& extra)
{
    std::string o = "{\"tr\":";
    json_str(o, accept_date(us / 1000));
    o += ",\"lvl\":";
    json_str(o, k_levels[std::min<uint32_t>(level, 7)]);
    o += ",\"px\":";
    json_str(o, p.name);
    if (!extra.empty())
        o += "," + extra;
    o += ",\"msg\":";
    json_str(o, msg);
    o += '}';
    return o;
}

void on_accept(stream* s)
{
    proxy_log* pl = s->fe->logs.get();
    if (!pl || pl->st != style::none || pl->custom || !has_targets(*pl))
        return;
    // the default format: "Connect from <client> to <local> (<frontend>/<MODE>)"
    sockaddr_storage local{};
    if (!stream_local_addr(s, &local))
        local.ss_family = 0;
    std::string_view cli = "-", loc = "-";
    char a[INET6_ADDRSTRLEN + 16], b[INET6_ADDRSTRLEN + 16];
    auto fmt_addr = [](const sockaddr_storage& x, char* out, size_t cap) -> bool {
        char ip[INET6_ADDRSTRLEN];
        if (x.ss_family == AF_INET) {
            auto* in = reinterpret_cast<const sockaddr_in*>(&x);
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
            snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
            return true;
        }
        if (x.ss_family == AF_INET6) {
            auto* in6 = reinterpret_cast<const sockaddr_in6*>(&x);
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
            snprintf(out, cap, "%s:%u", ip, ntohs(in6->sin6_port));
            return true;
        }
        if (x.ss_family == AF_UNIX) {
            snprintf(out, cap, "unix:0");
            return true;
        }
        return false;
    };
    if (s->cli_addrlen && fmt_addr(s->cli_addr, a, sizeof(a)))
        cli = a;
    if (fmt_addr(local, b, sizeof(b)))
        loc = b;
    const std::string_view mode = mode_name(s->fe->mode);
    char m[16];
    size_t i = 0;
    for (; i < mode.size() && i + 1 < sizeof(m); i++)
        m[i] = (char)toupper((unsigned char)mode[i]);
    m[i] = 0;
    int n = snprintf(g_body, sizeof(g_body), "Connect from %.*s to %.*s (%s/%s)", (int)cli.size(),
                     cli.data(), (int)loc.size(), loc.data(), s->fe->name.c_str(), m);
    if (n < 0)
        return;
    pl->counter++;
    emit(*pl, PTC_LOG_INFO, wall_us(), g_body, std::min((size_t)n, sizeof(g_body) - 1));
}

void on_conn_error(stream* s, const char* reason)
{
    proxy_log* pl = s->fe->logs.get();
    if (!pl || !has_targets(*pl))
        return;
    // as HAProxy: only a frontend that logs its traffic ("option httplog", "tcplog",
    // "log-format") or has an error-log-format logs its connection errors
    if (!pl->error_fmt && pl->st == style::none && !pl->custom)
        return;
    if (pl->error_fmt) { // "error-log-format": the frontend's own layout
        uint64_t now_us = wall_us();
        log_ctx c;
        fill_ctx(s, nullptr, c, now_us / 1000);
        c.log_counter = ++pl->counter;
        size_t n = logfmt_render(pl->error_fmt, c, g_body, sizeof(g_body));
        emit(*pl, pl->separate_errors ? PTC_LOG_ERR : PTC_LOG_INFO, now_us, g_body, n);
        return;
    }
    char ip[INET6_ADDRSTRLEN] = "-";
    unsigned port = 0;
    if (s->cli_addrlen && s->cli_addr.ss_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(&s->cli_addr);
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
    } else if (s->cli_addrlen && s->cli_addr.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(&s->cli_addr);
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
    }
    // accept date: wall clock now minus the time since the accept
    uint64_t us = wall_us();
    uint64_t age_ms = s->log_t_accept ? event::monotonic_ms() - s->log_t_accept : 0;
    uint64_t acc_us = us - age_ms * 1000;
    time_t sec = (time_t)(acc_us / 1000000);
    tm t;
    localtime_r(&sec, &t);
    static const char* const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // the bind by its name, else by its number in the frontend (HAProxy's listener id)
    unsigned luid = 0;
    if (s->bind && s->fe)
        for (size_t i = 0; i < s->fe->binds.size(); ++i)
            if (s->fe->binds[i].get() == s->bind)
                luid = (unsigned)(i + 1);
    std::string bname = !s->bind ? std::string()
                        : !s->bind->name.empty() ? s->bind->name
                                                 : std::to_string(luid);
    if (s->bind && s->bind->addr.ss_family == AF_UNIX && !(s->cli_addrlen &&
        (s->cli_addr.ss_family == AF_INET || s->cli_addr.ss_family == AF_INET6))) {
        // a UNIX socket's client: "unix" and the bind's number, as HAProxy
        std::snprintf(ip, sizeof(ip), "unix");
        port = luid;
    }
    uint32_t lvl = pl->separate_errors ? PTC_LOG_ERR : PTC_LOG_INFO;
    if (pl->json) { // {"tr":accept date,...,"ci":..,"cp":..,"bind":..,"msg":reason}
        std::string extra = "\"ci\":";
        json_str(extra, ip);
        extra += ",\"cp\":" + std::to_string(port) + ",\"bind\":";
        json_str(extra, bname);
        std::string j = json_event(*s->fe, lvl, acc_us, reason, extra);
        pl->counter++;
        emit(*pl, lvl, us, j.data(), j.size());
        return;
    }
    int n = snprintf(g_body, sizeof(g_body), "%s:%u [%02d/%s/%04d:%02d:%02d:%02d.%03u] %s/%s: %s",
                     ip, port, t.tm_mday, mon[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min,
                     t.tm_sec, (unsigned)((acc_us / 1000) % 1000), s->fe->name.c_str(),
                     bname.c_str(), reason);
    if (n < 0)
        return;
    pl->counter++;
    emit(*pl, pl->separate_errors ? PTC_LOG_ERR : PTC_LOG_INFO, us, g_body,
         std::min((size_t)n, sizeof(g_body) - 1));
}

void proxy_message(const proxy& p, uint32_t level, const char* body, size_t blen)
{
    const proxy_log* pl = p.logs.get();
    if (!pl || !has_targets(*pl))
        return;
    uint64_t us = wall_us();
    if (pl->json) {
        std::string j = json_event(p, level, us, std::string_view(body, blen), std::string());
        emit(*pl, level, us, j.data(), j.size());
        return;
    }
    emit(*pl, level, us, body, blen);
}

bool log_asap(stream* s, const ptc_log_txn* txn)
{
    proxy_log* pl = s->fe->logs.get();
    if (!pl || !pl->logasap || s->log_asap_done)
        return false;
    s->log_asap_done = true;
    log_stream(s, txn, true);
    return true;
}

// Latency histograms and time averages (shm/hist.hpp) of the transaction ending now: <txn>
// for an HTTP transaction, nullptr for a TCP stream. The frontend counts every transaction
// (total time; the others when a server was used); the backend and the server, as HAProxy's
// averages, only those that connected and got a response (TCP: that connected).
void record_times(stream* s, const ptc_log_txn* txn)
{
    auto since = [](uint64_t later, uint64_t earlier) -> int64_t {
        return later > earlier ? (int64_t)(later - earlier) : 0;
    };
    uint64_t now = std::max(event::now_ms(), event::monotonic_ms());
    uint64_t start = txn && txn->t_start ? txn->t_start : s->log_t_accept;
    bool connected = s->log_t_cstart && s->log_t_cstart >= start;
    uint64_t ready = txn && txn->t_request ? txn->t_request : start;
    int64_t ms[HT_COUNT] = {-1, -1, -1, since(now, start)};
    if (connected) {
        ms[HT_QUEUE] = since(s->log_t_cstart, ready);
        if (s->log_t_cdone)
            ms[HT_CONNECT] = since(s->log_t_cdone, s->log_t_cstart);
        if (txn && txn->t_response) {
            uint64_t from = s->log_t_cdone ? s->log_t_cdone : txn->t_request;
            if (txn->t_request > from)
                from = txn->t_request;
            ms[HT_RESPONSE] = since(txn->t_response, from);
        }
    }
    uint32_t slot = (uint32_t)s->w->slot;
    hist_record(slot, hist_obj_fe(s->fe->index), ms);
    bool served = connected && s->log_t_cdone && (txn ? ms[HT_RESPONSE] >= 0 : true);
    if (!served)
        return;
    if (s->be)
        hist_record(slot, hist_obj_be(s->be->index), ms);
    if (s->srv && s->srv->shared)
        hist_record(slot, hist_obj_srv(s->srv->index), ms);
}

void on_close(stream* s)
{
    if (!s->log_txn_done && s->fe->mode != px_mode::http)
        record_times(s, nullptr); // a TCP stream: its times (HTTP: per transaction)
    proxy_log* pl = s->fe->logs.get();
    if (s->log_txn_done || !pl || !pl->fmt || !pl->at_close)
        return; // nothing to log, or the protocol module logs each transaction
    log_stream(s, nullptr);
}

} // namespace portico::log

namespace portico {

// ---- host table ----------------------------------------------------------------------------

namespace {

template <typename T> void count_http(T* sh, int status)
{
    if (!sh)
        return;
    sh->req_tot.fetch_add(1, std::memory_order_relaxed);
    std::atomic<uint64_t>* cls = status >= 100 && status < 200   ? &sh->hrsp_1xx
                                 : status >= 200 && status < 300 ? &sh->hrsp_2xx
                                 : status >= 300 && status < 400 ? &sh->hrsp_3xx
                                 : status >= 400 && status < 500 ? &sh->hrsp_4xx
                                 : status >= 500 && status < 600 ? &sh->hrsp_5xx
                                                                 : &sh->hrsp_other;
    cls->fetch_add(1, std::memory_order_relaxed);
}

} // namespace

void host_stream_log_txn(ptc_stream* ps, const ptc_log_txn* txn)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s || !txn)
        return;
    ptc_log_txn t{};
    std::memcpy(&t, txn, std::min<size_t>(txn->size ? txn->size : sizeof(t), sizeof(t)));
    s->log_txn_done = true;
    // a service answered (HAProxy's applets): "connected" when the request was ready
    if ((t.flags & PTC_LOG_TXN_SERVICE) && !(s->log_t_cstart && s->log_t_cstart >= t.t_start))
        s->log_t_cstart = s->log_t_cdone = t.t_request ? t.t_request : t.t_start;
    // statistics: the frontend counts every request; the backend and the server the ones
    // that reached them
    count_http(s->fe->shared, t.status);
    if (s->be_selected && s->be && s->be != s->fe) // not the last transaction's backend
        count_http(s->be->shared, t.status);
    if (s->srv && s->log_t_cstart && s->log_t_cstart >= t.t_start)
        count_http(s->srv->shared, t.status);
    log::record_times(s, &t);
    if (!s->log_asap_done && !(t.flags & PTC_LOG_TXN_SILENT))
        log::log_stream(s, &t);
    // the next transaction starts afresh
    s->log_asap_done = false;
    s->log_req_id = 0;
    s->log_ck[0] = s->log_ck[1] = 0;
    log::cap_txn_end(s);
    s->log_t_first = 0;
    s->log_t_cstart = 0;
    s->log_t_cdone = 0;
    smp::txn_end(ps);
}

size_t host_logfmt_eval(ptc_stream* ps, const ptc_logfmt* lf, char* buf, size_t cap)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s || !lf)
        return 0;
    uint64_t us = log::wall_us();
    log::log_ctx c;
    ptc_log_txn t{};
    t.size = sizeof(t);
    t.status = -1;
    t.term[0] = t.term[1] = '-';
    log::fill_ctx(s, &t, c, us / 1000);
    c.expr_none_empty = true;
    log::logfmt_fill_reqline(lf, c);
    return log::logfmt_render(lf, c, buf, cap);
}

} // namespace portico
