#!/usr/bin/perl
# Fault: slowloris. 500 connections each send one byte of a request head per second while
# normal clients keep sending requests: the normal clients are served with a p99 latency
# close to the unloaded one, and the slow connections are cut by "timeout http-request"
# (3 s here), not before. (The issue's 5 000 connections are for a larger machine: set
# PORTICO_SLOWLORIS=N to try more.)
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port http_get /;
use Test::Portico::Load qw/ percentile /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), body => 'ok');
my $nslow = $ENV{PORTICO_SLOWLORIS} // 500;
$t->config(<<'EOF2')->run();
global
    maxconn 20000
defaults
    mode http
    %%TIMEOUTS%%
    timeout http-request 3s
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub timed_get {
    my $t0 = time;
    my $r = http_get('/', timeout => 5) // '';
    return [time - $t0, $r =~ m{^HTTP/1\.1 200 } ? 1 : 0];
}

timed_get() for 1 .. 5; # warm up
my @base = map { timed_get() } 1 .. 60;
my $p99_base = percentile(99, map { $_->[0] } @base);

my (@slow, %opened, %closed);
my $sel = IO::Select->new;
for my $i (1 .. $nslow) {
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp',
        Timeout => 3) or last;
    $s->blocking(0);
    push @slow, $s;
    $opened{fileno $s} = time;
    $sel->add($s);
}
my $head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " . ('a' x 64);
my $pos = 0;
my $start = time;
my $next_byte = $start;
my @loaded;
while (time - $start < 6) {
    if (time >= $next_byte) {
        my $c = substr($head, $pos++ % length $head, 1);
        for my $s (@slow) { syswrite($s, $c) unless $closed{fileno $s} }
        $next_byte += 1;
    }
    for my $s ($sel->can_read(0)) {
        my $n = sysread($s, my $buf, 4096);
        next if !defined $n && $!{EAGAIN};
        if (!$n) { $closed{fileno $s} //= time; $sel->remove($s) }
    }
    push @loaded, timed_get();
    sleep 0.02;
}
my $p99_load = percentile(99, map { $_->[0] } @loaded);

is(scalar @slow, $nslow, "$nslow slow connections opened");
ok(!grep({ !$_->[1] } @base, @loaded), 'every normal request served ('
    . scalar(@loaded) . ' during the slowloris)');
cmp_ok($p99_load, '<', 2 * $p99_base + 0.05, sprintf('normal p99 %.1f ms under load, %.1f ms '
    . 'unloaded (bound: twice + 50 ms)', 1000 * $p99_load, 1000 * $p99_base));
my @cut = grep { defined $closed{fileno $_} } @slow;
cmp_ok(scalar @cut, '>=', 0.95 * $nslow, scalar(@cut) . " of $nslow slow connections cut");
my @early = grep { $closed{fileno $_} - $opened{fileno $_} < 2.5 } @cut;
is(scalar @early, 0, 'none before timeout http-request');
my @lat = map { $closed{fileno $_} - $opened{fileno $_} } @cut;
cmp_ok(percentile(100, @lat) || 99, '<', 5.5, sprintf('all cut within %.1fs', percentile(100, @lat)));
close $_ for @slow;
