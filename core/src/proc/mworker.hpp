// SPDX-License-Identifier: MIT
// The master CLI ("-S <socket>"): "show proc", "reload", and commands routed with
// "@<n>" / "@!<pid>" to the runtime API the master serves for the workers.
#pragma once

#include <poll.h>

#include <cstdint>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace portico {

// "-S <address>[,<option>...]": unix path (or "unix@path") or "ipv4@addr:port".
void mworker_cli_set(const std::string& spec);

// Binds the master CLI socket (when -S was given); false with an alert on failure.
bool mworker_cli_bind();
// In a forked worker: closes the master CLI's listening socket.
void mworker_close_in_child();

// What "reload" does: returns true when the reload went ahead, else false with the
// reason in <why>.
void mworker_set_reload_fn(std::function<bool(std::string& why)> fn);

// Generation, failed reloads, master start time and version for "show proc".
void mworker_set_info(uint32_t gen, uint32_t failed, time_t start, const char* version);
const char* mworker_version();

// Master loop integration (after the runtime API's entries).
void mworker_poll_fill(std::vector<pollfd>& fds);
void mworker_poll_handle(const std::vector<pollfd>& fds);

// Rendered by master.cpp.
std::string master_show_proc();
// The process a master CLI prefix names, as HAProxy's: "@", "@0", "@master" the master (0);
// "@<n>" (n > 0) the current generation's worker of slot 0; "@!<pid>" that worker, current or
// old; -1 when there is no such worker.
long master_target_pid(const std::string& prefix);
uint32_t master_old_workers();

} // namespace portico
