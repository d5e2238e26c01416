-- Example used by t/lua_set_var.t (HAProxy's reg-tests/lua/set_var.vtc): set_var with and
-- without "ifexist" from a service; the status tells the result, a header the value.
local function svc(ifexist)
    return function(applet)
        local name = applet.headers["var"][0]
        local ok = applet:set_var(name, "value", ifexist)
        applet:set_status(ok and 202 or 400)
        applet:add_header("echo", applet:get_var(name) or "(nil)")
        applet:add_header("content-length", "0")
        applet:start_response()
    end
end

core.register_service("set_var", "http", svc(false))
core.register_service("set_var_ifexist", "http", svc(true))
