// SPDX-License-Identifier: MIT
// ACLs ("acl <name> <criterion> [flags] [operator] <value>..."), predefined ACLs and
// if/unless conditions with '!', '||' and anonymous "{ ... }" ACLs.
#include <cstring>
#include <deque>
#include <map>
#include <strings.h>

#include "auth/userlist.hpp"
#include "proxy/runtime.hpp"
#include "cfg/units.hpp"
#include "proxy/proxy.hpp"
#include "sample/sample_int.hpp"
#include "proxy/cfg_ctx.hpp"

namespace portico {
namespace smp {

namespace {

std::deque<std::unique_ptr<acl>> g_anon;      // anonymous and predefined ACLs
std::deque<std::unique_ptr<cond>> g_conds;
std::map<std::string, acl*> g_predef;

const auto word = kw_word;

// The fetch name part of a criterion ("hdr_beg" in "hdr_beg(host),lower").
std::string_view fetch_name(std::string_view crit)
{
    size_t e = 0;
    while (e < crit.size() && crit[e] != '(' && crit[e] != ',')
        e++;
    return crit.substr(0, e);
}

struct suffix_rule {
    const char* sfx;
    match m;
};
const suffix_rule k_suffixes[] = {
    {"_beg", match::beg}, {"_end", match::end}, {"_sub", match::sub}, {"_reg", match::reg},
    {"_dom", match::dom}, {"_dir", match::dir}, {"_len", match::len}, {"_ip", match::ip},
    {"_val", match::integer}, {"_found", match::found},
};

match default_match(uint32_t type)
{
    switch (type) {
    case PTC_SMP_BOOL:
        return match::boolean;
    case PTC_SMP_SINT:
        return match::integer;
    case PTC_SMP_IPV4:
    case PTC_SMP_IPV6:
        return match::ip;
    default:
        return match::str;
    }
}

struct predef {
    const char* name;
    const char* words; // criterion and patterns, space separated
};
const predef k_predef[] = {
    {"FALSE", "always_false"},
    {"TRUE", "always_true"},
    {"LOCALHOST", "src 127.0.0.1/8 ::1"},
    {"HTTP", "req.proto_http"},
    {"HTTP_1.0", "req.ver 1.0"},
    {"HTTP_1.1", "req.ver 1.1"},
    {"HTTP_2.0", "req.ver 2.0"},
    {"HTTP_CONTENT", "req.hdr_val(content-length) gt 0"},
    {"HTTP_URL_ABS", "url_reg ^[^/:]*://"},
    {"HTTP_URL_SLASH", "url_beg /"},
    {"HTTP_URL_STAR", "url *"},
    {"METH_CONNECT", "method CONNECT"},
    {"METH_DELETE", "method DELETE"},
    {"METH_GET", "method GET HEAD"},
    {"METH_HEAD", "method HEAD"},
    {"METH_OPTIONS", "method OPTIONS"},
    {"METH_POST", "method POST"},
    {"METH_PUT", "method PUT"},
    {"METH_TRACE", "method TRACE"},
    {"RDP_COOKIE", "req.rdp_cookie_cnt gt 0"},
    {"REQ_CONTENT", "req.len gt 0"},
    {"WAIT_END", "wait_end"},
};

const acl* find_predef(const std::string& name, std::string& err)
{
    auto it = g_predef.find(name);
    if (it != g_predef.end())
        return it->second;
    for (const predef& p : k_predef) {
        if (name != p.name)
            continue;
        std::vector<std::string> w;
        std::string cur;
        for (const char* c = p.words;; c++) {
            if (*c == ' ' || !*c) {
                w.push_back(cur);
                cur.clear();
                if (!*c)
                    break;
            } else {
                cur += *c;
            }
        }
        std::string e;
        acl_expr* x = acl_expr_parse(nullptr, w, 0, w.size(), e);
        if (!x) {
            err = "predefined ACL '" + name + "' is not supported yet by portico (" + e + ")";
            return nullptr;
        }
        auto a = std::make_unique<acl>();
        a->name = name;
        a->use = x->expr->use;
        a->exprs.emplace_back(x);
        g_anon.push_back(std::move(a));
        g_predef[name] = g_anon.back().get();
        return g_anon.back().get();
    }
    return nullptr;
}

} // namespace

proxy_data& pdata(proxy& p)
{
    if (!p.smp)
        p.smp = new proxy_data();
    return *p.smp;
}

acl_expr* acl_expr_parse(const ptc_kw_ctx* ctx, const std::vector<std::string>& w, size_t first,
                         size_t end, std::string& err)
{
    if (first >= end) {
        err = "missing ACL criterion";
        return nullptr;
    }
    auto x = std::make_unique<acl_expr>();
    std::string crit = w[first];
    x->kw = crit;
    bool have_m = false;
    match m = match::str;
    std::string_view fname = fetch_name(crit);
    if (!find_fetch(fname)) {
        for (const suffix_rule& r : k_suffixes) {
            size_t sl = std::strlen(r.sfx);
            if (fname.size() > sl && fname.compare(fname.size() - sl, sl, r.sfx) == 0 &&
                find_fetch(fname.substr(0, fname.size() - sl))) {
                crit = std::string(fname.substr(0, fname.size() - sl)) +
                       crit.substr(fname.size());
                m = r.m;
                have_m = true;
                break;
            }
        }
    }
    x->expr = expr_parse(ctx, crit, nullptr, 0, 0, err);
    if (!x->expr) {
        if (!err.empty())
            err = "in ACL criterion '" + x->kw + "': " + err;
        return nullptr;
    }
    bool icase = false, as_map = false, is_bin = false;
    std::vector<std::string> files;
    std::vector<std::string> bad; // every bad flag of the line, reported together
    size_t i = first + 1;
    for (; i < end; i++) {
        const std::string& f = w[i];
        if (f.size() < 2 || f[0] != '-')
            break;
        if (f == "--") {
            i++;
            break;
        }
        if (f == "-i") {
            icase = true;
        } else if (f == "-n") {
            // no DNS resolution: portico never resolves ACL patterns
        } else if (f == "-m") {
            if (i + 1 >= end) {
                err = "'-m' expects a match method";
                return nullptr;
            }
            is_bin = w[i + 1] == "bin";
            if (!match_from_name(w[++i], m))
                bad.push_back("unknown matching method '" + w[i] +
                              "' (expected found, bool, int, ip, bin, len, str, beg, end, sub, "
                              "reg, dom, dir)");
            have_m = true;
        } else if (f == "-f") {
            if (i + 1 >= end) {
                err = "'-f' expects a file name";
                return nullptr;
            }
            files.push_back(w[++i]);
        } else if (f == "-M") {
            as_map = true; // -f files are maps: the first word of each line is the pattern
        } else if (f == "-u") {
            // the unique id of the pattern list (HAProxy names it "#<id>" on its runtime
            // API, which portico does not have for ACLs yet): checked, nothing else
            uint64_t id;
            if (i + 1 >= end || !cfg::parse_uint(w[i + 1], INT32_MAX, id))
                bad.push_back("'-u' expects a numeric unique id");
            else
                i++;
        } else {
            bad.push_back("unknown ACL flag '" + f +
                          "' (a pattern starting with '-' must follow '--')");
        }
    }
    if (!bad.empty()) {
        err.clear();
        for (auto& b : bad)
            err += (err.empty() ? "" : "; ") + b;
        return nullptr;
    }
    if (std::string_view an = fetch_name(crit); an == "http_auth_group" &&
        crit.size() > an.size() + 2 && crit[an.size()] == '(' && crit.back() == ')') {
        // the patterns are group names of the userlist the fetch checks against
        x->auth_list = crit.substr(an.size() + 1, crit.size() - an.size() - 2);
        for (; i < end; i++)
            x->auth_groups.push_back(w[i]);
        if (x->auth_groups.empty()) {
            err = "'http_auth_group' expects at least one group name";
            return nullptr;
        }
        return x.release();
    }
    if (!have_m && (x->expr->out_type == PTC_SMP_ANY || x->expr->out_type == PTC_SMP_BIN)) {
        // var(), json_query...: the type is only known at run time; req.payload, bin(),
        // sha1...: binary, which has no default method (HAProxy refuses both, naming the
        // fetch)
        err = "matching method must be specified first (using '-m') when using a sample "
              "fetch of this type ('" + std::string(fetch_name(crit)) + "')";
        return nullptr;
    }
    if (!have_m) {
        m = default_match(x->expr->out_type);
        // HAProxy's ACL keyword reads versions as "major.minor" (3.3 = TLS 1.2)
        std::string_view fn = fetch_name(crit);
        x->pats.dotted = fn == "req.ssl_ver" || fn == "req_ssl_ver";
    }
    x->pats.bin = is_bin;
    x->pats.m = m;
    x->pats.icase = icase && !is_bin; // bytes compare exactly
    std::string op;
    for (; i < end; i++) {
        const std::string& v = w[i];
        if ((m == match::integer || m == match::len) && op.empty() &&
            (v == "eq" || v == "ge" || v == "gt" || v == "le" || v == "lt")) {
            op = v;
            continue;
        }
        if (!pattern_add(x->pats, v, op, err))
            return nullptr;
        op.clear();
    }
    if (!op.empty()) {
        err = "operator '" + op + "' expects a value";
        return nullptr;
    }
    if (files.size() == 1 && x->pats.pats.empty()) {
        // one file and nothing else: the list mirrors the file's shared reference, changed
        // at run time ("add acl", "del-acl"...)
        if (!patref_attach(x->pats, files[0], as_map, false, "acl", ctx ? ctx->file : "",
                           ctx ? (int)ctx->line : 0, err))
            return nullptr;
    } else {
        for (auto& f : files)
            if (!pattern_load_file(x->pats, f, as_map, PTC_SMP_STR, err))
                return nullptr;
    }
    return x.release();
}

int acl_expr_eval(ptc_stream* s, const acl_expr* e, bool partial)
{
    ptc_sample smp;
    if (!expr_eval(s, e->expr, &smp))
        return partial && (smp.flags & PTC_SMPF_MAYCHANGE) ? COND_MISS : COND_FALSE;
    // a sample that more data may change: no match yet is "not yet" (a match is one)
    int nomatch = partial && (smp.flags & PTC_SMPF_MAYCHANGE) ? COND_MISS : COND_FALSE;
    if (!e->auth_groups.empty()) [[unlikely]] {
        const userlist_conf* ul = g_config ? userlist_find(*g_config, e->auth_list) : nullptr;
        std::string_view user(smp.u.str.ptr, smp.u.str.len);
        for (auto& g : e->auth_groups)
            if (ul && userlist_in_group(*ul, user, g))
                return COND_TRUE;
        return nomatch;
    }
    return pattern_match(e->pats, &smp) ? COND_TRUE : nomatch;
}

namespace {

bool acl_name_ok(const std::string& n)
{
    if (n.empty())
        return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    return true;
}

const auto cfg_err = kw_error;

bool anonymous_defaults(const ptc_kw_ctx* ctx)
{
    return ctx->section == PTC_SEC_DEFAULTS && ctx->proxy && to_proxy(ctx->proxy)->name.empty();
}

} // namespace

int parse_acl(const ptc_kw_ctx* ctx)
{
    if (anonymous_defaults(ctx))
        return cfg_err(ctx, "'acl' is only allowed in named defaults sections, not anonymous "
                            "ones");
    std::string name = word(ctx, ctx->kw_words);
    if (!acl_name_ok(name))
        return cfg_err(ctx, "'acl': invalid ACL name '" + name +
                                "' (letters, digits, '-', '_', '.' and ':' only)");
    std::vector<std::string> w;
    for (uint32_t i = 0; i < ctx->argc; i++)
        w.push_back(word(ctx, i));
    std::string err;
    acl_expr* x = acl_expr_parse(ctx, w, ctx->kw_words + 1, w.size(), err);
    if (!x)
        return err.empty() ? PTC_ERROR : cfg_err(ctx, "'acl " + name + "': " + err);
    proxy_data& d = pdata(*to_proxy(ctx->proxy));
    acl* a = nullptr;
    for (auto& e : d.acls)
        if (e->name == name)
            a = e.get();
    if (!a) {
        d.acls.push_back(std::make_unique<acl>());
        a = d.acls.back().get();
        a->name = name;
    }
    a->exprs.emplace_back(x);
    a->use |= x->expr->use;
    return PTC_OK;
}

uint32_t ruleset_use(uint32_t rs)
{
    switch (rs) {
    case PTC_RULES_TCP_REQ_CONN:
    case PTC_RULES_TCP_REQ_SESS:
        return PTC_USE_L4;
    case PTC_RULES_TCP_REQ_CONTENT:
    case PTC_RULES_HTTP_REQ:
        return PTC_USE_L4 | PTC_USE_HTTP_REQ;
    default:
        return PTC_USE_ANY;
    }
}

cond* cond_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, uint32_t use,
                 std::string& err)
{
    std::string kw = word(ctx, first);
    if (kw != "if" && kw != "unless") {
        err = "expected 'if' or 'unless', got '" + kw + "'";
        return nullptr;
    }
    auto c = std::make_unique<cond>();
    c->unless = kw == "unless";
    c->file = ctx->file ? ctx->file : "";
    c->line = (int)ctx->line;
    c->alts.emplace_back();
    proxy_data* d = ctx->proxy ? to_proxy(ctx->proxy)->smp : nullptr;
    std::vector<std::string> w;
    for (uint32_t i = 0; i < ctx->argc; i++)
        w.push_back(word(ctx, i));
    bool neg = false;
    size_t i = first + 1;
    if (i >= w.size()) {
        err = "missing condition after '" + kw + "'";
        return nullptr;
    }
    for (; i < w.size(); i++) {
        std::string t = w[i];
        // As HAProxy 2.6: any number of leading '!' toggle the negation, a word that is
        // only '!' is allowed, "or" is case-insensitive, and an "or"/"||" resets a dangling
        // negation; empty alternatives ("A or or B", a trailing "or") are dropped.
        while (!t.empty() && t[0] == '!') {
            neg = !neg;
            t.erase(0, 1);
        }
        if (t.empty())
            continue;
        if (t == "||" || strcasecmp(t.c_str(), "or") == 0) {
            neg = false;
            if (!c->alts.back().empty())
                c->alts.emplace_back();
            continue;
        }
        const acl* a = nullptr;
        if (t == "{") {
            size_t j = i + 1;
            while (j < w.size() && w[j] != "}")
                j++;
            if (j >= w.size()) {
                err = "missing closing '}' in condition";
                return nullptr;
            }
            acl_expr* x = acl_expr_parse(ctx, w, i + 1, j, err);
            if (!x) {
                if (!err.empty())
                    err = "in anonymous ACL: " + err;
                return nullptr;
            }
            auto an = std::make_unique<acl>();
            an->name = "{ ... }";
            an->use = x->expr->use;
            an->exprs.emplace_back(x);
            g_anon.push_back(std::move(an));
            a = g_anon.back().get();
            i = j;
        } else if (t == "}") {
            err = "unexpected '}' in condition";
            return nullptr;
        } else {
            if (d)
                for (auto& e : d->acls)
                    if (e->name == t)
                        a = e.get();
            if (!a) {
                std::string perr;
                a = find_predef(t, perr);
                if (!a) {
                    err = perr.empty() ? "no such ACL : '" + t + "'" : perr;
                    return nullptr;
                }
            }
        }
        if (use && a->use && !(a->use & use)) {
            err = "ACL '" + a->name + "' will never match here: its criterion needs data not "
                                       "available at this point";
            return nullptr;
        }
        c->alts.back().push_back(cond_term{a, neg});
        neg = false;
    }
    if (c->alts.size() > 1 && c->alts.back().empty())
        c->alts.pop_back();
    if (c->alts.back().empty()) {
        err = "missing condition after '" + kw + "'";
        return nullptr;
    }
    if (next)
        *next = (uint32_t)w.size();
    g_conds.push_back(std::move(c));
    return g_conds.back().get();
}

// Three-valued as HAProxy's ACLs: with <partial>, a term whose fetch may still change
// is MISS; an alternative is FALSE if a term is FALSE, else MISS if one is MISS; the
// condition is TRUE if an alternative is TRUE, else MISS if one is MISS ("unless" turns
// TRUE and FALSE around, not MISS).
void strings_mark(size_t* strings, size_t* argv);       // expr.cpp
void strings_release_to(size_t strings, size_t argv);

parse_marks parse_mark()
{
    parse_marks m{};
    m.exprs = expr_mark();
    strings_mark(&m.strings, &m.argv);
    m.anon = g_anon.size();
    m.conds = g_conds.size();
    return m;
}

void parse_release(const parse_marks& m)
{
    while (g_conds.size() > m.conds)
        g_conds.pop_back();
    while (g_anon.size() > m.anon) {
        for (auto it = g_predef.begin(); it != g_predef.end();) // compiled on first use
            it = it->second == g_anon.back().get() ? g_predef.erase(it) : std::next(it);
        g_anon.pop_back();
    }
    expr_release_to(m.exprs);
    strings_release_to(m.strings, m.argv);
}

int cond_eval(ptc_stream* s, const cond* c, bool partial)
{
    int res = COND_FALSE;
    for (auto& alt : c->alts) {
        int all = COND_TRUE;
        for (const cond_term& t : alt) {
            int m = COND_FALSE;
            for (auto& x : t.a->exprs) {
                int r = acl_expr_eval(s, x.get(), partial);
                if (r == COND_TRUE) {
                    m = COND_TRUE;
                    break;
                }
                if (r == COND_MISS)
                    m = COND_MISS;
            }
            if (m != COND_MISS && (m == COND_TRUE) == t.neg) {
                all = COND_FALSE;
                break;
            }
            if (m == COND_MISS)
                all = COND_MISS;
        }
        if (all == COND_TRUE) {
            res = COND_TRUE;
            break;
        }
        if (all == COND_MISS)
            res = COND_MISS;
    }
    if (res == COND_MISS)
        return COND_MISS;
    return ((res == COND_TRUE) != c->unless) ? COND_TRUE : COND_FALSE;
}

} // namespace smp
} // namespace portico
