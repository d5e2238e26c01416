#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Peers sections in HAProxy 2.x style and the local peer's listener: two instances with
# "bind" + "server" lines (the local one without address) and a table declared in the
# section ("table stkt ...", named "<peers>/stkt"), whose entries reach each other both
# ways; the listener's answers to a hand-written hello (200 with the table definitions,
# 503 for another instance's name, 504 for an unknown peer, 502/501 for a bad version or
# protocol) and an update applied from it; a classic "peer" line's own address is listened
# on; "disabled" keeps the tables local; what is not supported is refused at -c.
# Runs against HAProxy 2.6 too (PORTICO_TEST_BINARY), but the -c messages.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick http /)->plan(27);

sub cfg {
    my ($cli, $fe, $bind, $me, $other_line) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers pp
    bind 127.0.0.1:%%PORT_$bind%%
    default-server
    default-bind
    server $me
    $other_line
    table stkt type string len 16 size 100 expire 1m store gpc0,http_req_cnt
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    http-request track-sc0 req.hdr(x-k) table pp/stkt
    http-request return status 200
EOF2
}

# polls "show table <tbl> key <k>" on <sock> until it matches (5 s at most)
sub wait_key {
    my ($sock, $tbl, $k, $re) = @_;
    my $out = '';
    for (1 .. 100) {
        $out = cli_send($sock, "show table $tbl key $k\n");
        return $out if $out =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

# a: listens on 8301, connects to b; b: listens on 8302, no address for a (a connects)
my $b = Test::Portico->new();
$b->config(cfg('b.sock', '8312', '8302', 'b', 'server a'))->run(args => ['-L', 'b']);
$t->config(cfg('a.sock', '8311', '8301', 'a', 'server b 127.0.0.1:%%PORT_8302%%'))->run(args => ['-L', 'a']);
my $asock = $t->testdir . '/a.sock';
my $bsock = $b->testdir . '/b.sock';

cli_send($asock, "set table pp/stkt key froma data.gpc0 7\n");
my $out = wait_key($bsock, 'pp/stkt', 'froma', qr/gpc0=7/);
like($out, qr/^# table: pp\/stkt, type: string, size:100, used:1\n.*key=froma use=0 exp=\d+ gpc0=7 /m,
    'an entry of a peers section table reaches the peer that listens') or diag($out);
cli_send($bsock, "set table pp/stkt key fromb data.gpc0 5\n");
$out = wait_key($asock, 'pp/stkt', 'fromb', qr/gpc0=5/);
like($out, qr/key=fromb use=0 exp=\d+ gpc0=5 /, 'and back over the session it accepted') or diag($out);
http("GET / HTTP/1.1\r\nHost: h\r\nX-K: r1\r\nConnection: close\r\n\r\n", port => port(8312));
$out = wait_key($asock, 'pp/stkt', 'r1', qr/http_req_cnt=1/);
like($out, qr/key=r1 use=0 exp=\d+ gpc0=0 http_req_cnt=1/, 'track-sc0 ... table pp/stkt counts, the peer learns it')
    or diag($out);

# the listener, spoken to by hand
sub hello {
    my ($port, $text, $more) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 3) or return "connect: $!";
    syswrite($s, $text);
    syswrite($s, $more) if defined $more;
    my $sel = IO::Select->new($s);
    my $got = '';
    while ($sel->can_read(1)) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $got .= $buf;
        last if $got =~ /^\d{3}\n/ && $got !~ /^200/;
        last if length($got) > 4 && $got =~ /stkt/;
    }
    return wantarray ? ($got, $s) : $got;
}
my $bp = port(8302);
# with a resynchronisation request: the entries come, in a table named "/stkt" on the wire
like(scalar hello($bp, "HAProxyS 2.1\nb\na 1 1\n", "\x00\x00"), qr/^200\n.*\x0a\x82.*\/stkt/s,
    'a hello from a known peer: 200, then the table definitions ("/stkt" on the wire)');
