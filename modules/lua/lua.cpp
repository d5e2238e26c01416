// SPDX-License-Identifier: MIT
// lua module: HAProxy 2.6's Lua API on Lua 5.4.
//
// The master creates the Lua state while reading the configuration ("lua-load" runs the
// script, whose core.register_* calls register fetches, converters, actions and services
// through the host); every worker inherits its own copy at fork, so each process has one
// state and no lock. Actions, services and tasks run in a coroutine: core.sleep/msleep/
// yield (and the forced-yield count hook) suspend the stream, a task or the stream's wake
// resumes it from the event loop. Run time is counted per call (sleeps excluded) against
// tune.lua.session-timeout / service-timeout / task-timeout. Errors fail the request
// (500) or close the TCP session, logging the message and the Lua traceback.
#include <portico/portico.h>

#include <lua.hpp>

#include "lua_int.hpp"

#include <arpa/inet.h>
#include <sys/un.h>
#include <errno.h>
#include <new>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <array>
#include <deque>
#include <utility>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

const ptc_host* H;
ptc_modref* SELF;
const ptc_http_api* HTTP;
lua_State* L;

struct settings {
    uint64_t session_to = 4000;
    uint64_t task_to = 4000;
    uint64_t service_to = 4000;
    uint64_t burst_to = 1000;
    uint64_t forced_yield = 10000;
    size_t maxmem = 0;
} C;

size_t mem_used;
bool mem_refused;

void* l_alloc(void*, void* ptr, size_t osize, size_t nsize)
{
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        mem_used -= old;
        free(ptr);
        return nullptr;
    }
    if (C.maxmem && nsize > old && mem_used + (nsize - old) > C.maxmem) {
        mem_refused = true;
        return nullptr;
    }
    void* n = realloc(ptr, nsize);
    if (n)
        mem_used = mem_used - old + nsize;
    return n;
}

double mono_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

// ---- registered functions -----------------------------------------------------------------

enum fn_kind { K_ACTION, K_FETCH, K_CONV, K_SERVICE_HTTP, K_SERVICE_TCP, K_TASK };

struct lfn {
    fn_kind kind;
    std::string name; // "lua.<name>" for samples and services, the bare name for actions
    int ref = LUA_NOREF;
    int nargs = 0;
    uint32_t rulesets = 0;
};

std::deque<lfn> g_fns;
std::map<std::string, lfn*> g_tcp_svcs; // "lua.<name>" -> a TCP service (AppletTCP)
std::map<std::string, lfn*> g_actions; // bare name -> entry
std::vector<int> g_inits;              // refs of register_init functions
std::vector<lfn*> g_tasks;

// ---- coroutine runs -----------------------------------------------------------------------

struct run_ctx {
    lua_State* co = nullptr;
    int ref = LUA_NOREF;
    ptc_stream* s = nullptr;
    ptc_task* timer = nullptr; // wakes the stream after a sleep
    ptc_task* own = nullptr;   // for a Lua task: the task running it
    uint64_t wake_at = 0;      // 0: next loop turn
    double spent = 0;          // ms of Lua run time so far
    double started = 0;        // start of the current resume
    uint64_t timeout = 0;
    bool done = false;         // txn:done() / core.done()
    bool has_reply = false;    // txn:done(reply): the response to send once it returned
    int reply_code = 0;
    std::string reply_head, reply_body;
    lua_Integer ret = 0;       // an action's return value (act.*), 0 = act.CONTINUE
    bool wait_io = false;      // a Channel function waits for the stream's next event
    uint64_t act_wake = 0;     // act:wake_time(): when to run again an action that
                               // returns act.YIELD (0: at the stream's next event)
    const char* what = "";     // "action", "service", "task"
    std::string name;
};

run_ctx* g_cur; // the run being resumed (nullptr: a plain call)
double g_call_start;
uint64_t g_call_timeout;

struct tcp_app;

struct sstate {
    run_ctx* act;
    tcp_app* app; // a TCP service (AppletTCP) running on the stream
    ptc_task* yield_timer; // wakes the stream for an action that returned act.YIELD
};

int l_act_wake_time(lua_State* l);

void count_hook(lua_State* l, lua_Debug*)
{
    double now = mono_ms();
    if (g_cur) {
        if (g_cur->spent + (now - g_cur->started) > (double)g_cur->timeout)
            luaL_error(l, "execution timeout");
        if (lua_isyieldable(l))
            lua_yield(l, 0);
        return;
    }
    if (now - g_call_start > (double)g_call_timeout)
        luaL_error(l, "execution timeout");
}

void install_hook(lua_State* l)
{
    lua_sethook(l, count_hook, LUA_MASKCOUNT, (int)(C.forced_yield ? C.forced_yield : 10000));
}

uint64_t wake_task(ptc_task*, void* ctx)
{
    run_ctx* rc = (run_ctx*)ctx;
    if (rc->s)
        H->stream_wake(rc->s);
    return 0;
}

void sockets_forget(run_ctx* rc);

void run_free(run_ctx* rc)
{
    if (!rc)
        return;
    sockets_forget(rc);
    if (rc->timer)
        H->task_free(rc->timer);
    if (rc->ref != LUA_NOREF)
        luaL_unref(L, LUA_REGISTRYINDEX, rc->ref);
    delete rc;
}

// The traceback's frames on one line, HAProxy's way: "file:5: in function line 3, ...".
std::string traceback(lua_State* co)
{
    luaL_traceback(L, co, nullptr, 0);
    std::string t = lua_tostring(L, -1);
    lua_pop(L, 1);
    std::string out;
    size_t p = t.find('\n'); // skip "stack traceback:"
    while (p != std::string::npos && p + 1 < t.size()) {
        size_t e = t.find('\n', p + 1);
        std::string fr = t.substr(p + 1, e == std::string::npos ? std::string::npos : e - p - 1);
        while (!fr.empty() && fr[0] == '\t')
            fr.erase(0, 1);
        if (fr.starts_with("[C]"))
            fr.clear();
        if (!fr.empty())
            out += (out.empty() ? "" : ", ") + fr;
        p = e;
    }
    return out;
}

// HAProxy's wording: "Lua function 'x': runtime error: <msg> from <frames>." and
// "Lua function 'x': out of memory error."
void log_error(const std::string& name, const char* msg, const std::string& frames)
{
    if (mem_refused) {
        H->log(PTC_LOG_ERR, "Lua function '%s': out of memory error (tune.lua.maxmem): %s",
               name.c_str(), msg);
        return;
    }
    H->log(PTC_LOG_ERR, "Lua function '%s': runtime error: %s%s%s.", name.c_str(), msg,
           frames.empty() ? "" : " from ", frames.c_str());
}

// Resumes rc->co with nargs pushed on it. Returns LUA_OK (finished), LUA_YIELD or an error
// (logged).
int run_resume(run_ctx* rc, int nargs)
{
    run_ctx* saved = g_cur;
    g_cur = rc;
    rc->started = mono_ms();
    rc->wake_at = 0;
    rc->wait_io = false;
    mem_refused = false;
    int nres = 0;
    int st = lua_resume(rc->co, L, nargs, &nres);
    rc->spent += mono_ms() - rc->started;
    g_cur = saved;
    if (st == LUA_OK || st == LUA_YIELD) {
        if (st == LUA_OK && nres > 0 && lua_isinteger(rc->co, -nres))
            rc->ret = lua_tointeger(rc->co, -nres);
        lua_pop(rc->co, nres);
        if (st == LUA_YIELD && rc->done)
            return LUA_OK;
        return st;
    }
    const char* m = lua_tostring(rc->co, -1);
    log_error(rc->name, m ? m : "unknown error", traceback(rc->co));
    return st;
}

// After a yield: arrange for the stream to be woken.
void run_wait(run_ctx* rc)
{
    if (rc->wait_io)
        return; // the stream's next event (bytes, a close, a timeout) runs it again
    if (rc->wake_at && rc->wake_at > H->now_ms()) {
        if (!rc->timer)
            rc->timer = H->task_new(SELF, wake_task, rc);
        if (rc->timer) {
            H->task_schedule(rc->timer, rc->wake_at);
            return;
        }
    }
    H->stream_wake(rc->s);
}

run_ctx* run_new(const lfn* f, ptc_stream* s, const char* what, uint64_t timeout)
{
    run_ctx* rc = new run_ctx;
    rc->co = lua_newthread(L);
    rc->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    rc->s = s;
    rc->what = what;
    rc->name = f->name;
    rc->timeout = timeout;
    install_hook(rc->co);
    lua_rawgeti(rc->co, LUA_REGISTRYINDEX, f->ref);
    return rc;
}

// ---- samples <-> Lua ----------------------------------------------------------------------

void push_sample(lua_State* l, const ptc_sample* smp)
{
    char buf[INET6_ADDRSTRLEN];
    switch (smp->type) {
    case PTC_SMP_BOOL:
        lua_pushboolean(l, smp->u.sint != 0);
        break;
    case PTC_SMP_SINT:
        lua_pushinteger(l, smp->u.sint);
        break;
    case PTC_SMP_IPV4:
        lua_pushstring(l, inet_ntop(AF_INET, smp->u.ipv4, buf, sizeof(buf)));
        break;
    case PTC_SMP_IPV6:
        lua_pushstring(l, inet_ntop(AF_INET6, smp->u.ipv6, buf, sizeof(buf)));
        break;
    default:
        lua_pushlstring(l, smp->u.str.ptr ? smp->u.str.ptr : "", smp->u.str.len);
    }
}

// Lua value at idx -> sample (strings copied into the scratch buffer). 0: none.
int to_sample(lua_State* l, int idx, ptc_sample* out)
{
    switch (lua_type(l, idx)) {
    case LUA_TBOOLEAN:
        out->type = PTC_SMP_BOOL;
        out->u.sint = lua_toboolean(l, idx);
        return 1;
    case LUA_TNUMBER:
        if (lua_isinteger(l, idx)) {
            out->type = PTC_SMP_SINT;
            out->u.sint = lua_tointeger(l, idx);
            return 1;
        }
        [[fallthrough]];
    case LUA_TSTRING: {
        size_t n;
        const char* p = lua_tolstring(l, idx, &n);
        size_t cap;
        char* b = H->scratch(&cap);
        if (n > cap)
            n = cap;
        memcpy(b, p, n);
        out->type = PTC_SMP_STR;
        out->flags = 0;
        out->u.str.ptr = b;
        out->u.str.len = n;
        return 1;
    }
    default:
        return 0;
    }
}

// ---- the TXN, Fetches, Converters and HTTP objects ----------------------------------------

ptc_stream* check_stream(lua_State* l, int idx)
{
    luaL_checktype(l, idx, LUA_TTABLE);
    lua_rawgeti(l, idx, 0);
    ptc_stream* s = (ptc_stream*)lua_touserdata(l, -1);
    lua_pop(l, 1);
    if (!s)
        luaL_error(l, "this object is not attached to a stream");
    return s;
}

// Compiled expressions, by text ("req.hdr(host)", "lua.__in,lower").
std::unordered_map<std::string, ptc_expr*> g_exprs;
ptc_sample g_conv_in;

ptc_expr* compile(const std::string& text)
{
    auto it = g_exprs.find(text);
    if (it != g_exprs.end())
        return it->second;
    ptc_expr* e = H->expr_compile(nullptr, ptc_str{text.data(), text.size()});
    g_exprs.emplace(text, e);
    return e;
}

// The fetch or converter names to try for a Lua method name: as is, the first '_' as '.',
// every '_' as '.' ("req_hdr" -> "req.hdr", "req_ssl_sni" -> "req.ssl_sni").
std::vector<std::string> names_for(const std::string& n)
{
    std::vector<std::string> v{n};
    size_t u = n.find('_');
    if (u != std::string::npos) {
        std::string a = n;
        a[u] = '.';
        v.push_back(a);
        std::string b = n;
        for (char& c : b)
            if (c == '_')
                c = '.';
        if (b != a)
            v.push_back(b);
    }
    return v;
}

std::string args_text(lua_State* l, int first)
{
    std::string a;
    int top = lua_gettop(l);
    for (int i = first; i <= top; i++) {
        size_t n;
        const char* p = luaL_tolstring(l, i, &n);
        if (i > first)
            a += ',';
        a.append(p, n);
        lua_pop(l, 1);
    }
    return a;
}

// upvalue 1: the method name, 2: 1 for the string variant (sf/sc)
int fetch_call(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    std::string name = lua_tostring(l, lua_upvalueindex(1));
    bool str = lua_toboolean(l, lua_upvalueindex(2));
    std::string args = args_text(l, 2);
    ptc_expr* e = nullptr;
    for (const std::string& n : names_for(name)) {
        e = compile(args.empty() ? n : n + "(" + args + ")");
        if (e)
            break;
    }
    if (!e)
        return luaL_error(l, "unknown fetch '%s' or bad arguments", name.c_str());
    ptc_sample out{};
    if (!H->expr_eval(s, e, &out)) {
        if (str)
            lua_pushliteral(l, "");
        else
            lua_pushnil(l);
        return 1;
    }
    if (str && out.type != PTC_SMP_STR && out.type != PTC_SMP_BIN && out.type != PTC_SMP_METH) {
        push_sample(l, &out);
        luaL_tolstring(l, -1, nullptr);
        return 1;
    }
    push_sample(l, &out);
    return 1;
}

int conv_call(lua_State* l)
{
    check_stream(l, 1);
    ptc_stream* s = check_stream(l, 1);
    std::string name = lua_tostring(l, lua_upvalueindex(1));
    bool str = lua_toboolean(l, lua_upvalueindex(2));
    ptc_sample in{};
    if (!to_sample(l, 2, &in)) {
        if (str)
            lua_pushliteral(l, "");
        else
            lua_pushnil(l);
        return 1;
    }
    std::string args = args_text(l, 3);
    ptc_expr* e = nullptr;
    for (const std::string& n : names_for(name)) {
        e = compile("lua.__in," + (args.empty() ? n : n + "(" + args + ")"));
        if (e)
            break;
    }
    if (!e)
        return luaL_error(l, "unknown converter '%s' or bad arguments", name.c_str());
    g_conv_in = in;
    ptc_sample out{};
    if (!H->expr_eval(s, e, &out)) {
        if (str)
            lua_pushliteral(l, "");
        else
            lua_pushnil(l);
        return 1;
    }
    push_sample(l, &out);
    if (str)
        luaL_tolstring(l, -1, nullptr);
    return 1;
}

int fetch_conv_in(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out, void*)
{
    *out = g_conv_in;
    return 1;
}

// __index of Fetches/Converters objects: a closure per method name.
int samples_index(lua_State* l)
{
    lua_getfield(l, 1, "__conv");
    bool conv = lua_toboolean(l, -1);
    lua_getfield(l, 1, "__str");
    bool str = lua_toboolean(l, -1);
    lua_pop(l, 2);
    lua_pushvalue(l, 2);
    lua_pushboolean(l, str);
    lua_pushcclosure(l, conv ? conv_call : fetch_call, 2);
    return 1;
}

// Raw header block of the request or response still in the channel: name -> {[0]=v,...}.
int push_headers(lua_State* l, ptc_stream* s, uint32_t dir)
{
    ptc_str p{};
    H->chan_data(s, dir, &p);
    std::string_view buf(p.ptr ? p.ptr : "", p.len);
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string_view::npos)
        buf = buf.substr(0, end + 2);
    lua_newtable(l);
    size_t pos = buf.find("\r\n");
    if (pos == std::string_view::npos)
        return 1;
    pos += 2;
    while (pos < buf.size()) {
        size_t e = buf.find("\r\n", pos);
        if (e == std::string_view::npos)
            e = buf.size();
        std::string_view line = buf.substr(pos, e - pos);
        pos = e + 2;
        size_t c = line.find(':');
        if (c == std::string_view::npos)
            continue;
        std::string name(line.substr(0, c));
        for (char& ch : name)
            ch = (char)tolower((unsigned char)ch);
        std::string_view v = line.substr(c + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
            v.remove_suffix(1);
        if (lua_getfield(l, -1, name.c_str()) != LUA_TTABLE) {
            lua_pop(l, 1);
            lua_newtable(l);
            lua_pushvalue(l, -1);
            lua_setfield(l, -3, name.c_str());
        }
        // HAProxy's layout: occurrences indexed from 0
        lua_Integer n = 0;
        if (lua_rawgeti(l, -1, 0) != LUA_TNIL)
            n = (lua_Integer)lua_rawlen(l, -2) + 1;
        lua_pop(l, 1);
        lua_pushlstring(l, v.data(), v.size());
        lua_rawseti(l, -2, n);
        lua_pop(l, 1);
    }
    return 1;
}
int l_req_get_headers(lua_State* l) { return push_headers(l, check_stream(l, 1), PTC_DIR_REQ); }
int l_res_get_headers(lua_State* l) { return push_headers(l, check_stream(l, 1), PTC_DIR_RES); }

ptc_str arg_str(lua_State* l, int i)
{
    size_t n;
    const char* p = luaL_checklstring(l, i, &n);
    return ptc_str{p, n};
}

const ptc_http_api* http_api(lua_State* l)
{
    if (!HTTP)
        luaL_error(l, "the HTTP functions need the http module");
    return HTTP;
}

int l_req_set_header(lua_State* l)
{
    http_api(l)->req_hdr_set(check_stream(l, 1), arg_str(l, 2), arg_str(l, 3));
    return 0;
}
int l_req_add_header(lua_State* l)
{
    http_api(l)->req_hdr_add(check_stream(l, 1), arg_str(l, 2), arg_str(l, 3));
    return 0;
}
int l_req_del_header(lua_State* l)
{
    http_api(l)->req_hdr_del(check_stream(l, 1), arg_str(l, 2));
    return 0;
}
int l_res_set_header(lua_State* l)
{
    http_api(l)->res_hdr_set(check_stream(l, 1), arg_str(l, 2), arg_str(l, 3));
    return 0;
}
int l_res_add_header(lua_State* l)
{
    http_api(l)->res_hdr_add(check_stream(l, 1), arg_str(l, 2), arg_str(l, 3));
    return 0;
}
int l_res_del_header(lua_State* l)
{
    http_api(l)->res_hdr_del(check_stream(l, 1), arg_str(l, 2));
    return 0;
}

// HTTP:req_set_method/path/query/uri(v): true when the rewrite was done (HAProxy's return
// value); HTTP:res_set_status(code[, reason]) returns nothing, as HAProxy's.
bool http_has_line_api()
{
    return HTTP && HTTP->size >= offsetof(ptc_http_api, res_set_status) +
                                    sizeof(HTTP->res_set_status);
}
template <uint32_t Part> int l_req_set_line(lua_State* l)
{
    if (!http_has_line_api())
        return luaL_error(l, "the http module is too old for HTTP:req_set_*");
    lua_pushboolean(l, HTTP->req_set_line(check_stream(l, 1), Part, arg_str(l, 2)) == PTC_OK);
    return 1;
}
int l_res_set_status(lua_State* l)
{
    if (!http_has_line_api())
        return luaL_error(l, "the http module is too old for HTTP:res_set_status");
    int code = (int)luaL_checkinteger(l, 2);
    ptc_str reason{"", 0};
    if (!lua_isnoneornil(l, 3))
        reason = arg_str(l, 3);
    HTTP->res_set_status(check_stream(l, 1), code, reason);
    return 0; // HAProxy's returns nothing
}

