#!/usr/bin/perl
# Lua actions that yield (lua/examples/yield.lua): core.msleep and core.yield in an
# http-request action and core.msleep in an http-response action suspend only their
# stream; 50 concurrent clients on one worker all get their answer with both headers.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_end http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(5);
my $script = File::Spec->rel2abs('lua/examples/yield.lua');

$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2");
global
    nbthread 1
    maxconn 1000
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.nap 30
    http-response lua.resnap
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/one'));
like($r ? $r->{body} : '', qr/^X-Napped: 3x30\r$/mi, 'request action resumed after its sleeps')
    or diag($r && $r->{raw});

my @socks = map { http_get("/c$_", start => 1) } 1 .. 50;
my ($ok, $req_ok, $res_ok) = (0, 0, 0);
for my $i (0 .. $#socks) {
    my $x = $socks[$i] ? http_parse(http_end($socks[$i])) : undef;
    next unless $x;
    $ok++ if $x->{status} == 200;
    $req_ok++ if $x->{body} =~ /^GET \/c@{[$i + 1]} .*^X-Napped: 3x30\r$/msi;
    $res_ok++ if ($x->{h}{'x-res-napped'} // '') eq 'yes';
}
is($ok, 50, '50 concurrent clients: every one answered 200');
is($req_ok, 50, 'every request went through the sleeping request action');
is($res_ok, 50, 'every response went through the sleeping response action');
