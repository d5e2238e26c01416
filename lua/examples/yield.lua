-- Example used by t/lua_yield.t: actions that sleep and yield in request and response
-- hooks; the stream is suspended, other streams go on.
core.register_action("nap", { "http-req" }, function(txn, ms)
    local t0 = core.now()
    for i = 1, 3 do
        core.msleep(tonumber(ms))
        core.yield()
    end
    txn.http:req_set_header("X-Napped", "3x" .. ms)
end, 1)

core.register_action("resnap", { "http-res" }, function(txn)
    core.msleep(20)
    txn.http:res_set_header("X-Res-Napped", "yes")
end)
