// SPDX-License-Identifier: MIT
// The configuration context: what the subsystems that parse configuration (core keywords,
// sample engine, logger, runtime API, host table) need from the configuration being built,
// without knowing the loader (core/src/load/), which sets it up. Also the small helpers of
// keyword parsers: arguments as strings, errors at file:line.
#pragma once

#include <string>
#include <vector>

#include <portico/portico.h>

namespace portico {

struct config;
struct module_rec;
namespace cfg {
class registry;
}

// One message of the load, already formatted as "file:line: message" (or without a
// location when it has none).
struct load_msg {
    bool error;
    std::string text;
};

// What a keyword registry entry (cfg::kw_entry::data) points to.
struct kw_def {
    const ptc_keyword* kw;
    module_rec* mod;
};

struct cfg_ctx {
    config* cfg = nullptr;                  // the configuration being built, then loaded
    const cfg::registry* srv_kws = nullptr; // server / default-server options
    const cfg::registry* bind_kws = nullptr; // bind options
    std::vector<load_msg> msgs;             // messages of the load, in order
    int errors = 0;                         // error messages among them

    void error_at(const std::string& file, int line, const std::string& msg);
    void warn_at(const std::string& file, int line, const std::string& msg);
    void error(const std::string& msg);
};

// The context of the loader (set when it is created; it stays for the runtime API's
// "add server"); null when there is none.
extern cfg_ctx* g_cfg_ctx;

// Word <i> of the keyword line (args[0] is the keyword's first word); "" past the end.
inline std::string kw_word(const ptc_kw_ctx* c, uint32_t i)
{
    return i < c->argc ? std::string(c->args[i].ptr, c->args[i].len) : std::string();
}

// Reports "<file>:<line>: <msg>" for the keyword being parsed; returns PTC_ERROR.
int kw_error(const ptc_kw_ctx* c, const std::string& msg);
// Reports "<file>:<line>: <msg>" as a warning for the keyword being parsed.
void kw_warning(const ptc_kw_ctx* c, const std::string& msg);

} // namespace portico
