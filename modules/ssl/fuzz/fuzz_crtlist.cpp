// SPDX-License-Identifier: MIT
// libFuzzer target for crtlist::parse_line: no crash, and what it accepts is consistent
// (a file name, options without brackets, lowercase filters that match themselves).
#include "crtlist.hpp"

#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const char* what)
{
    __builtin_printf("fuzz_crtlist: %s\n", what);
    abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view line(reinterpret_cast<const char*>(data), size);
    crtlist::entry e;
    std::string err;
    crtlist::status st = crtlist::parse_line(line, e, err);
    if (st == crtlist::status::error && err.empty())
        fail("error without a reason");
    if (st != crtlist::status::ok)
        return 0;
    if (e.file.empty() || e.file[0] == '[')
        fail("bad file name");
    for (const std::string& o : e.options)
        if (o.empty() || o.find_first_of("[]") != std::string::npos)
            fail("bracket in an option");
    for (const auto* v : {&e.filters, &e.excludes})
        for (const std::string& f : *v) {
            if (f.empty() || f[0] == '!')
                fail("bad filter");
            for (char c : f)
                if (c >= 'A' && c <= 'Z')
                    fail("filter not lowercased");
            if (f[0] != '*' && !crtlist::name_matches(f, f))
                fail("a filter does not match itself");
        }
    return 0;
}
