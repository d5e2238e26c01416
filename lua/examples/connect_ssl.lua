-- Example used by t/lua_connect_ssl.t: Socket:connect_ssl() and https:// URLs of
-- core.httpclient(). The environment gives the TLS origin (SSL_ORIGIN, ip:port) and a
-- plain HTTP origin (PLAIN_ORIGIN).
local tls_addr, plain_addr = os.getenv("SSL_ORIGIN"), os.getenv("PLAIN_ORIGIN")

local function reply(applet, body)
    body = body .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end

-- A raw HTTP/1.1 exchange over TLS: the status line, then the rest until the close.
local function exchange(addr, path)
    local s = core.tcp()
    s:settimeout(5)
    local ip, port = addr:match("^(.*):(%d+)$")
    local ok, err = s:connect_ssl(ip, tonumber(port)) -- HAProxy wants both arguments
    if not ok then
        return "connect_ssl failed: " .. tostring(err)
    end
    s:setoption("keepalive", true) -- accepted and ignored, as HAProxy
    local peer = s:getpeername()
    s:send("GET " .. path .. " HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n")
    local line = s:receive("*l")
    local rest = s:receive("*a")
    local again, err2 = s:receive("*a") -- nothing left after the close
    s:close()
    return tostring(line) .. " | " .. (rest and rest:match("GET [^ ]+ HTTP/1%.1") or "-")
           .. " | " .. tostring(again) .. " " .. tostring(err2)
           .. " | " .. tostring(peer == addr)
end

core.register_service("raw", "http", function(applet)
    reply(applet, exchange(tls_addr, applet.path))
end)

core.register_service("not_tls", "http", function(applet)
    reply(applet, exchange(plain_addr, "/plain"))
end)

core.register_service("hc", "http", function(applet)
    local body = string.rep("0123456789", 10000)
    local r = core.httpclient():post{ url = "https://" .. tls_addr .. "/hc", body = body,
                                      timeout = 5000 }
    local len = r.headers["x-echo-body-length"]
    reply(applet, r.status .. " " .. (len and len[0] or "-") .. " " .. #r.body .. " "
                  .. tostring(r.body:find(body, 1, true) ~= nil))
end)
