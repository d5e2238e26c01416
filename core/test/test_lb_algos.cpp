// SPDX-License-Identifier: MIT
// Unit tests of the balance algorithms through lb_pick on a real shared-memory area.
#define BOOST_TEST_MODULE lb_algos
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "lb/lb.hpp"
#include "lb/lb_conf.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"

using namespace portico;

namespace {

struct world {
    config cfg;
    proxy* be = nullptr;
    std::vector<unsigned char*> mem;

    world(const std::string& balance, const std::vector<std::string>& args,
          const std::vector<uint32_t>& weights, const std::string& hash_type = "map-based",
          std::vector<bool> backup = {})
    {
        auto p = std::make_unique<proxy>();
        p->name = "be";
        p->cap = CAP_BE;
        p->mode = px_mode::http;
        std::vector<std::string> a{balance};
        a.insert(a.end(), args.begin(), args.end());
        std::string err;
        std::vector<std::string> ht;
        for (size_t b = 0, e; b < hash_type.size(); b = e + 1) {
            e = hash_type.find(' ', b);
            if (e == std::string::npos)
                e = hash_type.size();
            ht.push_back(hash_type.substr(b, e - b));
        }
        BOOST_REQUIRE_MESSAGE(lb_parse_hash_type(ht, p->lbconf, err), err);
        BOOST_REQUIRE_MESSAGE(lb_parse_balance(a, p->lbconf, err), err);
        BOOST_REQUIRE_MESSAGE(lb_compile_key(nullptr, p->lbconf, err), err);
        for (size_t i = 0; i < weights.size(); i++) {
            auto s = std::make_unique<server>();
            s->name = "s" + std::to_string(i + 1);
            s->id = (uint32_t)i + 1;
            s->weight = weights[i];
            s->backup = i < backup.size() && backup[i];
            s->be = p.get();
            p->servers.push_back(std::move(s));
        }
        be = p.get();
        cfg.global.workers = 1;
        cfg.global.dynamic_servers = 2;
        cfg.proxies.push_back(std::move(p));
        BOOST_REQUIRE(shm_create(cfg));
    }
    ~world()
    {
        for (auto* m : mem)
            delete[] m;
    }
    stream* new_stream(uint32_t ip = 0x7f000001)
    {
        auto* m = new unsigned char[sizeof(stream) + 64]();
        mem.push_back(m);
        stream* s = new (m) stream();
        s->be = be;
        auto* sin = reinterpret_cast<sockaddr_in*>(&s->cli_addr);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(ip);
        s->cli_addrlen = sizeof(sockaddr_in);
        return s;
    }
    server* srv(size_t i) { return be->servers[i].get(); }
    // Picks and releases at once; returns the server index.
    int pick(stream* s, bool release = true)
    {
        server* out = nullptr;
        s->lb_hash_state = 0;
        int r = lb_pick(be, s, nullptr, &out);
        if (r != LB_OK)
            return -1;
        if (release)
            lb_release_slot(out);
        for (size_t i = 0; i < be->servers.size(); i++)
            if (be->servers[i].get() == out)
                return (int)i;
        return -2;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(roundrobin_weights_3_to_1_exact)
{
    world w("roundrobin", {}, {3, 1});
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 400; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 300);
    BOOST_TEST(n[1] == 100);
}

BOOST_AUTO_TEST_CASE(roundrobin_runtime_weight_and_drain)
{
    world w("roundrobin", {}, {1, 1, 1});
    stream* s = w.new_stream();
    w.srv(1)->shared->weight.store(2);
    w.srv(2)->shared->admin.store(SRV_ADMIN_DRAIN);
    shm_servers_changed(w.be->shared);
    std::map<int, int> n;
    for (int i = 0; i < 300; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 100);
    BOOST_TEST(n[1] == 200);
    BOOST_TEST(n.count(2) == 0u);
}

BOOST_AUTO_TEST_CASE(static_rr_weights)
{
    world w("static-rr", {}, {3, 1});
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 400; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 300);
    BOOST_TEST(n[1] == 100);
    BOOST_TEST(!lb_weights_dynamic(w.be));
}

BOOST_AUTO_TEST_CASE(leastconn_avoids_busy_and_is_weighted)
{
    world w("leastconn", {}, {1, 1, 1});
    stream* s = w.new_stream();
    // server 0 holds 5 connections
    for (int i = 0; i < 5; i++)
        BOOST_REQUIRE(lb_take_slot(w.srv(0)));
    std::map<int, int> n;
    for (int i = 0; i < 90; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n.count(0) == 0u);
    BOOST_TEST(n[1] == 45); // ties alternate
    BOOST_TEST(n[2] == 45);
    // held connections spread by weight: 2:1
    world w2("leastconn", {}, {2, 1});
    stream* s2 = w2.new_stream();
    std::map<int, int> h;
    for (int i = 0; i < 30; i++)
        h[w2.pick(s2, false)]++;
    BOOST_TEST(h[0] == 20);
    BOOST_TEST(h[1] == 10);
}

BOOST_AUTO_TEST_CASE(first_fills_in_id_order)
{
    world w("first", {}, {1, 1, 1});
    for (size_t i = 0; i < 3; i++)
        w.srv(i)->shared->maxconn.store(2);
    stream* s = w.new_stream();
    std::vector<int> got;
    for (int i = 0; i < 6; i++)
        got.push_back(w.pick(s, false));
    BOOST_TEST((got == std::vector<int>{0, 0, 1, 1, 2, 2}));
    lb_release_slot(w.srv(0));
    BOOST_TEST(w.pick(s, false) == 0); // a freed slot of the first server is used first
}

BOOST_AUTO_TEST_CASE(maxconn_is_exact)
{
    world w("roundrobin", {}, {1});
    w.srv(0)->shared->maxconn.store(1);
    BOOST_TEST(lb_take_slot(w.srv(0)));
    BOOST_TEST(!lb_take_slot(w.srv(0)));
    BOOST_TEST(w.srv(0)->shared->cur_conns.load() == 1u);
    lb_release_slot(w.srv(0));
    BOOST_TEST(lb_take_slot(w.srv(0)));
}

BOOST_AUTO_TEST_CASE(dynamic_maxconn_with_minconn_fullconn)
{
    world w("roundrobin", {}, {1});
    w.srv(0)->shared->maxconn.store(100);
    w.srv(0)->shared->minconn.store(10);
    w.be->fullconn = 200;
    lb_init(w.cfg);
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 10u); // idle backend: minconn
    for (int i = 0; i < 10; i++)
        BOOST_REQUIRE(lb_take_slot(w.srv(0)));
    BOOST_TEST(!lb_take_slot(w.srv(0)));
    w.be->shared->be_conns.store(100); // half of fullconn: half of maxconn
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 50u);
    w.be->shared->be_conns.store(250); // beyond fullconn: maxconn
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 100u);
}

