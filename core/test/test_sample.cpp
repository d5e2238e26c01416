// SPDX-License-Identifier: MIT
// Unit tests of sample expressions: parsing, casts, core fetches and converters, maps and
// variables.
#define BOOST_TEST_MODULE sample
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include "test_sample_fixture.hpp"

using namespace portico;
using tfx::world;

BOOST_AUTO_TEST_CASE(parse_good_and_bad)
{
    world w;
    std::string err;
    BOOST_TEST(w.parse("src", err) != nullptr);
    BOOST_TEST(w.parse("req.hdr(host),lower,map_str(/dev/null,x)", err) != nullptr);
    // HAProxy: "\\," is a kept backslash, then the comma ends the argument: str() gets two
    BOOST_TEST(w.parse("str(a\\,b),length", err) == nullptr);

    BOOST_TEST(w.parse("nosuch", err) == nullptr);
    BOOST_TEST(err == "unknown fetch method 'nosuch'");
    BOOST_TEST(w.parse("lower", err) == nullptr);
    BOOST_TEST(err.find("is a converter") != std::string::npos);
    BOOST_TEST(w.parse("src,nosuch", err) == nullptr);
    BOOST_TEST(err == "unknown converter 'nosuch'");
    BOOST_TEST(w.parse("str(abc", err) == nullptr);
    BOOST_TEST(err.find("missing closing ')'") != std::string::npos);
    BOOST_TEST(w.parse("str(abc)x", err) == nullptr);
    BOOST_TEST(w.parse("src,", err) == nullptr);
    BOOST_TEST(w.parse("int(x)", err) == nullptr);
    BOOST_TEST(err.find("not an integer") != std::string::npos);
    BOOST_TEST(w.parse("src(1)", err) == nullptr);
    BOOST_TEST(err == "fetch method 'src' takes no argument");
    // HAProxy reads a missing mandatory argument as an empty one: "str" and "str()" are ""
    BOOST_TEST(w.parse("str", err) != nullptr);
    BOOST_TEST(w.parse("str()", err) != nullptr);
    BOOST_TEST(w.parse("str(a),concat()", err) != nullptr);
    BOOST_TEST(w.parse("int()", err) == nullptr);
    BOOST_TEST(w.parse("int", err) == nullptr);     // ... which must then be valid
    BOOST_TEST(w.parse("str(a),field(1)", err) == nullptr);
    BOOST_TEST(err.find("expects at least 2") != std::string::npos);
    BOOST_TEST(w.parse("str('a,b)", err) == nullptr);
    BOOST_TEST(w.parse("src,lower", err) != nullptr); // ip -> str cast exists
    BOOST_TEST(w.parse("str(x),ipmask(99)", err) == nullptr);
    // "use": response fetches in a request context are refused
    BOOST_TEST(w.parse("status", err, PTC_USE_L4 | PTC_USE_HTTP_REQ) == nullptr);
    BOOST_TEST(err.find("HTTP response") != std::string::npos);
    BOOST_TEST(w.parse("path", err, PTC_USE_L4 | PTC_USE_HTTP_REQ) != nullptr);
}

BOOST_AUTO_TEST_CASE(parse_stop_char)
{
    world w;
    std::string err;
    size_t used = 0;
    std::string t = "req.hdr(host),regsub(']',x)] rest";
    ptc_expr* e = smp::expr_parse(nullptr, t, &used, ']', 0, err);
    BOOST_REQUIRE(e);
    BOOST_TEST(t.substr(used) == "] rest");
}

BOOST_AUTO_TEST_CASE(arg_syntax)
{
    world w;
    BOOST_TEST(w.eval("str(\"a,b\")") == "a,b");
    BOOST_TEST(w.eval("str('a,b')") == "a,b");
    BOOST_TEST(w.eval("str(\"a\\\"b\")") == "a\"b");
    BOOST_TEST(w.eval("str(''),length") == "0");
}

