#!/usr/bin/perl
# Lua services and tasks (lua/examples/services.lua): "http-request use-service lua.<name>"
# with AppletHTTP (set_status, add_header, start_response, send, receive), a hello world,
# a JSON echo of the request body, a service sending in parts with sleeps between them, and
# a core.register_task loop updating state every 100 ms.
use warnings;
use strict;
use Test::More;
use File::Spec;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(15);
my $script = File::Spec->rel2abs('lua/examples/services.lua');

$t->ignore_alerts(qr/backend 'be' has no server available/); # its only server drained
$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.hello if { path /hello }
    http-request use-service lua.echo if { path /echo }
    http-request use-service lua.ticks if { path /ticks }
    http-request use-service lua.slow if { path /slow }
    http-request use-service lua.backends if { path /backends }
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration with Lua services is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/hello'));
is($r && $r->{status}, 200, 'hello: 200');
is($r && $r->{body}, "hello world\n", 'hello: body from applet:send');
is($r && $r->{h}{'content-type'}, 'text/plain', 'hello: header from applet:add_header');

my $body = '{"k":"v"}';
$r = http_parse(http("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: " . length($body) . "\r\n\r\n$body"));
is($r && $r->{status}, 201, 'echo: status from applet:set_status');
is($r && $r->{h}{'content-type'}, 'application/json', 'echo: content type');
is($r && $r->{body}, '{"method":"POST","path":"/echo","length":9,"body":"{\u0022k\u0022:\u0022v\u0022}"}',
    'echo: the request body read with applet:receive(), as JSON') or diag($r && $r->{raw});

$r = http_parse(http_get('/slow'));
is($r && $r->{status}, 200, 'slow: 200');
is($r && $r->{body}, join('', map { "part$_\n" } 1 .. 5),
    'slow: every part sent, core.msleep between them');

# the task ticks every 100 ms in the (only) worker
$r = http_parse(http_get('/ticks'));
my $a = $r ? $r->{body} : '';
like($a, qr/^\d+$/, 'ticks: a number') or diag($r && $r->{raw});
my $b = $a;
for (1 .. 50) {
    sleep 0.1;
    $r = http_parse(http_get('/ticks'));
    $b = $r ? $r->{body} : '';
    last if $b =~ /^\d+$/ && $a =~ /^\d+$/ && $b >= $a + 3;
}
ok($a =~ /^\d+$/ && $b =~ /^\d+$/ && $b >= $a + 3, 'the task keeps running (core.msleep in a task)')
    or diag("first $a, then $b");

# a request not for a service still goes to the server
$r = http_parse(http_get('/other'));
is($r && $r->{status}, 200, 'other requests are forwarded');
like($r ? $r->{body} : '', qr/^GET \/other /, 'to the origin');

# core.backends: Proxy and Server objects
my $p = port(8081);
$r = http_parse(http_get('/backends'));
like($r ? $r->{body} : '', qr{^be/a 127\.0\.0\.1:$p http draining=(?:false|0)$}m,
    'core.backends lists the backend\'s servers (name, get_addr, get_mode, is_draining)')
    or diag($r && $r->{raw});
$r = http_parse(http_get('/backends?drain=a'));
$r = http_parse(http_get('/backends'));
like($r ? $r->{body} : '', qr{^be/a \S+ http draining=(?:true|1)$}m, 'Server:set_drain()')
    or diag($r && $r->{raw});

