#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A soft stop (SIGUSR1, what every reload sends to the old workers) is not held up by the
# peers protocol: with a "peers" section whose local peer listens (HAProxy 2.6 as the other
# peer, connected to it both ways), the process exits promptly on SIGUSR1, like HAProxy's
# which closes its peer sessions once its listener is stopped; and a reload leaves no old
# worker behind while the new one takes the session over. Portico only.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

plan skip_all => 'needs /usr/sbin/haproxy as the other peer' unless -x '/usr/sbin/haproxy';
my $t = Test::Portico->new();
$t->portico_only;
$t->has(qw/ stick /)->plan(6);

sub cfg {
    my ($cli, $fe) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
defaults
    mode tcp
    %%TIMEOUTS%%
peers mypeers
    peer hap 127.0.0.1:%%PORT_8101%%
    peer por 127.0.0.1:%%PORT_8102%%
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    stick-table type string len 16 size 100 expire 1m store gpc0 peers mypeers
    tcp-request content reject
EOF2
}

# polls "show table fe key <k>" on <sock> until it matches (5 s at most)
sub wait_key {
    my ($sock, $k, $re) = @_;
    my $out = '';
    for (1 .. 100) {
        $out = cli_send($sock, "show table fe key $k\n") // '';
        return $out if $out =~ $re;
        select(undef, undef, undef, 0.05);
    }
    return $out;
}

my $hap = Test::Portico->new();
$hap->{binary} = '/usr/sbin/haproxy';
$hap->config(cfg('hap.sock', '8111'))->run(args => ['-L', 'hap'], wait_ports => ['8101']);
my $hsock = $hap->testdir . '/hap.sock';

# 1. SIGUSR1 with the sessions open: the process exits on its own
$t->config(cfg('por.sock', '8112'))->run(args => ['-L', 'por'], wait_ports => ['8102']);
my $psock = $t->testdir . '/por.sock';
cli_send($psock, "set table fe key k1 data.gpc0 1\n");
like(wait_key($hsock, 'k1', qr/gpc0=1/), qr/gpc0=1/, 'the peer session is up (an entry reached HAProxy)');
cli_send($hsock, "set table fe key k2 data.gpc0 2\n");
like(wait_key($psock, 'k2', qr/gpc0=2/), qr/gpc0=2/, 'both ways');
$t->signal('USR1');
my $st = $t->wait_exit(5);
ok(defined $st, 'SIGUSR1 with open peer sessions: the process exits within 5 s');
$t->stop unless defined $st;

# 2. a reload with the sessions open: the old worker leaves, the new one serves the peer
my $r = Test::Portico->new();
$r->portico_only;
$r->config(cfg('por2.sock', '8112'))->run(args => ['-L', 'por'], wait_ports => ['8102']);
my $rsock = $r->testdir . '/por2.sock';
my ($old) = $r->wait_workers(1);
cli_send($rsock, "set table fe key k3 data.gpc0 3\n");
wait_key($hsock, 'k3', qr/gpc0=3/);
like($r->reload, qr/Reload complete/, 'reload with open peer sessions');
my $gone = 0;
for (1 .. 100) {
    if (!kill 0, $old) { $gone = 1; last }
    my $s = Test::Portico::_stat($old);
    if (!$s || $s->{state} eq 'Z') { $gone = 1; last }
    select(undef, undef, undef, 0.05);
}
ok($gone, 'the old worker is gone within 5 s of the reload');
cli_send($hsock, "set table fe key k4 data.gpc0 4\n");
like(wait_key($rsock, 'k4', qr/gpc0=4/), qr/gpc0=4/, 'the new worker has the peer session');
$r->stop;
# HAProxy itself, on a soft stop, keeps trying to teach its entries to a new local process
# of its own (there is none here): stopped with SIGTERM
$hap->signal('TERM');
$hap->wait_exit(5) // $hap->stop;
