#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "log <target> sample <ranges>:<size>": of every <size> messages sent to the target, only
# the ones numbered in <ranges> go out, counted over the whole instance (4 workers here), as
# HAProxy's log load-balancing; the parse errors of the option.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);

sub udp_listener {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp');
    die "udp: $@" unless $s;
    return $s;
}

# Datagrams received until TIMEOUT seconds pass without one.
sub recv_all {
    my ($s, $timeout) = @_;
    my @got;
    my $sel = IO::Select->new($s);
    while ($sel->can_read($timeout)) {
        my $d;
        $s->recv($d, 65535);
        push @got, $d;
        last if @got > 1000;
    }
    return @got;
}

my $all = udp_listener();
my $smp = udp_listener();
my $two = udp_listener();
my ($pa, $ps, $p2) = ($all->sockport, $smp->sockport, $two->sockport);
$t->origin_http(port(8081));
$t->config(<<"EOF2")->run();
global
    nbthread 4
defaults
    mode http
    %%TIMEOUTS%%
    option httplog
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log 127.0.0.1:$pa local0
    log 127.0.0.1:$ps sample 1,3:5 local0
    log 127.0.0.1:$p2 len 1024 sample 2-3:3 local0 info
    default_backend be
EOF2
$t->wait_workers(4);

my $n = 30;
my $ok = 0;
for my $i (1 .. $n) {
    my $r = http_parse(http_get("/r$i", port => port(8080)));
    $ok++ if $r && $r->{status} == 200;
    # the log line of a request is written after its response: wait for it, so that the
    # lines are numbered in request order whichever worker served the request
    my $sel = IO::Select->new($all);
    if ($sel->can_read(2)) { my $d; $all->recv($d, 65535); }
}
is($ok, $n, "$n requests served");
my @s = map { m{"GET /r(\d+) } ? $1 : () } recv_all($smp, 1);
my @t2 = map { m{"GET /r(\d+) } ? $1 : () } recv_all($two, 0.2);
my @want = grep { my $k = ($_ - 1) % 5 + 1; $k == 1 || $k == 3 } 1 .. $n;
is(scalar @s, scalar @want, 'sample 1,3:5: 2 lines of every 5');
is("@{[sort { $a <=> $b } @s]}", "@want", 'the 1st and 3rd of each 5, across 4 workers');
my @want2 = grep { ($_ - 1) % 3 + 1 >= 2 } 1 .. $n;
is("@{[sort { $a <=> $b } @t2]}", "@want2", 'sample 2-3:3 with len and a level');
$t->stop;

for my $bad (['1,3', qr/sample size/], ['0:5', qr/wrong sample range/],
    ['3-2:5', qr/wrong sample range/], ['1-3,2:5', qr/overlapping/],
    ['1-4:3', qr/greater or equal to 4/], ['1:0', qr/wrong sample size/]) {
    $t->config("frontend fe\n    bind 127.0.0.1:" . port(8080)
        . "\n    log 127.0.0.1:514 sample $bad->[0] local0\n");
    my ($c, $out) = $t->check_config;
    ok($c == 1 && $out =~ /portico\.cfg:3(?:: |\] : ).*$bad->[1]/, "sample $bad->[0] refused")
        or diag $out;
}
