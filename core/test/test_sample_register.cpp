// SPDX-License-Identifier: MIT
// Unit tests of the sample registry (ABI 1.3): fetches, converters and actions registered
// through the host table with a private pointer, their use in expressions, ACLs and rules,
// duplicate refusal, prefix action names, actions built at run time (ABI 1.16), and the end
// of the registration window.
#define BOOST_TEST_MODULE sample_register
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <deque>

#include "sample/registry.hpp"
#include "test_sample_fixture.hpp"

using namespace portico;
using tfx::world;
using V = std::vector<std::string>;

namespace {

ptc_modref* self()
{
    module_rec* m = g_modules.find("testhttp");
    BOOST_REQUIRE(m);
    return to_handle(m);
}

int fetch_priv(ptc_stream*, const ptc_arg* args, uint32_t nargs, ptc_sample* out, void* priv)
{
    const std::string* s = static_cast<const std::string*>(priv);
    out->type = PTC_SMP_STR;
    out->flags = PTC_SMPF_CONST;
    if (nargs) // "reg_priv(x)": the argument instead
        out->u.str = args[0].str;
    else
        out->u.str = ptc_str{s->data(), s->size()};
    return 1;
}

int conv_priv(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* io, void* priv)
{
    io->type = PTC_SMP_SINT;
    io->u.sint = (int64_t)io->u.str.len + *static_cast<const int*>(priv);
    return 1;
}

struct act_state {
    std::string word;
    void* priv;
};
std::deque<act_state> g_states;
int g_execs = 0;

int act_parse_priv(const ptc_kw_ctx* ctx, uint32_t first, uint32_t* next, void** state,
                   void* priv)
{
    g_states.push_back(act_state{std::string(ctx->args[first - 1].ptr, ctx->args[first - 1].len),
                                 priv});
    *state = &g_states.back();
    *next = first;
    return PTC_OK;
}

int act_exec(ptc_stream*, void* state)
{
    g_execs++;
    return static_cast<act_state*>(state)->word == "regpfx.stop" ? PTC_ACT_DONE
                                                                    : PTC_ACT_CONTINUE;
}

std::string g_hello = "hello-priv";
int g_ten = 10;
int g_tag_prefix = 1, g_tag_exact = 2, g_tag_long = 3;

} // namespace

BOOST_AUTO_TEST_CASE(fetch_with_priv)
{
    world w;
    ptc_fetch f{"reg_priv", PTC_SMP_STR, PTC_USE_ANY, 0, 1, nullptr, nullptr, "reg_priv"};
    BOOST_REQUIRE(g_host.fetch_register(self(), &f, sizeof(f), fetch_priv, &g_hello) == PTC_OK);
    BOOST_TEST(w.eval("reg_priv") == "hello-priv");
    BOOST_TEST(w.eval("reg_priv(arg)") == "arg");
    BOOST_TEST(w.eval("reg_priv,upper") == "HELLO-PRIV");
    BOOST_TEST(w.eval("reg_priv(a,b)").find("at most 1 argument") != std::string::npos);
    // in an ACL and a condition
    BOOST_TEST(w.match({"reg_priv", "hello-priv"}) == 1);
    BOOST_TEST(w.match({"reg_priv", "-m", "beg", "nope"}) == 0);
    // the entry is in the registry with its owner and priv
    const smp::fetch_entry* e = smp::find_fetch_entry("reg_priv");
    BOOST_REQUIRE(e);
    BOOST_TEST(e->priv == &g_hello);
    BOOST_TEST(e->owner == to_module(self()));
    // the compiled expression keeps the function and the pointer
    std::string err;
    ptc_expr* x = w.parse("reg_priv", err);
    BOOST_REQUIRE(x);
    BOOST_TEST(x->fn_priv == &fetch_priv);
    BOOST_TEST(x->priv == &g_hello);
    // through the host table too
    ptc_sample s;
    BOOST_TEST(g_host.expr_eval(w.ps(), x, &s) == 1);
    BOOST_TEST(std::string(s.u.str.ptr, s.u.str.len) == "hello-priv");
}

