#!/usr/bin/perl
# Tests for the server state kept across a reload: maintenance, drain, weight and address
# set at run time and a server added at run time survive SIGUSR2; a setting the new
# configuration changes wins over the inherited value.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ cli_send http_get http_parse port servers_state /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(14);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'd');
$t->origin_http(port(8084), body => 'e');

sub cfg {
    my ($wb, $gen) = @_;
    return <<"EOF2";
global
    maxconn 100
    workers 2
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-response set-header X-Gen $gen
    server a 127.0.0.1:%%PORT_8081%% weight 10
    server b 127.0.0.1:%%PORT_8082%% weight $wb
    server c 127.0.0.1:%%PORT_8082%% weight 10
    server e 127.0.0.1:%%PORT_8082%% weight 10
    server f 127.0.0.1:%%PORT_8083%% weight 10 check inter 1m
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
}
$t->config(cfg(10, 1));
$t->run();
$t->wait_workers(2, 5);
my $sock = $t->testdir . '/admin.sock';
my $cmds = "set server be/a state maint; set server be/b weight 5; set server be/c state drain; "
    . "set server be/e addr 127.0.0.1 port " . port(8084) . "; "
    . "add server be/d 127.0.0.1:" . port(8083) . " weight 7; enable server be/d; "
    . "set server be/f health down\n";
cli_send($sock, $cmds);
my $before = servers_state($sock, 'be');
is($before->{'be/d'}{srv_uweight}, 7, 'runtime changes applied (added server)');

like($t->reload(cfg(10, 2)) // '', qr/Reload complete/, 'reload with an unchanged configuration');
my $st = servers_state($sock, 'be');
is($st->{'be/a'}{srv_admin_state}, 1, 'maintenance set at run time survives');
is($st->{'be/b'}{srv_uweight}, 5, 'weight set at run time survives');
is($st->{'be/c'}{srv_admin_state}, 8, 'drain set at run time survives');
is($st->{'be/e'}{srv_port}, port(8084), 'address set at run time survives');
is($st->{'be/f'}{srv_op_state}, 0, "a server set down stays down though its origin answers (rise 2, inter 1m)");
ok($st->{'be/d'}, 'server added at run time survives');
is($st->{'be/d'} && $st->{'be/d'}{srv_admin_state}, 0, '... enabled');
is($st->{'be/d'} && $st->{'be/d'}{srv_uweight}, 7, '... with its weight');
my %seen;
for (1 .. 20) {
    my $r = http_parse(http_get('/'));
    $seen{$r ? $r->{body} : 'none'}++;
}
ok(!$seen{a} && $seen{d} && $seen{e}, 'traffic follows the inherited state (a in maintenance, d added, e moved)')
    or diag(join ' ', %seen);

like($t->reload(cfg(20, 3)) // '', qr/Reload complete/, 'reload with a new weight for b');
$st = servers_state($sock, 'be');
is($st->{'be/b'}{srv_uweight}, 20, 'the weight the new configuration sets wins');
is($st->{'be/f'}{srv_op_state}, 0, 'the checked server is still down after a second reload');
$t->ignore_alerts(qr/maintenance|is DOWN|going DOWN/);
