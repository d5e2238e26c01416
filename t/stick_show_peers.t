#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "show peers [dict|-] [<peers section>]" in HAProxy 2.6's layout: two instances (a and b)
# in two peers sections; each section's header, its peers last declared first (the
# remote one active with its session established and its tables, the local one inactive),
# the accepted session's "xprt=RAW src= addr=" line, the shared tables, the dictionary
# caches with "dict", "-", one section only, "No such peers"; then portico with HAProxy
# 2.6 as the other peer. Runs against HAProxy 2.6 too (PORTICO_TEST_BINARY), but the
# last part.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /)->plan(20);

sub cfg {
    my ($cli) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode http
    %%TIMEOUTS%%
peers mypeers
    peer a 127.0.0.1:%%PORT_8501%%
    peer b 127.0.0.1:%%PORT_8502%%
    table t1 type string len 16 size 100 expire 1m store gpc0
peers other
    peer a 127.0.0.1:%%PORT_8503%%
    peer b 127.0.0.1:%%PORT_8504%%
    peer c 127.0.0.1:%%PORT_8505%%
    table t2 type ip size 10 store gpc0
EOF2
}
my $b = Test::Portico->new();
$b->config(cfg('b.sock'))->run(args => ['-L', 'b'], wait_ports => ['8502', '8504']);
$t->config(cfg('a.sock'))->run(args => ['-L', 'a'], wait_ports => ['8501', '8503']);
my $asock = $t->testdir . '/a.sock';
my $bsock = $b->testdir . '/b.sock';

# an entry set on a reaches b: the session is established and pushed
cli_send($asock, "set table mypeers/t1 key k1 data.gpc0 3\n");
my $out = '';
for (1 .. 100) {
    $out = cli_send($bsock, "show table mypeers/t1 key k1\n");
    last if $out =~ /gpc0=3/;
    select(undef, undef, undef, 0.05);
}
like($out, qr/key=k1 .*gpc0=3/, 'the two instances share mypeers/t1') or diag($out);
select(undef, undef, undef, 0.3); # both sides published the session

my $a_out = cli_send($asock, "show peers\n");
my $b_out = cli_send($bsock, "show peers\n");
my $hdr = qr/0x[0-9a-f]+: \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\] id=(\S+) disabled=0 flags=0x[0-9a-f]+ resync_timeout=\S+ task_calls=\d+\n/;
my @ids = $a_out =~ /^$hdr/mg;
is("@ids", 'other mypeers', 'every section, the last declared first, each with its header') or diag($a_out);
like($a_out, qr/\n\n0x[0-9a-f]+: \[[^\]]+\] id=mypeers /, 'a blank line between two sections') or diag($a_out);

