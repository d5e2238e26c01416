// SPDX-License-Identifier: MIT
// The configuration loader: modules, keyword registries, section dispatch, defaults
// inheritance and the checks that follow parsing.
#pragma once

#include <string>
#include <vector>

#include "cfg/cond.hpp"
#include "cfg/reader.hpp"
#include "cfg/registry.hpp"
#include "proxy/cfg_ctx.hpp"
#include "proxy/proxy.hpp"

namespace portico {

struct module_rec;

struct load_options {
    std::vector<std::string> files;  // -f arguments, in order
    bool check_only = false;         // -c
    bool load_std_modules = true;
};

class cfg_loader {
public:
    cfg_loader();
    // Loads the standard modules (and nothing else). Used before -vv and -dK too.
    bool load_modules();
    // Reads and applies the files into <cfg>; then runs the post-parse checks and the
    // modules' post_config. Returns true when no error was found.
    bool load(const load_options& o, config& cfg);

    const std::vector<load_msg>& messages() const { return ctx_.msgs; }
    int errors() const { return ctx_.errors; }
    // Whether a "peers" section was read (its local peer listens: HAProxy's -c counts it
    // as a listener).
    bool has_peers() const { return peers_seen_; }
    // The environment .if/-cc conditions are evaluated in.
    const cfg::cond_env& cond_env() const { return env_; }
    // Keywords for -dK: "<where>\t<name>\t<owner>\t<help>".
    std::vector<std::string> dump_keywords() const;

    // Messages of the load (kept in the configuration context, see proxy/cfg_ctx.hpp).
    void error_at(const std::string& file, int line, const std::string& msg)
    {
        ctx_.error_at(file, line, msg);
    }
    void warn_at(const std::string& file, int line, const std::string& msg)
    {
        ctx_.warn_at(file, line, msg);
    }
    void error(const std::string& msg) { ctx_.error(msg); }
    // Used by the core keyword parsers ("module-load").
    module_rec* load_module(const std::string& spec, const std::string& file, int line);
    config* cfg() { return ctx_.cfg; }
    std::vector<std::string> module_paths;

private:
    void register_module(module_rec* m);
    void dispatch(const cfg::line& l);
    bool open_section(const cfg::line& l);
    bool call_section_keyword(const cfg::line& l);
    bool call_keyword(const cfg::line& l, size_t first, bool negated);
    proxy* new_proxy(const cfg::line& l, uint32_t cap, const std::string& name,
                     const std::string& from);
    void post_checks();

    cfg_ctx ctx_;                    // config being built, messages (g_cfg_ctx)
    cfg::registry kws_;              // section keywords
    cfg::cond_env env_;
    enum class sec { none, global, defaults, frontend, backend, listen, ring, program, userlist, http_errors, peers, unsupported } sec_ =
        sec::none;
    std::string http_errors_cur_; // the "http-errors" section being read
    proxy* cur_ = nullptr;           // proxy or defaults being defined
    proxy* last_defaults_ = nullptr;
    bool modules_loaded_ = false;
    bool peers_seen_ = false;

public:
    cfg::registry srv_kws;           // server / default-server options
    cfg::registry bind_kws;          // bind options
};

extern cfg_loader* g_loader;

} // namespace portico
