#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API server states over two workers: disable/enable server, set server state
# drain (an in-flight slow request completes 200 while new requests go elsewhere) and
# maint, and what show stat / show servers state report for them.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(19);
my $slow = sub {
    my ($name) = @_;
    return sub {
        my ($req) = @_;
        sleep 1.5 if $req->{uri} eq '/slow';
        return (200, ['Content-Type' => 'text/plain'], $name);
    };
};
$t->origin_http(port(8081), handler => $slow->('a'));
$t->origin_http(port(8082), handler => $slow->('b'));
# HAProxy's own alert when the last server of 'be' goes into maintenance
$t->ignore_alerts(qr/backend 'be' has no server available!/);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

sub cli { cli_send($sock, "$_[0]\n") }

# Bodies of N requests on separate connections, counted.
sub spread {
    my ($n) = @_;
    my %c;
    for (1 .. $n) {
        my $r = http_parse(http_get('/'));
        $c{$r ? $r->{body} : 'failed'}++;
    }
    return join(' ', map { "$_=$c{$_}" } sort keys %c);
}

sub status_of {
    my ($srv) = @_;
    my ($line) = grep { /^be,$srv,/ } split /\n/, cli('show stat');
    return (split /,/, $line // '')[17] // '?';
}

is(spread(6), 'a=3 b=3', 'both servers ready: 3 + 3');

is(cli('disable server be/a'), "\n", 'disable server: empty answer');
is(status_of('a'), 'MAINT', 'show stat: MAINT');
is(spread(6), 'b=6', 'disabled server gets no request (both workers)');
is(cli('enable server be/a'), "\n", 'enable server');
is(spread(6), 'a=3 b=3', 'enabled again');

# drain: an in-flight slow request on a completes; new requests go to b
cli('set server be/b state maint');
my $s = http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
is(cli('set server be/a state drain'), "\n", 'set server state drain');
cli('set server be/b state ready');
is(status_of('a'), 'DRAIN', 'show stat: DRAIN');
my ($st) = grep { / a / } split /\n/, cli('show servers state be');
is((split / /, $st)[6], 8, 'show servers state: admin state 8 (drain)');
is(spread(6), 'b=6', 'draining server gets no new request');
my $r = http_parse(http_end($s));
is($r && $r->{status}, 200, 'in-flight request on the draining server completes: 200');
is($r && $r->{body}, 'a', '... served by the draining server');

# maint: nothing new at all; back to ready
is(cli('set server be/a state maint'), "\n", 'set server state maint');
is(spread(4), 'b=4', 'server in maint gets nothing');
($st) = grep { / a / } split /\n/, cli('show servers state be');
is(join(' ', (split / /, $st)[5, 6]), '0 1', 'show servers state: stopped, admin 1');
is(cli('set server be/a state bogus'),
    "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n", 'bad state');
is(cli('set server be/a state ready'), "\n", 'set server state ready');
is(spread(6), 'a=3 b=3', 'ready again: shared');
is(cli('disable server be/zz'), "No such server.\n\n", 'unknown server');
