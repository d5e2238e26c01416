// SPDX-License-Identifier: MIT
// The HAProxy statistics page ("stats enable", "stats uri"...): a built-in module ("stats")
// owning the "stats" proxy keywords and registering the ABI 1.5 "stats" HTTP service.
#pragma once

#include <portico/portico.h>

#include <string>

namespace portico {

// The descriptor of the stats page's keyword table (registered as module "stats").
const ptc_module* stats_module();

// Hook for a JSON renderer of the stats (";json"): set by whoever implements "show stat
// json" (nullptr: ";json" answers 501). Called in a worker; returns the whole document.
extern std::string (*stats_json_hook)();

} // namespace portico