BOOST_AUTO_TEST_CASE(conv_with_priv)
{
    world w;
    ptc_conv c{"reg_len_plus", PTC_SMP_STR, PTC_SMP_SINT, 0, 0, nullptr, nullptr,
               "reg_len_plus"};
    BOOST_REQUIRE(g_host.conv_register(self(), &c, sizeof(c), conv_priv, &g_ten) == PTC_OK);
    BOOST_TEST(w.eval("str(abcd),reg_len_plus") == "14");
    BOOST_TEST(w.eval("int(123),reg_len_plus") == "13"); // cast to str first
    BOOST_TEST(w.eval("str(ab),reg_len_plus,add(1)") == "13");
    // a fetch cannot be used as a converter and vice versa
    BOOST_TEST(w.eval("reg_len_plus").find("is a converter") != std::string::npos);
    BOOST_TEST(w.match({"str(abcde),reg_len_plus", "15"}) == 1);
}

BOOST_AUTO_TEST_CASE(duplicates_refused)
{
    world w;
    ptc_fetch f{"path", PTC_SMP_STR, PTC_USE_ANY, 0, 0, nullptr, nullptr, "path"};
    BOOST_TEST(g_host.fetch_register(self(), &f, sizeof(f), fetch_priv, &g_hello) == PTC_ERROR);
    f.name = "src"; // a core fetch
    BOOST_TEST(g_host.fetch_register(self(), &f, sizeof(f), fetch_priv, &g_hello) == PTC_ERROR);
    ptc_conv c{"lower", PTC_SMP_STR, PTC_SMP_STR, 0, 0, nullptr, nullptr, "lower"};
    BOOST_TEST(g_host.conv_register(self(), &c, sizeof(c), conv_priv, &g_ten) == PTC_ERROR);
    ptc_action a{PTC_RULES_HTTP_REQ, "test-deny", nullptr, act_exec, "test-deny"};
    BOOST_TEST(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, nullptr) ==
               PTC_ERROR);
    a.name = "lua."; // the fixture registers this prefix
    BOOST_TEST(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, nullptr) ==
               PTC_ERROR);
    // the same name in another rule set is another action
    a.ruleset = PTC_RULES_HTTP_RES;
    a.name = "test-deny";
    BOOST_TEST(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, nullptr) == PTC_OK);
    // the messages
    std::string err;
    BOOST_TEST(!smp::register_fetch(nullptr, f, fetch_priv, nullptr, err));
    BOOST_TEST(err == "a fetch named 'src' is already registered (by module core)");
    f.name = "path";
    BOOST_TEST(!smp::register_fetch(nullptr, f, fetch_priv, nullptr, err));
    BOOST_TEST(err == "a fetch named 'path' is already registered (by module testhttp)");
    // invalid entries
    f.name = "bad name";
    BOOST_TEST(g_host.fetch_register(self(), &f, sizeof(f), fetch_priv, nullptr) == PTC_ERROR);
    f.name = "nofn";
    BOOST_TEST(g_host.fetch_register(self(), &f, sizeof(f), nullptr, nullptr) == PTC_ERROR);
    BOOST_TEST(g_host.fetch_register(self(), &f, 8, fetch_priv, nullptr) == PTC_ERROR);
    a.exec = nullptr;
    a.name = "noexec";
    BOOST_TEST(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, nullptr) ==
               PTC_ERROR);
    // nothing of the refused ones was added
    BOOST_TEST(!smp::find_fetch_entry("nofn"));
    BOOST_TEST(w.eval("path") == "/");
}

