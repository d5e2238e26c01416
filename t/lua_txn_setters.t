#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's TXN:set_loglevel (the level of the transaction's log line), set_tos, set_mark,
# set_priority_class and set_priority_offset (clamped as HAProxy 2.6 clamps them, seen by
# the prio_class / prio_offset fetches), run as the set-log-level, set-tos, set-mark and
# set-priority-* actions run.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(10);
$t->ignore_alerts(qr/Lua function 'set'/);
my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
my $d = $t->testdir;
$t->write_file('set.lua', <<'LUA');
core.register_action("set", { "http-req" }, function(txn)
    local p = txn.sf:path()
    if p == "/err" then txn:set_loglevel(core.err) end
    if p == "/debug" then txn:set_loglevel(core.debug) end
    if p == "/emerg" then txn:set_loglevel(core.emerg) end
    if p == "/bad" then txn:set_loglevel(8) end
    txn:set_tos(16)
    txn:set_mark(2)
    if p == "/big" then
        txn:set_priority_class(5000)
        txn:set_priority_offset(-600000)
    else
        txn:set_priority_class(-7)
        txn:set_priority_offset(1234)
    end
end)
LUA
$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2")->run();
global
    lua-load $d/set.lua
    log 127.0.0.1:$up local0 debug
defaults
    mode http
    %%TIMEOUTS%%
    log global
    log-format "line %HP"
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.set
    http-request set-log-level debug if { path /cfgdebug }
    http-request set-header X-Prio "%[prio_class] %[prio_offset]"
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

my $r = http_parse(http_get('/ok'));
like($r ? $r->{body} : '', qr/^x-prio: -7 1234\r$/mi, 'set_priority_class / offset');
$r = http_parse(http_get('/big'));
like($r ? $r->{body} : '', qr/^x-prio: 2047 -524287\r$/mi, 'clamped to -2047..2047 / -524287..524287');
$r = http_parse(http_get('/err'));
is($r ? $r->{status} : 0, 200, 'set_loglevel(core.err): answered');
http_parse(http_get('/debug'));
http_parse(http_get('/emerg'));
http_parse(http_get('/cfgdebug'));
$r = http_parse(http_get('/bad'));
is($r ? $r->{status} : 0, $t->portico ? 500 : 200,
    'set_loglevel(8): a Lua error (HAProxy logs it and goes on)');
ok($t->wait_log(qr/Bad log level/), 'the bad level is reported');

my %pri;
my $sel = IO::Select->new($u);
my $deadline = time + 5;
while (time < $deadline && keys(%pri) < 6 && $sel->can_read($deadline - time)) {
    my $m;
    $u->recv($m, 65535);
    $pri{$2} = $1 if $m =~ m{^<(\d+)>.*line (/\w+)};
}
# local0 = 16: <134> is info (the default). HAProxy 2.6 sends the line one level more
# severe than the one given (it stores n where its log code reads the level plus one).
is($pri{'/ok'} // '', 134, 'the default level: info');
is($pri{'/err'} // '', 130, 'set_loglevel(core.err): crit, as HAProxy 2.6') or diag explain \%pri;
is($pri{'/debug'} // '', 134, 'set_loglevel(core.debug): info, as HAProxy 2.6');
is($pri{'/emerg'} // '', 134, 'set_loglevel(core.emerg): unchanged, as HAProxy 2.6');
is($pri{'/cfgdebug'} // '', 135, 'http-request set-log-level debug: debug (not silent)');
