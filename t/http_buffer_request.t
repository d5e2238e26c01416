#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option http-buffer-request: the frontend's (or backend's) rules run once the whole request
# body is there (or the buffer is full), within "timeout http-request" (408 past it), so a
# condition on req.body sees a body sent after the head; without the option it does not.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8081), handler => sub { (200, ['Content-Type' => 'text/plain'], "got:$_[0]{body}") });
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout http-request 1s
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_buf
    option http-buffer-request
    http-request deny deny_status 403 if { req.body -m sub secret }
    server a 127.0.0.1:%%PORT_8081%%
frontend buf
    bind 127.0.0.1:%%PORT_8080%%
    option http-buffer-request
    http-request deny deny_status 403 if { req.body -m sub secret }
    default_backend be
frontend plain
    bind 127.0.0.1:%%PORT_8090%%
    http-request deny deny_status 403 if { req.body -m sub secret }
    default_backend be
frontend via_be
    bind 127.0.0.1:%%PORT_8091%%
    default_backend be_buf
frontend fetches
    bind 127.0.0.1:%%PORT_8092%%
    option http-buffer-request
    http-request return status 200 content-type text/plain lf-string "%[req.body_len] %[req.body_size] b=%[req.body_param(b)] [%[req.body]]"
EOF2

# the head, a pause, then the body (or only part of it); the status line received
sub post {
    my ($port, $body, $send) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or return 'no connect';
    syswrite($s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n");
    sleep 0.3;
    syswrite($s, substr($body, 0, $send // length $body));
    my ($buf, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(4)) { my $n = sysread($s, $buf, 4096, length $buf); last unless $n }
    return $buf =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none';
}

is(post(8080, 'the secret word'), 403, 'option http-buffer-request: the rules see a body sent after the head');
is(post(8080, 'nothing to hide'), 200, '... and forward it when they let it through');
is(post(8090, 'the secret word'), 200, 'without the option the rules ran on the head alone');
is(post(8091, 'the secret word'), 403, "in a backend: the backend's rules wait for the body");
is(post(8080, 'the secret word', 5), 408, 'a body that does not come in time: 408');

# the body fetches, with a Content-Length body and a chunked one
use Test::Portico qw/ http http_parse /;
my $r = http_parse(http("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nConnection: close\r\n\r\na=1&b=two", port => port(8092)));
is($r ? $r->{body} : 'none', '9 9 b=two [a=1&b=two]', 'req.body, req.body_len, req.body_size, req.body_param');
$r = http_parse(http("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\na=1&\r\n5\r\nb=two\r\n0\r\n\r\n", port => port(8092)));
is($r ? $r->{body} : 'none', '9 9 b=two [a=1&b=two]', '... of a chunked body: its payload');
$r = http_parse(http("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", port => port(8092)));
is($r ? $r->{body} : 'none', '0 0 b= []', '... of an empty body');
