#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Soak run of portico (make soak; not in CI): mixed traffic for SOAK_SECONDS (default 1800)
# through 2 workers to three Perl origins, one of them flapping (disabled / enabled through
# the runtime API every 200 ms): keep-alive clients, "Connection: close" clients, clients
# fetching a 1 MiB body and WebSocket clients (an Upgrade to a tunnel that echoes, 20 round
# trips per session), with a seamless reload (SIGUSR2, same configuration) every
# SOAK_RELOAD seconds (default 60). Every second the RSS and the open fds of the master and
# all its workers (old generations included) are sampled; at the end it prints the request
# counts, the failures, the reloads, the requests the flapping server got while disabled,
# and the least-squares slope of RSS and fd count after the first fifth (warm-up), and
# writes the samples to SOAK_OUT (default soak.csv). Keep-alive clients send a request
# again, once, when a reused connection closes before any byte of the answer (what HTTP
# clients do when an old worker closes an idle connection at a reload); those are counted.
# Environment: PORTICO_TEST_BINARY (default ./portico), SOAK_SECONDS, SOAK_OUT, SOAK_RELOAD.
use warnings;
use strict;
use FindBin;
use lib "$FindBin::Bin/../../t/lib";
use Time::HiRes qw/ time sleep /;
use POSIX ();
use IO::Select;
use IO::Socket::IP;
use Test::More;
use Test::Portico qw/ port cli_send /;
use Test::Portico::Load qw/ http_load /;

