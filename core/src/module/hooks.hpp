// SPDX-License-Identifier: MIT
// Hook chains: every loaded module's hooks sorted by phase and priority, run on streams.
#pragma once

#include <cstdint>

#include <portico/portico.h>

namespace portico {

struct stream;

// Sorts every loaded module's hooks into per-phase chains (after all modules loaded).
void hooks_build();
// True when at least one hook is registered for <phase>.
bool hooks_present(uint32_t phase);
// Runs the chain of <phase> on <s>: the first result other than PTC_CONTINUE, else
// PTC_CONTINUE.
int run_hooks(stream* s, uint32_t phase);
// Runs the hooks of <phase> from the <idx>-th on; on PTC_YIELD <idx> is left at the hook that
// yielded (PTC_PHASE_CONNECTION resumes there). Returns like run_hooks.
int run_hooks_from(stream* s, uint32_t phase, uint16_t& idx);

} // namespace portico
