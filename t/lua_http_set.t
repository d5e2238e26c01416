#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's HTTP request-line and status setters, as HAProxy 2.6's: HTTP:req_set_method,
# req_set_path (the query kept), req_set_query (without '?'), req_set_uri (true when the
# rewrite was done, false for a value that would break the line), and
# HTTP:res_set_status(code[, reason]) (HAProxy's reason phrase by default).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(8);
my $d = $t->testdir;
$t->write_file('set.lua', <<'LUA');
core.register_action("rewrite", { "http-req" }, function(txn)
    local p = txn.sf:path()
    if p == "/m" then txn.http:req_set_method("PUT")
    elseif p == "/p" then txn.http:req_set_path("/new/path")
    elseif p == "/q" then txn.http:req_set_query("a=1&b=2")
    elseif p == "/noq" then txn.http:req_set_query("")
    elseif p == "/u" then txn.http:req_set_uri("/whole/uri?x=y")
    elseif p == "/bad" then
        txn.http:req_set_header("x-ok", tostring(txn.http:req_set_path("/has space")))
    end
    txn:set_var("txn.p", p)
end)
core.register_action("status", { "http-res" }, function(txn)
    local p = txn:get_var("txn.p") -- the request's path is gone by then in HAProxy
    if p == "/s1" then txn.http:res_set_status(404)
    elseif p == "/s2" then txn.http:res_set_status(299, "Fine Enough") end
end)
LUA
$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2")->run();
global
    lua-load $d/set.lua
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.rewrite
    http-response lua.status
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub seen { my $r = http_parse(http_get($_[0])); $r ? ($r->{h}{'x-echo-method'} // '-') . ' ' . ($r->{h}{'x-echo-uri'} // '-') : 'none' }
is(seen('/m'), 'PUT /m', 'req_set_method');
is(seen('/p?k=v'), 'GET /new/path?k=v', 'req_set_path keeps the query');
is(seen('/q?old=1'), 'GET /q?a=1&b=2', 'req_set_query replaces it');
is(seen('/noq?old=1'), 'GET /noq?', 'req_set_query("") empties it (the "?" stays, as HAProxy)');
my $b = http_parse(http_get('/bad'));
# portico refuses a value that would break the request line; HAProxy 2.6 accepts it and
# sends "GET /has space HTTP/1.1" (a documented difference)
like($b ? $b->{body} : '', $t->portico ? qr/^x-ok: false\r$/mi : qr/^x-ok: true\r$/mi,
    'a path with a space is refused (false)');
is(seen('/u'), 'GET /whole/uri?x=y', 'req_set_uri');
my $r = http_parse(http_get('/s2'));
is(($r->{status} // 0) . ' ' . ($r->{reason} // ''), '299 Fine Enough', 'res_set_status with a reason');
$r = http_parse(http_get('/s1'));
is(($r->{status} // 0) . ' ' . ($r->{reason} // ''), '404 Not Found', "res_set_status: HAProxy's reason by default");
