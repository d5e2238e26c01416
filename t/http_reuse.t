#!/usr/bin/perl
# Tests for http-reuse: idle server connections shared between client connections,
# per HAProxy's never/safe/always rules, and idle connections closed by the server.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');
$t->origin_http(port(8084), body => 'd', idle => 1); # closes idle connections after 1 s
$t->config(<<'EOF2')->run();
global
    workers 1
defaults
    mode http
    %%TIMEOUTS%%
backend always
    http-reuse always
    server a 127.0.0.1:%%PORT_8081%%
backend never
    http-reuse never
    server b 127.0.0.1:%%PORT_8082%%
backend safe
    server c 127.0.0.1:%%PORT_8083%%
backend closing
    http-reuse always
    server d 127.0.0.1:%%PORT_8084%%
frontend f_always
    bind 127.0.0.1:%%PORT_8091%%
    default_backend always
frontend f_never
    bind 127.0.0.1:%%PORT_8092%%
    default_backend never
frontend f_safe
    bind 127.0.0.1:%%PORT_8093%%
    default_backend safe
frontend f_closing
    bind 127.0.0.1:%%PORT_8094%%
    default_backend closing
EOF2

sub conns {
    my ($port) = @_;
    my %c;
    $c{$_->{conn}}++ for $t->origin_requests(port($port));
    return scalar keys %c;
}

sub sequential {
    my ($port, $n, $close) = @_;
    my $ok = 0;
    for (1 .. $n) {
        my $r = http_parse(http("GET /$_ HTTP/1.1\r\nHost: x\r\n"
            . ($close ? "Connection: close\r\n" : '') . "\r\n", port => port($port)));
        $ok++ if $r && $r->{status} == 200;
    }
    return $ok;
}

is(sequential(8091, 5, 1), 5, 'always: 5 client connections served');
is(conns(8081), 1, 'always: one server connection for 5 client connections (Connection: close)');

sequential(8092, 5, 1);
is(conns(8082), 5, 'never: one server connection per client connection');

sequential(8093, 3, 1);
is(conns(8083), 3, 'safe: the first request of each client connection uses its own connection');
my @r = http_keepalive(map({ "GET /k$_ HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. 3),
    { port => port(8093) });
is(scalar(grep { $_ && $_->{status} == 200 } @r), 3, 'safe: keep-alive requests served');
is(conns(8083), 4, 'safe: a keep-alive session opens one connection for its 3 requests');

# The origin closes its idle connection: the next request must not fail.
sequential(8094, 1, 1);
select(undef, undef, undef, 1.6);
is(sequential(8094, 2, 1), 2, 'idle connection closed by the server is dropped, not used');
is(conns(8084), 2, 'a new server connection replaced the closed one');
