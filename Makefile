# SPDX-License-Identifier: MIT
# Non-recursive GNU make build of portico: the core binary, its modules, tests and install.
#
# Everything is found by wildcard: core/src/**/*.cpp, modules/*/module.mk,
# core/test/test_*.cpp, core/test/modules/*.cpp, modules/*/test/test_*.cpp,
# modules/*/fuzz/fuzz.mk, modules/*/fuzz/fuzz_*.cpp, core/fuzz/fuzz_*.cpp.
# Objects and test binaries go to build/; `make help` lists the targets.

.DEFAULT_GOAL := all
SHELL := /bin/sh
.SUFFIXES:
.DELETE_ON_ERROR:

# --- configuration ------------------------------------------------------------------------
# build/config.mk comes from ./configure; a plain `make` runs it with defaults (or with the
# options of the last run) first. Targets that need no configuration do not trigger it.
NOCONFIG_GOALS := clean distclean help
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(NOCONFIG_GOALS),$(MAKECMDGOALS)),)
SKIP_CONFIG := 1
endif
endif

ifndef SKIP_CONFIG
include build/config.mk
endif

build/config.mk: configure
	@if [ -x build/reconfigure ]; then build/reconfigure; else ./configure; fi

# configure rewrites autoconf.h only when its content changes (options, results, flags),
# so every object depends on it: a re-configure rebuilds exactly when something changed.
build/autoconf.h:
	@if [ -x build/reconfigure ]; then build/reconfigure; else ./configure; fi

# Install layout; PREFIX may be overridden on the command line at install time.
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
MODDIR = $(LIBDIR)/portico/modules
INCDIR = $(PREFIX)/include
PCDIR = $(LIBDIR)/pkgconfig
MANDIR = $(PREFIX)/share/man
DESTDIR ?=

CXX ?= g++
CC ?= gcc
OPT_FLAGS ?= -O2 -g

# --- verbosity ----------------------------------------------------------------------------
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
V := 1
endif
ifeq ($(V),1)
Q :=
quiet = $(2)
else
Q := @
quiet = @printf '  %-7s %s\n' '$(1)' '$@'; $(2)
endif

# --- flags --------------------------------------------------------------------------------
# Designated initialisers name only the ABI fields a table sets: the rest are zero by
# design (appended fields of later minors), so g++'s missing-initializer warning is off.
WARN_FLAGS := -Wall -Wextra -Werror -Wno-missing-field-initializers
COMMON_FLAGS = $(WARN_FLAGS) $(OPT_FLAGS) -fno-plt -pthread $(SAN_FLAGS) -MMD -MP
BASE_CXXFLAGS = -std=c++20 $(COMMON_FLAGS)
BASE_CFLAGS = -std=c11 $(COMMON_FLAGS)

# The core sees its private headers; modules and their tests see only the public ABI.
CORE_CPPFLAGS := -Ibuild -Icore/include -Icore/src
PIC_FLAGS := -fPIC -fvisibility=hidden -fvisibility-inlines-hidden

LINK_FLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)
CORE_LIBS = $(LIBS_URING) $(LIBS_SSL) $(LIBS_PCRE2) $(LIBS_JEMALLOC) -lcrypt -ldl
SO_LDFLAGS = -shared -fPIC -Wl,--no-undefined

# --- sources ------------------------------------------------------------------------------
CORE_SRCS := $(sort $(shell find core/src -name '*.cpp' -o -name '*.c' 2>/dev/null))
CORE_MAIN_SRC := core/src/main.cpp
CORE_OBJS := $(patsubst %,build/%.o,$(basename $(CORE_SRCS)))
CORE_MAIN_OBJ := build/core/src/main.o
CORE_LIB_OBJS := $(filter-out $(CORE_MAIN_OBJ),$(CORE_OBJS))

