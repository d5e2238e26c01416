// SPDX-License-Identifier: MIT
// Runtime API renderings in HAProxy 2.6's exact formats: "show info", "show stat" (CSV),
// "show servers state" — filled from the configuration model and shared memory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>
#include <unordered_map>

#include "cfg/units.hpp"
#include "event/clock.hpp"
#include "lb/lb_conf.hpp"
#include "cli/cli.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "lb/srv_state.hpp"
#include "shm/hist.hpp"
#include "shm/shm.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

namespace {

uint32_t g_workers = 1;
time_t g_start_time = time(nullptr);

// HAProxy 2.6's "show stat" columns, including the "-" separator and the stats modules
// (ssl, h2, h1) its Debian build prints after it.
const char* const k_cols[] = {
    "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout",
    "dreq", "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act",
    "bck", "chkfail", "chkdown", "lastchg", "downtime", "qlimit", "pid", "iid", "sid",
    "throttle", "lbtot", "tracked", "type", "rate", "rate_lim", "rate_max", "check_status",
    "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
    "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt",
    "srv_abrt", "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk",
    "last_agt", "qtime", "ctime", "rtime", "ttime", "agent_status", "agent_code",
    "agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall", "check_health",
    "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo", "conn_rate",
    "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse",
    "cache_lookups", "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max",
    "rtime_max", "ttime_max", "eint", "idle_conn_cur", "safe_conn_cur", "used_conn_cur",
    "need_conn_est", "uweight", "agg_server_status", "agg_server_check_status",
    "agg_check_status", "-", "ssl_sess", "ssl_reused_sess", "ssl_failed_handshake",
    "h2_headers_rcvd", "h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd",
    "h2_goaway_rcvd", "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp", "h2_goaway_resp", "h2_open_connections", "h2_backend_open_streams",
    "h2_total_connections", "h2_backend_total_streams", "h1_open_connections",
    "h1_open_streams", "h1_total_connections", "h1_total_streams", "h1_bytes_in",
    "h1_bytes_out", "h1_spliced_bytes_in", "h1_spliced_bytes_out"};
constexpr size_t k_ncols = sizeof(k_cols) / sizeof(k_cols[0]);

// Which columns HAProxy fills with a counter (shown as "0" unless set) for each line type;
// the others stay empty unless a value is set explicitly. F: frontend, B: backend,
// S: server; lower-case letters: only for "mode http" proxies.
const char* const k_filled[k_ncols] = {
    "FBS", "FBS", "BS", "BS", "FBS", "FBS", "", "FBS", "FBS", "FBS",       // pxname..bout
    "FB", "FBS", "F", "BS", "BS", "BS", "BS", "", "", "",                  // dreq..act
    "", "", "B", "", "B", "", "FBS", "FBS", "FBS", "",                     // bck..throttle
    "BS", "", "FBS", "FBS", "F", "FBS", "", "", "", "fbs",                 // lbtot..hrsp_1xx
    "fbs", "fbs", "fbs", "fbs", "fbs", "", "F", "F", "Fbs", "BS",          // ..cli_abrt
    "BS", "FB", "FB", "FB", "FB", "", "", "", "BS", "BS",                  // srv_abrt..ctime
    "BS", "BS", "", "", "", "", "", "", "", "",                            // rtime..check_fall
    "", "", "", "", "", "", "", "F", "F", "F",                             // ..conn_tot
    "f", "F", "F", "FBS", "BS", "BS", "fb", "fb", "S", "",                 // ..src_ilim
    "BS", "BS", "BS", "BS", "FBS", "S", "S", "S", "S", "",                 // ..uweight
    "B", "B", "B", "", "FBS", "FBS", "FBS", "FB", "FB", "FB",              // ..h2_settings
    "FB", "FB", "FB", "FB", "FB", "FB", "FB", "FB", "FB", "FB",            // h2..
    "FB", "FB", "FB", "FB", "FB", "FB", "FB", "FB"};                       // ..h1_spliced_out
static_assert(sizeof(k_filled) / sizeof(k_filled[0]) == k_ncols);

// Column index by name, through a table built once: every row::set() looks one up, and a
// large instance renders thousands of rows per "show stat" or scrape.
int col(const char* name)
{
    static const std::unordered_map<std::string_view, int> idx = [] {
        std::unordered_map<std::string_view, int> m;
        for (size_t i = 0; i < k_ncols; i++)
            m.emplace(k_cols[i], (int)i);
        return m;
    }();
    auto it = idx.find(name);
    return it == idx.end() ? -1 : it->second;
}

struct row {
    std::vector<std::string> v;
    row(char type, bool http) : v(k_ncols)
    {
        char lo = (char)(type - 'A' + 'a');
        for (size_t i = 0; i < k_ncols; i++) {
            const char* f = k_filled[i];
            if (std::strchr(f, type) || (http && std::strchr(f, lo)))
                v[i] = "0";
        }
        v[col("-")] = "-";
    }
    void set(const char* name, const std::string& s) { v[col(name)] = s; }
    void set(const char* name, uint64_t n) { v[col(name)] = std::to_string(n); }
    std::string csv() const
    {
        std::string out;
        for (auto& s : v) {
            if (s.find_first_of(",\"\r\n") == std::string::npos) {
                out += s;
            } else { // HAProxy's CSV encoding: quoted, quotes doubled
                out += '"';
                for (char c : s) {
                    if (c == '"')
                        out += '"';
                    out += c;
                }
                out += '"';
            }
            out += ',';
        }
        out += '\n';
        return out;
    }
};

// The HTTP response counters shared by frontend, backend and server rows (shm_proxy or
// shm_server).
template <typename T> void set_http_counters(row& r, const T& c)
{
    r.set("hrsp_1xx", c.hrsp_1xx.load());
    r.set("hrsp_2xx", c.hrsp_2xx.load());
    r.set("hrsp_3xx", c.hrsp_3xx.load());
    r.set("hrsp_4xx", c.hrsp_4xx.load());
    r.set("hrsp_5xx", c.hrsp_5xx.load());
    r.set("hrsp_other", c.hrsp_other.load());
    r.set("req_tot", c.req_tot.load());
}

// qtime/ctime/rtime/ttime (average of the last 1024 transactions) and their maxima, in ms,
// from the latency histograms' cells (shm/hist).
void set_times(row& r, uint32_t hobj)
{
    static const char* const avg[] = {"qtime", "ctime", "rtime", "ttime"};
    static const char* const max[] = {"qtime_max", "ctime_max", "rtime_max", "ttime_max"};
    for (uint32_t t = 0; t < HT_COUNT; t++) {
        hist_read h;
        if (!hist_get(hobj, (hist_timer)t, h))
            return;
        r.set(avg[t], (uint64_t)(h.avg_ms + 0.5));
        r.set(max[t], h.max_ms);
    }
}

// Address of a server slot, read under its backend's lock.
void slot_addr(const proxy& be, const server& s, sockaddr_storage& out)
{
    out = s.addr;
    if (!s.shared || !be.shared)
        return;
    be.shared->cfg_lock.lock();
    if (s.shared->addrlen)
        out = s.shared->addr;
    be.shared->cfg_lock.unlock();
}

uint32_t now_s() { return (uint32_t)time(nullptr); }

bool srv_maint(const shm_server* sh)
{
    return sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_MAINT;
}

bool srv_usable(const shm_server* sh)
{
    return sh->admin.load(std::memory_order_relaxed) == SRV_ADMIN_READY && srv_op_up(sh);
}

bool srv_backup(const server& s)
{
    return s.backup || (s.shared && (s.shared->rt_flags.load() & SRV_RT_BACKUP));
}

// Frontend maxconn as HAProxy shows it (slim): its own, else the global one.
uint32_t global_maxconn()
{
    if (g_config && g_config->global.maxconn)
        return g_config->global.maxconn;
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        return (uint32_t)(rl.rlim_cur > 100 ? (rl.rlim_cur - 20) / 2 : rl.rlim_cur);
    return 0;
}

// Backend "fullconn" default: 10% of the maxconn of the frontends using it, at least 1.
uint32_t be_fullconn(const proxy& be)
{
    uint64_t sum = 0;
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        bool uses = p.get() == &be || p->default_backend == &be;
        for (auto& r : p->use_backend)
            uses |= r.target == &be;
        if (uses)
            sum += p->maxconn ? p->maxconn : global_maxconn();
    }
    uint64_t f = (sum + 9) / 10;
    return f ? (uint32_t)f : 1;
}

