// SPDX-License-Identifier: MIT
// Test fixture: a module that needs plugin ABI 1.99, newer than this portico provides.
#include <portico/portico.h>

static const ptc_module desc = {
    PTC_MODULE_MAGIC, 1, 99, sizeof(ptc_module), 0,
    "abi_minor_new", "1.99.0", "needs ABI 1.99 (must be refused)",
    PTC_NO_TABLE(ptc_keyword), PTC_NO_TABLE(ptc_hook), PTC_NO_TABLE(ptc_proto),
    0, 0, 0, 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    PTC_NO_SAMPLE_TABLES,
};

PTC_MODULE_ENTRY(host)
{
    (void)host;
    return &desc;
}
