#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# OCSP stapling (ssl module): ".ocsp" side files made by "openssl ocsp" at test time, loaded
# with their certificate (issuer from the PEM's chain or a ".issuer" side file), stapled
# when the client asks (openssl s_client -status), nothing for a certificate without one;
# the runtime API's "show ssl ocsp-response" (IDs, one response's details) and "set ssl
# ocsp-response" (a revoked response reaches every worker; a response for no loaded
# certificate and bad base64 refused); -c refuses a ".ocsp" whose issuer cannot be found.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use MIME::Base64 qw/ encode_base64 /;
use lib 't/lib';
use Test::Portico qw/ port cli_send wait_until /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(17);

my $d = $t->testdir;
sub sh { my $o = qx{@_ 2>&1}; die "@_: $o" if $?; $o }
sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; my $x = <$f>; $x }
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }

make_ca($d, 'ca');
make_cert($d, 'a', 'a.test', sans => ['a.test'], ca => 'ca', serial => '1001');
make_cert($d, 'b', 'b.test', sans => ['b.test'], ca => 'ca', serial => '1002');
make_cert($d, 'c', 'c.test', sans => ['c.test'], ca => 'ca', serial => '1003');
# a.pem carries its issuer in its chain; b's issuer is in b.pem.issuer
spew("$d/a.pem", slurp("$d/a.crt") . slurp("$d/ca.crt") . slurp("$d/a.key"));
spew("$d/b.pem.issuer", slurp("$d/ca.crt"));

# An OCSP response for NAME (good, or revoked) signed by the CA.
sub ocsp_response {
    my ($name, $serial, $revoked) = @_;
    my $idx = "$d/index-$name.txt";
    spew($idx, ($revoked ? "R\t301231000000Z\t260101000000Z" : "V\t301231000000Z\t")
        . "\t$serial\tunknown\t/CN=$name.test\n");
    sh("openssl ocsp -issuer $d/ca.crt -cert $d/$name.crt -no_nonce -reqout $d/$name.req");
    my $out = "$d/$name-" . ($revoked ? 'revoked' : 'good') . '.der';
    sh("openssl ocsp -index $idx -rsigner $d/ca.crt -rkey $d/ca.key -CA $d/ca.crt"
        . " -reqin $d/$name.req -respout $out -ndays 1");
    return $out;
}
sh("cp " . ocsp_response('a', '1001') . " $d/a.pem.ocsp");
sh("cp " . ocsp_response('b', '1002') . " $d/b.pem.ocsp");
my $a_revoked = ocsp_response('a', '1001', 1);
my $c_good = ocsp_response('c', '1003');

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    nbthread 2
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem crt $d/b.pem crt $d/c.pem
    http-request return status 200 content-type text/plain string ok
EOF2
my $port = port(8443);
my $sock = "$d/cli.sock";
my $req = "GET / HTTP/1.0\r\n\r\n";
sub status_of { s_client($port, $req, '-status', '-servername', $_[0]) }

my $o = status_of('a.test');
like($o, qr/OCSP Response Status: successful/, 'a: a response is stapled (issuer in the chain)');
like($o, qr/Cert Status: good/, 'a: good');
like(status_of('b.test'), qr/Cert Status: good/, 'b: stapled (issuer in b.pem.issuer)');
like(status_of('c.test'), qr/OCSP response: no response sent/, 'c: no .ocsp, nothing stapled');
unlike(s_client($port, $req, '-servername', 'a.test'), qr/OCSP Response Status/,
    'nothing stapled unless the client asks');

my $ids = cli_send($sock, "show ssl ocsp-response\n");
like($ids, qr/^# Certificate IDs\n/, 'show ssl ocsp-response: header');
my @keys = $ids =~ /^Certificate ID key : ([0-9a-f]+)$/mg;
is(scalar @keys, 2, 'show ssl ocsp-response: the two certificates with a response');
like($ids, qr/^ Certificate ID:\n   Issuer Name Hash: [0-9A-F]+\n   Issuer Key Hash: [0-9A-F]+\n   Serial Number: 1001$/m,
    'show ssl ocsp-response: the certificate ID of a');
my ($akey) = $ids =~ /^Certificate ID key : ([0-9a-f]+)\n Certificate ID:\n(?:.*\n){2}   Serial Number: 1001$/m;
my $detail = cli_send($sock, "show ssl ocsp-response " . ($akey // 'none') . "\n");
like($detail, qr/OCSP Response Status: successful.*Serial Number: 1001.*Cert Status: good/s,
    'show ssl ocsp-response <id>: the response');
like(cli_send($sock, "show ssl ocsp-response 3031\n"), qr/Certificate ID does not match any certificate/,
    'show ssl ocsp-response <unknown id>');

# a revoked response for a, from the runtime API: every worker staples it
my $b64 = encode_base64(slurp($a_revoked), '');
like(cli_send($sock, "set ssl ocsp-response $b64\n"), qr/OCSP Response updated!/, 'set ssl ocsp-response');
my $all = wait_until(5, sub {
    my $n = 0;
    for (1 .. 6) { $n++ if status_of('a.test') =~ /Cert Status: revoked/ }
    return $n == 6;
}, 0.2);
ok($all, 'the revoked response is stapled by every worker');
like(cli_send($sock, "set ssl ocsp-response " . encode_base64(slurp($c_good), '') . "\n"),
    qr/OCSP single response: Certificate ID does not match any certificate or issuer\./,
    'a response for a certificate loaded without .ocsp: refused');
like(cli_send($sock, "set ssl ocsp-response !!!\n"), qr/received invalid base64 encoded response/,
    'bad base64: refused');
like(cli_send($sock, "set ssl ocsp-response\n"), qr/expects response in base64 encoding/,
    'no response: refused');

# -c: a .ocsp whose issuer is nowhere
sh("cp $d/b.pem.ocsp $d/c.pem.ocsp");
my $bad = "$d/bad.cfg";
spew($bad, "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
    . "frontend fe\n    bind 127.0.0.1:1 ssl crt $d/c.pem\n");
my ($rc, $out) = $t->run_binary('-c', '-f', $bad);
isnt($rc, 0, '-c: a .ocsp without its issuer is refused');
like($out, qr/c\.pem\.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID/,
    '-c: the reason') or diag($out);
