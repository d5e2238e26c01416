#!/usr/bin/perl
# timeout http-request (408 on slow headers, a fixed deadline), timeout http-keep-alive
# (silent close of an idle connection), timeout server (504).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
$t->origin_http(port(8081), handler => sub {
    sleep 2 if $_[0]{uri} eq '/slow';
    return (200, [], "ok");
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout http-request 700ms
    timeout http-keep-alive 300ms
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_slow
    timeout server 500ms
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_slow if { path /slow }
    default_backend be
EOF2

# Headers trickle in: the deadline is not pushed back by each byte.
my $start = time;
my $out = http(["GET / HTTP/1.1\r\n", "Host: x\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n"],
    sleep => 0.25, quiet => 1);
like($out, qr{^HTTP/1\.1 408 Request Time-out\r\n}, '408 on slow headers');
ok(time - $start < 2, 'http-request is a fixed deadline');

$start = time;
$out = http("GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout => 5);
like($out, qr{^HTTP/1\.1 200 OK\r\n.*ok\z}s, 'idle keep-alive connection closed silently');
ok(time - $start < 2, 'http-keep-alive applied');

like(http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    qr{^HTTP/1\.1 504 Gateway Time-out\r\n}, '504 when the server is too slow');
