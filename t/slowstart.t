#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# slowstart module: a server with "slowstart" ramps its effective weight (and maxconn) up
# over the window when it comes into service: at a cold start of the instance, after
# "set server ... state maint" then "state ready", and for a server added at run time.
# Shares are measured in time buckets under concurrent load (2 workers): roundrobin and
# leastconn follow the ramp; "show stat" shows the weight rising; a malformed time is a
# configuration error with file:line.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send show_stat keepalive_load response_shares /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(19);
for my $p ([8081, 'a'], [8082, 'b'], [8083, 'c']) {
    my $body = $p->[1];
    $t->origin_http(port($p->[0]), handler => sub {
        my ($req) = @_;
        select(undef, undef, undef, 0.01) if $req->{uri} =~ /slow/;
        select(undef, undef, undef, 0.05) if $req->{uri} =~ /mc/;
        return (200, ['Content-Type' => 'text/plain'], $body);
    });
}
my $t0 = time;
$t->config(<<'EOF')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 10s
listen cold
    bind 127.0.0.1:%%PORT_8090%%
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%% weight 100
    server b 127.0.0.1:%%PORT_8082%% weight 100 slowstart 3s
listen rr
    bind 127.0.0.1:%%PORT_8080%%
    balance roundrobin
    default-server weight 100
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%% slowstart 4s
listen lc
    bind 127.0.0.1:%%PORT_8091%%
    balance leastconn
    default-server weight 100 slowstart 4s
    server a 127.0.0.1:%%PORT_8081%% slowstart 0
    server b 127.0.0.1:%%PORT_8082%%
listen mc
    bind 127.0.0.1:%%PORT_8092%%
    balance roundrobin
    server c 127.0.0.1:%%PORT_8083%% maxconn 20 slowstart 3s disabled
EOF
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

sub sstat { show_stat($sock) }


sub rising {
    my (@s) = @_;
    for my $i (1 .. $#s) { return 0 if $s[$i] < $s[$i - 1] - 0.04 || $s[$i] < 0 }
    return $s[0] >= 0;
}

sub fmt { join ' ', map { sprintf '%.3f', $_ } @_ }

# ---- cold start: "cold" b ramps over 3 s from the instance start -----------------------
# (the listeners exist before the workers: wait until the workers have set the ramp)
my $w_early;
for (1 .. 50) { $w_early = sstat()->{'cold/b'}{weight} // 0; last if $w_early < 100; sleep 0.02 }
my @res = keepalive_load(port => port(8090), uri => '/', conc => 4, ref => $t0, dur => 3.6);
my @sh = response_shares(\@res, 'b', 0, 1, 2, 3, 3.6);
diag(sprintf "cold start: %d requests, share of b by second: %s", scalar @res, fmt(@sh));
ok($w_early >= 1 && $w_early < 60, "cold start: show stat weight of b early in the ramp ($w_early)");
ok(rising(@sh) && $sh[0] < 0.3 && $sh[-1] > $sh[0] + 0.15, 'cold start: share of b rises');
ok(@res >= 600, 'cold start: enough requests (' . scalar(@res) . ')');

# ---- maint -> ready: roundrobin ------------------------------------------------------------
# wait for the cold-start ramps of rr/b and lc/b (4 s) to end
for (1 .. 50) { last if sstat()->{'rr/b'}{weight} == 100 && sstat()->{'lc/b'}{weight} == 100; sleep 0.1 }
is(sstat()->{'rr/b'}{weight}, 100, 'rr/b: full weight after its cold-start ramp');
is(cli('set server rr/b state maint'), "\n", 'rr/b to maintenance');
sleep 0.3; # longer than the module's polling period (100 ms)
is(cli('set server rr/b state ready'), "\n", 'rr/b ready again');
my $ref = time;
my @w;
@res = keepalive_load(port => port(8080), uri => '/', conc => 4, ref => $ref, dur => 4.6,
    tick => sub { push @w, sstat()->{'rr/b'}{weight} });
@sh = response_shares(\@res, 'b', 0, 1, 2, 3, 4, 4.6);
diag(sprintf "roundrobin: %d requests, share of b by second: %s", scalar @res, fmt(@sh));
diag("roundrobin: show stat weight of rr/b every 0.5 s: @w");
ok(@res >= 1000, 'roundrobin: at least 1000 requests over the window (' . scalar(@res) . ')');
ok(rising(@sh), 'roundrobin: share of b rises bucket after bucket');
ok($sh[0] < 0.25 && $sh[-1] > 0.4 && $sh[-1] < 0.6,
    'roundrobin: starts low, ends at the 1:1 share of the weights');
my $mono = 1;
$w[$_] < $w[$_ - 1] and $mono = 0 for 1 .. $#w;
ok($mono && $w[0] < 40 && $w[-1] == 100, "show stat weight rises to 100 (@w)");

# ---- maint -> ready: leastconn (concurrent, slow responses) --------------------------------
my $m = cli('set server lc/b state maint');
sleep 0.3;
is($m . cli('set server lc/b state ready'), "\n\n", 'lc/b maint then ready');
$ref = time;
@res = keepalive_load(port => port(8091), uri => '/slow', conc => 12, ref => $ref, dur => 4.6);
@sh = response_shares(\@res, 'b', 0, 1, 2, 3, 4, 4.6);
diag(sprintf "leastconn: %d requests, share of b by second: %s", scalar @res, fmt(@sh));
ok(@res >= 1000, 'leastconn: at least 1000 requests over the window (' . scalar(@res) . ')');
ok(rising(@sh) && $sh[0] < 0.25 && $sh[-1] > 0.35, 'leastconn: share of b rises');

# ---- maxconn ramps with the weight: a lone server with maxconn 20 --------------------------
is(cli('set server mc/c state ready'), "\n", 'mc/c leaves maintenance');
$ref = time;
my @scur;
@res = keepalive_load(port => port(8092), uri => '/mc', conc => 24, ref => $ref, dur => 3.4,
    tick => sub { push @scur, sstat()->{'mc/c'}{scur} });
diag("maxconn ramp: scur of mc/c every 0.5 s: @scur");
ok($scur[0] <= 4 && $scur[-1] >= 15 && $scur[-1] <= 20,
    "effective maxconn ramps from 1 to 20 (scur @scur)");

# ---- a server added at run time ramps from its first appearance ----------------------------
is(cli('add server rr/d 127.0.0.1:' . port(8083) . ' weight 100 slowstart 2s'),
    "New server registered.\n\n", 'add server with slowstart');
cli('set server rr/d state ready');
sleep 0.5;
my $wd = sstat()->{'rr/d'}{weight};
ok($wd >= 1 && $wd < 60, "added server: weight early in its ramp ($wd)");
my $wd2;
for (1 .. 40) { $wd2 = sstat()->{'rr/d'}{weight}; last if $wd2 == 100; sleep 0.1 }
is($wd2, 100, 'added server: full weight after 2 s');

# ---- configuration errors --------------------------------------------------------------------
my $bad = $t->write_file('bad.cfg', <<'EOF');
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend be
    server a 127.0.0.1:1 slowstart 10x
EOF
my ($rc, $out) = $t->run_binary('-c', '-f', $bad);
ok($rc != 0 && $out =~ /bad\.cfg:7\b.*slowstart/, 'malformed slowstart time: error at file:line')
    or diag($out);
