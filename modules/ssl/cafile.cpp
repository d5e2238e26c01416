// SPDX-License-Identifier: MIT
// CA and CRL files (ca-file, ca-verify-file, crl-file) and their runtime API, as HAProxy 2.6:
// "new/set/commit/abort/del/show ssl ca-file" and the same for crl-file. Every file is read
// once into an entry of a tree shared by the contexts using it; a context's verify store is
// built from the entries its settings name. A commit is checked and applied by the master
// (what "show" reads), the payload written to a private file and journaled in shared memory;
// every worker replays the journal before its next handshake (and on its tick) and rebuilds
// the verify store of every context using the file, without a reload.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "ssl_int.hpp"

namespace tls {

namespace {

struct entry {
    bool crl = false;
    std::vector<X509*> certs;
    std::vector<X509_CRL*> crls;
};
void entry_clear(entry& e)
{
    for (X509* x : e.certs)
        X509_free(x);
    for (X509_CRL* c : e.crls)
        X509_CRL_free(c);
    e.certs.clear();
    e.crls.clear();
}

// The CA files and the CRL files, by path: a file may be both (certificates and CRLs)
std::map<std::string, entry> g_tree[2];
std::map<std::string, entry>& files(bool crl) { return g_tree[crl ? 1 : 0]; }
std::vector<std::string> g_new_ca, g_new_crl; // "new ssl ca/crl-file" not committed yet

struct user {
    SSL_CTX* ctx;
    std::string ca, crl, cav;
    bool client_list; // a bind verifying clients: its CA names are sent (ca-file)
};
std::vector<user> g_users;

// Reads <b>: certificates (ca) or CRLs (crl). false with <err> when nothing is found.
bool parse(BIO* b, bool crl, entry& e, std::string& err)
{
    e.crl = crl;
    STACK_OF(X509_INFO)* inf = PEM_X509_INFO_read_bio(b, nullptr, nullptr, nullptr);
    if (!inf) {
        err = "unable to read the PEM data";
        ERR_clear_error();
        return false;
    }
    for (int i = 0; i < sk_X509_INFO_num(inf); i++) {
        X509_INFO* xi = sk_X509_INFO_value(inf, i);
        if (!crl && xi->x509) {
            X509_up_ref(xi->x509);
            e.certs.push_back(xi->x509);
        }
        if (crl && xi->crl) {
            X509_CRL_up_ref(xi->crl);
            e.crls.push_back(xi->crl);
        }
    }
    sk_X509_INFO_pop_free(inf, X509_INFO_free);
    ERR_clear_error();
    if (crl ? e.crls.empty() : e.certs.empty()) {
        err = crl ? "no CRL found" : "no certificate found";
        entry_clear(e);
        return false;
    }
    return true;
}

bool parse_file(const std::string& file, bool crl, entry& e, std::string& err)
{
    BIO* b = BIO_new_file(file.c_str(), "r");
    if (!b) {
        err = std::string("cannot open '") + file + "': " + strerror(errno);
        ERR_clear_error();
        return false;
    }
    bool ok = parse(b, crl, e, err);
    BIO_free(b);
    return ok;
}

entry* get(const std::string& path, bool crl, std::string& err)
{
    auto it = files(crl).find(path);
    if (it != files(crl).end())
        return &it->second;
    entry e;
    if (!parse_file(path, crl, e, err))
        return nullptr;
    return &(files(crl)[path] = e);
}

bool build_store(const user& u, std::string& err)
{
    X509_STORE* st = X509_STORE_new();
    if (!st) {
        err = "out of memory";
        return false;
    }
    for (const std::string* p : {&u.ca, &u.cav}) {
        if (p->empty())
            continue;
        entry* e = get(*p, false, err);
        if (!e) {
            X509_STORE_free(st);
            return false;
        }
        for (X509* x : e->certs)
            X509_STORE_add_cert(st, x);
    }
    if (!u.crl.empty()) {
        entry* e = get(u.crl, true, err);
        if (!e) {
            X509_STORE_free(st);
            return false;
        }
        for (X509_CRL* c : e->crls)
            X509_STORE_add_crl(st, c);
        X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    ERR_clear_error(); // duplicates
    SSL_CTX_set_cert_store(u.ctx, st);
    if (u.client_list && !u.ca.empty()) {
        STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
        for (X509* x : files(false)[u.ca].certs) {
            X509_NAME* n = X509_NAME_dup(X509_get_subject_name(x));
            if (n)
                sk_X509_NAME_push(names, n);
        }
        SSL_CTX_set_client_CA_list(u.ctx, names);
    }
    return true;
}

bool uses(const user& u, const std::string& path, bool crl)
{
    return crl ? u.crl == path : u.ca == path || u.cav == path;
}
bool used(const std::string& path, bool crl)
{
    for (const user& u : g_users)
        if (uses(u, path, crl))
            return true;
    return false;
}

// ---- the journal the workers replay
constexpr uint32_t k_max_ops = 64;
enum : uint32_t { OP_COMMIT = 1, OP_DEL };
struct op_rec {
    uint32_t kind;
    uint32_t crl;
    char path[512];
    char file[512];
};
struct journal {
    std::atomic<uint32_t> count;
    op_rec ops[k_max_ops];
};
journal* g_j;
uint32_t g_done;
std::string g_dir;
uint64_t g_files_written;

// Rebuilds the stores of every context using <path>; how many.
size_t rebuild(const std::string& path, bool crl, bool quiet)
{
    size_t n = 0;
    for (const user& u : g_users) {
        if (!uses(u, path, crl))
            continue;
        n++;
        std::string err;
        if (!build_store(u, err) && !quiet)
            host->log(PTC_LOG_WARNING, "ssl: '%s': verify store not rebuilt: %s", path.c_str(),
                      err.c_str());
        // a server's sessions kept for resumption were verified with the old store: the next
        // connections verify the server again
        if (SSL_CTX_get_ssl_method(u.ctx) == TLS_client_method())
            sess_forget_all();
    }
    return n;
}

// ---- the master's transaction (one per kind, as HAProxy)
struct tx {
    std::string path;
    std::string pem;
    entry e;
    bool on = false;
};
tx g_tx[2]; // [0] ca-file, [1] crl-file

const char* what(bool crl) { return crl ? "CRL" : "CA"; }
const char* kw(bool crl) { return crl ? "crl-file" : "ca-file"; }

std::string arg(uint32_t argc, const ptc_str* args, uint32_t i)
{
    return i < argc ? std::string(args[i].ptr, args[i].len) : std::string();
}

std::vector<std::string>& news(bool crl) { return crl ? g_new_crl : g_new_ca; }
bool is_new(bool crl, const std::string& p)
{
    for (const std::string& n : news(crl))
        if (n == p)
            return true;
    return false;
}
bool exists(bool crl, const std::string& p)
{
    return files(crl).count(p) || is_new(crl, p);
}

int do_new(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    if (p.empty()) {
        host->cli_printf(r, "'new ssl %s' expects a filename\n", kw(crl));
        return PTC_ERROR;
    }
    if (exists(crl, p)) {
        host->cli_printf(r, "%s file '%s' already exists!\n", what(crl), p.c_str());
        return PTC_ERROR;
    }
    news(crl).push_back(p);
    host->cli_printf(r, "New %s file created '%s'!\n", what(crl), p.c_str());
    return PTC_OK;
}

int do_set(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    if (p.empty() || argc < 5) {
        host->cli_printf(r, "'set ssl %s' expects a filename and %s as a payload\n", kw(crl),
                         crl ? "CRLs" : "CAs");
        return PTC_ERROR;
    }
    tx& t = g_tx[crl];
    if (t.on && t.path != p) {
        host->cli_printf(r, "The ongoing transaction is about '%s' but you are trying to set "
                            "'%s'\n",
                         t.path.c_str(), p.c_str());
        return PTC_ERROR;
    }
    if (!exists(crl, p)) {
        host->cli_printf(r, "Can't replace a %s file which is not referenced by the "
                            "configuration!\nCan't update %s!\n",
                         what(crl), p.c_str());
        return PTC_ERROR;
    }
    std::string pem(args[argc - 1].ptr, args[argc - 1].len), err;
    entry e;
    BIO* b = BIO_new_mem_buf(pem.data(), (int)pem.size());
    bool ok = b && parse(b, crl, e, err);
    BIO_free(b);
    if (!ok) {
        host->cli_printf(r, "Unable to load the %s file: %s\nCan't update %s!\n", what(crl),
                         err.c_str(), p.c_str());
        return PTC_ERROR;
    }
    bool updated = t.on;
    entry_clear(t.e);
    t.e = e;
    t.path = p;
    t.pem = pem;
    t.on = true;
    host->cli_printf(r, "transaction %s for %s %s!\n", updated ? "updated" : "created",
                     what(crl), p.c_str());
    return PTC_OK;
}

void tx_end(tx& t)
{
    entry_clear(t.e);
    t.on = false;
    t.path.clear();
    t.pem.clear();
}

bool journal_put(uint32_t kind, bool crl, const std::string& path, const std::string& file,
                 std::string& err)
{
    if (!g_j) {
        err = "no room for runtime changes";
        return false;
    }
    uint32_t n = g_j->count.load(std::memory_order_relaxed);
    if (n >= k_max_ops) {
        err = "too many CA/CRL file changes since the last reload (" +
              std::to_string(k_max_ops) + "): reload first";
        return false;
    }
    if (path.size() >= sizeof(op_rec::path) || file.size() >= sizeof(op_rec::file)) {
        err = "'" + path + "' : path too long";
        return false;
    }
    op_rec& o = g_j->ops[n];
    o = op_rec{};
    o.kind = kind;
    o.crl = crl;
    std::memcpy(o.path, path.c_str(), path.size() + 1);
    std::memcpy(o.file, file.c_str(), file.size() + 1);
    g_j->count.store(n + 1, std::memory_order_release);
    g_done++; // the master applies its own changes at once
    return true;
}

int do_commit(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    tx& t = g_tx[crl];
    if (p.empty()) {
        host->cli_printf(r, "'commit ssl %s' expects a filename\n", kw(crl));
        return PTC_ERROR;
    }
    if (!t.on || t.path != p) {
        host->cli_printf(r, "No ongoing transaction! !\nCan't commit %s!\n", p.c_str());
        return PTC_ERROR;
    }
    std::string err;
    if (g_dir.empty()) {
        const char* tmp = getenv("TMPDIR");
        std::string tpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/portico-ca-XXXXXX";
        std::vector<char> b(tpl.begin(), tpl.end());
        b.push_back(0);
        if (!mkdtemp(b.data())) {
            host->cli_printf(r, "Committing %s\nFailed!\n%s\n", p.c_str(), strerror(errno));
            return PTC_ERROR;
        }
        g_dir = b.data();
    }
    std::string file = g_dir + "/" + std::to_string(++g_files_written) + ".pem";
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, t.pem.data(), t.pem.size()) == (ssize_t)t.pem.size();
    if (fd >= 0)
        close(fd);
    if (!ok || !journal_put(OP_COMMIT, crl, p, file, err)) {
        host->cli_printf(r, "Committing %s\nFailed!\n%s\n", p.c_str(),
                         err.empty() ? ("cannot write '" + file + "'").c_str() : err.c_str());
        return PTC_ERROR;
    }
    entry& e = files(crl)[p];
    entry_clear(e);
    e = t.e;
    t.e = entry{};
    auto& nv = news(crl);
    for (size_t i = 0; i < nv.size(); i++)
        if (nv[i] == p) {
            nv.erase(nv.begin() + (long)i);
            break;
        }
    tx_end(t);
    // the master's contexts (new workers inherit them): a dot for each, as HAProxy's instances
    size_t n = rebuild(p, crl, true);
    host->cli_printf(r, "Committing %s", p.c_str());
    for (size_t i = 0; i < n; i++)
        host->cli_printf(r, ".");
    host->cli_printf(r, "\nSuccess!\n");
    host->log(PTC_LOG_NOTICE, "ssl: %s file '%s' replaced from the runtime API", what(crl),
              p.c_str());
    return PTC_OK;
}

int do_abort(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    tx& t = g_tx[crl];
    if (p.empty()) {
        host->cli_printf(r, "'abort ssl %s' expects a filename\n", kw(crl));
        return PTC_ERROR;
    }
    if (!t.on || t.path != p) {
        host->cli_printf(r, "No ongoing transaction!\n");
        return PTC_ERROR;
    }
    tx_end(t);
    host->cli_printf(r, "Transaction aborted for certificate '%s'!\n", p.c_str());
    return PTC_OK;
}

int do_del(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    if (p.empty()) {
        host->cli_printf(r, "'del ssl %s' expects a %s file name\n", kw(crl), what(crl));
        return PTC_ERROR;
    }
    tx& t = g_tx[crl];
    if (t.on && t.path == p) {
        host->cli_printf(r, "Can't delete the %s file: %s file '%s' is in a transaction!\n\n",
                         what(crl), what(crl), p.c_str());
        return PTC_ERROR;
    }
    if (!exists(crl, p)) {
        host->cli_printf(r, "Can't remove the %s file: %s file '%s' doesn't exist!\n\n",
                         what(crl), what(crl), p.c_str());
        return PTC_ERROR;
    }
    if (used(p, crl)) {
        host->cli_printf(r, "Can't remove the %s file: %s file '%s' in use, can't be "
                            "deleted!\n\n",
                         what(crl), what(crl), p.c_str());
        return PTC_ERROR;
    }
    auto& nv = news(crl);
    for (size_t i = 0; i < nv.size(); i++)
        if (nv[i] == p) {
            nv.erase(nv.begin() + (long)i);
            host->cli_printf(r, "%s file '%s' deleted!\n", what(crl), p.c_str());
            return PTC_OK;
        }
    std::string err;
    if (!journal_put(OP_DEL, crl, p, "", err)) {
        host->cli_printf(r, "Can't remove the %s file: %s\n\n", what(crl), err.c_str());
        return PTC_ERROR;
    }
    entry_clear(files(crl)[p]);
    files(crl).erase(p);
    host->cli_printf(r, "%s file '%s' deleted!\n", what(crl), p.c_str());
    return PTC_OK;
}

void print_time(ptc_cli_reply* r, const char* label, const ASN1_TIME* t)
{
    BIO* b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, t);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    host->cli_printf(r, "%s%.*s\n", label, (int)n, p);
    BIO_free(b);
}

void print_name(ptc_cli_reply* r, const char* label, const X509_NAME* nm)
{
    char buf[1024];
    X509_NAME_oneline(nm, buf, sizeof(buf));
    host->cli_printf(r, "%s%s\n", label, buf);
}

void print_cert(ptc_cli_reply* r, X509* x, size_t idx)
{
    host->cli_printf(r, " \nCertificate #%zu:\n", idx);
    const ASN1_INTEGER* sn = X509_get0_serialNumber(x);
    host->cli_printf(r, "Serial: ");
    for (int i = 0; i < ASN1_STRING_length(sn); i++)
        host->cli_printf(r, "%02X", ASN1_STRING_get0_data(sn)[i]);
    host->cli_printf(r, "\n");
    print_time(r, "notBefore: ", X509_get0_notBefore(x));
    print_time(r, "notAfter: ", X509_get0_notAfter(x));
    host->cli_printf(r, "Subject Alternative Name: ");
    GENERAL_NAMES* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type == GEN_DNS)
            host->cli_printf(r, "%sDNS:%.*s", i ? ", " : "", ASN1_STRING_length(gn->d.dNSName),
                             reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
    host->cli_printf(r, "\n");
    EVP_PKEY* k = X509_get0_pubkey(x);
    if (k) {
        int id = EVP_PKEY_get_base_id(k);
        host->cli_printf(r, "Algorithm: %s%d\n",
                         id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : "other",
                         EVP_PKEY_get_bits(k));
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha1(), md, &n);
    host->cli_printf(r, "SHA1 FingerPrint: ");
    for (unsigned i = 0; i < n; i++)
        host->cli_printf(r, "%02X", md[i]);
    host->cli_printf(r, "\n");
    print_name(r, "Subject: ", X509_get_subject_name(x));
    print_name(r, "Issuer: ", X509_get_issuer_name(x));
}

void print_crl(ptc_cli_reply* r, X509_CRL* c, size_t idx)
{
    host->cli_printf(r, " \nCertificate Revocation List #%zu:\n", idx);
    host->cli_printf(r, "Version %ld\n", X509_CRL_get_version(c) + 1);
    const X509_ALGOR* alg = nullptr;
    X509_CRL_get0_signature(c, nullptr, &alg);
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
    char buf[128];
    OBJ_obj2txt(buf, sizeof(buf), obj, 0);
    host->cli_printf(r, "Signature Algorithm: %s\n", buf);
    print_name(r, "Issuer: ", X509_CRL_get_issuer(c));
    print_time(r, "Last Update: ", X509_CRL_get0_lastUpdate(c));
    if (X509_CRL_get0_nextUpdate(c))
        print_time(r, "Next Update: ", X509_CRL_get0_nextUpdate(c));
    else
        host->cli_printf(r, "Next Update: NONE\n");
    STACK_OF(X509_REVOKED)* rev = X509_CRL_get_REVOKED(c);
    if (sk_X509_REVOKED_num(rev) <= 0) {
        host->cli_printf(r, "No Revoked Certificates.\n");
        return;
    }
    host->cli_printf(r, "Revoked Certificates:\n");
    for (int i = 0; i < sk_X509_REVOKED_num(rev); i++) {
        X509_REVOKED* rv = sk_X509_REVOKED_value(rev, i);
        const ASN1_INTEGER* sn = X509_REVOKED_get0_serialNumber(rv);
        host->cli_printf(r, "    Serial Number: ");
        for (int j = 0; j < ASN1_STRING_length(sn); j++)
            host->cli_printf(r, "%02X", ASN1_STRING_get0_data(sn)[j]);
        host->cli_printf(r, "\n");
        print_time(r, "        Revocation Date: ", X509_REVOKED_get0_revocationDate(rv));
    }
}

int do_show(bool crl, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    std::string p = arg(argc, args, 3);
    tx& t = g_tx[crl];
    if (p.empty()) {
        if (t.on) {
            host->cli_printf(r, "# transaction\n*%s", t.path.c_str());
            if (!crl)
                host->cli_printf(r, " - %zu certificate(s)", t.e.certs.size());
            host->cli_printf(r, "\n");
        }
        host->cli_printf(r, "# filename\n");
        std::map<std::string, size_t> all; // in name order, as HAProxy's tree
        for (auto& [path, e] : files(crl))
            all[path] = e.certs.size();
        for (const std::string& n : news(crl))
            all[n] = 0;
        for (auto& [path, n] : all) {
            host->cli_printf(r, "%s", path.c_str());
            if (!crl)
                host->cli_printf(r, " - %zu certificate(s)", n);
            host->cli_printf(r, "\n");
        }
        return PTC_OK;
    }
    size_t idx = 0; // 0: all
    size_t colon = p.rfind(':');
    if (colon != std::string::npos && colon + 1 < p.size()) {
        std::string n = p.substr(colon + 1);
        char* end = nullptr;
        unsigned long v = std::strtoul(n.c_str(), &end, 10);
        if (!*end && v) {
            idx = v;
            p.erase(colon);
        } else {
            host->cli_printf(r, "Invalid index after colons in '%s'!\n", p.c_str());
            return PTC_ERROR;
        }
    }
    const entry* e = nullptr;
    bool in_tx = p[0] == '*';
    if (in_tx) {
        if (!t.on || t.path != p.substr(1)) {
            host->cli_printf(r, "Can't display the %s file : Not found!\n", what(crl));
            return PTC_ERROR;
        }
        e = &t.e;
    } else {
        auto it = files(crl).find(p);
        if (it != files(crl).end())
            e = &it->second;
        else if (!is_new(crl, p)) {
            host->cli_printf(r, "Can't display the %s file : Not found!\n", what(crl));
            return PTC_ERROR;
        }
    }
    host->cli_printf(r, "Filename: %s\n", p.c_str());
    host->cli_printf(r, "Status: %s\n", e == nullptr   ? "Empty"
                                        : in_tx        ? "Unused"
                                        : used(p, crl) ? "Used"
                                                       : "Unused");
    if (!e)
        return PTC_OK;
    size_t n = crl ? e->crls.size() : e->certs.size();
    for (size_t i = 1; i <= n; i++) {
        if (idx && i != idx)
            continue;
        if (crl)
            print_crl(r, e->crls[i - 1], i);
        else
            print_cert(r, e->certs[i - 1], i);
    }
    return PTC_OK;
}

#define CMD(name, fn, crl)                                                                   \
    int name(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)              \
    {                                                                                        \
        return fn(crl, argc, args, r);                                                       \
    }
CMD(new_ca, do_new, false)
CMD(new_crl, do_new, true)
CMD(set_ca, do_set, false)
CMD(set_crl, do_set, true)
CMD(commit_ca, do_commit, false)
CMD(commit_crl, do_commit, true)
CMD(abort_ca, do_abort, false)
CMD(abort_crl, do_abort, true)
CMD(del_ca, do_del, false)
CMD(del_crl, do_del, true)
CMD(show_ca, do_show, false)
CMD(show_crl, do_show, true)
#undef CMD

const ptc_cli_cmd k_cmds[] = {
    {"new ssl ca-file", "new ssl ca-file <cafile>", "create a new CA file to be used in a crt-list",
     PTC_CLI_ADMIN, new_ca},
    {"set ssl ca-file", "set ssl ca-file <cafile> <payload>",
     "replace a CA file (payload after \"<<\")", PTC_CLI_ADMIN, set_ca},
    {"commit ssl ca-file", "commit ssl ca-file <cafile>", "commit a CA file", PTC_CLI_ADMIN,
     commit_ca},
    {"abort ssl ca-file", "abort ssl ca-file <cafile>", "abort a transaction for a CA file",
     PTC_CLI_ADMIN, abort_ca},
    {"del ssl ca-file", "del ssl ca-file <cafile>", "delete an unused CA file", PTC_CLI_ADMIN,
     del_ca},
    {"show ssl ca-file", "show ssl ca-file [<cafile>[:<index>]]",
     "display the SSL CA files used in memory, or the details of a <cafile>, or a single "
     "certificate of index <index> of a CA file <cafile>",
     PTC_CLI_OPERATOR, show_ca},
    {"new ssl crl-file", "new ssl crl-file <crlfile>",
     "create a new CRL file to be used in a crt-list", PTC_CLI_ADMIN, new_crl},
    {"set ssl crl-file", "set ssl crl-file <crlfile> <payload>",
     "replace a CRL file (payload after \"<<\")", PTC_CLI_ADMIN, set_crl},
    {"commit ssl crl-file", "commit ssl crl-file <crlfile>", "commit a CRL file", PTC_CLI_ADMIN,
     commit_crl},
    {"abort ssl crl-file", "abort ssl crl-file <crlfile>", "abort a transaction for a CRL file",
     PTC_CLI_ADMIN, abort_crl},
    {"del ssl crl-file", "del ssl crl-file <crlfile>", "delete an unused CRL file",
     PTC_CLI_ADMIN, del_crl},
    {"show ssl crl-file", "show ssl crl-file [<crlfile>[:<index>]]",
     "display the SSL CRL files used in memory, or the details of a <crlfile>, or a single "
     "CRL of index <index> of a CRL file <crlfile>",
     PTC_CLI_OPERATOR, show_crl},
};

} // namespace

