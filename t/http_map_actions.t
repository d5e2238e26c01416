#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The set-map, del-map, add-acl and del-acl actions (http-request and http-response): a
# change made by one worker's request is seen by the next request of every worker (2
# workers) and by the runtime API.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(12);
my $dir = $t->testdir;
$t->write_file('m.map', "/a one\n");
$t->write_file('deny.lst', "/blocked\n");
$t->origin_http(port(8081), body => 'origin');
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl bad path -f $dir/deny.lst
    http-request deny deny_status 403 if bad
    http-request set-map($dir/m.map) %[req.hdr(x-key)] %[req.hdr(x-val)] if { req.hdr(x-op) set }
    http-request del-map($dir/m.map) %[req.hdr(x-key)] if { req.hdr(x-op) del }
    http-request add-acl($dir/deny.lst) %[req.hdr(x-key)] if { req.hdr(x-op) block }
    http-request del-acl($dir/deny.lst) %[req.hdr(x-key)] if { req.hdr(x-op) unblock }
    http-request return status 200 content-type text/plain lf-string "%[path,map($dir/m.map,none)]" unless { req.hdr(x-op) -m found } || { path /resp }
    default_backend be
backend be
    http-response set-map($dir/m.map) /r2 %[res.hdr(content-length)]
    server s 127.0.0.1:%%PORT_8081%%
EOF2
my $sock = "$dir/cli.sock";

# The answers of 8 requests (new connection each: spread over the workers), deduplicated.
sub seen {
    my ($path) = @_;
    my %b;
    for (1 .. 8) {
        my $r = http_parse(http_get($path));
        $b{$r ? ($r->{status} == 200 ? $r->{body} : $r->{status}) : 'failed'} = 1;
    }
    return join('|', sort keys %b);
}

sub op {
    my ($op, $key, $val) = @_;
    my $r = http_parse(http_get('/op', headers => ['X-Op' => $op, 'X-Key' => $key,
                                                     defined $val ? ('X-Val' => $val) : ()]));
    return $r ? $r->{status} : 'failed';
}

is(seen('/a'), 'one', 'configured entry');
is(op('set', '/new', 'fresh'), 200, 'set-map request');
is(seen('/new'), 'fresh', 'set-map: a new key, seen by every worker');
op('set', '/a', 'uno');
is(seen('/a'), 'uno', 'set-map: an existing key gets the new value');
like(cli_send($sock, "show map $dir/m.map\n"), qr/^0x[0-9a-f]+ \/a uno\n0x[0-9a-f]+ \/new fresh\n/,
    'show map: the actions\' entries (set-map replaced the value in place)');
op('del', '/new');
is(seen('/new'), 'none', 'del-map: gone in every worker');
is(seen('/blocked'), '403', 'ACL file entry');
op('block', '/evil');
is(seen('/evil'), '403', 'add-acl: every worker denies');
op('block', '/evil');
my @lines = grep { /\/evil$/ } split /\n/, cli_send($sock, "show acl $dir/deny.lst\n");
is(scalar @lines, 1, 'add-acl: an existing pattern is not added twice');
op('unblock', '/blocked');
is(seen('/blocked'), 'none', 'del-acl: every worker lets it through');
my $r = http_parse(http_get('/resp'));
is($r ? $r->{body} : '', 'origin', 'response goes through the http-response set-map');
is(seen("/r2"), "6", 'http-response set-map: the response\'s value, seen by every worker');
