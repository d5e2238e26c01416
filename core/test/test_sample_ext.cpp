// SPDX-License-Identifier: MIT
// Unit tests of the converters and fetches of conv_ext.cpp / fetch_ext.cpp, with HAProxy
// 2.6's documented examples (doc/configuration.txt 7.3.1) and edge cases: empty input,
// bad arguments, truncation, seeds, avalanche, unsupported HAProxy names.
#define BOOST_TEST_MODULE sample_ext
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "test_sample_fixture.hpp"

namespace portico::smp {
uint32_t ext_xxh32(const void* p, size_t n, uint32_t seed);
uint64_t ext_xxh64(const void* p, size_t n, uint64_t seed);
uint64_t ext_xxh3(const void* p, size_t n, uint64_t seed);
uint32_t ext_crc32c(const void* p, size_t n);
}

using namespace portico;
using tfx::world;

namespace {
std::string perr(world& w, const std::string& e)
{
    std::string err;
    return w.parse(e, err) ? "<ok>" : err;
}
}

BOOST_AUTO_TEST_CASE(be2dec_be2hex_doc_examples)
{
    world w;
    BOOST_TEST(w.eval("bin(01020304050607),be2dec(:,2)") == "258:772:1286:7");
    BOOST_TEST(w.eval("bin(01020304050607),be2dec(-,2,1)") == "258-772-1286");
    BOOST_TEST(w.eval("bin(01020304050607),be2dec(,2,1)") == "2587721286");
    BOOST_TEST(w.eval("bin(7f000001),be2dec(.,1)") == "127.0.0.1");
    BOOST_TEST(w.eval("bin(ffffffffffffffff),be2dec(.,8)") == "18446744073709551615");
    BOOST_TEST(w.eval("str(),be2dec(.,1)") == "");
    BOOST_TEST(w.eval("bin(01020304050607),be2hex(:,2)") == "0102:0304:0506:07");
    BOOST_TEST(w.eval("bin(01020304050607),be2hex(--,2,1)") == "0102--0304--0506");
    BOOST_TEST(w.eval("bin(0102030405060708),be2hex(,3,1)") == "010203040506");
    BOOST_TEST(w.eval("bin(0102),be2hex") == "0102");
    BOOST_TEST(w.eval("str(),be2hex") == "");
    BOOST_TEST(perr(w, "str(a),be2dec(:,9)").find("chunk_size out of [1..8] range (9)") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),be2dec(:,2,2)").find("Unsupported truncate value (2)") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),be2hex(:)").find("chunk_size needs to be positive") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(hashes)
{
    world w;
    BOOST_TEST(w.eval("str(hello),crc32") == "907060870");
    BOOST_TEST(w.eval("str(hello),crc32c") == "2591144780");
    BOOST_TEST(w.eval("str(hello),djb2") == "261238937");
    BOOST_TEST(w.eval("str(hello),sdbm(1)") == "2061535398"); // as HAProxy's full_hash()
    BOOST_TEST(w.eval("str(hello),wt6") == "3538347703");
    BOOST_TEST(w.eval("str(hello),xxh32") == "4211111929");
    BOOST_TEST(w.eval("str(hello),xxh64") == "2794345569481354659");
    BOOST_TEST(w.eval("str(),crc32") == "0");
    BOOST_TEST(w.eval("str(),djb2") == "5381");
    // xxHash reference values (the specification's test vectors)
    BOOST_TEST(smp::ext_xxh32("", 0, 0) == 0x02CC5D05u);
    BOOST_TEST(smp::ext_xxh64("", 0, 0) == 0xEF46DB3751D8E999ull);
    BOOST_TEST(smp::ext_crc32c("123456789", 9) == 0xE3069283u);
    // seeds change the value; long inputs take the 16/32-byte stripes
    BOOST_TEST(w.eval("str(hello),xxh32(1)") != w.eval("str(hello),xxh32"));
    BOOST_TEST(w.eval("str(hello),xxh64(1)") != w.eval("str(hello),xxh64"));
    std::string l(100, 'a');
    BOOST_TEST(w.eval("str(" + l + "),xxh64") == w.eval("str(" + l + "),xxh64(0)"));
    BOOST_TEST(perr(w, "str(a),crc32(x)").find("signed integer") != std::string::npos);
}

