// SPDX-License-Identifier: MIT
// first: servers filled one after the other, by id.
#include "lb/lb_int.hpp"

namespace portico {

namespace {

// The usable server with the lowest id that has a free slot.
int first_pick(proxy*, const lb_backend*, stream*, const lb_tier& t, server* avoid, server** out)
{
    bool any = false;
    for (int pass = 0; pass < 2; pass++) {
        for (server* s : t.srv) {
            if (!lb_usable(s))
                continue;
            any = true;
            if (pass == 0 && s == avoid)
                continue;
            if (lb_try_take(s, out) == CH_OK)
                return CH_OK;
        }
        if (!avoid)
            break;
    }
    return any ? CH_FULL : CH_NONE;
}

} // namespace

const lb_ops lb_ops_first = {"first", nullptr, first_pick, false, true, false};

} // namespace portico
