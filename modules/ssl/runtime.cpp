// SPDX-License-Identifier: MIT
// Certificates and crt-list lines added or removed at run time: "new ssl cert" (an empty
// certificate, filled by "set ssl cert" + "commit ssl cert"), "del ssl cert" (an unused one),
// "add ssl crt-list" and "del ssl crt-list". The master checks and applies each change to its
// own copy of the configuration (what "show ssl cert" and "show ssl crt-list" read), then
// appends it to a journal in shared memory; every worker replays the journal on its tick
// (once a second), a worker started later from the beginning, so all of them end up with the
// same contexts and SNI names.
#include <atomic>
#include <cstring>

#include "crtlist.hpp"
#include "ssl_int.hpp"

namespace tls {

namespace {

constexpr uint32_t k_max_ops = 64;

enum : uint32_t { OP_CERT = 1, OP_DELCERT, OP_ADD, OP_DEL };

struct op_rec {
    uint32_t kind;
    uint32_t lineno;
    char a[512];  // OP_CERT/OP_DELCERT: certificate; OP_ADD/OP_DEL: crt-list
    char b[512];  // OP_CERT: the committed PEM; OP_DEL: certificate
    char c[1024]; // OP_ADD: the line
};
struct journal {
    std::atomic<uint32_t> count;
    op_rec ops[k_max_ops];
};
journal* g_j;
uint32_t g_done;          // this process's replayed operations
size_t g_config_certs;    // certificates of the configuration: their indexes never move

bool put(const op_rec& r, std::string& err)
{
    if (!g_j) {
        err = "no room for runtime changes";
        return false;
    }
    uint32_t n = g_j->count.load(std::memory_order_relaxed);
    if (n >= k_max_ops) {
        err = "too many certificate changes since the last reload (" + std::to_string(k_max_ops) +
              "): reload first";
        return false;
    }
    g_j->ops[n] = r;
    g_j->count.store(n + 1, std::memory_order_release);
    return true;
}

bool copy(char* dst, size_t cap, const std::string& s, std::string& err)
{
    if (s.size() >= cap) {
        err = "'" + s + "' : path too long";
        return false;
    }
    std::memcpy(dst, s.c_str(), s.size() + 1);
    return true;
}

void drop_cert(const std::string& path)
{
    auto& all = cert_all();
    for (size_t i = 0; i < all.size(); i++)
        if (all[i]->path == path) {
            cert_free(all[i]);
            all.erase(all.begin() + (long)i);
            return;
        }
}

std::string arg(uint32_t argc, const ptc_str* args, uint32_t i)
{
    return i < argc ? std::string(args[i].ptr, args[i].len) : std::string();
}

int cli_new_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string path = arg(argc, args, 3);
    if (path.empty()) {
        host->cli_printf(r, "'new ssl cert' expects a filename\n");
        return PTC_ERROR;
    }
    if (cert_find(path) || cert_is_new(path)) {
        host->cli_printf(r, "Certificate '%s' already exists!\n", path.c_str());
        return PTC_ERROR;
    }
    cert_new_add(path);
    host->cli_printf(r, "New empty certificate store '%s'!\n", path.c_str());
    return PTC_OK;
}

int cli_del_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string path = arg(argc, args, 3);
    if (path.empty()) {
        host->cli_printf(r, "'del ssl cert' expects a certificate name\n");
        return PTC_ERROR;
    }
    if (reload_tx_path() && path == reload_tx_path()) {
        host->cli_printf(r, "Can't remove the certificate: certificate '%s' is in a "
                            "transaction!\n\n",
                         path.c_str());
        return PTC_ERROR;
    }
    if (cert_new_del(path)) {
        host->cli_printf(r, "Certificate '%s' deleted!\n", path.c_str());
        return PTC_OK;
    }
    cert* c = cert_find(path);
    if (!c) {
        host->cli_printf(r, "Can't remove the certificate: certificate '%s' doesn't exist!\n\n",
                         path.c_str());
        return PTC_ERROR;
    }
    size_t idx = 0;
    while (idx < cert_all().size() && cert_all()[idx] != c)
        idx++;
    if (cert_used(c) || !c->ocsp_key.empty() || idx < g_config_certs) {
        host->cli_printf(r, "Can't remove the certificate: certificate '%s' in use, can't be "
                            "deleted!\n\n",
                         path.c_str());
        return PTC_ERROR;
    }
    op_rec o{};
    o.kind = OP_DELCERT;
    std::string err;
    if (!copy(o.a, sizeof(o.a), path, err) || !put(o, err)) {
        host->cli_printf(r, "Can't remove the certificate: %s\n\n", err.c_str());
        return PTC_ERROR;
    }
    drop_cert(path);
    g_done++;
    host->cli_printf(r, "Certificate '%s' deleted!\n", path.c_str());
    return PTC_OK;
}

