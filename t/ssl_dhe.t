#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# DHE cipher suites (ssl module) as HAProxy 2.6 with OpenSSL 3: none without DH parameters
# (a client offering only DHE fails, ECDHE still works); tune.ssl.default-dh-param: a
# predefined group the size of the RSA key, at most that value; DH parameters in the
# certificate's PEM file or in ssl-dh-param-file win; a file without any refused at -c.
# Real client: openssl s_client -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256.
# Passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(9);

my $d = $t->testdir;
sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; my $x = <$f>; $x }
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }
make_cert($d, 'r', 'r.test', rsa => 1);
my $o = qx{openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe3072 -out $d/dh.pem 2>&1};
die "openssl genpkey: $o" if $?;
spew("$d/rdh.pem", slurp("$d/r.pem") . slurp("$d/dh.pem"));
spew("$d/nodh.pem", slurp("$d/r.crt")); # a PEM file without DH parameters

my @dhe = ('-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256');
# The DH size the server used on PORT, or "failed"
sub dh_bits {
    my $out = s_client(port($_[0]), '', @dhe);
    return $out =~ /Server Temp Key: DH, (\d+) bits/ ? $1 : 'failed';
}
sub conf {
    my ($global) = @_;
    return <<"EOF2";
%%GLOBAL%%
$global
defaults
    mode http
    %%TIMEOUTS%%
frontend plain
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/r.pem
    http-request return status 200
frontend withdh
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/rdh.pem
    http-request return status 200
EOF2
}

$t->config(conf(''))->run();
is(dh_bits(8443), 'failed', 'no DH parameters: no DHE (the handshake fails)');
like(s_client(port(8443), '', '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
    qr/Cipher is ECDHE-RSA-AES128-GCM-SHA256/, 'ECDHE still works');
is(dh_bits(8444), '3072', 'the PEM file\'s DH parameters');
$t->stop;

$t->config(conf('    tune.ssl.default-dh-param 4096'))->run();
is(dh_bits(8443), '2048', 'tune.ssl.default-dh-param 4096: the size of the 2048-bit RSA key');
is(dh_bits(8444), '3072', 'the PEM file\'s DH parameters win');
$t->stop;

$t->config(conf('    tune.ssl.default-dh-param 1024'))->run();
is(dh_bits(8443), 'failed', 'tune.ssl.default-dh-param 1024: a 1024-bit group, refused by OpenSSL\'s security level');
$t->stop;

$t->config(conf("    ssl-dh-param-file $d/dh.pem\n    tune.ssl.default-dh-param 2048"))->run();
is(dh_bits(8443), '3072', 'ssl-dh-param-file wins over tune.ssl.default-dh-param');
$t->stop;

$t->config(conf("    ssl-dh-param-file $d/nodh.pem"));
my ($code, $out) = $t->check_config;
isnt($code, 0, 'ssl-dh-param-file without DH parameters: refused at -c');
like($out, qr/ssl-dh-param-file|DH param/i, 'with a message about it');
