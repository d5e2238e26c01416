#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "init-addr last" as HAProxy 2.6: a server named by a host name takes the address (and the
# port) its line of the server-state file saved ("srv_addr", "srv_port"), tried in the order
# of the methods with libc, none and an IP address; no line for it: the next method; no
# "init-addr" at all: HAProxy's default, "last,libc". A name that resolves to another
# address keeps the state file's address when "last" comes first. No method that works:
# the load fails with HAProxy's words.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(21);
# the same port on two loopback addresses: the configuration's name (localhost) gives
# 127.0.0.1, the state file says 127.0.0.2
$t->origin_http(port(8801), handler => sub { (200, ['X-Srv' => 'config-addr'], "c\n") });
$t->origin_http(port(8801), addr => '127.0.0.2',
    handler => sub { (200, ['X-Srv' => 'state-addr'], "s\n") });
$t->origin_http(port(8803), addr => '127.0.0.2',
    handler => sub { (200, ['X-Srv' => 'state-port'], "p\n") });
$t->ignore_alerts(qr/./) unless Test::Portico::portico(); # HAProxy's own notices
my $dir = $t->testdir;
my $sock = "$dir/cli.sock";
sub cli { cli_send($sock, "$_[0]\n") }

# be1..be6, each behind its own frontend (ports 8811..8816); %o: global and defaults lines
sub conf {
    my (%o) = @_;
    $o{$_} //= '' for qw/ global defaults /;
    my $c = <<"EOF2";
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
$o{global}
defaults
    mode http
    %%TIMEOUTS%%
$o{defaults}
backend be1
    server s localhost:%%PORT_8801%% init-addr last,libc,none
backend be2
    server s localhost:%%PORT_8802%% init-addr last,libc
backend be3
    server s localhost:%%PORT_8801%% init-addr last,libc
backend be4
    server s localhost:%%PORT_8801%%
backend be5
    server s localhost:%%PORT_8801%% init-addr libc,last
backend be6
    server s nosuch.invalid:%%PORT_8801%% init-addr last,none
EOF2
    $c .= "frontend fe$_\n    bind 127.0.0.1:%%PORT_881$_%%\n    default_backend be$_\n" for 1 .. 6;
    return $c;
}

# "srv_addr:srv_port" of backend <be>'s server, from show servers state
sub addr_of {
    my ($be) = @_;
    for (split /\n/, cli("show servers state $be")) {
        my @f = split / /;
        return "$f[4]:$f[18]" if @f > 18 && $f[1] eq $be;
    }
    return 'none';
}

sub get {
    my ($n) = @_;
    my $r = http_parse(http("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        port => port(8810 + $n))) // {};
    return ($r->{status} // 0) . ' ' . ($r->{h}{'x-srv'} // '');
}

# 1. no state file: the configuration's addresses; be6's name does not resolve ("none")
$t->config(conf())->run();
wait_until(5, sub { -S $sock });
is(addr_of('be1'), '127.0.0.1:' . port(8801), 'no state file: the name resolved by libc');
is(get(1), '200 config-addr', 'no state file: traffic to the resolved address');
my $saved = cli('show servers state');
my %line = map { my @f = split / /; @f > 18 ? ($f[1] => \@f) : () } split /\n/, $saved;
is($line{be1}[17] // '', 'localhost', 'show servers state: srv_fqdn is the configuration\'s name');
is($line{be6}[4] // '', '-', 'show servers state: no address (init-addr none) saved as "-"');
$t->stop;

# 2. the state file: 127.0.0.2 for be1, be2 (with another port), be4, be5, be6; no line for be3
my $state = "1\n";
for (split /\n/, $saved) {
    my @f = split / /;
    next unless @f > 18 && $f[1] =~ /^be(\d)$/;
    next if $1 == 3;
    @f[4, 5, 6] = ('127.0.0.2', 2, 0);
    $f[18] = port(8803) if $1 == 2;
    $state .= join(' ', @f) . "\n";
}
$t->write_file('state/global.state', $state);
$t->config(conf(global => "    server-state-file $dir/state/global.state",
    defaults => '    load-server-state-from-file global'))->run();
wait_until(5, sub { -S $sock });
is(addr_of('be1'), '127.0.0.2:' . port(8801), 'last,libc,none: the state file\'s address, not the name\'s');
is(get(1), '200 state-addr', 'last,libc,none: traffic to the state file\'s address');
is(addr_of('be2'), '127.0.0.2:' . port(8803), 'last,libc: the state file\'s address and port');
is(get(2), '200 state-port', 'last,libc: traffic to the state file\'s address and port');
is(addr_of('be3'), '127.0.0.1:' . port(8801), 'no line for the server: the next method (libc)');
is(get(3), '200 config-addr', 'no line for the server: traffic to the resolved address');
is(addr_of('be4'), '127.0.0.2:' . port(8801), 'no init-addr: the default is last,libc');
is(get(4), '200 state-addr', 'no init-addr: traffic to the state file\'s address');
is(addr_of('be5'), '127.0.0.1:' . port(8801), 'libc,last: the name resolves, libc wins');
is(get(5), '200 config-addr', 'libc,last: traffic to the resolved address');
is(addr_of('be6'), '127.0.0.2:' . port(8801), 'a name that does not resolve: the state file\'s address');
is(get(6), '200 state-addr', 'a name that does not resolve: traffic to the state file\'s address');
# the name cannot be changed at run time without "resolvers" (HAProxy's answers)
is(cli('set server be1/s fqdn'), "set server <b>/<s> fqdn requires a FQDN.\n\n",
    'set server fqdn without a name');
is(cli('set server be1/s fqdn app.example.com'),
    "set server <b>/<s> fqdn failed because no resolution is configured.\n\n",
    'set server fqdn: refused, no resolution is configured');
$t->stop;

# 3. -c: no method works (the only one, "last", has nothing): refused with HAProxy's words;
# with the state file, the same configuration is valid
sub check_cfg {
    my ($global, $defaults) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\n$global\ndefaults\n    mode http\n    %%TIMEOUTS%%\n$defaults\n"
        . "backend be6\n    server s nosuch.invalid:80 init-addr last\n"
        . "frontend f\n    bind 127.0.0.1:1\n    default_backend be6\n");
    return $c->check_config();
}
my ($rc, $o) = check_cfg('', '');
isnt($rc, 0, 'init-addr last, no state file, a name that does not resolve: refused') or diag($o);
like($o, qr/no method found to resolve address 'nosuch\.invalid'/, 'refused with HAProxy\'s message') or diag($o);
($rc, $o) = check_cfg("    server-state-file $dir/state/global.state",
    '    load-server-state-from-file global');
is($rc, 0, 'the same with the state file (a line for be6/s): valid') or diag($o);