is(scalar hello($bp, "HAProxyS 2.1\nother\na 1 1\n"), "503\n", 'a hello for another instance: 503');
is(scalar hello($bp, "HAProxyS 2.1\nb\nnobody 1 1\n"), "504\n", 'a hello from an unknown peer: 504');
is(scalar hello($bp, "HAProxyS 3.0\nb\na 1 1\n"), "502\n", 'an unknown protocol version: 502');
is(scalar hello($bp, "SMTP 2.1\nb\na 1 1\n"), "501\n", 'another protocol: 501');
is(scalar hello($bp, "HAProxyS 2.1\nb\na\n"), "501\n", 'a last line without pid: 501');
SKIP: { # HAProxy waits for its buffer to fill or its timeout
    skip 'portico closes a hello over 1 KiB at once', 1 unless Test::Portico::portico();
    my ($g, $x) = hello($bp, 'x' x 2000);
    my $closed = ref $x && IO::Select->new($x)->can_read(3) && !sysread($x, my $buf, 16);
    ok($g eq '' && $closed, 'two kilobytes without the hello\'s lines: closed without an answer');
}

# an update sent by hand over an accepted session (an integer-keyed table)
my $c = Test::Portico->new();
$c->config(<<'EOF2')->run(args => ['-L', 'me'], wait_ports => ['8321']);
global
    stats socket %%TESTDIR%%/c.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
peers q
    peer me 127.0.0.1:%%PORT_8321%%
    peer you 127.0.0.1:%%PORT_8322%%
frontend f
    bind 127.0.0.1:%%PORT_8323%%
    stick-table type integer size 10 store gpc0 peers q
    http-request return status 200
EOF2
my $csock = $c->testdir . '/c.sock';
select(undef, undef, undef, 1); # HAProxy starts with its own resynchronisation attempts
my ($got, $s) = hello(port(8321), "HAProxyS 2.1\nme\nyou 1 1\n");
like($got, qr/^200\n/, 'a classic peer line: the local peer listens on its own address') or diag(explain($got));
# DEFINE table 1 "f", key sint/4, data gpc0 (bit 2), no expire; SWITCH is implied; UPDATE id 1 key 42 gpc0=9
my $def = "\x01\x01f\x02\x04\x04\x00";
my $upd = pack('N', 1) . pack('N', 42) . "\x09";
syswrite($s, "\x0a\x82" . chr(length $def) . $def . "\x0a\x80" . chr(length $upd) . $upd) if $s;
$out = wait_key($csock, 'f', '42', qr/gpc0=9/);
# HAProxy 2.6 sometimes leaves this hand-made session without an answer (about one run in
# three, before its first resynchronisation is over): checked on portico only
SKIP: {
skip 'HAProxy answers this hand-made session only some of the time', 2 unless Test::Portico::portico();
like($out, qr/key=42 use=0 exp=0 gpc0=9/, 'an update received on an accepted session is applied') or diag($out);
my $ack = '';
if ($s) {
    my $sel = IO::Select->new($s);
    while ($ack !~ /\x0a\x84/ && $sel->can_read(2)) {
        last unless sysread($s, my $buf, 4096);
        $ack .= $buf;
    }
}
like($ack, qr/\x0a\x84\x05\x01\x00\x00\x00\x01/, 'and acknowledged (table 1, update 1)') or diag(explain($got, $ack));
}
close $s if $s;

# disabled: no listener, no session
my $d = Test::Portico->new();
$d->config(<<'EOF2')->run(args => ['-L', 'me']);
defaults
    mode http
    %%TIMEOUTS%%
peers q
    disabled
    peer me 127.0.0.1:%%PORT_8331%%
    peer you 127.0.0.1:%%PORT_8332%%
frontend f
    bind 127.0.0.1:%%PORT_8333%%
    stick-table type integer size 10 store gpc0 peers q
    http-request return status 200
EOF2
select(undef, undef, undef, 0.5);
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8331), Timeout => 2),
    'a disabled section does not listen');
Test::Portico::_release(port(8332));
my $fake = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(8332), Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
ok(!IO::Select->new($fake)->can_read(1), 'nor connects to its peers');
close $fake;

