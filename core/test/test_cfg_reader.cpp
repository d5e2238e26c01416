// SPDX-License-Identifier: MIT
// Unit tests for the configuration reader: .if blocks, directives, files and directories.
#define BOOST_TEST_MODULE cfg_reader
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "cfg/reader.hpp"

using namespace portico::cfg;
namespace fs = std::filesystem;
using words = std::vector<std::string>;

namespace {

const std::map<std::string, std::string> vars = {{"A", "1"}, {"B", "0"}, {"MODE", "http"}};

cond_env make_env()
{
    cond_env env;
    env.compat_version = "2.6.0";
    env.has_feature = [](std::string_view f) { return f == "OPENSSL"; };
    env.getenv_fn = [](const std::string &n) -> const char * {
        auto it = vars.find(n);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
    return env;
}

struct result {
    bool ok;
    std::vector<line> lines;
    std::vector<diag> diags;

    // "lineno:arg0 arg1..." per output line, for compact comparisons
    std::vector<std::string> summary() const
    {
        std::vector<std::string> v;
        for (const line &l : lines) {
            std::string s = std::to_string(l.lineno) + ":";
            for (size_t i = 0; i < l.args.size(); i++)
                s += (i ? " " : "") + l.args[i];
            v.push_back(s);
        }
        return v;
    }
    bool has_diag(int lineno, const std::string &msg, bool err = true) const
    {
        for (const diag &d : diags)
            if (d.lineno == lineno && d.msg == msg && d.is_error == err)
                return true;
        return false;
    }
};

result rd(const std::string &text)
{
    result r;
    r.ok = read_string(text, "t.cfg", make_env(), r.lines, r.diags);
    return r;
}

struct tmpdir {
    fs::path path;
    tmpdir()
    {
        char tmpl[] = "/tmp/portico-cfg-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~tmpdir() { fs::remove_all(path); }
    void write(const std::string &name, const std::string &text) const
    {
        std::ofstream(path / name) << text;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(plain_lines)
{
    const result r = rd("# comment\n"
                        "global\n"
                        "\n"
                        "    maxconn 100   # trailing\n"
                        "   \t\n"
                        "\"\" ignored because first word is empty\n"
                        "defaults\n"
                        "    mode \"$MODE\"\n");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.diags.empty());
    BOOST_TEST(r.summary() == (words{"2:global", "4:maxconn 100", "7:defaults", "8:mode http"}));
    BOOST_TEST(r.lines[0].file == "t.cfg");
}

BOOST_AUTO_TEST_CASE(crlf_and_missing_lf)
{
    result r = rd("global\r\n  daemon\r\n");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.summary() == (words{"1:global", "2:daemon"}));

    r = rd("global\n  maxconn 10");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.has_diag(
        2, "Missing LF on last line, file might have been truncated at position 13."));
    BOOST_TEST(rd("").ok);
}

BOOST_AUTO_TEST_CASE(pseudo_variables)
{
    const result r = rd("global\n"
                        "  x \"$.FILE:$.LINE\" \"${.SECTION}\"\n"
                        "backend be1\n"
                        "  y \"${.SECTION}\"\n");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.summary() == (words{"1:global", "2:x t.cfg:2 global", "3:backend be1",
                                     "4:y be1"}));
}

BOOST_AUTO_TEST_CASE(if_predicates)
{
    const result r = rd(".if defined(A)\n"           // 1 true
                        "a1\n"
                        ".endif\n"
                        ".if defined(NOPE)\n"         // 4 false
                        "a2\n"
                        ".endif\n"
                        ".if feature(OPENSSL)\n"      // 7 true
                        "a3\n"
                        ".endif\n"
                        ".if streq(\"$MODE\",http)\n" // 10 true
                        "a4\n"
                        ".endif\n"
                        ".if strneq(\"$MODE\",http)\n" // 13 false
                        "a5\n"
                        ".endif\n"
                        ".if version_atleast(2.4-dev19) && version_before(2.7)\n"
                        "a6\n"
                        ".endif\n"
                        ".if \"${B}\"\n"              // 19 false
                        "a7\n"
                        ".endif\n"
                        ".if\n"                       // 22 empty = false
                        "a8\n"
                        ".endif # comment\n"
                        ".if streq(a   b,a\tb)  # re-joined with single spaces\n"
                        "a9\n"
                        ".endif\n");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.summary() == (words{"2:a1", "8:a3", "11:a4", "17:a6", "26:a9"}));
}

