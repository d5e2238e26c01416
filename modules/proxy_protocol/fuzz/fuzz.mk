# SPDX-License-Identifier: MIT
# proxy_protocol has no module.mk yet (its module glue comes later): this names the sources its
# fuzz targets and, meanwhile, its standalone unit tests link. Move this line to module.mk
# (next to proxy_protocol_SRCS) when the module exists.
proxy_protocol_FUZZ_SRCS := modules/proxy_protocol/pp_parse.cpp
