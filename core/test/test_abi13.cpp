// SPDX-License-Identifier: MIT
// Unit tests of ABI 1.3 host pieces: server state bits, operational state and effective
// weight setters (srv_eweight), module shared memory, and 1.3 descriptors.
#define BOOST_TEST_MODULE abi13
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>

#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"

using namespace portico;

namespace {

struct fake_server {
    std::unique_ptr<shm_server> sh = std::make_unique<shm_server>();
    server sv;
    fake_server(uint32_t weight = 100)
    {
        sh->in_use = 1;
        sh->up = SRV_OP_UP;
        sh->admin = SRV_ADMIN_READY;
        sh->weight = weight;
        sv.weight = weight;
        sv.shared = sh.get();
    }
    ptc_server* h() { return to_handle(&sv); }
};

ptc_module desc13()
{
    ptc_module m{};
    m.magic = PTC_MODULE_MAGIC;
    m.abi_major = PTC_ABI_MAJOR;
    m.abi_minor = 3;
    m.size = sizeof(ptc_module);
    m.name = "fake13";
    m.version = "1.0.0";
    m.keyword_size = sizeof(ptc_keyword);
    m.hook_size = sizeof(ptc_hook);
    m.proto_size = sizeof(ptc_proto);
    m.fetch_size = sizeof(ptc_fetch);
    m.conv_size = sizeof(ptc_conv);
    m.action_size = sizeof(ptc_action);
    m.bind_conf_size = 24;
    m.stream_state_size = 40;
    m.features = "FAKE13 FAKE13-B";
    return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(server_state_bits)
{
    fake_server f;
    BOOST_TEST(g_host.server_state(f.h()) == (PTC_SRV_ST_UP | PTC_SRV_ST_USABLE));
    f.sh->up = SRV_OP_STOPPING;
    BOOST_TEST(g_host.server_state(f.h()) == (PTC_SRV_ST_UP | PTC_SRV_ST_STOPPING));
    f.sh->up = SRV_OP_DOWN;
    BOOST_TEST(g_host.server_state(f.h()) == 0u);
    f.sh->up = SRV_OP_UP;
    f.sh->admin = SRV_ADMIN_MAINT;
    BOOST_TEST(g_host.server_state(f.h()) == (PTC_SRV_ST_UP | PTC_SRV_ST_MAINT));
    f.sh->admin = SRV_ADMIN_DRAIN;
    BOOST_TEST(g_host.server_state(f.h()) == (PTC_SRV_ST_UP | PTC_SRV_ST_DRAIN));
    f.sh->admin = SRV_ADMIN_READY;
    f.sh->weight = 0;
    BOOST_TEST(g_host.server_state(f.h()) == PTC_SRV_ST_UP, "weight 0: not usable");
    f.sh->weight = 100;
    f.sv.backup = true;
    BOOST_TEST(g_host.server_state(f.h()) ==
               (PTC_SRV_ST_UP | PTC_SRV_ST_USABLE | PTC_SRV_ST_BACKUP));
    f.sh->in_use = 0;
    BOOST_TEST(!(g_host.server_state(f.h()) & PTC_SRV_ST_USABLE), "free slot: not usable");
}

BOOST_AUTO_TEST_CASE(server_set_op_returns_previous_state)
{
    fake_server f;
    BOOST_TEST(f.sh->op_managed.load() == 0u);
    BOOST_TEST(g_host.server_set_op(f.h(), PTC_SRV_OP_DOWN, nullptr) == PTC_SRV_OP_UP);
    BOOST_TEST(f.sh->op_managed.load() == 1u, "checks-managed from now on (show stat UP)");
    BOOST_TEST(f.sh->up.load() == (uint32_t)SRV_OP_DOWN);
    BOOST_TEST(g_host.server_set_op(f.h(), PTC_SRV_OP_STOPPING, nullptr) == PTC_SRV_OP_DOWN);
    BOOST_TEST(g_host.server_set_op(f.h(), PTC_SRV_OP_UP, nullptr) == PTC_SRV_OP_STOPPING);
    // an unknown state changes nothing
    BOOST_TEST(g_host.server_set_op(f.h(), 7, nullptr) == PTC_SRV_OP_UP);
    BOOST_TEST(f.sh->up.load() == (uint32_t)SRV_OP_UP);
}

BOOST_AUTO_TEST_CASE(effective_weight_math)
{
    fake_server f(100);
    BOOST_TEST(srv_eweight(f.sh.get()) == 100u);
    g_host.server_set_eweight(f.h(), 32);
    BOOST_TEST(f.sh->eweight_drop.load() == 224u);
    BOOST_TEST(srv_eweight(f.sh.get()) == 13u, "100 * 32/256 = 12.5, rounded up");
    g_host.server_set_eweight(f.h(), 1);
    BOOST_TEST(srv_eweight(f.sh.get()) == 1u, "a non-zero fraction keeps at least 1");
    g_host.server_set_eweight(f.h(), 0);
    BOOST_TEST(srv_eweight(f.sh.get()) == 0u);
    BOOST_TEST(g_host.server_state(f.h()) == PTC_SRV_ST_UP,
               "fraction 0: no traffic, so not USABLE");
    g_host.server_set_eweight(f.h(), 1000); // clamped to the full weight
    BOOST_TEST(srv_eweight(f.sh.get()) == 100u);
    g_host.server_set_eweight(f.h(), 128);
    BOOST_TEST(srv_eweight(f.sh.get()) == 50u);
    f.sh->weight = 0; // "set weight 0" wins over any fraction
    BOOST_TEST(srv_eweight(f.sh.get()) == 0u);
    f.sh->weight = 256;
    g_host.server_set_eweight(f.h(), 256);
    BOOST_TEST(srv_eweight(f.sh.get()) == 256u);
}

BOOST_AUTO_TEST_CASE(module_shared_memory)
{
    void* a = shm_module_reserve("m1", "area", 128);
    BOOST_REQUIRE(a);
    BOOST_TEST(static_cast<unsigned char*>(a)[127] == 0, "zeroed");
    std::memset(a, 0x5a, 128);
    BOOST_TEST(shm_module_reserve("m1", "area", 128) == a, "same module and name: same area");
    BOOST_TEST(shm_module_reserve("m1", "area", 64) == a, "smaller size: same area");
    BOOST_TEST(shm_module_reserve("m1", "area", 4096) == nullptr, "larger than reserved: refused");
    void* b = shm_module_reserve("m2", "area", 128);
    BOOST_TEST((b && b != a), "the name is per module");
    void* c = shm_module_reserve("m1", "other", 128);
    BOOST_TEST((c && c != a && c != b));
    BOOST_TEST(shm_module_reserve("m1", "zero", 0) == nullptr, "size 0 refused");
    shm_module_seal(); // the master forked the workers
    BOOST_TEST(shm_module_reserve("m1", "late", 64) == nullptr, "after the fork: refused");
    BOOST_TEST(shm_module_reserve("m1", "area", 128) == nullptr, "even an existing name");
    BOOST_TEST(static_cast<unsigned char*>(a)[0] == 0x5a, "earlier areas stay mapped");
}

BOOST_AUTO_TEST_CASE(descriptor_13_fields)
{
    ptc_module m = desc13();
    module_rec r;
    std::string err;
    BOOST_TEST(check_descriptor(&m, "fake13.so", r, err), err);
    BOOST_TEST(r.desc.bind_conf_size == 24u);
    BOOST_TEST(r.desc.stream_state_size == 40u);
    BOOST_REQUIRE(r.features.size() == 2u);
    BOOST_TEST(r.features[0] == "FAKE13");
    BOOST_TEST(r.features[1] == "FAKE13-B");
}

BOOST_AUTO_TEST_CASE(descriptor_12_sized_reads_zero_13_fields)
{
    // A 1.2 module's descriptor ends before bind_conf_size: the host must not read past it.
    ptc_module m = desc13();
    m.abi_minor = 2;
    m.size = offsetof(ptc_module, bind_conf_size);
    module_rec r;
    std::string err;
    BOOST_TEST(check_descriptor(&m, "old12.so", r, err), err);
    BOOST_TEST(r.desc.bind_conf_size == 0u);
    BOOST_TEST(r.desc.stream_state_size == 0u);
    BOOST_TEST(r.desc.features == nullptr);
    BOOST_TEST(r.features.empty());
}

BOOST_AUTO_TEST_CASE(refuses_a_module_built_for_a_newer_minor_naming_both)
{
    ptc_module m = desc13();
    m.abi_minor = PTC_ABI_MINOR + 1;
    module_rec r;
    std::string err;
    BOOST_TEST(!check_descriptor(&m, "newer.so", r, err));
    BOOST_TEST(err.find("needs ABI 1." + std::to_string(PTC_ABI_MINOR + 1)) != std::string::npos, err);
    BOOST_TEST(err.find("this portico provides " + host_abi_range()) != std::string::npos, err);
    BOOST_TEST(host_abi_range() == "1.0-1." + std::to_string(PTC_ABI_MINOR));
}

BOOST_AUTO_TEST_CASE(refuses_bad_feature_words)
{
    ptc_module m = desc13();
    m.features = "GOOD bad,word";
    module_rec r;
    std::string err;
    BOOST_TEST(!check_descriptor(&m, "badfeat.so", r, err));
    BOOST_TEST(err.find("invalid features") != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(host_table_has_13_members)
{
    BOOST_TEST(PTC_HOST_HAS(&g_host, shm_reserve));
    BOOST_TEST(PTC_HOST_HAS(&g_host, stream_use_server));
    BOOST_TEST(PTC_HOST_HAS(&g_host, action_register));
    ptc_host h12 = g_host;
    h12.size = offsetof(ptc_host, stream_bind);
    BOOST_TEST(!PTC_HOST_HAS(&h12, stream_bind));
    BOOST_TEST(PTC_HOST_HAS(&h12, chan_rewind));
}
