// SPDX-License-Identifier: MIT
// Host-table entry point of the logger: implemented in core/src/log/.
#pragma once

#include <portico/portico.h>

namespace portico {

void host_stream_log_txn(ptc_stream* s, const ptc_log_txn* txn);

} // namespace portico
