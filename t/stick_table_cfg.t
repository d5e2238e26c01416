#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Stick tables: "nopurge" (a full table tracks no new key), sc0_tracked / src_ fetches on
# a key not tracked, and configuration errors at -c with file:line (checked against
# HAProxy 2.6.12).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(17);

$t->origin_http(port(8081), handler => sub { ($_[0]{uri} =~ /nf/ ? 404 : 200, [], "ok\n") });
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server s1 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    stick-table type string size 1 nopurge store http_req_cnt
    http-request track-sc0 req.hdr(x-k)
    http-request return status 200 content-type text/plain lf-string "in=%[req.hdr(x-q),in_table(fe)] cnt=%[req.hdr(x-q),table_http_req_cnt(fe)]" if { path /q }
    http-response set-header X-Tracked %[sc0_tracked]
    default_backend be
frontend err
    bind 127.0.0.1:%%PORT_8082%%
    stick-table type ip size 10 expire 1m store gpc0,gpc0_rate(10s),http_err_cnt,http_err_rate(10s),gpc1
    http-request track-sc0 src
    http-request sc-inc-gpc0(0) if { path /inc }
    http-request sc-inc-gpc1(0) if { path /inc }
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
    my ($k) = @_;
    return http_parse(http("GET / HTTP/1.1\r\nHost: h\r\nX-K: $k\r\nConnection: close\r\n\r\n",
        port => port(8080))) // { h => {} };
}
is(get('one')->{h}{'x-tracked'}, '1', 'first key tracked');
is(get('two')->{h}{'x-tracked'}, '0', 'nopurge: a full table tracks no new key');
my $out = show_settled($sock, "show table fe\n");
like($out, qr/used:1\n.*key=one use=0 exp=0 http_req_cnt=1\n/s, 'nopurge: the first key stays') or diag($out);
unlike($out, qr/key=two/, 'nopurge: the second key was not stored');

sub query {
    my ($k) = @_;
    my $r = http_parse(http("GET /q HTTP/1.1\r\nHost: h\r\nX-Q: $k\r\nConnection: close\r\n\r\n",
        port => port(8080))) // { body => '' };
    return $r->{body};
}
is(query('one'), 'in=1 cnt=1', 'in_table and table_http_req_cnt on a stored key');
is(query('zzz'), 'in=0 cnt=0', 'in_table and table_http_req_cnt on an absent key');
# set table: changes an entry (and creates one); then clear the table
cli_send($sock, "set table fe key one data.http_req_cnt 41\n");
is(query('one'), 'in=1 cnt=41', 'set table changes a counter');
$out = cli_send($sock, "set table fe key one data.gpc0 1\n");
like($out, qr/not stored|Data type/i, 'set table: a data type the table does not store is refused') or diag($out);
cli_send($sock, "clear table fe\n");
is(query('one'), 'in=0 cnt=0', 'clear table empties it');
cli_send($sock, "set table fe key three data.http_req_cnt 7\n");
is(query('three'), 'in=1 cnt=7', 'set table creates the entry');

# HTTP errors (4xx from the server), gpc0 with its rate, gpc1
for my $p ('/nf', '/nf', '/inc', '/') {
    http("GET $p HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", port => port(8082));
}
$out = show_settled($sock, "show table err\n");
like($out, qr/^# table: err, type: ip, size:10, used:1\n0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ gpc0=1 gpc0_rate\(10000\)=1 http_err_cnt=2 http_err_rate\(10000\)=2 gpc1=1\n\n\z/,
    'http_err_cnt/rate count 4xx responses; gpc0, gpc0_rate and gpc1') or diag($out);

# data filters of "show table"
for my $k (qw/ fa fb fb /) {
    http("GET / HTTP/1.1\r\nHost: h\r\nX-K: $k\r\nConnection: close\r\n\r\n", port => port(8080));
}
$out = cli_send($sock, "show table fe data.http_req_cnt gt 0\n");
like($out, qr/^# table: fe, type: string, size:1, used:1\n0x[0-9a-f]+: key=three use=0 exp=0 http_req_cnt=7\n\n\z/, 'show table data filter: matching entry') or diag($out);
$out = cli_send($sock, "show table fe data.http_req_cnt lt 7\n");
is($out, "# table: fe, type: string, size:1, used:1\n\n", 'show table data filter: nothing matches');

sub check_err {
    my ($cfg, $re, $name) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n$cfg");
    my ($rc, $o) = $c->check_config();
    ok($rc != 0 && $o =~ $re, $name) or diag($o);
}
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store foo_bar\n",
    qr/portico\.cfg:\d+\b.*foo_bar/, 'unknown data type: file:line');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip store gpc0\n",
    qr/portico\.cfg:\d+\b.*size/i, 'missing size: file:line');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type ip size 10 store gpc0\n    http-request track-sc0 src table nosuch\n",
    qr/nosuch/, 'track-sc0 with an unknown table refused');
check_err("frontend f\n    bind 127.0.0.1:1\n    stick-table type foo size 10\n",
    qr/portico\.cfg:\d+\b.*foo/, 'unknown table type: file:line');
