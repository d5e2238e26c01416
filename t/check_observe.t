#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Passive checks: "observe layer7 error-limit 5 on-error mark-down". A server answering
# 500 to the traffic is ejected (DOWN, "Health analyze") after 5 consecutive errors while
# the other keeps serving; once it answers well it comes back through its active check.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
my $dir = $t->testdir;
sub app {
    my ($name) = @_;
    return sub {
        my ($req) = @_;
        return (200, [], "health\n") if $req->{uri} eq '/health';
        return (500, [], "broken\n") if -e "$dir/broken_$name";
        return (200, [], $name);
    };
}
$t->origin_http(port(8081), handler => app('a'));
$t->origin_http(port(8082), handler => app('b'));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    balance roundrobin
    option httpchk GET /health
    server s1 127.0.0.1:%%PORT_8081%% check inter 500ms fastinter 3s downinter 3s rise 2 fall 3 observe layer7 error-limit 5 on-error mark-down
    server s2 127.0.0.1:%%PORT_8082%% check inter 500ms rise 2 fall 3 observe layer7 error-limit 5 on-error mark-down
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = "$dir/cli.sock";
sub st { show_stat($sock)->{$_[0]} // {} }

ok(wait_until(5, sub { (st('be/s1')->{check_status} // '') =~ /L7OK/ }), 'active checks pass');
open my $fh, '>', "$dir/broken_a" or die;
close $fh;
my $mark = $t->errlog_mark;
my %seen;
for (1 .. 24) {
    my $r = http_parse(http_get('/'));
    $seen{$r ? "$r->{status} $r->{body}" : 'failed'}++;
}
is($seen{"500 broken\n"}, 5, 'exactly error-limit (5) errors reached the client') or diag explain \%seen;
is($seen{'200 b'}, 19, 'the other server served everything else');
like($t->wait_log(qr{Server be/s1 is DOWN}, 3, $mark) // '',
    qr{Server be/s1 is DOWN, reason: Health analyze, info: "Detected 5 consecutive errors, last one was: Wrong http response"\. 1 active and 0 backup servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.$},
    'DOWN line: Health analyze, 5 consecutive errors (no check duration)');
my $s1 = st('be/s1');
# the active check (healthy /health, fastinter/downinter 3s, rise 2) brings it back in 3-7 s
# after the ejection: on a loaded machine it may already be UP again when we look
my $back = $t->wait_log(qr{Server be/s1 is UP}, 0, $mark);
like($s1->{status}, $back ? qr{^(DOWN( 1/2)?|UP)$} : qr{^DOWN( 1/2)?$},
    'show stat: DOWN (or already on its way up)');
ok($s1->{hanafail} >= 1, "hanafail counts the ejection ($s1->{hanafail})");

unlink "$dir/broken_a";
like($t->wait_log(qr{Server be/s1 is UP}, 10, $mark) // '',
    qr{Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 2 active and 0 backup servers online\.},
    'back UP through the active check');
%seen = ();
for (1 .. 6) { my $r = http_parse(http_get('/')); $seen{$r ? "$r->{status} $r->{body}" : 'failed'}++ }
is_deeply(\%seen, { '200 a' => 3, '200 b' => 3 }, 'both serve again');
is(st('be/s2')->{status}, 'UP', 'the healthy server was never touched');
