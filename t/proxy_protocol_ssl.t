#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# send-proxy-v2 behind a TLS bind: the SSL TLV describes the client's TLS connection as
# HAProxy 2.6 writes it (client byte PP2_CLIENT_SSL / CERT_CONN / CERT_SESS, the verify
# result, the sub-TLVs VERSION, CN, KEY_ALG, SIG_ALG, CIPHER in that order, each added by its
# option), the ALPN TLV of a TLS client, the authority from the SNI, a resumed session
# (CERT_SESS without CERT_CONN), an ignored verification error (verify field), a clear-text
# client (client 0, no sub-TLV) and the options that imply "ssl". The whole header is
# compared byte for byte with the one built here from the client's view of the connection.
use warnings;
use strict;
use Test::More;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert tls_connect /;

my $t = Test::Portico->new()->has(qw/ tcp ssl proxy_protocol /)->plan(15);
my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'srv', 'srv.test', rsa => 1, ca => 'ca');       # RSA 2048, signed by an EC CA
make_cert($d, 'ecs', 'ecs.test');                             # EC P-256, self-signed
make_cert($d, 'cli', 'cli.test', client => 1, ca => 'ca');
make_cert($d, 'bad', 'bad.test');                             # self-signed: not from the CA

my $V2SIG = "\r\n\r\n\0\r\nQUIT\n";

$t->origin_tcp(port(8081));
$t->config(<<"EOF")->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
frontend all
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem ca-file $d/ca.crt verify optional crt-ignore-err all ca-ignore-err all alpn h2,http/1.1
    default_backend all
frontend clear
    bind 127.0.0.1:%%PORT_8080%%
    default_backend all
frontend relay
    bind 127.0.0.1:%%PORT_8082%% accept-proxy
    default_backend all
frontend ssl_only
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/ecs.pem
    default_backend ssl_only
frontend ssl_cn
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/srv.pem ca-file $d/ca.crt verify optional
    default_backend ssl_cn
frontend implied
    bind 127.0.0.1:%%PORT_8446%% ssl crt $d/ecs.pem
    default_backend implied
backend all
    server o 127.0.0.1:%%PORT_8081%% send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key,authority
backend ssl_only
    server o 127.0.0.1:%%PORT_8081%% send-proxy-v2-ssl
backend ssl_cn
    server o 127.0.0.1:%%PORT_8081%% send-proxy-v2-ssl-cn
backend implied
    server o 127.0.0.1:%%PORT_8081%% send-proxy-v2 proxy-v2-options cert-key
EOF

sub tlv { my ($type, $v) = @_; return pack('C n/a*', $type, $v) }

# The SSL TLV: client byte, verify, then the sub-TLVs given as [type, value] pairs.
sub ssl_tlv {
    my ($client, $verify, @subs) = @_;
    return tlv(0x20, pack('C N', $client, $verify) . join('', map { tlv(@$_) } @subs));
}

# The v2 header a connection from local port SPORT to frontend port DPORT should carry.
sub header {
    my ($sport, $dport, @tlvs) = @_;
    my $addr = pack('C4 C4 n n', 127, 0, 0, 1, 127, 0, 0, 1, $sport, $dport);
    my $rest = $addr . join('', @tlvs);
    return $V2SIG . pack('C C n', 0x21, 0x11, length $rest) . $rest;
}

# Sends a line through SOCK (echoed by the origin after the PROXY header) and returns the
# header the origin received (or what came back, if it does not parse).
sub echoed_header {
    my ($s) = @_;
    syswrite($s, "ping\n");
    my ($got, $t0) = ('', time);
    my $sel = IO::Select->new($s);
    while (time - $t0 < 5) {
        if (length $got >= 16) {
            my $len = unpack('n', substr($got, 14, 2));
            return substr($got, 0, 16 + $len) if length $got >= 16 + $len + 5;
        }
        next unless ($s->can('pending') && $s->pending) || $sel->can_read(0.5);
        my $n = sysread($s, my $buf, 65536);
        next if !defined $n && $s->can('errstr') && $IO::Socket::SSL::SSL_ERROR == IO::Socket::SSL::SSL_WANT_READ();
        last unless $n;
        $got .= $buf;
    }
    return $got;
}

