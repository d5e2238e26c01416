#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Empty error files and http-errors sections in replies, as HAProxy 2.6: "errorfile 408
# /dev/null" (the usual pre-connect workaround) closes an idle connection that timed out
# without a byte; "deny ... errorfile /dev/null" and an empty message of an http-errors
# section answer nothing and close; "deny|return ... errorfiles <section>" use the
# section's message for the status, or the bare status line when it has none; an unknown
# section is refused at -c.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
$t->write_file('404.http', "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nx-err: errs\r\nContent-Length: 4\r\n\r\nnope");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
http-errors errs
    errorfile 404 %%TESTDIR%%/404.http
    errorfile 500 /dev/null
defaults
    mode http
    %%TIMEOUTS%%
    timeout http-request 300ms
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    errorfile 408 /dev/null
    http-request deny deny_status 500 errorfile /dev/null if { path /empty }
    http-request deny deny_status 500 errorfiles errs if { path /sec-empty }
    http-request deny deny_status 404 errorfiles errs if { path /sec-404 }
    http-request return status 403 errorfiles errs if { path /sec-none }
    http-request return status 200 content-type text/plain string ok
EOF2

# what the client gets: the bytes, until the server closes (or 3 s)
sub raw {
    my ($req) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080)) or return 'no connect';
    syswrite($s, $req) if length $req;
    my ($buf, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(3)) {
        my $n = sysread($s, $buf, 4096, length $buf);
        return $buf if !$n;
    }
    return "$buf(still open)";
}

is(raw("GET / HT"), '', 'errorfile 408 /dev/null: a timed-out request gets no byte, the connection closes');
is(raw(''), '', '... so does an idle connection');
is(raw("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n"), '', 'deny ... errorfile /dev/null: nothing, closed');
is(raw("GET /sec-empty HTTP/1.1\r\nHost: x\r\n\r\n"), '', "deny ... errorfiles: the section's empty message");
my $r = http_parse(http("GET /sec-404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8080)));
is(($r->{status} // 0) . ' ' . ($r->{h}{'x-err'} // '-') . ' ' . ($r->{body} // ''), '404 errs nope',
    "deny ... errorfiles: the section's message for the status");
$r = http_parse(http("GET /sec-none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8080)));
is(($r->{status} // 0) . ' ' . ($r->{h}{'content-length'} // '-'), '403 0',
    'return ... errorfiles: a status the section lacks gives the bare status line');

$t->config("%%GLOBAL%%\ndefaults\n    mode http\nfrontend f\n    bind 127.0.0.1:%%PORT_8091%%\n"
    . "    http-request deny errorfiles nosuch\n");
my ($rc, $out) = $t->check_config;
like($out, qr/nosuch/, 'an unknown http-errors section is refused at -c') or diag($out);
