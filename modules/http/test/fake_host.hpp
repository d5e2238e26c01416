// SPDX-License-Identifier: MIT
// An in-memory fake ptc_host that drives the http module's stream handler: channels, server
// connect, the rule sets in world.rules[set], timers, logs. Shared by the unit test
// (test_http_flow.cpp) and the fuzz target (fuzz/fuzz_http_flow.cpp); it needs no Boost. One
// translation unit per program includes it (it defines the fake world). An includer may define
// FAKE_HOST_REQUIRE(cond) (fatal) and FAKE_HOST_CHECK(cond) (reported, goes on) first; both
// default to abort() with a message.
#pragma once

#include <portico/portico.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef FAKE_HOST_REQUIRE
#define FAKE_HOST_REQUIRE(cond)                                                                \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fake host: %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
            abort();                                                                           \
        }                                                                                      \
    } while (0)
#endif
#ifndef FAKE_HOST_CHECK
#define FAKE_HOST_CHECK(cond) FAKE_HOST_REQUIRE(cond)
#endif

extern "C" const ptc_module* ptc_module_entry(const ptc_host* host);

namespace {

// ---- fake host ----------------------------------------------------------------------------------

// One channel: <out> holds what was forwarded (sent to the other side), <pending> what the
// handler has not released yet.
struct chan {
    std::string out;
    std::string pending;
    uint64_t af_left = 0;
    uint32_t flags = 0;
    size_t cap = 16384;
    bool mark = false;
    std::string marked; // forwarded since chan_mark

