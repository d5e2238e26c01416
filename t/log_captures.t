#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Captures in the traffic log (HAProxy 2.6 semantics, checked against HAProxy itself):
# "capture request|response header", "capture cookie", "declare capture",
# "http-request|http-response capture" (len / id), "tcp-request content capture", the
# %hr %hrl %hs %hsl %CC %CS variables (braces, '|', #XX escaping, truncation, quoting), the
# capture.req.hdr / capture.res.hdr fetches, and the configuration rules.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(17);

sub udp_listener {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp');
    die "udp: $@" unless $s;
    return $s;
}

sub recv_lines {
    my ($s, $n, $timeout) = @_;
    my @got;
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    while (@got < $n) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $d;
        $s->recv($d, 65535);
        push @got, $d;
    }
    return @got;
}

# The log line's body (after the syslog header "tag[pid]: ").
sub body_of { my ($l) = @_; return "" unless defined $l && $l =~ /^<\d+>.*?\]: (.*?)\n?$/s; return $1 }

my $u = udp_listener();
my $up = $u->sockport;
$t->origin_http(port(8081), handler => sub {
    return (200, ['Content-Type' => 'text/plain', 'X-Esc' => "a|b{c}\"d#e\xe9f",
        'Set-Cookie' => 'SESSabc=xyz; path=/', 'X-R' => 'resp-val-long'], "hello\n");
});
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    option httplog
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_tcp
    mode tcp
    server a 127.0.0.1:%%PORT_8081%%
backend be_id
    http-request capture hdr(x-be) id 4
    http-request capture hdr(x-be) id 9
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    capture request header Host len 32
    capture request header X-Long len 5
    capture request header X-Missing len 10
    capture response header Content-Type len 20
    capture response header X-Esc len 40
    capture cookie SESS len 20
    declare capture request len 8
    declare capture response len 12
    http-request capture req.hdr(x-smp) len 6
    http-request capture path id 3
    http-response capture res.hdr(x-r) id 2
    use_backend be_id if { req.hdr(x-be) -m found }
    default_backend be
frontend fe2
    bind 127.0.0.1:%%PORT_8082%%
    capture request header Host len 32
    capture request header X-Missing len 10
    capture response header X-Missing len 20
    capture cookie SESS len 20
    log-format "hr=%hr hrl=%hrl hs=%hs hsl=%hsl CC=%CC CS=%CS Qhrl=%{+Q}hrl Qhr=%{+Q}hr QCC=%{+Q}CC f=%[capture.req.hdr(0)]"
    default_backend be
frontend nocap
    bind 127.0.0.1:%%PORT_8083%%
    log-format "a %hr %hrl %hs %hsl b %CC %CS c"
    default_backend be
frontend tcpcap
    mode tcp
    bind 127.0.0.1:%%PORT_8084%%
    tcp-request content capture src len 7
    log-format "tcp %hr %hrl"
    default_backend be_tcp
EOF2

my $req = "GET /p/q?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: 0123456789\r\n"
    . "X-Smp: abcdefghij\r\nCookie: a=b; SESSID=12345678901234567890123; SESS2=x\r\n"
    . "Connection: close\r\n\r\n";
my $date = qr{\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d\.\d{3}};

