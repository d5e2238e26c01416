#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# error-log-format (HAProxy 2.6): the layout of the line logging a connection that failed in
# its handshakes, with fc_err / fc_err_str (HAProxy's codes: 34 "SSL handshake failure", 26
# "Timeout during SSL handshake", 15 for a bad PROXY header) and ssl_fc_err_str (the OpenSSL
# error string of the handshake's error: no curve in common gives "no shared cipher"); a
# frontend inherits it from defaults; without it the fixed layout stays, for a frontend that
# logs its traffic (option httplog) only; an empty one is refused.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl proxy_protocol /)->plan(8);
my $d = $t->testdir;
make_cert($d, 'srv', 'srv.test');

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log stderr format raw local0
frontend silent
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/srv.pem curves P-384
    http-request return status 200
defaults
    mode http
    %%TIMEOUTS%%
    log stderr format raw local0
    option httplog
frontend fixed
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/srv.pem curves P-384
    http-request return status 200
defaults
    mode http
    %%TIMEOUTS%%
    timeout client 1s
    log stderr format raw local0
    error-log-format "ERR fe=%ft ci=%ci conn_status:\\"%[fc_err]:%[fc_err_str]\\" hsk_err:%{+Q}[ssl_fc_err_str]"
frontend curves
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem curves P-384
    http-request return status 200
frontend pp
    bind 127.0.0.1:%%PORT_8080%% accept-proxy
    http-request return status 200
EOF2

# a client that offers P-256 only: no common group
my $out = s_client(port(8443), "Q\n", '-tls1_2', '-curves', 'P-256');
my $l = $t->wait_log(qr/^ERR fe=curves~? /m, 5) // '';
like($l, qr/conn_status:"34:SSL handshake failure"/, 'TLS failure: fc_err 34, fc_err_str "SSL handshake failure"');
like($l, qr/hsk_err:"error:0A0000C1:SSL routines::no shared cipher"/, 'ssl_fc_err_str: OpenSSL\'s error string of the failed handshake');
like($l, qr/ ci=127\.0\.0\.1 /, '%ci in an error-log-format line');

# a client that sends nothing: timeout during the handshake
my $c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8443), Proto => 'tcp');
$l = $t->wait_log(qr/^ERR fe=curves~? .*"26:/m, 5) // '';
like($l, qr/conn_status:"26:Timeout during SSL handshake"/, 'timeout: fc_err 26');
close $c if $c;

# a bad PROXY header
$c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp');
syswrite($c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n") if $c;
$l = $t->wait_log(qr/^ERR fe=pp /m, 5) // '';
like($l, qr/conn_status:"15:Received something which does not look like a PROXY protocol header" hsk_err:""/,
    'a bad PROXY header: fc_err 15; no TLS: no ssl_fc_err_str');
close $c if $c;

# without error-log-format: the fixed layout
s_client(port(8444), "Q\n", '-tls1_2', '-curves', 'P-256');
# (an unnamed bind by its number in the frontend, as HAProxy)
$l = $t->wait_log(qr{ fixed/1: }, 5) // '';
like($l, qr{^127\.0\.0\.1:\d+ \[[^\]]+\] fixed/1: SSL handshake failure$},
    'without error-log-format: the fixed layout');

# a frontend that logs no traffic (no option httplog...) logs no connection error either
my $mark = $t->errlog_mark;
s_client(port(8445), "Q\n", '-tls1_2', '-curves', 'P-256');
s_client(port(8444), "Q\n", '-tls1_2', '-curves', 'P-256');
$t->wait_log(qr{ fixed/}, 5, $mark);
unlike(substr($t->errlog, $mark), qr{silent/}, 'no log format: the failed connection is not logged (HAProxy)');

# an empty format is refused
$t->write_file('empty.cfg', "defaults\n    error-log-format \"\"\nfrontend f\n    bind 127.0.0.1:1\n");
my ($rc, $o) = $t->run_binary("-c", "-f", "$d/empty.cfg");
ok($rc != 0 && $o =~ /empty\.cfg[:\]]+2\b.*error-log-format.* expects (an|1) argument/, 'an empty error-log-format is refused at file:line')
    or diag($o);