std::string algo_name(const proxy& be) { return lb_algo_name(be.lbconf.algo); }

// The "status" column and the check columns of a server row, as HAProxy 2.6 fills them
// from the check state the modules published (host->server_set_check).
void set_server_checks(row& r, const shm_server& sh)
{
    shm_check hc{}, ac{};
    bool h_en = srv_get_check(&sh, PTC_CHECK_HEALTH, hc) && (hc.state & PTC_CHKST_ENABLED);
    bool a_en = srv_get_check(&sh, PTC_CHECK_AGENT, ac) && (ac.state & PTC_CHKST_ENABLED);
    uint32_t admin = sh.admin.load();
    uint32_t op = sh.up.load();
    const uint32_t full = hc.rise + hc.fall - 1;
    const char* fmt = "DOWN";
    bool counts = false;
    if (op == SRV_OP_UP) {
        bool going_down = h_en && hc.health < full;
        fmt = going_down ? "UP %d/%d" : "UP";
        counts = going_down;
        if (admin == SRV_ADMIN_DRAIN) {
            fmt = a_en ? "DRAIN (agent)" : going_down ? "DRAIN %d/%d" : "DRAIN";
            counts = !a_en && going_down;
        }
        // without a published check: "no check", or "UP" once a module (1.3) set the state
        // (a module that published a check, even disabled or an agent only: "no check")
        if (!counts && !std::strcmp(fmt, "UP") && !h_en &&
            (!sh.op_managed.load() || sh.no_check.load() ||
             ((hc.state | ac.state) & PTC_CHKST_CONFIGURED)))
            fmt = "no check";
    } else if (op == SRV_OP_STOPPING) {
        counts = h_en && hc.health != full;
        fmt = counts ? "NOLB %d/%d" : "NOLB";
    } else if (a_en && !ac.health) {
        fmt = "DOWN (agent)";
    } else if (h_en && !hc.health) {
        fmt = "DOWN";
    } else if (a_en || h_en) {
        fmt = "DOWN %d/%d";
        counts = true;
    }
    char st[64];
    if (admin == SRV_ADMIN_MAINT)
        snprintf(st, sizeof(st), "MAINT");
    else if (!counts)
        snprintf(st, sizeof(st), "%s", fmt);
    else if (op != SRV_OP_DOWN)
        snprintf(st, sizeof(st), "%s %d/%d", fmt[0] == 'U' ? "UP" : fmt[0] == 'N' ? "NOLB" : "DRAIN",
                 (int)hc.health - (int)hc.rise + 1, (int)hc.fall);
    else
        snprintf(st, sizeof(st), "DOWN %d/%d", (int)hc.health, (int)hc.rise);
    r.set("status", std::string(st));
    if (h_en) {
        r.set("chkfail", hc.failed);
        r.set("hanafail", hc.hanafail);
        r.set("chkdown", sh.down_trans.load());
        r.set("downtime", (uint64_t)srv_downtime(&sh));
    }
    // HCHK_STATUS_CHECKED (3) and HCHK_STATUS_L57DATA (14): a probe ended / layer 7 data
    auto fill = [&r](const shm_check& c, const char* pfx, const char* last) {
        std::string p = pfx;
        r.set((p + "_status").c_str(),
              std::string(c.state & PTC_CHKST_INPROGRESS ? "* " : "") + c.status);
        if (c.status_num >= 14)
            r.set((p + "_code").c_str(), (uint64_t)(uint32_t)c.code);
        if (c.status_num >= 3 || p == "agent")
            r.set((p + "_duration").c_str(), (uint64_t)std::max(c.duration, 0));
        r.set((p + "_desc").c_str(), std::string(c.status_desc));
        r.set(last, std::string(c.desc));
        r.set((p + "_rise").c_str(), (uint64_t)c.rise);
        r.set((p + "_fall").c_str(), (uint64_t)c.fall);
        r.set((p + "_health").c_str(), (uint64_t)c.health);
    };
    if (h_en && !(hc.state & PTC_CHKST_PAUSED))
        fill(hc, "check", "last_chk");
    if (a_en && !(ac.state & PTC_CHKST_PAUSED))
        fill(ac, "agent", "last_agt");
}

