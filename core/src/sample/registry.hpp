// SPDX-License-Identifier: MIT
// The one registry of sample fetches, converters and rule actions: the entries of every
// module's descriptor tables (the core's included) and those registered at run time with
// host->fetch_register()/conv_register()/action_register() (ABI 1.3), each with its owning
// module and its private pointer. Expression compilation, ACLs and rule parsing look
// names up here and nowhere else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

namespace portico {

struct module_rec;

namespace smp {

struct fetch_entry {
    ptc_fetch f{};                     // copy of the entry (strings are the module's)
    ptc_fetch_priv_fn fn_priv = nullptr; // when set, called instead of f.fn, with priv
    void* priv = nullptr;
    module_rec* owner = nullptr;       // nullptr: the core's table before "core" is loaded
};

struct conv_entry {
    ptc_conv c{};
    ptc_conv_priv_fn fn_priv = nullptr;
    void* priv = nullptr;
    module_rec* owner = nullptr;
};

struct action_entry {
    ptc_action a{};                    // a.parse/a.exec are NULL for a HAProxy action
                                       // portico does not run ("not supported yet")
    ptc_act_parse_priv_fn parse_priv = nullptr; // when set, called instead of a.parse
    void* priv = nullptr;
    module_rec* owner = nullptr;
    bool prefix = false;               // name ends in '.': matches "<name><anything>"
    bool supported = true;             // false: a placeholder for a known HAProxy action
};

// Adds every fetch, converter and action of a module's (checked) descriptor tables.
// Duplicate names are refused: false with err, nothing added. The core's own tables are
// always present (so that unit tests without the "core" module find them); adding the
// "core" module only records it as their owner.
bool registry_add_module(module_rec* m, std::string& err);

// Run-time registration (host->*_register). `owner` may be nullptr (tests). Returns false
// with err (duplicate name, invalid entry, registration closed).
bool register_fetch(module_rec* owner, const ptc_fetch& f, ptc_fetch_priv_fn fn, void* priv,
                    std::string& err);
bool register_conv(module_rec* owner, const ptc_conv& c, ptc_conv_priv_fn fn, void* priv,
                   std::string& err);
bool register_action(module_rec* owner, const ptc_action& a, ptc_act_parse_priv_fn fn,
                     void* priv, std::string& err);

// Ends run-time registration (the configuration is completely read). Unit tests never
// close it.
void registry_close();
bool registry_open();

// Look-ups (configuration time).
const fetch_entry* find_fetch_entry(std::string_view name);
const conv_entry* find_conv_entry(std::string_view name);
// The action a rule word ("set-var(txn.x)", "lua.foo") names in rule set `rs`: an exact
// name (the part before '(') wins over a prefix ("lua."), the longest prefix over a
// shorter one, a supported entry over a placeholder for a HAProxy action portico does not
// run. nullptr when nothing matches.
const action_entry* find_action_entry(uint32_t rs, std::string_view word);

// Listings, sorted by name (messages, documentation).
std::vector<const fetch_entry*> all_fetches();
std::vector<const conv_entry*> all_convs();
// Names of the supported actions of a rule set, ", "-separated ("none" if none).
std::string known_actions(uint32_t rs);

} // namespace smp
} // namespace portico
