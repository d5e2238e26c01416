#!/usr/bin/perl
# Steady-state keep-alive HTTP proxying allocates no heap memory per request: an
# LD_PRELOAD shim counts malloc/calloc/realloc/memalign calls in each portico process.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->no_sanitizer->plan(4);
my $env = $t->alloc_counter();
ok($env, 'counting shim built');

$t->origin_http(port(8081), body => 'x' x 100);
$t->config(<<'EOF2')->run(env => $env || {});
global
    workers 1
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

my ($worker) = $t->wait_workers(1);
sub allocs { $t->allocations($worker) }

sub burst {
    my ($n) = @_;
    my @r = http_keepalive(map({ "GET /r$_ HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. $n));
    return scalar grep { $_ && $_->{status} == 200 } @r;
}

burst(50);   # warm up: pools and caches reach their steady size
my $before = allocs();
my $ok = burst(2000);
my $after = allocs();
is($ok, 2000, '2000 keep-alive requests answered');
cmp_ok($before, '>', 0, 'allocations of the worker are counted (its setup allocated)');
cmp_ok($after - $before, '<', 20,
    "no heap allocation per request (allocations during 2000 requests: "
    . ($after - $before) . ")");
