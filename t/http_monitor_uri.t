#!/usr/bin/perl
# monitor-uri: HAProxy's 200 page, never forwarded; errorfile 200 replaces it.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->origin_http(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    monitor-uri /health
    default_backend be
EOF2

is(http("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\n"
    . "content-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>200 OK</h1>\n"
    . "Service ready.\n</body></html>\n", 'HAProxy monitor page');
like(http_get('/health?x=1'), qr{^HTTP/1\.1 200 OK\r\n.*Service ready}s, 'matched on the path');
is(scalar($t->origin_requests(port(8081))), 0, 'monitor requests never forwarded');
