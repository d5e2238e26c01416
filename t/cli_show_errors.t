#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "show errors" (issue 13): the last invalid request of each frontend and the last invalid
# response of each backend, with HAProxy 2.6's layout (date, proxies, server, event number,
# source, length, error position, the bytes escaped line by line), the proxy and direction
# filters, and a later error replacing an earlier one. Runs against HAProxy too
# (PORTICO_TEST_BINARY=/usr/sbin/haproxy): only the parser's own lines differ.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ http port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(27);
$t->origin_http(port(8081), body => 'ok');
# A server whose responses carry a header line without a colon.
$t->origin_http(port(8082), raw => sub {
    my ($c, $req) = @_;
    syswrite $c, "HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
});
$t->config(<<'EOF')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_bad if { path_beg /bad }
    default_backend be
frontend fe2
    bind 127.0.0.1:%%PORT_8090%%
    default_backend be
backend be
    server s1 127.0.0.1:%%PORT_8081%%
backend be_bad
    server sbad 127.0.0.1:%%PORT_8082%% id 7
EOF
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

sub raw {
    my ($port, $bytes) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
        or die "connect: $!";
    syswrite $c, $bytes;
    my $got = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 5;
    eval { while (sysread($c, my $b, 4096)) { $got .= $b } };
    alarm 0;
    my ($line) = $got =~ /^([^\r\n]*)/;
    return $line // '';
}

my $date = qr{\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]};

# Nothing yet.
my $out = cli('show errors');
like($out, qr/^Total events captured on $date : 0\n/, 'no error: total 0');
unlike($out, qr/invalid/, 'no error: no snapshot');

# An invalid request: a header line without a colon, 3 bytes into its line.
my $req = "GET /foo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n";
like(raw(port(8080), $req), qr/^HTTP\/1\.[01] 400/, 'invalid request: 400');
$out = cli('show errors');
like($out, qr/^Total events captured on $date : 1\n/, 'one event');
like($out, qr/^ \n$date frontend fe \(#2\): invalid request\n/m, 'request: frontend and iid');
like($out, qr/^  backend <NONE> \(#-1\), server <NONE> \(#-1\), event #0, src 127\.0\.0\.1:\d+\n/m,
    'request: no backend yet, event #0, source');
like($out, qr/^  buffer starts at 0 \(including 0 out\), \d+ free,\n  len 42, wraps at \d+, error at position 31\n/m,
    'request: length and error position');
like($out, qr/^  00000  GET \/foo HTTP\/1\.1\\r\\n\n  00019  Host: x\\r\\n\n  00028  Bad Header\\r\\n\n  00040  \\r\\n\n/m,
    'request: bytes dumped line by line with offsets and escapes');

# An invalid response from the server behind be_bad.
like(raw(port(8080), "GET /bad HTTP/1.1\r\nHost: x\r\n\r\n"), qr/^HTTP\/1\.[01] 502/,
    'invalid response: 502');
$out = cli('show errors');
like($out, qr/ : 2\n/, 'two events');
like($out, qr/^$date backend be_bad \(#5\): invalid response\n  frontend fe \(#2\), server sbad \(#7\), event #1, src 127\.0\.0\.1:\d+\n/m,
    'response: backend, frontend, server id, event #1');
like($out, qr/len 69, wraps at \d+, error at position 20\n/, 'response: error position');
like($out, qr/^  00017  Bad Header\\r\\n\n/m, 'response: bytes');
my $ireq = index($out, 'invalid request');
my $ires = index($out, 'invalid response');
ok($ireq >= 0 && $ires > $ireq, 'proxies in declaration order');

# Filters: by name, by iid (either end matches), by direction.
$out = cli('show errors fe');
like($out, qr/frontend fe \(#2\): invalid request/, 'filter fe: its request error');
like($out, qr/backend be_bad \(#5\): invalid response/, 'filter fe: a response error whose frontend is fe');
$out = cli('show errors be_bad');
unlike($out, qr/invalid request/, 'filter be_bad: not the request error (no backend)');
like($out, qr/invalid response/, 'filter be_bad: its response error');
$out = cli('show errors 2 response');
unlike($out, qr/invalid request/, 'direction response: no request error');
like($out, qr/invalid response/, 'direction response: the response error');
$out = cli('show errors -1 request');
like($out, qr/invalid request/, 'all proxies, requests only: the request error');
unlike($out, qr/invalid response/, 'requests only: no response error');
is(cli('show errors nosuch'), "No such proxy.\n\n", 'unknown proxy');

# A later error replaces the frontend's snapshot; binary bytes are escaped.
like(raw(port(8080), "GE\x01T / HTTP/1.1\r\n\r\n"), qr/^HTTP\/1\.[01] 400/, 'binary garbage: 400');
$out = cli('show errors fe request');
like($out, qr/event #2, /, 'newest snapshot kept');
like($out, qr/^  00000  GE\\x01T \/ HTTP\/1\.1\\r\\n\n/m, 'control byte as \\xHH');
unlike($out, qr/Bad Header/, 'older request snapshot replaced');
