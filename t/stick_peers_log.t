#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "log" lines in a peers section, as HAProxy 2.6: checked as HAProxy checks a log line
# (target, len/format/sample, facility, levels; "log global"), and, as HAProxy 2.6, nothing
# is sent to them: two instances whose sections log to a UDP receiver share a table, one
# of them is soft-stopped, and the receiver gets no line (a frontend logging to the same
# receiver proves it listens). Runs against HAProxy 2.6 too (PORTICO_TEST_BINARY).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick http /)->plan(9);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp') or die "udp: $@";
my $up = $u->sockport;
# every datagram received within <secs>
sub drain {
    my ($secs) = @_;
    my @got;
    my $sel = IO::Select->new($u);
    while ($sel->can_read($secs)) {
        my $d;
        $u->recv($d, 65535);
        push @got, $d;
        $secs = 0.3;
    }
    return @got;
}

sub cfg {
    my ($cli, $bind, $fe, $servers) = @_;
    return <<"EOF2";
global
    stats socket %%TESTDIR%%/$cli level admin
    log 127.0.0.1:$up local1
defaults
    mode http
    %%TIMEOUTS%%
peers pp
    log 127.0.0.1:$up local0 debug
    log 127.0.0.1:$up len 512 format rfc5424 local0 info debug
    log global
    bind 127.0.0.1:%%PORT_$bind%%
$servers
    table st type string len 16 size 100 expire 1m store gpc0
frontend fe
    bind 127.0.0.1:%%PORT_$fe%%
    log 127.0.0.1:$up local2
    http-request return status 200
EOF2
}
# a connects to b; b has no address for a
my $acfg = cfg('a.sock', '8701', '8711', "    server a\n    server b 127.0.0.1:%%PORT_8702%%");
my $bcfg = cfg('b.sock', '8702', '8712', "    server b\n    server a");
my $b = Test::Portico->new();
$b->config($bcfg)->run(args => ['-L', 'b']);
$t->config($acfg)->run(args => ['-L', 'a']);
my $asock = $t->testdir . '/a.sock';
my $bsock = $b->testdir . '/b.sock';
drain(1); # what starting said (HAProxy's own start messages go to the global log)

cli_send($asock, "set table pp/st key k1 data.gpc0 3\n");
my $out = '';
for (1 .. 100) {
    $out = cli_send($bsock, "show table pp/st key k1\n");
    last if $out =~ /gpc0=3/;
    select(undef, undef, undef, 0.05);
}
like($out, qr/key=k1 .*gpc0=3/, 'sections with log lines share their table') or diag($out);
my @got = grep { !/local2|<150>|<14[0-9]>/ } drain(1);
is(scalar(@got), 0, 'the session sends nothing to the section\'s log servers') or diag(explain(\@got));
# a soft stop of b: its peers proxy stops without a word either
$b->signal('USR1');
$b->wait_exit(5) // $b->stop;
@got = grep { /\bpp\b|peer/i } drain(1);
is(scalar(@got), 0, 'nor does a soft stop') or diag(explain(\@got));
# the receiver works: a frontend's traffic log reaches it
http("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", port => port(8711));
@got = drain(3);
ok((grep { /fe/ } @got), 'the receiver gets the frontend\'s log line') or diag(explain(\@got));

# checked as HAProxy checks a log line
sub check_err {
    my ($line, $re, $name) = @_;
    my $x = Test::Portico->new();
    $x->config("peers p\n    peer a 127.0.0.1:1\n    $line\n    table t type ip size 10\n");
    my ($rc, $o) = $x->check_config('-L', 'a');
    ok($rc != 0 && $o =~ $re, $name) or diag($o);
}
check_err('log 127.0.0.1:514 nofac', qr/:3\b.*log : unknown log facility 'nofac'/, 'an unknown facility');
check_err('log 127.0.0.1:514 local0 badlvl', qr/:3\b.*log : unknown optional log level 'badlvl'/, 'an unknown level');
check_err('log 127.0.0.1:514', qr/:3\b.*log : expects <address> and <facility> or global as arguments/,
    'no facility');
check_err('log 127.0.0.1:514 local0 info info extra', qr/:3\b.*log : cannot handle unexpected argument 'extra'/,
    'a word too many');
my $x = Test::Portico->new();
$x->config("peers p\n    peer a 127.0.0.1:1\n    log global\n    log stdout local0\n    log 127.0.0.1:514 sample 1:2 local0\n    table t type ip size 10\n");
my ($rc, $o) = $x->check_config('-L', 'a');
is($rc, 0, '"log global", stdout, sample: accepted') or diag($o);
