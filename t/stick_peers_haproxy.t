#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The peers protocol with Debian's HAProxy 2.6 as the other peer: a "peers" section naming
# both instances (each started with -L <its name>), a table declared "peers <name>" on
# both sides; entries set or counted on either side reach the other (both ways, over the
# one session the two settle on: each connects to the other), the session outlives the
# heartbeat timeout; in HAProxy 2.x style ("bind", "server" without address, a table
# declared in the section) HAProxy connects to portico's bind; and a peer that sends a
# malformed message gets its session closed and reopened. Portico only.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http port cli_send /;

plan skip_all => 'needs /usr/sbin/haproxy as the other peer' unless -x '/usr/sbin/haproxy';
my $t = Test::Portico->new();
$t->portico_only;
$t->has(qw/ stick http /)->plan(14);

sub cfg {
    my ($who, $cli, $fe) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers mypeers
    peer hap 127.0.0.1:%%PORT_8101%%
    peer por 127.0.0.1:%%PORT_8102%%
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    stick-table type string len 16 size 100 expire 1m store gpc0,http_req_cnt,http_req_rate(10s) peers mypeers
    http-request track-sc0 req.hdr(x-k)
    http-request return status 200
EOF2
}
my $hap = Test::Portico->new();
$hap->{binary} = '/usr/sbin/haproxy';
$hap->config(cfg('hap', 'hap.sock', '8111'))->run(args => ['-L', 'hap'], wait_ports => ['8101']);
$t->config(cfg('por', 'por.sock', '8112'))->run(args => ['-L', 'por']);
my $hsock = $hap->testdir . '/hap.sock';
my $psock = $t->testdir . '/por.sock';

