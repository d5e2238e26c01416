// SPDX-License-Identifier: MIT
// Test fixture (t/module_abi15.t): ABI 1.5 HTTP services registered by a module.
//  - "svc15.big": streams /<n> bytes (the path's number) of a repeating 'a'..'z' pattern,
//    without a content-length (the runner frames it), a few KiB per run() call at most;
//  - "svc15.echo": answers with content-length: method, target, the x-test header and the
//    request body, one per line; status 201;
//  - "svc15.fail": returns PTC_ERROR before writing (the runner answers 500);
//  - "svc15.later": its first run() wakes the stream and yields without writing anything,
//    the next one answers "later <calls>" (no content-length).
// release() counts the requests in a process-wide counter shown by "svc15.count".
#include <portico/portico.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static const ptc_host* host;
static unsigned long g_released;

struct big_ctx {
    unsigned long total;
    unsigned long sent;
};

static int big_run(ptc_svc_txn* t)
{
    auto* c = static_cast<big_ctx*>(t->ctx);
    if (t->calls == 0) {
        std::string uri(t->uri.ptr, t->uri.len);
        c->total = std::strtoul(uri.c_str() + 1, nullptr, 10);
        t->ops->res_hdr_add(t, ptc_str{"content-type", 12}, ptc_str{"text/plain", 10});
    }
    char buf[3000];
    while (c->sent < c->total) {
        size_t room = t->ops->res_room(t);
        if (!room)
            return PTC_YIELD;
        size_t n = c->total - c->sent;
        n = n < sizeof(buf) ? n : sizeof(buf);
        n = n < room ? n : room;
        for (size_t i = 0; i < n; i++)
            buf[i] = char('a' + (c->sent + i) % 26);
        size_t w = t->ops->res_write(t, buf, n);
        if (!w)
            return PTC_YIELD;
        c->sent += w;
    }
    return PTC_OK;
}

static int echo_run(ptc_svc_txn* t)
{
    std::string out(t->method.ptr, t->method.len);
    out += '\n';
    out.append(t->uri.ptr, t->uri.len);
    out += '\n';
    ptc_str h;
    if (t->ops->req_hdr(t, ptc_str{"X-Test", 6}, 0, &h) == PTC_OK)
        out.append(h.ptr, h.len);
    out += '\n';
    out.append(t->body.ptr ? t->body.ptr : "", t->body.len);
    out += (t->flags & PTC_SVC_F_BODY_TRUNC) ? "\ntruncated" : "";
    std::string len = std::to_string(out.size());
    t->ops->res_status(t, 201, ptc_str{"", 0});
    t->ops->res_hdr_add(t, ptc_str{"content-length", 14}, ptc_str{len.data(), len.size()});
    t->ops->res_hdr_add(t, ptc_str{"x-svc", 5}, ptc_str{"echo", 4});
    t->ops->res_write(t, out.data(), out.size());
    return PTC_OK;
}

static int fail_run(ptc_svc_txn*) { return PTC_ERROR; }

static int later_run(ptc_svc_txn* t)
{
    if (t->calls == 0) {
        host->stream_wake(t->stream);
        return PTC_YIELD;
    }
    std::string out = "later " + std::to_string(t->calls) + "\n";
    t->ops->res_hdr_add(t, ptc_str{"x-svc", 5}, ptc_str{"later", 5});
    t->ops->res_write(t, out.data(), out.size());
    return PTC_OK;
}

static int count_run(ptc_svc_txn* t)
{
    std::string out = std::to_string(g_released) + "\n";
    t->ops->res_write(t, out.data(), out.size());
    return PTC_OK;
}

static void release(ptc_svc_txn*) { g_released++; }

static int mod_init(ptc_modref* self)
{
    static const ptc_service svcs[] = {
        {sizeof(ptc_service), 0, "svc15.big", sizeof(big_ctx), 0, nullptr, big_run, release,
         "streams N bytes"},
        {sizeof(ptc_service), 0, "svc15.echo", 0, 1024, nullptr, echo_run, release, "echo"},
        {sizeof(ptc_service), 0, "svc15.fail", 0, 0, nullptr, fail_run, release, "fails"},
        {sizeof(ptc_service), 0, "svc15.later", 0, 0, nullptr, later_run, release, "yields first"},
        {sizeof(ptc_service), 0, "svc15.count", 0, 0, nullptr, count_run, nullptr, "count"},
    };
    for (auto& s : svcs)
        if (host->service_register(self, &s, sizeof(s)) != PTC_OK)
            return PTC_ERROR;
    // a second registration of a name is refused
    return host->service_register(self, &svcs[0], sizeof(svcs[0])) == PTC_ERROR ? PTC_OK
                                                                                 : PTC_ERROR;
}

static const ptc_module k_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "svc15",
    .version = "1.0",
    .description = "ABI 1.5 test fixture",
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .init = mod_init,
};

PTC_MODULE_ENTRY(h)
{
    host = h;
    return &k_module;
}
