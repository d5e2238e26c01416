// SPDX-License-Identifier: MIT
// Process-wide runtime objects: the loaded configuration.
#include "proxy/runtime.hpp"

namespace portico {

config* g_config;

} // namespace portico
