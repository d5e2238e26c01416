-- Example used by t/lua_core_misc.t: core.parse_addr, core.match_addr and the HTTP date
-- parsers.
local function net(s)
    return core.parse_addr(s)
end

core.register_service("misc", "http", function(applet)
    local out = {}
    local function add(k, v)
        out[#out + 1] = k .. "=" .. tostring(v)
    end
    add("bad", net("not-an-ip"))
    add("bad6", net("2001:db8::/129"))
    add("in24", core.match_addr(net("192.168.1.7"), net("192.168.1.0/24")))
    add("out24", core.match_addr(net("192.168.2.7"), net("192.168.1.0/24")))
    add("dotted", core.match_addr(net("10.1.2.3"), net("10.1.0.0/255.255.0.0")))
    add("rev", core.match_addr(net("10.0.0.0/8"), net("10.9.9.9")))
    add("in6", core.match_addr(net("2001:db8::1"), net("2001:db8::/32")))
    add("out6", core.match_addr(net("2001:db9::1"), net("2001:db8::/32")))
    add("mixed", core.match_addr(net("::1"), net("0.0.0.0/0")))
    add("notnet", core.match_addr("1.2.3.4", net("1.2.3.4")))
    add("imf", core.imf_date("Sun, 06 Nov 1994 08:49:37 GMT"))
    add("rfc850", core.rfc850_date("Sunday, 06-Nov-94 08:49:37 GMT"))
    add("asctime", core.asctime_date("Sun Nov  6 08:49:37 1994"))
    add("http_imf", core.http_date("Thu, 29 Feb 2024 23:59:59 GMT"))
    add("http_asc", core.http_date("Sun Nov  6 08:49:37 1994"))
    add("http_bad", core.http_date("yesterday"))
    add("imf_bad", core.imf_date("Sun Nov  6 08:49:37 1994"))
    local body = table.concat(out, "\n") .. "\n"
    applet:set_status(200)
    applet:add_header("content-length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
