#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# option httplog (HAProxy layout, clf, json) to a UDP syslog receiver: header, tag, PID,
# every field of the line, dontlognull, per-proxy log-tag, "log global" versus own targets.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use JSON::PP ();
use File::Basename qw/ basename /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(21);

sub udp_listener {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp');
    die "udp: $@" unless $s;
    return $s;
}

# Datagrams received within TIMEOUT seconds, at most N.
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

my $glob = udp_listener();
my $own = udp_listener();
my ($gport, $oport) = ($glob->sockport, $own->sockport);
# "option httplog json" is a portico extension; HAProxy runs the rest of the test
my $json = Test::Portico::portico() ? 'option httplog json' : 'option httplog';
$t->origin_http(port(8081));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$gport local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    option httplog
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend clf
    bind 127.0.0.1:%%PORT_8082%%
    option httplog clf
    default_backend be
frontend js
    bind 127.0.0.1:%%PORT_8083%%
    no log
    log 127.0.0.1:$oport len 4096 local1
    log-tag webjs
    $json
    option dontlognull
    default_backend be
EOF2

my $pid = $t->pid;
my $tag = basename($t->{binary});
my $date = qr{\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d};

my $raw = http_get('/a?b=1');
my $r = http_parse($raw);
is($r->{status}, 200, 'request through the proxy');
my @l = recv_lines($glob, 1, 5);
is(scalar @l, 1, 'one datagram for one request');
my $line = $l[0] // '';
like($line, qr{\A<134>[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d \Q$tag\E\[$pid\]: },
    'header: <PRI> local0.info, date, tag = program name, [pid] of the master');
like($line, qr{\n\z}, 'line ends with a line feed');
my ($body) = $line =~ /\]: (.*)\n\z/;
$body //= '';
my $re = qr{\A127\.0\.0\.1:(\d+) \[($date\.\d{3})\] fe be/a (\d+)/(\d+)/(\d+)/(\d+)/(\d+) 200 (\d+) - - ---- (\d+)/(\d+)/(\d+)/(\d+)/0 0/0 "GET /a\?b=1 HTTP/1\.1"\z};
like($body, $re, 'httplog fields: client, date, names, timers, status, bytes, flags, counts, request');
my @f = $body =~ $re;
SKIP: {
    skip 'line did not match', 3 unless @f;
    my ($cp, undef, $TR, $Tw, $Tc, $Tr, $Ta, $bytes) = @f;
    ok($cp > 0 && $cp < 65536, 'client port');
    # (HAProxy counts the response as received from the server, before its own edits)
    if (Test::Portico::portico()) { is($bytes, length $raw, 'bytes = response bytes sent') }
    else { ok($bytes > 0 && $bytes <= length $raw, 'bytes of the response') }
    ok($Ta >= $Tr && $Ta < 5000 && $TR < 5000 && $Tw < 5000 && $Tc < 5000, 'timers plausible');
}

# CLF
http_get('/c', port => port(8082));
@l = recv_lines($glob, 1, 5);
like($l[0] // '', qr{\]: 127\.0\.0\.1 - - \[$date [+-]\d{4}\] "GET /c HTTP/1\.1" 200 \d+ "" "" \d+ \d{3} "clf" "be" "a" \d+ \d+ \d+ \d+ \d+ ---- \d+ \d+ \d+ \d+ 0 0 0 "" "" ?\n\z},
    'option httplog clf layout');

# JSON extension, own target, per-proxy tag, "no log" dropped the inherited "log global"
SKIP: {
    skip 'option httplog json is a portico extension', 7 unless Test::Portico::portico();
    http_get('/j?q="x"', port => port(8083));
    @l = recv_lines($own, 2, 3);
    is(scalar @l, 1, 'json frontend: one line on its own target');
    like($l[0] // '', qr{\A<142>[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d webjs\[$pid\]: \{},
        'local1.info and the proxy log-tag');
    my ($j) = ($l[0] // '') =~ /\]: (\{.*\})\n\z/;
    my $o = eval { JSON::PP->new->decode($j // '') };
    ok($o, 'valid JSON') or diag($j);
    $o ||= {};
    is($o->{r}, 'GET /j?q="x" HTTP/1.1', 'request line, quotes escaped in JSON');
    is_deeply([@$o{qw/ft b s ST tsc rc/}], ['js', 'be', 'a', 200, '----', 0], 'names, status, flags');
    ok(defined $o->{Ta} && $o->{Ta} =~ /^\d+$/ && $o->{cp} =~ /^\d+$/, 'numbers are JSON numbers');
    my @g = recv_lines($glob, 1, 0.5);
    is(scalar @g, 0, '"no log" dropped the inherited "log global"');
}

# dontlognull: an empty connection is not logged
{
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8083), Proto => 'tcp');
    close $s if $s;
    my @n = recv_lines($own, 1, 1);
    is(scalar @n, 0, 'dontlognull: connection without data not logged');
}

# keep-alive: one line per request
{
    my $req = "GET /k1 HTTP/1.1\r\nHost: x\r\n\r\nGET /k2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    http($req);
    my @k = recv_lines($glob, 2, 5);
    is(scalar @k, 2, 'two requests on one connection: two lines');
    like($k[0] // '', qr{"GET /k1 HTTP/1\.1"\n\z}, 'first request line');
    like($k[1] // '', qr{"GET /k2 HTTP/1\.1"\n\z}, 'second request line');
}

# a request the proxy answers itself (bad request): <BADREQ>, no server
{
    http("BAD\r\n\r\n");
    my @b = recv_lines($glob, 1, 5);
    like($b[0] // '', qr{\]: 127\.0\.0\.1:\d+ \[$date\.\d{3}\] fe \S+/<NOSRV> -1/-1/-1/-1/\d+ 400 \d+ - - [A-Z]R-- \d+/\d+/\d+/\d+/0 0/0 "<BADREQ>"\n\z},
        'invalid request: 400, <NOSRV>, timers -1, state xR, <BADREQ>');
}
