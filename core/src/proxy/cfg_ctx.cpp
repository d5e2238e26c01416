// SPDX-License-Identifier: MIT
// The configuration context: messages of the load.
#include "proxy/cfg_ctx.hpp"

namespace portico {

cfg_ctx* g_cfg_ctx;

void cfg_ctx::error_at(const std::string& file, int line, const std::string& msg)
{
    errors++;
    msgs.push_back({true, file + ":" + std::to_string(line) + ": " + msg});
}

void cfg_ctx::warn_at(const std::string& file, int line, const std::string& msg)
{
    msgs.push_back({false, file + ":" + std::to_string(line) + ": " + msg});
}

void cfg_ctx::error(const std::string& msg)
{
    errors++;
    msgs.push_back({true, msg});
}

int kw_error(const ptc_kw_ctx* c, const std::string& msg)
{
    if (g_cfg_ctx)
        g_cfg_ctx->error_at(c->file, (int)c->line, msg);
    return PTC_ERROR;
}

void kw_warning(const ptc_kw_ctx* c, const std::string& msg)
{
    if (g_cfg_ctx)
        g_cfg_ctx->warn_at(c->file, (int)c->line, msg);
}

} // namespace portico
