# SPDX-License-Identifier: MIT
# The fuzz link line carries no libraries: give the probe engine's target PCRE2's shared
# object (check_FUZZ_SRCS is set in ../module.mk).
build/fuzz/fuzz_probe: $(firstword $(wildcard /usr/lib/*/libpcre2-8.so /usr/lib/libpcre2-8.so \
	/usr/lib64/libpcre2-8.so))
