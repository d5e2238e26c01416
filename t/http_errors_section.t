#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "http-errors" sections imported with "errorfiles <name> [<code>...]", and "http-error
# status <code> ..." messages, as HAProxy 2.6: the imported pages replace the built-in ones,
# only the listed codes when codes are given, an "errorfile" line after the import wins,
# "http-error" builds a message from a string with its content-type and headers; an unknown
# section is refused at -c.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
sub page { my ($code, $text) = @_; "HTTP/1.1 $code Custom\r\nContent-Type: text/plain\r\nContent-Length: " . (length($text) + 1) . "\r\nConnection: close\r\n\r\n$text\n" }
$t->write_file('site503.http', page(503, 'site-503'));
$t->write_file('site403.http', page(403, 'site-403'));
$t->write_file('other503.http', page(503, 'other-503'));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe1
    bind 127.0.0.1:%%PORT_8080%%
    errorfiles site
    default_backend empty
frontend fe2
    bind 127.0.0.1:%%PORT_8090%%
    errorfiles site 403
    http-request deny if { path /deny }
    default_backend empty2
frontend fe3
    bind 127.0.0.1:%%PORT_8091%%
    http-error status 403 content-type text/plain string "nope" hdr x-why denied
    http-request deny
frontend fe4
    bind 127.0.0.1:%%PORT_8092%%
    errorfiles site
    errorfile 503 %%TESTDIR%%/other503.http
    default_backend empty2
backend empty
    errorfiles site
backend empty2
http-errors site
    errorfile 503 %%TESTDIR%%/site503.http
    errorfile 403 %%TESTDIR%%/site403.http
EOF2

sub get {
    my ($port, $path) = @_;
    return http_parse(http("GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port($port)));
}
my $r = get(8080, '/');
is("$r->{status} $r->{body}", "503 site-503\n", 'errorfiles: the section\'s 503 (no server)');
$r = get(8090, '/deny');
is("$r->{status} $r->{body}", "403 site-403\n", 'errorfiles <name> 403: the listed code is imported');
$r = get(8090, '/');
is($r->{status}, 503, 'errorfiles <name> 403: ... the others are not');
unlike($r->{body}, qr/site-503/, '... (the built-in 503 page)');
$r = get(8091, '/');
is("$r->{status} $r->{body}", '403 nope', 'http-error status 403 string: the body');
is($r->{h}{'content-type'}, 'text/plain', '... its content-type');
is($r->{h}{'x-why'}, 'denied', '... and its header');
is(get(8092, '/')->{body}, "other-503\n", 'an errorfile line after the import wins');

$t->config("defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1\n    errorfiles nosuch\n");
my ($rc, $out) = $t->check_config;
like($out, qr/nosuch/, '-c: an unknown http-errors section is refused') or diag($out);
