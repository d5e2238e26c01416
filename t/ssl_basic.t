#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module, client side: termination in mode http and mode tcp, certificate choice by
# SNI among three certificates (CN, SANs, a wildcard, a crt directory with crt-base), ALPN,
# protocol versions and ciphers, strict-sni, the ssl_fc* fetches (X-Forwarded-Proto, redirect
# scheme https, HSTS), and bad input (plain HTTP, garbage, a silent client) ending only that
# connection with HAProxy's log lines.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get tls_connect s_client /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(42);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
mkdir "$d/certs";
mkdir "$d/dir";
make_cert("$d/certs", 'a', 'a.test', sans => [qw/ a.test www.a.test /], rsa => 1);
make_cert("$d/certs", 'b', 'b.test');
make_cert("$d/certs", 'w', '*.w.test', sans => ['*.w.test']);
make_cert("$d/dir", 'd1', 'd1.test');
make_cert("$d/dir", 'd2', 'd2.test');
unlink glob "$d/dir/*.csr"; # only .pem, .crt, .key, .ext: .key is skipped, others load
unlink glob("$d/dir/*.crt"), glob("$d/dir/*.ext");

# UDP log receiver
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

$t->origin_http(port(8081), echo => 1);
$t->origin_tcp(port(8082));
$t->config(<<"EOF")->run();
%%GLOBAL%%
    crt-base $d/certs
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt a.pem crt b.pem crt w.pem alpn h2,http/1.1
    bind 127.0.0.1:%%PORT_8080%%
    log 127.0.0.1:$up local0
    option httplog
    http-request redirect scheme https code 301 if !{ ssl_fc }
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-response set-header Strict-Transport-Security "max-age=31536000"
    http-request return status 200 content-type text/plain lf-string "sni=%[ssl_fc_sni] proto=%[ssl_fc_protocol] alpn=%[ssl_fc_alpn] tls=%[ssl_fc] reused=%[ssl_fc_is_resumed] cipher=%[ssl_fc_cipher]\\n" if { path /info }
    default_backend be
frontend strict
    bind 127.0.0.1:%%PORT_8444%% ssl crt a.pem crt b.pem strict-sni
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/dir ssl-max-ver TLSv1.2 ciphers ECDHE-ECDSA-AES128-GCM-SHA256
    log 127.0.0.1:$up local0
    option httplog
    timeout client 1s
    http-request return status 200 content-type text/plain lf-string "sni=%[ssl_fc_sni] proto=%[ssl_fc_protocol] cipher=%[ssl_fc_cipher]\\n"
frontend tcpfe
    mode tcp
    bind 127.0.0.1:%%PORT_8446%% ssl crt a.pem
    log 127.0.0.1:$up local0
    option tcplog
    default_backend tcpbe
backend be
    server s1 127.0.0.1:%%PORT_8081%%
backend tcpbe
    mode tcp
    server s1 127.0.0.1:%%PORT_8082%%
EOF

