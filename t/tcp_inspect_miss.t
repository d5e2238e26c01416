#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# tcp-request content rules under "tcp-request inspect-delay" wait only while a condition
# needs more bytes (HAProxy's three-valued ACLs: a fetch that more bytes may change makes
# the condition undecided), then decide with what is there once the delay ends or the
# client closes; "unless" waits the same way. Checked against HAProxy (reg-tests'
# redis-check uses such a listener).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(10);
$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen ping
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len eq 14 } { req.payload(0,14) -m str "*1\r\n\$4\r\nPING\r\n" }
    tcp-request content reject
    server echo 127.0.0.1:%%PORT_8090%%
listen atleast
    bind 127.0.0.1:%%PORT_8081%%
    tcp-request inspect-delay 600ms
    tcp-request content reject unless { req.len ge 4 }
    server echo 127.0.0.1:%%PORT_8090%%
EOF2

# sends the parts (pausing between them), returns (what came back, seconds until then)
sub talk {
    my ($port, @parts) = @_;
    my $t0 = time;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    for my $i (0 .. $#parts) {
        sleep 0.2 if $i;
        syswrite $s, $parts[$i];
    }
    my ($got, $sel) = ('', IO::Select->new($s));
    my $want = join '', @parts;
    while ($sel->can_read(3)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq $want;
    }
    return ($got, time - $t0);
}

my $ping = "*1\r\n\$4\r\nPING\r\n";
my ($got, $el) = talk(8080, $ping);
is($got, $ping, 'the whole expected message is accepted and forwarded');
ok($el < 0.8, sprintf('... at once (%.2fs)', $el));
($got, $el) = talk(8080, substr($ping, 0, 6), substr($ping, 6));
is($got, $ping, 'in two parts: the rules wait for the rest (req.len may still change)');
ok($el < 0.8, sprintf('... and decide when it comes (%.2fs)', $el));
($got, $el) = talk(8080, "*1\r\n\$4\r\nPONG\r\n");
is($got, '', 'a wrong message of the right length is rejected');
ok($el < 0.8, sprintf('... at once (%.2fs)', $el));
($got, $el) = talk(8080, "*1\r\n");
is($got, '', 'too short: rejected when the delay ends');
ok($el > 0.8, sprintf('... not before (%.2fs)', $el));
($got, $el) = talk(8081, 'ab', 'cd');
is($got, 'abcd', '"unless" waits as well: 2 then 2 bytes are accepted');
($got, $el) = talk(8081, 'ab');
is($got, '', '... 2 bytes alone are rejected when the delay ends');
