#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The peers protocol with a remote peer that defines tables we do not share: as HAProxy,
# their updates are ignored and they are never acked (a peer defining many of them cannot
# make the session keep or ack more tables than it shares), a table we share is acked
# under the last id the peer defined it with, and its entries arrive. The test is the
# remote peer (a listener the binary connects to).
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick http /)->plan(6);

sub varint {
    my ($v) = @_;
    return chr($v) if $v < 0xf0;
    my $o = chr(($v & 0xff) | 0xf0);
    $v = ($v - 0xf0) >> 4;
    while ($v >= 0x80) {
        $o .= chr(($v & 0xff) | 0x80);
        $v = ($v - 0x80) >> 7;
    }
    return $o . chr($v);
}
sub stkt { my ($type, $pl) = @_; return "\x0a" . chr($type) . varint(length $pl) . $pl }
# a table of ip keys storing gpc0 (data type 2), no expire
sub define { my ($id, $name) = @_; stkt(0x82, varint($id) . varint(length $name) . $name . varint(4) . varint(4) . varint(1 << 2) . varint(0)) }
sub update { my ($upd, $ip, $gpc0) = @_; stkt(0x80, pack('N', $upd) . pack('C4', split /\./, $ip) . varint($gpc0)) }

Test::Portico::_release(port(8701));
my $fake = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(8701), Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
$t->config(<<'EOF2')->run(args => ['-L', 'por'], wait_ports => ['8702']);
global
    stats socket %%TESTDIR%%/s.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
peers p
    peer por 127.0.0.1:%%PORT_8702%%
    peer fake 127.0.0.1:%%PORT_8701%%
frontend f
    bind 127.0.0.1:%%PORT_8703%%
    stick-table type ip size 100 store gpc0 peers p
    http-request return status 200
EOF2
my $sock = $t->testdir . '/s.sock';

my $sel = IO::Select->new($fake);
ok($sel->can_read(10), 'the binary connects to the remote peer') or BAIL_OUT('no connection');
my $c = $fake->accept;
my $cs = IO::Select->new($c);
my $in = '';
while ($in !~ /\n.*\n.*\n/s && $cs->can_read(3)) {
    my $n = sysread($c, my $b, 4096);
    last unless $n;
    $in .= $b;
}
like($in, qr/^HAProxyS 2\.1\nfake\npor \d+ 1\n/, 'its hello');
$in =~ s/^[^\n]*\n[^\n]*\n[^\n]*\n//;
# accepted, nothing to teach; 200 tables it does not have (ids 10..209), each with an
# update; then its own table "f" under id 7, two updates
my $out = "200\n\x00\x01";
$out .= define($_, "nosuch$_") . update(1, '10.0.0.1', 5) for 10 .. 209;
$out .= define(7, 'f') . update(1, '10.0.0.2', 4) . update(2, '10.0.0.3', 6);
syswrite($c, $out);

# what it sends back: the acks' table ids and update ids, until the shared table's
# second update is acked (5 s at most), then for 0.5 s more
my %acked;
sub parse_acks {
    while (length $in >= 2) {
        my ($cls, $type) = unpack('CC', $in);
        if (!($type & 0x80)) { substr($in, 0, 2, ''); next }
        # lengths and table ids here are one-byte varints (under 240)
        last if length $in < 3;
        my $len = ord(substr($in, 2, 1));
        last if $len >= 0xf0 || length $in < 3 + $len;
        my $pl = substr($in, 3, $len);
        substr($in, 0, 3 + $len, '');
        $acked{ord($pl)} = unpack('N', substr($pl, 1, 4)) if $cls == 10 && $type == 0x84 && $len == 5;
    }
}
my $end = time + 5;
my $quiet_until;
while (time < $end) {
    if (!$quiet_until && ($acked{7} // 0) == 2) {
        $quiet_until = time + 0.5;
    }
    last if $quiet_until && time >= $quiet_until;
    next unless $cs->can_read(0.1);
    my $n = sysread($c, my $b, 65536);
    last unless $n;
    $in .= $b;
    parse_acks();
}
is_deeply([sort { $a <=> $b } keys %acked], [7], 'only the table it shares is acked')
    or diag(explain(\%acked));
is($acked{7}, 2, 'up to the last update');
my $tbl = '';
for (1 .. 50) {
    $tbl = cli_send($sock, "show table f\n");
    last if $tbl =~ /10\.0\.0\.3/;
    select(undef, undef, undef, 0.1);
}
like($tbl, qr/key=10\.0\.0\.2 use=0 exp=0 (?:shard=0 )?gpc0=4\n.*key=10\.0\.0\.3 use=0 exp=0 (?:shard=0 )?gpc0=6|key=10\.0\.0\.3 .*gpc0=6\n.*key=10\.0\.0\.2 .*gpc0=4/s,
    'the entries of the table it shares arrived') or diag($tbl);
unlike($tbl, qr/10\.0\.0\.1\b/, 'those of the other tables did not');
close $c;
