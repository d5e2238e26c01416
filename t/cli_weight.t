#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API weights: set weight / set server ... weight change the distribution in every
# worker; get weight; relative weights; limits; static algorithms accept only 0%/100%.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%% weight 10
    server b 127.0.0.1:%%PORT_8082%% weight 10
backend st
    balance source
    server x 127.0.0.1:%%PORT_8081%% weight 10
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

sub cli { cli_send($sock, "$_[0]\n") }

sub spread {
    my ($n) = @_;
    my %c;
    for (1 .. $n) {
        my $r = http_parse(http_get('/'));
        $c{$r ? $r->{body} : 'failed'}++;
    }
    return \%c;
}

is(cli('get weight be/a'), "10 (initial 10)\n\n", 'get weight');
is(cli('set weight be/a 30'), "\n", 'set weight');
is(cli('get weight be/a'), "30 (initial 10)\n\n", 'get weight after set weight');
my $c = spread(40);
is_deeply($c, { a => 30, b => 10 }, 'weights 30:10 give 3:1 over 40 requests (2 workers)');
is(cli('set server be/b weight 0'), "\n", 'set server weight 0');
is_deeply(spread(6), { a => 6 }, 'weight 0: no traffic');
is(cli('set server be/b weight 50%'), "\n", 'relative weight');
is(cli('get weight be/b'), "5 (initial 10)\n\n", '50% of the initial weight');
is(cli('set weight be/a 300'), "Absolute weight can only be between 0 and 256 inclusive.\n\n",
    'weight above 256 refused');
is(cli('set weight be/a'), "Require <weight> or <weight%>.\n\n", 'missing weight');
is(cli('get weight be/zz'), "No such server.\n\n", 'unknown server');
is(cli('get weight zz/a'), "No such backend.\n\n", 'unknown backend');
is(cli('set weight st/x 5'),
    "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n",
    'static algorithm: other weights refused');
is(cli('set weight st/x 0%'), "\n", 'static algorithm: 0% accepted');
