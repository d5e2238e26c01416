#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module: several certificates of different key types (RSA, ECDSA) for one name, from
# several "crt", from a crt-list (as HAProxy's reg-tests/ssl/ssl_crt-list_filters.vtc) and
# from a multi-certificate bundle (ssl-load-extra-files bundle: <crt>.rsa, <crt>.ecdsa): the
# handshake serves the one the client's signature algorithms and cipher suites allow, as
# HAProxy 2.6 does.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(31);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
make_cert($d, 'mr', 'multi.test', sans => ['multi.test'], rsa => 1);
make_cert($d, 'me', 'multi.test', sans => ['multi.test']);
# the reg-test's crt-list: an RSA certificate for wildcards, an ECDSA one for exact names
make_cert($d, 'common', 'common', rsa => 1);
make_cert($d, 'ecdsa', 'ecdsa');
open my $fh, '>', "$d/filters.crt-list" or die;
print $fh "$d/common.pem *.bug810.test record.bug810.test *.bug818.test !another.bug818.test\n";
print $fh "$d/ecdsa.pem record.bug810.test another.bug810.test *.bug818.test\n";
close $fh;
# a bundle: b.pem does not exist, b.pem.ecdsa and b.pem.rsa do (the RSA key in a side file)
make_cert($d, 'br', 'bundle.test', sans => ['bundle.test'], rsa => 1);
make_cert($d, 'be', 'bundle.test', sans => ['bundle.test']);
rename("$d/be.pem", "$d/b.pem.ecdsa") or die;
rename("$d/br.crt", "$d/b.pem.rsa") or die;
rename("$d/br.key", "$d/b.pem.rsa.key") or die;

$t->config(<<"EOF")->run();
%%GLOBAL%%
    stats socket $d/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend multi
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/mr.pem crt $d/me.pem
    http-request return status 200 content-type text/plain lf-string "cipher=%[ssl_fc_cipher]\\n"
frontend filters
    bind 127.0.0.1:%%PORT_8444%% ssl strict-sni crt-list $d/filters.crt-list
    http-request return status 200 content-type text/plain lf-string "cipher=%[ssl_fc_cipher]\\n"
frontend bundle
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/b.pem
    http-request return status 200 content-type text/plain lf-string "cipher=%[ssl_fc_cipher]\\n"
EOF

my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
# the key served: "RSA", "ECDSA", or "none" when the handshake failed
sub served {
    my ($port, @args) = @_;
    my $o = s_client($port, $req, @args);
    return 'none' unless $o =~ m{^HTTP/1\.1 200}m;
    my ($bits) = $o =~ /^Server public key is (\d+) bit/m;
    return !$bits ? '?' : $bits == 2048 ? 'RSA' : $bits == 256 ? 'ECDSA' : "$bits bits";
}
my @rsa12 = ('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256');
my @ec12 = ('-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256');
my @krsa = ('-tls1_2', '-cipher', 'kRSA');
my @ec13 = ('-tls1_3', '-sigalgs', 'ECDSA+SHA256');
my @rsa13 = ('-tls1_3', '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256');

# ---- two crt of different key types for one name ----------------------------------------------
my $p = port(8443);
my @sn = ('-servername', 'multi.test');
is(served($p, @sn, @rsa12), 'RSA', 'crt + crt: TLS 1.2 with an ECDHE-RSA cipher gets the RSA certificate');
is(served($p, @sn, @ec12), 'ECDSA', 'crt + crt: TLS 1.2 with an ECDHE-ECDSA cipher gets the ECDSA one');
is(served($p, @sn, @krsa), 'RSA', 'crt + crt: kRSA ciphers only (ECDSA signatures offered): RSA');
is(served($p, @sn, @ec13), 'ECDSA', 'crt + crt: TLS 1.3, -sigalgs ECDSA+SHA256: ECDSA');
is(served($p, @sn, @rsa13), 'RSA', 'crt + crt: TLS 1.3, -sigalgs RSA-PSS+SHA256:RSA+SHA256: RSA');
is(served($p, @sn), 'ECDSA', 'crt + crt: a client allowing both gets ECDSA (preferred)');
is(served($p, @sn, '-tls1_2', '-sigalgs', 'RSA+SHA256'), 'RSA',
    'crt + crt: TLS 1.2, -sigalgs RSA+SHA256 (ECDSA ciphers offered): RSA');
is(served($p), 'RSA', 'crt + crt: no SNI: the default certificate (the first crt)');
is(served($p, @ec12), 'none', 'crt + crt: no SNI and ECDSA ciphers only: no shared cipher with the default');
is(served($p, '-servername', 'other.test', @ec12), 'none',
    'crt + crt: an unknown name and ECDSA ciphers only: the default, no shared cipher');

