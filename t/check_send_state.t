#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "http-check send-state": each HTTP check carries X-Haproxy-Server-State with the server's
# check state, its name and the node's name (portico sends no weight/scur/qcur fields).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(2);
$t->origin_http(port(8081), body => "ok\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    option httpchk GET /health
    http-check send-state
    server s1 127.0.0.1:%%PORT_8081%% check inter 100ms rise 2 fall 3
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my @h;
ok(wait_until(5, sub {
    @h = map { $_->{h}{'x-haproxy-server-state'} // '' } $t->origin_requests(port(8081));
    return scalar grep { /^UP; / } @h;
}, 0.05), 'checks carry the header once the server is fully up');
my ($v) = grep { /^UP; / } @h;
like($v // '', qr{^UP; name=be/s1; node=\S+$}, "state; name=backend/server; node=host ($v)");
