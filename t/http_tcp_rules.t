#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# tcp-request and tcp-response content rules in mode http, as HAProxy 2.6 runs them (its
# reg-tests tcp-rules/default_rules and log/last_rule): the backend's tcp-request content
# rules run once it is chosen, before its http-request rules; the backend's tcp-response
# content rules run once per response, before the http-response rules, as final (no wait
# for "tcp-response inspect-delay", WAIT_END true); their "reject" closes without a response.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->origin_http(port(8081), body => "A\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request content set-var(txn.who) str(fe)
    http-request set-var(txn.path) path
    http-request set-header x-fe "%[var(txn.who)]"
    default_backend be
backend be
    tcp-request content set-var(txn.who) str(be)
    tcp-request content reject if { var(txn.path) -m beg /tcprej }
    tcp-response inspect-delay 5s
    tcp-response content reject unless WAIT_END
    tcp-response content set-var(txn.res) str(tcpres)
    tcp-response content accept if { var(txn.path) -m beg /acc }
    tcp-response content reject if { var(txn.path) -m beg /rej }
    http-response set-header x-res "%[var(txn.res)]"
    http-response set-header x-who "%[var(txn.who)]"
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub hdr { my ($r, $n) = @_; return undef unless $r; my ($h) = grep { lc $_->[0] eq $n } @{$r->{headers}}; return $h && $h->[1] }
sub get {
    my $t0 = time;
    my $raw = http("GET $_[0] HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        quiet => 1, timeout => 8);
    return (http_parse($raw), time - $t0);
}

my ($r, $el) = get('/x');
is($r && $r->{status}, 200, 'a response passes the tcp-response rules');
ok($el < 3, sprintf('... at once, the inspect-delay does not wait in mode http (%.2fs)', $el));
is(hdr($r, 'x-res'), 'tcpres', 'a tcp-response rule ran before the http-response rules');
is(hdr($r, 'x-who'), 'be', "the backend's tcp-request content rules ran after the frontend's");
($r) = get('/acc');
is($r && $r->{status}, 200, 'tcp-response accept: the response is forwarded');
($r, $el) = get('/rej');
ok(!$r, 'tcp-response reject: no response, the connection is closed');
ok($el < 3, sprintf('... at once (%.2fs)', $el));
($r) = get('/tcprej');
ok(!$r, "the backend's tcp-request content reject: no response");
($r) = get('/y');
is($r && $r->{status}, 200, 'the next request is served');
