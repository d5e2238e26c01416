#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# http-request early-hint <name> <fmt>: a "103 Early Hints" interim response with the
# headers of the early-hint rules, before the final response, to HTTP/1.1 clients only
# (HAProxy 2.6).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), body => "final\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request early-hint Link "</style.css>; rel=preload; as=style" if { path_beg /eh }
    http-request early-hint Link "<%[path]/x.js>; rel=preload" if { path_beg /eh }
    http-request deny if { path /eh/deny }
    default_backend be
EOF2

my $raw = http("GET /eh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($raw, qr{\AHTTP/1\.1 103 Early Hints\r\nlink: </style\.css>; rel=preload; as=style\r\n},
    '103 with the first header');
like($raw, qr{\r\nlink: </eh/x\.js>; rel=preload\r\n\r\nHTTP/1\.1 200 }i,
    'the second rule adds to the same 103 (log-format value), then the final response');
like($raw, qr/final\n\z/, 'the final body');
$raw = http("GET /eh HTTP/1.0\r\nHost: x\r\n\r\n");
like($raw, qr{\AHTTP/1\.[01] 200 }, 'no 103 to an HTTP/1.0 client');
$raw = http("GET /eh/deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($raw, qr{\AHTTP/1\.1 103 Early Hints\r\n.*\r\n\r\nHTTP/1\.1 403 }s, '103 before a deny');
$raw = http("GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($raw, qr{\AHTTP/1\.1 200 }, 'no 103 when no rule matched');
