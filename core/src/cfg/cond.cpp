// SPDX-License-Identifier: MIT
// Evaluator for ".if"/".elif" conditions and the "-cc EXPR" command-line check.
#include "cfg/cond.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdlib>
#include <cstring>

namespace portico::cfg {

namespace {

constexpr int max_depth = 1024; // recursion guard, like HAProxy's MAX_CFG_RECURSION

struct predicate {
    const char *name;
    int nargs;
};

constexpr std::array<predicate, 11> predicates = {{
    {"defined", 1},         // environment variable is set
    {"feature", 1},         // build/runtime feature present
    {"streq", 2},           // strings equal
    {"strneq", 2},          // strings differ
    {"version_atleast", 1}, // compat version >= arg
    {"version_before", 1},  // compat version < arg
    {"strstr", 2},          // arg2 found in arg1 (HAProxy 2.8+)
    {"enabled", 1},         // runtime option enabled (HAProxy 3.0+)
    {"openssl_version_atleast", 1}, // the OpenSSL library's version >= arg
    {"openssl_version_before", 1},  // the OpenSSL library's version < arg
    {"ssllib_name_startswith", 1},  // the TLS library's name starts with arg ("OpenSSL")
}};

// An OpenSSL version "M.N.P" (P may end in a letter, as "1.1.1k") against
// the library in use: <0 when <v> is older, 0 the same, >0 newer; false: unparsable.
bool openssl_compare(const std::string &v, int &cmp)
{
    unsigned long part[4] = {0, 0, 0, 0};
    const char *p = v.c_str();
    int n = 0;
    for (int i = 0; i < 3; i++, n++) {
        if (*p < '0' || *p > '9')
            return false;
        char *end;
        part[i] = std::strtoul(p, &end, 10);
        p = end;
        if (i == 2 && *p >= 'a' && *p <= 'z')
            part[3] = (unsigned long)(*p++ - 'a' + 1);
        if (*p != '.') {
            n++;
            break;
        }
        p++;
    }
    if (*p || n != 3)
        return false;
    const unsigned long cur[4] = {OPENSSL_version_major(), OPENSSL_version_minor(),
                                  OPENSSL_version_patch(), 0};
    cmp = 0;
    for (int i = 0; i < 4 && !cmp; i++)
        cmp = part[i] < cur[i] ? -1 : part[i] > cur[i] ? 1 : 0;
    return true;
}

// Splits a version into HAProxy's 7 components; returns false if it is not a version.
bool split_version(std::string_view v, std::array<unsigned long, 7> &val)
{
    val.fill(0);
    val[4] = 3; // release, sorts after dev (1) and rc/pre (2)
    if (v.empty())
        return false;
    const std::string s(v);
    const char *p = s.c_str();
    char *end;

    auto take_number = [&](int idx) {
        val[idx] = std::strtoul(p, &end, 10);
        p = *end ? end + 1 : end;
    };
    int idx = 0;
    for (; idx < 4; idx++) {
        take_number(idx);
        if (*end == '\0')
            return true;
        if (*end == '-' && idx < 3)
            break;
        if (idx == 3 && *end != '-')
            return false;
        if (idx < 3 && *end != '.')
            return false;
    }
    // after '-': optional "devN", "rcN", "preN", then optional "-commits"
    if (!(*p >= '0' && *p <= '9')) {
        size_t skip = 0;
        if (std::strncmp(p, "dev", 3) == 0) {
            val[4] = 1;
            skip = 3;
        } else if (std::strncmp(p, "rc", 2) == 0) {
            val[4] = 2;
            skip = 2;
        } else if (std::strncmp(p, "pre", 3) == 0) {
            val[4] = 2;
            skip = 3;
        }
        if (skip) {
            p += skip;
            take_number(5);
            if (*end == '\0')
                return true;
            if (*end != '-')
                return false;
        }
    }
    const char *dash = std::strrchr(p, '-');
    if (dash) {
        if (dash[1] == '\0')
            return false;
        val[6] = std::strtoul(dash + 1, &end, 10);
        if (*end)
            val[6] = 0;
        return true;
    }
    val[6] = std::strtoul(p, &end, 10);
    if (*end)
        val[6] = 0;
    return true;
}

bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

void skip_ws(const char *&p)
{
    while (is_ws(*p))
        p++;
}

// Recursive-descent parser and evaluator over a NUL-terminated expression. Each parse
// function returns 1 on success (value in <val>, <in> advanced), 0 when there is nothing
// to parse, -1 on error (err_ set). All terms are parsed, so syntax errors are reported
// even where evaluation would short-circuit; predicates have no side effects.
class cond_parser {
public:
    cond_parser(const cond_env &env, std::string &err) : env_(env), err_(err) {}

