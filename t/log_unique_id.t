#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# unique-id-format, unique-id-header, the unique-id fetch and %ID (HAProxy 2.6 semantics,
# checked against HAProxy itself), and the log options around them: option logasap ('+'
# before %B/%Ta/%Tt), log-format-sd in RFC 5424 headers, option log-separate-errors.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(16);

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

sub body_of { my ($l) = @_; return "" unless defined $l && $l =~ /^<\d+>.*?\]: (.*?)\n?$/s; return $1 }

my $u = udp_listener();
my $up = $u->sockport;
my $u2 = udp_listener();
my $up2 = $u2->sockport;
$t->origin_http(port(8081), handler => sub {
    my ($r) = @_;
    return (503, ['Content-Type' => 'text/plain'], "no\n") if $r->{uri} eq '/err';
    return (200, ['Content-Type' => 'text/plain'], "hello\n");
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
frontend uid
    bind 127.0.0.1:%%PORT_8080%%
    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    unique-id-header X-Unique-ID
    http-request set-header X-Seen %[unique-id]
    log-format "ID=%ID smp=%[unique-id] rt=%rt"
    default_backend be
frontend noid
    bind 127.0.0.1:%%PORT_8082%%
    log-format "ID=%ID smp=%[unique-id]"
    default_backend be
frontend asap
    bind 127.0.0.1:%%PORT_8083%%
    option logasap
    default_backend be
frontend sd
    bind 127.0.0.1:%%PORT_8084%%
    no log
    log 127.0.0.1:$up2 format rfc5424 local0
    log-format-sd "[exampleSDID\@1234 status=\\"%ST\\"]"
    default_backend be
frontend nosd
    bind 127.0.0.1:%%PORT_8085%%
    no log
    log 127.0.0.1:$up2 format rfc5424 local0
    default_backend be
frontend sep
    bind 127.0.0.1:%%PORT_8086%%
    option log-separate-errors
    log-format "sep %ST"
    default_backend be
frontend reqdata
    bind 127.0.0.1:%%PORT_8088%%
    unique-id-format TEST-%[req.hdr(in)]
    http-response set-header out %[unique-id]
    default_backend be
frontend asaptcp
    mode tcp
    bind 127.0.0.1:%%PORT_8087%%
    option tcplog
    option logasap
    default_backend be_tcp
EOF2

my $hex = qr/[0-9A-F]/;
my $idre = qr/7F000001:$hex{4}_7F000001:$hex{4}_$hex{8}_$hex{4}:$hex+/;

# 1. the id: same in %ID, the fetch, the header the server got, and stable per request
my $s = http("GET /u HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8080));
my ($l) = recv_lines($u, 1, 5);
my ($id, $smp, $rt) = body_of($l) =~ /^ID=(\S+) smp=(\S+) rt=(\d+)$/;
like($id // '', qr/^$idre$/, 'unique-id-format rendered with +X') or diag($l);
is($smp, $id, '%[unique-id] is the same id');
my @o = $t->origin_requests(port(8081));
is($o[-1]{h}{'x-unique-id'}, $id, 'unique-id-header sent to the server');
is($o[-1]{h}{'x-seen'}, $id, 'the fetch in http-request rules sees the same id');
is(sprintf('%04X', $rt), (split /[_:]/, $id)[5], '%rt in the id is the request counter of the log');

# 2. keep-alive: each request gets its own id
http(["GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    port => port(8080));
my @l = recv_lines($u, 2, 5);
my @ids = map { body_of($_) =~ /^ID=(\S+)/ ? $1 : '' } @l;
ok($ids[0] && $ids[1] && $ids[0] ne $ids[1], 'two requests of one connection, two ids')
    or diag(join "\n", @l);

# 3. without unique-id-format: %ID and the fetch are a dash, no header
http("GET /n HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8082));
($l) = recv_lines($u, 1, 5);
is(body_of($l), 'ID=- smp=-', 'no unique-id-format: dashes') or diag($l);
@o = $t->origin_requests(port(8081));
ok(!exists $o[-1]{h}{'x-unique-id'}, 'and no header');

# 4. option logasap: '+' before %Ta and %B in the httplog line
http("GET /asap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8083));
($l) = recv_lines($u, 1, 5);
like(body_of($l), qr{ asap be/a \d+/\d+/\d+/\d+/\+\d+ 200 \+\d+ - - ---- }, 'logasap: +Ta, +B')
    or diag($l);

# 5. TCP: the same marks on %Tt and %B
http("GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8087));
($l) = recv_lines($u, 1, 5);
like(body_of($l), qr{ asaptcp be_tcp/a \d+/\d+/\+\d+ \+\d+ -- }, 'logasap in TCP: +Tt, +B')
    or diag($l);

# 6. log-format-sd: the structured-data field of RFC 5424 headers
http("GET /sd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8084));
($l) = recv_lines($u2, 1, 5);
like($l // '', qr{^<134>1 \S+ \S+ \S+ \d+ - \[exampleSDID\@1234 status="200"\] 127\.0\.0\.1:\d+ \[},
    'log-format-sd replaces the "-" SD field') or diag($l);
http("GET /nosd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8085));
($l) = recv_lines($u2, 1, 5);
like($l // '', qr{^<134>1 \S+ \S+ \S+ \d+ - - 127\.0\.0\.1:\d+ \[}, 'without it: "- -"')
    or diag($l);

# 7. option log-separate-errors: a 5xx goes at level err (local0.err = 131), others info
http("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8086));
($l) = recv_lines($u, 1, 5);
like($l // '', qr{^<134>.*sep 200$}, '200 at info') or diag($l);
http("GET /err HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8086));
($l) = recv_lines($u, 1, 5);
like($l // '', qr{^<131>.*sep 503$}, '503 at err') or diag($l);

# 8. the id is made with the request's data, even when first used in a response rule
my $r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\nin: 12345678\r\nConnection: close\r\n\r\n",
    port => port(8088)));
is($r && $r->{h}{out}, 'TEST-12345678', 'unique id of request data, read in http-response');
recv_lines($u, 1, 2);

# 9. a bad unique-id-format is refused
my $c = Test::Portico->new();
$c->config("global\ndefaults\n    mode http\nfrontend f\n    bind 127.0.0.1:18999\n    unique-id-format %[nosuchfetch]\n");
my ($rc, $out) = $c->check_config();
isnt($rc, 0, 'unknown fetch in unique-id-format is refused') or diag($out);
