#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option log-separate-errors: a transaction with an error (a 5xx, a termination cause other
# than a local answer, a retry) is logged at level "err" instead of "info"; a normal one, a
# 404 and a redirect stay at "info"; without the option everything is "info". Syslog
# priorities read from a UDP receiver. Passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);

my $udp = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $lport = $udp->sockport;

# the next datagram within 5 s
sub next_line {
    my $sel = IO::Select->new($udp);
    return undef unless $sel->can_read(5);
    my $d;
    $udp->recv($d, 65535);
    return $d;
}

$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    return $req->{uri} =~ /^\/missing/ ? (404, [], "no\n") : (200, [], "ok\n");
});
$t->config(<<"EOF")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$lport local0
    log-format "%ci %ST %tsc %HP"
frontend sep
    bind 127.0.0.1:%%PORT_8080%%
    option log-separate-errors
    http-request deny if { path /deny }
    http-request redirect location /elsewhere if { path /ret }
    use_backend down if { path /down }
    default_backend be
frontend plain
    bind 127.0.0.1:%%PORT_8082%%
    use_backend down if { path /down }
    default_backend be
backend be
    server s1 127.0.0.1:%%PORT_8081%%
backend down
    server s1 127.0.0.1:%%PORT_8083%% disabled
EOF

# local0 (16): info = <134>, err = <131>
for my $c (['/ok', 8080, 134, 'a 200: info'], ['/missing', 8080, 134, 'a 404: info'],
    ['/deny', 8080, 131, 'a denied request (PR--): err'],
    ['/ret', 8080, 134, 'a redirect (a local answer, LR--): info'],
    ['/down', 8080, 131, 'a 503 (no server): err'],
    ['/ok', 8082, 134, 'without the option: a 200 is info'],
    ['/down', 8082, 134, 'without the option: a 503 is info too']) {
    my ($path, $port, $pri, $name) = @$c;
    http_get($path, port => port($port));
    my $l = next_line() // '';
    like($l, qr/^<$pri>.* \Q$path\E$/, $name) or diag $l;
}
