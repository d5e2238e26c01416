#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option abortonclose": a client that closes its side while its request waits in the
# queue for a server slot is dropped (the server never sees the request); without the
# option the request is still served after the slot frees, as HTTP allows.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    sleep 1 if $req->{uri} =~ /slow/;
    return (200, ['Content-Type' => 'text/plain'], "done $req->{uri}");
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 5s
listen plain
    bind 127.0.0.1:%%PORT_8080%%
    server s 127.0.0.1:%%PORT_8081%% maxconn 1
listen abort
    bind 127.0.0.1:%%PORT_8090%%
    option abortonclose
    server s 127.0.0.1:%%PORT_8081%% maxconn 1
EOF2

# a slow request holds the only slot; a second one is queued, then its client half-closes
sub queued_then_closed {
    my ($port, $tag) = @_;
    my $slow = http("GET /slow-$tag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        port => port($port), start => 1);
    sleep 0.2;
    my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    syswrite($c, "GET /queued-$tag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    sleep 0.2;
    shutdown($c, SHUT_WR);
    my $sel = IO::Select->new($c);
    my ($got, $t0) = ('', time);
    while (time - $t0 < 4 && $sel->can_read(4 - (time - $t0))) {
        my $n = sysread($c, $got, 4096, length $got);
        last unless $n;
    }
    my $t_eof = time;
    http_end($slow, timeout => 5);
    return ($got, $t_eof < time - 0.05 ? 'before' : 'after');
}

my ($got, $dt) = queued_then_closed(8080, 'plain');
like($got, qr/^HTTP\/1\.1 200.*done \/queued-plain/s, 'without the option: the half-closed client is served once the slot frees');
ok(scalar(grep { $_->{uri} eq '/queued-plain' } $t->origin_requests(port(8081))), '... the server saw it');
($got, $dt) = queued_then_closed(8090, 'abort');
is($got, '', 'abortonclose: the half-closed client gets no response');
is($dt, 'before', '... and is closed at once, before the slot frees');
sleep 1.2;
ok(!grep({ $_->{uri} eq '/queued-abort' } $t->origin_requests(port(8081))), '... the server never saw the request');
$t->config("defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1\n    option abortonclose\n");
my ($rc, $out) = $t->check_config;
like($out, qr/abortonclose/, 'option abortonclose in a frontend: refused (HAProxy: ignored with a warning)');
