#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option http-restrict-req-hdr-names: request header names with a character outside
# [A-Za-z0-9-] are kept (preserve), removed (delete) or make the request fail with 403
# (reject), after the proxy's own http-request rules (which still see them). Checked
# against HAProxy.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend f_delete
    bind 127.0.0.1:%%PORT_8080%%
    option http-restrict-req-hdr-names delete
    http-request set-header x-seen %[req.hdr(x_under)]
    default_backend be
frontend f_reject
    bind 127.0.0.1:%%PORT_8082%%
    default_backend be_reject
frontend f_preserve
    bind 127.0.0.1:%%PORT_8083%%
    option http-restrict-req-hdr-names preserve
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_reject
    option http-restrict-req-hdr-names reject
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub req {
    my ($port, @h) = @_;
    http_parse(http("GET / HTTP/1.1\r\nHost: x\r\n" . join('', map { "$_\r\n" } @h)
        . "Connection: close\r\n\r\n", port => port($port)));
}

my $r = req(8080, 'x_under: 1', 'X-Fine-9: 2', 'x.dot: 3');
is($r && $r->{status}, 200, 'delete: served');
unlike($r ? $r->{body} : '', qr/x_under|x\.dot/i, 'delete: the names with _ and . are gone');
like($r ? $r->{body} : '', qr/X-Fine-9: 2/i, 'delete: the others stay');
like($r ? $r->{body} : '', qr/x-seen: 1/, "delete: the proxy's own rules ran before");
$r = req(8082, 'x_under: 1');
is($r && $r->{status}, 403, 'reject (backend): 403');
$r = req(8082, 'X-Fine: 1');
is($r && $r->{status}, 200, 'reject: a clean request passes');
$r = req(8083, 'x_under: 1');
like($r ? $r->{body} : '', qr/x_under: 1/, 'preserve: kept');
my ($st, $out) = (0, '');
SKIP: {
    skip 'portico messages', 2 unless Test::Portico::portico();
    my $c = Test::Portico->new();
    $c->config("defaults\n    mode http\nbackend b\n    option http-restrict-req-hdr-names drop\n");
    ($st, $out) = $c->check_config;
    isnt($st, 0, 'an unknown policy is refused');
    like($out, qr/portico\.cfg:4: .*expects 'preserve', 'delete' or 'reject'/, '... with file:line');
}
