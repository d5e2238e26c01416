#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Peers sessions over TLS ("ssl", "crt", "ca-file", "verify" on a peers section's "bind",
# "server", "peer", "default-server" and "default-bind" lines, as HAProxy 2.6): two
# instances whose listeners are TLS and whose sessions connect with TLS share a table both
# ways, 3000 entries at once too ("show peers" says xprt=SSL on the accepting side); a
# client certificate verified by the listener ("verify required" with a CA); a peer whose
# certificate the other side cannot verify gets no session; what -c refuses (a TLS server
# without CA and without "verify none", an unknown option, a second "bind", "peer" and
# "bind" mixed). With HAProxy 2.6 as the other peer over TLS (portico only). Runs against
# HAProxy 2.6 too (PORTICO_TEST_BINARY), but the -c messages.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;
use Test::PorticoTLS qw/ make_ca make_cert tls_connect /;

my $t = Test::Portico->new();
$t->has(qw/ stick ssl /)->plan(15);
my $d = $t->testdir;
make_ca($d, 'ca');
# each instance: a server certificate for its listener, a client one for its connections
make_cert($d, 'a', 'a.test', ca => 'ca', serial => '11');
make_cert($d, 'b', 'b.test', ca => 'ca', serial => '12');
make_cert($d, 'a-cli', 'a.test', ca => 'ca', serial => '21', client => 1);
make_cert($d, 'b-cli', 'b.test', ca => 'ca', serial => '22', client => 1);
make_ca($d, 'other');
make_cert($d, 'rogue', 'rogue.test', ca => 'other', serial => '13');

# <me>: a or b; <srv_opts>: the default-server words; <bind_opts>: the bind's
sub cfg {
    my ($cli, $me, $srv_opts, $bind_opts, $bind_port, $other_line) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers pp
    default-server $srv_opts
    bind 127.0.0.1:%%PORT_$bind_port%% $bind_opts
    server $me
    $other_line
    table st type string len 16 size 5000 expire 1m store gpc0,http_req_cnt
EOF2
}