// ---- actions of the configuration run from Lua (host->action_compile, ABI 1.16) ----------
// TXN:set_tos, HTTP:req_rep_header and the others build the action that configuration line
// would be ("set-tos 4", "replace-header x-a ^a(.*) b\1"), once per distinct line and
// proxy, and run it on the stream: the same code as the rules, nothing re-implemented.

std::unordered_map<std::string, ptc_act_rule*> g_rules_cache;
constexpr size_t k_max_rules = 4096;

bool rules_abi() { return H->abi_minor >= 16 && H->action_compile && H->action_exec; }

// The compiled rule of <words> in rule set rs for s's frontend, or NULL with err set.
ptc_act_rule* rule_get(ptc_stream* s, uint32_t rs, const std::vector<std::string>& words,
                       std::string& err)
{
    ptc_proxy* px = H->stream_frontend(s);
    std::string key = std::to_string((uintptr_t)px) + '\0' + std::to_string(rs);
    for (const std::string& w : words)
        key += '\0' + w;
    auto it = g_rules_cache.find(key);
    if (it != g_rules_cache.end())
        return it->second;
    if (g_rules_cache.size() >= k_max_rules) {
        err = "too many distinct actions built from Lua (4096)";
        return nullptr;
    }
    std::vector<ptc_str> a;
    for (const std::string& w : words)
        a.push_back(ptc_str{w.data(), w.size()});
    char buf[512] = "";
    ptc_act_rule* r = H->action_compile(px, rs, (uint32_t)a.size(), a.data(), buf, sizeof(buf));
    if (!r) {
        err = buf;
        return nullptr;
    }
    g_rules_cache.emplace(std::move(key), r);
    return r;
}

// Runs <words> in the first rule set of <sets> (0: skipped) that has the action. Raises a
// Lua error when none has it.
int rule_run(lua_State* l, ptc_stream* s, std::initializer_list<uint32_t> sets,
             const std::vector<std::string>& words, const char* what)
{
    if (!rules_abi())
        return luaL_error(l, "%s: this portico cannot build actions (ABI 1.16)", what);
    std::string err, first;
    for (uint32_t rs : sets) {
        if (!rs)
            continue;
        if (ptc_act_rule* r = rule_get(s, rs, words, err))
            return H->action_exec(s, r);
        if (first.empty())
            first = err;
    }
    return luaL_error(l, "%s: %s", what, first.c_str());
}

// '%' starts a log-format directive in the action's replacement: "%%" is a plain '%'.
std::string lf_escape(std::string_view v)
{
    std::string o;
    for (char c : v) {
        o += c;
        if (c == '%')
            o += '%';
    }
    return o;
}

// HTTP:req_rep_header / req_rep_value / res_rep_header / res_rep_value(name, regex,
// replace): as the replace-header / replace-value actions (PCRE matched against each whole
// value, or each comma-separated element; \0..\9 in <replace>).
template <uint32_t RS, bool Value> int l_rep_header(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    ptc_str n = arg_str(l, 2), re = arg_str(l, 3), rep = arg_str(l, 4);
    const char* what = RS == PTC_RULES_HTTP_REQ ? (Value ? "req_rep_value" : "req_rep_header")
                                                : (Value ? "res_rep_value" : "res_rep_header");
    // HAProxy raises an error for the other direction's message
    lua_getfield(l, 1, "__rs");
    lua_Integer cur = lua_tointeger(l, -1);
    lua_pop(l, 1);
    bool res_phase = cur == PTC_RULES_HTTP_RES || cur == PTC_RULES_HTTP_AFTER_RES;
    if ((RS == PTC_RULES_HTTP_REQ && res_phase) ||
        (RS == PTC_RULES_HTTP_RES && cur == PTC_RULES_HTTP_REQ))
        return luaL_error(l, "%s: not available in this direction", what);
    rule_run(l, s, {RS},
             {Value ? "replace-value" : "replace-header", std::string(n.ptr, n.len),
              std::string(re.ptr, re.len), lf_escape({rep.ptr, rep.len})},
             what);
    return 0;
}

int l_missing(lua_State* l)
{
    return luaL_error(l, "%s is not supported yet by portico",
                      lua_tostring(l, lua_upvalueindex(1)));
}

// ---- TXN ----------------------------------------------------------------------------------

// set_var(name, value[, ifexist]): true when the variable was set, false for a bad name
// (HAProxy 2.6's return value). With ifexist, HAProxy creates no "proc." variable that does
// not exist yet (one the configuration names exists): portico cannot tell those apart yet
// and refuses that case; other scopes are set as without it, as HAProxy does.
int l_set_var(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    ptc_str name = arg_str(l, 2);
    ptc_sample smp{};
    if (!to_sample(l, 3, &smp))
        return luaL_error(l, "set_var: unsupported value type");
    // ifexist: a "proc." variable must exist already (the configuration names it, or it was
    // set); the other scopes are created anyway, as HAProxy 2.6
    if (lua_toboolean(l, 4) && name.len >= 5 && !memcmp(name.ptr, "proc.", 5)) {
        if (!PTC_HOST_HAS(H, var_known) || !H->var_known)
            return luaL_error(l, "set_var: 'ifexist' for a proc variable is not supported yet "
                                 "by portico");
        if (!H->var_known(name)) {
            lua_pushboolean(l, 0);
            return 1;
        }
    }
    lua_pushboolean(l, H->var_set(s, name, &smp) != 0);
    return 1;
}

int l_get_var(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    ptc_sample smp{};
    if (!H->var_get(s, arg_str(l, 2), &smp)) {
        lua_pushnil(l);
        return 1;
    }
    push_sample(l, &smp);
    return 1;
}

int l_unset_var(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    ptc_str name = arg_str(l, 2);
    if (!PTC_HOST_HAS(H, var_unset))
        return luaL_error(l, "unset_var: this portico has no var_unset (ABI 1.11)");
    H->var_unset(s, name);
    return 0;
}

void reply_build(lua_State* l, ptc_stream* s, int idx, run_ctx* rc);
bool http_has_reply_raw();

// txn:done([reply]) (and core.done()): ends the action; in an HTTP rule, a Reply given is
// sent to the client first (HAProxy 2.6's txn:done(reply)).
int l_done(lua_State* l)
{
    if (!g_cur || !lua_isyieldable(l))
        return luaL_error(l, "done() outside an action");
    if (lua_istable(l, 1) && lua_istable(l, 2) && g_cur->s) {
        lua_getfield(l, 1, "http");
        bool http = !lua_isnil(l, -1);
        lua_pop(l, 1);
        if (http && !http_has_reply_raw())
            return luaL_error(l, "txn:done(reply): the http module is too old");
        if (http)
            reply_build(l, g_cur->s, 2, g_cur);
    }
    g_cur->done = true;
    return lua_yield(l, 0);
}

int l_txn_log(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    lua_Integer lvl = luaL_checkinteger(l, 2);
    const char* m = luaL_checkstring(l, 3);
    H->proxy_log(H->stream_frontend(s), (uint32_t)(lvl & 7), "%s", m);
    return 0;
}

int l_txn_deflog(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    const char* m = luaL_checkstring(l, 2);
    H->proxy_log(H->stream_frontend(s), PTC_LOG_INFO, "%s", m);
    return 0;
}

int l_txn_level_log(lua_State* l, uint32_t lvl)
{
    ptc_stream* s = check_stream(l, 1);
    const char* m = luaL_checkstring(l, 2);
    H->proxy_log(H->stream_frontend(s), lvl, "%s", m);
    return 0;
}
int l_txn_debug(lua_State* l) { return l_txn_level_log(l, PTC_LOG_DEBUG); }
int l_txn_info(lua_State* l) { return l_txn_level_log(l, PTC_LOG_INFO); }
int l_txn_warning(lua_State* l) { return l_txn_level_log(l, PTC_LOG_WARNING); }
int l_txn_alert(lua_State* l) { return l_txn_level_log(l, PTC_LOG_ALERT); }

int l_get_priv(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__priv");
    return 1;
}
int l_set_priv(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_settop(l, 2);
    lua_setfield(l, 1, "__priv");
    return 0;
}

// ---- TXN:set_loglevel / set_tos / set_mark / set_priority_class / set_priority_offset ----
// The set-log-level, set-tos, set-mark and set-priority-* actions, run in the rule set of
// the Lua action (else the first rule set that has them).

uint32_t txn_ruleset(lua_State* l)
{
    lua_getfield(l, 1, "__rs");
    uint32_t rs = (uint32_t)lua_tointeger(l, -1);
    lua_pop(l, 1);
    return rs;
}

int l_set_loglevel(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    lua_Integer lvl = luaL_checkinteger(l, 2);
    static const char* const names[] = {"emerg", "alert", "crit", "err",
                                        "warning", "notice", "info", "debug"};
    if (lvl < 0 || lvl > 7)
        return luaL_argerror(l, 2, "Bad log level. It must be between 0 and 7");
    // HAProxy 2.6 stores the number where the log code expects the level plus one: the
    // line is sent one level more severe (core.err gives crit), core.emerg changes nothing
    if (lua_getfield(l, 1, "http") == LUA_TNIL)
        return luaL_error(l, "set_loglevel: not supported yet by portico outside an HTTP "
                             "transaction");
    lua_pop(l, 1);
    if (lvl == 0)
        return 0;
    uint32_t rs = txn_ruleset(l);
    rule_run(l, s, {rs == PTC_RULES_HTTP_RES ? PTC_RULES_HTTP_RES : PTC_RULES_HTTP_REQ},
             {"set-log-level", names[lvl - 1]}, "set_loglevel");
    return 0;
}

template <bool Tos> int l_set_sockopt(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    lua_Integer v = luaL_checkinteger(l, 2);
    rule_run(l, s, {txn_ruleset(l), PTC_RULES_TCP_REQ_CONTENT, PTC_RULES_HTTP_REQ,
                    PTC_RULES_HTTP_RES, PTC_RULES_TCP_RES_CONTENT},
             {Tos ? "set-tos" : "set-mark", std::to_string((uint32_t)v)},
             Tos ? "set_tos" : "set_mark");
    return 0;
}

template <bool Offset> int l_set_priority(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    lua_Integer v = luaL_checkinteger(l, 2);
    // the value reaches the action through the lua.__in fetch (one rule for every value)
    g_conv_in = ptc_sample{};
    g_conv_in.type = PTC_SMP_SINT;
    g_conv_in.u.sint = v;
    rule_run(l, s, {txn_ruleset(l), PTC_RULES_HTTP_REQ, PTC_RULES_TCP_REQ_CONTENT},
             {Offset ? "set-priority-offset" : "set-priority-class", "lua.__in"},
             Offset ? "set_priority_offset" : "set_priority_class");
    return 0;
}

// ---- Reply (txn:reply) --------------------------------------------------------------------

const char* reason_of(int code)
{
    if (HTTP && HTTP->size >= offsetof(ptc_http_api, reason_phrase) +
                                  sizeof(HTTP->reason_phrase))
        return HTTP->reason_phrase(code);
    return "";
}

bool http_has_reply_raw()
{
    return HTTP && HTTP->size >= offsetof(ptc_http_api, reply_raw) + sizeof(HTTP->reply_raw);
}

// txn:reply([{status=, reason=, headers=, body=}]): a Reply, HAProxy 2.6's way (the reason
// given in the table is not kept: the status's own phrase is used).
int l_txn_reply(lua_State* l)
{
    check_stream(l, 1);
    if (lua_getfield(l, 1, "http") == LUA_TNIL)
        return luaL_error(l, "txn object is not an HTTP transaction.");
    lua_pop(l, 1);
    lua_Integer status = 200;
    bool has_arg = lua_istable(l, 2);
    if (has_arg && lua_getfield(l, 2, "status") == LUA_TNUMBER)
        status = lua_tointeger(l, -1);
    if (has_arg)
        lua_pop(l, 1);
    lua_createtable(l, 0, 4);
    lua_pushinteger(l, status);
    lua_setfield(l, -2, "status");
    lua_pushstring(l, reason_of((int)status));
    lua_setfield(l, -2, "reason");
    if (has_arg && lua_getfield(l, 2, "body") == LUA_TSTRING)
        lua_setfield(l, -2, "body");
    else if (has_arg)
        lua_pop(l, 1);
    lua_newtable(l); // headers: name -> { values }
    if (has_arg && lua_getfield(l, 2, "headers") == LUA_TTABLE) {
        int src = lua_gettop(l), dst = src - 1;
        lua_pushnil(l);
        while (lua_next(l, src)) {
            if (lua_type(l, -2) != LUA_TSTRING ||
                (lua_type(l, -1) != LUA_TSTRING && lua_type(l, -1) != LUA_TNUMBER &&
                 !lua_istable(l, -1))) {
                lua_pop(l, 1);
                continue;
            }
            lua_newtable(l);
            if (lua_istable(l, -2)) {
                lua_pushnil(l);
                while (lua_next(l, -3)) {
                    if (lua_isstring(l, -1))
                        lua_rawseti(l, -3, (lua_Integer)lua_rawlen(l, -3) + 1);
                    else
                        lua_pop(l, 1);
                }
            } else {
                lua_pushvalue(l, -2);
                lua_rawseti(l, -2, 1);
            }
            lua_pushvalue(l, -3);
            lua_insert(l, -2);
            lua_settable(l, dst);
            lua_pop(l, 1);
        }
    }
    if (has_arg)
        lua_pop(l, 1);
    lua_setfield(l, -2, "headers");
    luaL_setmetatable(l, "portico.reply");
    return 1;
}

int l_reply_set_status(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_Integer st = luaL_checkinteger(l, 2);
    const char* reason = luaL_optstring(l, 3, nullptr);
    if (st < 100 || st > 599) {
        lua_pushboolean(l, 0);
        return 1;
    }
    lua_pushinteger(l, st);
    lua_setfield(l, 1, "status");
    lua_pushstring(l, reason ? reason : reason_of((int)st));
    lua_setfield(l, 1, "reason");
    lua_pushboolean(l, 1);
    return 1;
}

int l_reply_add_header(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    const char* name = luaL_checkstring(l, 2);
    luaL_checkstring(l, 3);
    int t = lua_getfield(l, 1, "headers");
    if (t != LUA_TTABLE)
        return luaL_error(l, "Reply['headers'] is expected to a an array. %s found",
                          lua_typename(l, t));
    t = lua_getfield(l, -1, name);
    if (t == LUA_TNIL) {
        lua_pop(l, 1);
        lua_newtable(l);
        lua_pushvalue(l, -1);
        lua_setfield(l, -3, name);
    } else if (t != LUA_TTABLE)
        return luaL_error(l, "Reply['headers']['%s'] is expected to be an array. %s found",
                          name, lua_typename(l, t));
    lua_pushvalue(l, 3);
    lua_rawseti(l, -2, (lua_Integer)lua_rawlen(l, -2) + 1);
    lua_pushboolean(l, 1);
    return 1;
}

int l_reply_del_header(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    const char* name = luaL_checkstring(l, 2);
    int t = lua_getfield(l, 1, "headers");
    if (t != LUA_TTABLE)
        return luaL_error(l, "Reply['headers'] is expected to be an array. %s found",
                          lua_typename(l, t));
    lua_pushnil(l);
    lua_setfield(l, -2, name);
    lua_pushboolean(l, 1);
    return 1;
}

int l_reply_set_body(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    luaL_checkstring(l, 2);
    lua_pushvalue(l, 2);
    lua_setfield(l, 1, "body");
    lua_pushboolean(l, 1);
    return 1;
}

ptc_expr* compile(const std::string& text);

// Writes the Reply at idx into rc (txn:done(reply)) as HAProxy 2.6 writes it: the status
// line in the request's HTTP version, the headers (content-length dropped), then
// "content-length" with the body's size unless a transfer-encoding says chunked. The
// action sends it once the coroutine returned (sending can end the stream).
void reply_build(lua_State* l, ptc_stream* s, int idx, run_ctx* rc)
{
    idx = lua_absindex(l, idx);
    int code = 200;
    std::string status = "200";
    if (lua_getfield(l, idx, "status") == LUA_TNUMBER) {
        code = (int)lua_tointeger(l, -1);
        status = lua_tostring(l, -1);
    }
    lua_pop(l, 1);
    std::string reason = reason_of(code);
    if (lua_getfield(l, idx, "reason") == LUA_TSTRING)
        reason = lua_tostring(l, -1);
    lua_pop(l, 1);
    std::string body;
    if (lua_getfield(l, idx, "body") == LUA_TSTRING) {
        size_t n;
        const char* p = lua_tolstring(l, -1, &n);
        body.assign(p, n);
    }
    lua_pop(l, 1);
    std::string ver = "HTTP/1.1";
    if (ptc_expr* e = compile("req.ver")) {
        ptc_sample v{};
        if (H->expr_eval(s, e, &v) && (v.type == PTC_SMP_STR || v.type == PTC_SMP_BIN) &&
            std::string_view(v.u.str.ptr, v.u.str.len) == "1.0")
            ver = "HTTP/1.0";
    }
    std::string head = ver + " " + status + " " + reason + "\r\n";
    bool chunked = false;
    if (lua_getfield(l, idx, "headers") == LUA_TTABLE) {
        lua_pushnil(l);
        while (lua_next(l, -2)) {
            if (lua_type(l, -2) == LUA_TSTRING && lua_istable(l, -1)) {
                std::string name = lua_tostring(l, -2);
                if (strcasecmp(name.c_str(), "content-length") != 0) {
                    lua_pushnil(l);
                    while (lua_next(l, -2)) {
                        if (lua_isstring(l, -1)) {
                            size_t n;
                            const char* v = lua_tolstring(l, -1, &n);
                            std::string_view val(v, n);
                            if (!strcasecmp(name.c_str(), "transfer-encoding")) {
                                size_t c = val.rfind(',');
                                std::string_view last = c == std::string_view::npos
                                                            ? val : val.substr(c + 1);
                                while (!last.empty() && (last[0] == ' ' || last[0] == '\t'))
                                    last.remove_prefix(1);
                                chunked = last.size() >= 7 &&
                                          !strncasecmp(last.data(), "chunked", 7);
                            }
                            head += name + ": ";
                            head.append(v, n);
                            head += "\r\n";
                        }
                        lua_pop(l, 1);
                    }
                }
            }
            lua_pop(l, 1);
        }
    }
    lua_pop(l, 1);
    if (!chunked)
        head += "content-length: " + std::to_string(body.size()) + "\r\n";
    rc->has_reply = true;
    rc->reply_code = code;
    rc->reply_head = std::move(head);
    rc->reply_body = std::move(body);
}

