// SPDX-License-Identifier: MIT
// Unit tests for ".if" condition and "-cc" expression evaluation.
#define BOOST_TEST_MODULE cfg_cond
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <map>

#include "cfg/cond.hpp"

using namespace portico::cfg;

namespace {

const std::map<std::string, std::string> vars = {{"WITH_SSL", "yes"}, {"EMPTY", ""}};

cond_env make_env()
{
    cond_env env;
    env.compat_version = "2.6.12";
    env.has_feature = [](std::string_view f) { return f == "OPENSSL" || f == "LUA"; };
    env.getenv_fn = [](const std::string &n) -> const char * {
        auto it = vars.find(n);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
    env.is_enabled = [](std::string_view o) { return o == "EPOLL"; };
    return env;
}

int cc(std::string_view expr)
{
    std::string err;
    const int r = eval_condition_str(expr, make_env(), err);
    BOOST_TEST_INFO("expr: " << expr << " err: " << err);
    BOOST_TEST(r >= 0);
    return r;
}

std::string cc_err(std::string_view expr)
{
    std::string err;
    const int r = eval_condition_str(expr, make_env(), err);
    BOOST_TEST_INFO("expr: " << expr);
    BOOST_TEST(r == -1);
    return err;
}

} // namespace

BOOST_AUTO_TEST_CASE(literals)
{
    BOOST_TEST(cc("") == 0);
    BOOST_TEST(cc("0") == 0);
    BOOST_TEST(cc("1") == 1);
    BOOST_TEST(cc("42") == 1);
    BOOST_TEST(cc("-1") == 1);
    BOOST_TEST(cc("0x10") == 1);
    BOOST_TEST(cc("0x0") == 0);
    BOOST_TEST(cc("\"1\"") == 1);
    BOOST_TEST(cc(" ( 1 ) ") == 1);
}

BOOST_AUTO_TEST_CASE(operators)
{
    BOOST_TEST(cc("!0") == 1);
    BOOST_TEST(cc("! ! 1") == 1);
    BOOST_TEST(cc("!1") == 0);
    BOOST_TEST(cc("1 && 0") == 0);
    BOOST_TEST(cc("1 && 1") == 1);
    BOOST_TEST(cc("0 || 1") == 1);
    BOOST_TEST(cc("0 || 0") == 0);
    // && binds tighter than ||
    BOOST_TEST(cc("1 && 0 || 1") == 1);
    BOOST_TEST(cc("1 || 1 && 0") == 1);
    BOOST_TEST(cc("(1 || 1) && 0") == 0);
    BOOST_TEST(cc("!(0 || 0)") == 1);
    BOOST_TEST(cc("1&&1||0") == 1);
}

BOOST_AUTO_TEST_CASE(predicates)
{
    BOOST_TEST(cc("defined(WITH_SSL)") == 1);
    BOOST_TEST(cc("defined(EMPTY)") == 1);
    BOOST_TEST(cc("defined(NOPE)") == 0);
    BOOST_TEST(cc("defined()") == 0);
    BOOST_TEST(cc("feature(OPENSSL)") == 1);
    BOOST_TEST(cc("feature(QUIC)") == 0);
    BOOST_TEST(cc("streq(a,a)") == 1);
    BOOST_TEST(cc("streq(a, a)") == 0); // blanks are kept in arguments
    BOOST_TEST(cc("streq(,)") == 1);
    BOOST_TEST(cc("strneq(a,b)") == 1);
    BOOST_TEST(cc("strneq(a,a)") == 0);
    BOOST_TEST(cc("streq(\"$WITH_SSL\",yes)") == 1);
    BOOST_TEST(cc("streq(\"${NOPE-yes}\",yes)") == 1);
    BOOST_TEST(cc("streq(\"a b\",a b)") == 1);
    // second-level quoting inside arguments
    BOOST_TEST(cc(R"(streq(\"a,b\",'"a,b"'))") == 1);
    BOOST_TEST(cc(R"(streq(a\\b,"a\\\\b"))") == 1);
    BOOST_TEST(cc("strstr(abcd,bc)") == 1);
    BOOST_TEST(cc("strstr(abcd,x)") == 0);
    BOOST_TEST(cc("enabled(EPOLL)") == 1);
    BOOST_TEST(cc("enabled(POLL)") == 0);
    BOOST_TEST(cc("feature(OPENSSL) && (streq(\"$WITH_SSL\",yes) || defined(NOPE))") == 1);
    BOOST_TEST(cc("!feature(OPENSSL)") == 0);
}

BOOST_AUTO_TEST_CASE(openssl_predicates)
{
    // the library portico runs with is OpenSSL 3
    BOOST_TEST(cc("ssllib_name_startswith(OpenSSL)") == 1);
    BOOST_TEST(cc("ssllib_name_startswith(LibreSSL)") == 0);
    BOOST_TEST(cc("openssl_version_atleast(1.1.1)") == 1);
    BOOST_TEST(cc("openssl_version_atleast(1.1.1k)") == 1);
    BOOST_TEST(cc("openssl_version_atleast(3.0.0)") == 1);
    BOOST_TEST(cc("openssl_version_before(1.1.1)") == 0);
    BOOST_TEST(cc("openssl_version_before(99.0.0)") == 1);
    BOOST_TEST(cc_err("openssl_version_atleast(3.0)").find("unparsable OpenSSL version") != std::string::npos); // three components
    BOOST_TEST(cc_err("openssl_version_atleast(x)").find("unparsable OpenSSL version") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(versions)
{
    BOOST_TEST(cc("version_atleast(2.6)") == 1);
    BOOST_TEST(cc("version_atleast(2.6.12)") == 1);
    BOOST_TEST(cc("version_atleast(2.6.13)") == 0);
    BOOST_TEST(cc("version_atleast(2.4-dev19)") == 1);
    BOOST_TEST(cc("version_atleast(2.6.12-dev1)") == 1);
    BOOST_TEST(cc("version_before(2.7)") == 1);
    BOOST_TEST(cc("version_before(2.6.12)") == 0);
    BOOST_TEST(cc("version_before(2.6)") == 0);
    // HAProxy quirk: an unparsable version is "at least" but not "before"
    BOOST_TEST(cc("version_atleast(garbage)") == 1);
    BOOST_TEST(cc("version_before(garbage)") == 0);
    BOOST_TEST(compare_versions("2.4-dev19", "2.4-rc1") == -1);
    BOOST_TEST(compare_versions("2.4-rc1", "2.4") == -1);
    BOOST_TEST(compare_versions("2.4", "2.4.0") == 0);
    BOOST_TEST(compare_versions("2.4.1", "2.4") == 1);
    BOOST_TEST(compare_versions("1.5-dev18-43", "1.5-dev18") == 1);
    BOOST_TEST(compare_versions("2.6.12-1+deb12u4", "2.6.12") == 0);
    BOOST_TEST(compare_versions("", "2.6") == -2);
}

BOOST_AUTO_TEST_CASE(errors)
{
    BOOST_TEST(cc_err("1 &&") == "unparsable conditional expression '&&'");
    BOOST_TEST(cc_err("foo") == "unparsable conditional expression 'foo'");
    BOOST_TEST(cc_err("!") == "unparsable conditional expression '!'");
    BOOST_TEST(cc_err("0 || 0 && x") == "unparsable conditional expression 'x'");
    BOOST_TEST(cc_err("(1") == "expected ')' after conditional expression '(1'");
    BOOST_TEST(cc_err("(1)x") ==
               "unexpected character 'x' at the end of conditional expression '(1)x'");
    BOOST_TEST(cc_err("1x") ==
               "unexpected character 'x' at the end of conditional expression '1x'");
    BOOST_TEST(cc_err("1 # x") ==
               "unexpected character '#' at the end of conditional expression '1 # x'");
    BOOST_TEST(cc_err("defined (HOME)") ==
               "unexpected character '(' at the end of conditional expression "
               "'defined (HOME)'");
    BOOST_TEST(cc_err("defined(HOME,x)") ==
               "expected ')' before ',x)' in argument 1 of predicate 'defined' used in "
               "conditional expression");
    BOOST_TEST(cc_err("defined(HOME") ==
               "expected ')' in argument 1 of predicate 'defined' used in conditional "
               "expression");
    BOOST_TEST(cc_err("streq(a)") ==
               "missing arguments (got 1/2), type 'string' expected in argument 1 of "
               "predicate 'streq' used in conditional expression");
    BOOST_TEST(cc_err("streq('a,b','a,b')") ==
               "expected ')' before ',a,b)' in argument 1 of predicate 'streq' used in "
               "conditional expression");
    BOOST_TEST(cc_err(R"(streq(\"a,b\",'\"a,b\"'))") ==
               R"(expected ')' before ',b\")' in argument 1 of predicate 'streq' used in )"
               "conditional expression");
    BOOST_TEST(cc_err("\"unterminated") == "unmatched quote at position 1");
    BOOST_TEST(cc_err("((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                      "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                      "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                      "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                      "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                      "1").size() > 0);
}

BOOST_AUTO_TEST_CASE(words_form)
{
    std::string err;
    // the words after ".if" are re-joined with single spaces, as HAProxy does
    BOOST_TEST(eval_condition({"streq(a", "b,a", "b)"}, make_env(), err) == 1);
    BOOST_TEST(eval_condition({}, make_env(), err) == 0);
    BOOST_TEST(eval_condition({"1", "&&", "!defined(NOPE)"}, make_env(), err) == 1);
    BOOST_TEST(eval_condition({"bogus(1)"}, make_env(), err) == -1);
}
