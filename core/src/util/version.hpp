// SPDX-License-Identifier: MIT
// Version strings: portico's own, and the HAProxy version it declares compatibility with
// (".if version_atleast()", "show info", -v).
#pragma once

namespace portico {

inline constexpr const char* k_haproxy_compat_version = "2.6.0";
inline constexpr const char* k_portico_version = "0.1.0";

} // namespace portico
