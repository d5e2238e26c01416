// SPDX-License-Identifier: MIT
// Generic configuration keyword registry with longest match and "did you mean" hints.
#include "cfg/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace portico::cfg {

size_t edit_distance(std::string_view a, std::string_view b)
{
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

void registry::add(kw_entry e)
{
    const size_t sp = e.name.find(' ');
    if (e.name.empty() || e.name.front() == ' ' || e.name.back() == ' ' ||
        (sp != std::string::npos && e.name.find(' ', sp + 1) != std::string::npos))
        throw std::runtime_error("invalid keyword name '" + e.name + "'");
    auto range = entries_.equal_range(e.name);
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second.where & e.where)
            throw std::runtime_error("keyword '" + e.name + "' registered by '" + e.owner +
                                     "' is already registered by '" + it->second.owner + "'");
    }
    std::string key = e.name;
    entries_.emplace(std::move(key), std::move(e));
}

const kw_entry *registry::find(const std::vector<std::string> &args, size_t first,
                               int *words_used, uint32_t where_mask) const
{
    auto lookup = [&](const std::string &name) -> const kw_entry * {
        auto range = entries_.equal_range(name);
        for (auto it = range.first; it != range.second; ++it) {
            if (it->second.where & where_mask)
                return &it->second;
        }
        return nullptr;
    };
    if (first >= args.size())
        return nullptr;
    if (first + 1 < args.size()) {
        if (const kw_entry *e = lookup(args[first] + " " + args[first + 1])) {
            if (words_used)
                *words_used = 2;
            return e;
        }
    }
    if (const kw_entry *e = lookup(args[first])) {
        if (words_used)
            *words_used = 1;
        return e;
    }
    return nullptr;
}

std::string registry::suggest(const std::vector<std::string> &args, size_t first,
                              uint32_t where_mask) const
{
    if (first >= args.size())
        return {};
    const std::string one = args[first];
    const std::string two = first + 1 < args.size() ? one + " " + args[first + 1] : std::string();

    // allowed distance grows with the length of what is compared
    auto limit = [](size_t len) -> size_t { return len <= 3 ? 1 : len <= 8 ? 2 : 3; };

    std::string best;
    size_t best_dist = SIZE_MAX;
    for (const auto &[name, e] : entries_) {
        if (!(e.where & where_mask))
            continue;
        const bool two_words = name.find(' ') != std::string::npos;
        size_t dist;
        if (two_words) {
            if (two.empty()) {
                // only the first word was given: compare it with the first word
                const std::string head = name.substr(0, name.find(' '));
                dist = edit_distance(one, head);
                if (dist > limit(one.size()))
                    continue;
            } else {
                dist = edit_distance(two, name);
                if (dist > limit(two.size()))
                    continue;
            }
        } else {
            dist = edit_distance(one, name);
            if (dist > limit(one.size()))
                continue;
        }
        if (dist < best_dist || (dist == best_dist && name.size() < best.size())) {
            best_dist = dist;
            best = two_words && two.empty() ? name.substr(0, name.find(' ')) : name;
        }
    }
    return best;
}

std::vector<const kw_entry *> registry::all() const
{
    std::vector<const kw_entry *> v;
    v.reserve(entries_.size());
    for (const auto &[name, e] : entries_)
        v.push_back(&e);
    std::stable_sort(v.begin(), v.end(), [](const kw_entry *a, const kw_entry *b) {
        return a->name != b->name ? a->name < b->name : a->owner < b->owner;
    });
    return v;
}

} // namespace portico::cfg