bool cafile_setup(SSL_CTX* ctx, const tls_opts& o, bool client_list, bool track,
                  std::string& err)
{
    if (!o.ca_file && !o.crl_file && !o.ca_verify_file)
        return true;
    user u{ctx, o.ca_file ? o.ca_file : "", o.crl_file ? o.crl_file : "",
           o.ca_verify_file ? o.ca_verify_file : "", client_list};
    for (const std::string* p : {&u.ca, &u.cav, &u.crl}) {
        if (p->empty())
            continue;
        bool crl = p == &u.crl;
        std::string e;
        if (!get(*p, crl, e)) {
            err = std::string("unable to load ") + (crl ? "CRL" : "CA") + " file '" + *p +
                  "': " + e;
            return false;
        }
    }
    if (!build_store(u, err))
        return false;
    if (track)
        g_users.push_back(u);
    return true;
}

void cafile_forget(SSL_CTX* ctx)
{
    for (size_t i = 0; i < g_users.size(); i++)
        if (g_users[i].ctx == ctx) {
            g_users.erase(g_users.begin() + (long)i);
            i--;
        }
}

bool cafile_known(const std::string& path, bool crl)
{
    return exists(crl, path);
}

int cafile_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

bool cafile_reserve()
{
    g_j = static_cast<journal*>(host->shm_reserve(g_self, "cafile", sizeof(journal)));
    return g_j != nullptr;
}

bool cafile_pending()
{
    return g_j && g_j->count.load(std::memory_order_acquire) != g_done;
}

void cafile_apply()
{
    if (!g_j)
        return;
    uint32_t n = g_j->count.load(std::memory_order_acquire);
    bool quiet = host->worker_slot() != 0;
    for (; g_done < n; g_done++) {
        const op_rec& o = g_j->ops[g_done];
        std::string path = o.path, err;
        if (o.kind == OP_DEL) {
            auto it = files(o.crl != 0).find(path);
            if (it != files(o.crl != 0).end()) {
                entry_clear(it->second);
                files(o.crl != 0).erase(it);
            }
            continue;
        }
        entry e;
        if (!parse_file(o.file, o.crl != 0, e, err)) {
            if (!quiet)
                host->log(PTC_LOG_WARNING, "ssl: committed %s file '%s' not loaded: %s",
                          what(o.crl != 0), path.c_str(), err.c_str());
            continue;
        }
        entry& cur = files(o.crl != 0)[path];
        entry_clear(cur);
        cur = e;
        rebuild(path, o.crl != 0, quiet);
    }
}

} // namespace tls
