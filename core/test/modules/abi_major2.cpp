// SPDX-License-Identifier: MIT
// Test fixture: a module that declares plugin ABI 2.0, which a 1.x portico must refuse.
#include <portico/portico.h>

static const ptc_module desc = {
    PTC_MODULE_MAGIC, 2, 0, sizeof(ptc_module), 0,
    "abi_major2", "2.0.0", "declares ABI 2.0 (must be refused)",
    PTC_NO_TABLE(ptc_keyword), PTC_NO_TABLE(ptc_hook), PTC_NO_TABLE(ptc_proto),
    0, 0, 0, 0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    PTC_NO_SAMPLE_TABLES,
};

PTC_MODULE_ENTRY(host)
{
    (void)host;
    return &desc;
}