// Pushes a new object {[0]=s} with the named metatable.
void push_obj(lua_State* l, ptc_stream* s, const char* mt)
{
    lua_createtable(l, 1, 2);
    lua_pushlightuserdata(l, s);
    lua_rawseti(l, -2, 0);
    luaL_setmetatable(l, mt);
}

void push_samples(lua_State* l, ptc_stream* s, bool conv, bool str)
{
    push_obj(l, s, "portico.samples");
    lua_pushboolean(l, conv);
    lua_setfield(l, -2, "__conv");
    lua_pushboolean(l, str);
    lua_setfield(l, -2, "__str");
}

// ---- Channel (txn.req, txn.res) -----------------------------------------------------------
//
// The bytes of a TCP stream's channel: "input" is what the rules have not forwarded yet
// (the host's pending bytes), "output" what was forwarded and waits to be sent. Offsets
// are relative to the input; a negative one counts from its end. Functions that wait for
// bytes (data/line with a length beyond the input, getline, forward, send) yield in an action until the stream's next event, as HAProxy's do; in a
// fetch or a converter they answer with what is there. On an HTTP stream only input,
// output, is_full, may_recv and is_resp are allowed, as HAProxy 2.6.

struct chan_ref {
    ptc_stream* s;
    uint32_t dir;
};

chan_ref check_chan(lua_State* l)
{
    ptc_stream* s = check_stream(l, 1);
    lua_getfield(l, 1, "__dir");
    uint32_t dir = (uint32_t)lua_tointeger(l, -1);
    lua_pop(l, 1);
    return {s, dir};
}

bool stream_is_http(ptc_stream* s)
{
    ptc_proxy* p = H->stream_backend(s);
    if (!p)
        p = H->stream_frontend(s);
    ptc_str m = H->proxy_mode(p);
    return m.len == 4 && !memcmp(m.ptr, "http", 4);
}

// The alteration functions: refused on an HTTP stream with HAProxy's message.
chan_ref check_raw_chan(lua_State* l)
{
    chan_ref c = check_chan(l);
    if (stream_is_http(c.s))
        luaL_error(l, "Cannot manipulate HAProxy channels in HTTP mode.");
    return c;
}

ptc_str chan_input(const chan_ref& c, uint32_t* flags = nullptr)
{
    ptc_str d{nullptr, 0};
    uint32_t fl = H->chan_data(c.s, c.dir, &d);
    if (flags)
        *flags = fl;
    return d;
}

size_t chan_output(const chan_ref& c)
{
    ptc_str d = chan_input(c);
    size_t cap = (size_t)H->global_setting("tune.bufsize");
    size_t room = H->chan_room(c.s, c.dir);
    return cap > room + d.len ? cap - room - d.len : 0;
}

bool chan_input_closed(const chan_ref& c)
{
    return (H->chan_flags(c.s, c.dir) & (PTC_CHAN_EOF | PTC_CHAN_ERROR)) != 0;
}

bool chan_may_recv(const chan_ref& c)
{
    return !chan_input_closed(c) && H->chan_room(c.s, c.dir) > 0;
}

// May this call wait for the stream's next event (an action's coroutine)?
bool chan_can_wait(lua_State* l, const chan_ref& c)
{
    return g_cur && g_cur->s == c.s && !strcmp(g_cur->what, "action") && lua_isyieldable(l);
}

// Yield until the stream's next event, then run `k` again with the same arguments and
// context.
int chan_wait(lua_State* l, lua_KFunction k, lua_KContext ctx = 0)
{
    g_cur->wait_io = true;
    return lua_yieldk(l, 0, ctx, k);
}

// offset (argument i, default 0) into the input of length `in`: a negative one counts from
// the end (clamped to 0); out of range raises HAProxy's error.
size_t chan_offset(lua_State* l, int i, size_t in)
{
    if (lua_gettop(l) < i || lua_isnil(l, i))
        return 0;
    lua_Integer o = luaL_checkinteger(l, i);
    if (o < 0)
        o = (lua_Integer)in + o < 0 ? 0 : (lua_Integer)in + o;
    if ((size_t)o > in)
        luaL_error(l, "offset out of range.");
    return (size_t)o;
}

// data(chn [, offset [, length]]) and line(): length -1 asks for as much as a buffer holds;
// a length beyond the input waits for more bytes while they may come.
int chan_data_k(lua_State* l, int, lua_KContext line)
{
    chan_ref c = check_raw_chan(l);
    uint32_t fl;
    ptc_str in = chan_input(c, &fl);
    size_t off = chan_offset(l, 2, in.len);
    size_t len = in.len - off;
    bool all = true;
    if (lua_gettop(l) >= 3 && !lua_isnil(l, 3)) {
        lua_Integer n = luaL_checkinteger(l, 3);
        all = false;
        if (n == -1)
            len = (size_t)H->global_setting("tune.bufsize");
        else if (n < 0)
            return luaL_error(l, "length out of range.");
        else
            len = (size_t)n;
    }
    if (line) {
        size_t avail = in.len - off < len ? in.len - off : len;
        const void* lf = avail ? memchr(in.ptr + off, '\n', avail) : nullptr;
        if (lf) {
            lua_pushlstring(l, in.ptr + off, (size_t)((const char*)lf - (in.ptr + off)) + 1);
            return 1;
        }
    }
    if (!all && off + len > in.len) {
        if (chan_can_wait(l, c) && chan_may_recv(c))
            return chan_wait(l, chan_data_k, line);
        len = in.len - off;
    }
    if (!len && !in.len && chan_input_closed(c)) {
        lua_pushnil(l);
        return 1;
    }
    lua_pushlstring(l, in.ptr ? in.ptr + off : "", len);
    return 1;
}
int l_chan_data(lua_State* l)
{
    if (lua_gettop(l) > 3)
        return luaL_error(l, "'data' expects at most 2 arguments");
    return chan_data_k(l, 0, 0);
}
int l_chan_line(lua_State* l)
{
    if (lua_gettop(l) > 3)
        return luaL_error(l, "'line' expects at most 2 arguments");
    return chan_data_k(l, 0, 1);
}

// dup() / get(): the whole input (get removes it), "" when there is none yet (they do not
// wait, as HAProxy 2.6's), nil when none came and none will.
int chan_dup(lua_State* l, bool remove)
{
    chan_ref c = check_raw_chan(l);
    ptc_str in = chan_input(c);
    if (!in.len && chan_input_closed(c)) {
        lua_pushnil(l);
        return 1;
    }
    lua_pushlstring(l, in.ptr ? in.ptr : "", in.len);
    if (remove && in.len)
        H->chan_skip(c.s, c.dir, in.len);
    return 1;
}
int l_chan_dup(lua_State* l) { return chan_dup(l, false); }
int l_chan_get(lua_State* l) { return chan_dup(l, true); }

// getline(): the first line of the input, removed; waits for its LF while bytes may come.
int chan_getline_k(lua_State* l, int, lua_KContext)
{
    chan_ref c = check_raw_chan(l);
    ptc_str in = chan_input(c);
    const void* lf = in.len ? memchr(in.ptr, '\n', in.len) : nullptr;
    size_t n = lf ? (size_t)((const char*)lf - in.ptr) + 1 : in.len;
    if (!lf && chan_can_wait(l, c) && chan_may_recv(c))
        return chan_wait(l, chan_getline_k);
    if (!n && chan_input_closed(c)) {
        lua_pushnil(l);
        return 1;
    }
    lua_pushlstring(l, in.ptr ? in.ptr : "", n);
    if (n)
        H->chan_skip(c.s, c.dir, n);
    return 1;
}
int l_chan_getline(lua_State* l) { return chan_getline_k(l, 0, 0); }

// Inserts str at input offset off: its length, or -1 when the buffer has no room.
lua_Integer chan_insert_at(const chan_ref& c, size_t off, const char* str, size_t n)
{
    if (n > H->chan_room(c.s, c.dir))
        return -1;
    return H->chan_replace(c.s, c.dir, off, 0, str, n) == PTC_OK ? (lua_Integer)n : -1;
}

int l_chan_set(lua_State* l)
{
    chan_ref c = check_raw_chan(l);
    size_t n;
    const char* str = luaL_checklstring(l, 2, &n);
    ptc_str in = chan_input(c);
    size_t off = chan_offset(l, 3, in.len);
    size_t len = in.len - off;
    if (lua_gettop(l) >= 4 && !lua_isnil(l, 4)) {
        lua_Integer v = luaL_checkinteger(l, 4);
        if (v < 0 || off + (size_t)v > in.len)
            return luaL_error(l, "length out of range.");
        len = (size_t)v;
    }
    if (n > len && n - len > H->chan_room(c.s, c.dir)) {
        lua_pushinteger(l, -1);
        return 1;
    }
    lua_pushinteger(l, H->chan_replace(c.s, c.dir, off, len, str, n) == PTC_OK ? (lua_Integer)n
                                                                              : -1);
    return 1;
}

int l_chan_append(lua_State* l)
{
    chan_ref c = check_raw_chan(l);
    size_t n;
    const char* str = luaL_checklstring(l, 2, &n);
    lua_pushinteger(l, chan_insert_at(c, chan_input(c).len, str, n));
    return 1;
}

int l_chan_prepend(lua_State* l)
{
    chan_ref c = check_raw_chan(l);
    size_t n;
    const char* str = luaL_checklstring(l, 2, &n);
    lua_pushinteger(l, chan_insert_at(c, 0, str, n));
    return 1;
}

int l_chan_insert(lua_State* l)
{
    chan_ref c = check_raw_chan(l);
    size_t n;
    const char* str = luaL_checklstring(l, 2, &n);
    size_t off = chan_offset(l, 3, chan_input(c).len);
    lua_pushinteger(l, chan_insert_at(c, off, str, n));
    return 1;
}

int l_chan_remove(lua_State* l)
{
    chan_ref c = check_raw_chan(l);
    ptc_str in = chan_input(c);
    size_t off = chan_offset(l, 2, in.len);
    size_t len = in.len - off;
    if (lua_gettop(l) >= 3 && !lua_isnil(l, 3)) {
        lua_Integer v = luaL_checkinteger(l, 3);
        if (v < 0 || off + (size_t)v > in.len)
            return luaL_error(l, "length out of range.");
        len = (size_t)v;
    }
    if (len)
        H->chan_replace(c.s, c.dir, off, len, "", 0);
    lua_pushinteger(l, (lua_Integer)len);
    return 1;
}

// send(chn, str): str goes in front of the input and is forwarded at once; waits for room
// for the rest. The bytes sent, or -1 when the destination is closed.
int chan_send_k(lua_State* l, int, lua_KContext)
{
    chan_ref c = check_raw_chan(l);
    size_t n;
    const char* str = luaL_checklstring(l, 2, &n);
    lua_Integer done = lua_gettop(l) >= 3 ? lua_tointeger(l, 3) : 0;
    lua_settop(l, 2);
    if (H->chan_flags(c.s, c.dir) & PTC_CHAN_SHUTW) {
        lua_pushinteger(l, done ? done : -1);
        return 1;
    }
    size_t left = n - (size_t)done;
    size_t room = H->chan_room(c.s, c.dir);
    size_t k = left < room ? left : room;
    if (k && H->chan_replace(c.s, c.dir, 0, 0, str + done, k) == PTC_OK) {
        H->chan_forward(c.s, c.dir, k);
        done += (lua_Integer)k;
    }
    if ((size_t)done < n && chan_can_wait(l, c)) {
        lua_pushinteger(l, done);
        return chan_wait(l, chan_send_k);
    }
    lua_pushinteger(l, done);
    return 1;
}
int l_chan_send(lua_State* l)
{
    luaL_checkstring(l, 2);
    lua_settop(l, 2);
    return chan_send_k(l, 0, 0);
}

// forward(chn, n): forwards n input bytes, waiting for those not there yet while they may
// come; returns the bytes forwarded.
int chan_forward_k(lua_State* l, int, lua_KContext)
{
    chan_ref c = check_raw_chan(l);
    lua_Integer want = luaL_checkinteger(l, 2);
    lua_Integer done = lua_gettop(l) >= 3 ? lua_tointeger(l, 3) : 0;
    lua_settop(l, 2);
    ptc_str in = chan_input(c);
    size_t k = want - done > (lua_Integer)in.len ? in.len : (size_t)(want - done);
    if (k)
        done += (lua_Integer)H->chan_forward(c.s, c.dir, k);
    lua_pushinteger(l, done);
    if (done < want && !chan_input_closed(c) &&
        !(H->chan_flags(c.s, c.dir) & PTC_CHAN_SHUTW) && chan_can_wait(l, c))
        return chan_wait(l, chan_forward_k);
    return 1;
}
int l_chan_forward(lua_State* l)
{
    luaL_checkinteger(l, 2);
    lua_settop(l, 2);
    return chan_forward_k(l, 0, 0);
}

int l_chan_input(lua_State* l)
{
    lua_pushinteger(l, (lua_Integer)chan_input(check_chan(l)).len);
    return 1;
}
int l_chan_output(lua_State* l)
{
    lua_pushinteger(l, (lua_Integer)chan_output(check_chan(l)));
    return 1;
}
int l_chan_is_full(lua_State* l)
{
    chan_ref c = check_chan(l);
    lua_pushboolean(l, H->chan_room(c.s, c.dir) == 0);
    return 1;
}
int l_chan_is_resp(lua_State* l)
{
    lua_pushboolean(l, check_chan(l).dir == PTC_DIR_RES);
    return 1;
}
int l_chan_may_recv(lua_State* l)
{
    lua_pushboolean(l, chan_may_recv(check_chan(l)));
    return 1;
}

void create_channel_class(lua_State* l)
{
    static const luaL_Reg fns[] = {
        {"data", l_chan_data},       {"line", l_chan_line},
        {"dup", l_chan_dup},         {"get", l_chan_get},
        {"getline", l_chan_getline}, {"set", l_chan_set},
        {"append", l_chan_append},   {"prepend", l_chan_prepend},
        {"insert", l_chan_insert},   {"remove", l_chan_remove},
        {"send", l_chan_send},       {"forward", l_chan_forward},
        {"input", l_chan_input},     {"output", l_chan_output},
        {"get_in_len", l_chan_input}, {"get_out_len", l_chan_output},
        {"is_full", l_chan_is_full}, {"is_resp", l_chan_is_resp},
        {"may_recv", l_chan_may_recv}, {nullptr, nullptr},
    };
    luaL_newmetatable(l, "portico.channel");
    luaL_newlib(l, fns);
    lua_setfield(l, -2, "__index");
    lua_pop(l, 1);
}

void push_chan(lua_State* l, ptc_stream* s, uint32_t dir)
{
    push_obj(l, s, "portico.channel");
    lua_pushinteger(l, dir);
    lua_setfield(l, -2, "__dir");
}

// rs: the rule set the action runs in (0: a fetch or a converter).
void push_txn(lua_State* l, ptc_stream* s, bool http, uint32_t rs = 0)
{
    push_obj(l, s, "portico.txn");
    lua_pushinteger(l, rs);
    lua_setfield(l, -2, "__rs");
    push_chan(l, s, PTC_DIR_REQ);
    lua_setfield(l, -2, "req");
    push_chan(l, s, PTC_DIR_RES);
    lua_setfield(l, -2, "res");
    push_samples(l, s, false, false);
    lua_setfield(l, -2, "f");
    push_samples(l, s, false, true);
    lua_setfield(l, -2, "sf");
    push_samples(l, s, true, false);
    lua_setfield(l, -2, "c");
    push_samples(l, s, true, true);
    lua_setfield(l, -2, "sc");
    if (http) {
        push_obj(l, s, "portico.http");
        lua_pushinteger(l, rs);
        lua_setfield(l, -2, "__rs");
        lua_setfield(l, -2, "http");
    }
}

// ---- core ---------------------------------------------------------------------------------

int l_core_log(lua_State* l)
{
    lua_Integer lvl = luaL_checkinteger(l, 1);
    const char* m = luaL_checkstring(l, 2);
    H->log((uint32_t)(lvl & 7), "%s", m);
    return 0;
}
int level_log(lua_State* l, uint32_t lvl)
{
    H->log(lvl, "%s", luaL_checkstring(l, 1));
    return 0;
}
int l_core_debug(lua_State* l) { return level_log(l, PTC_LOG_DEBUG); }
int l_core_info(lua_State* l) { return level_log(l, PTC_LOG_INFO); }
int l_core_warning(lua_State* l) { return level_log(l, PTC_LOG_WARNING); }
int l_core_alert(lua_State* l) { return level_log(l, PTC_LOG_ALERT); }

int l_core_now(lua_State* l)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_createtable(l, 0, 2);
    lua_pushinteger(l, ts.tv_sec);
    lua_setfield(l, -2, "sec");
    lua_pushinteger(l, ts.tv_nsec / 1000);
    lua_setfield(l, -2, "usec");
    return 1;
}

int l_core_msleep_ms(lua_State* l, uint64_t ms)
{
    if (!g_cur || !lua_isyieldable(l))
        return luaL_error(l, "cannot sleep here (not in an action, service or task)");
    g_cur->wake_at = H->now_ms() + (ms ? ms : 1);
    return lua_yield(l, 0);
}
int l_core_msleep(lua_State* l)
{
    lua_Integer ms = luaL_checkinteger(l, 1);
    return l_core_msleep_ms(l, ms > 0 ? (uint64_t)ms : 0);
}
int l_core_sleep(lua_State* l)
{
    lua_Integer sec = luaL_checkinteger(l, 1);
    return l_core_msleep_ms(l, sec > 0 ? (uint64_t)sec * 1000 : 0);
}
int l_core_yield(lua_State* l)
{
    if (!g_cur || !lua_isyieldable(l))
        return luaL_error(l, "cannot yield here (not in an action, service or task)");
    g_cur->wake_at = 0;
    return lua_yield(l, 0);
}

int l_core_get_info(lua_State* l)
{
    lua_newtable(l);
    lua_pushstring(l, H->version);
    lua_setfield(l, -2, "Version");
    lua_pushinteger(l, (lua_Integer)getpid());
    lua_setfield(l, -2, "Pid");
    lua_pushinteger(l, (lua_Integer)H->global_setting("maxconn"));
    lua_setfield(l, -2, "Maxconn");
    lua_pushinteger(l, (lua_Integer)(H->worker_slot() + 1));
    lua_setfield(l, -2, "Process_num");
    return 1;
}

// Names are copied and kept for the life of the process (the host keeps the pointers).
const char* keep(const std::string& s)
{
    static std::deque<std::string> store;
    store.push_back(s);
    return store.back().c_str();
}

int fetch_lua(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv);
int conv_lua(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* io, void* priv);
constexpr size_t k_max_services = 64;
lfn* g_svc[k_max_services];
size_t g_svc_count;
extern const std::array<int (*)(ptc_svc_txn*), k_max_services> k_svc_runs;
void svc_release(ptc_svc_txn* t);

bool in_master_parse = false;

