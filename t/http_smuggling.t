#!/usr/bin/perl
# Request smuggling table: every malformed request gets its error status, the client
# connection is closed, and nothing (in particular no smuggled second request) reaches the
# origin.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
my @cases = (
    ['CL + TE', 400, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled"],
    ['TE not chunked last', 400, "POST / HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n$smuggled"],
    ['TE chunked twice', 400, "POST / HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled"],
    ['invalid chunk size', 400, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        . "\r\nzz\r\nabc\r\n0\r\n\r\n$smuggled"],
    ['0x chunk size', 400, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        . "\r\n0x3\r\nabc\r\n0\r\n\r\n$smuggled"],
    ['chunk-ext garbage', 400, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        . "\r\n3;\x01\r\nabc\r\n0\r\n\r\n$smuggled"],
    ['bare LF in chunk data CRLF', 400, "POST / HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n$smuggled"],
    ['CL +5', 400, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello$smuggled"],
    ['CL list 5,6', 400, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5,6\r\n\r\nhello"
        . $smuggled],
    ['CL differing', 400, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        . "Content-Length: 6\r\n\r\nhello$smuggled"],
    ['CL non-digits', 400, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5a\r\n\r\nhello"
        . $smuggled],
    ['CL overflow', 400, "POST / HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 99999999999999999999999\r\n\r\n$smuggled"],
    ['two Host headers', 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n$smuggled"],
    ['whitespace before colon', 400, "GET / HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding : chunked\r\n\r\n$smuggled"],
    ['NUL in value', 400, "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n$smuggled"],
    ['CR in value', 400, "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n$smuggled"],
    ['obs-fold', 400, "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n$smuggled"],
    ['empty header name', 400, "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n$smuggled"],
    ['HTTP/1.0 with TE', 400, "POST / HTTP/1.0\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled"],
    ['unknown TE', 501, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-custom, chunked\r\n"
        . "\r\n0\r\n\r\n$smuggled"],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(2 * @cases + 1);
$t->origin_http(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

for my $c (@cases) {
    my ($name, $status, $req) = @$c;
    # http() reads until the proxy closes: a keep-alive answer would time out (quiet).
    my $out = http($req, timeout => 3, quiet => 1) // '';
    my ($got) = $out =~ m{^HTTP/1\.1 (\d{3}) };
    is($got // 'none', $status, "$name: status");
    my $count = () = $out =~ m{^HTTP/1\.1 }mg;
    is($count, 1, "$name: one response, then the connection closed");
}
my @seen = map { $_->{uri} } $t->origin_requests(port(8081));
is_deeply(\@seen, [], 'the origin saw nothing (no smuggled request)');
