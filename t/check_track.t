#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "track be2/s1": a server without its own check follows the tracked server's state ("is
# DOWN via be2/s1", then UP). And the same address with the same check in two backends is
# probed once per interval for the instance (portico; HAProxy 2.6 probes each server), while
# a different check on the same address is probed on its own.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);
$t->ignore_alerts(qr/has no server available/);
my $http_ok = [expect => qr/\r\n\r\n/, send => "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"];
my ($pt, $pshared) = (port(8083), port(8084));
$t->origin_script($pt, phases => { up => $http_ok, down => 'refuse' });
$t->origin_script($pshared, phases => { up => $http_ok });
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be2
    option httpchk GET /tracked
    server s1 127.0.0.1:%%PORT_8083%% check inter 200ms rise 2 fall 2
backend be
    server s1 127.0.0.1:%%PORT_8081%% track be2/s1
    server s2 127.0.0.1:%%PORT_8082%%
backend ba
    option httpchk GET /same
    server x 127.0.0.1:%%PORT_8084%% check inter 500ms
backend bb
    option httpchk GET /same
    server y 127.0.0.1:%%PORT_8084%% check inter 500ms
backend bc
    option httpchk GET /other
    server z 127.0.0.1:%%PORT_8084%% check inter 500ms
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
sub status { show_stat($sock)->{$_[0]}{status} // '' }

ok(wait_until(5, sub { status('be2/s1') eq 'UP' && status('be/s1') eq 'UP' }), 'tracked and tracking UP');
my $mark = $t->errlog_mark;
$t->script_phase($pt, 'down');
ok(wait_until(5, sub { status('be/s1') eq 'DOWN' }), 'the tracking server follows the tracked one DOWN');
like($t->wait_log(qr{Server be/s1 is DOWN}, 3, $mark) // '',
    qr{Server be/s1 is DOWN via be2/s1\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    '"is DOWN via be2/s1" line');
my %d;
for (1 .. 4) { my $r = http_parse(http_get('/')); $d{$r ? $r->{body} : 'failed'}++ }
is_deeply(\%d, { b => 4 }, 'no request to the tracking server while DOWN');
$mark = $t->errlog_mark;
$t->script_phase($pt, 'up');
ok(wait_until(5, sub { status('be/s1') eq 'UP' }), 'and back UP');
like($t->wait_log(qr{Server be/s1 is UP}, 3, $mark) // '',
    qr{Server be/s1 is UP via be2/s1\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$},
    '"is UP via be2/s1" line');

# ---- one probe for the same address and check in two backends ----
ok(wait_until(5, sub { status('ba/x') eq 'UP' && status('bb/y') eq 'UP' && status('bc/z') eq 'UP' }),
    'shared-target servers UP');
my $n0 = () = $t->script_conns($pshared);
my @r0 = $t->script_received($pshared);
sleep 3;
my @r = $t->script_received($pshared);
splice @r, 0, scalar @r0;
my $same = grep { m{^GET /same } } @r;
my $other = grep { m{^GET /other } } @r;
# 3 s at inter 500ms: about 6 probes of each distinct check (5 to 8 with the jitter)
my $k = Test::Portico::portico() ? 1 : 2;     # HAProxy probes once per server
ok($same >= 5 * $k && $same <= 8 * $k, "same address and check in two backends: $same probes in 3 s");
ok($other >= 5 && $other <= 8, "a different check on that address is probed on its own: $other");
is(status('ba/x') . ' ' . status('bb/y'), 'UP UP', 'both servers sharing a probe have its result');
