-- Example used by t/lua_service_response_rules.t: http-response rules on the response of a
-- Lua service (HAProxy's reg-tests/lua/h_txn_get_priv.vtc).
core.register_action("count", { "http-res" }, function(txn)
    local n = (txn:get_priv() or 0) + 1 -- private to the transaction
    txn.http:res_set_status(200 + n)
    txn:set_priv(n)
end)

core.register_action("slow", { "http-res" }, function(txn)
    core.msleep(20) -- a response action that waits
    txn.http:res_add_header("x-slow", "waited")
end)

core.register_service("hello", "http", function(applet)
    local body = "hello " .. applet.path .. "\n"
    applet:set_status(200)
    applet:add_header("content-type", "text/plain")
    applet:start_response()
    applet:send(body)
end)

-- A body larger than a buffer, sent in parts: held back until the head's rules ran.
core.register_service("big", "http", function(applet)
    applet:set_status(200)
    applet:start_response()
    for i = 1, 40 do
        applet:send(string.rep(string.char(96 + i % 26), 1000))
    end
end)
