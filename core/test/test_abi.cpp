// SPDX-License-Identifier: MIT
// Unit tests of the plugin ABI checks: magic, major/minor, sizes, tables.
#define BOOST_TEST_MODULE abi
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "module/module.hpp"

using namespace portico;

namespace {

int parse_nop(const ptc_kw_ctx*) { return PTC_OK; }
int ev_nop(ptc_stream*, void*, uint32_t) { return PTC_CONTINUE; }

const ptc_keyword kws[] = {{"x-kw", PTC_SEC_FRONTEND, 0, 0, 1, parse_nop, "x-kw [arg]"}};
const ptc_proto protos[] = {{"xproto", 16, ev_nop, nullptr}};

ptc_module good()
{
    ptc_module m{};
    m.magic = PTC_MODULE_MAGIC;
    m.abi_major = PTC_ABI_MAJOR;
    m.abi_minor = PTC_ABI_MINOR;
    m.size = sizeof(ptc_module);
    m.name = "fake";
    m.version = "1.0.0";
    m.keywords = kws;
    m.keyword_count = 1;
    m.keyword_size = sizeof(ptc_keyword);
    m.hook_size = sizeof(ptc_hook);
    m.protos = protos;
    m.proto_count = 1;
    m.proto_size = sizeof(ptc_proto);
    return m;
}

bool check(const ptc_module& m, std::string& err)
{
    module_rec r;
    return check_descriptor(&m, "fake.so", r, err);
}

} // namespace

BOOST_AUTO_TEST_CASE(accepts_current_abi)
{
    ptc_module m = good();
    module_rec r;
    std::string err;
    BOOST_TEST(check_descriptor(&m, "fake.so", r, err), err);
    BOOST_TEST(r.name == "fake");
    BOOST_TEST(r.keywords.size() == 1u);
    BOOST_TEST(r.protos.size() == 1u);
    BOOST_TEST(r.protos[0].state_size == 16u);
}

BOOST_AUTO_TEST_CASE(refuses_bad_magic_and_null)
{
    ptc_module m = good();
    m.magic = 0x12345678;
    std::string err;
    BOOST_TEST(!check(m, err));
    BOOST_TEST(err.find("bad descriptor magic") != std::string::npos);
    module_rec r;
    BOOST_TEST(!check_descriptor(nullptr, "x.so", r, err));
    BOOST_TEST(err.find("refused to load") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_other_major_naming_both_versions)
{
    ptc_module m = good();
    m.abi_major = PTC_ABI_MAJOR + 1;
    m.abi_minor = 0;
    std::string err;
    BOOST_TEST(!check(m, err));
    std::string need = "needs ABI " + std::to_string(PTC_ABI_MAJOR + 1) + ".0";
    BOOST_TEST(err.find(need) != std::string::npos, err);
    BOOST_TEST(err.find("provides " + host_abi_range()) != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(refuses_newer_minor_accepts_older)
{
    ptc_module m = good();
    m.abi_minor = PTC_ABI_MINOR + 1;
    std::string err;
    BOOST_TEST(!check(m, err));
    BOOST_TEST(err.find("needs ABI 1." + std::to_string(PTC_ABI_MINOR + 1)) != std::string::npos);
    m.abi_minor = 0;
    BOOST_TEST(check(m, err), err);
}

BOOST_AUTO_TEST_CASE(refuses_truncated_descriptor_and_tables)
{
    ptc_module m = good();
    m.size = 16;
    std::string err;
    BOOST_TEST(!check(m, err));
    BOOST_TEST(err.find("truncated") != std::string::npos);
    m = good();
    m.keyword_size = 8;
    BOOST_TEST(!check(m, err));
    BOOST_TEST(err.find("keyword table") != std::string::npos);
    m = good();
    m.protos = nullptr;
    BOOST_TEST(!check(m, err));
}

BOOST_AUTO_TEST_CASE(reads_larger_entries_from_a_newer_minor)
{
    // A later minor may append fields to entries: the host reads what it knows.
    struct big_kw {
        ptc_keyword base;
        uint64_t extra;
    };
    static const big_kw big[] = {{{"a-kw", PTC_SEC_FRONTEND, 0, 0, 0, parse_nop, "a"}, 7},
                                 {{"b-kw", PTC_SEC_BACKEND, 0, 1, 1, parse_nop, "b"}, 9}};
    ptc_module m = good();
    m.keywords = &big[0].base;
    m.keyword_count = 2;
    m.keyword_size = sizeof(big_kw);
    module_rec r;
    std::string err;
    BOOST_TEST(check_descriptor(&m, "fake.so", r, err), err);
    BOOST_REQUIRE(r.keywords.size() == 2u);
    BOOST_TEST(std::strcmp(r.keywords[1].name, "b-kw") == 0);
    BOOST_TEST(r.keywords[1].where == PTC_SEC_BACKEND);
}

BOOST_AUTO_TEST_CASE(refuses_server_option_with_variable_arity)
{
    static const ptc_keyword bad[] = {{"opt", PTC_KW_SERVER, 0, 0, 2, parse_nop, "opt"}};
    ptc_module m = good();
    m.keywords = bad;
    std::string err;
    BOOST_TEST(!check(m, err));
}

BOOST_AUTO_TEST_CASE(host_table_is_stamped)
{
    BOOST_TEST(g_host.magic == PTC_HOST_MAGIC);
    BOOST_TEST(g_host.abi_major == PTC_ABI_MAJOR);
    BOOST_TEST(g_host.abi_minor == PTC_ABI_MINOR);
    BOOST_TEST(g_host.size == sizeof(ptc_host));
    BOOST_TEST(PTC_HOST_HAS(&g_host, api_lookup));
    ptc_host older = g_host;
    older.size = offsetof(ptc_host, hooks_run);
    BOOST_TEST(!PTC_HOST_HAS(&older, api_lookup));
}
