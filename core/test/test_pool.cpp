// SPDX-License-Identifier: MIT
// Unit tests of the fixed-size block pools: reuse, and nullptr (never an exception or an
// abort) when a pool cannot grow.
#define BOOST_TEST_MODULE pool
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "util/pool.hpp"

using namespace portico;

BOOST_AUTO_TEST_CASE(get_put_reuse)
{
    block_pool p(100, 4);
    BOOST_TEST(p.block_size() == 128u);
    void* a = p.get();
    void* b = p.get();
    BOOST_TEST(a != nullptr);
    BOOST_TEST(b != nullptr);
    BOOST_TEST(a != b);
    BOOST_TEST(p.used() == 2u);
    p.put(a);
    BOOST_TEST(p.get() == a); // LIFO: the block just freed comes back first
    for (int i = 0; i < 10; i++) // grows past its first chunk
        BOOST_TEST(p.get() != nullptr);
    BOOST_TEST(p.used() == 12u);
}

BOOST_AUTO_TEST_CASE(exhausted_returns_null)
{
    // a chunk far beyond any address space: the allocation fails
    block_pool huge(size_t(1) << 60, 1);
    BOOST_TEST(huge.get() == nullptr);
    BOOST_TEST(huge.used() == 0u);
    // chunk size overflowing size_t
    block_pool over(size_t(1) << 40, size_t(1) << 40);
    BOOST_TEST(over.get() == nullptr);
    BOOST_TEST(over.used() == 0u);
}
