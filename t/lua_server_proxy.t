#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's Server methods set_maxconn/get_maxconn, set_addr, shut_sess, check_enable/disable,
# check_force_up/nolb/down, agent_enable/disable, agent_force_up/down, get_stats, and the
# Proxy methods pause/resume/stop, shut_bcksess, get_stats and Proxy.uuid (lua/examples/server_proxy.lua),
# checked on the runtime API as HAProxy 2.6 does them; Socket:getsockname(); act.wake_time()
# with act.YIELD in http-request and tcp-request content rules.
use warnings;
use strict;
use Test::More;
use File::Spec;
use IO::Socket::INET;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat servers_state wait_until cli_send
                     tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(47);
my $script = File::Spec->rel2abs('lua/examples/server_proxy.lua');
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_tcp(port(8085));
$t->origin_agent(port(8091), say => 'up');
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
frontend adm
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.sockname if { path /sockname }
    http-request use-service lua.admin
frontend fe2
    bind 127.0.0.1:%%PORT_8083%%
    default_backend be
frontend who
    bind 127.0.0.1:%%PORT_8084%%
    http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"
frontend waith
    bind 127.0.0.1:%%PORT_8086%%
    http-request lua.wait3
    http-request return status 200 content-type text/plain lf-string "runs=%[var(txn.runs)] ms=%[var(txn.ms)]"
frontend waitt
    mode tcp
    bind 127.0.0.1:%%PORT_8087%%
    tcp-request inspect-delay 5s
    tcp-request content lua.wait3
    tcp-request content reject unless { var(txn.runs) -m int 4 }
    default_backend echo
backend echo
    mode tcp
    server e 127.0.0.1:%%PORT_8085%%
