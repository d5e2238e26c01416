#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ABI 1.4 through the abi14_check test module, whose runtime API commands (cli_register)
# drive the new host functions: module commands (help listing, levels, a "*" word refining
# the core's "set server"), server_set_check and the show stat / show servers state check
# columns, server_set_op's HAProxy lines (counts, "via", "Running on backup", "has no
# server available!") on stderr and to the proxy's syslog target, server_set_admin,
# server_set_weight, server_find/id/iweight, proxy_log, server_shutdown_streams (a
# long-lived stream killed), PTC_PHASE_SRV_ERROR (refused connections counted, retries
# included), and timeout check / spread-checks / max-spread-checks as modules read them.
use warnings;
use strict;
use Test::More;
use File::Spec;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port cli_send /;

my $N = 55;
my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan($N);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

SKIP: {
    skip "$dir/abi14_check.so not built", $N unless -e "$dir/abi14_check.so";

    my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
        or die "udp: $@";
    my $up = $u->sockport;
    my $dead = port('dead');
    $t->ignore_alerts(qr/backend .be. has no server available!/);
    $t->ignore_alerts(qr/cli_register: runtime API command .abi14 ping. registered twice/);
    my $slow = sub {
        my ($req) = @_;
        sleep 3 if $req->{uri} eq '/slow';
        return (200, ['Content-Type' => 'text/plain'], 'a');
    };
    $t->origin_http(port(8081), handler => $slow);
    $t->origin_http(port(8082), body => 'b');
    $t->config(<<"EOF2")->run();
global
    workers 2
    stats socket %%TESTDIR%%/cli.sock level admin
    log 127.0.0.1:$up local0
    spread-checks 5
    max-spread-checks 2s
    module-load $dir/abi14_check.so
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 3s
    log global
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend dead if { path_beg /dead }
    use_backend long if { path_beg /slow }
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:%%PORT_8081%% weight 20
    server s2 127.0.0.1:%%PORT_8082%%
    server b1 127.0.0.1:%%PORT_8081%% backup
backend long
    server l1 127.0.0.1:%%PORT_8081%%
backend dead
    retries 2
    timeout connect 100ms
    server x 127.0.0.1:$dead
EOF2
    my $sock = $t->testdir . '/cli.sock';
    # no frontend here: run() has no listener to wait for, so wait for the runtime API
    for (1 .. 100) { last if -S $sock; select(undef, undef, undef, 0.05) }
    my $cli = sub { cli_send($sock, "$_[0]\n") };
    my $stat = sub {
        my ($be, $srv, $col) = @_;
        my $csv = $cli->('show stat');
        my ($hdr) = $csv =~ /^# (.*)$/m;
        my @cols = split /,/, $hdr // '';
        my ($idx) = grep { $cols[$_] eq $col } 0 .. $#cols;
        my ($line) = grep { /^$be,$srv,/ } split /\n/, $csv;
        return '?' unless defined $idx && $line;
        # CSV: fields may be quoted
        my @f;
        push @f, defined $1 ? ($1 =~ s/""/"/gr) : $2
            while $line =~ /\G(?:"((?:[^"]|"")*)"|([^,]*)),/gc;
        return $f[$idx] // '?';
    };
    my $state = sub {
        my ($be, $srv) = @_;
        my ($line) = grep { /^\d+ $be \d+ $srv / } split /\n/, $cli->('show servers state');
        return [split / /, $line // ''];
    };
    my @syslog;
    my $drain_syslog = sub {
        my $sel = IO::Select->new($u);
        while ($sel->can_read($_[0] // 0.3)) {
            my $d;
            $u->recv($d, 65535);
            push @syslog, $d;
        }
    };
    my $errlog_has = sub {
        my ($re) = @_;
        for (1 .. 100) {
            return 1 if $t->errlog =~ $re;
            sleep 0.05;
        }
        return 0;
    };

    # ---- module commands ----
    my $help = $cli->('help');
    like($help, qr/^  abi14 ping\s+: answer pong \(abi14 test module\)$/m, 'help lists a module command');
    like($help, qr/^  abi14 secret\s+: an admin-only command$/m, 'admin level: the admin command is listed');
    unlike($help, qr/abi14 check/, 'a command without usage is not listed');
    ok(index($help, '  abi14 ping') < index($help, '  add server'), 'help lines sorted by usage');
    my $uhelp = $cli->('user; help');
    like($uhelp, qr/abi14 ping/, 'user level: the user command is listed');
    unlike($uhelp, qr/abi14 secret/, 'user level: the admin command is not listed');
    is($cli->('abi14 ping'), "pong\n\n", 'a module command answers');
    like($cli->('user; abi14 secret'), qr/Permission denied/, 'level checked for module commands');
    is($cli->('set server be/s1 abi14'), "abi14 on be/s1 (4 words)\n\n",
        '"set server * abi14" is matched before the core\'s "set server"');
    like($cli->('set server be/s1 state drain'), qr/^\n$/, 'the core\'s "set server" still answers the rest');
    ok($errlog_has->(qr/\[WARNING\].*Server be\/s1 enters drain state\. 1 active and 1 backup servers online\. 0 sessions requeued, 0 total in queue\./),
        'drain logged as HAProxy does');
    $cli->('set server be/s1 state ready');
    ok($errlog_has->(qr/Server be\/s1 is UP \(leaving forced drain\)\./), 'leaving drain logged');

    # ---- server_set_check -> show stat / show servers state ----
    is($stat->('be', 's1', 'status'), 'no check', 'no check published: "no check"');
    $cli->('abi14 check be/s1 fail');
    is($stat->('be', 's1', 'status'), 'UP 2/3', 'a failed probe: "UP 2/3"');
    is($stat->('be', 's1', 'check_status'), 'L4CON', 'check_status');
    is($stat->('be', 's1', 'check_code'), '', 'check_code empty below layer 7');
    is($stat->('be', 's1', 'check_duration'), '1', 'check_duration');
    is($stat->('be', 's1', 'check_desc'), 'Layer4 connection problem', 'check_desc');
    is($stat->('be', 's1', 'last_chk'), 'Connection refused', 'last_chk');
    is(join(',', map { $stat->('be', 's1', $_) } qw/check_rise check_fall check_health chkfail chkdown downtime/),
        '2,3,3,1,0,0', 'check_rise/fall/health, chkfail, chkdown, downtime');
    is($stat->('be', 's2', 'chkfail'), '', 'no check: chkfail empty');
    my $st = $state->('be', 's1');
    is(join(' ', @$st[10 .. 14]), '8 2 3 6 0', 'show servers state: check status/result/health/state, agent state');
    is(join(' ', @$st[21 .. 24]), '8999 127.0.0.9 - 0', 'show servers state: check port/addr, agent addr/port');
    $cli->('abi14 check be/s1 ok');
    is($stat->('be', 's1', 'check_status'), '* L7OK', 'a probe in progress: "* " prefix');
    is($stat->('be', 's1', 'check_code'), '200', 'check_code at layer 7');
    is($stat->('be', 's1', 'last_chk'), 'OK, "fine"', 'last_chk CSV-quoted');
    is($stat->('be', 's1', 'status'), 'UP', 'healthy: "UP"');
    $cli->('abi14 check be/s1 agent');
    is(join(',', map { $stat->('be', 's1', $_) } qw/agent_status agent_code agent_duration agent_desc last_agt agent_rise agent_fall agent_health/),
        'L7OK,0,2,Layer7 check passed,ready,1,1,1', 'agent_* columns');
    $st = $state->('be', 's1');
    is(join(' ', $st->[14], @$st[23, 24]), '22 127.0.0.2 9999', 'show servers state: agent state/addr/port');

    # ---- server_set_op lines ----
    $cli->('abi14 check be/s1 down');
    $cli->('abi14 op be/s1 down reason: Layer4 connection problem');
    ok($errlog_has->(qr/\[WARNING\].*Server be\/s1 is DOWN, reason: Layer4 connection problem\. 1 active and 1 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\./),
        'DOWN line with the counts');
    is($stat->('be', 's1', 'status'), 'DOWN 1/2', 'going up: "DOWN 1/2"');
    is($stat->('be', 's1', 'chkdown'), '1', 'chkdown counted');
    $cli->('abi14 op be/s2 down via be/s1');
    ok($errlog_has->(qr/Server be\/s2 is DOWN via be\/s1\. 0 active and 1 backup servers left\. Running on backup\. 0 sessions active/),
        'the "via" form, running on backup');
    like($cli->('abi14 admin be/b1 maint agent says maint'), qr/^prev 0$/m, 'server_set_admin returns the previous state');
    ok($errlog_has->(qr/Backup Server be\/b1 is going DOWN for maintenance \(agent says maint\)\. 0 active and 0 backup servers left\./),
        'maintenance line with its cause');
    ok($errlog_has->(qr/\[ALERT\].*backend 'be' has no server available!/), 'the last server gone: alert');
    is($stat->('be', 'b1', 'status'), 'MAINT', 'show stat: MAINT');
    like($cli->('abi14 admin be/b1 ready'), qr/^prev 2$/m, 'back to ready');
    ok($errlog_has->(qr/Backup Server be\/b1 is UP\/READY \(leaving forced maintenance\)\./), 'leaving maintenance line');
    $cli->('abi14 op be/s1 up reason: Layer7 check passed');
    ok($errlog_has->(qr/Server be\/s1 is UP, reason: Layer7 check passed\. 1 active and 1 backup servers online\. 0 sessions requeued, 0 total in queue\./),
        'UP line');
    $cli->('abi14 op be/s2 up');
    $drain_syslog->(0.5);
    my $sys = join("\n", @syslog);
    like($sys, qr/Server be\/s1 is DOWN, reason: Layer4 connection problem\. 1 active/, 'DOWN line sent to the proxy\'s log target');
    like($sys, qr/<128>.*backend be has no server available!/, '"has no server available!" at EMERG (local0)');
    like($sys, qr/<129>.*Server be\/s1 is DOWN, reason/, 'DOWN line at ALERT');
    like($sys, qr/<133>.*Server be\/s1 is UP, reason/, 'UP line at NOTICE');

    # ---- proxy_log ----
    @syslog = ();
    $cli->('abi14 log be hello world');
    $drain_syslog->(0.5);
    like(join("\n", @syslog), qr/<133>.*abi14: hello world/, 'proxy_log reaches the proxy\'s log target');
    unlike($t->errlog, qr/abi14: hello world/, 'a NOTICE is not written to stderr');

    # ---- weights, find, id ----
    like($cli->('abi14 weight be/s1 50 %'), qr/^weight 10$/m, 'server_set_weight: 50% of 20');
    like($cli->('get weight be/s1'), qr/^10 \(initial 20\)$/m, 'get weight agrees');
    like($cli->('abi14 weight be/s1 300'), qr/^weight 256$/m, 'absolute weight capped at 256');
    like($cli->('abi14 info be/s2'), qr/^id=2 iweight=1 spread=5 maxspread=2000 tcheck=3000$/m,
        'server_find/id/iweight, spread-checks, max-spread-checks, timeout check');
    like($cli->('abi14 info be/zz'), qr/No such server/, 'server_find: unknown server');

    # ---- server_shutdown_streams ----
    my $s = http("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", start => 1);
    for (1 .. 40) {
        last if $stat->('long', 'l1', 'scur') eq '1';
        sleep 0.05;
    }
    my $t0 = time;
    $cli->('abi14 shut long/l1');
    my $sel = IO::Select->new($s);
    my $got = '';
    while ($sel->can_read(2.5)) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $got .= $buf;
    }
    ok(time - $t0 < 2, sprintf('the stream was closed by server_shutdown_streams (%.2fs)', time - $t0));
    unlike($got, qr/^HTTP\/1\.1 200/, 'no response from the killed stream');

    # ---- PTC_PHASE_SRV_ERROR ----
    my $r = http_parse(http_get('/dead'));
    is($r ? $r->{status} : 0, 503, 'a backend whose server refuses: 503');
    like($cli->('abi14 srverr'), qr/^3 2$/m, 'SRV_ERROR ran at each of the 3 refused attempts (PTC_SRVERR_CONNECT)');
}
