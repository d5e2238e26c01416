#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The converters set-var(<var>[,<cond>...]) and unset-var(<var>): the sample is stored in
# (or the variable removed) and passed on unchanged, in any expression (HAProxy 2.6).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->config(<<'EOF2');
defaults
    mode http
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-header x %[str(a),set-var(txn.x,ifbogus)]
EOF2
my (undef, $bad) = $t->check_config();
like($bad, qr/ifbogus/, 'an unknown condition is refused');
$t->config(<<'EOF2');
defaults
    mode http
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-header x %[str(a),set-var(nope)]
EOF2
(undef, $bad) = $t->check_config();
like($bad, qr/nope/, 'a name without a scope is refused');

$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.pre) str(old) if { path /cond }
    http-request set-header x-up %[path,upper,set-var(txn.p)]
    http-request set-header x-cond %[str(new),set-var(txn.pre,ifnotexists)]
    http-request set-header x-len %[req.hdr(x-in),length,set-var(txn.len)]
    http-request set-var(txn.gone) str(here)
    http-request set-header x-unset %[str(z),unset-var(txn.gone)]
    http-request deny deny_status 403 if { path,set-var(txn.d) -m str /deny }
    http-request return status 200 content-type text/plain lf-string "up=%[req.hdr(x-up)] p=%[var(txn.p)] cond=%[var(txn.pre)] len=%[var(txn.len)] gone=%[var(txn.gone)] unset=%[req.hdr(x-unset)]"
EOF2

sub body { my $r = http_parse(http_get(@_)); return $r ? "$r->{status} $r->{body}" : 'failed' }
is(body('/a'), '200 up=/A p=/A cond=new len= gone= unset=z', 'stored and passed on unchanged');
is(body('/cond'), '200 up=/COND p=/COND cond=old len= gone= unset=z', 'a condition keeps the old value');
is(body('/b', headers => { 'X-In' => 'abcd' }), '200 up=/B p=/B cond=new len=4 gone= unset=z',
    'an integer sample');
like(body('/deny'), qr/^403/, 'in an ACL expression');

