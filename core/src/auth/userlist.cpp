// SPDX-License-Identifier: MIT
// "userlist" sections (HAProxy 2.6's 3.4): users with crypt(3) or clear passwords and
// groups; the fetches that check HTTP Basic credentials against them (http_auth,
// http_auth_group) and those that only read the Authorization header (http_auth_type,
// http_auth_user, http_auth_pass, http_auth_bearer). The fetches form the built-in module
// "userlist".
#include "auth/userlist.hpp"

#include <crypt.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <portico/http.h>

#include "load/cfgload.hpp"
#include "module/module.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"

namespace portico {

// ---- configuration ----------------------------------------------------------------------

namespace {

std::vector<std::string> split_commas(const std::string& s)
{
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size()) {
        size_t e = s.find(',', p);
        if (e == std::string::npos)
            e = s.size();
        if (e > p)
            out.push_back(s.substr(p, e - p));
        p = e + 1;
    }
    return out;
}

} // namespace

bool userlist_open(config& cfg, const std::vector<std::string>& args, const std::string& file,
                   int line, std::string& err)
{
    if (args.size() != 2 || args[1].empty()) {
        err = "'userlist' expects <name> as arguments";
        return false;
    }
    for (auto& u : cfg.userlists)
        if (u->name == args[1]) {
            err = "userlist '" + args[1] + "' already exists";
            return false;
        }
    auto u = std::make_unique<userlist_conf>();
    u->name = args[1];
    u->file = file;
    u->line = line;
    cfg.userlists.push_back(std::move(u));
    return true;
}

bool userlist_keyword(config& cfg, const std::vector<std::string>& args, int line,
                      std::string& err)
{
    userlist_conf& ul = *cfg.userlists.back();
    const std::string& k = args[0];
    if (k == "group") {
        if (args.size() < 2 || args[1].empty()) {
            err = "'group' expects <name> as arguments";
            return false;
        }
        if (ul.groups.count(args[1])) {
            err = "group '" + args[1] + "' already exists in userlist '" + ul.name + "'";
            return false;
        }
        auto& members = ul.groups[args[1]];
        for (size_t i = 2; i < args.size(); i += 2) {
            if (args[i] != "users" || i + 1 >= args.size()) {
                err = "'group' only supports 'users' (got '" + args[i] + "')";
                return false;
            }
            for (auto& u : split_commas(args[i + 1])) {
                members.push_back(u);
                ul.refs.emplace_back("user " + u + " in group " + args[1], line);
            }
        }
        return true;
    }
    if (k == "user") {
        if (args.size() < 2 || args[1].empty()) {
            err = "'user' expects <name> as arguments";
            return false;
        }
        if (ul.users.count(args[1])) {
            err = "user '" + args[1] + "' already exists in userlist '" + ul.name + "'";
            return false;
        }
        userlist_conf::user u;
        for (size_t i = 2; i < args.size(); i += 2) {
            if (i + 1 >= args.size()) {
                err = "'" + args[i] + "' expects an argument";
                return false;
            }
            if (args[i] == "password" || args[i] == "insecure-password") {
                u.pass = args[i + 1];
                u.insecure = args[i] == "insecure-password";
                if (!u.insecure) {
                    // the hash must be one crypt(3) knows: checked now, not at the first login
                    crypt_data cd{};
                    const char* h = crypt_r("x", u.pass.c_str(), &cd);
                    if (!h || h[0] == '*') {
                        err = "the encrypted password used for user '" + args[1] +
                              "' is not supported by crypt(3)";
                        return false;
                    }
                }
            } else if (args[i] == "groups") {
                for (auto& g : split_commas(args[i + 1])) {
                    u.groups.push_back(g);
                    ul.refs.emplace_back("group " + g + " of user " + args[1], line);
                }
            } else {
                err = "'user' only supports 'password', 'insecure-password' and 'groups' (got '" +
                      args[i] + "')";
                return false;
            }
        }
        ul.users[args[1]] = std::move(u);
        return true;
    }
    err = "unknown keyword '" + k + "' in 'userlist' section";
    return false;
}

