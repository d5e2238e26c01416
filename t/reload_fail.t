#!/usr/bin/perl
# Tests for failed reloads: an invalid configuration (SIGUSR2 or "reload" on the master
# CLI, which answers why) keeps the current generation; a configuration that passes the
# check but cannot start (a port taken) leaves the previous workers serving until the
# next reload, which applies. Also the master CLI's "show proc", "@1" routing and "help".
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ cli_send http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(18);
sub cfg {
    my ($g, $extra) = @_;
    $extra //= '';
    return <<"EOF2";
global
    maxconn 100
    workers 2
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
$extra
    http-request return status 200 content-type text/plain string gen$g
EOF2
}
my $mcli = $t->testdir . '/master.sock';
$t->config(cfg(1))->run(args => ['-S', $mcli]);
$t->wait_workers(2, 5);
sub gen { my $r = http_parse(http_get('/')); return $r ? $r->{body} : 'none' }

like(cli_send($mcli, "help\n"), qr/show proc/, 'master CLI: help');
like(cli_send($mcli, "\@1 show info\n"), qr/^Name: portico$/m, 'master CLI: @1 routes a runtime API command');
# "@!<pid>" names one worker (its pid in show info); an unknown target is refused with
# HAProxy's words; "@<target>" alone is the default for the commands after it
my @w = sort { $a <=> $b } $t->workers;
like(cli_send($mcli, "\@!$w[1] show info\n"), qr/^Pid: $w[1]$/m, 'master CLI: @!<pid> routes to that worker');
is(cli_send($mcli, "\@!99999999 show info\n"),
    "Can't find the target PID matching the prefix '\@!99999999'\n", '... an unknown pid is refused');
is(cli_send($mcli, "\@x show info\n"), "Can't find the target PID matching the prefix '\@x'\n",
    '... so is a malformed prefix');
like(cli_send($mcli, "\@!$w[0]; show info\n"), qr/^Pid: $w[0]$/m, '... "@!<pid>" alone sets the default target');
like(cli_send($mcli, "\@master show proc\n"), qr/^\d+\s+master\s/m, '... "@master" is the master');
unlike(cli_send($mcli, "\@1 show proc\n"), qr/master/, '... and "show proc" is the master\'s only');

$t->write_file('portico.cfg', cfg(2, "    no-such-keyword 1"));
my $ans = cli_send($mcli, "reload\n");
like($ans, qr/\ASuccess=0\n--\n.*portico\.cfg:\d+: .*no-such-keyword/s,
    'master CLI reload of an invalid configuration: Success=0 and why') or diag($ans);
is(gen(), 'gen1', '... the current configuration keeps serving');
like(cli_send($mcli, "show proc\n"), qr/^\d+\s+master\s+0 \[failed: 1\]/m,
    'show proc counts the failed reload');

# passes -c, but the new bind's port is taken: the previous workers keep serving
my $holder = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Listen => 5)
    or die;
my $taken = $holder->sockport;
my $line = $t->reload(cfg(3, "    bind 127.0.0.1:$taken"));
like($line // '', qr/Reload failed/, 'a configuration that cannot start: the reload fails');
like($t->errlog, qr/cannot bind socket.*:$taken/, '... saying why');
is(gen(), 'gen1', '... and the previous workers keep serving');
is(scalar($t->workers), 2, '... all of them');
close $holder;
$line = $t->reload(cfg(4));
like($line // '', qr/Reload complete/, 'the next reload applies');
is(gen(), 'gen4', '... with the new configuration');
ok(wait_until(5, sub { $t->workers == 2 }), 'only the new workers are left');
$t->ignore_alerts(qr/cannot bind socket|Reload failed|no-such-keyword|fatal errors/);
