#!/usr/bin/perl
# Tests for stopping: SIGUSR1 soft stop (ports closed at once so new connections are
# refused, idle keep-alive connections closed, an in-flight download completes, then
# exit 0), hard-stop-after, SIGTERM fast stop within 100 ms, SIGHUP logged, SIGTTOU /
# SIGTTIN pause and resume listening.
use warnings;
use strict;
use Test::More;
use IO::Select;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(18);

# /slowN: 10 x 1000 bytes spread over N seconds
$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    my ($secs) = $req->{uri} =~ /slow(\d+)/;
    unless ($secs) {
        syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
        # keep-alive: serve following requests on the same connection too
        my $buf = '';
        while (sysread($c, $buf, 4096)) {
            syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n") if $buf =~ /\r\n\r\n/;
            $buf = '';
        }
        return;
    }
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n");
    for (1 .. 10) {
        sleep $secs / 10;
        syswrite($c, 'x' x 1000) or last;
    }
});

my $cfg = <<'EOF2';
global
    maxconn 200
    workers 2
%%EXTRA%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub config_with {
    my ($extra) = @_;
    (my $c = $cfg) =~ s/%%EXTRA%%/$extra/;
    $t->config($c);
}

# Connect once: 'refused', 'served' (a full response), 'reset' (closed without a
# response, or the handshake reset: it raced the close of the listening socket), or 'hung'
# (nothing within 2 s).
sub probe {
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080), Timeout => 2);
    unless ($s) {
        return 'refused' if $!{ECONNREFUSED};
        return 'reset' if $!{ECONNRESET};
        diag("probe: connect failed: $!");
        return 'hung';
    }
    my $t0 = time;
    my $r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        socket => $s, timeout => 2, quiet => 1));
    return 'served' if $r && $r->{status} == 200;
    return time - $t0 >= 1.9 ? 'hung' : 'reset';
}

sub read_all {
    my ($s, $timeout) = @_;
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $end = time + $timeout;
    while (time < $end) {
        last unless $sel->can_read($end - time);
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    return $buf;
}

# ---- SIGUSR1 ------------------------------------------------------------------------------
config_with('');
$t->run();
$t->wait_workers(2, 5);
is(probe(), 'served', 'serving');
my $ka = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
syswrite($ka, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
my $first = '';
wait_until(3, sub { sysread($ka, $first, 4096, length $first); $first =~ /ok\n/ });
like($first, qr/^HTTP\/1\.1 200/, 'keep-alive connection: first response');
my $slow = http("GET /slow2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
my $t0 = time;
$t->signal('USR1');
my (%seen, $refused_at);
while (time < $t0 + 1.5) {
    my $r = probe();
    $seen{$r}++;
    if ($r eq 'refused') { $refused_at = time - $t0; last }
    sleep 0.005;
}
ok(defined $refused_at && $refused_at < 0.5,
    sprintf('SIGUSR1: new connections refused after %.0f ms', ($refused_at // 9) * 1000));
# a connection whose handshake races the close of the last copy of the socket can be
# reset by the kernel (as with HAProxy); none may hang
ok(!$seen{hung} && ($seen{reset} // 0) <= 1, 'SIGUSR1: no connection left hanging meanwhile')
    or diag(join ' ', %seen);
my $rest = read_all($ka, 2);
my $closed_at = time - $t0;
is($rest, '', 'SIGUSR1: idle keep-alive connection closed without a byte');
ok($closed_at < 1, sprintf('SIGUSR1: ... within %.0f ms', $closed_at * 1000));
my $body = http_end($slow, timeout => 6);
like($body, qr/\r\n\r\n(x{10000})\z/, 'SIGUSR1: the in-flight 2 s download completes');
my $st = $t->wait_exit(5);
is($st, 0, 'SIGUSR1: exits 0 once the download is done');
ok(time - $t0 < 3.5, sprintf('SIGUSR1: exited %.2f s after the signal', time - $t0));

# ---- hard-stop-after -------------------------------------------------------------------------
config_with('    hard-stop-after 1s');
$t->run();
$t->wait_workers(2, 5);
$slow = http("GET /slow6 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
$t0 = time;
$t->signal('USR1');
$st = $t->wait_exit(5);
my $took = time - $t0;
is($st, 0, 'hard-stop-after: exits 0');
ok($took >= 0.9 && $took < 2.5, sprintf('hard-stop-after 1s: gone after %.2f s', $took));
$body = http_end($slow, timeout => 3, quiet => 1);
unlike($body, qr/x{10000}/, 'hard-stop-after: the 6 s download was cut');

# ---- SIGTERM, SIGHUP, SIGTTOU/SIGTTIN ----------------------------------------------------------
config_with('');
$t->run();
my @w = $t->wait_workers(2, 5);
is(probe(), 'served', 'serving again');
my $mark = $t->errlog_mark;
$t->signal('HUP');
ok($t->wait_log(qr/SIGHUP/, 3, $mark), 'SIGHUP is logged');
$t->signal('TTOU');
ok(wait_until(2, sub { probe() eq 'refused' }, 0.02), 'SIGTTOU: the port stops listening');
$t->signal('TTIN');
ok(wait_until(2, sub { probe() eq 'served' }, 0.02), 'SIGTTIN: listening and serving again');
# an idle keep-alive client connection does not delay a fast stop
$ka = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
syswrite($ka, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
wait_until(3, sub { sysread($ka, my $x, 4096) });
$t0 = time;
$t->signal('TERM');
my $gone = wait_until(3, sub { defined $t->_reap($t->pid, 0) }, 0.002);
my $ms = (time - $t0) * 1000;
# (an ASan build's exit alone, unmapping its shadow memory, may take over 100 ms)
my $bound = $t->sanitized ? 1000 : 100;
ok($gone && $ms < $bound, sprintf('SIGTERM: master gone in %.0f ms (< %d)', $ms, $bound));
ok(!grep({ my $s = Test::Portico::_stat($_); $s && $s->{state} ne 'Z' } @w),
    'SIGTERM: every worker gone with it');
delete $t->{pid};
$t->_check_leftovers;
