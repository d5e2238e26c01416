# SPDX-License-Identifier: MIT
# Sources linked into every core/fuzz/fuzz_*.cpp target: the configuration lexer, the ".if"
# condition evaluator, the reader and the value parsers, which need nothing else of the core.
core_FUZZ_SRCS := core/src/cfg/lexer.cpp core/src/cfg/cond.cpp core/src/cfg/units.cpp \
	core/src/cfg/reader.cpp
# the conditions' openssl_version_* predicates ask libcrypto
fuzz_cfg_lexer_FUZZ_LIBS = $(LIBS_SSL)
fuzz_cfg_reader_FUZZ_LIBS = $(LIBS_SSL)
fuzz_units_FUZZ_LIBS = $(LIBS_SSL)

# The sample engine, the log-format compiler and the runtime API reach most of the core:
# those targets link all of it (without main.cpp, and without jemalloc under ASan).
CORE_FULL_FUZZ_SRCS := $(filter-out core/src/main.cpp,$(CORE_SRCS))
CORE_FULL_FUZZ_LIBS = $(LIBS_URING) $(LIBS_SSL) $(LIBS_PCRE2) -lcrypt -ldl
fuzz_sample_expr_FUZZ_SRCS := $(CORE_FULL_FUZZ_SRCS)
fuzz_sample_expr_FUZZ_LIBS = $(CORE_FULL_FUZZ_LIBS)
fuzz_logfmt_FUZZ_SRCS := $(CORE_FULL_FUZZ_SRCS)
fuzz_logfmt_FUZZ_LIBS = $(CORE_FULL_FUZZ_LIBS)
fuzz_cli_split_FUZZ_SRCS := $(CORE_FULL_FUZZ_SRCS)
fuzz_cli_split_FUZZ_LIBS = $(CORE_FULL_FUZZ_LIBS)
