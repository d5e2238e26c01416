#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option http-buffer-request / wait-for-body with a body larger than the buffer can hold
# (tune.bufsize less tune.maxrewrite): once the buffer is full the request goes on with what
# it holds, as HAProxy, instead of waiting for a body that cannot fit (HAProxy's reg-test
# http-rules/strict_rw_mode.vtc, its first request).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    return (200, ['Content-Type' => 'text/plain'], 'got ' . length($req->{body} // ''));
});
$t->config(<<'EOF2')->run();
global
    tune.bufsize 2048
    tune.maxrewrite 128
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    option http-buffer-request
    default_backend be
frontend fe2
    bind 127.0.0.1:%%PORT_8090%%
    http-request wait-for-body time 4s
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF2

my $body = 'a' x 2000;
for my $p (8080, 8090) {
    my $req = "POST /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2000\r\n\r\n$body";
    my $t0 = time;
    my $r = http_parse(http($req, port => port($p), timeout => 8));
    is($r && $r->{status} . ' ' . $r->{body}, '200 got 2000',
       ($p == 8080 ? 'http-buffer-request' : 'wait-for-body') . ': a body larger than the buffer is forwarded whole');
    ok(time - $t0 < 3, '... at once, not at a timeout');
}
