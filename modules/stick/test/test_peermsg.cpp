// SPDX-License-Identifier: MIT
// Unit tests of the peers protocol's stick-table payload decoders (peermsg.hpp): table
// definitions (parameters, truncation, round trip), update heads, keys of each type, data
// fields (frequency counters, arrays, 64-bit counters, dictionary entries), acks,
// switches; a session as HAProxy 2.6 sends it; and the inputs the fuzz targets found.
#define BOOST_TEST_MODULE peermsg
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "peermsg.hpp"

#include <arpa/inet.h>
#include <stdlib.h>
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

// The messages Debian's HAProxy 2.6.12 sent a remote peer (after its hello; captured by
// fuzz/capture_haproxy.py): a resync confirm, then for each update the definition of its
// table (no switch): st_str (string len 16: server_id, conn_cur, http_req_cnt,
// http_req_rate(10s), bytes_in_cnt, gpt(2), gpc(3), gpc_rate(2,1m)), be (ip: server_id,
// server_key), st_ip6 (gpc0, sess_rate(5s)), st_int (integer: http_fail_cnt).
const char k_haproxy_session[] =
    "00030a821e010673745f7374720611f1d5836ff0971c0af0e203160217031802f0971c0a80200000000305616c706861"
    "000101000100000000000100fe8d9ade2300000001000a820d050262650404f1f1fe00f0971c0a800e000000047f0000"
    "010104010273310a821e010673745f7374720611f1d5836ff0971c0af0e203160217031802f0971c0a80200000000d05"
    "616c706861000103000300520000000300fe8d9ade2300000003000a820d050262650404f1f1fe00f0971c0a800b0000"
    "00057f0000010101010a821e010673745f7374720611f1d5836ff0971c0af0e203160217031802f0971c0a8020000000"
    "0f05616c7068610000030103007b0000000300ff8d9ade2300000103000a820d050262650404f1f1fe00f0971c0a800b"
    "000000077f0000010101010a821e010673745f7374720611f1d5836ff0971c0af0e203160217031802f0971c0a802b00"
    "00001410612d6d7563682d6c6f6e6765722d6b650000010101003d0000000100f1a79ade2300000101000a820d050262"
    "650404f1f1fe00f0971c0a800b000000087f0000010101010a821e010673745f7374720611f1d5836ff0971c0af0e203"
    "160217031802f0971c0a802b0000001710612d6d7563682d6c6f6e6765722d6b650001020102003d0000000200f1a79a"
    "de2300000102000a820d050262650404f1f1fe00f0971c0a800b000000097f0000010101010a821e010673745f737472"
    "0611f1d5836ff0971c0af0e203160217031802f0971c0a802b0000001910612d6d7563682d6c6f6e6765722d6b650000"
    "020202007a0000000200f2a79ade2300000202000a820d050262650404f1f1fe00f0971c0a800b0000000b7f00000101"
    "01010a821e010673745f7374720611f1d5836ff0971c0af0e203160217031802f0971c0a802b0000001e10612d6d7563"
    "682d6c6f6e6765722d6b65000003020300b70000000300f2a79ade2300000203000a8213020673745f6970360510f401"
    "f0c40d08f8a9010a801c000000010000000000000000000000000000000103f3c09ade2300000a820f030673745f696e"
    "740204f0f1fe02000a8009000000010000002a050a821e010673745f7374720611f1d5836ff0971c0af0e20316021703"
    "1802f0971c0a80270000001f0462657461000000f4c09ade230000000000000000f4c09ade230000f4c09ade2300000a"
    "802c000000200462657461000000f4c09ade230000f091bd8094000000000000f4c09ade230000f4c09ade2300000a80"
    "2c000000210462657461040000f4c09ade230000f091bd8094000000000000f4c09ade230000f4c09ade230000";

