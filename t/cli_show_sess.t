#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "show sess", "show sess <id>", "show sess all", "shutdown session <id>" and "show pools"
# (issue 13):
# streams living in two workers listed by the master's runtime API with their client
# address, frontend, backend and server; the detail of one; a session killed by id (its
# client sees the close, the log says 'K'), the others untouched; the errors HAProxy gives.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only('show sess has its own fields')
    ->plan(26);
$t->origin_tcp(port(8081));
$t->origin_http(port(8082), raw => sub { sleep 20 }); # never answers
$t->config(<<'EOF')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    stats socket %%TESTDIR%%/user.sock level user
    nbthread 2
    log stdout format raw daemon
defaults
    mode tcp
    %%TIMEOUTS%%
    log global
    option tcplog
listen lt
    bind 127.0.0.1:%%PORT_8080%%
    server t1 127.0.0.1:%%PORT_8081%% id 5
listen web
    mode http
    option httplog
    bind 127.0.0.1:%%PORT_8090%%
    server w1 127.0.0.1:%%PORT_8082%%
EOF
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

# Four held connections, each echoed once (so each has its server connection).
my @c;
for my $i (1 .. 4) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080), Timeout => 5)
        or die "connect: $!";
    syswrite $c, "ping$i\n";
    my $sel = IO::Select->new($c);
    my $got = '';
    sysread($c, $got, 100) if $sel->can_read(5);
    is($got, "ping$i\n", "connection $i echoed");
    push @c, $c;
}
my %port_of = map { $_->sockport => $_ } @c;

my $out = cli('show sess');
my @lines = grep { /^0x/ } split /\n/, $out;
is(scalar @lines, 4, 'show sess: one line per stream') or diag $out;
my %by_port;
for (@lines) {
    $by_port{$1} = $_ if /src=127\.0\.0\.1:(\d+) /;
}
is_deeply([sort keys %by_port], [sort keys %port_of], 'show sess: the clients\' addresses');
like($lines[0], qr/^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=lt be=lt srv=t1 age=\d+s worker=[12] scf=\[fd=\d+\] scb=\[fd=\d+\] exp=\S+$/,
    'show sess: line layout');
my %workers = map { /worker=(\d)/ ? ($1 => 1) : () } @lines;
ok(scalar(keys %workers) >= 1, 'show sess: worker numbers');
my %ids = map { /^(0x[0-9a-f]+):/ ? ($1 => 1) : () } @lines;
is(scalar keys %ids, 4, 'show sess: distinct ids');

# One in detail.
my ($victim_port) = sort keys %by_port;
my ($id) = $by_port{$victim_port} =~ /^(0x[0-9a-f]+):/;
my $d = cli("show sess $id");
like($d, qr/^\Q$id\E: \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{6}\] id=\d+ proto=tcpv4 source=127\.0\.0\.1:$victim_port\n/,
    'show sess <id>: first line');
like($d, qr/^  frontend=lt \(id=2 mode=tcp\) addr=127\.0\.0\.1:${\ port(8080)}\n/m, 'detail: frontend');
like($d, qr/^  backend=lt \(id=2 mode=tcp\)\n  server=t1 \(id=5\) addr=127\.0\.0\.1:${\ port(8081)}\n/m,
    'detail: backend and server');
my $all = cli('show sess all');
is(scalar(() = $all =~ /^0x[0-9a-f]+: \[/mg), 4, 'show sess all: every stream in detail');

# show pools: the streams and connections held come from the workers' pools.
my $pools = cli('show pools');
like($pools, qr/^Dumping pools usage\. Use SIGQUIT to flush them\.\n/, 'show pools: header');
my ($sused) = $pools =~ /^  - Pool stream \(\d+ bytes\) : \d+ allocated \(\d+ bytes\), (\d+) used/m;
ok(defined $sused && $sused >= 4, 'show pools: the 4 held streams are in use') or diag $pools;
like($pools, qr/^Total: 3 pools, \d+ bytes allocated, \d+ used \(~0 by thread caches\)\.\n/m,
    'show pools: total');

# Errors.
is(cli('show sess 0x77'), "Session not found.\n\n", 'show sess: unknown id');
is(cli('shutdown session'), "Session pointer expected (use 'show sess').\n\n", 'shutdown session: no id');
is(cli('shutdown session 0x77'), "No such session (use 'show sess').\n\n", 'shutdown session: unknown id');
like(cli_send($t->testdir . '/user.sock', "shutdown session $id\n"), qr/Permission denied/,
    'shutdown session: admin level');

# Kill one.
is(cli("shutdown session $id"), "\n", 'shutdown session: empty answer');
my $victim = $port_of{$victim_port};
my $sel = IO::Select->new($victim);
my $eof = 0;
if ($sel->can_read(5)) {
    my $n = sysread($victim, my $b, 100);
    $eof = defined $n && $n == 0 || !defined $n;
}
ok($eof, 'the killed session\'s client sees the connection close');
my $line = '';
wait_until(10, sub { ($line) = ($t->read_file('stdout.log') // '') =~ /^(.*:$victim_port .*)$/m; $line });
$line //= '';
like($line, qr/ K[D-] /, 'its log line says K (killed)');
ok(wait_until(5, sub { scalar(grep { /^0x/ } split /\n/, cli('show sess')) == 3 }),
    'three streams left');
my $other = (grep { $_ != $victim } @c)[0];
syswrite $other, "still\n";
my $got = '';
sysread($other, $got, 100) if IO::Select->new($other)->can_read(5);
is($got, "still\n", 'another session is untouched');
diag cli('show sess') if $ENV{DEBUG_SESS};
close $_ for @c;

# An HTTP transaction waiting for its server, killed: the client's connection closes and
# the transaction is logged with 'K'.
my $h = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8090), Timeout => 5)
    or die "connect: $!";
syswrite $h, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
my $hid;
wait_until(5, sub { ($hid) = cli('show sess') =~ /^(0x[0-9a-f]+): proto=tcpv4 src=127\.0\.0\.1:${\ $h->sockport} fe=web be=web srv=w1 /m; $hid });
cli("shutdown session $hid") if $hid;
my $hline = '';
wait_until(10, sub { ($hline) = ($t->read_file('stdout.log') // '') =~ /^(.*GET \/slow HTTP.*)$/m; $hline });
like($hline // '', qr/ web web\/w1 .* K[A-Z-]-- .*"GET \/slow HTTP\/1\.1"/, 'killed HTTP transaction logged with K');
close $h;
