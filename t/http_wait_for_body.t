#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# http-request / http-response wait-for-body time <time> [at-least <bytes>] (HAProxy 2.6):
# the rules wait for the message body (or its first <bytes>); past <time> a request is answered
# 408 (logged cR) and a response replaced by a 504 (sR, as HAProxy 2.6.12 logs them); "Expect: 100-continue" is answered
# by the proxy. Timing checks are lower bounds only.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(15);

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

# Sends each chunk (pausing <pause> s between them), then reads until EOF or <wait> s.
sub talk {
    my ($chunks, %o) = @_;
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp')
        or return '';
    my $sel = IO::Select->new($s);
    my $got = '';
    for my $i (0 .. $#$chunks) {
        if ($i) {
            if ($o{until_read}) { # wait for an answer (100 Continue) first
                my $end = time + 3;
                while ($got !~ $o{until_read} && (my $l = $end - time) > 0) {
                    last unless $sel->can_read($l);
                    sysread($s, my $b, 65536) or last;
                    $got .= $b;
                }
            } else {
                sleep($o{pause} // 0.2);
            }
        }
        syswrite($s, $chunks->[$i]);
    }
    my $end = time + ($o{wait} // 5);
    while ((my $l = $end - time) > 0) {
        last unless $sel->can_read($l);
        my $n = sysread($s, my $b, 65536);
        last unless $n;
        $got .= $b;
    }
    close $s;
    return $got;
}

$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    return (200, ['Content-Type' => 'text/plain'],
        "body=$req->{body} expect=" . ($req->{h}{expect} // '-'));
});
$t->origin_http(port(8082), raw => sub {
    my ($c, $req) = @_;
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234");
    sleep($req->{uri} =~ /late/ ? 3 : 0.2);
    syswrite($c, "56789");
});
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    log-format "L %{+Q}r %ST %ts"
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_res
    http-response wait-for-body time 400ms
    server a 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request wait-for-body time 400ms at-least 4 if { path /least }
    http-request wait-for-body time 400ms if { path_beg /w }
    use_backend be_res if { path_beg /res }
    default_backend be
EOF2

my $head = "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n";
my $r = http_parse(talk([sprintf($head, '/w1') . "0123456789"]));
is($r->{status}, 200, 'whole body at once: forwarded');
like($r->{body}, qr/^body=0123456789 /, '... with its body');
$r = http_parse(talk([sprintf($head, '/w2') . "01234", "56789"]));
is($r->{status}, 200, 'body in two parts within the time: forwarded');
like($r->{body}, qr/^body=0123456789 /, '... complete');
my $t0 = time;
$r = http_parse(talk([sprintf($head, '/w3') . "012"]));
my $el = time - $t0;
is($r->{status}, 408, 'the body does not come: 408');
cmp_ok($el, '>=', 0.35, 'after the wait time (400ms)');
$r = http_parse(talk([sprintf($head, '/least') . "01234", "56789"], pause => 0.7));
is($r->{status}, 200, 'at-least 4: forwarded once 4 bytes are there, no 408');
like($r->{body}, qr/^body=0123456789 /, '... the rest followed');
my $raw = talk(["POST /w4 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n"
    . "Connection: close\r\n\r\n", "0123456789"], until_read => qr/\r\n\r\n/);
like($raw, qr{^HTTP/1\.1 100 Continue\r\n\r\nHTTP/1\.1 200 }, 'Expect: 100-continue answered by the proxy');
like($raw, qr/body=0123456789 expect=-/, 'the body followed; the Expect header was removed');

$r = http_parse(talk(["GET /res HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]));
is("$r->{status} $r->{body}", '200 0123456789', 'http-response wait-for-body: the body came in time');
$r = http_parse(talk(["GET /res-late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]));
is($r->{status}, 504, 'http-response wait-for-body: the body does not come, 504');

my @l = recv_lines(8);
my ($l) = grep { /"POST \/w3 / } @l;
like($l // '', qr/ 408 cR$/, '408 logged cR') or diag(join "\n", @l);
($l) = grep { /"GET \/res-late / } @l;
like($l // '', qr/ 504 sR$/, '504 logged sR') or diag(join "\n", @l);

my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    http-request wait-for-body at-least 10
EOF3
like($out, qr/bad\.cfg:5\b.*wait-for-body.*time/, 'time is mandatory') or diag($out);