BOOST_AUTO_TEST_CASE(casts)
{
    world w;
    ptc_sample s{};
    s.type = PTC_SMP_SINT;
    s.u.sint = -42;
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_STR));
    BOOST_TEST(std::string(s.u.str.ptr, s.u.str.len) == "-42");
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_SINT));
    BOOST_TEST(s.u.sint == -42);
    BOOST_TEST(w.eval("str(12abc),add(1)") == "13");
    BOOST_TEST(w.eval("str(''),add(1)") == "<none>"); // empty string: no integer
    BOOST_TEST(w.eval("bool(true),add(1)") == "2");
    BOOST_TEST(w.eval("ipv4(10.1.2.3),add(0)") == std::to_string(0x0a010203));
    BOOST_TEST(w.eval("int(167838211),ipmask(32)") == "10.1.2.3");
    BOOST_TEST(w.eval("str(192.168.1.9),ipmask(24)") == "192.168.1.0");
    BOOST_TEST(w.eval("str(nope),ipmask(24)") == "<none>");
    BOOST_TEST(w.eval("ipv6(2001:db8::bad:c0f:ffff),ipmask(24,120)") == "2001:db8::bad:c0f:ff00");
    BOOST_TEST(w.eval("ipv6(2001:db8::bad:c0f:ffff),ipmask(24)") == "<none>");
    BOOST_TEST(w.eval("ipv6(2001:db8:c001:c01a:ffff:ffff:10:ffff),"
                      "ipmask(24,ffff:ffff:ffff:ffff:0:ffff:ffff:0)") ==
               "2001:db8:c001:c01a:0:ffff:10:0");
    BOOST_TEST(w.eval("ipv6(::ffff:192.168.1.101),ipmask(24,64)") == "192.168.1.0");
    std::string err;
    BOOST_TEST(w.parse("str(x),ipmask(24,129)", err) == nullptr);
    BOOST_TEST(w.parse("str(x),ipmask(24,ffff::zz)", err) == nullptr);
    s.type = PTC_SMP_IPV4;
    uint8_t a[4] = {127, 0, 0, 1};
    std::memcpy(s.u.ipv4, a, 4);
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_IPV6));
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_STR));
    BOOST_TEST(std::string(s.u.str.ptr, s.u.str.len) == "::ffff:127.0.0.1");
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_IPV4));
    BOOST_TEST(smp::sample_cast(&s, PTC_SMP_STR));
    BOOST_TEST(std::string(s.u.str.ptr, s.u.str.len) == "127.0.0.1");
    s.type = PTC_SMP_IPV6;
    std::memset(s.u.ipv6, 0, 16);
    s.u.ipv6[15] = 1;
    BOOST_TEST(!smp::sample_cast(&s, PTC_SMP_IPV4)); // ::1 is not v4-mapped
    BOOST_TEST(smp::cast_exists(PTC_SMP_STR, PTC_SMP_IPV4));
    BOOST_TEST(!smp::cast_exists(PTC_SMP_IPV6, PTC_SMP_SINT));
    BOOST_TEST(!smp::cast_exists(PTC_SMP_BIN, PTC_SMP_SINT));
}

BOOST_AUTO_TEST_CASE(core_fetches)
{
    world w;
    BOOST_TEST(w.eval("src") == "10.0.1.2");
    BOOST_TEST(w.eval("src_port") == "4242");
    BOOST_TEST(w.eval("fe_name") == "fe");
    BOOST_TEST(w.eval("be_name") == "fe"); // no backend chosen yet: the frontend (HAProxy)
    BOOST_TEST(w.eval("srv_name") == "<none>");
    BOOST_TEST(w.eval("always_true") == "1");
    BOOST_TEST(w.eval("always_false") == "0");
    BOOST_TEST(w.eval("int(-7)") == "-7");
    BOOST_TEST(w.eval("str(hello)") == "hello");
    BOOST_TEST(w.eval("bool(false)") == "0");
    BOOST_TEST(w.eval("ipv6(2001:db8::1)") == "2001:db8::1");
    setenv("PORTICO_TEST_ENV", "vvv", 1);
    BOOST_TEST(w.eval("env(PORTICO_TEST_ENV)") == "vvv");
    BOOST_TEST(w.eval("env(PORTICO_NO_SUCH_ENV)") == "<none>");
    BOOST_TEST(w.eval("var(txn.nope)") == "<none>");
    BOOST_TEST(w.eval("var(txn.nope,dflt)") == "dflt");
    std::string err;
    BOOST_TEST(w.parse("var(nope)", err) == nullptr);
    BOOST_TEST(err.find("scope") != std::string::npos);
    BOOST_TEST(w.parse("bool(maybe)", err) == nullptr);
    BOOST_TEST(w.parse("ipv4(::1)", err) == nullptr);
}