sub tlsver { my $v = $_[0]->get_sslversion; $v =~ s/_/./; return $v }
sub hexs { return join ' ', unpack('(H2)*', $_[0] // '') }

# Connects with IO::Socket::SSL options; returns (header received, socket) or (error).
sub via_tls {
    my ($pname, %o) = @_;
    my $s = tls_connect(port($pname), %o) or return ("connect: $@");
    my $h = echoed_header($s);
    return ($h, $s);
}

# 1. TLS 1.3, client certificate from the CA, SNI, ALPN: every option
my ($h, $s) = via_tls(8443, sni => 'front.test', alpn => ['h2'], cert => "$d/cli.pem");
my $exp = $s ? header($s->sockport, port(8443),
    tlv(0x01, 'h2'), tlv(0x02, 'front.test'),
    ssl_tlv(0x07, 0, [0x21, tlsver($s)], [0x22, 'cli.test'], [0x25, 'RSA2048'],
        [0x24, 'ecdsa-with-SHA256'], [0x23, $s->get_cipher])) : 'x';
is(hexs($h), hexs($exp), 'TLS 1.3 client with a certificate: ALPN, authority (SNI), SSL TLV with every sub-TLV');
is($s && tlsver($s), 'TLSv1.3', 'the client negotiated TLS 1.3');
close $s if $s;

# 2. TLS 1.2, no certificate, no SNI, no ALPN: client byte SSL only, no CN
($h, $s) = via_tls(8443, version => 'TLSv1_2');
$exp = $s ? header($s->sockport, port(8443),
    ssl_tlv(0x01, 0, [0x21, 'TLSv1.2'], [0x25, 'RSA2048'], [0x24, 'ecdsa-with-SHA256'],
        [0x23, $s->get_cipher])) : 'x';
is(hexs($h), hexs($exp), 'TLS 1.2 client without certificate: PP2_CLIENT_SSL, no CN, no ALPN, no authority');
close $s if $s;

# 3. a self-signed client certificate, its error ignored: CERT_CONN|CERT_SESS and the
# verification result (18: X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) in the verify field
($h, $s) = via_tls(8443, cert => "$d/bad.pem", sni => 'x.test');
$exp = $s ? header($s->sockport, port(8443), tlv(0x02, 'x.test'),
    ssl_tlv(0x07, 18, [0x21, tlsver($s)], [0x22, 'bad.test'], [0x25, 'RSA2048'],
        [0x24, 'ecdsa-with-SHA256'], [0x23, $s->get_cipher])) : 'x';
is(hexs($h), hexs($exp), 'an ignored verification error: the verify field carries it');
close $s if $s;

# 4. a resumed TLS 1.2 session with a certificate: CERT_SESS without CERT_CONN
my $cache = IO::Socket::SSL::Session_Cache->new(4);
($h, $s) = via_tls(8443, version => 'TLSv1_2', cert => "$d/cli.pem", session_cache => $cache);
ok($s && !$s->get_session_reused, 'first TLS 1.2 connection: a full handshake');
$exp = $s ? header($s->sockport, port(8443),
    ssl_tlv(0x07, 0, [0x21, 'TLSv1.2'], [0x22, 'cli.test'], [0x25, 'RSA2048'],
        [0x24, 'ecdsa-with-SHA256'], [0x23, $s->get_cipher])) : 'x';
is(hexs($h), hexs($exp), 'TLS 1.2 with a certificate: CERT_CONN and CERT_SESS');
close $s if $s;
($h, $s) = via_tls(8443, version => 'TLSv1_2', cert => "$d/cli.pem", session_cache => $cache);
ok($s && $s->get_session_reused, 'second connection: the session is resumed');
$exp = $s ? header($s->sockport, port(8443),
    ssl_tlv(0x05, 0, [0x21, 'TLSv1.2'], [0x22, 'cli.test'], [0x25, 'RSA2048'],
        [0x24, 'ecdsa-with-SHA256'], [0x23, $s->get_cipher])) : 'x';
is(hexs($h), hexs($exp), 'resumed session: CERT_SESS, not CERT_CONN, the CN from the session');
close $s if $s;

# 5. a clear-text client on the same backend: client 0, verify 0, no sub-TLV
my $c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp',
    Timeout => 5);
$h = $c ? echoed_header($c) : '';
is(hexs($h), hexs($c ? header($c->sockport, port(8080), tlv(0x20, pack('C N', 0, 0))) : 'x'),
    'clear-text client: an SSL TLV saying not TLS, no ALPN, no authority');
close $c if $c;

# 6. send-proxy-v2-ssl: the version only, even with ALPN, SNI and an EC certificate
($h, $s) = via_tls(8444, sni => 'ecs.test');
$exp = $s ? header($s->sockport, port(8444), ssl_tlv(0x01, 0, [0x21, tlsver($s)])) : 'x';
is(hexs($h), hexs($exp), 'send-proxy-v2-ssl: SSL TLV with the version only');
close $s if $s;

# 7. send-proxy-v2-ssl-cn: version and CN
($h, $s) = via_tls(8445, cert => "$d/cli.pem");
$exp = $s ? header($s->sockport, port(8445),
    ssl_tlv(0x07, 0, [0x21, tlsver($s)], [0x22, 'cli.test'])) : 'x';
is(hexs($h), hexs($exp), 'send-proxy-v2-ssl-cn: version and the client certificate\'s CN');
close $s if $s;
($h, $s) = via_tls(8445);
$exp = $s ? header($s->sockport, port(8445), ssl_tlv(0x01, 0, [0x21, tlsver($s)])) : 'x';
is(hexs($h), hexs($exp), 'send-proxy-v2-ssl-cn without a client certificate: no CN sub-TLV');
close $s if $s;

# 8. proxy-v2-options cert-key alone implies ssl; an EC frontend certificate: EC256
($h, $s) = via_tls(8446);
$exp = $s ? header($s->sockport, port(8446),
    ssl_tlv(0x01, 0, [0x21, tlsver($s)], [0x25, 'EC256'])) : 'x';
is(hexs($h), hexs($exp), 'proxy-v2-options cert-key implies the SSL TLV; EC256 for an EC P-256 certificate');
close $s if $s;

# 9. TLS 1.2 with a chosen cipher: the SSL_CIPHER sub-TLV is OpenSSL's name of it
($h, $s) = via_tls(8443, version => 'TLSv1_2', cipher => 'ECDHE-RSA-AES128-GCM-SHA256');
like($h // '', qr/\x23\0\x1bECDHE-RSA-AES128-GCM-SHA256/, 'SSL_CIPHER: the negotiated cipher\'s OpenSSL name');
close $s if $s;


# 10. a clear connection whose own PROXY header claims TLS (an SSL TLV, an ALPN TLV): the SSL
# TLV sent describes this connection (not TLS), no ALPN; the received authority is passed on
$c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8082), Proto => 'tcp',
    Timeout => 5);
my $in_tlvs = tlv(0x01, 'h2') . tlv(0x02, 'auth.test')
    . ssl_tlv(0x07, 0, [0x21, 'TLSv1.3'], [0x22, 'someone']);
my $in_addr = pack('C4 C4 n n', 192, 0, 2, 1, 192, 0, 2, 2, 1234, 443);
syswrite($c, $V2SIG . pack('C C n', 0x21, 0x11, length($in_addr . $in_tlvs)) . $in_addr . $in_tlvs) if $c;
$h = $c ? echoed_header($c) : '';
my $addr = pack('C4 C4 n n', 192, 0, 2, 1, 192, 0, 2, 2, 1234, 443);
my $rest = $addr . tlv(0x02, 'auth.test') . tlv(0x20, pack('C N', 0, 0));
is(hexs($h), hexs($V2SIG . pack('C C n', 0x21, 0x11, length $rest) . $rest),
    'accept-proxy with a received SSL TLV: the one sent says not TLS; the authority is passed on');
close $c if $c;
