#!/usr/bin/perl
# Lua errors fail only their request (lua/examples/errors.lua): a runtime error answers 500
# and logs the message with the script's file:line; an endless loop is preempted
# (tune.lua.forced-yield) while other requests of the same worker are served, and stopped
# by tune.lua.session-timeout (500); tune.lua.maxmem makes an allocation fail (500); the
# worker lives on. A syntax error in a loaded script is a -c error with file:line; a
# runtime error in tcp-request content closes that connection.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http http_end http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(17);
my $script = File::Spec->rel2abs('lua/examples/errors.lua');

$t->ignore_alerts(qr/Lua function '(?:boom|spin|hog)'/);
$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
    tune.lua.session-timeout 500ms
    tune.lua.forced-yield 1000
    tune.lua.maxmem 16
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.boom if { path /boom }
    http-request lua.spin if { path /spin }
    http-request lua.hog if { path /hog }
    http-request lua.fine
    default_backend be
listen tcpfe
    mode tcp
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request content lua.boom
    server a 127.0.0.1:%%PORT_8081%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/boom'));
# HAProxy 2.6 logs and goes on with the request (200); portico fails it (issue 12)
my $fail = $t->portico ? 500 : 200;
is($r && $r->{status}, $fail, "runtime error: $fail");
my $log = '';
for (1 .. 50) {
    $log = $t->errlog;
    last if $log =~ /boom/;
    select(undef, undef, undef, 0.1);
}
like($log, qr/boom.*errors\.lua:5:/, 'the error is logged with the script\'s file:line')
    or diag($log);

# the endless loop: another request on the same (only) worker is served meanwhile
my $spin = http_get('/spin', start => 1);
ok($spin, 'endless loop request sent');
$r = http_parse(http_get('/ok'));
is($r && $r->{status}, 200, 'another request is served while the loop runs (forced yield)');
like($r ? $r->{body} : '', qr/^X-Fine: yes\r$/mi, 'its action ran');
$r = http_parse($spin ? http_end($spin) : undef);
is($r && $r->{status}, $fail, "the endless loop is stopped by its timeout: $fail");
for (1 .. 50) {
    $log = $t->errlog;
    last if $log =~ /spin/;
    select(undef, undef, undef, 0.1);
}
like($log, qr/spin.*execution timeout.*errors\.lua:1\d:/, 'timeout logged with file:line')
    or diag($log);

$r = http_parse(http_get('/hog'));
is($r && $r->{status}, $fail, "tune.lua.maxmem exceeded: $fail");
for (1 .. 50) {
    $log = $t->errlog;
    last if $log =~ /hog/;
    select(undef, undef, undef, 0.1);
}
like($log, qr/'hog': out of memory error/, 'the failed allocation is logged') or diag($log);

$r = http_parse(http_get('/after'));
is($r && $r->{status}, 200, 'the worker lives on');

# tcp-request content: the connection is closed
my $raw = http("GET / HTTP/1.1\r\nHost: x\r\n\r\n", port => port(8082), quiet => 1);
if ($t->portico) {
    is($raw // '', '', 'tcp-request content runtime error: connection closed, nothing forwarded');
} else {
    like($raw // '', qr/^HTTP\/1\.1 200/, 'HAProxy 2.6 goes on after a tcp-request content error');
}
$t->stop();

# a syntax error is a -c error naming the script's file:line
my $bad = $t->testdir . '/bad.lua';
$t->write_file('bad.lua', "core.register_action('x', {'http-req'}, function(txn)\n  if then\nend)\n");
$t->config(<<"EOF2");
global
    lua-load $bad
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
isnt($rc, 0, 'syntax error: -c fails');
like($out, qr/bad\.lua:2:/, 'with the script\'s file:line') or diag($out);
like($out, qr/portico\.cfg:\d+/, 'and the lua-load line') or diag($out);

# a runtime error while loading is a -c error too
$t->write_file('bad.lua', "local x = nil\nx.y = 1\n");
($rc, $out) = $t->check_config();
isnt($rc, 0, 'runtime error while loading: -c fails');
like($out, qr/bad\.lua:2:/, 'with the script\'s file:line') or diag($out);
