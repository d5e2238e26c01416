// SPDX-License-Identifier: MIT
// Certificates replaced on disk (renewed by certbot, cert-manager...) are picked up without a
// reload: each worker looks at every certificate file once a second; a changed file is read
// and checked (certificate, key, match) before it replaces the old certificate, atomically
// for the worker's loop, in every context serving it. A file that does not load leaves the
// old certificate in place. Worker 0 logs the outcome either way.
#include <openssl/err.h>
#include <sys/stat.h>

#include <algorithm>
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

uint64_t tick(ptc_task* t, void*)
{
    (void)t;
    for (cert* c : cert_all())
        cert_refresh(c, true, host->worker_slot() != 0);
    return host->now_ms() + k_period_ms;
}

} // namespace

std::string file_stamp(const std::string& path)
{
    return one_stamp(path) + "|" + one_stamp(path + ".key");
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
    if (install)
        for (SSL_CTX* ctx : c->users)
            if (!cert_install(ctx, n, err) && !quiet)
                host->log(PTC_LOG_WARNING, "ssl: certificate '%s': %s", c->path.c_str(),
                          err.c_str());
    std::swap(c->leaf, n->leaf);
    std::swap(c->chain, n->chain);
    std::swap(c->key, n->key);
    std::swap(c->names, n->names);
    c->mtime = n->mtime;
    cert_free(n);
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
    if (!quiet) {
        char subj[512];
        X509_NAME_oneline(X509_get_subject_name(c->leaf), subj, sizeof(subj));
        host->log(PTC_LOG_NOTICE,
                  "ssl: certificate '%s' reloaded from disk (subject %s, notAfter %s)",
                  c->path.c_str(), subj, not_after(c).c_str());
    }
    return true;
}

void reload_start()
{
    if (cert_all().empty())
        return;
    g_task = host->task_new(g_self, tick, nullptr);
    if (g_task)
        host->task_schedule(g_task, host->now_ms() + k_period_ms);
}

} // namespace tls
