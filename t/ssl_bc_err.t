#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# bc_err / bc_err_str (ssl module), as HAProxy 2.6: the connection error code of the server
# connection and its message: 34 "SSL handshake failure" when the origin's certificate fails
# "verify required", 0 "Success" for a TLS or plain server connection that worked (or failed
# at TCP level). Read from the log lines (log-format), with curl as the client.
# Passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(3);
my $d = $t->testdir;
make_ca($d, 'other');
make_cert($d, 'o', 'o.test', sans => ['o.test']);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp') or die;
my $up = $u->sockport;
my @logs;
sub log_wait {
    my ($want, $timeout) = @_;
    my $sel = IO::Select->new($u);
    my $deadline = time + $timeout;
    while (!grep { /$want/ } @logs) {
        last if time >= $deadline || !$sel->can_read($deadline - time);
        $u->recv(my $m, 65535);
        push @logs, $m;
    }
    return (grep { /$want/ } @logs)[0];
}

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    retries 0
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
frontend verify
    bind 127.0.0.1:%%PORT_8080%%
    log-format "F1 %[bc_err] [%[bc_err_str]] %ST"
    default_backend verify
backend verify
    server s 127.0.0.1:%%PORT_8443%% ssl verify required ca-file $d/other.crt
frontend noverify
    bind 127.0.0.1:%%PORT_8081%%
    log-format "F2 %[bc_err] [%[bc_err_str]] %ST fc=%[fc_err]:%[fc_err_str]"
    default_backend noverify
backend noverify
    server s 127.0.0.1:%%PORT_8443%% ssl verify none
frontend plain
    bind 127.0.0.1:%%PORT_8082%%
    log-format "F3 %[bc_err] [%[bc_err_str]] %ST"
    default_backend plain
backend plain
    server s 127.0.0.1:%%PORT_8443%%
frontend origin
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/o.pem
    http-request return status 200
EOF2

sub get { qx{curl -s -o /dev/null --max-time 5 http://127.0.0.1:@{[port($_[0])]}/} }
get(8080);
like(log_wait(qr/F1 /, 5) // '', qr/F1 34 \[SSL handshake failure\] 503/, 'server certificate refused: 34, SSL handshake failure');
get(8081);
like(log_wait(qr/F2 /, 5) // '', qr/F2 0 \[Success\] 200 fc=0:Success/, 'TLS server connection: 0, Success (and fc_err 0, Success)');
get(8082);
like(log_wait(qr/F3 /, 5) // '', qr/F3 0 \[Success\] 502/, 'plain connection to a TLS port: 0, Success');