row server_row(const proxy& be, const server& s, bool http)
{
    row r('S', http);
    const shm_server* sh = s.shared;
    r.set("pxname", be.name);
    r.set("svname", s.name);
    uint32_t mc = sh->maxconn.load();
    if (mc)
        r.set("slim", mc);
    if (uint32_t mq = sh->maxqueue.load())
        r.set("qlimit", mq);
    if (s.pool_max_conn >= 0)
        r.set("src_ilim", (uint32_t)s.pool_max_conn);
    r.set("qcur", sh->queue.cur.load());
    r.set("qmax", sh->queue.max.load());
    r.set("scur", sh->cur_conns.load());
    r.set("smax", std::max(sh->max_conns.load(), sh->cur_conns.load()));
    r.set("stot", sh->cum_conns.load());
    r.set("bin", sh->bytes_in.load());
    r.set("bout", sh->bytes_out.load());
    r.set("econ", sh->connect_errors.load());
    r.set("wretr", sh->retries.load());
    r.set("wredis", sh->redispatches.load());
    set_server_checks(r, *sh);
    r.set("weight", srv_eweight(sh));
    r.set("uweight", sh->weight.load());
    bool bck = srv_backup(s);
    r.set("act", bck ? 0u : 1u);
    r.set("bck", bck ? 1u : 0u);
    r.set("lastchg", (uint64_t)(now_s() - std::min(now_s(), sh->last_change)));
    r.set("pid", 1u);
    r.set("iid", be.index + 2);
    r.set("sid", s.id);
    r.set("lbtot", sh->cum_conns.load());
    r.set("type", 2u);
    // streams given to the server per second over the last second, and the peak
    r.set("rate", shm_rate_read(const_cast<shm_server*>(sh)->sess_rate, event::monotonic_ms()));
    r.set("rate_max", sh->sess_rate.max.load());
    if (http) {
        set_http_counters(r, *sh);
    }
    r.set("lastsess", "-1");
    sockaddr_storage a;
    slot_addr(be, s, a);
    if (a.ss_family == AF_UNIX) {
        r.set("addr", "unix"); // as HAProxy's
    } else {
        std::string ip = addr_ip(a);
        if (a.ss_family == AF_INET6)
            ip = "[" + ip + "]";
        r.set("addr", ip + ":" + std::to_string(addr_port(a)));
    }
    r.set("mode", mode_name(be.mode));
    r.set("connect", sh->cum_conns.load());
    set_times(r, hist_obj_srv(s.index));
    return r;
}

