// SPDX-License-Identifier: MIT
// lua module: what its source files share.
#ifndef PORTICO_MODULES_LUA_INT_HPP
#define PORTICO_MODULES_LUA_INT_HPP

#include <lua.hpp>

// Registers the Regex class (regex.cpp) in the state.
void lua_regex_open(lua_State* l);

#endif
