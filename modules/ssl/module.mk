# SPDX-License-Identifier: MIT
# ssl module: TLS with OpenSSL 3 on both sides of a stream (bind ... ssl crt, server ... ssl).
MODULES += ssl
ssl_SRCS := $(sort $(wildcard modules/ssl/*.cpp))
ssl_CXXFLAGS := $(shell pkg-config --cflags libssl libcrypto 2>/dev/null)
ssl_LIBS := $(or $(shell pkg-config --libs libssl libcrypto 2>/dev/null),-lssl -lcrypto)
# The crt-list line parser alone (fuzz/fuzz_crtlist.cpp, test/test_crtlist.cpp).
ssl_FUZZ_SRCS := modules/ssl/crtlist.cpp
