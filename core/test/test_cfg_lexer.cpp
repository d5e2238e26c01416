// SPDX-License-Identifier: MIT
// Unit tests for the configuration line tokenizer (quoting, escaping, variables, comments).
#define BOOST_TEST_MODULE cfg_lexer
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <map>

#include <arpa/inet.h>

#include "cfg/lexer.hpp"
#include "proxy/addr.hpp"

using namespace portico::cfg;
using words = std::vector<std::string>;

namespace {

const std::map<std::string, std::string> vars = {
    {"HOST", "10.0.0.1"}, {"EMPTY", ""}, {"LIST", "a  b c"}, {"LEAD", " x"},
    {".LINE", "42"},
};

const char *fake_getenv(const std::string &n)
{
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
}

words lex(std::string_view line, bool comments = true)
{
    words w;
    std::string err;
    BOOST_TEST_INFO("line: " << line);
    BOOST_REQUIRE_MESSAGE(tokenize(line, w, err, fake_getenv, comments), err);
    return w;
}

std::string lex_err(std::string_view line)
{
    words w;
    std::string err;
    BOOST_TEST_INFO("line: " << line);
    BOOST_REQUIRE(!tokenize(line, w, err, fake_getenv));
    return err;
}

} // namespace

BOOST_AUTO_TEST_CASE(blanks_and_comments)
{
    BOOST_TEST(lex("") == words{});
    BOOST_TEST(lex("   \t ") == words{});
    BOOST_TEST(lex("  # only a comment") == words{});
    BOOST_TEST(lex("\tbind  :80\t ssl ") == (words{"bind", ":80", "ssl"}));
    BOOST_TEST(lex("global#this is the global section") == words{"global"});
    BOOST_TEST(lex("mode http   # or tcp") == (words{"mode", "http"}));
    BOOST_TEST(lex("a b\r\n") == (words{"a", "b"}));
    BOOST_TEST(lex("a\rb") == words{"a"});
    BOOST_TEST(lex("x#y", false) == words{"x#y"});
}

