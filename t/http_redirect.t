#!/usr/bin/perl
# http-request redirect location|prefix|scheme with HAProxy's exact responses.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
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
    http-request redirect location /x code 303 set-cookie A=1 if { path /a }
    http-request redirect location /x code 307 clear-cookie B if { path /b }
    http-request redirect scheme https drop-query append-slash if { path_beg /d }
    http-request redirect prefix / code 301 drop-query append-slash if { path_beg /e }
    http-request redirect prefix /pre if { path_beg /p }
    default_backend be
EOF2

sub get { http("GET $_[0] HTTP/1.1\r\nHost: ex.com\r\nConnection: close\r\n\r\n") }
is(get('/a'), "HTTP/1.1 303 See Other\r\ncontent-length: 0\r\nlocation: /x\r\n"
    . "cache-control: no-cache\r\nset-cookie: A=1; path=/;\r\nconnection: close\r\n\r\n",
    'location, 303, set-cookie');
is(get('/b'), "HTTP/1.1 307 Temporary Redirect\r\ncontent-length: 0\r\nlocation: /x\r\n"
    . "cache-control: no-cache\r\nset-cookie: B; path=/; Max-Age=0;\r\nconnection: close\r\n\r\n",
    'clear-cookie');
like(get('/d/x?q=1'), qr{^HTTP/1\.1 302 Found\r\n.*location: https://ex\.com/d/x/\r\n}s,
    'scheme with drop-query and append-slash');
is(get('/e/y?z'), "HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\n"
    . "location: /e/y/\r\nconnection: close\r\n\r\n", 'prefix / (no cache-control on 301)');
my @r = http_keepalive("GET /p/q?k=v HTTP/1.1\r\nHost: ex.com\r\n\r\n",
    "GET /p2 HTTP/1.1\r\nHost: ex.com\r\nConnection: close\r\n\r\n");
is(scalar(grep { $_ && $_->{status} == 302 } @r), 2, 'redirects keep the connection alive');
