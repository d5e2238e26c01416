#!/usr/bin/perl
# The runtime API across reloads: its listening socket is handed to the re-executed master
# (never refused, nothing waiting in its backlog lost), and a command that arrives while the
# new generation starts waits until that generation serves — so a change is never made to
# the new workers' state while the previous ones still accept with the old one.
use warnings;
use strict;
use Test::More;
use POSIX ();
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ cli_send http_get http_parse port servers_state /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(7);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->config(<<'EOF2');
global
    maxconn 100
    workers 2
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
$t->run();
$t->wait_workers(2, 5);
my $dir = $t->testdir;
my $sock = "$dir/admin.sock";

# A client changes be/b's weight every 10 ms while the instance reloads three times.
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
    my ($n, @bad) = (0);
    my $end = time + 30;
    while (time < $end && !-e "$dir/stop") {
        $n++;
        my $r = cli_send($sock, "set server be/b weight " . (1 + $n % 200) . "\n");
        push @bad, "$n: " . ($r =~ s/\n/|/gr) if $r ne "\n";
        sleep 0.01;
    }
    open my $fh, '>', "$dir/cli_result" or POSIX::_exit(1);
    print $fh "$n\n", map { "$_\n" } @bad;
    close $fh;
    POSIX::_exit(0);
}
my $done = 0;
for (1 .. 3) {
    sleep 0.3;
    $done++ if ($t->reload // '') =~ /Reload complete/;
}
sleep 0.3;
$t->write_file('stop', '');
waitpid($pid, 0);
my ($n, @bad) = split /\n/, $t->read_file('cli_result');
is($done, 3, 'three reloads complete');
cmp_ok($n // 0, '>', 20, "the client sent commands all along ($n)");
is(scalar @bad, 0, 'every command answered with success, none refused or cut')
    or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
is(servers_state($sock, 'be')->{'be/b'}{srv_uweight}, 1 + $n % 200,
    'the last weight set is the one in force');

# A command sent right after the reload signal: answered by the previous master before it
# re-executes (the state it hands over then has it) or by the new one once its generation
# serves; either way it is in force afterwards.
my $mark = $t->errlog_mark;
$t->signal('USR2');
my $r = cli_send($sock, "disable server be/a\n");
is($r, "\n", 'the command sent during the reload succeeds');
$t->wait_log(qr/Reload complete/, 10, $mark);
is(servers_state($sock, 'be')->{'be/a'}{srv_admin_state}, 1,
    'it is in force once the new generation serves');
my %seen;
for (1 .. 10) {
    my $x = http_parse(http_get('/'));
    $seen{$x ? $x->{body} : 'none'}++;
}
is(join(',', map { "$_=$seen{$_}" } sort keys %seen), 'b=10',
    'no request reaches the server disabled during the reload');
