#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API "add server" / "del server" over two workers: an added server starts in
# maintenance, inherits default-server, receives traffic once enabled on a roundrobin and
# on a "balance source" backend; deletion rules; the freed slot is reusable.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(26);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'n');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
    tune.dynamic-servers 2
defaults
    mode http
    %%TIMEOUTS%%
backend rr
    balance roundrobin
    default-server weight 5
    server a 127.0.0.1:%%PORT_8081%%
backend src
    balance source
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend rr
frontend fe2
    bind 127.0.0.1:%%PORT_8090%%
    default_backend src
EOF2
my $sock = $t->testdir . '/cli.sock';

sub cli { cli_send($sock, "$_[0]\n") }

sub spread {
    my ($n) = @_;
    my %c;
    for (1 .. $n) {
        my $r = http_parse(http_get('/'));
        $c{$r ? $r->{body} : 'failed'}++;
    }
    return join(' ', map { "$_=$c{$_}" } sort keys %c);
}

# One request to fe2 from source address 127.0.0.<i>.
sub from_source {
    my ($i) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8090),
        LocalHost => "127.0.0.$i", Proto => 'tcp') or return 'failed';
    my $r = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        print $s "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        local $/;
        $r = <$s> // '';
        alarm 0;
        1;
    };
    alarm 0;
    my $p = http_parse($r);
    return $p ? $p->{body} : 'failed';
}

sub source_spread {
    my %c;
    $c{from_source($_)}++ for 2 .. 41;
    return \%c;
}

my $p2 = port(8082);
is(cli("add server rr/n 127.0.0.1:$p2"), "New server registered.\n\n", 'add server');
my ($st) = grep { / n / } split /\n/, cli('show servers state rr');
is(join(' ', (split / /, $st // '')[5, 6, 7]), '0 1 5',
    'added server: in maintenance, weight inherited from default-server');
is(spread(4), 'a=4', 'added server in maintenance gets nothing');
is(cli('set server rr/n state ready'), "\n", 'enable the added server');
is(spread(10), 'a=5 n=5', 'added server receives its share (both workers)');
like(cli('show stat'), qr/\nrr,a,.*\nrr,n,.*\nrr,BACKEND,/, 'show stat lists it after a');

is(cli("add server rr/n 127.0.0.1:$p2"),
    "Already exists a server with the same name in backend.\n\n", 'duplicate name');
is(cli("add server rr/m 127.0.0.1:$p2 bogus"), "unknown keyword 'bogus'.\n\n",
    'unknown option');
is(cli("add server rr/m 127.0.0.1:$p2 check"),
    "'check' option is not accepted for dynamic server.\n\n",
    'an option its module does not run on added servers (health checks) is refused');
is(cli("add server rr/m localhost:$p2 init-addr last,libc"),
    "'init-addr' option is not accepted for dynamic server.\n\n",
    'init-addr is refused for an added server (resolved at once), as HAProxy 2.6');
is(cli("add server zz/m 127.0.0.1:$p2"), "No such backend.\n", 'unknown backend');
is(cli("add server rr/m"), "'server' expects <name> and <addr>[:<port>] as arguments.\n\n",
    'missing address');

is(cli('del server rr/n'), "Only servers in maintenance mode can be deleted.\n",
    'del server refused while ready');
cli('set server rr/n state maint');
is(cli('del server rr/n'), "Server deleted.\n", 'del server');
is(spread(6), 'a=6', 'deleted server gets nothing');
ok(cli('show servers state rr') !~ / n /, 'gone from show servers state');
is(cli('del server rr/n'), "No such server.\n", 'deleted twice');
is(cli("add server rr/n 127.0.0.1:$p2 weight 10 id 9"), "New server registered.\n\n",
    'same name again, with options');
is(cli('get weight rr/n'), "10 (initial 10)\n\n", 'options applied');
($st) = grep { / n / } split /\n/, cli('show servers state rr');
is((split / /, $st // '')[2], 9, 'id option applied');
cli('enable server rr/n');
is(spread(15), 'a=5 n=10', 'weights 5:10');

# balance source: a hash-based backend rebuilds its table with the new server
is_deeply(source_spread(), { a => 40 }, 'balance source: one server, every source');
is(cli("add server src/n 127.0.0.1:$p2"), "New server registered.\n\n",
    'add server to a balance source backend');
cli('enable server src/n');
my $c = source_spread();
ok(($c->{n} // 0) > 0 && ($c->{a} // 0) > 0 && !$c->{failed},
    'balance source: the added server takes a part of the sources')
    or diag(explain($c));
cli('set server src/a state maint');
is_deeply(source_spread(), { n => 40 }, 'balance source: only the added server left');

cli("add server src/m$_ 127.0.0.1:$p2") for 1 .. 1;
like(cli("add server src/m9 127.0.0.1:$p2"), qr/^No free server slot left/,
    'slots are limited by tune.dynamic-servers');
