-- Example used by t/lua_cosocket.t: core.tcp() cosockets from an http-request action, an
-- http-response action and a service, talking to a TCP echo server.
local function ask(addr, line)
    local s = core.tcp()
    s:settimeout(2)
    local ok, err = s:connect(addr)
    if not ok then
        return "connect failed: " .. tostring(err)
    end
    s:send(line .. "\r\n")
    local got, rerr = s:receive("*l")
    s:close()
    return got or ("receive failed: " .. tostring(rerr))
end

core.register_action("ask", { "http-req" }, function(txn, addr)
    txn.http:req_set_header("X-Echoed", ask(addr, "ping " .. txn.sf:path()))
end, 1)

core.register_action("res_ask", { "http-res" }, function(txn, addr)
    txn.http:res_set_header("X-Res-Echoed", ask(addr, "pong"))
end, 1)

core.register_service("partial", "http", function(applet)
    local s = core.tcp()
    s:settimeout(0.2)
    s:connect(applet.qs)
    s:send("12345")
    local got, err, part = s:receive(100) -- only 5 bytes come back: timeout
    s:close()
    local body = tostring(got) .. " " .. tostring(err) .. " " .. tostring(part) .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
