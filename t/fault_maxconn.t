#!/usr/bin/perl
# Fault: "maxconn" reached. With the frontend's 4 connections busy, new connections wait in
# the kernel's accept queue (connect succeeds, nothing is answered), nothing crashes, and
# they are served as soon as earlier ones finish.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port show_stat /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), handler => sub { sleep 1; (200, [], 'ok') });
$t->config(<<'EOF2')->run();
global
    maxconn 1000
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    maxconn 4
    default_backend be
EOF2

my $t0 = time;
my (@c, %done, %resp);
for my $i (1 .. 10) {
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Proto => 'tcp',
        Timeout => 3);
    push @c, $s;
    next unless $s;
    syswrite($s, "GET /$i HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    $s->blocking(0);
    sleep 0.05 if $i == 4; # the first four are in before the others
}
is(scalar(grep { defined } @c), 10, 'all 10 connections accepted by the kernel');
my $sel = IO::Select->new(grep { defined } @c);
my %idx = map { fileno($c[$_]) => $_ } grep { defined $c[$_] } 0 .. $#c;
my $max_scur = 0;
while ($sel->count && time - $t0 < 10) {
    for my $s ($sel->can_read(0.1)) {
        my $i = $idx{fileno $s};
        my $n = sysread($s, $resp{$i}, 4096, length($resp{$i} // ''));
        next if !defined $n && $!{EAGAIN};
        if (!$n) { $done{$i} = time - $t0; $sel->remove($s) }
    }
    my $st = show_stat($t->testdir . '/stats.sock');
    my $sc = $st->{'fe/FRONTEND'}{scur} // 0;
    $max_scur = $sc if $sc > $max_scur;
}
is(scalar(grep { ($resp{$_} // '') =~ m{^HTTP/1\.1 200 } } 0 .. 9), 10, 'all 10 served');
# connections accepted in flight past the limit (multishot accept, epoll accept loop) are
# held unread until a slot frees: never more than maxconn in the proxy
cmp_ok($max_scur, '<=', 4, "never more than maxconn connections in the proxy ($max_scur)");
my @first = sort { $a <=> $b } map { $done{$_} // 99 } 0 .. 3;
my @rest = sort { $a <=> $b } map { $done{$_} // 99 } 4 .. 9;
cmp_ok($rest[0], '>=', $first[0] - 0.05, sprintf('the waiting ones only after the first '
    . 'finished (%.2fs >= %.2fs)', $rest[0], $first[0]));
cmp_ok($rest[-1], '<', 5, sprintf('service resumed: the last one done at %.2fs', $rest[-1]));
ok(kill(0, $t->pid), 'the proxy is still running');