# Each modules/<name>/module.mk adds <name> to MODULES and sets <name>_SRCS, and optionally
# <name>_LIBS and <name>_CXXFLAGS. A module without <name>_SRCS builds modules/<name>/*.cpp.
MODULES :=
MODULE_MKS := $(sort $(wildcard modules/*/module.mk))
-include $(MODULE_MKS)
MODULES := $(sort $(MODULES))

mod_srcs = $(or $($(1)_SRCS),$(sort $(wildcard modules/$(1)/*.cpp modules/$(1)/*.c)))
mod_objs = $(patsubst %,build/%.o,$(basename $(call mod_srcs,$(1))))
# modules/<m>/... -> <m>
mod_of = $(word 2,$(subst /, ,$(1)))

MODULE_SOS := $(foreach m,$(MODULES),modules/$(m).so)

# Fuzzing (make fuzz, make fuzz-smoke). A target modules/<m>/fuzz/fuzz_X.cpp (or
# core/fuzz/fuzz_X.cpp, owner "core") becomes build/fuzz/fuzz_X, built with $(FUZZ_CXX) and
# linked with the sources in <owner>_FUZZ_SRCS: set it in modules/<m>/module.mk, or in
# modules/<m>/fuzz/fuzz.mk for a directory that is not a module (yet); core_FUZZ_SRCS (one
# list for every core/fuzz/ target) in core/fuzz/fuzz.mk. fuzz-smoke runs each target on the
# seed corpus next to it: <dir>/corpus/fuzz_X/ if there is one, else <dir>/corpus/.
# A target may name its own list instead, fuzz_X_FUZZ_SRCS, and extra libraries, fuzz_X_FUZZ_LIBS
# (the core/fuzz/ targets that need the whole core: sample expressions, log-formats, the CLI).
FUZZ_MKS := $(sort $(wildcard modules/*/fuzz/fuzz.mk))
-include $(FUZZ_MKS)
-include core/fuzz/fuzz.mk
FUZZ_TARGET_SRCS := $(sort $(wildcard modules/*/fuzz/fuzz_*.cpp core/fuzz/fuzz_*.cpp))
fuzz_owner = $(if $(filter core/%,$(1)),core,$(call mod_of,$(1)))
fuzz_bin = build/fuzz/$(basename $(notdir $(1)))
fuzz_seeds = $(or $(wildcard $(dir $(1))corpus/$(basename $(notdir $(1)))),$(wildcard $(dir $(1))corpus))
fuzz_name = $(basename $(notdir $(1)))
fuzz_srcs = $(or $($(call fuzz_name,$(1))_FUZZ_SRCS),$($(call fuzz_owner,$(1))_FUZZ_SRCS))
fuzz_objs = $(patsubst %,build/fuzz/obj/%.o,$(basename $(1) $(call fuzz_srcs,$(1))))
FUZZ_BINS := $(foreach s,$(FUZZ_TARGET_SRCS),$(call fuzz_bin,$(s)))
FUZZ_FLAGS := -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
FUZZ_RUN_FLAGS := -runs=20000 -max_total_time=20 -rss_limit_mb=4096

# Standalone unit tests: a directory with a fuzz/fuzz.mk but no module.mk (pure code awaiting
# its module glue) still gets modules/<m>/test/test_*.cpp built and run by make check,
# linked with <m>_FUZZ_SRCS. Once a module.mk exists the ordinary module test rule takes over.
STANDALONE_DIRS := $(foreach m,$(patsubst modules/%/fuzz/fuzz.mk,%,$(FUZZ_MKS)),\
	$(if $(wildcard modules/$(m)/module.mk),,$(m)))
STANDALONE_OBJS := $(foreach m,$(STANDALONE_DIRS),\
	$(patsubst %,build/%.o,$(basename $($(m)_FUZZ_SRCS))))

# Test modules: core/test/modules/<name>.cpp -> build/test-modules/<name>.so
TESTMOD_SRCS := $(sort $(wildcard core/test/modules/*.cpp))
TESTMOD_SOS := $(patsubst core/test/modules/%.cpp,build/test-modules/%.so,$(TESTMOD_SRCS))

# Unit tests: core/test/test_x.cpp -> build/test/test_x,
# modules/<m>/test/test_x.cpp -> build/test/<m>_test_x.
CORE_TEST_SRCS := $(sort $(wildcard core/test/test_*.cpp))
CORE_TESTS := $(patsubst core/test/%.cpp,build/test/%,$(CORE_TEST_SRCS))
MOD_TEST_SRCS := $(sort $(foreach m,$(MODULES) $(STANDALONE_DIRS),\
	$(wildcard modules/$(m)/test/test_*.cpp)))
# What a module test links: the module's objects, or a standalone directory's <m>_FUZZ_SRCS.
mod_test_objs = $(if $(filter $(1),$(STANDALONE_DIRS)),\
	$(patsubst %,build/%.o,$(basename $($(1)_FUZZ_SRCS))),$(call mod_objs,$(1)))
mod_test_bin = build/test/$(call mod_of,$(1))_$(basename $(notdir $(1)))
MOD_TESTS := $(foreach s,$(MOD_TEST_SRCS),$(call mod_test_bin,$(s)))
UNIT_TESTS := $(CORE_TESTS) $(MOD_TESTS)

CONF_FILES := $(sort $(wildcard conf/*.cfg))
MAN_PAGES := $(sort $(wildcard man/*.1 man/*.3 man/*.5))
PUBLIC_HEADERS := $(sort $(wildcard core/include/portico/*.h))

ALL_OBJS := $(CORE_OBJS) $(STANDALONE_OBJS) \
	$(foreach m,$(MODULES),$(call mod_objs,$(m))) \
	$(patsubst %.cpp,build/%.o,$(TESTMOD_SRCS) $(CORE_TEST_SRCS) $(MOD_TEST_SRCS))

# Version for the pkg-config file: PTC_VERSION_STRING/PTC_VERSION in abi.h if present.
VERSION ?= $(or $(shell sed -n 's/^.define[ \t]*PTC_VERSION\(_STRING\)\{0,1\}[ \t]*"\([^"]*\)".*/\2/p' \
	core/include/portico/abi.h 2>/dev/null | sed -n 1p),0.1.0)

ABI_VERSION := $(shell sed -n 's/^.define[ \t]*PTC_ABI_\(MAJOR\|MINOR\)[ \t]*\([0-9]*\).*/\2/p' \
	core/include/portico/abi.h 2>/dev/null | sed -n '1h;2{H;x;s/\n/./p;}')

# Objects reached only through pattern rules are not intermediate files to delete.
.SECONDARY: $(ALL_OBJS)

# --- top-level targets --------------------------------------------------------------------
.PHONY: all modules test-modules unit-tests check test test-conf test-integration lint-man \
	install uninstall clean distclean help need-boost fuzz fuzz-smoke need-fuzz fuzz-bins asan-tree check-asan test-asan soak

all: portico modules test-modules

modules: $(MODULE_SOS)
test-modules: $(TESTMOD_SOS)
unit-tests: need-boost $(UNIT_TESTS)

# --- compile rules ------------------------------------------------------------------------
# Every object also depends on build/autoconf.h, which changes whenever configure's options,
# results or flags do. Header dependencies come from the -MMD .d files.
build/core/src/%.o: core/src/%.cpp build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CXX,$(CXX) $(BASE_CXXFLAGS) $(CORE_CPPFLAGS) $(CXXFLAGS) -c $< -o $@)

build/core/src/%.o: core/src/%.c build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CC,$(CC) $(BASE_CFLAGS) $(CORE_CPPFLAGS) $(CFLAGS) -c $< -o $@)