std::vector<row> proxy_rows(const proxy& p, int types, int sid, bool no_maint, bool up_only)
{
    std::vector<row> out;
    bool http = p.mode == px_mode::http;
    if ((p.cap & CAP_FE) && (types & 1)) {
        row r('F', http);
        const shm_proxy* sp = p.shared;
        r.set("pxname", p.name);
        r.set("svname", "FRONTEND");
        uint32_t cur = sp ? sp->cur_conns.load() : 0;
        r.set("scur", cur);
        r.set("smax", cur);
        uint32_t fmax = sp ? sp->fe_maxconn.load() : p.maxconn;
        r.set("slim", fmax ? fmax : global_maxconn());
        uint64_t cum = sp ? sp->cum_conns.load() : 0;
        r.set("stot", cum);
        r.set("dreq", sp ? sp->denied.load() : 0);
        r.set("ereq", sp ? sp->conn_errors.load() : 0); // refused handshakes (PROXY header...)
        uint32_t st = sp ? sp->fe_state.load() : FE_ST_OPEN;
        r.set("status", st == FE_ST_OPEN ? "OPEN" : st == FE_ST_PAUSED ? "PAUSED" : "STOP");
        r.set("pid", 1u);
        r.set("iid", p.index + 2);
        r.set("sid", 0u);
        r.set("type", 0u);
        if (sp && http)
            set_http_counters(r, *sp);
        else if (sp)
            r.set("req_tot", cum);
        r.set("mode", mode_name(p.mode));
        r.set("conn_tot", cum);
        if (sp) {
            // the session rate, its limit ("rate-limit sessions") and its peak
            shm_proxy* w = const_cast<shm_proxy*>(sp);
            r.set("rate", shm_rate_read(w->fe_rate, event::monotonic_ms()));
            r.set("rate_lim", sp->fe_rate_lim.load());
            r.set("rate_max", sp->fe_rate.max.load());
        }
        out.push_back(r);
    }
    if (!(p.cap & CAP_BE))
        return out;
    uint64_t bin = 0, bout = 0, econ = 0, lbtot = 0, connect = 0;
    uint32_t act = 0, bck = 0, wact = 0, wbck = 0;
    for (auto& up : p.servers) {
        const server& s = *up;
        const shm_server* sh = s.shared;
        if (!sh)
            continue;
        bin += sh->bytes_in.load();
        bout += sh->bytes_out.load();
        econ += sh->connect_errors.load();
        lbtot += sh->cum_conns.load();
        connect += sh->cum_conns.load();
        if (srv_usable(sh)) {
            if (srv_backup(s)) {
                bck++;
                wbck += sh->weight.load();
            } else {
                act++;
                wact += sh->weight.load();
            }
        }
        if (!(types & 4) || (sid >= 0 && (uint32_t)sid != s.id))
            continue;
        if (no_maint && srv_maint(sh))
            continue;
        if (up_only && !srv_usable(sh))
            continue;
        out.push_back(server_row(p, s, http));
    }
    if (types & 2) {
        row r('B', http);
        const shm_proxy* sp = p.shared;
        r.set("pxname", p.name);
        r.set("svname", "BACKEND");
        if (sp) {
            r.set("qcur", sp->queue.cur.load());
            r.set("qmax", sp->queue.max.load());
            r.set("scur", sp->be_conns.load());
            r.set("smax", std::max(sp->be_max_conns.load(), sp->be_conns.load()));
            r.set("stot", sp->be_cum_conns.load());
            r.set("wretr", sp->retries.load());
            r.set("wredis", sp->redispatches.load());
            // streams the backend was chosen for per second (be_sess_rate), and the peak
            r.set("rate", shm_rate_read(const_cast<shm_proxy*>(sp)->be_rate,
                                        event::monotonic_ms()));
            r.set("rate_max", sp->be_rate.max.load());
            if (http) {
                set_http_counters(r, *sp);
            }
        }
        r.set("slim", be_fullconn(p));
        r.set("bin", bin);
        r.set("bout", bout);
        r.set("econ", econ);
        r.set("status", act + bck ? "UP" : "DOWN");
        uint32_t w = act ? wact : wbck;
        r.set("weight", w);
        r.set("uweight", w);
        r.set("act", act);
        r.set("bck", bck);
        r.set("lastchg", (uint64_t)(now_s() - std::min<uint64_t>(now_s(), g_start_time)));
        r.set("pid", 1u);
        r.set("iid", p.index + 2);
        r.set("sid", 0u);
        r.set("lbtot", lbtot);
        r.set("type", 1u);
        r.set("lastsess", "-1");
        r.set("mode", mode_name(p.mode));
        r.set("algo", algo_name(p));
        r.set("connect", connect);
        set_times(r, hist_obj_be(p.index));
        out.push_back(r);
    }
    return out;
}

bool parse_int(const std::string& s, long& out)
{
    int64_t v;
    if (!cfg::parse_int(s, LONG_MIN, LONG_MAX, v))
        return false;
    out = (long)v;
    return true;
}

} // namespace

void cli_set_workers(uint32_t n) { g_workers = n; }

size_t cli_stat_columns() { return k_ncols; }

std::string cli_stat_header()
{
    std::string h = "# ";
    for (const char* c : k_cols) {
        h += c;
        h += ',';
    }
    h += '\n';
    return h;
}

