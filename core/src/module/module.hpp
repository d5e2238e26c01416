// SPDX-License-Identifier: MIT
// Module records, the loader with its ABI checks, and the inter-module API registry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

namespace portico {

struct conf_blobs;

// What the host keeps of a loaded module. ptc_modref (the module's "self") is this.
struct module_rec {
    std::string name;
    std::string path;             // file it was loaded from ("" for the core)
    void* dl = nullptr;
    ptc_module desc{};            // the known part of the descriptor, zero-extended
    std::vector<ptc_keyword> keywords;
    std::vector<ptc_hook> hooks;
    std::vector<ptc_proto> protos;
    std::vector<ptc_fetch> fetches;   // since 1.2 (empty for older modules)
    std::vector<ptc_conv> convs;
    std::vector<ptc_action> actions;  // (the registry, sample/registry.hpp, is what looks
                                      // fetches, converters and actions up)
    std::vector<std::string> features; // since 1.3: the descriptor's feature words
    uint32_t index = 0;           // position among loaded modules (conf blob slot)
    bool initialised = false;
};

inline module_rec* to_module(ptc_modref* m) { return reinterpret_cast<module_rec*>(m); }
inline ptc_modref* to_handle(module_rec* m) { return reinterpret_cast<ptc_modref*>(m); }

// Sizes of the ABI 1.0 descriptor and table entries (x86-64/LP64): the least a 1.x module
// may declare. Frozen: when a later minor appends fields, these stay as they are.
constexpr uint32_t k_min_module_size = 152;
constexpr uint32_t k_min_keyword_size = 40;
constexpr uint32_t k_min_hook_size = 16;
constexpr uint32_t k_min_proto_size = 32;
// Sizes of the 1.2 sample table entries.
constexpr uint32_t k_min_fetch_size = sizeof(ptc_fetch);
constexpr uint32_t k_min_conv_size = sizeof(ptc_conv);
constexpr uint32_t k_min_action_size = sizeof(ptc_action);
static_assert(sizeof(ptc_module) >= k_min_module_size && sizeof(ptc_keyword) >= k_min_keyword_size &&
                  sizeof(ptc_hook) >= k_min_hook_size && sizeof(ptc_proto) >= k_min_proto_size,
              "ABI structs may only grow");

// Checks a descriptor returned by a module's entry function against this host's
// ABI and copies what we know of it into `out` (tables included). Returns false
// with `err` explaining why the module is refused. `what` names it in messages.
bool check_descriptor(const ptc_module* d, const std::string& what, module_rec& out,
                      std::string& err);

// "1.0" or "1.0-1.4": the ABI range this host accepts, for messages.
std::string host_abi_range();

class module_set {
public:
    // dlopen `path`, call its entry, check it, register it. On failure returns
    // nullptr with err set (the module is unloaded).
    module_rec* load(const std::string& path, std::string& err);
    // Register a built-in table set under `name` (used by the core itself).
    module_rec* add_builtin(const std::string& name, const ptc_module* desc);
    module_rec* find(const std::string& name) const;
    const std::vector<std::unique_ptr<module_rec>>& all() const { return mods_; }
    size_t count() const { return mods_.size(); }

    // Inter-module APIs.
    int publish(module_rec* m, const char* name, uint32_t version, const void* api);
    const void* lookup(const char* name, uint32_t min_version, uint32_t* version) const;

private:
    std::vector<std::unique_ptr<module_rec>> mods_;
    struct api_rec {
        module_rec* owner;
        uint32_t version;
        const void* api;
    };
    std::map<std::string, api_rec> apis_;
};

extern module_set g_modules;
extern const ptc_host g_host;

// Standard module names loaded by default from the module directory.
extern const char* const k_standard_modules[];

// Features (features.cpp): what the core build really has ("EPOLL", "IOURING" when the
// io_uring backend is compiled in, "PCRE2", "PCRE2_JIT", "PORTICO") or a loaded module
// declares in ptc_module.features. has_feature() answers ".if feature(NAME)";
// feature_list() is -vv's "+EPOLL +IOURING -OPENSSL ... +PORTICO [+MODULE_WORD...]".
bool has_feature(std::string_view name);
std::string feature_list();

// Directories searched for modules, in order: the config's module-path entries,
// <exe dir>/modules, the installed module directory.
std::vector<std::string> default_module_dirs();

// Conf blobs: the blob of module <m> in <b> for <kind> (PTC_CONF_GLOBAL, _PROXY or
// _SERVER), allocated and initialised (conf_init) on first use; null when the module
// declares no blob of that kind.
void* conf_blob(conf_blobs& b, module_rec* m, uint32_t kind);
// Copies every module blob of <src> into <dst> (conf_copy, else a byte copy): inheritance
// from a defaults section or a default-server line.
void conf_blobs_copy(conf_blobs& dst, const conf_blobs& src, uint32_t kind);

} // namespace portico
