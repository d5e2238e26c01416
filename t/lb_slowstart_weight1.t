#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# slowstart with the default weight 1: the dynamic algorithms weigh servers with the fine
# effective weight (the user weight in 1/256 units), so a weight-1 server leaving
# maintenance ramps its share from almost nothing to 1:1 over its slowstart window, while
# "show stat" keeps showing whole weights (1). roundrobin and leastconn, 2 workers.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send show_stat keepalive_load response_shares /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);
for my $p ([8081, 'a'], [8082, 'b']) {
    my $body = $p->[1];
    $t->origin_http(port($p->[0]), handler => sub {
        my ($req) = @_;
        select(undef, undef, undef, 0.01) if $req->{uri} =~ /slow/;
        return (200, ['Content-Type' => 'text/plain'], $body);
    });
}
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 10s
listen rr
    bind 127.0.0.1:%%PORT_8080%%
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%% slowstart 4s disabled
listen lc
    bind 127.0.0.1:%%PORT_8090%%
    balance leastconn
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%% slowstart 4s disabled
EOF2
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

sub sstat { show_stat($sock) }


sub rising {
    my (@s) = @_;
    for my $i (1 .. $#s) { return 0 if $s[$i] < $s[$i - 1] - 0.04 || $s[$i] < 0 }
    return $s[0] >= 0;
}

sub fmt { join ' ', map { sprintf '%.3f', $_ } @_ }

# ---- roundrobin: share of b = f / (256 + f), f growing from 1 to 256 over 4 s -------------
# (by second: about 0.11, 0.27, 0.38, 0.47, then 0.5; with whole weights it was 0.5 at once)
is(cli('set server rr/b state ready'), "\n", 'rr/b leaves maintenance');
my $ref = time;
my @w;
my @res = keepalive_load(port => port(8080), uri => '/', conc => 4, ref => $ref, dur => 4.6,
    tick => sub { push @w, sstat()->{'rr/b'}{weight} });
my @sh = response_shares(\@res, 'b', 0, 1, 2, 3, 4, 4.6);
diag(sprintf "roundrobin: %d requests, share of weight-1 b by second: %s", scalar @res,
    fmt(@sh));
ok(@res >= 800, 'roundrobin: enough requests over the window (' . scalar(@res) . ')');
ok(rising(@sh), 'roundrobin: share of b rises bucket after bucket');
ok($sh[0] < 0.25 && $sh[1] < 0.40, 'roundrobin: b starts well below its 1:1 share');
ok($sh[-1] > 0.42 && $sh[-1] < 0.58, 'roundrobin: b ends at the 1:1 share');
ok(!grep({ $_ != 1 } @w), "show stat weight of rr/b stays 1 (@w)");

# ---- leastconn (concurrent, slow responses) --------------------------------------------------
is(cli('set server lc/b state ready'), "\n", 'lc/b leaves maintenance');
$ref = time;
@res = keepalive_load(port => port(8090), uri => '/slow', conc => 12, ref => $ref, dur => 4.6);
@sh = response_shares(\@res, 'b', 0, 1, 2, 3, 4, 4.6);
diag(sprintf "leastconn: %d requests, share of weight-1 b by second: %s", scalar @res,
    fmt(@sh));
ok(@res >= 800, 'leastconn: enough requests over the window (' . scalar(@res) . ')');
ok(rising(@sh) && $sh[0] < 0.25, 'leastconn: share of b rises from below 0.25');
ok($sh[-1] > 0.35, 'leastconn: b ends near its 1:1 share');