BOOST_AUTO_TEST_CASE(random_weighted_distribution)
{
    world w("random", {}, {3, 1});
    stream* s = w.new_stream();
    std::map<int, int> n;
    const int K = 20000;
    for (int i = 0; i < K; i++)
        n[w.pick(s)]++;
    // with draws=2 and no load both are compared equally; the share follows the weights
    double ratio = (double)n[0] / n[1];
    BOOST_TEST(ratio > 2.0);
    world w1("random(1)", {}, {3, 1});
    stream* s1 = w1.new_stream();
    std::map<int, int> m;
    for (int i = 0; i < K; i++)
        m[w1.pick(s1)]++;
    double r1 = (double)m[0] / m[1];
    BOOST_TEST(r1 > 2.7);
    BOOST_TEST(r1 < 3.3);
}

BOOST_AUTO_TEST_CASE(random_draws_prefer_less_loaded)
{
    world w("random(2)", {}, {1, 1});
    for (int i = 0; i < 10; i++)
        lb_take_slot(w.srv(0));
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 4000; i++)
        n[w.pick(s)]++;
    // server 0 only wins when both draws hit it: about 1/4
    BOOST_TEST(n[0] < 1300);
    BOOST_TEST(n[1] > 2700);
}

BOOST_AUTO_TEST_CASE(leasttime_steers_away_from_slow_server)
{
    world w("leasttime", {}, {1, 1, 1});
    BOOST_TEST(lb_wants_rt(w.be));
    for (int i = 0; i < 10; i++) {
        lb_observe_rt(w.srv(0), 1000);     // 1 ms
        lb_observe_rt(w.srv(1), 1200);
        lb_observe_rt(w.srv(2), 200000);   // 200 ms: slow
    }
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 3000; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[2] < 3000 * 0.05);
    BOOST_TEST(n[0] > 1000);
    BOOST_TEST(n[1] > 700);
}

