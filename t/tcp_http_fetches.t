#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# HTTP sample fetches on a raw TCP stream, as HAProxy 2.6: in a "mode tcp" proxy, the
# tcp-request content rules under "tcp-request inspect-delay" may use req.proto_http (the
# predefined HTTP ACL), method, path, url, query, base, req.ver, hdr(), req.hdr_cnt...: the
# bytes buffered so far are parsed as an HTTP/1 request head. The fetch has no answer yet
# while the head is incomplete (the rule waits for more bytes within the delay), none when
# the bytes are not HTTP; track-sc waits for its key the same way (reg-tests/peers). The
# capture.req.* fetches (the line captured by HTTP processing) give none there.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ tcp http stick /)->plan(16);
$t->origin_tcp(port(8090));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
listen onlyhttp
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 2s
    tcp-request content reject if !HTTP
    tcp-request content reject if { path /bad }
    tcp-request content reject if { capture.req.method -m found }
    tcp-request content accept if { method GET } { req.ver 1.1 } { url /p?a=1 } { query a=1 } { base x.example/p } { hdr(host) x.example } { req.hdr_cnt(x-n) 3 } { req.fhdr_cnt(x-n) 2 } { req.fhdr(x-n,1) 1,2 } { req.proto_http }
    tcp-request content reject
    server echo 127.0.0.1:%%PORT_8090%%
listen nodelay
    bind 127.0.0.1:%%PORT_8081%%
    tcp-request content reject if !HTTP
    server echo 127.0.0.1:%%PORT_8090%%
listen track
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request inspect-delay 2s
    tcp-request content track-sc0 url table st
    tcp-request content sc-inc-gpc0(0)
    tcp-request content reject if { sc0_get_gpc0 gt 1 }
    server echo 127.0.0.1:%%PORT_8090%%
backend st
    stick-table type string size 1k store gpc0
EOF2

# sends the parts (pausing between them), returns (what came back, seconds until then)
sub talk {
    my ($port, @parts) = @_;
    my $t0 = time;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die;
    for my $i (0 .. $#parts) {
        sleep 0.3 if $i;
        syswrite $s, $parts[$i];
    }
    my ($got, $sel) = ('', IO::Select->new($s));
    my $want = join '', @parts;
    while ($sel->can_read(4)) {
        my $n = sysread($s, $got, 4096, length $got);
        last if !$n || $got eq $want;
    }
    return ($got, time - $t0);
}

my $req = "GET /p?a=1 HTTP/1.1\r\nHost: x.example\r\nX-N: 1,2\r\nX-N: 3\r\n\r\n";
my ($got, $el) = talk(8080, $req);
is($got, $req, 'a complete HTTP request matching every fetch is accepted and forwarded');
ok($el < 1.5, sprintf('... at once (%.2fs)', $el));
($got, $el) = talk(8080, substr($req, 0, 9), substr($req, 9, 30), substr($req, 39));
is($got, $req, 'in three parts: the rules wait for the whole head, then accept');
ok($el < 1.5, sprintf('... when it is there (%.2fs)', $el));
($got, $el) = talk(8080, "GET /bad HTTP/1.1\r\nHost: x.example\r\n\r\n");
is($got, '', 'path /bad: rejected');
ok($el < 1.5, sprintf('... at once (%.2fs)', $el));
($got, $el) = talk(8080, "GET /p?a=1 HTTP/1.0\r\nHost: x.example\r\nX-N: 1,2\r\nX-N: 3\r\n\r\n");
is($got, '', 'req.ver 1.0: not accepted by the rule, rejected by the next one');
($got, $el) = talk(8080, "\x16\x03\x01\x00\x05hello");
is($got, '', 'bytes that cannot be HTTP: !HTTP rejects');
ok($el < 1.5, sprintf('... at once, without waiting for the delay (%.2fs)', $el));
($got, $el) = talk(8080, "GET /p?a=1 HTTP/1.1\r\nHost: x.exa");
is($got, '', 'a head that never completes: rejected when the delay ends');
ok($el > 1.8, sprintf('... not before (%.2fs)', $el));
($got, $el) = talk(8081, "", "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
is($got, '', 'no inspect-delay: the rules run at once on the nothing there is yet, not HTTP');

# track-sc0 url: the key is awaited (a request cut in the middle of its request line), so
# the second request for the same URL finds gpc0 at 1 and is rejected
my $r1 = "GET /t1 HTTP/1.1\r\nHost: a\r\n\r\n";
($got) = talk(8082, "GET /t", "1 HTTP/1.1\r\nHost: a\r\n\r\n");
is($got, $r1, 'track-sc0 url: the first request (sent in two parts) passes');
($got) = talk(8082, "GET /t", "1 HTTP/1.1\r\nHost: a\r\n\r\n");
is($got, '', '... the second one for the same URL is rejected: the first was tracked by its URL');
my $r2 = "GET /t2 HTTP/1.1\r\nHost: a\r\n\r\n";
($got) = talk(8082, $r2);
is($got, $r2, '... another URL passes');

my ($rc, $out) = Test::Portico->new()->config("defaults\n    mode tcp\nfrontend f\n"
    . "    bind 127.0.0.1:" . port(8083) . "\n"
    . "    tcp-request content reject if { req.proto_http(1) }\n")->check_config;
is($rc, 1, 'req.proto_http takes no argument') or diag $out;
