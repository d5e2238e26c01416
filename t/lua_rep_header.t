#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's HTTP:req_rep_header / req_rep_value / res_rep_header / res_rep_value(name, regex,
# replace), as HAProxy 2.6's: the PCRE is matched against each whole value (rep_header) or
# each comma-separated element (rep_value), \1.. in the replacement; a '%' is plain text;
# a request function called from a response action raises an error.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(9);
$t->ignore_alerts(qr/Lua function 'rrep'/);
my $d = $t->testdir;
$t->write_file('rep.lua', <<'LUA');
core.register_action("rep", { "http-req" }, function(txn)
    txn.http:req_rep_header("x-a", "^foo(.*)$", "bar\\1")
    txn.http:req_rep_value("x-l", "^b(.*)$", "B\\1")
    txn.http:req_rep_header("x-pct", "^(.*)$", "50% \\1")
    txn.http:req_rep_header("x-case", "^abc$", "matched")
end)
core.register_action("rrep", { "http-res" }, function(txn)
    txn.http:res_rep_header("x-res", "^a(b)c$", "<\\1>")
    txn.http:res_rep_value("x-list", "^c$", "C")
    if txn:get_var("txn.wrong") then
        txn.http:req_rep_header("x-a", "a", "b")
    end
end)
core.register_action("mark", { "http-req" }, function(txn)
    txn:set_var("txn.wrong", 1)
end)
LUA
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    return (200, ['Content-Type' => 'text/plain', 'X-Res' => 'abc', 'X-Res' => 'xyz',
        'X-List' => 'a, c, cc,c'], $req->{head});
});
$t->config(<<"EOF2")->run();
global
    lua-load $d/rep.lua
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.mark if { path /wrong }
    http-request lua.rep
    http-response lua.rrep
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub nows { my $v = shift // ''; $v =~ s/\s*,\s*/,/g; $v }
sub vals { my ($r, $n) = @_; join '|', map { $_->[1] } grep { $_->[0] eq $n } @{$r->{headers} // []} }
my $r = http_parse(http_get('/', headers => ['X-A' => 'foo123', 'X-A' => 'nofoo', 'X-A' => 'foo',
    'X-L' => 'a, b1,bb , c', 'X-Pct' => 'v', 'X-Case' => 'ABC']));
my $body = $r ? $r->{body} : '';
like($body, qr/^x-a: bar123\r\nx-a: nofoo\r\nx-a: bar\r$/mi,
    'req_rep_header: every occurrence, the whole value, \1 replaced, in place');
# HAProxy 2.6 drops the blanks around the elements it replaced ("a,B1,Bb, c"), portico
# rebuilds the list with ", " (the replace-value action's way): compared without them
my ($xl) = $body =~ /^x-l: (.*?)\r$/mi;
is(nows($xl), 'a,B1,Bb,c', 'req_rep_value: each comma-separated element');
like($body, qr/^x-pct: 50% v\r$/mi, "a '%' in the replacement is plain text");
like($body, qr/^x-case: ABC\r$/mi, 'the regex is case-sensitive');
is(vals($r, 'x-res'), '<b>|xyz', 'res_rep_header');
is(nows(vals($r, 'x-list')), 'a,C,cc,C', 'res_rep_value');
like($body, qr/^x-a: bar123\r$/mi, 'the request was forwarded once the headers changed');
$r = http_parse(http_get('/wrong'));
is($r ? $r->{status} : 0, $t->portico ? 500 : 200,
    'req_rep_header in a response action: a Lua error (HAProxy logs it and goes on)');
ok($t->portico ? $t->wait_log(qr/req_rep_header: not available in this direction/)
               : $t->wait_log(qr/Lua function 'rrep'/),
    'the error is logged');
