#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "server-state-file" / "load-server-state-from-file" as HAProxy 2.6: the states saved with
# "show servers state" come back at the next start (weight, maint, drain, a health check's
# verdict, a disabled check), a weight edited in the configuration wins over the saved one,
# local per-backend files under "server-state-base", and unusable files are warned about
# without stopping the start.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(15);
for my $n (1 .. 4) {
    $t->origin_http(port(8080 + $n), handler => sub { (200, [], "s$n") });
}
$t->ignore_alerts(qr/./) unless Test::Portico::portico(); # HAProxy's own notices
my $dir = $t->testdir;
my $sock = "$dir/cli.sock";
sub cli { cli_send($sock, "$_[0]\n") }

# the configuration; %o: global lines, defaults lines, server a's weight
sub conf {
    my (%o) = @_;
    my $wa = $o{wa} // 10;
    $o{$_} //= '' for qw/ global defaults backend /;
    return <<"EOF2";
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
$o{global}
defaults
    mode http
    %%TIMEOUTS%%
$o{defaults}
backend be
    balance roundrobin
$o{backend}
    server a 127.0.0.1:%%PORT_8081%% weight $wa
    server b 127.0.0.1:%%PORT_8082%% weight 10
    server c 127.0.0.1:%%PORT_8083%% weight 10
    server d 127.0.0.1:%%PORT_8084%% weight 10 check inter 1m
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
}

# "srv_name op_state admin_state uweight" for each server of be, from show servers state
sub states {
    my %s;
    for (split /\n/, cli('show servers state be')) {
        my @f = split / /;
        next unless @f > 10 && $f[1] eq 'be';
        $s{$f[3]} = "$f[5]/$f[6]/$f[7]";
    }
    return join ' ', map { "$_=$s{$_}" } sort keys %s;
}

# 1. runtime changes, saved with show servers state
$t->config(conf(global => '', defaults => ''))->run();
wait_until(5, sub { -S $sock });
cli('set server be/a weight 5');
cli('set server be/b state maint');
cli('set server be/c state drain');
cli('set server be/d health down');
cli('disable health be/d');
my $saved = cli('show servers state');
like($saved, qr/^1\n# be_id be_name srv_id/, 'show servers state: version 1 and the field names');
is(states(), 'a=2/0/5 b=0/1/10 c=2/8/10 d=0/0/10', 'the runtime changes as saved');
$t->write_file('state/global.state', $saved);
$t->stop;

# 2. started again with the global file: the same states
$t->config(conf(global => "    server-state-base $dir/state\n    server-state-file global.state",
    defaults => '    load-server-state-from-file global'))->run();
wait_until(5, sub { -S $sock });
is(states(), 'a=2/0/5 b=0/1/10 c=2/8/10 d=0/0/10', 'global file: weight, maint, drain and health restored');
my ($dline) = grep { /^\d+ be \d+ d / } split /\n/, cli('show servers state be');
my @df = split / /, $dline // '';
is($df[13] // '', 2, 'global file: the health check disabled at run time stays disabled (configured, not enabled)');
my %seen;
for (1 .. 20) {
    my $r = http_parse(http_get('/'));
    $seen{$r ? $r->{body} : 'failed'}++;
}
is(join(' ', sort keys %seen), 's1', 'traffic goes only to the ready server (b in maint, c draining, d down)');
$t->stop;

# 3. a weight edited in the configuration wins over the saved run-time weight
$t->config(conf(global => "    server-state-base $dir/state\n    server-state-file global.state",
    defaults => '    load-server-state-from-file global', wa => 20))->run();
wait_until(5, sub { -S $sock });
like(states(), qr/^a=2\/0\/20 b=0\/1\/10 /, 'configuration weight changed (10 -> 20): it wins, the rest is restored');
$t->stop;

# 4. a local per-backend file ("server-state-file-name"), with a server the backend lacks
# (in the backend: HAProxy 2.6 documents it for defaults too but does not inherit it;
# portico does, as documented)
my ($aline) = grep { /^\d+ be \d+ a / } split /\n/, $saved;
(my $zz = $aline // '') =~ s/^(\d+ be) \d+ a /$1 99 zz /;
my $local = "1\n$aline\n$zz\n";
$t->write_file('state/be.state', $local);
$t->config(conf(global => "    server-state-base $dir/state",
    defaults => "    load-server-state-from-file local",
    backend => '    server-state-file-name be.state'))->run();
wait_until(5, sub { -S $sock });
is(states(), 'a=2/0/5 b=2/0/10 c=2/0/10 d=2/0/10', 'local file: only a is in it, restored');
like($t->errlog, qr/can't find server 'zz' in backend 'be'/, 'local file: a server the backend lacks is warned about');
$t->stop;

# 5. "use-backend-name" / no name: the file is named after the backend
$t->write_file('state/be', $local);
$t->config(conf(global => "    server-state-base $dir/state",
    defaults => "    load-server-state-from-file local"))->run();
wait_until(5, sub { -S $sock });
like(states(), qr/^a=2\/0\/5 /, 'local file named after the backend');
$t->stop;

# 6. unusable files: missing, no version, corrupted line — warnings, default states
$t->config(conf(global => "    server-state-base $dir/state\n    server-state-file missing.state",
    defaults => '    load-server-state-from-file global'))->run();
wait_until(5, sub { -S $sock });
is(states(), 'a=2/0/10 b=2/0/10 c=2/0/10 d=2/0/10', 'missing file: configuration states');
like($t->errlog, qr/Can't open global server state file '\Q$dir\E\/state\/missing.state'/, 'missing file: warned');
$t->stop;
(my $corrupt = $saved) =~ s/^(\d+ be \d+ b) .*$/$1 broken/m;
$t->write_file('state/corrupt.state', $corrupt);
$t->config(conf(global => "    server-state-base $dir/state\n    server-state-file corrupt.state",
    defaults => '    load-server-state-from-file global'))->run();
wait_until(5, sub { -S $sock });
is(states(), 'a=2/0/10 b=2/0/10 c=2/0/10 d=2/0/10', 'corrupted file: nothing applied');
like($t->errlog, qr/corrupted global server state file '.*corrupt.state' at line \d+/, 'corrupted file: warned with the line');
$t->stop;

# 7. "-c": bad values are refused with file:line
$t->config(conf(global => '', defaults => '    load-server-state-from-file somewhere'));
my ($rc, $out) = $t->check_config;
isnt($rc, 0, 'load-server-state-from-file with a bad value: refused');
like($out, qr/expects 'global', 'local' or 'none'/, 'load-server-state-from-file: the message');
