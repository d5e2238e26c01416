#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Agent checks ("agent-check agent-port P agent-inter 500ms"): an agent target answers each
# word in turn (up, down, 50%, maxconn:30, drain, ready, maint, stopped, "down #text"), and the server's
# state, weight and admin state follow as in HAProxy 2.6: "show stat", "show servers
# state", the state-change lines on stderr, and where requests go.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat servers_state wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(26);
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
    server s1 127.0.0.1:%%PORT_8081%% weight 100 check inter 200ms agent-check agent-port %%PORT_8091%% agent-inter 500ms
    server s2 127.0.0.1:%%PORT_8082%% weight 100 check inter 200ms
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
sub s1 { show_stat($sock)->{'be/s1'} // {} }
sub status_after {
    my ($word, $want) = @_;
    $t->agent_say($agent, $word);
    my $s = '';
    wait_until(5, sub { $s = s1()->{status} // ''; $s eq $want }, 0.05);
    return $s;
}
sub bodies {
    my %d;
    for (1 .. 6) { my $r = http_parse(http_get('/')); $d{$r && $r->{status} == 200 ? $r->{body} : 'failed'}++ }
    return join ' ', map { "$_=$d{$_}" } sort keys %d;
}

ok(wait_until(5, sub { (s1()->{agent_status} // '') =~ /^(\* )?L7OK$/ }), 'agent "up": agent_status L7OK');
is(s1()->{status}, 'UP', 'UP');
my $n0 = () = $t->script_conns($agent);
sleep 1.6;
my $n = (() = $t->script_conns($agent)) - $n0;
ok($n >= 2 && $n <= 5, "agent-inter 500ms: $n agent connections in 1.6 s");

my $mark = $t->errlog_mark;
is(status_after('down', 'DOWN (agent)'), 'DOWN (agent)', 'agent "down": DOWN (agent)');
like($t->wait_log(qr{Server be/s1 is DOWN}, 3, $mark) // '',
    qr{Server be/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    'DOWN line via agent');
is(bodies(), 'b=6', 'no request to the server its agent says down');
is(status_after('up', 'UP'), 'UP', 'agent "up": UP again');
like($t->wait_log(qr{Server be/s1 is UP}, 3, $mark) // '',
    qr{Server be/s1 is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$},
    'UP line via agent');

$t->agent_say($agent, '50%');
ok(wait_until(5, sub { (s1()->{weight} // '') eq '50' }), 'agent "50%": weight 50 (of 100)');
is(servers_state($sock)->{'be/s1'}{srv_uweight}, 50, 'show servers state: srv_uweight 50');
is(s1()->{status}, 'UP', 'a weight alone does not change the state');
$t->agent_say($agent, 'maxconn:30');
ok(wait_until(5, sub { (s1()->{slim} // '') eq '30' }), 'agent "maxconn:30": the server\'s maxconn (slim) is 30')
    or diag('slim: ' . (s1()->{slim} // 'none'));

$mark = $t->errlog_mark;
is(status_after('drain', 'DRAIN (agent)'), 'DRAIN (agent)', 'agent "drain": DRAIN (agent)');
is(servers_state($sock)->{'be/s1'}{srv_admin_state}, 8, 'srv_admin_state 8 (drain)');
ok($t->wait_log(qr{Server be/s1 enters drain state\. 1 active and 0 backup servers online\.}, 3, $mark),
    '"enters drain state" line');
is(bodies(), 'b=6', 'a draining server gets no new request');
is(status_after('ready', 'UP'), 'UP', 'agent "ready": UP');
ok($t->wait_log(qr{Server be/s1 is UP \(leaving forced drain\)\.}, 3, $mark), 'leaving forced drain');

is(status_after('maint', 'MAINT'), 'MAINT', 'agent "maint": MAINT');
is(servers_state($sock)->{'be/s1'}{srv_admin_state}, 1, 'srv_admin_state 1 (forced maintenance)');
ok($t->wait_log(qr{Server be/s1 is going DOWN for maintenance\. 1 active and 0 backup servers left\.}, 3, $mark),
    '"going DOWN for maintenance" line');
is(status_after('ready', 'UP'), 'UP', 'agent "ready" after maint: UP');
ok($t->wait_log(qr{Server be/s1 is UP/READY \(leaving forced maintenance\)\.}, 3, $mark),
    'leaving forced maintenance');

$mark = $t->errlog_mark;
is(status_after('stopped', 'DOWN (agent)'), 'DOWN (agent)', 'agent "stopped": DOWN (agent)');
ok($t->wait_log(qr{Server be/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : stopped"}, 3, $mark),
    'DOWN line names "stopped"');
status_after('up', 'UP');
$mark = $t->errlog_mark;
$t->agent_say($agent, 'down #disk full');
ok($t->wait_log(qr{Server be/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down \(disk full\)"}, 5, $mark),
    'agent "down #text": the text in the DOWN line');
