#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module's "generate-certificates" with "ca-sign-file" / "ca-sign-pass": a client
# asking for a name no certificate serves gets a certificate forged for it (the CA's subject
# plus CN=<name>, a DNS SAN, the default certificate's key), signed by the CA and verifiable
# against it; forged certificates are cached per worker (tune.ssl.ssl-ctx-cache-size); names with a
# certificate get theirs. As HAProxy 2.6 (reg-tests/ssl/ssl_generate_certificate.vtc).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert https_get s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(19);
$SIG{PIPE} = 'IGNORE';
my $d = $t->testdir;

sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; return <$f> }
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }

make_ca($d, 'ca');
spew("$d/ca.pem", slurp("$d/ca.crt") . slurp("$d/ca.key"));
make_cert($d, 'srv', 'server.test', sans => ['server.test'], ca => 'ca');
# the CA with its key under a passphrase
system("openssl pkey -in $d/ca.key -aes256 -passout pass:s3cret -out $d/ca-enc.key 2>/dev/null") == 0
    or die 'openssl pkey';
spew("$d/ca-enc.pem", slurp("$d/ca.crt") . slurp("$d/ca-enc.key"));

my $info = 'cn=%[ssl_f_s_dn(CN)] icn=%[ssl_f_i_dn(CN)] sha1=%[ssl_f_sha1,hex] sni=%[ssl_fc_sni]\n';
$t->config(<<"EOF")->run();
%%GLOBAL%%
    nbthread 1
defaults
    mode http
    %%TIMEOUTS%%
frontend gen
    bind 127.0.0.1:%%PORT_8443%% ssl generate-certificates crt $d/srv.pem ca-sign-file $d/ca.pem alpn http/1.1
    http-request return status 200 content-type text/plain lf-string "$info"
frontend strict
    bind 127.0.0.1:%%PORT_8444%% ssl strict-sni generate-certificates crt $d/srv.pem ca-sign-file $d/ca.pem
    http-request return status 200 content-type text/plain lf-string "$info"
EOF

