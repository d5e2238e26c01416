#!/usr/bin/perl
# Tests for worker processes: "workers 2" starts two, connections are spread over both,
# a killed worker is replaced and service continues.
use warnings;
use strict;
use Test::More;
use IO::Select;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only()->plan(7);
$t->origin_tcp(port(8081));
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    workers 2
defaults
    mode tcp
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub wait_workers {
    my ($n, $timeout) = @_;
    my $deadline = time + $timeout;
    my @w;
    while (1) {
        @w = $t->workers;
        return @w if @w == $n || time >= $deadline;
        sleep 0.05;
    }
}

# One echo round trip on an open connection; false if the connection is dead.
sub echo_ok {
    my ($s, $msg) = @_;
    return 0 unless defined syswrite($s, $msg);
    my $got = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + 2;
    while (length $got < length $msg && time < $deadline) {
        $sel->can_read($deadline - time) or last;
        my $n = sysread($s, $got, 4096, length $got);
        return 0 unless $n;
    }
    return $got eq $msg;
}

my @w = wait_workers(2, 3);
is(scalar @w, 2, 'two worker processes');

# Open connections in small batches until both workers hold some (checked by killing one later).
my @conns;
for my $i (1 .. 40) {
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Timeout => 3)
        or next;
    push @conns, $s if echo_ok($s, "ping$i\n");
    sleep 0.01 if $i % 4 == 0;
}
is(scalar @conns, 40, '40 concurrent proxied connections');

my $victim = $w[0];
$t->ignore_alerts(qr/\b$victim\b.*(?:exited|killed|signal)/i);
kill 'KILL', $victim;
my $deadline = time + 3;
my @now;
while (time < $deadline) {
    @now = $t->workers;
    last if @now == 2 && !grep { $_ == $victim } @now;
    sleep 0.05;
}
ok(@now == 2 && !grep({ $_ == $victim } @now), 'killed worker replaced within 3s')
    or diag("workers before: @w, after: @now");

my ($alive, $dead) = (0, 0);
for my $i (0 .. $#conns) {
    if (echo_ok($conns[$i], "again$i\n")) { $alive++ } else { $dead++ }
}
ok($dead > 0, 'the killed worker held some connections') or diag("alive $alive dead $dead");
ok($alive > 0, 'the surviving worker held some connections') or diag("alive $alive dead $dead");
close $_ for @conns;

my @payloads = map { "after-kill-$_\n" x 100 } 1 .. 10;
my @recv = tcp_transfer(port(8080), @payloads);
is(scalar(grep { defined $recv[$_] && $recv[$_] eq $payloads[$_] } 0 .. 9), 10,
    'service continues after the replacement');
is(scalar($t->workers), 2, 'still two workers');
