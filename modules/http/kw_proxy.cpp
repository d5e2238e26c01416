// SPDX-License-Identifier: MIT
// Proxy keywords of the http module that set a value in its proxy conf blob.
#include <cstring>

#include "http_int.hpp"

namespace portico::http {

// http-reuse never|safe|aggressive|always
int parse_http_reuse(const ptc_kw_ctx* ctx)
{
    static const char* const modes[] = {"never", "safe", "aggressive", "always"};
    ptc_str a = ctx->args[ctx->kw_words];
    for (uint32_t i = 0; i < 4; i++) {
        if (a.len == strlen(modes[i]) && memcmp(a.ptr, modes[i], a.len) == 0) {
            static_cast<proxy_conf*>(ctx->conf)->reuse = i;
            return PTC_OK;
        }
    }
    return host->cfg_errorf(ctx, "'http-reuse' expects 'never', 'safe', 'aggressive' or "
                                 "'always', got '%.*s'",
                            (int)a.len, a.ptr);
}

} // namespace portico::http
