# SPDX-License-Identifier: MIT
# Sources linked into every core/fuzz/fuzz_*.cpp target: the configuration lexer, the ".if"
# condition evaluator and the value parsers, which need nothing else of the core.
core_FUZZ_SRCS := core/src/cfg/lexer.cpp core/src/cfg/cond.cpp core/src/cfg/units.cpp