    int parse_expr(const char *&text, bool &val, int depth);

private:
    int parse_and(const char *&text, bool &val, int depth);
    int parse_term(const char *&text, bool &val, int depth);
    int parse_args(const char *&in, int nargs, std::vector<std::string> &args, int &err_arg);
    bool eval_pred(const predicate &pr, const std::vector<std::string> &args);

    const cond_env &env_;
    std::string &err_;
};

int cond_parser::parse_term(const char *&text, bool &val, int depth)
{
    const char *in = text;
    skip_ws(in);
    if (!*in)
        return 0;
    if (depth <= 0) {
        err_ = std::string("unparsable conditional expression '") + text + "'";
        return -1;
    }

    bool neg = false;
    while (*in == '!') {
        neg = !neg;
        do
            in++;
        while (is_ws(*in));
    }

    char *end;
    const long num = std::strtol(in, &end, 0);
    if (end != in) {
        val = (num != 0) != neg;
        text = end;
        return 1;
    }

    if (*in == '(') {
        do
            in++;
        while (is_ws(*in));
        bool sub = false;
        const int ret = parse_expr(in, sub, depth - 1);
        if (ret < 0)
            return -1;
        if (ret == 0) {
            err_ = std::string("unparsable conditional expression '") + text + "'";
            return -1;
        }
        skip_ws(in);
        if (*in != ')') {
            err_ = std::string("expected ')' after conditional expression '") + text + "'";
            return -1;
        }
        do
            in++;
        while (is_ws(*in));
        val = sub != neg;
        text = in;
        return 1;
    }

    const size_t len = std::strcspn(in, " (");
    for (const predicate &pr : predicates) {
        if (std::strlen(pr.name) != len || std::strncmp(in, pr.name, len) != 0)
            continue;
        std::vector<std::string> args;
        int err_arg = 0;
        const char *p = in + len;
        if (parse_args(p, pr.nargs, args, err_arg) < 0) {
            err_ += " in argument " + std::to_string(err_arg) + " of predicate '" + pr.name +
                    "' used in conditional expression";
            return -1;
        }
        int ocmp = 0;
        if (std::strncmp(pr.name, "openssl_version_", 16) == 0 &&
            !openssl_compare(args[0], ocmp)) {
            err_ = "unparsable OpenSSL version '" + args[0] + "' in predicate '" + pr.name +
                   "' used in conditional expression";
            return -1;
        }
        val = eval_pred(pr, args) != neg;
        text = p;
        return 1;
    }

    err_ = std::string("unparsable conditional expression '") + text + "'";
    return -1;
}

// Parses "(a,b)" after a predicate name, with the rules of HAProxy's argument parser:
// quotes group, backslash escapes \\ \' \" "\ " \r \n \t, an unquoted ',' or ')' ends an
// argument, blanks are kept. Returns the number of arguments or -1 with err_ set.
int cond_parser::parse_args(const char *&in, int nargs, std::vector<std::string> &args,
                            int &err_arg)
{
    const bool empty = (*in != '(');
    if (!empty)
        in++;
    int pos = 0;
    while (pos < nargs) {
        std::string arg;
        bool sq = false, dq = false;
        while (!empty && *in) {
            const char c = *in;
            if (c == '"' && !sq) {
                dq = !dq;
                in++;
            } else if (c == '\'' && !dq) {
                sq = !sq;
                in++;
            } else if (c == '\\' && !sq) {
                const char nx = in[1];
                if (nx == '\0') {
                    err_ = std::string("failed to parse '") + in + "' after '" + arg +
                           "' as type 'string' at position " + std::to_string(pos + 1);
                    err_arg = pos;
                    return -1;
                }
                if (nx == '\\' || nx == ' ' || nx == '"' || nx == '\'') {
                    arg += nx;
                    in += 2;
                } else if (nx == 'r' || nx == 'n' || nx == 't') {
                    arg += nx == 'r' ? '\r' : nx == 'n' ? '\n' : '\t';
                    in += 2;
                } else {
                    arg += '\\';
                    in++;
                }
            } else if (!sq && !dq && (c == ',' || c == ')')) {
                break;
            } else {
                arg += c;
                in++;
            }
        }
        args.push_back(std::move(arg));
        pos++;
        if (empty || !*in || *in == ')' || pos >= nargs)
            break;
        in++; // the comma
    }
    if (pos < nargs) {
        err_ = "missing arguments (got " + std::to_string(pos) + "/" + std::to_string(nargs) +
               "), type 'string' expected";
        err_arg = pos;
        return -1;
    }
    if (empty)
        return pos;
    if (*in == ')') {
        in++;
        err_arg = pos;
        return pos;
    }
    err_ = *in ? std::string("expected ')' before '") + in + "'" : "expected ')'";
    err_arg = pos > 1 ? pos - 1 : pos;
    return -1;
}

bool cond_parser::eval_pred(const predicate &pr, const std::vector<std::string> &args)
{
    const std::string_view name = pr.name;
    if (name == "defined") {
        if (env_.getenv_fn)
            return env_.getenv_fn(args[0]) != nullptr;
        return std::getenv(args[0].c_str()) != nullptr;
    }
    if (name == "feature")
        return env_.has_feature && env_.has_feature(args[0]);
    if (name == "enabled")
        return env_.is_enabled && env_.is_enabled(args[0]);
    if (name == "streq")
        return args[0] == args[1];
    if (name == "strneq")
        return args[0] != args[1];
    if (name == "strstr")
        return args[0].find(args[1]) != std::string::npos;
    if (name == "ssllib_name_startswith")
        return std::string_view(OpenSSL_version(OPENSSL_VERSION)).substr(0, args[0].size()) ==
               args[0];
    if (name == "openssl_version_atleast" || name == "openssl_version_before") {
        int cmp = 0;
        openssl_compare(args[0], cmp); // checked by the caller
        return name == "openssl_version_atleast" ? cmp <= 0 : cmp > 0;
    }
    // version_atleast / version_before: an unparsable version makes "atleast" true and
    // "before" false, as in HAProxy
    const int cmp = compare_versions(args[0], env_.compat_version);
    if (name == "version_atleast")
        return cmp <= 0;
    return cmp > 0;
}

int cond_parser::parse_and(const char *&text, bool &val, int depth)
{
    const char *in = text;
    if (!*in)
        return 0;
    if (depth <= 0) {
        err_ = std::string("unparsable conditional sub-expression '") + in + "'";
        return -1;
    }
    bool left = false;
    int ret = parse_term(in, left, depth - 1);
    if (ret < 0)
        return -1;
    if (ret == 0) {
        err_ = std::string("unparsable conditional sub-expression '") + in + "'";
        return -1;
    }
    skip_ws(in);
    text = in;
    val = left;
    if (in[0] != '&' || in[1] != '&')
        return 1;
    in += 2;
    skip_ws(in);
    bool right = false;
    ret = parse_and(in, right, depth - 1);
    if (ret > 0) {
        text = in;
        val = left && right;
    }
    return ret;
}

int cond_parser::parse_expr(const char *&text, bool &val, int depth)
{
    const char *in = text;
    if (!*in)
        return 0;
    if (depth <= 0) {
        err_ = std::string("unparsable conditional expression '") + in + "'";
        return -1;
    }
    bool left = false;
    int ret = parse_and(in, left, depth - 1);
    if (ret < 0)
        return -1;
    if (ret == 0) {
        err_ = std::string("unparsable conditional expression '") + in + "'";
        return -1;
    }
    skip_ws(in);
    text = in;
    val = left;
    if (in[0] != '|' || in[1] != '|')
        return 1;
    in += 2;
    skip_ws(in);
    bool right = false;
    ret = parse_expr(in, right, depth - 1);
    if (ret > 0) {
        text = in;
        val = left || right;
    }
    return ret;
}

int eval_text(const std::string &expr, const cond_env &env, std::string &err)
{
    if (expr.empty())
        return 0;
    cond_parser parser(env, err);
    const char *text = expr.c_str();
    bool val = false;
    const int ret = parser.parse_expr(text, val, max_depth);
    if (ret < 0)
        return -1;
    if (ret == 0) {
        err = "unparsable conditional expression '" + expr + "'";
        return -1;
    }
    skip_ws(text);
    if (*text) {
        err = std::string("unexpected character '") + *text +
              "' at the end of conditional expression '" + expr + "'";
        return -1;
    }
    return val ? 1 : 0;
}

} // namespace

int compare_versions(std::string_view a, std::string_view b)
{
    std::array<unsigned long, 7> va, vb;
    if (!split_version(a, va))
        return -2;
    if (!split_version(b, vb))
        return -3;
    for (size_t i = 0; i < va.size(); i++) {
        if (va[i] < vb[i])
            return -1;
        if (va[i] > vb[i])
            return 1;
    }
    return 0;
}

int eval_condition(const std::vector<std::string> &words, const cond_env &env,
                   std::string &err)
{
    return eval_text(join_words(words, 0), env, err);
}

int eval_condition_str(std::string_view expr, const cond_env &env, std::string &err)
{
    std::vector<std::string> words;
    std::string lex_err;
    if (!tokenize(expr, words, lex_err, env.getenv_fn, false)) {
        err = lex_err;
        return -1;
    }
    return eval_text(join_words(words, 0), env, err);
}

} // namespace portico::cfg