BOOST_AUTO_TEST_CASE(source_hash_sticky_and_spread)
{
    for (const char* ht : {"map-based", "consistent"}) {
        world w("source", {}, {1, 1, 1, 1}, ht);
        std::map<int, int> n;
        for (uint32_t ip = 0; ip < 4000; ip++) {
            stream* s = w.new_stream(0x0a000000 + ip * 7919);
            int a = w.pick(s);
            int b = w.pick(s);
            BOOST_TEST(a == b);
            n[a]++;
        }
        for (int i = 0; i < 4; i++) {
            BOOST_TEST(n[i] > 500, ht << " server " << i << ": " << n[i]);
            BOOST_TEST(n[i] < 1500, ht << " server " << i << ": " << n[i]);
        }
    }
}

BOOST_AUTO_TEST_CASE(maglev_sticky_spread_and_stable_on_removal)
{
    world w("maglev", {}, {1, 1, 1, 1, 1});
    std::vector<int> before;
    std::map<int, int> n;
    const int K = 5000;
    for (int k = 0; k < K; k++) {
        stream* s = w.new_stream(0xc0a80000 + (uint32_t)k);
        before.push_back(w.pick(s));
        n[before.back()]++;
    }
    for (int i = 0; i < 5; i++) {
        BOOST_TEST(n[i] > K / 5 * 0.85);
        BOOST_TEST(n[i] < K / 5 * 1.15);
    }
    // put server 3 in maintenance: only its keys move
    w.srv(3)->shared->admin.store(SRV_ADMIN_MAINT);
    shm_servers_changed(w.be->shared);
    int moved_other = 0;
    for (int k = 0; k < K; k++) {
        stream* s = w.new_stream(0xc0a80000 + (uint32_t)k);
        int now = w.pick(s);
        BOOST_TEST(now != 3);
        moved_other += before[k] != 3 && now != before[k];
    }
    BOOST_TEST(moved_other <= K * 0.03);
}

BOOST_AUTO_TEST_CASE(maglev_identical_between_builds)
{
    world a("maglev", {}, {1, 2, 3});
    world b("maglev", {}, {1, 2, 3});
    for (uint32_t ip = 0; ip < 2000; ip++) {
        uint32_t addr = ip * 2654435761u;
        BOOST_TEST(a.pick(a.new_stream(addr)) == b.pick(b.new_stream(addr)));
    }
}

BOOST_AUTO_TEST_CASE(backup_only_when_no_active)
{
    world w("roundrobin", {}, {1, 1, 1, 1}, "map-based", {false, false, true, true});
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 20; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 10);
    BOOST_TEST(n[1] == 10);
    w.srv(0)->shared->admin.store(SRV_ADMIN_MAINT);
    w.srv(1)->shared->up.store(0);
    shm_servers_changed(w.be->shared);
    n.clear();
    for (int i = 0; i < 20; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[2] == 20); // first backup by id only
    w.be->allbackups = true;
    n.clear();
    for (int i = 0; i < 20; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[2] == 10);
    BOOST_TEST(n[3] == 10);
    w.srv(2)->shared->admin.store(SRV_ADMIN_MAINT);
    w.srv(3)->shared->admin.store(SRV_ADMIN_MAINT);
    BOOST_TEST(w.pick(s) == -1); // nothing usable
}

BOOST_AUTO_TEST_CASE(avoid_on_retry)
{
    world w("source", {}, {1, 1});
    stream* s = w.new_stream(0x01020304);
    int first = w.pick(s);
    server* out = nullptr;
    BOOST_TEST(lb_pick(w.be, s, w.srv((size_t)first), &out) == LB_OK);
    BOOST_TEST(out != w.srv((size_t)first));
    lb_release_slot(out);
}

namespace {

bool check_balance(const std::vector<std::string>& args, std::string& e)
{
    lb_conf c;
    return lb_parse_balance(args, c, e);
}

} // namespace

