// SPDX-License-Identifier: MIT
// Reads configuration files into logical lines: comments, quoting, ".if" blocks, directives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cfg/cond.hpp"

namespace portico::cfg {

struct line {
    std::string file;              // file name as given (or "dir/name.cfg")
    int lineno;                    // 1-based physical line number
    std::vector<std::string> args; // words after unquoting/expansion; args[0] non-empty
};

enum class diag_level { diag, notice, warning, alert };

struct diag {
    std::string file;        // file name, or the path that could not be opened
    int lineno;              // 1-based line, 0 when not tied to a line
    bool is_error;           // level == alert: the configuration is invalid
    std::string msg;         // HAProxy-style text without location, e.g. "'x'." or
                             // "lone '.endif' with no matching '.if'."
    diag_level level = diag_level::alert; // .diag/.notice/.warning/.alert or error
};

// Reads <paths> in order; a directory stands for its regular files whose name ends in
// ".cfg" and does not start with '.', in byte order (HAProxy's rule). For each file:
// tokenizes every line (errors even inside false branches, as HAProxy), drops empty lines
// and comments, handles ".if/.elif/.else/.endif" (nesting is per file; a missing ".endif"
// is reported at the line of its ".if"), emits ".diag/.notice/.warning/.alert" as diags
// (".alert" is an error), and appends every other line to <out> with its file:line.
// Pseudo-variables ".FILE", ".LINE" and ".SECTION" are resolved; other variables through
// env.getenv_fn. A file whose last line lacks its LF is an error, as in HAProxy 2.6.
// Like HAProxy, reading stops after a fatal structural error (bad .if/.elif/.else/.endif,
// unknown directive, .alert, unreadable file); other errors are collected and reading goes
// on. Returns true if no error was reported.
bool read_files(const std::vector<std::string> &paths, const cond_env &env,
                std::vector<line> &out, std::vector<diag> &diags);

// Same for an in-memory text named <name> (for tests and stdin).
bool read_string(std::string_view text, const std::string &name, const cond_env &env,
                 std::vector<line> &out, std::vector<diag> &diags);

// Expands <paths> as read_files() does (directories to their ".cfg" files). Returns false
// with a diag on a path that cannot be opened.
bool expand_config_paths(const std::vector<std::string> &paths, std::vector<std::string> &files,
                         std::vector<diag> &diags);

} // namespace portico::cfg
