// SPDX-License-Identifier: MIT
// The core's own configuration keywords, as a module-shaped descriptor.
#pragma once

#include <portico/portico.h>

namespace portico {

// The descriptor holding the core keyword table (registered as module "core").
const ptc_module* core_module();

} // namespace portico
