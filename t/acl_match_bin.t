#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "-m bin" ACL patterns are hex strings compared with the sample's bytes (as HAProxy's
# pattern "bin"). HAProxy's pgsql-check reg-test validates the check's startup packet with such a listener.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(5);

# a pattern that is not hex is refused at -c
$t->config(<<'EOF2');
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen bad
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request content accept if { req.payload(0,2) -m bin "zz11" }
    server echo 127.0.0.1:%%PORT_8090%%
EOF2
my ($rc, $out) = $t->check_config();
isnt($rc, 0, 'a -m bin pattern that is not hex is refused');
like($out, qr/cfg:11\b/, '... naming the line') or diag($out);

$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen explicit
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 2s
    tcp-request content accept if { req.len eq 6 } { req.payload(0,6) -m bin "00017Fff4142" }
    tcp-request content reject
    server echo 127.0.0.1:%%PORT_8090%%
EOF2

# sends <msg>, returns what came back before the server closed or 3s passed
sub talk {
    my ($port, $msg) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    syswrite $s, $msg;
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(3)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq $msg;
    }
    return $got;
}

my $m = "\x00\x01\x7f\xffAB";
is(talk(8080, $m), $m, 'bytes equal to the hex pattern are accepted (either case of hex digits)');
is(talk(8080, "\x00\x01\x7f\xffab"), '', 'other bytes are rejected');
is(talk(8080, "00017Fff4142"), '', 'the hex text itself does not match');
