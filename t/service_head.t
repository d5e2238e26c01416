#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# HEAD to the HTTP services, as HAProxy 2.6 answers it: the head of the GET answer without
# a body and without a "content-length: 0" (which would announce an empty resource); the
# Prometheus exporter shows "transfer-encoding: chunked", the stats page no framing field;
# the connection stays open after them; the exporter's 400 keeps its content-length.
# Passes against HAProxy 2.6 too.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);
$t->config(<<'EOF')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service prometheus-exporter if { path /metrics }
    stats enable
    stats uri /stats
EOF

sub head {
    my ($uri, $v) = @_;
    my $raw = http("HEAD $uri HTTP/$v\r\nHost: x\r\nConnection: close\r\n\r\n") // '';
    return (http_parse($raw, 'HEAD') // {}, $raw);
}

for my $v ('1.1', '1.0') {
    my ($r, $raw) = head('/metrics', $v);
    ok($r->{status} == 200 && $raw =~ /\r\n\r\n\z/, "HTTP/$v HEAD /metrics: 200, head only");
    ok(!exists $r->{h}{'content-length'}, "HTTP/$v HEAD /metrics: no content-length")
        or diag $raw;
    is($r->{h}{'transfer-encoding'}, 'chunked', "HTTP/$v HEAD /metrics: transfer-encoding chunked");
    ($r, $raw) = head('/stats;csv', $v);
    ok($r->{status} == 200 && $raw =~ /\r\n\r\n\z/, "HTTP/$v HEAD /stats;csv: 200, head only");
    ok(!exists $r->{h}{'content-length'} && !exists $r->{h}{'transfer-encoding'},
        "HTTP/$v HEAD /stats;csv: no framing field") or diag $raw;
}
my ($r, $raw) = head('/metrics?scope=bogus', '1.1');
ok($r->{status} == 400 && $r->{h}{'content-length'} == 90 && $raw =~ /\r\n\r\n\z/,
    'HEAD with a bad scope: 400, its content-length, no body') or diag $raw;

# keep-alive: HEAD answers leave the connection open, the GET after them is complete
my @r = http_keepalive("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "HEAD /stats HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
ok($r[0] && $r[0]{status} == 200 && !exists $r[0]{h}{connection}, 'HEAD /metrics kept alive');
ok($r[1] && $r[1]{status} == 200 && !exists $r[1]{h}{connection}, 'HEAD /stats kept alive');
ok($r[2] && $r[2]{status} == 200 && ($r[2]{body} // '') =~ /^# pxname,svname,/,
    'then a GET on the same connection');
