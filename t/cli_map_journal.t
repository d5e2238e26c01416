#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Many runtime map changes through a small change journal (portico: a test-only 64 KiB
# journal, reused from its start once every process applied it): thousands of "set map"
# and "add map"/"del map" later, every worker (2) and the runtime API agree on the entries;
# a worker that replaces a killed one starts with them (portico: HAProxy has no workers).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

$ENV{PORTICO_TEST_PATREF_JOURNAL} = 65536;
my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
my $dir = $t->testdir;
$t->write_file('m.map', "/a zero\n");
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain lf-string "%[path,map($dir/m.map,none)]"
EOF2
my $sock = "$dir/cli.sock";

sub seen {
    my ($path) = @_;
    my %b;
    for (1 .. 8) {
        my $r = http_parse(http_get($path));
        $b{$r ? ($r->{status} == 200 ? $r->{body} : $r->{status}) : 'failed'} = 1;
    }
    return join('|', sort keys %b);
}

# 40 batches of 100 changes (about 400 KiB of journal entries)
my $bad = 0;
for my $b (1 .. 40) {
    my $cmds = join(';', map { "set map $dir/m.map /a v$b-$_" } 1 .. 50);
    $cmds .= ';' . join(';', map { "add map $dir/m.map /k$_ x; del map $dir/m.map /k$_" } 1 .. 25);
    my $out = cli_send($sock, "$cmds\n");
    $bad++ if $out =~ /\S/;
    seen('/a') if $b % 10 == 0;
}
is($bad, 0, 'every change accepted (the journal is reused)');
is(seen('/a'), 'v40-50', 'every worker has the last value');
like(cli_send($sock, "show map $dir/m.map\n"), qr/\A0x[0-9a-f]+ \/a v40-50\n\n\z/,
    'the runtime API agrees; the added and deleted keys are gone');
is(seen('/k1'), 'none', 'deleted keys: gone in every worker');

SKIP: {
    skip 'portico only: HAProxy runs threads, not workers', 1 unless $t->portico;
    my @w = $t->wait_workers(2, 5);
    my $victim = $w[0];
    $t->ignore_alerts(qr/worker.*(?:exited|killed|signal)/i);
    cli_send($sock, "set map $dir/m.map /a after\n");
    kill 'KILL', $victim;
    my $deadline = time + 10;
    until ((grep { $_ != $victim } $t->workers) >= 2 || time > $deadline) {
        select(undef, undef, undef, 0.1);
    }
    is(seen('/a'), 'after', 'a replacement worker has the runtime changes');
}
