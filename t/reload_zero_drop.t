#!/usr/bin/perl
# Tests for seamless reload (SIGUSR2): 20 reloads under constant load — connection-per-
# request and keep-alive HTTP clients, a TCP tunnel kept open and a 5 s download — with no
# failed request; each reload's configuration is the one served afterwards; the previous
# workers go once their work is done.
use warnings;
use strict;
use Test::More;
use IO::Select;
use POSIX qw/ WNOHANG /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http tcp /)->portico_only()->plan(15);

$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    my $buf = '';
    if (($req->{h}{upgrade} // '') =~ /websocket/i) {
        # a WebSocket-style tunnel: 101, then echo whatever comes
        syswrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            . "Connection: Upgrade\r\n\r\n");
        while (sysread($c, my $d, 4096)) { syswrite($c, $d) or last }
        return;
    }
    while (1) {
        if ($req->{uri} =~ /slow(\d+)/) {
            my $secs = $1;
            syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n");
            for (1 .. 50) {
                sleep $secs / 50;
                syswrite($c, 'y' x 1000) or last;
            }
            return;
        }
        syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n") or return;
        # next request on the same connection
        while ($buf !~ /\r\n\r\n/) {
            my $n = sysread($c, $buf, 4096, length $buf);
            return unless $n;
        }
        my ($line) = $buf =~ /^(\S+ \S+)/;
        $buf =~ s/^.*?\r\n\r\n//s;
        $req = { uri => (split ' ', $line)[1] };
    }
});
$t->origin_tcp(port(8083));

my $gen = 0;
sub config_gen {
    my ($g, %o) = @_;
    my $workers = $o{workers} // 2;
    my $extra = $o{extra} // '';
    return <<"EOF2";
global
    maxconn 500
    workers $workers
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-response set-header X-Gen $g
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
$extra
listen tunnel
    mode tcp
    bind 127.0.0.1:%%PORT_8082%%
    timeout client 30s
    timeout server 30s
    server echo 127.0.0.1:%%PORT_8083%%
EOF2
}
$t->config(config_gen(0));
$t->run(args => ['-S', $t->testdir . '/master.sock']);
$t->wait_workers(2, 5);

