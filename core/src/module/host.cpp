// SPDX-License-Identifier: MIT
// The host function table handed to every module (ptc_host), wired to the core.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cfg/units.hpp"
#include "event/clock.hpp"
#include "module/hooks.hpp"
#include "module/module.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "log/log_host.hpp"
#include "sample/sample_host.hpp"
#include "stream/stream.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

// stream.cpp
ptc_proxy* host_stream_frontend(ptc_stream* s);
ptc_proxy* host_stream_backend(ptc_stream* s);
ptc_server* host_stream_server(ptc_stream* s);
int host_stream_select_backend(ptc_stream* s);
int host_stream_connect(ptc_stream* s);
void host_stream_srv_close(ptc_stream* s);
int host_stream_srv_error(ptc_stream* s);
void host_stream_close(ptc_stream* s, uint32_t how);
void host_stream_set_timeout(ptc_stream* s, uint32_t which, uint64_t ms);
socklen_t host_stream_addr(ptc_stream* s, uint32_t which, sockaddr_storage* out);
void host_stream_wake(ptc_stream* s);
void* host_stream_state(ptc_stream* s);
uint32_t host_chan_data(ptc_stream* s, uint32_t dir, ptc_str* out);
size_t host_chan_forward(ptc_stream* s, uint32_t dir, size_t n);
void host_chan_autoforward(ptc_stream* s, uint32_t dir, uint64_t n);
uint64_t host_chan_autoforward_left(ptc_stream* s, uint32_t dir);
int host_chan_replace(ptc_stream* s, uint32_t dir, size_t off, size_t len, const char* data,
                      size_t dlen);
int host_chan_append(ptc_stream* s, uint32_t dir, const char* data, size_t len);
size_t host_chan_skip(ptc_stream* s, uint32_t dir, size_t n);
size_t host_chan_room(ptc_stream* s, uint32_t dir);
uint32_t host_chan_flags(ptc_stream* s, uint32_t dir);
void host_chan_shutw(ptc_stream* s, uint32_t dir);
void host_chan_pause(ptc_stream* s, uint32_t dir, int on);
int host_stream_srv_idle(ptc_stream* s, uint32_t flags);
int host_stream_connect_ex(ptc_stream* s, uint32_t flags);
void host_chan_mark(ptc_stream* s, uint32_t dir, int on);
int host_chan_rewind(ptc_stream* s, uint32_t dir);

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

ptc_str h_proxy_errorfile(const ptc_proxy* p, int status)
{
    const proxy* px = to_proxy(p);
    auto it = px->errorfiles.find(status);
    if (it == px->errorfiles.end())
        return ptc_str{"", 0};
    return sv(it->second);
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
    return 0;
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
    return 0;
}

} // namespace

const ptc_host g_host = {
    PTC_HOST_MAGIC,
    PTC_ABI_MAJOR,
    PTC_ABI_MINOR,
    sizeof(ptc_host),
    0,
    "0.1.0",
    h_log,
    h_alloc,
    h_free,
    h_cfg_errorf,
    h_cfg_warnf,
    h_cfg_strdup,
    h_parse_time,
    h_parse_size,
    h_errorf,
    h_proxy_name,
    h_proxy_mode,
    h_proxy_cap,
    h_proxy_conf,
    h_proxy_next,
    h_proxy_timeout,
    h_server_name,
    h_server_conf,
    host_stream_frontend,
    host_stream_backend,
    host_stream_server,
    host_stream_select_backend,
    host_stream_connect,
    host_stream_srv_close,
    host_stream_srv_error,
    host_stream_close,
    host_stream_set_timeout,
    host_stream_addr,
    host_stream_wake,
    h_stream_fe_conf,
    host_stream_state,
    h_now_ms,
    host_chan_data,
    host_chan_forward,
    host_chan_autoforward,
    host_chan_autoforward_left,
    host_chan_replace,
    host_chan_append,
    host_chan_skip,
    host_chan_room,
    host_chan_flags,
    host_chan_shutw,
    host_chan_pause,
    h_hooks_run,
    h_api_publish,
    h_api_lookup,
    host_stream_srv_idle,
    host_stream_connect_ex,
    host_rules_run,
    host_logfmt_compile,
    host_logfmt_eval,
    host_expr_compile,
    host_expr_eval,
    host_scratch,
    host_var_set,
    host_var_get,
    host_stream_log_txn,
    h_proxy_errorfile,
    h_global_setting,
    h_proxy_setting,
    host_chan_mark,
    host_chan_rewind,
};

} // namespace portico
