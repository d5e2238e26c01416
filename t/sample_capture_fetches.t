#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# pathq, capture.req.method/uri/ver, capture.res.ver, req.cook_val / cook_val and the
# be_/cur_/fe_ timeout fetches, so_id and so_name, as HAProxy
# 2.6 (the capture.* fetches in the response phase, where the request line is gone; HAProxy
# keeps that line when the frontend logs it, hence "option httplog" here).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8081), handler => sub { (200, ['Content-Type' => 'text/plain'], 'ok') });
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    option httplog
backend be
    timeout server 7s
    timeout tunnel 1m
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8090%%
    bind 127.0.0.1:%%PORT_8080%% name second
    http-response set-header x-so "%[so_id] %[so_name]"
    http-request set-var(txn.pq) pathq
    http-request set-var(txn.cv) req.cook_val(n)
    http-request set-var(txn.cv2) cook_val(bad)
    http-response set-header x-pq "%[var(txn.pq)]"
    http-response set-header x-cap "%[capture.req.method] %[capture.req.uri] %[capture.req.ver] %[capture.res.ver]"
    http-response set-header x-cv "%[var(txn.cv),add(1)]"
    http-response set-header x-cv2 "[%[var(txn.cv2)]]"
    http-response set-header x-tmo "%[be_server_timeout] %[cur_server_timeout] %[be_tunnel_timeout] %[cur_tunnel_timeout] %[fe_client_timeout]"
    default_backend be
EOF2

sub get {
    my ($target, $extra, $host) = @_;
    return http_parse(http("GET $target HTTP/1.1\r\nHost: " . ($host // 'x') . "\r\n" . ($extra // '') . "Connection: close\r\n\r\n",
        port => port(8080))) // {};
}
my $r = get('/a/b?c=d&e', "Cookie: n=41; bad=4x2\r\n");
is($r->{h}{'x-pq'}, '/a/b?c=d&e', 'pathq: the path and its query');
is($r->{h}{'x-cap'}, 'GET /a/b?c=d&e HTTP/1.1 HTTP/1.1', 'capture.req.method/uri/ver and capture.res.ver in the response');
is($r->{h}{'x-cv'}, '42', 'req.cook_val: the cookie as an integer');
is($r->{h}{'x-cv2'}, '[4]', 'cook_val: the leading digits of "4x2"');
is($r->{h}{'x-so'}, '2 second', 'so_id and so_name of the bind line the client came through');
like($r->{h}{'x-tmo'} // '', qr/^7000 7000 60000 60000 \d+$/, 'be_/cur_server_timeout, be_/cur_tunnel_timeout, fe_client_timeout');
$r = get('http://example.com/abs?q=1', '', 'example.com');
is($r->{h}{'x-pq'}, '/abs?q=1', 'pathq of an absolute-form target');
like($r->{h}{'x-cap'}, qr{^GET /}, 'capture.req.uri of an absolute-form target');
