// SPDX-License-Identifier: MIT
// Load-balancing framework: picks a server of a backend for a stream.
#pragma once

#include <string>
#include <vector>

namespace portico {

struct proxy;
struct server;
struct stream;

// Checks the "balance" arguments of a backend at configuration time. Returns false with
// <err> set for an unknown or not yet supported algorithm.
bool lb_check_balance(const std::vector<std::string>& args, std::string& err);

// Picks a usable server of backend <be> for stream <s> with its balance algorithm, or
// nullptr when none is usable. Decisions are instance-wide (state in shared memory).
server* lb_pick(proxy* be, stream* s);

} // namespace portico
