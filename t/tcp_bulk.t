#!/usr/bin/perl
# Tests for mode tcp bulk forwarding: 4 MiB byte-exact with half-close, concurrent connections.
use warnings;
use strict;
use Test::More;
use Digest::MD5 qw/ md5_hex /;
use lib 't/lib';
use Test::Portico qw/ port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(4);
$t->origin_tcp(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub random_bytes {
    my ($n) = @_;
    return join '', map { pack 'N', int rand 2**32 } 1 .. $n / 4;
}

my $big = random_bytes(4 * 1024 * 1024);
my ($got) = tcp_transfer(port(8080), $big, { timeout => 60 });
is(length($got // ''), length $big, '4 MiB echoed back in full after half-close');
is(md5_hex($got // ''), md5_hex($big), '4 MiB byte-exact');

my @payloads = map { random_bytes(256 * 1024) . "conn$_" } 1 .. 8;
my @recv = tcp_transfer(port(8080), @payloads, { timeout => 60 });
is(scalar(grep { defined $recv[$_] && length $recv[$_] == length $payloads[$_] } 0 .. 7), 8,
    '8 concurrent connections: full length');
is(scalar(grep { defined $recv[$_] && md5_hex($recv[$_]) eq md5_hex($payloads[$_]) } 0 .. 7), 8,
    '8 concurrent connections: byte-exact');
