#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "proto h1" on a bind and on a server (HAProxy's forced HTTP/1 multiplexer) is accepted and
# serves; another multiplexer (h2, fcgi) is refused at -c with file:line.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%% proto h1
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%% proto h1
EOF2
my $r = http_parse(http_get('/'));
is($r && $r->{body}, 'a', 'bind and server with proto h1 serve');

SKIP: {
    skip 'portico messages', 2 unless Test::Portico::portico();
    my $c = Test::Portico->new();
    $c->config(<<'EOF2');
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%% proto h2
EOF2
    my ($st, $out) = $c->check_config;
    isnt($st, 0, 'proto h2 is refused');
    like($out, qr/portico\.cfg:7: 'proto h2': only 'proto h1' is supported/, '... with file:line');
}
