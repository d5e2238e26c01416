#!/usr/bin/perl
# HTTP compression: "compression algo|type|offload" with HAProxy 2.6's rules (which request
# picks which algorithm, which responses qualify, the head's changes) and bodies that
# decompress to exactly what the server sent, for Content-Length and chunked responses,
# compressible and not, on keep-alive connections.
use warnings;
use strict;
use Test::More;
use IO::Uncompress::Gunzip qw/ gunzip $GunzipError /;
use IO::Uncompress::Inflate qw/ inflate $InflateError /;
use lib 't/lib';
use Test::Portico qw/ http http_keepalive http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(30);
my $text = join '', map { "line $_ of a rather repetitive text body\n" } 1 .. 5000;
srand(42);
my $random = join '', map { chr(int(rand(256))) } 1 .. 300_000;
my %pages = (
    '/text' => [200, ['Content-Type' => 'text/plain; charset=utf-8'], $text],
    '/html' => [200, ['Content-Type' => 'text/html', 'ETag' => '"v1"'], "<p>hello</p>" x 100],
    '/weak' => [200, ['Content-Type' => 'text/html', 'ETag' => 'W/"v2"'], "<p>weak</p>" x 100],
    '/badetag' => [200, ['Content-Type' => 'text/html', 'ETag' => 'v3'], "<p>x</p>" x 100],
    '/json' => [200, ['Content-Type' => 'application/json'], '{"a":1}' x 100],
    '/notype' => [200, [], 'no type' x 100],
    '/multi' => [200, ['Content-Type' => 'text/html', 'Cache-Control' => 'public, no-transform'], 'x' x 1000],
    '/enc' => [200, ['Content-Type' => 'text/html', 'Content-Encoding' => 'br'], 'brotli?' x 10],
    '/created' => [201, ['Content-Type' => 'text/html'], 'created ' x 100],
    '/missing' => [404, ['Content-Type' => 'text/html'], 'not here ' x 100],
    '/random' => [200, ['Content-Type' => 'text/plain'], $random],
    '/empty' => [200, ['Content-Type' => 'text/plain'], ''],
);
my $chunked_body = "4\r\nabcd\r\n1a;ext=1\r\n" . ('z' x 26) . "\r\n" . sprintf('%x', length $text)
    . "\r\n$text\r\n0\r\nX-Trailer: t\r\n\r\n";
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    return (200, ['Content-Type' => 'text/html', 'Transfer-Encoding' => 'chunked'], $chunked_body)
        if $req->{uri} eq '/chunked';
    my $p = $pages{$req->{uri}} or return (404, [], 'none');
    return @$p;
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend gz
    bind 127.0.0.1:%%PORT_8080%%
    compression algo gzip
    compression type text/html text/plain
    default_backend be
frontend deflate_offload
    bind 127.0.0.1:%%PORT_8090%%
    compression algo gzip deflate
    compression offload
    default_backend be
frontend ident
    bind 127.0.0.1:%%PORT_8091%%
    compression algo identity
    default_backend be
EOF2

