#!/usr/bin/perl
# Tests for timeout client-fin: a half-closed, silent client is dropped after client-fin
# instead of timeout client (mode tcp).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(3);

# A server that accepts (in the kernel backlog) and never answers.
my $sport = port(8081);
Test::Portico::_release($sport);
my $silent = IO::Socket::IP->new(LocalAddr => '127.0.0.1', LocalPort => $sport,
    Listen => 16, ReuseAddr => 1) or die "listen: $!";

$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout client-fin 500ms
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF2

my $c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080))
    or die "connect: $!";
syswrite($c, "hello");
shutdown($c, SHUT_WR);
my $start = time;
my $sel = IO::Select->new($c);
my $closed = 0;
while (time - $start < 8) {
    last unless $sel->can_read(8 - (time - $start));
    my $n = sysread($c, my $buf, 100);
    if (!$n) { $closed = 1; last }
}
my $took = time - $start;
ok($closed, 'half-closed silent client connection closed by portico');
cmp_ok($took, '<', 5, sprintf('closed by client-fin (%.1fs), not timeout client (20s)', $took));
cmp_ok($took, '>=', 0.4, 'not before client-fin');
close $silent;