BOOST_AUTO_TEST_CASE(prefix_actions)
{
    world w;
    ptc_action a{PTC_RULES_HTTP_REQ, "regpfx.", nullptr, act_exec, "regpfx.<name>"};
    BOOST_REQUIRE(g_host.action_register(self(), &a, sizeof(a), act_parse_priv,
                                         &g_tag_prefix) == PTC_OK);
    a.name = "regpfx.exact";
    BOOST_REQUIRE(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, &g_tag_exact) ==
                  PTC_OK);
    a.name = "regpfx.long.";
    BOOST_REQUIRE(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, &g_tag_long) ==
                  PTC_OK);
    const smp::action_entry* e = smp::find_action_entry(PTC_RULES_HTTP_REQ, "regpfx.hello");
    BOOST_REQUIRE(e);
    BOOST_TEST(e->priv == &g_tag_prefix);
    BOOST_TEST(e->prefix);
    e = smp::find_action_entry(PTC_RULES_HTTP_REQ, "regpfx.exact"); // exact beats prefix
    BOOST_REQUIRE(e);
    BOOST_TEST(e->priv == &g_tag_exact);
    e = smp::find_action_entry(PTC_RULES_HTTP_REQ, "regpfx.exactly"); // not exact: prefix
    BOOST_REQUIRE(e);
    BOOST_TEST(e->priv == &g_tag_prefix);
    e = smp::find_action_entry(PTC_RULES_HTTP_REQ, "regpfx.long.x"); // longest prefix
    BOOST_REQUIRE(e);
    BOOST_TEST(e->priv == &g_tag_long);
    BOOST_TEST(!smp::find_action_entry(PTC_RULES_HTTP_REQ, "regpfx.")); // nothing after it
    BOOST_TEST(!smp::find_action_entry(PTC_RULES_HTTP_RES, "regpfx.hello")); // other set
    // the fixture's "lua." prefix resolves "lua.hello"; no "lua." in http-response: a
    // placeholder for a HAProxy action portico does not run
    e = smp::find_action_entry(PTC_RULES_HTTP_REQ, "lua.hello");
    BOOST_REQUIRE(e);
    BOOST_TEST(e->supported);
    e = smp::find_action_entry(PTC_RULES_HTTP_RES, "lua.hello");
    BOOST_REQUIRE(e);
    BOOST_TEST(!e->supported);

    // used by rules: parse with the priv pointer, run exec
    g_states.clear();
    g_execs = 0;
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "regpfx.hello"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "regpfx.exact", "if", "TRUE"}) ==
                  PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "regpfx.long.y"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "regpfx.stop"}) == PTC_OK);
    BOOST_REQUIRE(w.kw(smp::parse_rules, V{"http-request", "regpfx.never"}) == PTC_OK);
    BOOST_REQUIRE(g_states.size() == 5u);
    BOOST_TEST(g_states[0].word == "regpfx.hello");
    BOOST_TEST(g_states[0].priv == &g_tag_prefix);
    BOOST_TEST(g_states[1].priv == &g_tag_exact);
    BOOST_TEST(g_states[2].priv == &g_tag_long);
    BOOST_TEST(host_rules_run(w.ps(), PTC_RULES_HTTP_REQ, to_handle(&w.px)) == PTC_ACT_DONE);
    BOOST_TEST(g_execs == 4); // stopped by regpfx.stop

    // "lua.x" without a registered "lua." prefix: refused as not supported yet, with file:line
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-response", "lua.x"}) == PTC_ERROR);
    BOOST_TEST(w.last_error() == "test.cfg:1: 'http-response lua.x' is not supported yet by "
                                 "portico");
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-response", "regpfx.x"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("unknown action 'regpfx.x'") != std::string::npos);
    // prefixes are listed among the known actions
    BOOST_TEST(w.kw(smp::parse_rules, V{"http-request", "frob"}) == PTC_ERROR);
    BOOST_TEST(w.last_error().find("regpfx.<name>") != std::string::npos);
}

// host->action_compile / action_exec (ABI 1.16): an action built from its words at run time,
// parsed as the configuration line would be, and run on a stream.
BOOST_AUTO_TEST_CASE(action_compile)
{
    world w;
    ptc_action a{PTC_RULES_HTTP_REQ, "rtact", nullptr, act_exec, "rtact"};
    BOOST_REQUIRE(g_host.action_register(self(), &a, sizeof(a), act_parse_priv, &g_ten) ==
                  PTC_OK);
    auto words = [](const V& v) {
        static std::deque<std::vector<ptc_str>> keep;
        keep.emplace_back();
        for (const std::string& x : v)
            keep.back().push_back(ptc_str{x.data(), x.size()});
        return keep.back().data();
    };
    V ok{"rtact"};
    char err[256] = "";
    g_states.clear();
    g_execs = 0;
    ptc_act_rule* r = g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_REQ, 1, words(ok),
                                            err, sizeof(err));
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(g_states.size() == 1u);
    BOOST_TEST(g_states[0].word == "rtact");
    BOOST_TEST(g_states[0].priv == &g_ten);
    BOOST_TEST(g_host.action_exec(w.ps(), r) == PTC_ACT_CONTINUE);
    BOOST_TEST(g_execs == 1);

    // a core action with an expression, run on the stream
    V prio{"set-priority-class", "int(7)"};
    r = g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_REQ, 2, words(prio), err,
                              sizeof(err));
    BOOST_REQUIRE(r);
    BOOST_TEST(g_host.action_exec(w.ps(), r) == PTC_ACT_CONTINUE);
    BOOST_TEST(w.eval("prio_class") == "7");

    // refusals: the reason without the configuration's file:line, and no load error left
    int errors = g_cfg_ctx ? g_cfg_ctx->errors : 0;
    V bad{"set-priority-class"};
    BOOST_TEST(!g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_REQ, 1, words(bad), err,
                                      sizeof(err)));
    BOOST_TEST(std::string(err) == "'set-priority-class' expects a sample expression", err);
    BOOST_TEST((g_cfg_ctx ? g_cfg_ctx->errors : 0) == errors);
    V unknown{"frobnicate"};
    BOOST_TEST(!g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_REQ, 1, words(unknown),
                                      err, sizeof(err)));
    BOOST_TEST(std::string(err) == "'frobnicate' is not an action in this rule set");
    V extra{"rtact", "more"};
    BOOST_TEST(!g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_REQ, 2, words(extra),
                                      err, sizeof(err)));
    BOOST_TEST(std::string(err) == "'rtact': unexpected word 'more'");
    BOOST_TEST(!g_host.action_compile(to_handle(&w.px), PTC_RULES_HTTP_RES, 1, words(ok), err,
                                      sizeof(err)));
}
namespace {

int fetch_maychange(ptc_stream*, const ptc_arg*, uint32_t, ptc_sample* out, void*)
{
    out->flags |= PTC_SMPF_MAYCHANGE; // "no answer yet"
    return 0;
}

std::string g_req_tag = "from-request", g_res_tag = "from-response";

} // namespace