int l_register_action(lua_State* l)
{
    std::string name = luaL_checkstring(l, 1);
    luaL_checktype(l, 2, LUA_TTABLE);
    luaL_checktype(l, 3, LUA_TFUNCTION);
    int nargs = (int)luaL_optinteger(l, 4, 0);
    if (!in_master_parse)
        return luaL_error(l, "register_action: only while the configuration is read");
    uint32_t rs = 0;
    lua_Integer n = (lua_Integer)lua_rawlen(l, 2);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(l, 2, i);
        std::string w = luaL_checkstring(l, -1);
        lua_pop(l, 1);
        if (w == "http-req")
            rs |= 1u << PTC_RULES_HTTP_REQ;
        else if (w == "http-res")
            rs |= 1u << PTC_RULES_HTTP_RES;
        else if (w == "tcp-req")
            rs |= 1u << PTC_RULES_TCP_REQ_CONTENT;
        else if (w == "tcp-res")
            rs |= 1u << PTC_RULES_TCP_RES_CONTENT;
        else if (w == "http-after-res")
            rs |= 1u << PTC_RULES_HTTP_AFTER_RES;
        else
            return luaL_error(l, "register_action: unknown action type '%s'", w.c_str());
    }
    if (g_actions.count(name))
        return luaL_error(l, "register_action: action '%s' is already registered", name.c_str());
    g_fns.push_back(lfn{K_ACTION, name});
    lfn* f = &g_fns.back();
    lua_pushvalue(l, 3);
    f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
    f->nargs = nargs;
    f->rulesets = rs;
    g_actions[name] = f;
    return 0;
}

int l_register_fetches(lua_State* l)
{
    std::string name = luaL_checkstring(l, 1);
    luaL_checktype(l, 2, LUA_TFUNCTION);
    if (!in_master_parse)
        return luaL_error(l, "register_fetches: only while the configuration is read");
    g_fns.push_back(lfn{K_FETCH, "lua." + name});
    lfn* f = &g_fns.back();
    lua_pushvalue(l, 2);
    f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
    ptc_fetch d = {keep(f->name), PTC_SMP_STR, PTC_USE_ANY, 0, 5, nullptr, nullptr,
                   keep(f->name + "([<arg>,...])")};
    if (H->fetch_register(SELF, &d, sizeof(d), fetch_lua, f) != PTC_OK)
        return luaL_error(l, "register_fetches: cannot register '%s'", f->name.c_str());
    return 0;
}

int l_register_converters(lua_State* l)
{
    std::string name = luaL_checkstring(l, 1);
    luaL_checktype(l, 2, LUA_TFUNCTION);
    if (!in_master_parse)
        return luaL_error(l, "register_converters: only while the configuration is read");
    g_fns.push_back(lfn{K_CONV, "lua." + name});
    lfn* f = &g_fns.back();
    lua_pushvalue(l, 2);
    f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
    ptc_conv d = {keep(f->name), PTC_SMP_STR, PTC_SMP_STR, 0, 5, nullptr, nullptr,
                  keep(f->name + "([<arg>,...])")};
    if (H->conv_register(SELF, &d, sizeof(d), conv_lua, f) != PTC_OK)
        return luaL_error(l, "register_converters: cannot register '%s'", f->name.c_str());
    return 0;
}

struct svc_ctx {
    run_ctx* rc;
    lfn* f;
    ptc_svc_txn* t;
    std::string out;  // written by applet:send, not yet taken by the runner
    std::string body; // the request body
    size_t body_pos;
    bool finished;
    int status;       // applet:set_status (0: 200)
    bool has_len;     // applet:add_header("content-length", ...)
};

int l_register_service(lua_State* l)
{
    std::string name = luaL_checkstring(l, 1);
    std::string mode = luaL_checkstring(l, 2);
    luaL_checktype(l, 3, LUA_TFUNCTION);
    if (!in_master_parse)
        return luaL_error(l, "register_service: only while the configuration is read");
    if (mode == "tcp") {
        if (g_tcp_svcs.count("lua." + name))
            return luaL_error(l, "register_service: service '%s' is already registered",
                              name.c_str());
        g_fns.push_back(lfn{K_SERVICE_TCP, "lua." + name});
        lfn* f = &g_fns.back();
        lua_pushvalue(l, 3);
        f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
        g_tcp_svcs[f->name] = f;
        return 0;
    }
    if (mode != "http")
        return luaL_error(l, "register_service: mode '%s' is unknown (http or tcp expected)",
                          mode.c_str());
    g_fns.push_back(lfn{K_SERVICE_HTTP, "lua." + name});
    lfn* f = &g_fns.back();
    lua_pushvalue(l, 3);
    f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
    ptc_service d{};
    d.size = sizeof(d);
    d.name = keep(f->name);
    d.ctx_size = sizeof(svc_ctx*);
    d.max_body = (uint32_t)H->global_setting("tune.bufsize");
    if (!d.max_body)
        d.max_body = 16384;
    if (g_svc_count >= k_max_services)
        return luaL_error(l, "register_service: too many Lua services (64 at most)");
    g_svc[g_svc_count] = f;
    d.run = k_svc_runs[g_svc_count++];
    d.release = svc_release;
    d.help = keep("Lua service " + name);
    if (H->service_register(SELF, &d, sizeof(d)) != PTC_OK)
        return luaL_error(l, "register_service: cannot register '%s'", name.c_str());
    return 0;
}

int l_register_task(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TFUNCTION);
    g_fns.push_back(lfn{K_TASK, "task"});
    lfn* f = &g_fns.back();
    lua_pushvalue(l, 1);
    f->ref = luaL_ref(l, LUA_REGISTRYINDEX);
    g_tasks.push_back(f);
    return 0;
}

int l_register_init(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TFUNCTION);
    lua_pushvalue(l, 1);
    g_inits.push_back(luaL_ref(l, LUA_REGISTRYINDEX));
    return 0;
}

// ---- runtime API commands (core.register_cli) --------------------------------------------
// They run in the master, which serves the runtime API, on its own copy of the state, as
// plain calls: the function cannot wait (core.sleep raises an error there).

struct cli_ent {
    std::vector<std::string> words;
    int ref;
};
std::deque<cli_ent> g_clis;
ptc_cli_reply* g_cli_reply;

int l_cli_send(lua_State* l)
{
    size_t n;
    const char* p = luaL_checklstring(l, 2, &n);
    if (g_cli_reply)
        H->cli_printf(g_cli_reply, "%.*s", (int)n, p);
    return 0;
}

int l_cli_missing(lua_State* l)
{
    return luaL_error(l, "this AppletTCP function is not supported yet in a Lua CLI command");
}

int cli_fn(ptc_modref*, uint32_t argc, const ptc_str* args, ptc_cli_reply* r)
{
    const cli_ent* best = nullptr;
    for (const cli_ent& c : g_clis) {
        if (c.words.size() > argc)
            continue;
        bool ok = true;
        for (size_t i = 0; i < c.words.size() && ok; i++)
            ok = c.words[i] == std::string_view(args[i].ptr, args[i].len);
        if (ok && (!best || c.words.size() > best->words.size()))
            best = &c;
    }
    if (!best)
        return PTC_ERROR;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, best->ref);
    lua_newtable(L); // the applet: send() writes the answer
    lua_pushcfunction(L, l_cli_send);
    lua_setfield(L, -2, "send");
    for (const char* m : {"getline", "receive"}) {
        lua_pushcfunction(L, l_cli_missing);
        lua_setfield(L, -2, m);
    }
    for (uint32_t i = 0; i < argc; i++)
        lua_pushlstring(L, args[i].ptr, args[i].len);
    g_cli_reply = r;
    g_call_start = mono_ms();
    g_call_timeout = C.session_to;
    run_ctx* saved = g_cur;
    g_cur = nullptr;
    if (lua_pcall(L, 1 + (int)argc, 0, 0) != LUA_OK) {
        const char* m = lua_tostring(L, -1);
        H->log(PTC_LOG_ERR, "Lua cli '%s': runtime error: %s.", best->words[0].c_str(),
               m ? m : "unknown error");
        H->cli_printf(r, "Lua error: %s\n", m ? m : "unknown error");
    }
    g_cur = saved;
    g_cli_reply = nullptr;
    lua_settop(L, top);
    return PTC_OK;
}

int l_register_cli(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    const char* usage = luaL_checkstring(l, 2);
    luaL_checktype(l, 3, LUA_TFUNCTION);
    if (!in_master_parse)
        return luaL_error(l, "register_cli: only while the configuration is read");
    cli_ent e;
    lua_Integer n = (lua_Integer)lua_rawlen(l, 1);
    std::string words;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(l, 1, i);
        e.words.emplace_back(luaL_checkstring(l, -1));
        lua_pop(l, 1);
        words += (i > 1 ? " " : "") + e.words.back();
    }
    if (e.words.empty() || e.words.size() > 5)
        return luaL_error(l, "register_cli: 1 to 5 words expected");
    lua_pushvalue(l, 3);
    e.ref = luaL_ref(l, LUA_REGISTRYINDEX);
    g_clis.push_back(std::move(e));
    ptc_cli_cmd c{keep(words), keep(words), keep(usage), PTC_CLI_USER, cli_fn};
    if (H->cli_register(SELF, &c, sizeof(c)) != PTC_OK)
        return luaL_error(l, "register_cli: cannot register '%s'", words.c_str());
    return 0;
}

// core.add_acl/del_acl/set_map/del_map(file, key[, value]): the set-map family's shared
// change (host->pattern_change, ABI 1.15), seen by every worker.
template <uint32_t Op> int l_pattern_change(lua_State* l)
{
    size_t fl, kl, vl = 0;
    const char* f = luaL_checklstring(l, 1, &fl);
    const char* k = luaL_checklstring(l, 2, &kl);
    const char* v = Op == PTC_PAT_SET_MAP ? luaL_checklstring(l, 3, &vl) : "";
    const char* name = Op == PTC_PAT_ADD_ACL ? "add_acl" : Op == PTC_PAT_DEL_ACL ? "del_acl"
                       : Op == PTC_PAT_SET_MAP ? "set_map" : "del_map";
    if (H->abi_minor < 15 || !H->pattern_change)
        return luaL_error(l, "core.%s: not supported by this host", name);
    if (!H->pattern_change(ptc_str{f, fl}, Op, ptc_str{k, kl}, ptc_str{v, vl}))
        return luaL_error(l, "'%s': unknown %s file '%s'", name,
                          Op == PTC_PAT_ADD_ACL || Op == PTC_PAT_DEL_ACL ? "acl" : "map", f);
    return 0;
}

void set_missing(lua_State* l, const char* name, const char* full)
{
    lua_pushstring(l, full);
    lua_pushcclosure(l, l_missing, 1);
    lua_setfield(l, -2, name);
}

// ---- cosockets (core.tcp) -----------------------------------------------------------------
// A Socket wraps an outgoing connection of the worker (host->conn_new). connect, send and
// receive wait by yielding the coroutine; the connection's events wake the run (its stream,
// or its task) and the function goes on from its continuation.

struct lsock {
    ptc_conn* c = nullptr;
    run_ctx* waiter = nullptr; // the run waiting for an event of this socket
    uint64_t timeout = 0;      // ms, 0: none
    bool connected = false;
    bool failed = false;
    bool closed = false;
    int err = 0;
    std::string rbuf; // bytes received and taken from the connection, not yet returned
    size_t roff = 0;  // rbuf's first byte not yet returned
    size_t soff = 0;  // bytes of the current send() queued so far
    // connect_ssl: the ssl module's TLS client, driven over the connection
    const ptc_transport* tt = nullptr;
    void* tctx = nullptr;
    std::string raw_out; // TLS records not yet taken by the connection
    bool tls_ready = false;
    bool tls_failed = false;
    bool raw_eof = false; // every raw byte consumed after the peer's EOF
    sockaddr_storage peer{}; // the address connected to (getpeername)
};

const ptc_ssl_api* g_ssl = nullptr; // the ssl module's API (connect_ssl), if loaded
const ptc_stick_api* g_stick = nullptr; // the stick module's API (StickTable), if loaded

std::vector<lsock*> g_socks; // live sockets (few per worker)

lsock* check_sock(lua_State* l)
{
    return (lsock*)luaL_checkudata(l, 1, "portico.socket");
}

void sock_wake(lsock* k)
{
    run_ctx* rc = k->waiter;
    if (!rc)
        return;
    rc->wake_at = 0;
    if (rc->s)
        H->stream_wake(rc->s);
    else if (rc->own)
        H->task_schedule(rc->own, 0);
}

void tls_fail(lsock* k)
{
    k->tls_failed = true;
}

void tls_flush(lsock* k)
{
    while (k->c && !k->raw_out.empty()) {
        size_t n = H->conn_send(k->c, k->raw_out.data(), k->raw_out.size());
        if (!n)
            break;
        k->raw_out.erase(0, n);
    }
}

// Sends what TLS has to send of its own (handshake records, alerts).
void tls_pump_out(lsock* k)
{
    if (!k->tt || k->tls_failed)
        return;
    tls_flush(k);
    while (k->raw_out.empty() && k->tt->want_send(k->tctx)) {
        char buf[4096];
        size_t used = 0, made = 0;
        if (k->tt->encode(k->tctx, nullptr, 0, &used, buf, sizeof(buf), &made) != PTC_OK) {
            tls_fail(k);
            return;
        }
        if (!made)
            break;
        k->raw_out.append(buf, made);
        tls_flush(k);
    }
}

// Decodes the raw bytes received into the socket's buffer (<capped>, from the connection's
// events while nobody reads: while it holds less than 64 KiB not yet returned).
void tls_pump_in(lsock* k, bool capped)
{
    if (!k->tt || !k->c || k->tls_failed)
        return;
    for (int guard = 0; guard < 64; guard++) {
        if (capped && k->rbuf.size() - k->roff >= 65536)
            break;
        ptc_str in{};
        uint32_t fl = H->conn_data(k->c, &in);
        bool eof = fl & (PTC_CONN_EOF | PTC_CONN_ERROR);
        char buf[16384];
        size_t used = 0, made = 0;
        int rc = k->tt->decode(k->tctx, in.ptr, in.len, &used, buf, sizeof(buf), &made,
                               eof && !in.len);
        if (made) {
            if (k->roff && k->roff >= k->rbuf.size() / 2) {
                k->rbuf.erase(0, k->roff);
                k->roff = 0;
            }
            k->rbuf.append(buf, made);
        }
        if (used)
            H->conn_consume(k->c, used);
        if (rc == PTC_ERROR) {
            tls_fail(k);
            break;
        }
        if (!k->tls_ready && (!k->tt->ready || k->tt->ready(k->tctx)))
            k->tls_ready = true;
        k->raw_eof = eof && used == in.len && !made;
        if (k->raw_eof && !k->tls_ready) { // the peer closed during the handshake
            tls_fail(k);
            break;
        }
        if (!used && !made)
            break;
    }
    tls_pump_out(k);
}

void sock_cb(ptc_conn*, void* ctx, uint32_t ev)
{
    lsock* k = (lsock*)ctx;
    if (ev & PTC_CEV_CONNECTED)
        k->connected = true;
    if (ev & PTC_CEV_ERROR) {
        k->failed = true;
        k->err = H->conn_error(k->c);
    }
    if (k->tt && !k->failed) {
        if (ev & PTC_CEV_DATA)
            tls_pump_in(k, true);
        tls_pump_out(k);
    }
    sock_wake(k);
}

void sockets_forget(run_ctx* rc)
{
    for (lsock* k : g_socks)
        if (k->waiter == rc)
            k->waiter = nullptr;
}

void sock_close(lsock* k)
{
    if (k->tt) {
        k->tt->release(k->tctx);
        k->tt = nullptr;
        k->tctx = nullptr;
    }
    if (k->c && !k->closed)
        H->conn_close(k->c);
    k->closed = true;
    k->c = nullptr;
}

int l_sock_gc(lua_State* l)
{
    lsock* k = check_sock(l);
    sock_close(k);
    for (size_t i = 0; i < g_socks.size(); i++)
        if (g_socks[i] == k) {
            g_socks[i] = g_socks.back();
            g_socks.pop_back();
            break;
        }
    // free its buffers; what stays is an empty closed socket (a resurrected object)
    k->~lsock();
    new (k) lsock();
    k->closed = true;
    return 0;
}

// Waits for an event (or the socket's timeout), then calls k again.
int sock_wait(lua_State* l, lsock* k, lua_KFunction kf, lua_KContext deadline)
{
    if (!g_cur || !lua_isyieldable(l))
        return luaL_error(l, "Socket: cannot wait here (not in an action, service or task)");
    k->waiter = g_cur;
    g_cur->wake_at = deadline ? (uint64_t)deadline : H->now_ms() + 86400000;
    return lua_yieldk(l, 0, deadline, kf);
}

uint64_t sock_deadline(lsock* k)
{
    return k->timeout ? H->now_ms() + k->timeout : 0;
}

int sock_connect_k(lua_State* l, int, lua_KContext dl)
{
    lsock* k = check_sock(l);
    k->waiter = nullptr;
    if (k->connected && !k->failed && (!k->tt || k->tls_ready)) {
        lua_pushinteger(l, 1);
        return 1;
    }
    if (k->tt && k->tls_failed) {
        const char* why = g_ssl->transport_error(k->tctx);
        lua_pushnil(l);
        lua_pushstring(l, why ? why : "SSL handshake failure");
        return 2;
    }
    if (k->failed || k->closed) {
        lua_pushnil(l);
        lua_pushstring(l, k->err ? strerror(k->err) : "connection failed");
        return 2;
    }
    if (dl && H->now_ms() >= (uint64_t)dl) {
        lua_pushnil(l);
        lua_pushliteral(l, "timeout");
        return 2;
    }
    return sock_wait(l, k, sock_connect_k, dl);
}

// An address in HAProxy's format for a connection: "ip:port", "[ipv6]:port", "ipv4@",
// "ipv6@" prefixes, or a unix socket ("unix@path", or a path starting with '/'); <port>
// (nonzero) replaces the port of the string. Returns an error text, or nullptr.
const char* parse_connect_addr(std::string host, lua_Integer port, sockaddr_storage* ss,
                               socklen_t* len)
{
    *ss = sockaddr_storage{};
    if (host.rfind("unix@", 0) == 0 || (!host.empty() && host[0] == '/')) {
        if (host[0] != '/')
            host = host.substr(5);
        auto* un = (sockaddr_un*)ss;
        if (host.empty() || host.size() >= sizeof(un->sun_path))
            return "invalid unix socket path";
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, host.data(), host.size());
        *len = (socklen_t)(offsetof(sockaddr_un, sun_path) + host.size() + 1);
        return nullptr;
    }
    int fam = 0;
    if (host.rfind("ipv4@", 0) == 0) {
        fam = AF_INET;
        host = host.substr(5);
    } else if (host.rfind("ipv6@", 0) == 0) {
        fam = AF_INET6;
        host = host.substr(5);
    }
    size_t c = host.rfind(':');
    bool bracket_end = !host.empty() && host.back() == ']';
    // "ip:port" in the string (an IPv6 address alone has colons: bracketed, or no port)
    if (c != std::string::npos && !bracket_end &&
        (host.find(':') == c || (host.front() == '[' && c > 0 && host[c - 1] == ']'))) {
        if (!port)
            port = strtol(host.c_str() + c + 1, nullptr, 10);
        host.resize(c);
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (port <= 0 || port > 65535)
        return "no port";
    if (fam != AF_INET6 && inet_pton(AF_INET, host.c_str(), &((sockaddr_in*)ss)->sin_addr) == 1) {
        ((sockaddr_in*)ss)->sin_family = AF_INET;
        ((sockaddr_in*)ss)->sin_port = htons((uint16_t)port);
        *len = sizeof(sockaddr_in);
        return nullptr;
    }
    if (fam != AF_INET && inet_pton(AF_INET6, host.c_str(), &((sockaddr_in6*)ss)->sin6_addr) == 1) {
        ((sockaddr_in6*)ss)->sin6_family = AF_INET6;
        ((sockaddr_in6*)ss)->sin6_port = htons((uint16_t)port);
        *len = sizeof(sockaddr_in6);
        return nullptr;
    }
    return "an IP address is expected (no DNS resolution)";
}

