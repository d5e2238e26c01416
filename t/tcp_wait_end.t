#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The wait_end fetch and the predefined WAIT_END ACL: undecided while tcp-request content
# rules wait for data under "tcp-request inspect-delay", true once the delay is over, as
# HAProxy (its classic "accept if WAIT_END" pattern, and "reject if WAIT_END").
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(4);
$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen waitaccept
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 300ms
    tcp-request content accept if WAIT_END
    tcp-request content reject
    server echo 127.0.0.1:%%PORT_8090%%
listen waitreject
    bind 127.0.0.1:%%PORT_8081%%
    tcp-request inspect-delay 300ms
    tcp-request content reject if { wait_end }
    tcp-request content accept
    server echo 127.0.0.1:%%PORT_8090%%
listen noinspect
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request content reject if WAIT_END
    server echo 127.0.0.1:%%PORT_8090%%
EOF2

# Sends "hello", returns what comes back within 3 s (until the proxy closes).
sub talk {
    my ($port) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    syswrite $s, "hello";
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(3)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq 'hello';
    }
    return $got;
}

is(talk(8080), 'hello', 'accept if WAIT_END: forwarded once the delay is over');
is(talk(8081), '', 'reject if wait_end: rejected once the delay is over');
is(talk(8082), '', 'without inspect-delay the rules run once: WAIT_END is true');
my ($rc, $out) = Test::Portico->new()->config("defaults\n    mode tcp\nfrontend f\n"
    . "    bind 127.0.0.1:" . port(8083) . "\n    tcp-request content reject if { wait_end(1) }\n")
    ->check_config;
is($rc, 1, 'wait_end takes no argument') or diag $out;
