// SPDX-License-Identifier: MIT
// "userlist" sections and the HTTP authentication fetches (the built-in module "userlist").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

namespace portico {

struct config;
struct userlist_conf;

// "userlist <name>": false with <err> (no name, duplicate).
bool userlist_open(config& cfg, const std::vector<std::string>& args, const std::string& file,
                   int line, std::string& err);
// "group ..." / "user ..." in the current userlist section.
bool userlist_keyword(config& cfg, const std::vector<std::string>& args, int line,
                      std::string& err);
// After parsing: every group a user names and every user a group names exist.
bool userlists_check(const config& cfg, std::string& err);

const userlist_conf* userlist_find(const config& cfg, std::string_view name);
// <pass> is <user>'s password (crypt(3) hashes checked with crypt_r).
bool userlist_check_pass(const userlist_conf& ul, std::string_view user, std::string_view pass);
// <user> belongs to <group> ("user ... groups" or "group ... users").
bool userlist_in_group(const userlist_conf& ul, std::string_view user, std::string_view group);

const ptc_module* userlist_module();

} // namespace portico
