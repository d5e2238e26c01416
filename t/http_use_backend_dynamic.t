#!/usr/bin/perl
# Tests for dynamic backend names: use_backend "%[expr]" and prefix%[expr], resolved per
# request, falling back to default_backend when the name is unknown.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
$t->origin_http(port(8081), body => "one\n");
$t->origin_http(port(8082), body => "two\n");
$t->origin_http(port(8083), body => "dflt\n");
$t->write_file('hosts.map', "one.example.com be_one\ntwo.example.com be_two\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_one
    server a 127.0.0.1:%%PORT_8081%%
backend be_two
    server b 127.0.0.1:%%PORT_8082%%
backend be_default
    server c 127.0.0.1:%%PORT_8083%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_%[req.hdr(x-backend),lower] if { req.hdr(x-backend) -m found }
    use_backend %[req.hdr(host),lower,map(%%TESTDIR%%/hosts.map)]
    use_backend be_two
    default_backend be_default
EOF2

sub body {
    my $r = http_parse(http_get('/', @_));
    return $r ? "$r->{status} $r->{body}" : 'no response';
}

is(body(headers => ['X-Backend' => 'ONE']), "200 one\n", 'prefix and header value');
is(body(headers => ['X-Backend' => 'two']), "200 two\n", 'second backend by header');
is(body(headers => ['X-Backend' => 'nope']), "200 dflt\n",
    'unknown name: default_backend, no further rule');
is(body(host => 'one.example.com'), "200 one\n", 'name from a map');
is(body(host => 'TWO.example.com'), "200 two\n", 'name from a map after lower');
is(body(host => 'other.example.com'), "200 dflt\n",
    'no map entry: empty name, default_backend');
is(body(headers => ['X-Backend' => 'default']), "200 dflt\n", 'any backend can be named');