BOOST_AUTO_TEST_CASE(check_balance_syntax)
{
    std::string e;
    BOOST_TEST(check_balance({"roundrobin"}, e));
    BOOST_TEST(check_balance({"uri", "whole", "len", "10", "depth", "2"}, e));
    BOOST_TEST(check_balance({"url_param", "userid"}, e));
    BOOST_TEST(check_balance({"hdr(host)"}, e));
    BOOST_TEST(check_balance({"hdr(host)", "use_domain_only"}, e));
    BOOST_TEST(check_balance({"random(3)"}, e));
    BOOST_TEST(check_balance({"maglev"}, e));
    BOOST_TEST(check_balance({"maglev", "hdr(x-user)"}, e));
    BOOST_TEST(check_balance({"maglev", "uri", "depth", "1"}, e));
    BOOST_TEST(check_balance({"maglev", "hash", "src"}, e));
    BOOST_TEST(check_balance({"leasttime"}, e));
    BOOST_TEST(check_balance({"hash", "req.cook(id)"}, e));
    BOOST_TEST(!check_balance({"hash"}, e));
    BOOST_TEST(!check_balance({"hash", "src", "extra"}, e));
    BOOST_TEST(!check_balance({"rdp-cookie"}, e));
    BOOST_TEST(e.find("not supported yet") != std::string::npos);
    BOOST_TEST(!check_balance({"url_param", "x", "check_post"}, e));
    BOOST_TEST(e.find("not supported yet") != std::string::npos);
    BOOST_TEST(!check_balance({"hdr(host)", "bogus"}, e));
    BOOST_TEST(!check_balance({"uri", "bogus"}, e));
    BOOST_TEST(!check_balance({"roundrobin", "x"}, e));
    BOOST_TEST(!check_balance({"nope"}, e));
}

