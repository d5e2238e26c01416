// SPDX-License-Identifier: MIT
// Process diagnostics on stderr in HAProxy's "[LEVEL]   (pid) : message" shape.
#include "util/diag.hpp"

#include <cstdio>
#include <unistd.h>

namespace portico {

diag_settings g_diag;

void vdiag(diag_level lvl, const char* fmt, va_list ap)
{
    static const char* const names[] = {"[ALERT]   ", "[WARNING] ", "[NOTICE]  ", "[INFO]    ",
                                        "[DEBUG]   "};
    if (g_diag.quiet && lvl >= diag_level::notice)
        return;
    if (lvl == diag_level::debug && !g_diag.debug)
        return;
    char line[2048];
    int pid = g_diag.pid ? g_diag.pid : (int)getpid();
    int n = snprintf(line, sizeof(line), "%s (%d) : ", names[(int)lvl], pid);
    if (n < 0)
        return;
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    // one write(2) per line so lines from several workers never interleave
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void diag(diag_level lvl, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(lvl, fmt, ap);
    va_end(ap);
}

} // namespace portico
