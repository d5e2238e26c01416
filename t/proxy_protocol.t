#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The proxy_protocol module: accept-proxy (v1, v2, TLVs, LOCAL, split headers), what the
# header's addresses change (src/dst, forwardfor, ACLs, logs), bad headers refused without
# disturbing a concurrent client, timeout client on a slow header, expect-proxy layer4,
# send-proxy / send-proxy-v2 (+ options) written byte-exact to the server, chaining two
# frontends, default-server inheritance, and send-proxy connections kept private.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Socket qw/ inet_aton inet_pton AF_INET6 SHUT_WR /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp http proxy_protocol /)->plan(44);

$SIG{PIPE} = 'IGNORE'; # a refused connection may be reset while we write

my $V2SIG = "\r\n\r\n\0\r\nQUIT\n";

sub v1 { my ($s, $d, $sp, $dp) = @_; return "PROXY TCP4 $s $d $sp $dp\r\n" }

sub tlv { my ($type, $v) = @_; return pack('C n/a*', $type, $v) }

sub v2 {
    my (%o) = @_;
    my $cmd = $o{local} ? 0x20 : 0x21;
    my ($fam, $addr);
    if (!$o{v6}) {
        ($fam, $addr) = (0x11, pack('a4 a4 n n', inet_aton($o{src} // '127.0.0.1'),
            inet_aton($o{dst} // '127.0.0.1'), $o{sport} // 1, $o{dport} // 2));
    } else {
        $fam = 0x21;
        $addr = pack('a16 a16 n n', inet_pton(AF_INET6, $o{src}), inet_pton(AF_INET6, $o{dst}),
            $o{sport}, $o{dport});
    }
    ($fam, $addr) = (0x00, '') if $o{local} && !$o{keep_addr};
    my $tlvs = join '', @{$o{tlvs} // []};
    return $V2SIG . pack('C C n', $cmd, $fam, length($addr) + length($tlvs)) . $addr . $tlvs;
}

# Sends RAW (string, or arrayref of pieces sent 20 ms apart) and reads the reply until close.
sub send_raw {
    my ($port, $raw, %o) = @_;
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port($port), Proto => 'tcp',
        Timeout => 5) or return undef;
    my @p = ref $raw ? @$raw : ($raw);
    for my $i (0 .. $#p) {
        sleep($o{gap} // 0.02) if $i;
        syswrite($s, $p[$i]) // last;
    }
    shutdown($s, SHUT_WR) if $o{half_close};
    my $sel = IO::Select->new($s);
    my ($got, $t0) = ('', time);
    while (time - $t0 < ($o{timeout} // 5)) {
        last unless $sel->can_read(0.2) || time - $t0 < ($o{timeout} // 5);
        my $n = sysread($s, my $d, 65536);
        next if !defined $n && $!{EAGAIN};
        last if !$n;
        $got .= $d;
    }
    close $s;
    return $got;
}

sub body_of { my $r = http_parse($_[0] // ''); return $r ? $r->{body} : undef }

my $get = "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

# UDP log receiver
my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp') or die;
my $up = $u->sockport;
sub log_lines {
    my ($want, $timeout) = @_;
    my @got;
    my $sel = IO::Select->new($u);
    my $deadline = time + $timeout;
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        $u->recv(my $d, 65535);
        push @got, $d;
        last if grep { /$want/ } @got;
    }
    return @got;
}

$t->origin_http(port(8081), echo => 1);
$t->origin_tcp(port(8082));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend pp
    bind 127.0.0.1:%%PORT_8090%% accept-proxy name ppbind
    log 127.0.0.1:$up local0
    option httplog
    http-request return status 200 content-type text/plain lf-string "%[src] %[src_port] %[dst] %[dst_port] %[fc_rcvd_proxy]" if { path /who }
    http-request return status 200 content-type text/plain lf-string "a=%[fc_pp_authority] u=%[fc_pp_unique_id] t=%[fc_pp_tlv(0xE0)] n=%[fc_pp_tlv(PP2_TYPE_AUTHORITY)]" if { path /tlv }
    http-request deny if { src 10.9.0.0/16 }
    option forwardfor
    default_backend echo
frontend slow
    bind 127.0.0.1:%%PORT_8091%% accept-proxy
    timeout client 1s
    http-request return status 200 content-type text/plain lf-string "%[src]"
frontend expect
    bind 127.0.0.1:%%PORT_8092%%
    tcp-request connection expect-proxy layer4 if { dst_port %%PORT_8092%% } { src 127.0.0.1 }
    http-request return status 200 content-type text/plain lf-string "%[src] %[fc_rcvd_proxy]"
frontend noexpect
    bind 127.0.0.1:%%PORT_8093%%
    tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }
    http-request return status 200 content-type text/plain lf-string "%[src] %[fc_rcvd_proxy]"
frontend tcpsend
    mode tcp
    bind 127.0.0.1:%%PORT_8094%%
    default_backend raw_v1
frontend tcpsend2
    mode tcp
    bind 127.0.0.1:%%PORT_8095%%
    default_backend raw_v2
frontend chain
    bind 127.0.0.1:%%PORT_8096%%
    default_backend to_pp
frontend inherit
    mode tcp
    bind 127.0.0.1:%%PORT_8097%%
    default_backend inherited
frontend reuse
    bind 127.0.0.1:%%PORT_8098%%
    default_backend to_pp_reuse
frontend tcppp
    mode tcp
    bind 127.0.0.1:%%PORT_8099%% accept-proxy
    default_backend raw_v2
backend echo
    server o 127.0.0.1:%%PORT_8081%%
backend raw_v1
    mode tcp
    server r 127.0.0.1:%%PORT_8082%% send-proxy
backend raw_v2
    mode tcp
    server r 127.0.0.1:%%PORT_8082%% send-proxy-v2 proxy-v2-options crc32c,authority
backend to_pp
    server p 127.0.0.1:%%PORT_8090%% send-proxy-v2
backend inherited
    mode tcp
    default-server send-proxy
    server a 127.0.0.1:%%PORT_8082%% no-send-proxy
backend to_pp_reuse
    http-reuse always
    server p 127.0.0.1:%%PORT_8090%% send-proxy
EOF2

# ---- accept-proxy ----
my $b = body_of(send_raw(8090, v1('192.0.2.7', '198.51.100.9', 40001, 8443) . $get));
is($b, '192.0.2.7 40001 198.51.100.9 8443 1', 'v1 TCP4: src/dst and ports are the header\'s');

$b = body_of(send_raw(8090, "PROXY TCP6 2001:db8::1 2001:db8::2 4000 443\r\n$get"));
is($b, '2001:db8::1 4000 2001:db8::2 443 1', 'v1 TCP6');

$b = body_of(send_raw(8090, "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n$get"));
like($b // '', qr/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+ 1$/, 'v1 UNKNOWN keeps the real addresses');

$b = body_of(send_raw(8090, v2(src => '203.0.113.5', dst => '203.0.113.6', sport => 5555,
    dport => 80) . $get));
is($b, '203.0.113.5 5555 203.0.113.6 80 1', 'v2 PROXY TCP4');

$b = body_of(send_raw(8090, v2(v6 => 1, src => '2001:db8::a', dst => '2001:db8::b',
    sport => 7, dport => 8) . $get));
is($b, '2001:db8::a 7 2001:db8::b 8 1', 'v2 PROXY TCP6');

$b = body_of(send_raw(8090, v2(local => 1) . $get));
like($b // '', qr/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+ 1$/, 'v2 LOCAL keeps the real addresses');

my $tlvs = [tlv(0x02, 'example.com'), tlv(0x05, 'uid-42'), tlv(0xE0, 'custom'), tlv(0x04, "\0\0")];
$b = body_of(send_raw(8090, v2(tlvs => $tlvs) . $get =~ s{/who}{/tlv}r));
is($b, 'a=example.com u=uid-42 t=custom n=example.com', 'v2 TLVs: authority, unique-id, custom');

# one byte at a time (v1 and v2)
$b = body_of(send_raw(8090, [(split //, v1('192.0.2.1', '192.0.2.2', 1111, 2222)), $get],
    gap => 0.005));
is($b, '192.0.2.1 1111 192.0.2.2 2222 1', 'v1 header sent one byte at a time');
$b = body_of(send_raw(8090, [(split //, v2(src => '192.0.2.3', dst => '192.0.2.4', sport => 3,
    dport => 4, tlvs => [tlv(0x02, 'h')])), $get], gap => 0.005));
is($b, '192.0.2.3 3 192.0.2.4 4 1', 'v2 header with a TLV sent one byte at a time');

# the header's address drives ACLs and forwardfor
like(send_raw(8090, v1("10.9.1.1", "127.0.0.1", 1, 2) . ($get =~ s{/who}{/acl}r)) // '', qr{^HTTP/1\.1 403},
    'ACL on src sees the header\'s address');
my $r = http_parse(send_raw(8090, v1('192.0.2.77', '127.0.0.1', 1, 2) .
    "GET /fwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
like($r && $r->{body} // '', qr/^x-forwarded-for: 192\.0\.2\.77\r?$/mi,
    'option forwardfor sends the header\'s source address');

# ---- bad headers: that connection only ----
my $before = scalar $t->origin_requests(port(8081));
# a good client starts (half a header), bad ones come and go, then it finishes
my $good = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8090), Proto => 'tcp')
    or die;
my $gh = v1('192.0.2.200', '127.0.0.1', 9, 9);
syswrite($good, substr($gh, 0, 10));
my @bad = (
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", 'plain HTTP request'],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n$get", 'v1 port out of range'],
    ["PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n$get", 'v1 bad IPv4'],
    ['PROXY TCP4 ' . ('1' x 120) . "\r\n", 'v1 without CRLF within 107 bytes'],
    ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 'v1 unknown protocol'],
    ["\r\n\r\n\0\r\nQUIX\n" . "\x21\x11\x00\x0c" . ("\0" x 12), 'v2 bad signature'],
    [$V2SIG . "\x21\x11\x00\x04" . ("\0" x 4) . $get, 'v2 length too small for TCP4'],
    [$V2SIG . "\x31\x11\x00\x0c" . ("\0" x 12), 'v2 bad version'],
    [$V2SIG . "\x2f\x11\x00\x0c" . ("\0" x 12), 'v2 bad command'],
    [$V2SIG . "\x21\x51\x00\x0c" . ("\0" x 12), 'v2 bad family'],
    [v2(tlvs => ["\x02\x00\x10ab"]) . $get, 'v2 TLV running past the header'],
    [v2(tlvs => [tlv(0x03, "\xde\xad\xbe\xef")]) . $get, 'v2 CRC32C mismatch'],
    [substr(v2(), 0, 20), 'v2 truncated, then closed', 1],
);
for my $c (@bad) {
    my $got = send_raw(8090, $c->[0], timeout => 3, half_close => $c->[2]);
    is($got, '', "refused and closed without a response: $c->[1]");
}
syswrite($good, substr($gh, 10) . $get);
my $gr = '';
my $sel = IO::Select->new($good);
while ($sel->can_read(5)) { my $n = sysread($good, my $d, 65536); last if !$n; $gr .= $d }
close $good;
is(body_of($gr), '192.0.2.200 9 127.0.0.1 9 1', 'the concurrent good client was not disturbed')
    or diag "got: $gr";
is(scalar $t->origin_requests(port(8081)), $before + 0, 'no refused connection reached the origin');
my @logs = log_lines(qr/does not look like a PROXY protocol header/, 3);
ok((grep { m{ pp/ppbind: Received something which does not look like a PROXY protocol header} }
    @logs), 'a refused header is logged as frontend/bind: reason') or diag explain \@logs;

# slow header: bounded by timeout client (1s)
my $t0 = time;
my $got = send_raw(8091, ['PROX'], timeout => 4);
my $el = time - $t0;
ok($got eq '' && $el >= 0.8 && $el < 3.5, sprintf('a slow header is cut by timeout client (%.1fs)', $el));

# ---- expect-proxy layer4 ----
$b = body_of(send_raw(8092, v1('192.0.2.50', '127.0.0.1', 1, 2) . $get));
is($b, '192.0.2.50 1', 'expect-proxy: the header is read when the rule matches');
is(send_raw(8092, $get, timeout => 3), '', 'expect-proxy: a plain connection is refused when it matches');
$b = body_of(send_raw(8093, $get));
is($b, '127.0.0.1 0', 'expect-proxy unless matched: plain connections work');

# ---- send-proxy (v1) and send-proxy-v2 with options, byte-exact ----
my $cs = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8094), Proto => 'tcp')
    or die;
my $cport = $cs->sockport;
syswrite($cs, 'hello');
shutdown($cs, SHUT_WR);
my $echo = '';
$sel = IO::Select->new($cs);
while ($sel->can_read(5)) { my $n = sysread($cs, my $d, 65536); last if !$n; $echo .= $d }
close $cs;
is($echo, "PROXY TCP4 127.0.0.1 127.0.0.1 $cport " . port(8094) . "\r\nhello",
    'send-proxy writes the v1 line before the first byte');

# v2 through an accept-proxy tcp frontend: authority passes through, CRC32C is valid
my ($e2) = tcp_transfer(port(8099), v2(src => '198.51.100.1', dst => '198.51.100.2', sport => 10,
    dport => 20, tlvs => [tlv(0x02, 'auth.example')]) . 'payload', { timeout => 5 });
$e2 //= '';
ok(substr($e2, 0, 12) eq $V2SIG, 'send-proxy-v2: v2 signature');
my ($vc, $fam, $len) = unpack('C C n', substr($e2, 12, 4));
is(sprintf('%02x %02x', $vc, $fam), '21 11', 'send-proxy-v2: PROXY command, TCP over IPv4');
my ($sa, $da, $sp, $dp) = unpack('a4 a4 n n', substr($e2, 16, 12));
is(join(' ', join('.', unpack('C4', $sa)), join('.', unpack('C4', $da)), $sp, $dp),
    '198.51.100.1 198.51.100.2 10 20', 'send-proxy-v2 carries the addresses received with accept-proxy');
my $tl = substr($e2, 28, $len - 12);
my %tlv;
while (length $tl >= 3) {
    my ($ty, $l) = unpack('C n', $tl);
    $tlv{$ty} = substr($tl, 3, $l);
    $tl = substr($tl, 3 + $l);
}
is($tlv{2}, 'auth.example', 'proxy-v2-options authority: the received authority is passed on');
ok(defined $tlv{3} && length $tlv{3} == 4, 'proxy-v2-options crc32c: a CRC32C TLV is present');
is(substr($e2, 16 + $len), 'payload', 'the payload follows the header');

# ---- chain: a send-proxy-v2 backend into the accept-proxy frontend ----
my $cl = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8096), Proto => 'tcp')
    or die;
my $myport = $cl->sockport;
syswrite($cl, $get);
my $cr = '';
$sel = IO::Select->new($cl);
while ($sel->can_read(5)) { my $n = sysread($cl, my $d, 65536); last if !$n; $cr .= $d }
close $cl;
is(body_of($cr), "127.0.0.1 $myport 127.0.0.1 " . port(8096) . ' 1',
    'chained frontends: the second one sees the original client and port');

# ---- default-server send-proxy, cancelled by no-send-proxy ----
my ($e3) = tcp_transfer(port(8097), 'plain', { timeout => 5 });
is($e3, 'plain', 'no-send-proxy cancels an inherited default-server send-proxy');

# ---- send-proxy connections stay private (http-reuse always) ----
my @ports;
for (1 .. 2) {
    my $c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8098), Proto => 'tcp')
        or die;
    push @ports, $c->sockport;
    syswrite($c, "GET /who HTTP/1.1\r\nHost: x\r\n\r\n");
    my $resp = '';
    $sel = IO::Select->new($c);
    while ($resp !~ /\r\n\r\n.*\d$/s && $sel->can_read(5)) {
        my $n = sysread($c, my $d, 65536);
        last if !$n;
        $resp .= $d;
    }
    my ($body) = $resp =~ /\r\n\r\n(.*)\z/s;
    like($body // '', qr/^127\.0\.0\.1 $ports[-1] /, "client $_ is seen with its own port (connection not shared)");
    close $c;
}

# ---- configuration errors ----
$t->write_file('bad1.cfg', "defaults\n    mode http\nbackend b\n    server s 127.0.0.1:1 proxy-v2-options ssl,bogus\n");
my ($rc, $out) = $t->run_binary('-c', '-f', $t->testdir . '/bad1.cfg');
ok($rc != 0 && $out =~ /bad1\.cfg:4: .*unknown option 'bogus'/, 'proxy-v2-options: unknown option at file:line')
    or diag $out;
$t->write_file('bad2.cfg', "frontend f\n    bind 127.0.0.1:1\n    tcp-request connection expect-proxy layer7\n");
($rc, $out) = $t->run_binary('-c', '-f', $t->testdir . '/bad2.cfg');
ok($rc != 0 && $out =~ /bad2\.cfg:3: .*expect-proxy' expects 'layer4'/, 'expect-proxy needs layer4')
    or diag $out;
