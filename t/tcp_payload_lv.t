#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# req.payload_lv (a length-prefixed block of the request bytes: the block after the length,
# at a relative "+n" offset, or at an absolute one read as HAProxy 2.6 reads it, halved),
# res.payload and res.len in tcp-response content rules, waiting for bytes under
# inspect-delay. Runs unchanged against HAProxy (PORTICO_TEST_BINARY=/usr/sbin/haproxy).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(10);
$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen lv
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 2s
    tcp-request content reject unless { req.payload_lv(0,1) -m str hello }
    server echo 127.0.0.1:%%PORT_8090%%
listen rel
    bind 127.0.0.1:%%PORT_8081%%
    tcp-request inspect-delay 2s
    tcp-request content reject unless { req.payload_lv(0,2,+2) -m bin 6162 }
    server echo 127.0.0.1:%%PORT_8090%%
listen abs
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request inspect-delay 2s
    tcp-request content reject unless { req.payload_lv(0,1,4) -m str zz }
    server echo 127.0.0.1:%%PORT_8090%%
listen res
    bind 127.0.0.1:%%PORT_8083%%
    tcp-response inspect-delay 2s
    tcp-response content reject unless { res.len ge 3 } { res.payload(0,3) -m str abc }
    server echo 127.0.0.1:%%PORT_8090%%
EOF2

# sends the parts (pausing between them), returns what came back
sub talk {
    my ($port, @parts) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    for my $i (0 .. $#parts) {
        sleep 0.2 if $i;
        syswrite $s, $parts[$i];
    }
    my ($got, $sel) = ('', IO::Select->new($s));
    my $want = join '', @parts;
    while ($sel->can_read(4)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq $want;
    }
    return $got;
}

is(talk(8080, "\x05hello!"), "\x05hello!", 'payload_lv: the block after a 1-byte length');
is(talk(8080, "\x05hellx"), '', '... another block is rejected');
is(talk(8080, "\x05he", "llo"), "\x05hello", '... a partial block waits for the rest');
is(talk(8081, "\x00\x02XXab"), "\x00\x02XXab", 'a 2-byte length, block at +2 after it');
is(talk(8081, "\x00\x02ab"), '', '... not right after it');
is(talk(8082, "\x02Azzqq"), "\x02Azzqq", 'an absolute offset2 of 4 reads at 2 (HAProxy)');
is(talk(8082, "\x02Aqqzz"), '', '... not at 4');
is(talk(8083, "abcdef"), "abcdef", 'res.payload in a tcp-response content rule');
is(talk(8083, "xyzabc"), '', '... another response is rejected');
is(talk(8083, "a", "bc"), "abc", '... res.len makes it wait for 3 bytes');
