-- Example used by t/lua_errors.t: a runtime error, an endless loop (stopped by
-- tune.lua.session-timeout through tune.lua.forced-yield), a memory hog (tune.lua.maxmem).
core.register_action("boom", { "http-req", "tcp-req" }, function(txn)
    local t = nil
    return t.field -- line 5: attempt to index a nil value
end)

core.register_action("spin", { "http-req" }, function(txn)
    local n = 0
    while true do
        n = n + 1
    end
end)

core.register_action("hog", { "http-req" }, function(txn)
    local t = {}
    for i = 1, 10000000 do
        t[i] = string.rep("x", 64) .. i
    end
end)

core.register_action("fine", { "http-req" }, function(txn)
    txn.http:req_set_header("X-Fine", "yes")
end)
