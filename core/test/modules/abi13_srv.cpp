// SPDX-License-Identifier: MIT
// Test fixture (t/module_abi13.t): the server side of ABI 1.3, used for real.
//  - backend keyword "abi13-pin <server> [force]" (proxy blob): a PTC_PHASE_SERVER_CHOICE
//    hook finds <server> with server_next/server_name and takes it with stream_use_server
//    (PTC_USE_SRV_FORCE with "force"), returning PTC_STOP when it did; the stream's module
//    state (stream_modstate) remembers it for the fetch "abi13_pinned";
//  - shm_reserve from post_config: an instance-wide count of new server connections,
//    incremented by a PTC_PHASE_SRV_CONNECTED hook in every worker (fetch "abi13_count");
//    post_config also checks that the same name gives the same area and another name
//    another one, and worker_init that a reservation after the fork is refused (fetch
//    "abi13_shm_checks": "same=1 other=1 sealed=<workers that saw NULL>");
//  - http-request actions "abi13-set-op <be>/<srv> up|down|stopping" (server_set_op) and
//    "abi13-eweight <be>/<srv> <0..256>" (server_set_eweight);
//  - fetches "abi13_state(<be>/<srv>)" (server_state bits), "abi13_addr(<be>/<srv>)"
//    (server_addr as "ip:port"), "abi13_servers(<be>)" (server_next: names joined by ','
//    with server_backend checked on each) and "abi13_pid" (the worker's pid).
#include <portico/portico.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>

static const ptc_host* host;
static ptc_modref* me;

struct shared_area {
    std::atomic<uint64_t> srv_conns;   // new server connections, all workers
    std::atomic<uint32_t> sealed_seen; // workers whose shm_reserve was refused
    uint32_t same;                     // post_config: same name -> same area
    uint32_t other;                    // post_config: other name -> another area
};
static shared_area* area;

struct pin_conf {
    const char* server; // NULL: no pin
    uint32_t force;
};

struct stream_state {
    uint32_t pinned;
};

static bool str_eq(ptc_str a, const char* b, size_t blen)
{
    return a.len == blen && memcmp(a.ptr, b, blen) == 0;
}

// "<be>/<srv>" or "<be>" (srv_name NULL) -> the server / proxy, or NULL.
static ptc_proxy* find_proxy(const char* name, size_t len)
{
    for (ptc_proxy* p = host->proxy_next(NULL); p; p = host->proxy_next(p))
        if (str_eq(host->proxy_name(p), name, len))
            return p;
    return NULL;
}

static ptc_server* find_server_in(const ptc_proxy* be, const char* name, size_t len)
{
    for (ptc_server* s = host->server_next(be, NULL); s; s = host->server_next(be, s))
        if (str_eq(host->server_name(s), name, len))
            return s;
    return NULL;
}

static ptc_server* find_server(const char* spec)
{
    const char* slash = strchr(spec, '/');
    if (!slash)
        return NULL;
    ptc_proxy* be = find_proxy(spec, (size_t)(slash - spec));
    return be ? find_server_in(be, slash + 1, strlen(slash + 1)) : NULL;
}

/* ---- abi13-pin ---- */

static int parse_pin(const ptc_kw_ctx* ctx)
{
    pin_conf* pc = (pin_conf*)ctx->conf;
    uint32_t a = ctx->kw_words;
    if (!pc)
        return host->cfg_errorf(ctx, "abi13-pin: no proxy blob");
    pc->server = host->cfg_strdup(ctx, ctx->args[a]);
    pc->force = 0;
    if (ctx->argc > a + 1) {
        if (!str_eq(ctx->args[a + 1], "force", 5))
            return host->cfg_errorf(ctx, "abi13-pin: expects 'force', got '%.*s'",
                                    (int)ctx->args[a + 1].len, ctx->args[a + 1].ptr);
        pc->force = 1;
    }
    return PTC_OK;
}

static int hook_server_choice(ptc_stream* s, void*, void* be_conf)
{
    const pin_conf* pc = (const pin_conf*)be_conf;
    if (!pc || !pc->server)
        return PTC_CONTINUE;
    ptc_proxy* be = host->stream_backend(s);
    ptc_server* srv = find_server_in(be, pc->server, strlen(pc->server));
    if (!srv || host->server_backend(srv) != be)
        return PTC_CONTINUE;
    if (host->stream_use_server(s, srv, pc->force ? PTC_USE_SRV_FORCE : 0) != PTC_OK)
        return PTC_CONTINUE; // not usable: the balancer runs
    stream_state* st = (stream_state*)host->stream_modstate(me, s);
    if (st)
        st->pinned++;
    return PTC_STOP;
}

static int hook_srv_connected(ptc_stream*, void*, void*)
{
    if (area)
        area->srv_conns.fetch_add(1, std::memory_order_relaxed);
    return PTC_CONTINUE;
}

