// SPDX-License-Identifier: MIT
// The logging keywords ("log", "log-tag", "log-format", "option httplog"...), registered as
// the built-in module "log", and the resolution of each proxy's log format after parsing.
#include <memory>
#include <string>
#include <vector>

#include "log/log.hpp"
#include "module/module.hpp"
#include "proxy/proxy.hpp"
#include "proxy/cfg_ctx.hpp"

namespace portico::log {

namespace {

const auto arg = kw_word;

const auto err = kw_error;

config& C() { return *g_cfg_ctx->cfg; }

proxy_log& PL(const ptc_kw_ctx* c)
{
    proxy& p = *to_proxy(c->proxy);
    if (!p.logs)
        p.logs = std::make_shared<proxy_log>();
    return *p.logs;
}

global_log& GL()
{
    config& cfg = C();
    if (!cfg.global.logs)
        cfg.global.logs = std::make_shared<global_log>();
    return *cfg.global.logs;
}

// log <target> [len <n>] [format <f>] <facility> [<level> [<minlevel>]] | log global | no log
int parse_log(const ptc_kw_ctx* c)
{
    uint32_t first = c->kw_words;
    bool global = c->section == PTC_SEC_GLOBAL;
    if (c->negated) {
        if (global)
            return err(c, "'no log' is only valid in a proxy section");
        if (c->argc > first)
            return err(c, "'no log' takes no argument");
        proxy_log& pl = PL(c);
        pl.targets.clear();
        pl.use_global = false;
        return PTC_OK;
    }
    if (c->argc <= first)
        return err(c, "'log' expects 'global' or a target address and a facility");
    if (arg(c, first) == "global") {
        if (global)
            return err(c, "'log global' is only valid in a proxy section");
        if (c->argc > first + 1)
            return err(c, "'log global' takes no other argument");
        PL(c).use_global = true;
        return PTC_OK;
    }
    std::vector<std::string> args;
    for (uint32_t i = first; i < c->argc; i++)
        args.push_back(arg(c, i));
    auto t = std::make_shared<target>();
    std::string e;
    if (!parse_target(args, *t, e))
        return err(c, "'log " + args[0] + "': " + e);
    if (global)
        GL().targets.push_back(std::move(t));
    else
        PL(c).targets.push_back(std::move(t));
    return PTC_OK;
}

int parse_log_tag(const ptc_kw_ctx* c)
{
    std::string tag = arg(c, c->kw_words);
    if (tag.empty())
        return err(c, "'log-tag' expects a non-empty string");
    for (char ch : tag)
        if ((unsigned char)ch <= ' ' || ch == 0x7f)
            return err(c, "'log-tag' must not contain spaces or control characters");
    if (c->section == PTC_SEC_GLOBAL)
        GL().tag = tag;
    else
        PL(c).tag = tag;
    return PTC_OK;
}

int parse_log_send_hostname(const ptc_kw_ctx* c)
{
    global_log& g = GL();
    g.send_hostname = true;
    g.hostname = arg(c, c->kw_words);
    return PTC_OK;
}

int parse_log_format(const ptc_kw_ctx* c)
{
    std::string fmt = arg(c, c->kw_words);
    std::string e;
    const ptc_logfmt* lf = logfmt_compile(c, fmt, false, e);
    if (!lf)
        return e == "-" ? PTC_ERROR : err(c, "'log-format': " + e);
    proxy_log& pl = PL(c);
    pl.st = style::custom;
    pl.custom = lf;
    pl.json = false;
    return PTC_OK;
}

int parse_option_httplog(const ptc_kw_ctx* c)
{
    std::string a = arg(c, c->kw_words);
    proxy_log& pl = PL(c);
    if (a.empty() || a == "json") {
        pl.st = style::httplog;
    } else if (a == "clf") {
        pl.st = style::clf;
    } else {
        return err(c, "'option httplog' expects nothing, 'clf' or 'json', got '" + a + "'");
    }
    pl.json = a == "json";
    pl.custom = nullptr;
    return PTC_OK;
}

int parse_option_tcplog(const ptc_kw_ctx* c)
{
    std::string a = arg(c, c->kw_words);
    if (!a.empty() && a != "json")
        return err(c, "'option tcplog' expects nothing or 'json', got '" + a + "'");
    proxy_log& pl = PL(c);
    pl.st = style::tcplog;
    pl.json = a == "json";
    pl.custom = nullptr;
    return PTC_OK;
}

int parse_option_flag(const ptc_kw_ctx* c)
{
    std::string name = arg(c, 1);
    proxy_log& pl = PL(c);
    bool on = !c->negated;
    if (name == "dontlognull")
        pl.dontlognull = on;
    else if (name == "dontlog-normal")
        pl.dontlog_normal = on;
    else if (name == "log-separate-errors")
        pl.separate_errors = on;
    return PTC_OK;
}

int log_post_config(ptc_modref*)
{
    return post_config(C()) ? PTC_OK : PTC_ERROR;
}

constexpr uint32_t PX = PTC_SEC_PROXY;
constexpr uint32_t FE = PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND;
constexpr uint32_t NEG = PTC_KWF_NEGATABLE;

const ptc_keyword k_log_keywords[] = {
    // name                          where                 flags min max parser help
    {"log", PTC_SEC_GLOBAL | PX, NEG, 0, -1, parse_log,
     "log <address> [len <n>] [format <fmt>] <facility> [<level> [<minlevel>]] | log global"},
    {"log-tag", PTC_SEC_GLOBAL | PX, 0, 1, 1, parse_log_tag, "log-tag <string>"},
    {"log-send-hostname", PTC_SEC_GLOBAL, 0, 0, 1, parse_log_send_hostname,
     "log-send-hostname [<string>]"},
    {"log-format", FE, 0, 1, 1, parse_log_format, "log-format <string>"},
    {"option httplog", FE, 0, 0, 1, parse_option_httplog, "option httplog [clf|json]"},
    {"option tcplog", PX, 0, 0, 1, parse_option_tcplog, "option tcplog [json]"},
    {"option dontlognull", FE, NEG, 0, 0, parse_option_flag, "[no] option dontlognull"},
    {"option dontlog-normal", FE, NEG, 0, 0, parse_option_flag, "[no] option dontlog-normal"},
    {"option log-separate-errors", FE, NEG, 0, 0, parse_option_flag,
     "[no] option log-separate-errors"},
};

const ptc_module k_log_module = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "log",
    .version = "0.1.0",
    .description = "portico traffic logging",
    .keywords = k_log_keywords,
    .keyword_count = PTC_COUNTOF(k_log_keywords),
    .keyword_size = sizeof(ptc_keyword),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .post_config = log_post_config,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
};

} // namespace