    void emit(const std::string& d)
    {
        out += d;
        if (mark)
            marked += d;
    }
    // The source delivers <data>: auto-forwarded bytes go straight out.
    void receive(const std::string& data)
    {
        size_t n = std::min<uint64_t>(af_left, data.size());
        emit(data.substr(0, n));
        af_left -= n;
        pending += data.substr(n);
    }
};

struct fake_stream {
    chan ch[2];
    std::vector<unsigned char> state;
    int connects = 0;
    int srv_closes = 0;
    int srv_error = 0;
    bool srv_connected = false;
    bool closed = false;
    uint32_t close_how = 99;
    uint64_t tmo[2] = {0, 0};
    int connect_result = PTC_OK;
    int select_result = PTC_OK;
    uint32_t queued = 0; // events the fake host delivers after the current call
};

struct fake_world {
    const ptc_module* mod = nullptr;
    const void* api = nullptr;
    std::vector<unsigned char> fe_conf;
    std::function<int(ptc_stream*, uint32_t)> hook; // hooks_run()
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    std::vector<std::unique_ptr<std::string>> strings;
    std::vector<std::unique_ptr<std::vector<std::string>>> rule_words; // add_rule()'s words
    // Rules per rule set: action and its parsed state (the fake rules_run runs them all).
    std::map<uint32_t, std::vector<std::pair<const ptc_action*, void*>>> rules;
    std::map<int, std::string> errorfiles;
    std::vector<ptc_log_txn> logs;
    std::vector<std::string> log_lines;
    uint64_t retries = 3;
};

fake_world world;

fake_stream* fs(ptc_stream* s) { return reinterpret_cast<fake_stream*>(s); }

const char* vfmt(const char* fmt, va_list ap)
{
    static char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    return buf;
}

void fake_log(uint32_t, const char*, ...) {}

int fake_cfg_errorf(const ptc_kw_ctx*, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    world.errors.emplace_back(vfmt(fmt, ap));
    va_end(ap);
    return PTC_ERROR;
}

void fake_cfg_warnf(const ptc_kw_ctx*, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    world.warnings.emplace_back(vfmt(fmt, ap));
    va_end(ap);
}

int fake_connect(ptc_stream* s)
{
    if (fs(s)->srv_connected && fs(s)->connect_result == PTC_OK) {
        fs(s)->queued |= PTC_EV_SRV_CONNECTED; // the host reuses the connection
        return PTC_OK;
    }
    fs(s)->connects++;
    if (fs(s)->connect_result != PTC_OK)
        fs(s)->srv_error = PTC_SRVERR_NOSRV;
    return fs(s)->connect_result;
}

ptc_host make_host()
{
    ptc_host h{};
    h.magic = PTC_HOST_MAGIC;
    h.abi_major = PTC_ABI_MAJOR;
    h.abi_minor = PTC_ABI_MINOR;
    h.size = sizeof(ptc_host);
    h.version = "test";
    h.log = fake_log;
    h.alloc = [](size_t n) { return std::calloc(1, n); };
    h.free = [](void* p) { std::free(p); };
    h.cfg_errorf = fake_cfg_errorf;
    h.cfg_warnf = fake_cfg_warnf;
    h.cfg_strdup = [](const ptc_kw_ctx*, ptc_str s) {
        world.strings.push_back(std::make_unique<std::string>(s.ptr, s.len));
        return world.strings.back()->c_str();
    };
    h.proxy_conf = [](ptc_modref*, const ptc_proxy*) -> void* { return world.fe_conf.data(); };
    h.proxy_next = [](ptc_proxy*) -> ptc_proxy* { return nullptr; };
    h.proxy_timeout = [](const ptc_proxy*, const char*) -> uint64_t { return 0; };
    // One proxy plays frontend and backend (a "listen" section).
    h.stream_frontend = [](ptc_stream*) { return reinterpret_cast<ptc_proxy*>(&world); };
    h.stream_backend = [](ptc_stream*) { return reinterpret_cast<ptc_proxy*>(&world); };
    h.stream_server = [](ptc_stream*) -> ptc_server* { return nullptr; };
    h.stream_select_backend = [](ptc_stream* s) { return fs(s)->select_result; };
    h.stream_srv_idle = [](ptc_stream*, uint32_t) { return PTC_OK; };
    h.stream_connect_ex = [](ptc_stream* s, uint32_t) { return fake_connect(s); };
    h.stream_connect = fake_connect;
    h.stream_srv_close = [](ptc_stream* s) {
        fake_stream* f = fs(s);
        if (f->srv_connected)
            f->srv_closes++;
        f->srv_connected = false;
        f->ch[PTC_DIR_RES].pending.clear();
        f->ch[PTC_DIR_RES].flags = 0;
    };
    h.stream_srv_error = [](ptc_stream* s) { return fs(s)->srv_error; };
    h.stream_close = [](ptc_stream* s, uint32_t how) {
        fs(s)->closed = true;
        fs(s)->close_how = how;
    };
    h.stream_set_timeout = [](ptc_stream* s, uint32_t which, uint64_t ms) {
        // the timer in the low byte, PTC_TMO_FIXED / PTC_TMO_TUNNEL flags above it
        FAKE_HOST_REQUIRE((which & 0xffu) < 2);
        fs(s)->tmo[which & 0xffu] = ms;
    };
    h.stream_wake = [](ptc_stream*) {};
    h.stream_fe_conf = [](ptc_modref*, ptc_stream*) -> void* { return world.fe_conf.data(); };
    h.stream_state = [](ptc_stream* s) -> void* { return fs(s)->state.data(); };
    h.now_ms = []() -> uint64_t { return 0; };
    h.chan_data = [](ptc_stream* s, uint32_t dir, ptc_str* p) {
        chan& c = fs(s)->ch[dir];
        *p = ptc_str{c.pending.data(), c.pending.size()};
        return c.flags | (c.pending.size() >= c.cap ? PTC_CHAN_FULL : 0u);
    };
    h.chan_forward = [](ptc_stream* s, uint32_t dir, size_t n) {
        chan& c = fs(s)->ch[dir];
        n = std::min(n, c.pending.size());
        c.emit(c.pending.substr(0, n));
        c.pending.erase(0, n);
        return n;
    };
    h.chan_autoforward = [](ptc_stream* s, uint32_t dir, uint64_t n) {
        chan& c = fs(s)->ch[dir];
        size_t now = std::min<uint64_t>(n, c.pending.size());
        c.emit(c.pending.substr(0, now));
        c.pending.erase(0, now);
        c.af_left = n == PTC_FORWARD_ALL ? n : n - now;
    };
    h.chan_autoforward_left = [](ptc_stream* s, uint32_t dir) { return fs(s)->ch[dir].af_left; };
    h.chan_replace = [](ptc_stream* s, uint32_t dir, size_t off, size_t len, const char* d,
                        size_t dlen) {
        chan& c = fs(s)->ch[dir];
        if (off + len > c.pending.size())
            return PTC_ERROR;
        c.pending.replace(off, len, std::string(d ? d : "", dlen));
        return PTC_OK;
    };
    h.chan_append = [](ptc_stream* s, uint32_t dir, const char* d, size_t n) {
        fs(s)->ch[dir].pending.append(d, n);
        return PTC_OK;
    };
    h.chan_skip = [](ptc_stream* s, uint32_t dir, size_t n) {
        chan& c = fs(s)->ch[dir];
        n = std::min(n, c.pending.size());
        c.pending.erase(0, n);
        return n;
    };
    h.chan_room = [](ptc_stream* s, uint32_t dir) {
        chan& c = fs(s)->ch[dir];
        return c.cap > c.pending.size() ? c.cap - c.pending.size() : size_t(0);
    };
    h.chan_flags = [](ptc_stream* s, uint32_t dir) { return fs(s)->ch[dir].flags; };
    h.chan_shutw = [](ptc_stream* s, uint32_t dir) { fs(s)->ch[dir].flags |= PTC_CHAN_SHUTW; };
    h.chan_pause = [](ptc_stream*, uint32_t, int) {};
    h.hooks_run = [](ptc_stream* s, uint32_t phase) {
        return world.hook ? world.hook(s, phase) : PTC_CONTINUE;
    };
    h.api_publish = [](ptc_modref*, const char*, uint32_t, const void* api) {
        world.api = api;
        return PTC_OK;
    };
    h.api_lookup = [](const char*, uint32_t, uint32_t*) { return world.api; };
    h.rules_run = [](ptc_stream* s, uint32_t set, ptc_proxy*) {
        for (auto& [a, st] : world.rules[set]) {
            int rc = a->exec(s, st);
            if (rc != PTC_ACT_CONTINUE)
                return rc;
        }
        return PTC_ACT_CONTINUE;
    };
    // Log formats: literal text only ("%%" is '%'); enough for the module's own tests.
    h.logfmt_compile = [](const ptc_kw_ctx*, ptc_str f) {
        world.strings.push_back(std::make_unique<std::string>(f.ptr, f.len));
        return reinterpret_cast<ptc_logfmt*>(world.strings.back().get());
    };
    h.logfmt_eval = [](ptc_stream*, const ptc_logfmt* lf, char* buf, size_t cap) {
        const auto* str = reinterpret_cast<const std::string*>(lf);
        size_t n = std::min(cap, str->size());
        memcpy(buf, str->data(), n);
        return n;
    };
    h.expr_compile = [](const ptc_kw_ctx*, ptc_str) -> ptc_expr* { return nullptr; };
    h.expr_eval = [](ptc_stream*, const ptc_expr*, ptc_sample*) { return 0; };
    h.scratch = [](size_t* cap) {
        static char b[16384];
        *cap = sizeof(b);
        return b;
    };
    h.stream_log_txn = [](ptc_stream*, const ptc_log_txn* l) {
        if (l->flags & PTC_LOG_TXN_SILENT)
            return; // the transaction ends without a line, as the host does
        world.logs.push_back(*l);
        world.log_lines.emplace_back(l->request_line.ptr, l->request_line.len);
    };
    // 1.5: no capture, no unique id, no logasap
    h.proxy_capture_slot = [](const ptc_proxy*, uint32_t, uint32_t, ptc_str*, uint32_t*) {
        return 0;
    };
    h.proxy_capture_cookie = [](const ptc_proxy*, ptc_str*, uint32_t*) { return 0; };
    h.stream_capture = [](ptc_stream*, uint32_t, uint32_t, ptc_str) {};
    h.stream_unique_id = [](ptc_stream*, ptc_str*) { return 0; };
    h.stream_log_asap = [](ptc_stream*, const ptc_log_txn*) { return 0; };
    h.stream_report_error = [](ptc_stream*, uint32_t, ptc_str, size_t, const char*) {};
    h.proxy_errorfile = [](const ptc_proxy*, int status) {
        auto it = world.errorfiles.find(status);
        return it == world.errorfiles.end() ? ptc_str{nullptr, 0}
                                            : ptc_str{it->second.data(), it->second.size()};
    };
    h.global_setting = [](const char*) -> uint64_t { return 0; };
    h.proxy_setting = [](const ptc_proxy*, const char* n) -> uint64_t {
        return std::string(n) == "retries" ? world.retries : 0;
    };
    h.chan_mark = [](ptc_stream* s, uint32_t dir, int on) {
        chan& c = fs(s)->ch[dir];
        c.mark = on;
        c.marked.clear();
    };
    h.chan_rewind = [](ptc_stream* s, uint32_t dir) {
        chan& c = fs(s)->ch[dir];
        if (!c.mark)
            return PTC_ERROR;
        c.out += c.marked; // sent again to the next server connection
        return PTC_OK;
    };
    h.stream_addr = [](ptc_stream*, uint32_t, sockaddr_storage* ss) -> socklen_t {
        auto* in = reinterpret_cast<sockaddr_in*>(ss);
        memset(ss, 0, sizeof(*ss));
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(0x0a000001); // 10.0.0.1
        return sizeof(sockaddr_in);
    };
    return h;
}

ptc_host host_table = make_host();

const ptc_module* module()
{
    if (!world.mod) {
        world.mod = ptc_module_entry(&host_table);
        world.fe_conf.assign(world.mod->proxy_conf_size, 0);
        std::fill(world.fe_conf.begin(), world.fe_conf.end(), 0);
        world.mod->conf_init(nullptr, PTC_CONF_PROXY, world.fe_conf.data());
        world.mod->init(nullptr);
    }
    return world.mod;
}

[[maybe_unused]] const ptc_http_api* api() { return static_cast<const ptc_http_api*>(world.api); }

// A stream with helpers to play the client and the server.
struct harness {
    fake_stream f;

