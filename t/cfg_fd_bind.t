#!/usr/bin/perl
# Tests for bind "fd@${VAR}": a listening socket inherited from the parent process.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->origin_http(port(8081), body => 'via-inherited-fd');
my $p = $t->listen_fd('fe_1_sock', 8080);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind "fd@${fe_1_sock}"
    default_backend be
EOF2

is($p, port(8080), 'inherited socket listens on the reserved port');
my $r = http_parse(http_get('/'));
is($r && $r->{body}, 'via-inherited-fd', 'traffic through the inherited listener');
$r = http_parse(http_get('/again'));
is($r && $r->{status}, 200, 'second request through the inherited listener');
