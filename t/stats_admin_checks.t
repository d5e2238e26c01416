#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The stats page's admin form, check actions (issue 13): "Health: disable/enable checks",
# "Agent: disable/enable checks", "Agent: force UP/DOWN" act through the health-check
# module's runtime API commands; the runtime API sees the result ("show stat" check_status
# and status); the form offers them. Also runs against HAProxy 2.6.12.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10)
    ->ignore_alerts(qr/backend 'be' has no server available/);
my $agent = port(8091);
$t->origin_http(port(8081), body => 'a');
$t->origin_agent($agent, say => 'up');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    server s1 127.0.0.1:%%PORT_8081%% check inter 200ms agent-check agent-port %%PORT_8091%% agent-inter 300ms
listen st
    bind 127.0.0.1:%%PORT_8080%%
    stats uri /admin
    stats admin if TRUE
EOF2
my $sock = $t->testdir . '/cli.sock';
sub s1 { show_stat($sock)->{'be/s1'} // {} }
my $iid = s1()->{iid};

sub post {
    my ($action) = @_;
    my $body = "s=s1&action=$action&b=%23$iid";
    my $r = http_parse(http("POST /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " . length($body)
        . "\r\n\r\n$body", port => port(8080)));
    return $r ? $r->{h}{location} // '' : '';
}

ok(wait_until(5, sub { (s1()->{status} // '') eq 'UP' && (s1()->{agent_status} // '') =~ /L7OK/ }),
    'server UP with its agent');
my $page = http_parse(http("GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8080)));
like($page->{body}, qr{<option value="dhlth">Health: disable checks</option><option value="ehlth">Health: enable checks</option>.*<option value="adown">Agent: force DOWN</option>}s,
    'the form offers the check actions');

is(post('dhlth'), '/admin;st=DONE', 'dhlth: DONE');
ok(wait_until(5, sub { (s1()->{status} // '') eq 'no check' && (s1()->{check_status} // 'x') eq '' }),
    'health check disabled: "no check", no check status') or diag explain s1();
is(post('ehlth'), '/admin;st=DONE', 'ehlth: DONE');
is(post('dagent'), '/admin;st=DONE', 'dagent: DONE');
$t->agent_say($agent, 'down');
sleep 1;
is(s1()->{status}, 'UP', 'a disabled agent does not bring the server down');
is(post('eagent'), '/admin;st=DONE', 'eagent: DONE');
ok(wait_until(5, sub { (s1()->{status} // '') eq 'DOWN (agent)' }), 'enabled agent says down: DOWN (agent)');
$t->agent_say($agent, 'up');
is(post('arunn'), '/admin;st=DONE', 'arunn: DONE');
