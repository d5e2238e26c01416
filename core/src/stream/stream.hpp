// SPDX-License-Identifier: MIT
// Streams, connections and channels: the per-worker engine that moves bytes between a
// client and a server on top of the poller, and calls the protocol handler of the mode.
//
// The engine lives in core/src/stream/:
//   stream-t.hpp     the types (include it alone to read the structs)
//   stream_host.hpp  the entry points other subsystems call
//   stream_int.hpp   internal to the engine's files (hot inline helpers, shared functions)
//   chan.cpp conn.cpp listener.cpp worker.cpp backend.cpp host_stream.cpp stream.cpp
#pragma once

#include "stream/stream-t.hpp"
#include "stream/stream_host.hpp"
