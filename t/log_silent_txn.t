#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A transaction that writes no log line ("http-request set-log-level silent") still ends:
# on the same keep-alive connection, the next request's log line carries its own header
# capture, not the silent request's, and a txn variable set by the silent request is gone.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
$t->origin_http(port(8081), body => "hello\n");
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    capture request header X-Tag len 20
    http-request set-var(txn.seen) str(set) if { path /quiet }
    http-request set-log-level silent if { path /quiet }
    http-request set-header X-Seen %[var(txn.seen)]
    log-format "%{+Q}r %hr"
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

my @r = http_keepalive(
    "GET /quiet HTTP/1.1\r\nHost: x\r\nX-Tag: secret\r\n\r\n",
    "GET /loud HTTP/1.1\r\nHost: x\r\n\r\n",
    { port => port(8080) });
is(scalar(grep { $_ && $_->{status} == 200 } @r), 2, 'both requests answered on one connection');

my @lines;
my $sel = IO::Select->new($u);
my $deadline = time + 3;
while (time < $deadline && $sel->can_read($deadline - time)) {
    my $d;
    $u->recv($d, 65535);
    push @lines, $d;
    last if $d =~ /loud/;
}
is(scalar(grep { /quiet/ } @lines), 0, 'the silent request wrote no line');
my ($loud) = grep { /loud/ } @lines;
ok($loud, 'the next request is logged') or diag explain \@lines;
like($loud // '', qr{"GET /loud HTTP/1.1" \{\}}, "its capture is its own (empty), not the silent one's");
my @reqs = $t->origin_requests(port(8081));
my ($second) = grep { $_->{uri} eq '/loud' } @reqs;
isnt(($second->{h}{'x-seen'} // ''), 'set', 'the txn variable of the silent request is gone');
