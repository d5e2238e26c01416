#!/usr/bin/perl
# Server weights: a 3:1 ratio holds within 10% for roundrobin, static-rr and maglev tables.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
listen rr
    bind 127.0.0.1:%%PORT_8080%%
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%% weight 3
    server b 127.0.0.1:%%PORT_8082%% weight 1
listen srr
    bind 127.0.0.1:%%PORT_8090%%
    balance static-rr
    server a 127.0.0.1:%%PORT_8081%% weight 30
    server b 127.0.0.1:%%PORT_8082%% weight 10
listen mag
    bind 127.0.0.1:%%PORT_8091%%
    balance maglev hdr(x-key)
    server a 127.0.0.1:%%PORT_8081%% weight 3
    server b 127.0.0.1:%%PORT_8082%% weight 1
EOF2

sub within { my ($got, $want) = @_; return abs($got - $want) <= $want * 0.10 }

my %n;
$n{$_ ? $_->{body} : 'failed'}++ for http_keepalive(
    map { "GET /w$_ HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. 400);
ok(within($n{a} // 0, 300) && within($n{b} // 0, 100), "roundrobin 3:1 (a=$n{a} b=$n{b})");

%n = ();
for (1 .. 200) {
    my $r = http_parse(http_get('/', port => port(8090)));
    $n{$r ? $r->{body} : 'failed'}++;
}
ok(within($n{a} // 0, 150) && within($n{b} // 0, 50), "static-rr 3:1 (a=$n{a} b=$n{b})");

%n = ();
$n{$_ ? $_->{body} : 'failed'}++ for http_keepalive(
    (map { "GET /m HTTP/1.1\r\nHost: x\r\nX-Key: key-$_\r\n\r\n" } 1 .. 2000),
    { port => port(8091), timeout => 30 });
ok(abs(($n{a} // 0) / 2000 - 0.75) <= 0.075, "maglev 3:1 over 2000 keys (a=$n{a} b=$n{b})");
is($n{failed} // 0, 0, 'no failure');
