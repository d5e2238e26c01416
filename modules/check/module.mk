# SPDX-License-Identifier: MIT
# check module: active health checks (HTTP, TCP rule lists, protocol checks), agent checks,
# passive checks (observe), one probe per server for the whole instance.
MODULES += check
check_SRCS := $(sort $(wildcard modules/check/*.cpp))
check_LIBS := $(LIBS_PCRE2)
# The probe engine alone (fuzz/fuzz_*.cpp, test/test_probe.cpp): it needs no portico host.
check_FUZZ_SRCS := modules/check/probe.cpp modules/check/spec.cpp
