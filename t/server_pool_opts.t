#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Server options of the idle connection pool: pool-max-conn (0: no idle connection kept,
# N: at most N), pool-purge-delay (idle connections closed after it), pool-low-conn
# (accepted), and their limits in show stat (src_ilim; qlimit for maxqueue). Also against
# HAProxy 2.6 (nbthread 1: one pool).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port show_stat /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), handler => sub { sleep 0.3; (200, [], 'c') });
$t->config(<<'EOF2')->run();
global
    nbthread 1
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    http-reuse always
backend nopool
    server a 127.0.0.1:%%PORT_8081%% pool-max-conn 0 maxqueue 7
backend purge
    server b 127.0.0.1:%%PORT_8082%% pool-purge-delay 300ms pool-low-conn 2
backend one
    server c 127.0.0.1:%%PORT_8083%% pool-max-conn 1
frontend f_nopool
    bind 127.0.0.1:%%PORT_8091%%
    default_backend nopool
frontend f_purge
    bind 127.0.0.1:%%PORT_8092%%
    default_backend purge
frontend f_one
    bind 127.0.0.1:%%PORT_8093%%
    default_backend one
EOF2

sub conns {
    my ($port) = @_;
    my %c;
    $c{$_->{conn}}++ for $t->origin_requests(port($port));
    return scalar keys %c;
}
sub get { http_parse(http("GET /$_[1] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    port => port($_[0]))) }

get(8091, $_) for 1 .. 3;
is(conns(8081), 3, 'pool-max-conn 0: no idle connection kept, one per request');

get(8092, 1);
get(8092, 2);
is(conns(8082), 1, 'pool-purge-delay: a request soon after reuses the idle connection');
sleep 2.5; # the purge runs at most every second
get(8092, 3);
is(conns(8082), 2, '... one after the delay does not: it was closed');

# pool-max-conn 1: two client connections in parallel leave two server connections
# behind; only one is kept idle, so two later ones need one new connection
my @s = map { http("GET /p$_ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    port => port(8093), start => 1) } 1, 2;
Test::Portico::http_end($_) for @s;
my $before = conns(8083);
my @l = map { http("GET /q$_ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    port => port(8093), start => 1) } 1, 2;
Test::Portico::http_end($_) for @l;
is($before, 2, 'pool-max-conn 1: two parallel requests, two server connections');
is(conns(8083), 3, '... then one of the two was kept idle: two more parallel requests open one');

my $stat = show_stat($t->testdir . '/stats.sock');
my $st = $stat->{'nopool/a'};
is($st && $st->{src_ilim}, '0', 'show stat: src_ilim is pool-max-conn');
is($st && $st->{qlimit}, '7', 'show stat: qlimit is maxqueue');
$st = $stat->{'purge/b'};
is($st && $st->{src_ilim}, '', 'show stat: no src_ilim without pool-max-conn');