backend be
    option httpchk GET /chk
    server s1 127.0.0.1:%%PORT_8081%% check inter 300ms rise 2 fall 3 agent-check agent-port %%PORT_8091%% agent-inter 1s
    server s2 127.0.0.1:%%PORT_8082%% maxconn 7
    server b1 127.0.0.1:%%PORT_8082%% backup
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }
sub lua {
    my ($q) = @_;
    my $r = http_parse(http_get("/?$q"));
    return $r ? $r->{body} : '[no answer]';
}
sub lua_path {
    my $r = http_parse(http_get($_[0]));
    return $r ? $r->{body} : '[no answer]';
}
sub stat_of { show_stat($sock)->{$_[0]} // {} }

# ---- Server: maxconn ----
is(lua('px=be&sv=s2&op=get_maxconn'), "7\n", 'get_maxconn: the configured maxconn');
is(lua('px=be&sv=s1&op=get_maxconn'), "0\n", 'get_maxconn: 0 without one');
is(lua('px=be&sv=s2&op=set_maxconn&a=42'), "nil\n", 'set_maxconn: nil on success');
is(stat_of('be/s2')->{slim}, 42, 'set_maxconn: show stat slim follows');
is(lua('px=be&sv=s2&op=get_maxconn'), "42\n", 'get_maxconn after set_maxconn');
is(lua('px=be&sv=s2&op=set_maxconn&a=x1'), "maxconn string empty or preceded by garbage\n",
    'set_maxconn: HAProxy\'s error message');

# ---- Server: set_addr ----
is(lua('px=be&sv=s2&op=set_addr&a=127.0.0.2'), "IP changed from '127.0.0.1' to '127.0.0.2' by 'Lua script'\n",
    'set_addr: HAProxy\'s message');
is(lua('px=be&sv=s2&op=get_addr'), "127.0.0.2:" . port(8082) . "\n", 'get_addr follows');
my $p2 = port(8082);
is(lua("px=be&sv=s2&op=set_addr&a=127.0.0.1&b=$p2"),
    "IP changed from '127.0.0.2' to '127.0.0.1', no need to change the port by 'Lua script'\n",
    'set_addr with a port');
like(lua('px=be&sv=s2&op=set_addr&a=bogus'), qr/^Invalid addr 'bogus' by 'Lua script'/, 'set_addr: a bad address');

# ---- Server: get_stats ----
my %st = map { split /=/, $_, 2 } split /\n/, lua('px=be&sv=s2&op=get_stats');
is("$st{pxname}/$st{svname}", 'be/s2', 'Server:get_stats: pxname, svname');
is($st{slim}, 42, 'Server:get_stats: slim (a number)');
like($st{status} // '', qr/^(no check|UP)$/, 'Server:get_stats: status');

# ---- Server: health and agent checks ----
ok(wait_until(5, sub { (stat_of('be/s1')->{status} // '') eq 'UP' }), 's1 UP by its checks');
is(lua('px=be&sv=s1&op=check_force_down'), "nil\n", 'check_force_down returns nothing');
is(stat_of('be/s1')->{status}, 'DOWN', 'check_force_down: DOWN');
is(lua('px=be&sv=s1&op=check_disable'), "nil\n", 'check_disable');
is(servers_state($sock, 'be')->{'be/s1'}{srv_check_state}, 2, 'check_disable: check state configured, not enabled');
is(lua('px=be&sv=s1&op=check_enable'), "nil\n", 'check_enable');
is(servers_state($sock, 'be')->{'be/s1'}{srv_check_state} & 4, 4, 'check_enable: enabled again');
lua('px=be&sv=s1&op=check_force_nolb');
is(stat_of('be/s1')->{status}, 'NOLB', 'check_force_nolb: NOLB');
lua('px=be&sv=s1&op=check_force_up');
is(stat_of('be/s1')->{status}, 'UP', 'check_force_up: UP');
lua('px=be&sv=s1&op=agent_force_down');
like(stat_of('be/s1')->{status}, qr/^DOWN \(agent\)$/, 'agent_force_down: DOWN (agent)');
lua('px=be&sv=s1&op=agent_force_up');
ok(wait_until(3, sub { (stat_of('be/s1')->{status} // '') eq 'UP' }), 'agent_force_up: UP');
lua('px=be&sv=s1&op=agent_disable');
is(servers_state($sock, 'be')->{'be/s1'}{srv_agent_state} & 4, 0, 'agent_disable: agent not enabled');
lua('px=be&sv=s1&op=agent_enable');
is(servers_state($sock, 'be')->{'be/s1'}{srv_agent_state} & 4, 4, 'agent_enable: enabled again');

is(lua('px=be&op=uuid'), stat_of('be/BACKEND')->{iid} . "\n", 'Proxy.uuid: the iid of show stat');
is(lua('px=fe2&op=uuid'), stat_of('fe2/FRONTEND')->{iid} . "\n", 'Proxy.uuid of a frontend');

# ---- Proxy: get_stats, pause/resume/stop, shut_bcksess, Server:shut_sess ----
my %fs = map { split /=/, $_, 2 } split /\n/, lua('px=fe2&op=get_stats');
is("$fs{pxname}/$fs{svname}", 'fe2/FRONTEND', 'Proxy:get_stats of a frontend');
my %bs = map { split /=/, $_, 2 } split /\n/, lua('px=be&op=get_stats');
is("$bs{pxname}/$bs{svname}", 'be/BACKEND', 'Proxy:get_stats of a backend');
like($bs{stot} // '', qr/^\d+$/, 'Proxy:get_stats: numbers');
is(lua('px=fe2&op=pause'), "nil\n", 'Proxy:pause');
is(stat_of('fe2/FRONTEND')->{status}, 'PAUSED', 'pause: the frontend is paused');
is(lua('px=fe2&op=resume'), "nil\n", 'Proxy:resume');
is(stat_of('fe2/FRONTEND')->{status}, 'OPEN', 'resume: OPEN again');
my $r = http_parse(http_get('/', port => port(8083)));
is($r && $r->{status}, 200, 'fe2 answers after resume');
is(lua('px=be&op=shut_bcksess'), "nil\n", 'Proxy:shut_bcksess');
is(lua('px=be&sv=s2&op=shut_sess'), "nil\n", 'Server:shut_sess');
is(lua('px=fe2&op=stop'), "nil\n", 'Proxy:stop');
ok(wait_until(3, sub { !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8083), Timeout => 1) }),
    'stop: the port no longer accepts');

# ---- Socket:getsockname ----
my %sn = map { split /=/, $_, 2 } split /\n/, lua_path('/sockname?127.0.0.1:' . port(8084));
is($sn{before}, 'nil', 'getsockname before connect: nil');
like($sn{name} // '', qr/^127\.0\.0\.1:\d+$/, 'getsockname: ip:port');
is($sn{name}, $sn{seen}, 'getsockname: the address the peer sees');
is($sn{peer}, '127.0.0.1:' . port(8084), 'getpeername: the address connected to');

# ---- act:wake_time + act.YIELD ----
my $t0 = time;
$r = http_parse(http_get('/', port => port(8086)));
my ($runs, $ms) = ($r && $r->{body} // '') =~ /runs=(\d+) ms=(\d+)/;
ok(defined $runs && $runs == 4 && $ms >= 280 && time - $t0 < 3,
    'http-request: act.YIELD runs the action again after act.wake_time') or diag($r && $r->{body});
# (the client keeps its side open: a half-close would be the final call, where HAProxy
# refuses a yield; its data arriving runs the action early once: 2 waits of 100 ms at least)
$t0 = time;
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8087), Timeout => 2);
my $got = '';
if ($c) {
    print $c "hello\n";
    $c->flush;
    my $rin = '';
    vec($rin, fileno($c), 1) = 1;
    while (time - $t0 < 5 && $got !~ /\n/) {
        my $rout = $rin;
        last unless select($rout, undef, undef, 0.2) >= 0;
        next unless vec($rout, fileno($c), 1);
        my $n = sysread($c, my $buf, 100);
        last unless $n;
        $got .= $buf;
    }
    close $c;
}
my $el = time - $t0;
ok($got eq "hello\n" && $el >= 0.18 && $el < 3, 'tcp-request content: the same, then the data flows')
    or diag("got '$got' after $el s");
