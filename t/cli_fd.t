#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API on an inherited socket ("stats socket fd@${NAME}", as HAProxy's regression
# harness passes it) and on a TCP address; a stale UNIX socket file is replaced.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), body => 'a');
my $fdport = $t->listen_fd('cli_sock', 8070);
# a stale socket file left by a previous run
my $stale = $t->testdir . '/stale.sock';
{
    my $s = IO::Socket::UNIX->new(Local => $stale, Listen => 1) or die "stale: $!";
    close $s;
}
ok(-S $stale, 'stale socket file exists');
$t->config(<<'EOF2')->run(wait_ports => ['8071']);
%%GLOBAL%%
    stats socket "fd@${cli_sock}" level admin
    stats socket 127.0.0.1:%%PORT_8071%% level user
    stats socket %%TESTDIR%%/stale.sock
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub ask {
    my ($s, $input) = @_;
    return 'connect failed' unless $s;
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

sub tcp { IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $_[0], Proto => 'tcp') }

is(ask(tcp($fdport), 'show backend'), "# name\nbe\n\n", 'inherited fd@ socket answers');
is(ask(tcp($fdport), 'show cli level'), "admin\n\n", 'with its level');
is(ask(tcp(port(8071)), 'show cli level'), "user\n\n", 'TCP stats socket, level user');
is(ask(IO::Socket::UNIX->new(Peer => $stale), 'show cli level'), "operator\n\n",
    'stale UNIX socket replaced; default level operator');
my $r = http_parse(http_get('/'));
is($r && $r->{body}, 'a', 'traffic unaffected');