sub wait_key {
    my ($sock, $k, $re) = @_;
    my $out = '';
    for (1 .. 100) {
        $out = cli_send($sock, "show table pp/st key $k\n");
        return $out if $out =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

# a and b: TLS both ways (each connects to the other's TLS listener), servers verify the
# listener's certificate with the CA, listeners require a client certificate
my $srv = "ssl crt $d/%s-cli.pem ca-file $d/ca.crt verify required";
my $bnd = "ssl crt $d/%s.pem ca-file $d/ca.crt verify required";
my $b = Test::Portico->new();
$b->config(cfg('b.sock', 'b', sprintf($srv, 'b'), sprintf($bnd, 'b'), '8602', 'server a 127.0.0.1:%%PORT_8601%%'))
    ->run(args => ['-L', 'b']);
$t->config(cfg('a.sock', 'a', sprintf($srv, 'a'), sprintf($bnd, 'a'), '8601', 'server b 127.0.0.1:%%PORT_8602%%'))
    ->run(args => ['-L', 'a']);
my $asock = $t->testdir . '/a.sock';
my $bsock = $b->testdir . '/b.sock';
cli_send($asock, "set table pp/st key froma data.gpc0 7\n");
my $out = wait_key($bsock, 'froma', qr/gpc0=7/);
like($out, qr/key=froma use=0 exp=\d+ gpc0=7/, 'over TLS: an entry set on a reaches b')
    or diag($out . cli_send($asock, "show peers\n") . $t->errlog . $b->errlog);
cli_send($bsock, "set table pp/st key fromb data.gpc0 5\n");
$out = wait_key($asock, 'fromb', qr/gpc0=5/);
like($out, qr/key=fromb use=0 exp=\d+ gpc0=5/, 'and back') or diag($out);
# many entries at once: records split and a full connection over TLS
for my $chunk (0 .. 9) {
    cli_send($asock, join('; ', map { "set table pp/st key bulk$_ data.gpc0 1" } ($chunk * 300 + 1 .. $chunk * 300 + 300)) . "\n");
}
for (1 .. 100) {
    $out = cli_send($bsock, "show table pp/st\n");
    last if $out =~ /used:3002\b/;
    select(undef, undef, undef, 0.1);
}
like($out, qr/^# table: pp\/st, type: string, size:5000, used:3002$/m, '3000 entries more reach b over TLS')
    or diag(substr($out, 0, 300));
my $sp = cli_send($asock, "show peers\n") . cli_send($bsock, "show peers\n");
like($sp, qr/^ {8}xprt=SSL src=127\.0\.0\.1:\d+ addr=127\.0\.0\.1:\d+$/m, 'show peers: xprt=SSL on the accepting side')
    or diag($sp);
unlike($sp, qr/xprt=RAW/, 'no clear-text session') or diag($sp);
# the listener speaks TLS: a clear-text hello gets no answer
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8601), Timeout => 3);
    my $got = '';
    if ($s) {
        syswrite($s, "HAProxyS 2.1\na\nb 1 1\n");
        my $sel = IO::Select->new($s);
        if ($sel->can_read(2)) { sysread($s, $got, 100) }
    }
    unlike($got // '', qr/^200\n/, 'a clear-text hello to a TLS listener is not answered 200');
}

# a peer whose certificate comes from another CA: no session (its entries never arrive)
my $r = Test::Portico->new();
$r->config(cfg('r.sock', 'b', "ssl crt $d/rogue.pem verify none", "ssl crt $d/rogue.pem", '8603',
    'server a 127.0.0.1:%%PORT_8601%%'))->run(args => ['-L', 'b']);
my $rsock = $r->testdir . '/r.sock';
cli_send($rsock, "set table pp/st key rogue data.gpc0 9\n");
sleep 2;
$out = cli_send($asock, "show table pp/st key rogue\n");
unlike($out, qr/key=rogue/, 'a peer with a certificate a\'s CA did not sign gets no session') or diag($out);
$r->stop;

# -c refusals
SKIP: {
    skip 'portico\'s -c messages', 4 unless Test::Portico::portico();
    my $c = Test::Portico->new();
    my $base = "peers p\n    bind 127.0.0.1:1 ssl crt $d/a.pem\n    server a\n";
    $c->config($base . "    server b 127.0.0.1:2 ssl\n    table st type ip size 10\n");
    my ($rc, $o) = $c->check_config('-L', 'a');
    like($o, qr/verify is enabled by default but no CA file specified/, 'server ssl without CA nor "verify none": refused') or diag($o);
    $c->config($base . "    server b 127.0.0.1:2 ssl verify none sni str(x)\n    table st type ip size 10\n");
    ($rc, $o) = $c->check_config('-L', 'a');
    like($o, qr/:4: .*option 'sni' is not supported yet/, 'another option: refused with file:line') or diag($o);
    $c->config($base . "    bind 127.0.0.1:3\n    table st type ip size 10\n");
    ($rc, $o) = $c->check_config('-L', 'a');
    like($o, qr/:4: .*One listener per "peers" section is authorized but another is already configured at \[.*:2\]/,
        'a second bind: refused as HAProxy') or diag($o);
    $c->config("peers p\n    peer a 127.0.0.1:2\n    bind 127.0.0.1:3\n    table st type ip size 10\n");
    ($rc, $o) = $c->check_config('-L', 'a');
    like($o, qr/:3: .*mixing "peer" and "bind" line is forbidden/, '"peer" and "bind" mixed: refused') or diag($o);
}

# HAProxy 2.6 as the other peer, TLS both ways
SKIP: {
    skip 'portico with HAProxy 2.6 as the other peer', 4 unless Test::Portico::portico() && -x '/usr/sbin/haproxy';
    $b->stop;
    my $h = Test::Portico->new();
    $h->{binary} = '/usr/sbin/haproxy';
    $h->config(cfg('h.sock', 'b', sprintf($srv, 'b'), sprintf($bnd, 'b'), '8602', 'server a 127.0.0.1:%%PORT_8601%%'))
        ->run(args => ['-L', 'b'], wait_ports => ['8602']);
    my $hs = $h->testdir . '/h.sock';
    cli_send($hs, "set table pp/st key fromhap data.gpc0 4\n");
    $out = wait_key($asock, 'fromhap', qr/gpc0=4/);
    like($out, qr/key=fromhap use=0 exp=\d+ gpc0=4/, 'HAProxy over TLS: its entry reaches portico')
        or diag($out . cli_send($hs, "show peers\n") . cli_send($asock, "show peers\n"));
    cli_send($asock, "set table pp/st key topor data.gpc0 6\n");
    $out = wait_key($hs, 'topor', qr/gpc0=6/);
    like($out, qr/key=topor use=0 exp=\d+ gpc0=6/, 'and portico\'s reaches HAProxy') or diag($out . cli_send($hs, "show peers\n"));
    # HAProxy's soft stop waits for a local successor to teach: SIGTERM
    $h->signal('TERM');
    $h->wait_exit(5) // $h->stop;

    # classic "peer" lines: the local peer's address listens with "default-bind"'s TLS
    my $classic = <<"EOF2";
global
    stats socket %%TESTDIR%%/k.sock level admin
peers kp
    default-bind ssl crt $d/a.pem
    default-server ssl verify none
    peer k 127.0.0.1:%%PORT_8611%%
    peer h 127.0.0.1:%%PORT_8612%%
    table kt type ip size 10 store gpc0
EOF2
    my $h2 = Test::Portico->new();
    $h2->{binary} = '/usr/sbin/haproxy';
    $h2->config($classic)->run(args => ['-L', 'h'], wait_ports => ['8612']);
    my $k = Test::Portico->new();
    $k->config($classic)->run(args => ['-L', 'k'], wait_ports => ['8611']);
    cli_send($k->testdir . '/k.sock', "set table kp/kt key 10.0.0.1 data.gpc0 2\n");
    for (1 .. 100) {
        $out = cli_send($h2->testdir . '/k.sock', "show table kp/kt key 10.0.0.1\n");
        last if $out =~ /gpc0=2/;
        select(undef, undef, undef, 0.05);
    }
    like($out, qr/key=10\.0\.0\.1 use=0 exp=0 gpc0=2/, 'classic peer lines with default-bind/default-server TLS, HAProxy as the other peer')
        or diag($out . cli_send($k->testdir . '/k.sock', "show peers\n"));
    # k's listener (its "peer" line's address) speaks TLS: a hello over TLS is answered
    my $ts = tls_connect(port(8611));
    my $ans = '';
    if ($ts) {
        print $ts "HAProxyS 2.1\nk\nh 1 1\n";
        my $sel = IO::Select->new($ts);
        sysread($ts, $ans, 4) if $sel->can_read(3);
    }
    is($ans, "200\n", 'the local peer\'s address listens with default-bind\'s TLS') or diag($@);
    close $ts if $ts;
    $k->stop;
    $h2->signal('TERM');
    $h2->wait_exit(5) // $h2->stop;
}
