// SPDX-License-Identifier: MIT
// The configuration model: names of modes and timeouts.
#include "proxy/proxy.hpp"

namespace portico {

const char* mode_name(px_mode m)
{
    switch (m) {
    case px_mode::http:
        return "http";
    case px_mode::tcp:
        break;
    }
    return "tcp";
}

uint64_t proxy_timeouts::*proxy_timeouts::field(std::string_view name)
{
    static const struct {
        const char* name;
        uint64_t proxy_timeouts::*field;
    } k_names[] = {
        {"client", &proxy_timeouts::t_client},
        {"server", &proxy_timeouts::t_server},
        {"connect", &proxy_timeouts::t_connect},
        {"queue", &proxy_timeouts::t_queue},
        {"http-request", &proxy_timeouts::t_http_request},
        {"http-keep-alive", &proxy_timeouts::t_http_keep_alive},
        {"tunnel", &proxy_timeouts::t_tunnel},
        {"client-fin", &proxy_timeouts::client_fin},
        {"server-fin", &proxy_timeouts::server_fin},
        {"check", &proxy_timeouts::t_check},
        {"tarpit", &proxy_timeouts::t_tarpit},
        {"inspect-delay", &proxy_timeouts::t_inspect}, // "tcp-request inspect-delay"
        {"res-inspect-delay", &proxy_timeouts::t_res_inspect}, // "tcp-response inspect-delay"
    };
    for (const auto& n : k_names)
        if (name == n.name)
            return n.field;
    return nullptr;
}

} // namespace portico