// "payload" and "payload_lv" (deprecated) follow the running rule set's direction: the
// req.* fetch, or the res.* one in response rules, chosen at each evaluation
BOOST_AUTO_TEST_CASE(payload_follows_rule_direction)
{
    world w;
    ptc_fetch rq{"req.payload", PTC_SMP_STR, PTC_USE_ANY, 0, 2, nullptr, nullptr, "rq"};
    ptc_fetch rs{"res.payload", PTC_SMP_STR, PTC_USE_ANY, 0, 2, nullptr, nullptr, "rs"};
    BOOST_REQUIRE(g_host.fetch_register(self(), &rq, sizeof(rq), fetch_priv, &g_req_tag) == PTC_OK);
    BOOST_REQUIRE(g_host.fetch_register(self(), &rs, sizeof(rs), fetch_priv, &g_res_tag) == PTC_OK);
    BOOST_TEST(w.eval("payload") == "from-request"); // outside response rules: the request
    BOOST_TEST(w.eval("payload(x)") == "x");         // the arguments are passed on
    smp::g_rules_response = true;
    BOOST_TEST(w.eval("payload") == "from-response");
    BOOST_TEST(w.eval("payload,upper") == "FROM-RESPONSE");
    smp::g_rules_response = false;
    // without both fetches it is refused as HAProxy's name not supported yet
    BOOST_TEST(w.eval("payload_lv(0,1)").find("not supported yet") != std::string::npos);
}

// ABI 1.25: host->expr_eval reports PTC_SMPF_MAYCHANGE only during a partial rule run
BOOST_AUTO_TEST_CASE(expr_eval_maychange_only_partial)
{
    world w;
    ptc_fetch f{"reg_maychange", PTC_SMP_STR, PTC_USE_ANY, 0, 0, nullptr, nullptr, "mc"};
    BOOST_REQUIRE(g_host.fetch_register(self(), &f, sizeof(f), fetch_maychange, nullptr) == PTC_OK);
    std::string err;
    ptc_expr* x = w.parse("reg_maychange", err);
    BOOST_REQUIRE(x);
    ptc_sample s{};
    BOOST_TEST(g_host.expr_eval(w.ps(), x, &s) == 0);
    BOOST_TEST((s.flags & PTC_SMPF_MAYCHANGE) == 0u);
    smp::g_rules_partial = true;
    s = ptc_sample{};
    BOOST_TEST(g_host.expr_eval(w.ps(), x, &s) == 0);
    BOOST_TEST((s.flags & PTC_SMPF_MAYCHANGE) != 0u);
    smp::g_rules_partial = false;
}


// Last: closing the registry is for good.
BOOST_AUTO_TEST_CASE(zz_registration_window)
{
    world w;
    BOOST_TEST(smp::registry_open());
    smp::registry_close();
    ptc_fetch f{"too_late", PTC_SMP_STR, PTC_USE_ANY, 0, 0, nullptr, nullptr, "too_late"};
    BOOST_TEST(g_host.fetch_register(self(), &f, sizeof(f), fetch_priv, &g_hello) == PTC_ERROR);
    std::string err;
    BOOST_TEST(!smp::register_fetch(nullptr, f, fetch_priv, nullptr, err));
    BOOST_TEST(err.find("too late") != std::string::npos);
    BOOST_TEST(!smp::find_fetch_entry("too_late"));
    // what was registered before still works
    BOOST_TEST(w.eval("reg_priv") == "hello-priv");
}