# the local peer's address taken by another socket: said once, listened on once it is free
SKIP: {
    skip 'portico\'s messages', 3 unless Test::Portico::portico();
    Test::Portico::_release(port(8341));
    my $squat = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(8341), Listen => 5)
        or die "listen: $!";
    my $e = Test::Portico->new();
    $e->config(<<'EOF2')->run(args => ['-L', 'me']);
defaults
    mode http
    %%TIMEOUTS%%
peers q
    peer me 127.0.0.1:%%PORT_8341%%
    peer you 127.0.0.1:%%PORT_8342%%
frontend f
    bind 127.0.0.1:%%PORT_8343%%
    stick-table type integer size 10 store gpc0 peers q
    http-request return status 200
EOF2
    my $log = '';
    my $deadline = time() + 5;
    while (time() < $deadline) {
        $log = $e->errlog;
        last if $log =~ /cannot listen/;
        select(undef, undef, undef, 0.05);
    }
    select(undef, undef, undef, 2.2); # two more attempts
    $log = $e->errlog;
    is(scalar(() = $log =~ /peers 'q': cannot listen for peer 'me' \(Address already in use\); trying again every second/g), 1,
        'an address in use is reported once') or diag($log);
    close $squat;
    $deadline = time() + 5;
    while (time() < $deadline) {
        last if $e->errlog =~ /listening for peer 'me' now/;
        select(undef, undef, undef, 0.05);
    }
    like($e->errlog, qr/peers 'q': listening for peer 'me' now/, 'and listened on once free');
    like(scalar hello(port(8341), "HAProxyS 2.1\nme\nyou 1 1\n"), qr/^200\n/, 'a peer connects then');
}

SKIP: {
    skip 'configuration messages are portico\'s', 9 unless Test::Portico::portico();
    sub check_err {
        my ($cfg, $re, $name) = @_;
        my $x = Test::Portico->new();
        $x->config("%%GLOBAL%%\ndefaults\n    mode http\n$cfg");
        my ($rc, $o) = $x->check_config();
        ok($rc != 0 && $o =~ $re, $name) or diag($o);
    }
    check_err("peers p\n    bind 127.0.0.1:1 maxconn 10\n    server a\n",
        qr/cfg:\d+\b.*'bind' in a peers section: option 'maxconn' is not supported yet/, 'other bind options refused with file:line');
    check_err("peers p\n    default-server inter 1s\n",
        qr/cfg:\d+\b.*option 'inter' is not supported yet/, 'other default-server options refused');
    check_err("peers p\n    server a 127.0.0.1:2 check\n",
        qr/cfg:\d+\b.*'server' in a peers section: option 'check'/, 'other server options refused');
    check_err("peers p\n    log 127.0.0.1:514 nofac\n",
        qr/cfg:\d+: log : unknown log facility 'nofac'/, 'log: a bad facility refused as HAProxy');
    check_err("peers p\n    bind 127.0.0.1:1\n    bind 127.0.0.1:2\n",
        qr/cfg:\d+\b.*One listener per "peers" section is authorized but another is already configured at \[.*cfg:\d+\]/,
        'a second bind refused as HAProxy');
    check_err("peers p\n    frobnicate\n", qr/cfg:\d+\b.*unknown keyword 'frobnicate' in 'peers' section/,
        'an unknown keyword is refused');
    check_err("peers p\n    table t type ip size 10\n    table t type ip size 10\n",
        qr/cfg:\d+\b.*stick-table name 'p\/t' conflicts/, 'a table declared twice is refused');
    check_err("peers p\n    table t type ip size 10 peers p\n",
        qr/cfg:\d+\b.*unknown or unsupported argument 'peers'/, "'peers' is not an argument of a section's table");
    check_err("frontend f\n    bind 127.0.0.1:1\n    http-request track-sc0 src table p/nosuch\n",
        qr/unknown table 'p\/nosuch'/, 'a rule naming an unknown peers table is refused');
}
