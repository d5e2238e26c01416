// SPDX-License-Identifier: MIT
// Shared fixture of the sample engine's unit tests: a fake "http" module with a few fetches,
// a bare stream, and helpers to parse and evaluate expressions, ACLs and rules.
#pragma once

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "module/module.hpp"
#include "load/cfgload.hpp"
#include "proxy/proxy.hpp"
#include "sample/sample_host.hpp"
#include "sample/sample_int.hpp"
#include "stream/stream.hpp"

namespace tfx {

using namespace portico;

inline std::string g_path = "/";
inline std::string g_method = "GET";
inline std::map<std::string, std::string> g_hdrs;
inline int g_yields = 0; // test action: yields this many times

inline int f_path(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{g_path.data(), g_path.size()};
    return 1;
}

inline int f_method(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_METH;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{g_method.data(), g_method.size()};
    return 1;
}

inline int f_hdr(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* out)
{
    if (!nargs)
        return 0;
    std::string k(args[0].str.ptr, args[0].str.len);
    for (char& c : k)
        c = (char)tolower((unsigned char)c);
    auto it = g_hdrs.find(k);
    if (it == g_hdrs.end())
        return 0;
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    out->u.str = ptc_str{it->second.data(), it->second.size()};
    return 1;
}

inline int f_res(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out)
{
    out->type = PTC_SMP_SINT;
    out->u.sint = 200;
    return 1;
}

inline int a_yield_parse(const ptc_kw_ctx*, uint32_t first, uint32_t* next, void** state)
{
    *state = nullptr;
    *next = first;
    return PTC_OK;
}

inline int a_yield_exec(ptc_stream*, void*)
{
    if (g_yields > 0) {
        g_yields--;
        return PTC_ACT_YIELD;
    }
    return PTC_ACT_CONTINUE;
}

inline int a_deny_exec(ptc_stream*, void*) { return PTC_ACT_DONE; }

inline const ptc_fetch k_fetches[] = {
    {"path", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 0, f_path, nullptr, "path"},
    {"method", PTC_SMP_METH, PTC_USE_HTTP_REQ, 0, 0, f_method, nullptr, "method"},
    {"hdr", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 2, f_hdr, nullptr, "hdr(<name>)"},
    {"req.hdr", PTC_SMP_STR, PTC_USE_HTTP_REQ, 0, 2, f_hdr, nullptr, "req.hdr(<name>)"},
    {"status", PTC_SMP_SINT, PTC_USE_HTTP_RES, 0, 0, f_res, nullptr, "status"},
};

inline const ptc_action k_actions[] = {
    {PTC_RULES_HTTP_REQ, "test-yield", a_yield_parse, a_yield_exec, "test-yield"},
    {PTC_RULES_HTTP_REQ, "test-deny", a_yield_parse, a_deny_exec, "test-deny"},
    {PTC_RULES_HTTP_REQ, "lua.", a_yield_parse, a_deny_exec, "lua.<name>"},
};

inline const ptc_module k_desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "testhttp",
    .version = "1.0",
    .description = "test fetches",
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .fetches = k_fetches,
    .fetch_count = PTC_COUNTOF(k_fetches),
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .actions = k_actions,
    .action_count = PTC_COUNTOF(k_actions),
    .action_size = sizeof(ptc_action),
};

struct world {
    cfg_loader loader;
    proxy px;
    alignas(64) unsigned char mem[sizeof(stream) + 64];
    stream* st;

    world()
    {
        static bool registered = false;
        if (!registered) {
            g_modules.add_builtin("testhttp", &k_desc);
            registered = true;
        }
        px.name = "fe";
        px.cap = CAP_FE | CAP_BE;
        std::memset(mem, 0, sizeof(mem));
        st = new (mem) stream();
        st->fe = &px;
        auto* a = reinterpret_cast<sockaddr_in*>(&st->cli_addr);
        a->sin_family = AF_INET;
        a->sin_port = htons(4242);
        a->sin_addr.s_addr = htonl(0x0a000102); // 10.0.1.2
        st->cli_addrlen = sizeof(sockaddr_in);
        g_path = "/";
        g_method = "GET";
        g_hdrs.clear();
    }
    ~world() { smp::stream_release(st); }

