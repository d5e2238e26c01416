#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# url_dec([in_form]) as HAProxy's url_decode(): '+' is a space after the first literal '?'
# (everywhere with in_form 1), "%XX" decoded, a bad escape gives no sample; the vectors of
# HAProxy's reg-tests/converter/url_dec.vtc.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.url) url
    http-request return status 200 hdr d0 "[%[var(txn.url),url_dec]]" hdr d1 "[%[var(txn.url),url_dec(1)]]"
EOF2

my $r = http_parse(http_get('/bla+%20?foo%3Dbar%2B42+42%20'));
is($r->{h}{d0}, '[/bla+ ?foo=bar+42 42 ]', "url_dec: '+' is a space only in the query string");
is($r->{h}{d1}, '[/bla  ?foo=bar+42 42 ]', 'url_dec(1): everywhere');
$r = http_parse(http_get('/a%2'));
is($r->{h}{d0}, '[]', 'a truncated escape: no sample');
