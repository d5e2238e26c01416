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

#include "cfg/units.hpp"
#include "lb/lb_conf.hpp"
#include "cli/cli.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "proxy/srv_state.hpp"
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

int col(const char* name)
{
    for (size_t i = 0; i < k_ncols; i++)
        if (std::strcmp(k_cols[i], name) == 0)
            return (int)i;
    return -1;
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
            (!sh.op_managed.load() || ((hc.state | ac.state) & PTC_CHKST_CONFIGURED)))
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
    if (http) {
        set_http_counters(r, *sh);
    }
    r.set("lastsess", "-1");
    sockaddr_storage a;
    slot_addr(be, s, a);
    std::string ip = addr_ip(a);
    if (a.ss_family == AF_INET6)
        ip = "[" + ip + "]";
    r.set("addr", ip + ":" + std::to_string(addr_port(a)));
    r.set("mode", mode_name(be.mode));
    r.set("connect", sh->cum_conns.load());
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
        r.set("slim", p.maxconn ? p.maxconn : global_maxconn());
        uint64_t cum = sp ? sp->cum_conns.load() : 0;
        r.set("stot", cum);
        r.set("dreq", sp ? sp->denied.load() : 0);
        r.set("ereq", sp ? sp->conn_errors.load() : 0); // refused handshakes (PROXY header...)
        r.set("status", "OPEN");
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

// show stat [{<iid>|<proxy>} <type> <sid>] [no-maint|up]*
std::string cli_show_stat(const std::vector<std::string>& args, std::string& err)
{
    size_t i = 2;
    long iid = -1, types = -1, sid = -1;
    std::string pxname;
    bool no_maint = false, up_only = false;
    if (args.size() >= i + 3 && args[i] != "no-maint" && args[i] != "up" &&
        args[i] != "typed" && args[i] != "json" && args[i] != "desc") {
        if (!parse_int(args[i], iid))
            pxname = args[i];
        if (!parse_int(args[i + 1], types) || !parse_int(args[i + 2], sid)) {
            err = "Invalid arguments.\n";
            return {};
        }
        i += 3;
    }
    for (; i < args.size(); i++) {
        if (args[i] == "no-maint")
            no_maint = true;
        else if (args[i] == "up")
            up_only = true;
        else if (args[i] == "typed" || args[i] == "json" || args[i] == "desc") {
            err = "'show stat " + args[i] + "' is not supported yet by portico.\n";
            return {};
        }
    }
    if (types < 0)
        types = 7;
    std::string out = cli_stat_header();
    for (auto& p : g_config->proxies) {
        if (!pxname.empty() && p->name != pxname)
            continue;
        if (pxname.empty() && iid >= 0 && (long)p->index + 2 != iid)
            continue;
        for (auto& r : proxy_rows(*p, (int)types, (int)sid, no_maint, up_only))
            out += r.csv();
    }
    return out;
}

std::string cli_show_info()
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
        listeners += (uint32_t)p->binds.size();
        if (p->shared)
            cum_req += p->mode == px_mode::http ? p->shared->req_tot.load() : p->shared->cum_conns.load();
    }
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    uint32_t cur = h ? h->cur_conns.load() : 0;
    std::string version = std::string(k_haproxy_compat_version) + "-portico-" + k_portico_version;
    struct kv {
        const char* k;
        std::string v;
    };
    const uint32_t mc = global_maxconn();
    std::vector<kv> f = {
        {"Name", "portico"},
        {"Version", version},
        {"Release_date", "2026/11/22"},
        {"Nbthread", std::to_string(g_workers)},
        {"Nbproc", "1"},
        {"Process_num", "1"},
        {"Pid", std::to_string(g_diag.pid)},
        {"Uptime", uptime},
        {"Uptime_sec", std::to_string(up)},
        {"Memmax_MB", "0"},
        {"PoolAlloc_MB", "0"},
        {"PoolUsed_MB", "0"},
        {"PoolFailed", "0"},
        {"Ulimit-n", std::to_string(nofile)},
        {"Maxsock", std::to_string(nofile)},
        {"Maxconn", std::to_string(mc)},
        {"Hard_maxconn", std::to_string(mc)},
        {"CurrConns", std::to_string(cur)},
        {"CumConns", std::to_string(h ? h->cum_conns.load() : 0)},
        {"CumReq", std::to_string(cum_req)},
    };
    for (const char* z :
         {"MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree",
          "ConnRate", "ConnRateLimit", "MaxConnRate", "SessRate", "SessRateLimit",
          "MaxSessRate", "SslRate", "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate",
          "SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct", "SslBackendKeyRate",
          "SslBackendMaxKeyRate", "SslCacheLookups", "SslCacheMisses", "CompressBpsIn",
          "CompressBpsOut", "CompressBpsRateLim", "Tasks", "Run_queue"})
        f.push_back({z, "0"});
    f.push_back({"Idle_pct", "100"});
    f.push_back({"node", host});
    f.push_back({"Stopping", "0"});
    f.push_back({"Jobs", std::to_string(cur + listeners)});
    f.push_back({"Unstoppable Jobs", "0"});
    f.push_back({"Listeners", std::to_string(listeners)});
    for (const char* z : {"ActivePeers", "ConnectedPeers", "DroppedLogs", "BusyPolling",
                          "FailedResolutions", "TotalBytesOut", "TotalSplicdedBytesOut",
                          "BytesOutRate", "DebugCommandsIssued", "CumRecvLogs"})
        f.push_back({z, "0"});
    f.push_back({"Build info", version});
    f.push_back({"Memmax_bytes", "0"});
    f.push_back({"PoolAlloc_bytes", "0"});
    f.push_back({"PoolUsed_bytes", "0"});
    f.push_back({"Start_time_sec", std::to_string((uint64_t)g_start_time)});
    f.push_back({"Tainted", "0"});
    std::string out;
    for (auto& e : f)
        out += std::string(e.k) + ": " + e.v + "\n";
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
            char line[768];
            snprintf(line, sizeof(line),
                     "%u %s %u %s %s %d %u %u %u %u %u %u %u %u %u 0 %d - %u - 0 %u %s %s %u\n",
                     p->index + 2, p->name.c_str(), s.id, s.name.c_str(), addr_ip(a).c_str(),
                     running, adm, sh->weight.load(), sh->iweight,
                     now_s() - std::min(now_s(), sh->last_change), has_h ? hc.status_num : 1,
                     has_h ? hc.result : 0, has_h ? hc.health : sh->check_health.load(),
                     has_h ? hc.state : (fl & SRV_RT_CMAINT ? 8 : 0), has_a ? ac.state : 0,
                     fl & SRV_RT_FORCED_ID ? 1 : 0, addr_port(a), has_h ? hc.port : 0,
                     has_h && hc.addr[0] ? hc.addr : "-", has_a && ac.addr[0] ? ac.addr : "-",
                     has_a ? ac.port : 0);
            out += line;
        }
    }
    return out;
}

} // namespace portico
