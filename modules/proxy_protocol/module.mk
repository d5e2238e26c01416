# SPDX-License-Identifier: MIT
# proxy_protocol module: PROXY protocol v1/v2 (accept-proxy, expect-proxy, send-proxy[-v2]).
MODULES += proxy_protocol
proxy_protocol_SRCS := modules/proxy_protocol/proxy_protocol.cpp modules/proxy_protocol/pp_parse.cpp
proxy_protocol_FUZZ_SRCS := modules/proxy_protocol/pp_parse.cpp
