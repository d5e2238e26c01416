// SPDX-License-Identifier: MIT
// Test fixture (t/module_sample_register.t, t/cfg_feature.t): a module that declares the
// feature word PORTICO_TEST_FEATURE and registers samples at run time (ABI 1.3):
//  - from init(): fetch "testmod_priv" (returns its private string "from-init"), converter
//    "testmod_tag" (appends "-<priv>"), and the prefix action "testmod." for http-request:
//    "http-request testmod.set-hdr <name>" sets request header <name> to
//    "<priv>:<what follows the prefix>" through the http module's API; it also tries to
//    register a fetch named "src" (the core's), which must be refused: fetch
//    "testmod_dup_refused" says 1 when it was;
//  - from the global keyword "testmod-fetch <name> <value>": a fetch <name> returning
//    <value>.
#include <portico/portico.h>

#include <stdlib.h>
#include <string.h>

static const ptc_host* host;
static const ptc_http_api* http;
static int dup_refused;

static int fetch_priv_str(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out, void* priv)
{
    const char* v = (const char*)priv;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str.ptr = v;
    out->u.str.len = strlen(v);
    return 1;
}

static int fetch_dup(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_SINT;
    out->u.sint = dup_refused;
    return 1;
}

static int conv_tag(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io, void* priv)
{
    size_t cap;
    char* b = host->scratch(&cap);
    const char* p = (const char*)priv;
    size_t n = io->u.str.len, pl = strlen(p);
    if (n + 1 + pl > cap)
        return 0;
    memmove(b, io->u.str.ptr, n);
    b[n] = '-';
    memcpy(b + n + 1, p, pl);
    io->type = PTC_SMP_STR;
    io->flags = 0;
    io->u.str.ptr = b;
    io->u.str.len = n + 1 + pl;
    return 1;
}

struct set_hdr {
    ptc_str name;
    ptc_str value;
};

static int act_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state,
                     void* priv)
{
    ptc_str word = ctx->args[first - 1]; /* "testmod.set-hdr" */
    if (word.len != strlen("testmod.set-hdr") || memcmp(word.ptr, "testmod.set-hdr", word.len))
        return host->cfg_errorf(ctx, "testmod: unknown action '%.*s'", (int)word.len, word.ptr);
    if (first >= ctx->argc)
        return host->cfg_errorf(ctx, "testmod.set-hdr expects a header name");
    struct set_hdr* st = (struct set_hdr*)host->alloc(sizeof(*st));
    st->name.ptr = host->cfg_strdup(ctx, ctx->args[first]);
    st->name.len = ctx->args[first].len;
    const char* p = (const char*)priv;
    size_t pl = strlen(p), sl = word.len - strlen("testmod.");
    char* v = (char*)host->alloc(pl + 1 + sl + 1);
    memcpy(v, p, pl);
    v[pl] = ':';
    memcpy(v + pl + 1, word.ptr + strlen("testmod."), sl);
    v[pl + 1 + sl] = 0;
    st->value.ptr = v;
    st->value.len = pl + 1 + sl;
    *state = st;
    *next = first + 1;
    return PTC_OK;
}

static int act_exec(ptc_stream* s, void* state)
{
    struct set_hdr* st = (struct set_hdr*)state;
    if (http)
        http->req_hdr_set(s, st->name, st->value);
    return PTC_ACT_CONTINUE;
}

static int parse_testmod_fetch(const ptc_kw_ctx* ctx)
{
    const char* name = host->cfg_strdup(ctx, ctx->args[ctx->kw_words]);
    const char* value = host->cfg_strdup(ctx, ctx->args[ctx->kw_words + 1]);
    ptc_fetch f = {name, PTC_SMP_STR, PTC_USE_ANY, 0, 0, NULL, NULL, "testmod-fetch value"};
    if (host->fetch_register(ctx->self, &f, sizeof(f), fetch_priv_str, (void*)value) != PTC_OK)
        return host->cfg_errorf(ctx, "testmod-fetch: cannot register fetch '%s'", name);
    return PTC_OK;
}

static int init(ptc_modref* self)
{
    if (!PTC_HOST_HAS(host, action_register))
        return PTC_ERROR;
    static const ptc_fetch f = {"testmod_priv", PTC_SMP_STR, PTC_USE_ANY, 0, 0, NULL, NULL,
                                "testmod_priv"};
    static const ptc_fetch fd = {"testmod_dup_refused", PTC_SMP_SINT, PTC_USE_ANY, 0, 0,
                                 fetch_dup, NULL, "testmod_dup_refused"};
    static const ptc_fetch dup = {"src", PTC_SMP_STR, PTC_USE_ANY, 0, 0, NULL, NULL, "src"};
    static const ptc_conv c = {"testmod_tag", PTC_SMP_STR, PTC_SMP_STR, 0, 0, NULL, NULL,
                               "testmod_tag"};
    static const ptc_action a = {PTC_RULES_HTTP_REQ, "testmod.", NULL, act_exec,
                                 "testmod.set-hdr <name>"};
    if (host->fetch_register(self, &f, sizeof(f), fetch_priv_str, (void*)"from-init") ||
        host->fetch_register(self, &fd, sizeof(fd), NULL, NULL) ||
        host->conv_register(self, &c, sizeof(c), conv_tag, (void*)"tagged") ||
        host->action_register(self, &a, sizeof(a), act_parse, (void*)"act"))
        return PTC_ERROR;
    dup_refused = host->fetch_register(self, &dup, sizeof(dup), fetch_priv_str, (void*)"x") ==
                  PTC_ERROR;
    return PTC_OK;
}

static int post_config(ptc_modref*)
{
    http = (const ptc_http_api*)host->api_lookup(PTC_HTTP_API_NAME, 1, NULL);
    return PTC_OK;
}

static const ptc_keyword kws[] = {
    {"testmod-fetch", PTC_SEC_GLOBAL, 0, 2, 2, parse_testmod_fetch,
     "testmod-fetch <name> <value>"},
};

static const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "sample_reg",
    .version = "1.0.0",
    .description = "registers fetches, converters and actions at run time (test)",
    .keywords = kws,
    .keyword_count = PTC_COUNTOF(kws),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .init = init,
    .post_config = post_config,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .features = "PORTICO_TEST_FEATURE PORTICO_TEST_FEATURE2",
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &desc;
}
