#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# http-request tarpit (held for "timeout tarpit", else "timeout connect", then answered 500
# or its deny_status and closed, logged "PT") and silent-drop (http-request, http-response,
# tcp-request connection/content: the connection is dropped without an answer), as HAProxy
# 2.6 does. Timing checks are lower bounds only.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(21);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;

sub recv_lines {
    my ($n) = @_;
    my @got;
    my $sel = IO::Select->new($u);
    my $deadline = time + 5;
    while (@got < $n) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $d;
        $u->recv($d, 65535);
        push @got, $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
    }
    return @got;
}

# Sends <data> to <port>, returns what comes back within <wait> seconds (until EOF).
sub exchange {
    my ($port, $data, $wait) = @_;
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
        or return undef;
    syswrite($s, $data);
    my $sel = IO::Select->new($s);
    my ($got, $end) = ('', time + $wait);
    while ((my $left = $end - time) > 0) {
        last unless $sel->can_read($left);
        my $n = sysread($s, my $b, 65536);
        last unless $n;
        $got .= $b;
    }
    close $s;
    return $got;
}

$t->origin_http(port(8081), body => "origin\n");
$t->origin_tcp(port(8083));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_slow
    timeout connect 600ms
    http-request tarpit
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log-format "L %{+Q}r %ST %ts"
    timeout tarpit 400ms
    http-request set-var(txn.path) path
    http-request tarpit if { path /tp }
    http-request tarpit deny_status 403 if { path /tp403 }
    http-request silent-drop if { path /drop }
    http-response silent-drop if { var(txn.path) -m str /rdrop }
    use_backend be_slow if { path /slow }
    default_backend be
listen tcp_conn
    mode tcp
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request connection silent-drop
    server t 127.0.0.1:%%PORT_8083%%
listen tcp_content
    mode tcp
    bind 127.0.0.1:%%PORT_8084%%
    tcp-request inspect-delay 2s
    tcp-request content silent-drop if { req.payload(0,4) -m str drop }
    tcp-request content accept if { req.len gt 0 }
    server t 127.0.0.1:%%PORT_8083%%
EOF2

my $t0 = time;
my $r = http_parse(http_get('/tp'));
my $el = time - $t0;
is($r->{status}, 500, 'tarpit: 500 by default');
cmp_ok($el, '>=', 0.35, 'tarpit: held for timeout tarpit (400ms)');
like($r->{raw} // '', qr/^connection: close\r$/mi, 'tarpit: the connection is closed after');
$t0 = time;
$r = http_parse(http_get('/tp403'));
$el = time - $t0;
is($r->{status}, 403, 'tarpit deny_status 403');
cmp_ok($el, '>=', 0.35, 'tarpit deny_status: held too');
$t0 = time;
$r = http_parse(http_get('/slow'));
$el = time - $t0;
is($r->{status}, 500, 'tarpit in a backend');
cmp_ok($el, '>=', 0.55, 'without timeout tarpit: timeout connect (600ms) of the backend');
is(http_parse(http_get('/ok'))->{body}, "origin\n", 'other requests forwarded');

my $before = () = $t->origin_requests(port(8081));
is(exchange(port(8080), "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n", 1), '',
    'http-request silent-drop: no answer');
is(exchange(port(8080), "GET /rdrop HTTP/1.1\r\nHost: x\r\n\r\n", 1), '',
    'http-response silent-drop: no answer');
my @reqs = $t->origin_requests(port(8081));
is(scalar(@reqs) - $before, 1, 'the request reached the server only for http-response');
is($reqs[-1]{uri}, '/rdrop', '... the http-response one');
is(http_parse(http_get('/ok'))->{body}, "origin\n", 'the proxy still serves');

is(exchange(port(8082), "hello\n", 1), '', 'tcp-request connection silent-drop: no answer');
is(exchange(port(8084), "drop me\n", 1), '', 'tcp-request content silent-drop: no answer');
is(exchange(port(8084), "keep\n", 1), "keep\n", 'tcp-request content: other data forwarded');

my @l = recv_lines(9);
my ($l) = grep { /"GET \/tp HTTP/ } @l;
like($l // '', qr/ 500 PT$/, 'tarpit logged 500 PT') or diag(join "\n", @l);
($l) = grep { /"GET \/tp403 HTTP/ } @l;
like($l // '', qr/ 403 PT$/, 'tarpit deny_status logged 403 PT');
($l) = grep { /"GET \/drop HTTP/ } @l;
like($l // '', qr/ PR$/, 'http-request silent-drop logged PR') or diag(join "\n", @l);
($l) = grep { /"GET \/rdrop HTTP/ } @l;
like($l // '', qr/ P[HR]$/, 'http-response silent-drop logged as a proxy abort') or diag(join "\n", @l);

my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    timeout tarpit 1x
EOF3
like($out, qr/bad\.cfg:5\b.*tarpit/, 'timeout tarpit with a bad value refused') or diag($out);
