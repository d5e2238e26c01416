// SPDX-License-Identifier: MIT
// Unit tests of the wire-format converters (conv_wire.cpp): protobuf/ungrpc on hand-built
// protocol buffers messages and gRPC frames, fix_tag_value/fix_is_valid, mqtt_field_value/
// mqtt_is_valid, with HAProxy 2.6's results (checked against it by t/sample_conv_wire.t),
// its quirks and the edge cases: truncated input, "need more data", bad arguments.
#define BOOST_TEST_MODULE sample_wire
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "sample/wire.hpp"
#include "test_sample_fixture.hpp"

using namespace portico;
using namespace portico::smp::wire;
using tfx::world;

namespace {

std::string perr(world& w, const std::string& e)
{
    std::string err;
    return w.parse(e, err) ? "<ok>" : err;
}

std::string unhex(const std::string& h)
{
    std::string o;
    for (size_t i = 0; i + 1 < h.size(); i += 2)
        o.push_back((char)std::stoi(h.substr(i, 2), nullptr, 16));
    return o;
}

// A protobuf lookup on hex input: the value as text ("<none>" when not found).
std::string pb(const std::string& hex, const std::vector<uint32_t>& fid, int type = PB_BINARY,
               bool grpc = false)
{
    std::string in = unhex(hex);
    const auto* p = reinterpret_cast<const uint8_t*>(in.data());
    size_t n = in.size();
    ptc_sample s{};
    s.type = PTC_SMP_BIN;
    bool ok = grpc ? grpc_lookup(fid.data(), fid.size(), type, p, n, &s)
                   : pb_lookup(fid.data(), fid.size(), type, p, n, &s);
    if (!ok)
        return "<none>";
    if (s.type == PTC_SMP_SINT)
        return std::to_string(s.u.sint);
    static const char* hx = "0123456789abcdef";
    std::string o = "bin:";
    for (size_t i = 0; i < s.u.str.len; i++) {
        o.push_back(hx[(uint8_t)s.u.str.ptr[i] >> 4]);
        o.push_back(hx[(uint8_t)s.u.str.ptr[i] & 15]);
    }
    return o;
}

const std::string k_msg = "089601"               // 1: varint 150
                          "12026869"             // 2: "hi"
                          "1a08080512041a026f6b" // 3: {1: 5, 2: {3: "ok"}}
                          "2005"                 // 4: sint32 -3
                          "2d04030201"           // 5: fixed32 0x01020304
                          "319a99999999990dc0"   // 6: double -3.7
                          "3d00002040"           // 7: float 2.5
                          "45000020c0";          // 8: float -2.5

} // namespace

BOOST_AUTO_TEST_CASE(protobuf_field_ids)
{
    std::vector<uint32_t> ids;
    BOOST_TEST(pb_parse_fid("1.2.3", ids));
    BOOST_TEST((ids == std::vector<uint32_t>{1, 2, 3}));
    BOOST_TEST(pb_parse_fid("1..2", ids)); // an empty component reads as 0, as HAProxy
    BOOST_TEST((ids == std::vector<uint32_t>{1, 0, 2}));
    BOOST_TEST(pb_parse_fid("4294967297", ids)); // wraps as HAProxy's read_uint
    BOOST_TEST((ids == std::vector<uint32_t>{1}));
    BOOST_TEST(!pb_parse_fid("1.", ids));
    BOOST_TEST(!pb_parse_fid("a", ids));
    BOOST_TEST(!pb_parse_fid("1,2", ids));
    BOOST_TEST(pb_type("sint64") == PB_SINT64);
    BOOST_TEST(pb_type("double") == PB_DOUBLE);
    BOOST_TEST(pb_type("string") == -1);
    BOOST_TEST(pb_type("INT32") == -1);
}

