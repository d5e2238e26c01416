// SPDX-License-Identifier: MIT
// "server-state-file" / "load-server-state-from-file": the saved server states applied at
// start-up (HAProxy 2.6's version-1 "show servers state" format).
#pragma once

#include <string>

namespace portico {

struct config;
struct server;

// Reads the global and per-backend state files the configuration names: each server of a
// backend that loads one keeps its line (server::state_fields), with warnings for the files
// and lines that cannot be used. Once, when the configuration has been read (before the
// servers' "init-addr last" addresses are resolved).
void server_state_file_read(config& cfg);

// The address ("srv_addr") the state file saved for <sv> ("init-addr last"), when its line
// can be applied; empty otherwise.
std::string server_state_last_addr(const server& sv);

// Applies the lines server_state_file_read() kept to the servers (shared memory), with
// warnings for what cannot be applied. Master only, after the shared memory exists and
// before the workers start.
void server_state_file_apply(config& cfg);

} // namespace portico
