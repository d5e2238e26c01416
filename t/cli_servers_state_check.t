#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "show servers state": the check and agent columns (srv_check_port, srv_check_addr,
# srv_agent_addr, srv_agent_port) show what the configuration set ("port"/"addr",
# "agent-port"/"agent-addr"), 0 and "-" when unset as HAProxy prints them, and
# "set server ... check-port" changes srv_check_port; srv_check_state is paused while the
# server is in maintenance.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server plain 127.0.0.1:%%PORT_8081%% check inter 10s
    server withport 127.0.0.1:%%PORT_8081%% check port %%PORT_8081%% addr 127.0.0.1 inter 10s
    server agent 127.0.0.1:%%PORT_8081%% agent-check agent-port %%PORT_8082%% agent-addr 127.0.0.1 agent-inter 10s
    server agentport 127.0.0.1:%%PORT_8081%% agent-check port %%PORT_8082%% agent-inter 10s
    server nocheck 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';
my ($p1, $p2) = (port(8081), port(8082));

# The last four columns of a server's line.
sub tail4 {
    my ($name) = @_;
    my $out = cli_send($sock, "show servers state be\n") // '';
    for my $l (split /\n/, $out) {
        my @f = split / /, $l;
        return "@f[-4 .. -1]" if @f > 5 && $f[3] eq $name;
    }
    return "missing: $out";
}

# the workers publish the checks' state when they start
# (each server's check publishes its own: wait for both servers read below)
for (1 .. 50) {
    last if tail4('agent') =~ / $p2$/ && tail4('withport') =~ /^$p1 127\.0\.0\.1 /;
    select(undef, undef, undef, 0.1);
}
is(tail4('plain'), '0 - - 0', 'check without port/addr: 0 -');
# (HAProxy also shows "addr" and "port" in the agent columns of a server without agent)
is(join(' ', (split / /, tail4('withport'))[0, 1]), "$p1 127.0.0.1", 'check port/addr as configured');
is(tail4('agent'), "0 - 127.0.0.1 $p2", 'agent-addr and agent-port');
is(join(' ', (split / /, tail4('agentport'))[2, 3]), "- $p2", "an agent without agent-port uses 'port'");
is(tail4('nocheck'), '0 - - 0', 'no check');
cli_send($sock, "set server be/plain check-port $p2\n");
is(tail4('plain'), "$p2 - - 0", 'set server check-port');

# srv_check_state: a health check is paused (CHK_ST_PAUSED, 8) while its server is in
# maintenance, and no longer once it leaves it
sub chk_state {
    my ($name) = @_;
    for my $l (split /\n/, cli_send($sock, "show servers state be\n") // '') {
        my @f = split / /, $l;
        return $f[13] if @f > 13 && $f[3] eq $name;
    }
    return -1;
}
cli_send($sock, "disable server be/plain\n");
like(chk_state('plain'), qr/^1[45]$/, 'in maintenance: configured, enabled and paused (14, 15 while probing)');
cli_send($sock, "enable server be/plain\n");
like(chk_state('plain'), qr/^[67]$/, 'out of maintenance: no longer paused');
