#!/usr/bin/perl
# Lua set_var (lua/examples/set_var.lua, HAProxy's reg-tests/lua/set_var.vtc): a variable
# of any scope is created; a bad scope fails; with "ifexist", a "proc." variable is set only
# when the configuration names it (or it was set before), the other scopes are created.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(12);
my $script = File::Spec->rel2abs('lua/examples/set_var.lua');
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe1
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.set_var
frontend fe2
    bind 127.0.0.1:%%PORT_8081%%
    http-request set-header Dummy %[var(proc.fe2_foo)]
    http-request use-service lua.set_var_ifexist
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

sub try {
    my ($port, $var) = @_;
    my $r = http_parse(http_get('/', port => port($port), headers => { Var => $var }));
    return $r ? "$r->{status} " . ($r->{h}{echo} // '-') : 'no answer';
}
is(try(8080, 'txn.fe1_foo'), '202 value', 'set_var creates a txn variable');
is(try(8080, 'proc.fe1_foo'), '202 value', 'set_var creates a proc variable');
is(try(8080, 'invalid.var'), '400 (nil)', 'a bad scope fails');
is(try(8081, 'proc.fe2_foo'), '202 value', 'ifexist: a proc variable the configuration names');
is(try(8081, 'proc.fe2_bar'), '400 (nil)', 'ifexist: an unknown proc variable is not set');
is(try(8081, 'txn.fe2_foo'), '202 value', 'ifexist: a txn variable is created');
is(try(8081, 'sess.fe2_foo'), '202 value', 'ifexist: a sess variable is created');
is(try(8081, 'proc.fe1_foo'), '202 value', 'ifexist: a proc variable set before');
is(try(8081, 'req.fe2_foo'), '202 value', 'ifexist: a req variable is created');
is(try(8081, 'invalid.var'), '400 (nil)', 'ifexist: a bad scope fails');
is(try(8081, 'proc.fe2_bar'), '400 (nil)', 'ifexist: still not set');