BOOST_AUTO_TEST_CASE(protobuf_types)
{
    BOOST_TEST(pb(k_msg, {1}, PB_INT32) == "150");
    BOOST_TEST(pb(k_msg, {1}) == "bin:9601");
    BOOST_TEST(pb(k_msg, {1}, PB_FIXED32) == "<none>"); // a varint is no fixed32
    BOOST_TEST(pb(k_msg, {2}) == "bin:6869");
    BOOST_TEST(pb(k_msg, {2}, PB_UINT32) == "<none>");  // strings: binary only
    BOOST_TEST(pb(k_msg, {3, 1}, PB_INT64) == "5");
    BOOST_TEST(pb(k_msg, {3, 2, 3}) == "bin:6f6b");
    BOOST_TEST(pb(k_msg, {3, 2}) == "bin:1a026f6b");
    BOOST_TEST(pb(k_msg, {4}, PB_SINT32) == "-3");
    BOOST_TEST(pb(k_msg, {4}, PB_UINT64) == "5");
    BOOST_TEST(pb(k_msg, {5}, PB_FIXED32) == "16909060");
    BOOST_TEST(pb(k_msg, {5}, PB_SFIXED32) == "16909060");
    BOOST_TEST(pb(k_msg, {5}) == "bin:04030201");
    BOOST_TEST(pb(k_msg, {6}, PB_DOUBLE) == "-3");
    BOOST_TEST(pb(k_msg, {6}, PB_SFIXED64) == "-4607857958744122982");
    BOOST_TEST(pb(k_msg, {7}, PB_FLOAT) == "2");
    BOOST_TEST(pb(k_msg, {8}, PB_FLOAT) == "4294967294"); // through uint32_t, as HAProxy
    BOOST_TEST(pb(k_msg, {8}, PB_SFIXED32) == "-1071644672");
    BOOST_TEST(pb(k_msg, {9}) == "<none>");
    BOOST_TEST(pb("48ffffffffffffffffff01", {9}, PB_INT32) == "-1");
    BOOST_TEST(pb("5080808080808080808001", {10}, PB_UINT64) == "-9223372036854775808");
    BOOST_TEST(pb("59003d9160e458e143", {11}, PB_DOUBLE) == "-8446744073709551616");
    BOOST_TEST(pb("78" "01", {15}, PB_SINT64) == "-1");
}

BOOST_AUTO_TEST_CASE(protobuf_truncated_and_quirks)
{
    BOOST_TEST(pb("", {1}) == "<none>");
    BOOST_TEST(pb("0896", {1}, PB_INT32) == "<none>");        // varint cut short
    BOOST_TEST(pb("0d0102", {1}, PB_FIXED32) == "<none>");    // fixed32 cut short
    BOOST_TEST(pb("0a05616263", {1}) == "<none>");            // length past the end
    BOOST_TEST(pb("0b00", {1}) == "<none>");                  // group wire types
    BOOST_TEST(pb("08ffffffffffffffffffff01", {1}, PB_INT64) == "<none>"); // > 10 bytes
    // a length-delimited key at the very end reads as an empty field (HAProxy)
    BOOST_TEST(pb("0a", {1}) == "bin:");
    // skipping a length-delimited sibling inside field 3 restarts the match at the top
    BOOST_TEST(pb("1a062a027a7a0807", {3, 1}, PB_INT32) == "<none>");
    BOOST_TEST(pb("1a0408072a00", {3, 1}, PB_INT32) == "7");
}

BOOST_AUTO_TEST_CASE(grpc_frames)
{
    const std::string g = "0000000004" "08011002" "0000000003" "1a0161";
    BOOST_TEST(pb(g, {3}, PB_BINARY, true) == "bin:61");
    BOOST_TEST(pb(g, {2}, PB_INT32, true) == "2");
    BOOST_TEST(pb(g, {4}, PB_INT32, true) == "<none>");
    BOOST_TEST(pb("0000000009" "0801", {1}, PB_INT32, true) == "<none>"); // frame cut short
    BOOST_TEST(pb("00000000", {1}, PB_INT32, true) == "<none>");
    world w;
    BOOST_TEST(w.eval("bin(" + g + "),ungrpc(3)") == "a");
    BOOST_TEST(w.eval("bin(" + k_msg + "),protobuf(3.2.3)") == "ok");
    BOOST_TEST(w.eval("bin(" + k_msg + "),protobuf(4,sint32)") == "-3");
    // the declared output is binary, which no cast makes an integer (HAProxy refuses too)
    BOOST_TEST(perr(w, "bin(" + k_msg + "),protobuf(4,sint32),add(10)")
                   .find("cannot be applied to a 'bin' sample") != std::string::npos);
    BOOST_TEST(w.eval("bin(" + k_msg + "),protobuf(9)") == "<none>");
    BOOST_TEST(perr(w, "str(a),protobuf(1,text)").find("Wrong protocol buffer type 'text'") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),protobuf(1.2.)").find("failed to parse '1.2.'") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),ungrpc()").find("but got nothing") != std::string::npos);
    BOOST_TEST(perr(w, "str(a),ungrpc(1,int32,x)") != "<ok>");
}

