#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Fault: a worker SIGKILLed while connections it accepted track a stick-table entry, and
# no worker starts in its place (the master is stopped meanwhile): the surviving worker
# gives back what the dead one held within about a second (table_trackers and
# table_conn_cur, asked of the survivor, read 0), so use= and conn_cur do not stay stuck;
# once the master runs again, show table reads them back at 0 and tracking goes on. Portico only (HAProxy has no
# worker to kill).
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send http http_parse /;

my $t = Test::Portico->new()->has(qw/ stick /)->portico_only()->plan(7);
$t->origin_tcp(port(8561));
$t->config(<<'EOF2')->run();
global
    workers 2
    stats socket %%TESTDIR%%/stats.sock level admin
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8560%%
    stick-table type ip size 100 expire 1m store conn_cur,conn_cnt
    tcp-request connection track-sc0 src
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8561%%
frontend q
    mode http
    bind 127.0.0.1:%%PORT_8562%%
    http-request return status 200 hdr x-held "%[src,table_trackers(fe)] %[src,table_conn_cur(fe)]"
EOF2
my $sock = $t->testdir . '/stats.sock';
my @w = $t->wait_workers(2, 5);
$t->ignore_alerts(qr/worker.*(?:exited|killed|signal)/i);

sub entry {
    my $out = cli_send($sock, "show table fe key 127.0.0.1\n");
    return $out =~ /(use=\d+ exp=\d+ conn_cnt=\d+ conn_cur=\d+)/ ? $1 : $out;
}
sub wait_entry {
    my ($re) = @_;
    my $e = '';
    my $deadline = time + 5;
    while (time < $deadline) {
        $e = entry();
        return $e if $e =~ $re;
        sleep 0.05;
    }
    return $e;
}
my @c;
for (1 .. 8) {
    push @c, IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8560), Timeout => 3);
}
is(scalar(grep { defined } @c), 8, 'eight connections');
like(wait_entry(qr/use=8 .*conn_cur=8/), qr/use=8 exp=\d+ conn_cnt=8 conn_cur=8/, 'the entry is held eight times');

# the master stopped: it cannot start a worker in place of the one killed
my $master = $t->{pid};
kill 'STOP', $master;
my $victim = $w[0];
my ($survivor) = grep { $_ != $victim } @w;
kill 'KILL', $victim;
# the victim's connections are gone with it; the survivor's are closed too
close $_ for grep { defined } @c;
# asked of the survivor (the master cannot answer the runtime API): trackers, conn_cur
sub held {
    # (a connection the kernel hands to the dead worker's listener waits: a short try)
    my $r = http_parse(http("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", port => port(8562),
        timeout => 1, quiet => 1)) // { h => {} };
    return $r->{h}{'x-held'} // '';
}
my $h = '';
my $deadline = time + 8;
while (time < $deadline) {
    $h = held();
    last if $h eq '0 0';
    sleep 0.1;
}
is($h, '0 0', 'the survivor gave back what the dead worker held, no worker having started in its place');
kill 'CONT', $master;
my $log = '';
$deadline = time + 4;
while (time < $deadline) {
    $log = $t->errlog;
    last if $log =~ /given back/;
    sleep 0.05;
}
like($log, qr/stick-table 'fe': \d+ tracked entries held by the dead worker $victim given back/, 'and said so')
    or diag($log);
like(wait_entry(qr/use=0 .*conn_cur=0/), qr/use=0 exp=\d+ conn_cnt=8 conn_cur=0/, 'nothing stays held');

my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8560), Timeout => 3);
like(wait_entry(qr/use=1 .*conn_cur=1/), qr/use=1 exp=\d+ conn_cnt=9 conn_cur=1/, 'tracking goes on afterwards');
close $c if $c;
like(wait_entry(qr/use=0 .*conn_cur=0/), qr/use=0 exp=\d+ conn_cnt=9 conn_cur=0/, 'and its release too');
