#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Soak run of portico (make soak; not in CI): mixed traffic for SOAK_SECONDS (default 1800)
# through 2 workers to two Perl origins, one of them flapping (disabled / enabled through
# the runtime API every 200 ms): keep-alive clients, "Connection: close" clients and clients
# fetching a 1 MiB body. Every second the RSS and the open fds of the master and its workers
# are sampled; at the end it prints the request counts, the failures, the requests the
# flapping server got while disabled, and the least-squares slope of RSS and fd count after
# the first fifth (warm-up), and writes the samples to SOAK_OUT (default soak.csv).
# Environment: PORTICO_TEST_BINARY (default ./portico), SOAK_SECONDS, SOAK_OUT.
use warnings;
use strict;
use FindBin;
use lib "$FindBin::Bin/../../t/lib";
use Time::HiRes qw/ time sleep /;
use POSIX ();
use Test::More;
use Test::Portico qw/ port cli_send /;
use Test::Portico::Load qw/ http_load /;

my $dur = $ENV{SOAK_SECONDS} // 1800;
my $csv = $ENV{SOAK_OUT} // 'soak.csv';
my $big = 'x' x (1024 * 1024);
my $t = Test::Portico->new()->has(qw/ http /);
my $dir = $t->testdir;
$t->origin_http(port(8081), handler => sub { (200, [], $_[0]{uri} =~ /big/ ? $big : 'a') });
$t->origin_http(port(8082), handler => sub {
    if (open my $fh, '>>', "$dir/b_hits") { print $fh time, "\n" }
    (200, [], $_[0]{uri} =~ /big/ ? $big : 'b');
});
$t->config(<<'EOF2')->run();
global
    maxconn 10000
    workers 2
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    retries 2
    option redispatch
backend be
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = "$dir/stats.sock";
$t->wait_workers(2, 5);

# Side traffic in children: "Connection: close" clients, and 1 MiB bodies.
my @kids;
for my $kind (['close', 4, '/c', 1], ['big', 2, '/big', 0]) {
    my ($name, $conc, $path, $close) = @$kind;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        my @r = http_load(port => port(8080), conc => $conc, dur => $dur, path => $path,
            close => $close, timeout => 30);
        my $fail = grep { $_->{status} != 200 } @r;
        open my $fh, '>', "$dir/side_$name" or POSIX::_exit(1);
        print $fh scalar(@r), " $fail\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sub tree_usage {
    my ($rss, $fds) = (0, 0);
    for my $pid ($t->pid, $t->workers) {
        if (open my $fh, '<', "/proc/$pid/status") {
            while (<$fh>) { $rss += $1 if /^VmRSS:\s+(\d+)/ }
        }
        opendir my $d, "/proc/$pid/fd" or next;
        $fds += grep { /^\d+$/ } readdir $d;
    }
    return ($rss, $fds);
}

my $t0 = time;
my ($next_flap, $next_sample, $b_down) = ($t0, $t0, 0);
my (@samples, @down_windows);
my @r = http_load(port => port(8080), conc => 8, dur => $dur, path => '/k', tick => sub {
    my ($now) = @_;
    if ($now >= $next_flap) {
        $b_down = !$b_down;
        cli_send($sock, ($b_down ? 'disable' : 'enable') . " server be/b\n");
        if ($b_down) { push @down_windows, [time, undef] } else { $down_windows[-1][1] = time }
        $next_flap += 0.2;
    }
    if ($now >= $next_sample) {
        push @samples, [$now - $t0, tree_usage()];
        $next_sample += 1;
    }
});
cli_send($sock, "enable server be/b\n");
$down_windows[-1][1] //= time;
waitpid($_, 0) for @kids;

sub slope {
    my (@xy) = @_;
    my $n = @xy or return 0;
    my ($sx, $sy, $sxx, $sxy) = (0, 0, 0, 0);
    for (@xy) { $sx += $_->[0]; $sy += $_->[1]; $sxx += $_->[0]**2; $sxy += $_->[0] * $_->[1] }
    my $d = $n * $sxx - $sx**2 or return 0;
    return ($n * $sxy - $sx * $sy) / $d;
}
my @steady = @samples[int(@samples / 5) .. $#samples];
my $rss_slope = slope(map { [$_->[0], $_->[1]] } @steady);   # KiB per second
my $fd_slope = slope(map { [$_->[0], $_->[2]] } @steady);    # fds per second

# Requests the flapping server got while disabled: its origin stamps them on arrival, so a
# request routed just before the change may land a little later (SOAK_MARGIN, default
# 100 ms of each 200 ms window, is not counted).
my $margin = $ENV{SOAK_MARGIN} // 0.1;
my $down_hits = 0;
for my $h (split /\n/, $t->read_file('b_hits')) {
    $down_hits++ if grep { $h > $_->[0] + $margin && $h < $_->[1] } @down_windows;
}
open my $out, '>', $csv or die "$csv: $!";
print $out "t,rss_kib,fds\n";
printf $out "%.1f,%d,%d\n", @$_ for @samples;
close $out;

my $ka_fail = grep { $_->{status} != 200 } @r;
my $report = sprintf("soak %ds: keep-alive %d requests (%d failed)", $dur, scalar @r, $ka_fail);
for my $name (qw/ close big /) {
    my ($n, $f) = split ' ', $t->read_file("side_$name") || '0 0';
    $report .= sprintf(", %s %d (%d failed)", $name, $n, $f);
}
$report .= sprintf("\nflapping server: %d state changes, %d requests while disabled\n",
    2 * @down_windows, $down_hits);
$report .= sprintf("RSS %d -> %d KiB (slope %.2f KiB/s after warm-up), fds %d -> %d "
    . "(slope %.4f/s); samples in %s\n", $samples[0][1], $samples[-1][1], $rss_slope,
    $samples[0][2], $samples[-1][2], $fd_slope, $csv);
print $report;
plan(tests => 1);
ok($ka_fail == 0 && $down_hits == 0, 'no failure, no request to the disabled server')
    or diag($report);
