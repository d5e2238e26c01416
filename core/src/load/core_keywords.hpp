// SPDX-License-Identifier: MIT
// The core's own configuration keywords, as a module-shaped descriptor.
#pragma once

#include <memory>
#include <vector>

#include <portico/portico.h>

namespace portico {

struct bind_conf;

// The descriptor holding the core keyword table (registered as module "core").
const ptc_module* core_module();

// Bind lines being created while a bind line's options are parsed.
extern std::vector<std::unique_ptr<bind_conf>>* g_pending_binds;

} // namespace portico
