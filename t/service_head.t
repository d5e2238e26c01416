#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# HEAD to the HTTP services, as HAProxy 2.6 answers it: the head of the GET answer without
# a body and without a "content-length: 0" (which would announce an empty resource); the
# Prometheus exporter shows "transfer-encoding: chunked", the stats page no framing field;
# the connection stays open after them; the exporter's 400 keeps its content-length. A Lua
# service without a content-length announces "transfer-encoding: chunked" to an HTTP/1.1
# HEAD as HAProxy's Lua applets do.
# Passes against HAProxy 2.6 too.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /);
my $lua = !$t->portico || $t->has_feature('lua');
$t->plan(17);
$t->config(<<'EOF')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service prometheus-exporter if { path /metrics }
    stats enable
    stats uri /stats
EOF

sub head {
    my ($uri, $v) = @_;
    my $raw = http("HEAD $uri HTTP/$v\r\nHost: x\r\nConnection: close\r\n\r\n") // '';
    return (http_parse($raw, 'HEAD') // {}, $raw);
}

for my $v ('1.1', '1.0') {
    my ($r, $raw) = head('/metrics', $v);
    ok($r->{status} == 200 && $raw =~ /\r\n\r\n\z/, "HTTP/$v HEAD /metrics: 200, head only");
    ok(!exists $r->{h}{'content-length'}, "HTTP/$v HEAD /metrics: no content-length")
        or diag $raw;
    is($r->{h}{'transfer-encoding'}, 'chunked', "HTTP/$v HEAD /metrics: transfer-encoding chunked");
    ($r, $raw) = head('/stats;csv', $v);
    ok($r->{status} == 200 && $raw =~ /\r\n\r\n\z/, "HTTP/$v HEAD /stats;csv: 200, head only");
    ok(!exists $r->{h}{'content-length'} && !exists $r->{h}{'transfer-encoding'},
        "HTTP/$v HEAD /stats;csv: no framing field") or diag $raw;
}
my ($r, $raw) = head('/metrics?scope=bogus', '1.1');
ok($r->{status} == 400 && $r->{h}{'content-length'} == 90 && $raw =~ /\r\n\r\n\z/,
    'HEAD with a bad scope: 400, its content-length, no body') or diag $raw;

# keep-alive: HEAD answers leave the connection open, the GET after them is complete
my @r = http_keepalive("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "HEAD /stats HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
ok($r[0] && $r[0]{status} == 200 && !exists $r[0]{h}{connection}, 'HEAD /metrics kept alive');
ok($r[1] && $r[1]{status} == 200 && !exists $r[1]{h}{connection}, 'HEAD /stats kept alive');
ok($r[2] && $r[2]{status} == 200 && ($r[2]{body} // '') =~ /^# pxname,svname,/,
    'then a GET on the same connection');
$t->stop;

SKIP: {
    skip 'no lua module', 3 unless $lua;
    $t->write_file('svc.lua', <<'LUA');
core.register_service("hello", "http", function(applet)
    applet:set_status(200)
    applet:add_header("content-type", "text/plain")
    applet:start_response()
    applet:send("hello\n")
end)
core.register_service("hellolen", "http", function(applet)
    applet:add_header("content-length", "6")
    applet:start_response()
    applet:send("hello\n")
end)
LUA
    $t->config(<<'EOF')->run();
%%GLOBAL%%
    lua-load %%TESTDIR%%/svc.lua
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.hellolen if { path /len }
    http-request use-service lua.hello
EOF
    ($r, $raw) = head('/', '1.1');
    ok($r->{status} == 200 && ($r->{h}{'transfer-encoding'} // '') eq 'chunked'
        && !exists $r->{h}{'content-length'} && $raw =~ /\r\n\r\n\z/,
        'Lua service, HTTP/1.1 HEAD: transfer-encoding chunked, no body') or diag $raw;
    ($r, $raw) = head('/', '1.0');
    ok($r->{status} == 200 && !exists $r->{h}{'transfer-encoding'}
        && !exists $r->{h}{'content-length'}, 'Lua service, HTTP/1.0 HEAD: no framing field')
        or diag $raw;
    ($r, $raw) = head('/len', '1.1');
    ok(($r->{h}{'content-length'} // '') eq '6' && !exists $r->{h}{'transfer-encoding'}
        && $raw =~ /\r\n\r\n\z/, "Lua service's content-length kept on HEAD") or diag $raw;
}
