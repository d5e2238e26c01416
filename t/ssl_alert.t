#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A TLS handshake that fails on the client side is answered with OpenSSL's alert before the
# connection closes, as HAProxy does (not a bare close): "protocol version" to an old
# protocol, "handshake failure" without a shared cipher. Read with OpenSSL's own client.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ tcp ssl /)->plan(3);
my $d = $t->testdir;
make_cert($d, 'a', 'a.test', rsa => 1);
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256
    tcp-request content reject
EOF2

like(s_client(port(8443), '', '-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0'), qr/alert protocol version/,
    'an old protocol gets the "protocol version" alert');
like(s_client(port(8443), '', '-tls1_2', '-cipher', 'AES256-SHA'), qr/alert handshake failure/,
    'no shared cipher gets the "handshake failure" alert');
like(s_client(port(8443), '', '-tls1_2'), qr/Cipher is ECDHE-RSA-AES128-GCM-SHA256/,
    'a good client still completes its handshake');
