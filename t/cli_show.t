#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API read-only commands: show info, show stat (HAProxy 2.6 CSV), show servers
# state, show backend, help, unknown commands, ';' lists and prompt mode, checked against
# the configuration. Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(39);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    %%TIMEOUTS%%
frontend fe
    mode http
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    mode http
    balance roundrobin
    server s1 127.0.0.1:%%PORT_8081%% weight 3
    server s2 127.0.0.1:%%PORT_8082%% disabled
    server s3 127.0.0.1:%%PORT_8083%% id 7
listen lt
    mode tcp
    bind 127.0.0.1:%%PORT_8090%%
    server t1 127.0.0.1:%%PORT_8081%%
backend bsrc
    mode http
    balance source
    server x 127.0.0.1:%%PORT_8083%%
EOF2
my $sock = $t->testdir . '/cli.sock';

# Sends INPUT (lines) and reads until the proxy closes.
sub cli { cli_send($sock, $_[0]) }

http_get('/') for 1 .. 4;
cli("set maxconn server be/s3 20\n");

# ---- show info ----
my $info = cli("show info\n");
my %i = $info =~ /^([^:\n]+): (.*)$/mg;
ok(exists $i{Name} && exists $i{Version} && exists $i{Release_date}, 'show info: Name, Version');
is($i{Nbthread}, 2, 'show info: Nbthread = workers');
is($i{Pid}, $t->pid, 'show info: Pid of the process started');
like($i{Uptime}, qr/^\d+d \d+h\d\dm\d\ds$/, 'show info: Uptime format');
like($i{Uptime_sec}, qr/^\d+$/, 'show info: Uptime_sec');
ok($i{CumConns} >= 4, 'show info: CumConns counts the requests');
like($info, qr/\nTainted: 0\n\n\z/, 'show info ends like HAProxy (blank line)');

# ---- show stat ----
my $csv = cli("show stat\n");
my @lines = split /\n/, $csv;
my $hdr = shift @lines;
my @cols = split /,/, substr($hdr, 2), -1;
pop @cols;   # trailing comma
is(scalar @cols, 128, 'show stat: 128 columns, as HAProxy 2.6 with its stats modules');
is(join(',', @cols[0 .. 17]),
    'pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,'
    . 'wredis,status', 'show stat: first columns in HAProxy order');
is($cols[103], '-', 'show stat: stats-module separator at column 103');
my %c;
@c{@cols} = 0 .. $#cols;
my @rows = map { [split /,/, $_, -1] } grep { length } @lines;
is(scalar(grep { @$_ == 129 } @rows), scalar @rows, 'show stat: every row has 128 fields');
is(join(' ', map { "$_->[0]/$_->[1]" } @rows),
    'fe/FRONTEND be/s1 be/s2 be/s3 be/BACKEND lt/FRONTEND lt/t1 lt/BACKEND bsrc/x '
    . 'bsrc/BACKEND', 'show stat: one line per frontend, server, backend, in HAProxy order');
my %r = map { ("$_->[0]/$_->[1]" => $_) } @rows;
is($r{'be/s2'}[$c{status}], 'MAINT', 'disabled server is MAINT');
is($r{'be/s1'}[$c{status}], 'no check', 'server without checks: "no check"');
is($r{'be/BACKEND'}[$c{status}], 'UP', 'backend UP');
is($r{'be/s3'}[$c{sid}], 7, 'server id');
is($r{'be/s3'}[$c{slim}], 20, 'server maxconn as slim');
is($r{'be/s1'}[$c{weight}], 3, 'server weight');
is($r{'be/s1'}[$c{addr}], '127.0.0.1:' . port(8081), 'server address');
is($r{'bsrc/BACKEND'}[$c{algo}], 'source', 'backend algo');
is($r{'lt/t1'}[$c{mode}], 'tcp', 'mode');
is(join(',', map { $_->[$c{type}] } @rows), '0,2,2,2,1,0,2,1,2,1', 'types');
is($r{'be/s1'}[$c{stot}] + $r{'be/s3'}[$c{stot}], 4, 'server stot sums to the requests');
is($r{'fe/FRONTEND'}[$c{stot}], 4, 'frontend stot');
my @iid = map { $_->[$c{iid}] } grep { $_->[1] eq 'BACKEND' } @rows;
ok($iid[0] < $iid[1] && $iid[1] < $iid[2], 'proxy ids increase in declaration order');
my $f = cli("show stat -1 4 -1\n");
is(scalar(grep { !/^#/ && length } split /\n/, $f), 5, 'show stat -1 4 -1: servers only');
$f = cli("show stat be 2 -1\n");
like($f, qr/\n(be,BACKEND,[^\n]*)\n\n\z/, 'show stat be 2 -1: the backend line only');

# ---- show servers state ----
my $st = cli("show servers state\n");
my @sl = split /\n/, $st;
is($sl[0], '1', 'show servers state: format version 1');
is($sl[1], '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state '
    . 'srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result '
    . 'srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id '
    . 'srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr '
    . 'srv_agent_port', 'show servers state: header');
my @srv = map { [split / /] } @sl[2 .. $#sl];
is(join(' ', map { "$_->[1]/$_->[3]:" . scalar(@$_) } @srv),
    'be/s1:25 be/s2:25 be/s3:25 lt/t1:25 bsrc/x:25', 'one line of 25 fields per server');
is(join(' ', map { "$_->[5]/$_->[6]" } @srv[0, 1]), '2/0 0/5',
    'op/admin state of a ready and a disabled server');
is($srv[2][18], port(8083), 'srv_port');
is(cli("show servers state bsrc\n") =~ tr/\n//, 4, 'show servers state <backend>');
is(cli("show servers state nope\n"), "Can't find backend.\n\n", 'unknown backend');

# ---- show backend, help, unknown, lists, prompt ----
is(cli("show backend\n"), "# name\nbe\nlt\nbsrc\n\n", 'show backend');
like(cli("help\n"), qr/^The following commands are valid at this level:\n(  .*: .*\n)+\n\z/,
    'help');
my $unknown = 'Unknown command, but maybe one of the following ones is a better match:';
like(cli("bogus\n"), qr/^\Q$unknown\E\n.*  quit {36}: disconnect\n\n\z/s,
    'unknown command');
is(cli("show backend;show backend\n"), "# name\nbe\nlt\nbsrc\n\n" x 2, "';' runs both");
is(cli("prompt\nshow backend\nquit\n"), "\n> # name\nbe\nlt\nbsrc\n\n> ",
    'prompt mode until quit');
