#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API views and controls (issue 13): show info/stat typed and json, show schema
# json, show version, show cli sockets, show env, show activity, set maxconn
# global|frontend, set rate-limit, disable|enable|shutdown frontend, clear counters,
# shutdown sessions server, help. The typed keys (position, name, tags, type) and the
# schema are HAProxy 2.6.12's for this very configuration, captured from it (see __DATA__).
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use Digest::MD5 qw/ md5_hex /;
use lib 't/lib';
use Test::Portico qw/ http_get port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(44);
$t->origin_http(port(8081), body => 'a');
$t->origin_tcp(port(8083));
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
listen lt
    mode tcp
    bind 127.0.0.1:%%PORT_8090%%
    server t1 127.0.0.1:%%PORT_8083%%
EOF2
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

my (@exp_info, @exp_stat, $schema_md5);
{
    my $sec = '';
    while (my $l = <DATA>) {
        chomp $l;
        if ($l =~ /^## (\w+)(?: (\S+))?/) { $sec = $1; $schema_md5 = $2 if $1 eq 'schema'; next }
        next unless length $l;
        push @exp_info, $l if $sec eq 'info';
        push @exp_stat, $l if $sec eq 'stat';
    }
}
my $json = JSON::PP->new;

# ---- typed and JSON ----
my $it = cli('show info typed');
my @ik = map { /^(\d+\.[^.]+\.1:\w+:\w+):/ ? $1 : "BAD $_" } grep { length } split /\n/, $it;
is_deeply(\@ik, \@exp_info, 'show info typed: HAProxy 2.6 positions, names, tags, types');
like($it, qr/^6\.Pid\.1:SGP:u32:\d+\n/m, 'show info typed: Pid line');
my $ij = eval { $json->decode(cli('show info json')) };
ok($ij && ref $ij eq 'ARRAY', 'show info json parses');
is(scalar @{$ij // []}, scalar @exp_info, 'show info json: one entry per field');
is_deeply($ij->[3], {field => {pos => 3, name => 'Nbthread'}, processNum => 1,
    tags => {origin => 'Config', nature => 'Gauge', scope => 'Service'},
    value => {type => 'u32', value => 2}}, 'show info json: entry layout');

http_get('/') for 1 .. 2;
my $st = cli('show stat typed');
my @sk = map { /^([FBS]\.\d+\.\d+\.\d+\.[^.]+\.1:\w+:\w+):/ ? $1 : "BAD $_" }
    grep { length } split /\n/, $st;
is_deeply(\@sk, \@exp_stat, 'show stat typed: the same fields, tags and types as HAProxy');
like($st, qr/^S\.3\.1\.17\.status\.1:SGP:str:no check$/m, 'show stat typed: server status');
like($st, qr/^F\.2\.0\.7\.stot\.1:MCP:u64:[1-9]/m, 'show stat typed: frontend counter');
my $sj = eval { $json->decode(cli('show stat json')) };
ok($sj && ref $sj eq 'ARRAY', 'show stat json parses');
my @jk = map { my $o = $_; map {
        my $ty = substr($_->{objType}, 0, 1);
        sprintf('%s.%d.%d.%d.%s.1:%s%s%s:%s', $ty, $_->{proxyId}, $_->{id}, $_->{field}{pos},
            $_->{field}{name}, map({ _tag($_) } @{$_->{tags}}{qw/origin nature scope/}),
            $_->{value}{type}) } @$o } @{$sj // []};
sub _tag { my %m = (Avg => 'a', Min => 'm'); $m{$_[0]} // substr($_[0], 0, 1) }
is_deeply(\@jk, \@exp_stat, 'show stat json: the same fields as typed, one array per object');
is(scalar @{$sj // []}, 7, 'show stat json: 7 objects');
my $fj = eval { $json->decode(cli('show stat 4 -1 -1 json')) };
is(scalar @{$fj // []}, 3, 'show stat <iid> <type> <sid> json filters');
my $schema = cli('show schema json');
is(md5_hex($schema), $schema_md5, 'show schema json: HAProxy 2.6 schema, byte for byte');
is(cli('show schema yaml'), "json is the only supported schema\n\n", 'show schema yaml');
like(cli('show stat desc'), qr/^# pxname,svname,/, 'show stat desc prints the CSV');

# ---- version, sockets, env, activity ----
like(cli('show version'), qr/^2\.6\.\d+\S*\n\n\z/, 'show version');
is(cli('show cli sockets'), "# socket lvl processes\nunix\@$sock admin all\n\n",
    'show cli sockets');
is(cli("show env HOME"), "HOME=$ENV{HOME}\n\n", 'show env <var>');
is(cli('show env PORTICO_NO_SUCH_VAR'), "Variable not found\n\n", 'show env: unknown');
like(cli('show env'), qr/^HOME=/m, 'show env: every variable');
is(cli('user; show env HOME'), "\nPermission denied\n\n", 'show env needs operator');
my $act = cli('show activity');
like($act, qr/^thread_id: 0 \(1\.\.2\)\ndate_now: \d+\.\d{6}\nloops: \d+ \[ \d+ \d+ \]\n/,
    'show activity: HAProxy layout, one column per worker');
like($act, qr/^accepted: [1-9]\d* \[ \d+ \d+ \]$/m, 'show activity: accepted connections');

# ---- limits ----
is(cli('set maxconn global 99999999'), "Value out of range.\n\n", 'set maxconn global: range');
is(cli('set maxconn global'), "Expects an integer value.\n\n", 'set maxconn global: value');
cli('set maxconn global 900');
like(cli('show info'), qr/^Maxconn: 900$/m, 'set maxconn global: show info Maxconn');
is(cli('set maxconn frontend nope 3'), "No such frontend.\n\n", 'set maxconn frontend: name');
cli('set maxconn frontend fe 7');
like(cli('show stat'), qr/^fe,FRONTEND,,,\d+,\d+,7,/m, 'set maxconn frontend: slim');
like(cli('set rate-limit foo global 1'), qr/^'set rate-limit' only supports :\n/,
    'set rate-limit: usage');
like(cli('set rate-limit ssl-sessions global 5'), qr/not supported by portico/,
    'set rate-limit ssl-sessions: refused clearly');
cli('set rate-limit connections global 500');
like(cli('show info'), qr/^ConnRateLimit: 500$/m, 'set rate-limit connections global');

# ---- frontends ----
cli('disable frontend fe');
is(cli('disable frontend fe'), "All sockets are already disabled.\n\n", 'disable frontend');
like(cli('show stat'), qr/^fe,FRONTEND,(?:[^,]*,){15}PAUSED,/m, 'disabled frontend: PAUSED');
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Timeout => 2);
print $c "GET / HTTP/1.0\r\n\r\n" if $c;
my $got = '';
eval { local $SIG{ALRM} = sub { die }; alarm 1; sysread($c, $got, 100); alarm 0 } if $c;
is($got, '', 'disabled frontend: the connection waits in the backlog');
is(cli('enable frontend fe'), "\n", 'enable frontend');
eval { local $SIG{ALRM} = sub { die }; alarm 3; sysread($c, $got, 100); alarm 0 } if $c;
like($got, qr{^HTTP/1\.[01] 200}, 'enabled frontend: the waiting connection is served');

# shutdown sessions server: an open TCP session through lt is closed
my $tc = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8090), Timeout => 2);
print $tc "ping\n" if $tc;
my $echo = '';
eval { local $SIG{ALRM} = sub { die }; alarm 2; sysread($tc, $echo, 100); alarm 0 } if $tc;
is(cli('shutdown sessions server lt/t1'), "\n", 'shutdown sessions server');
my $eof = 'timeout';
eval { local $SIG{ALRM} = sub { die }; alarm 2; my $n = sysread($tc, my $x, 100);
    $eof = $n ? 'data' : 'closed'; alarm 0 } if $tc;
is($eof, 'closed', 'shutdown sessions server: the session is closed');

cli('shutdown frontend lt');
like(cli('show stat'), qr/^lt,FRONTEND,(?:[^,]*,){15}STOP,/m, 'shutdown frontend: STOP');
# the workers close their listeners at their next loop turn (a loaded machine may take a
# moment): bounded wait
ok(wait_until(5, sub { !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8090), Timeout => 2) }),
    'shutdown frontend: the port is closed');
$t->ignore_alerts(qr/Proxy lt stopped/);

cli('clear counters all');
like(cli('show stat'), qr/^fe,FRONTEND,,,\d+,\d+,7,0,/m, 'clear counters all: stot 0');

# ---- desc: HAProxy's field descriptions ----
like(cli('show info desc'), qr/^Name: \S+:"Product name"\nVersion: \S+:"Product version"\n/,
    'show info desc: descriptions after the values');
like(cli('show info typed desc'), qr/^6\.Pid\.1:SGP:u32:\d+:"This worker process identifier for the system"$/m,
    'show info typed desc');
my $sd = cli('show stat typed desc');
ok($sd =~ /^F\.2\.0\.4\.scur\.1:MGP:u32:\d+:"Number of current sessions on the frontend, backend or server"$/m
    && !grep({ !/:"[^"]+"$/ } grep { length } split /\n/, $sd), 'show stat typed desc: every field described');
__DATA__
## info
0.Name.1:POS:str
1.Version.1:POS:str
2.Release_date.1:POS:str
3.Nbthread.1:CGS:u32
4.Nbproc.1:CGS:u32
5.Process_num.1:KGP:u32
6.Pid.1:SGP:u32
7.Uptime.1:MDP:str
8.Uptime_sec.1:MDP:u32
9.Memmax_MB.1:CLP:u32
10.PoolAlloc_MB.1:MGP:u32
11.PoolUsed_MB.1:MGP:u32
12.PoolFailed.1:MCP:u32
13.Ulimit-n.1:CLP:u32
14.Maxsock.1:CLP:u32
15.Maxconn.1:CLP:u32
16.Hard_maxconn.1:CLP:u32
17.CurrConns.1:MGP:u32
18.CumConns.1:MCP:u32
19.CumReq.1:MCP:u32
20.MaxSslConns.1:MMP:u32
21.CurrSslConns.1:MGP:u32
22.CumSslConns.1:MCP:u32
23.Maxpipes.1:CLP:u32
24.PipesUsed.1:MGP:u32
25.PipesFree.1:MGP:u32
26.ConnRate.1:MRP:u32
27.ConnRateLimit.1:CLP:u32
28.MaxConnRate.1:MMP:u32
29.SessRate.1:MRP:u32
30.SessRateLimit.1:CLP:u32
31.MaxSessRate.1:MRP:u32
32.SslRate.1:MRP:u32
33.SslRateLimit.1:CLP:u32
34.MaxSslRate.1:MMP:u32
35.SslFrontendKeyRate.1:MGP:u32
36.SslFrontendMaxKeyRate.1:MMP:u32
37.SslFrontendSessionReuse_pct.1:MGP:u32
38.SslBackendKeyRate.1:MRP:u32
39.SslBackendMaxKeyRate.1:MMP:u32
40.SslCacheLookups.1:MCP:u32
41.SslCacheMisses.1:MCP:u32
42.CompressBpsIn.1:MRP:u32
43.CompressBpsOut.1:MRP:u32
44.CompressBpsRateLim.1:CLP:u32
47.Tasks.1:MGP:u32
48.Run_queue.1:MGP:u32
49.Idle_pct.1:MaP:u32
50.node.1:COS:str
52.Stopping.1:MGP:u32
53.Jobs.1:MGP:u32
54.Unstoppable Jobs.1:MGP:u32
55.Listeners.1:MGP:u32
56.ActivePeers.1:MGP:u32
57.ConnectedPeers.1:MGP:u32
58.DroppedLogs.1:MGP:u32
59.BusyPolling.1:MGP:u32
60.FailedResolutions.1:MGP:u32
61.TotalBytesOut.1:MGP:u64
62.TotalSplicdedBytesOut.1:MGP:u64
63.BytesOutRate.1:MRP:u64
64.DebugCommandsIssued.1:MGP:u32
65.CumRecvLogs.1:MCP:u32
66.Build info.1:POS:str
67.Memmax_bytes.1:CLP:u32
68.PoolAlloc_bytes.1:MGP:u64
69.PoolUsed_bytes.1:MGP:u64
70.Start_time_sec.1:MDP:u32
71.Tainted.1:SGP:str
## stat
F.2.0.0.pxname.1:KNS:str
F.2.0.1.svname.1:KNS:str
F.2.0.4.scur.1:MGP:u32
F.2.0.5.smax.1:MMP:u32
F.2.0.6.slim.1:CLP:u32
F.2.0.7.stot.1:MCP:u64
F.2.0.8.bin.1:MCP:u64
F.2.0.9.bout.1:MCP:u64
F.2.0.10.dreq.1:MCP:u64
F.2.0.11.dresp.1:MCP:u64
F.2.0.12.ereq.1:MCP:u64
F.2.0.17.status.1:SGP:str
F.2.0.26.pid.1:KGP:u32
F.2.0.27.iid.1:KGS:u32
F.2.0.28.sid.1:KGS:u32
F.2.0.32.type.1:CGS:u32
F.2.0.33.rate.1:MRP:u32
F.2.0.34.rate_lim.1:CLP:u32
F.2.0.35.rate_max.1:MMP:u32
F.2.0.39.hrsp_1xx.1:MCP:u64
F.2.0.40.hrsp_2xx.1:MCP:u64
F.2.0.41.hrsp_3xx.1:MCP:u64
F.2.0.42.hrsp_4xx.1:MCP:u64
F.2.0.43.hrsp_5xx.1:MCP:u64
F.2.0.44.hrsp_other.1:MCP:u64
F.2.0.46.req_rate.1:MRP:u32
F.2.0.47.req_rate_max.1:MMP:u32
F.2.0.48.req_tot.1:MCP:u64
F.2.0.51.comp_in.1:MCP:u64
F.2.0.52.comp_out.1:MCP:u64
F.2.0.53.comp_byp.1:MCP:u64
F.2.0.54.comp_rsp.1:MCP:u64
F.2.0.75.mode.1:CGS:str
F.2.0.77.conn_rate.1:MRP:u32
F.2.0.78.conn_rate_max.1:MMP:u32
F.2.0.79.conn_tot.1:MCP:u64
F.2.0.80.intercepted.1:MCP:u64
F.2.0.81.dcon.1:MCP:u64
F.2.0.82.dses.1:MCP:u64
F.2.0.83.wrew.1:MCP:u64
F.2.0.86.cache_lookups.1:MCP:u64
F.2.0.87.cache_hits.1:MCP:u64
F.2.0.94.eint.1:MCP:u64
F.2.0.103.ssl_sess.1:MCP:u64
F.2.0.104.ssl_reused_sess.1:MCP:u64
F.2.0.105.ssl_failed_handshake.1:MCP:u64
F.2.0.106.h2_headers_rcvd.1:MCP:u64
F.2.0.107.h2_data_rcvd.1:MCP:u64
F.2.0.108.h2_settings_rcvd.1:MCP:u64
F.2.0.109.h2_rst_stream_rcvd.1:MCP:u64
F.2.0.110.h2_goaway_rcvd.1:MCP:u64
F.2.0.111.h2_detected_conn_protocol_errors.1:MCP:u64
F.2.0.112.h2_detected_strm_protocol_errors.1:MCP:u64
F.2.0.113.h2_rst_stream_resp.1:MCP:u64
F.2.0.114.h2_goaway_resp.1:MCP:u64
F.2.0.115.h2_open_connections.1:MGP:u64
F.2.0.116.h2_backend_open_streams.1:MGP:u64
F.2.0.117.h2_total_connections.1:MCP:u64
F.2.0.118.h2_backend_total_streams.1:MCP:u64
F.2.0.119.h1_open_connections.1:MGP:u64
F.2.0.120.h1_open_streams.1:MGP:u64
F.2.0.121.h1_total_connections.1:MCP:u64
F.2.0.122.h1_total_streams.1:MCP:u64
F.2.0.123.h1_bytes_in.1:MCP:u64
F.2.0.124.h1_bytes_out.1:MCP:u64
F.2.0.125.h1_spliced_bytes_in.1:MCP:u64
F.2.0.126.h1_spliced_bytes_out.1:MCP:u64
S.3.1.0.pxname.1:KNS:str
S.3.1.1.svname.1:KNS:str
S.3.1.2.qcur.1:MGP:u32
S.3.1.3.qmax.1:MMP:u32
S.3.1.4.scur.1:MGP:u32
S.3.1.5.smax.1:MMP:u32
S.3.1.7.stot.1:MCP:u64
S.3.1.8.bin.1:MCP:u64
S.3.1.9.bout.1:MCP:u64
S.3.1.11.dresp.1:MCP:u64
S.3.1.13.econ.1:MCP:u64
S.3.1.14.eresp.1:MCP:u64
S.3.1.15.wretr.1:MCP:u64
S.3.1.16.wredis.1:MCP:u64
S.3.1.17.status.1:SGP:str
S.3.1.18.weight.1:MaP:u32
S.3.1.19.act.1:SGP:u32
S.3.1.20.bck.1:SGP:u32
S.3.1.23.lastchg.1:MAP:u32
S.3.1.26.pid.1:KGP:u32
S.3.1.27.iid.1:KGS:u32
S.3.1.28.sid.1:KGS:u32
S.3.1.30.lbtot.1:MCP:u64
S.3.1.32.type.1:CGS:u32
S.3.1.33.rate.1:MRP:u32
S.3.1.35.rate_max.1:MMP:u32
S.3.1.39.hrsp_1xx.1:MCP:u64
S.3.1.40.hrsp_2xx.1:MCP:u64
S.3.1.41.hrsp_3xx.1:MCP:u64
S.3.1.42.hrsp_4xx.1:MCP:u64
S.3.1.43.hrsp_5xx.1:MCP:u64
S.3.1.44.hrsp_other.1:MCP:u64
S.3.1.48.req_tot.1:MCP:u64
S.3.1.49.cli_abrt.1:MCP:u64
S.3.1.50.srv_abrt.1:MCP:u64
S.3.1.55.lastsess.1:MAP:s32
S.3.1.58.qtime.1:MaP:u32
S.3.1.59.ctime.1:MaP:u32
S.3.1.60.rtime.1:MaP:u32
S.3.1.61.ttime.1:MaP:u32
S.3.1.73.addr.1:CGS:str
S.3.1.75.mode.1:CGS:str
S.3.1.83.wrew.1:MCP:u64
S.3.1.84.connect.1:MCP:u64
S.3.1.85.reuse.1:MCP:u64
S.3.1.88.srv_icur.1:MGP:u32
S.3.1.90.qtime_max.1:MMP:u32
S.3.1.91.ctime_max.1:MMP:u32
S.3.1.92.rtime_max.1:MMP:u32
S.3.1.93.ttime_max.1:MMP:u32
S.3.1.94.eint.1:MCP:u64
S.3.1.95.idle_conn_cur.1:MGP:u32
S.3.1.96.safe_conn_cur.1:MGP:u32
S.3.1.97.used_conn_cur.1:MGP:u32
S.3.1.98.need_conn_est.1:MGP:u32
S.3.1.99.uweight.1:MaP:u32
S.3.1.103.ssl_sess.1:MCP:u64
S.3.1.104.ssl_reused_sess.1:MCP:u64
S.3.1.105.ssl_failed_handshake.1:MCP:u64
S.3.2.0.pxname.1:KNS:str
S.3.2.1.svname.1:KNS:str
S.3.2.2.qcur.1:MGP:u32
S.3.2.3.qmax.1:MMP:u32
S.3.2.4.scur.1:MGP:u32
S.3.2.5.smax.1:MMP:u32
S.3.2.7.stot.1:MCP:u64
S.3.2.8.bin.1:MCP:u64
S.3.2.9.bout.1:MCP:u64
S.3.2.11.dresp.1:MCP:u64
S.3.2.13.econ.1:MCP:u64
S.3.2.14.eresp.1:MCP:u64
S.3.2.15.wretr.1:MCP:u64
S.3.2.16.wredis.1:MCP:u64
S.3.2.17.status.1:SGP:str
S.3.2.18.weight.1:MaP:u32
S.3.2.19.act.1:SGP:u32
S.3.2.20.bck.1:SGP:u32
S.3.2.23.lastchg.1:MAP:u32
S.3.2.26.pid.1:KGP:u32
S.3.2.27.iid.1:KGS:u32
S.3.2.28.sid.1:KGS:u32
S.3.2.30.lbtot.1:MCP:u64
S.3.2.32.type.1:CGS:u32
S.3.2.33.rate.1:MRP:u32
S.3.2.35.rate_max.1:MMP:u32
S.3.2.39.hrsp_1xx.1:MCP:u64
S.3.2.40.hrsp_2xx.1:MCP:u64
S.3.2.41.hrsp_3xx.1:MCP:u64
S.3.2.42.hrsp_4xx.1:MCP:u64
S.3.2.43.hrsp_5xx.1:MCP:u64
S.3.2.44.hrsp_other.1:MCP:u64
S.3.2.48.req_tot.1:MCP:u64
S.3.2.49.cli_abrt.1:MCP:u64
S.3.2.50.srv_abrt.1:MCP:u64
S.3.2.55.lastsess.1:MAP:s32
S.3.2.58.qtime.1:MaP:u32
S.3.2.59.ctime.1:MaP:u32
S.3.2.60.rtime.1:MaP:u32
S.3.2.61.ttime.1:MaP:u32
S.3.2.73.addr.1:CGS:str
S.3.2.75.mode.1:CGS:str
S.3.2.83.wrew.1:MCP:u64
S.3.2.84.connect.1:MCP:u64
S.3.2.85.reuse.1:MCP:u64
S.3.2.88.srv_icur.1:MGP:u32
S.3.2.90.qtime_max.1:MMP:u32
S.3.2.91.ctime_max.1:MMP:u32
S.3.2.92.rtime_max.1:MMP:u32
S.3.2.93.ttime_max.1:MMP:u32
S.3.2.94.eint.1:MCP:u64
S.3.2.95.idle_conn_cur.1:MGP:u32
S.3.2.96.safe_conn_cur.1:MGP:u32
S.3.2.97.used_conn_cur.1:MGP:u32
S.3.2.98.need_conn_est.1:MGP:u32
S.3.2.99.uweight.1:MaP:u32
S.3.2.103.ssl_sess.1:MCP:u64
S.3.2.104.ssl_reused_sess.1:MCP:u64
S.3.2.105.ssl_failed_handshake.1:MCP:u64
B.3.0.0.pxname.1:KNS:str
B.3.0.1.svname.1:KNS:str
B.3.0.2.qcur.1:MGP:u32
B.3.0.3.qmax.1:MMP:u32
B.3.0.4.scur.1:MGP:u32
B.3.0.5.smax.1:MMP:u32
B.3.0.6.slim.1:CLP:u32
B.3.0.7.stot.1:MCP:u64
B.3.0.8.bin.1:MCP:u64
B.3.0.9.bout.1:MCP:u64
B.3.0.10.dreq.1:MCP:u64
B.3.0.11.dresp.1:MCP:u64
B.3.0.13.econ.1:MCP:u64
B.3.0.14.eresp.1:MCP:u64
B.3.0.15.wretr.1:MCP:u64
B.3.0.16.wredis.1:MCP:u64
B.3.0.17.status.1:SGP:str
B.3.0.18.weight.1:MaP:u32
B.3.0.19.act.1:MGP:u32
B.3.0.20.bck.1:MGP:u32
B.3.0.22.chkdown.1:MCP:u64
B.3.0.23.lastchg.1:MAP:u32
B.3.0.24.downtime.1:MCP:u32
B.3.0.26.pid.1:KGP:u32
B.3.0.27.iid.1:KGS:u32
B.3.0.28.sid.1:KGS:u32
B.3.0.30.lbtot.1:MCP:u64
B.3.0.32.type.1:CGS:u32
B.3.0.33.rate.1:MGP:u32
B.3.0.35.rate_max.1:MGP:u32
B.3.0.39.hrsp_1xx.1:MCP:u64
B.3.0.40.hrsp_2xx.1:MCP:u64
B.3.0.41.hrsp_3xx.1:MCP:u64
B.3.0.42.hrsp_4xx.1:MCP:u64
B.3.0.43.hrsp_5xx.1:MCP:u64
B.3.0.44.hrsp_other.1:MCP:u64
B.3.0.48.req_tot.1:MCP:u64
B.3.0.49.cli_abrt.1:MCP:u64
B.3.0.50.srv_abrt.1:MCP:u64
B.3.0.51.comp_in.1:MCP:u64
B.3.0.52.comp_out.1:MCP:u64
B.3.0.53.comp_byp.1:MCP:u64
B.3.0.54.comp_rsp.1:MCP:u64
B.3.0.55.lastsess.1:MAP:s32
B.3.0.58.qtime.1:MaP:u32
B.3.0.59.ctime.1:MaP:u32
B.3.0.60.rtime.1:MaP:u32
B.3.0.61.ttime.1:MaP:u32
B.3.0.75.mode.1:CGS:str
B.3.0.76.algo.1:CGS:str
B.3.0.83.wrew.1:MCP:u64
B.3.0.84.connect.1:MCP:u64
B.3.0.85.reuse.1:MCP:u64
B.3.0.86.cache_lookups.1:MCP:u64
B.3.0.87.cache_hits.1:MCP:u64
B.3.0.90.qtime_max.1:MMP:u32
B.3.0.91.ctime_max.1:MMP:u32
B.3.0.92.rtime_max.1:MMP:u32
B.3.0.93.ttime_max.1:MMP:u32
B.3.0.94.eint.1:MCP:u64
B.3.0.99.uweight.1:MaP:u32
B.3.0.100.agg_server_status.1:MGP:u32
B.3.0.101.agg_server_check_status.1:MGP:u32
B.3.0.102.agg_check_status.1:MGP:u32
B.3.0.103.ssl_sess.1:MCP:u64
B.3.0.104.ssl_reused_sess.1:MCP:u64
B.3.0.105.ssl_failed_handshake.1:MCP:u64
B.3.0.106.h2_headers_rcvd.1:MCP:u64
B.3.0.107.h2_data_rcvd.1:MCP:u64
B.3.0.108.h2_settings_rcvd.1:MCP:u64
B.3.0.109.h2_rst_stream_rcvd.1:MCP:u64
B.3.0.110.h2_goaway_rcvd.1:MCP:u64
B.3.0.111.h2_detected_conn_protocol_errors.1:MCP:u64
B.3.0.112.h2_detected_strm_protocol_errors.1:MCP:u64
B.3.0.113.h2_rst_stream_resp.1:MCP:u64
B.3.0.114.h2_goaway_resp.1:MCP:u64
B.3.0.115.h2_open_connections.1:MGP:u64
B.3.0.116.h2_backend_open_streams.1:MGP:u64
B.3.0.117.h2_total_connections.1:MCP:u64
B.3.0.118.h2_backend_total_streams.1:MCP:u64
B.3.0.119.h1_open_connections.1:MGP:u64
B.3.0.120.h1_open_streams.1:MGP:u64
B.3.0.121.h1_total_connections.1:MCP:u64
B.3.0.122.h1_total_streams.1:MCP:u64
B.3.0.123.h1_bytes_in.1:MCP:u64
B.3.0.124.h1_bytes_out.1:MCP:u64
B.3.0.125.h1_spliced_bytes_in.1:MCP:u64
B.3.0.126.h1_spliced_bytes_out.1:MCP:u64
F.4.0.0.pxname.1:KNS:str
F.4.0.1.svname.1:KNS:str
F.4.0.4.scur.1:MGP:u32
F.4.0.5.smax.1:MMP:u32
F.4.0.6.slim.1:CLP:u32
F.4.0.7.stot.1:MCP:u64
F.4.0.8.bin.1:MCP:u64
F.4.0.9.bout.1:MCP:u64
F.4.0.10.dreq.1:MCP:u64
F.4.0.11.dresp.1:MCP:u64
F.4.0.12.ereq.1:MCP:u64
F.4.0.17.status.1:SGP:str
F.4.0.26.pid.1:KGP:u32
F.4.0.27.iid.1:KGS:u32
F.4.0.28.sid.1:KGS:u32
F.4.0.32.type.1:CGS:u32
F.4.0.33.rate.1:MRP:u32
F.4.0.34.rate_lim.1:CLP:u32
F.4.0.35.rate_max.1:MMP:u32
F.4.0.46.req_rate.1:MRP:u32
F.4.0.47.req_rate_max.1:MMP:u32
F.4.0.48.req_tot.1:MCP:u64
F.4.0.51.comp_in.1:MCP:u64
F.4.0.52.comp_out.1:MCP:u64
F.4.0.53.comp_byp.1:MCP:u64
F.4.0.54.comp_rsp.1:MCP:u64
F.4.0.75.mode.1:CGS:str
F.4.0.77.conn_rate.1:MRP:u32
F.4.0.78.conn_rate_max.1:MMP:u32
F.4.0.79.conn_tot.1:MCP:u64
F.4.0.81.dcon.1:MCP:u64
F.4.0.82.dses.1:MCP:u64
F.4.0.83.wrew.1:MCP:u64
F.4.0.94.eint.1:MCP:u64
F.4.0.103.ssl_sess.1:MCP:u64
F.4.0.104.ssl_reused_sess.1:MCP:u64
F.4.0.105.ssl_failed_handshake.1:MCP:u64
F.4.0.106.h2_headers_rcvd.1:MCP:u64
F.4.0.107.h2_data_rcvd.1:MCP:u64
F.4.0.108.h2_settings_rcvd.1:MCP:u64
F.4.0.109.h2_rst_stream_rcvd.1:MCP:u64
F.4.0.110.h2_goaway_rcvd.1:MCP:u64
F.4.0.111.h2_detected_conn_protocol_errors.1:MCP:u64
F.4.0.112.h2_detected_strm_protocol_errors.1:MCP:u64
F.4.0.113.h2_rst_stream_resp.1:MCP:u64
F.4.0.114.h2_goaway_resp.1:MCP:u64
F.4.0.115.h2_open_connections.1:MGP:u64
F.4.0.116.h2_backend_open_streams.1:MGP:u64
F.4.0.117.h2_total_connections.1:MCP:u64
F.4.0.118.h2_backend_total_streams.1:MCP:u64
F.4.0.119.h1_open_connections.1:MGP:u64
F.4.0.120.h1_open_streams.1:MGP:u64
F.4.0.121.h1_total_connections.1:MCP:u64
F.4.0.122.h1_total_streams.1:MCP:u64
F.4.0.123.h1_bytes_in.1:MCP:u64
F.4.0.124.h1_bytes_out.1:MCP:u64
F.4.0.125.h1_spliced_bytes_in.1:MCP:u64
F.4.0.126.h1_spliced_bytes_out.1:MCP:u64
S.4.1.0.pxname.1:KNS:str
S.4.1.1.svname.1:KNS:str
S.4.1.2.qcur.1:MGP:u32
S.4.1.3.qmax.1:MMP:u32
S.4.1.4.scur.1:MGP:u32
S.4.1.5.smax.1:MMP:u32
S.4.1.7.stot.1:MCP:u64
S.4.1.8.bin.1:MCP:u64
S.4.1.9.bout.1:MCP:u64
S.4.1.11.dresp.1:MCP:u64
S.4.1.13.econ.1:MCP:u64
S.4.1.14.eresp.1:MCP:u64
S.4.1.15.wretr.1:MCP:u64
S.4.1.16.wredis.1:MCP:u64
S.4.1.17.status.1:SGP:str
S.4.1.18.weight.1:MaP:u32
S.4.1.19.act.1:SGP:u32
S.4.1.20.bck.1:SGP:u32
S.4.1.23.lastchg.1:MAP:u32
S.4.1.26.pid.1:KGP:u32
S.4.1.27.iid.1:KGS:u32
S.4.1.28.sid.1:KGS:u32
S.4.1.30.lbtot.1:MCP:u64
S.4.1.32.type.1:CGS:u32
S.4.1.33.rate.1:MRP:u32
S.4.1.35.rate_max.1:MMP:u32
S.4.1.49.cli_abrt.1:MCP:u64
S.4.1.50.srv_abrt.1:MCP:u64
S.4.1.55.lastsess.1:MAP:s32
S.4.1.58.qtime.1:MaP:u32
S.4.1.59.ctime.1:MaP:u32
S.4.1.60.rtime.1:MaP:u32
S.4.1.61.ttime.1:MaP:u32
S.4.1.73.addr.1:CGS:str
S.4.1.75.mode.1:CGS:str
S.4.1.83.wrew.1:MCP:u64
S.4.1.84.connect.1:MCP:u64
S.4.1.85.reuse.1:MCP:u64
S.4.1.88.srv_icur.1:MGP:u32
S.4.1.90.qtime_max.1:MMP:u32
S.4.1.91.ctime_max.1:MMP:u32
S.4.1.92.rtime_max.1:MMP:u32
S.4.1.93.ttime_max.1:MMP:u32
S.4.1.94.eint.1:MCP:u64
S.4.1.95.idle_conn_cur.1:MGP:u32
S.4.1.96.safe_conn_cur.1:MGP:u32
S.4.1.97.used_conn_cur.1:MGP:u32
S.4.1.98.need_conn_est.1:MGP:u32
S.4.1.99.uweight.1:MaP:u32
S.4.1.103.ssl_sess.1:MCP:u64
S.4.1.104.ssl_reused_sess.1:MCP:u64
S.4.1.105.ssl_failed_handshake.1:MCP:u64
B.4.0.0.pxname.1:KNS:str
B.4.0.1.svname.1:KNS:str
B.4.0.2.qcur.1:MGP:u32
B.4.0.3.qmax.1:MMP:u32
B.4.0.4.scur.1:MGP:u32
B.4.0.5.smax.1:MMP:u32
B.4.0.6.slim.1:CLP:u32
B.4.0.7.stot.1:MCP:u64
B.4.0.8.bin.1:MCP:u64
B.4.0.9.bout.1:MCP:u64
B.4.0.10.dreq.1:MCP:u64
B.4.0.11.dresp.1:MCP:u64
B.4.0.13.econ.1:MCP:u64
B.4.0.14.eresp.1:MCP:u64
B.4.0.15.wretr.1:MCP:u64
B.4.0.16.wredis.1:MCP:u64
B.4.0.17.status.1:SGP:str
B.4.0.18.weight.1:MaP:u32
B.4.0.19.act.1:MGP:u32
B.4.0.20.bck.1:MGP:u32
B.4.0.22.chkdown.1:MCP:u64
B.4.0.23.lastchg.1:MAP:u32
B.4.0.24.downtime.1:MCP:u32
B.4.0.26.pid.1:KGP:u32
B.4.0.27.iid.1:KGS:u32
B.4.0.28.sid.1:KGS:u32
B.4.0.30.lbtot.1:MCP:u64
B.4.0.32.type.1:CGS:u32
B.4.0.33.rate.1:MGP:u32
B.4.0.35.rate_max.1:MGP:u32
B.4.0.49.cli_abrt.1:MCP:u64
B.4.0.50.srv_abrt.1:MCP:u64
B.4.0.51.comp_in.1:MCP:u64
B.4.0.52.comp_out.1:MCP:u64
B.4.0.53.comp_byp.1:MCP:u64
B.4.0.54.comp_rsp.1:MCP:u64
B.4.0.55.lastsess.1:MAP:s32
B.4.0.58.qtime.1:MaP:u32
B.4.0.59.ctime.1:MaP:u32
B.4.0.60.rtime.1:MaP:u32
B.4.0.61.ttime.1:MaP:u32
B.4.0.75.mode.1:CGS:str
B.4.0.76.algo.1:CGS:str
B.4.0.83.wrew.1:MCP:u64
B.4.0.84.connect.1:MCP:u64
B.4.0.85.reuse.1:MCP:u64
B.4.0.90.qtime_max.1:MMP:u32
B.4.0.91.ctime_max.1:MMP:u32
B.4.0.92.rtime_max.1:MMP:u32
B.4.0.93.ttime_max.1:MMP:u32
B.4.0.94.eint.1:MCP:u64
B.4.0.99.uweight.1:MaP:u32
B.4.0.100.agg_server_status.1:MGP:u32
B.4.0.101.agg_server_check_status.1:MGP:u32
B.4.0.102.agg_check_status.1:MGP:u32
B.4.0.103.ssl_sess.1:MCP:u64
B.4.0.104.ssl_reused_sess.1:MCP:u64
B.4.0.105.ssl_failed_handshake.1:MCP:u64
B.4.0.106.h2_headers_rcvd.1:MCP:u64
B.4.0.107.h2_data_rcvd.1:MCP:u64
B.4.0.108.h2_settings_rcvd.1:MCP:u64
B.4.0.109.h2_rst_stream_rcvd.1:MCP:u64
B.4.0.110.h2_goaway_rcvd.1:MCP:u64
B.4.0.111.h2_detected_conn_protocol_errors.1:MCP:u64
B.4.0.112.h2_detected_strm_protocol_errors.1:MCP:u64
B.4.0.113.h2_rst_stream_resp.1:MCP:u64
B.4.0.114.h2_goaway_resp.1:MCP:u64
B.4.0.115.h2_open_connections.1:MGP:u64
B.4.0.116.h2_backend_open_streams.1:MGP:u64
B.4.0.117.h2_total_connections.1:MCP:u64
B.4.0.118.h2_backend_total_streams.1:MCP:u64
B.4.0.119.h1_open_connections.1:MGP:u64
B.4.0.120.h1_open_streams.1:MGP:u64
B.4.0.121.h1_total_connections.1:MCP:u64
B.4.0.122.h1_total_streams.1:MCP:u64
B.4.0.123.h1_bytes_in.1:MCP:u64
B.4.0.124.h1_bytes_out.1:MCP:u64
B.4.0.125.h1_spliced_bytes_in.1:MCP:u64
B.4.0.126.h1_spliced_bytes_out.1:MCP:u64

## schema d5b1657f5c6e3aaaf3c321e401e2a574