BOOST_AUTO_TEST_CASE(conv_strings)
{
    world w;
    BOOST_TEST(w.eval("str(AbC),lower") == "abc");
    BOOST_TEST(w.eval("str(AbC),upper") == "ABC");
    BOOST_TEST(w.eval("str(abcd),length") == "4");
    BOOST_TEST(w.eval("str(abcdef),bytes(2)") == "cdef");
    BOOST_TEST(w.eval("str(abcdef),bytes(2,3)") == "cde");
    BOOST_TEST(w.eval("str(abcdef),bytes(9)") == "");
    // field (examples of HAProxy's documentation)
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(5,_)") == "f5");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(2,_,0)") == "f2_f3__f5");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(2,_,2)") == "f2_f3");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(-2,_,3)") == "f2_f3_");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(-3,_,0)") == "f1_f2_f3");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),field(9,_)") == "<none>");
    BOOST_TEST(w.eval("str(/foo),field(3,/)") == "<none>");
    BOOST_TEST(w.eval("str(a_b),field(-3,_)") == "<none>");
    BOOST_TEST(w.eval("str(a_),field(2,_)") == "");
    BOOST_TEST(w.eval("str(a_b_c),field(2,_,5)") == "b_c");
    BOOST_TEST(w.eval("str(a_b_c),field(-2,_,5)") == "a_b");
    BOOST_TEST(w.eval("str(abc),field(-1,_)") == "abc");
    BOOST_TEST(w.eval("str(a.b-c),field(2,.-)") == "b");
    // word
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),word(4,_)") == "f5");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),word(2,_,0)") == "f2_f3__f5");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),word(3,_,2)") == "f3__f5");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),word(-2,_,3)") == "f1_f2_f3");
    BOOST_TEST(w.eval("str(f1_f2_f3__f5),word(-3,_,0)") == "f1_f2");
    BOOST_TEST(w.eval("str(/f1/f2/f3/f4),word(1,/)") == "f1");
    // a missing word is an empty sample in HAProxy 2.6; counts past the end keep the delimiters
    BOOST_TEST(w.eval("str(a__b),word(3,_)") == "");
    BOOST_TEST(w.eval("str(___),word(1,_)") == "");
    BOOST_TEST(w.eval("str(a_b__),word(2,_,2)") == "b__");
    BOOST_TEST(w.eval("str(__a_b),word(-2,_,2)") == "__a");
    std::string err;
    BOOST_TEST(w.parse("str(a),field(0,_)", err) == nullptr);
    // regsub
    BOOST_TEST(w.eval("str(/////a///b/c/),regsub('/+','/','g')") == "/a/b/c/");
    BOOST_TEST(w.eval("str(aaa),regsub(a,b)") == "baa");
    BOOST_TEST(w.eval("str(AaA),regsub(a,b,gi)") == "bbb");
    BOOST_TEST(w.eval("str(key=val),regsub('(.*)=(.*)','\\2:\\1')") == "val:key");
    BOOST_TEST(w.eval("str(abc),regsub(x,y)") == "abc");
    BOOST_TEST(w.parse("str(a),regsub('(',x)", err) == nullptr);
    BOOST_TEST(w.parse("str(a),regsub(a,b,q)", err) == nullptr);
    // concat
    BOOST_TEST(w.eval("str(a),concat(-,,-)") == "a--");
    // backslashes in arguments (HAProxy's make_arg_list)
    BOOST_TEST(w.eval("str(a\\.b)") == "a\\.b");
    BOOST_TEST(w.eval("str(a\\\\b)") == "a\\b");
    BOOST_TEST(w.eval("str(a\\ b)") == "a b");
    BOOST_TEST(w.eval("str(a\\tb)") == "a\tb");
    BOOST_TEST(w.eval("str(\"a\\\"b\")") == "a\"b");
    BOOST_TEST(w.eval("str('a\\tb')") == "a\\tb");
    BOOST_TEST(w.eval("str(a\\)") == "a\\");
    BOOST_TEST(w.eval("str(x),concat(a\\,,z)") == "xa\\z");
}

BOOST_AUTO_TEST_CASE(conv_encodings)
{
    world w;
    BOOST_TEST(w.eval("str(hello),base64") == "aGVsbG8=");
    BOOST_TEST(w.eval("str(hi),base64") == "aGk=");
    BOOST_TEST(w.eval("str(abc),base64") == "YWJj");
    BOOST_TEST(w.eval("str(aGVsbG8=),b64dec") == "hello");
    BOOST_TEST(w.eval("str(aGk=),b64dec") == "hi");
    BOOST_TEST(w.eval("str(a*==),b64dec") == "<none>");
    BOOST_TEST(w.eval("str(AZ),hex") == "415A");
    BOOST_TEST(w.eval("str('a\"b/c\\d'),json") == "a\\\"b\\/c\\\\d");
    BOOST_TEST(w.eval("str(\xc3\xa9),json") == "\\u00c3\\u00a9");
    BOOST_TEST(w.eval("str(\xc3\xa9),json(utf8)") == "\\u00e9");
    BOOST_TEST(w.eval("str(a\xff),json(utf8)") == "<none>");
    BOOST_TEST(w.eval("str(a\xff),json(utf8s)") == "a");
    std::string err;
    BOOST_TEST(w.parse("str(a),json(latin1)", err) == nullptr);
}

