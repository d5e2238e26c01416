#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's txn:reply([t]) and the Reply class (set_status, add_header, del_header, set_body),
# sent by txn:done(reply) from an http-request or http-response action, as HAProxy 2.6
# sends it: the status line in the request's version, the reason of the status (a reason
# given in the table to txn:reply is not kept, one given to set_status is), the headers
# (content-length dropped and recomputed), the body; the server never sees the request.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(16);
my $d = $t->testdir;
$t->write_file('reply.lua', <<'LUA');
core.register_action("rep", { "http-req" }, function(txn)
    local p = txn.sf:path()
    if p == "/table" then
        txn:done(txn:reply({ status = 403, reason = "Not Kept", body = "no",
            headers = { ["x-a"] = { "1", "2" }, ["content-type"] = "text/plain",
                        ["content-length"] = "99" } }))
    elseif p == "/methods" then
        local r = txn:reply()
        local bad = r:set_status(700)
        r:set_status(418, "Short And Stout")
        r:add_header("x-b", "v1")
        r:add_header("x-b", "v2")
        r:add_header("x-gone", "x")
        r:del_header("x-gone")
        r:add_header("x-bad", tostring(bad))
        r:set_body("hello")
        txn:done(r)
    elseif p == "/default" then
        local r = txn:reply()
        r:add_header("x-fields", r.status .. " " .. r.reason .. " " .. tostring(r.body))
        txn:done(r)
    elseif p == "/plain" then
        txn:done()
    end
end)
core.register_action("resrep", { "http-res" }, function(txn)
    if txn:get_var("txn.swap") then
        local r = txn:reply({ status = 503, body = "swapped" })
        r:add_header("content-type", "text/plain")
        txn:done(r)
    end
end)
LUA
$t->origin_http(port(8081), body => "origin\n");
$t->config(<<"EOF2")->run();
global
    lua-load $d/reply.lua
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.swap) bool(true) if { path /swap }
    http-request lua.rep
    http-response lua.resrep
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub vals { my ($r, $n) = @_; join '|', map { $_->[1] } grep { $_->[0] eq $n } @{$r->{headers} // []} }

my $r = http_parse(http_get('/table'));
is(($r->{status} // 0) . ' ' . ($r->{reason} // ''), '403 Forbidden',
    "txn:reply(t): the status's reason (the table's is not kept)");
is(vals($r, 'x-a'), '1|2', 'a header with two values');
is(vals($r, 'content-type'), 'text/plain', 'a header given as a string');
is(vals($r, 'content-length'), '2', 'content-length recomputed from the body');
is($r->{body}, 'no', 'the body');

$r = http_parse(http_get('/methods'));
is(($r->{status} // 0) . ' ' . ($r->{reason} // ''), '418 Short And Stout', 'set_status(code, reason)');
is(vals($r, 'x-bad'), 'false', 'set_status(700) returns false');
is(vals($r, 'x-b'), 'v1|v2', 'add_header twice');
is(vals($r, 'x-gone'), '', 'del_header');
is($r->{body}, 'hello', 'set_body');

$r = http_parse(http_get('/default'));
is(vals($r, 'x-fields'), '200 OK nil', 'a new Reply: 200, "OK", no body');
is(vals($r, 'content-length'), '0', 'an empty body: content-length 0');

$r = http_parse(http("GET /methods HTTP/1.0\r\nHost: x\r\n\r\n"));
is($r->{version} // '', 'HTTP/1.0', 'the status line in the request version');

$r = http_parse(http_get('/swap'));
is(($r->{status} // 0) . ' ' . ($r->{body} // ''), '503 swapped',
    'txn:done(reply) in an http-response action replaces the response');

my @reqs = $t->origin_requests(port(8081));
is(join(',', sort map { $_->{uri} } @reqs), '/swap', 'only /swap reached the server');

$r = http_parse(http_get('/other'));
is($r->{body} // '', "origin\n", 'other requests are forwarded');
