#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "http-error status <code> ... lf-string|lf-file <fmt>" and log-format "hdr" values: the
# message is built on the transaction each time it is sent (HAProxy's reg-test
# http-errorfiles/http-error); a later "errorfile" line for the code replaces it.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->write_file('lf.txt', 'file for %[method] %[path]');
$t->write_file('503.http', "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 6\r\n"
    . "content-type: text/plain\r\nx-err: static\r\n\r\nstatic");
my $dir = $t->testdir;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-error status 200 content-type "text/plain" hdr x-path "path=%[path]" lf-string "The path is \\"%[path]\\""
    http-error status 403 content-type "text/plain" lf-file $dir/lf.txt
    http-error status 503 content-type "text/plain" lf-string "dynamic %[path]"
    errorfile 503 $dir/503.http
    http-request return status 200 default-errorfiles if { path_beg /ret }
    http-request deny deny_status 403 if { path_beg /deny }
    http-request deny deny_status 503 if { path_beg /unavail }
EOF2

sub hdr { my ($r, $n) = @_; return undef unless $r; my ($h) = grep { lc $_->[0] eq $n } @{$r->{headers}}; return $h && $h->[1] }
sub get { http_parse(http("GET $_[0] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) }

my $r = get('/ret/a');
is($r && $r->{status}, 200, 'return ... default-errorfiles uses the http-error message');
is(hdr($r, 'x-path'), 'path=/ret/a', '... its hdr value is evaluated on the request');
is($r && $r->{body}, 'The path is "/ret/a"', '... and its lf-string body');
is(hdr($r, 'content-type'), 'text/plain', '... with the content-type');
$r = get('/ret/bb');
is($r && $r->{body}, 'The path is "/ret/bb"', '... again for the next request');
$r = get('/deny/x');
is($r && $r->{status}, 403, 'deny_status 403 uses the lf-file message');
is($r && $r->{body}, 'file for GET /deny/x', '... evaluated');
$r = get('/unavail');
is($r && $r->{body}, 'static', 'a later errorfile line for the code replaces the log-format one');
is(hdr($r, 'x-err'), 'static', '... with its own headers');
