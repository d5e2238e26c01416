#!/usr/bin/perl
# http-response rules of the backend then the frontend run on the response of a service
# (lua/examples/response_rules.lua, HAProxy's reg-tests/lua/h_txn_get_priv.vtc): header
# rules, a Lua action changing the status with txn:get_priv()/set_priv() (private to each
# transaction), a Lua response action that waits, "deny" (502), a body larger than a buffer,
# and the stats page.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(14);
my $script = File::Spec->rel2abs('lua/examples/response_rules.lua');
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.path) path
    http-response set-header x-fe 1
    http-response lua.count
    http-response deny if { var(txn.path) -m str /deny }
    default_backend be
backend be
    http-response set-header x-be 1
    http-response lua.slow
    http-request use-service lua.big if { path /big }
    http-request use-service lua.hello
listen st
    bind 127.0.0.1:%%PORT_8081%%
    stats enable
    stats uri /st
    http-response set-header x-st yes
    http-after-response set-header x-st-after yes
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $two = http("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my @r = split /(?=^HTTP\/1\.1 )/m, $two // '';
my $r1 = http_parse($r[0] // '');
my $r2 = http_parse($r[1] // '');
is($r1 && $r1->{status}, 201, 'the frontend\'s Lua response action set the status')
    or diag($two);
is($r2 && $r2->{status}, 201, 'txn:get_priv() is private to each transaction');
is($r1 && $r1->{body}, "hello /one\n", 'the service\'s body follows');
is($r2 && $r2->{body}, "hello /two\n", 'the second transaction\'s body');
is($r1 && $r1->{h}{'x-be'}, '1', 'backend http-response rule');
is($r1 && $r1->{h}{'x-fe'}, '1', 'frontend http-response rule');
is($r1 && $r1->{h}{'x-slow'}, 'waited', 'a response action that waits (core.msleep)');

my $r = http_parse(http_get('/deny'));
is($r && $r->{status}, 502, 'http-response deny on a service response: 502');

$r = http_parse(http_get('/big'));
is($r && length($r->{body}), 40000, 'a body larger than a buffer') or diag($r && $r->{raw});
is($r && $r->{status}, 201, 'its head went through the rules');

$r = http_parse(http_get('/st', port => port(8081)));
ok($r && $r->{status} == 200 && $r->{body} =~ /Statistics Report/, 'the stats page');
is($r && $r->{h}{'x-st'}, undef, 'no http-response rules on "stats uri", as HAProxy');
is($r && $r->{h}{'x-st-after'}, 'yes', 'its http-after-response rules ran');
