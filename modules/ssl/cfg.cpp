// SPDX-License-Identifier: MIT
// The ssl module's configuration: bind, server and global keywords (HAProxy 2.6
// semantics), certificates loaded while the line is read (so a bad PEM is reported at its
// file:line), and the OpenSSL contexts built in post_config for every bind and server.
#include <dirent.h>
#include <openssl/err.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <fstream>
#include <unordered_map>

#include "crtlist.hpp"
#include "ssl_int.hpp"

namespace tls {

const int k_versions[k_nver] = {SSL3_VERSION, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
                                TLS1_3_VERSION};
const char* const k_ver_names[k_nver] = {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

globals g;

void opts_init(tls_opts& o)
{
    std::memset(&o, 0, sizeof(o));
    o.verify = -1;
    o.min_ver = -1;
    o.max_ver = -1;
}

namespace {

struct bind_line {
    cert* c;
    std::vector<std::string> options; // crt-list per-line options
    std::vector<std::string> filters, excludes;
    std::string list;                 // the crt-list of the line ("" : crt)
    uint32_t lineno = 0;
};
// Extra state of a bind_tls kept here: the certificate lines in order.
struct bind_extra {
    bind_tls* bt;
    const ptc_bind* bind;
    std::vector<bind_line> lines;
};
std::deque<bind_extra> g_binds;   // every bind with a TLS option
// The crt-list files and certificate directories as loaded, for "show ssl crt-list".
struct crtlist_line {
    std::string cert;                 // the certificate's path (crt-base applied)
    uint32_t line = 0;                // 0: a directory's file
    std::vector<std::string> options; // per-line [options], ca-file/crl-file resolved
    std::vector<std::string> filters; // SNI filters, "!" exclusions last
};
std::map<std::string, std::vector<crtlist_line>> g_crtlists;
std::map<std::string, uint32_t> g_linecount; // lines read from each crt-list file
std::map<std::string, bool> g_is_dir;
std::deque<std::string> g_wires; // ALPN wire lists, referenced by context callbacks

bool eq(ptc_str s, const char* c) { return s.len == std::strlen(c) && !std::memcmp(s.ptr, c, s.len); }
std::string str(ptc_str s) { return std::string(s.ptr, s.len); }

std::string resolve(const std::string& base, const std::string& p)
{
    if (p.empty() || p[0] == '/' || base.empty())
        return p;
    return base + "/" + p;
}

bind_extra& extra_of(const ptc_kw_ctx* c)
{
    bind_cf* bc = static_cast<bind_cf*>(c->bind_conf);
    if (!bc->t) {
        bc->t = new bind_tls();
        opts_init(bc->t->o);
        bc->t->file = c->file ? c->file : "";
        bc->t->line = c->line;
        g_binds.push_back(bind_extra{bc->t, c->bind, {}});
    }
    for (auto& e : g_binds)
        if (e.bt == bc->t)
            return e;
    return g_binds.back(); // unreachable
}

int version_index(ptc_str v)
{
    for (int i = 0; i < k_nver; i++)
        if (eq(v, k_ver_names[i]))
            return i;
    return -1;
}

// Applies one option word (with its argument for those that take one) to <o>. Used by
// bind and server lines, crt-list lines and the ssl-default-*-options globals. Returns
// PTC_OK, PTC_ERROR after an error, or 1 when <name> is not a TLS option here.
int apply_opt(const ptc_kw_ctx* c, tls_opts& o, ptc_str name, const ptc_str* arg)
{
    static const char* const nover[k_nver] = {"no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12",
                                              "no-tlsv13"};
    static const char* const force[k_nver] = {"force-sslv3", "force-tlsv10", "force-tlsv11",
                                              "force-tlsv12", "force-tlsv13"};
    for (int i = 0; i < k_nver; i++) {
        if (eq(name, nover[i])) {
            o.no_ver |= (uint8_t)(1u << i);
            return PTC_OK;
        }
        if (eq(name, force[i])) {
            if (i == 0)
                return host->cfg_errorf(c, "'force-sslv3': SSLv3 is not supported by this "
                                           "OpenSSL library");
            o.force_ver |= (uint8_t)(1u << i);
            return PTC_OK;
        }
    }
    if (eq(name, "no-tls-tickets")) {
        o.no_tickets = 1;
        return PTC_OK;
    }
    if (eq(name, "prefer-client-ciphers")) {
        o.prefer_client = 1;
        return PTC_OK;
    }
    if (eq(name, "strict-sni")) {
        o.strict_sni = 1;
        return PTC_OK;
    }
    bool min = eq(name, "ssl-min-ver"), max = eq(name, "ssl-max-ver");
    if (min || max) {
        if (!arg)
            return host->cfg_errorf(c, "'%.*s' needs a version", (int)name.len, name.ptr);
        int v = version_index(*arg);
        if (v < 0)
            return host->cfg_errorf(c,
                                    "'%.*s': unknown version '%.*s' (SSLv3, TLSv1.0, TLSv1.1, "
                                    "TLSv1.2 or TLSv1.3)",
                                    (int)name.len, name.ptr, (int)arg->len, arg->ptr);
        if (v == 0)
            return host->cfg_errorf(c, "'%.*s': SSLv3 is not supported by this OpenSSL library",
                                    (int)name.len, name.ptr);
        (min ? o.min_ver : o.max_ver) = (int8_t)v;
        return PTC_OK;
    }
    return 1;
}

// Does option <name> take an argument (for option lists)?
bool opt_takes_arg(ptc_str name)
{
    return eq(name, "ssl-min-ver") || eq(name, "ssl-max-ver");
}

// "ssl-default-bind-options" / "ssl-default-server-options" words.
int parse_opt_list(const ptc_kw_ctx* c, tls_opts& o)
{
    for (uint32_t i = c->kw_words; i < c->argc; i++) {
        ptc_str w = c->args[i];
        const ptc_str* a = nullptr;
        if (opt_takes_arg(w)) {
            if (i + 1 >= c->argc)
                return host->cfg_errorf(c, "'%.*s' needs an argument", (int)w.len, w.ptr);
            a = &c->args[++i];
        }
        int r = apply_opt(c, o, w, a);
        if (r == PTC_ERROR)
            return r;
        if (r == 1)
            return host->cfg_errorf(c, "'%.*s': option '%.*s' is not supported",
                                    (int)c->args[0].len, c->args[0].ptr, (int)w.len, w.ptr);
    }
    return PTC_OK;
}

int parse_verify(const ptc_kw_ctx* c, ptc_str v, bool server, int8_t& out)
{
    if (eq(v, "none"))
        out = 0;
    else if (eq(v, "optional") && !server)
        out = 1;
    else if (eq(v, "required"))
        out = 2;
    else
        return host->cfg_errorf(c, "'verify' expects %s, got '%.*s'",
                                server ? "'none' or 'required'" : "'none', 'optional' or 'required'",
                                (int)v.len, v.ptr);
    return PTC_OK;
}

// "ca-ignore-err" / "crt-ignore-err" lists: "all", or verification error IDs given as
// numbers or X509_V_ERR_* names, comma-separated. Fills <out> (empty + all = every error).
struct ignore_list {
    bool all = false;
    std::vector<int> ids;
};
bool parse_ignore(const char* s, ignore_list& out, std::string& bad)
{
    static const struct {
        const char* name;
        int id;
    } names[] = {
        {"X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT},
        {"X509_V_ERR_UNABLE_TO_GET_CRL", X509_V_ERR_UNABLE_TO_GET_CRL},
        {"X509_V_ERR_CERT_SIGNATURE_FAILURE", X509_V_ERR_CERT_SIGNATURE_FAILURE},
        {"X509_V_ERR_CERT_NOT_YET_VALID", X509_V_ERR_CERT_NOT_YET_VALID},
        {"X509_V_ERR_CERT_HAS_EXPIRED", X509_V_ERR_CERT_HAS_EXPIRED},
        {"X509_V_ERR_CRL_NOT_YET_VALID", X509_V_ERR_CRL_NOT_YET_VALID},
        {"X509_V_ERR_CRL_HAS_EXPIRED", X509_V_ERR_CRL_HAS_EXPIRED},
        {"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT},
        {"X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN},
        {"X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
         X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
        {"X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE", X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE},
        {"X509_V_ERR_CERT_CHAIN_TOO_LONG", X509_V_ERR_CERT_CHAIN_TOO_LONG},
        {"X509_V_ERR_CERT_REVOKED", X509_V_ERR_CERT_REVOKED},
        {"X509_V_ERR_INVALID_CA", X509_V_ERR_INVALID_CA},
        {"X509_V_ERR_INVALID_PURPOSE", X509_V_ERR_INVALID_PURPOSE},
        {"X509_V_ERR_CERT_UNTRUSTED", X509_V_ERR_CERT_UNTRUSTED},
        {"X509_V_ERR_CERT_REJECTED", X509_V_ERR_CERT_REJECTED},
    };
    out = ignore_list{};
    std::string_view v(s);
    if (v == "all") {
        out.all = true;
        return true;
    }
    while (!v.empty()) {
        size_t k = v.find(',');
        std::string w(v.substr(0, k));
        v = k == std::string_view::npos ? std::string_view() : v.substr(k + 1);
        char* end = nullptr;
        long n = std::strtol(w.c_str(), &end, 10);
        if (!w.empty() && !*end && n > 0 && n < 1000) {
            out.ids.push_back((int)n);
            continue;
        }
        bool found = false;
        for (auto& e : names)
            if (w == e.name) {
                out.ids.push_back(e.id);
                found = true;
            }
        if (!found) {
            bad = w;
            return false;
        }
    }
    return true;
}

// Checks that a CA/CRL file is readable now (HAProxy refuses the line otherwise).
int check_readable(const ptc_kw_ctx* c, const char* what, const std::string& p)
{
    if (access(p.c_str(), R_OK) != 0)
        return host->cfg_errorf(c, "'%s' : unable to read '%s' : %s", what, p.c_str(),
                                strerror(errno));
    return PTC_OK;
}

// ---- bind keywords -----------------------------------------------------------------------

int load_crt_path(const ptc_kw_ctx* c, bind_extra& be, const std::string& path)
{
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR* d = opendir(path.c_str());
        if (!d)
            return host->cfg_errorf(c, "'crt' : unable to scan directory '%s' : %s", path.c_str(),
                                    strerror(errno));
        std::vector<std::string> files;
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.empty() || n[0] == '.')
                continue;
            static const char* const skip[] = {".key", ".ocsp", ".issuer", ".sctl"};
            bool side = false;
            for (const char* x : skip) {
                size_t l = std::strlen(x);
                side |= n.size() > l && n.compare(n.size() - l, l, x) == 0;
            }
            if (!side)
                files.push_back((path.back() == '/' ? path : path + "/") + n);
        }
        closedir(d);
        std::sort(files.begin(), files.end());
        for (auto& f : files) {
            struct stat fs;
            if (stat(f.c_str(), &fs) != 0 || !S_ISREG(fs.st_mode))
                continue;
            if (load_crt_path(c, be, f) != PTC_OK)
                return PTC_ERROR;
        }
        return PTC_OK;
    }
    cert* ct = cert_find(path);
    if (!ct && (g.extra_files & EXTRA_BUNDLE) && stat(path.c_str(), &st) != 0) {
        // a multi-certificate bundle: <path>.dsa, <path>.ecdsa and <path>.rsa, each loaded
        // as a certificate of its own (HAProxy's order; the first is the default)
        bool any = false;
        for (const char* sfx : {".dsa", ".ecdsa", ".rsa"}) {
            std::string f = path + sfx;
            if (!cert_find(f) && stat(f.c_str(), &st) != 0)
                continue;
            any = true;
            if (load_crt_path(c, be, f) != PTC_OK)
                return PTC_ERROR;
        }
        if (any)
            return PTC_OK;
    }
    if (!ct) {
        std::string err;
        ct = cert_load(path, err);
        if (!ct)
            return host->cfg_errorf(c, "'crt' : %s", err.c_str());
        cert_all().push_back(ct);
        if (X509_cmp_current_time(X509_get0_notAfter(ct->leaf)) < 0)
            host->cfg_warnf(c, "'crt' : the certificate in '%s' has expired; it is served anyway, "
                               "as HAProxy does",
                            path.c_str());
    }
    be.lines.push_back(bind_line{ct, {}, {}, {}, {}, 0});
    return PTC_OK;
}

// Records <path> (a crt-list file or a directory) with the lines <be> got from <from> on.
void record_crtlist(std::string path, const bind_extra& be, size_t from,
                    const std::vector<uint32_t>& linenos)
{
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    if (g_crtlists.count(path))
        return; // a crt-list named by several binds is one crt-list
    std::vector<crtlist_line>& v = g_crtlists[path];
    for (size_t k = from; k < be.lines.size(); k++) {
        crtlist_line l;
        l.cert = be.lines[k].c->path;
        l.line = k - from < linenos.size() ? linenos[k - from] : 0;
        l.options = be.lines[k].options;
        l.filters = be.lines[k].filters;
        for (auto& x : be.lines[k].excludes)
            l.filters.push_back("!" + x);
        v.push_back(std::move(l));
    }
}

int kw_bind_crt(const ptc_kw_ctx* c)
{
    bind_extra& be = extra_of(c);
    std::string p = resolve(g.crt_base, str(c->args[c->kw_words]));
    be.bt->crts.push_back(p);
    size_t before = be.lines.size();
    if (load_crt_path(c, be, p) != PTC_OK)
        return PTC_ERROR;
    struct stat st;
    if (stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        std::string d = p;
        while (d.size() > 1 && d.back() == '/')
            d.pop_back();
        g_is_dir[d] = true;
        record_crtlist(p, be, before, {});
    }
    return PTC_OK;
}

// "generate-certificates", "ca-sign-file <file>", "ca-sign-pass <pass>"
int kw_bind_gen(const ptc_kw_ctx* c)
{
    bind_extra& be = extra_of(c);
    ptc_str k = c->args[0];
    if (eq(k, "generate-certificates")) {
        be.bt->gen_certs = true;
        return PTC_OK;
    }
    if (eq(k, "allow-0rtt")) {
        be.bt->early = true;
        return PTC_OK;
    }
    ptc_str v = c->args[c->kw_words];
    if (!v.len)
        return host->cfg_errorf(c, eq(k, "ca-sign-file") ? "'ca-sign-file' : missing CAfile path"
                                                         : "'ca-sign-pass' : missing CAkey password");
    if (eq(k, "ca-sign-file"))
        be.bt->ca_sign_file = resolve(g.ca_base, str(v));
    else
        be.bt->ca_sign_pass = str(v);
    return PTC_OK;
}

int kw_bind_ticket_keys(const ptc_kw_ctx* c)
{
    bind_extra& be = extra_of(c);
    std::string err;
    int ref = tickets_load_file(str(c->args[c->kw_words]), err);
    if (ref < 0)
        return host->cfg_errorf(c, "'tls-ticket-keys' : %s", err.c_str());
    be.bt->ticket_ref = ref;
    return PTC_OK;
}

int kw_bind_crt_list(const ptc_kw_ctx* c)
{
    bind_extra& be = extra_of(c);
    std::string p = resolve(g.crt_base, str(c->args[c->kw_words]));
    std::ifstream in(p);
    if (!in)
        return host->cfg_errorf(c, "'crt-list' : unable to open file '%s' : %s", p.c_str(),
                                strerror(errno));
    be.bt->crt_lists.push_back(p);
    std::string line;
    uint32_t n = 0;
    size_t first = be.lines.size();
    std::vector<uint32_t> linenos;
    while (std::getline(in, line)) {
        n++;
        crtlist::entry e;
        std::string err;
        crtlist::status st = crtlist::parse_line(line, e, err);
        if (st == crtlist::status::blank)
            continue;
        if (st == crtlist::status::error)
            return host->cfg_errorf(c, "'crt-list' : %s:%u: %s", p.c_str(), n, err.c_str());
        crtlist_pair_flags(e.options);
        // per-line options: checked now, applied when the contexts are built
        tls_opts scratch;
        opts_init(scratch);
        for (size_t i = 0; i < e.options.size(); i++) {
            ptc_str w{e.options[i].data(), e.options[i].size()};
            static const char* const with_arg[] = {"alpn", "ciphers", "ciphersuites", "curves",
                                                   "verify", "ca-file", "crl-file",
                                                   "ca-verify-file", "ssl-min-ver", "ssl-max-ver",
                                                   "allow-0rtt"}; // (its empty value)
            bool arg = false;
            for (const char* k : with_arg)
                arg |= eq(w, k);
            if (!arg && !eq(w, "no-tls-tickets") && !eq(w, "prefer-client-ciphers"))
                return host->cfg_errorf(c,
                                        "'crt-list' : %s:%u: option '%s' is not supported on a "
                                        "crt-list line (alpn, ciphers, ciphersuites, curves, "
                                        "verify, ca-file, ca-verify-file, crl-file, allow-0rtt)",
                                        p.c_str(), n, e.options[i].c_str());
            if (eq(w, "ssl-min-ver") || eq(w, "ssl-max-ver") || eq(w, "no-tls-tickets") ||
                eq(w, "prefer-client-ciphers"))
                return host->cfg_errorf(c,
                                        "'crt-list' : %s:%u: '%s' cannot differ per certificate "
                                        "here: set it on the bind line",
                                        p.c_str(), n, e.options[i].c_str());
            if (i + 1 >= e.options.size())
                return host->cfg_errorf(c, "'crt-list' : %s:%u: '%s' needs an argument",
                                        p.c_str(), n, e.options[i].c_str());
            if (eq(w, "verify")) {
                ptc_str v{e.options[i + 1].data(), e.options[i + 1].size()};
                if (parse_verify(c, v, false, scratch.verify) != PTC_OK)
                    return PTC_ERROR;
            }
            if (eq(w, "ca-file") || eq(w, "crl-file") || eq(w, "ca-verify-file")) {
                e.options[i + 1] = resolve(g.ca_base, e.options[i + 1]);
                if (check_readable(c, e.options[i].c_str(), e.options[i + 1]) != PTC_OK)
                    return PTC_ERROR;
            }
            i++;
        }
        std::string cp = resolve(g.crt_base, e.file);
        size_t before = be.lines.size();
        if (load_crt_path(c, be, cp) != PTC_OK)
            return PTC_ERROR;
        for (size_t k = before; k < be.lines.size(); k++) {
            be.lines[k].options = e.options;
            be.lines[k].filters = e.filters;
            be.lines[k].excludes = e.excludes;
            be.lines[k].list = p;
            be.lines[k].lineno = n;
            linenos.push_back(n);
        }
    }
    g_linecount[p] = n;
    record_crtlist(p, be, first, linenos);
    return PTC_OK;
}

int kw_ssl(const ptc_kw_ctx* c)
{
    if (c->bind_conf) {
        extra_of(c).bt->o.ssl = 1;
        return PTC_OK;
    }
    server_cf* sc = static_cast<server_cf*>(c->conf);
    sc->o.ssl = eq(c->args[0], "no-ssl") ? 2 : 1;
    return PTC_OK;
}

tls_opts& opts_of(const ptc_kw_ctx* c)
{
    if (c->bind_conf)
        return extra_of(c).bt->o;
    return static_cast<server_cf*>(c->conf)->o;
}

int kw_flag(const ptc_kw_ctx* c)
{
    tls_opts& o = opts_of(c);
    const ptc_str* a = c->argc > c->kw_words ? &c->args[c->kw_words] : nullptr;
    int r = apply_opt(c, o, c->args[0], a);
    if (r == 1)
        return host->cfg_errorf(c, "'%.*s': not a TLS option", (int)c->args[0].len,
                                c->args[0].ptr);
    return r;
}

int kw_string(const ptc_kw_ctx* c)
{
    tls_opts& o = opts_of(c);
    ptc_str k = c->args[0], v = c->args[c->kw_words];
    const char* s = host->cfg_strdup(c, v);
    if (eq(k, "ciphers"))
        o.ciphers = s;
    else if (eq(k, "ciphersuites"))
        o.ciphersuites = s;
    else if (eq(k, "curves") || eq(k, "ecdhe"))
        o.curves = s;
    else if (eq(k, "alpn")) {
        if (!v.len)
            return host->cfg_errorf(c, "'alpn' : expects a comma-delimited list of protocols");
        o.alpn = s;
    } else if (eq(k, "ca-file") || eq(k, "crl-file") || eq(k, "ca-verify-file")) {
        std::string p = resolve(g.ca_base, s);
        std::string kn(k.ptr, k.len);
        if (check_readable(c, kn.c_str(), p) != PTC_OK)
            return PTC_ERROR;
        const char* d = host->cfg_strdup(c, ptc_str{p.data(), p.size()});
        (eq(k, "ca-file") ? o.ca_file : eq(k, "crl-file") ? o.crl_file : o.ca_verify_file) = d;
    }
    return PTC_OK;
}

int kw_del_ext(const ptc_kw_ctx*)
{
    g.extra_del_ext = true;
    return PTC_OK;
}

int kw_ignore_err(const ptc_kw_ctx* c)
{
    ptc_str k = c->args[0];
    const char* v = host->cfg_strdup(c, c->args[c->kw_words]);
    ignore_list l;
    std::string bad;
    if (!parse_ignore(v, l, bad))
        return host->cfg_errorf(c,
                                "'%.*s' : unknown error '%s' (expects 'all', or error IDs as "
                                "numbers or X509_V_ERR_* names, comma-separated)",
                                (int)k.len, k.ptr, bad.c_str());
    (eq(k, "ca-ignore-err") ? opts_of(c).ca_ignore : opts_of(c).crt_ignore) = v;
    return PTC_OK;
}

int kw_verify(const ptc_kw_ctx* c)
{
    return parse_verify(c, c->args[c->kw_words], !c->bind_conf, opts_of(c).verify);
}

// ---- server-only keywords ----------------------------------------------------------------

int kw_srv_sni(const ptc_kw_ctx* c)
{
    server_cf* sc = static_cast<server_cf*>(c->conf);
    sc->sni = host->expr_compile(c, c->args[c->kw_words]);
    return sc->sni ? PTC_OK : PTC_ERROR;
}

int kw_srv_misc(const ptc_kw_ctx* c)
{
    server_cf* sc = static_cast<server_cf*>(c->conf);
    ptc_str k = c->args[0];
    if (eq(k, "no-ssl-reuse"))
        sc->no_reuse = 1;
    else if (eq(k, "ssl-reuse"))
        sc->no_reuse = 0;
    else if (eq(k, "verifyhost")) {
        sc->verifyhost = host->cfg_strdup(c, c->args[c->kw_words]);
        sc->verifyhost_set = 1;
    } else if (eq(k, "no-verifyhost")) {
        sc->verifyhost = nullptr;
        sc->verifyhost_set = 0;
    } else if (eq(k, "check-ssl")) {
        sc->check_ssl = 1;
    } else if (eq(k, "no-check-ssl")) {
        sc->check_ssl = 2;
    } else if (eq(k, "check-sni")) {
        sc->check_sni = host->cfg_strdup(c, c->args[c->kw_words]);
    } else if (eq(k, "check-alpn")) {
        sc->check_alpn = host->cfg_strdup(c, c->args[c->kw_words]);
        if (alpn_wire(sc->check_alpn, false).empty())
            return host->cfg_errorf(c, "'check-alpn' : expects a comma-separated list of "
                                       "protocol names");
    } else if (eq(k, "crt")) {
        std::string p = resolve(g.crt_base, str(c->args[c->kw_words]));
        cert* ct = cert_find(p);
        if (!ct) {
            std::string err;
            ct = cert_load(p, err);
            if (!ct)
                return host->cfg_errorf(c, "'crt' : %s", err.c_str());
            cert_all().push_back(ct);
        }
        sc->crt = host->cfg_strdup(c, ptc_str{p.data(), p.size()});
    }
    return PTC_OK;
}

// ---- global keywords ---------------------------------------------------------------------

int kw_global(const ptc_kw_ctx* c)
{
    ptc_str k = c->args[0];
    ptc_str v = c->args[c->kw_words];
    if (eq(k, "crt-base"))
        g.crt_base = str(v);
    else if (eq(k, "ca-base"))
        g.ca_base = str(v);
    else if (eq(k, "ssl-default-bind-options"))
        return parse_opt_list(c, g.bind_def);
    else if (eq(k, "ssl-default-server-options"))
        return parse_opt_list(c, g.server_def);
    else if (eq(k, "ssl-default-bind-ciphers"))
        g.bind_def.ciphers = host->cfg_strdup(c, v);
    else if (eq(k, "ssl-default-bind-ciphersuites"))
        g.bind_def.ciphersuites = host->cfg_strdup(c, v);
    else if (eq(k, "ssl-default-bind-curves"))
        g.bind_def.curves = host->cfg_strdup(c, v);
    else if (eq(k, "ssl-default-server-ciphers"))
        g.server_def.ciphers = host->cfg_strdup(c, v);
    else if (eq(k, "ssl-default-server-ciphersuites"))
        g.server_def.ciphersuites = host->cfg_strdup(c, v);
    else if (eq(k, "ssl-load-extra-files")) {
        uint32_t f = 0;
        for (uint32_t i = c->kw_words; i < c->argc; i++) {
            ptc_str a = c->args[i];
            if (eq(a, "none") || eq(a, "all")) {
                if (c->argc - c->kw_words > 1)
                    return host->cfg_errorf(c, "'%s' can't be used with other arguments",
                                            eq(a, "none") ? "none" : "all");
                f = eq(a, "all") ? (uint32_t)EXTRA_ALL : 0u;
            } else if (eq(a, "key"))
                f |= EXTRA_KEY;
            else if (eq(a, "ocsp"))
                f |= EXTRA_OCSP;
            else if (eq(a, "issuer"))
                f |= EXTRA_ISSUER;
            else if (eq(a, "sctl"))
                f |= EXTRA_SCTL;
            else if (eq(a, "bundle"))
                f |= EXTRA_BUNDLE;
            else
                return host->cfg_errorf(c, "'ssl-load-extra-files' : unknown argument '%.*s', "
                                           "expects 'none', 'all', 'bundle', 'sctl', 'ocsp', "
                                           "'issuer' or 'key'",
                                        (int)a.len, a.ptr);
        }
        g.extra_files = f;
    }
    else if (eq(k, "ssl-dh-param-file")) {
        std::string p = str(v);
        BIO* b = BIO_new_file(p.c_str(), "r");
        EVP_PKEY* dh = nullptr;
        while (b && !dh) {
            EVP_PKEY* x = PEM_read_bio_Parameters(b, nullptr);
            if (!x)
                break;
            if (EVP_PKEY_is_a(x, "DH"))
                dh = x;
            else
                EVP_PKEY_free(x);
        }
        BIO_free(b);
        ERR_clear_error();
        if (!dh)
            return host->cfg_errorf(c, "'ssl-dh-param-file': unable to load DH parameters from "
                                       "file '%s'.",
                                    p.c_str());
        EVP_PKEY_free(g.dh);
        g.dh = dh;
    }
    else if (eq(k, "ssl-server-verify")) {
        if (eq(v, "none"))
            g.server_verify = 0;
        else if (eq(v, "required"))
            g.server_verify = 2;
        else
            return host->cfg_errorf(c, "'ssl-server-verify' expects 'none' or 'required'");
    } else {
        uint64_t n = 0;
        if (eq(k, "tune.ssl.lifetime")) {
            if (host->parse_time(v, &n) != PTC_OK)
                return host->cfg_errorf(c, "'tune.ssl.lifetime' : invalid time '%.*s'",
                                        (int)v.len, v.ptr);
            g.lifetime_s = n / 1000 ? n / 1000 : 1;
            return PTC_OK;
        }
        std::string s = str(v);
        char* end = nullptr;
        n = std::strtoull(s.c_str(), &end, 10);
        if (s.empty() || *end)
            return host->cfg_errorf(c, "'%.*s' expects a number", (int)k.len, k.ptr);
        if (eq(k, "tune.ssl.cachesize"))
            g.cachesize = n;
        else if (eq(k, "tune.ssl.capture-buffer-size") || eq(k, "tune.ssl.capture-cipherlist-size"))
            g.capture_size = n > 65535 ? 65535 : n;
        else if (eq(k, "tune.ssl.ssl-ctx-cache-size"))
            g.ctx_cache = n;
        else if (eq(k, "tune.ssl.maxrecord")) {
            if (n && n < 512)
                return host->cfg_errorf(c, "'tune.ssl.maxrecord' must be 0 or at least 512");
            g.maxrecord = n > 16384 ? 16384 : n;
        } else if (eq(k, "tune.ssl.default-dh-param")) {
            if (n < 1024)
                return host->cfg_errorf(c, "'tune.ssl.default-dh-param' must be at least 1024");
            g.dh_param = n;
        }
    }
    return PTC_OK;
}

// ---- building contexts ---------------------------------------------------------------------

void merge(tls_opts& o, const tls_opts& def)
{
    if (!o.no_tickets)
        o.no_tickets = def.no_tickets;
    if (!o.prefer_client)
        o.prefer_client = def.prefer_client;
    if (!o.strict_sni)
        o.strict_sni = def.strict_sni;
    if (o.verify < 0)
        o.verify = def.verify;
    if (o.min_ver < 0)
        o.min_ver = def.min_ver;
    if (o.max_ver < 0)
        o.max_ver = def.max_ver;
    o.no_ver |= def.no_ver;
    if (!o.force_ver)
        o.force_ver = def.force_ver;
    if (!o.ciphers)
        o.ciphers = def.ciphers;
    if (!o.ciphersuites)
        o.ciphersuites = def.ciphersuites;
    if (!o.curves)
        o.curves = def.curves;
    if (!o.ca_ignore)
        o.ca_ignore = def.ca_ignore;
    if (!o.crt_ignore)
        o.crt_ignore = def.crt_ignore;
}

// Protocol range of <o>: force-* wins, then ssl-min/max-ver, then no-* trims the ends
// (HAProxy 2.2+: TLSv1.2 at least unless told otherwise).
bool version_range(const tls_opts& o, int& lo, int& hi, std::string& err)
{
    if (o.force_ver) {
        for (lo = 1; lo < k_nver && !(o.force_ver & (1u << lo)); lo++) {
        }
        for (hi = k_nver - 1; hi > 0 && !(o.force_ver & (1u << hi)); hi--) {
        }
        return true;
    }
    lo = o.min_ver >= 0 ? o.min_ver : 3;
    hi = o.max_ver >= 0 ? o.max_ver : k_nver - 1;
    while (lo <= hi && (o.no_ver & (1u << lo)))
        lo++;
    while (hi >= lo && (o.no_ver & (1u << hi)))
        hi--;
    if (lo > hi) {
        err = "all SSL/TLS versions are disabled";
        return false;
    }
    return true;
}

std::string openssl_err()
{
    char buf[256];
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "OpenSSL error";
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return buf;
}

} // namespace

std::string alpn_wire(const char* s, bool drop_h2)
{
    std::string w;
    std::string_view v(s);
    while (!v.empty()) {
        size_t k = v.find(',');
        std::string_view p = v.substr(0, k);
        if (!p.empty() && p.size() < 256 && !(drop_h2 && (p == "h2" || p == "h3"))) {
            w.push_back((char)p.size());
            w.append(p);
        }
        if (k == std::string_view::npos)
            break;
        v.remove_prefix(k + 1);
    }
    return w;
}

void crtlist_pair_flags(std::vector<std::string>& options)
{
    for (size_t i = 0; i < options.size(); i++)
        if (options[i] == "allow-0rtt")
            options.insert(options.begin() + (long)++i, std::string());
        else
            i++; // a name and its value
}

namespace {

int alpn_select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg)
{
    const std::string* w = static_cast<const std::string*>(arg);
    unsigned char* o = nullptr;
    if (SSL_select_next_proto(&o, outlen, reinterpret_cast<const unsigned char*>(w->data()),
                              (unsigned)w->size(), in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; // no common protocol: go on without ALPN
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

// <role>: 0 a client context, 1 a bind's, 2 a bind's for a forged certificate.
bool common_setup(SSL_CTX* ctx, const tls_opts& o, std::string& err, int role = 0)
{
    int lo, hi;
    if (!version_range(o, lo, hi, err))
        return false;
    SSL_CTX_set_min_proto_version(ctx, k_versions[lo]);
    SSL_CTX_set_max_proto_version(ctx, k_versions[hi]);
    uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
    if (o.no_tickets)
        opts |= SSL_OP_NO_TICKET;
    SSL_CTX_set_options(ctx, opts);
    if (o.ciphers && SSL_CTX_set_cipher_list(ctx, o.ciphers) != 1) {
        err = std::string("unable to set SSL cipher list to '") + o.ciphers + "'";
        ERR_clear_error();
        return false;
    }
    if (o.ciphersuites && SSL_CTX_set_ciphersuites(ctx, o.ciphersuites) != 1) {
        err = std::string("unable to set TLS 1.3 cipher suites to '") + o.ciphersuites + "'";
        ERR_clear_error();
        return false;
    }
    if (o.curves && SSL_CTX_set1_groups_list(ctx, o.curves) != 1) {
        err = std::string("unable to set SSL curves list to '") + o.curves + "'";
        ERR_clear_error();
        return false;
    }
    // every context follows the runtime API's CA/CRL commits; a forged one until it is
    // evicted from its cache (gencert.cpp forgets it then)
    if (!cafile_setup(ctx, o, role != 0, true, err))
        return false;
    if (g.maxrecord)
        SSL_CTX_set_max_send_fragment(ctx, g.maxrecord);
    return true;
}

int servername_cb(SSL* ssl, int* al, void* arg);

// allow-0rtt from a crt-list line: the SNI chose context <i> (-1: none, the default one, or a
// forged one): early data is accepted when the bind allows it, or the chosen line does (as
// HAProxy); otherwise this handshake offers none and accepts none.
void early_for(SSL* ssl, const bind_tls* bt, long i)
{
    auto* tc = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
    if (!tc || !tc->early_ok || bt->early)
        return;
    if (i < 0 || (size_t)i >= bt->ctxs.size() || !bt->ctxs[(size_t)i].early)
        SSL_set_max_early_data(ssl, 0);
}

// tune.ssl.capture-buffer-size: the ClientHello's cipher suites, extension types, supported
// groups and EC point formats, each kept up to the capture size, for ssl_fc_cipherlist_*,
// ssl_fc_extlist_bin, ssl_fc_eclist_bin, ssl_fc_ecformats_bin, ssl_fc_protocol_hello_id.
void capture_hello(SSL* ssl, tls_conn* tc);

// What the client can verify, as HAProxy 2.6 reads it to pick among certificates of several
// key types for one name: RSA and ECDSA signatures offered in signature_algorithms (none:
// before TLS 1.2, RSA), ECDSA kept only when a cipher suite with ECDSA authentication is
// offered too. Bit 0 RSA, bit 1 ECDSA; -1 for a malformed extension.
int8_t hello_sigs(SSL* ssl)
{
    const unsigned char* p = nullptr;
    size_t n = 0;
    bool present = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &n) == 1;
    int m = crtlist::sigalgs_mask(p, n, present);
    if (m < 0)
        return -1;
    if (m & 2) {
        m &= ~2;
        n = SSL_client_hello_get0_ciphers(ssl, &p);
        for (size_t i = 0; i + 1 < n; i += 2) {
            const SSL_CIPHER* ci = SSL_CIPHER_find(ssl, p + i);
            if (ci && SSL_CIPHER_get_auth_nid(ci) == NID_auth_ecdsa) {
                m |= 2;
                break;
            }
        }
    }
    return int8_t(m);
}

long sni_lookup(const bind_tls* bt, const std::string& name, int sigs);
void switch_ctx(SSL* ssl, SSL_CTX* ctx);

// The host name of the ClientHello's server_name extension, lowercase, without a final dot
// ("" without one).
std::string hello_sni(SSL* ssl)
{
    const unsigned char* p = nullptr;
    size_t n = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) != 1)
        return {};
    return crtlist::sni_name(p, n);
}

int hello_cb(SSL* ssl, int* al, void* arg)
{
    auto* tc = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
    if (!tc)
        return SSL_CLIENT_HELLO_SUCCESS;
    tc->hello_sig = hello_sigs(ssl);
    if (tc->hello_sig < 0) {
        // HAProxy aborts the handshake on a malformed signature_algorithms
        *al = SSL_AD_DECODE_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    if (g.capture_size && !tc->hello)
        capture_hello(ssl, tc);
    // generate-certificates: the forged certificate's context is set before the session
    // lookup, as HAProxy does, so a session of another context is not resumed with it
    auto* bt = static_cast<bind_tls*>(arg);
    if (bt && bt->gen_certs && !tc->forged) {
        runtime_apply();
        std::string n = hello_sni(ssl);
        if (!n.empty() && sni_lookup(bt, n, tc->hello_sig) < 0) {
            bool owned = false;
            if (SSL_CTX* ctx = gen_ctx(bt, n, owned)) {
                switch_ctx(ssl, ctx);
                if (owned) {
                    cafile_forget(ctx); // made for this handshake only
                    SSL_CTX_free(ctx);  // the SSL holds it now
                }
            }
            tc->forged = true; // forged, or the default certificate if that failed
        }
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

void capture_hello(SSL* ssl, tls_conn* tc)
{
    auto cap = std::make_unique<hello_capture>();
    size_t max = size_t(g.capture_size);
    auto keep = [max](std::string& to, const unsigned char* p, size_t n, size_t unit) {
        n = std::min(n, max - max % unit);
        to.assign(reinterpret_cast<const char*>(p), n);
    };
    cap->version = uint16_t(SSL_client_hello_get0_legacy_version(ssl));
    const unsigned char* p = nullptr;
    size_t n = SSL_client_hello_get0_ciphers(ssl, &p);
    keep(cap->ciphers, p, n, 2);
    cap->ciphers_all.assign(reinterpret_cast<const char*>(p), n - n % 2);
    int* ext = nullptr;
    size_t next = 0;
    if (SSL_client_hello_get1_extensions_present(ssl, &ext, &next) == 1) {
        std::string raw;
        for (size_t i = 0; i < next; ++i) {
            raw += char((ext[i] >> 8) & 0xff);
            raw += char(ext[i] & 0xff);
        }
        OPENSSL_free(ext);
        keep(cap->exts, reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), 2);
    }
    // supported_groups (10): a 2-byte length, then the ids; ec_point_formats (11): a 1-byte
    // length, then the formats
    if (SSL_client_hello_get0_ext(ssl, 10, &p, &n) == 1 && n >= 2) {
        size_t l = std::min<size_t>(size_t(p[0]) << 8 | p[1], n - 2);
        keep(cap->groups, p + 2, l, 2);
    }
    if (SSL_client_hello_get0_ext(ssl, 11, &p, &n) == 1 && n >= 1) {
        size_t l = std::min<size_t>(p[0], n - 1);
        keep(cap->ecformats, p + 1, l, 1);
    }
    tc->hello = std::move(cap);
}

// The ignore lists of each bind context (ca-ignore-err, crt-ignore-err).
struct ctx_ignore {
    ignore_list ca, crt;
};
std::unordered_map<const SSL_CTX*, ctx_ignore> g_ignore;

bool ignored(const ignore_list& l, int err)
{
    if (l.all)
        return true;
    for (int id : l.ids)
        if (id == err)
            return true;
    return false;
}

// Client certificate verification, as HAProxy's: the first error at each depth is recorded
// (ssl_c_ca_err at a CA of the chain, ssl_c_err at the certificate); one in the ignore list of
// its depth does not fail the handshake; one that does says where (fc_err 30 or 31), and the
// client's certificate is kept for the fetches of the error log.
int verify_cb(int ok, X509_STORE_CTX* x)
{
    if (ok)
        return 1;
    SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (!ssl)
        return 0;
    int err = X509_STORE_CTX_get_error(x);
    int depth = X509_STORE_CTX_get_error_depth(x);
    tls_conn* tc = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
    if (tc) {
        int& first = depth ? tc->ca_err : tc->crt_err;
        if (!first)
            first = err;
        if (!tc->client_crt) {
            // an error at a CA may come before the certificate itself was looked at: the
            // first of the chain built so far is the client's
            X509* leaf = nullptr;
            if (depth == 0) {
                leaf = X509_STORE_CTX_get0_cert(x);
            } else if (STACK_OF(X509)* ch = X509_STORE_CTX_get0_chain(x)) {
                leaf = sk_X509_num(ch) > 0 ? sk_X509_value(ch, 0) : nullptr;
            }
            if (leaf && X509_up_ref(leaf))
                tc->client_crt = leaf;
        }
    }
    auto it = g_ignore.find(SSL_get_SSL_CTX(ssl));
    if (it != g_ignore.end() && ignored(depth ? it->second.ca : it->second.crt, err))
        return 1;
    if (tc)
        tc->verify_fail = depth ? 1 : 2;
    return 0;
}

SSL_CTX* make_bind_ctx(bind_tls* bt, const tls_opts& o, cert* c, std::string& err,
                       bool forged = false)
{
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        err = openssl_err();
        return nullptr;
    }
    if (!common_setup(ctx, o, err, forged ? 2 : 1) || !cert_install(ctx, c, err)) {
        cafile_forget(ctx);
        SSL_CTX_free(ctx);
        return nullptr;
    }
    if (!o.prefer_client)
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    static const unsigned char sid[] = "portico";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    SSL_CTX_set_session_cache_mode(ctx, g.cachesize ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
    SSL_CTX_sess_set_cache_size(ctx, (long)g.cachesize);
    SSL_CTX_set_timeout(ctx, (long)g.lifetime_s);
    sess_cache_attach(ctx);
    tickets_attach(ctx, bt);
    if (o.verify > 0) {
        if (!o.ca_file && !o.ca_verify_file) {
            err = "verify is enabled but no CA file specified (ca-file)";
            cafile_forget(ctx);
            SSL_CTX_free(ctx);
            return nullptr;
        }
        bool ign = o.ca_ignore || o.crt_ignore;
        if (ign) {
            ctx_ignore ci;
            std::string bad;
            if (o.ca_ignore)
                parse_ignore(o.ca_ignore, ci.ca, bad);
            if (o.crt_ignore)
                parse_ignore(o.crt_ignore, ci.crt, bad);
            g_ignore[ctx] = ci;
        } else {
            g_ignore.erase(ctx); // a freed forged context's address, reused
        }
        SSL_CTX_set_verify(ctx,
                           SSL_VERIFY_PEER | (o.verify == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           verify_cb);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (o.alpn) {
        std::string w = alpn_wire(o.alpn, bt->http);
        const std::string* kept = nullptr;
        for (const std::string& x : g_wires)
            if (x == w)
                kept = &x;
        if (!kept) {
            g_wires.push_back(w);
            kept = &g_wires.back();
        }
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, const_cast<std::string*>(kept));
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    SSL_CTX_set_tlsext_servername_arg(ctx, bt);
    SSL_CTX_set_client_hello_cb(ctx, hello_cb, bt);
    if (forged)
        return ctx;
    ocsp_attach(ctx, c);
    sctl_attach(ctx, c);
    c->users.push_back(ctx);
    return ctx;
}

// The key type of a context's certificate, as HAProxy ranks them: 2 ECDSA, 1 RSA, 0 other
// (DSA, anonymous).
int key_sig(const cert* c)
{
    int id = c && c->key ? EVP_PKEY_get_base_id(c->key) : 0;
    return id == EVP_PKEY_EC                              ? crtlist::key_ecdsa
           : id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS ? crtlist::key_rsa
                                                          : crtlist::key_other;
}

// The context for <name> (lowercase), or -1. Several certificates may serve the name (several
// "crt", crt-list lines, a bundle's .rsa/.ecdsa/.dsa): as in HAProxy, the first of each key
// type among the exact names, then among the wildcards, is a candidate, and the client's
// <sigs> (hello_sigs) choose: ECDSA, then RSA, then another type, then whatever there is.
long sni_lookup(const bind_tls* bt, const std::string& name, int sigs)
{
    auto excluded = [&](size_t ctx) {
        for (const auto& e : bt->names)
            if (e.neg && e.ctx == ctx && crtlist::name_matches(e.name, name))
                return true;
        return false;
    };
    long found[3] = {-1, -1, -1}; // by key_sig
    for (int pass = 0; pass < 2; pass++)
        for (const auto& e : bt->names) {
            bool wild = e.name.size() > 1 && e.name[0] == '*';
            if (e.neg || wild != (pass == 1) || !crtlist::name_matches(e.name, name) ||
                excluded(e.ctx))
                continue;
            long& f = found[key_sig(bt->ctxs[e.ctx].c)];
            if (f < 0)
                f = (long)e.ctx;
        }
    return crtlist::pick(found, sigs);
}

int servername_cb(SSL* ssl, int* al, void* arg)
{
    bind_tls* bt = static_cast<bind_tls*>(arg);
    // "add/del ssl crt-list" done on the CLI count from the next handshake on, as in
    // HAProxy, not from this worker's next tick
    runtime_apply();
    auto* tc0 = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
    if (tc0 && tc0->forged) {
        early_for(ssl, bt, -1);
        return SSL_TLSEXT_ERR_OK; // generate-certificates chose in the ClientHello callback
    }
    const char* sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    long i = -1;
    if (sn && *sn) {
        std::string n(sn);
        for (char& ch : n)
            ch = (char)std::tolower((unsigned char)ch);
        if (!n.empty() && n.back() == '.')
            n.pop_back();
        auto* tc = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
        i = sni_lookup(bt, n, tc ? tc->hello_sig : -1);
    }
    if (i < 0) {
        if (bt->o.strict_sni) {
            *al = SSL_AD_UNRECOGNIZED_NAME;
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        early_for(ssl, bt, -1);
        return SSL_TLSEXT_ERR_OK; // the default certificate
    }
    switch_ctx(ssl, bt->ctxs[(size_t)i].ctx);
    early_for(ssl, bt, i);
    return SSL_TLSEXT_ERR_OK;
}

void switch_ctx(SSL* ssl, SSL_CTX* ctx)
{
    if (ctx != SSL_get_SSL_CTX(ssl)) {
        SSL_set_SSL_CTX(ssl, ctx);
        // what SSL_set_SSL_CTX does not carry over: verification and cipher lists
        SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
        SSL_set_client_CA_list(ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(ctx)));
        SSL_set_cipher_list(ssl, "DEFAULT"); // reset, then the context's own
        STACK_OF(SSL_CIPHER)* cl = SSL_CTX_get_ciphers(ctx);
        std::string list;
        for (int k = 0; cl && k < sk_SSL_CIPHER_num(cl); k++) {
            const SSL_CIPHER* ci = sk_SSL_CIPHER_value(cl, k);
            if (!std::strcmp(SSL_CIPHER_get_version(ci), "TLSv1.3"))
                continue;
            if (!list.empty())
                list += ':';
            list += SSL_CIPHER_get_name(ci);
        }
        if (!list.empty())
            SSL_set_cipher_list(ssl, list.c_str());
        ERR_clear_error();
    }
}

int build_bind(bind_extra& be)
{
    bind_tls* bt = be.bt;
    const char* where_f = bt->file.c_str();
    if (!bt->o.ssl) {
        if (!be.lines.empty())
            host->errorf(g_self, "%s:%u: 'crt' or 'crt-list' without 'ssl' on the bind line: "
                                 "this address does not use TLS",
                         where_f, bt->line);
        return PTC_OK;
    }
    if (be.lines.empty()) {
        host->errorf(g_self, "%s:%u: 'ssl' on a bind line needs at least one certificate "
                             "('crt' or 'crt-list')",
                     where_f, bt->line);
        return PTC_ERROR;
    }
    ptc_proxy* fe = host->bind_proxy(be.bind);
    ptc_str mode = host->proxy_mode(fe);
    bt->http = mode.len == 4 && std::memcmp(mode.ptr, "http", 4) == 0;
    merge(bt->o, g.bind_def);
    bt->any_early = bt->early;
    for (auto& ln : be.lines) {
        tls_opts o = bt->o;
        bool early = false;
        for (size_t i = 0; i + 1 < ln.options.size(); i += 2) {
            const std::string& k = ln.options[i];
            const char* v = strdup(ln.options[i + 1].c_str()); // config lifetime
            if (k == "alpn")
                o.alpn = v;
            else if (k == "ciphers")
                o.ciphers = v;
            else if (k == "ciphersuites")
                o.ciphersuites = v;
            else if (k == "curves")
                o.curves = v;
            else if (k == "ca-file")
                o.ca_file = v;
            else if (k == "crl-file")
                o.crl_file = v;
            else if (k == "ca-verify-file")
                o.ca_verify_file = v;
            else if (k == "verify")
                o.verify = !std::strcmp(v, "none") ? 0 : !std::strcmp(v, "optional") ? 1 : 2;
            else if (k == "allow-0rtt")
                early = true;
        }
        std::string err;
        SSL_CTX* ctx = make_bind_ctx(bt, o, ln.c, err);
        if (!ctx) {
            host->errorf(g_self, "%s:%u: '%s': %s", where_f, bt->line, ln.c->path.c_str(),
                         err.c_str());
            return PTC_ERROR;
        }
        size_t idx = bt->ctxs.size();
        bool has_filters = !ln.filters.empty() || !ln.excludes.empty();
        bt->ctxs.push_back(
            bind_tls::ctx_ent{ctx, ln.c, has_filters, ln.list, ln.lineno, false, early});
        bt->any_early |= early;
        ln.c->bind_users.emplace_back(bt, idx);
        for (auto& f : ln.filters)
            bt->names.push_back(sni_entry{f, false, idx});
        for (auto& f : ln.excludes)
            if (f[0] != '*') // a negative wildcard does nothing (HAProxy)
                bt->names.push_back(sni_entry{f, true, idx});
        // any filter, even a negative one alone, replaces the certificate's own names, as
        // in HAProxy ("cert.pem !*": a default certificate never chosen by SNI)
        if (!has_filters)
            for (auto& n : ln.c->names)
                bt->names.push_back(sni_entry{n, false, idx});
    }
    if (bt->gen_certs) {
        ptc_str pn = host->proxy_name(fe);
        if (bt->ca_sign_file.empty()) {
            host->errorf(g_self, "Proxy '%.*s': cannot enable certificate generation, no CA "
                                 "certificate File configured at [%s:%u].",
                         (int)pn.len, pn.ptr, where_f, bt->line);
            return PTC_ERROR;
        }
        std::string err;
        if (!gen_load_ca(bt, err)) {
            host->errorf(g_self, "Proxy '%.*s': Failed to read CA certificate file '%s' at "
                                 "[%s:%u]. %s",
                         (int)pn.len, pn.ptr, bt->ca_sign_file.c_str(), where_f, bt->line,
                         err.c_str());
            return PTC_ERROR;
        }
    }
    if (bt->o.alpn && bt->http && alpn_wire(bt->o.alpn, false) != alpn_wire(bt->o.alpn, true))
        host->log(PTC_LOG_NOTICE,
                  "%s:%u: 'alpn %s': portico speaks HTTP/1.1 to clients: h2 is not offered",
                  where_f, bt->line, bt->o.alpn);
    return PTC_OK;
}

int new_session_cb(SSL* ssl, SSL_SESSION* sess)
{
    tls_conn* tc = static_cast<tls_conn*>(SSL_get_ex_data(ssl, ex_index()));
    if (!tc || !tc->srv)
        return 0;
    sess_store(tc->srv, sess); // takes the reference
    return 1;
}

} // namespace

SSL_CTX* make_forged_ctx(bind_tls* bt, cert* c, std::string& err)
{
    return make_bind_ctx(bt, bt->o, c, err, true);
}

int build_server(ptc_proxy* be, ptc_server* srv, bool for_checks)
{
    server_cf* sc = static_cast<server_cf*>(host->server_conf(g_self, srv));
    if (!sc || sc->ctx)
        return PTC_OK;
    // HAProxy prepares a server's TLS context for its traffic ("ssl"), for "check-ssl",
    // and when its backend has a "tcp-check connect ssl" rule (the check module asks)
    if (sc->o.ssl != 1 && sc->check_ssl != 1 && !for_checks)
        return PTC_OK;
    ptc_str bn = host->proxy_name(be), sn = host->server_name(srv);
    merge(sc->o, g.server_def);
    if (sc->o.verify < 0)
        sc->o.verify = (int8_t)g.server_verify;
    if (sc->o.verify == 2 && !sc->o.ca_file) {
        host->errorf(g_self,
                     "Proxy '%.*s', server '%.*s': verify is enabled by default but no CA file "
                     "specified. If you're running on a LAN where you're certain to trust the "
                     "server's certificate, please set an explicit 'verify none' statement on "
                     "the 'server' line, or use 'ssl-server-verify none' in the global section "
                     "to disable server-side verifications by default.",
                     (int)bn.len, bn.ptr, (int)sn.len, sn.ptr);
        return PTC_ERROR;
    }
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    std::string err;
    if (!ctx || !common_setup(ctx, sc->o, err)) {
        host->errorf(g_self, "Proxy '%.*s', server '%.*s': %s", (int)bn.len, bn.ptr, (int)sn.len,
                     sn.ptr, err.empty() ? openssl_err().c_str() : err.c_str());
        cafile_forget(ctx);
        SSL_CTX_free(ctx);
        return PTC_ERROR;
    }
    if (sc->crt) {
        cert* c = cert_find(sc->crt);
        if (!c || !cert_install(ctx, c, err)) {
            host->errorf(g_self, "Proxy '%.*s', server '%.*s': %s", (int)bn.len, bn.ptr,
                         (int)sn.len, sn.ptr, err.c_str());
            cafile_forget(ctx);
            SSL_CTX_free(ctx);
            return PTC_ERROR;
        }
        c->users.push_back(ctx);
    }
    SSL_CTX_set_verify(ctx, sc->o.verify == 2 ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (!sc->no_reuse) {
        SSL_CTX_set_session_cache_mode(ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
    }
    if (sc->o.alpn) {
        std::string w = alpn_wire(sc->o.alpn, false);
        sc->alpn_wire = static_cast<char*>(std::malloc(w.size() + 1));
        std::memcpy(sc->alpn_wire, w.data(), w.size());
        sc->alpn_wire_len = (uint32_t)w.size();
    }
    sc->ctx = ctx;
    return PTC_OK;
}

// A TLS endpoint outside any proxy (ssl.h's endpoint_new, since 1.23: the peers' "bind"
// and "server" lines): a context built from a certificate, a CA file and a verify mode,
// with the ssl-default-bind-* / ssl-default-server-* settings.
struct endpoint {
    SSL_CTX* ctx = nullptr;
    bool server_role = false;
};

int endpoint_new(uint32_t role, const char* crt, const char* ca_file, int verify, const char* where,
                 void** out)
{
    bool srv_role = role == PTC_SSL_EP_SERVER;
    if (!out || (role != PTC_SSL_EP_SERVER && role != PTC_SSL_EP_CLIENT)) {
        host->errorf(g_self, "%s: bad TLS endpoint request", where ? where : "?");
        return PTC_ERROR;
    }
    where = where ? where : "?";
    cert* c = nullptr;
    if (crt && *crt) {
        std::string p = resolve(g.crt_base, crt);
        c = cert_find(p);
        if (!c) {
            std::string err;
            c = cert_load(p, err);
            if (!c) {
                host->errorf(g_self, "%s: 'crt' : %s", where, err.c_str());
                return PTC_ERROR;
            }
            cert_all().push_back(c);
        }
    }
    tls_opts o;
    opts_init(o);
    o.ssl = 1;
    o.verify = (int8_t)verify;
    std::string ca = ca_file && *ca_file ? resolve(g.ca_base, ca_file) : std::string();
    if (!ca.empty())
        o.ca_file = strdup(ca.c_str()); // config lifetime
    std::string err;
    endpoint* ep = new endpoint();
    ep->server_role = srv_role;
    if (srv_role) {
        if (!c) {
            host->errorf(g_self, "%s: no SSL certificate specified for bind (use 'crt').", where);
            delete ep;
            return PTC_ERROR;
        }
        bind_tls* bt = new bind_tls();
        bt->o = o;
        merge(bt->o, g.bind_def);
        if (bt->o.verify < 0)
            bt->o.verify = 0;
        bt->file = where;
        ep->ctx = make_bind_ctx(bt, bt->o, c, err);
        if (!ep->ctx) {
            host->errorf(g_self, "%s: '%s': %s", where, c->path.c_str(), err.c_str());
            delete ep;
            return PTC_ERROR;
        }
        bt->ctxs.push_back(bind_tls::ctx_ent{ep->ctx, c, false, "", 0, false});
        c->bind_users.emplace_back(bt, 0);
    } else {
        merge(o, g.server_def);
        if (o.verify < 0)
            o.verify = (int8_t)g.server_verify;
        if (o.verify == 2 && !o.ca_file) {
            host->errorf(g_self,
                         "%s: verify is enabled by default but no CA file specified. If you're running "
                         "on a LAN where you're certain to trust the server's certificate, please set "
                         "an explicit 'verify none' statement on the 'server' line, or use "
                         "'ssl-server-verify none' in the global section to disable server-side "
                         "verifications by default.",
                         where);
            delete ep;
            return PTC_ERROR;
        }
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx || !common_setup(ctx, o, err) || (c && !cert_install(ctx, c, err))) {
            host->errorf(g_self, "%s: %s", where, err.empty() ? openssl_err().c_str() : err.c_str());
            cafile_forget(ctx);
            SSL_CTX_free(ctx);
            delete ep;
            return PTC_ERROR;
        }
        if (c)
            c->users.push_back(ctx);
        SSL_CTX_set_verify(ctx, o.verify == 2 ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
        ep->ctx = ctx;
    }
    *out = ep;
    return PTC_OK;
}

int endpoint_transport(void* e, const ptc_transport** t, void** tctx)
{
    endpoint* ep = static_cast<endpoint*>(e);
    if (!ep || !ep->ctx || !t || !tctx)
        return PTC_ERROR;
    SSL* ssl = SSL_new(ep->ctx);
    tls_conn* tc = ssl ? conn_new(ssl, nullptr, ep->server_role) : nullptr;
    if (!tc) {
        SSL_free(ssl);
        return PTC_ERROR;
    }
    *t = &k_transport;
    *tctx = tc;
    return PTC_OK;
}

namespace {

constexpr uint32_t B = PTC_KW_BIND;
constexpr uint32_t SV = PTC_KW_SERVER | PTC_KW_DEFSERVER;
constexpr uint32_t BSV = B | SV;
constexpr uint32_t GL = PTC_SEC_GLOBAL;

} // namespace

namespace {

// "show ssl crt-list [-n] [<file>]": HAProxy's dump (the lines with their options in
// HAProxy's order and their SNI filters; -n adds the line numbers).
int cli_show_crtlist(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    bool numbers = argc > 3 && eq(args[3], "-n");
    std::string file = argc > (numbers ? 4u : 3u) ? str(args[numbers ? 4 : 3]) : "";
    if (numbers && file.empty()) {
        host->cli_printf(r, "'show ssl crt-list -n' expects a filename or a directory\n");
        return PTC_ERROR;
    }
    if (file.empty()) {
        for (auto& [path, lines] : g_crtlists)
            host->cli_printf(r, "%s\n", path.c_str());
        return PTC_OK;
    }
    while (file.size() > 1 && file.back() == '/')
        file.pop_back();
    auto it = g_crtlists.find(file);
    if (it == g_crtlists.end()) {
        host->cli_printf(r, "didn't find the specified filename\n");
        return PTC_ERROR;
    }
    host->cli_printf(r, "# %s\n", file.c_str());
    static const char* const order[] = {"alpn",     "verify",   "allow-0rtt",
                                        "ca-file",  "ca-verify-file", "crl-file",
                                        "ciphers",  "ciphersuites",   "curves"};
    for (const crtlist_line& l : it->second) {
        std::string out = l.cert;
        if (numbers)
            out += ":" + std::to_string(l.line);
        if (!l.options.empty()) {
            std::string o;
            for (const char* k : order)
                for (size_t i = 0; i + 1 < l.options.size(); i += 2)
                    if (l.options[i] == k)
                        o += (o.empty() ? "" : " ") + l.options[i] +
                             (l.options[i + 1].empty() ? "" : " " + l.options[i + 1]);
            out += " [" + o + "]";
        }
        for (auto& f : l.filters)
            out += " " + f;
        host->cli_printf(r, "%s\n", out.c_str());
    }
    return PTC_OK;
}

const ptc_cli_cmd k_crtlist_cmds[] = {
    {"show ssl crt-list", "show ssl crt-list [-n] [<filename>]",
     "show the list of crt-lists or the content of a crt-list file <filename>", PTC_CLI_ADMIN,
     cli_show_crtlist},
};

} // namespace

bool crtlist_exists(const std::string& list, bool& is_dir)
{
    is_dir = g_is_dir.count(list) > 0;
    return g_crtlists.count(list) > 0;
}

bool cert_used(const cert* c)
{
    return !c->users.empty();
}

bool crtlist_add(const std::string& list, const std::string& text, size_t& nbinds,
                 std::string& err)
{
    crtlist::entry e;
    std::string why;
    crtlist::status st = crtlist::parse_line(text, e, why);
    if (st != crtlist::status::ok) {
        err = st == crtlist::status::blank
                  ? "'add ssl crtlist' should contain the certificate name in the payload"
                  : why;
        return false;
    }
    crtlist_pair_flags(e.options);
    std::string cp = resolve(g.crt_base, e.file);
    cert* c = cert_find(cp);
    if (!c) {
        err = "certificate '" + cp + "' does not exist!";
        return false;
    }
    for (size_t i = 0; i < e.options.size(); i += 2) {
        const std::string& k = e.options[i];
        static const char* const ok[] = {"alpn", "ciphers", "ciphersuites", "curves", "verify",
                                          "ca-file", "crl-file", "ca-verify-file", "allow-0rtt"};
        bool known = false;
        for (const char* x : ok)
            known |= k == x;
        if (!known || i + 1 >= e.options.size()) {
            err = "option '" + k + "' is not supported on a crt-list line (alpn, ciphers, "
                  "ciphersuites, curves, verify, ca-file, ca-verify-file, crl-file, allow-0rtt)";
            return false;
        }
        std::string& v = e.options[i + 1];
        if (k == "verify" && v != "none" && v != "optional" && v != "required") {
            err = "'verify' expects 'none', 'optional' or 'required'";
            return false;
        }
        if (k == "ca-file" || k == "crl-file" || k == "ca-verify-file") {
            v = resolve(g.ca_base, v);
            // a file of the configuration or of the runtime API ("new ssl ca-file" + commit)
            if (!cafile_known(v, k == "crl-file") && access(v.c_str(), R_OK) != 0) {
                err = "'" + k + "' : unable to read '" + v + "' : " + strerror(errno);
                return false;
            }
        }
    }
    uint32_t lineno = ++g_linecount[list];
    nbinds = 0;
    for (auto& be : g_binds) {
        bind_tls* bt = be.bt;
        if (std::find(bt->crt_lists.begin(), bt->crt_lists.end(), list) == bt->crt_lists.end() ||
            !bt->o.ssl)
            continue;
        tls_opts o = bt->o;
        bool early = false;
        for (size_t i = 0; i + 1 < e.options.size(); i += 2) {
            const std::string& k = e.options[i];
            if (k == "allow-0rtt") {
                early = true;
                continue;
            }
            const char* v = strdup(e.options[i + 1].c_str()); // lives as long as the context
            if (k == "alpn")
                o.alpn = v;
            else if (k == "ciphers")
                o.ciphers = v;
            else if (k == "ciphersuites")
                o.ciphersuites = v;
            else if (k == "curves")
                o.curves = v;
            else if (k == "ca-file")
                o.ca_file = v;
            else if (k == "crl-file")
                o.crl_file = v;
            else if (k == "ca-verify-file")
                o.ca_verify_file = v;
            else if (k == "verify")
                o.verify = !std::strcmp(v, "none") ? 0 : !std::strcmp(v, "optional") ? 1 : 2;
        }
        SSL_CTX* ctx = make_bind_ctx(bt, o, c, err);
        if (!ctx)
            return false;
        size_t idx = bt->ctxs.size();
        bool has_filters = !e.filters.empty() || !e.excludes.empty();
        bt->ctxs.push_back(bind_tls::ctx_ent{ctx, c, has_filters, list, lineno, false, early});
        bt->any_early |= early; // from the next connection on
        c->bind_users.emplace_back(bt, idx);
        for (auto& f : e.filters)
            bt->names.push_back(sni_entry{f, false, idx});
        for (auto& f : e.excludes)
            if (f[0] != '*') // a negative wildcard does nothing (HAProxy)
                bt->names.push_back(sni_entry{f, true, idx});
        if (!has_filters)
            for (auto& n : c->names)
                bt->names.push_back(sni_entry{n, false, idx});
        nbinds++;
    }
    crtlist_line l;
    l.cert = cp;
    l.line = lineno;
    l.options = e.options;
    l.filters = e.filters;
    for (auto& x : e.excludes)
        l.filters.push_back("!" + x);
    g_crtlists[list].push_back(std::move(l));
    return true;
}

bool crtlist_del(const std::string& list, const std::string& cert_path, uint32_t lineno,
                 std::string& err)
{
    auto it = g_crtlists.find(list);
    if (it == g_crtlists.end()) {
        err = "crt-list '" + list + "' does not exist!";
        return false;
    }
    cert* c = cert_find(cert_path);
    if (!c) {
        err = "certificate '" + cert_path + "' does not exist!";
        return false;
    }
    std::vector<size_t> found;
    std::string nums;
    for (size_t i = 0; i < it->second.size(); i++) {
        const crtlist_line& l = it->second[i];
        if (l.cert != cert_path)
            continue;
        nums += (nums.empty() ? "" : ", ") + std::to_string(l.line);
        if (!lineno || l.line == lineno)
            found.push_back(i);
    }
    if (nums.empty()) {
        err = "certificate '" + cert_path + "' can't be found in crt-list '" + list + "'!";
        return false;
    }
    if (found.empty()) {
        err = "found a certificate '" + cert_path + "' but the line number is incorrect, please "
              "specify a correct line number preceded by colons (" + nums + ")!";
        return false;
    }
    if (found.size() > 1) {
        err = "found the certificate '" + cert_path + "' in several entries, please specify a "
              "line number preceded by colons (" + nums + ")!";
        return false;
    }
    uint32_t line = it->second[found[0]].line;
    // the default certificate of a bind (its first) stays, unless strict-sni
    std::string users;
    for (auto& be : g_binds)
        for (size_t i = 0; i < be.bt->ctxs.size(); i++) {
            const auto& ce = be.bt->ctxs[i];
            if (i == 0 && ce.list == list && ce.lineno == line && !be.bt->o.strict_sni)
                users += "\t- " + be.bt->file + ":" + std::to_string(be.bt->line) + "\n";
        }
    if (!users.empty()) {
        err = "certificate '" + cert_path + "' cannot be deleted, it is used as default "
              "certificate by the following frontends:\n" + users;
        return false;
    }
    for (auto& be : g_binds) {
        bind_tls* bt = be.bt;
        for (size_t i = 0; i < bt->ctxs.size(); i++) {
            auto& ce = bt->ctxs[i];
            if (ce.list != list || ce.lineno != line || ce.removed)
                continue;
            ce.removed = true;
            cafile_forget(ce.ctx); // its CA and CRL files no longer in use by it
            auto& v = bt->names;
            v.erase(std::remove_if(v.begin(), v.end(),
                                   [&](const sni_entry& e) { return e.ctx == i; }),
                    v.end());
            auto& bu = ce.c->bind_users;
            bu.erase(std::remove(bu.begin(), bu.end(), std::make_pair(bt, i)), bu.end());
            auto& us = ce.c->users;
            us.erase(std::remove(us.begin(), us.end(), ce.ctx), us.end());
        }
    }
    it->second.erase(it->second.begin() + (long)found[0]);
    return true;
}

int crtlist_cli_register(ptc_modref* self)
{
    for (const ptc_cli_cmd& c : k_crtlist_cmds)
        if (host->cli_register(self, &c, sizeof(c)) != PTC_OK)
            return PTC_ERROR;
    return PTC_OK;
}

int build_all()
{
    int rc = PTC_OK;
    bool any = false;
    for (auto& be : g_binds)
        any |= be.bt->o.ssl && !be.lines.empty();
    if (any && !tickets_init()) {
        host->errorf(g_self, "ssl: cannot draw the session ticket secret");
        return PTC_ERROR;
    }
    if (!reload_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the runtime API's certificate slots");
        return PTC_ERROR;
    }
    if (!cafile_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the runtime API's CA/CRL file journal");
        return PTC_ERROR;
    }
    if (!cert_all().empty() && !runtime_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the runtime API's change journal");
        return PTC_ERROR;
    }
    if (!tickets_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the TLS ticket keys' shared area");
        return PTC_ERROR;
    }
    if (!stats_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the TLS counters' shared area");
        return PTC_ERROR;
    }
    if (!ocsp_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the runtime API's OCSP response slots");
        return PTC_ERROR;
    }
    if (any && !sess_cache_reserve()) {
        host->errorf(g_self, "ssl: cannot reserve the shared TLS session cache (%llu entries)",
                     (unsigned long long)g.cachesize);
        return PTC_ERROR;
    }
    for (auto& be : g_binds)
        if (build_bind(be) != PTC_OK)
            rc = PTC_ERROR;
    for (ptc_proxy* p = host->proxy_next(nullptr); p; p = host->proxy_next(p)) {
        if (!(host->proxy_cap(p) & PTC_SEC_BACKEND))
            continue;
        for (ptc_server* s = host->server_next(p, nullptr); s; s = host->server_next(p, s))
            if (build_server(p, s, false) != PTC_OK)
                rc = PTC_ERROR;
    }
    return rc;
}

const ptc_keyword k_keywords[] = {
    // bind and server lines
    {"ssl", BSV, 0, 0, 0, kw_ssl, "ssl: TLS on this address (bind) or to this server"},
    {"no-ssl", SV, 0, 0, 0, kw_ssl, "no-ssl: cancel an inherited 'ssl' (server)"},
    {"crt", B, 0, 1, 1, kw_bind_crt,
     "crt <file|dir>: PEM certificate with its key and chain (bind; several allowed)"},
    {"crt", SV, 0, 1, 1, kw_srv_misc, "crt <file>: client certificate shown to the server"},
    {"allow-0rtt", B, 0, 0, 0, kw_bind_gen,
     "allow-0rtt: accept TLS 1.3 early data (0-RTT), processed before the handshake ends"},
    {"generate-certificates", B, 0, 0, 0, kw_bind_gen,
     "generate-certificates: forge certificates for unknown SNI names (see ca-sign-file)"},
    {"ca-sign-file", B, 0, 1, 1, kw_bind_gen,
     "ca-sign-file <file>: CA certificate and key signing generated certificates"},
    {"ca-sign-pass", B, 0, 1, 1, kw_bind_gen,
     "ca-sign-pass <pass>: passphrase of the ca-sign-file key"},
    {"crt-list", B, 0, 1, 1, kw_bind_crt_list,
     "crt-list <file>: certificates with per-line [options] and SNI filters"},
    {"alpn", BSV, 0, 1, 1, kw_string, "alpn <proto>[,<proto>...]: ALPN protocols offered"},
    {"ciphers", BSV, 0, 1, 1, kw_string, "ciphers <list>: TLS <= 1.2 cipher list"},
    {"ciphersuites", BSV, 0, 1, 1, kw_string, "ciphersuites <list>: TLS 1.3 cipher suites"},
    {"curves", B, 0, 1, 1, kw_string, "curves <list>: key exchange groups (\"X25519:P-256\")"},
    {"ecdhe", B, 0, 1, 1, kw_string, "ecdhe <curve>: the one key exchange curve"},
    {"ca-file", BSV, 0, 1, 1, kw_string,
     "ca-file <file>: CAs that verify client (bind) or server certificates"},
    {"crl-file", BSV, 0, 1, 1, kw_string, "crl-file <file>: certificate revocation lists"},
    {"ca-verify-file", B, 0, 1, 1, kw_string,
     "ca-verify-file <file>: CAs that verify client certificates, their names not sent"},
    {"ca-ignore-err", B, 0, 1, 1, kw_ignore_err,
     "ca-ignore-err all|<id>[,<id>...]: client chain errors (depth > 0) that do not fail"},
    {"crt-ignore-err", B, 0, 1, 1, kw_ignore_err,
     "crt-ignore-err all|<id>[,<id>...]: client certificate errors (depth 0) that do not fail"},
    {"verify", BSV, 0, 1, 1, kw_verify,
     "verify none|optional|required: peer certificate verification"},
    {"ssl-min-ver", BSV, 0, 1, 1, kw_flag, "ssl-min-ver <ver>: lowest protocol version"},
    {"ssl-max-ver", BSV, 0, 1, 1, kw_flag, "ssl-max-ver <ver>: highest protocol version"},
    {"no-sslv3", BSV, 0, 0, 0, kw_flag, "no-sslv3: disable SSLv3"},
    {"no-tlsv10", BSV, 0, 0, 0, kw_flag, "no-tlsv10: disable TLSv1.0"},
    {"no-tlsv11", BSV, 0, 0, 0, kw_flag, "no-tlsv11: disable TLSv1.1"},
    {"no-tlsv12", BSV, 0, 0, 0, kw_flag, "no-tlsv12: disable TLSv1.2"},
    {"no-tlsv13", BSV, 0, 0, 0, kw_flag, "no-tlsv13: disable TLSv1.3"},
    {"force-sslv3", BSV, 0, 0, 0, kw_flag, "force-sslv3: only SSLv3 (refused: not available)"},
    {"force-tlsv10", BSV, 0, 0, 0, kw_flag, "force-tlsv10: only TLSv1.0"},
    {"force-tlsv11", BSV, 0, 0, 0, kw_flag, "force-tlsv11: only TLSv1.1"},
    {"force-tlsv12", BSV, 0, 0, 0, kw_flag, "force-tlsv12: only TLSv1.2"},
    {"force-tlsv13", BSV, 0, 0, 0, kw_flag, "force-tlsv13: only TLSv1.3"},
    {"no-tls-tickets", BSV, 0, 0, 0, kw_flag, "no-tls-tickets: no session tickets"},
    {"prefer-client-ciphers", B, 0, 0, 0, kw_flag,
     "prefer-client-ciphers: the client's cipher order wins"},
    {"tls-ticket-keys", B, 0, 1, 1, kw_bind_ticket_keys,
     "tls-ticket-keys <file>: session ticket keys (base64, 48 or 80 bytes a line)"},
    {"strict-sni", B, 0, 0, 0, kw_flag,
     "strict-sni: refuse a handshake whose SNI matches no certificate"},
    // server lines
    {"sni", SV, 0, 1, 1, kw_srv_sni, "sni <expr>: SNI sent to the server (sample expression)"},
    {"no-ssl-reuse", SV, 0, 0, 0, kw_srv_misc, "no-ssl-reuse: no TLS session resumption"},
    {"check-ssl", SV, 0, 0, 0, kw_srv_misc,
     "check-ssl: health checks over TLS (with the server's TLS settings)"},
    {"no-check-ssl", SV, 0, 0, 0, kw_srv_misc,
     "no-check-ssl: health checks in clear even when the server has 'ssl'"},
    {"check-sni", SV, 0, 1, 1, kw_srv_misc, "check-sni <name>: SNI sent by TLS health checks"},
    {"check-alpn", SV, 0, 1, 1, kw_srv_misc,
     "check-alpn <proto>[,<proto>...]: ALPN offered by TLS health checks"},
    {"ssl-reuse", SV, 0, 0, 0, kw_srv_misc, "ssl-reuse: cancel an inherited no-ssl-reuse"},
    {"verifyhost", SV, 0, 1, 1, kw_srv_misc,
     "verifyhost <name>: the name the server certificate must carry"},
    {"no-verifyhost", SV, 0, 0, 0, kw_srv_misc, "no-verifyhost: cancel an inherited verifyhost"},
    // global section
    {"crt-base", GL, 0, 1, 1, kw_global, "crt-base <dir>: base of relative certificate paths"},
    {"ca-base", GL, 0, 1, 1, kw_global, "ca-base <dir>: base of relative CA and CRL paths"},
    {"ssl-default-bind-options", GL, 0, 1, -1, kw_global,
     "ssl-default-bind-options <opt>...: default TLS options of bind lines"},
    {"ssl-default-bind-ciphers", GL, 0, 1, 1, kw_global,
     "ssl-default-bind-ciphers <list>: default TLS <= 1.2 ciphers of bind lines"},
    {"ssl-default-bind-ciphersuites", GL, 0, 1, 1, kw_global,
     "ssl-default-bind-ciphersuites <list>: default TLS 1.3 suites of bind lines"},
    {"ssl-default-bind-curves", GL, 0, 1, 1, kw_global,
     "ssl-default-bind-curves <list>: default groups of bind lines"},
    {"ssl-default-server-options", GL, 0, 1, -1, kw_global,
     "ssl-default-server-options <opt>...: default TLS options of server lines"},
    {"ssl-default-server-ciphers", GL, 0, 1, 1, kw_global,
     "ssl-default-server-ciphers <list>: default TLS <= 1.2 ciphers of server lines"},
    {"ssl-default-server-ciphersuites", GL, 0, 1, 1, kw_global,
     "ssl-default-server-ciphersuites <list>: default TLS 1.3 suites of server lines"},
    {"ssl-load-extra-del-ext", GL, 0, 0, 0, kw_del_ext,
     "ssl-load-extra-del-ext: side files of a '.crt' file lose its extension (a.key)"},
    {"ssl-load-extra-files", GL, 0, 1, -1, kw_global,
     "ssl-load-extra-files none|all|key|ocsp|issuer...: side files read with a certificate"},
    {"ssl-server-verify", GL, 0, 1, 1, kw_global,
     "ssl-server-verify none|required: default 'verify' of server lines"},
    {"tune.ssl.cachesize", GL, 0, 1, 1, kw_global,
     "tune.ssl.cachesize <n>: TLS sessions kept per process (default 20000)"},
    {"tune.ssl.ssl-ctx-cache-size", GL, 0, 1, 1, kw_global,
     "tune.ssl.ssl-ctx-cache-size <n>: generated certificates kept per worker (1000)"},
    {"tune.ssl.lifetime", GL, 0, 1, 1, kw_global,
     "tune.ssl.lifetime <time>: lifetime of a TLS session (default 300s)"},
    {"tune.ssl.maxrecord", GL, 0, 1, 1, kw_global,
     "tune.ssl.maxrecord <bytes>: largest TLS record sent (0: 16384)"},
    {"tune.ssl.capture-buffer-size", GL, 0, 1, 1, kw_global,
     "tune.ssl.capture-buffer-size <bytes>: keep the ClientHello's lists (ssl_fc_cipherlist_*...)"},
    {"tune.ssl.capture-cipherlist-size", GL, 0, 1, 1, kw_global,
     "tune.ssl.capture-cipherlist-size <bytes>: older name of tune.ssl.capture-buffer-size"},
    {"tune.ssl.default-dh-param", GL, 0, 1, 1, kw_global,
     "tune.ssl.default-dh-param <bits>: DHE with a predefined group up to <bits> (none: no DHE)"},
    {"ssl-dh-param-file", GL, 0, 1, 1, kw_global,
     "ssl-dh-param-file <file>: DHE parameters of the binds whose PEM files have none"},
};
const uint32_t k_keyword_count = PTC_COUNTOF(k_keywords);

} // namespace tls
