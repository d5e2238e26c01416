#!/usr/bin/perl
# Lua (lua/examples/basic.lua): lua-load with arguments, an http-request action setting a
# header from a fetch, an http-response action reading a variable set by the first, Lua
# fetches (with arguments) and converters in sample expressions, txn.f / txn.c.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(18);
my $script = File::Spec->rel2abs('lua/examples/basic.lua');

$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2");
global
    lua-load $script mytag
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.tag X-Host
    http-request lua.upper_path
    http-request lua.tokens
    http-request lua.gate
    http-request lua.regex
    http-request set-header X-Tag %[lua.tag]
    http-request set-header X-Sum %[lua.sum(2,3)]
    http-request set-header X-Rev %[req.hdr(host),lua.rev]
    http-response lua.resp
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration loading a Lua script is valid') or diag($out);
$t->run();
my $r = http_parse(http_get('/some/path', host => 'example.org',
    headers => ['X-List' => 'a, b,,c']));
is($r && $r->{status}, 200, 'request answered');
my $seen = $r ? $r->{body} : '';
like($seen, qr/^X-Host: host=example\.org\r$/mi,
    'http-request lua.<action> with an argument sets a header from txn.sf:req_hdr()')
    or diag($seen);
like($seen, qr/^X-Tokens: \[a\]\[b\]\[c\]\r$/mi, 'core.tokenize() and core.concat()');
like($seen, qr/^X-Host-Seen: example\.org\r$/mi, 'txn.http:req_get_headers()');
like($seen, qr/^X-Upper: \/SOME\/PATH\r$/mi, 'txn.f:path() and txn.c:upper()');
# lua-load's arguments (HAProxy 2.7's; 2.6 ignores them)
like($seen, $t->portico ? qr/^X-Tag: mytag\r$/mi : qr/^X-Tag: none\r$/mi,
    'lua.<fetch> returns the lua-load argument');
like($seen, qr/^X-Sum: 5\r$/mi, 'lua.<fetch>(args) receives its arguments');
like($seen, qr/^X-Rev: gro\.elpmaxe\r$/mi, 'lua.<converter> in an expression');
like($r ? $r->{h}{'x-lua-res'} // '' : '', qr/^seen yes$/,
    'http-response lua.<action> adds a header, reads the txn variable set by the request')
    or diag($r ? $r->{raw} : 'none');
is($r && $r->{h}{'x-lua-unset'}, 'nil', 'txn:unset_var() removes it');
$r = http_parse(http_get('/V2/items'));
like($r ? $r->{body} : '', qr/^X-Regex: 2,items\r$/mi, 'Regex.new() (case-insensitive), regex:match() captures')
    or diag($r && $r->{raw});
like($r ? $r->{body} : '', qr/^X-Regex-Bad: false\r$/mi, 'a bad regex: Regex.new() returns false');
$r = http_parse(http_get('/', headers => ['X-Deny' => '1']));
is($r && $r->{status}, 403, 'an action returning act.DENY: 403');
$r = http_parse(http_get('/', headers => ['X-Deny' => '0']));
is($r && $r->{status}, 200, 'act.CONTINUE: forwarded');
$t->stop();

# an action not registered by the script is a -c error with file:line
$t->config(<<"EOF2");
global
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.nosuch
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
isnt($rc, 0, 'unknown lua.<action> refused at -c');
like($out, qr/portico\.cfg:\d+/, 'with the file:line of the rule') or diag($out);
like($out, qr/nosuch/, 'naming the action') or diag($out);
