// SPDX-License-Identifier: MIT
// Certificates replaced on disk (renewed by certbot, cert-manager...) are picked up without a
// reload: each worker looks at every certificate file once a second; a changed file is read
// and checked (certificate, key, match) before it replaces the old certificate, atomically
// for the worker's loop, in every context serving it. A file that does not load leaves the
// old certificate in place. Worker 0 logs the outcome either way. The runtime API's
// "set/commit/abort ssl cert" reach the workers the same way.
#include <openssl/err.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ssl_int.hpp"

namespace tls {

namespace {

constexpr uint64_t k_period_ms = 1000;
ptc_task* g_task;

std::string one_stamp(const std::string& p)
{
    struct stat st;
    if (stat(p.c_str(), &st) != 0)
        return "-";
    char b[128];
    snprintf(b, sizeof(b), "%llu:%llu:%lld.%09ld:%lld", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
             (long long)st.st_size);
    return b;
}

std::string not_after(const cert* c)
{
    BIO* b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, X509_get0_notAfter(c->leaf));
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    std::string r(p, (size_t)n);
    BIO_free(b);
    return r;
}

// ---- "set ssl cert" + "commit ssl cert": the master validates the payload, writes it to a
// private file and publishes its path and a generation per certificate in shared memory;
// each worker's tick loads a new generation like a file replaced on disk.
struct cli_slot {
    std::atomic<uint64_t> gen;
    char path[512];
};
struct cli_area {
    uint32_t n;
    std::atomic<uint64_t> epoch; // bumped by every commit: a worker's next handshake applies it
    cli_slot s[];
};
cli_area* g_cli;
std::vector<uint64_t> g_seen; // this worker's last generation of each certificate
uint64_t g_seen_epoch;        // this worker's last epoch
std::string g_tx_path;        // the master's transaction: certificate and new contents
cert* g_tx;
std::string g_tx_pem;
std::string g_dir;            // the master's private directory for committed payloads
std::vector<std::string> g_new; // "new ssl cert" names not committed yet
uint64_t g_new_files;         // files written for certificates added at run time

bool make_dir(std::string& err)
{
    if (!g_dir.empty())
        return true;
    const char* tmp = getenv("TMPDIR");
    std::string tpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/portico-ssl-XXXXXX";
    std::vector<char> b(tpl.begin(), tpl.end());
    b.push_back(0);
    if (!mkdtemp(b.data())) {
        err = strerror(errno);
        return false;
    }
    g_dir = b.data();
    return true;
}

bool write_new(const std::string& file, const std::string& data)
{
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, data.data(), data.size()) == (ssize_t)data.size();
    if (fd >= 0)
        close(fd);
    return ok;
}

void apply_commits(bool quiet)
{
    if (!g_cli)
        return;
    auto& all = cert_all();
    g_seen.resize(all.size(), 0);
    for (uint32_t i = 0; i < g_cli->n && i < all.size(); i++) {
        uint64_t gen = g_cli->s[i].gen.load(std::memory_order_acquire);
        if (gen == g_seen[i])
            continue;
        g_seen[i] = gen;
        std::string err;
        cert* n = cert_load(g_cli->s[i].path, err);
        if (!n) {
            if (!quiet)
                host->log(PTC_LOG_WARNING, "ssl: committed certificate for '%s' not loaded: %s",
                          all[i]->path.c_str(), err.c_str());
            continue;
        }
        n->path = all[i]->path;
        cert_replace(all[i], n, true, quiet);
        cert_free(n);
    }
}

// The runtime API's changes (commit ssl cert, add/del ssl crt-list, new/del ssl cert) apply
// before the next handshake, as HAProxy's do at once, not only at the next tick.
void sync_now()
{
    bool commits = g_cli && g_cli->epoch.load(std::memory_order_acquire) != g_seen_epoch;
    if (!commits && !runtime_pending() && !cafile_pending())
        return;
    bool quiet = host->worker_slot() != 0;
    cafile_apply(); // first: a crt-list line added may name a CA/CRL file committed before it
    runtime_apply();
    if (commits) {
        g_seen_epoch = g_cli->epoch.load(std::memory_order_acquire);
        apply_commits(quiet);
    }
}

uint64_t tick(ptc_task* t, void*)
{
    (void)t;
    bool quiet = host->worker_slot() != 0;
    cafile_apply(); // first: a crt-list line added may name a CA/CRL file committed before it
    runtime_apply();
    if (g_cli)
        g_seen_epoch = g_cli->epoch.load(std::memory_order_acquire);
    apply_commits(quiet);
    ocsp_apply();
    for (cert* c : cert_all())
        cert_refresh(c, true, quiet);
    return host->now_ms() + k_period_ms;
}

