#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API access levels: a socket's level (user, operator, admin), commands above it
# refused with "Permission denied", "user"/"operator" lowering a session's level.
# Also passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(13);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/user.sock level user
    stats socket %%TESTDIR%%/oper.sock level operator
    stats socket %%TESTDIR%%/admin.sock level admin mode 600
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub cli {
    my ($which, $input) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $t->testdir . "/$which.sock") or return "connect: $!";
    my $r = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        print $s "$input\n";
        local $/;
        $r = <$s> // '';
        alarm 0;
        1;
    } or $r .= "[$@]";
    alarm 0;
    close $s;
    return $r;
}

my $denied = "Permission denied\n\n";
is(cli('user', 'show cli level'), "user\n\n", 'user socket');
is(cli('oper', 'show cli level'), "operator\n\n", 'operator socket');
is(cli('admin', 'show cli level'), "admin\n\n", 'admin socket');
is((stat($t->testdir . '/admin.sock'))[2] & 0777, 0600, 'socket mode 600');
is(cli('user', 'get weight be/a'), "1 (initial 1)\n\n", 'user may read');
is(cli('user', 'disable server be/a'), $denied, 'user: disable server refused');
is(cli('user', 'set weight be/a 2'), $denied, 'user: set weight refused');
is(cli('oper', 'set server be/a state drain'), $denied, 'operator: set server refused');
is(cli('oper', 'add server be/b 127.0.0.1:1'), $denied, 'operator: add server refused');
is(cli('user', 'operator'), $denied, 'a session cannot raise its level');
is(cli('admin', 'operator; set weight be/a 2'), "\n$denied", 'lowered to operator: refused');
is(cli('admin', 'user;show cli level'), "\nuser\n\n", 'lowered to user');
is(cli('admin', 'set weight be/a 2;get weight be/a'), "\n2 (initial 1)\n\n",
    'admin may change a weight');
