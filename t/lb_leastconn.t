#!/usr/bin/perl
# balance leastconn: a slow request in flight pins one server; new requests go to the other.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http http_end http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
for my $p ([8081, 'a'], [8082, 'b']) {
    my $body = $p->[1];
    $t->origin_http(port($p->[0]), handler => sub {
        my ($req) = @_;
        select(undef, undef, undef, 1.5) if $req->{uri} =~ /slow/;
        return (200, ['Content-Type' => 'text/plain'], $body);
    });
}
$t->config(<<'EOF2')->run();
%%GLOBAL%%
global
    workers 2
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance leastconn
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

my $slow = http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
select(undef, undef, undef, 0.3);
my %n;
for (1 .. 10) {
    my $r = http_parse(http_get('/fast'));
    $n{$r ? $r->{body} : 'failed'}++;
}
my $sr = http_parse(http_end($slow));
ok($sr && $sr->{status} == 200, 'slow request served');
my $pinned = $sr ? $sr->{body} : '?';
my $other = $pinned eq 'a' ? 'b' : 'a';
is_deeply(\%n, { $other => 10 }, "all 10 fast requests went to the idle server ($other)");
is(scalar(grep { $_->{uri} eq '/fast' } $t->origin_requests(port($pinned eq 'a' ? 8081 : 8082))),
    0, 'the busy server got no fast request');
