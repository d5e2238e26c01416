#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's core.set_map, core.del_map, core.add_acl and core.del_acl: the change of one
# worker's request is seen by the next request of every worker (2 workers); an unknown file
# is a Lua error.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(7);
my $dir = $t->testdir;
$t->write_file('m.map', "/a one\n");
$t->write_file('deny.lst', "/blocked\n");
$t->write_file('ops.lua', <<'EOF3');
core.register_action("mapop", { "http-req" }, function(txn)
    local op = txn.sf:req_hdr("x-op")
    local f, k, v = txn.sf:req_hdr("x-file"), txn.sf:req_hdr("x-key"), txn.sf:req_hdr("x-val")
    if op == "set" then core.set_map(f, k, v)
    elseif op == "del" then core.del_map(f, k)
    elseif op == "block" then core.add_acl(f, k)
    elseif op == "unblock" then core.del_acl(f, k) end
    txn.http:req_set_header("x-done", "1")
end)
EOF3
$t->config(<<"EOF2")->run();
global
    lua-load $dir/ops.lua
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl bad path -f $dir/deny.lst
    http-request deny deny_status 403 if bad
    http-request lua.mapop if { req.hdr(x-op) -m found }
    http-request return status 200 content-type text/plain lf-string "%[path,map($dir/m.map,none)] %[req.hdr(x-done)]"
EOF2

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
    my ($op, $file, $key, $val) = @_;
    my $r = http_parse(http_get('/op', headers => ['X-Op' => $op, 'X-File' => "$dir/$file",
        'X-Key' => $key, defined $val ? ('X-Val' => $val) : ()]));
    return $r ? $r->{status} : 'failed';
}

is(op('set', 'm.map', '/n', 'new'), 200, 'core.set_map');
is(seen('/n'), 'new ', 'core.set_map: a new entry, seen by every worker');
op('set', 'm.map', '/a', 'uno');
is(seen('/a'), 'uno ', 'core.set_map: an existing entry');
op('del', 'm.map', '/a');
is(seen('/a'), 'none ', 'core.del_map');
op('block', 'deny.lst', '/evil');
is(seen('/evil'), '403', 'core.add_acl');
op('unblock', 'deny.lst', '/blocked');
is(seen('/blocked'), 'none ', 'core.del_acl');
$t->ignore_alerts(qr/unknown map file/);
op('set', 'nope.map', '/x', 'y'); # a Lua error (HAProxy: "unknown map file")
is(seen('/x'), 'none ', 'core.set_map on a file no map uses: nothing changes, the proxy goes on');
