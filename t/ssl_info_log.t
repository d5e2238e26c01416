#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module's counters in "show info" (CurrSslConns, CumSslConns, SslRate, MaxSslRate,
# SslFrontendKeyRate, SslFrontendMaxKeyRate, SslFrontendSessionReuse_pct...), and the log's
# %sslc / %sslv: the client connection's cipher and protocol, "-" on a plain connection, in
# mode http and mode tcp, as HAProxy.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get s_client /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(15);
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
    stats socket $d/admin.sock level admin
defaults
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
frontend https
    mode http
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem
    bind 127.0.0.1:%%PORT_8080%%
    log-format "L7 %ft [%sslc] [%sslv]"
    default_backend o
frontend tlstcp
    mode tcp
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/a.pem
    bind 127.0.0.1:%%PORT_8081%%
    log-format "L4 %ft [%sslc] [%sslv]"
    default_backend ot
backend o
    mode http
    server s1 127.0.0.1:%%PORT_8090%%
backend ot
    mode tcp
    server s1 127.0.0.1:%%PORT_8090%%
EOF2

my ($r, $i) = https_get(port(8443), '/', sni => 'a.test');
like($r // '', qr{^HTTP/1\.1 200}, 'https: served');
my $l = log_wait(qr/L7 https~/, 5) // '';
like($l, qr/L7 https~ \[\Q$i->{cipher}\E\] \[TLSv1\.3\]/, 'mode http, TLS: %sslc is the cipher, %sslv the protocol');
my $p = http_get('/', port => port(8080));
like($p // '', qr{^HTTP/1\.1 200}, 'plain: served');
$l = log_wait(qr/L7 https /, 5) // '';
like($l, qr/L7 https \[-\] \[-\]/, 'mode http, plain: "-"');

my $o = s_client(port(8444), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    '-servername', 'a.test', '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256');
like($o, qr{^HTTP/1\.1 200}m, 'tcp over TLS 1.2: served');
$l = log_wait(qr/L4 tlstcp~/, 5) // '';
like($l, qr/L4 tlstcp~ \[ECDHE-ECDSA-AES128-GCM-SHA256\] \[TLSv1\.2\]/, 'mode tcp, TLS 1.2: cipher and protocol');
my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8081), Timeout => 5) or die;
print $c "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my $got = '';
my $t0 = time;
while (time - $t0 < 5) { my $n = sysread($c, my $b, 4096); last unless $n; $got .= $b }
close $c;
$l = log_wait(qr/L4 tlstcp /, 5) // '';
like($l, qr/L4 tlstcp \[-\] \[-\]/, 'mode tcp, plain: "-"');

# ---- show info ----------------------------------------------------------------------------
# one full handshake, then resumed ones
my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
unlink "$d/sess";
s_client(port(8443), $req, '-servername', 'a.test', '-sess_out', "$d/sess");
my $reused = 0;
for (1 .. 3) {
    my $x = s_client(port(8443), $req, '-servername', 'a.test', '-sess_in', "$d/sess");
    $reused++ if $x =~ /^Reused,/m;
}
is($reused, 3, 'resumed handshakes');
my %info;
my $deadline = time + 5;
while (1) {
    %info = map { /^([^:]+): (.*)$/ ? ($1 => $2) : () } split /\n/, cli_send("$d/admin.sock", "show info\n");
    last if ($info{CurrSslConns} // '') eq '0' || time > $deadline;
    sleep 0.1;
}
is($info{CurrSslConns}, 0, 'show info: CurrSslConns back to 0 once the connections closed');
cmp_ok($info{CumSslConns} // 0, '>=', 6, 'show info: CumSslConns counts every TLS connection');
cmp_ok($info{MaxSslRate} // 0, '>=', 1, 'show info: MaxSslRate');
cmp_ok($info{SslFrontendMaxKeyRate} // 0, '>=', 1, 'show info: SslFrontendMaxKeyRate');
like($info{SslFrontendSessionReuse_pct} // '', qr/^(?:\d|[1-9]\d|100)$/, 'show info: SslFrontendSessionReuse_pct is a percentage');
like($info{SslRate} // '', qr/^\d+$/, 'show info: SslRate');
my $typed = cli_send("$d/admin.sock", "show info typed\n");
like($typed, qr/^22\.CumSslConns\.1:MCP:u32:[1-9]\d*$/m, 'show info typed: CumSslConns');
