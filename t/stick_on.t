#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "stick on" / "stick match" / "stick store-request" with a stick table shared by 4 workers
# (checked against HAProxy 2.6.12): a client keeps its server across connections (each
# may land on another worker), the table shows server_id and server_key, a stopped server
# is not used, and a stick rule without a table is refused at -c.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(8);

$t->origin_http(port(8081), handler => sub { (200, ['X-Srv' => 's1'], "s1\n") });
$t->origin_http(port(8082), handler => sub { (200, ['X-Srv' => 's2'], "s2\n") });
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    nbthread 4
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    stick-table type string len 16 size 100 expire 1m
    stick on req.hdr(x-user)
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
sub get {
    my ($u) = @_;
    my $r = http_parse(http("GET / HTTP/1.1\r\nHost: h\r\nX-User: $u\r\nConnection: close\r\n\r\n",
        port => port(8080))) // { h => {} };
    return $r->{h}{'x-srv'} // '';
}
my $first = get('alice');
like($first, qr/^s[12]$/, 'first request balanced');
my %seen;
$seen{get('alice')}++ for 1 .. 12;
is_deeply(\%seen, { $first => 12 }, 'stick on: every later request goes to the same server, whatever the worker');
my %bob;
$bob{get("u$_")}++ for 1 .. 6;
is(scalar(keys %bob), 2, 'other keys are still balanced over both servers');
my $out = cli_send($sock, "show table be key alice\n");
my $id = $first eq 's1' ? 1 : 2;
like($out, qr/^# table: be, type: string, size:100, used:\d+\n0x[0-9a-f]+: key=alice use=0 exp=\d+ server_id=$id server_key=$first\n\n\z/,
    'show table: server_id and server_key') or diag($out);
cli_send($sock, "disable server be/$first\n");
my $other = $first eq 's1' ? 's2' : 's1';
is(get('alice'), $other, 'a stopped server is not used: balanced elsewhere');
$out = cli_send($sock, "show table be key alice\n");
like($out, qr/server_key=$other\n/, 'and the new server is stored') or diag($out);
cli_send($sock, "enable server be/$first\n");
is(get('alice'), $other, 'the client stays on its new server');

my $c = Test::Portico->new();
$c->config("%%GLOBAL%%\ndefaults\n    mode http\nbackend b\n    stick on src\n    server s 127.0.0.1:1\n");
my ($rc, $o) = $c->check_config();
ok($rc != 0, 'stick on without a table: refused') or diag($o);
