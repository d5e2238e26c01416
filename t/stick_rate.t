#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Stick tables shared by all workers (checked against HAProxy 2.6.12): rate limiting with
# "http-request track-sc0 src" and sc_http_req_rate exact across 4 workers, the sc0_/src_
# fetches, sc-inc-gpc0 / sc-set-gpt0, LRU eviction at "size", expiry, and the runtime
# API's "show table" / "clear table" in HAProxy's format.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(17);

$t->origin_http(port(8081), handler => sub { (200, ['X-Srv' => 's1'], "ok\n") });

$t->config(<<'EOF2')->run();
global
    maxconn 1000
    nbthread 4
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server s1 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    stick-table type ip size 100 expire 30s store http_req_cnt,http_req_rate(10s),gpc0,gpt0
    http-request track-sc0 src
    http-request sc-inc-gpc0(0) if { path /inc }
    http-request sc-set-gpt0(0) 42 if { path /inc }
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }
    http-response set-header X-Cnt %[sc0_http_req_cnt]
    http-response set-header X-Src-Rate %[src_http_req_rate]
    http-response set-header X-Gpc %[sc0_get_gpc0]
    default_backend be
frontend lru
    bind 127.0.0.1:%%PORT_8082%%
    stick-table type string len 8 size 2 store http_req_cnt
    http-request track-sc1 req.hdr(x-k)
    default_backend be
frontend exp
    bind 127.0.0.1:%%PORT_8083%%
    stick-table type integer size 10 expire 1s store http_req_cnt
    http-request track-sc2 req.hdr(x-n),field(1,:)
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

# "show table <t>" once no stream holds an entry any more (a stream is released just
# after its response reached the client; HAProxy shows use=0 only then too).
sub show_settled {
    my ($sock, $cmd) = @_;
    my $out = '';
    for (1 .. 50) {
        $out = cli_send($sock, $cmd);
        last unless $out =~ /\buse=[1-9]/;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

sub get {
    my ($port, $path, @h) = @_;
    my $hs = join '', map { "$_\r\n" } @h;
    return http_parse(http("GET $path HTTP/1.1\r\nHost: h\r\n${hs}Connection: close\r\n\r\n",
        port => $port)) // { status => 0, h => {} };
}

# 30 requests, each on its own connection (they land on different workers)
my %st;
my $last;
for my $i (1 .. 30) {
    $last = get(port(8080), $i == 1 ? '/inc' : '/');
    $st{$last->{status}}++;
    if ($i == 10) {
        is($last->{h}{'x-cnt'}, '10', 'sc0_http_req_cnt counts every request');
        is($last->{h}{'x-src-rate'}, '10', 'src_http_req_rate sees the same entry');
        is($last->{h}{'x-gpc'}, '1', 'sc-inc-gpc0 incremented the counter');
    }
}
is($st{200} // 0, 10, 'exactly 10 requests allowed across workers');
is($st{429} // 0, 20, 'the 20 others denied with 429');

my $out = cli_send($sock, "show table\n");
like($out, qr/^# table: exp, type: integer, size:10, used:0\n# table: lru, type: string, size:2, used:0\n# table: fe, type: ip, size:100, used:1\n/, 'show table: every table') or diag($out);
$out = show_settled($sock, "show table fe\n");
like($out, qr/^# table: fe, type: ip, size:100, used:1\n0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ gpt0=42 gpc0=1 http_req_cnt=30 http_req_rate\(10000\)=30\n\n\z/,
    'show table <name>: the entry in HAProxy\'s format') or diag($out);
$out = cli_send($sock, "show table fe key 127.0.0.2\n");
is($out, "\n", 'show table key: nothing for an absent key');
cli_send($sock, "clear table fe key 127.0.0.1\n");
$out = show_settled($sock, "show table fe\n");
is($out, "# table: fe, type: ip, size:100, used:0\n\n", 'clear table key: entry removed');
is(get(port(8080), '/')->{status}, 200, 'after clear table the client is allowed again');

# size 2: the least recently used key is evicted
get(port(8082), '/', 'X-K: aaa');
get(port(8082), '/', 'X-K: bbb');
get(port(8082), '/', 'X-K: aaa');
get(port(8082), '/', 'X-K: cccccccccccc'); # truncated to len 8; evicts bbb
$out = show_settled($sock, "show table lru\n");
like($out, qr/used:2\n/, 'eviction: never more than size entries');
like($out, qr/key=aaa use=0 exp=0 http_req_cnt=2\n/, 'eviction: the recently used key stays') or diag($out);
like($out, qr/key=cccccccc use=0 exp=0 http_req_cnt=1\n/, 'a key longer than len is truncated') or diag($out);
unlike($out, qr/key=bbb/, 'eviction: the least recently used key is gone');

# expire 1s
get(port(8083), '/', 'X-N: 7:x');
$out = show_settled($sock, "show table exp\n");
like($out, qr/key=7 use=0 exp=\d+ http_req_cnt=1\n/, 'integer key from a converted header') or diag($out);
sleep 2;
$out = show_settled($sock, "show table exp\n");
unlike($out, qr/key=7/, 'the entry expired');
get(port(8083), '/', 'X-N: 7');
$out = show_settled($sock, "show table exp\n");
like($out, qr/key=7 use=0 exp=\d+ http_req_cnt=1\n/, 'an expired entry starts afresh') or diag($out);
