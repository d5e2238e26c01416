#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module, server side: re-encryption to a TLS origin (IO::Socket::SSL in the harness)
# with "verify required" against a CA, the name checked against "sni" or "verifyhost" (a
# mismatch refused as a failed connection: 503, SC), ALPN, a client certificate for the
# origin, session reuse and no-ssl-reuse, default-server and ssl-server-verify inheritance,
# the ssl_bc* fetches, and TLS on both sides in mode tcp.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert https_get tls_connect /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(18);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'origin', 'origin.test', sans => ['origin.test'], ca => 'ca');
make_cert($d, 'client', 'portico-client', ca => 'ca', client => 1);
make_cert($d, 'front', 'front.test');

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
    return grep { /$want/ } @logs;
}

$t->origin_https(port(8081), echo => 1, cert => "$d/origin.crt", key => "$d/origin.key");
$t->origin_https(port(8082), echo => 1, cert => "$d/origin.crt", key => "$d/origin.key",
    ca => "$d/ca.crt");
$t->origin_tcp(port(8083));
$t->config(<<"EOF")->run();
%%GLOBAL%%
    workers 1
    ca-base $d
defaults
    mode http
    %%TIMEOUTS%%
    retries 1
    timeout connect 1s
    option httplog
    log 127.0.0.1:$up local0
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend %[path,field(2,/)]
    http-response set-header X-BC "%[ssl_bc] %[ssl_bc_protocol] %[ssl_bc_alpn] %[ssl_bc_is_resumed]"
backend ok
    server s1 127.0.0.1:%%PORT_8081%% ssl verify required ca-file ca.crt sni str(origin.test) alpn http/1.1
backend hostmismatch
    server s1 127.0.0.1:%%PORT_8081%% ssl verify required ca-file ca.crt sni str(other.test)
backend verifyhost
    server s1 127.0.0.1:%%PORT_8081%% ssl verify required ca-file ca.crt verifyhost origin.test
backend wrongca
    server s1 127.0.0.1:%%PORT_8081%% ssl verify required ca-file $d/front.crt
backend resume
    server s1 127.0.0.1:%%PORT_8092%% ssl verify required ca-file ca.crt sni str(origin.test)
backend noreuse
    default-server ssl verify none no-ssl-reuse
    server s1 127.0.0.1:%%PORT_8092%%
listen tlsorigin
    bind 127.0.0.1:%%PORT_8092%% ssl crt $d/origin.pem
    http-request return status 200 content-type text/plain lf-string "resumed=%[ssl_fc_is_resumed]\\n"
backend clientcert
    server s1 127.0.0.1:%%PORT_8082%% ssl verify none crt $d/client.pem
backend noclientcert
    server s1 127.0.0.1:%%PORT_8082%% ssl verify none
backend clear
    server s1 127.0.0.1:%%PORT_8081%%
frontend tcpfe
    mode tcp
    option tcplog
    bind 127.0.0.1:%%PORT_8090%% ssl crt $d/front.pem
    default_backend tcpbe
backend tcpbe
    mode tcp
    server s1 127.0.0.1:%%PORT_8091%% ssl verify none
listen tlsecho
    mode tcp
    bind 127.0.0.1:%%PORT_8091%% ssl crt $d/origin.pem
    server e 127.0.0.1:%%PORT_8083%%
EOF

sub status { my $p = http_parse($_[0] // ''); return $p ? $p->{status} : 0 }

my $r = http_get('/ok/a');
is(status($r), 200, 'verify required + sni matching the certificate: 200');
like($r, qr{^X-BC: 1 TLSv1\.3 http/1\.1 0\r$}m, 'ssl_bc, ssl_bc_protocol, ssl_bc_alpn');
like($r, qr{^GET /ok/a HTTP/1\.1\r$}m, 'the request reached the TLS origin');
# resumption: tickets of a portico TLS frontend (the harness origin forks one TLS context per
# connection, so its tickets never resume)
http_get('/resume/a');
$r = http_get('/resume/b');
like($r, qr{^X-BC: 1 TLSv1\.3 +1\r$}m, 'the next connection resumes the TLS session (ssl_bc_is_resumed)');
like($r, qr{resumed=1}, 'the frontend sees it resumed (ssl_fc_is_resumed)');
my @more = map { http_get("/resume/$_") =~ /resumed=1/ ? 1 : 0 } 1 .. 3;
is("@more", '1 1 1', 'and every one after it (a new TLS 1.3 ticket each time)');
http_get('/noreuse/a');
$r = http_get('/noreuse/b');
like($r, qr{^X-BC: 1 TLSv1\.3 +0\r$}m, 'default-server ssl verify none no-ssl-reuse: no resumption');
is(status(http_get('/verifyhost/x')), 200, 'verifyhost matching the certificate: 200');

is(status(http_get('/hostmismatch/x')), 503, 'a certificate for another name: 503');
ok(log_wait(qr{fe hostmismatch/s1 .* 503 .* SC-- }, 3), 'logged with SC--');
is(status(http_get('/wrongca/x')), 503, 'a certificate from an unknown CA: 503');
ok(log_wait(qr{fe wrongca/s1 .* 503 .* SC-- }, 3), 'logged with SC--');

is(status(http_get('/clientcert/x')), 200, 'client certificate accepted by the origin');
is(status(http_get('/noclientcert/x')), 502,
    'no client certificate: the origin refuses after the TLS 1.3 handshake, 502');
is(status(http_get('/clear/x')), 502, 'clear-text to a TLS origin: 502 as HAProxy');

# TLS on both sides in mode tcp: client -TLS-> tcpfe -TLS-> tlsecho -> echo
my $s = tls_connect(port(8090));
ok($s, 'mode tcp: handshake with the frontend');
print $s "ping through two TLS hops\n";
my $got = '';
my $t0 = time;
while ($got !~ /\n/ && time - $t0 < 5) {
    my $n = sysread($s, my $b, 1024) or last;
    $got .= $b;
}
is($got, "ping through two TLS hops\n", 'mode tcp: echoed through re-encryption');
$s->close(SSL_fast_shutdown => 1);
ok(log_wait(qr{tcpfe~ tcpbe/s1 }, 5), 'mode tcp: session logged (%ft: tcpfe~)');
