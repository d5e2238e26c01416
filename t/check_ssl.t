#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Health checks over TLS (check module through the ssl module's check API): "ssl" servers
# checked over TLS by default (option httpchk, plain connect: L6OK), "check-ssl" on a clear
# server, "no-check-ssl" and a check "port" in clear, "check-sni" (verified against the
# server certificate with "verify required"), "check-alpn", "tcp-check connect ssl sni
# alpn", and the failures: a clear origin (L6RSP, SSL handshake failure) and an untrusted
# certificate. The TLS origins are listeners of the proxy under test, which answer with the
# SNI and ALPN they saw. Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
$t->has(qw/ ssl check /) if Test::Portico::portico();
$t->plan(20);
$t->ignore_alerts(qr{has no server available});

my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'a', 'a.test', sans => ['a.test'], ca => 'ca');
make_cert($d, 'b', 'b.test', sans => ['b.test'], ca => 'ca');
make_ca($d, 'other');

$t->origin_http(port(8083), body => "clear origin\n");
$t->origin_tcp(port(8084)); # echoes: a ClientHello comes back, not a ServerHello
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    ca-base $d
    crt-base $d
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 2s
    default-server inter 150ms rise 1 fall 1
listen tlsorigin
    bind 127.0.0.1:%%PORT_8081%% ssl crt a.pem crt b.pem alpn x-check,http/1.1
    http-request return status 200 content-type text/plain lf-string "sni=%[ssl_fc_sni] alpn=%[ssl_fc_alpn] path=%[path]\\n"
listen sickorigin
    bind 127.0.0.1:%%PORT_8082%% ssl crt a.pem
    http-request return status 503 content-type text/plain string "sick\\n"
backend httpchk
    option httpchk GET /health
    server ok 127.0.0.1:%%PORT_8081%% ssl verify required ca-file ca.crt sni str(a.test) check
    server sick 127.0.0.1:%%PORT_8082%% ssl verify none check
backend connect
    server tls 127.0.0.1:%%PORT_8081%% ssl verify none check
    server clear 127.0.0.1:%%PORT_8084%% check check-ssl verify none
    server nocheckssl 127.0.0.1:%%PORT_8083%% ssl verify none check no-check-ssl
    server port 127.0.0.1:%%PORT_8081%% ssl verify none check port %%PORT_8083%%
backend sni
    option httpchk GET /sni
    http-check expect string sni=b.test
    server b 127.0.0.1:%%PORT_8083%% check check-ssl port %%PORT_8081%% check-sni b.test verify required ca-file ca.crt
    server wrongname 127.0.0.1:%%PORT_8081%% ssl verify required ca-file ca.crt check check-sni c.test
    server wrongca 127.0.0.1:%%PORT_8081%% ssl verify required ca-file other.crt check check-sni a.test
backend h2
    option httpchk GET /h2
    http-check expect string alpn=http/1.1
    server a 127.0.0.1:%%PORT_8081%% ssl verify none alpn h2,http/1.1 check
backend alpn
    option tcp-check
    tcp-check send "GET /alpn HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect string alpn=x-check
    server a 127.0.0.1:%%PORT_8081%% check check-ssl verify none check-alpn x-check
backend tcpconnect
    option tcp-check
    tcp-check connect ssl sni a.test alpn x-check
    tcp-check send "GET /rule HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect string sni=a.test\\ alpn=x-check\\ path=/rule
    server r 127.0.0.1:%%PORT_8081%% check verify required ca-file ca.crt
EOF2

my $sock = "$d/cli.sock";
sub st {
    my $r = show_stat($sock)->{$_[0]} // {};
    $r->{check_status} =~ s/^\* // if defined $r->{check_status};
    return $r;
}
# Waits until server NAME's check status is WANT; returns "status check_status".
sub settled {
    my ($name, $want) = @_;
    wait_until(5, sub { (st($name)->{check_status} // '') eq $want });
    my $r = st($name);
    return join ' ', $r->{status} // '', $r->{check_status} // '';
}

is(settled('httpchk/ok', 'L7OK'), 'UP L7OK', 'ssl + check + option httpchk: checked over TLS, L7OK');
is(st('httpchk/ok')->{check_code}, 200, 'check_code 200');
is(settled('httpchk/sick', 'L7STS'), 'DOWN L7STS', 'a TLS origin answering 503: L7STS');
is(settled('connect/tls', 'L6OK'), 'UP L6OK', 'ssl + check without rules: L6OK');
is(settled('connect/clear', 'L6RSP'), 'DOWN L6RSP', 'check-ssl against a clear origin: L6RSP');
is(st('connect/clear')->{last_chk}, 'SSL handshake failure', 'last_chk: SSL handshake failure');
like($t->wait_log(qr{Server connect/clear is DOWN}, 5) // '',
    qr{Server connect/clear is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure", check duration: \d+ms\.},
    'DOWN line: Layer6 invalid response, SSL handshake failure');
like($t->wait_log(qr{Server sni/wrongca is DOWN}, 5) // '',
    qr{Server sni/wrongca is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure"},
    'DOWN line of a certificate that does not verify');
is(settled('connect/nocheckssl', 'L4OK'), 'UP L4OK', 'no-check-ssl: checked in clear');
is(settled('connect/port', 'L4OK'), 'UP L4OK', 'ssl with a check port: checked in clear');
is(settled('sni/b', 'L7OK'), 'UP L7OK', 'check-ssl on another port, check-sni b.test verified');
is(settled('sni/wrongname', 'L6RSP'), 'DOWN L6RSP', 'check-sni not in the certificate: L6RSP');
is(settled('sni/wrongca', 'L6RSP'), 'DOWN L6RSP', 'certificate from another CA: L6RSP');
is(settled('alpn/a', 'L7OK'), 'UP L7OK', 'check-alpn x-check offered (tcp-check)');
is(settled('h2/a', 'L7OK'), 'UP L7OK', 'server alpn h2,http/1.1: an HTTP check ends up in HTTP/1.1');
is(settled('tcpconnect/r', 'L7OK'), 'UP L7OK', 'tcp-check connect ssl sni alpn');

# what the origin saw: the check-sni and the path of each check
my $stat = show_stat($sock);
ok(($stat->{'tlsorigin/FRONTEND'}{req_tot} // 0) > 0, 'the TLS origin got the checks');

# -c: check-ssl takes the server's TLS settings (verify required needs a CA file)
my $bad = "$d/bad.cfg";
open my $fh, '>', $bad or die;
print $fh "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
    . "backend be\n    server s 127.0.0.1:1 check check-ssl verify required\n";
close $fh;
my ($rc, $out) = $t->run_binary("-c", "-f", $bad);
isnt($rc, 0, '-c: check-ssl with verify required and no ca-file is refused');
like($out, qr/verify is enabled .*no CA file/, '-c: the reason');
open $fh, '>', $bad or die;
print $fh "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
    . "frontend fe\n    bind 127.0.0.1:1\n    default_backend be\n"
    . "backend be\n    server s 127.0.0.1:1 check check-ssl verify none check-sni x.test check-alpn h2,http/1.1\n";
close $fh;
($rc, $out) = $t->run_binary("-c", "-f", $bad);
is($rc, 0, '-c: check-ssl, check-sni, check-alpn accepted') or diag($out);
