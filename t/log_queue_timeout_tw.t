#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A request that waited in the queue until "timeout queue" (503, "sQ") logs as %Tw the time
# it waited, not -1, as HAProxy.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_end port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
sub log_line {
    my $sel = IO::Select->new($u);
    return undef unless $sel->can_read(5);
    my $d;
    $u->recv($d, 65535);
    return $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
}

$t->origin_http(port(8081), handler => sub {
    sleep 1.5;
    return (200, ['Content-Type' => 'text/plain'], "slow");
});
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 500ms
    log 127.0.0.1:$up local0
    log-format "%HU %ST %ts %Tw"
listen fe
    bind 127.0.0.1:%%PORT_8080%%
    server s 127.0.0.1:%%PORT_8081%% maxconn 1
EOF2

my $slow = http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
my $r = http_get('/queued');
like($r, qr{^HTTP/1\.1 503}, 'queued past timeout queue: 503');
my $l = log_line();
like($l, qr{^/queued 503 sQ \d+$}, 'logged sQ with a %Tw');
my ($tw) = ($l // '') =~ / (\d+)$/;
ok(defined $tw && $tw >= 450, '... the time it waited, at least timeout queue');
http_end($slow, timeout => 5);
