// SPDX-License-Identifier: MIT
// Shared pattern references and their runtime changes (patref.cpp): the runtime API's
// map/acl commands, the set-map/del-map/add-acl/del-acl actions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <portico/portico.h>

namespace portico {
namespace smp {

struct pat_ref;

// Journal operations (values stored in shared memory: append only).
enum class op : uint8_t {
    add = 1, del_key, del_id, set_key, set_id, clear, prepare, commit, add_absent, set_or_add,
};

// Master, before the workers fork: reserves the change journal.
void patref_shm_init();
// "show|get|add|del|set|clear|prepare|commit map|acl ..." (a[0] verb, a[1] "map"/"acl");
// A "<<" payload is the last word of <a>. Returns the answer.
std::string patref_cli(const std::vector<std::string>& a, bool has_payload);
// The reference of pattern file <path>, or nullptr (actions, Lua).
pat_ref* patref_find_file(const std::string& path);
// An action's change (add_absent, set_or_add, del_key): journaled for every process.
void patref_change(pat_ref* r, op o, std::string_view key, std::string_view val);

// host->pattern_change (ABI 1.12).
int host_pattern_change(ptc_str file, uint32_t op, ptc_str key, ptc_str value);

} // namespace smp
} // namespace portico
