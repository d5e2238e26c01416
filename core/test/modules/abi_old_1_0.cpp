// SPDX-License-Identifier: MIT
// Test fixture: a module built against the frozen ABI 1.0 headers (core/test/abi-1.0).
// It must load and work in every 1.x portico: it registers a keyword that adds a
// response header through the http module's published API.
#include "../abi-1.0/portico/portico.h"

#include <string.h>

static const ptc_host* host;
static const ptc_http_api* http;

struct fe_conf {
    const char* value; /* NULL: keyword not used in this proxy */
};

static int parse_old10_header(const ptc_kw_ctx* ctx)
{
    struct fe_conf* c = (struct fe_conf*)ctx->conf;
    c->value = host->cfg_strdup(ctx, ctx->args[ctx->kw_words]);
    return PTC_OK;
}

static int hook_response(ptc_stream* s, void* fe, void* be)
{
    (void)be;
    const struct fe_conf* c = (const struct fe_conf*)fe;
    if (c && c->value && http) {
        ptc_str n = {"X-ABI-1-0", 9};
        ptc_str v = {c->value, strlen(c->value)};
        http->res_hdr_add(s, n, v);
    }
    return PTC_CONTINUE;
}

static int post_config(ptc_modref* self)
{
    (void)self;
    http = (const ptc_http_api*)host->api_lookup(PTC_HTTP_API_NAME, 1, NULL);
    return PTC_OK;
}

static const ptc_keyword kws[] = {
    {"abi-1-0-header", PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND, 0, 1, 1, parse_old10_header,
     "abi-1-0-header <value>"},
};
static const ptc_hook hooks[] = {
    {PTC_PHASE_HTTP_RESPONSE, 100, hook_response},
};

static const ptc_module desc = {
    PTC_MODULE_MAGIC, 1, 0, sizeof(ptc_module), 0,
    "abi_old_1_0", "1.0.0", "built against the frozen ABI 1.0 headers",
    PTC_TABLE(kws, ptc_keyword), PTC_TABLE(hooks, ptc_hook), PTC_NO_TABLE(ptc_proto),
    0, sizeof(struct fe_conf), 0, 0, nullptr, nullptr, nullptr, post_config, nullptr, nullptr,
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &desc;
}
