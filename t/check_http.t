#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# HTTP health checks: "option httpchk GET /health", "http-check send hdr Host ...",
# "http-check expect status 200" (and string / rstatus): the request the target gets, L7OK
# and L7STS in "show stat" with check_code, HAProxy 2.6's DOWN/UP lines, and traffic kept
# away from the DOWN server. Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(17);
$t->ignore_alerts(qr{backend .bnomatch. has no server available});
my $dir = $t->testdir;
# Answers 200 "<name>", or 503 while the file fail_<name> exists in the test directory.
sub health {
    my ($name) = @_;
    return sub {
        my $code = -e "$dir/fail_$name" ? 503 : 200;
        return ($code, ['Content-Type' => 'text/plain'], $code == 200 ? "$name" : "sick");
    };
}
$t->origin_http(port(8081), handler => health('a'));
$t->origin_http(port(8082), handler => health('b'));
$t->origin_http(port(8083), body => "all is ok here\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    option httpchk GET /health
    http-check send hdr Host x.example
    http-check expect status 200
    server s1 127.0.0.1:%%PORT_8081%% check inter 200ms rise 2 fall 2
    server s2 127.0.0.1:%%PORT_8082%% check inter 200ms rise 2 fall 2
backend bstr
    option httpchk
    http-check expect string ok\ here
    server x 127.0.0.1:%%PORT_8083%% check inter 200ms
backend brst
    option httpchk HEAD /ping HTTP/1.1\r\nHost:\ y.example
    http-check expect rstatus ^2[0-9]{2}$
    server y 127.0.0.1:%%PORT_8083%% check inter 200ms
backend bnomatch
    option httpchk GET /
    http-check expect string nowhere-in-the-body
    server z 127.0.0.1:%%PORT_8083%% check inter 200ms
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = "$dir/cli.sock";
# One row of show stat; check_status without HAProxy's "* " (a check in progress) prefix.
sub st {
    my $r = show_stat($sock)->{$_[0]} // {};
    $r->{check_status} =~ s/^\* // if defined $r->{check_status};
    return $r;
}
sub body_of { my $r = http_parse(http_get('/')); $r && $r->{status} == 200 ? $r->{body} : 'failed' }

ok(wait_until(5, sub { (st('be/s1')->{check_status} // '') eq 'L7OK'
    && (st('be/s2')->{check_status} // '') eq 'L7OK' }), 'http-check expect status 200: L7OK');
is(st('be/s1')->{check_code}, 200, 'check_code 200');
my ($req) = grep { $_->{uri} eq '/health' } $t->origin_requests(port(8081));
is($req && $req->{method}, 'GET', 'the check is GET /health');
is($req && $req->{h}{host}, 'x.example', 'http-check send hdr Host x.example');

# ---- s1 answers 503: DOWN (Layer7 wrong status), traffic goes to s2 only ----
my $mark = $t->errlog_mark;
open my $fh, '>', "$dir/fail_a" or die;
close $fh;
my $down = $t->wait_log(qr{Server be/s1 is DOWN}, 5, $mark);
like($down // '', qr{Server be/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$},
    'DOWN line: Layer7 wrong status, code 503');
my $s1 = st('be/s1');
is("$s1->{status} $s1->{check_status} $s1->{check_code}", 'DOWN L7STS 503',
    'show stat: DOWN L7STS 503');
my %d;
$d{body_of()}++ for 1 .. 6;
is_deeply(\%d, { b => 6 }, 'requests go to the UP server only');

# ---- back to 200: UP after rise=2 ----
$mark = $t->errlog_mark;
unlink "$dir/fail_a";
like($t->wait_log(qr{Server be/s1 is UP}, 5, $mark) // '',
    qr{Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$},
    'UP line: Layer7 check passed, code 200');
%d = ();
$d{body_of()}++ for 1 .. 6;
is_deeply(\%d, { a => 3, b => 3 }, 'both servers serve again');
$s1 = st('be/s1');
ok($s1->{chkfail} >= 2 && $s1->{chkdown} == 1, 'chkfail and chkdown counted');
ok($s1->{lastchg} =~ /^\d+$/ && $s1->{downtime} =~ /^\d+$/, 'lastchg and downtime set');

# ---- expect string / rstatus ----
ok(wait_until(5, sub { (st('bstr/x')->{check_status} // '') eq 'L7OK' }),
    'http-check expect string: L7OK');
my ($opt) = grep { $_->{method} eq 'OPTIONS' } $t->origin_requests(port(8083));
is($opt && "$opt->{method} $opt->{uri} $opt->{version}", 'OPTIONS / HTTP/1.0',
    'bare option httpchk sends OPTIONS / HTTP/1.0');
ok(wait_until(5, sub { (st('brst/y')->{check_status} // '') eq 'L7OK' }),
    'http-check expect rstatus: L7OK');
my ($head) = grep { $_->{method} eq 'HEAD' } $t->origin_requests(port(8083));
is($head && "$head->{uri} $head->{version} $head->{h}{host}", '/ping HTTP/1.1 y.example',
    'option httpchk METHOD URI VERSION with a header in the version (pre-2.2 form)');
ok(wait_until(5, sub { (st('bnomatch/z')->{status} // '') eq 'DOWN' }),
    'expect string not found: DOWN');
is(st('bnomatch/z')->{check_status}, 'L7RSP', 'expect string not found: L7RSP');
