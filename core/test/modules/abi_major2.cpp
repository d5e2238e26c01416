// SPDX-License-Identifier: MIT
// Test fixture: a module that declares plugin ABI 2.0, which a 1.x portico must refuse.
#include <portico/portico.h>

static const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = 2,
    .size = sizeof(ptc_module),
    .name = "abi_major2",
    .version = "2.0.0",
    .description = "declares ABI 2.0 (must be refused)",
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