build/core/test/%.o: core/test/%.cpp build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CXX,$(CXX) $(BASE_CXXFLAGS) $(CORE_CPPFLAGS) $(CXXFLAGS) -c $< -o $@)

build/core/test/modules/%.o: core/test/modules/%.cpp build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CXX,$(CXX) $(BASE_CXXFLAGS) $(PIC_FLAGS) -Icore/include -Icore/test/modules \
		$(CXXFLAGS) -c $< -o $@)

# Module sources (and their tests): own directory and the public ABI only, never core/src.
build/modules/%.o: modules/%.cpp build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CXX,$(CXX) $(BASE_CXXFLAGS) $(PIC_FLAGS) -Icore/include \
		-Imodules/$(call mod_of,$<) $($(call mod_of,$<)_CXXFLAGS) $(CXXFLAGS) -c $< -o $@)

build/modules/%.o: modules/%.c build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,CC,$(CC) $(BASE_CFLAGS) $(PIC_FLAGS) -Icore/include \
		-Imodules/$(call mod_of,$<) $($(call mod_of,$<)_CFLAGS) $(CFLAGS) -c $< -o $@)

# --- link rules ---------------------------------------------------------------------------
# No -rdynamic: modules reach the host only through the table passed to their entry.
portico: $(CORE_OBJS)
	$(call quiet,LD,$(CXX) $(LINK_FLAGS) -o $@ $(CORE_OBJS) $(CORE_LIBS))

