#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option abortonclose": the termination state logged for a client that leaves while its
# request waits for a server: "CC" while the connection to the server is being retried
# (the turn-around after a refused attempt), "CQ" while it waits in the queue for a server
# slot, as HAProxy (its reg-test http-messaging/http_abortonclose.vtc); %Tw of the latter is
# the time it waited in the queue, not -1; "CH" with status 400 for a client gone while the
# server has not answered yet (the server connection is closed), while without the option
# that client still gets the response.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(11);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
sub log_line {
    my ($wait) = @_;
    my $sel = IO::Select->new($u);
    return undef unless $sel->can_read($wait);
    my $d;
    $u->recv($d, 65535);
    return $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
}

$t->origin_http(port(8081), handler => sub {
    sleep 1.5;
    return (200, ['Content-Type' => 'text/plain'], "done");
});

$t->origin_http(port(8083), handler => sub {
    sleep 1;
    return (200, ['Content-Type' => 'text/plain'], "late");
});

# port 8082: nobody listens there, every connect is refused
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    option abortonclose
    timeout client 10s
    timeout server 10s
    timeout connect 1s
    timeout queue 5s
    log 127.0.0.1:$up local0
    log-format "%HU %ST %ts %Tw"
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend refused if { path /refused }
    use_backend late if { path /late }
    use_backend late_noabort if { path /late-noabort }
    default_backend slow
backend refused
    retries 10
    server s 127.0.0.1:%%PORT_8082%%
backend late
    server s 127.0.0.1:%%PORT_8083%%
backend late_noabort
    no option abortonclose
    server s 127.0.0.1:%%PORT_8083%%
backend slow
    server s 127.0.0.1:%%PORT_8081%% maxconn 1
EOF2

sub send_and_close {
    my ($uri) = @_;
    my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
    syswrite($c, "GET $uri HTTP/1.1\r\nHost: x\r\n\r\n");
    sleep 0.3;
    shutdown($c, SHUT_WR);
    return $c;
}

my $c = send_and_close('/refused');
like(log_line(5), qr{^/refused -1 CC }, 'client gone during the connect retries: CC');
close $c;

my $slow = http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
$c = send_and_close('/queued');
my $l = log_line(5);
like($l, qr{^/queued -1 CQ }, 'client gone while queued for a slot: CQ');
like($l, qr{ CQ (\d+)$}, '... %Tw: the time it waited') and ok((split ' ', $l)[3] >= 250, '... at least the 0.3 s before the close');
close $c;
my $r = Test::Portico::http_end($slow, timeout => 5);
like($r, qr/^HTTP\/1\.1 200/, 'the request holding the slot is served');
like(log_line(5), qr{^/slow 200 -- 0$}, '... and logged');

$c = send_and_close('/late');
my $got = '';
my $sel = IO::Select->new($c);
while ($sel->can_read(3)) { last unless sysread($c, $got, 4096, length $got) }
like(log_line(5), qr{^/late 400 CH }, 'client gone while the server has not answered: 400 CH');
unlike($got, qr{late}, '... the response is not forwarded');
close $c;

# the same after a request body
$c = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or die;
syswrite($c, "POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
sleep 0.3;
shutdown($c, SHUT_WR);
like(log_line(5), qr{^/late 400 CH }, 'after a request body too');
close $c;

$c = send_and_close('/late-noabort');
$got = '';
$sel = IO::Select->new($c);
while ($sel->can_read(3)) { last unless sysread($c, $got, 4096, length $got) }
like($got, qr{^HTTP/1\.1 200.*late}s, 'without the option: that client gets the response');
like(log_line(5), qr{^/late-noabort 200 -- }, '... logged as served');
close $c;