BOOST_AUTO_TEST_CASE(elif_else_chains)
{
    auto chain = [](const char *a, const char *b, const char *c) {
        return rd(std::string(".if ") + a + "\n x1\n.elif " + b + "\n x2\n.elif " + c +
                  "\n x3\n.else\n x4\n.endif\n")
            .summary();
    };
    BOOST_TEST(chain("1", "1", "1") == words{"2:x1"});
    BOOST_TEST(chain("0", "1", "1") == words{"4:x2"});
    BOOST_TEST(chain("0", "0", "1") == words{"6:x3"});
    BOOST_TEST(chain("0", "0", "0") == words{"8:x4"});
}

BOOST_AUTO_TEST_CASE(nested_blocks)
{
    const result r = rd(".if \"${A}\"\n"     // 1 true
                        "  .if \"${B}\"\n"   // 2 false
                        "    n1\n"
                        "  .elif 1\n"
                        "    n2\n"           // 5 taken
                        "    .if 0\n"
                        "      n3\n"
                        "    .else\n"
                        "      n4\n"         // 9 taken
                        "    .endif\n"
                        "  .else\n"
                        "    n5\n"
                        "  .endif\n"
                        ".else\n"
                        "  .if 1\n"          // inside a dropped branch: not evaluated
                        "    n6\n"
                        "  .else\n"
                        "    n7\n"
                        "  .endif\n"
                        "  .if bogus(\n"     // not evaluated either
                        "  .endif\n"
                        "  .alert \"hidden\"\n"
                        "  .unknown\n"
                        ".endif\n"
                        "end\n");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.diags.empty());
    BOOST_TEST(r.summary() == (words{"5:n2", "9:n4", "25:end"}));
}

BOOST_AUTO_TEST_CASE(dropped_lines_are_still_tokenized)
{
    const result r = rd(".if 0\n  x \"unterminated\n.endif\nok\n");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.has_diag(2, "unmatched quote at position 5."));
    BOOST_TEST(r.summary() == words{"4:ok"});
}

BOOST_AUTO_TEST_CASE(unbalanced_blocks)
{
    result r = rd("a\n.if 1\n  .if 0\n  .endif\nb\n\n");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.has_diag(2, "non-terminated '.if' block."));

    r = rd("a\n.if 1\n.if 0\n");
    BOOST_TEST(r.has_diag(3, "non-terminated '.if' block."));

    r = rd("a\n.endif\nb\n");
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.has_diag(2, "lone '.endif' with no matching '.if'."));
    BOOST_TEST(r.summary() == words{"1:a"}); // reading stops, like HAProxy

    BOOST_TEST(rd(".else\n").has_diag(1, "lone '.else' with no matching '.if'."));
    BOOST_TEST(rd(".elif 1\n").has_diag(1, "lone '.elif' with no matching '.if'."));
    BOOST_TEST(rd(".if 1\n.else\n.elif 1\n.endif\n")
                   .has_diag(3, "'.elif' after '.else' is not permitted."));
    BOOST_TEST(rd(".if 1\n.else\n.else\n.endif\n")
                   .has_diag(3, "'.else' after '.else' is not permitted."));
    BOOST_TEST(rd(".if 1\n.else x\n.endif\n")
                   .has_diag(2, "Unexpected argument 'x' for '.else'."));
    BOOST_TEST(rd(".if 1\n.endif x\n").has_diag(2, "Unexpected argument 'x' for '.endif'."));
    BOOST_TEST(rd(".if foo\n.endif\n")
                   .has_diag(1, "unparsable conditional expression 'foo' in '.if'."));
    BOOST_TEST(rd(".if 0\n.elif 1x\n.endif\n")
                   .has_diag(2, "unexpected character 'x' at the end of conditional "
                                "expression '1x' in '.elif'."));
}

