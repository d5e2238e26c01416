// SPDX-License-Identifier: MIT
// The crt-list line parser (see crtlist.hpp).
#include "crtlist.hpp"

#include <cctype>

namespace crtlist {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string lower(std::string_view s)
{
    std::string r(s);
    for (char& c : r)
        c = (char)std::tolower((unsigned char)c);
    return r;
}

// Splits <line> into words; a '\' escapes the next character (a space in a file name).
bool split(std::string_view line, std::vector<std::string>& words, std::string& err)
{
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i]))
            i++;
        if (i >= line.size())
            break;
        if (line[i] == '#')
            break; // a comment runs to the end of the line
        std::string w;
        while (i < line.size() && !is_space(line[i])) {
            if (line[i] == '\\') {
                if (i + 1 >= line.size()) {
                    err = "trailing backslash";
                    return false;
                }
                i++;
            } else if (line[i] == '\0') {
                err = "NUL character";
                return false;
            }
            w.push_back(line[i++]);
        }
        words.push_back(std::move(w));
    }
    return true;
}

} // namespace

status parse_line(std::string_view line, entry& out, std::string& err)
{
    out = entry{};
    std::vector<std::string> w;
    if (!split(line, w, err))
        return status::error;
    if (w.empty())
        return status::blank;
    out.file = w[0];
    if (out.file[0] == '[') {
        err = "the line must start with a certificate file name";
        return status::error;
    }
    size_t i = 1;
    if (i < w.size() && !w[i].empty() && w[i][0] == '[') {
        // options: "[opt opt]" possibly glued to the brackets: "[alpn", "h2]"
        std::string first = w[i].substr(1);
        bool closed = false;
        auto take = [&](std::string s) {
            if (!s.empty() && s.back() == ']') {
                s.pop_back();
                closed = true;
            }
            if (s.find_first_of("[]") != std::string::npos) {
                err = "unexpected '[' or ']' in the options";
                return false;
            }
            if (!s.empty())
                out.options.push_back(std::move(s));
            return true;
        };
        if (!take(std::move(first)))
            return status::error;
        for (i++; !closed && i < w.size(); i++)
            if (!take(w[i]))
                return status::error;
        if (!closed) {
            err = "missing ']' after the options";
            return status::error;
        }
    }
    for (; i < w.size(); i++) {
        std::string_view f = w[i];
        bool neg = f[0] == '!';
        if (neg)
            f.remove_prefix(1);
        if (f.empty() || f[0] == '!' || f.find_first_of("[]") != std::string_view::npos) {
            err = "invalid SNI filter '" + w[i] + "'";
            return status::error;
        }
        size_t star = f.find('*');
        // a negative wildcard ("!*", "!*.example.com") is accepted and does nothing but
        // count as a filter, as in HAProxy
        if (star != std::string_view::npos && !(neg && star == 0) &&
            (star != 0 || f.size() < 3 || f[1] != '.' ||
                                               f.find('*', 1) != std::string_view::npos)) {
            err = "invalid wildcard in SNI filter '" + w[i] + "' (only '*.' as a prefix)";
            return status::error;
        }
        (neg ? out.excludes : out.filters).push_back(lower(f));
    }
    return status::ok;
}

bool name_matches(std::string_view filter, std::string_view name)
{
    if (filter.size() >= 2 && filter[0] == '*' && filter[1] == '.') {
        size_t dot = name.find('.');
        if (dot == std::string_view::npos || dot == 0)
            return false;
        return name.substr(dot) == filter.substr(1);
    }
    return filter == name;
}

int sigalgs_mask(const unsigned char* ext, size_t n, bool present)
{
    if (!present)
        return key_rsa;
    if (!ext || n < 2)
        return -1;
    size_t len = size_t(ext[0]) << 8 | ext[1];
    if (len + 2 != n || len % 2)
        return -1;
    int m = 0;
    // TLS 1.2's SignatureAndHashAlgorithm: the second byte is the signature (1 RSA PKCS#1,
    // 3 ECDSA); HAProxy reads TLS 1.3's codes the same way (rsa_pss_* count for neither)
    for (size_t i = 2; i < n && m != 3; i += 2) {
        if (ext[i + 1] == 1)
            m |= 1;
        else if (ext[i + 1] == 3)
            m |= 2;
    }
    return m;
}

long pick(const long found[3], int sigs)
{
    if (sigs < 0)
        sigs = 1;
    if ((sigs & 2) && found[key_ecdsa] >= 0)
        return found[key_ecdsa];
    if ((sigs & 1) && found[key_rsa] >= 0)
        return found[key_rsa];
    if (found[key_other] >= 0)
        return found[key_other];
    return found[key_ecdsa] >= 0 ? found[key_ecdsa] : found[key_rsa];
}

std::string sni_name(const unsigned char* p, size_t n)
{
    if (!p || n < 5)
        return {};
    size_t list = size_t(p[0]) << 8 | p[1];
    if (list + 2 != n || p[2] != 0 /* host_name */)
        return {};
    size_t len = size_t(p[3]) << 8 | p[4];
    if (!len || len + 5 > n)
        return {};
    std::string name(reinterpret_cast<const char*>(p + 5), len);
    if (name.find('\0') != std::string::npos)
        return {};
    for (char& ch : name)
        if (ch >= 'A' && ch <= 'Z')
            ch = char(ch - 'A' + 'a');
    if (name.back() == '.')
        name.pop_back();
    return name;
}

} // namespace crtlist
