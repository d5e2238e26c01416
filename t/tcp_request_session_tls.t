#!/usr/bin/perl
# tcp-request session rules run after the TLS handshake: they see the SNI (ssl_fc_sni), may
# reject by it, and keep it in a session variable for every request of the connection.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(3);
$SIG{PIPE} = 'IGNORE';
my $d = $t->testdir;
make_cert($d, 'a', 'a.test', sans => [qw/ a.test bad.test /]);
$t->origin_http(port(8081));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%% ssl crt $d/a.pem
    tcp-request session reject if { ssl_fc_sni bad.test }
    tcp-request session set-var(sess.sni) ssl_fc_sni
    http-request return status 200 content-type text/plain lf-string "sni=%[var(sess.sni)]"
    default_backend be
EOF2

my ($resp) = https_get(port(8080), '/', sni => 'a.test', host => 'a.test');
like($resp // '', qr/^HTTP\/1\.1 200 .*\r\n\r\nsni=a\.test$/s, 'the session rule saw the SNI');
($resp) = https_get(port(8080), '/', sni => 'bad.test', host => 'bad.test');
unlike($resp // '', qr/^HTTP/, 'rejected by SNI after the handshake');
($resp) = https_get(port(8080), '/', sni => 'a.test', host => 'a.test');
like($resp // '', qr/sni=a\.test$/, 'a later connection is served');