my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
sub body { my $p = http_parse($_[0] // ''); return $p ? $p->{body} : '' }

# ---- forged for an unknown name ----------------------------------------------------------------
my $o = s_client(port(8443), $req, '-servername', 'forged.example', '-CAfile', "$d/ca.crt",
    '-verify_return_error', '-verify_hostname', 'forged.example', '-showcerts');
like($o, qr/^Verify return code: 0 \(ok\)/m, 'forged certificate: verified against the CA, for the name');
like($o, qr{^\s*0 s:CN\s*=\s*ca, CN\s*=\s*forged\.example$}m, "subject: the CA's subject plus CN=<name>");
like($o, qr{^\s*0 s:.*\n\s+i:CN\s*=\s*ca$}m, 'issuer: the CA');
like($o, qr{^\s*1 s:CN\s*=\s*ca$}m, 'the CA is sent as the chain');
like($o, qr/^Server public key is 256 bit/m, "the default certificate's key");
my $pem = ($o =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----)/s)[0] // '';
spew("$d/forged.crt", $pem);
my $text = qx{openssl x509 -in $d/forged.crt -noout -text 2>&1};
like($text, qr/DNS:forged\.example/, 'subjectAltName DNS:<name>');
like($text, qr/CA:FALSE/, 'basicConstraints CA:FALSE');

my ($r1) = https_get(port(8443), '/', sni => 'forged.example');
my ($r2) = https_get(port(8443), '/', sni => 'forged.example');
my ($r3) = https_get(port(8443), '/', sni => 'other.example');
my ($s1) = body($r1) =~ /sha1=(\w+)/;
my ($s2) = body($r2) =~ /sha1=(\w+)/;
my ($s3) = body($r3) =~ /sha1=(\w+)/;
like(body($r1), qr/^cn=ca icn=ca sha1=\w+ sni=forged\.example$/,
    'ssl_f_s_dn(CN) is the first CN (the CA\'s), as in the reg-test');
is($s2 // 'x', $s1 // 'y', 'the same name again: the cached certificate');
isnt($s3 // 'x', $s1 // 'x', 'another name: another certificate');

# ---- names with a certificate, no SNI ---------------------------------------------------------
my ($r4) = https_get(port(8443), '/', sni => 'server.test');
like(body($r4), qr/^cn=server\.test icn=ca /, 'a name the crt serves: that certificate');
$o = s_client(port(8443), $req, '-noservername');
like($o, qr{^\s*0 s:.*CN\s*=\s*server\.test$}m, 'no SNI: the default certificate');

# ---- resumption: a session of another certificate is not resumed with a forged one ---------------
s_client(port(8443), $req, '-tls1_2', '-servername', 'server.test', '-sess_out', "$d/s1");
$o = s_client(port(8443), $req, '-tls1_2', '-servername', 'res.example', '-sess_in', "$d/s1",
    '-sess_out', "$d/s2");
ok($o =~ /^New,/m && $o =~ /CN\s*=\s*res\.example/, "server.test's session: not resumed for a forged name");
SKIP: {
    # HAProxy 2.6's forged contexts have no session id context: it never resumes them
    skip 'HAProxy does not resume sessions of forged certificates', 1 unless Test::Portico::portico();
    $o = s_client(port(8443), $req, '-tls1_2', '-servername', 'res.example', '-sess_in', "$d/s2");
    ok($o =~ /^Reused,/m && $o =~ /CN\s*=\s*res\.example/, "the forged certificate's own session: resumed");
}

# ---- strict-sni: an unknown name is forged, not refused ----------------------------------------
SKIP: {
    # HAProxy 2.6.12 forges it but its forged context then fails the handshake here
    # ("SSL_CTX_set0_tmp_dh_pkey: dh key too small" in its debug output)
    skip 'HAProxy 2.6.12 fails this handshake', 1 unless Test::Portico::portico();
    my ($r5) = https_get(port(8444), '/', sni => 'x.example');
    like(body($r5), qr/sni=x\.example/, 'strict-sni with generate-certificates: forged');
}

# ---- no cache: forged at every handshake ---------------------------------------------------------
SKIP: {
# HAProxy 2.6.12 fails these handshakes (its uncached forged context)
skip 'HAProxy 2.6.12 fails the handshakes without a cache', 1 unless Test::Portico::portico();
my $t2 = Test::Portico->new();
$t2->config(<<"EOF")->run();
global
    nbthread 1
    tune.ssl.ssl-ctx-cache-size 0
defaults
    mode http
    %%TIMEOUTS%%
frontend gen
    bind 127.0.0.1:%%PORT_8445%% ssl generate-certificates crt $d/srv.pem ca-sign-file $d/ca.pem
    http-request return status 200 content-type text/plain lf-string "$info"
EOF
($r1) = https_get(port(8445), '/', sni => 'forged.example');
($r2) = https_get(port(8445), '/', sni => 'forged.example');
($s1) = body($r1) =~ /sha1=(\w+)/;
($s2) = body($r2) =~ /sha1=(\w+)/;
ok($s1 && $s2 && $s1 ne $s2, 'tune.ssl.ssl-ctx-cache-size 0: a new certificate at each handshake')
    or diag(body($r1) . ' / ' . body($r2));
$t2->stop;
}

# ---- configuration --------------------------------------------------------------------------------
my $bad = Test::Portico->new();
sub check {
    my ($bind, $global) = @_;
    $bad->config("global\n" . ($global // '') . "defaults\n    mode http\n    timeout client 1s\n"
        . "    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:1 ssl crt $d/srv.pem $bind\n");
    return $bad->check_config;
}
my ($rc, $out) = check('generate-certificates');
ok($rc != 0 && $out =~ /cannot enable certificate generation, no CA certificate File configured/,
    '-c: generate-certificates without ca-sign-file') or diag($out);
SKIP: {
    skip 'ca-sign-pass: HAProxy 2.6 parses it but does not use it', 2 unless Test::Portico::portico();
    ($rc, $out) = check("generate-certificates ca-sign-file $d/ca-enc.pem ca-sign-pass s3cret");
    is($rc, 0, '-c: an encrypted CA key with ca-sign-pass') or diag($out);
    ($rc, $out) = check("generate-certificates ca-sign-file $d/ca-enc.pem ca-sign-pass wrong");
    ok($rc != 0 && $out =~ /Failed to read CA certificate file/, '-c: a wrong ca-sign-pass') or diag($out);
}
