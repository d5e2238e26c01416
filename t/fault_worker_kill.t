#!/usr/bin/perl
# Fault: a worker SIGKILLed under load, with requests queued on a full server. The master
# replaces it in under a second; clients of the other worker are unaffected (failures at most
# one per client, all on the killed worker's connections); afterwards the shared counters
# are consistent: "show stat" scur and qcur back to 0 for the backend and its server, no
# server slot or queue entry left behind by the dead worker.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until /;
use Test::Portico::Load qw/ http_load /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(10);
$t->origin_http(port(8081), handler => sub { select(undef, undef, undef, 0.1); (200, [], 'ok') });
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    workers 2
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 10s
backend be
    server s 127.0.0.1:%%PORT_8081%% maxconn 2
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/stats.sock';
my @w = $t->wait_workers(2, 5);
is(scalar @w, 2, 'two workers');

my $conc = 12;
my ($victim, $t_kill, $t_back, $qmax_seen) = ($w[0]);
$t->ignore_alerts(qr/\b$victim\b.*(?:exited|killed|signal)/i);
$t->ignore_alerts(qr/worker.*(?:exited|killed|signal)/i);
my $t0 = time;
my @r = http_load(port => port(8080), conc => $conc, dur => 4, timeout => 8, tick => sub {
    my ($now) = @_;
    if (!$t_kill && $now - $t0 >= 1.5) {
        my $st = show_stat($sock);
        $qmax_seen = ($st->{'be/s'}{qcur} // 0) + ($st->{'be/BACKEND'}{qcur} // 0);
        kill 'KILL', $victim;
        $t_kill = time;
    } elsif ($t_kill && !$t_back) {
        my @now = $t->workers;
        $t_back = time if @now == 2 && !grep { $_ == $victim } @now;
    }
});
ok($qmax_seen > 0, "requests were queued when the worker was killed (qcur $qmax_seen)");
ok($t_back && $t_back - $t_kill < 1, sprintf('worker replaced in %.2fs', ($t_back // 99) - $t_kill));
my @fail = grep { $_->{status} != 200 } @r;
cmp_ok(scalar @r, '>', 50, scalar(@r) . ' requests');
cmp_ok(scalar @fail, '<=', $conc, 'at most one failure per client (' . scalar(@fail) . ')');
my @late = grep { $_->{t0} > ($t_back // $t_kill) + 0.5 && $_->{status} != 200 } @r;
is(scalar @late, 0, 'every request after the replacement served');

# Quiet now: every counter must come back to 0 (the dead worker's queue entries and slots
# included).
my $st;
wait_until(5, sub {
    $st = show_stat($sock);
    return ($st->{'be/s'}{scur} // -1) eq '0' && ($st->{'be/s'}{qcur} // -1) eq '0'
        && ($st->{'be/BACKEND'}{qcur} // -1) eq '0' && ($st->{'be/BACKEND'}{scur} // -1) eq '0';
}, 0.1);
is($st->{'be/s'}{scur} . '/' . $st->{'be/s'}{qcur}, '0/0', 'server scur/qcur back to 0');
is($st->{'be/BACKEND'}{scur} . '/' . $st->{'be/BACKEND'}{qcur}, '0/0',
    'backend scur/qcur back to 0');
wait_until(5, sub { (show_stat($sock)->{'fe/FRONTEND'}{scur} // -1) eq '0' }, 0.1);
is(show_stat($sock)->{'fe/FRONTEND'}{scur}, '0', 'frontend scur back to 0');
my @after = http_load(port => port(8080), conc => 4, dur => 1);
ok(@after && !grep({ $_->{status} != 200 } @after), 'service at full capacity afterwards');
