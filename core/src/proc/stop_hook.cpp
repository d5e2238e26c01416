// SPDX-License-Identifier: MIT
// The built-in module "proc": while a worker is stopping (soft stop, or a previous
// generation after a reload), every HTTP response it sends says "Connection: close", so
// busy keep-alive clients leave after their current exchange (idle ones are closed by the
// worker's sweep, worker.cpp).
#include "proc/stop_hook.hpp"

#include <portico/http.h>

#include "module/module.hpp"
#include "stream/stream.hpp"
#include "stream/stream-t.hpp"

namespace portico {

namespace {

const ptc_http_api* g_http;
bool g_http_looked = false;

int hook_res_stopping(ptc_stream* s, void*, void*)
{
    if (!g_worker || !g_worker->stopping)
        return PTC_CONTINUE;
    if (!g_http_looked) {
        g_http_looked = true;
        g_http = static_cast<const ptc_http_api*>(
            g_modules.lookup(PTC_HTTP_API_NAME, PTC_HTTP_API_VERSION, nullptr));
    }
    if (g_http && g_http->res_hdr_set)
        g_http->res_hdr_set(s, ptc_str{"connection", 10}, ptc_str{"close", 5});
    return PTC_CONTINUE;
}

const ptc_hook k_proc_hooks[] = {
    // phase                   priority   function
    {PTC_PHASE_HTTP_RESPONSE, 1000000,   hook_res_stopping}, // after every module's hook
};

const ptc_module k_proc_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "proc",
    .version = "0.1.0",
    .description = "process lifecycle: Connection: close while stopping",
    .keyword_size = sizeof(ptc_keyword),
    .hooks = k_proc_hooks,
    .hook_count = PTC_COUNTOF(k_proc_hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* proc_module() { return &k_proc_module; }

} // namespace portico
