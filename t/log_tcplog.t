#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option tcplog at the end of a tcp connection, the default "Connect from" line at accept,
# dontlognull, a refused server (SC), and the stdout target.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use File::Basename qw/ basename /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(9);

sub udp_listener {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp');
    die "udp: $@" unless $s;
    return $s;
}

sub recv_lines {
    my ($s, $n, $timeout) = @_;
    my @got;
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    while (@got < $n) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $d;
        $s->recv($d, 65535);
        push @got, $d;
    }
    return @got;
}

my $u = udp_listener();
my $up = $u->sockport;
my $dead = port('dead');   # reserved by the harness, nobody listens there
$t->origin_tcp(port(8081));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
    log stdout format raw daemon
defaults
    mode tcp
    %%TIMEOUTS%%
    log global
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend bedead
    server x 127.0.0.1:$dead
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    option tcplog
    option dontlognull
    default_backend be
frontend plain
    bind 127.0.0.1:%%PORT_8082%%
    default_backend be
frontend fd
    bind 127.0.0.1:%%PORT_8083%%
    option tcplog
    default_backend bedead
EOF2

my $pid = $t->pid;
my $tag = basename($t->{binary});
my $date = qr{\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d\.\d{3}};

my ($got) = tcp_transfer(port(8080), 'hello world');
is($got, 'hello world', 'echo through the proxy');
my @l = recv_lines($u, 1, 5);
like($l[0] // '', qr{\A<134>[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d \Q$tag\E\[$pid\]: 127\.0\.0\.1:\d+ \[$date\] fe be/a \d+/\d+/\d+ 11 -- \d+/\d+/\d+/\d+/0 0/0\n\z},
    'tcplog line: client, accept date, names, Tw/Tc/Tt, bytes from the server, --, counts');

# dontlognull: a connection without data is not logged
{
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp');
    close $s if $s;
    my @n = recv_lines($u, 1, 1);
    is(scalar @n, 0, 'dontlognull: empty connection not logged');
}

# no option: the default format at accept
{
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8082), Proto => 'tcp');
    my $lp = $s ? $s->sockport : 0;
    my @d = recv_lines($u, 1, 5);
    my $fp = port(8082);
    like($d[0] // '', qr{\]: Connect from 127\.0\.0\.1:$lp to 127\.0\.0\.1:$fp \(plain/TCP\)\n\z},
        'default format: Connect from <client> to <local> (<frontend>/TCP)');
    close $s if $s;
    my @none = recv_lines($u, 1, 0.5);
    is(scalar @none, 0, 'default format: nothing more at close');
}

# refused server: SC
{
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8083), Proto => 'tcp');
    print $s "x" if $s;
    my $buf;
    sysread($s, $buf, 100) if $s;
    close $s if $s;
    my @e = recv_lines($u, 1, 5);
    like($e[0] // '', qr{\]: 127\.0\.0\.1:\d+ \[$date\] fd bedead/x \d+/-1/\d+ 0 SC \d+/\d+/\d+/\d+/\d+ 0/0\n\z},
        'refused server: Tc -1, 0 bytes, SC');
}

# the stdout target got the same lines, without header
sleep 0.2;
my $out = $t->read_file('stdout.log');
like($out, qr{^127\.0\.0\.1:\d+ \[$date\] fe be/a \d+/\d+/\d+ 11 -- }m, 'stdout raw: tcplog line');
like($out, qr{^Connect from 127\.0\.0\.1:\d+ to }m, 'stdout raw: default line');
unlike($out, qr{^<\d+>}m, 'format raw: no header');
