#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A server flapping under load: mode http, two servers, s1's health endpoint fails and
# recovers twice while requests flow without pause. Every request succeeds; s1 is marked
# DOWN and UP twice; after each DOWN line no request reaches s1 later than one check
# interval after it, until it is UP again. Also passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
my $dir = $t->testdir;
sub app {
    my ($name) = @_;
    return sub {
        my ($req) = @_;
        if ($req->{uri} eq '/health') {
            return (-e "$dir/fail_$name" ? 503 : 200, [], "health\n");
        }
        open my $fh, '>>', "$dir/hits_$name" or die;
        printf $fh "%.4f\n", time;
        close $fh;
        return (200, [], $name);
    };
}
$t->origin_http(port(8081), handler => app('a'));
$t->origin_http(port(8082), handler => app('b'));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    balance roundrobin
    option httpchk GET /health
    server s1 127.0.0.1:%%PORT_8081%% check inter 200ms rise 2 fall 2
    server s2 127.0.0.1:%%PORT_8082%% check inter 200ms rise 2 fall 2
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $inter = 0.2;

# The flap schedule (seconds from the start): s1's health fails, recovers, fails, recovers.
my @schedule = ([0.6, 'fail'], [2.2, 'ok'], [3.8, 'fail'], [5.4, 'ok']);
my (@down_at, @up_at);
my ($ok, $bad, $n_down, $n_up) = (0, 0, 0, 0);
my $t0 = time;
while (time - $t0 < 7.5) {
    while (@schedule && time - $t0 >= $schedule[0][0]) {
        my (undef, $what) = @{shift @schedule};
        if ($what eq 'fail') { open my $fh, '>', "$dir/fail_a" or die; close $fh }
        else { unlink "$dir/fail_a" }
    }
    my $r = http_parse(http_get('/', timeout => 5));
    $r && $r->{status} == 200 ? $ok++ : $bad++;
    my $log = $t->errlog;
    my $d = () = $log =~ m{Server be/s1 is DOWN}g;
    my $u = () = $log =~ m{Server be/s1 is UP}g;
    push @down_at, time while $n_down < $d && ++$n_down;
    push @up_at, time while $n_up < $u && ++$n_up;
    sleep 0.01;
}
ok($ok > 50, "requests kept flowing ($ok)");
is($bad, 0, 'no request failed while s1 flapped');
is(scalar @down_at, 2, 's1 marked DOWN twice');
is(scalar @up_at, 2, 's1 marked UP twice');

my @hits = split /\n/, $t->read_file('hits_a');
my @late;
for my $i (0 .. $#down_at) {
    my $from = $down_at[$i] + $inter + 0.05;    # one interval (plus the log poll's slack)
    # the UP line is noticed after the request that follows it: a hit just before that
    # moment may already be legitimate
    my $to = ($up_at[$i] // time) - 0.3;
    push @late, grep { $_ > $from && $_ < $to } @hits;
}
is(scalar @late, 0, 'no request reaches s1 later than one interval after its DOWN line')
    or diag("late hits: @late; down at @down_at; up at @up_at");
ok(@up_at && scalar(grep { $_ > $up_at[-1] } @hits) > 3, 'and s1 serves again after UP');
ok(@up_at && @down_at > 1 && scalar(grep { $_ > $up_at[0] && $_ < $down_at[1] } @hits) > 3,
    's1 served between its two DOWN periods');
