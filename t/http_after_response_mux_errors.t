#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The errors answered while the request head is still being received (invalid head, request
# timeout, head cut by the client) are, as HAProxy's H1 multiplexer's own answers, sent
# without running the http-after-response rules; every later response, generated ones
# included, goes through them (HAProxy's reg-test connection/proxy_protocol_tlv_validation.vtc).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);
$t->config(<<'EOF2')->run();
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    timeout http-request 1s
    http-after-response set-header x-after yes
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string "ok"
EOF2

my $r = http_parse(http_get('/'));
is($r && $r->{status}, 200, 'return: 200');
is($r && $r->{h}{'x-after'}, 'yes', 'a rule\'s reply goes through http-after-response');

$r = http_parse(http_get('/deny'));
is($r && $r->{status}, 403, 'deny: 403');
is($r && $r->{h}{'x-after'}, 'yes', 'a deny\'s error goes through http-after-response');

$r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n"));
is($r && $r->{status}, 400, 'invalid head: 400');
ok($r && !defined $r->{h}{'x-after'}, 'an invalid head\'s 400 skips http-after-response');

$r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\n", timeout => 5));
is($r && $r->{status}, 408, 'incomplete head: 408 at timeout http-request');
ok($r && !defined $r->{h}{'x-after'}, 'the 408 skips http-after-response');

$r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\n", half_close => 1, timeout => 5));
is($r && $r->{status}, 400, 'head cut by the client: 400');
ok($r && !defined $r->{h}{'x-after'}, 'that 400 skips http-after-response');
