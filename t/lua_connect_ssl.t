#!/usr/bin/perl
# Lua Socket:connect_ssl() (lua/examples/connect_ssl.lua) through the ssl module's TLS
# client (no verification, as HAProxy's): a raw HTTP exchange with a TLS origin from a
# service, a handshake with a server that does not speak TLS failing cleanly, and
# core.httpclient() with an https:// URL sending and receiving 100 KB.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(5);
$SIG{PIPE} = 'IGNORE';
my $script = File::Spec->rel2abs('lua/examples/connect_ssl.lua');

my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'origin', 'origin.test', sans => ['origin.test'], ca => 'ca');
$t->origin_https(port(8081), echo => 1, cert => "$d/origin.crt", key => "$d/origin.key");
$t->origin_tcp(port(8082)); # echoes the ClientHello back
$ENV{SSL_ORIGIN} = '127.0.0.1:' . port(8081);
$ENV{PLAIN_ORIGIN} = '127.0.0.1:' . port(8082);
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.not_tls if { path /not_tls }
    http-request use-service lua.hc if { path /hc }
    http-request use-service lua.raw
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/raw1'));
is($r && $r->{status}, 200, 'service: 200');
is($r && $r->{body}, "HTTP/1.1 200 OK | GET /raw1 HTTP/1.1 | nil connection closed. | true\n",
    'connect_ssl, send, receive("*l") and receive("*a") over TLS; "*a" after the close: nil; getpeername') or diag($r && $r->{raw});

$r = http_parse(http_get('/not_tls'));
like($r ? $r->{body} : "", qr/^connect_ssl failed: (?!timeout)\S/,
    'a server that does not speak TLS: connect_ssl returns nil and the reason')
    or diag($r && $r->{raw});

SKIP: {
    skip('HAProxy 2.6: httpclient in a service', 1) unless $t->portico;
    $r = http_parse(http_get('/hc'));
    like($r ? $r->{body} : '', qr/^200 100000 \d+ true$/,
        'httpclient with an https:// URL: 100 KB each way') or diag($r && $r->{raw});
}
