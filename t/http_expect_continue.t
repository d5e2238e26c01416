#!/usr/bin/perl
# Expect: 100-continue: the server's interim 100 reaches the client, then the final answer.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(2);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

my $out = http(["POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
    . "Connection: close\r\n\r\n", "hello"], sleep => 0.2);
like($out, qr{HTTP/1\.1 200 OK\r\n}, 'final response');
is(scalar(grep { $_->{uri} eq '/up' && $_->{body} eq 'hello' } $t->origin_requests(port(8081))),
    1, 'body reached the origin');
