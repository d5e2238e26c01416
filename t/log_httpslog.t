#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option httpslog": HAProxy 2.6's httplog line followed by
# "%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed]
# %[ssl_fc_sni]/%sslv/%sslc", on TLS and plain connections; outside mode http it falls back to
# tcplog with a warning.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(6);
$SIG{PIPE} = 'IGNORE';
my $d = $t->testdir;
make_cert($d, 'a', 'a.test', sans => ['a.test']);

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

$t->origin_http(port(8090));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
    option httpslog
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem
    bind 127.0.0.1:%%PORT_8080%%
    default_backend o
backend o
    server s1 127.0.0.1:%%PORT_8090%%
EOF2

my ($r, $i) = https_get(port(8443), '/tls', sni => 'a.test');
like($r // '', qr{^HTTP/1\.1 200}, 'TLS request served');
my $l = log_wait(qr{GET /tls}, 5) // '';
like($l, qr{ fe~ o/s1 \d+/\d+/\d+/\d+/\d+ 200 \d+ - - ---- \d+/\d+/\d+/\d+/\d+ \d+/\d+ "GET /tls HTTP/1\.1" 0/0000000000000000/0/0/0 a\.test/TLSv1\.3/\Q$i->{cipher}\E$},
    'TLS: httplog, then no errors (ssl_fc_err in hex), not resumed, SNI, version, cipher') or diag($l);
my $p = http_get('/plain', port => port(8080));
like($p // '', qr{^HTTP/1\.1 200}, 'plain request served');
$l = log_wait(qr{GET /plain}, 5) // '';
like($l, qr{ fe o/s1 .* "GET /plain HTTP/1\.1" 0/-/-/-/0 -/-/-$}, 'plain: the TLS fields are dashes, ssl_fc_is_resumed 0')
    or diag($l);

my $tcp = Test::Portico->new();
$tcp->config("defaults\n    mode tcp\n    option httpslog\n    timeout client 1s\n"
    . "    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:1\n");
my ($code, $o) = $tcp->check_config;
is($code, 0, '-c: option httpslog in mode tcp is accepted') or diag($o);
like($o, qr/'option httpslog' not usable with (?:proxy|frontend) 'f' \(needs 'mode http'\)\. Falling back to 'option tcplog'/,
    'with a warning');
