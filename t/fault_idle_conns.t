#!/usr/bin/perl
# Fault/load: 50 000 idle keep-alive connections (PORTICO_IDLE_CONNS=N for another count).
# Each gets one answered request and then stays idle; portico keeps every one of them open,
# still serves a normal client, reports them in "show info", and its memory grows by a
# bounded amount per connection (measured: the sum of VmRSS over its processes). The
# connections are spread over client processes and workers so that none exceeds its
# descriptor limit.
use warnings;
use strict;
use Test::More;
use Socket qw/ SOL_SOCKET SO_LINGER /;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use POSIX ();
use lib 't/lib';
use Test::Portico qw/ cli_send http_get port wait_until /;

my $n = $ENV{PORTICO_IDLE_CONNS} // 50000;
# Descriptors: each process may hold at most `ulimit -n` (20 000 on hosts where even root
# cannot raise the hard limit), so the connections are opened by several client processes
# and served by enough workers that none of them needs more than its limit.
my $lim = `sh -c 'ulimit -n'` + 0;
my $per_proc = $lim - 1000;
plan skip_all => "ulimit -n is $lim" if $per_proc < 1000;
my $nclients = int(($n + $per_proc - 1) / $per_proc);
my $nworkers = int(($n * 1.3 + $per_proc - 1) / $per_proc); # room for an uneven spread
$nworkers = 2 if $nworkers < 2;
my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
my $maxconn = $n + 1000;
$t->config(<<"EOF2")->run();
global
    maxconn $maxconn
    workers $nworkers
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    timeout client 120s
    timeout http-keep-alive 120s
    timeout http-request 10s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    bind 127.0.0.1:%%PORT_8081%%
    http-request return status 200 content-type text/plain string ok
EOF2

sub rss_kib {
    my $sum = 0;
    for my $pid ($t->{pid}, $t->workers) {
        open my $fh, '<', "/proc/$pid/status" or next;
        while (<$fh>) { $sum += $1 if /^VmRSS:\s+(\d+) kB/ }
    }
    return $sum;
}
sub curr_conns { (cli_send($t->testdir . '/admin.sock', "show info\n") // '') =~ /^CurrConns: (\d+)$/m ? $1 : -1 }

# warm up: pools and buffers that any traffic creates
http_get('/') for 1 .. 50;
my $rss0 = rss_kib();
my $req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
# A client process: opens <count> connections (one answered request each, in batches),
# says "OPEN <ok> <failed>", waits for a line, says "CLOSED <closed by the peer>", waits
# for another line, then resets them all and exits.
sub client {
    my ($count, $first, $in, $out) = @_;
    my (@c, $failed);
    $failed = 0;
    for (my $i = 0; $i < $count; $i += 500) {
        my @b;
        for my $j ($i .. ($i + 499 < $count ? $i + 499 : $count - 1)) {
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                PeerPort => port(($first + $j) % 2 ? 8081 : 8080), Timeout => 5);
            if (!$s) { $failed++; next }
            syswrite($s, $req);
            push @b, $s;
        }
        for my $s (@b) {
            my $buf = '';
            while ($buf !~ /\r\n\r\nok\z/) {
                my $r = sysread($s, $buf, 4096, length $buf);
                last unless $r;
            }
            $buf =~ /^HTTP\/1\.1 200 .*\r\n\r\nok\z/s ? push(@c, $s) : $failed++;
        }
    }
    syswrite($out, scalar(@c) . " $failed\n");
    <$in>;
    my $closed = 0;
    for my $s (@c) {
        $s->blocking(0);
        my $r = sysread($s, my $b, 1);
        $closed++ if defined $r; # EOF (0) or data: not idle any more
    }
    syswrite($out, "$closed\n");
    <$in>;
    setsockopt($_, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) for @c; # no TIME_WAIT left
    close $_ for @c;
    POSIX::_exit(0);
}
my @kids;
my $t0 = time;
for my $k (0 .. $nclients - 1) {
    my $first = $k * $per_proc;
    my $count = $n - $first < $per_proc ? $n - $first : $per_proc;
    pipe(my $to_r, my $to_w) or die;
    pipe(my $from_r, my $from_w) or die;
    my $pid = fork // die;
    if (!$pid) { close $to_w; close $from_r; client($count, $first, $to_r, $from_w) }
    close $to_r; close $from_w;
    $to_w->autoflush(1);
    push @kids, { pid => $pid, w => $to_w, r => $from_r };
}
my ($opened, $failed) = (0, 0);
for my $k (@kids) {
    my $l = readline($k->{r}) // "0 0";
    my ($o, $f) = split ' ', $l;
    $opened += $o;
    $failed += $f;
}
my $open_s = time - $t0;
is($opened, $n, sprintf('%d connections opened and answered in %.1f s by %d client processes',
    $opened, $open_s, $nclients)) or diag("$failed failed");
ok(wait_until(10, sub { curr_conns() >= $n }), 'show info counts them: ' . curr_conns());
sleep 1;
my $rss1 = rss_kib();
my $per = ($rss1 - $rss0) / ($n || 1);
SKIP: {
    skip sprintf('an ASan build: %.2f KiB per idle connection, shadow memory included', $per), 1
        if $t->sanitized;
    cmp_ok($per, '<', 16, sprintf('memory per idle connection %.2f KiB (RSS %d -> %d KiB, %d workers)',
        $per, $rss0, $rss1, $nworkers));
}
like(http_get('/') // '', qr/^HTTP\/1\.1 200 /, 'a normal client is served while they are held');
my $closed = 0;
for my $k (@kids) {
    print { $k->{w} } "check\n";
    $closed += readline($k->{r}) // 1;
}
is($closed, 0, 'every idle connection is still open');
print { $_->{w} } "release\n" for @kids;
waitpid($_->{pid}, 0) for @kids;
ok(wait_until(20, sub { curr_conns() <= 1 }), 'released: show info CurrConns back to ' . curr_conns());
diag(sprintf('%d idle connections: %.1f s to open, %.2f KiB each (RSS %d -> %d KiB)',
    $n, $open_s, $per, $rss0, $rss1));