# 1. option httplog: %CC %CS after the status and bytes, then {request}{response} captures
http($req, port => port(8080));
my ($l) = recv_lines($u, 1, 5);
like(body_of($l), qr{^127\.0\.0\.1:\d+ \[$date\] fe be/a \d+/\d+/\d+/\d+/\d+ 200 \d+ SESSID=1234567890123 SESSabc=xyz ---- \d+/\d+/\d+/\d+/\d+ 0/0 \{example\.com\|01234\|\|/p/q\|abcdef\} \{text/plain\|a#7Cb#7Bc#7D#22d#23e#E9f\|resp-val-lon\} "GET /p/q\?x=1 HTTP/1\.1"$},
    'httplog: header, cookie, declared and sample captures, truncated and escaped')
    or diag($l);

# 2. values needing escapes in a request header; no cookie: %CC is a dash
http("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a{b}|c\r\nConnection: close\r\n\r\n", port => port(8080));
($l) = recv_lines($u, 1, 5);
like(body_of($l), qr{ 200 \d+ - SESSabc=xyz ---- .* \{h\|a#7Bb#7D#7C\|\|/\|\} \{text/plain\|},
    'truncated to len, then escaped; %CC dash without the cookie')
    or diag($l);

# 3. every variable with and without +Q
http($req, port => port(8082));
($l) = recv_lines($u, 1, 5);
is(body_of($l), 'hr={example.com|} hrl=example.com - hs={} hsl=- CC=SESSID=1234567890123 '
    . 'CS=SESSabc=xyz Qhrl="example.com" "" Qhr="{example.com|}" QCC="SESSID=1234567890123" '
    . 'f=example.com', '%hr %hrl %hs %hsl %CC %CS, quoted forms, capture.req.hdr()')
    or diag($l);

# 4. no capture configured: nothing at all, and the separators merge
http($req, port => port(8083));
($l) = recv_lines($u, 1, 5);
is(body_of($l), 'a b - - c', 'without captures %hr and friends write nothing, %CC/%CS a dash')
    or diag($l);

# 5. keep-alive: the second request does not see the first one's values
http(["GET /1 HTTP/1.1\r\nHost: one\r\nX-Smp: first\r\nCookie: SESSa=1\r\n\r\n"
    . "GET /2 HTTP/1.1\r\nHost: two\r\nConnection: close\r\n\r\n"], port => port(8080));
my @l = recv_lines($u, 2, 5);
like(body_of($l[0]), qr{ SESSa=1 SESSabc=xyz .*\{one\|\|\|/1\|first\} }, 'first request')
    or diag($l[0]);
like(body_of($l[1]), qr{ - SESSabc=xyz .*\{two\|\|\|/2\|\} }, 'second request starts empty')
    or diag($l[1]);

# 6. a backend's "http-request capture ... id" fills the frontend's slot; an id the
# frontend does not have is ignored
http("GET /b HTTP/1.1\r\nHost: b\r\nX-Be: from-be-long\r\nConnection: close\r\n\r\n", port => port(8080));
($l) = recv_lines($u, 1, 5);
like(body_of($l), qr{ fe be_id/a .*\{b\|\|\|/b\|from-b\} }, 'backend rule with id 4')
    or diag($l);

# 7. tcp-request content capture in a TCP frontend
http("GET /t HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", port => port(8084));
($l) = recv_lines($u, 1, 5);
is(body_of($l), 'tcp {127.0.0} 127.0.0', 'tcp-request content capture, %hr in TCP mode')
    or diag($l);

# ---- configuration rules ------------------------------------------------------------------
sub cfg {
    my ($body) = @_;
    my $c = Test::Portico->new();
    $c->config("global\ndefaults\n    mode http\n$body");
    return $c->check_config();
}
my ($rc, $out) = cfg("    capture request header Host len 10\nfrontend f\n    bind 127.0.0.1:18999\n");
isnt($rc, 0, 'capture in defaults is refused') or diag($out);
($rc, $out) = cfg("backend b\n    capture request header Host len 10\nfrontend f\n    bind 127.0.0.1:18999\n    default_backend b\n");
unlike($out, qr/\[ALERT\]/, 'capture in a backend is only ignored') or diag($out);
like($out, qr/capture/i, 'with a warning') or diag($out);
($rc, $out) = cfg("frontend f\n    bind 127.0.0.1:18999\n    capture request header Host\n");
isnt($rc, 0, "'capture request header' without len is refused") or diag($out);
($rc, $out) = cfg("frontend f\n    bind 127.0.0.1:18999\n    http-request capture path id 0\n");
isnt($rc, 0, 'http-request capture id without a declared slot is refused') or diag($out);
($rc, $out) = cfg("frontend f\n    bind 127.0.0.1:18999\n    http-response capture res.hdr(x) len 4\n");
isnt($rc, 0, "'http-response capture ... len' is refused") or diag($out);
($rc, $out) = cfg("backend b\n    http-request capture path len 4\n");
isnt($rc, 0, "'http-request capture ... len' in a backend is refused") or diag($out);
($rc, $out) = cfg("frontend f\n    bind 127.0.0.1:18999\n    error-log-format \"%ci\"\n");
is($rc, 0, 'error-log-format is an HAProxy 2.6 keyword: accepted in a frontend') or diag($out);
($rc, $out) = cfg("backend b\n    error-log-format \"%ci\"\n");
isnt($rc, 0, 'error-log-format in a backend is refused') or diag($out);
