// SPDX-License-Identifier: MIT
// Small helpers for keyword parsers of the core: arguments as strings, errors at file:line.
#pragma once

#include <string>

#include <portico/portico.h>

namespace portico {

// Word <i> of the keyword line (args[0] is the keyword's first word); "" past the end.
inline std::string kw_word(const ptc_kw_ctx* c, uint32_t i)
{
    return i < c->argc ? std::string(c->args[i].ptr, c->args[i].len) : std::string();
}

// Reports "<file>:<line>: <msg>" for the keyword being parsed; returns PTC_ERROR.
int kw_error(const ptc_kw_ctx* c, const std::string& msg);

} // namespace portico
