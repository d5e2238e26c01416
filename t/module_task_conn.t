#!/usr/bin/perl
# ABI 1.3 tasks and outgoing connections through a real portico: the task_conn test module
# runs a task in worker slot 0 only that connects to an echo server every 100 ms, sends
# "hello\n" and logs the line it reads back; portico keeps proxying meanwhile.
use warnings;
use strict;
use Test::More;
use File::Spec;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->portico_only()->plan(7);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

SKIP: {
    skip "$dir/task_conn.so not built", 7 unless -e "$dir/task_conn.so";
    $t->origin_tcp(port(8081));                 # the echo server the task talks to
    $t->origin_http(port(8082), body => 'ok');  # the proxied origin
    $t->config(<<"EOF2");
global
    maxconn 1000
    workers 2
    module-load $dir/task_conn.so
    testconn-target 127.0.0.1:%%PORT_8081%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8082%%
EOF2
    $t->run();

    my $lines = sub { scalar(() = $t->errlog() =~ /testconn: worker \d+ read 'hello'/g) };
    my $deadline = time + 5;
    sleep 0.05 while $lines->() < 2 && time < $deadline;
    cmp_ok($lines->(), '>=', 2, 'the echoed line is logged') or diag($t->errlog());

    # about 10 round trips a second: one worker runs the task, not both
    my $n0 = $lines->();
    my $t0 = time;
    my $r = http_parse(http_get('/', port => port(8080)));
    is($r && $r->{status}, 200, 'a proxied request is served while the task runs');
    sleep 1.0 - (time - $t0) if time - $t0 < 1.0;
    my $n = $lines->() - $n0;
    my $el = sprintf("%.2f", time - $t0);
    cmp_ok($n, '>=', 4, "several round trips in ${el}s ($n)");
    cmp_ok($n, '<=', 10 * $el + 3, "about 10 a second, not 20 ($n in ${el}s)");

    my $log = $t->errlog();
    my @slots = $log =~ /testconn: worker (\d+) read/g;
    is_deeply([sort { $a <=> $b } keys %{{ map { $_ => 1 } @slots }}], [0],
        'only worker slot 0 runs the task');
    like($log, qr/testconn: worker 0 of 2 starts its task/, 'worker_slot/worker_count seen');
    unlike($log, qr/testconn: (connection failed|no answer|EOF before)|\[ALERT\]/,
        'no connection failure, no alert') or diag($log);
    $t->stop();
}
