-- Example used by t/lua_sticktable.t: the StickTable class (Proxy.stktable): info(),
-- lookup(), dump() with and without a filter, answered as sorted "key=value" lines.
local function count(t)
    local n = 0
    for _ in pairs(t) do
        n = n + 1
    end
    return n
end

core.register_service("stk", "http", function(applet)
    local r = {}
    local function add(k, v)
        r[#r + 1] = k .. "=" .. tostring(v)
    end
    local t = core.frontends["st"].stktable
    local i = t:info()
    for _, k in ipairs({ "type", "length", "size", "used", "nopurge", "expire" }) do
        add("info." .. k, i[k])
    end
    for k, v in pairs(i.data) do
        add("info.data." .. k, v)
    end
    local e = t:lookup("127.0.0.1")
    add("lookup.gpc0", e and e.gpc0)
    add("lookup.conn_rate", e and e.conn_rate)
    add("lookup.expire", e and type(e.expire))
    add("lookup.use", e and type(e.use))
    add("missing", t:lookup("10.9.9.9"))
    local d = t:dump()
    add("dump.n", count(d))
    add("dump.gpc0", d["127.0.0.1"] and d["127.0.0.1"].gpc0)
    add("dump.expire", d["127.0.0.1"] and d["127.0.0.1"].expire)
    add("dump.gt1", count(t:dump({ { "gpc0", "gt", 1 } })))
    local s = core.backends["strtab"].stktable:info()
    add("str.type", s.type)
    add("str.length", s.length)
    add("str.size", s.size)
    add("str.nopurge", s.nopurge)
    add("str.expire", s.expire)
    add("str.data.http_req_cnt", s.data.http_req_cnt)
    add("nost", core.backends["nost"].stktable)
    table.sort(r)
    local body = table.concat(r, "\n") .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
