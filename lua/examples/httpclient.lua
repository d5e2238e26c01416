-- Example used by t/lua_httpclient.t: core.httpclient() from an http-request action, an
-- http-response action, a service and a task. The environment gives the origin's base URL
-- (HC_BASE), a port where nothing listens (HC_CLOSED), the origin's unix socket (HC_UNIX).
local base, closed_port, unix_path = os.getenv("HC_BASE"), os.getenv("HC_CLOSED"),
                                     os.getenv("HC_UNIX")

local function h(r, name, i)
    local v = r.headers[name]
    return v and v[i or 0] or "-"
end

-- GET <base><path> with an extra header; the result goes into request headers.
core.register_action("hc_get", { "http-req" }, function(txn)
    local r = core.httpclient():get{ url = base .. txn.sf:path(),
                                     headers = { ["X-From"] = { "hc_get" } }, timeout = 5000 }
    txn.http:req_set_header("X-HC", r.status .. " " .. h(r, "x-method") .. " " .. h(r, "x-from")
                                    .. " " .. #r.body)
end)

-- POST from an http-response hook; the origin's answer goes into a response header.
core.register_action("hc_post", { "http-res" }, function(txn)
    local r = core.httpclient():post{ url = base .. "/from-response",
                                      body = "status=" .. txn.sf:status(), timeout = 5000 }
    txn.http:res_set_header("X-HC-Post", r.status .. " " .. h(r, "x-method") .. " "
                                         .. h(r, "x-uri") .. " " .. r.body)
end)

-- Every method and case, run by the task (below) and by the service /svc: one line each.
-- Lines are appended to <out> as the calls complete.
local function exercise(out)
    local hc = core.httpclient()
    local function method(m)
        hc = core.httpclient() -- one client per request, as HAProxy's own examples
        local req = { url = base .. "/m/" .. m, timeout = 5000 }
        if m == "put" or m == "post" then
            req.body = "body-" .. m
        end
        local r = hc[m](hc, req)
        out[#out + 1] = m .. ": " .. r.status .. " " .. r.reason .. " " .. h(r, "x-method") .. " "
                        .. h(r, "x-uri") .. " " .. h(r, "x-len") .. " [" .. r.body .. "]"
    end
    for _, m in ipairs({ "get", "head", "put", "post" }) do
        method(m)
    end
    local r = core.httpclient():get{ url = base .. "/chunked" }
    out[#out + 1] = "chunked: " .. r.status .. " [" .. r.body .. "]"
    r = core.httpclient():get{ url = base .. "/multi" }
    out[#out + 1] = "multi: " .. h(r, "x-multi", 0) .. " " .. h(r, "x-multi", 1)
    r = core.httpclient():get{ url = base .. "/missing" }
    out[#out + 1] = "missing: " .. r.status .. " " .. r.reason
    r = core.httpclient():get{ url = "http://origin.example/dst", dst = base:match("//([^/]+)") }
    out[#out + 1] = "dst: " .. r.status .. " " .. h(r, "x-host")
    r = core.httpclient():get{ url = "http://origin.example/unix", dst = "unix@" .. unix_path,
                headers = { host = { "named.example" } } }
    out[#out + 1] = "unix: " .. r.status .. " " .. h(r, "x-host") .. " " .. h(r, "x-uri")
    local ok, err = pcall(hc.get, hc, { uri = "http://127.0.0.1/" })
    out[#out + 1] = "bad: " .. tostring(ok) .. " " .. tostring(err):gsub("^.-:%d+: ", "")
    r = core.httpclient():get{ url = "http://127.0.0.1:" .. closed_port .. "/", timeout = 2000 }
    out[#out + 1] = "refused: " .. r.status .. " " .. r.reason .. " " .. h(r, "content-type")
    method("delete")
end

local task_out = { "pending" }

-- A 62922-byte POST whose 54000-byte answer is PUT back, then exercise().
core.register_task(function()
    local body = {}
    for i = 0, 2000 do
        body[#body + 1] = i .. " ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
    end
    body = table.concat(body)
    local hc = core.httpclient()
    local r = hc:post{ url = base .. "/big", body = body }
    local r2 = hc:put{ url = base .. "/echo-len", body = r.body }
    task_out[1] = "big: " .. #body .. " " .. h(r, "x-len") .. " " .. #r.body .. " " .. h(r2, "x-len")
    exercise(task_out)
end)

core.register_service("task_result", "http", function(applet)
    local task_result = table.concat(task_out, "\n") .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#task_result))
    applet:start_response()
    applet:send(task_result)
end)

core.register_service("hc_svc", "http", function(applet)
    local out = {}
    exercise(out)
    local body = table.concat(out, "\n") .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