    ptc_stream* ps() { return reinterpret_cast<ptc_stream*>(st); }

    std::string last_error() const
    {
        for (auto it = loader.messages().rbegin(); it != loader.messages().rend(); ++it)
            if (it->error)
                return it->text;
        return "";
    }

    // Parses an expression; returns "" and sets err on failure.
    ptc_expr* parse(const std::string& text, std::string& err, uint32_t use = 0)
    {
        return smp::expr_parse(nullptr, text, nullptr, 0, use, err);
    }

    // Evaluates an expression to text, "<none>" when no sample, "<error: ...>" if invalid.
    std::string eval(const std::string& text)
    {
        std::string err;
        ptc_expr* e = parse(text, err);
        if (!e)
            return "<error: " + err + ">";
        ptc_sample s;
        if (!smp::expr_eval(ps(), e, &s))
            return "<none>";
        ptc_str o;
        if (!smp::sample_to_str(&s, &o))
            return "<nostr>";
        return std::string(o.ptr, o.len);
    }

    // Runs a keyword parser with words as one config line.
    int kw(int (*fn)(const ptc_kw_ctx*), const std::vector<std::string>& words,
           uint32_t kw_words = 1, uint32_t section = PTC_SEC_FRONTEND | PTC_SEC_BACKEND,
           proxy* p = nullptr)
    {
        std::vector<ptc_str> args;
        for (auto& w : words)
            args.push_back(ptc_str{w.data(), w.size()});
        ptc_kw_ctx c{};
        c.size = sizeof(c);
        c.section = section;
        c.file = "test.cfg";
        c.line = 1;
        c.argc = (uint32_t)args.size();
        c.args = args.data();
        c.kw_words = kw_words;
        c.proxy = to_handle(p ? p : &px);
        return fn(&c);
    }

    // Parses "if/unless ..." words and evaluates the condition; -1 on a parse error.
    int cond(const std::vector<std::string>& words, std::string* err_out = nullptr)
    {
        std::vector<std::string> w = {"use_backend", "x"};
        w.insert(w.end(), words.begin(), words.end());
        std::vector<ptc_str> args;
        for (auto& x : w)
            args.push_back(ptc_str{x.data(), x.size()});
        ptc_kw_ctx c{};
        c.size = sizeof(c);
        c.section = PTC_SEC_FRONTEND;
        c.file = "test.cfg";
        c.line = 1;
        c.argc = (uint32_t)args.size();
        c.args = args.data();
        c.kw_words = 1;
        c.proxy = to_handle(&px);
        std::string err;
        smp::cond* cd = smp::cond_parse(&c, 2, nullptr, 0, err);
        if (!cd) {
            if (err_out)
                *err_out = err;
            return -1;
        }
        return smp::cond_eval(ps(), cd);
    }

    // Declares "acl <words...>" in the proxy.
    int acl(const std::vector<std::string>& words)
    {
        std::vector<std::string> w = {"acl"};
        w.insert(w.end(), words.begin(), words.end());
        return kw(smp::parse_acl, w);
    }

    // True if an anonymous ACL { words } matches.
    int match(const std::vector<std::string>& words, std::string* err = nullptr)
    {
        std::vector<std::string> w = {"if", "{"};
        w.insert(w.end(), words.begin(), words.end());
        w.push_back("}");
        return cond(w, err);
    }
};

inline std::string write_tmp(const std::string& name, const std::string& content)
{
    std::string path = "/tmp/portico_test_" + std::to_string(getpid()) + "_" + name;
    FILE* f = fopen(path.c_str(), "w");
    fputs(content.c_str(), f);
    fclose(f);
    return path;
}

} // namespace tfx
