#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# fe_sess_rate, fe_req_rate, be_sess_rate ([<proxy>]), srv_sess_rate([<backend>/]<server>):
# events per second over the last second, all workers together, as HAProxy 2.6 (an HTTP
# request counts for the backend and the server each time; the current request and
# connection are already counted), the same rates in "show stat" (rate, rate_max), cpu_calls, and the
# profiling counters (0 without task profiling). Values are checked as lower bounds and
# zeros, never as exact rates.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port show_stat /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-request set-header X-Rates "%[fe_req_rate(fe)] %[fe_sess_rate(fe)] %[be_sess_rate] %[fe_req_rate(idle)] %[fe_sess_rate(idle)] %[be_sess_rate(be_idle)] %[cpu_calls] %[cpu_ns_tot] %[lat_ns_avg]"
    http-response set-header X-Srv-Rate "%[srv_sess_rate(be/a)] %[srv_sess_rate(be_idle/a)]"
    server a 127.0.0.1:%%PORT_8081%%
backend be_idle
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend idle
    bind 127.0.0.1:%%PORT_8082%%
    default_backend be_idle
EOF2

my $req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
my @r = http_keepalive($req, $req, $req);
my @sr = map { my ($h) = $_ ? grep { lc $_->[0] eq 'x-srv-rate' } @{$_->{headers}} : (); $h ? [split / /, $h->[1]] : [] } @r;
cmp_ok($sr[2][0] // -1, '>=', 1, 'srv_sess_rate counts the request given to the server');
is($sr[2][1] // '', '0', 'srv_sess_rate of an idle server: 0');
my $st = show_stat($t->testdir . '/cli.sock');
cmp_ok($st->{'be/BACKEND'}{rate_max} // -1, '>=', 1, 'show stat: the backend\'s peak rate');
cmp_ok($st->{'be/a'}{rate_max} // -1, '>=', 1, 'show stat: the server\'s peak rate');
is(join(' ', map { $st->{'be_idle/a'}{$_} // '' } qw/rate rate_max/), '0 0', 'show stat: an idle server\'s rate and rate_max');
my @v = map { $_ && $_->{body} =~ /^x-rates: (.*?)\r$/mi ? [split / /, $1] : [] } @r;
cmp_ok($v[0][0] // -1, '>=', 1, 'fe_req_rate counts the current request');
cmp_ok($v[0][1] // -1, '>=', 1, 'fe_sess_rate counts the current connection');
cmp_ok($v[0][2] // -1, '>=', 1, 'be_sess_rate counts the current request');
cmp_ok($v[2][0] // -1, '>=', 2, 'fe_req_rate: every request of a keep-alive connection');
cmp_ok($v[2][2] // -1, '>=', 2, 'be_sess_rate: every request too');
is(join(' ', @{$v[2]}[3 .. 5]), '0 0 0', 'named idle proxies: 0');
cmp_ok($v[2][6] // 0, '>=', 1, 'cpu_calls: the stream ran');
is(join(' ', @{$v[2]}[7, 8]), '0 0', 'cpu_ns_tot, lat_ns_avg: 0 without task profiling');
my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    http-request set-var(txn.x) fe_req_rate(a,b)
EOF3
isnt($rc, 0, 'too many arguments refused');
