#!/usr/bin/perl
# The "language" converter (the preferred language of an Accept-Language value, with
# q-values, ranges, best effort on malformed parts and a default), compared with the
# bytes HAProxy 2.6 gives. Runs unchanged against HAProxy (PORTICO_TEST_BINARY).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @c = (
    # Accept-Language value, converter arguments, expected body
    ['fr-FR;q=0.8, en;q=0.9, de', 'en;fr', 'en'],
    ['fr-FR, en;q=0.9', 'en;fr', 'fr'],
    ['fr-FR, en;q=0.9', 'en;fr-FR', 'fr-FR'],
    ['de, es', 'en;fr,zz', 'zz'],
    ['de, es', 'en;fr', ''],
    ['en-US;q=0.5, fr;q=0.500', 'en;fr', 'en'],
    ['en-US;q=0.5, fr;q=0.501', 'en;fr', 'fr'],
    ['', 'en,dflt', 'dflt'],
    ['EN', 'en', ''],
    ['en x, fr', 'en;fr', 'fr'],
    ['en;x, fr;q=0.2', 'en;fr', 'en'],
    ['en;q, fr;q=0.2', 'en;fr', 'en'],
    ['en;q=1.5, fr', 'en;fr', 'en'],
    ['en;q=0, fr;q=0', 'en;fr,none', 'none'],
    ['*', 'en', ''],
    ['en-gb;q=0.3,en;q=0.2', 'en-gb;en', 'en-gb'],
    [' fr ; q = 0.7 , en ; q = 0.6', 'en;fr', 'fr'],
);
my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar @c);
my $i = 0;
my $rules = join '', map {
    $i++;
    "    http-request return status 200 content-type text/plain"
        . " lf-string \"%[req.fhdr(x-l),language($_->[1])]\" if { path /$i }\n"
} @c;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
$rules
EOF2

$i = 0;
for my $x (@c) {
    $i++;
    my $r = http_parse(http_get("/$i", headers => ['X-L' => $x->[0]]));
    is($r && "$r->{status} $r->{body}", "200 $x->[2]", "'$x->[0]' language($x->[1])");
}
