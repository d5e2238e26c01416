#!/usr/bin/perl
# http-request deny / allow / reject and http-response deny.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
$t->origin_http(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-response deny if { res.hdr(x-bad) -m found }
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request allow if { path /allowed }
    http-request deny deny_status 429 if { path_beg /slow }
    http-request deny content-type text/plain string "go away" if { path /custom }
    http-request reject if { path /reject }
    http-request deny if { path_beg /a }
    default_backend be
EOF2

my $r = http_parse(http_get('/a/b'));
is($r->{status}, 403, 'deny gives 403');
like($r->{body}, qr{<h1>403 Forbidden</h1>}, 'HAProxy 403 page');
is(http_parse(http_get('/slow'))->{status}, 429, 'deny_status');
$r = http_parse(http_get('/custom'));
is("$r->{status} $r->{body}", '403 go away', 'deny with a custom payload');
is(http_get('/reject', quiet => 1), '', 'reject closes without a response');
my @r = http_keepalive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /allowed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is(join(',', map { $_ ? $_->{status} : 'none' } @r), '403,200',
    'deny keeps the connection; allow stops the rules');
my @seen = map { $_->{uri} } $t->origin_requests(port(8081));
is_deeply(\@seen, ['/allowed'], 'denied requests never reached the origin');
