// SPDX-License-Identifier: MIT
// The core's own configuration keywords, as a module-shaped descriptor.
#pragma once

#include <portico/portico.h>

#include <string>

namespace portico {

// The descriptor holding the core keyword table (registered as module "core").
const ptc_module* core_module();

struct server;

// The address of server <s>, named by a host name, from its "init-addr" methods in order
// (none: "last,libc"); <last> is the server-state file's address for it ("last"), empty when
// the file has none. False with <e> (HAProxy's words) when no method gives one; <warn> set
// when a fallback ("none", an IP address) was used after a failed method.
bool server_init_addr(server& s, const std::string& last, std::string& e, std::string& warn);

// "-dr" on the command line: "none" ends every server's init-addr methods, so a server whose
// name does not resolve starts in maintenance instead of failing the load (HAProxy's -dr).
extern bool g_init_addr_dontfail;

// Sets the flags that follow from a server's address once it is known (no port, 0.0.0.0,
// "init-addr none").
void server_addr_kind(server& s);

} // namespace portico
