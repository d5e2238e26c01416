#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Stick table data types of HAProxy 2.6 beyond the request counters: conn_cnt/cur/rate and
# sess_cnt/rate of counters tracked by "tcp-request connection" (one session, several
# requests on a keep-alive connection), http_err (4xx) and http_fail (5xx but 501/505),
# bytes_in/out, the gpc(N)/gpc_rate(N)/gpt(N) arrays (and gpc0/gpc1 reading them), their
# sc_*/sc0_* fetches and sc-inc-gpc/sc-set-gpt actions, binary keys, table_avl/table_cnt,
# "tcp-request content track-sc1" in a tcp frontend (conn_cur while connections are open),
# the classic rate limit "tcp-request connection reject if { sc0_conn_rate gt 10 }", and
# -c errors. Passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ http http_parse http_keepalive port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http tcp /)->plan(19);

$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    my ($code) = $req->{uri} =~ m{^/(\d\d\d)$};
    return ($code // 200, [], $req->{uri} eq '/big' ? ('x' x 3000) : "ok\n");
});
$t->origin_tcp(port(8085));

$t->config(<<'EOF2')->run();
global
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server s1 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    stick-table type ip size 100 expire 30s store conn_cnt,conn_cur,conn_rate(10s),sess_cnt,sess_rate(10s),http_req_cnt,http_err_cnt,http_fail_cnt,http_fail_rate(10s),bytes_in_cnt,bytes_out_cnt,gpt(2),gpc(2),gpc_rate(2,10s)
    tcp-request connection track-sc0 src
    http-request sc-inc-gpc(1,0) if { path /inc }
    http-request sc-inc-gpc0(0) if { path /inc }
    http-request sc-set-gpt(1,0) req.hdr(x-v) if { path /inc }
    http-response set-header X-Stats "cur=%[sc0_conn_cur] cnt=%[sc0_conn_cnt] sess=%[sc0_sess_cnt] req=%[sc0_http_req_cnt] err=%[sc0_http_err_cnt] fail=%[sc0_http_fail_cnt] gpc0=%[sc0_get_gpc0] gpc1=%[sc_get_gpc(1,0)] gpt1=%[sc_get_gpt(1,0)] trk=%[sc0_trackers]"
    default_backend be
frontend bin
    bind 127.0.0.1:%%PORT_8082%%
    stick-table type binary len 4 size 10 store http_req_cnt
    http-request track-sc1 req.hdr(x-k)
    http-response set-header X-Tab "avl=%[table_avl] cnt=%[table_cnt] req=%[sc1_http_req_cnt]"
    default_backend be
frontend rl
    bind 127.0.0.1:%%PORT_8083%%
    stick-table type ip size 100 expire 30s store conn_rate(10s)
    tcp-request connection track-sc0 src
    tcp-request connection reject if { sc0_conn_rate gt 10 }
    default_backend be
frontend tcpfe
    mode tcp
    bind 127.0.0.1:%%PORT_8084%%
    stick-table type ip size 10 store conn_cur,conn_cnt
    tcp-request content track-sc1 src
    default_backend tcpbe
backend tcpbe
    mode tcp
    server e 127.0.0.1:%%PORT_8085%%
frontend more
    bind 127.0.0.1:%%PORT_8086%%
    stick-table type ip size 10 expire 30s store gpt0,gpc0,conn_cnt,http_req_cnt,http_err_cnt
    http-response track-sc0 src
    http-response sc-set-gpt0(0) 5
    http-response set-header X-M "inc=%[src_inc_gpc0] get=%[src_get_gpc0] clr=%[src_clr_gpc0] after=%[src_get_gpc0(more)] upd=%[src_updt_conn_cnt] gpt=%[sc0_get_gpt0] req=%[sc0_http_req_cnt] err=%[sc0_http_err_cnt] conv=%[src,table_conn_cnt(more)] in=%[src,in_table(more)] trk=%[sc_trackers(0)]"
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