my ($mine) = $a_out =~ /(^0x[0-9a-f]+: \[[^\n]*id=mypeers .*)/ms;
$mine //= '';
my $pa = port(8501);
my $pb = port(8502);
like($mine, qr/^  0x[0-9a-f]+: id=b\(remote,active\).*^  0x[0-9a-f]+: id=a\(local,inactive\)/ms,
    'the peers, the last declared first: b remote and active, a local and inactive') or diag($mine);
like($mine, qr/^  0x[0-9a-f]+: id=b\(remote,active\) addr=127\.0\.0\.1:$pb last_status=ESTA last_hdshk=\d+s\n {8}reconnect=(\d+s|<PAST>) heartbeat=(\d+s|<PAST>) confirm=\d+ tx_hbt=\d+ rx_hbt=\d+ no_hbt=0 new_conn=\d+ proto_err=0 coll=\d+\n {8}flags=0x2000[0-9a-f]{4} appctx:0x[0-9a-f]+ st0=7 st1=0 task_calls=\d+ state=EST\n/m,
    'the remote peer: its address, status ESTA, timers, counters, its session') or diag($mine);
like($mine, qr/^ {8}remote_table:0x[0-9a-f]+ id=mypeers\/t1 local_id=1 remote_id=1\n {8}last_local_table:0x[0-9a-f]+ id=mypeers\/t1 local_id=1 remote_id=1\n {8}shared tables:\n {10}0x[0-9a-f]+ local_id=1 remote_id=1 flags=0x0 remote_data=0x4\n {14}last_acked=\d+ last_pushed=\d+ last_get=\d+ teaching_origin=0 update=\d+\n {14}table:0x[0-9a-f]+ id=mypeers\/t1 update=\d+ localupdate=\d+ commitupdate=\d+ refcnt=1\n {8}Dictionary cache not dumped \(use "show peers dict"\)\n/m,
    'the last tables received and sent, the shared table (gpc0: remote_data=0x4)') or diag($mine);
like($mine, qr/^  0x[0-9a-f]+: id=a\(local,inactive\) addr=127\.0\.0\.1:$pa last_status=NONE last_hdshk=<NEVER>\n {8}reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0\n {8}flags=0x0\n {8}shared tables:\n {10}0x[0-9a-f]+ local_id=1 remote_id=0 flags=0x0 remote_data=0x0\n/m,
    'the local peer: no session, its shared table') or diag($mine);
my ($pushed) = $mine =~ /id=b\(remote.*?last_pushed=(\d+)/s;
ok(($pushed // 0) >= 1, 'a pushed its entry to b (last_pushed)') or diag($mine);
# one of the two accepted the session: it shows the connection's addresses
my $acc = ($a_out =~ /^ {8}xprt=RAW src=127\.0\.0\.1:\d+ addr=127\.0\.0\.1:$pa\n/m)
    || ($b_out =~ /^ {8}xprt=RAW src=127\.0\.0\.1:\d+ addr=127\.0\.0\.1:$pb\n/m);
ok($acc, 'the side that accepted the session shows "xprt=RAW src=... addr=<its address>"') or diag($a_out . $b_out);
# peer c never answers
like($a_out, qr/^  0x[0-9a-f]+: id=c\(remote,\w+\) addr=127\.0\.0\.1:\d+ last_status=(CONN|NONE) last_hdshk=\S+\n {8}reconnect=\S+ heartbeat=<NEVER> .*new_conn=\d+ proto_err=0 coll=0\n {8}flags=0x0[^\n]*\n {8}shared tables:\n {10}0x[0-9a-f]+ local_id=1 remote_id=0 /m,
    'a peer that never answers: no session established') or diag($a_out);
my @order = $a_out =~ /^  0x[0-9a-f]+: id=(\w)\(/mg;
is("@order", 'c b a b a', 'the peers of each section, the last declared first') or diag($a_out);

# one section; "-" before a section's name; an unknown one; dict
my $one = cli_send($asock, "show peers other\n");
my @one = $one =~ /^$hdr/mg;
is("@one", 'other', 'show peers <section>: that section only') or diag($one);
like($one, qr/id=c\(remote/, 'with its peers') or diag($one);
my $dash = cli_send($asock, "show peers - mypeers\n");
my @dash = $dash =~ /^$hdr/mg;
is("@dash", 'mypeers', 'show peers - <section>') or diag($dash);
is(cli_send($asock, "show peers nosuch\n"), "No such peers\n\n", 'an unknown section: "No such peers"');
is(cli_send($asock, "show peers dict nosuch\n"), "No such peers\n\n", 'the same after dict');
my $dict = cli_send($asock, "show peers dict mypeers\n");
like($dict, qr/^ {8}TX dictionary cache:\n {8}RX dictionary cache:\n {10}  0 -> -    1 -> -    2 -> -    3 -> -\n/m,
    'dict: the dictionary caches') or diag($dict);
like($dict, qr/^ {8}  124 -> -  125 -> -  126 -> -  127 -> -\n/m, 'the RX cache\'s 128 entries, four a line') or diag($dict);
unlike($dict, qr/Dictionary cache not dumped/, 'dict: no hint') or diag($dict);

# portico with HAProxy as the other peer: the session as portico reports it
SKIP: {
    skip 'portico with HAProxy 2.6 as the other peer', 1 unless Test::Portico::portico() && -x '/usr/sbin/haproxy';
    $b->stop;
    my $h = Test::Portico->new();
    $h->{binary} = '/usr/sbin/haproxy';
    $h->config(cfg('b.sock'))->run(args => ['-L', 'b'], wait_ports => ['8502', '8504']);
    my $hs = $h->testdir . '/b.sock';
    cli_send($hs, "set table mypeers/t1 key fromhap data.gpc0 4\n");
    for (1 .. 100) {
        $out = cli_send($asock, "show peers mypeers\n");
        last if $out =~ /id=b\(remote,active\).*last_status=ESTA.*remote_id=1 flags=0x0 remote_data=0x4\n {14}last_acked=\d+ last_pushed=\d+ last_get=[1-9]/s;
        select(undef, undef, undef, 0.1);
    }
    like($out, qr/id=b\(remote,active\) addr=\S+ last_status=ESTA .*remote_id=1 flags=0x0 remote_data=0x4\n {14}last_acked=\d+ last_pushed=\d+ last_get=[1-9]/s,
        'HAProxy as the other peer: established, its table defined, its update received (last_get)') or diag($out);
    # HAProxy's soft stop waits for a local successor to teach: SIGTERM
    $h->signal('TERM');
    $h->wait_exit(5) // $h->stop;
}