const ptc_module* log_module() { return &k_log_module; }

void inherit(proxy& dst, const proxy& defs)
{
    if (!defs.logs)
        return;
    dst.logs = std::make_shared<proxy_log>(*defs.logs);
    dst.logs->counter = 0;
}

bool post_config(config& cfg)
{
    bool ok = true;
    for (auto& up : cfg.proxies) {
        proxy& p = *up;
        if (!p.logs)
            continue;
        proxy_log& pl = *p.logs;
        bool http = p.mode == px_mode::http;
        if (!http && (pl.st == style::httplog || pl.st == style::clf)) {
            g_cfg_ctx->warn_at(p.file, p.line,
                              "'option httplog' not usable with proxy '" + p.name +
                                  "' (needs 'mode http'). Falling back to 'option tcplog'.");
            pl.st = style::tcplog;
        }
        std::string e;
        switch (pl.st) {
        case style::none: pl.fmt = nullptr; break;
        case style::tcplog: pl.fmt = logfmt_compile(nullptr, k_tcplog_fmt, pl.json, e); break;
        case style::httplog: pl.fmt = logfmt_compile(nullptr, k_httplog_fmt, pl.json, e); break;
        case style::clf: pl.fmt = logfmt_compile(nullptr, k_clf_fmt, false, e); break;
        case style::custom: pl.fmt = pl.custom; break;
        }
        if (pl.st != style::none && !pl.fmt) {
            g_cfg_ctx->error_at(p.file, p.line, "internal log format error: " + e);
            ok = false;
        }
        pl.at_close = !http;
    }
    return ok;
}

} // namespace portico::log
