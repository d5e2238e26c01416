#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# send-proxy-v2 with proxy-v2-options unique-id: each request of a keep-alive client gets a
# PROXY header with its own unique ID, so a server connection of its own (HAProxy 2.6 keys its
# connection reuse on the whole PROXY header: reg-tests/connection/
# proxy_protocol_send_unique_id.vtc); without the option the stream's server connection is
# reused by its next request.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port show_stat /;

my $t = Test::Portico->new()->has(qw/ http proxy_protocol /)->plan(6);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    unique-id-format TEST-%[req.hdr(in)]
listen sender
    bind 127.0.0.1:%%PORT_8080%%
    unique-id-header unique_id
    server r 127.0.0.1:%%PORT_8090%% send-proxy-v2 proxy-v2-options unique-id
listen sender_plain
    bind 127.0.0.1:%%PORT_8081%%
    server r 127.0.0.1:%%PORT_8091%% send-proxy-v2
listen receiver
    bind 127.0.0.1:%%PORT_8090%% accept-proxy
    http-request return status 200 hdr x-got "%[req.hdr(unique_id)] %[fc_pp_unique_id]"
listen receiver_plain
    bind 127.0.0.1:%%PORT_8091%% accept-proxy
    http-request return status 200 hdr x-got "n=%[fc_pp_unique_id]"
EOF2

sub got { my ($r) = @_; return undef unless $r; my ($h) = grep { lc $_->[0] eq 'x-got' } @{$r->{headers}}; return $h && $h->[1] }

my @r = http_keepalive(map { "GET / HTTP/1.1\r\nHost: x\r\nin: $_\r\n\r\n" } qw/ foo bar baz /);
is(got($r[0]), 'TEST-foo TEST-foo', 'first request: its unique ID in the header and the PROXY TLV');
is(got($r[1]), 'TEST-bar TEST-bar', 'second request on the connection: its own unique ID in the TLV');
is(got($r[2]), 'TEST-baz TEST-baz', 'third request: its own too');
my $st = show_stat($t->testdir . '/cli.sock');
is($st->{'receiver/FRONTEND'}{stot}, 3, 'one server connection per request');

@r = http_keepalive((map { "GET / HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. 3), { port => port(8081) });
is(scalar(grep { defined got($_) } @r), 3, 'without unique-id: three answers');
$st = show_stat($t->testdir . '/cli.sock');
is($st->{'receiver_plain/FRONTEND'}{stot}, 1, 'without unique-id: the server connection is reused');
