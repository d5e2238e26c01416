// SPDX-License-Identifier: MIT
// Process diagnostics on stderr in HAProxy's "[LEVEL]   (pid) : message" shape.
#pragma once

#include <cstdarg>
#include <cstdint>

namespace portico {

enum class diag_level : uint8_t { alert, warning, notice, info, debug };

struct diag_settings {
    int pid = 0;           // PID printed in every line: the process the user started
    bool quiet = false;    // -q: no notices/infos
    bool debug = false;    // -d: debug lines too
};
extern diag_settings g_diag;

void diag(diag_level lvl, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vdiag(diag_level lvl, const char* fmt, va_list ap);

#define PTC_ALERT(...) ::portico::diag(::portico::diag_level::alert, __VA_ARGS__)
#define PTC_WARN(...) ::portico::diag(::portico::diag_level::warning, __VA_ARGS__)
#define PTC_NOTICE(...) ::portico::diag(::portico::diag_level::notice, __VA_ARGS__)
#define PTC_DEBUG(...)                                                                         \
    do {                                                                                       \
        if (::portico::g_diag.debug)                                                           \
            ::portico::diag(::portico::diag_level::debug, __VA_ARGS__);                        \
    } while (0)

} // namespace portico
