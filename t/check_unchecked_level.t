#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A server without a health check, as HAProxy 2.6 keeps it: "show servers state" prints its
# "rise" as srv_check_health (0 for a "disabled" one), and "set server ... health
# up|stopping|down" applies to it all the same: the level moves (rise+fall-1, or 0), the
# server's state follows (no request goes to a server set down), and the stats say "DOWN",
# "NOLB", then "no check" once up again. A tracking server still refuses it.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send http_get servers_state show_stat /;

my $t = Test::Portico->new()->has(qw/ http check /)->plan(15);
$t->origin_http(port(8081));
$t->origin_http(port(8082));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%% rise 1
    server b 127.0.0.1:%%PORT_8082%% rise 5 fall 7
    server c 127.0.0.1:%%PORT_8081%% disabled rise 4
    server d 127.0.0.1:%%PORT_8081%% weight 0
    server t 127.0.0.1:%%PORT_8081%% track be/k weight 0
    server k 127.0.0.1:%%PORT_8081%% check inter 10s weight 0
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

sub level {
    my ($s) = @_;
    my $r = servers_state($sock, 'be')->{"be/$s"} or return 'missing';
    return "$r->{srv_op_state} $r->{srv_check_health}";
}
sub status { (show_stat($sock)->{"be/$_[0]"} // {})->{status} // 'missing' }

# op state 2 = running, 0 = stopped; the level is the server's "rise"
is(level('a'), '2 1', 'rise 1: level 1');
is(level('b'), '2 5', 'rise 5: level 5');
is(level('c'), '0 0', 'disabled: level 0');
is(level('d'), '2 2', 'default rise: level 2');

is(cli_send($sock, "set server be/b health down\n"), "\n", 'health down on a server without check');
is(level('b'), '0 0', 'down: stopped, level 0');
is(status('b'), 'DOWN', 'stats: DOWN');
my %port;
for (1 .. 6) {
    my $r = http_get('/', port => port(8080));
    $port{$1}++ if $r =~ /^HTTP\/1\.1 (\d+)/;
}
is_deeply(\%port, {200 => 6}, 'six requests answered');
is(scalar(() = $t->origin_requests(port(8082))), 0, 'none went to the server set down');

cli_send($sock, "set server be/b health stopping\n");
is(status('b'), 'NOLB', 'stopping: NOLB');
cli_send($sock, "set server be/b health up\n");
is(level('b'), '2 11', 'up: running, level rise+fall-1');
is(status('b'), 'no check', 'stats: no check again');
http_get('/', port => port(8080)) for 1 .. 2;
ok(scalar(() = $t->origin_requests(port(8082))) >= 1, 'the server takes requests again');

like(cli_send($sock, "set server be/d health sideways\n"), qr/expects 'up', 'stopping', or 'down'/,
     'a bad state is refused');
like(cli_send($sock, "set server be/t health down\n"), qr/cannot change health on a tracking server/,
     'a tracking server refuses it');
