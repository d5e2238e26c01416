// SPDX-License-Identifier: MIT
// The host function table handed to every module (ptc_host), wired to the core.
#include <unistd.h>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <string>
#include <vector>

#include "cfg/units.hpp"
#include "cli/cli.hpp"
#include "log/log.hpp"
#include "event/clock.hpp"
#include "module/hooks.hpp"
#include "module/module.hpp"
#include "proxy/errorfiles.hpp"
#include "module/services.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "lb/srv_state.hpp"
#include "log/log_host.hpp"
#include "sample/patref.hpp"
#include "sample/sample_host.hpp"
#include "lb/lb.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"
#include "stream/stream_int.hpp"
#include "stream/task.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

namespace {

std::string vfmt(const char* fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    return buf;
}

void h_log(uint32_t level, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_level l = level <= PTC_LOG_ERR       ? diag_level::alert
                   : level == PTC_LOG_WARNING ? diag_level::warning
                   : level <= PTC_LOG_INFO    ? diag_level::notice
                                              : diag_level::debug;
    vdiag(l, fmt, ap);
    va_end(ap);
}

void* h_alloc(size_t n)
{
    void* p = std::malloc(n ? n : 1);
    if (!p) {
        PTC_ALERT("out of memory (%zu bytes)", n);
        std::abort();
    }
    return p;
}

void h_free(void* p) { std::free(p); }

int h_cfg_errorf(const ptc_kw_ctx* ctx, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string m = vfmt(fmt, ap);
    va_end(ap);
    if (g_cfg_ctx)
        g_cfg_ctx->error_at(ctx->file, (int)ctx->line, m);
    return PTC_ERROR;
}

void h_cfg_warnf(const ptc_kw_ctx* ctx, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string m = vfmt(fmt, ap);
    va_end(ap);
    if (g_cfg_ctx)
        g_cfg_ctx->warn_at(ctx->file, (int)ctx->line, m);
}

const char* h_cfg_strdup(const ptc_kw_ctx*, ptc_str s)
{
    auto& store = g_cfg_ctx->cfg->strings;
    store.push_back(std::make_unique<std::string>(s.ptr ? s.ptr : "", s.len));
    return store.back()->c_str();
}

int h_parse_time(ptc_str s, uint64_t* ms)
{
    return cfg::parse_time_ms(std::string_view(s.ptr, s.len), *ms) ? PTC_OK : PTC_ERROR;
}

int h_parse_size(ptc_str s, uint64_t* bytes)
{
    return cfg::parse_size(std::string_view(s.ptr, s.len), *bytes) ? PTC_OK : PTC_ERROR;
}

void h_errorf(ptc_modref* self, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string m = vfmt(fmt, ap);
    va_end(ap);
    if (g_cfg_ctx)
        g_cfg_ctx->error("module " + to_module(self)->name + ": " + m);
}

ptc_str sv(const std::string& s) { return ptc_str{s.data(), s.size()}; }

ptc_str h_proxy_name(const ptc_proxy* p) { return sv(to_proxy(p)->name); }
ptc_str h_proxy_mode(const ptc_proxy* p)
{
    const char* m = mode_name(to_proxy(p)->mode);
    return ptc_str{m, std::strlen(m)};
}
uint32_t h_proxy_cap(const ptc_proxy* p) { return to_proxy(p)->cap; }

void* h_proxy_conf(ptc_modref* self, const ptc_proxy* p)
{
    const proxy* px = to_proxy(p);
    uint32_t i = to_module(self)->index;
    return i < px->mod.blobs.size() ? px->mod.blobs[i] : nullptr;
}

ptc_proxy* h_proxy_next(ptc_proxy* prev)
{
    auto& v = g_config->proxies;
    if (!prev)
        return v.empty() ? nullptr : to_handle(v.front().get());
    for (size_t i = 0; i + 1 < v.size(); i++)
        if (v[i].get() == to_proxy(prev))
            return to_handle(v[i + 1].get());
    return nullptr;
}

uint64_t h_proxy_timeout(const ptc_proxy* p, const char* which)
{
    return which ? to_proxy(p)->timeout(which) : 0; // by name: config time only
}

ptc_str h_server_name(const ptc_server* s) { return sv(to_server(s)->name); }

void* h_server_conf(ptc_modref* self, const ptc_server* s)
{
    const server* sv = to_server(s);
    uint32_t i = to_module(self)->index;
    return i < sv->mod.blobs.size() ? sv->mod.blobs[i] : nullptr;
}

void* h_stream_fe_conf(ptc_modref* self, ptc_stream* s)
{
    return h_proxy_conf(self, host_stream_frontend(s));
}

uint64_t h_now_ms() { return event::now_ms(); }

int h_hooks_run(ptc_stream* s, uint32_t phase)
{
    return run_hooks(reinterpret_cast<stream*>(s), phase);
}

int h_api_publish(ptc_modref* self, const char* name, uint32_t version, const void* api)
{
    return g_modules.publish(to_module(self), name, version, api);
}

const void* h_api_lookup(const char* name, uint32_t min_version, uint32_t* version)
{
    return g_modules.lookup(name, min_version, version);
}

bool is_dyn_error(const std::string& m)
{
    return m.size() == sizeof(dyn_error_marker) - 1 &&
           !memcmp(m.data(), dyn_error_marker, m.size());
}

ptc_str h_proxy_errorfile(const ptc_proxy* p, int status)
{
    const proxy* px = to_proxy(p);
    auto it = px->errorfiles.find(status);
    if (it == px->errorfiles.end() || is_dyn_error(it->second))
        return ptc_str{nullptr, 0}; // none, or built per use (h_proxy_error_render)
    return it->second.empty() ? ptc_str{"", 0} : sv(it->second); // "": an empty file
}

// "http-error ... lf-string|lf-file" and log-format "hdr" values: the message built for
// stream <ps>, as HAProxy builds such replies (a value too long for the buffer is cut)
int h_proxy_error_render(ptc_stream* ps, const ptc_proxy* p, int status, ptc_str* out)
{
    const proxy* px = p ? to_proxy(p) : nullptr;
    if (!px || !out)
        return 0;
    auto it = px->errorfiles.find(status);
    if (it == px->errorfiles.end() || !is_dyn_error(it->second))
        return 0;
    auto d = px->dyn_errors.find(status);
    if (d == px->dyn_errors.end())
        return 0;
    const proxy::dyn_error& e = *d->second;
    static std::string msg;
    static std::vector<char> tmp;
    size_t cap = g_config->global.bufsize ? g_config->global.bufsize : 16384;
    tmp.resize(cap);
    std::string body = e.body;
    if (e.body_lf)
        body.assign(tmp.data(), host_logfmt_eval(ps, e.body_lf, tmp.data(), cap));
    msg = "HTTP/1.1 " + std::to_string(status) + " " + errorfile_reason(status) +
          "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n";
    if (!body.empty())
        msg += "content-type: " + e.ctype + "\r\n";
    for (const auto& [n, lf] : e.hdrs) {
        size_t k = host_logfmt_eval(ps, lf, tmp.data(), cap);
        msg += n + ": " + std::string(tmp.data(), k) + "\r\n";
    }
    msg += "\r\n" + body;
    *out = sv(msg);
    return 1;
}

int h_http_errors_message(ptc_str section, int status, ptc_str* out)
{
    auto sec = g_config->http_errors.find(std::string(section.ptr, section.len));
    if (sec == g_config->http_errors.end())
        return -1;
    auto it = sec->second.find(status);
    if (it == sec->second.end())
        return 0;
    *out = it->second.empty() ? ptc_str{"", 0} : sv(it->second);
    return 1;
}

uint64_t h_global_setting(const char* name)
{
    const global_conf& g = g_config->global;
    std::string n = name ? name : "";
    if (n == "tune.bufsize")
        return g.bufsize;
    if (n == "tune.maxrewrite")
        return g.maxrewrite;
    if (n == "tune.http.maxhdr")
        return g.http_maxhdr;
    if (n == "maxconn")
        return g.maxconn;
    if (n == "workers")
        return g.workers;
    if (n == "spread-checks")
        return g.spread_checks;
    if (n == "max-spread-checks")
        return g.max_spread_checks;
    return 0;
}

// host->local_peer (1.10): this instance's name in "peers" sections.
ptc_str h_local_peer()
{
    static std::string host_name;
    const std::string& lp = g_config->global.localpeer;
    if (!lp.empty())
        return ptc_str{lp.data(), lp.size()};
    if (host_name.empty()) {
        char b[256] = {};
        if (gethostname(b, sizeof(b) - 1) == 0)
            host_name = b;
    }
    return ptc_str{host_name.data(), host_name.size()};
}

uint64_t h_proxy_setting(const ptc_proxy* p, const char* name)
{
    const proxy* px = to_proxy(p);
    std::string n = name ? name : "";
    if (n == "retries")
        return px->retries;
    if (n == "redispatch")
        return px->redispatch ? 1 : 0;
    if (n == "maxconn")
        return px->maxconn;
    if (n == "uuid") // 1.24: the id "show stat" gives the proxy (iid)
        return px->index + 2;
    return 0;
}

// ---- 1.3: binds, servers, module shared memory ----

ptc_bind* h_stream_bind(ptc_stream* s)
{
    return reinterpret_cast<ptc_bind*>(reinterpret_cast<stream*>(s)->bind);
}

void* h_bind_conf(ptc_modref* self, const ptc_bind* b)
{
    const bind_conf* bc = reinterpret_cast<const bind_conf*>(b);
    uint32_t i = to_module(self)->index;
    return bc && i < bc->mod.blobs.size() ? bc->mod.blobs[i] : nullptr;
}

ptc_proxy* h_bind_proxy(const ptc_bind* b)
{
    return to_handle(reinterpret_cast<const bind_conf*>(b)->fe);
}

ptc_str h_bind_name(const ptc_bind* b)
{
    const bind_conf* bc = reinterpret_cast<const bind_conf*>(b);
    return sv(bc->name.empty() ? bc->spec : bc->name);
}

ptc_server* h_server_next(const ptc_proxy* be, ptc_server* prev)
{
    const proxy* p = to_proxy(be);
    size_t i = 0;
    if (!prev) // servers added/deleted at run time since this worker's last pick
        lb_refresh(const_cast<proxy*>(p));
    if (prev) {
        const server* ps = to_server(prev);
        while (i < p->servers.size() && p->servers[i].get() != ps)
            i++;
        i++;
    }
    for (; i < p->servers.size(); i++) {
        server* sv = p->servers[i].get();
        if (!sv->shared || sv->shared->in_use.load(std::memory_order_relaxed))
            return to_handle(sv);
    }
    return nullptr;
}

ptc_proxy* h_server_backend(const ptc_server* s) { return to_handle(to_server(s)->be); }

socklen_t h_server_addr(const ptc_server* s, sockaddr_storage* out)
{
    const server* sv = to_server(s);
    shm_server* sh = sv->shared;
    if (!sh || !sv->be || !sv->be->shared) {
        std::memcpy(out, &sv->addr, sizeof(*out));
        return sv->addrlen;
    }
    sv->be->shared->cfg_lock.lock();
    std::memcpy(out, &sh->addr, sizeof(*out));
    socklen_t n = sh->addrlen;
    sv->be->shared->cfg_lock.unlock();
    return n;
}

uint32_t h_server_state(const ptc_server* s)
{
    const server* sv = to_server(s);
    const shm_server* sh = sv->shared;
    if (srv_stale(sv)) // its shm slot may be another server's now
        return PTC_SRV_ST_DELETED | PTC_SRV_ST_MAINT;
    if (!sh)
        return (sv->disabled ? PTC_SRV_ST_MAINT : PTC_SRV_ST_UP) |
               (sv->backup ? PTC_SRV_ST_BACKUP : 0);
    uint32_t st = 0;
    uint32_t up = sh->up.load(std::memory_order_relaxed);
    if (up == 1)
        st |= PTC_SRV_ST_UP;
    else if (up == 2)
        st |= PTC_SRV_ST_UP | PTC_SRV_ST_STOPPING;
    uint32_t admin = sh->admin.load(std::memory_order_relaxed);
    if (admin == SRV_ADMIN_MAINT)
        st |= PTC_SRV_ST_MAINT;
    else if (admin == SRV_ADMIN_DRAIN)
        st |= PTC_SRV_ST_DRAIN;
    if (sv->backup)
        st |= PTC_SRV_ST_BACKUP;
    if (up == 1 && admin == SRV_ADMIN_READY && srv_eweight(sh) > 0 &&
        sh->in_use.load(std::memory_order_relaxed))
        st |= PTC_SRV_ST_USABLE;
    return st;
}

uint32_t h_server_set_op(ptc_server* s, uint32_t op, const char* reason)
{
    server* sv = to_server(s);
    shm_server* sh = sv->shared;
    if (!sh || op > PTC_SRV_OP_STOPPING || srv_stale(sv))
        return PTC_SRV_OP_UP;
    static_assert(PTC_SRV_OP_DOWN == SRV_OP_DOWN && PTC_SRV_OP_UP == SRV_OP_UP &&
                      PTC_SRV_OP_STOPPING == SRV_OP_STOPPING,
                  "ABI operational states are the shm values");
    return srv_set_op(sv, op, reason);
}

void h_server_set_eweight(ptc_server* s, uint32_t frac256)
{
    server* sv = to_server(s);
    shm_server* sh = sv->shared;
    if (!sh || srv_stale(sv))
        return;
    uint32_t drop = 256 - std::min<uint32_t>(frac256, 256);
    if (sh->eweight_drop.exchange(drop) != drop && sv->be && sv->be->shared)
        shm_servers_changed(sv->be->shared); // tables built from weights follow
}

void* h_shm_reserve(ptc_modref* self, const char* name, size_t size)
{
    return shm_module_reserve(to_module(self)->name, name ? name : "", size);
}

// ---- 1.4: checks, server administration, runtime API commands ----

void h_server_set_check(ptc_server* s, uint32_t which, const ptc_check_info* ci)
{
    if (!srv_stale(to_server(s)))
        srv_set_check(to_server(s), which, ci);
}

uint32_t h_server_set_admin(ptc_server* s, uint32_t admin, const char* reason)
{
    static_assert(PTC_SRV_ADMIN_READY == SRV_ADMIN_READY &&
                      PTC_SRV_ADMIN_DRAIN == SRV_ADMIN_DRAIN &&
                      PTC_SRV_ADMIN_MAINT == SRV_ADMIN_MAINT,
                  "ABI admin states are the shm values");
    server* sv = to_server(s);
    if (srv_stale(sv))
        return PTC_SRV_ADMIN_MAINT;
    if (!sv->shared || !sv->be || !sv->be->shared)
        return sv->disabled ? PTC_SRV_ADMIN_MAINT : PTC_SRV_ADMIN_READY;
    if (admin > PTC_SRV_ADMIN_MAINT)
        return sv->shared->admin.load();
    uint32_t set = 0;
    if (admin == PTC_SRV_ADMIN_MAINT)
        set = SRV_RT_FMAINT;
    else if (admin == PTC_SRV_ADMIN_DRAIN)
        set = SRV_RT_FDRAIN;
    uint32_t clear = ((uint32_t)SRV_RT_FMAINT | (uint32_t)SRV_RT_FDRAIN) & ~set;
    return srv_set_admin_flags(sv->be, sv, set, clear, reason);
}

uint32_t h_server_set_weight(ptc_server* s, uint32_t value, uint32_t flags)
{
    server* sv = to_server(s);
    shm_server* sh = sv->shared;
    if (!sh || srv_stale(sv))
        return sv->weight;
    uint64_t w = value;
    if (flags & PTC_WEIGHT_PERCENT)
        w = (uint64_t)sh->iweight * value / 100;
    w = std::min<uint64_t>(w, 256);
    if (sh->weight.exchange((uint32_t)w) != w && sv->be && sv->be->shared)
        shm_servers_changed(sv->be->shared);
    return (uint32_t)w;
}

uint32_t h_server_iweight(const ptc_server* s)
{
    const server* sv = to_server(s);
    return sv->shared ? sv->shared->iweight : sv->weight;
}

uint32_t h_server_id(const ptc_server* s) { return to_server(s)->id; }

ptc_server* h_server_find(ptc_str backend, ptc_str name)
{
    if (!g_config || !backend.ptr || !name.ptr)
        return nullptr;
    proxy* be = g_config->find_backend(std::string(backend.ptr, backend.len));
    if (!be)
        return nullptr;
    lb_refresh(be); // servers added/deleted at run time since this worker's last pick
    std::string_view n(name.ptr, name.len);
    for (auto& sp : be->servers) {
        server* sv = sp.get();
        if (sv->name == n && (!sv->shared || sv->shared->in_use.load(std::memory_order_relaxed)))
            return to_handle(sv);
    }
    return nullptr;
}

void h_server_shutdown_streams(ptc_server* s, uint32_t flags)
{
    if (!srv_stale(to_server(s)))
        srv_shutdown_streams(to_server(s), flags & PTC_SHUT_BACKUPS);
}

void h_proxy_log(const ptc_proxy* p, uint32_t level, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string m = vfmt(fmt, ap);
    va_end(ap);
    while (!m.empty() && m.back() == '\n')
        m.pop_back();
    if (level <= PTC_LOG_ERR)
        PTC_ALERT("%s", m.c_str());
    else if (level == PTC_LOG_WARNING)
        PTC_WARN("%s", m.c_str());
    if (p)
        log::proxy_message(*to_proxy(p), level, m.data(), m.size());
}

int h_cli_register(ptc_modref* self, const ptc_cli_cmd* cmd, uint32_t size)
{
    ptc_cli_cmd c{};
    if (cmd)
        std::memcpy(&c, cmd, std::min<size_t>(size, sizeof(c)));
    std::string err;
    if (!cmd || size < offsetof(ptc_cli_cmd, fn) + sizeof(c.fn) ||
        !cli_register_command(self, &c, err)) {
        PTC_ALERT("module %s: cli_register: %s", to_module(self)->name.c_str(),
                  err.empty() ? "malformed command" : err.c_str());
        return PTC_ERROR;
    }
    return PTC_OK;
}

void h_cli_printf(ptc_cli_reply* r, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_reply_append(r, fmt, ap);
    va_end(ap);
}

// host->stream_report_error (1.6): the runtime API's "show errors" (cli/errors.cpp).
void host_stream_report_error(ptc_stream* ps, uint32_t side, ptc_str msg, size_t err_pos,
                              const char* reason)
{
    errsnap_record(reinterpret_cast<stream*>(ps), side, msg.ptr, msg.ptr ? msg.len : 0, err_pos,
                   reason);
}

// host->stream_set_cookie_state (1.7): the cookie letters of the log's %tsc.
void host_stream_set_cookie_state(ptc_stream* ps, uint32_t cli, uint32_t srv)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s)
        return;
    if (cli > 32 && cli < 127)
        s->log_ck[0] = char(cli);
    if (srv > 32 && srv < 127)
        s->log_ck[1] = char(srv);
}