int sock_connect(lua_State* l, bool tls)
{
    lsock* k = check_sock(l);
    std::string host = luaL_checkstring(l, 2);
    lua_Integer port = luaL_optinteger(l, 3, 0);
    if (k->c)
        return luaL_error(l, "Socket:connect(): already connected");
    struct sockaddr_storage ss{};
    socklen_t len = 0;
    if (const char* e = parse_connect_addr(host, port, &ss, &len)) {
        if (!strcmp(e, "no port"))
            return luaL_error(l, "Socket:connect(): no port");
        lua_pushnil(l);
        lua_pushfstring(l, "Socket:connect(): %s", e);
        return 2;
    }
    if (tls && (!g_ssl || g_ssl->size < offsetof(ptc_ssl_api, client_transport) +
                                             sizeof(g_ssl->client_transport)))
        return luaL_error(l, "Socket:connect_ssl(): no TLS (the ssl module is not loaded)");
    k->c = H->conn_new(SELF, (sockaddr*)&ss, len, nullptr, 0, sock_cb, k);
    if (!k->c) {
        lua_pushnil(l);
        lua_pushstring(l, strerror(errno));
        return 2;
    }
    k->peer = ss;
    if (tls) {
        // as HAProxy's hidden "ssl verify none" server: no SNI, no verification
        if (g_ssl->client_transport(nullptr, nullptr, 0, &k->tt, &k->tctx) != PTC_OK) {
            k->tt = nullptr;
            sock_close(k);
            lua_pushnil(l);
            lua_pushliteral(l, "Socket:connect_ssl(): no TLS client");
            return 2;
        }
        tls_pump_out(k); // the ClientHello leaves once connected
    }
    return sock_connect_k(l, 0, (lua_KContext)sock_deadline(k));
}

int l_sock_connect(lua_State* l) { return sock_connect(l, false); }
int l_sock_connect_ssl(lua_State* l) { return sock_connect(l, true); }

// send(data [, start [, end]]): queues the bytes data[start..end], waiting for room in
// the connection's output buffer as long as needed (or the socket's timeout).
int sock_send_k(lua_State* l, int, lua_KContext dl)
{
    lsock* k = check_sock(l);
    k->waiter = nullptr;
    size_t n;
    const char* p = luaL_checklstring(l, 2, &n);
    lua_Integer from = luaL_optinteger(l, 3, 1), to = luaL_optinteger(l, 4, -1);
    if (from < 0)
        from = (lua_Integer)n + from + 1;
    if (to < 0)
        to = (lua_Integer)n + to + 1;
    if (from < 1)
        from = 1;
    if (to > (lua_Integer)n)
        to = (lua_Integer)n;
    size_t len = to >= from ? (size_t)(to - from + 1) : 0;
    p += from - 1;
    if (!k->c || k->failed) {
        size_t done = k->soff;
        k->soff = 0;
        lua_pushnil(l);
        lua_pushliteral(l, "closed");
        lua_pushinteger(l, (lua_Integer)done);
        return 3;
    }
    if (k->tt && k->tls_failed) {
        size_t done = k->soff;
        k->soff = 0;
        lua_pushnil(l);
        lua_pushliteral(l, "closed");
        lua_pushinteger(l, (lua_Integer)done);
        return 3;
    }
    while (k->soff < len) {
        if (k->tt) {
            tls_flush(k);
            if (!k->tls_ready || !k->raw_out.empty())
                break;
            char buf[16384 + 1024];
            size_t used = 0, made = 0;
            size_t n = std::min(len - k->soff, (size_t)16384);
            if (k->tt->encode(k->tctx, p + k->soff, n, &used, buf, sizeof(buf), &made) !=
                PTC_OK) {
                tls_fail(k);
                break;
            }
            k->raw_out.append(buf, made);
            tls_flush(k);
            if (!used)
                break;
            k->soff += used;
            continue;
        }
        size_t q = H->conn_send(k->c, p + k->soff, len - k->soff);
        if (!q)
            break;
        k->soff += q;
    }
    if (k->soff >= len) {
        k->soff = 0;
        lua_pushinteger(l, (lua_Integer)len);
        return 1;
    }
    if (dl && H->now_ms() >= (uint64_t)dl) {
        size_t done = k->soff;
        k->soff = 0;
        lua_pushnil(l);
        lua_pushliteral(l, "timeout");
        lua_pushinteger(l, (lua_Integer)done);
        return 3;
    }
    return sock_wait(l, k, sock_send_k, dl);
}

int l_sock_send(lua_State* l)
{
    lsock* k = check_sock(l);
    lua_settop(l, 4);
    k->soff = 0;
    return sock_send_k(l, 0, (lua_KContext)sock_deadline(k));
}

// Moves what the connection received into the socket's own buffer (so that a read of more
// than the connection's 16 KiB can complete); returns true at the peer's EOF or an error.
bool sock_pull(lsock* k)
{
    if (!k->c)
        return true;
    if (k->tt) {
        tls_pump_in(k, false);
        return k->raw_eof || k->tls_failed;
    }
    ptc_str in{};
    uint32_t f = H->conn_data(k->c, &in);
    if (in.len) {
        if (k->roff && k->roff >= k->rbuf.size() / 2) {
            k->rbuf.erase(0, k->roff);
            k->roff = 0;
        }
        k->rbuf.append(in.ptr, in.len);
        H->conn_consume(k->c, in.len);
    }
    return (f & (PTC_CONN_EOF | PTC_CONN_ERROR)) != 0;
}

// receive([pattern [, prefix]]): "*l" (default) a line without its CR LF, "*a" until the
// peer closes, a number: that many bytes.
int sock_receive_k(lua_State* l, int, lua_KContext dl)
{
    lsock* k = check_sock(l);
    k->waiter = nullptr;
    if (!k->c && k->roff >= k->rbuf.size()) {
        lua_pushnil(l);
        lua_pushliteral(l, "closed");
        return 2;
    }
    bool eof = sock_pull(k);
    std::string_view d(k->rbuf.data() + k->roff, k->rbuf.size() - k->roff);
    size_t take = 0, keep = 0;
    bool ready = false;
    if (lua_type(l, 2) == LUA_TNUMBER) {
        lua_Integer w = lua_tointeger(l, 2);
        size_t want = w > 0 ? (size_t)w : 0;
        if (d.size() >= want) {
            take = keep = want;
            ready = true;
        }
    } else {
        std::string pat = luaL_optstring(l, 2, "*l");
        if (pat == "*a") {
            if (eof && !d.empty()) { // nothing left: nil, "connection closed." as HAProxy
                take = keep = d.size();
                ready = true;
            }
        } else if (pat == "*l") {
            size_t e = d.find('\n');
            if (e != std::string_view::npos) {
                take = e + 1;
                keep = e > 0 && d[e - 1] == '\r' ? e - 1 : e;
                ready = true;
            }
        } else
            return luaL_error(l, "Socket:receive(): invalid pattern '%s'", pat.c_str());
    }
    const char* prefix = luaL_optstring(l, 3, "");
    if (ready) {
        std::string out = prefix;
        out.append(d.data(), keep);
        k->roff += take;
        lua_pushlstring(l, out.data(), out.size());
        return 1;
    }
    bool timeout = dl && H->now_ms() >= (uint64_t)dl;
    if ((eof || timeout) && !d.empty()) {
        // HAProxy 2.6 returns what came as a success when the peer closes or the time is up
        std::string out = prefix;
        out.append(d.data(), d.size());
        k->roff += d.size();
        lua_pushlstring(l, out.data(), out.size());
        return 1;
    }
    if (eof || timeout) {
        std::string part = prefix;
        lua_pushnil(l);
        lua_pushstring(l, timeout ? "timeout" : "connection closed.");
        lua_pushlstring(l, part.data(), part.size());
        return 3;
    }
    return sock_wait(l, k, sock_receive_k, dl);
}

int l_sock_receive(lua_State* l)
{
    lsock* k = check_sock(l);
    lua_settop(l, 3);
    return sock_receive_k(l, 0, (lua_KContext)sock_deadline(k));
}

int l_sock_settimeout(lua_State* l)
{
    lsock* k = check_sock(l);
    lua_Number sec = luaL_checknumber(l, 2);
    k->timeout = sec > 0 ? (uint64_t)(sec * 1000) : 0;
    lua_pushinteger(l, 1);
    return 1;
}

// getpeername(): "ip:port", "[ipv6]:port" or the unix socket's path; nil when not connected.
// HAProxy's format of a socket address: "ip:port", "[ip6]:port", a UNIX path; nil else.
void push_sock_addr(lua_State* l, const sockaddr_storage& ss)
{
    char a[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_UNIX) {
        lua_pushstring(l, ((const sockaddr_un*)&ss)->sun_path);
    } else if (ss.ss_family == AF_INET) {
        auto* in = (const sockaddr_in*)&ss;
        inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
        lua_pushfstring(l, "%s:%d", a, (int)ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        auto* in6 = (const sockaddr_in6*)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
        lua_pushfstring(l, "[%s]:%d", a, (int)ntohs(in6->sin6_port));
    } else {
        lua_pushnil(l);
    }
}

int l_sock_getpeername(lua_State* l)
{
    lsock* k = check_sock(l);
    if (!k->c || k->failed)
        lua_pushnil(l);
    else
        push_sock_addr(l, k->peer);
    return 1;
}

// getsockname(): the local address of the connection ("ip:port"), nil when none.
int l_sock_getsockname(lua_State* l)
{
    lsock* k = check_sock(l);
    sockaddr_storage ss{};
    if (!k->c || k->failed || !PTC_HOST_HAS(H, conn_addr) ||
        !H->conn_addr(k->c, PTC_CONN_ADDR_LOCAL, &ss))
        lua_pushnil(l);
    else
        push_sock_addr(l, ss);
    return 1;
}

// setoption(): accepted and ignored, as HAProxy 2.6 does.
int l_sock_setoption(lua_State*) { return 0; }

int l_sock_close(lua_State* l)
{
    sock_close(check_sock(l));
    lua_pushinteger(l, 1);
    return 1;
}

int l_core_tcp(lua_State* l)
{
    lsock* k = (lsock*)lua_newuserdatauv(l, sizeof(lsock), 0);
    new (k) lsock();
    g_socks.push_back(k);
    luaL_setmetatable(l, "portico.socket");
    return 1;
}

void create_socket_class(lua_State* l)
{
    static const luaL_Reg fns[] = {
        {"connect", l_sock_connect},       {"connect_ssl", l_sock_connect_ssl},
        {"send", l_sock_send},             {"getpeername", l_sock_getpeername},
        {"setoption", l_sock_setoption},   {"getsockname", l_sock_getsockname},
        {"receive", l_sock_receive},       {"settimeout", l_sock_settimeout},
        {"close", l_sock_close},           {nullptr, nullptr},
    };
    luaL_newmetatable(l, "portico.socket");
    luaL_newlib(l, fns);
    lua_setfield(l, -2, "__index");
    lua_pushcfunction(l, l_sock_gc);
    lua_setfield(l, -2, "__gc");
    lua_pop(l, 1);
}

// ---- core.parse_addr / core.match_addr ------------------------------------------------------
// A network: an IPv4 address with an optional "/bits" or "/dotted.mask", or an IPv6 address
// with an optional "/bits" (no name resolution), as HAProxy's str2net / str62net.
struct lnet {
    int family;
    unsigned char ip[16];
    unsigned char mask[16];
};

void mask_bits(unsigned char* m, int n, int bits)
{
    memset(m, 0, 16);
    for (int i = 0; i < n && bits > 0; i++, bits -= 8)
        m[i] = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
}

bool parse_net(std::string s, lnet* out)
{
    std::string m;
    size_t sl = s.find('/');
    if (sl != std::string::npos) {
        m = s.substr(sl + 1);
        s.resize(sl);
        if (m.empty())
            return false;
    }
    auto bits_of = [](const std::string& x, int max) -> int {
        if (x.empty() || x.size() > 3 || x.find_first_not_of("0123456789") != std::string::npos)
            return -1;
        int b = atoi(x.c_str());
        return b <= max ? b : -1;
    };
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s.c_str(), out->ip) == 1) {
        out->family = AF_INET;
        if (m.empty()) {
            mask_bits(out->mask, 4, 32);
        } else if (m.find('.') != std::string::npos) {
            if (inet_pton(AF_INET, m.c_str(), out->mask) != 1)
                return false;
        } else {
            int b = bits_of(m, 32);
            if (b < 0)
                return false;
            mask_bits(out->mask, 4, b);
        }
        for (int i = 0; i < 4; i++)
            out->ip[i] &= out->mask[i];
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), out->ip) == 1) {
        out->family = AF_INET6;
        int b = m.empty() ? 128 : bits_of(m, 128);
        if (b < 0)
            return false;
        mask_bits(out->mask, 16, b);
        return true;
    }
    return false;
}

int l_core_parse_addr(lua_State* l)
{
    const char* str = luaL_checkstring(l, 1);
    lnet n;
    if (!parse_net(str, &n)) {
        lua_pushnil(l);
        return 1;
    }
    lnet* u = (lnet*)lua_newuserdatauv(l, sizeof(lnet), 0);
    *u = n;
    luaL_setmetatable(l, "portico.net");
    return 1;
}

// true when each network's address, masked by the other's mask, is the same: one holds the
// other (HAProxy's test).
int l_core_match_addr(lua_State* l)
{
    lnet* a = (lnet*)luaL_testudata(l, 1, "portico.net");
    lnet* b = (lnet*)luaL_testudata(l, 2, "portico.net");
    bool ok = a && b && a->family == b->family;
    int n = ok && a->family == AF_INET ? 4 : 16;
    for (int i = 0; ok && i < n; i++)
        ok = (a->ip[i] & b->mask[i]) == (b->ip[i] & a->mask[i]);
    lua_pushboolean(l, ok);
    return 1;
}

const char k_prelude[] =
#include "prelude.inc"
    ;

