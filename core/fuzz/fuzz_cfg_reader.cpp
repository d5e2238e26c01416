// SPDX-License-Identifier: MIT
// libFuzzer target for the configuration reader (cfg/reader: logical lines, comments,
// ".if/.elif/.else/.endif" blocks, ".diag/.notice/.warning/.alert" directives). Input: a
// whole configuration file. Checks: the result is true exactly when no error was reported;
// every error has a message; every kept line has a non-empty first word, never a directive,
// and a line number inside the file; lines come out in file order; reading is
// deterministic.
#include "cfg/reader.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace portico::cfg;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_cfg_reader: %s\n", what);
    abort();
}

const char* fake_getenv(const std::string& n)
{
    if (n == "HOST")
        return "10.0.0.1";
    if (n == "EMPTY")
        return "";
    if (n == "ONE")
        return "1";
    if (n == "LIST")
        return "a  b c";
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

bool same(const std::vector<line>& a, const std::vector<line>& b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++)
        if (a[i].lineno != b[i].lineno || a[i].args != b[i].args)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const std::string_view text((const char*)data, size);
    const int nlines = (int)std::count(text.begin(), text.end(), '\n') + 1;

    std::vector<line> out;
    std::vector<diag> diags;
    bool ok = read_string(text, "fuzz.cfg", env(), out, diags);

    bool has_error = false;
    for (const diag& d : diags) {
        if (d.is_error != (d.level == diag_level::alert))
            fail("diag: is_error and level disagree");
        if (d.is_error)
            has_error = true;
        if (d.msg.empty())
            fail("diag without a message");
        if (d.lineno < 0 || d.lineno > nlines)
            fail("diag line number outside the file");
    }
    if (ok == has_error)
        fail("result disagrees with the errors reported");

    int last = 0;
    for (const line& l : out) {
        if (l.args.empty() || l.args[0].empty())
            fail("kept line with an empty first word");
        const std::string& w = l.args[0];
        if (w == ".if" || w == ".elif" || w == ".else" || w == ".endif" || w == ".diag" ||
            w == ".notice" || w == ".warning" || w == ".alert")
            fail("directive kept as a configuration line");
        if (l.lineno < 1 || l.lineno > nlines)
            fail("kept line number outside the file");
        if (l.lineno <= last)
            fail("kept lines out of order or duplicated");
        last = l.lineno;
        if (l.file != "fuzz.cfg")
            fail("kept line with another file name");
    }

    std::vector<line> out2;
    std::vector<diag> diags2;
    bool ok2 = read_string(text, "fuzz.cfg", env(), out2, diags2);
    if (ok2 != ok || !same(out, out2) || diags2.size() != diags.size())
        fail("reading twice gives another result");
    return 0;
}
