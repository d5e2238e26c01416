#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ABI 1.3 transports through a real portico, with the xor_xprt test module (every byte
# XOR 0x5A after a "XOR1" / "OK\r\n" handshake): mode tcp (handshake, 200 KB both ways,
# half-close), mode http (keep-alive, the origin sees a plain request), a transport
# installed after peeking at the hello, the server side (a backend "server ... xor"
# towards a second frontend with "bind ... xor"), a bad handshake closing only that
# connection, and every installed transport released once.
use warnings;
use strict;
use Test::More;
use File::Spec;
use IO::Select;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ time sleep /;
use Digest::MD5 qw/ md5_hex /;
use lib 't/lib';
use Test::Portico qw/ http_get http_keepalive http_parse port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->portico_only()->plan(27);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

$SIG{PIPE} = 'IGNORE';

sub xr { my ($s) = @_; return $s ^ ("\x5a" x length $s) }

sub random_bytes { my ($n) = @_; return join '', map { pack 'N', int rand 2**32 } 1 .. $n / 4 }

sub xconnect {
    my ($port) = @_;
    return IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
        Timeout => 5);
}

# Reads exactly N bytes (or until EOF/timeout).
sub read_n {
    my ($s, $n, $timeout) = @_;
    my ($got, $sel, $t0) = ('', IO::Select->new($s), time);
    while (length $got < $n && time - $t0 < ($timeout // 5)) {
        next unless $sel->can_read(0.2);
        my $r = sysread($s, $got, $n - length $got, length $got);
        last if !$r;
    }
    return $got;
}

# Reads until EOF (or timeout); returns the bytes and whether EOF was seen.
sub read_all {
    my ($s, $timeout) = @_;
    my ($got, $sel, $t0, $eof) = ('', IO::Select->new($s), time, 0);
    while (time - $t0 < ($timeout // 5)) {
        next unless $sel->can_read(0.2);
        my $r = sysread($s, $got, 65536, length $got);
        if (!$r) { $eof = 1; last }
    }
    return ($got, $eof);
}

# An XOR'd HTTP client: handshake, then each request on the same connection.
sub xhttp {
    my ($port, @reqs) = @_;
    my $s = xconnect($port) or return;
    syswrite($s, 'XOR1');
    my $ok = read_n($s, 4);
    return ("handshake: '$ok'") unless $ok eq "OK\r\n";
    my @out;
    my $buf = '';
    my $more = sub {
        my $n = sysread($s, my $d, 65536);
        $buf .= xr($d) if $n;
        return $n;
    };
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        for my $req (@reqs) {
            syswrite($s, xr($req));
            my ($m) = $req =~ /^(\S+)/;
            my $r = Test::Portico::_read_response(\$buf, $more, $m);
            push @out, $r;
            last unless $r;
        }
        alarm 0;
    };
    alarm 0;
    close $s;
    return @out;
}

SKIP: {
    skip "$dir/xor_xprt.so not built", 27 unless -e "$dir/xor_xprt.so";
    $t->origin_tcp(port(8081));
    $t->origin_http(port(8082), echo => 1);
    $t->config(<<"EOF2");
%%GLOBAL%%
    module-load $dir/xor_xprt.so
defaults
    %%TIMEOUTS%%
frontend tcpx
    mode tcp
    bind 127.0.0.1:%%PORT_8080%% xor
    default_backend echo
frontend httpx
    mode http
    bind 127.0.0.1:%%PORT_8083%% xor
    default_backend web
frontend peek
    mode tcp
    bind 127.0.0.1:%%PORT_8084%% xor-peek
    default_backend echo
frontend tcpchain
    mode tcp
    bind 127.0.0.1:%%PORT_8085%%
    default_backend to_tcpx
frontend httpchain
    mode http
    bind 127.0.0.1:%%PORT_8086%%
    default_backend to_httpx
backend echo
    mode tcp
    server a 127.0.0.1:%%PORT_8081%%
backend web
    mode http
    server a 127.0.0.1:%%PORT_8082%%
backend to_tcpx
    mode tcp
    server x 127.0.0.1:%%PORT_8080%% xor
backend to_httpx
    mode http
    server x 127.0.0.1:%%PORT_8083%% xor
EOF2
    $t->run();

    # (1) mode tcp: handshake first, then XOR'd payload echoed back XOR'd; half-close
    {
        my $s = xconnect(port(8080));
        syswrite($s, 'XOR1');
        is(read_n($s, 4), "OK\r\n", 'tcp: the transport answers the handshake (want_send)');
        syswrite($s, xr("hello\n"));
        is(xr(read_n($s, 6)), "hello\n", 'tcp: a line comes back through the echo origin');
        shutdown($s, SHUT_WR);
        my ($rest, $eof) = read_all($s);
        ok($eof && $rest eq '', 'tcp: half-close reaches the origin, its FIN comes back');
        close $s;
    }
    {
        my $big = random_bytes(200 * 1024);
        my ($got) = tcp_transfer(port(8080), 'XOR1' . xr($big), { timeout => 30 });
        $got //= '';
        is(substr($got, 0, 4), "OK\r\n", 'tcp 200 KB: handshake answered first');
        is(length($got), 4 + length $big, 'tcp 200 KB: full length back');
        is(md5_hex(xr(substr($got, 4))), md5_hex($big), 'tcp 200 KB: byte-exact after XOR');
    }
    {
        # the transport installed after a hook peeked at the pending hello
        my $big = random_bytes(64 * 1024);
        my ($got) = tcp_transfer(port(8084), 'XOR1' . xr($big), { timeout => 30 });
        $got //= '';
        is(substr($got, 0, 4), "OK\r\n", 'peek: pending bytes were decoded by the transport');
        is(md5_hex(xr(substr($got, 4))), md5_hex($big), 'peek: byte-exact');
    }

    # (2) mode http: two requests on one connection
    {
        my @r = xhttp(port(8083),
            "GET /one HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        my ($a, $b) = @r;
        is(ref $a && $a->{status}, 200, 'http: first response parses after XOR')
            or diag(explain(\@r));
        like(ref $a ? $a->{body} : '', qr{^GET /one HTTP/1.1\r\n}, 'http: the origin saw a plain request');
        is(ref $b && $b->{status}, 200, 'http: second request on the same connection');
        like(ref $b ? $b->{body} : '', qr{^POST /two .*hello\z}s, 'http: request body decoded');
        my @o = $t->origin_requests(port(8082));
        is(scalar(@o), 2, 'http: the origin got both requests');
        is($o[1] && $o[1]{body}, 'hello', 'http: the origin saw the plain body');
    }

    # (3) server side: portico -> (xor) -> portico -> origin
    {
        my $big = random_bytes(200 * 1024);
        my ($got) = tcp_transfer(port(8085), $big, { timeout => 30 });
        is(length($got // ''), length $big, 'chain tcp: full length');
        is(md5_hex($got // ''), md5_hex($big), 'chain tcp: the echo origin saw plaintext, byte-exact');
        my $r = http_parse(http_get('/chained', port => port(8086)));
        is($r && $r->{status}, 200, 'chain http: response through both frontends');
        like($r ? $r->{body} : '', qr{^GET /chained HTTP/1.1\r\n}, 'chain http: plain request at the origin');
        my @o = $t->origin_requests(port(8082));
        is($o[-1] && $o[-1]{uri}, '/chained', 'chain http: the origin logged it');
        # keep-alive through the chain: the server-side transport carries both requests
        my @k = http_keepalive("GET /k1 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /k2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { port => port(8086) });
        is(scalar(grep { $_ && $_->{status} == 200 } @k), 2, 'chain http keep-alive: two responses');
        like($k[1] ? $k[1]{body} : '', qr{^GET /k2 }, 'chain http keep-alive: second one right');
    }

    # (4) a bad handshake closes that connection only
    {
        my $good = xconnect(port(8080));
        syswrite($good, 'XOR1');
        my $bad = xconnect(port(8080));
        syswrite($bad, "GET / HTTP/1.0\r\n\r\n");
        my ($got, $eof) = read_all($bad, 5);
        ok($eof, 'bad handshake: connection closed');
        is($got, '', 'bad handshake: nothing answered');
        is(read_n($good, 4), "OK\r\n", 'bad handshake: a concurrent client is unaffected');
        syswrite($good, xr("still here\n"));
        is(xr(read_n($good, 11)), "still here\n", 'bad handshake: the other client still works');
        close $good;
        close $bad;
    }

    # every transport installed was released once
    my $count = sub {
        my $log = $t->errlog();
        return (scalar(() = $log =~ /xor_xprt: install/g), scalar(() = $log =~ /xor_xprt: release/g));
    };
    my $deadline = time + 5;
    my ($in, $rel) = $count->();
    while ($rel < $in && time < $deadline) { sleep 0.1; ($in, $rel) = $count->() }
    ok($in >= 10 && $in == $rel, "every transport released once ($in installed, $rel released)")
        or diag($t->errlog());
    unlike($t->errlog(), qr/\[ALERT\]|refused/, 'no alert, no refused install');
    $t->stop();
}
