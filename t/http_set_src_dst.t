#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# set-src, set-dst, set-src-port, set-dst-port (HAProxy 2.6, checked against HAProxy itself):
# in "http-request" and "tcp-request content" they change what src/dst/src_port/dst_port,
# "option forwardfor" and the log (%ci %cp %fi %fp) see for the current request only (the
# next request of a keep-alive connection has the connection's addresses again); in
# "tcp-request connection" they change the connection's addresses for good. An address keeps
# its port, a port keeps its address; IPv6 results switch the family.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse http_keepalive port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(19);

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

$t->origin_http(port(8081), echo => 1);
$t->origin_tcp(port(8083));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    log-format "L %{+Q}r %ci:%cp %fi:%fp"
backend be
    option forwardfor
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-src req.hdr(x-real-ip) if { req.hdr(x-real-ip) -m found }
    http-request set-src-port req.hdr(x-real-port) if { req.hdr(x-real-port) -m found }
    http-request set-dst req.hdr(x-dst) if { req.hdr(x-dst) -m found }
    http-request set-dst-port int(4000) if { path /dport }
    http-request set-src src,ipmask(24) if { path /mask }
    http-request set-header X-Seen "%[src] %[src_port] %[dst] %[dst_port]"
    default_backend be
frontend fe_conn
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request connection set-src ipv4(192.0.2.7)
    tcp-request connection set-src-port int(1234)
    http-request set-header X-Seen "%[src] %[src_port]"
    default_backend be
listen fe_tcp
    mode tcp
    bind 127.0.0.1:%%PORT_8084%%
    log-format "T %ci:%cp %fi:%fp"
    tcp-request content set-src ipv6(2001:db8::5)
    tcp-request content set-dst ipv4(198.51.100.1)
    tcp-request content set-dst-port int(81)
    server t 127.0.0.1:%%PORT_8083%%
EOF2

sub seen { my ($r) = @_; return $r && $r->{body} =~ /^x-seen: (.*?)\r$/mi ? $1 : '' }
sub xff { my ($r) = @_; return $r && $r->{body} =~ /^x-forwarded-for: (.*?)\r$/mi ? $1 : '' }

my $r = http_parse(http_get('/a', headers => ['X-Real-IP' => '10.1.2.3']));
like(seen($r), qr/^10\.1\.2\.3 \d+ 127\.0\.0\.1 \Q${\ port(8080)}\E$/,
    'set-src: src changed, the source port kept');
is(xff($r), '10.1.2.3', 'option forwardfor sends the new source');
$r = http_parse(http_get('/a', headers => ['X-Real-IP' => '2001:db8::1', 'X-Real-Port' => '999']));
like(seen($r), qr/^2001:db8::1 999 /, 'an IPv6 address, then set-src-port');
is(xff($r), '2001:db8::1', 'forwardfor with the IPv6 source');
$r = http_parse(http_get('/dport', headers => ['X-Dst' => '203.0.113.9']));
is(seen($r) =~ s/^\S+ \S+ //r, '203.0.113.9 4000', 'set-dst then set-dst-port');
$r = http_parse(http_get('/mask', headers => ['X-Real-IP' => '10.9.8.7']));
like(seen($r), qr/^10\.9\.8\.0 /, 'set-src src,ipmask(24) sees the earlier set-src');
$r = http_parse(http_get('/a', headers => ['X-Real-IP' => 'not-an-ip']));
like(seen($r), qr/^127\.0\.0\.1 /, 'a value that is no address changes nothing');

my @k = http_keepalive(
    "GET /k1 HTTP/1.1\r\nHost: x\r\nX-Real-IP: 10.0.0.1\r\n\r\n",
    "GET /k2 HTTP/1.1\r\nHost: x\r\n\r\n",
    {port => port(8080)});
is(xff($k[0]), '10.0.0.1', 'keep-alive: first request with its set-src');
is(xff($k[1]), '127.0.0.1', 'keep-alive: the next request has the connection\'s source again');

$r = http_parse(http_get('/c', port => port(8082)));
is(seen($r), '192.0.2.7 1234', 'tcp-request connection set-src / set-src-port');
is(xff($r), '192.0.2.7', 'forwardfor after tcp-request connection set-src');
@k = http_keepalive("GET /c1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /c2 HTTP/1.1\r\nHost: x\r\n\r\n",
    {port => port(8082)});
is(seen($k[1]), '192.0.2.7 1234', 'tcp-request connection: the whole connection keeps it');

my ($got) = tcp_transfer(port(8084), "ping\n");
is($got, "ping\n", 'tcp mode: forwarded');

my @l = recv_lines(12);
my ($l1) = grep { /"GET \/a HTTP\/1\.1" 10\.1\.2\.3:/ } @l;
ok($l1, '%ci logs the new source') or diag(join "\n", @l);
my ($l2) = grep { /"GET \/dport / } @l;
like($l2 // '', qr/ 203\.0\.113\.9:4000$/, '%fi:%fp log the new destination');
my ($l3) = grep { /"GET \/c2 / } @l;
like($l3 // '', qr/ 192\.0\.2\.7:1234 /, '%ci:%cp after tcp-request connection rules');
my ($l4) = grep { /^T / } @l;
like($l4 // '', qr/^T 2001:db8::5:\d+ 198\.51\.100\.1:81$/, 'tcp mode: tcp-request content, logged')
    or diag(join "\n", @l);

for my $case (['http-request set-src', qr/set-src/], ['http-request set-dst-port nosuchfetch', qr/nosuchfetch/]) {
    my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    $case->[0]
EOF3
    like($out, qr/bad\.cfg:5\b.*$case->[1]/, "'$case->[0]' refused with file:line") or diag($out);
}
