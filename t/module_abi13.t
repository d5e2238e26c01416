#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The server side of ABI 1.3 through the abi13_srv test module, over two workers with real
# origins: a PTC_PHASE_SERVER_CHOICE hook pinning a server (stream_use_server, with and
# without PTC_USE_SRV_FORCE), server_set_op (DOWN/UP/NOLB in show stat, fallback to the
# balancer), server_set_eweight (share of traffic, show stat weight), a shm_reserve counter
# incremented by PTC_PHASE_SRV_CONNECTED in both workers, server_state/server_addr, and
# server_next seeing a server added with "add server".
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(31);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

SKIP: {
    skip "$dir/abi13_srv.so not built", 31 unless -e "$dir/abi13_srv.so";

    $t->ignore_alerts(qr/Server \w+\/s\d is (DOWN|going STOPPING), reason: set by abi13-set-op/);
    $t->origin_http(port(8081), body => 's1');
    $t->origin_http(port(8082), body => 's2');
    $t->origin_http(port(8083), body => 's3');
    $t->config(<<"EOF2")->run();
global
    maxconn 1000
    workers 2
    stats socket %%TESTDIR%%/cli.sock level admin
    tune.dynamic-servers 2
    module-load $dir/abi13_srv.so
defaults
    mode http
    %%TIMEOUTS%%
    http-reuse never
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request abi13-set-op pin/s2 down if { path /ctl/s2-down }
    http-request abi13-set-op pinf/s2 down if { path /ctl/s2-down }
    http-request abi13-set-op pin/s2 stopping if { path /ctl/s2-stopping }
    http-request abi13-set-op rr/s2 stopping if { path /ctl/s2-stopping }
    http-request abi13-set-op pin/s2 up if { path /ctl/s2-up }
    http-request abi13-set-op pinf/s2 up if { path /ctl/s2-up }
    http-request abi13-set-op rr/s2 up if { path /ctl/s2-up }
    http-request abi13-eweight w/s1 32 if { path /ctl/w-s1-32 }
    http-request abi13-eweight w/s1 256 if { path /ctl/w-s1-256 }
    http-request return status 200 hdr X-Count "%[abi13_count]" hdr X-Shm "%[abi13_shm_checks]" hdr X-State "%[abi13_state(pin/s2)]" hdr X-Addr "%[abi13_addr(pin/s3)]" hdr X-Servers "%[abi13_servers(rr)]" if { path_beg /ctl/ }
    http-response set-header X-Pinned %[abi13_pinned]
    http-response set-header X-Pid %[abi13_pid]
    use_backend pinf if { path_beg /pinf }
    use_backend pin if { path_beg /pin }
    use_backend w if { path_beg /w }
    default_backend rr
backend pin
    balance roundrobin
    abi13-pin s2
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
    server s3 127.0.0.1:%%PORT_8083%%
backend pinf
    balance roundrobin
    abi13-pin s2 force
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
    server s3 127.0.0.1:%%PORT_8083%%
backend rr
    balance roundrobin
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
    server s3 127.0.0.1:%%PORT_8083%%
backend w
    balance roundrobin
    server s1 127.0.0.1:%%PORT_8081%% weight 100
    server s2 127.0.0.1:%%PORT_8082%% weight 100
EOF2
    my $sock = $t->testdir . '/cli.sock';
    my $cli = sub { cli_send($sock, "$_[0]\n") };

    # Bodies of N requests to PATH on separate connections, counted; pins and pids seen.
    my (%pins, %pids);
    my $spread = sub {
        my ($path, $n) = @_;
        my %c;
        %pins = ();
        for (1 .. $n) {
            my $r = http_parse(http_get($path));
            $c{$r ? $r->{body} : 'failed'}++;
            next unless $r;
            $pins{$r->{h}{'x-pinned'} // '-'}++;
            $pids{$r->{h}{'x-pid'}}++ if $r->{h}{'x-pid'};
        }
        return join(' ', map { "$_=$c{$_}" } sort keys %c);
    };
    my $ctl = sub {
        my $r = http_parse(http_get("/ctl/$_[0]"));
        return $r && $r->{status} == 200 ? $r->{h} : {};
    };
    my $stat = sub {
        my ($be, $srv, $col) = @_;
        my $csv = $cli->('show stat');
        my ($hdr) = $csv =~ /^# (.*)$/m;
        my @cols = split /,/, $hdr // '';
        my ($idx) = grep { $cols[$_] eq $col } 0 .. $#cols;
        my ($line) = grep { /^$be,$srv,/ } split /\n/, $csv;
        return defined $idx && $line ? (split /,/, $line)[$idx] // '?' : '?';
    };

    # ---- shm counter: baseline and the reservation checks ----
    # both workers ran worker_init once the second one answers: wait for it (bounded)
    my $h;
    for (1 .. 40) {
        $h = $ctl->('info');
        last if ($h->{'x-shm'} // '') =~ /sealed=2/;
        select(undef, undef, undef, 0.1);
    }
    my $c0 = $h->{'x-count'};
    is($c0, 0, 'shm counter starts at 0 (control requests do not connect)');
    is($h->{'x-shm'}, 'same=1 other=1 sealed=2',
        'shm_reserve: same name same area, other name other area, refused in both workers');
    is($h->{'x-addr'}, '127.0.0.1:' . port(8083), 'server_addr of pin/s3');
    is($h->{'x-servers'}, 's1,s2,s3', 'server_next lists the backend, server_backend agrees');
    is($h->{'x-state'} & 0x21, 0x21, 'server_state: pin/s2 UP and USABLE');

    # ---- pinning ----
    is($spread->('/pin', 9), 's2=9', 'abi13-pin s2: every request goes to s2');
    is(join(',', sort keys %pins), '1', 'the hook pinned each stream (stream_modstate)');
    is($spread->('/pinf', 6), 's2=6', 'abi13-pin s2 force: every request goes to s2');
    is($spread->('/', 6), 's1=2 s2=2 s3=2', 'unpinned backend balances');

    # ---- s2 down ----
    $ctl->('s2-down');
    is($stat->('pin', 's2', 'status'), 'DOWN', 'show stat: pin/s2 DOWN after server_set_op');
    is($ctl->('info')->{'x-state'} & 0x21, 0, 'server_state: neither UP nor USABLE');
    my $got = $spread->('/pin', 8);
    is($got, 's1=4 s3=4', 'non-forced pin on a DOWN server falls back to balancing');
    is(join(',', sort keys %pins), '0', 'the hook did not pin (stream_use_server refused)');
    is($spread->('/pinf', 6), 's2=6', 'forced pin still goes to the DOWN server');

    # ---- s2 up again ----
    $ctl->('s2-up');
    is($stat->('pin', 's2', 'status'), 'UP', 'show stat: pin/s2 UP after server_set_op up');
    is($spread->('/pin', 4), 's2=4', 'pinned again');

    # ---- s2 stopping (NOLB): no balanced traffic, persistent traffic still taken ----
    $ctl->('s2-stopping');
    is($stat->('rr', 's2', 'status'), 'NOLB', 'show stat: rr/s2 NOLB');
    is($ctl->('info')->{'x-state'} & 0x23, 0x03, 'server_state: UP|STOPPING, not USABLE');
    is($spread->('/', 8), 's1=4 s3=4', 'a stopping server gets no balanced traffic');
    is($spread->('/pin', 4), 's2=4', 'a stopping server still takes the pinned (persistent) traffic');
    $ctl->('s2-up');
    is($spread->('/', 6), 's1=2 s2=2 s3=2', 'up again: balanced over the three');

    # ---- effective weight ----
    my $n = 200;
    $ctl->('w-s1-32');
    is($stat->('w', 's1', 'weight'), 13, 'show stat: weight 100 at 32/256 -> 13');
    is($stat->('w', 's1', 'uweight'), 100, 'show stat: user weight unchanged');
    $got = $spread->('/w', $n);
    my ($s1) = $got =~ /s1=(\d+)/;
    $s1 //= 0;
    ok($s1 > 0 && $s1 < $n / 4, "s1 at 32/256 gets less than 25% ($got)");
    $ctl->('w-s1-256');
    is($stat->('w', 's1', 'weight'), 100, 'show stat: full weight again');
    $got = $spread->('/w', 100);
    ($s1) = $got =~ /s1=(\d+)/;
    ok(($s1 // 0) >= 40 && $s1 <= 60, "full weight: about half ($got)");

    # ---- the shm counter saw every server connection, from both workers ----
    my $before = $ctl->('info')->{'x-count'};
    $spread->('/', 50);
    my $after = $ctl->('info')->{'x-count'};
    is($after - $before, 50, 'shm counter: 50 requests with http-reuse never = 50 connections');
    my $total = 9 + 6 + 6 + 8 + 6 + 4 + 8 + 4 + 6 + $n + 100;
    is($before - $c0, $total, "shm counter: all $total earlier connections counted");
    is(scalar keys %pids, 2, 'requests were served by both workers') or diag(join ' ', keys %pids);

    # ---- server_next sees a server added at run time ----
    like($cli->('add server rr/s4 127.0.0.1:' . port(8083)), qr/New server registered/i,
        'add server rr/s4');
    is($ctl->('info')->{'x-servers'}, 's1,s2,s3,s4', 'server_next lists the added server');
}
