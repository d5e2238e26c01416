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
        if (star != std::string_view::npos && (star != 0 || f.size() < 3 || f[1] != '.' ||
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

} // namespace crtlist
