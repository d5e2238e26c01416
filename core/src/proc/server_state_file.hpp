// SPDX-License-Identifier: MIT
// "server-state-file" / "load-server-state-from-file": the saved server states applied at
// start-up (HAProxy 2.6's version-1 "show servers state" format).
#pragma once

namespace portico {

struct config;

// Reads the global and per-backend state files the configuration names and applies them
// to the servers (shared memory), with warnings for what cannot be applied. Master only,
// after the shared memory exists and before the workers start.
void server_state_file_apply(config& cfg);

} // namespace portico
