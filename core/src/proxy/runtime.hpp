// SPDX-License-Identifier: MIT
// Process-wide runtime objects: the loaded configuration.
#pragma once

namespace portico {

struct config;

extern config* g_config;

} // namespace portico