void create_state()
{
    L = lua_newstate(l_alloc, nullptr);
    luaL_openlibs(L);
    install_hook(L);

    // core
    static const luaL_Reg core_fns[] = {
        {"log", l_core_log},
        {"Debug", l_core_debug},
        {"Info", l_core_info},
        {"Warning", l_core_warning},
        {"Alert", l_core_alert},
        {"now", l_core_now},
        {"msleep", l_core_msleep},
        {"sleep", l_core_sleep},
        {"yield", l_core_yield},
        {"done", l_done},
        {"get_info", l_core_get_info},
        {"register_action", l_register_action},
        {"register_fetches", l_register_fetches},
        {"register_converters", l_register_converters},
        {"register_service", l_register_service},
        {"register_task", l_register_task},
        {"register_init", l_register_init},
        {"register_cli", l_register_cli},
        {"tcp", l_core_tcp},
        {"parse_addr", l_core_parse_addr},
        {"match_addr", l_core_match_addr},
        {"add_acl", l_pattern_change<PTC_PAT_ADD_ACL>},
        {"del_acl", l_pattern_change<PTC_PAT_DEL_ACL>},
        {"set_map", l_pattern_change<PTC_PAT_SET_MAP>},
        {"del_map", l_pattern_change<PTC_PAT_DEL_MAP>},
        {nullptr, nullptr},
    };
    luaL_newlib(L, core_fns);
    static const char* const levels[] = {"emerg", "alert", "crit", "err",
                                         "warning", "notice", "info", "debug"};
    for (int i = 0; i < 8; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, levels[i]);
    }
    for (const char* m : {"get_var", "set_nice",
                          "register_filter", "disable_legacy_mailers"}) {
        std::string full = std::string("core.") + m;
        set_missing(L, m, keep(full));
    }
    lua_newtable(L);
    lua_setfield(L, -2, "proxies");
    lua_newtable(L);
    lua_setfield(L, -2, "frontends");
    lua_newtable(L);
    lua_setfield(L, -2, "backends");
    lua_pushinteger(L, 1);
    lua_setfield(L, -2, "thread");
    lua_setglobal(L, "core");

    create_socket_class(L);
    create_channel_class(L);
    luaL_newmetatable(L, "portico.net"); // core.parse_addr's networks
    lua_pop(L, 1);
    lua_regex_open(L);

    // Fetches / Converters
    luaL_newmetatable(L, "portico.samples");
    lua_pushcfunction(L, samples_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    // HTTP
    static const luaL_Reg http_fns[] = {
        {"req_get_headers", l_req_get_headers},
        {"res_get_headers", l_res_get_headers},
        {"req_set_header", l_req_set_header},
        {"req_add_header", l_req_add_header},
        {"req_del_header", l_req_del_header},
        {"res_set_header", l_res_set_header},
        {"res_add_header", l_res_add_header},
        {"res_del_header", l_res_del_header},
        {"req_set_method", l_req_set_line<PTC_HTTP_LINE_METHOD>},
        {"req_set_path", l_req_set_line<PTC_HTTP_LINE_PATH>},
        {"req_set_query", l_req_set_line<PTC_HTTP_LINE_QUERY>},
        {"req_set_uri", l_req_set_line<PTC_HTTP_LINE_URI>},
        {"res_set_status", l_res_set_status},
        {"req_rep_header", l_rep_header<PTC_RULES_HTTP_REQ, false>},
        {"req_rep_value", l_rep_header<PTC_RULES_HTTP_REQ, true>},
        {"res_rep_header", l_rep_header<PTC_RULES_HTTP_RES, false>},
        {"res_rep_value", l_rep_header<PTC_RULES_HTTP_RES, true>},
        {nullptr, nullptr},
    };
    luaL_newmetatable(L, "portico.http");
    luaL_newlib(L, http_fns);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    // TXN
    static const luaL_Reg txn_fns[] = {
        {"set_var", l_set_var},
        {"get_var", l_get_var},
        {"unset_var", l_unset_var},
        {"done", l_done},
        {"log", l_txn_log},
        {"deflog", l_txn_deflog},
        {"Debug", l_txn_debug},
        {"Info", l_txn_info},
        {"Warning", l_txn_warning},
        {"Alert", l_txn_alert},
        {"get_priv", l_get_priv},
        {"set_priv", l_set_priv},
        {"set_loglevel", l_set_loglevel},
        {"set_tos", l_set_sockopt<true>},
        {"set_mark", l_set_sockopt<false>},
        {"set_priority_class", l_set_priority<false>},
        {"set_priority_offset", l_set_priority<true>},
        {"reply", l_txn_reply},
        {nullptr, nullptr},
    };
    static const luaL_Reg reply_fns[] = {
        {"set_status", l_reply_set_status},
        {"add_header", l_reply_add_header},
        {"del_header", l_reply_del_header},
        {"set_body", l_reply_set_body},
        {nullptr, nullptr},
    };
    luaL_newmetatable(L, "portico.reply");
    luaL_newlib(L, reply_fns);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newmetatable(L, "portico.txn");
    luaL_newlib(L, txn_fns);
    for (const char* m : {"get_headers"}) {
        std::string full = std::string("TXN:") + m;
        set_missing(L, m, keep(full));
    }
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const char* const acts[] = {"CONTINUE", "STOP", "YIELD", "ERROR",
                                       "DONE", "DENY", "ABORT", "INVALID"};
    lua_createtable(L, 0, 8);
    for (int i = 0; i < 8; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, acts[i]);
    }
    lua_pushcfunction(L, l_act_wake_time);
    lua_setfield(L, -2, "wake_time");
    lua_setglobal(L, "act");

    if (luaL_loadbuffer(L, k_prelude, sizeof(k_prelude) - 1, "=prelude.lua") != LUA_OK ||
        lua_pcall(L, 0, 0, 0) != LUA_OK) {
        H->log(PTC_LOG_ALERT, "Lua prelude: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

// ---- fetches and converters ---------------------------------------------------------------

// A plain (non-yielding) call of the function `ref` with the txn and the arguments.
int call_sample(ptc_stream* s, lfn* f, const ptc_sample* in, const ptc_arg* args,
                uint32_t nargs, ptc_sample* out)
{
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
    int n = 1;
    if (in) // converters get the value, fetches the txn
        push_sample(L, in);
    else
        push_txn(L, s, HTTP != nullptr);
    for (uint32_t i = 0; i < nargs; i++, n++)
        lua_pushlstring(L, args[i].str.ptr, args[i].str.len);
    run_ctx* saved = g_cur;
    g_cur = nullptr;
    g_call_start = mono_ms();
    g_call_timeout = C.session_to;
    mem_refused = false;
    int st = lua_pcall(L, n, 1, 0);
    g_cur = saved;
    int r = 0;
    if (st != LUA_OK) {
        const char* m = lua_tostring(L, -1);
        log_error(f->name, m ? m : "unknown error", "");
    } else {
        out->flags = 0;
        r = to_sample(L, -1, out);
    }
    lua_settop(L, top);
    return r;
}

int fetch_lua(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv)
{
    return call_sample(s, (lfn*)priv, nullptr, args, nargs, out);
}

int conv_lua(ptc_stream* s, const ptc_arg* args, uint32_t nargs, ptc_sample* io, void* priv)
{
    ptc_sample in = *io;
    return call_sample(s, (lfn*)priv, &in, args, nargs, io);
}

// ---- actions ------------------------------------------------------------------------------

struct act_state {
    lfn* f;
    uint32_t ruleset;
    std::vector<std::string> args;
};

int act_parse_rs(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state,
                 uint32_t rs)
{
    ptc_str w = ctx->args[first - 1];
    std::string name(w.ptr + 4, w.len - 4); // after "lua."
    auto it = g_actions.find(name);
    if (it == g_actions.end())
        return H->cfg_errorf(ctx, "Lua action '%s' is not registered (core.register_action)",
                             name.c_str());
    if (!(it->second->rulesets & (1u << rs)))
        return H->cfg_errorf(ctx, "Lua action '%s' is not registered for this rule set",
                             name.c_str());
    act_state* st = new act_state{it->second, rs, {}};
    uint32_t i = first;
    for (int k = 0; k < it->second->nargs; k++, i++) {
        if (i >= ctx->argc || (ctx->args[i].len == 2 && !memcmp(ctx->args[i].ptr, "if", 2)) ||
            (ctx->args[i].len == 6 && !memcmp(ctx->args[i].ptr, "unless", 6))) {
            delete st;
            return H->cfg_errorf(ctx, "Lua action '%s' expects %d argument(s)", name.c_str(),
                                 it->second->nargs);
        }
        st->args.emplace_back(ctx->args[i].ptr, ctx->args[i].len);
    }
    *next = i;
    *state = st;
    return PTC_OK;
}

int act_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state, void* priv)
{
    return act_parse_rs(ctx, first, next, state, (uint32_t)(uintptr_t)priv);
}

uint64_t wake_stream_task(ptc_task*, void* ctx)
{
    H->stream_wake((ptc_stream*)ctx);
    return 0;
}

// act.wake_time(ms): an action that then returns act.YIELD runs again after ms at most.
// HAProxy 2.6 takes exactly one argument (act.wake_time(ms)) although its manual writes
// act:wake_time(ms); both are taken here.
int l_act_wake_time(lua_State* l)
{
    int i = lua_gettop(l) >= 2 && lua_istable(l, 1) ? 2 : 1;
    lua_Integer ms = luaL_checkinteger(l, i);
    if (!g_cur || strcmp(g_cur->what, "action") != 0)
        return luaL_error(l, "act.wake_time(): only in an action");
    g_cur->act_wake = H->now_ms() + (uint64_t)(ms < 0 ? 0 : ms);
    return 0;
}

int act_exec(ptc_stream* s, void* state)
{
    act_state* as = (act_state*)state;
    sstate* ss = (sstate*)H->stream_modstate(SELF, s);
    run_ctx* rc = ss->act;
    int st;
    if (!rc) {
        rc = ss->act = run_new(as->f, s, "action", C.session_to);
        bool http = as->ruleset == PTC_RULES_HTTP_REQ || as->ruleset == PTC_RULES_HTTP_RES ||
                    as->ruleset == PTC_RULES_HTTP_AFTER_RES;
        push_txn(rc->co, s, http && HTTP, as->ruleset);
        for (const std::string& a : as->args)
            lua_pushlstring(rc->co, a.data(), a.size());
        st = run_resume(rc, 1 + (int)as->args.size());
    } else {
        if (rc->wake_at && rc->wake_at > H->now_ms()) {
            run_wait(rc); // woken early (other events): keep sleeping
            return PTC_ACT_YIELD;
        }
        st = run_resume(rc, 0);
    }
    if (st == LUA_YIELD) {
        run_wait(rc);
        return PTC_ACT_YIELD;
    }
    bool done = rc->done;
    lua_Integer ret = rc->ret;
    uint64_t wake = rc->act_wake;
    bool has_reply = rc->has_reply;
    int code = rc->reply_code;
    std::string head = std::move(rc->reply_head), body = std::move(rc->reply_body);
    run_free(rc);
    ss->act = nullptr;
    if (done && has_reply)
        return HTTP->reply_raw(s, code, ptc_str{head.data(), head.size()},
                               ptc_str{body.data(), body.size()}) == PTC_ACT_DONE
                   ? PTC_ACT_DONE
                   : PTC_ACT_ERROR;
    ss->act = nullptr;
    bool tcp = as->ruleset == PTC_RULES_TCP_REQ_CONTENT || as->ruleset == PTC_RULES_TCP_RES_CONTENT;
    // act.STOP 1, act.ERROR 3, act.DONE 4, act.DENY 5, act.ABORT 6 (HAProxy's values)
    if (st == LUA_OK && !done) {
        switch (ret) {
        case 1:
            return PTC_ACT_STOP;
        case 2:
            // act.YIELD: the rule runs again (the function from its start) at the stream's
            // next event, or at the latest once act:wake_time()'s delay is over
            if (wake) {
                if (!ss->yield_timer)
                    ss->yield_timer = H->task_new(SELF, wake_stream_task, s);
                if (ss->yield_timer)
                    H->task_schedule(ss->yield_timer, wake);
            }
            return PTC_ACT_YIELD;
        case 3:
            st = LUA_ERRRUN;
            break;
        case 4:
            done = true;
            break;
        case 5:
            if (!tcp && HTTP && as->ruleset == PTC_RULES_HTTP_REQ) {
                static const char body[] = "<html><body><h1>403 Forbidden</h1>\n"
                                           "Request forbidden by administrative rules.\n"
                                           "</body></html>\n";
                HTTP->reply(s, 403, ptc_str{"text/html", 9}, ptc_str{body, sizeof(body) - 1});
                return PTC_ACT_DONE;
            }
            H->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_ACT_DONE;
        case 6:
            H->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_ACT_DONE;
        default:
            break;
        }
    }
    if (st != LUA_OK) {
        if (tcp) {
            H->stream_close(s, PTC_CLOSE_ABORT);
            return PTC_ACT_DONE;
        }
        return PTC_ACT_ERROR;
    }
    if (done) {
        H->stream_close(s, PTC_CLOSE_FLUSH);
        return PTC_ACT_DONE;
    }
    return PTC_ACT_CONTINUE;
}

void tcp_app_free(tcp_app* a);

int close_hook(ptc_stream* s, void*, void*)
{
    sstate* ss = (sstate*)H->stream_modstate(SELF, s);
    if (ss && ss->act) {
        run_free(ss->act);
        ss->act = nullptr;
    }
    if (ss && ss->yield_timer) {
        H->task_free(ss->yield_timer);
        ss->yield_timer = nullptr;
    }
    if (ss && ss->app) {
        tcp_app_free(ss->app);
        ss->app = nullptr;
    }
    return PTC_CONTINUE;
}

// ---- TCP services (AppletTCP) -------------------------------------------------------------
// "tcp-request content use-service lua.<name>": the action hands the stream's events to
// the service (host->stream_set_applet, ABI 1.16), whose coroutine reads the client's bytes
// (getline, receive) and writes the answer (send); when the function returns, what it
// sent is flushed and the connection closed.

struct tcp_app {
    run_ctx* rc = nullptr;
    ptc_stream* s = nullptr;
    std::string in;        // bytes taken from the request channel, not yet read by Lua
    std::string out;       // bytes of send() not yet in the response channel
    bool eof = false;      // the client closed its side (or broke)
    bool started = false;  // the function was called
    bool io_wait = false;  // the coroutine waits for bytes or room, not for a timer
    bool finished = false; // the function returned
    bool closed = false;   // stream_close() was called
};

void tcp_app_free(tcp_app* a)
{
    run_free(a->rc);
    delete a;
}

tcp_app* tcp_ctx(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__tcp");
    tcp_app* a = (tcp_app*)lua_touserdata(l, -1);
    lua_pop(l, 1);
    if (!a || a->closed)
        luaL_error(l, "AppletTCP used outside its service");
    return a;
}

// Moves the client's pending bytes into a->in.
void tcp_pull(tcp_app* a)
{
    ptc_str d{};
    uint32_t fl = H->chan_data(a->s, PTC_DIR_REQ, &d);
    if (d.len) {
        a->in.append(d.ptr, d.len);
        H->chan_skip(a->s, PTC_DIR_REQ, d.len);
    }
    if (fl & (PTC_CHAN_EOF | PTC_CHAN_ERROR))
        a->eof = true;
}

// Moves a->out into the response channel; true when all of it went.
bool tcp_flush(tcp_app* a)
{
    while (!a->out.empty()) {
        size_t room = H->chan_room(a->s, PTC_DIR_RES);
        size_t n = std::min(room, a->out.size());
        if (!n || H->chan_append(a->s, PTC_DIR_RES, a->out.data(), n) != PTC_OK)
            return false;
        H->chan_forward(a->s, PTC_DIR_RES, n);
        a->out.erase(0, n);
    }
    return true;
}

int tcp_wait(lua_State* l, tcp_app* a, lua_KFunction k)
{
    if (!g_cur || !lua_isyieldable(l))
        return luaL_error(l, "AppletTCP: cannot wait here");
    a->io_wait = true;
    g_cur->wake_at = 0;
    return lua_yieldk(l, 0, 0, k);
}

std::string take(std::string& s, size_t n)
{
    std::string r = s.substr(0, n);
    s.erase(0, n);
    return r;
}

// getline(): a line with its '\n', or what is left when the client closed ("" at the end).
int l_tcp_getline_k(lua_State* l, int, lua_KContext)
{
    tcp_app* a = tcp_ctx(l);
    tcp_pull(a);
    size_t e = a->in.find('\n');
    if (e != std::string::npos || a->eof) {
        std::string r = take(a->in, e == std::string::npos ? a->in.size() : e + 1);
        lua_pushlstring(l, r.data(), r.size());
        return 1;
    }
    return tcp_wait(l, a, l_tcp_getline_k);
}
int l_tcp_getline(lua_State* l) { return l_tcp_getline_k(l, 0, 0); }

// receive([size]): <size> bytes (fewer when the client closed first), or without a size
// everything until the client closes.
int l_tcp_receive_k(lua_State* l, int, lua_KContext)
{
    tcp_app* a = tcp_ctx(l);
    lua_Integer want = luaL_optinteger(l, 2, -1);
    tcp_pull(a);
    if (want >= 0 && a->in.size() >= (size_t)want) {
        std::string r = take(a->in, (size_t)want);
        lua_pushlstring(l, r.data(), r.size());
        return 1;
    }
    if (a->eof) {
        std::string r = take(a->in, a->in.size());
        lua_pushlstring(l, r.data(), r.size());
        return 1;
    }
    return tcp_wait(l, a, l_tcp_receive_k);
}
int l_tcp_receive(lua_State* l)
{
    lua_settop(l, 2);
    return l_tcp_receive_k(l, 0, 0);
}

// send(data): waits until the bytes are in the response channel.
int l_tcp_send_k(lua_State* l, int, lua_KContext)
{
    tcp_app* a = tcp_ctx(l);
    if (tcp_flush(a))
        return 0;
    return tcp_wait(l, a, l_tcp_send_k);
}
int l_tcp_send(lua_State* l)
{
    tcp_app* a = tcp_ctx(l);
    size_t n;
    const char* p = luaL_checklstring(l, 2, &n);
    a->out.append(p, n);
    lua_settop(l, 1);
    return l_tcp_send_k(l, 0, 0);
}

void push_tcp_applet(lua_State* l, tcp_app* a)
{
    static const luaL_Reg fns[] = {
        {"getline", l_tcp_getline}, {"receive", l_tcp_receive}, {"send", l_tcp_send},
        {"set_var", l_set_var},     {"get_var", l_get_var},     {"unset_var", l_unset_var},
        {"get_priv", l_get_priv},   {"set_priv", l_set_priv},   {nullptr, nullptr},
    };
    lua_newtable(l);
    luaL_setfuncs(l, fns, 0);
    lua_pushlightuserdata(l, a->s);
    lua_rawseti(l, -2, 0);
    lua_pushlightuserdata(l, a);
    lua_setfield(l, -2, "__tcp");
    push_samples(l, a->s, false, false);
    lua_setfield(l, -2, "f");
    push_samples(l, a->s, false, true);
    lua_setfield(l, -2, "sf");
    push_samples(l, a->s, true, false);
    lua_setfield(l, -2, "c");
    push_samples(l, a->s, true, true);
    lua_setfield(l, -2, "sc");
}

void tcp_close(tcp_app* a, uint32_t how)
{
    a->closed = true;
    H->stream_close(a->s, how);
}

// The stream's events once the service took it.
int tcp_app_event(ptc_stream* s, void* ctx, uint32_t ev)
{
    tcp_app* a = (tcp_app*)ctx;
    if (a->closed)
        return PTC_CONTINUE;
    if (ev & PTC_EV_CLI_ERROR) {
        tcp_close(a, PTC_CLOSE_ABORT);
        return PTC_CONTINUE;
    }
    if (ev & PTC_EV_CLI_TIMEOUT) {
        tcp_close(a, PTC_CLOSE_FLUSH);
        return PTC_CONTINUE;
    }
    if (a->finished) {
        if (tcp_flush(a))
            tcp_close(a, PTC_CLOSE_FLUSH);
        return PTC_CONTINUE;
    }
    run_ctx* rc = a->rc;
    if (rc->wake_at && rc->wake_at > H->now_ms()) {
        run_wait(rc); // woken early (I/O during a sleep): keep sleeping
        return PTC_CONTINUE;
    }
    a->io_wait = false;
    int st = run_resume(rc, a->started ? 0 : 1);
    a->started = true;
    if (st == LUA_YIELD) {
        if (!a->io_wait)
            run_wait(rc);
        return PTC_CONTINUE;
    }
    if (st != LUA_OK) {
        tcp_close(a, PTC_CLOSE_ABORT);
        return PTC_CONTINUE;
    }
    a->finished = true;
    (void)s;
    if (tcp_flush(a))
        tcp_close(a, PTC_CLOSE_FLUSH);
    return PTC_CONTINUE;
}

// tcp-request content use-service lua.<name>
int tcp_use_service_parse(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state)
{
    if (first >= ctx->argc)
        return H->cfg_errorf(ctx, "'use-service' expects a service name (lua.<name>)");
    std::string name(ctx->args[first].ptr, ctx->args[first].len);
    auto it = g_tcp_svcs.find(name);
    if (it == g_tcp_svcs.end())
        return H->cfg_errorf(ctx, "'use-service %s': no such TCP service (Lua's "
                             "core.register_service(name, \"tcp\", fn))", name.c_str());
    ptc_str mode = ctx->proxy ? H->proxy_mode(ctx->proxy) : ptc_str{"", 0};
    if (std::string_view(mode.ptr, mode.len) == "http")
        return H->cfg_errorf(ctx, "'use-service %s': a TCP service in a mode http proxy is "
                             "not supported yet by portico", name.c_str());
    *state = it->second;
    *next = first + 1;
    return PTC_OK;
}

int tcp_use_service_exec(ptc_stream* s, void* state)
{
    sstate* ss = (sstate*)H->stream_modstate(SELF, s);
    if (ss->app)
        return PTC_ACT_YIELD; // the service has the stream's events
    if (!PTC_HOST_HAS(H, stream_set_applet))
        return PTC_ACT_ERROR;
    tcp_app* a = new tcp_app;
    a->s = s;
    a->rc = run_new((lfn*)state, s, "service", C.service_to);
    push_tcp_applet(a->rc->co, a);
    ss->app = a;
    H->stream_set_timeout(s, PTC_TMO_CLIENT, PTC_TMO_DEFAULT);
    H->stream_set_applet(s, tcp_app_event, a);
    return PTC_ACT_YIELD;
}

// ---- HTTP services (AppletHTTP) -----------------------------------------------------------

svc_ctx* applet_ctx(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__ctx");
    svc_ctx* c = (svc_ctx*)lua_touserdata(l, -1);
    lua_pop(l, 1);
    if (!c || !c->t)
        luaL_error(l, "applet used outside its service");
    return c;
}

int l_ap_set_status(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    int code = (int)luaL_checkinteger(l, 2);
    size_t n = 0;
    const char* r = luaL_optlstring(l, 3, "", &n);
    c->t->ops->res_status(c->t, code, ptc_str{r, n});
    c->status = code;
    return 0;
}

int l_ap_add_header(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    ptc_str n = arg_str(l, 2);
    if (n.len == 14 && !strncasecmp(n.ptr, "content-length", 14))
        c->has_len = true;
    c->t->ops->res_hdr_add(c->t, n, arg_str(l, 3));
    return 0;
}

// As HAProxy's Lua applets: without a content-length, an HTTP/1.1 answer that has a body
// announces "transfer-encoding: chunked" (the runner frames the body; a HEAD answer shows
// the field).
int l_ap_start_response(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    int st = c->status ? c->status : 200;
    if (!c->has_len && c->t->http_minor >= 1 && st >= 200 && st != 204 && st != 304)
        c->t->ops->res_hdr_add(c->t, ptc_str{"transfer-encoding", 17}, ptc_str{"chunked", 7});
    c->has_len = true; // announced once
    return 0;
}

int l_ap_send(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    size_t n;
    const char* p = luaL_checklstring(l, 2, &n);
    c->out.append(p, n);
    return 0;
}

int l_ap_getline(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    size_t e = c->body.find('\n', c->body_pos);
    e = e == std::string::npos ? c->body.size() : e + 1;
    lua_pushlstring(l, c->body.data() + c->body_pos, e - c->body_pos);
    c->body_pos = e;
    return 1;
}

int l_ap_receive(lua_State* l)
{
    svc_ctx* c = applet_ctx(l);
    size_t left = c->body.size() - c->body_pos;
    lua_Integer want = luaL_optinteger(l, 2, -1);
    size_t n = want < 0 || (size_t)want > left ? left : (size_t)want;
    lua_pushlstring(l, c->body.data() + c->body_pos, n);
    c->body_pos += n;
    return 1;
}

void push_applet(lua_State* l, svc_ctx* c, ptc_svc_txn* t)
{
    static const luaL_Reg fns[] = {
        {"set_status", l_ap_set_status}, {"add_header", l_ap_add_header},
        {"start_response", l_ap_start_response}, {"send", l_ap_send},
        {"getline", l_ap_getline}, {"receive", l_ap_receive},
        {"set_var", l_set_var}, {"get_var", l_get_var}, {"unset_var", l_unset_var},
        {"get_priv", l_get_priv}, {"set_priv", l_set_priv},
        {nullptr, nullptr},
    };
    lua_newtable(l);
    luaL_setfuncs(l, fns, 0);
    lua_pushlightuserdata(l, t->stream);
    lua_rawseti(l, -2, 0);
    lua_pushlightuserdata(l, c);
    lua_setfield(l, -2, "__ctx");
    lua_pushlstring(l, t->method.ptr, t->method.len);
    lua_setfield(l, -2, "method");
    std::string_view uri(t->uri.ptr, t->uri.len);
    size_t q = uri.find('?');
    std::string_view path = uri.substr(0, q);
    lua_pushlstring(l, path.data(), path.size());
    lua_setfield(l, -2, "path");
    std::string_view qs = q == std::string_view::npos ? "" : uri.substr(q + 1);
    lua_pushlstring(l, qs.data(), qs.size());
    lua_setfield(l, -2, "qs");
    lua_pushfstring(l, "1.%d", (int)t->http_minor);
    lua_setfield(l, -2, "version");
    lua_pushinteger(l, (lua_Integer)t->body.len);
    lua_setfield(l, -2, "length");
    push_headers(l, t->stream, PTC_DIR_REQ);
    lua_setfield(l, -2, "headers");
    push_samples(l, t->stream, false, false);
    lua_setfield(l, -2, "f");
    push_samples(l, t->stream, false, true);
    lua_setfield(l, -2, "sf");
    push_samples(l, t->stream, true, false);
    lua_setfield(l, -2, "c");
    push_samples(l, t->stream, true, true);
    lua_setfield(l, -2, "sc");
}

bool svc_flush(svc_ctx* c)
{
    while (!c->out.empty()) {
        size_t room = c->t->ops->res_room(c->t);
        if (!room)
            return false;
        size_t n = c->t->ops->res_write(c->t, c->out.data(), std::min(room, c->out.size()));
        if (!n)
            return false;
        c->out.erase(0, n);
    }
    return true;
}

int svc_run_f(ptc_svc_txn* t, lfn* f)
{
    svc_ctx** slot = (svc_ctx**)t->ctx;
    svc_ctx* c = *slot;
    c = *slot;
    if (!c) {
        c = *slot = new svc_ctx{};
        c->f = f;
        c->t = t;
        c->body.assign(t->body.ptr ? t->body.ptr : "", t->body.len);
        c->rc = run_new(f, t->stream, "service", C.service_to);
        push_applet(c->rc->co, c, t);
        int st = run_resume(c->rc, 1);
        if (st != LUA_OK && st != LUA_YIELD)
            return PTC_ERROR;
        c->finished = st == LUA_OK;
    } else {
        c->t = t;
        if (!svc_flush(c))
            return PTC_YIELD;
        if (c->finished)
            return PTC_OK;
        if (c->rc->wake_at && c->rc->wake_at > H->now_ms()) {
            run_wait(c->rc);
            return PTC_YIELD;
        }
        int st = run_resume(c->rc, 0);
        if (st != LUA_OK && st != LUA_YIELD)
            return PTC_ERROR;
        c->finished = st == LUA_OK;
    }
    if (!svc_flush(c))
        return PTC_YIELD;
    if (c->finished)
        return PTC_OK;
    run_wait(c->rc);
    return PTC_YIELD;
}

// Services carry no private pointer: one trampoline per registered Lua service.
template <size_t N> int svc_run_n(ptc_svc_txn* t) { return svc_run_f(t, g_svc[N]); }

template <size_t... I>
constexpr std::array<int (*)(ptc_svc_txn*), sizeof...(I)> make_runs(std::index_sequence<I...>)
{
    return {svc_run_n<I>...};
}
const std::array<int (*)(ptc_svc_txn*), k_max_services> k_svc_runs =
    make_runs(std::make_index_sequence<k_max_services>{});

void svc_release(ptc_svc_txn* t)
{
    svc_ctx** slot = (svc_ctx**)t->ctx;
    svc_ctx* c = *slot;
    if (!c)
        return;
    run_free(c->rc);
    delete c;
    *slot = nullptr;
}

// ---- tasks --------------------------------------------------------------------------------

uint64_t task_fn(ptc_task* tk, void* ctx)
{
    run_ctx* rc = (run_ctx*)ctx;
    if (rc->wake_at && rc->wake_at > H->now_ms())
        return rc->wake_at;
    rc->spent = 0; // the timeout counts per burst for tasks
    int st = run_resume(rc, 0);
    if (st == LUA_YIELD)
        return rc->wake_at ? rc->wake_at : 1;
    rc->timer = nullptr;
    rc->own = nullptr;
    H->task_free(tk);
    run_free(rc);
    return 0;
}

// ---- configuration ------------------------------------------------------------------------

std::string str(ptc_str s) { return std::string(s.ptr, s.len); }

int kw_lua_load(const ptc_kw_ctx* ctx)
{
    if (!L)
        create_state();
    std::string file = str(ctx->args[ctx->kw_words]);
    if (luaL_loadfile(L, file.c_str()) != LUA_OK) {
        std::string m = lua_tostring(L, -1);
        lua_pop(L, 1);
        return H->cfg_errorf(ctx, "'%s': %s", str(ctx->args[0]).c_str(), m.c_str());
    }
    int n = 0;
    for (uint32_t i = ctx->kw_words + 1; i < ctx->argc; i++, n++)
        lua_pushlstring(L, ctx->args[i].ptr, ctx->args[i].len);
    in_master_parse = true;
    g_call_start = mono_ms();
    g_call_timeout = UINT32_MAX;
    lua_pushcfunction(L, [](lua_State* l) -> int {
        luaL_traceback(l, l, lua_tostring(l, 1), 1);
        return 1;
    });
    lua_insert(L, -(n + 2));
    int st = lua_pcall(L, n, 0, -(n + 2));
    in_master_parse = false;
    if (st != LUA_OK) {
        std::string m = lua_tostring(L, -1);
        lua_pop(L, 2);
        for (char& c : m)
            if (c == '\n' || c == '\t')
                c = ' ';
        return H->cfg_errorf(ctx, "'%s': runtime error: %s", str(ctx->args[0]).c_str(),
                             m.c_str());
    }
    lua_pop(L, 1);
    return PTC_OK;
}

int kw_lua_prepend_path(const ptc_kw_ctx* ctx)
{
    if (!L)
        create_state();
    std::string path = str(ctx->args[ctx->kw_words]);
    std::string which = ctx->argc > ctx->kw_words + 1 ? str(ctx->args[ctx->kw_words + 1]) : "path";
    if (which != "path" && which != "cpath")
        return H->cfg_errorf(ctx, "'lua-prepend-path': type must be 'path' or 'cpath', not '%s'",
                             which.c_str());
    lua_getglobal(L, "package");
    lua_getfield(L, -1, which.c_str());
    std::string cur = lua_tostring(L, -1) ? lua_tostring(L, -1) : "";
    lua_pop(L, 1);
    lua_pushstring(L, (path + ";" + cur).c_str());
    lua_setfield(L, -2, which.c_str());
    lua_pop(L, 1);
    return PTC_OK;
}

int kw_tune(const ptc_kw_ctx* ctx)
{
    std::string k = str(ctx->args[0]);
    ptc_str v = ctx->args[ctx->kw_words];
    uint64_t x = 0;
    if (k == "tune.lua.forced-yield" || k == "tune.lua.maxmem") {
        std::string s = str(v);
        char* end = nullptr;
        unsigned long long n = strtoull(s.c_str(), &end, 10);
        if (s.empty() || *end)
            return H->cfg_errorf(ctx, "'%s' expects an integer argument", k.c_str());
        if (k == "tune.lua.forced-yield") {
            if (!n)
                return H->cfg_errorf(ctx, "'%s' must be greater than 0", k.c_str());
            C.forced_yield = n;
            if (L)
                install_hook(L);
        } else
            C.maxmem = (size_t)n * 1024 * 1024;
        return PTC_OK;
    }
    if (H->parse_time(v, &x) != PTC_OK)
        return H->cfg_errorf(ctx, "'%s' expects a time, not '%s'", k.c_str(), str(v).c_str());
    if (k == "tune.lua.session-timeout")
        C.session_to = x;
    else if (k == "tune.lua.task-timeout")
        C.task_to = x;
    else if (k == "tune.lua.service-timeout")
        C.service_to = x;
    else
        C.burst_to = x;
    return PTC_OK;
}

const ptc_keyword kws[] = {
    {"lua-load", PTC_SEC_GLOBAL, 0, 1, -1, kw_lua_load, "lua-load <file> [<arg>...]"},
    {"lua-load-per-thread", PTC_SEC_GLOBAL, 0, 1, -1, kw_lua_load,
     "lua-load-per-thread <file> [<arg>...] (one state per worker process anyway)"},
    {"lua-prepend-path", PTC_SEC_GLOBAL, 0, 1, 2, kw_lua_prepend_path,
     "lua-prepend-path <string> [path|cpath]"},
    {"tune.lua.session-timeout", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune,
     "tune.lua.session-timeout <time>"},
    {"tune.lua.task-timeout", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune, "tune.lua.task-timeout <time>"},
    {"tune.lua.service-timeout", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune,
     "tune.lua.service-timeout <time>"},
    {"tune.lua.burst-timeout", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune,
     "tune.lua.burst-timeout <time>"},
    {"tune.lua.forced-yield", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune, "tune.lua.forced-yield <n>"},
    {"tune.lua.maxmem", PTC_SEC_GLOBAL, 0, 1, 1, kw_tune, "tune.lua.maxmem <megabytes>"},
};

const ptc_hook hooks[] = {
    {PTC_PHASE_CLOSE, 0, close_hook},
};

int mod_init(ptc_modref* self)
{
    SELF = self;
    static const ptc_fetch in = {"lua.__in", PTC_SMP_ANY, PTC_USE_ANY, 0, 0, nullptr, nullptr,
                                 "internal: the value a Lua converter call feeds"};
    if (H->fetch_register(self, &in, sizeof(in), fetch_conv_in, nullptr) != PTC_OK)
        return PTC_ERROR;
    static const uint32_t sets[] = {PTC_RULES_HTTP_REQ, PTC_RULES_HTTP_RES,
                                    PTC_RULES_TCP_REQ_CONTENT, PTC_RULES_TCP_RES_CONTENT,
                                    PTC_RULES_HTTP_AFTER_RES};
    for (uint32_t rs : sets) {
        ptc_action a = {rs, "lua.", nullptr, act_exec, "lua.<name> [<arg>...]"};
        if (H->action_register(self, &a, sizeof(a), act_parse, (void*)(uintptr_t)rs) != PTC_OK)
            return PTC_ERROR;
    }
    if (PTC_HOST_HAS(H, stream_set_applet)) {
        ptc_action a = {PTC_RULES_TCP_REQ_CONTENT, "use-service", tcp_use_service_parse,
                        tcp_use_service_exec, "use-service lua.<name>"};
        if (H->action_register(self, &a, sizeof(a), nullptr, nullptr) != PTC_OK)
            return PTC_ERROR;
    }
    return PTC_OK;
}

// ---- Proxy and Server objects (core.proxies, core.frontends, core.backends) --------------

ptc_server* check_server(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_rawgeti(l, 1, 0);
    ptc_server* sv = (ptc_server*)lua_touserdata(l, -1);
    lua_pop(l, 1);
    if (!sv)
        luaL_error(l, "not a Server object");
    // a script uses it: "del server" refuses it from now on, as in HAProxy
    if (PTC_HOST_HAS(H, server_pin))
        H->server_pin(sv);
    return sv;
}

int l_srv_get_addr(lua_State* l)
{
    struct sockaddr_storage ss;
    socklen_t n = H->server_addr(check_server(l), &ss);
    char buf[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (n && ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((sockaddr_in*)&ss)->sin_addr, buf, sizeof(buf));
        port = ntohs(((sockaddr_in*)&ss)->sin_port);
    } else if (n && ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((sockaddr_in6*)&ss)->sin6_addr, buf, sizeof(buf));
        port = ntohs(((sockaddr_in6*)&ss)->sin6_port);
    }
    lua_pushfstring(l, "%s:%d", buf, port);
    return 1;
}
int l_srv_get_weight(lua_State* l)
{
    // the configured weight (the runtime one is not readable through the ABI)
    lua_pushinteger(l, H->server_iweight(check_server(l)));
    return 1;
}
int l_srv_set_weight(lua_State* l)
{
    ptc_server* sv = check_server(l);
    std::string w = luaL_checkstring(l, 2);
    bool pct = !w.empty() && w.back() == '%';
    unsigned long v = strtoul(w.c_str(), nullptr, 10);
    H->server_set_weight(sv, (uint32_t)v, pct ? PTC_WEIGHT_PERCENT : 0);
    return 0;
}
int srv_admin(lua_State* l, uint32_t a)
{
    H->server_set_admin(check_server(l), a, "changed from Lua");
    return 0;
}
int l_srv_set_drain(lua_State* l) { return srv_admin(l, PTC_SRV_ADMIN_DRAIN); }
int l_srv_set_maint(lua_State* l) { return srv_admin(l, PTC_SRV_ADMIN_MAINT); }
int l_srv_set_ready(lua_State* l) { return srv_admin(l, PTC_SRV_ADMIN_READY); }
int l_srv_is_draining(lua_State* l)
{
    lua_pushboolean(l, (H->server_state(check_server(l)) & PTC_SRV_ST_DRAIN) != 0);
    return 1;
}
// A runtime API command run by this worker (host->cli_run, ABI 1.24): HAProxy's Lua
// Server and Proxy methods call the functions its CLI commands call. Returns the answer;
// *ok false when the host cannot run commands.
std::string run_cli(std::initializer_list<std::string> words, bool* ok = nullptr)
{
    if (ok)
        *ok = PTC_HOST_HAS(H, cli_run);
    if (!PTC_HOST_HAS(H, cli_run))
        return std::string();
    std::vector<ptc_str> a;
    for (const std::string& w : words)
        a.push_back(ptc_str{w.data(), w.size()});
    char buf[512];
    size_t n = H->cli_run((uint32_t)a.size(), a.data(), buf, sizeof(buf));
    if (n < sizeof(buf))
        return std::string(buf, n);
    std::string big(n + 1, '\0');
    H->cli_run((uint32_t)a.size(), a.data(), big.data(), big.size());
    big.resize(n);
    return big;
}

