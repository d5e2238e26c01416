#!/usr/bin/perl
# Connection retries: a refused connection is retried (after the turn-around delay) and,
# with option redispatch, redispatched to another server; errors only after the last retry.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Time::HiRes qw/ time /;
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
$t->origin_http(port(8082), body => 'good');
my $dead = port(8099); # reserved by the harness, nothing listens on it
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout connect 200ms
listen redisp
    bind 127.0.0.1:%%PORT_8080%%
    retries 3
    option redispatch
    server dead 127.0.0.1:%%PORT_8099%%
    server good 127.0.0.1:%%PORT_8082%%
listen every
    bind 127.0.0.1:%%PORT_8090%%
    retries 3
    option redispatch 1
    server dead 127.0.0.1:%%PORT_8099%%
    server good 127.0.0.1:%%PORT_8082%%
listen noredisp
    bind 127.0.0.1:%%PORT_8091%%
    retries 2
    server dead 127.0.0.1:%%PORT_8099%%
listen zero
    bind 127.0.0.1:%%PORT_8092%%
    retries 0
    option redispatch
    server dead 127.0.0.1:%%PORT_8099%%
    server good 127.0.0.1:%%PORT_8082%%
EOF2

# roundrobin starts with "dead": 3 retries, the last one redispatched
my $t0 = time;
my $r = http_parse(http_get('/', port => port(8080)));
my $el = time - $t0;
ok($r && $r->{status} == 200 && $r->{body} eq 'good', 'redispatched to the good server');
cmp_ok($el, '>=', 0.35, sprintf('after two turn-around delays of 200 ms (%.2fs)', $el));
cmp_ok($el, '<', 2, 'but not much more');

$t0 = time;
$r = http_parse(http_get('/', port => port(8090)));
$el = time - $t0;
ok($r && $r->{status} == 200 && $r->{body} eq 'good', 'option redispatch 1: served');
cmp_ok($el, '<', 0.15, sprintf('redispatched at the first retry, no delay (%.2fs)', $el));

$t0 = time;
$r = http_parse(http_get('/', port => port(8091)));
$el = time - $t0;
is($r ? $r->{status} : 0, 503, 'no redispatch, single dead server: 503');
cmp_ok($el, '>=', 0.35, sprintf('only after the retries (%.2fs)', $el));

$r = http_parse(http_get('/', port => port(8092)));
is($r ? $r->{status} : 0, 503, 'retries 0: the first failure is final');