namespace {

// The typed tags and value type of each "show stat" field (the "-" column excluded),
// as HAProxy 2.6 reports them: origin, nature, scope letters for a frontend, a backend
// and a server, then the type.
const char* const k_stat_meta[] = {
    "KNSKNSKNSstr", "KNSKNSKNSstr", "MGPMGPMGPu32", "MMPMMPMMPu32", "MGPMGPMGPu32", "MMPMMPMMPu32", "CLPCLPCLPu32", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "SGPSGPSGPstr", "MaPMaPMaPu32", "SGPMGPSGPu32", "SGPMGPSGPu32", "MCPMCPMCPu64", "MCPMCPMCPu64", "MAPMAPMAPu32",
    "MCPMCPMCPu32", "CGSCGSCGSu32", "KGPKGPKGPu32", "KGSKGSKGSu32", "KGSKGSKGSu32", "MaPMaPMaPu32", "MCPMCPMCPu64", "CNSCNSCNSstr",
    "CGSCGSCGSu32", "MRPMGPMRPu32", "CLPCLPCLPu32", "MMPMGPMMPu32", "MOPMOPMOPstr", "MOPMOPMOPu32", "MDPMDPMDPu64", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MRPMRPMRPu32", "MMPMMPMMPu32",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MAPMAPMAPs32",
    "MOPMOPMOPstr", "MOPMOPMOPstr", "MaPMaPMaPu32", "MaPMaPMaPu32", "MaPMaPMaPu32", "MaPMaPMaPu32", "MOPMOPMOPstr", "MOPMOPMOPu32",
    "MDPMDPMDPu64", "MOPMOPMOPstr", "MOPMOPMOPstr", "CGSCGSCGSu32", "CGSCGSCGSu32", "CGSCGSCGSu32", "CGSCGSCGSu32", "CGSCGSCGSu32",
    "CGSCGSCGSu32", "CGSCGSCGSstr", "CNSCNSCNSstr", "CGSCGSCGSstr", "CGSCGSCGSstr", "MRPMRPMRPu32", "MMPMMPMMPu32", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64",
    "MGPMGPMGPu32", "CLPCLPCLPu32", "MMPMMPMMPu32", "MMPMMPMMPu32", "MMPMMPMMPu32", "MMPMMPMMPu32", "MCPMCPMCPu64", "MGPMGPMGPu32",
    "MGPMGPMGPu32", "MGPMGPMGPu32", "MGPMGPMGPu32", "MaPMaPMaPu32", "MGPMGPMGPu32", "MGPMGPMGPu32", "MGPMGPMGPu32", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64",
    "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MGPMGPMGPu64", "MGPMGPMGPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MGPMGPMGPu64",
    "MGPMGPMGPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64", "MCPMCPMCPu64",
};
static_assert(sizeof(k_stat_meta) / sizeof(k_stat_meta[0]) == k_ncols - 1);

// "show info" fields: position, name, tags and type (HAProxy 2.6's numbering: the
// positions of the fields it omits in this build, ZlibMemUsage, MaxZlibMemUsage and
// description, are skipped).
struct info_meta {
    int pos;
    const char* name;
    const char* tt;
};
const info_meta k_info_meta[] = {
    {0, "Name", "POSstr"},
    {1, "Version", "POSstr"},
    {2, "Release_date", "POSstr"},
    {3, "Nbthread", "CGSu32"},
    {4, "Nbproc", "CGSu32"},
    {5, "Process_num", "KGPu32"},
    {6, "Pid", "SGPu32"},
    {7, "Uptime", "MDPstr"},
    {8, "Uptime_sec", "MDPu32"},
    {9, "Memmax_MB", "CLPu32"},
    {10, "PoolAlloc_MB", "MGPu32"},
    {11, "PoolUsed_MB", "MGPu32"},
    {12, "PoolFailed", "MCPu32"},
    {13, "Ulimit-n", "CLPu32"},
    {14, "Maxsock", "CLPu32"},
    {15, "Maxconn", "CLPu32"},
    {16, "Hard_maxconn", "CLPu32"},
    {17, "CurrConns", "MGPu32"},
    {18, "CumConns", "MCPu32"},
    {19, "CumReq", "MCPu32"},
    {20, "MaxSslConns", "MMPu32"},
    {21, "CurrSslConns", "MGPu32"},
    {22, "CumSslConns", "MCPu32"},
    {23, "Maxpipes", "CLPu32"},
    {24, "PipesUsed", "MGPu32"},
    {25, "PipesFree", "MGPu32"},
    {26, "ConnRate", "MRPu32"},
    {27, "ConnRateLimit", "CLPu32"},
    {28, "MaxConnRate", "MMPu32"},
    {29, "SessRate", "MRPu32"},
    {30, "SessRateLimit", "CLPu32"},
    {31, "MaxSessRate", "MRPu32"},
    {32, "SslRate", "MRPu32"},
    {33, "SslRateLimit", "CLPu32"},
    {34, "MaxSslRate", "MMPu32"},
    {35, "SslFrontendKeyRate", "MGPu32"},
    {36, "SslFrontendMaxKeyRate", "MMPu32"},
    {37, "SslFrontendSessionReuse_pct", "MGPu32"},
    {38, "SslBackendKeyRate", "MRPu32"},
    {39, "SslBackendMaxKeyRate", "MMPu32"},
    {40, "SslCacheLookups", "MCPu32"},
    {41, "SslCacheMisses", "MCPu32"},
    {42, "CompressBpsIn", "MRPu32"},
    {43, "CompressBpsOut", "MRPu32"},
    {44, "CompressBpsRateLim", "CLPu32"},
    {47, "Tasks", "MGPu32"},
    {48, "Run_queue", "MGPu32"},
    {49, "Idle_pct", "MaPu32"},
    {50, "node", "COSstr"},
    {52, "Stopping", "MGPu32"},
    {53, "Jobs", "MGPu32"},
    {54, "Unstoppable Jobs", "MGPu32"},
    {55, "Listeners", "MGPu32"},
    {56, "ActivePeers", "MGPu32"},
    {57, "ConnectedPeers", "MGPu32"},
    {58, "DroppedLogs", "MGPu32"},
    {59, "BusyPolling", "MGPu32"},
    {60, "FailedResolutions", "MGPu32"},
    {61, "TotalBytesOut", "MGPu64"},
    {62, "TotalSplicdedBytesOut", "MGPu64"},
    {63, "BytesOutRate", "MRPu64"},
    {64, "DebugCommandsIssued", "MGPu32"},
    {65, "CumRecvLogs", "MCPu32"},
    {66, "Build info", "POSstr"},
    {67, "Memmax_bytes", "CLPu32"},
    {68, "PoolAlloc_bytes", "MGPu64"},
    {69, "PoolUsed_bytes", "MGPu64"},
    {70, "Start_time_sec", "MDPu32"},
    {71, "Tainted", "SGPstr"},
};

const char* tag_origin(char c)
{
    switch (c) {
    case 'M': return "Metric";
    case 'S': return "Status";
    case 'K': return "Key";
    case 'C': return "Config";
    case 'P': return "Product";
    default: return "Unknown";
    }
}

const char* tag_nature(char c)
{
    switch (c) {
    case 'A': return "Age";
    case 'a': return "Avg";
    case 'C': return "Counter";
    case 'D': return "Duration";
    case 'G': return "Gauge";
    case 'L': return "Limit";
    case 'M': return "Max";
    case 'm': return "Min";
    case 'N': return "Name";
    case 'O': return "Output";
    case 'R': return "Rate";
    default: return "Unknown";
    }
}

const char* tag_scope(char c)
{
    switch (c) {
    case 'P': return "Process";
    case 'S': return "Service";
    case 's': return "System";
    case 'C': return "Cluster";
    default: return "Unknown";
    }
}

std::string json_str(const std::string& v)
{
    std::string o = "\"";
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += (char)c;
        } else if (c < 0x20) {
            char b[8];
            snprintf(b, sizeof(b), "\\u%04x", c);
            o += b;
        } else {
            o += (char)c;
        }
    }
    return o + "\"";
}

