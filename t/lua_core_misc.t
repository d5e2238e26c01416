#!/usr/bin/perl
# Lua core.parse_addr / core.match_addr (IPv4 with bits or a dotted mask, IPv6) and
# core.http_date / imf_date / rfc850_date / asctime_date (lua/examples/core_misc.lua).
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
my %want = (bad => 'nil', bad6 => 'nil', in24 => 'true', out24 => 'false', dotted => 'true',
    rev => 'true', in6 => 'true', out6 => 'false', mixed => 'false', notnet => 'false',
    imf => 784111777, rfc850 => 784111777, asctime => 784111777, http_imf => 1709251199,
    http_asc => 784111777, http_bad => 'nil', imf_bad => 'nil');
$t->plan(2 + keys %want);
my $script = File::Spec->rel2abs('lua/examples/core_misc.lua');
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.misc
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/'));
is($r && $r->{status}, 200, 'service: 200') or diag($r && $r->{raw});
my %got = map { split /=/, $_, 2 } split /\n/, $r ? $r->{body} : '';
is($got{$_}, $want{$_}, $_) for sort keys %want;
