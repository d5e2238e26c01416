#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A server that closes before the first byte of its response (HAProxy's "abort_keep_alive"):
# on the first request of a client connection the client gets a 502 and a log line; on a
# later request of a keep-alive connection the client connection is closed with no response
# and no log line (HTTP clients retry a request on a keep-alive connection closed under
# them: the server may simply have closed a pooled connection). Checked against HAProxy.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
sub log_lines {
    my @l;
    my $sel = IO::Select->new($u);
    while ($sel->can_read(1)) {
        my $d;
        $u->recv($d, 65535);
        push @l, $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
    }
    return @l;
}

# Each server connection: the first request is answered (keep-alive), the second is read
# and the connection closed without a byte of response. /first closes at once.
$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    return if $req->{uri} eq '/first';
    syswrite $c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    my ($buf, $sel) = ('', IO::Select->new($c));
    while ($buf !~ /\r\n\r\n/ && $sel->can_read(5)) {
        last unless sysread($c, $buf, 4096, length $buf);
    }
});

$t->config(<<"EOF")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
    log-format "%ci %HU %ST %ts"
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    http-reuse never
    server a 127.0.0.1:%%PORT_8081%%
EOF

# a request/response exchange on an open client connection; returns the raw answer
sub exchange {
    my ($s, $uri) = @_;
    syswrite $s, "GET $uri HTTP/1.1\r\nHost: x\r\n\r\n";
    my ($got, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(5)) {
        my $n = sysread($s, $got, 4096, length $got);
        last unless $n;
        my $r = http_parse($got);
        last if $r && !$r->{incomplete};
    }
    return $got;
}

# first request of a client connection: 502, logged
my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
my $r = http_parse(exchange($s, '/first'));
is($r && $r->{status}, 502, 'first request of a connection, server closes: 502');
close $s;

# second request on the same server connection (portico keeps the client's server
# connection: http-reuse never still reuses it for the same client)
$s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
$r = http_parse(exchange($s, '/one'));
is($r && $r->{status}, 200, 'keep-alive: first request answered');
my $got = exchange($s, '/two');
is($got, '', 'second request, server closes before responding: no response at all');
my $sel = IO::Select->new($s);
my $eof = $sel->can_read(5) && !sysread($s, my $x, 10);
ok($eof, '... and the client connection is closed');
close $s;

my @logs = log_lines();
is(scalar(grep { m{^127\.0\.0\.1 /first 502 SH$} } @logs), 1, 'the 502 is logged with SH')
    or diag(explain \@logs);
is(scalar(grep { m{ /one 200 --$} } @logs), 1, 'the answered request is logged')
    or diag(explain \@logs);
is(scalar(grep { m{ /two } } @logs), 0, 'the aborted keep-alive request is not logged')
    or diag(explain \@logs);

my @reqs = map { $_->{uri} } $t->origin_requests(port(8081));
is(join(',', @reqs), '/first,/one', 'no request sent twice (the one the server dropped is not replayed)');
$r = http_parse(Test::Portico::http("GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
is($r && $r->{status}, 200, 'the proxy keeps serving');
