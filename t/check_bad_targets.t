#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Check targets that misbehave: garbage instead of HTTP, a close in the middle of the
# response, an RST, 100 MB of junk, no answer at all. Each check fails with HAProxy 2.6's
# status, within "timeout check"; the proxy's memory stays bounded and other traffic is
# served meanwhile. An RST is a socket error (SOCKERR), as in HAProxy. Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(15);
$t->ignore_alerts(qr/has no server available/);
my $head = qr/\r\n\r\n/;
my %targets = (
    garbage => [expect => $head, garbage => 3000],
    midclose => [expect => $head, send => "HTTP/1.1 200 OK\r\nContent-Le"],
    reset => [expect => $head, reset => 1],
    huge => [expect => $head, garbage => 100_000_000],
    silent => [hold => 30],
);
my (%port, $cfg);
my $i = 8100;
for my $name (sort keys %targets) {
    $port{$name} = port($i++);
    $t->origin_script($port{$name}, phases => { up => $targets{$name} });
    $cfg .= "backend b_$name\n    option httpchk GET /\n"
        . "    server s 127.0.0.1:$port{$name} check inter 500ms rise 1 fall 1\n";
}
$t->origin_http(port(8081), body => 'fine');
$t->config(<<"EOF2" . $cfg)->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server ok 127.0.0.1:%%PORT_8081%%
EOF2
my $sock = $t->testdir . '/cli.sock';

# Resident memory of the proxy and its workers, in kB.
sub rss {
    my $kb = 0;
    for my $pid ($t->pid, $t->workers) {
        open my $fh, '<', "/proc/$pid/status" or next;
        while (<$fh>) { $kb += $1 if /^VmRSS:\s+(\d+)/ }
    }
    return $kb;
}
my $rss0 = rss();

my %want = (garbage => 'L7RSP', midclose => 'L7RSP', reset => 'SOCKERR', huge => 'L7RSP',
    silent => 'L7TOUT');
my $st;
wait_until(8, sub {
    $st = show_stat($sock);
    defined $_->{check_status} and $_->{check_status} =~ s/^\* // for values %$st;
    return !grep { ($st->{"b_$_/s"}{status} // '') ne 'DOWN' } keys %want;
}, 0.1);
for my $n (sort keys %want) {
    is(($st->{"b_$n/s"}{status} // '') . ' ' . ($st->{"b_$n/s"}{check_status} // ''),
        "DOWN $want{$n}", "$n: DOWN, $want{$n}");
}
my $log = $t->errlog;
like($log, qr{Server b_garbage/s is DOWN, reason: Layer7 invalid response, check duration: \d+ms\.},
    'garbage: Layer7 invalid response');
like($log, qr{Server b_reset/s is DOWN, reason: Socket error, info: "Connection reset by peer", check duration: \d+ms\.},
    'RST: Socket error, "Connection reset by peer"');
my ($dur) = $log =~ m{Server b_silent/s is DOWN, reason: Layer7 timeout, check duration: (\d+)ms\.};
ok(defined $dur && $dur >= 900 && $dur <= 1900, 'no answer: Layer7 timeout after timeout check (1s): '
    . ($dur // 'no line') . 'ms');
my ($hdur) = $log =~ m{Server b_huge/s is DOWN, reason: Layer7 invalid response, check duration: (\d+)ms\.};
ok(defined $hdur && $hdur <= 1500, '100 MB of junk: fails within timeout check: ' . ($hdur // 'no line') . 'ms');

# Keep the misbehaving targets probed for a while, serving traffic meanwhile.
my ($ok, $bad) = (0, 0);
my $until = time + 3;
while (time < $until) {
    my $r = http_parse(http_get('/'));
    $r && $r->{status} == 200 && $r->{body} eq 'fine' ? $ok++ : $bad++;
    sleep 0.02;
}
ok($ok > 20, "other traffic served meanwhile ($ok requests)");
is($bad, 0, 'no request failed');
my @huge = $t->script_conns($port{huge});
ok(@huge >= 4, 'the 100 MB target was probed again and again (' . scalar(@huge) . ')');
my $grown = rss() - $rss0;
SKIP: {
    skip "an ASan build: RSS grew by ${grown} kB, the sanitizer's quarantine included", 1
        if $t->sanitized;
    ok($grown < 64 * 1024, "memory bounded: RSS grew by ${grown} kB");
}
is(scalar(grep { ($st->{"b_$_/s"}{chkdown} // 0) > 1 } keys %want), 0,
    'each stays DOWN (no flapping)');
my $silent = () = $t->script_conns($port{silent});
ok($silent >= 2 && $silent <= 6, "the silent target: one probe at a time ($silent connections)");