BOOST_AUTO_TEST_CASE(fix)
{
    // 8=FIX.4.0|9=70|35=A|49=CLIENT1|56=EXECUTOR|34=1|52=20201029-10:54:19.617|98=0|108=30|
    // 10=090| (HAProxy's reg-tests/converter/fix.vtc)
    std::string m = "8=FIX.4.0\x01" "9=70\x01" "35=A\x01" "49=CLIENT1\x01" "56=EXECUTOR\x01"
                    "34=1\x01" "52=20201029-10:54:19.617\x01" "98=0\x01" "108=30\x01";
    std::string ok = m + "10=090\x01";
    BOOST_TEST(fix_validate(ok) == WIRE_VALID);
    BOOST_TEST(fix_validate(m + "10=091\x01") == WIRE_INVALID);       // checksum
    BOOST_TEST(fix_validate(m + "10=90\x01") == WIRE_INVALID);        // 3 digits
    BOOST_TEST(fix_validate(m + "10=09") == WIRE_MORE);               // no delimiter yet
    BOOST_TEST(fix_validate(m) == WIRE_MORE);                         // body, no checksum
    BOOST_TEST(fix_validate("8=FIX") == WIRE_MORE);                   // < 26 bytes
    BOOST_TEST(fix_validate("8=FIX.9.9\x01" "9=70\x01" "35=A\x01" "49=X\x01" "10=000\x01") ==
               WIRE_INVALID);                                         // version
    BOOST_TEST(fix_validate("9=70\x01" "8=FIX.4.0\x01" "35=A\x01" "49=CLIENT1\x01" "10=000\x01") ==
               WIRE_INVALID);                                         // order
    BOOST_TEST(fix_validate("8=FIX.4.0\x01" "9=70\x01" "35=A\x01" "999=1\x01" "10=000\x01") ==
               WIRE_INVALID);                                         // tag past FIX 4.0
    BOOST_TEST(fix_validate("8=FIX.4.0\x01" "9=7x\x01" "35=A\x01" "49=CLIENT1\x01" "10=000\x01") ==
               WIRE_INVALID);
    BOOST_TEST(fix_tagid("SenderCompID") == 49u);
    BOOST_TEST(fix_tagid("checksum") == 10u);
    BOOST_TEST(fix_tagid("1137") == 1137u);
    BOOST_TEST(fix_tagid("0") == 0u);
    BOOST_TEST(fix_tagid("Account") == 0u);
    std::string_view v;
    BOOST_TEST(fix_tag_value(ok, 52, v) == WIRE_VALID);
    BOOST_TEST(v == "20201029-10:54:19.617");
    BOOST_TEST(fix_tag_value(ok, 1137, v) == WIRE_INVALID);   // checksum reached
    BOOST_TEST(fix_tag_value(m, 1137, v) == WIRE_MORE);       // may still come
    BOOST_TEST(fix_tag_value("8=FIX.4.0\x01" "=x\x01", 9, v) == WIRE_INVALID); // empty tag
    BOOST_TEST(fix_tag_value("8=\x01", 8, v) == WIRE_MORE);   // empty value: HAProxy waits
    world w;
    BOOST_TEST(perr(w, "str(a),fix_tag_value(Foo)").find("Unknown FIX tag name 'Foo'") !=
               std::string::npos);
    BOOST_TEST(w.eval("str(8=FIX.4.0),fix_is_valid") == "<none>");
}

