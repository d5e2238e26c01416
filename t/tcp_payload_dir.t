#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The deprecated payload(<offset>,<length>) and payload_lv(...) fetches follow the direction
# of the rule that runs them, as HAProxy's: the request bytes in tcp-request content rules,
# the response bytes in tcp-response content rules, even from one ACL used by both.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(6);
$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen both
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 2s
    tcp-response inspect-delay 2s
    acl ping payload(0,4) -m str PING
    tcp-request content accept if ping
    tcp-request content reject
    tcp-response content reject if ping
    server echo 127.0.0.1:%%PORT_8090%%
listen reqonly
    bind 127.0.0.1:%%PORT_8081%%
    tcp-request inspect-delay 2s
    tcp-response inspect-delay 2s
    acl ping payload(0,4) -m str PING
    tcp-request content accept if ping
    tcp-request content reject
    tcp-response content reject if { payload(0,4) -m str PONG }
    server echo 127.0.0.1:%%PORT_8090%%
listen lv
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request inspect-delay 2s
    tcp-response inspect-delay 2s
    tcp-request content reject unless { payload_lv(0,1) -m str abc }
    tcp-response content reject if { payload_lv(0,1) -m str abc }
    server echo 127.0.0.1:%%PORT_8090%%
listen lvreq
    bind 127.0.0.1:%%PORT_8083%%
    tcp-request inspect-delay 2s
    tcp-request content reject unless { payload_lv(0,1) -m str abc }
    server echo 127.0.0.1:%%PORT_8090%%
EOF2

# sends <data>, returns what comes back within 3 s (until the proxy closes)
sub talk {
    my ($port, $data) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    syswrite $s, $data;
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(3)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq $data;
    }
    return $got;
}

is(talk(8081, 'PING'), 'PING', 'payload() in a request rule reads the request: PING accepted');
is(talk(8081, 'PONG'), '', '... PONG rejected');
is(talk(8080, 'PING'), '', 'the same ACL in a response rule reads the response: the echoed PING is rejected');
is(talk(8083, "\x03abc"), "\x03abc", 'payload_lv() in a request rule reads the request');
is(talk(8083, "\x03abd"), '', '... another block is rejected');
is(talk(8082, "\x03abc"), '', 'payload_lv() in a response rule reads the response');