// One typed field, rendered in the typed and JSON formats. <tags>: 3 letters.
struct typed_field {
    int pos;
    const char* name;
    const char* tags;
    std::string type;
    std::string value;
};

std::string json_tags_value(const typed_field& f)
{
    std::string o = "\"processNum\":1,\"tags\":{\"origin\":\"";
    o += tag_origin(f.tags[0]);
    o += "\",\"nature\":\"";
    o += tag_nature(f.tags[1]);
    o += "\",\"scope\":\"";
    o += tag_scope(f.tags[2]);
    o += "\"},\"value\":{\"type\":\"" + f.type + "\",\"value\":";
    o += f.type == "str" ? json_str(f.value) : f.value;
    return o + "}}";
}

struct stat_req {
    long iid = -1, types = -1, sid = -1;
    std::string pxname;
    bool no_maint = false, up_only = false;
    std::string fmt; // "", "typed", "json"
    bool desc = false; // "desc": HAProxy's field descriptions after typed values
};

// show stat [{<iid>|<proxy>} <type> <sid>] [typed|json|desc|no-maint|up]*
bool parse_stat_args(const std::vector<std::string>& args, size_t i, stat_req& q,
                     std::string& err)
{
    auto is_opt = [](const std::string& w) {
        return w == "no-maint" || w == "up" || w == "typed" || w == "json" || w == "desc";
    };
    if (args.size() >= i + 3 && !is_opt(args[i])) {
        if (!parse_int(args[i], q.iid))
            q.pxname = args[i];
        if (!parse_int(args[i + 1], q.types) || !parse_int(args[i + 2], q.sid)) {
            err = "Invalid arguments.\n";
            return false;
        }
        i += 3;
    }
    for (; i < args.size(); i++) {
        if (args[i] == "no-maint")
            q.no_maint = true;
        else if (args[i] == "up")
            q.up_only = true;
        else if (args[i] == "typed" || args[i] == "json")
            q.fmt = args[i];
        else if (args[i] == "desc")
            q.desc = true;
    }
    if (q.types < 0)
        q.types = 7;
    return true;
}

std::vector<row> stat_rows(const stat_req& q)
{
    std::vector<row> out;
    for (auto& p : g_config->proxies) {
        if (!q.pxname.empty() && p->name != q.pxname)
            continue;
        if (q.pxname.empty() && q.iid >= 0 && (long)p->index + 2 != q.iid)
            continue;
        for (auto& r : proxy_rows(*p, (int)q.types, (int)q.sid, q.no_maint, q.up_only))
            out.push_back(std::move(r));
    }
    return out;
}

// The typed fields of a row: the non-empty columns, "-" excluded.
std::vector<typed_field> row_fields(const row& r, char& objtype, std::string& iid,
                                    std::string& sid)
{
    const std::string& t = r.v[col("type")];
    int k = t == "0" ? 0 : t == "1" ? 1 : 2;
    objtype = "FBS"[k];
    iid = r.v[col("iid")];
    sid = r.v[col("sid")];
    std::vector<typed_field> out;
    int pos = 0;
    for (size_t i = 0; i < k_ncols; i++) {
        if (!std::strcmp(k_cols[i], "-"))
            continue;
        const char* m = k_stat_meta[pos];
        if (!r.v[i].empty())
            out.push_back({pos, k_cols[i], m + 3 * k, std::string(m + 9), r.v[i]});
        pos++;
    }
    return out;
}

