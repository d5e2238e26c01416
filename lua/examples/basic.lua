-- Example used by t/lua_basic.t: an action setting a header from a fetch, a fetch,
-- a converter, a variable, and lua-load arguments.
local args = table.pack(...)
local tag = args[1] or "none"

core.register_action("tag", { "http-req" }, function(txn, name)
    local host = txn.sf:req_hdr("host")
    txn.http:req_set_header(name or "X-Lua-Host", "host=" .. host)
    txn:set_var("txn.tagged", "yes")
end, 1)

core.register_action("resp", { "http-res" }, function(txn)
    txn.http:res_add_header("X-Lua-Res", "seen " .. (txn:get_var("txn.tagged") or "no"))
    txn:unset_var("txn.tagged")
    txn.http:res_add_header("X-Lua-Unset", tostring(txn:get_var("txn.tagged")))
end)

core.register_fetches("tag", function(txn)
    return tag
end)

core.register_fetches("sum", function(txn, a, b)
    return tonumber(a) + tonumber(b)
end)

core.register_converters("rev", function(str)
    return string.reverse(str)
end)

core.register_action("upper_path", { "http-req" }, function(txn)
    local p = txn.f:path()
    txn.http:req_set_header("X-Upper", txn.c:upper(p))
end)

core.register_action("tokens", { "http-req" }, function(txn)
    local c = core.concat()
    for _, w in ipairs(core.tokenize(txn.sf:req_fhdr("x-list"), ", ", true)) do
        c:add("[" .. w .. "]")
    end
    txn.http:req_set_header("X-Tokens", c:dump())
    local hdrs = txn.http:req_get_headers()
    txn.http:req_set_header("X-Host-Seen", hdrs["host"][0])
end)

core.register_action("gate", { "http-req" }, function(txn)
    if txn.sf:req_hdr("x-deny") == "1" then
        return act.DENY
    end
    return act.CONTINUE
end)

-- Regex (PCRE): case-insensitive when the second argument is false
local ok, ver_re = Regex.new("^/v([0-9]+)/(\\w+)", false)
core.register_action("regex", { "http-req" }, function(txn)
    local m, caps = ver_re:match(txn.sf:path())
    if m then
        txn.http:req_set_header("X-Regex", caps[2] .. "," .. caps[3])
    end
    local bad_ok, err = Regex.new("(", true)
    txn.http:req_set_header("X-Regex-Bad", tostring(bad_ok))
end)
