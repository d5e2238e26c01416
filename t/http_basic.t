#!/usr/bin/perl
# Tests for basic HTTP/1.1 proxying: GET, POST with Content-Length and chunked bodies, keep-alive.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);
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

my $r = http_parse(http_get('/get?x=1'));
is($r->{status}, 200, 'GET status');
like($r->{body}, qr{^GET /get\?x=1 HTTP/1\.1\r\n}, 'GET request line reached origin');

my $body = 'hello=world&' . ('x' x 1000);
$r = http_parse(http("POST /post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\n"
    . "Content-Length: " . length($body) . "\r\n\r\n$body"));
is($r->{status}, 200, 'POST content-length status');
is($r->{h}{'x-echo-body-length'}, length $body, 'POST body length seen by origin');
like($r->{body}, qr/\Q$body\E\z/, 'POST body echoed');

my @chunks = ('first-chunk;', 'second' x 100, 'end');
my $chunked = join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } @chunks) . "0\r\n\r\n";
$r = http_parse(http(["POST /chunked HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n", $chunked], sleep => 0.1));
is($r->{status}, 200, 'POST chunked status');
is($r->{h}{'x-echo-body-length'}, length(join '', @chunks), 'chunked body length at origin');

my ($last) = grep { $_->{uri} eq '/chunked' } $t->origin_requests(port(8081));
is($last && $last->{body}, join('', @chunks), 'chunked body decoded by origin intact');

my @resp = http_keepalive(
    "GET /k1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "POST /k2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc",
    "GET /k3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(scalar(grep { $_ && $_->{status} == 200 } @resp), 3, 'three responses on one connection');
like($resp[0] && $resp[0]{body}, qr{^GET /k1 }, 'keep-alive first response');
like($resp[1] && $resp[1]{body}, qr{^POST /k2 .*abc\z}s, 'keep-alive second response');
like($resp[2] && $resp[2]{body}, qr{^GET /k3 }, 'keep-alive third response');

my @seen = map { $_->{uri} } $t->origin_requests(port(8081));
is_deeply(\@seen, ['/get?x=1', '/post', '/chunked', '/k1', '/k2', '/k3'],
    'origin saw exactly the requests sent');
is(scalar(grep { $_->{method} eq 'POST' && $_->{body} eq 'abc' } $t->origin_requests(port(8081))),
    1, 'keep-alive POST body at origin');
