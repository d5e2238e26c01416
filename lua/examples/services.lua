-- Example used by t/lua_service.t: HTTP services (hello world, a JSON echo of the
-- request body) and a task updating state every 100 ms.
local ticks = 0

core.register_task(function()
    while true do
        ticks = ticks + 1
        core.msleep(100)
    end
end)

core.register_service("hello", "http", function(applet)
    local body = "hello world\n"
    applet:set_status(200)
    applet:add_header("content-type", "text/plain")
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)

local function json_string(s)
    return '"' .. s:gsub('[%c"\\]', function(c)
        return string.format("\\u%04x", c:byte())
    end) .. '"'
end

core.register_service("echo", "http", function(applet)
    local body = applet:receive()
    local out = "{" .. '"method":' .. json_string(applet.method) ..
        ',"path":' .. json_string(applet.path) ..
        ',"length":' .. #body ..
        ',"body":' .. json_string(body) .. "}"
    applet:set_status(201)
    applet:add_header("content-type", "application/json")
    applet:start_response()
    applet:send(out)
end)

core.register_service("ticks", "http", function(applet)
    local out = tostring(ticks)
    applet:set_status(200)
    applet:add_header("content-length", tostring(#out))
    applet:start_response()
    applet:send(out)
end)

core.register_service("slow", "http", function(applet)
    applet:set_status(200)
    applet:start_response()
    for i = 1, 5 do
        applet:send("part" .. i .. "\n")
        core.msleep(10)
    end
end)

-- core.backends with Proxy and Server objects; "?drain=<server>" drains one.
core.register_service("backends", "http", function(applet)
    local out = {}
    local drain = applet.qs:match("drain=([%w_]+)")
    local names = {}
    for name in pairs(core.backends) do
        names[#names + 1] = name
    end
    table.sort(names)
    for _, name in ipairs(names) do
        local px = core.backends[name]
        for sname, srv in pairs(px.servers) do
            if sname == drain then
                srv:set_drain()
            end
            out[#out + 1] = name .. "/" .. sname .. " " .. srv:get_addr() .. " " ..
                px:get_mode() .. " draining=" .. tostring(srv:is_draining())
        end
    end
    local body = table.concat(out, "\n") .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