# ---- load generators (forked; each writes "ok fail retries late" to its file when told to
# stop, then what went wrong or slow, one a line)
my $stop = $t->testdir . '/stop-load';
my @kids;
my $parent = $$;
sub load_child {
    my ($name, $code) = @_;
    my $pid = fork() // die;
    if ($pid == 0) {
        $SIG{ALRM} = 'DEFAULT';
        my ($ok, $fail, $retry, $late, @why) = (0, 0, 0, 0);
        eval { ($ok, $fail, $retry, $late, @why) = $code->(); 1 } or push @why, "died: $@";
        open my $fh, '>', $t->testdir . "/load-$name" or POSIX::_exit(1);
        print $fh "$ok $fail $retry $late\n", map { "$_\n" } @why[0 .. ($#why > 9 ? 9 : $#why)];
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, [$name, $pid];
}

# Reads one response (status line, headers, Content-Length body) from $s. One that takes
# more than 5 s is still waited for, up to 60 s, and comes back with {late} set to the
# seconds it took: on this shared CI machine every process can stall for seconds at once
# (two independent instances of this test, each with its own portico, saw their clients
# time out in the same second, one of them before any reload), and a response that came
# is not a dropped request. A connection never answered is still a failure.
sub read_response {
    my ($s, $bufref) = @_;
    my $sel = IO::Select->new($s);
    my $t0 = time;
    my $end = $t0 + 60;
    while (1) {
        if ($$bufref =~ /\A(HTTP\/1\.1 (\d+)[^\r]*\r\n(.*?)\r\n\r\n)/s) {
            my ($head, $status, $h) = ($1, $2, $3);
            my ($len) = $h =~ /^content-length:\s*(\d+)/mi;
            $len //= 0;
            if (length($$bufref) >= length($head) + $len) {
                substr($$bufref, 0, length($head) + $len, '');
                my $took = time - $t0;
                return { status => $status, close => ($h =~ /^connection:\s*close/mi ? 1 : 0),
                    gen => scalar(($h =~ /^x-gen:\s*(\d+)/mi)[0]) // '',
                    ($took > 5 ? (late => sprintf('%.1f', $took)) : ()) };
            }
        }
        return { eof => 1, partial => length $$bufref } if time > $end;
        return { timeout => 1 } unless $sel->can_read($end - time);
        my $n = sysread($s, $$bufref, 65536, length $$bufref);
        return { eof => 1, partial => length($$bufref), err => "$!" } unless $n;
    }
}

for my $i (1 .. 3) {
    load_child("cpr$i", sub {
        my ($ok, $fail, $late, @why) = (0, 0, 0);
        until (-e $stop || getppid() != $parent) {
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080),
                Timeout => 5);
            if (!$s) { $fail++; push @why, "connect: $!"; sleep 0.01; next }
            syswrite($s, "GET /cpr HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            my $buf = '';
            my $r = read_response($s, \$buf);
            if ($r->{status} && $r->{status} == 200) {
                $ok++;
                if ($r->{late}) {
                    $late++;
                    push @why, sprintf('t=%.3f #%d: late, answered after %.1f s', time, $ok + $fail, $r->{late});
                }
            }
            else { $fail++; push @why, sprintf('t=%.3f #%d: %s', time, $ok + $fail, join ',', %$r) }
            close $s;
        }
        return ($ok, $fail, 0, $late, @why);
    });
}
for my $i (1 .. 3) {
    load_child("ka$i", sub {
        my ($ok, $fail, $retry, $late, @why) = (0, 0, 0, 0);
        my ($s, $buf, $used);
        until (-e $stop || getppid() != $parent) {
            if (!$s) {
                $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080),
                    Timeout => 5);
                if (!$s) { $fail++; push @why, "connect: $!"; sleep 0.01; next }
                ($buf, $used) = ('', 0);
            }
            syswrite($s, "GET /ka HTTP/1.1\r\nHost: x\r\n\r\n");
            my $r = read_response($s, \$buf);
            if ($r->{status} && $r->{status} == 200) {
                $ok++;
                $used++;
                if ($r->{late}) {
                    $late++;
                    push @why, sprintf('t=%.3f #%d: late, answered after %.1f s', time, $ok + $fail + $retry, $r->{late});
                }
                undef $s if $r->{close};
                next;
            }
            # a reused keep-alive connection the server closed before any byte of the
            # response: the request is retried on a new connection (RFC 9112 9.3.1)
            if ($r->{eof} && !$r->{partial} && $used) { $retry++; undef $s; next }
            $fail++;
            push @why, sprintf('t=%.3f #%d: %s', time, $ok + $fail + $retry, join ',', %$r);
            undef $s;
        }
        return ($ok, $fail, $retry, $late, @why);
    });
}
# the 5 s download and the TCP tunnel start before the reloads and outlive several of them
my $slow = http("GET /slow5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
my $tun = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8082)) or die;
my ($tun_ok, $tun_fail) = (0, 0);
my $ws = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
syswrite($ws, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
my $wsel = IO::Select->new($ws);
my $whead = '';
while ($whead !~ /\r\n\r\n/ && $wsel->can_read(3)) { last unless sysread($ws, $whead, 4096, length $whead) }
my ($ws_ok, $ws_fail) = (0, 0);
my $wping = sub {
    my $msg = "frame-" . ($ws_ok + $ws_fail) . "\n";
    syswrite($ws, $msg) or do { $ws_fail++; return };
    my $got = '';
    while ($wsel->can_read(2)) { last unless sysread($ws, $got, 100, length $got); last if $got =~ /\n/ }
    $got eq $msg ? $ws_ok++ : $ws_fail++;
};
my $tsel = IO::Select->new($tun);
my $ping = sub {
    my $msg = "ping-" . ($tun_ok + $tun_fail) . "\n";
    syswrite($tun, $msg) or do { $tun_fail++; return };
    my $got = '';
    while ($tsel->can_read(2)) { last unless sysread($tun, $got, 100, length $got); last if $got =~ /\n/ }
    $got eq $msg ? $tun_ok++ : $tun_fail++;
};
sleep 0.5;

# The generation answering a new connection. "Reload complete" is logged once the new
# workers accept and the old ones have been told to stop; an old worker may still take a
# connection from the shared queue until it has read that signal (it serves it, with the
# old configuration): so a probe may see the old generation for a moment, never for long.
my $old_gen_seen = 0;
sub probe_gen {
    my ($want) = @_;
    my $deadline = time + 2;
    while (time < $deadline) {
        my $r = http_parse(http("GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout => 5));
        my $got = $r ? ($r->{h}{'x-gen'} // '') : '';
        return 1 if $got eq $want;
        $old_gen_seen++;
        sleep 0.05;
    }
    return 0;
}

my (@lat, $gens_ok, $bad);
$gens_ok = 0;
my @reload_at; # [generation, signal sent, answer read]: to place a failure on the timeline
my $load_t0 = time;
for my $g (1 .. 20) {
    my $t_sig = time;
    my $line = $t->reload(config_gen($g));
    push @reload_at, [$g, $t_sig, time];
    $bad .= "reload $g: " . ($line // 'no answer') . "\n"
        unless $line && $line =~ /Reload complete.* after (\d+) ms/;
    push @lat, $1 if $line && $line =~ / after (\d+) ms/;
    $ping->();
    $wping->();
    # the new configuration answers from now on
    $gens_ok++ if probe_gen($g);
    sleep 0.1;
}
is($bad // '', '', '20 reloads complete');
is($gens_ok, 20, 'after each reload, the new configuration serves')
    or diag("probes that reached the previous generation: $old_gen_seen");
diag("probes answered by the previous generation right after a reload: $old_gen_seen") if $old_gen_seen;
my $body = http_end($slow, timeout => 10);
like($body, qr/\r\n\r\n(y{50000})\z/, 'the 5 s download started before the reloads completes');
$ping->() for 1 .. 3;
is("$tun_ok/$tun_fail", (20 + 3) . "/0", 'the TCP tunnel opened before the reloads kept working');
close $tun;
$wping->() for 1 .. 3;
like($whead, qr/^HTTP\/1\.1 101/, 'WebSocket upgrade through the HTTP frontend');
is("$ws_ok/$ws_fail", (20 + 3) . "/0", 'the WebSocket tunnel opened before the reloads kept working');
close $ws;

open my $sf, '>', $stop;
close $sf;
my ($ok, $fail, $retry, $late, @why, @slow) = (0, 0, 0, 0);
for my $k (@kids) {
    waitpid($k->[1], 0);
    my $c = $t->read_file("load-$k->[0]");
    my ($o, $f, $r, $l) = $c =~ /\A(\d+) (\d+) (\d+) (\d+)\n/ ? ($1, $2, $3, $4) : (0, 1, 0, 0);
    $ok += $o;
    $fail += $f;
    $retry += $r;
    $late += $l;
    push @why, "$k->[0]: $c" if $f;
    push @slow, "$k->[0]: $c" if $l && !$f;
}
ok($ok > 200, "requests served under load: $ok (keep-alive retries on a closed idle connection: $retry)");
# answered, but after more than 5 s: shown (with where they fall among the reloads), not failed
diag(join "\n", "responses that took more than 5 s: $late", @slow, reload_timeline(@slow)) if $late;
# Stop 18's CI saw 3 of 3 connection-per-request clients give up at once under epoll (kept
# as a TODO since). Reproduced on a loaded machine under both pollers: every such request had
# reached the origin; when the clients gave up the answer was often already in their receive
# queue; waiting longer shows late answers or portico's 504 (the origin, a forking Perl
# server, silent past "timeout server"); an io_uring run failed in the same stall as an epoll
# one, and two independent instances of this test failed in the same second, one before any
# reload. No poller bug: a machine stall. Late answers are now reported, not failed.
is($fail, 0, 'no failed request across 20 reloads') or diag(join "\n", @why,
    reload_timeline(@why));
# Where each failure or late response (its "t=" time: when the client gave up, or got the
# late answer) falls among the reloads.
sub reload_timeline {
    my @out;
    for my $w (@_) {
        next unless $w =~ /t=([\d.]+)/;
        my $tf = $1;
        my ($last) = grep { $_->[1] <= $tf } reverse @reload_at;
        push @out, $last
            ? sprintf('at %.3f s (reloads start + %.1f s): %.3f s after reload %d was '
                . 'signalled (answered after %.3f s)', $tf, $tf - $load_t0, $tf - $last->[1],
                $last->[0], $last->[2] - $last->[1])
            : sprintf('at %.3f s, before the first reload', $tf);
    }
    my $end = @reload_at ? $reload_at[-1][2] : $load_t0;
    push @out, sprintf('reloads done at reloads start + %.1f s', $end - $load_t0);
    return @out;
}
@lat = sort { $a <=> $b } @lat;
diag(sprintf('reload latency (signal to new generation serving): median %d ms, max %d ms',
    $lat[@lat / 2] // -1, $lat[-1] // -1));

# the previous generations go once their work is done
my $gone = wait_until(5, sub { $t->workers == 2 });
ok($gone, 'only the current 2 workers are left') or diag(join ' ', $t->workers);
my $proc = Test::Portico::cli_send($t->testdir . '/master.sock', "show proc\n");
like($proc, qr/^\d+\s+master\s+20 \[failed: 0\]/m, 'show proc: master line with 20 reloads')
    or diag($proc);
my @cur = $proc =~ /^(\d+)\s+worker\s+0\s/mg;
is(scalar @cur, 2, 'show proc: two current workers') or diag($proc);

# ---- a broken configuration keeps the current one serving
my $line = $t->reload(config_gen(21, extra => "    bogus-keyword here\n"));
like($line // '', qr/Reload failed/, 'broken configuration: the reload fails');
like($t->errlog, qr/portico\.cfg:\d+: .*bogus-keyword/, '... and says why, with file:line');
my $r = http_parse(http("GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
is($r && $r->{h}{'x-gen'}, '20', '... and generation 20 keeps serving');
$line = $t->reload(config_gen(22));
ok(probe_gen(22), 'the next valid reload applies');
$t->ignore_alerts(qr/bogus-keyword|fatal errors/);
