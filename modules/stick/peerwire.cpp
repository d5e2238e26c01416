// SPDX-License-Identifier: MIT
// HAProxy's peers protocol wire encoding.
#include "peerwire.hpp"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

namespace stick::peerwire {

void put_varint(std::string& out, uint64_t v)
{
    if (v < 0xf0) {
        out.push_back(char(v));
        return;
    }
    out.push_back(char(uint8_t(v) | 0xf0));
    v = (v - 0xf0) >> 4;
    while (v >= 0x80) {
        out.push_back(char(uint8_t(v) | 0x80));
        v = (v - 0x80) >> 7;
    }
    out.push_back(char(v));
}

bool get_varint(const unsigned char** pp, const unsigned char* end, uint64_t* out)
{
    const unsigned char* p = *pp;
    if (p >= end)
        return false;
    uint64_t v = *p++;
    if (v >= 0xf0) {
        int shift = 4;
        for (;;) {
            if (p >= end || shift > 63)
                return false;
            uint8_t b = *p++;
            v += uint64_t(b) << shift;
            shift += 7;
            if (b < 0x80)
                break;
        }
    }
    *pp = p;
    *out = v;
    return true;
}

void put_u32(std::string& out, uint32_t v)
{
    out.push_back(char(v >> 24));
    out.push_back(char(v >> 16));
    out.push_back(char(v >> 8));
    out.push_back(char(v));
}

bool get_u32(const unsigned char** pp, const unsigned char* end, uint32_t* v)
{
    if (end - *pp < 4)
        return false;
    const unsigned char* p = *pp;
    *v = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    *pp += 4;
    return true;
}

std::string message(uint8_t cls, uint8_t type, const std::string& payload)
{
    std::string m;
    m.push_back(char(cls));
    m.push_back(char(type));
    if (type & 0x80) {
        put_varint(m, payload.size());
        m += payload;
    }
    return m;
}

int next_message(const unsigned char* p, const unsigned char* end, size_t max, uint8_t* cls,
                 uint8_t* type, const unsigned char** payload, size_t* len, size_t* used)
{
    if (end - p < 2)
        return 0;
    *cls = p[0];
    *type = p[1];
    const unsigned char* q = p + 2;
    if (!(p[1] & 0x80)) {
        *payload = q;
        *len = 0;
        *used = 2;
        return 1;
    }
    uint64_t n = 0;
    if (!get_varint(&q, end, &n))
        return end - q > 10 ? -1 : 0;
    if (n > max)
        return -1;
    if (uint64_t(end - q) < n)
        return 0;
    *payload = q;
    *len = size_t(n);
    *used = size_t(q - p) + size_t(n);
    return 1;
}

std::string env_expand(std::string_view in)
{
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
        std::string name(in.substr(b, e - b));
        if (const char* v = name.empty() ? nullptr : getenv(name.c_str()))
            out += v;
        i = e;
        if (brace && i < in.size() && in[i] == '}')
            i++;
    }
    return out;
}

