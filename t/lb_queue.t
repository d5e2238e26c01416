#!/usr/bin/perl
# Queues: a request waiting for a server slot is served when the slot frees; it gets a 503
# once "timeout queue" expires.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Time::HiRes qw/ time /;
use Test::Portico qw/ http_get http http_end http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    my ($d) = $req->{uri} =~ /sleep=([\d.]+)/;
    select(undef, undef, undef, $d) if $d;
    return (200, ['Content-Type' => 'text/plain'], "done $req->{uri}");
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
listen waits
    bind 127.0.0.1:%%PORT_8080%%
    timeout queue 5s
    server a 127.0.0.1:%%PORT_8081%% maxconn 1
listen short
    bind 127.0.0.1:%%PORT_8090%%
    timeout queue 300ms
    server a 127.0.0.1:%%PORT_8081%% maxconn 1
EOF2

my $first = http("GET /one?sleep=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
select(undef, undef, undef, 0.2);
my $t0 = time;
my $r = http_parse(http_get('/two'));
my $el = time - $t0;
ok($r && $r->{status} == 200 && $r->{body} eq 'done /two', 'queued request served');
cmp_ok($el, '>=', 0.5, sprintf('it waited for the slot (%.2fs)', $el));
my $r1 = http_parse(http_end($first));
ok($r1 && $r1->{status} == 200, 'first request served');

my $hold = http("GET /hold?sleep=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    start => 1, port => port(8090));
select(undef, undef, undef, 0.2);
$t0 = time;
$r = http_parse(http_get('/late', port => port(8090)));
$el = time - $t0;
is($r ? $r->{status} : 0, 503, '503 after timeout queue');
cmp_ok($el, '<', 1.5, sprintf('after about 300 ms (%.2fs)', $el));
$r = http_parse(http_end($hold));
ok($r && $r->{status} == 200, 'the request holding the slot completed');
