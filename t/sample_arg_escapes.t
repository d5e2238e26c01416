#!/usr/bin/perl
# Backslashes in sample arguments, as HAProxy 2.6 reads them: outside single quotes \\ \" \'
# and "\ " give the character, \r \n \t control characters, and a backslash before anything
# else is kept (str(a\.b) is "a\.b"); inside single quotes everything is verbatim.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

# [path, expression as written in the configuration (inside "..."), expected body]
my @cases = (
    ['/e1', 'str(a\.b)',                   'a\.b'],
    ['/e2', 'str(a\\\\b)',                 'a\b'],
    ['/e3', "str('a\\\\.b')",              'a\.b'],
    ['/e4', 'str(x\\\\ty)',                "x\ty"],
    ['/e5', 'str(a\.b),regsub(\.,_)',      'a\_b'],
    ['/e6', 'str(a.b),regsub(\.,_)',       'a_b'],
    ['/e7', 'str(a\d),length',             '3'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar @cases);
$t->origin_http(port(8081));
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
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0]));
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}
