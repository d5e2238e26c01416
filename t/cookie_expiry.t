#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Persistence cookies, continued (checked against HAProxy 2.6.12): maxidle/maxlife dates
# (HAProxy's 30-bit base64 dates), "option persist" with "option redispatch" for a down
# server, and configuration errors at -c.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(17);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
# The next traffic log line (health check and server state messages are skipped).
sub log_line {
    my $sel = IO::Select->new($u);
    while ($sel->can_read(5)) {
        my $d;
        $u->recv($d, 65535);
        my $l = $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
        return $l if $l =~ m{^\S+/\S+ \d+ \S+$};
    }
    return '';
}

my @B64 = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '+', '/');
sub date64 { my ($t) = @_; my $v = $t >> 2; return join '', map { $B64[($v >> (6 * (4 - $_))) & 63] } 0 .. 4 }

$t->origin_http(port(8081), handler => sub { (200, ['X-Srv' => 's1'], "s1\n") });
$t->origin_http(port(8082), handler => sub { (200, ['X-Srv' => 's2'], "s2\n") });

# port 8089 has nothing listening: s3 is down (its check fails) and refuses connections
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
    log-format "%b/%s %ST %tsc"
backend dates
    cookie SRV insert maxidle 30 maxlife 1h
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
backend persist
    option persist
    option redispatch
    retries 2
    cookie SRV insert
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s3 127.0.0.1:%%PORT_8089%% cookie c3 check inter 100ms fall 1 rise 1
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend %[req.hdr(x-be)]
EOF2

sub get {
    my ($be, $cookie) = @_;
    my $c = defined $cookie ? "Cookie: $cookie\r\n" : '';
    my $r = http("GET / HTTP/1.1\r\nHost: h\r\nX-Be: $be\r\n${c}Connection: close\r\n\r\n",
        port => port(8080));
    return http_parse($r) // { h => {}, headers => [] };
}
sub setck { my ($r) = @_; return join ' || ', map { $_->[1] } grep { $_->[0] eq 'set-cookie' } @{$r->{headers}} }

# a new client gets both dates
my $r = get('dates');
my $s = $r->{h}{'x-srv'} // '';
(my $ck = $s) =~ s/s/c/;
like(setck($r), qr{^SRV=$ck\|[A-Za-z0-9+/]{5}\|[A-Za-z0-9+/]{5}; path=/$}, 'maxidle+maxlife: dates in the cookie');
is(log_line(), "dates/$s 200 --NI", 'log: inserted');

my $now = time;
# fresh dates: valid, nothing to update
$r = get('dates', 'SRV=c2|' . date64($now + 3) . '|' . date64($now - 60));
is($r->{h}{'x-srv'}, 's2', 'fresh cookie: honoured');
is(setck($r), '', 'fresh cookie: no update yet');
is(log_line(), 'dates/s2 200 --VN', 'log: valid');
# last seen a while ago (but within maxidle): valid, dates updated, first date kept
my $first = date64($now - 60);
$r = get('dates', 'SRV=c2|' . date64($now - 20) . "|$first");
is($r->{h}{'x-srv'}, 's2', 'cookie seen 20 s ago: honoured');
like(setck($r), qr{^SRV=c2\|[A-Za-z0-9+/]{5}\|\Q$first\E; path=/$}, 'last date refreshed, first kept');
is(log_line(), 'dates/s2 200 --VU', 'log: valid, updated');
# idle longer than maxidle: expired, balanced again
$r = get('dates', 'SRV=c2|' . date64($now - 100) . '|' . date64($now - 200));
like(setck($r), qr{^SRV=c[12]\|}, 'idle cookie: a new one is inserted');
like(log_line(), qr{^dates/s[12] 200 --EI$}, 'log: expired');
# older than maxlife: old
$r = get('dates', 'SRV=c2|' . date64($now) . '|' . date64($now - 7200));
like(setck($r), qr{^SRV=c[12]\|}, 'old cookie: a new one is inserted');
like(log_line(), qr{^dates/s[12] 200 --OI$}, 'log: old');

# option persist: the down server is tried first, then redispatch goes elsewhere
sleep 1; # the check marks s3 down
$r = get('persist', 'SRV=c3');
is($r->{h}{'x-srv'}, 's1', 'persist + redispatch: served by another server in the end');
is(setck($r), 'SRV=c1; path=/', 'persist + redispatch: the cookie is replaced');
like(log_line(), qr{^persist/s1 200 --DI$}, 'log: cookie for a down server, inserted');

# configuration errors
my $c = Test::Portico->new();
$c->config("%%GLOBAL%%\ndefaults\n    mode http\nbackend b\n    cookie SRV rewrite insert\n    server s 127.0.0.1:1 cookie a\n");
my ($rc, $out) = $c->check_config();
ok($rc != 0 && $out =~ /portico\.cfg:\d+\b.*incompatible/, 'rewrite and insert together: refused with file:line') or diag($out);
$c->config("%%GLOBAL%%\ndefaults\n    mode http\nbackend b\n    cookie SRV preserve\n");
($rc, $out) = $c->check_config();
ok($rc != 0 && $out =~ /portico\.cfg:\d+\b.*'preserve' requires/, "preserve alone: refused") or diag($out);
