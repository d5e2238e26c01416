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
// The shared "proc." variables (sample/vars.cpp): created by the master before forking,
// seeded with what the configuration set; <max_value> bytes at most per string value.
void procvars_shm_init(size_t max_value);
// Worker, every loop turn: applies the journal when it changed (woken for its reuse).
void patref_worker_turn();
// Master, every loop turn: applies the journal; returns the poll timeout (<tmo> or less).
int patref_master_turn(int tmo);
// Master: patref_fork_slot(slot) right before forking the worker of <slot> (the child
// keeps it as its own), patref_fork_slot(-1) right after (the master's own again).
void patref_fork_slot(int slot);
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
