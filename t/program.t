#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "program" sections (HAProxy 2.6, 3.7): the master starts the command with the workers,
# lists it in "show proc", replaces it on a reload (SIGUSR1 to the old instance) unless
# "no option start-on-reload", starts a failed one again, and sends SIGTERM at the stop.
# Configuration errors are refused at -c with file:line.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only()->plan(17); # HAProxy: a failed program stops everything
my $dir = $t->testdir;
# the supervised command: records its start and the signals it gets, one line each
$t->write_file('prog.pl', <<'EOF2');
use strict;
my ($log, $name, $fail) = @ARGV;
sub rec { open my $f, '>>', $log or die; print $f "$_[0] $name $$\n"; close $f }
$SIG{USR1} = sub { rec('usr1'); exit 0 };
$SIG{TERM} = sub { rec('term'); exit 0 };
rec('start');
exit 3 if $fail && -e $fail;
sleep 1 for 1 .. 600;
EOF2
my $log = "$dir/prog.log";

sub conf {
    my ($keep) = @_;
    return <<"EOF2";
global
    master-worker
    workers 1
program alpha
    command $^X $dir/prog.pl $log alpha $dir/fail-alpha
program beta
    command $^X $dir/prog.pl $log beta
    ${\($keep ? 'no option start-on-reload' : 'option start-on-reload')}
listen l
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    bind 127.0.0.1:%%PORT_8080%%
    server s 127.0.0.1:%%PORT_8081%%
EOF2
}

sub events { my $c = -e $log ? $t->read_file('prog.log') : ''; return $c }
sub count { my ($re) = @_; return scalar grep { $_ =~ $re } split /\n/, events() }
sub proc { cli_send("$dir/master.sock", "show proc\n") }
sub progs {
    my ($section) = @_;
    my $p = proc();
    my ($body) = $p =~ /^# \Q$section\E\n((?:\d+ .*\n)*)/m;
    return join ' ', sort map { (split /\s+/)[1] } split /\n/, $body // '';
}

$t->config(conf(1))->run(args => ['-S', "$dir/master.sock"]);
ok(wait_until(5, sub { count(qr/^start/) >= 2 }), 'both programs started with the workers');
is(progs('programs'), 'alpha beta', 'show proc lists them under "# programs"');
my ($a1) = events() =~ /^start alpha (\d+)$/m;
my ($b1) = events() =~ /^start beta (\d+)$/m;

# a reload: alpha (start-on-reload) is replaced, beta (no option start-on-reload) goes on
like($t->reload // '', qr/Reload complete/, 'reload');
ok(wait_until(5, sub { count(qr/^start alpha/) == 2 && count(qr/^usr1 alpha $a1$/) == 1 }),
    'alpha: a new instance, the old one got SIGUSR1') or diag(events());
is(count(qr/^start beta/), 1, 'beta: no new instance');
ok(kill(0, $b1), 'beta: the same instance still runs');
is(count(qr/^usr1 beta/), 0, 'beta: not signalled');
like(proc(), qr/^$b1\s+beta\s+1\s/m, 'show proc: beta lived through 1 reload');

# a failing program is started again

my ($a2) = (events() =~ /^start alpha (\d+)$/mg)[-1];
$t->write_file('fail-alpha', '');
kill 'KILL', $a2;
ok(wait_until(5, sub { count(qr/^start alpha/) >= 3 }), 'a program killed by a signal is started again');
like($t->errlog, qr/Current program 'alpha' \($a2\) exited with code 137/, 'its exit is reported as HAProxy does');
# ... and one that keeps failing (exit 3 at once) is given up
ok(wait_until(8, sub { $t->errlog =~ /program 'alpha' keeps failing/ }), 'a program failing in a loop is given up');
$t->ignore_alerts(qr/program 'alpha'/);
unlink "$dir/fail-alpha";

# the stop: SIGTERM to the programs, then the master exits
my $st = $t->stop;
ok(defined $st, 'the instance stops');
like(events(), qr/^term beta $b1$/m, 'beta got SIGTERM at the stop');
ok(!kill(0, $b1), 'beta is gone');

# configuration errors
$t->config("program p1\n    user\n");
my ($rc, $out) = $t->check_config;
like($out, qr/portico.cfg:2: .*'user' expects a user name/, '-c: user without a name, with file:line');
$t->config("program p1\n    option start-on-reload\n");
($rc, $out) = $t->check_config;
like($out, qr/portico.cfg:1: the program section 'p1' lacks a command to launch/, '-c: a program without a command');
$t->config("program p1\n    command true\nprogram p1\n    command true\n");
($rc, $out) = $t->check_config;
like($out, qr/portico.cfg:3: .*'p1' program section already exists/, '-c: a duplicate program section');
