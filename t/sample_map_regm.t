#!/usr/bin/perl
# map_regm: the value of the first matching regex may use its captures (\0 .. \9), an unset
# group gives nothing, \xHH a byte; no match gives the default (as is) or no sample.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @cases = (
    # path => [expression, expected body: "F:<value>" when found, "NONE" when no sample]
    ['/m1', 'url_param(qs),map_regm(%%TESTDIR%%/re.map)',           'F:It_Yes'],
    ['/m2', 'str(v7),map_regm(%%TESTDIR%%/re.map)',                 'F:[7||v7|]A'],
    ['/m3', 'str(v7x),map_regm(%%TESTDIR%%/re.map)',                'F:[7|x|v7x|]A'],
    ['/m4', 'str(/img/cat.png),map_regm(%%TESTDIR%%/re.map)',       'F:static:cat.png'],
    ['/m5', 'str(zzz),map_regm(%%TESTDIR%%/re.map)',                'NONE'],
    ['/m6', 'str(zzz),map_regm(%%TESTDIR%%/re.map,dflt)',           'F:dflt'],
    ['/m7', 'str(Yes_It),map_reg(%%TESTDIR%%/re.map)',              'F:\2_\1'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar @cases + 1);
$t->write_file('re.map', "^(.+)_(.+)\$ \\2_\\1\n^v([0-9])(x)?\$ [\\1|\\2|\\0|\\9]\\x41\n"
    . "^/img/(.*)\$ static:\\1\n");
$t->origin_http(port(8081));
my $rules = join '', map {
    "    http-request return status 200 content-type text/plain lf-string \"F:%[$_->[1]]\""
        . " if { path $_->[0] } { $_->[1] -m found }\n"
        . "    http-request return status 200 content-type text/plain string NONE"
        . " if { path $_->[0] }\n"
} @cases;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-header X-Rewritten %[path,map_regm(%%TESTDIR%%/re.map)] if { path_beg /img/ }
    http-request return status 200 content-type text/plain lf-string "%[req.hdr(x-rewritten)]" if { path_beg /img/ }
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get("$c->[0]?qs=Yes_It"));
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}
my $r = http_parse(http_get('/img/dog.jpg'));
is($r && $r->{body}, 'static:dog.jpg', 'map_regm result in set-header');
