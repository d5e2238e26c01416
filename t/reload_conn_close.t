#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A worker of a previous generation answers "Connection: close" on every HTTP response
# it still sends, so that busy keep-alive clients move to the new generation: responses
# from a server and generated ones ("http-request return", the stats page) alike. Each
# client has a request half-sent across the reload (an idle connection would simply be
# closed), completes it once the reload is done, and must be told to close.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(8);
$t->origin_http(port(8081), body => 'from-server');
$t->config(<<'EOF2')->run();
global
    maxconn 100
    workers 1
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend srv
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
frontend gen
    bind 127.0.0.1:%%PORT_8090%%
    http-request return status 200 content-type text/plain string generated
frontend stats
    bind 127.0.0.1:%%PORT_8091%%
    stats enable
    stats uri /stats
EOF2

# reads one response (head and Content-Length body) from $s; returns (head, body, eof after)
sub response {
    my ($s, $wait_eof) = @_;
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + 5;
    while ($buf !~ /\r\n\r\n/ && time < $deadline && $sel->can_read($deadline - time)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($len) = ($head // '') =~ /^content-length:\s*(\d+)/mi;
    my $chunked = ($head // '') =~ /^transfer-encoding:\s*chunked/mi;
    $rest //= '';
    while (time < $deadline && (defined $len ? length $rest < $len : $chunked ? $rest !~ /\r\n0\r\n\r\n\z/ : 0)
        && $sel->can_read($deadline - time)) {
        sysread($s, $rest, 65536, length $rest) or last;
    }
    my $eof = 0;
    if ($sel->can_read($wait_eof // 2)) { my $n = sysread($s, my $x, 10); $eof = defined $n && $n == 0 }
    return ($head // '', $rest, $eof);
}

my @c;
for my $p (8080, 8090, 8091) {
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($p)) or die;
    my $path = $p == 8091 ? '/stats;csv' : '/';
    syswrite($s, "GET $path HTTP/1.1\r\nHost: x\r\n\r\n");
    my ($head, $body, $eof) = response($s, 0.2); # the first response, kept alive
    push @c, [$p, $s, $path, $eof ? "EOF\n$head" : $head];
}
ok(!grep({ $_->[3] !~ /^HTTP\/1\.1 200/ || $_->[3] =~ /^connection:\s*close/mi } @c), 'before the reload: 200, kept alive');
sleep 0.3;
# each keep-alive connection gets a second request, half-sent
syswrite($_->[1], "GET $_->[2] HTTP/1.1\r\nHost: x\r\n") for @c;
like($t->reload // '', qr/Reload complete/, 'reload');
sleep 0.3;
for my $c (@c) {
    my ($p, $s) = @$c;
    syswrite($s, "\r\n");
    my ($head, $body, $eof) = response($s);
    my $what = $p == 8080 ? 'server response' : $p == 8090 ? 'http-request return' : 'stats page';
    like($head, qr/^HTTP\/1\.1 200.*^connection:\s*close/msi, "old worker, $what: Connection: close")
        or diag($head);
    ok($eof, "old worker, $what: then the connection closes");
}
