// SPDX-License-Identifier: MIT
// The built-in module "proc" (hooks of the process lifecycle).
#pragma once

#include <portico/portico.h>

namespace portico {

const ptc_module* proc_module();

} // namespace portico
