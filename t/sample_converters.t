#!/usr/bin/perl
# Tests for core fetches, converters, maps and variables, seen through
# "http-request return ... lf-string" responses.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @cases = (
    # path => [expression, expected body]
    ['/lower',   'req.hdr(x-in),lower',                        'mixed case'],
    ['/upper',   'req.hdr(x-in),upper',                        'MIXED CASE'],
    ['/length',  'req.hdr(x-in),length',                       '10'],
    ['/bytes',   'req.hdr(x-in),bytes(2,3)',                   'Xed'],
    ['/field',   'str(f1_f2_f3__f5),field(-2,_,3)',            'f2_f3_'],
    ['/word',    'str(f1_f2_f3__f5),word(3,_,2)',              'f3__f5'],
    ['/regsub',  "str(/a//b///c),regsub('/+','/','g')",        '/a/b/c'],
    ['/base64',  'str(hello),base64',                          'aGVsbG8='],
    ['/b64dec',  'str(aGVsbG8=),b64dec',                       'hello'],
    ['/hex',     'str(AZ),hex',                                '415A'],
    ['/json',    q{str('a\"b/c'),json},                       'a\"b\/c'],
    ['/ipmask',  'src,ipmask(24)',                             '127.0.0.0'],
    ['/arith',   'int(7),add(3),mul(4),sub(1),div(3),mod(7)',  '6'],
    ['/neg',     'int(7),neg',                                 '-7'],
    ['/map',     'req.hdr(host),lower,map(%%TESTDIR%%/hosts.map,none)', 'be_www'],
    ['/mapbeg',  'path,map_beg(%%TESTDIR%%/paths.map)',        'static'],
    ['/mapint',  'int(150),map_int(%%TESTDIR%%/ints.map)',     'medium'],
    ['/mapip',   'src,map_ip(%%TESTDIR%%/nets.map)',           'loopback'],
    ['/var',     'var(txn.saved)',                             '/VAR'],
    ['/fe',      'fe_name',                                    'fe'],
    ['/nbsrv',   'nbsrv(be)',                                  '2'],
    ['/srcport', 'src_port,bool',                              '1'],
);

# eq/ne/gt/ge/lt/le are portico extensions (HAProxy 2.6 has no integer comparison converter)
push @cases, ['/cmp', 'int(7),gt(3),and(1)', '1'], ['/cmp2', 'int(7),le(3)', '0']
    if Test::Portico::portico();

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar @cases);
$t->write_file('hosts.map', "# host map\nwww.example.com be_www\napi.example.com be_api\n");
$t->write_file('paths.map', "/mapbeg static\n/img images\n");
$t->write_file('ints.map', "0:99 small\n100:199 medium\n200: large\n");
$t->write_file('nets.map', "127.0.0.0/8 loopback\n10.0.0.0/8 private\n");
$t->origin_http(port(8081));
$t->origin_http(port(8082));
my $rules = join '', map {
    "    http-request return status 200 content-type text/plain lf-string \"%[$_->[1]]\""
        . " if { path $_->[0] }\n"
} @cases;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.saved) path,upper
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0], host => 'WWW.example.com',
        headers => ['X-In' => 'MiXed Case']));
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}
