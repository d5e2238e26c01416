#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A kept-alive server connection that the server closed right after its last response (the
# FIN arrives together with the response's last bytes) is not reused: the next request goes
# on a new server connection and is answered, whether it was pipelined behind the first one,
# sent on the same client connection right after the response, or sent by another client
# while the connection sits in the idle pool. A closed idle connection must never cost a
# request (no 502, no client connection closed under it). Checked against HAProxy.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Socket qw/ IPPROTO_TCP TCP_CORK /;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(12);

# Each server connection answers one request with a keep-alive response, then closes: the
# response is corked and the close releases it, so the FIN rides on its last segment.
$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    setsockopt($c, IPPROTO_TCP, TCP_CORK, 1);
    my $body = "r:$req->{uri}";
    syswrite $c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
});

$t->config(<<"EOF")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend fe_always
    bind 127.0.0.1:%%PORT_8090%%
    default_backend be_always
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_always
    http-reuse always
    server a 127.0.0.1:%%PORT_8081%%
EOF

sub req { "GET $_[0] HTTP/1.1\r\nHost: x\r\n\r\n" }
sub bodies { join ',', map { $_ ? "$_->{status}:$_->{body}" : 'none' } @_ }

# one request/response exchange on an open client connection; the parsed response or undef
sub exchange {
    my ($s, $uri) = @_;
    syswrite $s, req($uri);
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(5)) {
        my $n = sysread($s, $got, 4096, length $got);
        last unless $n;
        my $r = http_parse($got);
        return $r if $r && !$r->{incomplete};
    }
    return undef;
}

# 1. pipelined: the second request is there when the first response (and FIN) arrives
for my $i (1 .. 3) {
    my @r = Test::Portico::http_keepalive(req("/p$i"), req("/q$i"),
        { port => port(8080), pipeline => 1 });
    is(bodies(@r), "200:r:/p$i,200:r:/q$i", "pipelined pair $i: both answered");
}

# 2. one client connection, the next request sent as soon as the response is read
for my $i (1 .. 3) {
    my @r = Test::Portico::http_keepalive(req("/s$i"), req("/t$i"), req("/u$i"),
        { port => port(8080) });
    is(bodies(@r), "200:r:/s$i,200:r:/t$i,200:r:/u$i", "keep-alive client $i: all answered");
}

# 3. http-reuse always: two clients in turn; the second one's request must not take the
# pooled connection the server closed after the first one's response
for my $i (1 .. 3) {
    my $a = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8090)) or die;
    my $b = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8090)) or die;
    my $ra = exchange($a, "/a$i");
    my $rb = exchange($b, "/b$i");
    is(bodies($ra, $rb), "200:r:/a$i,200:r:/b$i", "http-reuse always, client pair $i: both answered");
    close $a;
    close $b;
}

# every request reached the server once, each on its own server connection
my @reqs = $t->origin_requests(port(8081));
is(scalar @reqs, 21, 'the server saw each request once') or diag(join ',', map { $_->{uri} } @reqs);
my %conns;
$conns{$_->{conn}}++ for @reqs;
is(scalar(grep { $_ > 1 } values %conns), 0, 'one request per server connection');
my $r = http_parse(Test::Portico::http("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    port => port(8080)));
is($r && $r->{status}, 200, 'the proxy keeps serving');
