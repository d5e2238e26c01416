#!/usr/bin/perl
# Server maxconn holds for the whole instance: two workers never exceed maxconn 1 (the
# origin counts concurrent requests), and every request is eventually served from the queue.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Fcntl qw/ :flock /;
use Time::HiRes qw/ time /;
use Test::Portico qw/ http http_end http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
my $dir = $t->testdir;
my $cnt = "$dir/concurrency";
sub bump {
    my ($d) = @_;
    open my $fh, '+>>', $cnt or die;
    flock $fh, LOCK_EX;
    seek $fh, 0, 0;
    my ($cur, $max) = split ' ', (<$fh> // '0 0');
    $cur += $d;
    $max = $cur if $cur > $max;
    truncate $fh, 0;
    print $fh "$cur $max\n";
    close $fh;
}
$t->origin_http(port(8081), handler => sub {
    bump(1);
    select(undef, undef, undef, 0.2);
    bump(-1);
    return (200, ['Content-Type' => 'text/plain'], 'ok');
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
global
    workers 2
defaults
    mode http
    %%TIMEOUTS%%
    timeout queue 20s
backend be
    server a 127.0.0.1:%%PORT_8081%% maxconn 1
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my @w = $t->wait_workers(2);
is(scalar(@w), 2, 'two workers') or diag("workers: @w");

my $t0 = time;
my @s = map { http("GET /c$_ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1) } 1 .. 12;
my $ok = 0;
for my $s (@s) {
    my $r = http_parse(http_end($s, timeout => 30));
    $ok++ if $r && $r->{status} == 200;
}
is($ok, 12, 'all 12 concurrent requests served');
my $el = time - $t0;
cmp_ok($el, '<', 12 * 0.2 + 1.2, sprintf('slots are handed over promptly (%.2fs for 12 x 0.2s)', $el));
my ($cur, $max) = split ' ', $t->read_file('concurrency');
is($max, 1, 'the origin never saw more than one request at a time');
is(scalar($t->origin_requests(port(8081))), 12, 'origin saw 12 requests');
