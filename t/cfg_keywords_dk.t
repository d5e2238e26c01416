#!/usr/bin/perl
# Table-driven: every configuration keyword, sample fetch, converter and ACL keyword that
# HAProxy 2.6 lists with -dKall (t/data/haproxy-2.6-dKall.txt, from HAProxy 2.6.12) goes
# through "-c" in one configuration; none may be answered "unknown": portico either accepts
# it or says "not supported yet" (or what is wrong with its arguments). The HAProxy actions,
# fetches and converters portico runs (set-src, tarpit, json_query...) must pass "-c".
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new();
plan skip_all => 'portico only (HAProxy knows its own keywords)' unless Test::Portico::portico();

open my $fh, '<', 't/data/haproxy-2.6-dKall.txt' or die "t/data/haproxy-2.6-dKall.txt: $!";
my ($sec, $cfgsec, %kw);
while (my $l = <$fh>) {
    chomp $l;
    if ($l =~ /^# List of registered (ACL keywords|configuration keywords|sample converter|sample fetch|CLI|filter|service)/) {
        $sec = $1;
        next;
    }
    next if $l =~ /^#/ || $l !~ /\S/ || !$sec;
    if ($sec eq 'ACL keywords') {
        push @{$kw{acl}}, $1 if $l =~ /^(\S+) =/;
    } elsif ($sec eq 'configuration keywords') {
        if ($l =~ /^(\S+)$/) { $cfgsec = $1; next }
        next unless $cfgsec && ($cfgsec eq 'global' || $cfgsec eq 'listen');
        next unless $l =~ /^\t([a-z0-9][\w.-]*)$/; # section keywords, not bind/server options
        push @{$kw{$cfgsec}}, $1;
    } elsif ($sec eq 'sample converter') {
        push @{$kw{conv}}, $1 if $l =~ /^([\w.-]+)/;
    } elsif ($sec eq 'sample fetch') {
        push @{$kw{fetch}}, $1 if $l =~ /^\[[ .Y]*\] ([\w.+-]+)/;
    }
}
close $fh;

my @cfg = ("global");
my %what; # line number => description
my $add = sub { my ($line, $desc) = @_; push @cfg, $line; $what{scalar @cfg} = $desc };
# keywords that would change how the rest of this file is read (environment, includes)
my %skip = map { $_ => 1 } qw/ resetenv unsetenv setenv presetenv /;
$add->("    $_", "global keyword '$_'") for grep { !$skip{$_} } @{$kw{global}};
push @cfg, "defaults", "    mode http", "listen l", "    bind 127.0.0.1:1";
$add->("    $_", "proxy keyword '$_'") for @{$kw{listen}};
my $i = 0;
$add->("    http-request set-var(txn.f" . $i++ . ") $_", "fetch '$_'") for @{$kw{fetch}};
$add->("    http-request set-var(txn.c" . $i++ . ") str(a),$_", "converter '$_'") for @{$kw{conv}};
$add->("    acl a" . $i++ . " $_ x", "ACL keyword '$_'") for @{$kw{acl}};

# HAProxy actions portico runs now: each line must pass "-c" (HAProxy 2.6.12 accepts them all)
my @actions = (
    'tcp-request connection set-src ipv4(10.0.0.1)', 'tcp-request connection set-dst-port int(81)',
    'tcp-request connection silent-drop if { src 192.0.2.1 }',
    'tcp-request content set-dst ipv4(10.0.0.2)', 'tcp-request content set-src-port int(1)',
    'tcp-request content set-priority-class int(1)', 'tcp-request content silent-drop if FALSE',
    'http-request set-src req.hdr(x-ip)', 'http-request set-dst-port int(8080)',
    'http-request set-priority-class int(-5)', 'http-request set-priority-offset int(100)',
    'http-request tarpit deny_status 429 if FALSE', 'http-request silent-drop if FALSE',
    'http-request wait-for-body time 1s at-least 1k', 'http-request early-hint link "</a.css>"',
    'http-request disable-l7-retry', 'http-response silent-drop if FALSE',
    'http-response wait-for-body time 1s',
    'timeout tarpit 1s', 'http-request set-var(txn.x) str(a),xxh3(1)',
    'http-request set-var(txn.y) str(a),json_query($.a,int)',
    'http-request set-var(txn.z) fe_req_rate', 'http-request set-var(txn.w) fe_sess_rate',
    'http-request set-var(txn.p) prio_class', 'http-request set-var(txn.o) prio_offset',
    'http-request set-var(txn.c) cpu_calls', 'http-request set-var(txn.n) lat_ns_tot',
);
my $afile = $t->write_file('dk_actions.cfg', join("\n", 'defaults', '    mode http',
    'listen l', '    bind 127.0.0.1:1', (map { "    $_" } @actions),
    '    server s 127.0.0.1:2', 'backend b', '    http-request set-var(txn.v) be_sess_rate',
    '    server s 127.0.0.1:2', 'backend bt', '    mode tcp',
    '    tcp-response content silent-drop if FALSE', '    server s 127.0.0.1:2') . "\n");
my ($arc, $aout) = $t->run_binary({ timeout => 60 }, '-c', '-f', $afile);

plan tests => 7 + scalar(keys %what);
is($arc, 0, 'the actions, fetches and converters portico now runs pass -c') or diag($aout);
cmp_ok(scalar @{$kw{global} || []}, '>', 50, 'global keywords read from the table');
cmp_ok(scalar @{$kw{listen} || []}, '>', 20, 'proxy keywords read');
cmp_ok(scalar @{$kw{fetch} || []}, '>', 300, 'fetches read');
cmp_ok(scalar @{$kw{conv} || []}, '>', 100, 'converters read');
cmp_ok(scalar @{$kw{acl} || []}, '>', 50, 'ACL keywords read');

my $file = $t->write_file('dk.cfg', join("\n", @cfg) . "\n");
my ($rc, $out) = $t->run_binary({ timeout => 60 }, '-c', '-f', $file);
isnt($rc, 0, 'the configuration is refused (many keywords need arguments or are not supported)');
my %msg;
for (split /\n/, $out) {
    push @{$msg{$1}}, $_ if /dk\.cfg:(\d+):/;
}
for my $n (sort { $a <=> $b } keys %what) {
    my @bad = grep { /\bunknown (keyword|fetch|converter|action|ACL)/i } @{$msg{$n} || []};
    ok(!@bad, "$what{$n}: not 'unknown'") or diag(join("\n", @bad));
}
