#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Fault: a worker SIGKILLed while connections it accepted track a stick table entry
# ("tcp-request connection track-sc0 src", conn_cur): the worker the master starts in its
# place gives back what the dead one held (use= and conn_cur back to 0, a warning says how
# many), and tracking goes on as before afterwards. Portico only (HAProxy has no worker to
# kill and replace).
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

my $t = Test::Portico->new()->has(qw/ stick /)->portico_only()->plan(7);
$t->origin_tcp(port(8551));
$t->config(<<'EOF2')->run();
global
    workers 1
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8550%%
    stick-table type ip size 100 expire 1m store conn_cur,conn_cnt
    tcp-request connection track-sc0 src
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8551%%
EOF2
my $sock = $t->testdir . '/stats.sock';
my @w = $t->wait_workers(1, 5);
my $victim = $w[0];
$t->ignore_alerts(qr/worker.*(?:exited|killed|signal)/i);

sub entry {
    my $out = cli_send($sock, "show table fe key 127.0.0.1\n");
    return $out =~ /(use=\d+ exp=\d+ conn_cnt=\d+ conn_cur=\d+)/ ? $1 : $out;
}
sub wait_entry {
    my ($re) = @_;
    my $e = '';
    my $deadline = time + 5;
    while (time < $deadline) {
        $e = entry();
        return $e if $e =~ $re;
        sleep 0.05;
    }
    return $e;
}

my @c = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8550), Timeout => 3) } 1 .. 2;
is(scalar(grep { defined } @c), 2, 'two connections');
like(wait_entry(qr/use=2 .*conn_cur=2/), qr/use=2 exp=\d+ conn_cnt=2 conn_cur=2/, 'the entry is held twice');

kill 'KILL', $victim;
my @now;
my $deadline = time + 5;
while (time < $deadline) {
    @now = grep { $_ != $victim } $t->workers;
    last if @now;
    sleep 0.05;
}
ok(scalar @now, 'the master replaced the worker');
like(wait_entry(qr/use=0 .*conn_cur=0/), qr/use=0 exp=\d+ conn_cnt=2 conn_cur=0/,
    'the new worker gave back what the dead one held');
my $log = '';
$deadline = time + 3;
while (time < $deadline) {
    $log = $t->errlog;
    last if $log =~ /given back/;
    sleep 0.05;
}
like($log, qr/stick-table 'fe': 2 tracked entries held by the dead worker $victim given back/, 'and said so');
close $_ for grep { defined } @c;

my $c3 = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8550), Timeout => 3);
like(wait_entry(qr/use=1 .*conn_cur=1/), qr/use=1 exp=\d+ conn_cnt=3 conn_cur=1/, 'tracking goes on afterwards');
close $c3 if $c3;
like(wait_entry(qr/use=0 .*conn_cur=0/), qr/use=0 exp=\d+ conn_cnt=3 conn_cur=0/, 'and its release too');
