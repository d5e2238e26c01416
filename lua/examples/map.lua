-- Example used by t/lua_map.t: Map objects loaded from a map file given to lua-load.
local args = table.pack(...)
local dir = args[1]
local maps = {
    str = Map.new(dir .. "/hosts.map", Map._str),
    beg = Map.new(dir .. "/paths.map", Map._beg),
    ip = Map.new(dir .. "/nets.map", Map._ip),
    reg = Map.new(dir .. "/agents.map", Map._reg),
}

core.register_action("maps", { "http-req" }, function(txn)
    txn.http:req_set_header("X-Map-Str", maps.str:slookup(txn.sf:req_hdr("host")))
    txn.http:req_set_header("X-Map-Beg", tostring(maps.beg:lookup(txn.sf:path())))
    txn.http:req_set_header("X-Map-Ip", maps.ip:slookup(txn.sf:req_hdr("x-ip")))
    txn.http:req_set_header("X-Map-Reg", maps.reg:slookup(txn.sf:req_hdr("user-agent")))
end)
