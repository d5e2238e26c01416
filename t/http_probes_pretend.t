#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option http-ignore-probes": a connection that closes or times out before sending a byte
# gets no 400/408 and leaves no log line (without it: a 408 and a log line);
# "option http-pretend-keepalive" with http-server-close: the server is not told
# "Connection: close", yet the server connection is closed after the response.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    log stderr format raw local0
defaults
    mode http
    log global
    option httplog
    %%TIMEOUTS%%
    timeout http-request 500ms
frontend plain
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend probes
    bind 127.0.0.1:%%PORT_8090%%
    option http-ignore-probes
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
listen close
    bind 127.0.0.1:%%PORT_8091%%
    option http-server-close
    server s 127.0.0.1:%%PORT_8081%%
listen pretend
    bind 127.0.0.1:%%PORT_8092%%
    option http-server-close
    option http-pretend-keepalive
    server s 127.0.0.1:%%PORT_8081%%
EOF2

# connects, sends nothing, waits for the proxy to act (bounded): what came back
sub idle_conn {
    my ($port, $close_first) = @_;
    my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    if ($close_first) { close $c; return '' }
    my $sel = IO::Select->new($c);
    my $got = '';
    my $t0 = time;
    while (time - $t0 < 3 && $sel->can_read(3)) { sysread($c, $got, 4096, length $got) or last }
    return $got;
}
sub log_lines { my ($fe) = @_; scalar grep { / \Q$fe\E / && /\[\d\d\/\w+\/\d{4}:/ } split /\n/, $t->errlog }

like(idle_conn(8080), qr/^HTTP\/1\.1 408/, 'default: an idle new connection gets a 408');
ok(wait_until(3, sub { log_lines('plain') >= 1 }), '... and is logged');
is(idle_conn(8090), '', 'http-ignore-probes: no 408, just the close');
idle_conn(8090, 1);
sleep 0.5;
is(log_lines('probes'), 0, 'http-ignore-probes: neither the timeout nor the close is logged');
is(http_parse(http_get('/x', port => port(8090)))->{status}, 200, 'http-ignore-probes: real requests are served');
like(http_parse(http_get('/', port => port(8091)))->{body}, qr/^connection: close\r$/mi,
    'http-server-close: the server is told Connection: close');
unlike(http_parse(http_get('/', port => port(8092)))->{body}, qr/^connection: close\r$/mi,
    'http-pretend-keepalive: it is not');