define module_rules
modules/$(1).so: $(call mod_objs,$(1))
	$$(call quiet,LD,$$(CXX) $$(SO_LDFLAGS) $$(LINK_FLAGS) -o $$@ $$^ $$($(1)_LIBS))
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

build/test-modules/%.so: build/core/test/modules/%.o
	@mkdir -p $(@D)
	$(call quiet,LD,$(CXX) $(SO_LDFLAGS) $(LINK_FLAGS) -o $@ $^)

build/test/%: build/core/test/%.o $(CORE_LIB_OBJS)
	@mkdir -p $(@D)
	$(call quiet,LD,$(CXX) $(LINK_FLAGS) -o $@ $< $(CORE_LIB_OBJS) $(CORE_LIBS) \
		$(LIBS_BOOST_TEST))

define mod_test_rules
$(call mod_test_bin,$(1)): build/$(basename $(1)).o $(call mod_test_objs,$(call mod_of,$(1)))
	@mkdir -p $$(@D)
	$$(call quiet,LD,$$(CXX) $$(LINK_FLAGS) -o $$@ $$^ $$($(call mod_of,$(1))_LIBS) \
		$$(LIBS_BOOST_TEST))
endef
$(foreach s,$(MOD_TEST_SRCS),$(eval $(call mod_test_rules,$(s))))

# --- fuzzing ------------------------------------------------------------------------------
# Objects for the fuzz targets are built apart (build/fuzz/obj/) with the sanitizers; a
# module's sources see core/include and their own directory, core's see core/src and build/.
build/fuzz/obj/%.o: %.cpp build/autoconf.h
	@mkdir -p $(@D)
	$(call quiet,FUZZCXX,$(FUZZ_CXX) $(FUZZ_FLAGS) $(WARN_FLAGS) -MMD -MP -Ibuild -Icore/include \
		$(if $(filter core/%,$<),-Icore/src,-Imodules/$(call mod_of,$<)) $(CXXFLAGS) -c $< -o $@)

define fuzz_rules
$(call fuzz_bin,$(1)): $(call fuzz_objs,$(1))
	$$(call quiet,FUZZLD,$$(FUZZ_CXX) $$(FUZZ_FLAGS) -o $$@ $$^ $$($(call fuzz_name,$(1))_FUZZ_LIBS))
endef
$(foreach s,$(FUZZ_TARGET_SRCS),$(eval $(call fuzz_rules,$(s))))

need-fuzz:
	@if [ "$(HAVE_FUZZ)" != 1 ]; then \
		echo "error: no clang++ with libFuzzer ($(FUZZ_CXX)): apt-get install clang, then ./configure"; \
		exit 1; \
	fi

