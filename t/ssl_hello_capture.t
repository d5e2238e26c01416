#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# tune.ssl.capture-buffer-size: the client's ClientHello kept for the ssl_fc_cipherlist_*,
# ssl_fc_extlist_bin, ssl_fc_eclist_bin, ssl_fc_ecformats_bin and ssl_fc_protocol_hello_id
# fetches, read with OpenSSL's own client offering a known list; GREASE filtering; the
# lists are cut to the capture size.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(6);
my $d = $t->testdir;
make_cert($d, 'a', 'a.test', rsa => 1);
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    tune.ssl.capture-buffer-size 64
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem
    http-request return status 200 content-type text/plain lf-string "hex=%[ssl_fc_cipherlist_hex] str=%[ssl_fc_cipherlist_str] id=%[ssl_fc_protocol_hello_id] ecf=%[ssl_fc_ecformats_bin,hex] ec=%[ssl_fc_eclist_bin,hex] ext=%[ssl_fc_extlist_bin,hex] nogrease=%[ssl_fc_cipherlist_hex(1)]\\n"
EOF2

my $out = s_client(port(8443), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA', '-groups', 'X25519:P-256');
my ($body) = $out =~ /^(hex=.*)$/m;
$body //= "none: $out";
like($body, qr/^hex=C02F003500FF /, 'ssl_fc_cipherlist_hex: the suites offered, in order (and the SCSV)');
like($body, qr/ str=ECDHE-RSA-AES128-GCM-SHA256,AES256-SHA,\S+ /, 'ssl_fc_cipherlist_str: their names');
like($body, qr/ id=771 /, 'ssl_fc_protocol_hello_id: TLS 1.2 (0x0303)');
like($body, qr/ ec=001D0017 /, 'ssl_fc_eclist_bin: X25519, P-256');
like($body, qr/ ecf=00(0102)? /, 'ssl_fc_ecformats_bin: uncompressed first');
like($body, qr/ ext=(?:[0-9A-F]{4})*000A(?:[0-9A-F]{4})* nogrease=C02F003500FF$/, 'ssl_fc_extlist_bin lists supported_groups; no GREASE to filter');
