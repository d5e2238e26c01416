// SPDX-License-Identifier: MIT
// Address parsing for "bind" and "server" lines (HAProxy address syntax).
#include "proxy/addr.hpp"

#include "cfg/units.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/un.h>
#include <cstddef>

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace portico {

static bool parse_port(const std::string& s, uint16_t& port, std::string& err)
{
    uint64_t v;
    if (!cfg::parse_uint(s, 99999, v)) {
        err = "invalid port '" + s + "'";
        return false;
    }
    if (v == 0 || v > 65535) {
        err = "port " + s + " out of range";
        return false;
    }
    port = (uint16_t)v;
    return true;
}

std::string addr_env_expand(const std::string& in)
{
    // HAProxy 2.6 expands environment variables in addresses even outside double quotes:
    // "$NAME" or "${NAME}" (letters, digits, '_'), an unset one gives nothing; there is no
    // default value form here, "${NAME-x}" gives NAME's value followed by "-x}".
    std::string out;
    size_t i = 0;
    while (i < in.size()) {
        if (in[i] != '$') {
            out += in[i++];
            continue;
        }
        size_t b = i + 1;
        bool brace = b < in.size() && in[b] == '{';
        if (brace)
            b++;
        size_t e = b;
        while (e < in.size() && (isalnum((unsigned char)in[e]) || in[e] == '_'))
            e++;
        const std::string name = in.substr(b, e - b);
        if (const char* v = getenv(name.c_str()))
            out += v;
        i = e;
        if (brace && i < in.size() && in[i] == '}')
            i++;
    }
    return out;
}

bool parse_addr(const std::string& spec0, const addr_opts& o, sockaddr_storage& out,
                socklen_t& len, int* inherited_fd, std::string& err)
{
    const std::string spec = spec0.find('$') == std::string::npos ? spec0 : addr_env_expand(spec0);
    std::string s = spec;
    int family = AF_UNSPEC;
    if (s.rfind("ipv4@", 0) == 0) {
        family = AF_INET;
        s = s.substr(5);
    } else if (s.rfind("ipv6@", 0) == 0) {
        family = AF_INET6;
        s = s.substr(5);
    } else if (s.rfind("fd@", 0) == 0) {
        if (!inherited_fd) {
            err = "'fd@' addresses are only valid on 'bind' lines";
            return false;
        }
        std::string n = s.substr(3);
        uint64_t fd;
        if (!cfg::parse_uint(n, INT32_MAX, fd)) {
            err = "invalid file descriptor in '" + spec + "'";
            return false;
        }
        *inherited_fd = (int)fd;
        len = 0;
        return true;
    } else if (o.unix_ok && (s.rfind("unix@", 0) == 0 || s.rfind("abns@", 0) == 0 ||
                             (!s.empty() && s[0] == '/'))) {
        // a UNIX stream socket: a path, or a name in Linux's abstract namespace
        bool abns = s.rfind("abns@", 0) == 0;
        std::string path = s.rfind("unix@", 0) == 0 || abns ? s.substr(5) : s;
        auto* un = reinterpret_cast<sockaddr_un*>(&out);
        size_t room = sizeof(un->sun_path) - 1 - (abns ? 1 : 0);
        if (path.empty() || path.size() > room) {
            err = "address '" + spec + "': " + (path.empty() ? "empty socket name"
                                                             : "socket path too long (at most " +
                                                                   std::to_string(room) + " bytes)");
            return false;
        }
        std::memset(&out, 0, sizeof(out));
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path + (abns ? 1 : 0), path.data(), path.size());
        len = socklen_t(offsetof(sockaddr_un, sun_path) + (abns ? 1 : 0) + path.size() +
                        (abns ? 0 : 1));
        return true;
    } else if (s.rfind("unix@", 0) == 0 || s.rfind("abns@", 0) == 0 || (!s.empty() && s[0] == '/') ||
               s.rfind("sockpair@", 0) == 0 || s.rfind("udp", 0) == 0 || s.rfind("quic", 0) == 0) {
        err = "address '" + spec + "': this address family is not supported yet by portico";
        return false;
    }
    std::string host, port_s;
    if (!s.empty() && s[0] == '[') {
        size_t e = s.find(']');
        if (e == std::string::npos) {
            err = "missing ']' in address '" + spec + "'";
            return false;
        }
        host = s.substr(1, e - 1);
        if (e + 1 < s.size()) {
            if (s[e + 1] != ':') {
                err = "invalid address '" + spec + "'";
                return false;
            }
            port_s = s.substr(e + 2);
        }
    } else {
        size_t c = s.rfind(':');
        if (c == std::string::npos) {
            host = s;
        } else {
            host = s.substr(0, c);
            port_s = s.substr(c + 1);
        }
    }
    uint16_t port = 0;
    if (port_s.empty()) {
        if (o.need_port) {
            err = "missing port in address '" + spec + "'";
            return false;
        }
    } else {
        if (port_s.find('-') != std::string::npos) {
            err = "port ranges ('" + spec + "') are not supported yet by portico";
            return false;
        }
        if (port_s[0] == '+' || port_s[0] == '-') {
            err = "relative ports ('" + spec + "') are not supported yet by portico";
            return false;
        }
        if (!parse_port(port_s, port, err))
            return false;
    }
    std::memset(&out, 0, sizeof(out));
    if (host.empty() || host == "*" || host == "0.0.0.0" || host == "::") {
        if (family == AF_INET6 || host == "::") {
            auto* a6 = reinterpret_cast<sockaddr_in6*>(&out);
            a6->sin6_family = AF_INET6;
            a6->sin6_addr = in6addr_any;
            a6->sin6_port = htons(port);
            len = sizeof(sockaddr_in6);
        } else {
            auto* a4 = reinterpret_cast<sockaddr_in*>(&out);
            a4->sin_family = AF_INET;
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
            a4->sin_port = htons(port);
            len = sizeof(sockaddr_in);
        }
        return true;
    }
    in_addr a4{};
    in6_addr a6{};
    if (family != AF_INET6 && inet_pton(AF_INET, host.c_str(), &a4) == 1) {
        auto* sa = reinterpret_cast<sockaddr_in*>(&out);
        sa->sin_family = AF_INET;
        sa->sin_addr = a4;
        sa->sin_port = htons(port);
        len = sizeof(sockaddr_in);
        return true;
    }
    if (family != AF_INET && inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&out);
        sa->sin6_family = AF_INET6;
        sa->sin6_addr = a6;
        sa->sin6_port = htons(port);
        len = sizeof(sockaddr_in6);
        return true;
    }
    if (!o.resolve) {
        err = "invalid address '" + host + "' in '" + spec + "'";
        return false;
    }
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res) {
        err = "could not resolve address '" + host + "'";
        if (rc != 0)
            err += std::string(": ") + gai_strerror(rc);
        return false;
    }
    std::memcpy(&out, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    if (out.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&out)->sin_port = htons(port);
    else
        reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = htons(port);
    return true;
}

std::string addr_ip(const sockaddr_storage& a)
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, buf, sizeof(buf));
    else if (a.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, buf,
                  sizeof(buf));
    return buf;
}

uint16_t addr_port(const sockaddr_storage& a)
{
    if (a.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
    if (a.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
    return 0;
}

std::string addr_to_string(const sockaddr_storage& a)
{
    if (a.ss_family == AF_INET)
        return addr_ip(a) + ":" + std::to_string(addr_port(a));
    if (a.ss_family == AF_INET6)
        return "[" + addr_ip(a) + "]:" + std::to_string(addr_port(a));
    if (a.ss_family == AF_UNIX) { // as HAProxy's sa2str(): the path, or abns@name
        const auto* un = reinterpret_cast<const sockaddr_un*>(&a);
        if (un->sun_path[0])
            return std::string(un->sun_path, strnlen(un->sun_path, sizeof(un->sun_path)));
        return "abns@" + std::string(un->sun_path + 1,
                                     strnlen(un->sun_path + 1, sizeof(un->sun_path) - 1));
    }
    return "?";
}

} // namespace portico
