#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# server_key over the peers protocol with Debian's HAProxy 2.6 as the other peer (the
# scenario of reg-tests/stickiness/lb-services.vtc): a table in a "peers" section used by
# "stick on ... table mypeers/mytable" on both sides, whose backends name their servers
# alike but number them differently. The server key (HAProxy's dictionary entry) travels
# both ways, so each side sticks to its own server of that name (server_id alone would
# pick another one), and show table prints it. As in the reg-test, portico's address for
# HAProxy is written with unset environment variables (":", accepted as HAProxy does, a
# peer never reached): HAProxy connects to portico's bind.
# Portico only.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

plan skip_all => 'needs /usr/sbin/haproxy as the other peer' unless -x '/usr/sbin/haproxy';
my $t = Test::Portico->new();
$t->portico_only;
$t->has(qw/ stick http /)->plan(7);

$t->origin_http(port(8611), handler => sub { (200, ['X-Srv' => 'o1'], "o1\n") });
$t->origin_http(port(8612), handler => sub { (200, ['X-Srv' => 'o2'], "o2\n") });
$t->origin_http(port(8613), handler => sub { (200, ['X-Srv' => 'o3'], "o3\n") });
$t->origin_http(port(8614), handler => sub { (200, ['X-Srv' => 'o4'], "o4\n") });

sub cfg {
    my ($cli, $fe, $peers, $servers) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers mypeers
$peers
    table mytable type string size 10m
backend be1
    balance roundrobin
    stick on urlp(client) table mypeers/mytable
$servers
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    default_backend be1
EOF2
}
# portico: srv1 (id 1) -> o1, srv2 (id 2) -> o2; HAProxy: srv2 (id 1) -> o4, srv1 (id 2) -> o3
my $hap = Test::Portico->new();
$hap->{binary} = '/usr/sbin/haproxy';
$hap->config(cfg('hap.sock', '8622', "    bind 127.0.0.1:%%PORT_8602%%\n    server A 127.0.0.1:%%PORT_8601%%\n    server B\n",
    "    server srv2 127.0.0.1:%%PORT_8614%%\n    server srv1 127.0.0.1:%%PORT_8613%%\n"))
    ->run(args => ['-L', 'B'], wait_ports => ['8602']);
delete $ENV{PTC_TEST_UNSET_ADDR};
delete $ENV{PTC_TEST_UNSET_PORT};
$t->config(cfg('por.sock', '8621', "    bind 127.0.0.1:%%PORT_8601%%\n    server A\n"
        . "    server B \${PTC_TEST_UNSET_ADDR}:\${PTC_TEST_UNSET_PORT}\n",
    "    server srv1 127.0.0.1:%%PORT_8611%%\n    server srv2 127.0.0.1:%%PORT_8612%%\n"))
    ->run(args => ['-L', 'A']);
my $hsock = $hap->testdir . '/hap.sock';
my $psock = $t->testdir . '/por.sock';

sub get {
    my ($fe, $c) = @_;
    my $r = http_parse(http("GET /?client=$c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        port => port($fe))) // { h => {} };
    return $r->{h}{'x-srv'} // '';
}
sub wait_key {
    my ($sock, $k, $re) = @_;
    my $out = '';
    for (1 .. 100) {
        $out = cli_send($sock, "show table mypeers/mytable key $k\n");
        return $out if $out =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

my $f = get(8621, 'c1');
like($f, qr/^o[12]$/, 'portico: the first request balanced');
my $name = $f eq 'o1' ? 'srv1' : 'srv2';
my $out = wait_key($hsock, 'c1', qr/server_key=$name/);
like($out, qr/key=c1 use=0 exp=\d+ server_id=\d server_key=$name\n/, 'the server key reaches HAProxy') or diag($out . cli_send($hsock, "show peers\n") . cli_send($psock, "show peers\n") . $t->errlog);
is(get(8622, 'c1'), $name eq 'srv1' ? 'o3' : 'o4', 'HAProxy sticks to its server of that name');

$f = get(8622, 'c2');
like($f, qr/^o[34]$/, 'HAProxy: the first request balanced');
$name = $f eq 'o3' ? 'srv1' : 'srv2';
$out = wait_key($psock, 'c2', qr/server_key=$name/);
like($out, qr/key=c2 use=0 exp=\d+ server_id=\d server_key=$name\n/, 'the server key reaches portico') or diag($out);
is(get(8621, 'c2'), $name eq 'srv1' ? 'o1' : 'o2', 'portico sticks to its server of that name');
$out = wait_key($psock, 'c2', qr/server_id=@{[ $name eq 'srv1' ? 1 : 2 ]} /);
like($out, qr/server_id=@{[ $name eq 'srv1' ? 1 : 2 ]} server_key=$name\n/, 'with its own id')
    or diag($out);

for my $h ($hap) {
    next unless $h->{pid};
    $h->signal('TERM');
}
