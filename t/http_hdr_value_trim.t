#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A header value set by a rule with surrounding blanks ("sl1: ") is sent as written but read
# back by hdr()/fhdr() without them, as HAProxy reads every value (its reg-test
# http-rules/http_after_response.vtc).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
$t->config(<<'EOF2')->run();
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-after-response set-header sl1 "sl1: "
    http-after-response set-header sl1 "%[res.fhdr(sl1)] x;"
    http-after-response set-header sl2 "sl2: "
    http-after-response set-status 200
    http-after-response set-header sl3 "[%[res.hdr(sl2)]]"
    http-after-response set-header sl4 "  in blanks  "
    http-after-response set-header sl5 "[%[res.fhdr(sl4)]]"
    http-request return status 234 content-type text/plain string "hi"
EOF2
my $raw = http_get('/');
my $r = http_parse($raw);
is($r && $r->{h}{sl1}, 'sl1: x;', 'fhdr() of a value ending in a blank');
like($raw, qr/^sl2: sl2: \r$/m, 'the value is sent as written');
is($r && $r->{h}{sl3}, '[sl2:]', 'hdr() of it');
is($r && $r->{h}{sl5}, '[in blanks]', 'blanks on both sides');
is($r && $r->{status}, 200, 'status');
