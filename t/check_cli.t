#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Health checks on the runtime API: the check columns of "show stat" (check_status,
# check_code, check_rise/fall/health, agent_status) and of "show servers state"
# (srv_check_state, srv_check_status, srv_check_result, srv_agent_state, srv_agent_port),
# "set server B/S health down|stopping|up", "set server B/S agent down", "disable/enable
# health", "disable/enable agent", their answers and errors, as HAProxy 2.6.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ port show_stat servers_state wait_until cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(36);
my $agent = port(8091);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_agent($agent, say => 'up');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    option httpchk GET /chk
    server s1 127.0.0.1:%%PORT_8081%% check inter 1s rise 2 fall 3 agent-check agent-port %%PORT_8091%% agent-inter 1s
    server s2 127.0.0.1:%%PORT_8082%% check inter 200ms
    server s3 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }
sub s1 {
    my $r = show_stat($sock)->{'be/s1'} // {};
    defined && s/^\* // for @$r{qw/ check_status agent_status /};     # "* ": in progress
    return $r;
}
sub ss1 { servers_state($sock, 'be')->{'be/s1'} // {} }
sub wait_status { my ($want, $to) = @_; my $s = ''; wait_until($to // 5, sub { ($s = s1()->{status} // '') eq $want }, 0.02); $s }
sub probes { scalar grep { $_->{uri} eq '/chk' } $t->origin_requests(port(8081)) }

ok(wait_until(5, sub { (s1()->{check_status} // '') eq 'L7OK' && (s1()->{agent_status} // '') eq 'L7OK' }),
    'check and agent passed');
my $r = s1();
is(join(' ', @$r{qw/ status check_code check_rise check_fall check_health /}), 'UP 200 2 3 4',
    'show stat: status, check_code, check_rise, check_fall, check_health (rise+fall-1)');
is(show_stat($sock)->{'be/s3'}{status}, 'no check', 'a server without check: "no check"');
my $ss = ss1();
is(join(' ', @$ss{qw/ srv_op_state srv_check_state srv_check_status srv_check_result srv_check_health /}),
    '2 6 15 3 4', 'show servers state: op 2, check state 6 (configured+enabled), status 15 (L7OK), result 3 (passed), health 4');
is($ss->{srv_agent_state}, 22, 'show servers state: agent state 22 (agent+configured+enabled)');
is($ss->{srv_agent_port}, $agent, 'show servers state: srv_agent_port');
is(servers_state($sock, 'be')->{'be/s3'}{srv_check_state}, 0, 'no check: srv_check_state 0');

# ---- set server health ----
my $mark = $t->errlog_mark;
my $down0 = s1()->{chkdown};
is(cli('set server be/s1 health down'), "\n", 'set server health down: empty answer');
is(wait_status('DOWN', 1), 'DOWN', 'forced DOWN');
like($t->wait_log(qr{Server be/s1 is DOWN}, 3, $mark) // '',
    qr{Server be/s1 is DOWN, changed from CLI\. 2 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    '"changed from CLI" DOWN line');
is(s1()->{chkdown}, $down0 + 1, 'chkdown counts the forced transition');
is(wait_status('UP', 5), 'UP', 'the active checks bring it back UP');
like($t->wait_log(qr{Server be/s1 is UP}, 3, $mark) // '', qr{is UP, reason: Layer7 check passed, code: 200},
    'UP line from the check');
is(cli('set server be/s1 health stopping'), "\n", 'set server health stopping');
is(wait_status('NOLB', 1), 'NOLB', 'stopping: NOLB');
ok($t->wait_log(qr{Server be/s1 is stopping, changed from CLI\. 2 active and 0 backup servers online\.}, 3, $mark),
    '"is stopping, changed from CLI" line');
is(cli('set server be/s1 health up'), "\n", 'set server health up');
is(wait_status('UP', 1), 'UP', 'forced UP');
is(cli('set server be/s1 health bogus'),
    "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n", 'bad health value');

# ---- disable / enable health ----
is(cli('disable health be/s1'), "\n", 'disable health: empty answer');
is(wait_status('no check', 1), 'no check', 'disabled health check: "no check"');
is(ss1()->{srv_check_state}, 2, 'srv_check_state 2 (configured, not enabled)');
my $n0 = probes();
sleep 1.5;
is(probes(), $n0, 'no probe while the check is disabled');
is(cli('enable health be/s1'), "\n", 'enable health');
ok(wait_until(4, sub { probes() > $n0 }), 'probes again');
is(wait_status('UP', 3), 'UP', 'UP after enable health');
is(ss1()->{srv_check_state}, 6, 'srv_check_state 6 again');

# ---- agent ----
$mark = $t->errlog_mark;
is(cli('set server be/s1 agent down'), "\n", 'set server agent down');
is(wait_status('DOWN (agent)', 1), 'DOWN (agent)', 'DOWN (agent)');
is(wait_status('UP', 5), 'UP', 'the next agent check brings it back');
is(cli('disable agent be/s1'), "\n", 'disable agent');
ok(wait_until(2, sub { (s1()->{agent_status} // 'x') eq '' && ss1()->{srv_agent_state} == 18 }),
    'disabled agent: no agent_status, srv_agent_state 18');
is(cli('set server be/s1 agent down'), "agent checks are not enabled on this server.\n\n",
    'set server agent on a disabled agent: error');
is(cli('enable agent be/s1'), "\n", 'enable agent');
ok(wait_until(4, sub { (s1()->{agent_status} // '') eq 'L7OK' && ss1()->{srv_agent_state} == 22 }),
    'agent runs again');
is(cli('disable health be/nope'), "No such server.\n\n", 'unknown server');
