#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "del server" refuses, as HAProxy 2.6 does, a server other configuration points to: the
# target of a "track", a server named by a fetch argument (srv_is_up(be/s)), one a Lua
# script has used through its Server object; a server that tracks another can be deleted
# and then no longer follows it (its slot taken by an added server stays as set). A fetch
# argument naming a server that does not exist is refused at -c.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send wait_until show_stat /;
use Time::HiRes qw/ sleep /;

my $t = Test::Portico->new()->has(qw/ http /);
my $lua = !$t->portico || $t->has_feature('lua');
$t->plan(18);
my $dir = $t->testdir;
open my $fh, '>', "$dir/touch.lua" or die "touch.lua: $!";
print $fh <<'EOF';
core.register_service("touch", "http", function(applet)
    local s = core.backends["be"].servers["luas"]
    local body = s:get_addr()
    applet:set_status(200)
    applet:add_header("content-length", string.len(body))
    applet:start_response()
    applet:send(body)
end)
EOF
close $fh;
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'c');
my $lua_global = $lua ? "    lua-load $dir/touch.lua\n" : '';
my $lua_rule = $lua ? "    http-request use-service lua.touch if { path /touch }\n" : '';
$t->config(<<"EOF2");
global
    nbthread 1
$lua_global    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
$lua_rule    http-response set-header x-up %[srv_is_up(be/ref)]
    default_backend be
backend be
    server ref 127.0.0.1:%%PORT_8081%%
    server chk 127.0.0.1:%%PORT_8082%% check inter 200ms fall 1 rise 1
    server trk 127.0.0.1:%%PORT_8081%% track chk
    server plain 127.0.0.1:%%PORT_8081%%
    server luas 127.0.0.1:%%PORT_8081%%
    server luas2 127.0.0.1:%%PORT_8081%% disabled
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();
my $sock = $t->testdir . '/cli.sock';
sub cli { my $r = cli_send($sock, "$_[0]\n"); $r =~ s/\n+\z//; $r }

sub status { (show_stat($sock, 'be') // {})->{"be/$_[0]"}{status} // '' }
ok(wait_until(10, sub { status('chk') eq 'UP' }),
    'the tracked server is up');
cli("disable server be/$_") for qw/ trk plain luas /;
# (the refusal comes before the maintenance check, as in HAProxy: ref and chk stay up)

my $refused = 'This server cannot be removed at runtime due to other configuration elements '
    . 'pointing to it.';
is(cli('del server be/ref'), $refused, 'named by a fetch argument: refused');
is(cli('del server be/chk'), $refused, 'tracked by another server: refused');
is(cli('del server be/plain'), 'Server deleted.', 'a server nothing points to: deleted');
is(cli('del server be/plain'), 'No such server.', 'and gone');
SKIP: {
    skip 'no lua', 3 unless $lua;
    my $r = http_parse(http_get('/touch'));
    is($r && $r->{body}, '127.0.0.1:' . port(8081), 'a Lua script used the Server object');
    is(cli('del server be/luas'), $refused, 'used by Lua: refused');
    like(cli('show servers state be'), qr/^\d+ be \d+ luas /m, 'and still there');
}
is(cli('del server be/luas2'), 'Server deleted.', 'a server Lua did not use: deleted');
my $r = http_parse(http_get('/'));
is($r && $r->{h}{'x-up'}, '1', 'the fetch argument still reads its server');

# the tracker can go; then it no longer follows the server it tracked
is(cli('del server be/trk'), 'Server deleted.', 'a tracking server: deleted');
is(cli('add server be/trk 127.0.0.1:' . port(8081)), 'New server registered.',
    'a server of the same name added');
is(cli('enable server be/trk'), '', 'and enabled');
my $victim = delete $t->{origins}{port(8082)};
kill 'KILL', $victim;
$t->_reap($victim, 3);
ok(wait_until(10, sub { status('chk') =~ /^DOWN/ }),
    'the tracked server went down');
unlike(status('trk'), qr/DOWN|MAINT/, 'the added server did not follow it');
is(http_parse(http_get('/'))->{body} // '', 'a', 'traffic still served');

# a fetch argument naming no server: refused at -c, as HAProxy
$t->config(<<'EOF2');
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-header x-up %[srv_is_up(be/nosuch)]
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
is($rc, 1, 'srv_is_up(be/nosuch) refused at -c') or diag($out);
