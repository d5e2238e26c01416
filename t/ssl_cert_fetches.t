#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The certificate fetches of the three families: ssl_c_* (the client's, on the frontend),
# ssl_f_* (the one the frontend showed) and ssl_s_* (the server's, on the backend
# connection), against values read from the generated certificates with openssl x509;
# the DN <format> rfc2253; ssl_fc_cipherlist_xxh (XXH64 of the whole cipher list, even
# past tune.ssl.capture-buffer-size) against the xxh64 converter on the same bytes; %ft.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(29);
my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'srv', 'srv.test', rsa => 1, ca => 'ca', serial => '1234');
make_cert($d, 'cli', 'cli.test', client => 1, ca => 'ca', serial => '0A0B');

sub x509 { my ($f, $o) = @_; my $v = qx{openssl x509 -in $f -noout $o}; chomp $v; $v }
sub der_hex { my ($f) = @_; uc unpack('H*', scalar qx{openssl x509 -in $f -outform DER}) }
sub sha1 { my $v = x509($_[0], '-fingerprint -sha1'); $v =~ s/.*=//; $v =~ s/://g; uc $v }

my $fam = join ' ', map { my $w = $_;
    "$w.s_dn=%[ssl_${w}_s_dn] $w.cn=%[ssl_${w}_s_dn(CN)] $w.i_dn=%[ssl_${w}_i_dn] "
    . "$w.rfc=%[ssl_${w}_s_dn(,0,rfc2253)] $w.serial=%[ssl_${w}_serial,hex] "
    . "$w.sha1=%[ssl_${w}_sha1,hex] $w.der=%[ssl_${w}_der,hex] $w.sig=%[ssl_${w}_sig_alg] "
    . "$w.key=%[ssl_${w}_key_alg] $w.ver=%[ssl_${w}_version] "
    . "$w.na=%[ssl_${w}_notafter] $w.nb=%[ssl_${w}_notbefore]" } qw/ c f /;
(my $sfam = $fam) =~ s/\b(c)\.|ssl_c_/$1 ? 's.' : 'ssl_s_'/ge;
$sfam = (split / f\.s_dn/, $sfam)[0];

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    tune.ssl.capture-buffer-size 2
defaults
    mode http
    %%TIMEOUTS%%
frontend tls
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem ca-file $d/ca.crt verify optional
    log stderr format raw local0
    log-format "logline ft=%ft f=%f"
    http-request return status 200 content-type text/plain lf-string "$fam xxh=%[ssl_fc_cipherlist_xxh] ref=%[bin(C02F003500FF),xxh64] hex=%[ssl_fc_cipherlist_hex]\\n"
frontend clear
    bind 127.0.0.1:%%PORT_8080%%
    log stderr format raw local0
    log-format "logline ft=%ft f=%f"
    default_backend be
backend be
    http-response set-header x-s "$sfam s.chain=%[ssl_s_chain_der,hex]"
    server tls 127.0.0.1:%%PORT_8443%% ssl verify none crt $d/cli.pem
EOF2

my $r = http_parse(http_get('/', port => port(8080))) // {};
my ($st, $body) = ($r->{status} // 0, $r->{body} // '');
my $xs = $r->{h}{'x-s'} // '';
$xs = $xs->[0] if ref $xs;
is($st, 200, 'request through the TLS server connection');
my %v;
my $all = "$body $xs ";
$all =~ s/\n/ /g;
$v{$1} = $2 while ($all =~ /(\w+\.\w+)=(.*?) (?=\w+\.\w+=|\w+=|\s*$)/g);

is($v{'c.s_dn'}, '/O=portico tests/CN=cli.test', 'ssl_c_s_dn');
is($v{'c.cn'}, 'cli.test', 'ssl_c_s_dn(CN)');
is($v{'c.i_dn'}, '/CN=ca', 'ssl_c_i_dn');
is($v{'c.rfc'}, 'CN=cli.test,O=portico tests', 'ssl_c_s_dn(,0,rfc2253)');
is($v{'c.serial'}, '0A0B', 'ssl_c_serial');
is($v{'c.sha1'}, sha1("$d/cli.crt"), 'ssl_c_sha1');
is($v{'c.der'}, der_hex("$d/cli.crt"), 'ssl_c_der');
is($v{'c.sig'}, 'ecdsa-with-SHA256', 'ssl_c_sig_alg');
is($v{'c.key'}, 'id-ecPublicKey', 'ssl_c_key_alg');
is($v{'c.ver'}, '3', 'ssl_c_version');
like($v{'c.na'} // '', qr/^\d{12}Z$/, 'ssl_c_notafter: YYMMDDhhmmssZ');
ok(($v{'c.nb'} // 'z') lt ($v{'c.na'} // ''), 'ssl_c_notbefore before ssl_c_notafter');

is($v{'f.s_dn'}, '/O=portico tests/CN=srv.test', 'ssl_f_s_dn');
is($v{'f.serial'}, '1234', 'ssl_f_serial');
is($v{'f.sha1'}, sha1("$d/srv.crt"), 'ssl_f_sha1');
is($v{'f.der'}, der_hex("$d/srv.crt"), 'ssl_f_der');
is($v{'f.key'}, 'rsaEncryption', 'ssl_f_key_alg');
is($v{'f.ver'}, '3', 'ssl_f_version');

is($v{'s.s_dn'}, '/O=portico tests/CN=srv.test', 'ssl_s_s_dn');
is($v{'s.i_dn'}, '/CN=ca', 'ssl_s_i_dn');
is($v{'s.sha1'}, sha1("$d/srv.crt"), 'ssl_s_sha1');
is($v{'s.sig'}, 'ecdsa-with-SHA256', 'ssl_s_sig_alg');
is($v{'s.chain'}, der_hex("$d/srv.crt"), 'ssl_s_chain_der: the chain the server sent (its certificate)');

like($t->wait_log(qr/logline ft=tls~ /, 5) // '', qr/^logline ft=tls~ f=tls$/, '%ft: the frontend name then ~ on a TLS connection (%f without)');
like($t->wait_log(qr/logline ft=clear /, 5) // '', qr/^logline ft=clear f=clear$/, '%ft: the name alone in clear');

my $out = s_client(port(8443), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA');
my ($xxh) = $out =~ / xxh=(-?\d+) /;
my ($ref) = $out =~ / ref=(-?\d+) /;
my ($hex) = $out =~ / hex=(\S*)/;
is($hex, 'C02F', 'the capture keeps 2 bytes of the list');
ok(defined $ref && $ref ne '', 'the xxh64 of the offered list');
is($xxh, $ref, 'ssl_fc_cipherlist_xxh: XXH64 of the whole list, past the capture size');