BOOST_AUTO_TEST_CASE(conv_integers)
{
    world w;
    BOOST_TEST(w.eval("int(7),add(3)") == "10");
    BOOST_TEST(w.eval("int(7),sub(10)") == "-3");
    BOOST_TEST(w.eval("int(7),mul(6)") == "42");
    BOOST_TEST(w.eval("int(7),div(2)") == "3");
    BOOST_TEST(w.eval("int(7),div(0)") == "9223372036854775807");
    BOOST_TEST(w.eval("int(7),mod(4)") == "3");
    BOOST_TEST(w.eval("int(7),mod(0)") == "0");
    BOOST_TEST(w.eval("int(7),neg") == "-7");
    BOOST_TEST(w.eval("int(6),and(3)") == "2");
    BOOST_TEST(w.eval("int(6),or(3)") == "7");
    BOOST_TEST(w.eval("int(6),xor(3)") == "5");
    BOOST_TEST(w.eval("int(5),eq(5)") == "1");
    BOOST_TEST(w.eval("int(5),ne(5)") == "0");
    BOOST_TEST(w.eval("int(5),gt(4)") == "1");
    BOOST_TEST(w.eval("int(5),ge(6)") == "0");
    BOOST_TEST(w.eval("int(5),lt(6)") == "1");
    BOOST_TEST(w.eval("int(5),le(4)") == "0");
    BOOST_TEST(w.eval("int(0),not") == "1");
    BOOST_TEST(w.eval("int(3),bool") == "1");
    BOOST_TEST(w.eval("int(3),odd") == "1");
    BOOST_TEST(w.eval("int(3),even") == "0");
    BOOST_TEST(w.eval("int(9223372036854775807),add(1)") == "9223372036854775807");
    // a variable as the operand
    smp::var_ref v;
    std::string err;
    BOOST_REQUIRE(smp::var_parse("txn.n", v, err));
    ptc_sample s{};
    s.type = PTC_SMP_SINT;
    s.u.sint = 5;
    BOOST_REQUIRE(smp::var_set(w.ps(), v, &s));
    BOOST_TEST(w.eval("int(2),mul(txn.n)") == "10");
    BOOST_TEST(w.eval("int(2),mul(txn.absent)") == "<none>");
    BOOST_TEST(w.parse("int(2),add(x)", err) == nullptr);
}

BOOST_AUTO_TEST_CASE(maps)
{
    world w;
    std::string f = tfx::write_tmp("m1.map", "# comment\n\n  www.example.com  be_www\n"
                                             "api.example.com be_api  \n/static/ be_static\n");
    BOOST_TEST(w.eval("str(api.example.com),map(" + f + ")") == "be_api");
    BOOST_TEST(w.eval("str(www.example.com),map_str(" + f + ")") == "be_www");
    BOOST_TEST(w.eval("str(nope),map(" + f + ",dflt)") == "dflt");
    BOOST_TEST(w.eval("str(nope),map(" + f + ")") == "<none>");
    BOOST_TEST(w.eval("str(/static/img.png),map_beg(" + f + ")") == "be_static");
    BOOST_TEST(w.eval("str(x/static/y),map_sub(" + f + ")") == "be_static");
    BOOST_TEST(w.eval("str(a.api.example.com),map_end(" + f + ")") == "be_api");
    BOOST_TEST(w.eval("str(a.www.example.com),map_dom(" + f + ")") == "be_www");
    std::string r = tfx::write_tmp("m2.map", "^/api/v[0-9]+ v\n^/old old\n");
    BOOST_TEST(w.eval("str(/api/v2/x),map_reg(" + r + ")") == "v");
    // map_regm: captures in the value, unset groups empty, \xHH and \c escapes
    std::string rm = tfx::write_tmp("m2m.map", "^(.+)_(.+)$ \\2_\\1\n"
                                               "^v([0-9])(x)?$ [\\1|\\2|\\0|\\9]\\x41\\.\n"
                                               "^bad$ oops\\\n");
    BOOST_TEST(w.eval("str(Yes_It),map_regm(" + rm + ")") == "It_Yes");
    BOOST_TEST(w.eval("str(v7),map_regm(" + rm + ")") == "[7||v7|]A.");
    BOOST_TEST(w.eval("str(v7),map_reg(" + rm + ")") == "[\\1|\\2|\\0|\\9]\\x41\\.");
    BOOST_TEST(w.eval("str(bad),map_regm(" + rm + ")") == "<none>");
    BOOST_TEST(w.eval("str(zzz),map_regm(" + rm + ",dflt)") == "dflt");
    std::string i = tfx::write_tmp("m3.map", "1:100 small\n101: big\n");
    BOOST_TEST(w.eval("int(50),map_int(" + i + ")") == "small");
    BOOST_TEST(w.eval("int(500),map_int(" + i + ")") == "big");
    std::string ip = tfx::write_tmp("m4.map", "10.0.0.0/8 10\n192.168.0.0/16 192\n");
    BOOST_TEST(w.eval("src,map_ip(" + ip + ")") == "10");
    BOOST_TEST(w.eval("src,map_ip_int(" + ip + "),add(1)") == "11");
    BOOST_TEST(w.eval("str(192.168.3.4),map_ip(" + ip + ",none)") == "192");
    std::string n = tfx::write_tmp("m5.map", "a 1.2.3.4\n");
    BOOST_TEST(w.eval("str(a),map_str_ip(" + n + ")") == "1.2.3.4");
    std::string err;
    BOOST_TEST(w.parse("str(a),map_str_int(" + n + ")", err) == nullptr);
    BOOST_TEST(err.find("not an integer") != std::string::npos);
    BOOST_TEST(w.parse("str(a),map(/nonexistent/file)", err) == nullptr);
    BOOST_TEST(err.find("failed to open") != std::string::npos);
    BOOST_TEST(w.parse("str(a),map_str_int(" + i + ",x)", err) == nullptr);
    for (auto& p : {f, r, i, ip, n})
        unlink(p.c_str());
}

