# SPDX-License-Identifier: MIT
# The http module: HTTP/1.1 reverse proxy ("mode http").
MODULES += http
http_SRCS := modules/http/http.cpp modules/http/h1.cpp modules/http/hdr.cpp \
	modules/http/reply.cpp modules/http/api.cpp modules/http/act_return.cpp \
	modules/http/kw_proxy.cpp modules/http/actions.cpp modules/http/fetch.cpp \
	modules/http/service.cpp modules/http/comp.cpp
http_LIBS := $(LIBS_PCRE2) $(LIBS_ZLIB)
# The HTTP/1 parser alone (fuzz/fuzz_h1_*.cpp): it needs no portico host.
http_FUZZ_SRCS := modules/http/h1.cpp
# The module's request path with rules (fuzz/fuzz_http_flow.cpp): all of the module, driven
# through the unit test's fake host (test/fake_host.hpp).
fuzz_http_flow_FUZZ_SRCS := $(http_SRCS)
fuzz_http_flow_FUZZ_LIBS = $(http_LIBS)
