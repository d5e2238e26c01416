#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A mode tcp connection that finds no backend, or a backend without a usable server, is
# closed with a FIN once what the client sent is read (HAProxy: "SC", <NOSRV>), never reset:
# a TCP health check or client reading the close sees an empty response, not a reset.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Errno qw/ ECONNRESET /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(5);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
    timeout connect 300ms
frontend nobackend
    bind 127.0.0.1:%%PORT_8080%%
frontend noserver
    bind 127.0.0.1:%%PORT_8081%%
    default_backend empty
backend empty
EOF2

for my $case (['no backend', 8080], ['no server', 8081]) {
    my ($name, $p) = @$case;
    for my $send ('', "hello\n") {
        my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($p)) or die;
        syswrite $s, $send if length $send;
        my $sel = IO::Select->new($s);
        my ($n, $err) = (-1, 0);
        if ($sel->can_read(5)) {
            $n = sysread($s, my $buf, 100);
            $err = $! + 0 unless defined $n;
        }
        ok(defined $n && $n == 0,
            "$name, " . (length $send ? 'data sent' : 'nothing sent') . ': closed with a FIN')
            or diag($err == ECONNRESET ? 'connection reset' : "read: " . ($n // "error $err"));
    }
}
my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080));
ok($s, 'still accepting');