// XXH3 (64-bit, seeded) on every length class of the algorithm; values given by HAProxy
// 2.6.12's xxh3 converter on the same input (a prefix of the pattern below).
BOOST_AUTO_TEST_CASE(xxh3)
{
    BOOST_TEST(smp::ext_xxh3("", 0, 0) == 0x2D06800538D394C2ull); // the specification's
    std::string pat;
    while (pat.size() < 3000)
        pat += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const struct {
        int64_t seed;
        size_t len;
        int64_t want;
    } v[] = {
        {0, 3, -8155259216847282800},    {0, 8, 1731884802940073542},
        {0, 16, 7224786756799439149},    {0, 100, -1468748171278942740},
        {0, 240, 227894613551814770},    {0, 241, -8407922950929476002},
        {0, 1025, 665921491736681549},   {12345, 4, 899012031783340926},
        {12345, 241, 1480680008274818725}, {12345, 3000, 1308783313542539457},
        {-7, 9, -2154852523639746335},   {-7, 3000, 5351883046463417589},
    };
    for (const auto& c : v)
        BOOST_TEST((int64_t)smp::ext_xxh3(pat.data(), c.len, (uint64_t)c.seed) == c.want,
                   "xxh3 of " << c.len << " bytes, seed " << c.seed);
    world w;
    BOOST_TEST(w.eval("str(" + pat.substr(0, 100) + "),xxh3") == "-1468748171278942740");
    BOOST_TEST(w.eval("str(" + pat.substr(0, 4) + "),xxh3(12345)") == "899012031783340926");
}