/* ---- actions ---- */

struct act_state {
    const char* server; // "<be>/<srv>"
    uint32_t value;     // PTC_SRV_OP_* or frac256
};

static int parse_set_op(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    if (first + 2 > ctx->argc)
        return host->cfg_errorf(ctx, "abi13-set-op expects <be>/<srv> up|down|stopping");
    act_state* st = (act_state*)host->alloc(sizeof(*st));
    st->server = host->cfg_strdup(ctx, ctx->args[first]);
    ptc_str w = ctx->args[first + 1];
    if (str_eq(w, "up", 2))
        st->value = PTC_SRV_OP_UP;
    else if (str_eq(w, "down", 4))
        st->value = PTC_SRV_OP_DOWN;
    else if (str_eq(w, "stopping", 8))
        st->value = PTC_SRV_OP_STOPPING;
    else {
        host->free(st);
        return host->cfg_errorf(ctx, "abi13-set-op: unknown state '%.*s'", (int)w.len, w.ptr);
    }
    *state = st;
    *next = first + 2;
    return PTC_OK;
}

static int exec_set_op(ptc_stream*, void* state)
{
    const act_state* st = (const act_state*)state;
    ptc_server* srv = find_server(st->server);
    if (srv)
        host->server_set_op(srv, st->value, "set by abi13-set-op");
    return PTC_ACT_CONTINUE;
}

static int parse_eweight(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    if (first + 2 > ctx->argc)
        return host->cfg_errorf(ctx, "abi13-eweight expects <be>/<srv> <0..256>");
    char num[16];
    ptc_str w = ctx->args[first + 1];
    if (w.len == 0 || w.len >= sizeof(num))
        return host->cfg_errorf(ctx, "abi13-eweight: bad fraction");
    memcpy(num, w.ptr, w.len);
    num[w.len] = 0;
    char* end;
    unsigned long v = strtoul(num, &end, 10);
    if (*end || v > 256)
        return host->cfg_errorf(ctx, "abi13-eweight: fraction must be 0..256");
    act_state* st = (act_state*)host->alloc(sizeof(*st));
    st->server = host->cfg_strdup(ctx, ctx->args[first]);
    st->value = (uint32_t)v;
    *state = st;
    *next = first + 2;
    return PTC_OK;
}

static int exec_eweight(ptc_stream*, void* state)
{
    const act_state* st = (const act_state*)state;
    ptc_server* srv = find_server(st->server);
    if (srv)
        host->server_set_eweight(srv, st->value);
    return PTC_ACT_CONTINUE;
}

/* ---- fetches ---- */

static int out_sint(ptc_sample* out, int64_t v)
{
    out->type = PTC_SMP_SINT;
    out->flags = 0;
    out->u.sint = v;
    return 1;
}

static int out_scratch(ptc_sample* out, const char* fmt_done, size_t n)
{
    out->type = PTC_SMP_STR;
    out->flags = 0;
    out->u.str.ptr = fmt_done;
    out->u.str.len = n;
    return 1;
}

static int check_srv_arg(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs != 1 || !memchr(args[0].str.ptr, '/', args[0].str.len))
        return host->cfg_errorf(ctx, "expects <backend>/<server>");
    return PTC_OK;
}

static int fetch_count(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return area ? out_sint(out, (int64_t)area->srv_conns.load()) : 0;
}

static int fetch_pid(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return out_sint(out, (int64_t)getpid());
}

static int fetch_pinned(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    stream_state* st = (stream_state*)host->stream_modstate(me, s);
    return st ? out_sint(out, st->pinned) : 0;
}

static int fetch_state(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    ptc_server* srv = find_server(args[0].str.ptr);
    return srv ? out_sint(out, host->server_state(srv)) : 0;
}