std::string stat_typed(const std::vector<row>& rows, bool desc)
{
    std::string out;
    for (auto& r : rows) {
        char ot;
        std::string iid, sid;
        for (auto& f : row_fields(r, ot, iid, sid)) {
            out += ot;
            out += "." + iid + "." + sid + "." + std::to_string(f.pos) + "." + f.name + ".1:";
            out.append(f.tags, 3);
            out += ":" + f.type + ":" + f.value;
            if (const char* d = desc ? cli_stat_desc(f.name) : nullptr)
                out += ":\"" + std::string(d) + "\"";
            out += "\n";
        }
    }
    return out;
}

std::string stat_json(const std::vector<row>& rows)
{
    std::string out = "[";
    bool first_row = true;
    for (auto& r : rows) {
        char ot;
        std::string iid, sid;
        auto fields = row_fields(r, ot, iid, sid);
        const char* tname = ot == 'F' ? "Frontend" : ot == 'B' ? "Backend" : "Server";
        out += first_row ? "[" : ",[";
        first_row = false;
        bool first = true;
        for (auto& f : fields) {
            out += first ? "{" : ",{";
            first = false;
            out += std::string("\"objType\":\"") + tname + "\",\"proxyId\":" + iid +
                   ",\"id\":" + sid + ",\"field\":{\"pos\":" + std::to_string(f.pos) +
                   ",\"name\":\"" + f.name + "\"},";
            out += json_tags_value(f);
        }
        out += "]";
    }
    return out + "]\n";
}

} // namespace

std::string cli_show_stat(const std::vector<std::string>& args, std::string& err)
{
    stat_req q;
    if (!parse_stat_args(args, 2, q, err))
        return {};
    auto rows = stat_rows(q);
    if (q.fmt == "typed")
        return stat_typed(rows, q.desc);
    if (q.fmt == "json")
        return stat_json(rows);
    std::string out = cli_stat_header();
    for (auto& r : rows)
        out += r.csv();
    return out;
}

std::string cli_stat_json(const std::vector<std::string>& filters)
{
    stat_req q;
    std::string err;
    if (!parse_stat_args(filters, 0, q, err))
        return "[]\n";
    return stat_json(stat_rows(q));
}

uint32_t cli_global_maxconn()
{
    shm_header* h = shm_get();
    uint32_t v = h ? h->rt_maxconn.load() : 0;
    return v ? v : global_maxconn();
}

uint32_t cli_hard_maxconn() { return global_maxconn(); }

namespace {

struct info_prov {
    ptc_modref* self;
    int (*fn)(ptc_modref*, const char*, uint64_t*);
};
std::vector<info_prov> g_info_provs;

} // namespace

int host_info_provider(ptc_modref* self, int (*fn)(ptc_modref*, const char*, uint64_t*))
{
    if (!fn)
        return PTC_ERROR;
    g_info_provs.push_back({self, fn});
    return PTC_OK;
}

namespace {

std::vector<typed_field> info_fields(long pid)
{
    shm_header* h = shm_get();
    uint64_t up = (uint64_t)(time(nullptr) - g_start_time);
    char uptime[64];
    snprintf(uptime, sizeof(uptime), "%llud %lluh%02llum%02llus", (unsigned long long)(up / 86400),
             (unsigned long long)(up % 86400 / 3600), (unsigned long long)(up % 3600 / 60),
             (unsigned long long)(up % 60));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    uint64_t nofile = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
    uint64_t cum_req = 0;
    uint32_t listeners = (uint32_t)g_cli.sockets.size();
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        if (!p->shared || p->shared->fe_state.load() != FE_ST_STOPPED)
            listeners += (uint32_t)p->binds.size();
        if (p->shared)
            cum_req += p->mode == px_mode::http ? p->shared->req_tot.load() : p->shared->cum_conns.load();
    }
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    uint32_t cur = h ? h->cur_conns.load() : 0;
    std::string version = std::string(k_haproxy_compat_version) + "-portico-" + k_portico_version;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mono = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    auto n = [](uint64_t v) { return std::to_string(v); };
    std::vector<std::pair<const char*, std::string>> vals = {
        {"Name", "portico"},
        {"Version", version},
        {"Release_date", "2026/11/22"},
        {"Nbthread", n(g_workers)},
        {"Nbproc", "1"},
        {"Process_num", "1"},
        {"Pid", n((uint64_t)(pid > 0 ? pid : g_diag.pid))},
        {"Uptime", uptime},
        {"Uptime_sec", n(up)},
        {"Ulimit-n", n(nofile)},
        {"Maxsock", n(nofile)},
        {"Maxconn", n(cli_global_maxconn())},
        {"Hard_maxconn", n(cli_hard_maxconn())},
        {"CurrConns", n(cur)},
        {"CumConns", n(h ? h->cum_conns.load() : 0)},
        {"CumReq", n(cum_req)},
        {"ConnRate", n(h ? shm_conn_rate(h, mono) : 0)},
        {"ConnRateLimit", n(h ? h->conn_rate_lim.load() : 0)},
        {"MaxConnRate", n(h ? h->cr_max.load() : 0)},
        {"Idle_pct", "100"},
        {"node", g_config->global.node.empty() ? std::string(host) : g_config->global.node},
        {"Jobs", n(cur + listeners)},
        {"Listeners", n(listeners)},
        {"Build info", version},
        {"Start_time_sec", n((uint64_t)g_start_time)},
    };
    std::vector<typed_field> out;
    for (auto& m : k_info_meta) {
        std::string v;
        for (auto& kv : vals)
            if (!std::strcmp(kv.first, m.name))
                v = kv.second;
        for (size_t i = 0; v.empty() && i < g_info_provs.size(); i++) {
            uint64_t x = 0;
            if (g_info_provs[i].fn(g_info_provs[i].self, m.name, &x) == 1)
                v = n(x);
        }
        if (v.empty())
            v = "0";
        out.push_back({m.pos, m.name, m.tt, std::string(m.tt + 3), v});
    }
    return out;
}

} // namespace

