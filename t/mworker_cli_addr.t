#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The master CLI's -S address in HAProxy's forms: "fd@<n>" (a listening socket the caller
# passes, as VTest does for HAProxy's reg-tests) and a bare "host:port"; the workers do
# not keep the master CLI's socket open (portico: HAProxy's worker is a thread); SIGINT
# ends a master-worker instance with status 130. An escaped ';' on the master CLI belongs to
# its command (HAProxy's reg-tests/http-rules/acl_cli_spaces.vtc).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ cli_send port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
my $cfg = <<'EOF2';
global
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request deny if { hdr(user-agent) -f %%TESTDIR%%/agents.acl }
    http-request return status 200 content-type text/plain string ok
EOF2
$t->write_file('agents.acl', "Test\n");
my $acl = $t->testdir . '/agents.acl';

sub tcp_cli {
    my ($port, $line) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port, Timeout => 5)
        or return '';
    print $s $line;
    shutdown($s, 1);
    local $/;
    my $r = eval { local $SIG{ALRM} = sub { die "timeout\n" }; alarm 5; my $x = <$s>; alarm 0; $x };
    alarm 0;
    return $r // '';
}

sub inode { my $l = readlink($_[0]) // ''; return $l =~ /^socket:\[(\d+)\]/ ? $1 : '' }

# fd@<n>: the socket must survive exec (fds above $^F get close-on-exec)
my $ls;
{
    local $^F = 1023;
    $ls = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Listen => 16,
        ReuseAddr => 1) or die "listen: $!";
}
my $fd = fileno($ls);
$t->config($cfg)->run(args => ['-W', '-S', "fd\@$fd"]);
like(tcp_cli($ls->sockport, "\@1 show info\n"), qr/^Process_num: 1$/m,
    '-S fd@<n>: the master CLI answers on the passed socket');
like(tcp_cli($ls->sockport, "\@1 add acl $acl Mon\\ User\\ Agent\\;;\@1 show acl $acl\n"),
    qr/^0x[0-9a-f]+ Mon User Agent;$/m, "an escaped ';' is not a command separator");
SKIP: {
    skip 'portico only: workers are processes', 1 unless $t->portico;
    my @w = $t->wait_workers(2, 5);
    my $ino = inode("/proc/" . $t->pid . "/fd/$fd");
    my @held = grep { my $w = $_; grep { inode($_) eq $ino } glob("/proc/$w/fd/*") } @w;
    ok($ino ne '' && @w == 2 && !@held, 'the workers do not hold the master CLI socket')
        or diag("inode '$ino', workers @w, holding: @held");
}
$t->stop;
close $ls;

# host:port without a prefix is an address, not a file name
my $p = port('mcli');
$t->config($cfg)->run(args => ['-W', '-S', "127.0.0.1:$p"], wait_ports => ['mcli']);
like(tcp_cli($p, "\@1 show info\n"), qr/^Process_num: 1$/m, '-S <host>:<port>');
ok(!-e "127.0.0.1:$p" && !-e $t->testdir . "/127.0.0.1:$p", '... no file of that name');
# in master-worker mode SIGINT ends the master with 128 + 2, as HAProxy's (VTest checks it)
$t->ignore_alerts(qr/exited with code 130/); # HAProxy reports its worker's status
kill 'INT', $t->pid;
my $st = $t->_reap($t->pid, 5);
is(defined $st ? $st >> 8 : 'running', 130, '-W: SIGINT exits with status 130');
$t->stop;