fuzz: need-fuzz $(FUZZ_BINS)

# Each target on a scratch copy of its seed corpus (new inputs go to build/fuzz/corpus/, the
# seeds stay untouched; crash inputs to build/fuzz/artifacts/). Without libFuzzer it skips,
# except under CI=true where a missing clang++ is an error.
fuzz-smoke: $(if $(filter 1,$(HAVE_FUZZ)),$(FUZZ_BINS))
	@if [ "$(HAVE_FUZZ)" != 1 ]; then \
		if [ "$$CI" = true ]; then \
			echo "error: fuzz-smoke: no clang++ with libFuzzer ($(FUZZ_CXX)) and CI=true"; \
			exit 1; \
		fi; \
		echo "fuzz-smoke: skipped (no clang++ with libFuzzer; apt-get install clang, ./configure)"; \
		exit 0; \
	fi; \
	start=$$(date +%s); \
	$(foreach s,$(FUZZ_TARGET_SRCS),\
	b=$(call fuzz_bin,$(s)); n=$$(basename $$b); \
	printf '  %-7s %s\n' FUZZ "$$b"; \
	mkdir -p build/fuzz/corpus/$$n build/fuzz/artifacts && \
	./$$b $(FUZZ_RUN_FLAGS) -artifact_prefix=build/fuzz/artifacts/$$n- \
		build/fuzz/corpus/$$n $(call fuzz_seeds,$(s)) > build/fuzz/$$n.log 2>&1 || \
		{ tail -n 40 build/fuzz/$$n.log; echo "FAILED: $$b (log: build/fuzz/$$n.log)"; exit 1; }; \
	tail -n 1 build/fuzz/$$n.log;) \
	echo "fuzz-smoke: $(words $(FUZZ_BINS)) targets passed in $$(( $$(date +%s) - start ))s"

# --- tests --------------------------------------------------------------------------------
need-boost:
	@if [ "$(HAVE_BOOST_TEST)" != 1 ]; then \
		echo "error: Boost.Test is missing: apt-get install libboost-test-dev, then ./configure"; \
		exit 1; \
	fi

check: unit-tests
	@for t in $(UNIT_TESTS); do \
		printf '  %-7s %s\n' TEST "$$t"; \
		"./$$t" || { echo "FAILED: $$t"; exit 1; }; \
	done; \
	echo "unit tests: $(words $(UNIT_TESTS)) binaries passed"

test-conf: all
	@for c in $(CONF_FILES); do \
		printf '  %-7s %s\n' CONF "$$c"; \
		./portico -c -f "$$c" || { echo "FAILED: ./portico -c -f $$c"; exit 1; }; \
	done

test-integration: all
	@if [ -d t ]; then \
		PORTICO_TEST_BINARY='$(CURDIR)/portico' \
		PORTICO_TEST_MODULES='$(CURDIR)/build/test-modules' \
		prove -r -It/lib t/ && \
		echo "== again with the epoll poller (PORTICO_POLLER=epoll)" && \
		PORTICO_POLLER=epoll PORTICO_TEST_BINARY='$(CURDIR)/portico' \
		PORTICO_TEST_MODULES='$(CURDIR)/build/test-modules' \
		prove -r -It/lib t/; \
	else echo "no t/ directory: no integration tests"; fi

# The steps run in sequence on purpose: unit tests (normal, then ASan+UBSan), the fuzz smoke
# run, the conf examples, then the integration tests. What each step builds is built with
# one job per CPU, unless make was given its own -j.
NPROC := $(shell nproc 2>/dev/null || echo 2)
SUBMAKE_J = $(if $(filter -j% --jobserver%,$(MAKEFLAGS)),,-j$(NPROC))
fuzz-bins: $(if $(filter 1,$(HAVE_FUZZ)),$(FUZZ_BINS))

