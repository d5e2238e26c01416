// SPDX-License-Identifier: MIT
// Address parsing for "bind" and "server" lines (HAProxy address syntax).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace portico {

struct addr_opts {
    bool need_port = true;  // a port is mandatory
    bool resolve = false;   // host names are resolved (servers), else only literals
    bool unix_ok = false;   // "unix@PATH", "/PATH", "abns@NAME" give an AF_UNIX address
};

// Expands "$NAME" and "${NAME}" as HAProxy does in addresses (outside quotes too).
std::string addr_env_expand(const std::string& in);

// Parses "[ipv4@|ipv6@]HOST:PORT", "[v6]:PORT", "*:PORT", ":PORT", and "fd@N" (only when
// <inherited_fd> is given: then *inherited_fd = N and len = 0). Returns false with <err>.
bool parse_addr(const std::string& spec, const addr_opts& o, sockaddr_storage& out,
                socklen_t& len, int* inherited_fd, std::string& err);

// "1.2.3.4:80" or "[::1]:80".
std::string addr_to_string(const sockaddr_storage& a);
// The address alone ("1.2.3.4", "::1"; "" for other families) and the port (host order).
std::string addr_ip(const sockaddr_storage& a);
uint16_t addr_port(const sockaddr_storage& a);

} // namespace portico