int cli_add_crtlist(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string list = arg(argc, args, 3);
    if (list.empty() || argc < 5) {
        host->cli_printf(r, "'add ssl crtlist' expects a filename and a certificate name\n");
        return PTC_ERROR;
    }
    while (list.size() > 1 && list.back() == '/')
        list.pop_back();
    std::string line = arg(argc, args, 4);
    std::string err;
    bool is_dir = false;
    auto fail = [&](const std::string& e) {
        host->cli_printf(r, "Can't edit the crt-list: %s\n", e.c_str());
        return PTC_ERROR;
    };
    if (!crtlist_exists(list, is_dir))
        return fail("crt-list '" + list + "' does not exist!");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    if (line.find('\n') != std::string::npos)
        return fail("only one line of payload is supported!");
    if (is_dir)
        return fail("'" + list + "' is a directory: portico does not add certificates to a "
                    "directory yet");
    // the certificate must be loaded ("new ssl cert" + "commit ssl cert", or the
    // configuration): checked by crtlist_add, which also checks the options
    op_rec o{};
    o.kind = OP_ADD;
    if (!copy(o.a, sizeof(o.a), list, err) || !copy(o.c, sizeof(o.c), line, err))
        return fail(err);
    if (!g_j || g_j->count.load() >= k_max_ops)
        return fail(g_j ? "too many certificate changes since the last reload: reload first"
                        : "no room for runtime changes");
    crtlist::entry e;
    if (crtlist::parse_line(line, e, err) == crtlist::status::ok && cert_is_new(e.file))
        return fail("certificate '" + e.file + "' is empty!");
    err.clear();
    size_t nb = 0;
    if (!crtlist_add(list, line, nb, err))
        return fail(err);
    put(o, err);
    g_done++;
    host->cli_printf(r, "Inserting certificate '%s' in crt-list '%s'", e.file.c_str(),
                     list.c_str());
    for (size_t i = 0; i < nb; i++)
        host->cli_printf(r, ".");
    host->cli_printf(r, "\nSuccess!\n");
    return PTC_OK;
}

int cli_del_crtlist(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string list = arg(argc, args, 3), cp = arg(argc, args, 4);
    if (list.empty() || cp.empty()) {
        host->cli_printf(r, "'del ssl crtlist' expects a filename and a certificate name\n");
        return PTC_ERROR;
    }
    while (list.size() > 1 && list.back() == '/')
        list.pop_back();
    uint32_t lineno = 0;
    std::string err;
    size_t colon = cp.rfind(':');
    if (colon != std::string::npos) {
        std::string n = cp.substr(colon + 1);
        char* end = nullptr;
        unsigned long v = std::strtoul(n.c_str(), &end, 10);
        if (n.empty() || *end || !v) {
            host->cli_printf(r, "Can't delete the entry: wrong line number after colons in "
                                "'%s'!\n",
                             cp.c_str());
            return PTC_ERROR;
        }
        lineno = (uint32_t)v;
        cp.erase(colon);
    }
    op_rec o{};
    o.kind = OP_DEL;
    o.lineno = lineno;
    if (!copy(o.a, sizeof(o.a), list, err) || !copy(o.b, sizeof(o.b), cp, err) ||
        !g_j || g_j->count.load() >= k_max_ops) {
        host->cli_printf(r, "Can't delete the entry: %s\n",
                         err.empty() ? "too many certificate changes since the last reload"
                                     : err.c_str());
        return PTC_ERROR;
    }
    if (!crtlist_del(list, cp, lineno, err)) {
        host->cli_printf(r, "Can't delete the entry: %s\n", err.c_str());
        return PTC_ERROR;
    }
    put(o, err);
    g_done++;
    host->cli_printf(r, "Entry '%s' deleted in crtlist '%s'!\n", cp.c_str(), list.c_str());
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"new ssl cert", "new ssl cert <certfile>",
     "create a new certificate file to be used in a crt-list or a directory", PTC_CLI_ADMIN,
     cli_new_cert},
    {"del ssl cert", "del ssl cert <certfile>", "delete an unused certificate file",
     PTC_CLI_ADMIN, cli_del_cert},
    {"add ssl crt-list", "add ssl crt-list <list> <cert> [opts]*",
     "add to crt-list file <list> a line <cert> or a payload", PTC_CLI_ADMIN, cli_add_crtlist},
    {"del ssl crt-list", "del ssl crt-list <list> <cert[:line]>",
     "delete a line <cert> from crt-list file <list>", PTC_CLI_ADMIN, cli_del_crtlist},
};

} // namespace

bool runtime_commit_new(const std::string& path, const std::string& file, std::string& err)
{
    op_rec o{};
    o.kind = OP_CERT;
    if (!copy(o.a, sizeof(o.a), path, err) || !copy(o.b, sizeof(o.b), file, err) || !put(o, err))
        return false;
    g_done++;
    return true;
}

int runtime_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

bool runtime_reserve()
{
    g_config_certs = cert_all().size();
    g_j = static_cast<journal*>(host->shm_reserve(g_self, "runtime", sizeof(journal)));
    return g_j != nullptr;
}

bool runtime_pending()
{
    return g_j && g_j->count.load(std::memory_order_acquire) != g_done;
}

void runtime_apply()
{
    if (!g_j)
        return;
    uint32_t n = g_j->count.load(std::memory_order_acquire);
    bool quiet = host->worker_slot() != 0;
    for (; g_done < n; g_done++) {
        const op_rec& o = g_j->ops[g_done];
        std::string err;
        size_t nb = 0;
        switch (o.kind) {
        case OP_CERT: {
            cert* c = cert_load(o.b, err);
            if (!c)
                break;
            c->path = o.a;
            c->stamp = file_stamp(c->path); // reloaded from disk only if that file changes
            if (cert* old = cert_find(o.a)) {
                cert_replace(old, c, true, true);
                cert_free(c);
            } else {
                cert_all().push_back(c);
            }
            break;
        }
        case OP_DELCERT:
            drop_cert(o.a);
            break;
        case OP_ADD:
            crtlist_add(o.a, o.c, nb, err);
            break;
        case OP_DEL:
            crtlist_del(o.a, o.b, o.lineno, err);
            break;
        }
        if (!err.empty() && !quiet)
            host->log(PTC_LOG_WARNING, "ssl: runtime certificate change not applied: %s",
                      err.c_str());
    }
}

} // namespace tls