std::string cli_show_info(const std::string& fmt, bool desc, long pid)
{
    std::string out;
    auto fields = info_fields(pid);
    if (fmt == "json") {
        out = "[";
        bool first = true;
        for (auto& f : fields) {
            out += first ? "{" : ",{";
            first = false;
            out += "\"field\":{\"pos\":" + std::to_string(f.pos) + ",\"name\":\"" + f.name +
                   "\"}," + json_tags_value(f);
        }
        return out + "]\n";
    }
    for (auto& f : fields) {
        if (fmt == "typed") {
            out += std::to_string(f.pos) + "." + f.name + ".1:";
            out.append(f.tags, 3);
            out += ":" + f.type + ":" + f.value;
        } else {
            out += std::string(f.name) + ": " + f.value;
        }
        if (const char* d = desc ? cli_info_desc(f.name) : nullptr)
            out += ":\"" + std::string(d) + "\"";
        out += "\n";
    }
    return out;
}

std::string cli_show_servers_state(const std::string& backend, bool& found)
{
    found = backend.empty();
    std::string out = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state "
                      "srv_admin_state srv_uweight srv_iweight srv_time_since_last_change "
                      "srv_check_status srv_check_result srv_check_health srv_check_state "
                      "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port "
                      "srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
                      "srv_agent_port\n";
    for (auto& p : g_config->proxies) {
        if (!(p->cap & CAP_BE))
            continue;
        if (!backend.empty()) {
            if (p->name != backend)
                continue;
            found = true;
        }
        for (auto& up : p->servers) {
            const server& s = *up;
            const shm_server* sh = s.shared;
            if (!sh)
                continue;
            uint32_t fl = sh->rt_flags.load();
            uint32_t adm = (fl & SRV_RT_FMAINT ? 1 : 0) | (fl & SRV_RT_CMAINT ? 4 : 0) |
                           (fl & SRV_RT_FDRAIN ? 8 : 0);
            uint32_t opst = sh->up.load();
            int running = srv_maint(sh) || opst == SRV_OP_DOWN ? 0 : opst == SRV_OP_STOPPING ? 3 : 2;
            sockaddr_storage a;
            slot_addr(*p, s, a);
            shm_check hc{}, ac{};
            bool has_h = srv_get_check(sh, PTC_CHECK_HEALTH, hc);
            bool has_a = srv_get_check(sh, PTC_CHECK_AGENT, ac);
            // a health check is paused while the server is in maintenance (as HAProxy's
            // CHK_ST_PAUSED): from the server's state now, not the one of the last probe
            if (has_h && srv_maint(sh) && (hc.state & PTC_CHKST_ENABLED))
                hc.state |= PTC_CHKST_PAUSED;
            else if (has_h && !srv_maint(sh))
                hc.state &= ~PTC_CHKST_PAUSED;
            // no address: a UNIX socket, or "init-addr none" and none set since (HAProxy's
            // "-", which "init-addr last" then skips)
            bool no_ip = a.ss_family == AF_UNIX ||
                         (s.no_addr && a.ss_family == AF_INET &&
                          reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr == htonl(INADDR_ANY));
            // srv_fqdn: the host name the configuration gives the server
            bool fqdn = !s.hostname.empty() && s.hostname.size() < 256 &&
                        s.hostname.find_first_of(" \t\n") == std::string::npos;
            char line[1024];
            snprintf(line, sizeof(line),
                     "%u %s %u %s %s %d %u %u %u %u %u %u %u %u %u 0 %d %s %u - 0 %u %s %s %u\n",
                     p->index + 2, p->name.c_str(), s.id, s.name.c_str(),
                     no_ip ? "-" : addr_ip(a).c_str(),
                     running, adm, sh->weight.load(), sh->iweight,
                     now_s() - std::min(now_s(), sh->last_change), has_h ? hc.status_num : 1,
                     has_h ? hc.result : 0, has_h ? hc.health : sh->check_health.load(),
                     has_h ? hc.state : (fl & SRV_RT_CMAINT ? 8 : 0), has_a ? ac.state : 0,
                     fl & SRV_RT_FORCED_ID ? 1 : 0, fqdn ? s.hostname.c_str() : "-",
                     addr_port(a), has_h ? hc.port : 0,
                     has_h && hc.addr[0] ? hc.addr : "-", has_a && ac.addr[0] ? ac.addr : "-",
                     has_a ? ac.port : 0);
            out += line;
        }
    }
    return out;
}

} // namespace portico