// host->stream_bytes (1.10): the bytes a stream received on a channel so far.
uint64_t host_stream_bytes(ptc_stream* ps, uint32_t dir)
{
    stream* s = reinterpret_cast<stream*>(ps);
    if (!s || dir > PTC_DIR_RES)
        return 0;
    return s->ch[dir].bytes;
}

// host->server_pin (1.29): "del server" refuses s from now on, in every process.
void host_server_pin(ptc_server* ps)
{
    server* sv = to_server(ps);
    sv->non_purgeable = true;
    if (sv->shared && !srv_stale(sv))
        sv->shared->rt_flags.fetch_or(SRV_RT_PINNED);
}

// host->stream_xprt_info (1.26): what a side's transport negotiated.
const char* host_stream_xprt_info(ptc_stream* ps, uint32_t side, uint32_t what)
{
    const stream* s = reinterpret_cast<const stream*>(ps);
    return s ? xprt_info(s, side, what) : nullptr;
}

} // namespace

// Designated initialisers: a slot in the wrong place is a compile error.
const ptc_host g_host = {
    .magic = PTC_HOST_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_host),
    .reserved0 = 0,
    .version = "0.1.0",
    .log = h_log,
    .alloc = h_alloc,
    .free = h_free,
    .cfg_errorf = h_cfg_errorf,
    .cfg_warnf = h_cfg_warnf,
    .cfg_strdup = h_cfg_strdup,
    .parse_time = h_parse_time,
    .parse_size = h_parse_size,
    .errorf = h_errorf,
    .proxy_name = h_proxy_name,
    .proxy_mode = h_proxy_mode,
    .proxy_cap = h_proxy_cap,
    .proxy_conf = h_proxy_conf,
    .proxy_next = h_proxy_next,
    .proxy_timeout = h_proxy_timeout,
    .server_name = h_server_name,
    .server_conf = h_server_conf,
    .stream_frontend = host_stream_frontend,
    .stream_backend = host_stream_backend,
    .stream_server = host_stream_server,
    .stream_select_backend = host_stream_select_backend,
    .stream_connect = host_stream_connect,
    .stream_srv_close = host_stream_srv_close,
    .stream_srv_error = host_stream_srv_error,
    .stream_close = host_stream_close,
    .stream_set_timeout = host_stream_set_timeout,
    .stream_addr = host_stream_addr,
    .stream_wake = host_stream_wake,
    .stream_fe_conf = h_stream_fe_conf,
    .stream_state = host_stream_state,
    .now_ms = h_now_ms,
    .chan_data = host_chan_data,
    .chan_forward = host_chan_forward,
    .chan_autoforward = host_chan_autoforward,
    .chan_autoforward_left = host_chan_autoforward_left,
    .chan_replace = host_chan_replace,
    .chan_append = host_chan_append,
    .chan_skip = host_chan_skip,
    .chan_room = host_chan_room,
    .chan_flags = host_chan_flags,
    .chan_shutw = host_chan_shutw,
    .chan_pause = host_chan_pause,
    .hooks_run = h_hooks_run,
    .api_publish = h_api_publish,
    .api_lookup = h_api_lookup,
    .stream_srv_idle = host_stream_srv_idle,
    .stream_connect_ex = host_stream_connect_ex,
    .rules_run = host_rules_run,
    .logfmt_compile = host_logfmt_compile,
    .logfmt_eval = host_logfmt_eval,
    .expr_compile = host_expr_compile,
    .expr_eval = host_expr_eval,
    .scratch = host_scratch,
    .var_set = host_var_set,
    .var_get = host_var_get,
    .stream_log_txn = host_stream_log_txn,
    .proxy_errorfile = h_proxy_errorfile,
    .global_setting = h_global_setting,
    .proxy_setting = h_proxy_setting,
    .chan_mark = host_chan_mark,
    .chan_rewind = host_chan_rewind,
    .stream_bind = h_stream_bind,
    .bind_conf = h_bind_conf,
    .bind_proxy = h_bind_proxy,
    .bind_name = h_bind_name,
    .stream_modstate = host_stream_modstate,
    .stream_set_addr = host_stream_set_addr,
    .stream_conn_fail = host_stream_conn_fail,
    .stream_srv_prepend = host_stream_srv_prepend,
    .stream_use_server = host_stream_use_server,
    .server_next = h_server_next,
    .server_backend = h_server_backend,
    .server_addr = h_server_addr,
    .server_state = h_server_state,
    .server_set_op = h_server_set_op,
    .server_set_eweight = h_server_set_eweight,
    .shm_reserve = h_shm_reserve,
    .worker_slot = host_worker_slot,
    .worker_count = host_worker_count,
    .task_new = host_task_new,
    .task_schedule = host_task_schedule,
    .task_free = host_task_free,
    .conn_new = host_conn_new,
    .conn_send = host_conn_send,
    .conn_data = host_conn_data,
    .conn_consume = host_conn_consume,
    .conn_shutw = host_conn_shutw,
    .conn_set_timeout = host_conn_set_timeout,
    .conn_error = host_conn_error,
    .conn_close = host_conn_close,
    .stream_set_transport = host_stream_set_transport,
    .fetch_register = host_fetch_register,
    .conv_register = host_conv_register,
    .action_register = host_action_register,
    .server_set_check = h_server_set_check,
    .server_set_admin = h_server_set_admin,
    .server_set_weight = h_server_set_weight,
    .server_iweight = h_server_iweight,
    .server_id = h_server_id,
    .server_find = h_server_find,
    .server_shutdown_streams = h_server_shutdown_streams,
    .proxy_log = h_proxy_log,
    .cli_register = h_cli_register,
    .cli_printf = h_cli_printf,
    .conn_abort = host_conn_abort,
    .proxy_capture_slot = host_proxy_capture_slot,
    .proxy_capture_cookie = host_proxy_capture_cookie,
    .stream_capture = host_stream_capture,
    .stream_unique_id = host_stream_unique_id,
    .stream_log_asap = host_stream_log_asap,
    .service_register = host_service_register,
    .service_find = host_service_find,
    .service_match = host_service_match,
    .stream_report_error = host_stream_report_error,
    .stream_set_cookie_state = host_stream_set_cookie_state,
    .stream_bytes = host_stream_bytes,
    .cond_compile = host_cond_compile,
    .cond_eval = host_cond_eval,
    .local_peer = h_local_peer,
    .var_unset = host_var_unset,
    .http_errors_message = h_http_errors_message,
    .pattern_change = smp::host_pattern_change,
    .action_compile = smp::host_action_compile,
    .action_exec = smp::host_action_exec,
    .stream_set_applet = host_stream_set_applet,
    .conn_listen = host_conn_listen,
    .conn_accept = host_conn_accept,
    .var_known = host_var_known,
    .info_provider = host_info_provider,
    .cli_run = host_cli_run,
    .conn_addr = host_conn_addr,
    .proxy_error_render = h_proxy_error_render,
    .stream_xprt_info = host_stream_xprt_info,
    .server_pin = host_server_pin,
    .stream_srv_once = host_stream_srv_once,
};

} // namespace portico