static int fetch_addr(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    ptc_server* srv = find_server(args[0].str.ptr);
    if (!srv)
        return 0;
    sockaddr_storage ss;
    if (!host->server_addr(srv, &ss))
        return 0;
    size_t cap;
    char* b = host->scratch(&cap);
    char ip[INET6_ADDRSTRLEN];
    int n;
    if (ss.ss_family == AF_INET) {
        const sockaddr_in* in = (const sockaddr_in*)&ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        n = snprintf(b, cap, "%s:%u", ip, ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const sockaddr_in6* in = (const sockaddr_in6*)&ss;
        inet_ntop(AF_INET6, &in->sin6_addr, ip, sizeof(ip));
        n = snprintf(b, cap, "[%s]:%u", ip, ntohs(in->sin6_port));
    } else
        n = snprintf(b, cap, "family-%u", (unsigned)ss.ss_family);
    return n > 0 && (size_t)n < cap ? out_scratch(out, b, (size_t)n) : 0;
}

static int fetch_servers(ptc_stream*, const ptc_arg* args, uint32_t, ptc_sample* out)
{
    ptc_proxy* be = find_proxy(args[0].str.ptr, args[0].str.len);
    if (!be)
        return 0;
    size_t cap, n = 0;
    char* b = host->scratch(&cap);
    for (ptc_server* s = host->server_next(be, NULL); s; s = host->server_next(be, s)) {
        ptc_str name = host->server_name(s);
        const char* bad = host->server_backend(s) == be ? "" : "!";
        int w = snprintf(b + n, cap - n, "%s%s%.*s", n ? "," : "", bad, (int)name.len,
                         name.ptr);
        if (w < 0 || (size_t)w >= cap - n)
            return 0;
        n += (size_t)w;
    }
    return out_scratch(out, b, n);
}

static int fetch_shm_checks(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    if (!area)
        return 0;
    size_t cap;
    char* b = host->scratch(&cap);
    int n = snprintf(b, cap, "same=%u other=%u sealed=%u", area->same, area->other,
                     area->sealed_seen.load());
    return n > 0 && (size_t)n < cap ? out_scratch(out, b, (size_t)n) : 0;
}

/* ---- lifecycle ---- */

static int init(ptc_modref* self)
{
    me = self;
    return PTC_HOST_HAS(host, shm_reserve) ? PTC_OK : PTC_ERROR;
}

static int post_config(ptc_modref* self)
{
    area = (shared_area*)host->shm_reserve(self, "counters", sizeof(shared_area));
    if (!area) {
        host->errorf(self, "abi13_srv: shm_reserve failed");
        return PTC_ERROR;
    }
    area->same = host->shm_reserve(self, "counters", sizeof(shared_area)) == area;
    void* other = host->shm_reserve(self, "other", 64);
    area->other = other && other != area;
    return PTC_OK;
}

static int worker_init(ptc_modref* self)
{
    if (!host->shm_reserve(self, "late", 64))
        area->sealed_seen.fetch_add(1);
    return PTC_OK;
}

static const ptc_keyword kws[] = {
    {"abi13-pin", PTC_SEC_BACKEND, 0, 1, 2, parse_pin, "abi13-pin <server> [force]"},
};

static const ptc_hook hooks[] = {
    {PTC_PHASE_SERVER_CHOICE, 0, hook_server_choice},
    {PTC_PHASE_SRV_CONNECTED, 0, hook_srv_connected},
};

static const ptc_fetch fetches[] = {
    {"abi13_count", PTC_SMP_SINT, PTC_USE_ANY, 0, 0, fetch_count, NULL, "abi13_count"},
    {"abi13_pid", PTC_SMP_SINT, PTC_USE_ANY, 0, 0, fetch_pid, NULL, "abi13_pid"},
    {"abi13_pinned", PTC_SMP_SINT, PTC_USE_ANY, 0, 0, fetch_pinned, NULL, "abi13_pinned"},
    {"abi13_state", PTC_SMP_SINT, PTC_USE_ANY, 1, 1, fetch_state, check_srv_arg,
     "abi13_state(<be>/<srv>)"},
    {"abi13_addr", PTC_SMP_STR, PTC_USE_ANY, 1, 1, fetch_addr, check_srv_arg,
     "abi13_addr(<be>/<srv>)"},
    {"abi13_servers", PTC_SMP_STR, PTC_USE_ANY, 1, 1, fetch_servers, NULL,
     "abi13_servers(<be>)"},
    {"abi13_shm_checks", PTC_SMP_STR, PTC_USE_ANY, 0, 0, fetch_shm_checks, NULL,
     "abi13_shm_checks"},
};

static const ptc_action actions[] = {
    {PTC_RULES_HTTP_REQ, "abi13-set-op", parse_set_op, exec_set_op,
     "abi13-set-op <be>/<srv> up|down|stopping"},
    {PTC_RULES_HTTP_REQ, "abi13-eweight", parse_eweight, exec_eweight,
     "abi13-eweight <be>/<srv> <0..256>"},
};

static const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = 3,
    .size = sizeof(ptc_module),
    .name = "abi13_srv",
    .version = "1.0.0",
    .description = "server-side ABI 1.3 functions (test)",
    .keywords = kws,
    .keyword_count = PTC_COUNTOF(kws),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .proxy_conf_size = sizeof(pin_conf),
    .init = init,
    .post_config = post_config,
    .worker_init = worker_init,
    .fetches = fetches,
    .fetch_count = PTC_COUNTOF(fetches),
    .fetch_size = sizeof(ptc_fetch),
    .actions = actions,
    .action_count = PTC_COUNTOF(actions),
    .action_size = sizeof(ptc_action),
    .stream_state_size = sizeof(stream_state),
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &desc;
}