bool parse_addr(std::string_view a0, struct sockaddr_storage* ss, socklen_t* len, bool port_optional)
{
    std::string ex = a0.find('$') == std::string_view::npos ? std::string() : env_expand(a0);
    std::string_view a = a0.find('$') == std::string_view::npos ? a0 : std::string_view(ex);
    int fam = 0;
    if (a.substr(0, 5) == "ipv4@") {
        fam = AF_INET;
        a.remove_prefix(5);
    } else if (a.substr(0, 5) == "ipv6@") {
        fam = AF_INET6;
        a.remove_prefix(5);
    }
    size_t c = a.rfind(':');
    if (c == std::string_view::npos && !port_optional)
        return false;
    if (c != std::string_view::npos && a.find(']') != std::string_view::npos && c < a.find(']'))
        c = std::string_view::npos; // "[::1]": no port
    std::string h(a.substr(0, c)), p(c == std::string_view::npos ? "" : a.substr(c + 1));
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
        h = h.substr(1, h.size() - 2);
    else if (h.find(':') != std::string::npos)
        return false; // an IPv6 address needs its brackets
    if (h.empty() || h == "*")
        h = fam == AF_INET6 ? "::" : "0.0.0.0";
    long port = 0;
    if (!p.empty() || !port_optional) {
        if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
            return false;
        port = strtol(p.c_str(), nullptr, 10);
        if ((port <= 0 && !port_optional) || port > 65535)
            return false;
    }
    memset(ss, 0, sizeof(*ss));
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
    if (fam != AF_INET6 && inet_pton(AF_INET, h.c_str(), &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(uint16_t(port));
        *len = sizeof(sockaddr_in);
        return true;
    }
    if (fam != AF_INET && inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(uint16_t(port));
        *len = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

int parse_hello(const char* p, size_t n, hello* h, size_t* used)
{
    std::string_view l[3];
    size_t off = 0;
    for (auto& line : l) {
        const void* nl = off < n ? memchr(p + off, '\n', n - off) : nullptr;
        if (!nl)
            return n > 1024 ? -1 : 0;
        size_t ll = size_t(static_cast<const char*>(nl) - (p + off));
        line = std::string_view(p + off, ll);
        off += ll + 1;
    }
    if (off > 1024) // the same verdict whether the lines came in one read or in several
        return -1;
    *used = off;
    *h = hello{0, l[1], {}, false};
    std::string_view v = l[0];
    if (v.substr(0, 9) != "HAProxyS ") {
        h->status = 501;
        return 1;
    }
    v.remove_prefix(9);
    size_t dot = v.find('.');
    std::string_view maj = v.substr(0, dot), min = dot == std::string_view::npos ? "" : v.substr(dot + 1);
    auto digits = [](std::string_view d) {
        return !d.empty() && d.size() < 6 && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    if (!digits(maj) || !digits(min) || maj != "2" || strtol(std::string(min).c_str(), nullptr, 10) > 1) {
        h->status = 502;
        return 1;
    }
    size_t sp = l[2].find(' ');
    h->bad_last = sp == std::string_view::npos;
    h->peer = l[2].substr(0, sp);
    return 1;
}

std::string log_line_error(const std::vector<std::string_view>& w)
{
    static const char* const facilities[] = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
                                             "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
                                             "alert", "cron2", "local0", "local1", "local2", "local3",
                                             "local4", "local5", "local6", "local7"};
    static const char* const levels[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    auto in = [](std::string_view x, const char* const* l, size_t n) {
        for (size_t i = 0; i < n; i++)
            if (x == l[i])
                return true;
        return false;
    };
    if (w.size() >= 2 && w[1] == "global")
        return std::string();
    size_t i = 2;
    while (i + 1 < w.size() && (w[i] == "len" || w[i] == "format" || w[i] == "sample"))
        i += 2;
    if (w.size() < 2 || w[1].empty() || i >= w.size())
        return "log : expects <address> and <facility> or global as arguments";
    if (!in(w[i], facilities, sizeof(facilities) / sizeof(*facilities)))
        return "log : unknown log facility '" + std::string(w[i]) + "'";
    if (++i < w.size() && !in(w[i], levels, 8))
        return "log : unknown optional log level '" + std::string(w[i]) + "'";
    if (++i < w.size() && !in(w[i], levels, 8))
        return "log : unknown optional minimum log level '" + std::string(w[i]) + "'";
    if (++i < w.size())
        return "log : cannot handle unexpected argument '" + std::string(w[i]) + "'";
    return std::string();
}

std::string human_ms(uint64_t ms)
{
    uint64_t t = ms / 1000;
    std::string o;
    int cnt = 2;
    if (t >= 86400) {
        o += std::to_string(t / 86400) + "d";
        cnt--;
    }
    if (cnt && t % 86400 / 3600) {
        o += std::to_string(t % 86400 / 3600) + "h";
        cnt--;
    }
    if (cnt && t % 3600 / 60) {
        o += std::to_string(t % 3600 / 60) + "m";
        cnt--;
    }
    if ((cnt && t % 60) || !t)
        o += std::to_string(t % 60) + "s";
    return o;
}

} // namespace stick::peerwire
