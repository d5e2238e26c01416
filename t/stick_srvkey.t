#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# server_key as HAProxy 2.6 stores it (as in reg-tests/stickiness/lb-services.vtc and
# srvkey-addr.vtc): one table shared by two backends through "stick on ... table"; the entry
# keeps the server's name ("srvkey name", the default) or its "<ip>:<port>" ("srvkey addr"),
# show table prints it, and the other backend sticks to its own server of that name or
# address (whatever its id), server_id following the backend that served last; a string
# key of a table without "len" is truncated to 31 bytes.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(13);

$t->origin_http(port(8501), handler => sub { (200, ['X-Srv' => 'o1'], "o1\n") });
$t->origin_http(port(8502), handler => sub { (200, ['X-Srv' => 'o2'], "o2\n") });
$t->origin_http(port(8503), handler => sub { (200, ['X-Srv' => 'o3'], "o3\n") });
$t->origin_http(port(8504), handler => sub { (200, ['X-Srv' => 'o4'], "o4\n") });
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    nbthread 2
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend byname
    stick-table type string len 16 size 100 expire 1m
backend byaddr
    stick-table type string len 16 size 100 expire 1m srvkey addr
backend plain
    stick-table type string size 10 store gpc0
backend n1
    balance roundrobin
    stick on urlp(client) table byname
    server srv1 127.0.0.1:%%PORT_8501%%
    server srv2 127.0.0.1:%%PORT_8502%%
backend n2
    balance roundrobin
    stick on urlp(client) table byname
    server other 127.0.0.1:%%PORT_8501%%
    server srv2 127.0.0.1:%%PORT_8504%%
    server srv1 127.0.0.1:%%PORT_8503%%
backend a1
    balance roundrobin
    stick on urlp(client) table byaddr
    server srv1 127.0.0.1:%%PORT_8501%%
    server srv2 127.0.0.1:%%PORT_8502%%
backend a2
    balance roundrobin
    stick on urlp(client) table byaddr
    server x1 127.0.0.1:%%PORT_8503%%
    server x2 127.0.0.1:%%PORT_8504%%
    server x3 127.0.0.1:%%PORT_8502%%
    server x4 127.0.0.1:%%PORT_8501%%
frontend fe
    bind 127.0.0.1:%%PORT_8500%%
    use_backend %[path,field(2,/)]
EOF2
my $sock = $t->testdir . '/cli.sock';
sub get {
    my ($be, $c) = @_;
    my $r = http_parse(http("GET /$be?client=$c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        port => port(8500))) // { h => {} };
    return $r->{h}{'x-srv'} // '';
}
my %p = (o1 => port(8501), o2 => port(8502));

# srvkey name
my $f = get('n1', 'c1');
like($f, qr/^o[12]$/, 'srvkey name: first request balanced');
my $name = $f eq 'o1' ? 'srv1' : 'srv2';
my $id = $f eq 'o1' ? 1 : 2;
like(cli_send($sock, "show table byname key c1\n"),
    qr/^0x[0-9a-f]+: key=c1 use=0 exp=\d+ server_id=$id server_key=$name$/m, 'show table: the server name stored');
my $want = $name eq 'srv1' ? 'o3' : 'o4';
is(get('n2', 'c1'), $want, 'the other backend sticks to its server of that name');
my $id2 = $name eq 'srv1' ? 3 : 2;
like(cli_send($sock, "show table byname key c1\n"),
    qr/server_id=$id2 server_key=$name$/m, 'server_id is the one of the backend that served last');
is(get('n1', 'c1'), $f, 'and the first backend still finds its own server by name');
is(get('n2', 'c1'), $want, 'both ways');

# srvkey addr
$f = get('a1', 'c2');
like($f, qr/^o[12]$/, 'srvkey addr: first request balanced');
my $addr = "127.0.0.1:$p{$f}";
like(cli_send($sock, "show table byaddr key c2\n"),
    qr/^0x[0-9a-f]+: key=c2 use=0 exp=\d+ server_id=\d server_key=\Q$addr\E$/m, 'show table: the server address stored');
is(get('a2', 'c2'), $f, 'the other backend sticks to its server of that address, whatever its name');
like(cli_send($sock, "show table byaddr key c2\n"),
    qr/server_id=@{[ $f eq 'o1' ? 4 : 3 ]} server_key=\Q$addr\E$/m, 'with that server\'s id');

# a string table without "len" keeps 31 bytes of a key (HAProxy's default key size, 32,
# counts the terminating zero; the peers protocol announces 32)
cli_send($sock, "set table plain key " . ('0123456789' x 4) . " data.gpc0 1\n");
like(cli_send($sock, "show table plain\n"), qr/ key=0123456789012345678901234567890 use=0 exp=0 gpc0=1\n/,
    'a string key without len: truncated to 31 bytes');

my $c = Test::Portico->new();
$c->config("%%GLOBAL%%\ndefaults\n    mode http\nbackend b\n    stick-table type ip size 10 srvkey port\n    server s 127.0.0.1:1\n");
my ($rc, $o) = $c->check_config();
ok($rc != 0, 'srvkey other than name or addr: refused');
like($o, qr/unknown server key type 'port'/, 'saying so') or diag($o);
