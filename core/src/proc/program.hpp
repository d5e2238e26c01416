// SPDX-License-Identifier: MIT
// "program" sections (HAProxy 2.6's section 3.7): commands the master starts next to the
// workers, stops with them, and replaces on a reload ("option start-on-reload").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace portico {

struct config;

// ---- configuration ----------------------------------------------------------------------
// "program <name>": false with <err> (no name, duplicate).
bool program_open(config& cfg, const std::vector<std::string>& args, const std::string& file,
                  int line, std::string& err);
// A line of the current program section: false with <err>.
bool program_keyword(config& cfg, const std::vector<std::string>& args, std::string& err);
// After parsing: every program has a command. False with <err> ("file:line: ...").
bool programs_check(const config& cfg, std::string& err);

// ---- master runtime ---------------------------------------------------------------------
// After a re-execution: the programs the previous image started (from the environment).
// <keep>: they all stay current (the wait mode, when the new configuration failed).
void programs_adopt(bool keep);
// Starts the configured programs; on a reload, one whose section says
// "no option start-on-reload" keeps its running instance, the others' instances leave.
void programs_start(const config& cfg);
// The new generation serves: the leaving instances get SIGUSR1.
void programs_release_old();
// A child exited: true when it was a program (logged as HAProxy does; a current program
// that failed is started again unless it keeps failing). <running>: not stopping.
bool programs_reap(pid_t pid, int status, bool running, const config* cfg);
// Sends <sig> to every program instance; SIGKILL too.
void programs_signal(int sig);
bool programs_empty();
// "show proc" lines: "# programs" and, when any, "# old programs".
std::string programs_show_proc(long long now);
// For the next image: the instances, in the environment.
void programs_export();

} // namespace portico