    harness()
    {
        module();
        world.hook = nullptr;
        f.state.assign(world.mod->protos[0].state_size, 0);
        event(PTC_EV_OPEN);
    }

    ptc_stream* s() { return reinterpret_cast<ptc_stream*>(&f); }
    void event(uint32_t ev)
    {
        world.mod->protos[0].on_event(s(), f.state.data(), ev);
        while (uint32_t q = f.queued) {
            f.queued = 0;
            world.mod->protos[0].on_event(s(), f.state.data(), q);
        }
    }
    std::string& to_server() { return f.ch[PTC_DIR_REQ].out; }
    std::string& to_client() { return f.ch[PTC_DIR_RES].out; }
    std::string& req_pending() { return f.ch[PTC_DIR_REQ].pending; }

    void client_sends(const std::string& d)
    {
        f.ch[PTC_DIR_REQ].receive(d);
        event(PTC_EV_REQ_DATA);
    }
    void server_sends(const std::string& d)
    {
        f.ch[PTC_DIR_RES].receive(d);
        event(PTC_EV_RES_DATA);
    }
    void server_connects()
    {
        f.srv_connected = true;
        event(PTC_EV_SRV_CONNECTED);
    }
    void server_closes()
    {
        f.ch[PTC_DIR_RES].flags |= PTC_CHAN_EOF;
        event(PTC_EV_RES_DATA);
    }
};


// Parses "<keyword> <action> args..." with the module's action table and appends the rule to
// the fake rule engine. Returns the parse result.
int add_rule(std::vector<std::string> words, uint32_t kw_words = 1)
{
    const ptc_module* m = module();
    static const std::map<std::string, uint32_t> sets = {
        {"http-request", PTC_RULES_HTTP_REQ},
        {"http-response", PTC_RULES_HTTP_RES},
        {"http-after-response", PTC_RULES_HTTP_AFTER_RES}};
    uint32_t set = sets.at(words[0]);
    // the words live as long as the configuration (kept reachable for LeakSanitizer)
    world.rule_words.push_back(std::make_unique<std::vector<std::string>>(std::move(words)));
    auto* keep = world.rule_words.back().get();
    std::vector<ptc_str> args;
    for (const std::string& w : *keep)
        args.push_back(ptc_str{w.data(), w.size()});
    ptc_kw_ctx ctx{};
    ctx.size = sizeof(ctx);
    ctx.section = PTC_SEC_FRONTEND;
    ctx.file = "t.cfg";
    ctx.argc = uint32_t(args.size());
    ctx.args = args.data();
    ctx.kw_words = kw_words;
    ctx.conf = world.fe_conf.data();
    for (uint32_t i = 0; i < m->action_count; ++i) {
        const ptc_action& a = m->actions[i];
        if (a.ruleset != set || (*keep)[1] != a.name)
            continue;
        void* st = nullptr;
        uint32_t next = 0;
        int rc = a.parse(&ctx, 2, &next, &st);
        if (rc == PTC_OK) {
            FAKE_HOST_CHECK(next == ctx.argc);
            world.rules[set].emplace_back(&a, st);
        }
        return rc;
    }
    world.errors.push_back("no such action");
    return PTC_ERROR;
}
// Runs a configuration keyword of the module against the frontend conf.
int keyword(std::vector<std::string> words, uint32_t kw_words, bool negated = false)
{
    const ptc_module* m = module();
    std::vector<ptc_str> args;
    for (const std::string& w : words)
        args.push_back(ptc_str{w.data(), w.size()});
    std::string name = words[0];
    for (uint32_t i = 1; i < kw_words; ++i)
        name += " " + words[i];
    ptc_kw_ctx ctx{};
    ctx.size = sizeof(ctx);
    ctx.section = PTC_SEC_FRONTEND;
    ctx.file = "t.cfg";
    ctx.argc = uint32_t(args.size());
    ctx.args = args.data();
    ctx.kw_words = kw_words;
    ctx.negated = negated;
    ctx.conf = world.fe_conf.data();
    for (uint32_t i = 0; i < m->keyword_count; ++i)
        if (name == m->keywords[i].name)
            return m->keywords[i].parse(&ctx);
    return PTC_ERROR;
}

} // namespace
