// SPDX-License-Identifier: MIT
// Generic configuration keyword registry with longest match and "did you mean" hints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace portico::cfg {

struct kw_entry {
    std::string name;  // one or two words: "bind", "timeout connect", "option forwardfor"
    uint32_t where;    // bitmask of sections/contexts, opaque to the registry
    std::string owner; // "core" or a module name
    const void *data;  // opaque pointer for the caller
};

class registry {
public:
    // Adds <e>. Throws std::runtime_error if an entry with the same name and an
    // overlapping <where> mask exists, or if the name is empty or has more than 2 words.
    void add(kw_entry e);

    // Longest match at args[first]: tries "args[first] args[first+1]", then "args[first]",
    // among entries with (where & where_mask) != 0. Sets *words_used (if not null) to 1 or 2.
    // Returns nullptr if nothing matches.
    const kw_entry *find(const std::vector<std::string> &args, size_t first, int *words_used,
                         uint32_t where_mask = ~0u) const;

    // Closest known keyword to the (unknown) words at args[first] among entries with
    // (where & where_mask) != 0, by Damerau-Levenshtein distance on one- and two-word
    // forms; empty if nothing is reasonably close.
    std::string suggest(const std::vector<std::string> &args, size_t first,
                        uint32_t where_mask) const;

    // Every entry, sorted by name then owner (for "-dK").
    std::vector<const kw_entry *> all() const;

private:
    std::multimap<std::string, kw_entry> entries_;
};

// Edit distance with adjacent transpositions (optimal string alignment).
size_t edit_distance(std::string_view a, std::string_view b);

// True if <name> (one or two words, optionally prefixed by "no " or "default ") is a
// keyword HAProxy 2.6 accepts in <context>: 0 = global and every section (proxies,
// peers, resolvers, userlist, ...), 1 = bind options, 2 = server/default-server options.
// Used to say "'X' is a HAProxy keyword not supported yet by portico" instead of
// "unknown keyword". A two-word name also matches when its first word alone is a
// keyword (e.g. "stats socket", "http-request set-header"); a one-word name matches the
// first word of a two-word keyword ("timeout").
bool is_haproxy_keyword(std::string_view name, int context);

// True if HAProxy 2.6 has a sample fetch (or ACL keyword) / a converter of that name.
bool is_haproxy_fetch(std::string_view name);
bool is_haproxy_converter(std::string_view name);
// The HAProxy 2.6 runtime API command the words start with ("show map"), or "".
std::string haproxy_cli_command(const std::vector<std::string> &words);

} // namespace portico::cfg