# polls "show table fe key <k>" on <sock> until it matches (5 s at most)
sub wait_key {
    my ($sock, $k, $re) = @_;
    my $out = '';
    for (1 .. 100) {
        $out = cli_send($sock, "show table fe key $k\n");
        return $out if $out =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

my $setr = cli_send($psock, "set table fe key frompor data.gpc0 7\n");
my $out = wait_key($hsock, 'frompor', qr/gpc0=7/);
like($out, qr/key=frompor use=0 exp=\d+ gpc0=7 /, 'an entry set on portico reaches HAProxy')
    or diag("set: [$setr]" . $out . cli_send($hsock, "show peers\n") . cli_send($psock, "show peers\n"));
cli_send($hsock, "set table fe key fromhap data.gpc0 5\n");
$out = wait_key($psock, 'fromhap', qr/gpc0=5/);
like($out, qr/key=fromhap use=0 exp=\d+ gpc0=5 /, 'an entry set on HAProxy reaches portico') or diag($out);

http("GET / HTTP/1.1\r\nHost: h\r\nX-K: req1\r\nConnection: close\r\n\r\n", port => port(8112));
http("GET / HTTP/1.1\r\nHost: h\r\nX-K: req1\r\nConnection: close\r\n\r\n", port => port(8112));
$out = wait_key($hsock, 'req1', qr/http_req_cnt=2 http_req_rate\(10000\)=2/);
like($out, qr/http_req_cnt=2 http_req_rate\(10000\)=2/, 'counters of requests tracked on portico reach HAProxy') or diag($out);
http("GET / HTTP/1.1\r\nHost: h\r\nX-K: req2\r\nConnection: close\r\n\r\n", port => port(8111));
$out = wait_key($psock, 'req2', qr/http_req_cnt=1 http_req_rate\(10000\)=1/);
like($out, qr/http_req_cnt=1 http_req_rate\(10000\)=1/, 'and those tracked on HAProxy reach portico')
    or diag(cli_send($hsock, "show table fe\n") . cli_send($psock, "show table fe\n") . cli_send($hsock, "show peers\n"));

# past HAProxy's 5 s without message: the heartbeats keep the session
sleep 6;
cli_send($psock, "set table fe key late data.gpc0 3\n");
$out = wait_key($hsock, 'late', qr/gpc0=3/);
like($out, qr/gpc0=3/, 'the session outlives the heartbeat timeout') or diag($out);
$out = cli_send($hsock, "show peers\n");
like($out, qr/id=por\(remote,active\).*last_status=ESTA/s, 'HAProxy sees the session established') or diag($out);

# portico restarted: it asks HAProxy for everything (a resynchronisation) and learns the
# entries HAProxy had already sent to the previous process
$t->stop;
$t->run(args => ['-L', 'por']);
$out = wait_key($psock, 'fromhap', qr/gpc0=5/);
like($out, qr/key=fromhap use=0 exp=\d+ gpc0=5 /, 'a restarted portico learns the entries HAProxy had') or diag($out);

# HAProxy 2.x style on both sides, a table declared in the section: portico has no
# address for HAProxy, so HAProxy connects to portico's "bind" (and the table's name on
# the wire, "/st", is HAProxy's)
sub cfg2 {
    my ($cli, $fe, $lines) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers px
$lines
    table st type string len 16 size 100 expire 1m store gpc0
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    http-request track-sc0 req.hdr(x-k) table px/st
    http-request return status 200
EOF2
}
my $p2 = Test::Portico->new();
$p2->config(cfg2('p2.sock', '8412', "    bind 127.0.0.1:%%PORT_8402%%\n    server por\n    server hap\n"))
    ->run(args => ['-L', 'por']);
my $h2 = Test::Portico->new();
$h2->{binary} = '/usr/sbin/haproxy';
$h2->config(cfg2('h2.sock', '8411', "    bind 127.0.0.1:%%PORT_8401%%\n    server hap\n    server por 127.0.0.1:%%PORT_8402%%\n"))
    ->run(args => ['-L', 'hap']);
my $p2sock = $p2->testdir . '/p2.sock';
my $h2sock = $h2->testdir . '/h2.sock';
sub wait_key2 {
    my ($sock, $k, $re) = @_;
    my $o = '';
    for (1 .. 100) {
        $o = cli_send($sock, "show table px/st key $k\n");
        return $o if $o =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $o;
}
cli_send($p2sock, "set table px/st key p2 data.gpc0 4\n");
$out = wait_key2($h2sock, 'p2', qr/gpc0=4/);
like($out, qr/key=p2 use=0 exp=\d+ gpc0=4/, 'HAProxy connecting to portico\'s bind: a peers section table reaches HAProxy')
    or diag($out . cli_send($h2sock, "show peers\n"));
cli_send($h2sock, "set table px/st key h2 data.gpc0 6\n");
$out = wait_key2($p2sock, 'h2', qr/gpc0=6/);
like($out, qr/key=h2 use=0 exp=\d+ gpc0=6/, 'and HAProxy\'s entries reach portico') or diag($out);

# a peer sending a malformed message: the session is closed, then reopened
Test::Portico::_release(port(8201));
my $fake = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(8201), Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
my $f = Test::Portico->new();
$f->config(<<'EOF2')->run(args => ['-L', 'por']);
defaults
    mode http
    %%TIMEOUTS%%
peers p2
    peer por 127.0.0.1:%%PORT_8202%%
    peer fake 127.0.0.1:%%PORT_8201%%
frontend f2
    bind 127.0.0.1:%%PORT_8203%%
    stick-table type ip size 10 store gpc0 peers p2
    http-request return status 200
EOF2
my $sel = IO::Select->new($fake);
my @hellos;
for my $round (1 .. 2) {
    last unless $sel->can_read(6);
    my $c = $fake->accept;
    my $hello = '';
    my $cs = IO::Select->new($c);
    while ($hello !~ /\n.*\n.*\n/s && $cs->can_read(3)) {
        my $n = sysread($c, my $b, 512);
        last unless $n;
        $hello .= $b;
    }
    push @hellos, $hello;
    syswrite($c, "200\n");
    # a stick-table message announcing 16 MB of payload
    syswrite($c, "\x0a\x80\xff\xff\xff\xff\x0f");
    my $closed = 0;
    while ($cs->can_read(3)) {
        my $n = sysread($c, my $b, 4096);
        if (!$n) { $closed = 1; last }
    }
    ok($closed, 'a malformed message closes the session') if $round == 1;
    close $c;
}
like($hellos[1] // '', qr/^HAProxyS 2\.1\nfake\npor \d+ 1\n/, 'and portico reconnects with a new hello')
    or diag(explain(\@hellos));

sub check_err {
    my ($cfg, $re, $name) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n$cfg");
    my ($rc, $o) = $c->check_config();
    ok($rc != 0 && $o =~ $re, $name) or diag($o);
}
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 peers nosuch\n",
    qr/unknown peers section 'nosuch'/, 'a table naming an unknown peers section is refused');
check_err("peers p\n    bind 127.0.0.1:1 ssl\n    server a\n",
    qr/cfg:\d+: no SSL certificate specified for bind \(use 'crt'\)/, 'bind ssl without a certificate refused with file:line');
check_err("peers p\n    peer a 127.0.0.1:2\n    peer a 127.0.0.1:3\n",
    qr/cfg:\d+\b.*peer 'a' is already defined/, 'a peer defined twice is refused');

# HAProxy itself, on a soft stop (SIGUSR1, the harness's first try), keeps trying to teach
# its entries to a new local process of its own, which never comes here: SIGTERM
for my $h ($hap, $h2) {
    next unless $h->{pid};
    $h->signal('TERM');
    $h->wait_exit(5) // $h->stop;
}
