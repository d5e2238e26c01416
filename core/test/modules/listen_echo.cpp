// SPDX-License-Identifier: MIT
// Test fixture (ABI 1.18 listening sockets): in worker slot 0 only, listens on the address
// of "testlisten <ipv4>:<port>" or "testlisten fd@<n>" (global section) and answers each
// line received on an accepted connection with "<slot> <line>\n"; "quit" closes that
// connection, "stop" closes the listener (logged: "testlisten: listener closed").
// Used by t/module_listen.t.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <portico/portico.h>

namespace {

const ptc_host* H;
sockaddr_in g_addr;
int g_fd = -1;
bool g_have;
ptc_conn* g_listener;
unsigned g_accepted;

int kw_listen(const ptc_kw_ctx* ctx)
{
    std::string a(ctx->args[ctx->kw_words].ptr, ctx->args[ctx->kw_words].len);
    if (a.rfind("fd@", 0) == 0) {
        g_fd = std::atoi(a.c_str() + 3);
        g_have = true;
        return PTC_OK;
    }
    size_t colon = a.rfind(':');
    std::memset(&g_addr, 0, sizeof(g_addr));
    g_addr.sin_family = AF_INET;
    if (colon == std::string::npos || inet_pton(AF_INET, a.substr(0, colon).c_str(), &g_addr.sin_addr) != 1) {
        H->cfg_errorf(ctx, "testlisten: expects <ipv4>:<port> or fd@<n>, got '%s'", a.c_str());
        return PTC_ERROR;
    }
    g_addr.sin_port = htons((uint16_t)std::stoi(a.substr(colon + 1)));
    g_have = true;
    return PTC_OK;
}

void on_client(ptc_conn* c, void*, uint32_t ev)
{
    if (ev & (PTC_CEV_ERROR | PTC_CEV_TIMEOUT)) {
        H->conn_close(c);
        return;
    }
    ptc_str in;
    uint32_t f = H->conn_data(c, &in);
    size_t used = 0;
    while (const char* nl = static_cast<const char*>(std::memchr(in.ptr + used, '\n', in.len - used))) {
        std::string line(in.ptr + used, size_t(nl - (in.ptr + used)));
        used = size_t(nl - in.ptr) + 1;
        if (line == "quit") {
            H->conn_close(c);
            return;
        }
        if (line == "stop" && g_listener) {
            H->conn_close(g_listener);
            g_listener = nullptr;
            H->log(PTC_LOG_NOTICE, "testlisten: listener closed");
        }
        std::string out = std::to_string(H->worker_slot()) + " " + line + "\n";
        H->conn_send(c, out.data(), out.size());
    }
    H->conn_consume(c, used);
    if (f & (PTC_CONN_EOF | PTC_CONN_ERROR))
        H->conn_close(c);
}

void on_listener(ptc_conn* l, void*, uint32_t ev)
{
    if (ev & PTC_CEV_ERROR) {
        H->log(PTC_LOG_WARNING, "testlisten: listener failed: %s", strerror(H->conn_error(l)));
        H->conn_close(l);
        g_listener = nullptr;
        return;
    }
    while (ev & PTC_CEV_ACCEPT) {
        sockaddr_storage from;
        socklen_t fl = 0;
        ptc_conn* c = H->conn_accept(l, on_client, nullptr, &from, &fl);
        if (!c) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                H->log(PTC_LOG_WARNING, "testlisten: accept: %s", strerror(errno));
            break;
        }
        g_accepted++;
        char ip[64] = "?";
        if (from.ss_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, ip, sizeof(ip));
        H->log(PTC_LOG_NOTICE, "testlisten: accepted #%u from %s (len %u)", g_accepted, ip, unsigned(fl));
        H->conn_set_timeout(c, 10000);
    }
}

int worker_init(ptc_modref* self)
{
    if (!g_have || H->worker_slot() != 0)
        return PTC_OK;
    g_listener = H->conn_listen(self, g_fd >= 0 ? nullptr : reinterpret_cast<const sockaddr*>(&g_addr),
                                g_fd >= 0 ? 0 : sizeof(g_addr), g_fd, on_listener, nullptr);
    if (!g_listener) {
        H->log(PTC_LOG_ALERT, "testlisten: cannot listen: %s", strerror(errno));
        return PTC_ERROR;
    }
    H->log(PTC_LOG_NOTICE, "testlisten: worker %d listens", H->worker_slot());
    return PTC_OK;
}

void worker_fini(ptc_modref*)
{
    if (g_listener)
        H->conn_close(g_listener);
    g_listener = nullptr;
}

const ptc_keyword kws[] = {
    {"testlisten", PTC_SEC_GLOBAL, 0, 1, 1, kw_listen, "testlisten <ipv4>:<port> | fd@<n>"},
};

const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "listen_echo",
    .version = "1.18.0",
    .description = "test: worker 0 listens and answers lines",
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
    if (!PTC_HOST_HAS(host, conn_accept))
        return nullptr;
    return &desc;
}