BOOST_AUTO_TEST_CASE(mqtt)
{
    // HAProxy's reg-tests/converter/mqtt.vtc: MQTT 5.0 CONNECT with will, user, password,
    // properties; its CONNACK; a 3.1.1 CONNECT with user and password
    std::string c5 = unhex(
        "107e00044d51545405ee003c182700000014170126000161000162260001630001642100140008746573"
        "745f7375622a03000a746578742f706c61696e08000c77696c6c727370746f70696326000165000166"
        "26000167000168000977696c6c746f706963000b77696c6c7061796c6f6164000474657374000670617373"
        "7764");
    std::string ca = unhex("20250000221100000078217fff24012501270000ffff22000a260001610001622600"
                           "0163000164");
    std::string c3 = unhex("101a00044d51545404c2003c00000004746573740006706173737764");
    BOOST_TEST(mqtt_validate(c5) == WIRE_VALID);
    BOOST_TEST(mqtt_validate(ca) == WIRE_VALID);
    BOOST_TEST(mqtt_validate(c3) == WIRE_VALID);
    BOOST_TEST(mqtt_validate(c5.substr(0, 40)) == WIRE_MORE);
    BOOST_TEST(mqtt_validate(unhex("10")) == WIRE_MORE);
    BOOST_TEST(mqtt_validate(unhex("d000")) == WIRE_INVALID);          // PINGREQ: not parsed
    BOOST_TEST(mqtt_validate(unhex("10ffffffff14")) == WIRE_INVALID);  // 5-byte length
    BOOST_TEST(mqtt_validate(unhex("111400044d5154540402003c0008746573745f737562")) ==
               WIRE_INVALID);                                          // CONNECT flags
    // bytes after the packet are not looked at; a length that does not match is invalid
    BOOST_TEST(mqtt_validate(c3 + "x") == WIRE_VALID);
    BOOST_TEST(mqtt_validate(unhex("101b00044d51545404c2003c00000004746573740006706173737764ff")) ==
               WIRE_INVALID);
    // a CONNACK property HAProxy does not know: "need more data" (its quirk)
    BOOST_TEST(mqtt_validate(unhex("20050000020100")) == WIRE_MORE);
    BOOST_TEST(mqtt_validate(unhex("20050000022100")) == WIRE_INVALID); // receive max 0
    BOOST_TEST(mqtt_typeid("connect") == 1);
    BOOST_TEST(mqtt_typeid("2") == 2);
    BOOST_TEST(mqtt_typeid("16") == -1);
    BOOST_TEST(mqtt_typeid("hello") == -1);
    BOOST_TEST(mqtt_fieldname(1, "reason_code") == -1);
    BOOST_TEST(mqtt_fieldname(1, "USERNAME") > 0);
    BOOST_TEST(mqtt_fieldname(2, "") == -1);
    BOOST_TEST(mqtt_fieldname(3, "1") > 0); // PUBLISH: accepted, never found
    std::string_view v;
    auto fv = [&](const std::string& m, int type, const char* f) {
        int r = mqtt_field_value(m, type, mqtt_fieldname(type, f), v);
        return r == WIRE_VALID ? std::string(v) : r == WIRE_MORE ? "<more>" : "<none>";
    };
    BOOST_TEST(fv(c5, 1, "flags") == "238");
    BOOST_TEST(fv(c5, 1, "protocol_name") == "MQTT");
    BOOST_TEST(fv(c5, 1, "client_identifier") == "test_sub");
    BOOST_TEST(fv(c5, 1, "will_topic") == "willtopic");
    BOOST_TEST(fv(c5, 1, "username") == "test");
    BOOST_TEST(fv(c5, 1, "39") == "20");
    BOOST_TEST(fv(c5, 1, "23") == "1");
    BOOST_TEST(fv(c5, 1, "8") == "willrsptopic");
    BOOST_TEST(fv(c5, 1, "38") == "<none>");     // user properties: never given
    BOOST_TEST(fv(c5, 1, "21") == "<none>");     // absent string
    BOOST_TEST(fv(c5, 1, "33") == "20");
    BOOST_TEST(fv(c5, 1, "34") == "0");          // absent number: 0
    BOOST_TEST(fv(c5, 2, "flags") == "<none>");  // not a CONNACK
    BOOST_TEST(fv(c5.substr(0, 50), 1, "flags") == "<more>");
    BOOST_TEST(fv(ca, 2, "17") == "120");
    BOOST_TEST(fv(ca, 2, "36") == "1");
    BOOST_TEST(fv(ca, 2, "39") == "65535");
    BOOST_TEST(fv(ca, 2, "protocol_version") == "5");
    BOOST_TEST(fv(c3, 1, "password") == "passwd");
    BOOST_TEST(fv(c3, 1, "client_identifier") == "<none>");
    BOOST_TEST(fv(c3, 1, "17") == "<none>");     // properties: MQTT 5.0 only
    BOOST_TEST(fv(unhex("20020100"), 2, "protocol_version") == "4");
    world w;
    BOOST_TEST(perr(w, "str(a),mqtt_field_value(connect,reason_code)")
                   .find("Unknown MQTT field name 'reason_code' for packet type 'connect'") !=
               std::string::npos);
    BOOST_TEST(perr(w, "str(a),mqtt_field_value(foo,flags)").find("Unknown MQTT type 'foo'") !=
               std::string::npos);
    BOOST_TEST(w.eval("bin(20020100),mqtt_field_value(connack,flags)") == "1");
    BOOST_TEST(w.eval("bin(20020100),mqtt_is_valid") == "1");
    BOOST_TEST(w.eval("bin(20020200),mqtt_is_valid") == "0");
}
