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
                if not n then
                    f:close()
                    error("Map.new(): invalid IPv4 key '" .. k .. "' in " .. file, 2)
                end
                bits = tonumber(bits) or 32
                local size = 2 ^ (32 - bits)
                m.list[#m.list + 1] = { lo = n - n % size, size = size, bits = bits, v = v }
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
        local n = ipv4(str)
        if not n then
            return nil
        end
        local best
        for _, e in ipairs(self.list) do
            if n >= e.lo and n < e.lo + e.size and (not best or e.bits > best.bits) then
                best = e
            end
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
