#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A context forged by "generate-certificates" (kept in the worker's cache) follows the runtime
# API's "set/commit ssl ca-file" and "set/commit ssl crl-file" of its bind, as the bind's own
# contexts do: a client certificate refused by the forged context before a commit is accepted
# by that same cached context after it, and a CRL committed later revokes it there.
# Beyond HAProxy 2.6, whose cached forged contexts keep the CA store they were made with (the
# assert that shows it is skipped there). openssl s_client with client certificates;
# certificates made at test time.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(8);
my $d = $t->testdir;
sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; return <$f> }
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }
sub ossl { my $o = qx{openssl @_ 2>&1}; die "openssl @_: $o" if $?; $o }

make_ca($d, 'sign');  # ca-sign-file: forges the certificates
make_ca($d, 'ca1');
make_ca($d, 'ca2');
spew("$d/sign.pem", slurp("$d/sign.crt") . slurp("$d/sign.key"));
make_cert($d, 'srv', 'server.test', sans => ['server.test'], ca => 'sign');
make_cert($d, 'c2', 'client2', client => 1, ca => 'ca2', serial => '2002');
spew("$d/trust.crt", slurp("$d/ca1.crt"));

# CRLs of ca2: empty, then revoking c2
mkdir "$d/crl" or die;
spew("$d/crl/index.txt", '');
spew("$d/crl/crlnumber", "01\n");
spew("$d/crl/ca.cnf", "[ca]\ndefault_ca = d\n[d]\ndatabase = $d/crl/index.txt\n"
    . "crlnumber = $d/crl/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n");
my $ca2 = "-config $d/crl/ca.cnf -keyfile $d/ca2.key -cert $d/ca2.crt";
ossl("ca $ca2 -gencrl -out $d/crl-empty.pem");
ossl("ca $ca2 -revoke $d/c2.crt");
ossl("ca $ca2 -gencrl -out $d/crl-revoked.pem");
spew("$d/revoked.pem", slurp("$d/crl-empty.pem")); # the bind's CRL file, changed at run time

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    nbthread 1
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend gen
    bind 127.0.0.1:%%PORT_8443%% ssl generate-certificates crt $d/srv.pem ca-sign-file $d/sign.pem ca-file $d/trust.crt crl-file $d/revoked.pem verify required
    http-request return status 200 content-type text/plain lf-string "cn=%[ssl_c_s_dn(CN)] fcn=%[ssl_f_s_dn(CN,2)]\\n"
EOF2
my $sock = "$d/cli.sock";

my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my @c2 = ('-servername', 'forged.test', '-tls1_2', '-cert', "$d/c2.crt", '-key', "$d/c2.key");

# the forged context for forged.test is made (and cached) by this handshake: ca2 not trusted
my $o = s_client(port(8443), $req, @c2);
unlike($o, qr/cn=client2/, 'before the commit: a client of ca2 is refused');
like($o, qr/subject=CN\s*=\s*sign, CN\s*=\s*forged\.test/, 'the certificate served is the one forged for the name');

like(cli_send($sock, "set ssl ca-file $d/trust.crt <<\n" . slurp("$d/ca1.crt") . slurp("$d/ca2.crt") . "\n"),
     qr/updated|Transaction/i, 'set ssl ca-file: ca1 and ca2');
like(cli_send($sock, "commit ssl ca-file $d/trust.crt\n"), qr/Success/i, 'commit ssl ca-file');

$o = s_client(port(8443), $req, @c2);
SKIP: {
    # HAProxy 2.6 keeps the store a forged context was made with until it leaves the cache
    skip 'HAProxy: a cached forged context keeps its CA store', 1 unless $t->portico;
    like($o, qr/cn=client2 fcn=forged\.test/, 'after the commit: the cached forged context trusts ca2');
}

like(cli_send($sock, "set ssl crl-file $d/revoked.pem <<\n" . slurp("$d/crl-revoked.pem") . "\n"),
     qr/updated|Transaction/i, 'set ssl crl-file: c2 revoked');
like(cli_send($sock, "commit ssl crl-file $d/revoked.pem\n"), qr/Success/i, 'commit ssl crl-file');
$o = s_client(port(8443), $req, @c2);
unlike($o, qr/cn=client2/, 'after the CRL commit: the forged context refuses the revoked certificate');