sub get {
    my ($path, %o) = @_;
    my $hdrs = $o{hdrs} // "Accept-Encoding: gzip, deflate\r\n";
    my $m = $o{method} // 'GET';
    my $v = $o{ver} // '1.1';
    my $raw = http("$m $path HTTP/$v\r\nHost: x\r\n${hdrs}Connection: close\r\n\r\n",
        port => port($o{port} // 8080), timeout => 10);
    return http_parse($raw, $m);
}
# the decompressed body of a complete response (a truncated one fails)
sub gz_r {
    my $r = shift;
    return 'none' unless $r;
    return 'incomplete response' if $r->{incomplete};
    my $out;
    gunzip(\$r->{body} => \$out) or return "gunzip: $GunzipError";
    return $out;
}

my $r = get('/text');
is($r->{h}{'content-encoding'}, 'gzip', 'text/plain: gzip');
ok($r->{chunked} && !defined $r->{h}{'content-length'}, '... re-framed as chunks, no Content-Length');
is($r->{h}{vary}, 'Accept-Encoding', '... Vary: Accept-Encoding');
ok(gz_r($r) eq $text, sprintf('... decompresses to the original (%d -> %d bytes)',
    length $text, length $r->{body}));
cmp_ok(length $r->{body}, '<', length($text) / 5, '... and is smaller');

$r = get('/html');
is($r->{h}{etag}, 'W/"v1"', 'a strong ETag becomes weak');
is(gz_r($r), "<p>hello</p>" x 100, '... body right');
is(get('/weak')->{h}{etag}, 'W/"v2"', 'a weak ETag stays');
ok(!get('/badetag')->{h}{'content-encoding'}, 'an invalid ETag: not compressed');
ok(!get('/json')->{h}{'content-encoding'}, 'a type not listed: not compressed');
ok(!get('/notype')->{h}{'content-encoding'}, 'no Content-Type while types are listed: not compressed');
ok(!get('/multi')->{h}{'content-encoding'}, 'Cache-Control: no-transform: not compressed');
$r = get('/enc');
is($r->{h}{'content-encoding'}, 'br', 'already encoded: left alone');
is(get('/created')->{h}{'content-encoding'}, 'gzip', '201: compressed');
ok(!get('/missing')->{h}{'content-encoding'}, '404: not compressed');
ok(!get('/text', method => 'HEAD')->{h}{'content-encoding'}, 'HEAD: not compressed');
ok(!get('/text', hdrs => '')->{h}{'content-encoding'}, 'no Accept-Encoding: not compressed');
ok(!get('/text', hdrs => "Accept-Encoding: gzip;q=0, br\r\n")->{h}{'content-encoding'},
    'gzip;q=0: not compressed');
is(get('/text', hdrs => "Accept-Encoding: *\r\n")->{h}{'content-encoding'}, 'gzip', '"*" takes the first algorithm');
ok(!get('/text', ver => '1.0')->{h}{'content-encoding'}, 'an HTTP/1.0 request: not compressed');
ok(!get('/text', hdrs => "Accept-Encoding: gzip\r\nUser-Agent: Mozilla/4.0 (compatible)\r\n")->{h}{'content-encoding'},
    'User-Agent Mozilla/4: not compressed');

$r = get('/chunked');
is(gz_r($r), 'abcd' . ('z' x 26) . $text, 'a chunked response (extensions, trailers) compresses to its payload');
$r = get('/random');
is(gz_r($r), $random, 'an incompressible 300 kB body round-trips');
$r = get('/empty');
ok(!$r->{h}{'content-encoding'} && $r->{h}{'content-length'} eq '0', 'Content-Length: 0: not compressed (bodyless)');

my @ka = http_keepalive(map({ "GET $_ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n" } qw(/text /json /chunked)),
    { port => port(8080), timeout => 10 });
ok($ka[0] && gz_r($ka[0]) eq $text && $ka[1] && $ka[1]{body} eq '{"a":1}' x 100
    && $ka[2] && gz_r($ka[2]) eq 'abcd' . ('z' x 26) . $text, 'three responses on one keep-alive connection');

# "compression algo gzip deflate": the list is last-listed first, as HAProxy's
$r = get('/text', port => 8090, hdrs => "Accept-Encoding: *\r\n");
is($r->{h}{'content-encoding'}, 'deflate', '"*" takes the last listed algorithm first');
my $inf;
inflate(\$r->{body} => \$inf);
is($inf, $text, '... a zlib stream');
my @seen = grep { $_->{uri} eq '/text' } $t->origin_requests(port(8081));
ok(!defined $seen[-1]{h}{'accept-encoding'}, 'offload: the server does not see Accept-Encoding');
is(get('/text', port => 8090, hdrs => "Accept-Encoding: gzip;q=0.5, deflate;q=0.8\r\n")->{h}{'content-encoding'},
    'deflate', 'the highest q-value wins');

$r = get('/json', port => 8091, hdrs => '');
ok($r->{chunked} && !$r->{h}{'content-encoding'} && $r->{body} eq '{"a":1}' x 100,
    'identity: re-chunked, no Content-Encoding, without Accept-Encoding');
