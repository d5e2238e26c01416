// SPDX-License-Identifier: MIT
// ABI 1.5 HTTP services: the registry behind host->service_register/find/match.
#pragma once

#include <portico/portico.h>

#include <string>
#include <vector>

namespace portico {

int host_service_register(ptc_modref* self, const ptc_service* svc, uint32_t size);
const ptc_service* host_service_find(ptc_str name);
const ptc_service* host_service_match(ptc_proxy* px, ptc_str uri, const void** arg);
// The registered services' names, space-separated, in registration order (-vv).
std::string service_names();
// Names of the registered services, in registration order ("-vv").
std::vector<std::string> host_service_names();

} // namespace portico
