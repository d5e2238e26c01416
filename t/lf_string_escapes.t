#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# How a %[sample] is written in each kind of log-format string, as HAProxy 2.6 does it:
# HTTP actions (http-request return headers and lf-string body) keep the format's spaces,
# write a sample's control characters as %XX (CR and LF included: no header injection),
# ignore +Q, write nothing for no sample; unique-id-format does the same but merges runs of
# spaces; set-var-fmt keeps spaces and writes samples verbatim up to a NUL byte; log-format
# merges spaces, writes "-" for no or an empty sample, quotes with +Q (integers too) and
# stops a sample at a NUL byte. Runs unchanged against HAProxy
# (PORTICO_TEST_BINARY=/usr/sbin/haproxy). Also: req.fhdr finds a value set with a trailing
# space without it, as req.hdr does (HAProxy's reg-tests/http-rules/http_after_response.vtc),
# and %r, %HM, %HP, %HV are known while the request is processed.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(11);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local2 info
defaults
    mode http
    log global
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.v) url_param(v),url_dec
    log-format "L  [%[var(txn.v)]] a %[var(txn.none)] b %{+Q}[var(txn.none)] %{+E}[var(txn.v)] %[str()] c  %[int(5),mul(2)] %{+Q}[int(3)] %[bin(410042)] %{+Q}[str()]"
    unique-id-format "U  %[req.hdr(x-none)]  %[var(txn.v)] %[str()]  x"
    http-request set-header x-t "v: "
    http-request set-var-fmt(txn.x) "a  %[req.hdr(x-none)] b %{+Q}[req.hdr(x-none)] %[var(txn.v)] %[bin(410042)]|"
    http-request return status 200 content-type text/plain hdr X-A "[%[var(txn.v)]]" hdr X-B "a %[req.hdr(x-none)]  b" hdr X-C "%{+Q}[var(txn.v)]|%{+Q}[req.hdr(x-none)]|%{+E}[var(txn.v)]" hdr X-U "%[unique-id]" hdr X-F "[%[req.fhdr(x-t)]] [%[req.hdr(x-t)]]" hdr X-R "%{+Q}r|%HM|%HP|%HV" lf-string "[%[var(txn.v)]] a %[req.hdr(x-none)] b %[bin(0102)] %[int(5),mul(2)] {%[var(txn.x)]}"
EOF2

# the value: \\x01 q TAB DEL LF CR " \\ space z, then UTF-8 "e acute" and a lone 0xFF byte
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . port(8080), Timeout => 5)
    or die "connect: $!";
print $s "GET /x?v=%01q%09%7F%0A%0D%22%5C%20z%C3%A9%FF HTTP/1.1\r\nHost: a\r\n"
    . "Connection: close\r\n\r\n";
my $raw = '';
my $sel = IO::Select->new($s);
my $deadline = time + 5;
while (time < $deadline && $sel->can_read($deadline - time)) {
    my $n = sysread($s, my $b, 65536);
    last unless $n;
    $raw .= $b;
}
my ($head, $body) = split /\r\n\r\n/, $raw, 2;
my %h;
for my $l (split /\r\n/, $head // '') {
    $h{lc $1} = $2 if $l =~ /^([^:]+):\s?(.*)$/;
}
my $v = "%01q\t%7F%0A%0D\"\\ z\xc3\xa9\xff";
is($h{'x-a'}, "[$v]", 'set header: control characters as %XX, others kept');
is($h{'x-b'}, 'a   b', 'spaces around a missing sample are kept');
is($h{'x-c'}, "$v||%01q\t%7F%0A%0D\\\"\\\\ z\xc3\xa9\xff", '+Q ignored, +E backslashes');
is($h{'x-u'}, "U  $v  x", 'unique-id-format: runs of spaces merged, an empty sample still counts');
is($h{'x-f'}, '[v:] [v:]', 'a value set with a trailing space is found without it (fhdr too)');
is($h{'x-r'}, '"GET /x?v=%01q%09%7F%0A%0D%22%5C%20z%C3%A9%FF HTTP/1.1"|GET|/x|HTTP/1.1',
   'the request line variables in a rule');
is(scalar(() = $head =~ /\r\n/g) + 1, 10, 'no header line was injected');
my $x = "a   b \"\" \x01q\t\x7f\n\r\"\\ z\xc3\xa9\xff A|";
(my $xe = $x) =~ s/([\x00-\x08\x0a-\x1f\x7f])/sprintf('%%%02X', ord($1))/ge;
is($body, "[$v] a  b %01%02 10 {$xe}", 'lf-string body; set-var-fmt raw up to a NUL byte');

my @logs;
my $ls = IO::Select->new($u);
$deadline = time + 5;
while (!@logs && time < $deadline && $ls->can_read($deadline - time)) {
    $u->recv(my $d, 65535);
    push @logs, $d;
}
my $log = $logs[0] // '';
$log =~ s/^.*?: (L )/$1/s;
$log =~ s/\n\z//;
ok(length $log, 'a log line came');
my $lv = "\x01q\t\x7f\n\r\"\\ z\xc3\xa9\xff";
is($log, "L [$lv] a - b \"\" \x01q\t\x7f\n\r\\\"\\\\ z\xc3\xa9\xff - c 10 \"3\" A \"\"",
   'log-format: merged spaces, "-" for none or empty, +Q on an integer, NUL ends a sample');
like($log, qr/^L \[/, 'the log line starts with the format');
