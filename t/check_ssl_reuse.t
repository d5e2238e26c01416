#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# TLS session reuse toward servers (no-ssl-reuse off by default): a server connection and a
# health check both resume the last session of their server, whichever made it, as HAProxy
# keeps one per server; "no-ssl-reuse" makes every handshake a full one. The origin is a TLS
# listener of the proxy under test answering 200 only on a resumed session. One thread (one
# worker): sessions are kept per thread, as in HAProxy.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until http_get http_parse /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl check /) if Test::Portico::portico();
$t->plan(10);
$t->ignore_alerts(qr{has no server available});

my $d = $t->testdir;
make_cert($d, 'a', 'a.test', sans => ['a.test']);
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    nbthread 1
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    http-reuse never
    %%TIMEOUTS%%
    timeout check 2s
    default-server inter 150ms rise 1 fall 1
listen origin
    bind 127.0.0.1:%%PORT_8081%% ssl crt $d/a.pem
    http-request return status 200 content-type text/plain string "resumed\\n" if { ssl_fc_is_resumed }
    http-request return status 503 content-type text/plain string "full\\n"
backend chk
    option httpchk GET /
    server r 127.0.0.1:%%PORT_8081%% ssl verify none check
backend chknoreuse
    option httpchk GET /
    server n 127.0.0.1:%%PORT_8081%% ssl verify none check no-ssl-reuse
frontend traffic
    bind 127.0.0.1:%%PORT_8080%%
    use_backend chk if { path_beg /chk }
    use_backend noreuse if { path_beg /noreuse }
    default_backend plain
backend plain
    server p 127.0.0.1:%%PORT_8081%% ssl verify none
backend noreuse
    server q 127.0.0.1:%%PORT_8081%% ssl verify none no-ssl-reuse
EOF2

my $sock = "$t->{tmp}/cli.sock";
sub st { my $r = show_stat($sock)->{$_[0]} // {}; ($r->{check_status} // '') =~ s/^\* //r }
sub get { my $r = http_parse(http_get($_[0], port => port(8080))); $r ? $r->{status} : 0 }

ok(wait_until(5, sub { st('chk/r') eq 'L7OK' }), 'a health check resumes the session of the previous check: L7OK');
is(st('chknoreuse/n'), 'L7STS', 'no-ssl-reuse: every check makes a full handshake (503)');
# the checks went on meanwhile: chknoreuse/n made several full handshakes
ok(wait_until(5, sub { (show_stat($sock)->{'origin/FRONTEND'}{req_tot} // 0) >= 6 }), 'several checks ran');
is(st('chknoreuse/n'), 'L7STS', 'no-ssl-reuse: still no resumption');

is(get('/plain/1'), 503, 'first connection to a server: full handshake');
is(get('/plain/2'), 200, 'the next connection to that server resumes its session');
is(get('/plain/3'), 200, 'and the next one again (a resumed connection does not spoil it)');
is(get('/chk/1'), 200, 'a connection resumes the session its server\'s health check made');
is(get('/noreuse/1'), 503, 'no-ssl-reuse on the server: full handshake');
is(get('/noreuse/2'), 503, 'no-ssl-reuse: still a full handshake');
