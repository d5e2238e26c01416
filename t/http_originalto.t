#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option originalto [except <network>] [header <name>]": the address the client connected
# to reaches the server in X-Original-To (or the named header), unless it is in the except
# network; the backend's setting wins over the frontend's.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
listen plain
    bind 127.0.0.1:%%PORT_8080%%
    option originalto
    server s 127.0.0.1:%%PORT_8081%%
listen named
    bind 127.0.0.1:%%PORT_8090%%
    option originalto header X-Dst
    server s 127.0.0.1:%%PORT_8081%%
listen except
    bind 127.0.0.1:%%PORT_8091%%
    option originalto except 127.0.0.0/8
    server s 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8092%%
    option originalto
    default_backend be
backend be
    option originalto header X-Be-Dst
    server s 127.0.0.1:%%PORT_8081%%
EOF2
sub head_of { my $r = http_parse(http_get('/', port => port($_[0]))); $r ? $r->{body} : '' }
like(head_of(8080), qr/^x-original-to: 127\.0\.0\.1\r$/mi, 'option originalto: X-Original-To with the local address');
like(head_of(8090), qr/^x-dst: 127\.0\.0\.1\r$/mi, 'header <name>: that header instead');
unlike(head_of(8091), qr/^x-original-to:/mi, 'except 127.0.0.0/8: no header for an address in it');
my $h = head_of(8092);
ok($h =~ /^x-be-dst: 127\.0\.0\.1\r$/mi && $h !~ /^x-original-to:/mi, "the backend's setting wins") or diag($h);