BOOST_AUTO_TEST_CASE(haproxy_2_6_session)
{
    std::string bytes;
    for (const char* h = k_haproxy_session; h[0] && h[1]; h += 2)
        bytes.push_back(char(strtoul(std::string(h, 2).c_str(), nullptr, 16)));
    BOOST_REQUIRE(bytes.size() == 957u);
    const unsigned char* p = u(bytes);
    const unsigned char* end = p + bytes.size();
    table_def cur;
    std::string cur_name;
    size_t defines = 0, updates = 0;
    std::vector<std::string> dict_values;
    std::vector<std::string> seen; // "<table> <key> <type>[<index>]=<value>"
    while (p < end) {
        uint8_t cls, type;
        const unsigned char* pl;
        size_t len, used;
        BOOST_REQUIRE(next_message(p, end, 65536, &cls, &type, &pl, &len, &used) == 1);
        p += used;
        if (cls == CLASS_CONTROL) {
            BOOST_TEST(type == CTRL_RESYNCCONFIRM);
            continue;
        }
        BOOST_REQUIRE(cls == CLASS_STKT);
        if (type == STKT_DEFINE) {
            BOOST_REQUIRE(decode_define(pl, pl + len, &cur));
            BOOST_TEST(encode_define(cur) == std::string(reinterpret_cast<const char*>(pl), len));
            cur_name.assign(cur.name);
            cur.name = cur_name;
            defines++;
            continue;
        }
        BOOST_REQUIRE(type == STKT_UPDATE);
        updates++;
        const unsigned char* q = pl;
        update_head h;
        BOOST_REQUIRE(decode_update_head(type, &q, pl + len, 0, &h));
        unsigned char k[64];
        uint32_t n = 0;
        uint32_t cap = cur.key_type == KT_STR ? uint32_t(cur.key_size - 1) : uint32_t(cur.key_size);
        BOOST_REQUIRE(decode_key(&q, pl + len, cur.key_type, cap, k, &n));
        std::string key;
        if (cur.key_type == KT_SINT) {
            uint32_t x;
            memcpy(&x, k, 4);
            key = std::to_string(x);
        } else if (cur.key_type == KT_STR) {
            key.assign(reinterpret_cast<const char*>(k), n);
        } else {
            char a[64];
            inet_ntop(cur.key_type == KT_IPV4 ? AF_INET : AF_INET6, k, a, sizeof(a));
            key = a;
        }
        field_reader fr(q, pl + len, cur.data, cur.nelem);
        field f;
        int r;
        while ((r = fr.next(&f)) > 0) {
            std::string val = std::to_string(f.value);
            if (k_dtypes[f.type].st == ST_FRQ)
                val = std::to_string(f.curr) + "/" + std::to_string(f.prev);
            if (k_dtypes[f.type].st == ST_DICT) {
                val = std::to_string(f.dict_id);
                if (f.dict_has_value)
                    dict_values.emplace_back(f.dict_value);
            }
            if (f.value || f.curr || f.prev)
                seen.push_back(cur_name + " " + key + " " + k_dtypes[f.type].name +
                               (k_dtypes[f.type].array ? "[" + std::to_string(f.index) + "]" : "") + "=" + val);
        }
        BOOST_TEST(r == 0);
        BOOST_TEST(fr.pos() == pl + len); // HAProxy sends nothing after the fields
    }
    BOOST_TEST(defines == 16u);
    BOOST_TEST(updates == 18u);
    BOOST_TEST(dict_values == std::vector<std::string>{"s1"});
    auto has = [&](const std::string& x) {
        for (const auto& s : seen)
            if (s == x)
                return true;
        return false;
    };
    // three requests for "alpha", three for a key cut to the table's 16 bytes, each
    // "sc-inc-gpc(1,0)"; the backend's stick entry for 127.0.0.1 (server s1, id 1); and the
    // entries set on HAProxy's CLI
    BOOST_TEST(has("st_str alpha http_req_cnt=3"));
    BOOST_TEST(has("st_str alpha gpc[1]=3"));
    BOOST_TEST(has("st_str alpha gpc_rate[1]=3/0"));
    BOOST_TEST(has("st_str a-much-longer-ke http_req_cnt=3"));
    BOOST_TEST(has("be 127.0.0.1 server_id=1"));
    BOOST_TEST(has("be 127.0.0.1 server_key=1"));
    BOOST_TEST(has("st_ip6 ::1 gpc0=3"));
    BOOST_TEST(has("st_int 42 http_fail_cnt=5"));
    BOOST_TEST(has("st_str beta bytes_in_cnt=5000000000"));
    BOOST_TEST(has("st_str beta server_id=4"));
}
