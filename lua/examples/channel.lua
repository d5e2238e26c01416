-- Example used by t/lua_channel.t: the Channel class (txn.req, txn.res) in tcp-request
-- and tcp-response content actions. The client's first line names a test; the action
-- puts its report in front of the request, which an echo server sends back.
local function show(v)
    return (tostring(v):gsub("\n", "\\n"))
end

local function err_of(f, ...)
    local ok, e = pcall(f, ...)
    return ok and "no error" or tostring(e)
end

core.register_action("chan", { "tcp-req" }, function(txn)
    local req = txn.req
    local r = {}
    local function add(k, v)
        r[#r + 1] = k .. "=" .. show(v)
    end
    local cmd = req:getline() -- waits for the whole line
    add("cmd", cmd)
    if cmd == "basic\n" then
        add("data", req:data(0, 11)) -- waits for 11 bytes
        add("input", req:input())
        add("line", req:line())
        add("neg", req:data(-6))
        add("off", req:data(2, 3))
        add("zero", req:data(0, 0))
        add("line6", req:line(6))
        add("is_resp", req:is_resp())
        add("res_is_resp", txn.res:is_resp())
        add("may_recv", req:may_recv())
        add("is_full", req:is_full())
        add("output", req:output())
        add("set", req:set("HELLO", 0, 5))
        add("insert", req:insert("<", 6))
        add("prepend", req:prepend("["))
        add("remove_end", req:remove(-1))
        add("remove_first", req:remove(0, 1))
        add("dup", req:dup())
        add("bad_off", err_of(req.data, req, 100))
        add("bad_len", err_of(req.remove, req, 0, 100))
        add("forward", req:forward(3))
        add("output3", req:output())
        add("input3", req:input())
        add("send", req:send("S:"))
        add("output5", req:output())
    elseif cmd == "get\n" then
        add("get1", req:get()) -- nothing yet: "" (get and dup do not wait)
        add("getline", req:getline()) -- waits for a line
        add("get2", req:get())
        add("input", req:input())
    elseif cmd == "fwd\n" then
        add("forward", req:forward(5)) -- waits for the bytes not there yet
        add("input", req:input())
        add("output", req:output())
    elseif cmd == "append\n" then
        add("append", req:append("!"))
        add("dup", req:dup())
    end
    req:prepend(table.concat(r, "|") .. "|")
end)

core.register_action("chan_res", { "tcp-res" }, function(txn)
    local res = txn.res
    local l = res:line(0, -1) -- waits for a line
    res:set("<" .. l:gsub("\n", "") .. ">\n", 0, #l)
    res:prepend("R:" .. tostring(res:is_resp()) .. ":" .. tostring(txn.req:is_resp()) .. ":")
end)

core.register_action("chan_http", { "http-req" }, function(txn)
    txn:set_var("txn.err", err_of(txn.req.data, txn.req))
    txn:set_var("txn.err2", err_of(txn.req.append, txn.req, "x"))
    txn:set_var("txn.flags", tostring(txn.req:is_resp()) .. "," .. tostring(txn.res:is_resp()) ..
        "," .. type(txn.req:input()) .. "," .. type(txn.req:output()) .. "," ..
        type(txn.req:may_recv()) .. "," .. type(txn.req:is_full()))
end)
