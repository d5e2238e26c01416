/* SPDX-License-Identifier: MIT */
/* An out-of-tree portico module: "example-header <name> <value>" adds a header to every
 * HTTP response of the proxies that use it. Built against the installed headers only. */
#include <portico/portico.h>

#include <string.h>

static const ptc_host *host;
static const ptc_http_api *http;

/* Per-proxy configuration: copied from "defaults" into each proxy (memcpy is fine: the
 * strings live as long as the configuration, see cfg_strdup). */
struct example_conf {
    const char *name;  /* NULL when the keyword is not used */
    const char *value;
};

static int parse_example_header(const ptc_kw_ctx *ctx)
{
    struct example_conf *c = ctx->conf;
    ptc_str name = ctx->args[ctx->kw_words];
    if (name.len == 0 || memchr(name.ptr, ':', name.len))
        return host->cfg_errorf(ctx, "'example-header': invalid header name");
    c->name = host->cfg_strdup(ctx, name);
    c->value = host->cfg_strdup(ctx, ctx->args[ctx->kw_words + 1]);
    return PTC_OK;
}

static int on_http_response(ptc_stream *s, void *fe_conf, void *be_conf)
{
    const struct example_conf *c = fe_conf;
    (void)be_conf;
    if (!c || !c->name)
        return PTC_CONTINUE;
    ptc_str n = {c->name, strlen(c->name)};
    ptc_str v = {c->value, strlen(c->value)};
    if (http->res_hdr_add(s, n, v) != PTC_OK)
        host->log(PTC_LOG_WARNING, "example: no room to add header %s", c->name);
    return PTC_CONTINUE;
}

static int post_config(ptc_modref *self)
{
    http = host->api_lookup(PTC_HTTP_API_NAME, 1, NULL);
    if (!http) {
        host->errorf(self, "the http module is not loaded");
        return PTC_ERROR;
    }
    return PTC_OK;
}

static const ptc_keyword keywords[] = {
    /* name            where                                      flags min max parser */
    {"example-header", PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND, 0, 2, 2, parse_example_header,
     "example-header <name> <value>"},
};

static const ptc_hook hooks[] = {
    {PTC_PHASE_HTTP_RESPONSE, 0, on_http_response},
};

static const ptc_module descriptor = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "example",
    .version = "1.0.0",
    .description = "adds a configured header to HTTP responses",
    .keywords = keywords,
    .keyword_count = sizeof(keywords) / sizeof(keywords[0]),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = sizeof(hooks) / sizeof(hooks[0]),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(struct example_conf),
    .post_config = post_config,
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &descriptor;
}
