#!/usr/bin/perl
# Lua cosockets (core.tcp(), lua/examples/cosocket.lua): an http-request action, an
# http-response action and a service connect to a TCP echo origin, send and receive
# (line and byte-count patterns, settimeout) while their stream waits; a refused
# connection is returned to the script, not raised; a receive cut by its timeout returns
# what came, as HAProxy 2.6 does.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_end http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(7);
my $script = File::Spec->rel2abs('lua/examples/cosocket.lua');
my $echo = '127.0.0.1:' . port(8082);
my $closed = '127.0.0.1:' . port(8083); # nothing listens there

$t->origin_http(port(8081), echo => 1);
$t->origin_tcp(port(8082));
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.partial if { path /partial }
    http-request lua.ask $closed if { path /refused }
    http-request lua.ask $echo unless { path /refused }
    http-response lua.res_ask $echo
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/hello'));
like($r ? $r->{body} : '', qr/^X-Echoed: ping \/hello\r$/mi,
    'http-request action: connect, send, receive("*l") through the echo server')
    or diag($r && $r->{raw});
is($r && $r->{h}{'x-res-echoed'}, 'pong', 'http-response action: the same');

$r = http_parse(http_get('/refused'));
like($r ? $r->{body} : '', qr/^X-Echoed: connect failed: /mi, 'a refused connection is returned')
    or diag($r && $r->{raw});

my @socks = map { http_get("/c$_", start => 1) } 1 .. 20;
my $ok = 0;
for my $i (0 .. $#socks) {
    my $x = $socks[$i] ? http_parse(http_end($socks[$i])) : undef;
    $ok++ if $x && $x->{body} =~ /^X-Echoed: ping \/c@{[$i + 1]}\r$/mi;
}
is($ok, 20, '20 concurrent clients, each with its own cosocket');

$r = http_parse(http_get("/partial?$echo"));
# HAProxy 2.6 returns what came when the time is up, as a success
is($r && $r->{body}, "12345 nil nil\n", 'receive(100) with 5 bytes: what came, once the timeout expired')
    or diag($r && $r->{raw});
$r = http_parse(http_get('/after'));
is($r && $r->{status}, 200, 'the worker lives on');
