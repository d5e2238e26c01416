-- SPDX-License-Identifier: MIT
-- portico's Lua prelude: the parts of HAProxy's Lua API written in Lua itself. Compiled
-- into the lua module (modules/lua/module.mk) and run when the Lua state is created,
-- before any lua-load script.

-- Concat: core.concat() returns a buffer object with add() and dump().
local Concat = {}
Concat.__index = Concat

function Concat:add(s)
    if type(s) ~= "string" then
        error("Concat:add(): a string is expected", 2)
    end
    self.parts[#self.parts + 1] = s
end

function Concat:dump()
    return table.concat(self.parts)
end

function core.concat()
    return setmetatable({ parts = {} }, Concat)
end

-- core.tokenize(str, separators [, noblank]): the fields of str split on any of the
-- separator characters; with noblank, empty fields are dropped.
function core.tokenize(str, seps, noblank)
    if type(str) ~= "string" or type(seps) ~= "string" then
        error("core.tokenize(): string arguments expected", 2)
    end
    local out = {}
    local cur = {}
    for i = 1, #str do
        local c = str:sub(i, i)
        if seps:find(c, 1, true) then
            local f = table.concat(cur)
            if not noblank or f ~= "" then
                out[#out + 1] = f
            end
            cur = {}
        else
            cur[#cur + 1] = c
        end
    end
    local f = table.concat(cur)
    if not noblank or f ~= "" then
        out[#out + 1] = f
    end
    return out
end

-- Map: Map.new(file, method) loads a map file ("key value" lines, '#' comments), then
-- map:lookup(str) returns the value of the first matching key (nil if none) and
-- map:slookup(str) the same or "". Methods: Map._str (exact), _beg, _end, _sub, _dir,
-- _dom, _int, _ip (longest prefix), _reg (PCRE, the Regex class).
Map = { _str = "str", _beg = "beg", _end = "end", _sub = "sub", _dir = "dir",
        _dom = "dom", _int = "int", _ip = "ip", _reg = "reg" }
Map.__index = Map

local function trim(s)
    return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function ipv4(s)
    local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    if not a then
        return nil
    end
    a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
    if a > 255 or b > 255 or c > 255 or d > 255 then
        return nil
    end
    return ((a * 256 + b) * 256 + c) * 256 + d
end

-- An IPv6 address as 8 16-bit groups ("::", an embedded IPv4 address), or nil.
local function ipv6(s)
    if s:find(".", 1, true) then
        local head, v4 = s:match("^(.*:)(%d+%.%d+%.%d+%.%d+)$")
        local n = v4 and ipv4(v4)
        if not n then
            return nil
        end
        s = head .. string.format("%x:%x", n // 65536, n % 65536)
    end
    local function split(part, out)
        if part == "" then
            return true
        end
        for g in (part .. ":"):gmatch("([^:]*):") do
            if not g:match("^%x%x?%x?%x?$") then
                return false
            end
            out[#out + 1] = tonumber(g, 16)
        end
        return true
    end
    local groups = {}
    local left, right = s:match("^(.-)::(.*)$")
    if left then
        local l, r = {}, {}
        if not split(left, l) or not split(right, r) or #l + #r > 7 then
            return nil
        end
        for _, v in ipairs(l) do
            groups[#groups + 1] = v
        end
        for _ = 1, 8 - #l - #r do
            groups[#groups + 1] = 0
        end
        for _, v in ipairs(r) do
            groups[#groups + 1] = v
        end
    elseif not split(s, groups) or #groups ~= 8 then
        return nil
    end
    return groups
end

-- Whether the first `bits` bits of two IPv6 addresses (group arrays) are the same.
local function v6_prefix_eq(a, b, bits)
    for i = 1, 8 do
        local n = bits - 16 * (i - 1)
        if n <= 0 then
            break
        end
        local mask = n >= 16 and 0xffff or ((0xffff << (16 - n)) & 0xffff)
        if a[i] & mask ~= b[i] & mask then
            return false
        end
    end
    return true
end

-- The longest matching IPv4 (n: a number) or IPv6 (g: groups) entry of a Map._ip list.
local function ip_best(list, n, g)
    local best
    for _, e in ipairs(list) do
        local hit
        if n and e.lo then
            hit = n >= e.lo and n < e.lo + e.size
        elseif g and e.g then
            hit = v6_prefix_eq(e.g, g, e.bits)
        end
        if hit and (not best or e.bits > best.bits) then
            best = e
        end
    end
    return best
end

local function bounded(str, key, sep)
    local init = 1
    while true do
        local i, j = str:find(key, init, true)
        if not i then
            return false
        end
        local before = i == 1 or str:sub(i - 1, i - 1) == sep
        local after = j == #str or str:sub(j + 1, j + 1) == sep
        if before and after then
            return true
        end
        init = i + 1
    end
end

function Map.new(file, method)
    method = method or Map._str
    local f, err = io.open(file, "r")
    if not f then
        error("Map.new(): " .. tostring(err), 2)
    end
    local m = setmetatable({ method = method, list = {}, hash = {} }, Map)
    for line in f:lines() do
        line = trim(line)
        if line ~= "" and line:sub(1, 1) ~= "#" then
            local k, v = line:match("^(%S+)%s*(.*)$")
            if method == "ip" then
                local addr, bits = k:match("^([^/]+)/?(%d*)$")
                local n = addr and ipv4(addr)
                local g = addr and not n and ipv6(addr)
                bits = tonumber(bits)
                if (not n and not g) or (bits and bits > (n and 32 or 128)) then
                    f:close()
                    error("Map.new(): invalid IP key '" .. k .. "' in " .. file, 2)
                end
                if n then
                    bits = bits or 32
                    local size = 2 ^ (32 - bits)
                    m.list[#m.list + 1] = { lo = n - n % size, size = size, bits = bits, v = v }
                else
                    m.list[#m.list + 1] = { g = g, bits = bits or 128, v = v }
                end
            elseif method == "reg" then
                local ok, re = Regex.new(k, true)
                if not ok then
                    f:close()
                    error("Map.new(): " .. re .. " in " .. file, 2)
                end
                m.list[#m.list + 1] = { re = re, v = v }
            elseif method == "str" or method == "int" then
                if m.hash[k] == nil then
                    m.hash[k] = v
                end
            else
                m.list[#m.list + 1] = { k = k, v = v }
            end
        end
    end
    f:close()
    return m
end

function Map:lookup(str)
    str = tostring(str)
    local method = self.method
    if method == "str" then
        return self.hash[str]
    elseif method == "int" then
        local n = tonumber(str)
        return n and self.hash[tostring(math.tointeger(n) or n)]
    elseif method == "ip" then
        -- as HAProxy's ip match: an IPv4 address with no IPv4 entry is looked up as
        -- ::ffff:a.b.c.d among the IPv6 ones; an IPv6 address with no IPv6 entry, when it
        -- holds an IPv4 one (::ffff:a.b.c.d, ::a.b.c.d, 2002:aabb:ccdd::), among the IPv4
        local n = ipv4(str)
        local g = not n and ipv6(str)
        if not n and not g then
            return nil
        end
        local best = ip_best(self.list, n, g)
        if not best and n then
            best = ip_best(self.list, nil, { 0, 0, 0, 0, 0, 0xffff, n // 65536, n % 65536 })
        elseif not best and g then
            local v4
            if g[1] == 0 and g[2] == 0 and g[3] == 0 and g[4] == 0 and g[5] == 0
                and (g[6] == 0xffff or g[6] == 0) then
                v4 = g[7] * 65536 + g[8]
            elseif g[1] == 0x2002 then
                v4 = g[2] * 65536 + g[3]
            end
            best = v4 and ip_best(self.list, v4, nil)
        end
        return best and best.v
    end
    for _, e in ipairs(self.list) do
        local k = e.k
        if (method == "reg" and e.re:exec(str))
            or (method == "beg" and str:sub(1, #k) == k)
            or (method == "end" and #k <= #str and str:sub(-#k) == k)
            or (method == "sub" and str:find(k, 1, true))
            or (method == "dir" and bounded(str, k, "/"))
            or (method == "dom" and bounded(str, k, ".")) then
            return e.v
        end
    end
    return nil
end

function Map:slookup(str)
    return self:lookup(str) or ""
end

-- HTTPClient: core.httpclient() returns a client whose get, head, put, post and delete
-- methods send one HTTP/1.1 request over a cosocket (core.tcp()) and return the response
-- as { status, reason, headers = { name = { [0] = value, ... } }, body }. The caller's
-- stream, service or task waits without holding the worker. Request fields: url
-- (mandatory; http:// or https://), headers ({ name = { value, ... } }), body (a string),
-- timeout (ms, the inactivity timeout of each step), dst (the address to connect to,
-- HAProxy's format: "ip:port", "unix@path"; without it, the URL's host, an IP address).
local HTTPClient = {}
HTTPClient.__index = HTTPClient

function core.httpclient()
    return setmetatable({}, HTTPClient)
end

local function split_url(url)
    local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
    if not scheme then
        return nil
    end
    scheme = scheme:lower()
    local authority, path = rest:match("^([^/?#]*)([^#]*)")
    if path == "" then
        path = "/"
    elseif path:sub(1, 1) == "?" then
        path = "/" .. path
    end
    authority = authority:gsub("^.*@", "")
    local host, port = authority:match("^(.*):(%d+)$")
    if not host then
        host = authority
        port = scheme == "https" and 443 or 80
    end
    host = host:match("^%[(.*)%]$") or host
    return scheme, authority, host, tonumber(port), path
end

-- What HAProxy's httpclient returns when no response came: its own error reply (503: no
-- connection, 504: no response in time, 502: an invalid response).
local hc_errors = {
    [502] = { "Bad Gateway", "The server returned an invalid or incomplete response." },
    [503] = { "Service Unavailable", "No server is available to handle this request." },
    [504] = { "Gateway Time-out", "The server didn't respond in time." },
}

local function hc_failed(s, status)
    s:close()
    local e = hc_errors[status]
    local body = "<html><body><h1>" .. status .. " " .. e[1] .. "</h1>\n" .. e[2]
                 .. "\n</body></html>\n"
    return { status = status, reason = e[1], body = body,
             headers = { ["content-length"] = { [0] = tostring(#body) },
                         ["cache-control"] = { [0] = "no-cache" },
                         ["content-type"] = { [0] = "text/html" } } }
end

local function hc_request(meth, req)
    local lname = meth:lower()
    if type(req) ~= "table" then
        error("'" .. lname .. "' needs a table as argument", 3)
    end
    for k, v in pairs(req) do
        if k == "url" or k == "body" then
            if type(v) ~= "string" then
                error("invalid parameter in '" .. k .. "', must be a string", 3)
            end
        elseif k == "timeout" then
            if type(v) ~= "number" then
                error("invalid parameter in 'timeout', must be a number", 3)
            end
        elseif k == "headers" then
            if type(v) ~= "table" then
                error("invalid parameter in 'headers', must be a table", 3)
            end
        elseif k == "dst" then
            if type(v) ~= "string" then
                error("Can't use the 'dst' argument", 3)
            end
        else
            error("'" .. tostring(k) .. "' invalid parameter name", 3)
        end
    end
    if not req.url then
        error("'" .. lname .. "' need a 'url' argument", 3)
    end
    local scheme, authority, host, port, path = split_url(req.url)
    if not scheme or (scheme ~= "http" and scheme ~= "https") then
        error("httpclient: invalid URL '" .. req.url .. "' (http:// or https:// expected)", 3)
    end

    local lines = { meth .. " " .. path .. " HTTP/1.1" }
    local found = {}
    for name, vals in pairs(req.headers or {}) do
        if type(name) == "string" and type(vals) == "table" then
            for _, v in pairs(vals) do
                if type(v) == "string" or type(v) == "number" then
                    lines[#lines + 1] = name .. ": " .. tostring(v)
                    found[name:lower()] = true
                end
            end
        end
    end
    if not found["host"] then
        lines[#lines + 1] = "Host: " .. authority
    end
    if not found["accept"] then
        lines[#lines + 1] = "Accept: */*"
    end
    if not found["user-agent"] then
        lines[#lines + 1] = "User-Agent: HAProxy"
    end
    local body = req.body
    if body and not found["content-length"] and not found["transfer-encoding"] then
        lines[#lines + 1] = "Content-Length: " .. #body
    end
    if not found["connection"] then
        lines[#lines + 1] = "Connection: close"
    end
    local head = table.concat(lines, "\r\n") .. "\r\n\r\n"

    local s = core.tcp()
    if req.timeout and req.timeout > 0 then
        s:settimeout(req.timeout / 1000)
    end
    local ok
    local connect = scheme == "https" and s.connect_ssl or s.connect
    local dst = req.dst
    if dst then
        if dst:match("^unix@") or dst:match("^/") or dst:match(":%d+$") then
            ok = connect(s, dst)
        else
            ok = connect(s, dst, port)
        end
    else
        if host == "localhost" then
            host = "127.0.0.1"
        end
        ok = connect(s, host, port)
    end
    if not ok then
        return hc_failed(s, 503)
    end
    local sent, serr = s:send(head)
    if sent and body and #body > 0 then
        sent, serr = s:send(body)
    end
    if not sent then
        return hc_failed(s, serr == "timeout" and 504 or 502)
    end

    local res = { status = 0, reason = "", headers = {}, body = "" }
    local line
    repeat
        local err
        line, err = s:receive("*l")
        if not line then
            return hc_failed(s, err == "timeout" and 504 or 502)
        end
        local st, reason = line:match("^HTTP/%d%.%d (%d%d%d) ?(.*)$")
        if not st then
            return hc_failed(s, 502)
        end
        res.status = tonumber(st)
        res.reason = reason
        local hdrs = {}
        while true do
            line, err = s:receive("*l")
            if not line then
                return hc_failed(s, err == "timeout" and 504 or 502)
            end
            if line == "" then
                break
            end
            local n, v = line:match("^([^:%s]+):%s*(.-)%s*$")
            if n then
                n = n:lower()
                local t = hdrs[n]
                if t then
                    t[#t + 1] = v
                else
                    hdrs[n] = { [0] = v }
                end
            end
        end
        res.headers = hdrs
    until res.status >= 200 or res.status == 101

    local h = res.headers
    local parts = {}
    if meth == "HEAD" or res.status == 204 or res.status == 304 then
        -- no body
    elseif h["transfer-encoding"] and h["transfer-encoding"][#h["transfer-encoding"]]:lower():match("chunked%s*$") then
        while true do
            line = s:receive("*l")
            local size = line and tonumber(line:match("^%s*(%x+)"), 16)
            if not size then
                break
            end
            if size == 0 then
                repeat
                    line = s:receive("*l")
                until not line or line == ""
                break
            end
            local chunk = s:receive(size)
            if not chunk then
                break
            end
            parts[#parts + 1] = chunk
            if #chunk < size or not s:receive("*l") then
                break
            end
        end
    elseif h["content-length"] then
        local len = tonumber(h["content-length"][0])
        if len and len > 0 then
            parts[1] = s:receive(len)
        end
    else
        parts[1] = s:receive("*a")
    end
    s:close()
    res.body = table.concat(parts)
    return res
end

function HTTPClient:get(req) return hc_request("GET", req) end
function HTTPClient:head(req) return hc_request("HEAD", req) end
function HTTPClient:put(req) return hc_request("PUT", req) end
function HTTPClient:post(req) return hc_request("POST", req) end
function HTTPClient:delete(req) return hc_request("DELETE", req) end

-- core.imf_date, core.rfc850_date, core.asctime_date, core.http_date (any of the three):
-- the epoch time of an HTTP date (UTC), or nil when the string is not one.
local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8,
                 Sep = 9, Oct = 10, Nov = 11, Dec = 12 }
local wdays = { Mon = "Monday", Tue = "Tuesday", Wed = "Wednesday", Thu = "Thursday",
                Fri = "Friday", Sat = "Saturday", Sun = "Sunday" }

local function epoch(y, mon, d, h, mi, s)
    y, d, h, mi, s = tonumber(y), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
    mon = months[mon]
    if not mon or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then
        return nil
    end
    -- days since 1970-01-01 of a civil date (proleptic Gregorian)
    local yy = mon <= 2 and y - 1 or y
    local era = (yy >= 0 and yy or yy - 399) // 400
    local yoe = yy - era * 400
    local doy = (153 * (mon + (mon > 2 and -3 or 9)) + 2) // 5 + d - 1
    local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    local days = era * 146097 + doe - 719468
    return days * 86400 + h * 3600 + mi * 60 + s
end

function core.imf_date(str)
    local wd, d, mon, y, h, mi, s = tostring(str):match(
        "^(%a%a%a), (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if not wd or not wdays[wd] then
        return nil
    end
    return epoch(y, mon, d, h, mi, s)
end

function core.rfc850_date(str)
    local wd, d, mon, y, h, mi, s = tostring(str):match(
        "^(%a+), (%d%d)%-(%a%a%a)%-(%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if not wd or wdays[wd:sub(1, 3)] ~= wd then
        return nil
    end
    y = tonumber(y)
    return epoch(y < 70 and y + 2000 or y + 1900, mon, d, h, mi, s)
end

function core.asctime_date(str)
    local wd, mon, d, h, mi, s, y = tostring(str):match(
        "^(%a%a%a) (%a%a%a) ([ %d]%d) (%d%d):(%d%d):(%d%d) (%d%d%d%d)$")
    if not wd or not wdays[wd] then
        return nil
    end
    return epoch(y, mon, d:gsub(" ", ""), h, mi, s)
end

function core.http_date(str)
    return core.imf_date(str) or core.rfc850_date(str) or core.asctime_date(str)
end
