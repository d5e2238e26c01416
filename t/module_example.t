#!/usr/bin/perl
# Tests for the out-of-tree example module: built against an installed portico, loaded with
# module-load, its "example-header" keyword adds a response header.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(5);
my $tmp = $t->testdir;

# PKG_CONFIG_PATH also goes in the environment: GNU make 4.3 does not pass command-line
# variables to $(shell ...).
sub quiet_run {
    my (@cmd) = @_;
    my %env = map { /^PKG_CONFIG_PATH=(.*)/ ? (PKG_CONFIG_PATH => $1) : () } @cmd;
    my ($rc, $out) = $t->run_command({ env => \%env, timeout => 300 }, @cmd);
    diag("@cmd:\n$out") if $rc != 0;
    return $rc;
}

is(quiet_run('make', 'install', 'DESTDIR=', "PREFIX=$tmp/inst"), 0, 'make install to a prefix');
is(quiet_run('make', '-C', 'contrib/module-example', "PKG_CONFIG_PATH=$tmp/inst/lib/pkgconfig",
    "OUT=$tmp/example.so"), 0, 'example module builds against the installed headers');

$t->origin_http(port(8081), body => 'hello-origin');
my $cfg = <<"EOF2";
global
    maxconn 1000
    module-load $tmp/example.so
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    KEYWORD
    default_backend be
EOF2

SKIP: {
    skip 'example.so not built', 3 unless -e "$tmp/example.so";
    (my $with = $cfg) =~ s/KEYWORD/example-header X-Example hello/;
    $t->config($with)->run();
    my $r = http_parse(http_get('/'));
    is($r && $r->{h}{'x-example'}, 'hello', 'X-Example: hello added by the module');
    is($r && $r->{body}, 'hello-origin', 'body unchanged');
    $t->stop();

    (my $without = $cfg) =~ s/KEYWORD//;
    $t->config($without)->run();
    $r = http_parse(http_get('/'));
    ok($r && $r->{status} == 200 && !exists $r->{h}{'x-example'},
        'no X-Example header without the keyword');
}
