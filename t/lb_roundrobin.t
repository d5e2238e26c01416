#!/usr/bin/perl
# Tests for balance roundrobin: equal shares over separate and keep-alive client connections.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), body => 'from-a');
$t->origin_http(port(8082), body => 'from-b');
$t->origin_http(port(8083), body => 'from-c');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
    server c 127.0.0.1:%%PORT_8083%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

my %n;
for (1 .. 30) {
    my $r = http_parse(http_get('/'));
    $n{$r ? $r->{body} : 'failed'}++;
}
is_deeply(\%n, { 'from-a' => 10, 'from-b' => 10, 'from-c' => 10 },
    '30 requests on separate connections: 10 per server');

my @req = map { "GET /ka$_ HTTP/1.1\r\nHost: localhost\r\n\r\n" } 1 .. 30;
my @resp = http_keepalive(@req);
%n = ();
$n{$_ ? $_->{body} : 'failed'}++ for @resp;
is_deeply(\%n, { 'from-a' => 10, 'from-b' => 10, 'from-c' => 10 },
    '30 requests on one keep-alive connection: 10 per server');

is(scalar($t->origin_requests(port(8081))) + scalar($t->origin_requests(port(8082)))
    + scalar($t->origin_requests(port(8083))), 60, 'origins saw exactly 60 requests');
is(scalar(grep { $_->{uri} =~ m{^/ka} } $t->origin_requests(port(8082))), 10,
    'server b saw 10 keep-alive requests');