sub show_settled {
    my ($cmd) = @_;
    my $out = '';
    for (1 .. 50) {
        $out = cli_send($sock, $cmd);
        last unless $out =~ /\buse=[1-9]/;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

sub req { my ($p, @h) = @_; my $hs = join '', map { "$_\r\n" } @h; "GET $p HTTP/1.1\r\nHost: h\r\n$hs\r\n" }

# one connection, three requests: one session, one connection, three requests
my @r = http_keepalive(req('/a'), req('/404'), req('/inc', 'X-V: 7'), { port => port(8080) });
is(scalar(@r), 3, 'three responses on one connection');
is($r[2]{h}{'x-stats'}, 'cur=1 cnt=1 sess=1 req=3 err=1 fail=0 gpc0=1 gpc1=1 gpt1=7 trk=1',
    'tracked at connection level: one connection, one session, every request, 4xx as error, gpc arrays')
    or diag(explain($r[2]{h}));

# a second connection: 500 fails, 501 does not
@r = http_keepalive(req('/500'), req('/501'), req('/big'), { port => port(8080) });
is($r[2]{h}{'x-stats'}, 'cur=1 cnt=2 sess=2 req=6 err=1 fail=1 gpc0=1 gpc1=1 gpt1=7 trk=1',
    '5xx but 501 count as failures; a new connection counts one more')
    or diag(explain($r[2]{h}));

my $out = show_settled("show table fe\n");
like($out, qr/^# table: fe, type: ip, size:100, used:1\n0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ conn_cnt=2 conn_rate\(10000\)=2 conn_cur=0 sess_cnt=2 sess_rate\(10000\)=2 http_req_cnt=6 http_err_cnt=1 bytes_in_cnt=(\d+) bytes_out_cnt=(\d+) http_fail_cnt=1 http_fail_rate\(10000\)=1 gpt0=0 gpt1=7 gpc0=1 gpc1=1 gpc0_rate\(10000\)=1 gpc1_rate\(10000\)=1\n\n\z/,
    'show table: every data type in HAProxy\'s order, arrays by element') or diag($out);
my ($bin, $bout) = $out =~ /bytes_in_cnt=(\d+) bytes_out_cnt=(\d+)/;
ok(($bin // 0) > 100, 'bytes_in_cnt counts the requests') or diag($out);
ok(($bout // 0) > 3000, 'bytes_out_cnt counts the responses') or diag($out);

# binary keys, zero-padded to len, shown in hexadecimal
my $h = http_parse(http(req('/', 'X-K: ab', 'Connection: close'), port => port(8082)));
is($h->{h}{'x-tab'}, 'avl=9 cnt=1 req=1', 'table_avl / table_cnt / sc1_http_req_cnt') or diag(explain($h));
$out = show_settled("show table bin\n");
like($out, qr/key=61620000 use=0 exp=0 http_req_cnt=1\n/, 'binary key padded with zeros, in hex') or diag($out);
$out = cli_send($sock, "show table bin key 61620000\n");
like($out, qr/^Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n/,
    'show table key: refused for a binary table, as HAProxy does') or diag($out);

# the classic connection rate limit: exactly 10 connections in the period pass
my %st;
for (1 .. 15) {
    my $x = http_parse(http(req('/', 'Connection: close'), port => port(8083), quiet => 1));
    $st{$x ? $x->{status} : 0}++;
}
is($st{200} // 0, 10, 'tcp-request connection reject if { sc0_conn_rate gt 10 }: 10 connections pass');
is($st{0} // 0, 5, 'the 5 others are rejected');

# tcp-request content track-sc1 in a tcp frontend: conn_cur while connections are open
my @c = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8084), Timeout => 5) } 1 .. 2;
for my $c (@c) { print $c "hi\n"; my $l = <$c>; }
$out = cli_send($sock, "show table tcpfe\n");
like($out, qr/key=127\.0\.0\.1 use=2 exp=0 conn_cnt=2 conn_cur=2\n/, 'two open tracked connections: use=2 conn_cur=2') or diag($out);
close $_ for @c;
$out = show_settled("show table tcpfe\n");
like($out, qr/key=127\.0\.0\.1 use=0 exp=0 conn_cnt=2 conn_cur=0\n/, 'closed: conn_cur back to 0') or diag($out);

# http-response track-sc0: the response's 4xx counts; the src_ fetches that write
$h = http_parse(http(req('/404', 'Connection: close'), port => port(8086)));
is($h->{h}{'x-m'}, 'inc=1 get=1 clr=1 after=0 upd=2 gpt=5 req=1 err=1 conv=2 in=1 trk=1',
    'http-response track-sc0, sc-set-gpt0, src_inc/get/clr_gpc0, src_updt_conn_cnt, table_conn_cnt, in_table')
    or diag(explain($h->{h}));

# clear table with a data filter: only the selected entries go
cli_send($sock, "set table more key 10.0.0.1 data.gpc0 1\n");
cli_send($sock, "set table more key 10.0.0.2 data.gpc0 9\n");
cli_send($sock, "clear table more data.gpc0 gt 5\n");
$out = show_settled("show table more\n");
ok($out =~ /key=10\.0\.0\.1 / && $out !~ /key=10\.0\.0\.2 / && $out =~ /key=127\.0\.0\.1 /,
    'clear table data.gpc0 gt 5: only the entry above 5 is removed') or diag($out);

sub check_err {
    my ($cfg, $re, $name) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n$cfg");
    my ($rc, $o) = $c->check_config();
    ok($rc != 0 && $o =~ $re, $name) or diag($o);
}
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store gpc(2),gpc0\n",
    qr/cfg:\d+\b.*simultaneous usage of 'gpc' and 'gpc\[0\/1\]'/, 'gpc and gpc0 together refused');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store gpc(101)\n",
    qr/cfg:\d+\b.*array size is out of allowed range/, 'array size checked');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store conn_rate\n",
    qr/cfg:\d+\b.*missing argument to store option 'conn_rate'/, 'a rate without its period refused');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store gpc(2)\n    http-request sc-inc-gpc(1) \n",
    qr/cfg:\d+\b/, 'sc-inc-gpc without its stick counter refused');