int need_cli(lua_State* l, const char* fn)
{
    if (!PTC_HOST_HAS(H, cli_run))
        return luaL_error(l, "%s: this portico has no runtime API for modules (ABI 1.24)", fn);
    return 0;
}

std::string srv_path(ptc_server* sv)
{
    return str(H->proxy_name(H->server_backend(sv))) + "/" + str(H->server_name(sv));
}

// HAProxy's hlua_pushstrippedstring: the message without its trailing blanks.
void push_stripped(lua_State* l, const std::string& m)
{
    size_t e = m.size();
    while (e && (m[e - 1] == '\n' || m[e - 1] == ' ' || m[e - 1] == '\t' || m[e - 1] == '\r'))
        e--;
    lua_pushlstring(l, m.data(), e);
}

// The stats of one "show stat <proxy> <type> <sid> typed" row as a table keyed by field
// name, numbers as integers (HAProxy's Proxy:get_stats / Server:get_stats); empty fields
// are absent.
void push_stats(lua_State* l, const std::string& px, int type, long sid)
{
    std::string out = run_cli({"show", "stat", px, std::to_string(type), std::to_string(sid),
                               "typed"});
    lua_newtable(l);
    size_t p = 0;
    while (p < out.size()) {
        size_t e = out.find('\n', p);
        if (e == std::string::npos)
            e = out.size();
        std::string line = out.substr(p, e - p);
        p = e + 1;
        // F.<iid>.<sid>.<pos>.<name>.<proc>:<tags>:<type>:<value>
        size_t c1 = line.find(':');
        if (c1 == std::string::npos)
            continue;
        size_t c2 = line.find(':', c1 + 1);
        size_t c3 = c2 == std::string::npos ? c2 : line.find(':', c2 + 1);
        if (c3 == std::string::npos)
            continue;
        std::string head = line.substr(0, c1);
        size_t d4 = head.rfind('.');
        size_t d3 = d4 == std::string::npos || d4 == 0 ? std::string::npos : head.rfind('.', d4 - 1);
        if (d3 == std::string::npos)
            continue;
        std::string name = head.substr(d3 + 1, d4 - d3 - 1);
        std::string ty = line.substr(c2 + 1, c3 - c2 - 1);
        std::string val = line.substr(c3 + 1);
        if (ty == "str") {
            lua_pushstring(l, val.c_str());
        } else {
            char* end = nullptr;
            long long v = strtoll(val.c_str(), &end, 10);
            if (*end)
                lua_pushstring(l, val.c_str());
            else
                lua_pushinteger(l, (lua_Integer)v);
        }
        lua_setfield(l, -2, name.c_str());
    }
}

