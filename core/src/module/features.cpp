// SPDX-License-Identifier: MIT
// The feature list: what this build of the core really has, plus the feature words of
// every loaded module (ptc_module.features, ABI 1.3). Printed by -vv ("Feature list") and
// answered by ".if feature(NAME)" / -cc.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>
#include <string_view>

#include "autoconf.h"
#include "module/module.hpp"

namespace portico {

namespace {

// Names HAProxy's -vv prints with '+' or '-' that tools look for; portico prints them
// with '-' when neither the core nor a module provides them, in this order.
const char* const k_well_known[] = {"EPOLL",   "IOURING", "PCRE",  "PCRE_JIT", "PCRE2",
                                    "PCRE2_JIT", "OPENSSL", "LUA",  "ZLIB",     "SLZ",
                                    "QUIC",    "PROMEX",  nullptr};

bool pcre2_has_jit()
{
    uint32_t jit = 0;
    return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
}

// What the core itself has.
bool core_has(std::string_view f)
{
    if (f == "EPOLL" || f == "PORTICO")
        return true;
    if (f == "IOURING")
        return PTC_HAVE_URING != 0;
    if (f == "PCRE2")
        return PTC_HAVE_PCRE2 != 0;
    if (f == "PCRE2_JIT")
        return PTC_HAVE_PCRE2 != 0 && pcre2_has_jit();
    return false;
}

bool module_has(std::string_view f)
{
    for (auto& m : g_modules.all())
        for (const std::string& w : m->features)
            if (w == f)
                return true;
    return false;
}

} // namespace

bool has_feature(std::string_view name) { return core_has(name) || module_has(name); }

std::string feature_list()
{
    std::string out;
    auto add = [&](const std::string& w) { out += (out.empty() ? "" : " ") + w; };
    for (const char* const* p = k_well_known; *p; p++)
        add((has_feature(*p) ? "+" : "-") + std::string(*p));
    add("+PORTICO");
    // module words that are not well-known names, once each, in load order
    std::vector<std::string> seen;
    for (auto& m : g_modules.all())
        for (const std::string& w : m->features) {
            bool known = w == "PORTICO";
            for (const char* const* p = k_well_known; *p && !known; p++)
                known = w == *p;
            for (const std::string& s : seen)
                known = known || s == w;
            if (!known) {
                seen.push_back(w);
                add("+" + w);
            }
        }
    return out;
}

} // namespace portico
