#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "http-request capture <sample> len <n>" in a named defaults section declares capture slots
# that every frontend built from it gets first, before its own "declare capture" slots, as
# HAProxy 2.6 numbers them (its reg-test http-rules/default_rules.vtc).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->config(<<'EOF2')->run();
defaults base
    mode http
    %%TIMEOUTS%%
    http-request capture hdr(Host) len 64
    http-request capture hdr(X-req-1) len 32
frontend fe1 from base
    bind 127.0.0.1:%%PORT_8080%%
    declare capture request len 32
    http-request capture hdr(X-req-2) id 2
    http-request return status 200 hdr X-C1 "%[capture.req.hdr(0)]" hdr X-C2 "%[capture.req.hdr(1)]" hdr X-C3 "%[capture.req.hdr(2)]"
frontend fe2 from base
    bind 127.0.0.1:%%PORT_8081%%
    http-request capture hdr(X-req-2) id 1
    http-request return status 200 hdr X-C1 "%[capture.req.hdr(0)]" hdr X-C2 "%[capture.req.hdr(1)]"
EOF2
my $req = "GET / HTTP/1.1\r\nHost: example\r\nX-req-1: one\r\nX-req-2: two\r\nConnection: close\r\n\r\n";
my $r = http_parse(http($req, port => port(8080)));
is($r && $r->{h}{'x-c1'}, 'example', 'slot 0 from the defaults');
is($r && $r->{h}{'x-c2'}, 'one', 'slot 1 from the defaults');
is($r && $r->{h}{'x-c3'}, 'two', "the frontend's own declared slot comes after them");
$r = http_parse(http($req, port => port(8081)));
is($r && $r->{h}{'x-c1'}, 'example', 'second frontend: slot 0');
is($r && $r->{h}{'x-c2'}, 'two', 'id 1 overwrites the inherited slot 1 after the defaults rule');
my ($rc, $out) = Test::Portico->new()->config("defaults\n    mode http\nbackend be\n"
    . "    http-request capture hdr(Host) len 10\n    server s 127.0.0.1:1\n")->check_config;
isnt($rc, 0, "'capture ... len' in a backend is refused") or diag $out;