test:
	@$(MAKE) --no-print-directory $(SUBMAKE_J) all unit-tests
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory $(SUBMAKE_J) fuzz-bins
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory test-conf
	@$(MAKE) --no-print-directory test-integration

# The sanitizer build (ASan+UBSan, ./configure --with-asan) in build/asan/, a copy of the
# sources (git's tracked and untracked-but-not-ignored files; every file but build/ outside
# a git checkout). check-asan: its unit tests, part of make test (a UBSan report stops the
# test, as an ASan one does). test-asan: those, then the t/ suite on it (a sanitizer report
# in a proxy's error log fails the test that ran it); not part of make test (about 3x
# slower). Leaks are not reported (configuration-lifetime objects are never freed, by
# design); allocations over ASan's limit return NULL, as the tests of exhausted pools expect.
ASAN_DIR ?= build/asan
ASAN_ABS = $(abspath $(ASAN_DIR))
ASAN_UNIT_ENV := ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
asan-tree:
	@mkdir -p $(ASAN_DIR)
	@{ git ls-files --cached --others --exclude-standard 2>/dev/null || \
		find . -path ./build -prune -o -path ./.git -prune -o -type f -print; } | \
		tar --ignore-failed-read -cf - -T - | tar -xf - -C $(ASAN_DIR)
	@cd $(ASAN_DIR) && { [ -f build/config.mk ] && grep -q fsanitize build/config.mk || \
		./configure --with-asan >/dev/null; }

check-asan: asan-tree
	@$(MAKE) --no-print-directory $(SUBMAKE_J) -C $(ASAN_DIR) unit-tests
	@echo "== the unit tests again, built with ASan+UBSan ($(ASAN_DIR))"
	@$(ASAN_UNIT_ENV) $(MAKE) --no-print-directory -C $(ASAN_DIR) check

test-asan: check-asan
	@$(MAKE) --no-print-directory $(SUBMAKE_J) -C $(ASAN_DIR) all
	@cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
		PORTICO_TEST_BINARY='$(ASAN_ABS)/portico' \
		PORTICO_TEST_MODULES='$(ASAN_ABS)/build/test-modules' \
		prove -r -It/lib $(or $(T),t/)

# A long mixed-traffic run with a flapping server (contrib/soak/soak.pl; SOAK_SECONDS,
# default 1800): RSS and fd slopes, failures. Not part of make test.
soak: all
	@PORTICO_TEST_BINARY='$(CURDIR)/portico' SOAK_OUT='$(CURDIR)/build/soak.csv' \
		perl contrib/soak/soak.pl

lint-man:
	@if [ -z "$(MAN_PAGES)" ]; then echo "no man pages"; \
	elif command -v mandoc >/dev/null 2>&1; then \
		mandoc -Tlint -Wwarning $(MAN_PAGES) && echo "man pages: lint clean"; \
	else echo "mandoc not installed: skipping lint-man"; fi

# --- install ------------------------------------------------------------------------------
# `make install PREFIX=/x` relinks nothing: only the pkg-config file depends on PREFIX.
install: all
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MODDIR)' '$(DESTDIR)$(INCDIR)/portico' \
		'$(DESTDIR)$(PCDIR)'
	install -m 755 portico '$(DESTDIR)$(BINDIR)/portico'
	$(if $(MODULE_SOS),install -m 755 $(MODULE_SOS) '$(DESTDIR)$(MODDIR)/')
	$(if $(PUBLIC_HEADERS),install -m 644 $(PUBLIC_HEADERS) '$(DESTDIR)$(INCDIR)/portico/')
	$(foreach s,1 3 5,$(if $(filter %.$(s),$(MAN_PAGES)),\
		install -d '$(DESTDIR)$(MANDIR)/man$(s)' && \
		install -m 644 $(filter %.$(s),$(MAN_PAGES)) '$(DESTDIR)$(MANDIR)/man$(s)/';))
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@ABI_VERSION@|$(ABI_VERSION)|g' portico-module.pc.in \
		> build/portico-module.pc
	install -m 644 build/portico-module.pc '$(DESTDIR)$(PCDIR)/portico-module.pc'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/portico' '$(DESTDIR)$(PCDIR)/portico-module.pc'
	rm -f $(foreach m,$(MODULE_SOS),'$(DESTDIR)$(MODDIR)/$(notdir $(m))')
	rm -f $(foreach h,$(PUBLIC_HEADERS),'$(DESTDIR)$(INCDIR)/portico/$(notdir $(h))')
	rm -f $(foreach p,$(MAN_PAGES),'$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))')
	-rmdir '$(DESTDIR)$(MODDIR)' '$(DESTDIR)$(LIBDIR)/portico' '$(DESTDIR)$(INCDIR)/portico' \
		2>/dev/null

