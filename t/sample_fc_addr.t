#!/usr/bin/perl
# fc_src / fc_dst / fc_src_port / fc_dst_port: the connection's addresses (the peer's, as
# tcp-request connection set-src/set-dst left them), while src / dst follow the PROXY header,
# tcp-request session, tcp-request content and http-request set-src/set-dst (HAProxy 2.6's
# connection, session and stream levels).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081));
my $show = 'http-request return status 200 content-type text/plain lf-string '
    . '"%[var(sess.fs)]|%[var(sess.s)]|%[var(sess.fd)]|%[var(sess.d)]|%[var(txn.fs)]|%[var(txn.s)]|%[fc_src]|%[src]|%[fc_dst]|%[dst]|%[fc_src_port]"';
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe1
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request connection set-src ipv4(10.0.0.1)
    tcp-request connection set-dst ipv4(10.0.0.2)
    tcp-request session set-src ipv4(10.1.0.1)
    tcp-request session set-dst ipv4(10.1.0.2)
    tcp-request session set-var(sess.fs) fc_src
    tcp-request session set-var(sess.s) src
    tcp-request session set-var(sess.fd) fc_dst
    tcp-request session set-var(sess.d) dst
    tcp-request content set-src ipv4(10.2.0.1)
    tcp-request content set-var(txn.fs) fc_src
    tcp-request content set-var(txn.s) src
    http-request set-dst ipv4(10.3.0.2) if { path /h }
    $show
    default_backend be
frontend fe2
    bind 127.0.0.1:%%PORT_8082%% accept-proxy
    tcp-request session set-var(sess.fs) fc_src
    tcp-request session set-var(sess.s) src
    http-request set-src hdr(x-forwarded-for)
    $show
    default_backend be
EOF2

sub req { "GET $_[0] HTTP/1.1\r\nHost: x\r\n" . ($_[1] // '') . "\r\n" }
my @r = http_keepalive(req('/a'), req('/h', "Connection: close\r\n"), {port => port(8080)});
like($r[0] && $r[0]{body},
    qr{^10\.0\.0\.1\|10\.1\.0\.1\|10\.0\.0\.2\|10\.1\.0\.2\|10\.0\.0\.1\|10\.2\.0\.1\|10\.0\.0\.1\|10\.2\.0\.1\|10\.0\.0\.2\|10\.1\.0\.2\|\d+$},
    'connection, session and request levels');
like($r[1] && $r[1]{body},
    qr{^10\.0\.0\.1\|10\.1\.0\.1\|10\.0\.0\.2\|10\.1\.0\.2\|10\.0\.0\.1\|10\.2\.0\.1\|10\.0\.0\.1\|10\.2\.0\.1\|10\.0\.0\.2\|10\.3\.0\.2\|\d+$},
    'http-request set-dst: dst only');
my ($port) = ($r[0] && $r[0]{body}) =~ /(\d+)$/;
ok($port && $port > 0, 'fc_src_port is the client port');

@r = http_keepalive("PROXY TCP4 192.0.2.7 127.0.0.1 4242 80\r\n"
    . req('/p', "X-Forwarded-For: 198.51.100.9\r\nConnection: close\r\n"), {port => port(8082)});
my @f = split /\|/, ($r[0] && $r[0]{body}) // '', -1;
is("$f[0] $f[1]", '127.0.0.1 192.0.2.7', 'session rules: src is the PROXY header address');
is("$f[6] $f[7]", '127.0.0.1 198.51.100.9', 'fc_src is the peer, src follows http-request set-src');
isnt($f[10], '4242', 'fc_src_port is the peer port, not the PROXY header one');