bool userlists_check(const config& cfg, std::string& err)
{
    for (auto& ul : cfg.userlists) {
        for (auto& [g, members] : ul->groups)
            for (auto& u : members)
                if (!ul->users.count(u)) {
                    err = ul->file + ":" + std::to_string(ul->line) + ": userlist '" + ul->name +
                          "': no such user '" + u + "' specified in group '" + g + "'";
                    return false;
                }
        for (auto& [name, u] : ul->users)
            for (auto& g : u.groups)
                if (!ul->groups.count(g)) {
                    err = ul->file + ":" + std::to_string(ul->line) + ": userlist '" + ul->name +
                          "': no such group '" + g + "' specified in user '" + name + "'";
                    return false;
                }
    }
    return true;
}

const userlist_conf* userlist_find(const config& cfg, std::string_view name)
{
    for (auto& ul : cfg.userlists)
        if (ul->name == name)
            return ul.get();
    return nullptr;
}

bool userlist_check_pass(const userlist_conf& ul, std::string_view user, std::string_view pass)
{
    auto it = ul.users.find(std::string(user));
    if (it == ul.users.end())
        return false;
    const userlist_conf::user& u = it->second;
    std::string p(pass);
    if (u.insecure)
        return u.pass.size() == p.size() && std::equal(u.pass.begin(), u.pass.end(), p.begin());
    thread_local crypt_data cd{};
    const char* h = crypt_r(p.c_str(), u.pass.c_str(), &cd);
    return h && u.pass == h;
}

bool userlist_in_group(const userlist_conf& ul, std::string_view user, std::string_view group)
{
    auto it = ul.users.find(std::string(user));
    if (it != ul.users.end())
        for (auto& g : it->second.groups)
            if (g == group)
                return true;
    auto g = ul.groups.find(std::string(group));
    if (g != ul.groups.end())
        for (auto& u : g->second)
            if (u == user)
                return true;
    return false;
}

// ---- the fetches (1: a sample, 0: none) ----------------------------------------------------

namespace {

const ptc_http_api* http_api()
{
    static const ptc_http_api* api = static_cast<const ptc_http_api*>(
        g_modules.lookup(PTC_HTTP_API_NAME, PTC_HTTP_API_VERSION, nullptr));
    return api;
}

// The Authorization header (or <hdr>): its scheme and what follows it.
bool auth_header(ptc_stream* s, std::string_view hdr, std::string_view& scheme,
                 std::string_view& rest)
{
    const ptc_http_api* h = http_api();
    ptc_str v{};
    if (!h || !h->req_hdr ||
        h->req_hdr(s, ptc_str{hdr.data(), hdr.size()}, 0, &v) != PTC_OK || !v.len)
        return false;
    std::string_view a(v.ptr, v.len);
    size_t sp = a.find(' ');
    if (sp == std::string_view::npos)
        return false;
    scheme = a.substr(0, sp);
    rest = a.substr(sp + 1);
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    return true;
}

int b64v(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

// Basic credentials decoded into <buf> (the fetches' scratch buffer): user and password.
bool basic_creds(ptc_stream* s, std::string_view& user, std::string_view& pass)
{
    std::string_view scheme, rest;
    if (!auth_header(s, "authorization", scheme, rest) || scheme.size() != 5 ||
        strncasecmp(scheme.data(), "basic", 5) != 0)
        return false;
    thread_local char buf[1024];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : rest) {
        if (c == '=')
            break;
        int v = b64v(c);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof(buf))
                return false;
            buf[n++] = char((acc >> bits) & 0xff);
        }
    }
    std::string_view d(buf, n);
    size_t colon = d.find(':');
    if (colon == std::string_view::npos)
        return false;
    user = d.substr(0, colon);
    pass = d.substr(colon + 1);
    return true;
}

const userlist_conf* list_arg(const ptc_arg* args, uint32_t nargs)
{
    if (!nargs || !g_config)
        return nullptr;
    return userlist_find(*g_config, std::string_view(args[0].str.ptr, args[0].str.len));
}

int f_http_auth(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const userlist_conf* ul = list_arg(args, nargs);
    std::string_view u, p;
    out->type = PTC_SMP_BOOL;
    out->flags = 0;
    out->u.sint = ul && basic_creds(s, u, p) && userlist_check_pass(*ul, u, p);
    return 1;
}

