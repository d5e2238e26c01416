#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua TCP services (core.register_service(name, "tcp", fn)) behind "tcp-request content
# use-service lua.<name>" in a frontend or a listen section in mode tcp: AppletTCP's
# getline, receive(size), receive(), send, set_var/get_var, set_priv/get_priv and the
# fetches (sf); the service talks first or answers, and the connection closes when the
# function returns (what it sent flushed first).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(8);
my $d = $t->testdir;
$t->write_file('svc.lua', <<'LUA');
core.register_service("echo", "tcp", function(applet)
    local first = applet:getline()
    applet:send("line:" .. first)
    local four = applet:receive(4)
    applet:send("four:" .. four .. "\n")
    applet:set_var("txn.x", "v")
    applet:send("var:" .. tostring(applet:get_var("txn.x")) .. "\n")
    applet:set_priv({ n = 1 })
    applet:send("priv:" .. applet:get_priv().n .. "\n")
    local rest = applet:receive()
    applet:send("rest:" .. rest .. "|\n")
    applet:send("src:" .. applet.sf:src() .. "\n")
    applet:send("eof:[" .. applet:getline() .. "]\n")
end)
-- HAProxy 2.6 keeps an applet's private value in the stream's Lua context, which only a
-- Lua action creates: one runs before the service
core.register_action("before", { "tcp-req" }, function(txn) end)
-- a tcp-request content action that waits: the rules go on after it
core.register_action("slow", { "tcp-req" }, function(txn)
    core.msleep(30)
    txn:set_var("txn.slept", "yes")
end)
core.register_service("report", "tcp", function(applet)
    applet:send("slept:" .. tostring(applet:get_var("txn.slept")) .. "\n")
    applet:send("set:" .. tostring(applet:set_var("txn.y", 1)) .. " "
        .. tostring(applet:set_var("txn.z", 1, true)) .. " "
        .. tostring(applet:set_var("nosuchscope.y", 1)) .. "\n")
end)
core.register_service("greet", "tcp", function(applet)
    applet:send("hi\n")
    core.msleep(20)
    local l = applet:getline()
    applet:send("got " .. l)
    applet:send(string.rep("x", 100000) .. "\n")
end)
LUA
$t->config(<<"EOF2")->run();
global
    lua-load $d/svc.lua
defaults
    mode tcp
    %%TIMEOUTS%%
frontend f1
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request content lua.before
    tcp-request content use-service lua.echo
listen l2
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request inspect-delay 1s
    tcp-request content use-service lua.greet
frontend f3
    bind 127.0.0.1:%%PORT_8083%%
    tcp-request inspect-delay 2s
    tcp-request content lua.slow
    tcp-request content use-service lua.report
EOF2

my ($got) = tcp_transfer(port(8080), "hello\nabcdREST", { timeout => 10 });
is($got, "line:hello\nfour:abcd\nvar:v\npriv:1\nrest:REST|\nsrc:127.0.0.1\neof:[]\n",
    'getline, receive(4), set_var/get_var, set_priv/get_priv, receive() until the end, sf');

my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8082), Timeout => 5);
ok($c, 'connected to the listen section');
my $line;
eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 5;
    $line = <$c>;
    alarm 0;
};
is($line, "hi\n", 'the service talks first');
print $c "there\n";
my $all = '';
eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    while (my $n = sysread($c, my $buf, 65536)) { $all .= $buf }
    alarm 0;
};
like($all, qr/\Agot there\n/, 'then reads the line the client sent');
is(length($all), length("got there\n") + 100001, 'a large answer is sent whole before the close');

($got) = tcp_transfer(port(8083), "x", { timeout => 10 });
is($got, "slept:yes\nset:true true false\n",
    'a content rule that sleeps, then the service; set_var tells whether it set the variable');

my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
global
    lua-load $d/svc.lua
defaults
    mode tcp
frontend f
    bind 127.0.0.1:1
    tcp-request content use-service lua.nosuch
EOF3
isnt($rc, 0, 'an unknown TCP service is refused');
like($out, qr/bad\.cfg:7\b.*(?:nosuch|unknown service)/, 'with file:line') or diag($out);