int cli_set_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    if (argc < 5) {
        host->cli_printf(r, "'set ssl cert' expects a filename and a certificate as a payload\n");
        return PTC_ERROR;
    }
    std::string path(args[3].ptr, args[3].len);
    cert* c = cert_find(path);
    if (!c && !cert_is_new(path)) {
        host->cli_printf(r, "Can't replace a certificate which is not referenced by the "
                            "configuration!\n");
        return PTC_ERROR;
    }
    if (g_tx && g_tx_path != path) {
        host->cli_printf(r, "The ongoing transaction is about '%s' but you are trying to set "
                            "'%s'\n",
                         g_tx_path.c_str(), path.c_str());
        return PTC_ERROR;
    }
    std::string pem(args[argc - 1].ptr, args[argc - 1].len), err;
    cert* n = cert_load_mem(pem, path, err);
    if (!n) {
        host->cli_printf(r, "unable to load the certificate: %s\n", err.c_str());
        return PTC_ERROR;
    }
    bool updated = g_tx != nullptr;
    cert_free(g_tx);
    g_tx = n;
    g_tx_path = path;
    g_tx_pem = pem;
    host->cli_printf(r, "Transaction %s for certificate %s!\n", updated ? "updated" : "created",
                     path.c_str());
    return PTC_OK;
}

int cli_commit_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string path = argc > 3 ? std::string(args[3].ptr, args[3].len) : "";
    if (!g_tx || g_tx_path != path) {
        host->cli_printf(r, "No ongoing transaction! !\n");
        return PTC_ERROR;
    }
    auto& all = cert_all();
    size_t i = 0;
    while (i < all.size() && all[i]->path != path)
        i++;
    if (i >= all.size() || !g_cli || i >= g_cli->n) {
        // a certificate added at run time ("new ssl cert"): through the journal
        std::string err;
        if (!make_dir(err)) {
            host->cli_printf(r, "Can't commit the certificate: %s\n", err.c_str());
            return PTC_ERROR;
        }
        std::string file = g_dir + "/new-" + std::to_string(++g_new_files) + ".pem";
        if (!write_new(file, g_tx_pem) || !runtime_commit_new(path, file, err)) {
            host->cli_printf(r, "Can't commit the certificate: %s\n",
                             err.empty() ? ("cannot write '" + file + "'").c_str() : err.c_str());
            return PTC_ERROR;
        }
        g_tx->stamp = file_stamp(path);
        if (i < all.size()) {
            cert_replace(all[i], g_tx, true, true);
            cert_free(g_tx);
        } else {
            all.push_back(g_tx);
        }
        cert_new_del(path);
        g_tx = nullptr;
        g_tx_pem.clear();
        g_tx_path.clear();
        host->cli_printf(r, "Committing %s\nSuccess!\n", path.c_str());
        return PTC_OK;
    }
    if (!g_cli || i >= all.size() || i >= g_cli->n) {
        host->cli_printf(r, "Can't commit the certificate: no shared slot for it!\n");
        return PTC_ERROR;
    }
    if (g_dir.empty()) {
        const char* tmp = getenv("TMPDIR");
        std::string tpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/portico-ssl-XXXXXX";
        std::vector<char> b(tpl.begin(), tpl.end());
        b.push_back(0);
        if (!mkdtemp(b.data())) {
            host->cli_printf(r, "Can't commit the certificate: %s\n", strerror(errno));
            return PTC_ERROR;
        }
        g_dir = b.data();
    }
    uint64_t gen = g_cli->s[i].gen.load(std::memory_order_relaxed) + 1;
    std::string file = g_dir + "/" + std::to_string(i) + "-" + std::to_string(gen) + ".pem";
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, g_tx_pem.data(), g_tx_pem.size()) == (ssize_t)g_tx_pem.size();
    if (fd >= 0)
        close(fd);
    if (!ok || file.size() >= sizeof(g_cli->s[i].path)) {
        host->cli_printf(r, "Can't commit the certificate: cannot write '%s'\n", file.c_str());
        return PTC_ERROR;
    }
    // the previous generation's file: its readers are done by now (they read within a second)
    if (gen > 1)
        unlink(g_cli->s[i].path);
    std::memcpy(g_cli->s[i].path, file.c_str(), file.size() + 1);
    g_cli->s[i].gen.store(gen, std::memory_order_release);
    g_cli->epoch.fetch_add(1, std::memory_order_release);
    cert_replace(all[i], g_tx, false, true); // the master's copy, for "show ssl cert"
    cert_free(g_tx);
    g_tx = nullptr;
    g_tx_pem.clear();
    host->cli_printf(r, "Committing %s\nSuccess!\n", path.c_str());
    char subj[512];
    X509_NAME_oneline(X509_get_subject_name(all[i]->leaf), subj, sizeof(subj));
    host->log(PTC_LOG_NOTICE, "ssl: certificate '%s' replaced from the runtime API (subject %s)",
              path.c_str(), subj);
    g_tx_path.clear();
    return PTC_OK;
}

int cli_abort_cert(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string path = argc > 3 ? std::string(args[3].ptr, args[3].len) : "";
    if (!g_tx || g_tx_path != path) {
        host->cli_printf(r, "No ongoing transaction!\n");
        return PTC_ERROR;
    }
    cert_free(g_tx);
    g_tx = nullptr;
    g_tx_pem.clear();
    g_tx_path.clear();
    host->cli_printf(r, "Transaction aborted for certificate '%s'!\n", path.c_str());
    return PTC_OK;
}

