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
