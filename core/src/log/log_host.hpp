// SPDX-License-Identifier: MIT
// Host-table entry point of the logger: implemented in core/src/log/.
#pragma once

#include <portico/portico.h>

namespace portico {

void host_stream_log_txn(ptc_stream* s, const ptc_log_txn* txn);

} // namespace portico

namespace portico {

// capture.cpp (1.5)
int host_proxy_capture_slot(const ptc_proxy* fe, uint32_t dir, uint32_t idx, ptc_str* hdr,
                            uint32_t* len);
int host_proxy_capture_cookie(const ptc_proxy* fe, ptc_str* name, uint32_t* len);
void host_stream_capture(ptc_stream* s, uint32_t dir, uint32_t slot, ptc_str value);
int host_stream_unique_id(ptc_stream* s, ptc_str* out);
int host_stream_log_asap(ptc_stream* s, const ptc_log_txn* txn);

} // namespace portico
