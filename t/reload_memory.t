#!/usr/bin/perl
# Tests for repeated reloads: after 100 reloads the master holds as much memory and as many
# descriptors as after 1, the workers are only the current ones, and "mworker-max-reloads"
# ends a previous worker that outlives that many reloads.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(8);
$t->origin_http(port(8081), raw => sub {
    my ($c) = @_;
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\nConnection: close\r\n\r\n");
    for (1 .. 20) { sleep 0.5; syswrite($c, 'z' x 1000) or last }
});
sub cfg {
    my ($n) = @_;
    return <<"EOF2";
global
    maxconn 100
    workers 2
    mworker-max-reloads 2
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain string "gen$n" if { path /gen }
    default_backend be
EOF2
}

sub master_usage {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return (0, 0);
    my ($rss) = map { /^VmRSS:\s+(\d+)/ ? $1 : () } <$fh>;
    opendir my $d, "/proc/$pid/fd" or return ($rss, 0);
    my $fds = grep { /^\d+$/ } readdir $d;
    return ($rss // 0, $fds);
}

$t->config(cfg(0))->run();
$t->wait_workers(2, 5);

# a 10 s download held by generation 1: mworker-max-reloads 2 ends it at the 3rd reload
my $slow = http("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
sleep 0.3;
$t->reload(cfg($_)) for 1 .. 3;
ok($t->wait_log(qr/survived 3 reloads \(mworker-max-reloads 2\)/, 5),
    'mworker-max-reloads: the worker of generation 1 is told to go at the 3rd reload');
my $body = http_end($slow, timeout => 5, quiet => 1);
unlike($body, qr/z{20000}/, '... and its download is cut');

my ($rss1, $fds1) = master_usage($t->pid);
my $fails = 0;
for my $g (4 .. 100) {
    my $line = $t->reload(cfg($g));
    $fails++ unless $line && $line =~ /Reload complete/;
}
is($fails, 0, '97 more reloads complete');
my $r = http_parse(http_get('/gen'));
is($r && $r->{body}, 'gen100', 'the 100th configuration serves');
ok(wait_until(5, sub { $t->workers == 2 }), 'only the 2 current workers are left');
my ($rss100, $fds100) = master_usage($t->pid);
diag("master after 3 reloads: ${rss1} kB RSS, $fds1 fds; after 100: ${rss100} kB, $fds100 fds");
ok($rss100 <= $rss1 * 1.2 + 1024, "master memory does not grow ($rss1 kB -> $rss100 kB)");
is($fds100, $fds1, "master descriptors do not grow ($fds1 -> $fds100)");
my @w = $t->workers;
my $wrss = 0;
for my $p (@w) { my ($k) = master_usage($p); $wrss += $k }
ok($wrss > 0, "workers after 100 reloads: $wrss kB RSS in all");
