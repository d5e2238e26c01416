// SPDX-License-Identifier: MIT
// libFuzzer target for the configuration line tokenizer and the ".if" condition evaluator.
// Input: byte 0 holds options (comments on/off), the rest is one configuration line. Checks:
// an error has a message; the bytes after the first CR/LF/NUL change nothing; a tokenized
// ".if" condition evaluates to 1, 0 or -1 with a message; version comparison is antisymmetric.
#include "cfg/cond.hpp"
#include "cfg/lexer.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace portico::cfg;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_cfg_lexer: %s\n", what);
    abort();
}

const char* fake_getenv(const std::string& n)
{
    if (n == "HOST")
        return "10.0.0.1";
    if (n == "EMPTY")
        return "";
    if (n == "LIST")
        return "a  b c";
    if (n == "LEAD")
        return " x";
    if (n == ".LINE")
        return "42";
    if (n == ".FILE")
        return "fuzz.cfg";
    return nullptr;
}

const cond_env& env()
{
    static const cond_env e = [] {
        cond_env c;
        c.compat_version = "2.6.12";
        c.has_feature = [](std::string_view f) { return f == "OPENSSL" || f == "LUA"; };
        c.getenv_fn = fake_getenv;
        c.is_enabled = [](std::string_view o) { return o == "EPOLL"; };
        return c;
    }();
    return e;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const bool comments = !(data[0] & 1);
    const std::string_view line((const char*)data + 1, size - 1);

    std::vector<std::string> words;
    std::string err;
    bool ok = tokenize(line, words, err, fake_getenv, comments);
    if (!ok && err.empty())
        fail("tokenize error without a message");

    // A CR, LF or NUL ends the line: what follows must not matter.
    size_t eol = line.find_first_of(std::string_view("\r\n\0", 3));
    if (eol != std::string_view::npos) {
        std::vector<std::string> w2;
        std::string e2;
        bool ok2 = tokenize(line.substr(0, eol), w2, e2, fake_getenv, comments);
        if (ok2 != ok || (ok && w2 != words))
            fail("bytes after the end of the line changed the result");
    }
    if (!ok || words.empty())
        return 0;

    // The line as ".if <words...>": the condition is everything after the first word.
    std::string cerr;
    int r = eval_condition(std::vector<std::string>(words.begin() + 1, words.end()), env(), cerr);
    if (r < -1 || r > 1 || (r == -1 && cerr.empty()))
        fail("eval_condition: bad result or error without a message");
    // The same text through the "-cc" path (tokenized again, no comments).
    cerr.clear();
    r = eval_condition_str(line, env(), cerr);
    if (r < -1 || r > 1 || (r == -1 && cerr.empty()))
        fail("eval_condition_str: bad result or error without a message");

    if (words.size() >= 2) {
        int ab = compare_versions(words[0], words[1]);
        int ba = compare_versions(words[1], words[0]);
        if (ab >= -1 && ab <= 1 && ba != -ab)
            fail("compare_versions is not antisymmetric");
        if (compare_versions(words[0], words[0]) > 0 || compare_versions(words[0], words[0]) == -1)
            fail("compare_versions: a version differs from itself");
    }
    return 0;
}
