#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Stick tables survive a reload (beyond HAProxy, which needs peers for it): counters,
# rates' current values and the stuck server are in the new generation's tables; a table
# the new configuration drops or retypes starts empty, without breaking the reload.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ cli_send http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(9);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');

sub cfg {
    my ($type) = @_;
    return <<"EOF2";
global
    maxconn 100
    workers 2
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    stick-table type $type size 1k expire 10m store gpc0,http_req_cnt,http_req_rate(1m),server_id
    stick on src
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request track-sc0 src table be
    http-request sc-inc-gpc0(0)
    default_backend be
EOF2
}
$t->config(cfg('ip'))->run();
$t->wait_workers(2, 5);
my $sock = $t->testdir . '/admin.sock';
sub entry {
    my ($l) = grep { /key=127\.0\.0\.1/ } split /\n/, cli_send($sock, "show table be\n");
    return '' unless $l;
    my %f = $l =~ /(\w+)(?:\(\d+\))?=(\S+)/g;
    return join ' ', map { "$_=" . ($f{$_} // '?') } qw/ gpc0 http_req_cnt http_req_rate server_id /;
}
my %body;
$body{http_parse(http_get('/'))->{body} // 'none'}++ for 1 .. 5;
is(scalar(keys %body), 1, 'stick on src: one server for every request') or diag(join ' ', %body);
my ($stuck) = keys %body;
my $before = entry();
like($before, qr/^gpc0=5 http_req_cnt=5 http_req_rate=5 server_id=[12]$/, 'the entry before the reload');

like($t->reload(cfg('ip')) // '', qr/Reload complete/, 'reload');
is(entry(), $before, 'after the reload: the same counters, rate and server');
like($t->errlog, qr/stick-table entr(?:y|ies) carried over/, 'the master says it carried them over');
my $r = http_parse(http_get('/'));
is($r && $r->{body}, $stuck, 'the stuck server still serves this client');
like(entry(), qr/^gpc0=6 http_req_cnt=6 /, 'and the counters go on from there');

# retyped to integer: the old (address) keys do not fit, the table starts empty, the reload completes
like($t->reload(cfg('integer')) // '', qr/Reload complete/, 'reload with the table retyped');
unlike(cli_send($sock, "show table be\n"), qr/key=/, 'the retyped table starts empty');
