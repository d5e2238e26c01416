#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ABI 1.5 HTTP services from a module (core/test/modules/svc15.cpp) through
# "http-request use-service": a response much larger than the buffer streamed chunked
# (HTTP/1.1) or close-delimited (HTTP/1.0), keep-alive after a service, the request body
# and headers handed to the service, HEAD, a failing service (500), http-request rules
# before use-service, "use-service stats", and an unknown service refused at -c.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse http_keepalive port /;

my $N = 21;
my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan($N);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

SKIP: {
    skip "$dir/svc15.so not built", $N unless -e "$dir/svc15.so";
    $t->ignore_alerts(qr/service_register: a service named 'svc15.big' already exists/);
    $t->config(<<"EOF2")->run();
%%GLOBAL%%
    module-load $dir/svc15.so
    tune.bufsize 8192
    nbthread 1
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request deny if { path /denied }
    http-request use-service svc15.echo if { path_beg /echo }
    http-request use-service svc15.fail if { path /fail }
    http-request use-service svc15.later if { path_beg /later }
    http-request use-service svc15.count if { path /count }
    http-request use-service stats if { path_beg /st }
    http-request use-service svc15.big
EOF2
    my $pattern = sub { my $n = shift; my $s = join('', 'a' .. 'z') x (int($n / 26) + 1); substr($s, 0, $n) };
    my $n = 1_000_000;
    my $r = http_parse(http_get("/$n", timeout => 20));
    is($r->{status}, 200, 'big: 200');
    is($r->{h}{'transfer-encoding'}, 'chunked', 'HTTP/1.1: chunked by the runner');
    is(length($r->{body}), $n, '1 MB through an 8 KiB buffer');
    ok($r->{body} eq $pattern->($n), 'bytes in order');

    my $raw = http("GET /100000 HTTP/1.0\r\n\r\n", timeout => 20);
    my ($head, $body) = split /\r\n\r\n/, $raw // '', 2;
    ok($head !~ /transfer-encoding/i && length($body // '') == 100000,
        'HTTP/1.0: close-delimited body');

    my @r = http_keepalive("GET /30000 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /echo?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: hello\r\nContent-Length: 5\r\n\r\nabcde",
        "GET /77 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    is(scalar(grep { $_ && !$_->{incomplete} } @r), 3, 'three services on one connection');
    is(length($r[0]{body} // ''), 30000, 'first body complete');
    is($r[1]{status}, 201, 'echo: status set by the service');
    is($r[1]{h}{'x-svc'}, 'echo', 'echo: its header field');
    is($r[1]{body}, "GET\n/echo?a=1\nhello\nabcde", 'method, target, header and body');
    is($r[2]{body}, $pattern->(77), 'third request served');

    my $big = 'x' x 2000;
    $r = http_parse(http("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2000\r\n\r\n$big"));
    like($r->{body}, qr/truncated$/, 'body above max_body: flagged, not read');

    $r = http_parse(http("HEAD /5000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 'HEAD');
    ok($r->{status} == 200 && $r->{body} eq '', 'HEAD: no body');
    ok(!exists $r->{h}{'content-length'} && !exists $r->{h}{'transfer-encoding'},
        'HEAD: no framing field (no content-length: 0)') or diag $r->{raw};
    is(http_parse(http_get('/fail'))->{status}, 500, 'service error before the head: 500');
    # a first run() that yields before writing anything: the answer comes at the next call
    $r = http_parse(http_get('/later'));
    ok($r->{status} == 200 && $r->{h}{'x-svc'} eq 'later' && $r->{body} eq "later 1\n",
        'a service that yields first answers on its next call') or diag explain $r;
    @r = http_keepalive("GET /later1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /later2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ok(@r == 2 && !grep({ !$_ || $_->{incomplete} || ($_->{body} // '') ne "later 1\n" } @r),
        'twice on one connection') or diag explain \@r;
    is(http_parse(http_get('/denied'))->{status}, 403, 'rules before use-service still apply');
    $r = http_parse(http_get('/st;csv'));
    like($r->{body}, qr/^# pxname,svname,/, 'use-service stats: the stats page (;csv)');
    like(http_parse(http_get('/count'))->{body}, qr/^\d+\n$/, 'release() ran');

    $t->config(<<"EOF2");
global
    module-load $dir/svc15.so
defaults
    mode http
frontend fe
    bind 127.0.0.1:%%PORT_8081%%
    http-request use-service nosuch
EOF2
    my ($rc, $out) = $t->check_config();
    like($out, qr/portico\.cfg:7: .*unknown service 'nosuch'/, 'unknown service refused with file:line');
}
