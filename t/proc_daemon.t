#!/usr/bin/perl
# Tests for -D / "daemon" with -p / "pidfile": the pidfile names the daemon as soon as the
# launcher returns; the daemon serves; SIGTERM ends it and its workers.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(9);
$t->config(<<'EOF2');
global
    maxconn 100
    workers 2
    daemon
    pidfile %%TESTDIR%%/daemon.pid
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain string daemon-ok
EOF2
$t->write_file('portico.cfg', $t->{config});
my $port = port(8080);
Test::Portico::_release($port);

sub alive { my ($pid) = @_; my $s = Test::Portico::_stat($pid); return $s && $s->{state} ne 'Z' }

for my $how (['-D', '-p', $t->testdir . '/cli.pid'], []) {
    my $pidfile = @$how ? $t->testdir . '/cli.pid' : $t->testdir . '/daemon.pid';
    unlink $pidfile;
    my ($rc, $out) = $t->run_binary({ timeout => 10 }, @$how, '-f', $t->config_path);
    my $content = $t->read_file($pidfile);
    my ($pid) = $content =~ /^(\d+)\s*$/;
    my $what = @$how ? '-D -p' : 'daemon + pidfile';
    is($rc, 0, "$what: the launcher exits 0") or diag($out);
    ok($pid && alive($pid), "$what: the pidfile names a live daemon when the launcher returns")
        or diag("pidfile: '$content'");
    next unless $pid;
    my @workers;
    wait_until(3, sub { (@workers = $t->workers($pid)) >= 2 });
    my $r = http_parse(http_get('/'));
    is($r && $r->{body}, 'daemon-ok', "$what: the daemon serves");
    my $t0 = time;
    kill 'TERM', $pid;
    my $gone = wait_until(5, sub { !alive($pid) && !grep { alive($_) } @workers }, 0.01);
    ok($gone, sprintf("$what: SIGTERM ends the daemon and its workers (%.0f ms)",
        (time - $t0) * 1000));
    kill 'KILL', grep { alive($_) } $pid, @workers;
}
ok(!http_get('/', quiet => 1), 'port closed afterwards');
