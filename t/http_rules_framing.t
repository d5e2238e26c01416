#!/usr/bin/perl
# What the rules leave of a message stays a well-framed HTTP/1.1 message, as in HAProxy 2.6
# (cases found by the fuzz_http_flow target): a reply portico makes to a HEAD request has no
# body; set-uri to an absolute URI sets the Host header, and a Host header set by a rule
# renames an absolute target's authority; a request body whose Content-Length a rule deleted
# still reaches the server as a body, not as the next request; a HEAD request whose method a
# rule changed gets the head of the answer alone.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request deny deny_status 403 if { path /d }
    http-request set-uri http://up.example/x if { path /abs }
    http-request set-header host h:81 if { path_end /h }
    http-request del-header content-length if { path /nocl }
    http-request set-method GET if { path /hg } || { path /hgd }
    http-request deny deny_status 403 if { path /hgd }
    default_backend be
EOF2

my $p = port(8080);
my $out = http("HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => $p) // '';
like($out, qr{^HTTP/1\.1 403 [^\r]*\r\n(?:[^\r]+\r\n)*\r\nHTTP/1\.1 403 }s,
    'a deny to HEAD: headers only, the next pipelined response right after them');
like($out, qr{^content-length: 93\r$}mi, 'the HEAD reply keeps its Content-Length');

$out = http("GET /abs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => $p) // '';
like($out, qr{\r\n\r\nGET http://up\.example/x HTTP/1\.1\r\n}, 'set-uri: absolute target sent');
like($out, qr{^host: up\.example\r$}mi, 'set-uri: Host set to its authority');

$out = http("GET http://a.example/p/h HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
    port => $p) // '';
like($out, qr{\r\n\r\nGET http://h:81/p/h HTTP/1\.1\r\n(?:[^\r]+\r\n)*host: h:81\r\n}i,
    'set-header host: the absolute target gets the new authority');

$out = http("POST /nocl HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
    . "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => $p) // '';
my @r = $t->origin_requests(port(8081));
is(join(',', map { "$_->{method} $_->{uri} " . length($_->{body} // '') } @r[-2 .. -1]),
    'POST /nocl 2,GET /after 0', 'del-header content-length: the body stays a body');
is($r[-2]{body}, 'hi', 'the body reaches the server whole');

$out = http("HEAD /hg HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /after2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => $p) // '';
like($out, qr{^HTTP/1\.1 200 [^\r]*\r\n(?:[^\r]+\r\n)*\r\nHTTP/1\.1 200 }s,
    'set-method GET on HEAD: the head alone, the next pipelined response right after it');
@r = $t->origin_requests(port(8081));
is(join(',', map { "$_->{method} $_->{uri}" } @r[-2 .. -1]), 'GET /hg,GET /after2',
    'the server got the new method');

$out = http("HEAD /hgd HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => $p) // '';
like($out, qr{^HTTP/1\.1 403 [^\r]*\r\n(?:[^\r]+\r\n)*\r\nHTTP/1\.1 403 }s,
    'a deny after set-method on HEAD: headers only (the client asked HEAD)');