BOOST_AUTO_TEST_CASE(message_directives)
{
    const result r = rd(".diag \"d\"\n"
                        ".notice \"n\"\n"
                        ".warning \"w m\"\n"
                        ".notice too many\n"
                        "x\n");
    BOOST_TEST(!r.ok);
    BOOST_REQUIRE(r.diags.size() == 4u);
    BOOST_TEST((r.diags[0].level == diag_level::diag && r.diags[0].msg == "'d'." &&
                !r.diags[0].is_error));
    BOOST_TEST((r.diags[1].level == diag_level::notice && r.diags[1].msg == "'n'."));
    BOOST_TEST((r.diags[2].level == diag_level::warning && r.diags[2].msg == "'w m'."));
    BOOST_TEST(r.has_diag(4, "Unexpected argument 'many' for '.notice'. Use quotes if the "
                             "message should contain spaces."));
    BOOST_TEST(r.summary() == words{"5:x"});

    const result a = rd("a\n.alert \"stop here\"\nb\n");
    BOOST_TEST(!a.ok);
    BOOST_TEST(a.has_diag(2, "'stop here'."));
    BOOST_TEST(a.summary() == words{"1:a"});

    const result u = rd(".foo\nb\n");
    BOOST_TEST(u.has_diag(1, "unknown directive '.foo'."));
    BOOST_TEST(u.summary().empty());

    BOOST_TEST(rd(".warning \"only a warning\"\n").ok);
}

BOOST_AUTO_TEST_CASE(files_and_directories)
{
    tmpdir d;
    fs::create_directory(d.path / "conf.d");
    fs::create_directory(d.path / "conf.d" / "sub.cfg");
    d.write("main.cfg", "global\n  daemon\n");
    d.write("conf.d/20-b.cfg", "backend b\n");
    d.write("conf.d/10-a.cfg", "frontend a\n");
    d.write("conf.d/B-upper.cfg", "backend upper\n");
    d.write("conf.d/.hidden.cfg", "hidden\n");
    d.write("conf.d/notes.txt", "ignored\n");
    d.write("conf.d/x.cfg.bak", "ignored\n");
    d.write("conf.d/x.cfg.cfg", "ignored too (HAProxy looks at the first .cfg)\n");
    d.write("last.cfg", ".if 1\nlisten l\n.endif\n");

    std::vector<line> out;
    std::vector<diag> diags;
    const std::string main = (d.path / "main.cfg").string();
    const std::string dir = (d.path / "conf.d").string();
    const std::string last = (d.path / "last.cfg").string();
    BOOST_TEST(read_files({main, dir, last}, make_env(), out, diags));
    BOOST_TEST(diags.empty());
    words got;
    for (const line &l : out)
        got.push_back(fs::path(l.file).filename().string() + ":" + std::to_string(l.lineno) +
                      ":" + l.args[0]);
    BOOST_TEST(got == (words{"main.cfg:1:global", "main.cfg:2:daemon", "10-a.cfg:1:frontend",
                             "20-b.cfg:1:backend", "B-upper.cfg:1:backend",
                             "last.cfg:2:listen"}));
    BOOST_TEST(out[2].file == dir + "/10-a.cfg");

    // a .if must be closed in the file that opened it
    d.write("open.cfg", ".if 1\n");
    d.write("close.cfg", ".endif\n");
    out.clear();
    diags.clear();
    BOOST_TEST(!read_files({(d.path / "open.cfg").string(), (d.path / "close.cfg").string()},
                           make_env(), out, diags));
    BOOST_REQUIRE(!diags.empty());
    BOOST_TEST(diags[0].msg == "non-terminated '.if' block.");
    BOOST_TEST(diags[0].lineno == 1);

    out.clear();
    diags.clear();
    BOOST_TEST(!read_files({(d.path / "missing.cfg").string()}, make_env(), out, diags));
    BOOST_REQUIRE(diags.size() == 1u);
    BOOST_TEST(diags[0].msg.find("Cannot open configuration file/directory") == 0u);
}