sub body { my ($r) = @_; my $p = http_parse($r // ''); return $p ? $p->{body} : '' }

# ---- certificate choice -------------------------------------------------------------------
my %cn = ('' => 'a.test', 'a.test' => 'a.test', 'www.a.test' => 'a.test', 'b.test' => 'b.test',
    'x.w.test' => '*.w.test', 'B.TEST' => 'b.test', 'y.x.w.test' => 'a.test',
    'unknown.test' => 'a.test');
for my $sni (sort keys %cn) {
    my ($r, $i) = https_get(port(8443), '/info', sni => $sni);
    like($i && ref $i ? $i->{subject} : '', qr{CN\s*=\s*\Q$cn{$sni}\E}, "SNI '$sni' gets $cn{$sni}");
}

# ---- fetches, ALPN, headers -----------------------------------------------------------------
my ($r, $i) = https_get(port(8443), '/info', sni => 'b.test', alpn => ['h2', 'http/1.1']);
like(body($r), qr{^sni=b\.test proto=TLSv1\.3 alpn=http/1\.1 tls=1 reused=0 cipher=TLS_}m,
    'ssl_fc_sni, ssl_fc_protocol, ssl_fc_alpn (h2 not offered in mode http), ssl_fc');
is($i->{alpn}, 'http/1.1', 'client sees http/1.1 chosen');
($r) = https_get(port(8443), '/echo', sni => 'a.test');
like($r, qr/^Strict-Transport-Security: max-age=31536000\r$/mi, 'HSTS header added');
like($r, qr/^X-Forwarded-Proto: https\r$/mi, 'X-Forwarded-Proto https reaches the server');
like(http_get('/x', port => port(8080)), qr{^HTTP/1\.1 301 .*^Location: https://localhost/x\r$}msi,
    'redirect scheme https if !{ ssl_fc } on the clear address');

my $cn = s_client(port(8443), "GET /info HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    '-servername', 'a.test');
like($cn, qr/^sni=a\.test /m, 's_client served');
unlike($cn, qr/unexpected eof/, 'the response ends with a close_notify (no unexpected EOF)');

# ---- versions and ciphers; crt DIR --------------------------------------------------------
($r, $i) = https_get(port(8445), '/', sni => 'd2.test');
like(body($r), qr/^sni=d2\.test proto=TLSv1\.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256$/m,
    'ssl-max-ver TLSv1.2 and ciphers');
like($i->{subject}, qr/CN\s*=\s*d2\.test/, 'crt DIR: d2.test chosen by SNI');
($r, $i) = https_get(port(8445), '/', sni => 'zz');
like($i->{subject}, qr/CN\s*=\s*d1\.test/, 'crt DIR: the first file is the default');
my $out = s_client(port(8443), '', '-servername', 'a.test', '-tls1_1');
like($out, qr/Cipher is \(NONE\)/, 'TLSv1.1 refused (ssl-default-bind-options ssl-min-ver TLSv1.2)');

# ---- strict-sni -----------------------------------------------------------------------------
($r, $i) = https_get(port(8444), '/', sni => 'b.test');
like(body($r), qr/^sni=b\.test /m, 'strict-sni: a known name is served');
($r, $i) = https_get(port(8444), '/', sni => 'nope.test');
ok(!defined $r, 'strict-sni: an unknown name is refused');
($r, $i) = https_get(port(8444), '/', sni => '');
ok(!defined $r, 'strict-sni: no SNI is refused');
ok(log_wait(qr{strict/\d+: SSL handshake failure}, 3),
    'strict-sni refusal logged as an SSL handshake failure');

# ---- bad input: only that connection ends ------------------------------------------------
my $keep = tls_connect(port(8443), sni => 'b.test');
ok($keep, 'a TLS client connected before the bad ones');
my $plain = http("GET / HTTP/1.1\r\nHost: x\r\n\r\n", port => port(8443), timeout => 5);
is($plain // '', '', 'plain HTTP on the TLS port: closed without an answer');
my $garbage = http("\x16\x03\x01\x00\x05hello" . ("\xff" x 64), port => port(8443), timeout => 5);
like($garbage // '', qr/\A\x15\x03[\x01-\x04]\x00\x02\x02.\z/s,
    'garbage on the TLS port: a fatal TLS alert, as HAProxy, then closed');
ok(log_wait(qr{fe/\d+: SSL handshake failure}, 3), 'logged: SSL handshake failure');
my $t0 = time;
my $silent = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8444)) or die;
my $sel = IO::Select->new($silent);
$sel->can_read(5);
my $n = sysread($silent, my $buf, 10);
my $el = time - $t0;
ok(!$n && $el >= 0.8 && $el < 4, sprintf('a silent client is closed by timeout client (%.1fs)', $el));
ok(log_wait(qr{strict/\d+: Timeout during SSL handshake}, 3),
    'logged: Timeout during SSL handshake');
my $half = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8443)) or die;
syswrite($half, "\x16\x03\x01\x02\x00\x01");
shutdown($half, 1);
IO::Select->new($half)->can_read(5);
close $half;
ok(log_wait(qr{fe/\d+: Connection closed during SSL handshake}, 3),
    'logged: Connection closed during SSL handshake');
# a forged record after the handshake (bad MAC): that connection ends, alone
my $forge = tls_connect(port(8443), sni => 'a.test');
open(my $rawfd, '>&', $forge->fileno) or die "dup: $!";
syswrite($rawfd, "\x17\x03\x03\x00\x20" . ("\xaa" x 32));
IO::Select->new($forge)->can_read(5);
my $fn = sysread($forge, my $fb, 100);
ok(!$fn, 'a forged record mid-stream ends that connection');
close $rawfd;
print $keep "GET /info HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
my $kr = '';
while (sysread($keep, my $x, 65536)) { $kr .= $x }
like($kr, qr/^sni=b\.test /m, 'the earlier TLS client is still served');
unlike(join('', grep { /SSL|handshake/ } @logs), qr/fe be|tcpfe tcpbe/,
    'no traffic log line for refused handshakes');

# ---- mode tcp --------------------------------------------------------------------------------
my $ts = tls_connect(port(8446), sni => 'a.test');
ok($ts, 'mode tcp: TLS handshake');
my $payload = join '', map { chr(($_ * 7) % 256) } 1 .. 200000;
my $echo = '';
{
    my $off = 0;
    $ts->blocking(1);
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    eval {
        while ($off < length $payload) {
            my $w = syswrite($ts, $payload, 16384, $off) // die "write: $!\n";
            $off += $w;
            while (length($echo) < $off - 65536) {
                my $rd = sysread($ts, my $b2, 65536) or last;
                $echo .= $b2;
            }
        }
        while (length($echo) < length $payload) {
            my $rd = sysread($ts, my $b2, 65536) or last;
            $echo .= $b2;
        }
    };
    alarm 0;
}
is(length $echo, length $payload, 'mode tcp: 200 kB echoed through TLS');
ok($echo eq $payload, 'mode tcp: the bytes are intact');
$ts->close(SSL_fast_shutdown => 1);
ok(log_wait(qr{tcpfe~ tcpbe/s1 }, 5), 'mode tcp: the session is logged (%ft: tcpfe~, TLS)');

# ---- -c refuses bad certificates with file:line ------------------------------------------------
open my $fh, '>', "$d/certs/garbage.pem" or die;
print $fh "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
close $fh;
{
    # a key that does not match: a.crt with b.key
    local $/;
    open my $c1, '<', "$d/certs/a.crt" or die;
    open my $k2, '<', "$d/certs/b.key" or die;
    open my $m, '>', "$d/certs/mismatch.pem" or die;
    my ($c1t, $k2t) = (scalar <$c1>, scalar <$k2>);
    print $m $c1t, $k2t;
}
my $bad = Test::Portico->new();
for my $case (['missing.pem', qr/unable to stat SSL certificate .*missing\.pem/],
    ['garbage.pem', qr/no certificate found in PEM file/],
    ['mismatch.pem', qr/inconsistencies between the private key and the certificate/]) {
    $bad->config("global\n    crt-base $d/certs\ndefaults\n    mode http\n    timeout client 1s\n"
        . "    timeout server 1s\n    timeout connect 1s\nfrontend f\n"
        . "    bind 127.0.0.1:1 ssl crt $case->[0]\n");
    my ($code, $o) = $bad->check_config;
    ok($code != 0 && $o =~ /portico\.cfg:9: .*$case->[1]/, "-c refuses $case->[0] with file:line")
        or diag($o);
}
make_cert("$d/certs", 'expired', 'expired.test', expired => 1);
$bad->config("defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1 ssl crt $d/certs/expired.pem\n");
my ($code1, $o1) = $bad->check_config;
ok($code1 == 0 && $o1 =~ /portico\.cfg:4: .*the certificate in '.*expired\.pem' has expired/,
    '-c warns about an expired certificate (HAProxy serves it)') or diag($o1);
$bad->config("defaults\n    mode http\nbackend b\n    server s 127.0.0.1:1 ssl\n");
my ($code2, $o2) = $bad->check_config;
like($o2, qr/verify is enabled by default but no CA file specified/,
    "-c: 'server ... ssl' without ca-file nor 'verify none'");