// json_query: values given by HAProxy 2.6.12 on the same document.
BOOST_AUTO_TEST_CASE(json_query)
{
    world w;
    const std::string doc = R"(str('{"a":1,"b":"x\"y\u0041z","c":{"d":[10,20.5,{"e":true}],)"
                            R"("f":false,"g":null},"h":1e20,"i":-3.5,"m":[],"o":12345678,)"
                            R"("p":9007199254740993,"q":"\u20ac","r":{"s":"t"},"a":2}'))";
    auto q = [&](const std::string& path) { return w.eval(doc + ",json_query(" + path + ")"); };
    BOOST_TEST(q("$.a") == "1"); // the first of two equal keys
    BOOST_TEST(q("$.b") == "x\"yAz");
    BOOST_TEST(q("$.c.d[0]") == "10");
    BOOST_TEST(q("$.c.d[1]") == "20.5");
    BOOST_TEST(q("$.c.d[1],int") == "20");
    BOOST_TEST(q("$.c.d[2].e") == "1"); // a boolean
    BOOST_TEST(q("$.c.f") == "0");
    BOOST_TEST(q("$.h") == "1e+20");
    BOOST_TEST(q("$.i") == "-3.5");
    BOOST_TEST(q("$.i,int") == "-3");
    BOOST_TEST(q("$.h,int") == "1"); // strtoll stops at the "e"
    BOOST_TEST(q("$.o") == "1.23457e+07");
    BOOST_TEST(q("$.o,int") == "12345678");
    BOOST_TEST(q("$.r.s") == "t");
    BOOST_TEST(w.eval(R"(str('{"k.l":7}'),json_query('$.k\.l'))") == "7"); // escaped dot
    for (const char* none : {"$.c.g", "$.c", "$.m", "$.zz", "$.c.d[5]", "a.b", "$",
                             "$.p,int", "$.q"})
        BOOST_TEST(q(none) == "<none>", "json_query(" << none << ")");
    BOOST_TEST(w.eval("str('{\"a\":'),json_query($.a)") == "<none>"); // invalid JSON
    BOOST_TEST(perr(w, "str(a),json_query('')").find("must not be empty") != std::string::npos);
    BOOST_TEST(perr(w, "str(a),json_query($.a,str)").find("only supports") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(task_counters)
{
    world w;
    for (const char* f : {"cpu_ns_avg", "cpu_ns_tot", "lat_ns_avg", "lat_ns_tot"})
        BOOST_TEST(w.eval(f) == "0", f << ": no task profiling");
    BOOST_TEST(w.eval("cpu_calls") == "0"); // the fixture's stream never ran its handler
    BOOST_TEST(w.eval("prio_class") == "0");
    BOOST_TEST(w.eval("prio_offset") == "0");
}

BOOST_AUTO_TEST_CASE(digests)
{
    world w;
    BOOST_TEST(w.eval("str(1),sha1,hex,lower") == "356a192b7913b04c54574d18c28d46e6395428ab");
    BOOST_TEST(w.eval("str(2),sha2(512),hex,lower") ==
               "40b244112641dd78dd4f93b6c9190dd46e0099194d5a44257b7efad6ef9ff4683da1eda0244448cb"
               "343aa688f5d3efd7314dafe580ac0bcbf115aeca9e8dc114");
    BOOST_TEST(w.eval("str(),sha2,hex,lower") ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(w.eval("str(1),digest(sha224),hex,lower") ==
               "e25388fde8290dc286a6164fa2d97e551b53498dcbf7bc378eb1f178");
    BOOST_TEST(w.eval("str(hello),hmac(sha256,a2V5),hex,lower") ==
               "9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b");
    BOOST_TEST(perr(w, "str(a),sha2(100)").find("Unsupported number of bits: '100'") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),digest(nosuch)").find("message digest name") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),hmac(sha256,@@@)").find("failed to parse key") !=
               std::string::npos);
    BOOST_TEST(w.eval("str(a),hmac(sha256,txn.nokey)") == "<none>");
}

BOOST_AUTO_TEST_CASE(encodings)
{
    world w;
    BOOST_TEST(w.eval("str(a b&c=d/~x.y_z-),url_enc(query)") == "a%20b%26c%3Dd%2F~x.y_z-");
    BOOST_TEST(w.eval("str(),url_enc(query)") == "");
    BOOST_TEST(perr(w, "str(a),url_enc(path)").find("Allowed value is 'query'") !=
               std::string::npos);
    BOOST_TEST(w.eval("str(hi?>),ub64enc") == "aGk_Pg");
    BOOST_TEST(w.eval("str(a),ub64enc") == "YQ");
    BOOST_TEST(w.eval("str(aGk_Pg),ub64dec") == "hi?>");
    BOOST_TEST(w.eval("str(YQ),ub64dec") == "a");
    BOOST_TEST(w.eval("str(Y),ub64dec") == "<none>");
    BOOST_TEST(w.eval("str(Y+),ub64dec") == "<none>");
    BOOST_TEST(w.eval("str(1F),hex2i") == "31");
    BOOST_TEST(w.eval("str(ffffffffffffffff),hex2i") == "-1");
    BOOST_TEST(w.eval("str(1g),hex2i") == "<none>");
    BOOST_TEST(w.eval("str(),hex2i") == "0");
    BOOST_TEST(w.eval("int(258),htonl,hex") == "00000102");
    BOOST_TEST(w.eval("bin(0a0B),hex") == "0A0B");
    BOOST_TEST(perr(w, "bin(0a0)").find("even number") != std::string::npos);
    BOOST_TEST(perr(w, "bin(0g)").find("unexpected hexa digit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dates)
{
    world w;
    BOOST_TEST(w.eval("int(0),utime(%Y-%m-%d %H:%M:%S)") == "1970-01-01 00:00:00");
    BOOST_TEST(w.eval("int(0),utime(%H:%M,3660)") == "01:01");
    // the 55-bit mask of HAProxy: a negative date is not before 1970
    BOOST_TEST(w.eval("int(-1),utime(%Y)") != "1969");
    setenv("TZ", "UTC", 1);
    tzset();
    BOOST_TEST(w.eval("int(86400),ltime(%Y%m%d)") == "19700102");
    BOOST_TEST(w.eval("int(1500000000),http_date") == "Fri, 14 Jul 2017 02:40:00 GMT");
    BOOST_TEST(w.eval("int(1500000000),http_date(3600)") == "Fri, 14 Jul 2017 03:40:00 GMT");
    BOOST_TEST(w.eval("int(1500000000123),http_date(0,ms)") ==
               "Fri, 14 Jul 2017 02:40:00.123 GMT");
    BOOST_TEST(w.eval("int(1500000000000123),http_date(0,us)") ==
               "Fri, 14 Jul 2017 02:40:00.123 GMT");
    BOOST_TEST(perr(w, "int(1),http_date(0,h)").find("'s', 'ms' or 'us'") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(strings_and_ints)
{
    world w;
    BOOST_TEST(w.eval("str(xxabcxx),ltrim(x)") == "abcxx");
    BOOST_TEST(w.eval("str(xxabcxx),rtrim(x)") == "xxabc");
    BOOST_TEST(w.eval("str(xxxx),rtrim(x)") == "");
    BOOST_TEST(w.eval("str(),ltrim(x)") == "");
    BOOST_TEST(w.eval("str(a;b),ltrim(;ba)") == "");
    BOOST_TEST(w.eval("int(0),cpl") == "-1");
    BOOST_TEST(w.eval("int(5),cpl") == "-6");
    BOOST_TEST(w.eval("always_true,iif(yes,no)") == "yes");
    BOOST_TEST(w.eval("int(0),iif(yes,no)") == "no");
    BOOST_TEST(w.eval("str(),iif(yes,no)") == "<none>"); // an empty string is no boolean
    BOOST_TEST(w.eval("str(),length") == "0");
    BOOST_TEST(w.eval("meth(GET)") == "GET");
    BOOST_TEST(perr(w, "meth(G@T)").find("valid method") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(variables_as_arguments)
{
    world w;
    std::string err;
    ptc_expr* e = w.parse("str(abc)", err);
    BOOST_REQUIRE(e);
    ptc_sample v;
    BOOST_REQUIRE(smp::expr_eval(w.ps(), e, &v));
    smp::var_ref r;
    BOOST_REQUIRE(smp::var_parse("txn.s", r, err));
    BOOST_REQUIRE(smp::var_set(w.ps(), r, &v));
    BOOST_TEST(w.eval("str(abc),strcmp(txn.s)") == "0");
    BOOST_TEST(w.eval("str(abd),strcmp(txn.s)") == "1");
    BOOST_TEST(w.eval("str(ab),strcmp(txn.s)") == "-1");
    BOOST_TEST(w.eval("str(abcd),strcmp(txn.s)") == "1");
    BOOST_TEST(w.eval("str(abc),secure_memcmp(txn.s)") == "1");
    BOOST_TEST(w.eval("str(abC),secure_memcmp(txn.s)") == "0");
    BOOST_TEST(w.eval("str(ab),secure_memcmp(txn.s)") == "0");
    BOOST_TEST(w.eval("str(abc),strcmp(txn.unset)") == "<none>");
    BOOST_TEST(perr(w, "str(abc),strcmp(noscope)") != "<ok>");
}

BOOST_AUTO_TEST_CASE(internal_fetches)
{
    world w;
    BOOST_TEST(w.eval("nbproc") == "1");
    BOOST_TEST(w.eval("stopping") == "0");
    BOOST_TEST(w.eval("rand(1)") == "0");
    BOOST_TEST(w.eval("uuid,length") == "36");
    std::string u = w.eval("uuid");
    BOOST_TEST(u[14] == '4');
    BOOST_TEST(std::string("89ab").find(u[19]) != std::string::npos);
    BOOST_TEST(w.eval("uuid") != u);
    BOOST_TEST(w.eval("hostname") != "<none>");
    BOOST_TEST(w.eval("date,sub(1500000000),bool") == "1");
    BOOST_TEST(w.eval("date(0,ms),div(1000),sub(1500000000),bool") == "1");
    BOOST_TEST(std::stoll(w.eval("date_us")) < 1000000);
    BOOST_TEST(w.eval("str()") == "");
    BOOST_TEST(w.eval("fe_id") == "1"); // the fixture's proxy has index 0
    BOOST_TEST(w.eval("be_id") == "1"); // no backend chosen yet: the frontend's (HAProxy)
    BOOST_TEST(perr(w, "uuid(3)").find("Unsupported UUID version") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(haproxy_names_not_supported_yet)
{
    world w;
    BOOST_TEST(perr(w, "str(a),51d.single(a)") ==
               "converter '51d.single' is not supported yet by portico");
    BOOST_TEST(perr(w, "str(a),debug") == "converter 'debug' is not supported yet by portico");
    BOOST_TEST(perr(w, "distcc_body(1)") ==
               "fetch method 'distcc_body' is not supported yet by portico");
    BOOST_TEST(perr(w, "str(a),no_such_conv") == "unknown converter 'no_such_conv'");
    BOOST_TEST(perr(w, "no_such_fetch").find("unknown fetch method") != std::string::npos);
}

// HAProxy's reg-tests/sample_fetches/hashes.vtc: the 256 bytes 00..FF
BOOST_AUTO_TEST_CASE(reg_test_hashes)
{
    world w;
    std::string k = "str(AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7"
                    "PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3"
                    "eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz"
                    "tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v"
                    "8PHy8/T19vf4+fr7/P3+/w==),b64dec";
    // length takes a string: HAProxy's binary-to-string cast stops at the first NUL byte
    BOOST_TEST(w.eval(k + ",length") == "0");
    BOOST_TEST(w.eval(k + ",bytes(1),length") == "255");
    BOOST_TEST(w.eval("bin(410042),lower") == "a");
    BOOST_TEST(w.eval(k + ",sha1,hex") == "4916D6BDB7F78E6803698CAB32D1586EA457DFC8");
    BOOST_TEST(w.eval(k + ",sha2,hex") ==
               "40AFF2E9D2D8922E47AFD4648E6967497158785FBD1DA870E7110266BF944880");
    BOOST_TEST(w.eval(k + ",sha2(224),hex") ==
               "88702E63237824C4EB0D0FCFE41469A462493E8BEB2A75BBE5981734");
    BOOST_TEST(w.eval(k + ",crc32") == "688229491");
    BOOST_TEST(w.eval(k + ",crc32(1)") == "4230317029");
    BOOST_TEST(w.eval(k + ",crc32c") == "2621708363");
    BOOST_TEST(w.eval(k + ",crc32c(1)") == "2242979626");
    BOOST_TEST(w.eval(k + ",djb2") == "2589693061");
    BOOST_TEST(w.eval(k + ",djb2(1)") == "600622701");
    BOOST_TEST(w.eval(k + ",sdbm") == "905707648");
    BOOST_TEST(w.eval(k + ",sdbm(1)") == "3103804144");
    BOOST_TEST(w.eval(k + ",wt6") == "4090277559");
    BOOST_TEST(w.eval(k + ",wt6(1)") == "1192658767");
    BOOST_TEST(w.eval(k + ",xxh32") == "1497633363");
    BOOST_TEST(w.eval(k + ",xxh32(1)") == "1070421674");
    BOOST_TEST(w.eval(k + ",xxh64") == "2282408585429094475");
    BOOST_TEST(w.eval(k + ",xxh64(1)") == "-4689339368900765961");
}

// HAProxy's reg-tests/sample_fetches/ubase64.vtc
BOOST_AUTO_TEST_CASE(reg_test_ubase64)
{
    world w;
    const char* v[][2] = {{"f", "Zg"},       {"fo", "Zm8"},       {"foo", "Zm9v"},
                          {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (auto& p : v) {
        BOOST_TEST(w.eval(std::string("str(") + p[0] + "),ub64enc") == p[1]);
        BOOST_TEST(w.eval(std::string("str(") + p[1] + "),ub64dec") == p[0]);
    }
    BOOST_TEST(w.eval("bin(14fb9c03d97f12d97e),ub64enc") == "FPucA9l_Etl-");
    BOOST_TEST(w.eval("str(FPucA9l_Etl-),ub64dec,hex,lower") == "14fb9c03d97f12d97e");
}