# --- cleaning -----------------------------------------------------------------------------
# clean keeps the configuration; distclean removes it too.
clean:
	rm -rf build/core build/modules build/test build/test-modules build/fuzz \
		build/portico-module.pc
	rm -f portico modules/*.so

distclean: clean
	rm -rf build

help:
	@echo 'portico build targets (configure options: ./configure --help):'
	@echo '  all (default)     ./portico, modules/<name>.so and build/test-modules/*.so'
	@echo '  modules           only the modules: $(or $(MODULES),none found)'
	@echo '  check             build and run the Boost.Test unit tests (build/test/*), also'
	@echo '                    modules/<m>/test/ of a directory with fuzz/fuzz.mk and no module.mk'
	@echo '  fuzz              build the libFuzzer targets modules/*/fuzz/fuzz_*.cpp and'
	@echo '                    core/fuzz/fuzz_*.cpp into build/fuzz/ (clang++; links <m>_FUZZ_SRCS)'
	@echo '  fuzz-smoke        run each fuzz target on its fuzz/corpus/fuzz_X/ or fuzz/corpus/'
	@echo '                    ($(FUZZ_RUN_FLAGS));'
	@echo '                    skipped without clang++/libFuzzer unless CI=true'
	@echo '  test              all, check, check-asan, fuzz-smoke, portico -c on conf/*.cfg,'
	@echo '                    then prove -r t/ (io_uring, then epoll)'
	@echo '  test-conf         portico -c -f on every conf/*.cfg'
	@echo '  check-asan        the unit tests on an ASan+UBSan build in build/asan/ (a copy)'
	@echo '  test-asan         check-asan, then prove t/ on that build (T=files)'
	@echo '  soak              contrib/soak/soak.pl, SOAK_SECONDS=1800: RSS/fd slopes, failures'
	@echo '  test-integration  prove -r t/ with PORTICO_TEST_BINARY=./portico'
	@echo '  lint-man          mandoc -Tlint -Wwarning on man/*.1 man/*.3 man/*.5'
	@echo '  install           install under $$(DESTDIR)$$(PREFIX) (PREFIX=$(PREFIX))'
	@echo '  uninstall         remove what install put there'
	@echo '  clean             remove objects, binaries and modules; keep the configuration'
	@echo '  distclean         clean, and remove build/ with the configuration'
	@echo 'Variables: V=1 shows commands; PREFIX=, DESTDIR= for install; CXXFLAGS=, LDFLAGS='
	@echo 'are appended; <module>_CXXFLAGS and <module>_LIBS come from modules/<m>/module.mk,'
	@echo '<m>_FUZZ_SRCS from it or from modules/<m>/fuzz/fuzz.mk, core_FUZZ_SRCS from core/fuzz/fuzz.mk.'

-include $(ALL_OBJS:.o=.d)
-include $(patsubst %.o,%.d,$(sort $(foreach s,$(FUZZ_TARGET_SRCS),$(call fuzz_objs,$(s)))))
