// SPDX-License-Identifier: MIT
// Splits one configuration line into words with HAProxy's quoting, escaping and "${VAR}" rules.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace portico::cfg {

struct lex_error {
    std::string msg; // message without file/line, e.g. "unmatched quote at position 9"
};

// Looks a variable up; returns nullptr when it is not set. Names starting with '.' are
// pseudo-variables (".FILE", ".LINE", ".SECTION"); returning nullptr for them is an error.
using getenv_func = std::function<const char *(const std::string &)>;

// Splits <line> (one physical line, without or with its trailing LF/CR) into <words>,
// following HAProxy 2.6 (configuration.txt 2.2 and 2.3):
//  - leading blanks are skipped, runs of unquoted blanks separate words;
//  - an unquoted, unescaped '#' starts a comment (only when <comments> is true);
//  - a CR, LF or NUL ends the line;
//  - backslash escapes outside single quotes: "\ " "\\" "\t" "\n" "\r" "\#" "\'" "\""
//    and "\xHH"; "\$" only inside double quotes; any other backslash is kept as is;
//  - double quotes: blanks, '#' and "'" lose their meaning, "$NAME", "${NAME}",
//    "${NAME-default}" and "${NAME[*]}" (one word per blank-separated item) are expanded;
//    an unset variable expands to nothing unless a default is given;
//  - single quotes: everything literal. An unquoted '$' is literal.
//  - an empty word is kept ("" x gives {"", "x"}) except as the last word of the line, which
//    HAProxy drops; a line whose first word is empty is treated as empty by the reader.
// <getenv_fn> may be empty, then ::getenv is used (pseudo-variables are then rejected).
// Returns false with <err> set (HAProxy wording, 1-based position in <line>) on an
// unmatched quote or brace, a bad variable name, a bad \x sequence or a bad [*] suffix.
bool tokenize(std::string_view line, std::vector<std::string> &words, std::string &err,
              const getenv_func &getenv_fn, bool comments = true);

// Joins <words> from index <first> with single spaces (how ".if" conditions are rebuilt).
std::string join_words(const std::vector<std::string> &words, size_t first);

} // namespace portico::cfg
