// SPDX-License-Identifier: MIT
// "Connection: close" on the HTTP responses of a stopping worker.
#pragma once

namespace portico {

// Installs the hook (in the master, before the workers are forked).
void stop_hook_install();

} // namespace portico
