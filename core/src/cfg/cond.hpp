// SPDX-License-Identifier: MIT
// Evaluator for ".if"/".elif" conditions and the "-cc EXPR" command-line check.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cfg/lexer.hpp"

namespace portico::cfg {

struct line;

struct cond_env {
    std::string compat_version;                          // HAProxy version we claim, "2.6.0"
    std::function<bool(std::string_view)> has_feature;   // feature(NAME); empty = none
    getenv_func getenv_fn;                               // defined(), "${VAR}"; empty = getenv
    std::function<bool(std::string_view)> is_enabled;    // enabled(NAME); empty = none
    // Called by the reader with each line it keeps, as soon as it is read (before the
    // next ".if" is evaluated): the loader applies "module-load" there, so that a module
    // loaded on an earlier line counts for feature(). Empty = none.
    std::function<void(const line&)> on_line;
};

// Evaluates a condition given as the words following ".if"/".elif". As HAProxy does, the
// words are joined with single spaces and the result parsed as one expression:
//   expr := and ['||' expr]      and := term ['&&' and]
//   term := '!'* (INTEGER | '(' expr ')' | PREDICATE '(' args ')')
// INTEGER as strtol(base 0): 0 is false, anything else true; an empty expression is false.
// Predicates (HAProxy 2.6): defined(VAR), feature(NAME), streq(A,B), strneq(A,B),
// version_atleast(V), version_before(V); later HAProxy additions also accepted:
// strstr(HAYSTACK,NEEDLE), enabled(NAME). Arguments follow HAProxy's argument syntax
// (commas separate, quotes and \ escapes, blanks are kept). Versions compare like
// HAProxy's split_version() ("2.4-dev19" < "2.4-rc1" < "2.4" < "2.4.1").
// Returns 1 (true), 0 (false) or -1 with <err> set (HAProxy wording).
int eval_condition(const std::vector<std::string> &words, const cond_env &env,
                   std::string &err);

// Same for a whole string, as given to "-cc": tokenized first (quotes, escapes, "${VAR}",
// no comments), then evaluated. Returns 1, 0 or -1 with <err> set.
int eval_condition_str(std::string_view expr, const cond_env &env, std::string &err);

// Compares two HAProxy-style version strings. Returns -1, 0, 1 (a<b, a==b, a>b), or -2 if
// <a> is not a version, -3 if <b> is not a version.
int compare_versions(std::string_view a, std::string_view b);

} // namespace portico::cfg
