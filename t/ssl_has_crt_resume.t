#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ssl_fc_has_crt on a resumed TLS session: the certificate was not shown in this handshake,
# so it is false, while ssl_c_used (the session's certificate) and ssl_c_s_dn stay (HAProxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(4);
my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'srv', 'srv.test', ca => 'ca');
make_cert($d, 'cli', 'cli.test', client => 1, ca => 'ca');

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend tls
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem ca-file $d/ca.crt verify optional
    http-request return status 200 content-type text/plain lf-string "crt=%[ssl_fc_has_crt] used=%[ssl_c_used] cn=%[ssl_c_s_dn(CN)] resumed=%[ssl_fc_is_resumed]\\n"
EOF2

my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my @o = ('-tls1_2', '-cert', "$d/cli.crt", '-key', "$d/cli.key");
my $r1 = s_client(port(8443), $req, @o, '-sess_out', "$d/sess");
like($r1, qr/crt=1 used=1 cn=cli\.test resumed=0/, 'full handshake: the certificate is shown and used');
my $r2 = s_client(port(8443), $req, @o, '-sess_in', "$d/sess");
like($r2, qr/^Reused, /m, 'the second connection resumes the session');
like($r2, qr/crt=0 used=1 cn=cli\.test resumed=1/, 'resumed: ssl_fc_has_crt false, ssl_c_used true');
my $r3 = s_client(port(8443), $req, '-tls1_2');
like($r3, qr/crt=0 used=0 cn= resumed=0/, 'no certificate: both false');
