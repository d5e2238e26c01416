#!/usr/bin/perl
# errorfile pages replace generated errors (503 no server, 403 deny, 400 bad request).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->write_file('503.http', "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n"
    . "Content-Type: text/plain\r\n\r\nbusy\n");
$t->write_file('403.http', "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno\n");
my $dir = $t->testdir;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    errorfile 403 $dir/403.http
backend be
    errorfile 503 $dir/503.http
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request deny if { path /deny }
    default_backend be
EOF2

like(http_get('/x'), qr{^HTTP/1\.1 503 Service Unavailable\r\n.*\r\n\r\nbusy\n\z}s,
    'backend errorfile for 503 (server down)');
like(http_get('/deny'), qr{^HTTP/1\.1 403 Forbidden\r\n.*\r\n\r\nno\n\z}s,
    'errorfile for deny');
like(http("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
    qr{^HTTP/1\.1 400 Bad request\r\n}, 'built-in 400 without errorfile');