int l_srv_get_stats(lua_State* l)
{
    ptc_server* sv = check_server(l);
    need_cli(l, "Server:get_stats");
    push_stats(l, str(H->proxy_name(H->server_backend(sv))), 4, (long)H->server_id(sv));
    return 1;
}

// set_maxconn(sv, maxconn): nil, or HAProxy's error message.
int l_srv_set_maxconn(lua_State* l)
{
    ptc_server* sv = check_server(l);
    std::string v = luaL_checkstring(l, 2);
    need_cli(l, "Server:set_maxconn");
    std::string r = run_cli({"set", "maxconn", "server", srv_path(sv), v});
    if (r.empty())
        lua_pushnil(l);
    else
        push_stripped(l, r);
    return 1;
}
int l_srv_get_maxconn(lua_State* l)
{
    ptc_server* sv = check_server(l);
    need_cli(l, "Server:get_maxconn");
    push_stats(l, str(H->proxy_name(H->server_backend(sv))), 4, (long)H->server_id(sv));
    lua_getfield(l, -1, "slim");
    lua_Integer v = lua_isinteger(l, -1) ? lua_tointeger(l, -1) : 0;
    lua_pop(l, 2);
    lua_pushinteger(l, v);
    return 1;
}
// set_addr(sv, addr[, port]): HAProxy's message ("IP changed from '...' to '...' by 'Lua
// script'", or why not).
int l_srv_set_addr(lua_State* l)
{
    ptc_server* sv = check_server(l);
    std::string addr = luaL_checkstring(l, 2);
    need_cli(l, "Server:set_addr");
    std::string r;
    if (lua_gettop(l) >= 3 && !lua_isnil(l, 3))
        r = run_cli({"set", "server", srv_path(sv), "addr", addr, "port", luaL_checkstring(l, 3)});
    else
        r = run_cli({"set", "server", srv_path(sv), "addr", addr});
    const std::string by = " by 'stats socket command'";
    size_t at = r.rfind(by);
    if (at != std::string::npos)
        r.replace(at, by.size(), " by 'Lua script'");
    push_stripped(l, r);
    return 1;
}
int l_srv_shut_sess(lua_State* l)
{
    H->server_shutdown_streams(check_server(l), 0);
    return 0;
}
// The check methods: the check module's runtime API commands; nothing is returned.
template <int W>
int l_srv_check(lua_State* l)
{
    static const char* const names[] = {
        "Server:check_enable",   "Server:check_disable",   "Server:check_force_up",
        "Server:check_force_nolb", "Server:check_force_down", "Server:agent_enable",
        "Server:agent_disable",  "Server:agent_force_up",  "Server:agent_force_down"};
    ptc_server* sv = check_server(l);
    need_cli(l, names[W]);
    std::string p = srv_path(sv);
    switch (W) {
    case 0: run_cli({"enable", "health", p}); break;
    case 1: run_cli({"disable", "health", p}); break;
    case 2: run_cli({"set", "server", p, "health", "up"}); break;
    case 3: run_cli({"set", "server", p, "health", "stopping"}); break;
    case 4: run_cli({"set", "server", p, "health", "down"}); break;
    case 5: run_cli({"enable", "agent", p}); break;
    case 6: run_cli({"disable", "agent", p}); break;
    case 7: run_cli({"set", "server", p, "agent", "up"}); break;
    default: run_cli({"set", "server", p, "agent", "down"}); break;
    }
    return 0;
}

ptc_proxy* check_proxy(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_rawgeti(l, 1, 0);
    ptc_proxy* p = (ptc_proxy*)lua_touserdata(l, -1);
    lua_pop(l, 1);
    if (!p)
        luaL_error(l, "not a Proxy object");
    return p;
}
// pause / resume / stop: "disable|enable|shutdown frontend" (nothing for a backend, as
// HAProxy's pause_proxy and friends).
template <int W>
int l_px_state(lua_State* l)
{
    static const char* const names[] = {"Proxy:pause", "Proxy:resume", "Proxy:stop"};
    static const char* const verbs[] = {"disable", "enable", "shutdown"};
    ptc_proxy* p = check_proxy(l);
    need_cli(l, names[W]);
    if (H->proxy_cap(p) & PTC_SEC_FRONTEND)
        run_cli({verbs[W], "frontend", str(H->proxy_name(p))});
    return 0;
}
int l_px_shut_bcksess(lua_State* l)
{
    ptc_proxy* p = check_proxy(l);
    if (H->proxy_cap(p) & PTC_SEC_BACKEND)
        if (ptc_server* sv = H->server_next(p, nullptr))
            H->server_shutdown_streams(sv, PTC_SHUT_BACKUPS);
    return 0;
}
// A backend's (or a listen's) stats as a backend, a frontend's as a frontend.
int l_px_get_stats(lua_State* l)
{
    ptc_proxy* p = check_proxy(l);
    need_cli(l, "Proxy:get_stats");
    push_stats(l, str(H->proxy_name(p)), H->proxy_cap(p) & PTC_SEC_BACKEND ? 2 : 1, -1);
    return 1;
}

int l_px_get_mode(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__mode");
    return 1;
}
int l_px_get_cap(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__cap");
    return 1;
}

// ---- StickTable (Proxy.stktable) -----------------------------------------------------------
//
// info() asks the stick module (stick.h); lookup() and dump() read the runtime API's
// "show table", which every worker sees the same (the tables live in shared memory).

std::string check_stktable(lua_State* l)
{
    luaL_checktype(l, 1, LUA_TTABLE);
    lua_getfield(l, 1, "__table");
    const char* n = lua_tostring(l, -1);
    std::string name = n ? n : "";
    lua_pop(l, 1);
    if (name.empty())
        luaL_error(l, "not a StickTable object");
    return name;
}

void stk_data_field(void* ctx, const char* type, int64_t period)
{
    lua_State* l = (lua_State*)ctx;
    lua_pushinteger(l, (lua_Integer)period);
    lua_setfield(l, -2, type);
}

int l_stk_info(lua_State* l)
{
    std::string name = check_stktable(l);
    ptc_stick_info in{};
    in.size = sizeof(in);
    lua_newtable(l);
    lua_newtable(l); // data
    if (!g_stick || !g_stick->table_info(ptc_str{name.data(), name.size()}, &in, stk_data_field, l))
        return luaL_error(l, "StickTable:info(): no table '%s'", name.c_str());
    lua_setfield(l, -2, "data");
    lua_pushstring(l, in.type ? in.type : "");
    lua_setfield(l, -2, "type");
    lua_pushinteger(l, in.key_len);
    lua_setfield(l, -2, "length");
    lua_pushinteger(l, in.entries);
    lua_setfield(l, -2, "size");
    lua_pushinteger(l, in.used);
    lua_setfield(l, -2, "used");
    lua_pushboolean(l, in.nopurge != 0);
    lua_setfield(l, -2, "nopurge");
    lua_pushinteger(l, (lua_Integer)in.expire_ms);
    lua_setfield(l, -2, "expire");
    return 1;
}

// One "show table" entry line ("0x..: key=K use=U exp=E gpc0=1 conn_rate(10000)=2"):
// pushes the table of its data (with use and expire when `meta`), sets *key.
bool stk_push_entry(lua_State* l, const std::string& line, bool meta, std::string* key)
{
    size_t k = line.find(": key=");
    size_t u = k == std::string::npos ? k : line.find(" use=", k + 6);
    if (u == std::string::npos)
        return false;
    *key = line.substr(k + 6, u - k - 6);
    lua_newtable(l);
    size_t p = u + 1;
    while (p < line.size()) {
        size_t e = line.find(' ', p);
        if (e == std::string::npos)
            e = line.size();
        std::string tok = line.substr(p, e - p);
        p = e + 1;
        size_t eq = tok.find('=');
        if (eq == std::string::npos)
            continue;
        std::string n = tok.substr(0, eq), v = tok.substr(eq + 1);
        size_t par = n.find('(');
        if (par != std::string::npos)
            n.erase(par);
        if (n == "use" || n == "exp") {
            if (!meta)
                continue;
            if (n == "exp")
                n = "expire";
        }
        char* end = nullptr;
        long long iv = strtoll(v.c_str(), &end, 10);
        if (!v.empty() && !*end)
            lua_pushinteger(l, (lua_Integer)iv);
        else
            lua_pushstring(l, v.c_str());
        lua_setfield(l, -2, n.c_str());
    }
    return true;
}

// lookup(key): the entry's data, its "use" and "expire" (ms left); nil when absent.
int l_stk_lookup(lua_State* l)
{
    std::string name = check_stktable(l);
    std::string key = luaL_checkstring(l, 2);
    need_cli(l, "StickTable:lookup");
    std::string out = run_cli({"show", "table", name, "key", key});
    size_t p = 0;
    while (p < out.size()) {
        size_t e = out.find('\n', p);
        if (e == std::string::npos)
            e = out.size();
        std::string line = out.substr(p, e - p), k;
        p = e + 1;
        if (line.empty() || line[0] == '#')
            continue;
        if (stk_push_entry(l, line, true, &k))
            return 1;
    }
    lua_pushnil(l);
    return 1;
}

// dump([filter]): every entry by key, its data; filter: up to 4 {type, op, value}.
int l_stk_dump(lua_State* l)
{
    std::string name = check_stktable(l);
    need_cli(l, "StickTable:dump");
    std::vector<std::string> w = {"show", "table", name};
    if (lua_gettop(l) >= 2 && !lua_isnil(l, 2)) {
        luaL_checktype(l, 2, LUA_TTABLE);
        lua_Integer n = (lua_Integer)lua_rawlen(l, 2);
        if (n > 4)
            return luaL_error(l, "StickTable:dump(): at most 4 filter entries");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(l, 2, i);
            if (!lua_istable(l, -1))
                return luaL_error(l, "StickTable:dump(): filter entry %d is not a table",
                                  (int)i);
            for (int j = 1; j <= 3; j++) {
                lua_rawgeti(l, -1, j);
                const char* v = lua_tostring(l, -1);
                if (!v)
                    return luaL_error(l, "StickTable:dump(): filter entry %d: {type, "
                                         "operator, value} expected", (int)i);
                w.push_back(j == 1 ? std::string("data.") + v : std::string(v));
                lua_pop(l, 1);
            }
            lua_pop(l, 1);
        }
    }
    std::vector<ptc_str> a;
    for (const std::string& x : w)
        a.push_back(ptc_str{x.data(), x.size()});
    size_t len = H->cli_run((uint32_t)a.size(), a.data(), nullptr, 0);
    std::string out(len + 1, '\0');
    H->cli_run((uint32_t)a.size(), a.data(), out.data(), out.size());
    out.resize(len);
    if (!out.empty() && out[0] != '#' && out.find(": key=") == std::string::npos) {
        push_stripped(l, out);
        return lua_error(l); // a bad filter: the runtime API's message
    }
    lua_newtable(l);
    size_t p = 0;
    while (p < out.size()) {
        size_t e = out.find('\n', p);
        if (e == std::string::npos)
            e = out.size();
        std::string line = out.substr(p, e - p), k;
        p = e + 1;
        if (line.empty() || line[0] == '#')
            continue;
        if (stk_push_entry(l, line, false, &k))
            lua_setfield(l, -2, k.c_str());
    }
    return 1;
}

void build_proxies()
{
    static const luaL_Reg srv_fns[] = {
        {"get_addr", l_srv_get_addr},     {"get_weight", l_srv_get_weight},
        {"set_weight", l_srv_set_weight}, {"set_drain", l_srv_set_drain},
        {"set_maint", l_srv_set_maint},   {"set_ready", l_srv_set_ready},
        {"is_draining", l_srv_is_draining}, {"get_stats", l_srv_get_stats},
        {"set_maxconn", l_srv_set_maxconn}, {"get_maxconn", l_srv_get_maxconn},
        {"set_addr", l_srv_set_addr},     {"shut_sess", l_srv_shut_sess},
        {"check_enable", l_srv_check<0>}, {"check_disable", l_srv_check<1>},
        {"check_force_up", l_srv_check<2>}, {"check_force_nolb", l_srv_check<3>},
        {"check_force_down", l_srv_check<4>}, {"agent_enable", l_srv_check<5>},
        {"agent_disable", l_srv_check<6>}, {"agent_force_up", l_srv_check<7>},
        {"agent_force_down", l_srv_check<8>},
        {nullptr, nullptr},
    };
    luaL_newmetatable(L, "portico.server");
    luaL_newlib(L, srv_fns);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg px_fns[] = {
        {"get_mode", l_px_get_mode},
        {"get_cap", l_px_get_cap},
        {"pause", l_px_state<0>},
        {"resume", l_px_state<1>},
        {"stop", l_px_state<2>},
        {"shut_bcksess", l_px_shut_bcksess},
        {"get_stats", l_px_get_stats},
        {nullptr, nullptr},
    };
    luaL_newmetatable(L, "portico.proxy");
    luaL_newlib(L, px_fns);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg stk_fns[] = {
        {"info", l_stk_info},
        {"lookup", l_stk_lookup},
        {"dump", l_stk_dump},
        {nullptr, nullptr},
    };
    luaL_newmetatable(L, "portico.stktable");
    luaL_newlib(L, stk_fns);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    lua_getglobal(L, "core");
    lua_newtable(L); // proxies
    lua_newtable(L); // frontends
    lua_newtable(L); // backends
    int core = lua_absindex(L, -4), all = core + 1, fes = core + 2, bes = core + 3;
    for (ptc_proxy* p = H->proxy_next(nullptr); p; p = H->proxy_next(p)) {
        std::string name = str(H->proxy_name(p));
        uint32_t cap = H->proxy_cap(p);
        lua_newtable(L);
        lua_pushlightuserdata(L, p);
        lua_rawseti(L, -2, 0);
        lua_pushstring(L, name.c_str());
        lua_setfield(L, -2, "name");
        lua_pushstring(L, str(H->proxy_mode(p)).c_str());
        lua_setfield(L, -2, "__mode");
        lua_pushstring(L, (cap & PTC_SEC_FRONTEND) && (cap & PTC_SEC_BACKEND) ? "frontend,backend"
                          : (cap & PTC_SEC_FRONTEND)                          ? "frontend"
                                                                              : "backend");
        lua_setfield(L, -2, "__cap");
        lua_newtable(L);
        if (cap & PTC_SEC_BACKEND)
            for (ptc_server* sv = H->server_next(p, nullptr); sv; sv = H->server_next(p, sv)) {
                std::string sn = str(H->server_name(sv));
                lua_newtable(L);
                lua_pushlightuserdata(L, sv);
                lua_rawseti(L, -2, 0);
                lua_pushstring(L, sn.c_str());
                lua_setfield(L, -2, "name");
                lua_pushinteger(L, H->server_id(sv));
                lua_setfield(L, -2, "puid");
                luaL_setmetatable(L, "portico.server");
                lua_setfield(L, -2, sn.c_str());
            }
        lua_setfield(L, -2, "servers");
        if (g_stick && PTC_HOST_HAS(H, cli_run) &&
            g_stick->table_info(ptc_str{name.data(), name.size()}, nullptr, nullptr, nullptr)) {
            lua_newtable(L);
            lua_pushstring(L, name.c_str());
            lua_setfield(L, -2, "__table");
            luaL_setmetatable(L, "portico.stktable");
            lua_setfield(L, -2, "stktable");
        }
        luaL_setmetatable(L, "portico.proxy");
        lua_pushvalue(L, -1);
        lua_setfield(L, all, name.c_str());
        if (cap & PTC_SEC_FRONTEND) {
            lua_pushvalue(L, -1);
            lua_setfield(L, fes, name.c_str());
        }
        if (cap & PTC_SEC_BACKEND) {
            lua_pushvalue(L, -1);
            lua_setfield(L, bes, name.c_str());
        }
        lua_pop(L, 1);
    }
    lua_setfield(L, core, "backends");
    lua_setfield(L, core, "frontends");
    lua_setfield(L, core, "proxies");
    lua_pop(L, 1);
}

int mod_post_config(ptc_modref*)
{
    HTTP = (const ptc_http_api*)H->api_lookup(PTC_HTTP_API_NAME, 1, nullptr);
    g_ssl = (const ptc_ssl_api*)H->api_lookup(PTC_SSL_API_NAME, 1, nullptr);
    g_stick = (const ptc_stick_api*)H->api_lookup(PTC_STICK_API_NAME, 1, nullptr);
    if (L)
        build_proxies();
    return PTC_OK;
}

// Proxy.uuid: the ids are numbered once the configuration is complete, after post_config.
void set_proxy_uuids()
{
    lua_getglobal(L, "core");
    lua_getfield(L, -1, "proxies");
    for (ptc_proxy* p = H->proxy_next(nullptr); p; p = H->proxy_next(p)) {
        if (lua_getfield(L, -1, str(H->proxy_name(p)).c_str()) == LUA_TTABLE) {
            lua_pushinteger(L, (lua_Integer)H->proxy_setting(p, "uuid"));
            lua_setfield(L, -2, "uuid");
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

int mod_worker_init(ptc_modref*)
{
    if (!L)
        return PTC_OK;
    set_proxy_uuids();
    for (int ref : g_inits) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        g_call_start = mono_ms();
        g_call_timeout = C.task_to;
        if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
            H->log(PTC_LOG_ERR, "Lua init: runtime error: %s", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    for (lfn* f : g_tasks) {
        run_ctx* rc = run_new(f, nullptr, "task", C.task_to);
        ptc_task* tk = H->task_new(SELF, task_fn, rc);
        if (!tk) {
            run_free(rc);
            continue;
        }
        rc->timer = nullptr;
        rc->own = tk;
        H->task_schedule(tk, 0);
    }
    return PTC_OK;
}

const ptc_module desc = {
    .magic = PTC_MODULE_MAGIC,
    .abi_major = PTC_ABI_MAJOR,
    .abi_minor = PTC_ABI_MINOR,
    .size = sizeof(ptc_module),
    .name = "lua",
    .version = "0.1.0",
    .description = "HAProxy's Lua API on Lua 5.4 (lua-load, actions, fetches, services, tasks)",
    .keywords = kws,
    .keyword_count = PTC_COUNTOF(kws),
    .keyword_size = sizeof(ptc_keyword),
    .hooks = hooks,
    .hook_count = PTC_COUNTOF(hooks),
    .hook_size = sizeof(ptc_hook),
    .proto_size = sizeof(ptc_proto),
    .init = mod_init,
    .post_config = mod_post_config,
    .worker_init = mod_worker_init,
    .fetch_size = sizeof(ptc_fetch),
    .conv_size = sizeof(ptc_conv),
    .action_size = sizeof(ptc_action),
    .stream_state_size = sizeof(sstate),
    .features = "LUA",
};

} // namespace

PTC_MODULE_ENTRY(host)
{
    H = host;
    if (!PTC_HOST_HAS(host, service_register))
        return nullptr;
    return &desc;
}
