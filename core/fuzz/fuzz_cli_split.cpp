// SPDX-License-Identifier: MIT
// libFuzzer target for the runtime API's command splitter (cli_split: '\' escapes, ';'
// separates commands, blanks separate words). Input: one command line. Checks: there is
// one command per unescaped ';' plus one; no word is empty; and escaping every word again
// and joining gives a line that splits into the same commands (a round trip).
#include "cli/cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace portico;

namespace {

[[noreturn]] void fail(const char* what)
{
    fprintf(stderr, "fuzz_cli_split: %s\n", what);
    abort();
}

std::string escape(const std::string& w)
{
    std::string o;
    for (char c : w) {
        if (c == '\\' || c == ';' || c == ' ' || c == '\t' || c == '\r')
            o += '\\';
        o += c;
    }
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 4096)
        return 0;
    const std::string line((const char*)data, size);
    auto cmds = cli_split(line);

    size_t seps = 0;
    for (size_t i = 0; i < line.size(); i++) {
        if (line[i] == '\\' && i + 1 < line.size())
            i++;
        else if (line[i] == ';')
            seps++;
    }
    if (cmds.size() != seps + 1)
        fail("not one command per unescaped ';'");
    for (auto& c : cmds)
        for (auto& w : c)
            if (w.empty())
                fail("empty word");

    std::string again;
    for (size_t i = 0; i < cmds.size(); i++) {
        if (i)
            again += ';';
        for (size_t j = 0; j < cmds[i].size(); j++)
            again += (j ? " " : "") + escape(cmds[i][j]);
    }
    if (cli_split(again) != cmds)
        fail("escaped words do not split back to the same commands");
    return 0;
}