BOOST_AUTO_TEST_CASE(escapes)
{
    BOOST_TEST(lex(R"(a\ b)") == words{"a b"});
    BOOST_TEST(lex(R"(a\#b)") == words{"a#b"});
    BOOST_TEST(lex(R"(a\\b)") == words{R"(a\b)"});
    BOOST_TEST(lex(R"(a\'b\"c)") == words{R"(a'b"c)"});
    BOOST_TEST(lex(R"(\t\n\r)") == words{"\t\n\r"});
    BOOST_TEST(lex(R"(\x41\x7a\x20)") == words{"Az "});
    // unknown escapes keep the backslash; "\$" is only an escape inside double quotes
    BOOST_TEST(lex(R"(a\qb \1)") == (words{R"(a\qb)", R"(\1)"}));
    BOOST_TEST(lex(R"(a\$b)") == words{R"(a\$b)"});
    BOOST_TEST(lex(R"("a\$b")") == words{"a$b"});
    BOOST_TEST(lex("a\\") == words{"a\\"});
    // without comment support "\#" is not an escape
    BOOST_TEST(lex(R"(a\#b)", false) == words{R"(a\#b)"});
}

BOOST_AUTO_TEST_CASE(quotes)
{
    BOOST_TEST(lex(R"("a b" 'c d')") == (words{"a b", "c d"}));
    BOOST_TEST(lex(R"(a"b c"d)") == words{"ab cd"});
    BOOST_TEST(lex(R"('a\"b' 'x#y' "x#y")") == (words{R"(a\"b)", "x#y", "x#y"}));
    BOOST_TEST(lex(R"("it's" '"q"')") == (words{"it's", R"("q")"}));
    BOOST_TEST(lex(R"('$HOST' $HOST)") == (words{"$HOST", "$HOST"}));
    BOOST_TEST(lex(R"("a\"b" "\\")") == (words{R"(a"b)", R"(\)"}));
    BOOST_TEST(lex(R"('\\')") == words{R"(\\)"});
    // the doc's equivalent log-format spellings
    const words lf{"log-format", "%{+Q}o %t %s %{-Q}r"};
    BOOST_TEST(lex(R"(log-format %{+Q}o\ %t\ %s\ %{-Q}r)") == lf);
    BOOST_TEST(lex(R"(log-format "%{+Q}o %t %s %{-Q}r")") == lf);
    BOOST_TEST(lex(R"(log-format '%{+Q}o %t %s %{-Q}r')") == lf);
    BOOST_TEST(lex(R"(log-format "%{+Q}o %t"' %s %{-Q}r')") == lf);
    BOOST_TEST(lex(R"(log-format "%{+Q}o %t"' %s'\ %{-Q}r)") == lf);
}

BOOST_AUTO_TEST_CASE(empty_words)
{
    BOOST_TEST(lex(R"("" x)") == (words{"", "x"}));
    BOOST_TEST(lex(R"(a "" b)") == (words{"a", "", "b"}));
    // HAProxy drops an empty last word
    BOOST_TEST(lex(R"(a "")") == words{"a"});
    BOOST_TEST(lex(R"("")") == words{});
}

BOOST_AUTO_TEST_CASE(variables)
{
    BOOST_TEST(lex(R"(bind "fd@${HOST}")") == (words{"bind", "fd@10.0.0.1"}));
    BOOST_TEST(lex(R"("$HOST:80")") == words{"10.0.0.1:80"});
    BOOST_TEST(lex(R"("$HOST.x")") == words{"10.0.0.1.x"});
    BOOST_TEST(lex(R"("x${UNSET}y")") == words{"xy"});
    BOOST_TEST(lex(R"("x$UNSET")") == words{"x"});
    BOOST_TEST(lex(R"("${UNSET-127.0.0.1}:514")") == words{"127.0.0.1:514"});
    BOOST_TEST(lex(R"("${HOST-127.0.0.1}")") == words{"10.0.0.1"});
    // defaults replace unset variables only, not empty ones
    BOOST_TEST(lex(R"("<${EMPTY-d}>")") == words{"<>"});
    BOOST_TEST(lex(R"("${UNSET-a b}")") == words{"a b"});
    BOOST_TEST(lex(R"("${.LINE}" "$.LINE")") == (words{"42", "42"}));
    // word expansion
    BOOST_TEST(lex(R"(s "${LIST[*]}" e)") == (words{"s", "a", "b", "c", "e"}));
    BOOST_TEST(lex(R"("p${LIST[*]}q")") == (words{"pa", "b", "cq"}));
    BOOST_TEST(lex(R"("${LIST}")") == words{"a  b c"});
    BOOST_TEST(lex(R"(k "${LEAD[*]}")") == (words{"k", "", "x"}));
    // not expanded outside double quotes
    BOOST_TEST(lex(R"(${HOST})") == words{"${HOST}"});
    BOOST_TEST(lex("'${HOST}'") == words{"${HOST}"});
}

BOOST_AUTO_TEST_CASE(errors)
{
    BOOST_TEST(lex_err(R"(.notice "unterminated)") == "unmatched quote at position 9");
    BOOST_TEST(lex_err("a 'b") == "unmatched quote at position 3");
    BOOST_TEST(lex_err(R"(.notice "a\x4")") ==
               "truncated or invalid hexadecimal sequence at position 11");
    BOOST_TEST(lex_err(R"(a\xg0)") == "truncated or invalid hexadecimal sequence at position 2");
    BOOST_TEST(lex_err(R"(.notice "$1")") ==
               "forbidden first char in environment variable name at position 11");
    BOOST_TEST(lex_err(R"("$")") ==
               "forbidden first char in environment variable name at position 3");
    BOOST_TEST(lex_err(R"(.notice "${A")") ==
               "unmatched brace in environment variable name at position 11");
    // "${VAR:-x}" is a shell form HAProxy does not support
    BOOST_TEST(lex_err(R"(.notice "x${HOME:-d}y")") ==
               "unmatched brace in environment variable name at position 12");
    BOOST_TEST(lex_err(R"("${LIST[x]}")") ==
               "truncated or invalid word expansion sequence at position 8");
    BOOST_TEST(lex_err(R"("${.NOPE}")") ==
               "unknown pseudo-variable '.NOPE' at position 4");
}

// Found by fuzz_cfg_lexer: a "${VAR-default}" default value took its closing brace from after
// the end of the line (CR, LF or NUL), so the rest of the buffer changed the result.
BOOST_AUTO_TEST_CASE(default_value_stops_at_end_of_line)
{
    for (const std::string& line : {std::string("\"${E-\n}\""), std::string("\"${E-\r}\""),
                                   std::string("\"${E-\0}\"", 8)}) {
        words w;
        std::string err;
        BOOST_TEST(!tokenize(line, w, err, fake_getenv));
        BOOST_TEST(err == "unmatched brace in environment variable name at position 3");
    }
    BOOST_TEST(lex("\"${E-x}\"\n") == words{"x"});
}

BOOST_AUTO_TEST_CASE(default_getenv)
{
    setenv("PORTICO_LEX_TEST", "v", 1);
    words w;
    std::string err;
    BOOST_TEST(tokenize(R"("$PORTICO_LEX_TEST")", w, err, nullptr));
    BOOST_TEST(w == words{"v"});
    BOOST_TEST(!tokenize(R"("$.LINE")", w, err, nullptr));
    BOOST_TEST(join_words(words{"a", "b", "c"}, 1) == "b c");
}

BOOST_AUTO_TEST_CASE(address_env_expansion)
{
    // HAProxy expands variables in addresses even outside quotes ("bind $ADDR")
    setenv("PTC_T_HOST", "10.1.2.3", 1);
    setenv("PTC_T_PORT", "8443", 1);
    unsetenv("PTC_T_UNSET");
    BOOST_TEST(portico::addr_env_expand("$PTC_T_HOST:$PTC_T_PORT") == "10.1.2.3:8443");
    BOOST_TEST(portico::addr_env_expand("${PTC_T_HOST}:80") == "10.1.2.3:80");
    BOOST_TEST(portico::addr_env_expand("ipv4@${PTC_T_HOST}x") == "ipv4@10.1.2.3x");
    BOOST_TEST(portico::addr_env_expand("*:$PTC_T_UNSET") == "*:");
    BOOST_TEST(portico::addr_env_expand("${PTC_T_UNSET-1}") == "-1}"); // no default form here
    BOOST_TEST(portico::addr_env_expand("1.2.3.4:80") == "1.2.3.4:80");
    sockaddr_storage ss;
    socklen_t len;
    std::string err;
    BOOST_TEST(portico::parse_addr("$PTC_T_HOST:${PTC_T_PORT}", portico::addr_opts{}, ss, len,
                                   nullptr, err));
    BOOST_TEST(ntohs(reinterpret_cast<sockaddr_in&>(ss).sin_port) == 8443);
}
