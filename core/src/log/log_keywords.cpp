// SPDX-License-Identifier: MIT
// The logging keywords ("log", "log-tag", "log-format", "option httplog"...), registered as
// the built-in module "log", and the resolution of each proxy's log format after parsing.
#include <cstdlib>
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
    t->file = c->file ? c->file : "";
    t->line = int(c->line);
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

int parse_option_httpslog(const ptc_kw_ctx* c)
{
    proxy_log& pl = PL(c);
    pl.st = style::httpslog;
    pl.json = false;
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

// "capture" and "declare capture" belong to frontends: refused in defaults, ignored with a
// warning in a backend (HAProxy's rule). Returns PTC_OK to go on, 1 to ignore, or PTC_ERROR.
int cap_where(const ptc_kw_ctx* c, const std::string& what)
{
    if (c->section == PTC_SEC_DEFAULTS)
        return err(c, "'" + what + "' not allowed in 'defaults' section");
    if (!(c->section & PTC_SEC_FRONTEND)) {
        g_cfg_ctx->warn_at(c->file ? c->file : "", (int)c->line,
                          "'" + what + "' ignored because backend '" +
                              to_proxy(c->proxy)->name + "' has no frontend capability");
        return 1;
    }
    return PTC_OK;
}

bool parse_cap_len(const std::string& s, uint32_t& out)
{
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || v < 1 || v > 65535)
        return false;
    out = (uint32_t)v;
    return true;
}

// capture request|response header <name> len <length>
int parse_capture_hdr(const ptc_kw_ctx* c)
{
    std::string kw = arg(c, 0) + " " + arg(c, 1);
    uint32_t dir = arg(c, 1) == "request" ? 0 : 1;
    uint32_t f = c->kw_words;
    if (arg(c, f) != "header" || arg(c, f + 1).empty() || arg(c, f + 2) != "len" ||
        c->argc != f + 4)
        return err(c, "'" + kw + "' expects 'header' <header_name> 'len' <len>");
    cap_slot sl;
    sl.hdr = arg(c, f + 1);
    if (!parse_cap_len(arg(c, f + 3), sl.len))
        return err(c, "'" + kw + " header': invalid length '" + arg(c, f + 3) + "'");
    int w = cap_where(c, kw);
    if (w != PTC_OK)
        return w == 1 ? PTC_OK : w;
    PL(c).caps.slots[dir].push_back(std::move(sl));
    return PTC_OK;
}

// capture cookie <name> len <length>
int parse_capture_cookie(const ptc_kw_ctx* c)
{
    uint32_t f = c->kw_words;
    if (arg(c, f).empty() || arg(c, f + 1) != "len" || c->argc != f + 3)
        return err(c, "'capture cookie' expects <cookie_name> 'len' <len>");
    uint32_t len;
    if (!parse_cap_len(arg(c, f + 2), len))
        return err(c, "'capture cookie': invalid length '" + arg(c, f + 2) + "'");
    int w = cap_where(c, "capture cookie");
    if (w != PTC_OK)
        return w == 1 ? PTC_OK : w;
    proxy_log& pl = PL(c);
    if (!pl.caps.cookie.empty())
        g_cfg_ctx->warn_at(c->file ? c->file : "", (int)c->line,
                          "'capture cookie' already specified, the last one wins");
    if (len > 63) {
        g_cfg_ctx->warn_at(c->file ? c->file : "", (int)c->line,
                          "truncating capture length to 63 bytes for cookie '" + arg(c, f) +
                              "'");
        len = 63;
    }
    pl.caps.cookie = arg(c, f);
    pl.caps.cookie_len = len;
    return PTC_OK;
}

// declare capture request|response len <length>
int parse_declare_capture(const ptc_kw_ctx* c)
{
    uint32_t f = c->kw_words;
    std::string d = arg(c, f);
    if ((d != "request" && d != "response") || arg(c, f + 1) != "len" || c->argc != f + 3)
        return err(c, "'declare capture' expects 'request' or 'response', then 'len' <len>");
    cap_slot sl;
    if (!parse_cap_len(arg(c, f + 2), sl.len))
        return err(c, "'declare capture': invalid length '" + arg(c, f + 2) + "'");
    int w = cap_where(c, "declare capture");
    if (w != PTC_OK)
        return w == 1 ? PTC_OK : w;
    PL(c).caps.slots[d == "request" ? 0 : 1].push_back(std::move(sl));
    return PTC_OK;
}

int parse_unique_id_format(const ptc_kw_ctx* c)
{
    std::string fmt = arg(c, c->kw_words);
    proxy_log& pl = PL(c);
    if (fmt.empty()) { // an empty format turns it off (after a defaults section)
        pl.uid_fmt = nullptr;
        return PTC_OK;
    }
    std::string e;
    const ptc_logfmt* lf = logfmt_compile(c, fmt, false, e, lf_mode::http_merge);
    if (!lf)
        return e == "-" ? PTC_ERROR : err(c, "'unique-id-format': " + e);
    pl.uid_fmt = lf;
    return PTC_OK;
}

int parse_log_format_sd(const ptc_kw_ctx* c)
{
    std::string fmt = arg(c, c->kw_words);
    proxy_log& pl = PL(c);
    if (fmt.empty()) {
        pl.sd = nullptr;
        return PTC_OK;
    }
    std::string e;
    const ptc_logfmt* lf = logfmt_compile(c, fmt, false, e);
    if (!lf)
        return e == "-" ? PTC_ERROR : err(c, "'log-format-sd': " + e);
    pl.sd = lf;
    return PTC_OK;
}