# ---- crt-list (reg-tests/ssl/ssl_crt-list_filters.vtc) -------------------------------------------
$p = port(8444);
is(served($p, '-servername', 'another.bug810.test', @krsa), 'RSA',
    'crt-list: exact ECDSA name, RSA wildcard, a kRSA client: the wildcard RSA certificate');
is(served($p, '-servername', 'another.bug810.test', '-tls1_2', '-cipher', 'aECDSA'), 'ECDSA',
    'crt-list: the same name, an aECDSA client: the exact ECDSA certificate');
is(served($p, '-servername', 'another.bug818.test', @krsa), 'none',
    "crt-list: the RSA wildcard excluded by '!': only ECDSA left, a kRSA client fails");
is(served($p, '-servername', 'another.bug818.test', @ec12), 'ECDSA',
    "crt-list: the same name, an ECDSA client: the ECDSA wildcard");
is(served($p, '-servername', 'x.bug818.test', @krsa), 'RSA', 'crt-list: wildcard of both: RSA');
is(served($p, '-servername', 'x.bug818.test', @ec13), 'ECDSA', 'crt-list: wildcard of both: ECDSA');
is(served($p, '-servername', 'record.bug810.test', @rsa13), 'RSA', 'crt-list: exact name of both: RSA');
is(served($p, '-servername', 'record.bug810.test', @ec13), 'ECDSA', 'crt-list: exact name of both: ECDSA');
is(served($p, '-servername', 'nothing.test'), 'none', 'crt-list: strict-sni still refuses an unknown name');

# ---- bundle -------------------------------------------------------------------------------------------
$p = port(8445);
@sn = ('-servername', 'bundle.test');
is(served($p, @sn, @rsa12), 'RSA', 'bundle: b.pem.rsa (key in b.pem.rsa.key) for an RSA client');
is(served($p, @sn, @ec12), 'ECDSA', 'bundle: b.pem.ecdsa for an ECDSA client');
is(served($p, @sn, @rsa13), 'RSA', 'bundle: TLS 1.3 RSA');
is(served($p), 'ECDSA', 'bundle: no SNI: the default is the first loaded (.dsa, .ecdsa, .rsa)');
my $list = cli_send("$d/admin.sock", "show ssl cert\n");
like($list, qr{^\Q$d/b.pem.ecdsa\E$}m, 'show ssl cert: b.pem.ecdsa');
like($list, qr{^\Q$d/b.pem.rsa\E$}m, 'show ssl cert: b.pem.rsa');

# the runtime API replaces one certificate of the bundle (reg-tests/ssl/set_ssl_cert_bundle.vtc)
make_cert($d, 'br2', 'bundle2.test', sans => ['bundle.test'], rsa => 1);
my $pem = do { open my $f, '<', "$d/br2.pem" or die; local $/; <$f> };
like(cli_send("$d/admin.sock", "set ssl cert $d/b.pem.rsa <<\n$pem\n"),
    qr/^Transaction created for certificate \Q$d\E\/b\.pem\.rsa!$/m, 'set ssl cert b.pem.rsa');
like(cli_send("$d/admin.sock", "commit ssl cert $d/b.pem.rsa\n"), qr/Success!/, 'commit ssl cert b.pem.rsa');
sub subject_of {
    my $o = s_client(port(8445), $req, @_);
    return ($o =~ /^subject=.*CN\s*=\s*([\w.]+)/m)[0] // '';
}
my $deadline = time + 5;
sleep 0.1 while subject_of(@sn, @rsa12) ne 'bundle2.test' && time < $deadline;
is(subject_of(@sn, @rsa12), 'bundle2.test', 'bundle: the new RSA certificate served to RSA clients');
is(subject_of(@sn, @ec12), 'bundle.test', 'bundle: the ECDSA one unchanged');

# ---- configuration errors --------------------------------------------------------------------------
my $bad = Test::Portico->new();
$bad->config("global\n    ssl-load-extra-files key ocsp\ndefaults\n    mode http\n"
    . "    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n"
    . "    bind 127.0.0.1:1 ssl crt $d/b.pem\n");
my ($code, $o) = $bad->check_config;
ok($code != 0 && $o =~ /portico\.cfg:9\]? ?:.*unable to stat SSL certificate from file '[^']*b\.pem'/, '-c: a bundle without ssl-load-extra-files bundle is refused')
    or diag($o);
$bad->config("global\n    ssl-load-extra-files bundle key\ndefaults\n    mode http\n"
    . "    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n"
    . "    bind 127.0.0.1:1 ssl crt $d/b.pem\n");
($code, $o) = $bad->check_config;
is($code, 0, '-c: ssl-load-extra-files bundle key loads it') or diag($o);
