#!/usr/bin/perl
# Tests for process control: SIGINT fast stop with workers gone, -p pidfile, -c leaves nothing.
use warnings;
use strict;
use Test::More;
use POSIX qw/ WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG SIGINT /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port portico /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->origin_http(port(8081), body => 'alive');
$t->config(<<'EOF2');
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

sub proc_gone {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    my $s = <$fh> // return 1;
    return $s =~ /\)\s+Z\s/ ? 1 : 0;
}

# -W (master-worker) so that HAProxy writes the pidfile too.
$t->run(args => ['-W']);
my $pidfile = $t->testdir . '/portico.pid';
my $deadline = time + 3;
sleep 0.1 until -s $pidfile || time > $deadline;
my $content = $t->read_file('portico.pid');
$content =~ s/\s+\z//;
is($content, $t->pid, 'pidfile holds the master pid');
my $st = $t->stop();
ok(defined $st && $st == 0, 'soft stop (SIGUSR1): exit status 0')
    or diag('status ' . ($st // 'none'));

$t->run();
my $r = http_parse(http_get('/'));
is($r && $r->{body}, 'alive', 'serving before SIGINT');

my @workers = $t->workers;
SKIP: {
    skip 'HAProxy -db has no worker processes', 1 unless portico();
    ok(@workers >= 1, 'master has at least one worker');
}
$t->signal('INT');
$st = $t->wait_exit(5);
my $code = defined $st && WIFEXITED($st) ? WEXITSTATUS($st) : -1;
ok(defined $st && ($code == 0 || $code == 128 + SIGINT
    || (WIFSIGNALED($st) && WTERMSIG($st) == SIGINT)),
    'SIGINT: exits with status 0 or by SIGINT') or diag('status ' . ($st // 'none'));
my @left = grep { !proc_gone($_) } @workers;
is("@left", '', 'SIGINT: no worker left');
ok(!http_get('/', quiet => 1), 'SIGINT: port closed');

my ($rc, $out) = $t->check_config();
is($rc, 0, '-c on the same config') or diag($out);
my %origin = map { $_ => 1 } $t->origin_pids;
is(join(' ', grep { !$origin{$_} } $t->workers($$)), '', '-c leaves no process behind');