const ptc_cli_cmd k_cmds[] = {
    {"set ssl cert", "set ssl cert <certfile> <payload>",
     "replace a certificate file (payload after \"<<\")", PTC_CLI_ADMIN, cli_set_cert},
    {"commit ssl cert", "commit ssl cert <certfile>", "commit a certificate file",
     PTC_CLI_ADMIN, cli_commit_cert},
    {"abort ssl cert", "abort ssl cert <certfile>", "abort a transaction for a certificate file",
     PTC_CLI_ADMIN, cli_abort_cert},
};

} // namespace

std::string file_stamp(const std::string& path)
{
    return one_stamp(path) + "|" + one_stamp(path + ".key") + "|" + one_stamp(path + ".ocsp");
}

bool cert_refresh(cert* c, bool install, bool quiet)
{
    std::string st = file_stamp(c->path);
    if (st == c->stamp)
        return false;
    c->stamp = st; // a bad file is reported once, until it changes again
    std::string err;
    cert* n = cert_load(c->path, err);
    if (n && install) {
        // try it on a scratch context first: all or nothing
        SSL_CTX* probe = SSL_CTX_new(TLS_server_method());
        bool ok = probe && cert_install(probe, n, err);
        SSL_CTX_free(probe);
        if (!ok) {
            cert_free(n);
            n = nullptr;
        }
    }
    if (!n) {
        if (!quiet)
            host->log(PTC_LOG_WARNING,
                      "ssl: certificate file '%s' changed but cannot be used (%s): the previous "
                      "certificate stays in use",
                      c->path.c_str(), err.c_str());
        return false;
    }
    cert_replace(c, n, install, quiet);
    cert_free(n); // the old certificate now
    if (!quiet) {
        char subj[512];
        X509_NAME_oneline(X509_get_subject_name(c->leaf), subj, sizeof(subj));
        host->log(PTC_LOG_NOTICE,
                  "ssl: certificate '%s' reloaded from disk (subject %s, notAfter %s)",
                  c->path.c_str(), subj, not_after(c).c_str());
    }
    return true;
}

void cert_replace(cert* c, cert* n, bool install, bool quiet)
{
    std::string err;
    bool client = false;
    if (install)
        for (SSL_CTX* ctx : c->users) {
            if (!cert_install(ctx, n, err) && !quiet)
                host->log(PTC_LOG_WARNING, "ssl: certificate '%s': %s", c->path.c_str(),
                          err.c_str());
            client |= SSL_CTX_get_ssl_method(ctx) == TLS_client_method();
        }
    // a server's client certificate changed: the sessions kept for resumption carry the old
    // one, so the next connections make a full handshake (HAProxy drops them too)
    if (client)
        sess_forget_all();
    std::swap(c->leaf, n->leaf);
    std::swap(c->chain, n->chain);
    std::swap(c->key, n->key);
    std::swap(c->names, n->names);
    std::swap(c->ocsp, n->ocsp);
    std::swap(c->ocsp_expire, n->ocsp_expire);
    std::swap(c->ocsp_key, n->ocsp_key);
    std::swap(c->dh, n->dh);
    c->mtime = n->mtime;
    // the SNI names of binds that take them from the certificate
    for (auto& [bt, idx] : c->bind_users) {
        if (bt->ctxs[idx].explicit_filters)
            continue;
        auto& v = bt->names;
        v.erase(std::remove_if(v.begin(), v.end(),
                               [&](const sni_entry& e) { return e.ctx == idx && !e.neg; }),
                v.end());
        for (auto& nm : c->names)
            v.push_back(sni_entry{nm, false, idx});
    }
}

int reload_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

bool reload_reserve()
{
    size_t n = cert_all().size();
    if (!n)
        return true;
    g_cli = static_cast<cli_area*>(
        host->shm_reserve(g_self, "committed", sizeof(cli_area) + n * sizeof(cli_slot)));
    if (!g_cli)
        return false;
    g_cli->n = (uint32_t)n;
    return true;
}

const char* reload_tx_path() { return g_tx ? g_tx_path.c_str() : nullptr; }

bool cert_is_new(const std::string& path)
{
    return std::find(g_new.begin(), g_new.end(), path) != g_new.end();
}

void cert_new_add(const std::string& path) { g_new.push_back(path); }

const std::vector<std::string>& cert_new_list() { return g_new; }

bool cert_new_del(const std::string& path)
{
    auto it = std::find(g_new.begin(), g_new.end(), path);
    if (it == g_new.end())
        return false;
    g_new.erase(it);
    return true;
}

void reload_sync() { sync_now(); }

void reload_start()
{
    if (g_cli)
        g_seen.assign(g_cli->n, 0);
    if (cert_all().empty())
        return;
    g_task = host->task_new(g_self, tick, nullptr);
    if (g_task)
        host->task_schedule(g_task, host->now_ms() + k_period_ms);
}

} // namespace tls
