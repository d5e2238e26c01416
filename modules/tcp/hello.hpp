// SPDX-License-Identifier: MIT
// A TLS ClientHello reader for the req.ssl_* fetches (SNI routing without terminating TLS):
// stateless, over the bytes received so far, no OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hello {

enum class status { ok, need_more, not_tls };

struct info {
    uint8_t hello_type = 0;     // handshake type of the first record: 1 ClientHello
    uint16_t record_ver = 0;    // version of the record layer (req.ssl_ver before a hello)
    uint16_t hello_ver = 0;     // legacy_version of the ClientHello
    uint16_t best_ver = 0;      // highest of supported_versions, else hello_ver
    std::string_view sni;       // server_name (host_name), points into the input
    std::string_view alpn;      // the ALPN list in wire format (length-prefixed names)
};

// Parses the first TLS record(s) of <data>. ok: a complete ClientHello (or, for a record
// whose first handshake message is not a ClientHello, hello_type and record_ver only);
// need_more: a record is incomplete; not_tls: not a TLS handshake record.
status parse(const uint8_t* data, size_t len, info& out);

// The first protocol name of a wire-format ALPN list (empty if none).
std::string_view first_alpn(std::string_view wire);

} // namespace hello