int parse_option_logasap(const ptc_kw_ctx* c)
{
    PL(c).logasap = !c->negated;
    return PTC_OK;
}

// error-log-format <fmt>: the layout of the lines logging a connection that failed before
// any stream (handshake errors); an empty one is refused, as by HAProxy
int parse_error_log_format(const ptc_kw_ctx* c)
{
    std::string fmt = arg(c, c->kw_words);
    proxy_log& pl = PL(c);
    if (fmt.empty())
        return err(c, "'error-log-format' expects an argument");
    std::string e;
    const ptc_logfmt* lf = logfmt_compile(c, fmt, false, e);
    if (!lf)
        return e == "-" ? PTC_ERROR : err(c, "'error-log-format': " + e);
    pl.error_fmt = lf;
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
    {"option httpslog", FE, 0, 0, 0, parse_option_httpslog,
     "option httpslog: httplog with the TLS errors, SNI, version and cipher"},
    {"option tcplog", PX, 0, 0, 1, parse_option_tcplog, "option tcplog [json]"},
    {"option dontlognull", FE, NEG, 0, 0, parse_option_flag, "[no] option dontlognull"},
    {"option dontlog-normal", FE, NEG, 0, 0, parse_option_flag, "[no] option dontlog-normal"},
    {"option log-separate-errors", FE, NEG, 0, 0, parse_option_flag,
     "[no] option log-separate-errors"},
    {"option logasap", FE, NEG, 0, 0, parse_option_logasap, "[no] option logasap"},
    {"log-format-sd", FE, 0, 1, 1, parse_log_format_sd, "log-format-sd <string>"},
    {"error-log-format", FE, 0, 1, 1, parse_error_log_format,
     "error-log-format <string>: the layout of connection error lines"},
    {"unique-id-format", FE, 0, 1, 1, parse_unique_id_format, "unique-id-format <string>"},
    {"capture request", PX, 0, 0, -1, parse_capture_hdr,
     "capture request header <name> len <length>"},
    {"capture response", PX, 0, 0, -1, parse_capture_hdr,
     "capture response header <name> len <length>"},
    {"capture cookie", PX, 0, 0, -1, parse_capture_cookie, "capture cookie <name> len <length>"},
    {"declare capture", PX, 0, 0, -1, parse_declare_capture,
     "declare capture request|response len <length>"},
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
    .fetches = k_cap_fetches,
    .fetch_count = k_cap_fetch_count,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .actions = k_cap_actions,
    .action_count = k_cap_action_count,
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
    // capture slots a defaults section declared ("http-request capture ... len") come
    // first; the rest of the capture layout is computed for each proxy after parsing
    cap_conf caps;
    for (int d = 0; d < 2; d++)
        for (const cap_slot& sl : defs.logs->caps.slots[d])
            if (sl.hdr.empty())
                caps.slots[d].push_back(cap_slot{"", sl.len, 0});
    dst.logs->caps = std::move(caps);
}

// "log ring@<name>": binds each ring target to its section; the ring's format and maxlen
// apply unless the log line gives its own.
bool bind_ring(config& cfg, target& t)
{
    if (t.kind != target_kind::ring || t.ring)
        return true;
    ring_conf* r = find_ring(cfg, t.ring_name);
    if (!r) {
        g_cfg_ctx->error_at(t.file, t.line,
                            "log target 'ring@" + t.ring_name + "': no such ring section");
        return false;
    }
    t.ring = r;
    if (!t.format_set)
        t.format = r->format;
    if (!t.len_set)
        t.maxlen = r->maxlen;
    return true;
}

bool post_config(config& cfg)
{
    bool ok = true;
    {
        std::vector<std::pair<const ring_conf*, std::string>> w;
        rings_check(cfg, w);
        for (auto& [r, m] : w)
            g_cfg_ctx->warn_at(r->file, r->line, m);
    }
    if (cfg.global.logs)
        for (auto& t : cfg.global.logs->targets)
            ok = bind_ring(cfg, *t) && ok;
    for (auto& up : cfg.proxies)
        if (up->logs)
            for (auto& t : up->logs->targets)
                ok = bind_ring(cfg, *t) && ok;
    for (auto& up : cfg.proxies) {
        proxy& p = *up;
        if (!p.logs)
            continue;
        proxy_log& pl = *p.logs;
        bool http = p.mode == px_mode::http;
        if (!http && (pl.st == style::httplog || pl.st == style::clf ||
                      pl.st == style::httpslog)) {
            g_cfg_ctx->warn_at(p.file, p.line,
                              std::string(pl.st == style::httpslog ? "'option httpslog'"
                                                                   : "'option httplog'") +
                                  " not usable with proxy '" + p.name +
                                  "' (needs 'mode http'). Falling back to 'option tcplog'.");
            pl.st = style::tcplog;
        }
        std::string e;
        switch (pl.st) {
        case style::none: pl.fmt = nullptr; break;
        case style::tcplog: pl.fmt = logfmt_compile(nullptr, k_tcplog_fmt, pl.json, e); break;
        case style::httplog: pl.fmt = logfmt_compile(nullptr, k_httplog_fmt, pl.json, e); break;
        case style::clf: pl.fmt = logfmt_compile(nullptr, k_clf_fmt, false, e); break;
        case style::httpslog: pl.fmt = logfmt_compile(nullptr, k_httpslog_fmt, false, e); break;
        case style::custom: pl.fmt = pl.custom; break;
        }
        if (pl.st != style::none && !pl.fmt) {
            g_cfg_ctx->error_at(p.file, p.line, "internal log format error: " + e);
            ok = false;
        }
        pl.at_close = !http;
        cap_layout(pl);
    }
    return ok;
}

} // namespace portico::log
