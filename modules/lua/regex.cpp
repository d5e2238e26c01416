// SPDX-License-Identifier: MIT
// lua module: the Regex class (HAProxy's Lua API) on PCRE2.
//   Regex.new(re [, case_sensitive]) -> true, regex | false, error (case-insensitive unless
//   case_sensitive is true, as HAProxy compiles it); regex:exec(str) -> bool;
//   regex:match(str) -> bool, { whole match, captures... }.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <lua.hpp>

#include "lua_int.hpp"

namespace {

struct lregex {
    pcre2_code* code;
};

lregex* check_re(lua_State* l)
{
    lregex* r = (lregex*)luaL_checkudata(l, 1, "portico.regex");
    if (!r->code)
        luaL_error(l, "Regex: not compiled");
    return r;
}

int l_re_new(lua_State* l)
{
    size_t n;
    const char* p = luaL_checklstring(l, 1, &n);
    bool icase = !lua_toboolean(l, 2);
    int ec;
    PCRE2_SIZE off;
    pcre2_code* c = pcre2_compile((PCRE2_SPTR)p, n, icase ? PCRE2_CASELESS : 0, &ec, &off,
                                  nullptr);
    if (!c) {
        PCRE2_UCHAR buf[160];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        lua_pushboolean(l, 0);
        lua_pushfstring(l, "regex '%s': %s at offset %d", p, (const char*)buf, (int)off);
        return 2;
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    lua_pushboolean(l, 1);
    lregex* r = (lregex*)lua_newuserdatauv(l, sizeof(lregex), 0);
    r->code = c;
    luaL_setmetatable(l, "portico.regex");
    return 2;
}

int run(lua_State* l, bool caps)
{
    lregex* r = check_re(l);
    size_t n;
    const char* s = luaL_checklstring(l, 2, &n);
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(r->code, nullptr);
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, 0, 0, md, nullptr);
    lua_pushboolean(l, rc > 0);
    if (!caps) {
        pcre2_match_data_free(md);
        return 1;
    }
    lua_newtable(l);
    if (rc > 0) {
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        for (int i = 0; i < rc; i++) {
            if (ov[2 * i] == PCRE2_UNSET)
                lua_pushliteral(l, "");
            else
                lua_pushlstring(l, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
            lua_rawseti(l, -2, i + 1);
        }
    }
    pcre2_match_data_free(md);
    return 2;
}

int l_re_exec(lua_State* l) { return run(l, false); }
int l_re_match(lua_State* l) { return run(l, true); }

int l_re_gc(lua_State* l)
{
    lregex* r = (lregex*)luaL_checkudata(l, 1, "portico.regex");
    if (r->code)
        pcre2_code_free(r->code);
    r->code = nullptr;
    return 0;
}

} // namespace

void lua_regex_open(lua_State* l)
{
    static const luaL_Reg methods[] = {
        {"exec", l_re_exec},
        {"match", l_re_match},
        {nullptr, nullptr},
    };
    luaL_newmetatable(l, "portico.regex");
    luaL_newlib(l, methods);
    lua_setfield(l, -2, "__index");
    lua_pushcfunction(l, l_re_gc);
    lua_setfield(l, -2, "__gc");
    lua_pop(l, 1);
    lua_newtable(l);
    lua_pushcfunction(l, l_re_new);
    lua_setfield(l, -2, "new");
    lua_setglobal(l, "Regex");
}
