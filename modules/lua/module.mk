# SPDX-License-Identifier: MIT
# lua module: HAProxy's Lua API on Lua 5.4 (lua-load, actions, fetches, converters, services,
# tasks), one Lua state per worker process, every action and service run in a coroutine.
ifeq ($(HAVE_LUA),1)
MODULES += lua
lua_SRCS := $(sort $(wildcard modules/lua/*.cpp))
lua_CXXFLAGS := $(CFLAGS_LUA) -Ibuild/modules/lua
# lua/prelude.lua is compiled in as a C++ raw string.
build/modules/lua/prelude.inc: lua/prelude.lua
	@mkdir -p $(dir $@)
	@{ printf 'R"PRELUDE('; cat $<; printf ')PRELUDE"\n'; } > $@.tmp && mv $@.tmp $@
build/modules/lua/lua.o: build/modules/lua/prelude.inc
lua_LIBS := $(LIBS_LUA) $(LIBS_PCRE2)
endif
