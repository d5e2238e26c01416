#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "rate-limit sessions <rate>" on a frontend: with 20 clients at once, the frontend accepts
# about <rate> sessions per second and leaves the others in the kernel's queue (served
# later, none refused); show stat reports rate_lim and the peak rate.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), body => 'ok');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend limited
    bind 127.0.0.1:%%PORT_8080%%
    rate-limit sessions 5
    default_backend be
frontend free
    bind 127.0.0.1:%%PORT_8090%%
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF2

# 20 connection-per-request clients at once: how many answered within 0.8 s, and in all
sub burst {
    my ($port) = @_;
    my @c = map { IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port($port)) or die } 1 .. 20;
    syswrite($_, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") for @c;
    my $sel = IO::Select->new(@c);
    my %done;
    my $t0 = time;
    my $early;
    while ($sel->count && time - $t0 < 10) {
        for my $s ($sel->can_read(0.1)) {
            my $n = sysread($s, my $d, 4096);
            if (!$n) { $sel->remove($s); $done{$s} = 1 }
        }
        $early //= scalar(keys %done) if time - $t0 >= 0.8;
    }
    return ($early // scalar(keys %done), scalar keys %done);
}
my ($early, $all) = burst(8090);
cmp_ok($early, '>=', 10, "without a limit: most of the 20 clients answered at once ($early)");
($early, $all) = burst(8080);
cmp_ok($early, '<=', 11, "rate-limit sessions 5: about 5 per second accepted ($early within 0.8 s; a second boundary in the burst allows twice that)");
is($all, 20, '... the others wait in the queue and are all served');
my ($line) = grep { /^limited,FRONTEND,/ } split /\n/, cli_send($t->testdir . '/admin.sock', "show stat\n");
my @f = split /,/, $line // '';
is($f[34], 5, 'show stat: rate_lim 5');
cmp_ok($f[35], '>=', 5, "show stat: rate_max ($f[35])");
cmp_ok($f[35], '<=', 11, '... close to the limit');
