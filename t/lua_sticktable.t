#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's StickTable class (lua/examples/sticktable.lua): Proxy.stktable, info() (type,
# length, size, used, nopurge, expire, data types with their periods), lookup(key) (the
# entry's data, nil when absent), dump([filter]), as HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse /;

my $t = Test::Portico->new()->has(qw/ http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(3);
my $script = File::Spec->rel2abs('lua/examples/sticktable.lua');
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend st
    bind 127.0.0.1:%%PORT_8080%%
    stick-table type ip size 100 expire 30s store gpc0,conn_rate(10s)
    http-request track-sc0 src
    http-request sc-inc-gpc0(0)
    http-request use-service lua.stk
backend strtab
    stick-table type string len 16 size 10 nopurge store http_req_cnt
backend nost
    server s 127.0.0.1:1
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $want = <<'EOW';
dump.expire=nil
dump.gpc0=%d
dump.gt1=%d
dump.n=1
info.data.conn_rate=10000
info.data.gpc0=-1
info.expire=30000
info.length=4
info.nopurge=false
info.size=100
info.type=ip
info.used=1
lookup.conn_rate=%d
lookup.expire=number
lookup.gpc0=%d
lookup.use=number
missing=nil
nost=nil
str.data.http_req_cnt=-1
str.expire=0
str.length=17
str.nopurge=true
str.size=10
str.type=string
EOW
my $r = http_parse(http_get('/'));
is($r && $r->{body}, sprintf($want, 1, 0, 1, 1), 'first request: info, lookup, dump') or diag($r && $r->{raw});
$r = http_parse(http_get('/'));
is($r && $r->{body}, sprintf($want, 2, 1, 2, 2), 'second request: the counters moved, the filter selects it');
