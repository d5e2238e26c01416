#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# TCP socket options of HAProxy 2.6: "option clitcpka/srvtcpka/tcpka" with the
# "clitcpka-*"/"srvtcpka-*" probe settings (seen by ss(8) on the proxy's sockets),
# "option nolinger" (the client sees a reset instead of a clean close), "option
# independent-streams" (sending to a silent server no longer keeps "timeout server" from
# expiring), "option splice-*" accepted with a warning, bad values refused at -c.
use warnings;
use strict;
use Test::More;
use Errno qw/ ECONNRESET /;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(12);
$t->origin_tcp(port(8081));                                  # echo
$t->_fork_origin($t->_origin_listen(port(8083)), port(8083), 'sink', sub {
    my ($c) = @_;                                            # reads, never answers
    1 while sysread($c, my $d, 4096);
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
listen ka
    bind 127.0.0.1:%%PORT_8080%%
    option clitcpka
    clitcpka-idle 77
    clitcpka-intvl 5s
    clitcpka-cnt 4
    option srvtcpka
    srvtcpka-idle 1m
    server s 127.0.0.1:%%PORT_8081%%
listen plain
    bind 127.0.0.1:%%PORT_8090%%
    server s 127.0.0.1:%%PORT_8081%%
listen linger
    bind 127.0.0.1:%%PORT_8091%%
    tcp-request content reject
    server s 127.0.0.1:%%PORT_8083%%
listen nolinger
    bind 127.0.0.1:%%PORT_8092%%
    tcp-request content reject
    option nolinger
    server s 127.0.0.1:%%PORT_8083%%
listen shared
    bind 127.0.0.1:%%PORT_8093%%
    timeout server 1s
    server s 127.0.0.1:%%PORT_8083%%
listen indep
    bind 127.0.0.1:%%PORT_8094%%
    timeout server 1s
    option independent-streams
    server s 127.0.0.1:%%PORT_8083%%
EOF2

sub conn { IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($_[0])) or die "connect: $!" }
sub echo_ok {
    my ($s) = @_;
    syswrite($s, "x\n");
    my $d = '';
    IO::Select->new($s)->can_read(3) and sysread($s, $d, 10);
    return $d;
}
# ss's established sockets matching FILTER, with their timers
sub ss { my ($f) = @_; my $o = `ss -tnoH state established '$f' 2>&1`; return $o }

# 1. keepalive: the proxy's client-side and server-side sockets carry a keepalive timer
my $c = conn(8080);
is(echo_ok($c), "x\n", 'tcpka: the connection works');
my $cli = ss('( sport = :' . port(8080) . ' )');
like($cli, qr/timer:\(keepalive,(?:1min1[0-7]sec|7[0-7]sec),0\)/, 'clitcpka: keepalive timer set to clitcpka-idle (77 s) on the client socket')
    or diag($cli);
my $srv = ss('( dport = :' . port(8081) . ' )');
like($srv, qr/timer:\(keepalive,(?:59|60|1min)/, 'srvtcpka: keepalive timer set to srvtcpka-idle (1m) on the server socket') or diag($srv);
my $p = conn(8090);
is(echo_ok($p), "x\n", 'without tcpka: the connection works');
unlike(ss('( sport = :' . port(8090) . ' )'), qr/keepalive/, 'without tcpka: no keepalive timer');
close $_ for $c, $p;

# 2. nolinger: the proxy's close is a reset
sub ends_with {
    my ($port) = @_;
    # (the socket is closed when the sub returns)
    my $s = conn($port); # (nothing sent: no unread data that would reset the close anyway)
    my $sel = IO::Select->new($s);
    my ($got, $end) = ('', 'timeout');
    my $deadline = time + 5;
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread($s, my $d, 100);
        if (!defined $n) { $end = $! == ECONNRESET ? 'reset' : "error $!"; last }
        if ($n == 0) { $end = 'eof'; last }
        $got .= $d;
    }
    return "$got/$end";
}
# a rejected connection: closed cleanly by default, aborted (reset) with "option nolinger"
# (HAProxy 2.6 still closes this one cleanly: its nolinger acts on fewer close paths)
is(ends_with(8091), "/eof", 'default: a rejected connection is closed cleanly');
SKIP: {
    skip 'HAProxy closes a rejected connection cleanly even with nolinger', 1
        unless Test::Portico::portico();
    is(ends_with(8092), "/reset", 'option nolinger: the client sees a reset');
}

# 3. independent-streams: writes to a silent server do not refresh "timeout server" (1s)
sub alive_after {
    my ($port) = @_;
    my $s = conn($port);
    my $sel = IO::Select->new($s);
    my $t0 = time;
    while (time - $t0 < 2.5) {
        syswrite($s, "a") or return sprintf('closed after %.1fs', time - $t0);
        if ($sel->can_read(0.2)) {
            my $n = sysread($s, my $d, 10);
            return sprintf('closed after %.1fs', time - $t0) if !$n;
        }
    }
    return 'alive';
}
is(alive_after(8093), 'alive', 'default: sending every 200 ms keeps the silent server\'s session alive past timeout server (1s)');
like(alive_after(8094), qr/^closed after (?:0\.9|1\.\d|2\.[0-4])s$/, 'independent-streams: the session ends at timeout server though data is sent');

# 4. -c: splice accepted with a warning, bad probe values refused
$t->config("defaults\n    mode tcp\nlisten l\n    bind 127.0.0.1:1\n    option splice-auto\n    server s 127.0.0.1:2\n");
my ($rc, $out) = $t->check_config;
is($rc, 0, 'option splice-auto: accepted');
SKIP: {
    skip 'HAProxy splices: no warning', 1 unless Test::Portico::portico();
    like($out, qr/portico.cfg:5: .*splice/, 'option splice-auto: with a warning naming the line');
}
$t->config("defaults\n    mode tcp\nlisten l\n    bind 127.0.0.1:1\n    clitcpka-cnt x\n    server s 127.0.0.1:2\n");
($rc, $out) = $t->check_config;
isnt($rc, 0, 'clitcpka-cnt x: refused');
