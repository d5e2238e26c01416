#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# JSON for the lines that are not transactions (issue 13): with "option httplog json" or
# "option tcplog json", a proxy's server state changes, health check results and refused
# connections are JSON objects too, so a log pipeline parses every line of that proxy.
use warnings;
use strict;
use Test::More;
use JSON::PP;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ http_get port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ http proxy_protocol /)->portico_only('JSON events are a portico extension')
    ->plan(11)
    ->ignore_alerts(qr/Proxy fe stopped/);
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    log stdout format raw daemon
defaults
    mode http
    %%TIMEOUTS%%
    log global
    option httplog json
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    bind 127.0.0.1:%%PORT_8090%% accept-proxy name pp
    default_backend be
backend be
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
EOF2
my $sock = $t->testdir . '/cli.sock';
my $json = JSON::PP->new;
sub lines { grep { length } split /\n/, ($t->read_file('stdout.log') // '') }

http_get('/x');
cli_send($sock, "disable server be/s2\n");
# a connection with a broken PROXY header
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8090), Timeout => 5);
syswrite $c, "GARBAGE\r\n\r\n";
sysread $c, my $x, 10;
close $c;
ok(wait_until(5, sub { grep({ /maintenance/ } lines()) && grep({ /PROXY|proxy/i } grep { !/"r":/ } lines()) }),
    'state change and refused connection logged');
my @l = lines();
my @bad = grep { !eval { $json->decode($_); 1 } } @l;
is(scalar @bad, 0, 'every line is one JSON object') or diag join "\n", @bad;
my ($state) = map { $json->decode($_) } grep { /maintenance/ } @l;
is($state->{px}, 'be', 'state change: proxy');
like($state->{msg}, qr{^Server be/s2 is going DOWN for maintenance}, 'state change: HAProxy\'s text');
like($state->{tr}, qr{^\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}$}, 'state change: date');
ok(defined $state->{lvl} && $state->{lvl} =~ /^(emerg|alert|crit|err|warning|notice|info|debug)$/, 'state change: level');
my ($refused) = map { $json->decode($_) } grep { /"bind"/ } @l;
is($refused && $refused->{bind}, 'pp', 'refused connection: bind name');
is($refused && $refused->{ci}, '127.0.0.1', 'refused connection: client address');
my ($txn) = map { $json->decode($_) } grep { /"r":/ } @l;
# "shutdown frontend": HAProxy's "Proxy ... stopped" line reaches the log targets too
cli_send($sock, "shutdown frontend fe\n");
my $stop;
wait_until(5, sub { ($stop) = map { $json->decode($_) } grep { /stopped \(cumulated/ } lines(); $stop });
is($stop && $stop->{px}, 'fe', 'proxy stopped: a JSON line for the frontend');
like($stop ? $stop->{msg} : '', qr/^Proxy fe stopped \(cumulated conns: FE: \d+, BE: \d+\)\.$/,
    'proxy stopped: HAProxy\'s text');
diag join "\n", @l if $ENV{SHOWLOG};
is($txn && $txn->{r}, 'GET /x HTTP/1.1', 'traffic line still the httplog JSON object');
