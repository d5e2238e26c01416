// SPDX-License-Identifier: MIT
// HAProxy-compatible configuration line tokenizer.
#include "cfg/lexer.hpp"

#include <cstdlib>

namespace portico::cfg {

namespace {

bool is_blank(char c)
{
    // same set as isspace() minus CR/LF, which end the line before we get here
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string at_pos(const char *what, size_t idx)
{
    return std::string(what) + " at position " + std::to_string(idx + 1);
}

} // namespace

bool tokenize(std::string_view line, std::vector<std::string> &words, std::string &err,
              const getenv_func &getenv_fn, bool comments)
{
    const size_t n = line.size();
    auto at = [&](size_t i) -> char { return i < n ? line[i] : '\0'; };
    std::string cur;
    bool squote = false, dquote = false;
    size_t quote_pos = 0;
    size_t i = 0;

    words.clear();
    while (i < n && (is_blank(line[i])))
        i++;

    while (i < n) {
        const char c = line[i];
        if (c == '\0' || c == '\n' || c == '\r')
            break;
        if (c == '#' && comments && !squote && !dquote)
            break;
        if (c == '"' && !squote) {
            dquote = !dquote;
            quote_pos = i++;
            continue;
        }
        if (c == '\'' && !dquote) {
            squote = !squote;
            quote_pos = i++;
            continue;
        }
        if (c == '\\' && !squote) {
            const char nx = at(i + 1);
            switch (nx) {
            case ' ':
            case '\\':
            case '\'':
            case '"':
                cur += nx;
                i += 2;
                break;
            case 't':
                cur += '\t';
                i += 2;
                break;
            case 'n':
                cur += '\n';
                i += 2;
                break;
            case 'r':
                cur += '\r';
                i += 2;
                break;
            case '#':
                if (comments) {
                    cur += '#';
                    i += 2;
                } else {
                    cur += '\\';
                    i++;
                }
                break;
            case '$':
                if (dquote) {
                    cur += '$';
                    i += 2;
                } else {
                    cur += '\\';
                    i++;
                }
                break;
            case 'x': {
                const int h1 = hex_val(at(i + 2)), h2 = hex_val(at(i + 3));
                if (h1 < 0 || h2 < 0) {
                    err = at_pos("truncated or invalid hexadecimal sequence", i);
                    return false;
                }
                cur += static_cast<char>(h1 << 4 | h2);
                i += 4;
                break;
            }
            default: // not an escape sequence: the backslash stays
                cur += '\\';
                i++;
                break;
            }
            continue;
        }
        if (is_blank(c) && !squote && !dquote) {
            while (i < n && is_blank(line[i]))
                i++;
            words.push_back(std::move(cur));
            cur.clear();
            continue;
        }
        if (c == '$' && dquote) {
            size_t j = i + 1;
            size_t brace = std::string::npos;
            if (at(j) == '{')
                brace = j++;
            const char first = at(j);
            if (!is_alpha(first) && first != '_' && first != '.') {
                err = at_pos("forbidden first char in environment variable name", j);
                return false;
            }
            const size_t name_pos = j;
            if (first == '.')
                j++;
            while (is_alnum(at(j)) || at(j) == '_')
                j++;
            const std::string name(line.substr(name_pos, j - name_pos));
            const char *value = getenv_fn ? getenv_fn(name)
                                          : (name[0] == '.' ? nullptr : std::getenv(name.c_str()));
            if (name[0] == '.' && !value) {
                err = at_pos(("unknown pseudo-variable '" + name + "'").c_str(), name_pos);
                return false;
            }
            bool expand = false;
            std::string def_value;
            if (at(j) == '[' && brace != std::string::npos) {
                if (at(j + 1) != '*' || at(j + 2) != ']') {
                    err = at_pos("truncated or invalid word expansion sequence", j);
                    return false;
                }
                expand = true;
                j += 3;
            }
            if (brace != std::string::npos) {
                if (at(j) == '-') {
                    // The default value ends at the brace, which must come before the
                    // end of the line (CR, LF or NUL).
                    const size_t end = line.find('}', j);
                    const size_t eol = line.find_first_of(std::string_view("\r\n\0", 3), j);
                    if (end == std::string_view::npos || eol < end) {
                        err = at_pos("unmatched brace in environment variable name", brace);
                        return false;
                    }
                    if (!value) {
                        def_value = line.substr(j + 1, end - j - 1);
                        value = def_value.c_str();
                    }
                    j = end;
                } else if (at(j) != '}') {
                    err = at_pos("unmatched brace in environment variable name", brace);
                    return false;
                }
                j++; // the closing brace
            }
            for (const char *v = value; v && *v;) {
                if (expand && (is_blank(*v) || *v == '\n' || *v == '\r')) {
                    words.push_back(std::move(cur));
                    cur.clear();
                    while (is_blank(*v) || *v == '\n' || *v == '\r')
                        v++;
                } else {
                    cur += *v++;
                }
            }
            i = j;
            continue;
        }
        cur += c;
        i++;
    }

    if (!cur.empty())
        words.push_back(std::move(cur));
    if (squote || dquote) {
        err = at_pos("unmatched quote", quote_pos);
        return false;
    }
    return true;
}

std::string join_words(const std::vector<std::string> &words, size_t first)
{
    std::string s;
    for (size_t k = first; k < words.size(); k++) {
        if (k > first)
            s += ' ';
        s += words[k];
    }
    return s;
}

} // namespace portico::cfg
