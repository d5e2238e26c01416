// SPDX-License-Identifier: MIT
// libFuzzer target for the sample engine's compilers: expressions ("fetch(args),conv(args)"),
// ACL declarations and "if/unless" conditions with anonymous ACLs, on the core's fetches and
// converters plus the unit tests' fake HTTP fetches (core/test/test_sample_fixture.hpp).
// Input: byte 0 picks the mode (expression / condition / acl) and the stop character, the
// rest is the text. Checks: a refusal has a message; an accepted expression used at most
// the text and stopped on the stop character; what compiles evaluates without crashing.
// Inputs naming a path ('/') are skipped: map and pattern files would be opened.
#include "../test/test_sample_fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace portico;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_sample_expr: %s\n", what);
    abort();
}

std::vector<std::string> split_words(std::string_view s)
{
    std::vector<std::string> w;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ')
            i++;
        size_t j = i;
        while (j < s.size() && s[j] != ' ')
            j++;
        if (j > i)
            w.emplace_back(s.substr(i, j - i));
        i = j;
    }
    return w;
}

} // namespace

// Known and left alone: a regex compiled for an argument of an expression refused later in
// the same line (regsub(), -m reg patterns) is never freed. That is configuration-time
// memory on an error path (the configuration is then refused and the process exits), so
// the leak check is off here; ASan still checks every access.
extern "C" const char* __lsan_default_options() { return "detect_leaks=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1 || size > 512)
        return 0;
    const std::string_view text((const char*)data + 1, size - 1);
    if (text.find('/') != std::string_view::npos)
        return 0;
    static tfx::world* w = new tfx::world();
    tfx::g_hdrs["host"] = "example.com";
    tfx::g_path = "/a/b?c=d";
    static const char stops[] = {0, ']', ')', ' '};
    static const uint32_t uses[] = {0, PTC_USE_L4 | PTC_USE_HTTP_REQ, PTC_USE_ANY,
                                    PTC_USE_HTTP_RES};
    const int mode = data[0] % 3;

    // What one input compiles is freed after it (a long run would otherwise grow without
    // end); the named ACLs of mode 2 go with their proxy's list.
    struct release {
        smp::parse_marks mark = smp::parse_mark();
        ~release() { smp::parse_release(mark); }
    } rel;
    std::string err;
    if (mode == 0) {
        const char stop = stops[(data[0] >> 2) & 3];
        size_t used = 0;
        ptc_expr* e = smp::expr_parse(nullptr, text, &used, stop, uses[(data[0] >> 4) & 3], err);
        if (!e) {
            if (err.empty())
                fail("expression refused without a message");
            return 0;
        }
        if (used > text.size())
            fail("expression used more than the text");
        if (stop && used < text.size() && text[used] != stop)
            fail("expression stopped before something else than the stop character");
        if (!stop && used != text.size())
            fail("expression without a stop character did not use the whole text");
        ptc_sample s{};
        if (smp::expr_eval(w->ps(), e, &s)) {
            ptc_str o;
            smp::sample_to_str(&s, &o);
        }
        smp::txn_end(w->ps());
        return 0;
    }
    std::vector<std::string> words = split_words(text);
    if (mode == 1) {
        std::string cerr;
        words.insert(words.begin(), (data[0] & 4) ? "unless" : "if");
        int r = w->cond(words, &cerr);
        if (r == -1 && cerr.empty())
            fail("condition refused without a message");
        if (r < -1 || r > 2)
            fail("condition evaluated to an unknown result");
    } else {
        if (words.empty())
            return 0;
        words[0] = "fz" + words[0]; // a fresh ACL name space
        w->acl(words);
        smp::pdata(w->px).acls.clear();
    }
    smp::txn_end(w->ps());
    return 0;
}