int f_http_auth_group(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    const userlist_conf* ul = list_arg(args, nargs);
    std::string_view u, p;
    if (!ul || !basic_creds(s, u, p) || !userlist_check_pass(*ul, u, p))
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = 0;
    out->u.str = ptc_str{u.data(), u.size()};
    return 1;
}

int f_http_auth_type(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    std::string_view scheme, rest;
    if (!auth_header(s, "authorization", scheme, rest))
        return 0;
    static const char* const known[] = {"Basic", "Digest", "Bearer"};
    for (const char* k : known)
        if (scheme.size() == strlen(k) && strncasecmp(scheme.data(), k, scheme.size()) == 0) {
            out->type = PTC_SMP_STR;
            out->flags = PTC_SMPF_CONST;
            out->u.str = ptc_str{k, strlen(k)};
            return 1;
        }
    return 0;
}

int f_http_auth_user_pass(ptc_stream* s, bool user, ptc_sample* out)
{
    std::string_view u, p;
    if (!basic_creds(s, u, p))
        return 0;
    std::string_view v = user ? u : p;
    out->type = PTC_SMP_STR;
    out->flags = 0;
    out->u.str = ptc_str{v.data(), v.size()};
    return 1;
}

int f_http_auth_user(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return f_http_auth_user_pass(s, true, out);
}

int f_http_auth_pass(ptc_stream* s, const ptc_arg*, uint32_t, ptc_sample* out)
{
    return f_http_auth_user_pass(s, false, out);
}

int f_http_auth_bearer(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    std::string_view hdr = nargs && args[0].str.len
                               ? std::string_view(args[0].str.ptr, args[0].str.len)
                               : std::string_view("authorization");
    std::string_view scheme, rest;
    if (!auth_header(s, hdr, scheme, rest) || scheme.size() != 6 ||
        strncasecmp(scheme.data(), "bearer", 6) != 0)
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{rest.data(), rest.size()};
    return 1;
}

// The userlist a fetch names must exist (sections may come in any order: checked after
// the whole configuration, in post_config).
std::vector<std::pair<std::string, std::string>> g_refs; // name, "file:line"

int check_list(const ptc_kw_ctx* ctx, ptc_arg* args, uint32_t nargs)
{
    if (nargs < 1 || !args[0].str.len)
        return kw_error(ctx, "missing userlist name");
    g_refs.emplace_back(std::string(args[0].str.ptr, args[0].str.len),
                        std::string(ctx->file ? ctx->file : "") + ":" +
                            std::to_string(ctx->line));
    return PTC_OK;
}

int post_config(ptc_modref*)
{
    config* cfg = g_loader ? g_loader->cfg() : g_config;
    for (auto& [name, where] : g_refs)
        if (!cfg || !userlist_find(*cfg, name)) {
            if (g_cfg_ctx)
                g_cfg_ctx->error(where + ": unable to find userlist '" + name + "'");
            g_refs.clear();
            return PTC_ERROR;
        }
    g_refs.clear();
    return PTC_OK;
}

const ptc_fetch k_fetches[] = {
    {"http_auth", PTC_SMP_BOOL, PTC_USE_HTTP_REQ, 1, 1, f_http_auth, check_list,
     "http_auth(<userlist>)"},
    {"http_auth_group", PTC_SMP_STR, PTC_USE_HTTP_REQ, 1, 1, f_http_auth_group, check_list,
     "http_auth_group(<userlist>)"},
    {"http_auth_type", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 0, f_http_auth_type, nullptr,
     "http_auth_type"},
    {"http_auth_user", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 0, f_http_auth_user, nullptr,
     "http_auth_user"},
    {"http_auth_pass", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 0, f_http_auth_pass, nullptr,
     "http_auth_pass"},
    {"http_auth_bearer", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 1, f_http_auth_bearer, nullptr,
     "http_auth_bearer([<header>])"},
};

const ptc_module k_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "userlist",
    .version = "0.1.0",
    .description = "userlist sections and HTTP Basic authentication fetches",
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .post_config = post_config,
    .fetches = k_fetches,
    .fetch_count = PTC_COUNTOF(k_fetches),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* userlist_module() { return &k_module; }

} // namespace portico
