#!/usr/bin/perl
# option http-keep-alive (default), http-server-close and httpclose.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), echo => 1);
$t->origin_http(port(8082), echo => 1);
$t->origin_http(port(8083), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_ka
    server a 127.0.0.1:%%PORT_8081%%
backend be_scl
    option http-server-close
    server a 127.0.0.1:%%PORT_8082%%
backend be_clo
    option httpclose
    server a 127.0.0.1:%%PORT_8083%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_scl if { path_beg /scl }
    use_backend be_clo if { path_beg /clo }
    default_backend be_ka
EOF2

sub conns { my %c = map { $_->{conn} => 1 } $t->origin_requests($_[0]); scalar keys %c }
my $req = sub { "GET $_[0] HTTP/1.1\r\nHost: x\r\n" . ($_[1] // '') . "\r\n" };

my @r = http_keepalive($req->('/ka1'), $req->('/ka2', "Connection: close\r\n"));
is(scalar(grep { $_ && $_->{status} == 200 } @r), 2, 'keep-alive: two responses');
is(conns(port(8081)), 1, 'keep-alive: one server connection');

@r = http_keepalive($req->('/scl1'), $req->('/scl2', "Connection: close\r\n"));
is(scalar(grep { $_ && $_->{status} == 200 } @r), 2, 'server-close: client kept alive');
is(conns(port(8082)), 2, 'server-close: a server connection per request');
like($r[0]{body}, qr/^connection: close\r$/mi, 'server-close: close announced to the server');

@r = http_keepalive($req->('/clo1'), $req->('/clo2'));
ok($r[0] && $r[0]{h}{connection} eq 'close' && !$r[1], 'httpclose: client closed after one');