BOOST_AUTO_TEST_CASE(variables)
{
    world w;
    smp::var_ref t, s, p;
    std::string err;
    BOOST_REQUIRE(smp::var_parse("txn.a", t, err));
    BOOST_REQUIRE(smp::var_parse("sess.a", s, err));
    BOOST_REQUIRE(smp::var_parse("proc.a", p, err));
    BOOST_TEST(!smp::var_parse("foo.a", t, err));
    BOOST_TEST(!smp::var_parse("txn.a-b", t, err));
    BOOST_REQUIRE(smp::var_parse("txn.a", t, err));
    ptc_sample v{};
    v.type = PTC_SMP_STR;
    v.u.str = ptc_str{"short", 5};
    BOOST_TEST(smp::var_set(w.ps(), t, &v));
    std::string big(5000, 'x');
    v.u.str = ptc_str{big.data(), big.size()};
    BOOST_TEST(smp::var_set(w.ps(), s, &v));
    BOOST_TEST(w.eval("var(txn.a)") == "short");
    BOOST_TEST(w.eval("var(sess.a)") == big);
    // overwrite a big value with a short one taken from itself
    v.u.str = ptc_str{"tiny", 4};
    BOOST_TEST(smp::var_set(w.ps(), s, &v));
    BOOST_TEST(w.eval("var(sess.a)") == "tiny");
    // the host API reads names declared at configuration time, and (ABI 1.11, as HAProxy
    // does for Lua) creates a name the configuration never used when it sets one
    ptc_sample out;
    BOOST_TEST(host_var_get(w.ps(), ptc_str{"txn.a", 5}, &out) == 1);
    BOOST_TEST(host_var_get(w.ps(), ptc_str{"txn.zz_unknown", 14}, &out) == 0);
    BOOST_TEST(host_var_set(w.ps(), ptc_str{"txn.zz_unknown", 14}, &v) == 1);
    BOOST_TEST(host_var_get(w.ps(), ptc_str{"txn.zz_unknown", 14}, &out) == 1);
    // end of transaction: txn goes, sess stays
    smp::txn_end(w.ps());
    BOOST_TEST(w.eval("var(txn.a)") == "<none>");
    BOOST_TEST(w.eval("var(sess.a)") == "tiny");
    BOOST_TEST(smp::var_unset(w.ps(), s));
    BOOST_TEST(w.eval("var(sess.a)") == "<none>");
    // proc scope is shared by every stream of the process
    v.type = PTC_SMP_SINT;
    v.u.sint = 9;
    BOOST_TEST(smp::var_set(w.ps(), p, &v));
    world w2;
    BOOST_TEST(w2.eval("var(proc.a)") == "9");
}

BOOST_AUTO_TEST_CASE(scratch_rotates)
{
    size_t c1, c2, c3;
    char* a = host_scratch(&c1);
    char* b = host_scratch(&c2);
    char* c = host_scratch(&c3);
    BOOST_TEST(a != b);
    BOOST_TEST(a == c);
    BOOST_TEST(c1 >= 1024u);
}
