-- Example used by t/lua_cli.t: a runtime API command written in Lua.
core.register_cli({ "lua", "greet" }, "lua greet <name> : says hello", function(applet, w1, w2, name)
    applet:send("hello " .. (name or "nobody") .. " from " .. w1 .. " " .. w2 .. "\n")
end)
