#!/usr/bin/perl
# field() and word() converters: a field that does not exist gives no sample (an ACL
# with "-m found" is false) while a missing word gives an empty sample (HAProxy 2.6); counts past the end
# take the rest of the input, trailing separators included, as HAProxy 2.6 does.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @cases = (
    # path => [expression, expected body: "F:<value>" when found, "NONE" when no sample]
    ['/f1',  'str(/foo/bar/baz),field(3,/)',  'F:bar'],
    ['/f2',  'str(/foo),field(3,/)',          'NONE'],
    ['/f3',  'str(a_),field(2,_)',            'F:'],
    ['/f4',  'str(a_b),field(3,_)',           'NONE'],
    ['/f5',  'str(a_b),field(-3,_)',          'NONE'],
    ['/f6',  'str(a_b),field(-2,_)',          'F:a'],
    ['/f7',  'str(a_b_c),field(2,_,5)',       'F:b_c'],
    ['/f8',  'str(a_b_c),field(-2,_,5)',      'F:a_b'],
    ['/f9',  'str(a_b),field(1,_,0)',         'F:a_b'],
    ['/f10', 'str(abc),field(1,_)',           'F:abc'],
    ['/f11', 'str(abc),field(2,_)',           'NONE'],
    ['/w1',  'str(a__b),word(2,_)',           'F:b'],
    ['/w2',  'str(a__b),word(3,_)',           'F:'],
    ['/w3',  'str(___),word(1,_)',            'F:'],
    ['/w4',  'str(_a_b),word(-3,_)',          'F:'],
    ['/w5',  'str(a_b__),word(2,_,2)',        'F:b__'],
    ['/w6',  'str(__a_b),word(-2,_,2)',       'F:__a'],
    ['/w7',  'str(a_b_c),word(-1,_)',         'F:c'],
    ['/w8',  'str(a_b_c_),word(2,_,0)',       'F:b_c_'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar @cases);
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
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0]));
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}
