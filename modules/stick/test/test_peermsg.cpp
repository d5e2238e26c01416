// SPDX-License-Identifier: MIT
// Unit tests of the peers protocol's stick-table payload decoders (peermsg.hpp): table
// definitions (parameters, truncation, round trip), update heads, keys of each type, data
// fields (frequency counters, arrays, 64-bit counters, dictionary entries), acks,
// switches; and the inputs the fuzz targets found.
#define BOOST_TEST_MODULE peermsg
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "peermsg.hpp"

#include <arpa/inet.h>
#include <string.h>

#include <string>
#include <vector>

using namespace stick;
using namespace stick::peerwire;

namespace {

const unsigned char* u(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string v(uint64_t x)
{
    std::string s;
    put_varint(s, x);
    return s;
}

std::string be32(uint32_t x)
{
    std::string s;
    put_u32(s, x);
    return s;
}

// A definition as table.cpp sends one: "t", string keys of 32 bytes, gpc0,
// http_req_rate(10s), gpc(3), gpc_rate(2,1m), server_key; expire 60 s.
table_def sample_def()
{
    table_def d;
    d.id = 1;
    d.name = "t";
    d.key_type = KT_STR;
    d.key_size = 33;
    for (uint32_t t : {DT_GPC0, DT_HTTP_REQ_RATE, DT_GPC, DT_GPC_RATE, DT_SERVER_KEY})
        d.data |= 1ULL << t;
    d.period[DT_HTTP_REQ_RATE] = 10000;
    d.nelem[DT_GPC] = 3;
    d.nelem[DT_GPC_RATE] = 2;
    d.period[DT_GPC_RATE] = 60000;
    d.has_expire = true;
    d.expire = 60000;
    return d;
}

std::string drain(field_reader& fr, std::vector<field>* out)
{
    field f;
    int r;
    while ((r = fr.next(&f)) > 0)
        out->push_back(f);
    return r == 0 ? "end" : "malformed";
}

} // namespace

BOOST_AUTO_TEST_CASE(define_wire_format)
{
    // the bytes of doc/peers-v2.0.txt's layout, written out by hand
    std::string want = v(1) + v(1) + "t" + v(KT_STR) + v(33) + v(sample_def().data) + v(60000) +
                       v(DT_HTTP_REQ_RATE) + v(10000) + v(DT_GPC) + v(3) + v(DT_GPC_RATE) + v(2) + v(60000);
    BOOST_TEST(encode_define(sample_def()) == want);
    table_def d;
    BOOST_TEST(decode_define(u(want), u(want) + want.size(), &d));
    BOOST_TEST(d.id == 1u);
    BOOST_TEST(d.name == "t");
    BOOST_TEST(d.key_type == KT_STR);
    BOOST_TEST(d.key_size == 33u);
    BOOST_TEST(d.data == sample_def().data);
    BOOST_TEST(d.has_expire);
    BOOST_TEST(d.expire == 60000u);
    BOOST_TEST(d.nelem[DT_GPC] == 3u);
    BOOST_TEST(d.nelem[DT_GPC_RATE] == 2u);
    BOOST_TEST(d.period[DT_GPC_RATE] == 60000u);
    BOOST_TEST(d.period[DT_HTTP_REQ_RATE] == 10000u);
    BOOST_TEST(d.nelem[DT_GPC0] == 0u);
    // trailing bytes are ignored
    std::string more = want + "xyz";
    BOOST_TEST(decode_define(u(more), u(more) + more.size(), &d));
    BOOST_TEST(encode_define(d) == want);
}

BOOST_AUTO_TEST_CASE(define_truncated_and_wrong)
{
    std::string m = encode_define(sample_def());
    std::string head = v(1) + v(1) + "t" + v(KT_STR) + v(33) + v(sample_def().data);
    table_def d;
    for (size_t cut = 0; cut < m.size(); cut++) {
        bool ok = decode_define(u(m), u(m) + cut, &d);
        // without the expire (or with a truncated one) the parameters are not read
        bool want = cut == head.size() || cut == head.size() + 1 || cut == head.size() + 2;
        BOOST_TEST(ok == want, "cut " << cut);
        if (ok)
            BOOST_TEST(!d.has_expire);
    }
    // a parameter for another type than the next one defined
    std::string bad = head + v(60000) + v(DT_GPC) + v(3);
    BOOST_TEST(!decode_define(u(bad), u(bad) + bad.size(), &d));
    // a name longer than the payload
    std::string name = v(1) + v(200) + "t" + v(KT_STR) + v(33) + v(0);
    BOOST_TEST(!decode_define(u(name), u(name) + name.size(), &d));
    // bits above the last data type carry no parameter and are kept
    std::string hi = v(2) + v(1) + "h" + v(KT_SINT) + v(4) + v(1ULL << 40) + v(0);
    BOOST_TEST(decode_define(u(hi), u(hi) + hi.size(), &d));
    BOOST_TEST(d.data == 1ULL << 40);
}

BOOST_AUTO_TEST_CASE(update_heads)
{
    std::string m = be32(7) + be32(1500) + "rest";
    const unsigned char* q = u(m);
    update_head h;
    BOOST_TEST(decode_update_head(STKT_UPDATE_TIMED, &q, u(m) + m.size(), 99, &h));
    BOOST_TEST(h.id == 7u);
    BOOST_TEST(h.timed);
    BOOST_TEST(h.expire == 1500u);
    BOOST_TEST(q == u(m) + 8);
    q = u(m);
    BOOST_TEST(decode_update_head(STKT_UPDATE, &q, u(m) + m.size(), 99, &h));
    BOOST_TEST(h.id == 7u);
    BOOST_TEST(!h.timed);
    BOOST_TEST(q == u(m) + 4);
    q = u(m);
    BOOST_TEST(decode_update_head(STKT_INCUPDATE, &q, u(m) + m.size(), 99, &h));
    BOOST_TEST(h.id == 99u);
    BOOST_TEST(q == u(m));
    BOOST_TEST(decode_update_head(STKT_INCUPDATE_TIMED, &q, u(m) + m.size(), 99, &h));
    BOOST_TEST(h.id == 99u);
    BOOST_TEST(h.expire == 7u);
    q = u(m);
    BOOST_TEST(!decode_update_head(STKT_UPDATE_TIMED, &q, u(m) + 7, 99, &h));
}

BOOST_AUTO_TEST_CASE(keys)
{
    unsigned char k[64];
    uint32_t n = 0;
    std::string s = v(5) + "hello" + "!";
    const unsigned char* q = u(s);
    BOOST_TEST(decode_key(&q, u(s) + s.size(), KT_STR, 32, k, &n));
    BOOST_TEST(n == 5u);
    BOOST_TEST(memcmp(k, "hello", 5) == 0);
    BOOST_TEST(q == u(s) + 6);
    // longer than the table's keys: cut to them, the whole consumed
    q = u(s);
    BOOST_TEST(decode_key(&q, u(s) + s.size(), KT_STR, 3, k, &n));
    BOOST_TEST(n == 3u);
    BOOST_TEST(q == u(s) + 6);
    q = u(s);
    BOOST_TEST(!decode_key(&q, u(s) + 5, KT_STR, 32, k, &n));
    BOOST_TEST(q == u(s));
    std::string i = be32(0x01020304);
    q = u(i);
    BOOST_TEST(decode_key(&q, u(i) + 4, KT_SINT, 4, k, &n));
    uint32_t x;
    memcpy(&x, k, 4);
    BOOST_TEST(x == 0x01020304u);
    BOOST_TEST(n == 4u);
    std::string a("\x7f\x00\x00\x01", 4);
    q = u(a);
    BOOST_TEST(decode_key(&q, u(a) + 4, KT_IPV4, 4, k, &n));
    BOOST_TEST(memcmp(k, a.data(), 4) == 0);
    q = u(a);
    BOOST_TEST(!decode_key(&q, u(a) + 4, KT_IPV6, 16, k, &n));
    BOOST_TEST(!decode_key(&q, u(a) + 3, KT_SINT, 4, k, &n));
}

BOOST_AUTO_TEST_CASE(fields)
{
    table_def d = sample_def();
    // gpc0 5; http_req_rate age 100, 7, 3; server_key id 4 "srv1"; gpc 1 2 3; gpc_rate
    // 2 x (age, curr, prev): in the data types' order
    std::string dict = v(4) + v(4) + "srv1";
    std::string m = v(5) + v(100) + v(7) + v(3) + v(dict.size()) + dict + v(1) + v(2) + v(3) + v(10) + v(11) +
                    v(12) + v(20) + v(21) + v(22);
    field_reader fr(u(m), u(m) + m.size(), d.data, d.nelem);
    std::vector<field> f;
    BOOST_TEST(drain(fr, &f) == "end");
    BOOST_REQUIRE(f.size() == 8u);
    BOOST_TEST(f[0].type == DT_GPC0);
    BOOST_TEST(f[0].value == 5u);
    BOOST_TEST(f[1].type == DT_HTTP_REQ_RATE);
    BOOST_TEST(f[1].value == 100u);
    BOOST_TEST(f[1].curr == 7u);
    BOOST_TEST(f[1].prev == 3u);
    BOOST_TEST(f[2].type == DT_SERVER_KEY);
    BOOST_TEST(f[2].dict_id == 4u);
    BOOST_TEST(f[2].dict_has_value);
    BOOST_TEST(f[2].dict_value == "srv1");
    BOOST_TEST(f[5].type == DT_GPC);
    BOOST_TEST(f[5].index == 2u);
    BOOST_TEST(f[5].value == 3u);
    BOOST_TEST(f[7].type == DT_GPC_RATE);
    BOOST_TEST(f[7].index == 1u);
    BOOST_TEST(f[7].value == 20u);
    BOOST_TEST(f[7].prev == 22u);
    BOOST_TEST(fr.pos() == u(m) + m.size());
    BOOST_TEST(fr.next(&f[0]) == 0);
    // every truncation is malformed, and stays so
    for (size_t cut = 0; cut < m.size(); cut++) {
        field_reader t(u(m), u(m) + cut, d.data, d.nelem);
        std::vector<field> g;
        BOOST_TEST(drain(t, &g) == "malformed", "cut " << cut);
        field x;
        BOOST_TEST(t.next(&x) == -1);
    }
}

BOOST_AUTO_TEST_CASE(dictionary_entries)
{
    uint32_t nelem[NDT] = {};
    uint64_t data = 1ULL << DT_SERVER_KEY;
    auto one = [&](const std::string& m, field* f) {
        field_reader fr(u(m), u(m) + m.size(), data, nelem);
        int r = fr.next(f);
        return r == 1 && fr.next(f) == 0 ? 1 : r == 1 ? 2 : r;
    };
    field f;
    BOOST_TEST(one(v(0), &f) == 1); // none
    BOOST_TEST(f.dict_id == 0u);
    BOOST_TEST(one(v(1) + v(9), &f) == 1); // id only: the value cached for it
    BOOST_TEST(f.dict_id == 9u);
    BOOST_TEST(!f.dict_has_value);
    BOOST_TEST(one(v(2) + v(128) + v(0), &f) == 1); // an empty value
    BOOST_TEST(f.dict_has_value);
    BOOST_TEST(f.dict_value.empty());
    BOOST_TEST(one(v(1) + v(0), &f) == -1);             // id 0
    BOOST_TEST(one(v(2) + v(129) + v(0), &f) == -1);    // over the cache
    BOOST_TEST(one(v(5) + v(1) + v(2) + "abc", &f) == -1); // value shorter than its entry
    BOOST_TEST(one(v(4) + v(1) + v(3) + "ab", &f) == -1);  // value longer than its entry
    BOOST_TEST(one(v(9) + v(1) + v(3), &f) == -1);         // entry longer than the payload
    // a varint longer than the entry it is in
    BOOST_TEST(one(v(1) + "\xf0\x80", &f) == -1);
}

BOOST_AUTO_TEST_CASE(acks_and_switches)
{
    std::string a = v(3) + be32(77);
    uint64_t id = 0;
    uint32_t upd = 0;
    BOOST_TEST(decode_ack(u(a), u(a) + a.size(), &id, &upd));
    BOOST_TEST(id == 3u);
    BOOST_TEST(upd == 77u);
    BOOST_TEST(!decode_ack(u(a), u(a) + a.size() - 1, &id, &upd));
    BOOST_TEST(decode_switch(u(a), u(a) + 1, &id));
    BOOST_TEST(!decode_switch(u(a), u(a), &id));
}
