#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "proc." variables are the instance's: every worker (2 here) reads and changes one value,
# the runtime API's "get var" reads it and "set var" (experimental mode) changes it for all
# of them. HAProxy (threads of one process) gives the same answers.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(17);
my $dir = $t->testdir;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    stats socket %%TESTDIR%%/op.sock level operator
    nbthread 2
    set-var proc.n int(0)
    set-var proc.s str(hello)
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(proc.n) var(proc.n),add(1) if { path /inc }
    http-request return status 200 content-type text/plain lf-string "n=%[var(proc.n)] s=%[var(proc.s)] x=%[var(proc.x)]"
EOF2
my $sock = "$dir/cli.sock";
sub get { my $r = http_parse(http_get($_[0])); return $r && $r->{status} == 200 ? $r->{body} : 'failed' }
sub cli { my $o = cli_send($_[1] // $sock, "$_[0]\n") // ''; $o =~ s/\A\n+//; $o =~ s/\n+\z//; return $o }

# 20 increments, one connection each (spread over both workers): one counter
my @n;
for (1 .. 20) { push @n, get('/inc') =~ /n=(\d+)/ ? $1 : -1 }
is("@n", join(' ', 1 .. 20), 'every worker increments the same proc.n');
is(cli('get var proc.n'), 'proc.n: type=sint value=<20>', 'get var reads it');
is(cli('get var proc.s'), 'proc.s: type=str value=<hello>', 'a string set in global');
is(cli('get var proc.nope'), 'Variable not found.', 'an unknown variable');
is(cli('get var'), 'Missing process-wide variable identifier.', 'get var without a name');
is(cli('get var txn.a'), 'Variable not found.', 'only proc. variables are found');

# set var: experimental mode only
is(cli('set var proc.s str(world)'), 'This command is restricted to experimental mode only.',
    'set var needs experimental mode');
is(cli('experimental-mode'), 'experimental-mode is OFF', 'experimental-mode shows the mode');
is(cli('experimental-mode on; experimental-mode'), 'experimental-mode is ON', 'per session');
is(cli('experimental-mode on; set var proc.s str(world)'), '', 'set var proc.s');
my %s;
$s{ get('/') =~ /s=(\S*)/ ? $1 : 'failed' } = 1 for 1 .. 8;
is(join('|', sort keys %s), 'world', 'every worker sees the new value');
is(cli('experimental-mode on; set var proc.x fmt %[var(proc.n)]-y'), '', 'set var ... fmt');
like(get('/'), qr/^n=20 s=world x=20-y$/, 'a new variable from the runtime API, in the workers');
is(cli('experimental-mode on; set var proc.x expr int(7),mul(6); get var proc.x'),
    'proc.x: type=sint value=<42>', 'set var ... expr');
is(cli('experimental-mode on; set var txn.a str(1)'),
    "'set var': cannot set variable 'txn.a', only scope 'proc' is permitted here.",
    'only proc. variables may be set');
is(cli('experimental-mode on', "$dir/op.sock"), 'Permission denied', 'the modes need admin');
is(cli('experimental-mode on; operator; set var proc.s str(z)'),
    'This command is restricted to experimental mode only.', 'a lower level leaves the mode');
