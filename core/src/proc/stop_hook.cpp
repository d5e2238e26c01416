// SPDX-License-Identifier: MIT
// While a worker is stopping (soft stop, or a previous generation after a reload), every
// HTTP response it sends says "Connection: close" — server responses and generated ones
// ("http-request return", errors, services) alike — so busy keep-alive clients, proxies
// included, leave after their current exchange; idle ones are closed by the worker's sweep
// (worker.cpp). It rides on the point the http module calls for every response: the
// "http-after-response" rule sets (before the user's rules, which may still change it).
#include "proc/stop_hook.hpp"

#include <portico/http.h>

#include "module/module.hpp"
#include "sample/sample_host.hpp"
#include "stream/stream.hpp"
#include "stream/stream-t.hpp"

namespace portico {

namespace {

const ptc_http_api* g_http;
bool g_http_looked = false;

void res_stopping(ptc_stream* s)
{
    if (!g_worker || !g_worker->stopping)
        return;
    if (!g_http_looked) {
        g_http_looked = true;
        g_http = static_cast<const ptc_http_api*>(
            g_modules.lookup(PTC_HTTP_API_NAME, PTC_HTTP_API_VERSION, nullptr));
    }
    if (g_http && g_http->res_hdr_set)
        g_http->res_hdr_set(s, ptc_str{"connection", 10}, ptc_str{"close", 5});
}

} // namespace

void stop_hook_install() { g_rules_after_res_pre = res_stopping; }

} // namespace portico