BOOST_AUTO_TEST_CASE(typed_balance_config)
{
    std::string e;
    lb_conf c;
    BOOST_REQUIRE(lb_parse_hash_type({"consistent", "crc32", "avalanche"}, c, e));
    BOOST_REQUIRE(lb_parse_balance({"hdr(Host)", "use_domain_only"}, c, e));
    BOOST_TEST((c.algo == lb_algo::hdr));
    BOOST_TEST((c.key == lb_key::hdr));
    BOOST_TEST(c.use_domain_only);
    BOOST_TEST(c.key_text == "req.hdr(Host,1)");
    // balance keeps the hash-type fields, whatever the order of the two keywords
    BOOST_TEST((c.hash_type == lb_hash_type::consistent));
    BOOST_TEST((c.hash_fn == lbh::hash_fn::crc32));
    BOOST_TEST(c.avalanche);
    BOOST_REQUIRE(lb_parse_balance({"url_param", "a,b)"}, c, e));
    BOOST_TEST(c.key_text == "url_param(a\\,b\\))");
    BOOST_REQUIRE(lb_parse_balance({"random(7)"}, c, e));
    BOOST_TEST((c.algo == lb_algo::random));
    BOOST_TEST(c.draws == 7u);
    BOOST_TEST((c.key == lb_key::none));
    BOOST_TEST(std::string(lb_algo_name(c.algo)) == "random");
    BOOST_TEST(!lb_parse_hash_type({"ring"}, c, e));
    BOOST_TEST(!lb_parse_hash_type({"consistent", "md5"}, c, e));
    BOOST_TEST(!lb_parse_hash_type({"consistent", "none"}, c, e));
    BOOST_TEST(e.find("not supported yet") != std::string::npos);
    // a failed parse leaves the configuration as it was
    BOOST_TEST((c.hash_type == lb_hash_type::consistent));
    BOOST_TEST(!lb_parse_balance({"uri", "len", "x"}, c, e));
    BOOST_TEST((c.algo == lb_algo::random));
    // the key compiles through the sample engine
    BOOST_REQUIRE(lb_parse_balance({"hash", "src,ipmask(24)"}, c, e));
    BOOST_TEST(lb_compile_key(nullptr, c, e));
    BOOST_TEST(c.expr != nullptr);
    BOOST_REQUIRE(lb_parse_balance({"hash", "nosuchfetch"}, c, e));
    BOOST_TEST(!lb_compile_key(nullptr, c, e));
    BOOST_TEST(e.find("nosuchfetch") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(balance_hash_expr_sticky_per_key)
{
    for (const char* ht : {"map-based", "consistent sdbm avalanche"}) {
        // src,ipmask(24): every address of a /24 goes to the same server
        world w("hash", {"src,ipmask(24)"}, {1, 1, 1, 1}, ht);
        std::map<int, int> n;
        for (uint32_t net = 0; net < 400; net++) {
            int first = w.pick(w.new_stream(0x0a000000 + (net << 8) + 1));
            for (uint32_t host = 2; host < 6; host++)
                BOOST_TEST(w.pick(w.new_stream(0x0a000000 + (net << 8) + host)) == first);
            n[first]++;
        }
        for (int i = 0; i < 4; i++)
            BOOST_TEST(n[i] > 50, ht << " server " << i << ": " << n[i]);
        BOOST_TEST(!lb_weights_dynamic(w.be) == (std::string(ht) == "map-based"));
    }
}

BOOST_AUTO_TEST_CASE(balance_hash_no_sample_round_robin)
{
    // var(txn.none) gives no sample: requests are balanced round-robin
    world w("hash", {"var(txn.none)"}, {1, 1, 1});
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 30; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 10);
    BOOST_TEST(n[1] == 10);
    BOOST_TEST(n[2] == 10);
}

BOOST_AUTO_TEST_CASE(source_same_as_hash_src)
{
    // "balance source" is "balance hash src" with the same hash
    world a("source", {}, {1, 2, 3});
    world b("hash", {"src"}, {1, 2, 3});
    for (uint32_t ip = 0; ip < 2000; ip++) {
        uint32_t addr = ip * 2654435761u;
        BOOST_TEST(a.pick(a.new_stream(addr)) == b.pick(b.new_stream(addr)));
    }
}

// ---- fine effective weights (a module lowering eweight: slowstart) ---------------------

namespace {

// Sets the fraction of server <i>'s weight, as host->server_set_eweight does.
void set_frac(world& w, size_t i, uint32_t frac256)
{
    w.srv(i)->shared->eweight_drop.store(256 - frac256);
    shm_servers_changed(w.be->shared);
}

std::vector<int> sequence(world& w, int k)
{
    stream* s = w.new_stream();
    std::vector<int> seq;
    for (int i = 0; i < k; i++)
        seq.push_back(w.pick(s));
    return seq;
}

// Picks <k> times keeping <window> requests in progress (the oldest released first), as
// under a steady concurrent load; returns the picks per server.
std::map<int, int> picks_held(world& w, int k, size_t window)
{
    stream* s = w.new_stream();
    std::vector<int> held;
    std::map<int, int> n;
    for (int i = 0; i < k; i++) {
        if (held.size() == window) {
            lb_release_slot(w.srv((size_t)held.front()));
            held.erase(held.begin());
        }
        int r = w.pick(s, false);
        BOOST_REQUIRE(r >= 0);
        held.push_back(r);
        n[r]++;
    }
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(fine_eweight_values)
{
    world w("roundrobin", {}, {1, 100, 0});
    shm_server* a = w.srv(0)->shared;
    BOOST_TEST(srv_eweight_fine(a) == 256u);
    a->eweight_drop.store(192); // 64/256
    BOOST_TEST(srv_eweight_fine(a) == 64u);
    BOOST_TEST(srv_eweight(a) == 1u, "show stat keeps the rounded-up whole weight");
    a->eweight_drop.store(255);
    BOOST_TEST(srv_eweight_fine(a) == 1u, "never 0 while the fraction is not 0");
    a->eweight_drop.store(256);
    BOOST_TEST(srv_eweight_fine(a) == 0u);
    shm_server* b = w.srv(1)->shared;
    b->eweight_drop.store(128);
    BOOST_TEST(srv_eweight_fine(b) == 12800u);
    BOOST_TEST(srv_eweight(b) == 50u);
    shm_server* c = w.srv(2)->shared;
    c->eweight_drop.store(128);
    BOOST_TEST(srv_eweight_fine(c) == 0u, "weight 0 stays 0");
}

BOOST_AUTO_TEST_CASE(roundrobin_sequence_is_scale_free)
{
    // smooth WRR at scale 1, the reference
    std::vector<int> ref;
    {
        const int64_t wt[3] = {1, 2, 3};
        int64_t cur[3] = {0, 0, 0};
        for (int i = 0; i < 60; i++) {
            int best = -1;
            for (int j = 0; j < 3; j++) {
                cur[j] += wt[j];
                if (best < 0 || cur[j] > cur[best])
                    best = j;
            }
            cur[best] -= 6;
            ref.push_back(best);
        }
    }
    world w("roundrobin", {}, {1, 2, 3});
    BOOST_TEST(sequence(w, 60) == ref, "weights 1,2,3 at full weight");
    world w2("roundrobin", {}, {2, 4, 6});
    BOOST_TEST(sequence(w2, 60) == ref, "weights 2,4,6");
    world w3("roundrobin", {}, {1, 2, 3});
    for (size_t i = 0; i < 3; i++)
        set_frac(w3, i, 100);
    BOOST_TEST(sequence(w3, 60) == ref, "every weight at the same fraction 100/256");
}

BOOST_AUTO_TEST_CASE(roundrobin_weight1_ramps)
{
    world w("roundrobin", {}, {1, 1});
    set_frac(w, 1, 64);
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 10000; i++)
        n[w.pick(s)]++;
    BOOST_TEST_MESSAGE("roundrobin, weight 1 at 64/256: " << n[1] << "/10000");
    BOOST_TEST(n[1] == 2000, "64 : 256 is exactly 1 in 5 (" << n[1] << ")");
    set_frac(w, 1, 256);
    n.clear();
    for (int i = 0; i < 1000; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 500);
    BOOST_TEST(n[1] == 500);
}

BOOST_AUTO_TEST_CASE(leastconn_weight1_ramps)
{
    world w("leastconn", {}, {1, 1});
    set_frac(w, 1, 64);
    std::map<int, int> n = picks_held(w, 10000, 20);
    BOOST_TEST_MESSAGE("leastconn, weight 1 at 64/256: " << n[1] << "/10000");
    BOOST_TEST(n[1] > 1700, n[1]);
    BOOST_TEST(n[1] < 2300, n[1]);
    // held connections spread by the fine weights: 4:1
    world w2("leastconn", {}, {1, 1});
    set_frac(w2, 1, 64);
    std::map<int, int> h;
    for (int i = 0; i < 100; i++)
        h[w2.pick(w2.new_stream(), false)]++;
    BOOST_TEST(h[1] == 20);
}

BOOST_AUTO_TEST_CASE(random_weight1_ramps)
{
    // one draw: the share of the fine weights
    world w("random(1)", {}, {1, 1});
    set_frac(w, 1, 64);
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 10000; i++)
        n[w.pick(s)]++;
    BOOST_TEST_MESSAGE("random(1), weight 1 at 64/256: " << n[1] << "/10000");
    BOOST_TEST(n[1] > 1800, n[1]);
    BOOST_TEST(n[1] < 2200, n[1]);
    // two draws (the default): the load for the fine weight decides
    world w2("random", {}, {1, 1});
    set_frac(w2, 1, 64);
    std::map<int, int> m = picks_held(w2, 10000, 20);
    BOOST_TEST_MESSAGE("random(2), weight 1 at 64/256: " << m[1] << "/10000");
    BOOST_TEST(m[1] > 1700, m[1]);
    BOOST_TEST(m[1] < 2300, m[1]);
    world w3("leasttime", {}, {1, 1});
    set_frac(w3, 1, 64);
    std::map<int, int> t = picks_held(w3, 10000, 20);
    BOOST_TEST_MESSAGE("leasttime, weight 1 at 64/256: " << t[1] << "/10000");
    BOOST_TEST(t[1] > 1700, t[1]);
    BOOST_TEST(t[1] < 2300, t[1]);
}

BOOST_AUTO_TEST_CASE(static_algorithms_ignore_the_fraction)
{
    world w("static-rr", {}, {1, 3});
    set_frac(w, 1, 64);
    stream* s = w.new_stream();
    std::map<int, int> n;
    for (int i = 0; i < 400; i++)
        n[w.pick(s)]++;
    BOOST_TEST(n[0] == 100);
    BOOST_TEST(n[1] == 300);
    // map-based hashing: the same server for every key as at full weight
    world a("source", {}, {2, 2, 2});
    world b("source", {}, {2, 2, 2});
    set_frac(b, 1, 64);
    for (uint32_t ip = 0; ip < 2000; ip++) {
        uint32_t addr = ip * 2654435761u;
        BOOST_TEST(a.pick(a.new_stream(addr)) == b.pick(b.new_stream(addr)));
    }
}

BOOST_AUTO_TEST_CASE(maxconn_follows_the_fraction)
{
    world w("roundrobin", {}, {1});
    w.srv(0)->shared->maxconn.store(20);
    set_frac(w, 0, 64);
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 5u);
    set_frac(w, 0, 1);
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 1u, "at least 1");
    set_frac(w, 0, 256);
    BOOST_TEST(lb_srv_maxconn(w.srv(0)) == 20u);
}
