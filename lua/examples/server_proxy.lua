-- Example used by t/lua_server_proxy.t: the Server and Proxy methods of core.proxies
-- called from an HTTP service. GET /?px=<proxy>[&sv=<server>]&op=<method>[&a=..][&b=..]
-- answers the method's result: "nil", a string, a number, or a stats table as sorted
-- "key=value" lines.
local function render(r)
    if type(r) ~= "table" then
        return tostring(r) .. "\n"
    end
    local keys = {}
    for k in pairs(r) do
        keys[#keys + 1] = k
    end
    table.sort(keys)
    local out = {}
    for _, k in ipairs(keys) do
        out[#out + 1] = k .. "=" .. tostring(r[k]) .. "\n"
    end
    return table.concat(out)
end

core.register_service("admin", "http", function(applet)
    local q = {}
    for k, v in (applet.qs or ""):gmatch("([^&=]+)=([^&]*)") do
        q[k] = v
    end
    local obj = core.proxies[q.px]
    if obj and q.sv then
        obj = obj.servers[q.sv]
    end
    local body
    if not obj then
        body = "no such object\n"
    else
        local args = {}
        if q.a then args[#args + 1] = q.a end
        if q.b then args[#args + 1] = q.b end
        local ok, r
        if q.op == "uuid" then
            ok, r = true, obj.uuid
        else
            ok, r = pcall(obj[q.op], obj, table.unpack(args))
        end
        body = ok and render(r) or ("error: " .. tostring(r) .. "\n")
    end
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)

-- Socket:getsockname() / getpeername(): connect to the address in the query string, ask
-- the peer (an "http-request return" answering "%[src]:%[src_port]") where we come from.
core.register_service("sockname", "http", function(applet)
    local s = core.tcp()
    s:settimeout(2)
    local before = tostring(s:getsockname())
    local ok, err = s:connect(applet.qs)
    local body
    if not ok then
        body = "connect failed: " .. tostring(err) .. "\n"
    else
        local name, peer = s:getsockname(), s:getpeername()
        s:send("GET / HTTP/1.0\r\n\r\n")
        local seen = s:receive("*a") or ""
        s:close()
        seen = seen:match("\r\n\r\n(.*)$") or ""
        body = "before=" .. before .. "\nname=" .. tostring(name) .. "\npeer=" ..
            tostring(peer) .. "\nseen=" .. seen .. "\nclosed=" .. tostring(s:getsockname()) .. "\n"
    end
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)

-- act.wake_time(): an action that returns act.YIELD three times, asking to be run again
-- after 100 ms, then lets the request through with the number of runs and the time spent.
local runs = {}
core.register_action("wait3", { "http-req", "tcp-req" }, function(txn)
    local id = txn.sf:src_port()
    local r = runs[id] or { n = 0, t0 = core.now() }
    runs[id] = r
    r.n = r.n + 1
    if r.n < 4 then
        act.wake_time(100) -- HAProxy 2.6 refuses act:wake_time(100)
        return act.YIELD
    end
    runs[id] = nil
    local now = core.now()
    local ms = (now.sec - r.t0.sec) * 1000 + (now.usec - r.t0.usec) // 1000
    txn:set_var("txn.runs", r.n)
    txn:set_var("txn.ms", ms)
    return act.CONTINUE
end)
