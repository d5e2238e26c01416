# SPDX-License-Identifier: MIT
# The check module's probe engine, built and tested alone until the module's runtime
# (check.cpp, and modules/check/module.mk with it) is merged: see the Makefile's
# STANDALONE_DIRS. The engine needs no portico host.
check_FUZZ_SRCS := modules/check/probe.cpp modules/check/spec.cpp
check_LIBS := $(LIBS_PCRE2)
# The fuzz link line carries no libraries: give the target PCRE2's shared object.
build/fuzz/fuzz_probe: $(firstword $(wildcard /usr/lib/*/libpcre2-8.so /usr/lib/libpcre2-8.so \
	/usr/lib64/libpcre2-8.so))
