#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "ring" sections and "log ring@<name>" (issue 13): lines from every worker kept in a shared
# in-memory buffer in the ring's format, read with "show events <ring>" (oldest first, -n,
# -w following new lines until a key is sent), the sink list, the oldest lines dropped when
# the ring is full, and the configuration errors. The sink list and the dumps are HAProxy
# 2.6's; runs against it too (PORTICO_TEST_BINARY=/usr/sbin/haproxy).
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get port cli_send wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(24);
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
ring big
    description "Local buffer"
    format rfc3164
    maxlen 1200
    size 32768
ring tiny
    format raw
defaults
    mode http
    %%TIMEOUTS%%
    log global
    option httplog
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log ring@big local7
    log ring@tiny format raw local0
    default_backend be
backend be
    server s1 127.0.0.1:%%PORT_8081%%
EOF
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

my $list = cli('show events');
like($list, qr/^Supported events sinks are listed below\. Add -w\(wait\), -n\(new\)\. Any key to stop\n/,
    'sink list: header');
like($list, qr/^    big        : type=buffer, 0 dropped, Local buffer\n/m, 'sink list: ring with description');
like($list, qr/^    tiny       : type=buffer, 0 dropped, tiny\n/m, 'sink list: ring without one shows its name');
like($list, qr/^    stdout     : type=fd, 0 dropped, standard output \(fd#1\)\n/m, 'sink list: stdout');

is(cli('show events big'), "\n", 'empty ring');
http_get("/r$_") for 1 .. 6;
ok(wait_until(5, sub { scalar(() = cli('show events big') =~ /GET \/r\d/g) == 6 }),
    'six requests logged into the ring');
my @lines = grep { length } split /\n/, cli('show events big');
is(scalar @lines, 6, 'one line per request');
like($lines[0], qr/^<190>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ \S+\[\d+\]: 127\.0\.0\.1:\d+ \[[^]]+\] fe be\/s1 \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- /,
    'ring format rfc3164: priority, date, host, tag, then the httplog line');
my @order = map { /GET \/r(\d)/ ? $1 : 0 } @lines;
is_deeply([sort @order], [1 .. 6], 'every request once');
is(cli('show events big -n'), "\n", '-n: nothing new');
like(cli('show events tiny'), qr/^127\.0\.0\.1:\d+ \[/m, 'format raw: the bare line');

# A full ring drops its oldest lines.
http_get("/fill$_" . ('x' x 1500)) for 1 .. 20;
my @tiny;
wait_until(5, sub { @tiny = grep { length } split /\n/, cli('show events tiny'); grep { /fill20x/ } @tiny });
ok(@tiny > 0 && @tiny < 26, 'tiny ring keeps only the newest lines (' . scalar(@tiny) . ')');
like($tiny[-1], qr/GET \/fill20x/, 'the newest line is kept');
unlike(join("\n", @tiny), qr/GET \/r1 /, 'the oldest lines are gone');

# Errors.
is(cli('show events nosuch'), "No such event sink\n", 'unknown sink');
is(cli('show events big -x'), "unknown option\n", 'unknown option');
is(cli('show events stdout'), "Nothing to report for this sink\n", 'fd sink');

# -w: follows the ring; a key ends it.
my $c = IO::Socket::UNIX->new(Peer => $sock) or die "cli: $!";
syswrite $c, "show events big -n -w\n";
sleep 0.3;
http_get('/followed');
my $got = '';
my $sel = IO::Select->new($c);
my $deadline = time + 5;
while ($got !~ /GET \/followed/ && time < $deadline) {
    last unless $sel->can_read($deadline - time);
    last unless sysread($c, my $b, 4096);
    $got .= $b;
}
like($got, qr/GET \/followed HTTP/, '-w: a new line arrives while following');
unlike($got, qr/GET \/r1 /, '-n -w: older lines are not sent');
syswrite $c, "\n";
my $end = '';
$deadline = time + 5;
while (time < $deadline && $sel->can_read($deadline - time)) {
    my $n = sysread($c, my $b, 4096);
    last unless $n;
    $end .= $b;
}
SKIP: {
    skip 'HAProxy keeps the session open after the key', 1 unless $t->portico;
    ok(time < $deadline, '-w: a key ends the command and the session closes');
}

# Configuration errors and warnings.
$t->write_file('bad1.cfg', <<'EOF');
global
ring r1
    size 20000
    server s 127.0.0.1:514
EOF
my ($rc, $out) = $t->run_binary('-c', '-f', $t->testdir . '/bad1.cfg');
SKIP: {
    skip 'HAProxy forwards rings to servers', 1 unless $t->portico;
    ok($rc != 0 && $out =~ /bad1\.cfg:4: .*'server' in a ring section/,
        '-c: ring server refused with file:line') or diag $out;
}
$t->write_file('bad2.cfg', <<'EOF');
global
ring r1
    maxlen 40000
    size 1000
frontend fe
    mode http
    bind 127.0.0.1:1
    log ring@nosuch local0
EOF
($rc, $out) = $t->run_binary('-c', '-f', $t->testdir . '/bad2.cfg');
like($out, qr/ring 'r1' event max length '40000' exceeds size, forced to size '16384'/,
    '-c: maxlen over size forced, with a warning');
like($out, qr/bad2\.cfg(?::4:|:4\] :) .*ignoring new size '1000' that is smaller than current size '16384' for ring 'r1'/,
    '-c: a smaller size is ignored, with a warning');
SKIP: {
    skip 'HAProxy names the unknown ring differently', 1 unless $t->portico;
    ok($rc != 0 && $out =~ /bad2\.cfg:8: .*ring\@nosuch/, '-c: an unknown ring, with file:line')
        or diag $out;
}
