#!/usr/bin/perl
# A runtime API command registered by a Lua script (core.register_cli, lua/examples/cli.lua):
# its function receives the words typed and answers with applet:send().
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ cli_send port wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(3);
my $script = File::Spec->rel2abs('lua/examples/cli.lua');

$t->config(<<"EOF2");
global
    stats socket %%TESTDIR%%/cli.sock level admin
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
$t->run();
my $sock = $t->testdir . '/cli.sock';
wait_until(5, sub { -S $sock && cli_send($sock, "help\n") =~ /lua greet/ });
my $a = cli_send($sock, "lua greet world\n");
is($a, "hello world from lua greet\n\n", 'the Lua command answers with the words typed')
    or diag(join(' ', map { sprintf '%02x', ord } split //, $a));
like(cli_send($sock, "help\n"), qr/lua greet/, 'listed by help');
is(cli_send($sock, "lua greet\n"), "hello nobody from lua greet\n\n", 'without the optional word');
