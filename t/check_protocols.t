#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Protocol health checks against scripted targets (no real database): option redis-check,
# smtpchk, mysql-check, pgsql-check, ldap-check, ssl-hello-chk. For each a well-behaved
# target (the check passes: L7OK, or L6OK for ssl-hello-chk) and a failing one (DOWN with
# the layer-7/6 status HAProxy gives), and what the check sent.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(22);

sub mysql_packet { my ($seq, $payload) = @_; substr(pack('V', length $payload), 0, 3) . chr($seq) . $payload }
my $mysql_greeting = mysql_packet(0, "\x0a" . "5.7.0-fake\0" . pack('V', 42) . 'abcdefgh' . "\0"
    . pack('v', 0xf7ff) . "\x21" . pack('v', 2) . pack('v', 0x8000) . "\x15" . ("\0" x 10)
    . 'ijklmnopqrst' . "\0" . "mysql_native_password\0");
my $mysql_ok = mysql_packet(2, "\x00\x00\x00\x02\x00\x00\x00");
my $mysql_err = mysql_packet(2, "\xff" . pack('v', 1045) . '#28000Access denied');
my $ldap_bind_ok = "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00";
my $ldap_bind_ko = "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00";

my %targets = (
    redis_ok => [expect => qr/PING\r\n/, send => "+PONG\r\n"],
    redis_ko => [expect => qr/PING\r\n/, send => "-LOADING loading the dataset\r\n"],
    smtp_ok => [send => "220 mx.example ESMTP\r\n", expect => qr/\r\n/,
        send => "250 mx.example\r\n", expect => qr/QUIT\r\n/, send => "221 bye\r\n"],
    smtp_ko => [send => "554 go away\r\n", read => 1],
    mysql_ok => [send => $mysql_greeting, expect => 5, read => 1, send => $mysql_ok, read => 1],
    mysql_ko => [send => $mysql_greeting, expect => 5, read => 1, send => $mysql_err, read => 1],
    pgsql_ok => [expect => 8, read => 1, send => "R\0\0\0\x08\0\0\0\0"],
    pgsql_ko => [expect => 8, read => 1, send => "E\0\0\0\x20SFATAL\0C28000\0Mno such role\0\0"],
    ldap_ok => [expect => 14, send => $ldap_bind_ok],
    ldap_ko => [expect => 14, send => $ldap_bind_ko],
    ssl_ok => [expect => 5, read => 1, send => "\x16\x03\x03\x00\x04\x0e\x00\x00\x00"],
    ssl_ko => [expect => 5, read => 1, send => "HTTP/1.1 400 Bad Request\r\n\r\n"],
);
my %port;
my $i = 8100;
for my $name (sort keys %targets) {
    $port{$name} = port($i++);
    $t->origin_script($port{$name}, phases => { up => $targets{$name} });
}
my $cfg = <<'EOF2';
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode tcp
    %%TIMEOUTS%%
    timeout check 1s
    default-server check inter 200ms rise 1 fall 1
EOF2
for my $p ([redis => 'option redis-check'], [smtp => 'option smtpchk HELO portico.example'],
    [mysql => 'option mysql-check user checker post-41'], [pgsql => 'option pgsql-check user checker'],
    [ldap => 'option ldap-check'], [ssl => 'option ssl-hello-chk']) {
    my ($n, $opt) = @$p;
    $cfg .= "backend $n\n    $opt\n"
        . "    server ok 127.0.0.1:$port{\"${n}_ok\"}\n    server ko 127.0.0.1:$port{\"${n}_ko\"}\n";
}
$t->config($cfg)->run();
my $sock = $t->testdir . '/cli.sock';

my %want = (redis => ['L7OK', 'L7STS'], smtp => ['L7OK', 'L7STS'], mysql => ['L7OK', 'L7STS'],
    pgsql => ['L7OK', 'L7RSP'], ldap => ['L7OK', 'L7STS'], ssl => ['L6OK', 'L6RSP']);
my $st;
wait_until(6, sub {
    $st = show_stat($sock);
    defined $_->{check_status} and $_->{check_status} =~ s/^\* // for values %$st;     # "* ": check in progress
    return !grep { ($st->{"$_/ok"}{check_status} // '') ne $want{$_}[0]
        || ($st->{"$_/ko"}{status} // '') ne 'DOWN' } keys %want;
}, 0.1);
for my $n (qw/ redis smtp mysql pgsql ldap ssl /) {
    is(($st->{"$n/ok"}{status} // '') . ' ' . ($st->{"$n/ok"}{check_status} // ''),
        "UP $want{$n}[0]", "$n: a good answer passes ($want{$n}[0])");
    is(($st->{"$n/ko"}{status} // '') . ' ' . ($st->{"$n/ko"}{check_status} // ''),
        "DOWN $want{$n}[1]", "$n: a bad answer fails ($want{$n}[1])");
}

sub got { my ($n) = @_; ($t->script_received($port{$n}))[0] // '' }
is(got('redis_ok'), "*1\r\n\$4\r\nPING\r\n", 'redis-check sends PING (RESP array)');
like(got('smtp_ok'), qr/^HELO portico\.example\r\nQUIT\r\n$/, 'smtpchk: HELO <domain>, then QUIT');
my $auth = got('mysql_ok');
like($auth, qr/^.{3}\x01.*checker\0/s, 'mysql-check user: an authentication packet (seq 1) naming the user');
my $pg = got('pgsql_ok');
is(unpack('N', substr($pg, 0, 4)), length $pg, 'pgsql-check: StartupMessage length');
is(unpack('N', substr($pg, 4, 4)), 196608, 'pgsql-check: protocol 3.0');
like($pg, qr/user\0checker\0/, 'pgsql-check: user parameter');
like(got('ldap_ok'), qr/^\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00$/,
    'ldap-check: an anonymous LDAPv3 bind request');
my $hello = got('ssl_ok');
is(substr($hello, 0, 1), "\x16", 'ssl-hello-chk: a TLS handshake record');
is(substr($hello, 5, 1), "\x01", 'ssl-hello-chk: a ClientHello');
is(length($hello), 5 + unpack('n', substr($hello, 3, 2)), 'ssl-hello-chk: one whole record');
