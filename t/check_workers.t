#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Checks are run once per instance, not once per worker: with "nbthread 4" (four worker
# processes in portico) a target probed with inter 500ms sees one probe per interval. Each
# worker in turn is killed with SIGKILL (so whichever owns the probes dies at least once):
# the probes go on, without a gap longer than about two intervals and without a burst.
# The probe count also holds under HAProxy 2.6 (threads); the kills are portico's.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
my $p = port(8083);
$t->origin_script($p, phases => { up => [expect => qr/PING\r\n/, send => "+PONG\r\n"] });
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    nbthread 4
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    server s1 127.0.0.1:%%PORT_8081%%
backend bchk
    option tcp-check
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    server c1 127.0.0.1:%%PORT_8083%% check inter 500ms rise 2 fall 3
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $inter = 0.5;
my $sock = $t->testdir . '/cli.sock';
sub probe_times { map { $_->{t} } $t->script_conns($p) }

ok(wait_until(5, sub { (show_stat($sock)->{'bchk/c1'}{check_status} // '') =~ /L7OK/ }), 'check passes');
my $from = time;
sleep 3;
my $n = grep { $_ >= $from && $_ < $from + 3 } probe_times();
ok($n >= 5 && $n <= 8, "one probe per interval for the whole instance: $n probes in 3 s (not 4x)");

SKIP: {
    skip 'worker processes are portico\'s (HAProxy runs threads)', 5 unless Test::Portico::portico();
    my @w = $t->wait_workers(4, 5);
    is(scalar @w, 4, 'four workers');
    $t->ignore_alerts(qr/worker \(\d+\) exited with code 137 \(Killed\)/);
    my $start = time;
    for my $pid (@w) {
        kill 'KILL', $pid;
        sleep 1.5;
    }
    my $end = time;
    my @times = grep { $_ >= $start - $inter && $_ <= $end } probe_times();
    my @gaps = map { $times[$_] - $times[$_ - 1] } 1 .. $#times;
    my ($max) = sort { $b <=> $a } @gaps;
    ok(defined $max && $max <= 2 * $inter + 0.25,
        sprintf('killing each worker in turn: longest gap between probes %.2fs', $max // -1));
    my $span = $end - $start;
    my $count = grep { $_ >= $start } @times;
    ok($count >= int($span / $inter) - 3 && $count <= int($span / $inter) + 3,
        sprintf('%d probes in %.1fs: no burst, no stall', $count, $span));
    my $crowded = grep { $_ + 2 <= $#times && $times[$_ + 2] - $times[$_] < $inter } 0 .. $#times;
    is($crowded, 0, 'never three probes within one interval');
    is(scalar($t->wait_workers(4, 5)), 4, 'the workers were replaced');
}
ok(wait_until(3, sub { (show_stat($sock)->{'bchk/c1'}{status} // '') eq 'UP' }), 'the server stayed UP');
my $r = http_parse(http_get('/'));
is($r && $r->{status}, 200, 'traffic still served');
