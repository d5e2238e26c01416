// SPDX-License-Identifier: MIT
// Test fixture (ABI 1.3 tasks and outgoing connections): in worker slot 0 only, a task
// connects every 100 ms to the address of "testconn-target <ipv4>:<port>" (global
// section), sends "hello\n", reads one line back and logs it at NOTICE
// ("testconn: worker <slot> read '<line>'"). Used by t/module_task_conn.t.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstring>
#include <string>

#include <portico/portico.h>

namespace {

const ptc_host* H;
ptc_modref* g_self;
sockaddr_in g_target;
bool g_have_target;
ptc_task* g_task;
ptc_conn* g_conn;

int kw_target(const ptc_kw_ctx* ctx)
{
    std::string a(ctx->args[ctx->kw_words].ptr, ctx->args[ctx->kw_words].len);
    size_t colon = a.rfind(':');
    std::memset(&g_target, 0, sizeof(g_target));
    g_target.sin_family = AF_INET;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, a.substr(0, colon).c_str(), &g_target.sin_addr) != 1) {
        H->cfg_errorf(ctx, "testconn-target: expects <ipv4>:<port>, got '%s'", a.c_str());
        return PTC_ERROR;
    }
    g_target.sin_port = htons((uint16_t)std::stoi(a.substr(colon + 1)));
    g_have_target = true;
    return PTC_OK;
}

void drop_conn()
{
    if (g_conn)
        H->conn_close(g_conn);
    g_conn = nullptr;
}

void on_conn(ptc_conn* c, void*, uint32_t ev)
{
    if (ev & PTC_CEV_ERROR) {
        H->log(PTC_LOG_WARNING, "testconn: connection failed: %s", strerror(H->conn_error(c)));
        drop_conn();
        return;
    }
    if (ev & PTC_CEV_TIMEOUT) {
        H->log(PTC_LOG_WARNING, "testconn: no answer in time");
        drop_conn();
        return;
    }
    if (ev & PTC_CEV_DATA) {
        ptc_str in;
        uint32_t f = H->conn_data(c, &in);
        const char* nl = static_cast<const char*>(std::memchr(in.ptr, '\n', in.len));
        if (nl) {
            H->log(PTC_LOG_NOTICE, "testconn: worker %d read '%.*s'", H->worker_slot(),
                   (int)(nl - in.ptr), in.ptr);
            H->conn_consume(c, (size_t)(nl - in.ptr) + 1);
            drop_conn(); // from inside the callback
        } else if (f & PTC_CONN_EOF) {
            H->log(PTC_LOG_WARNING, "testconn: EOF before a line");
            drop_conn();
        }
    }
}

uint64_t tick(ptc_task*, void*)
{
    if (!g_conn) {
        g_conn = H->conn_new(g_self, reinterpret_cast<const sockaddr*>(&g_target),
                             sizeof(g_target), nullptr, 0, on_conn, nullptr);
        if (g_conn) {
            H->conn_send(g_conn, "hello\n", 6); // queued: leaves once connected
            H->conn_set_timeout(g_conn, 2000);
        }
    }
    return H->now_ms() + 100;
}

int worker_init(ptc_modref* self)
{
    g_self = self;
    if (!g_have_target || H->worker_slot() != 0)
        return PTC_OK;
    H->log(PTC_LOG_NOTICE, "testconn: worker %d of %u starts its task", H->worker_slot(),
           H->worker_count());
    g_task = H->task_new(self, tick, nullptr);
    if (!g_task)
        return PTC_ERROR;
    H->task_schedule(g_task, H->now_ms() + 100);
    return PTC_OK;
}

void worker_fini(ptc_modref*)
{
    drop_conn();
    if (g_task)
        H->task_free(g_task);
    g_task = nullptr;
}

const ptc_keyword kws[] = {
    {"testconn-target", PTC_SEC_GLOBAL, 0, 1, 1, kw_target, "testconn-target <ipv4>:<port>"},
};

const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "task_conn",
    .version = "1.3.0",
    .description = "test: a task in worker 0 talking to an echo server",
    .keywords = kws,
    .keyword_count = PTC_COUNTOF(kws),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .worker_init = worker_init,
    .worker_fini = worker_fini,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

PTC_MODULE_ENTRY(host)
{
    H = host;
    if (!PTC_HOST_HAS(host, conn_close))
        return nullptr;
    return &desc;
}
