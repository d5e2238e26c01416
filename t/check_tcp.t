#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Health checks over TCP: a plain "check" (connect only) and "option tcp-check" with
# send/expect, the rise/fall state machine (inter 200ms rise 2 fall 3, fastinter,
# downinter), HAProxy 2.6's state-change lines on stderr, "backend ... has no server
# available!", "option log-health-checks" lines, and what "show stat" reports on the way.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(20);
$t->ignore_alerts(qr/has no server available/);
my ($p1, $p2, $p3) = (port(8081), port(8082), port(8083));
$t->origin_script($p1, phases => { up => [], down => 'refuse' });
$t->origin_script($p2, phases => { up => [], down => 'refuse' });
$t->origin_script($p3, phases => {
    up => [expect => qr/\r\n/, send => "+PONG\r\n"],
    bad => [expect => qr/\r\n/, send => "-ERR unknown\r\n"],
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    log stderr format raw local0
defaults
    mode tcp
    log global
    %%TIMEOUTS%%
    timeout check 1s
backend be
    server s1 127.0.0.1:%%PORT_8081%% check inter 200ms fastinter 400ms rise 2 fall 3
    server s2 127.0.0.1:%%PORT_8082%% check inter 200ms rise 2 fall 3
backend tc
    option tcp-check
    option log-health-checks
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    server r1 127.0.0.1:%%PORT_8083%% check inter 200ms downinter 700ms rise 2 fall 2
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
# One row of show stat; check_status without HAProxy's "* " (a check in progress) prefix.
sub st {
    my $r = show_stat($sock)->{$_[0]} // {};
    $r->{check_status} =~ s/^\* // if defined $r->{check_status};
    return $r;
}

# ---- plain check: connect only ----
ok(wait_until(5, sub { (st('be/s1')->{check_status} // '') eq 'L4OK'
    && (st('be/s2')->{check_status} // '') eq 'L4OK' }), 'connect-only check: L4OK');
is(st('be/s1')->{status}, 'UP', 'server UP');

# ---- s1's target refuses: UP 2/3, UP 1/3, then DOWN after fall=3 failures ----
my $mark = $t->errlog_mark;
my $t0 = time;
$t->script_phase($p1, 'down');
my %seen;
wait_until(5, sub {
    my $s = st('be/s1')->{status} // '';
    $seen{$s} = 1;
    return $s eq 'DOWN';
}, 0.02);
my $took = time - $t0;
ok($seen{DOWN}, 'refused checks: DOWN');
ok(grep({ m{^UP [12]/3$} } keys %seen), 'going down: "UP n/3" status on the way')
    or diag(join ', ', keys %seen);
my $down = $t->wait_log(qr{Server be/s1 is DOWN}, 5, $mark);
like($down // '', qr{Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    'DOWN line in HAProxy format');
ok($took < 3, sprintf('DOWN after about fall x inter (%.2fs)', $took));
my $s1 = st('be/s1');
is($s1->{check_status}, 'L4CON', 'check_status L4CON');
ok($s1->{chkfail} >= 3 && $s1->{chkdown} == 1, "chkfail >= 3 ($s1->{chkfail}), chkdown 1");

# ---- both down: the backend has no server ----
$t->script_phase($p2, 'down');
like($t->wait_log(qr{has no server available}, 5, $mark) // '',
    qr{backend '?be'? has no server available!}, 'backend be has no server available!');

# ---- back up after rise=2 good checks ----
$mark = $t->errlog_mark;
$t->script_phase($p1, 'up');
%seen = ();
wait_until(5, sub {
    my $s = st('be/s1')->{status} // '';
    $seen{$s} = 1;
    return $s eq 'UP';
}, 0.02);
ok($seen{UP}, 'good checks again: UP');
ok($seen{'DOWN 1/2'}, 'going up: "DOWN 1/2" status on the way') or diag(join ', ', keys %seen);
like($t->wait_log(qr{Server be/s1 is UP}, 5, $mark) // '',
    qr{Server be/s1 is UP, reason: Layer4 check passed, check duration: \d+ms\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$},
    'UP line in HAProxy format');
$t->script_phase($p2, 'up');

# ---- tcp-check send/expect ----
ok(wait_until(5, sub { (st('tc/r1')->{check_status} // '') eq 'L7OK' }),
    'tcp-check expect string +PONG: L7OK');
like(join('', $t->script_received($p3)), qr/^(PING\r\n)+$/, 'tcp-check sent PING\r\n');
$mark = $t->errlog_mark;
$t->script_phase($p3, 'bad');
like($t->wait_log(qr{Health check for server tc/r1 failed}, 5, $mark) // '',
    qr{Health check for server tc/r1 failed, reason: Layer7 invalid response, info: "TCPCHK did not match content '\+PONG' at step 2", check duration: \d+ms, status: 1/2 UP\.$},
    'option log-health-checks: failed check line with status 1/2 UP');
like($t->wait_log(qr{Server tc/r1 is DOWN}, 5, $mark) // '',
    qr{Server tc/r1 is DOWN\. 0 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    'with log-health-checks the DOWN line carries no reason (already logged)');
is(st('tc/r1')->{check_status}, 'L7RSP', 'check_status L7RSP');

# ---- downinter: a DOWN server is probed every 700ms, not every 200ms ----
my $n0 = () = $t->script_conns($p3);
sleep 2.1;
my $n = (() = $t->script_conns($p3)) - $n0;
ok($n >= 2 && $n <= 4, "downinter 700ms: $n probes in 2.1 s");

$mark = $t->errlog_mark;
$t->script_phase($p3, 'up');
like($t->wait_log(qr{Health check for server tc/r1 succeeded}, 5, $mark) // '',
    qr{Health check for server tc/r1 succeeded, reason: Layer7 check passed, code: 0, info: "\(tcp-check\)", check duration: \d+ms, status: 1/2 DOWN\.$},
    'log-health-checks: succeeded line while going up');
ok($t->wait_log(qr{Server tc/r1 is UP\. 1 active and 0 backup servers online\.}, 5, $mark),
    'UP again');