# a client writing to a connection the proxy closed (an old worker at a reload) must see
# the error, not die of the signal (the 1 MiB client of one run ended so, reporting nothing)
$SIG{PIPE} = 'IGNORE';
my $dur = $ENV{SOAK_SECONDS} // 1800;
my $csv = $ENV{SOAK_OUT} // 'soak.csv';
my $reload_every = $ENV{SOAK_RELOAD} // 60;
my $big = 'x' x (1024 * 1024);
my $t = Test::Portico->new()->has(qw/ http /);
my $dir = $t->testdir;
$t->origin_http(port(8081), handler => sub { (200, [], $_[0]{uri} =~ /big/ ? $big : 'a') });
$t->origin_http(port(8082), handler => sub {
    # when the proxy routed it (its backend's request rules stamp it just before the
    # server is chosen), not when it arrived here
    # and whether a previous generation, finishing its work after a reload, routed it
    my ($sec, $usec, $old) = split ' ', $_[0]{h}{'x-routed'} // '';
    if (open my $fh, '>>', "$dir/b_hits") {
        printf $fh "%.6f %d\n", $sec + ($usec // 0) / 1e6, $old // 0;
    }
    (200, [], $_[0]{uri} =~ /big/ ? $big : 'b');
});
# WebSocket origin: 101, then echoes what comes until the client closes
$t->origin_http(port(8083), raw => sub {
    my ($c, $req) = @_;
    return unless ($req->{h}{upgrade} // '') =~ /websocket/i;
    syswrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\n\r\n");
    while (sysread($c, my $d, 4096)) { syswrite($c, $d) or last }
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
    http-request set-header X-Routed "%[date] %[date_us] %[stopping]"
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
backend ws
    timeout tunnel 30s
    server w 127.0.0.1:%%PORT_8083%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend ws if { hdr(upgrade) -i websocket }
    default_backend be
EOF2
my $sock = "$dir/stats.sock";
$t->wait_workers(2, 5);

# Side traffic in children: "Connection: close" clients, and 1 MiB bodies.
my @kids;
my $t0 = time;
for my $kind (['close', 4, '/c', 1], ['big', 2, '/big', 0]) {
    # (keep-alive clients send a request again when a reused connection closes before any
    # byte of the answer, as HTTP clients do)
    my ($name, $conc, $path, $close) = @$kind;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        my @r = http_load(port => port(8080), conc => $conc, dur => $dur, path => $path,
            close => $close, timeout => 30, ka_retry => 1, ka_retried => \my $kr,
            no_body => 1); # (a run keeps tens of thousands of results: lengths only)
        my $want = $name eq 'big' ? length $big : 1;
        my @f = grep { $_->{status} != 200 || $_->{len} != $want } @r;
        open my $fh, '>', "$dir/side_$name" or POSIX::_exit(1);
        print $fh scalar(@r), " ", scalar(@f), " ", $kr // 0, "\n";
        # what the first failures were, and when (seconds from the start)
        printf $fh "%.3f %s %s %d bytes\n", $_->{t1} - $t0, $_->{status}, $_->{why} // '',
            $_->{len} for @f[0 .. ($#f < 4 ? $#f : 4)];
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

# One WebSocket session: upgrade, 20 echoed round trips of 64 bytes, close. True if all
# of it worked within 5 s per step.
sub ws_session {
    my ($n) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080),
        Proto => 'tcp', Timeout => 2) or return 0;
    my $sel = IO::Select->new($s);
    my $read_until = sub {
        my ($buf, $done) = @_;
        my $deadline = time + 5;
        until ($done->()) {
            return 0 if time >= $deadline || !$sel->can_read($deadline - time);
            sysread($s, $$buf, 65536, length $$buf) or return 0;
        }
        return 1;
    };
    syswrite($s, "GET /ws HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\n\r\n");
    my $buf = '';
    $read_until->(\$buf, sub { $buf =~ /\r\n\r\n/ }) or return 0;
    return 0 unless $buf =~ m{^HTTP/1\.1 101 };
    $buf =~ s/^.*?\r\n\r\n//s;
    for my $i (1 .. 20) {
        my $msg = sprintf("%-63s\n", "session $n message $i");
        syswrite($s, $msg) == length $msg or return 0;
        $read_until->(\$buf, sub { length $buf >= 64 }) or return 0;
        return 0 unless substr($buf, 0, 64, '') eq $msg;
    }
    close $s;
    return 1;
}
for my $k (1 .. 2) {
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        my ($n, $fail) = (0, 0);
        my $end = time + $dur;
        while (time < $end) {
            $n++;
            $fail++ unless ws_session($n);
        }
        open my $fh, '>', "$dir/side_ws$k" or POSIX::_exit(1);
        print $fh "$n $fail\n";
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

my ($next_flap, $next_sample, $b_down) = ($t0, $t0, 0);
my $next_reload = $t0 + $reload_every;
my ($reloads, $ka_retried) = (0, 0);
my (@samples, @down_windows, @bad_replies, @reload_times);
my @r = http_load(port => port(8080), conc => 8, dur => $dur, path => '/k',
    ka_retry => 1, ka_retried => \$ka_retried, tick => sub {
    my ($now) = @_;
    if ($reload_every > 0 && $now >= $next_reload) {
        # not waited for: the traffic goes on while the new generation starts
        kill 'USR2', $t->pid and $reloads++;
        push @reload_times, time;
        $next_reload += $reload_every;
    }
    if ($now >= $next_flap) {
        $b_down = !$b_down;
        # a window runs from the answer to "disable" to the sending of "enable"
        $down_windows[-1][1] = time unless $b_down;
        my $reply = cli_send($sock, ($b_down ? 'disable' : 'enable') . " server be/b\n");
        push @bad_replies, sprintf("%.3f %s", time - $t0, $reply =~ s/\n/|/gr)
            if $reply ne "\n";
        push @down_windows, [time, undef] if $b_down;
        $next_flap += 0.2;
    }
    if ($now >= $next_sample) {
        push @samples, [$now - $t0, tree_usage()];
        $next_sample += 1;
    }
});
$down_windows[-1][1] //= time;
cli_send($sock, "enable server be/b\n");
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

# Requests routed to the flapping server while it was disabled, by the time the proxy
# stamped them (its clock is read once per event-loop turn, so the last SOAK_MARGIN,
# default 10 ms, of each window is not counted: a stamp taken then may precede a choice
# made after "enable").
my $margin = $ENV{SOAK_MARGIN} // 0.01;
my ($down_hits, $down_old_gen) = (0, 0);
# (the windows follow each other in time: the last one starting before a stamp is the only
# one that may hold it, found by bisection — a 30-minute run has ~4 500 windows and
# ~400 000 stamps)
sub in_window {
    my ($h) = @_;
    my ($lo, $hi) = (0, $#down_windows);
    return 0 if $hi < 0 || $h <= $down_windows[0][0];
    while ($lo < $hi) {
        my $mid = int(($lo + $hi + 1) / 2);
        if ($down_windows[$mid][0] < $h) { $lo = $mid } else { $hi = $mid - 1 }
    }
    return $h < $down_windows[$lo][1] - $margin;
}
for my $line (split /\n/, $t->read_file('b_hits')) {
    my ($h, $old) = split ' ', $line;
    next unless in_window($h);
    if ($old) { $down_old_gen++ } else { $down_hits++ }
}
open my $out, '>', $csv or die "$csv: $!";
print $out "t,rss_kib,fds\n";
printf $out "%.1f,%d,%d\n", @$_ for @samples;
close $out;

my $ka_fail = grep { $_->{status} != 200 } @r;
my $report = sprintf("soak %ds: keep-alive %d requests (%d failed)", $dur, scalar @r, $ka_fail);
my ($side_fail, @fail_why) = (0);
for my $name (qw/ close big ws1 ws2 /) {
    my ($first, @why) = split /\n/, $t->read_file("side_$name") || '0 0';
    my ($n, $f, $kr) = split ' ', $first;
    $ka_retried += $kr // 0;
    push @fail_why, map { "$name at $_" } @why;
    $report .= sprintf(", %s %d (%d failed)", $name =~ /^ws/ ? "WebSocket sessions ($name)"
        : $name, $n, $f);
    $side_fail += $f;
}
my $log = $t->errlog;
my $complete = () = $log =~ /Reload complete/g;
my $failed_reloads = () = $log =~ /Reload failed/g;
$report .= "\nfailures: @{[join '; ', @fail_why]}" if @fail_why;
$report .= sprintf("\nreloads: %d signalled, %d complete, %d failed; keep-alive requests sent"
    . " again after an idle close: %d", $reloads, $complete, $failed_reloads, $ka_retried);
$report .= sprintf("\nflapping server: %d state changes, %d requests routed to it while disabled"
    . " (and %d by a previous generation finishing its work after a reload, with the states"
    . " it had then); runtime API replies other than success: %d%s\n",
    2 * @down_windows, $down_hits, $down_old_gen, scalar @bad_replies,
    @bad_replies ? " (@bad_replies[0 .. ($#bad_replies < 4 ? $#bad_replies : 4)])" : '');
$report .= sprintf("RSS %d -> %d KiB (slope %.2f KiB/s after warm-up), fds %d -> %d "
    . "(slope %.4f/s); samples in %s\n", $samples[0][1], $samples[-1][1], $rss_slope,
    $samples[0][2], $samples[-1][2], $fd_slope, $csv);
print $report;
plan(tests => 1);
ok($ka_fail == 0 && $side_fail == 0 && $down_hits == 0 && $failed_reloads == 0
    && $complete >= $reloads - 1, 'no failure, no request to the disabled server, every reload done')
    or diag($report);
