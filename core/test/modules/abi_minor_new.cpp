// SPDX-License-Identifier: MIT
// Test fixture: a module that needs plugin ABI 1.99, newer than this portico provides.
#include <portico/portico.h>

static const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = 1,
    .abi_minor = 99,
    .size = sizeof(ptc_module),
    .name = "abi_minor_new",
    .version = "1.99.0",
    .description = "needs ABI 1.99 (must be refused)",
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

PTC_MODULE_ENTRY(host)
{
    (void)host;
    return &desc;
}
