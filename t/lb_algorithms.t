#!/usr/bin/perl
# Every balance algorithm through real traffic: shares, stickiness of the hashing ones.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(20);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');

my @algos = (
    [rr => 'balance roundrobin'],
    [srr => 'balance static-rr'],
    [lc => 'balance leastconn'],
    [first => 'balance first'],
    [src => 'balance source'],
    [uri => "balance uri\n    hash-type consistent sdbm avalanche"],
    [param => 'balance url_param user'],
    [hdr => 'balance hdr(x-user)'],
    [rand => 'balance random(2)'],
    [mag => 'balance maglev'],
    [maghdr => 'balance maglev hdr(x-user)'],
    [lt => 'balance leasttime'],
);
my $cfg = "%%GLOBAL%%\ndefaults\n    mode http\n    %%TIMEOUTS%%\n";
my $i = 0;
for my $a (@algos) {
    my ($name, $bal) = @$a;
    $i++;
    $cfg .= "listen $name\n    bind 127.0.0.1:%%PORT_90$i%%\n    $bal\n";
    $cfg .= "    server s$_ 127.0.0.1:%%PORT_808$_%%\n" for 1 .. 3;
}
$t->config($cfg)->run();

sub port_of {
    my ($name) = @_;
    for my $k (0 .. $#algos) { return port('90' . ($k + 1)) if $algos[$k][0] eq $name }
    die $name;
}

sub dist {
    my ($name, $n, %o) = @_;
    my %d;
    for my $k (1 .. $n) {
        my $path = ref $o{path} eq "CODE" ? $o{path}->($k) : ($o{path} // '/');
        my $h = ref $o{headers} eq "CODE" ? $o{headers}->($k) : $o{headers};
        my $r = http_parse(http_get($path, port => port_of($name), headers => $h));
        $d{$r && $r->{status} == 200 ? $r->{body} : 'failed'}++;
    }
    return \%d;
}

is_deeply(dist('rr', 30), { a => 10, b => 10, c => 10 }, 'roundrobin: 10 each');
is_deeply(dist('srr', 30), { a => 10, b => 10, c => 10 }, 'static-rr: 10 each');
is_deeply(dist('lc', 30), { a => 10, b => 10, c => 10 }, 'leastconn, sequential: ties rotate');
is_deeply(dist('first', 12), { a => 12 }, 'first: everything on the first server');
is(scalar(keys %{dist('src', 12)}), 1, 'source: one client address sticks to one server');

my $u = dist('uri', 20, path => '/same?x=1');
is(scalar(keys %$u), 1, 'uri: one URI always on one server');
is(($u->{failed} // 0), 0, 'uri: no failure');
my $u2 = dist('uri', 60, path => sub { "/obj/$_[0]" });
cmp_ok(scalar(keys %$u2), '>=', 2, 'uri: different URIs spread');
is(scalar(keys %{dist('uri', 10, path => sub { "/same?x=$_[0]" })}), 1,
    'uri: the query string is not hashed');

is(scalar(keys %{dist('param', 12, path => '/p?user=alice&z=1')}), 1, 'url_param: sticky');
is_deeply(dist('param', 30, path => '/p?other=1'), { a => 10, b => 10, c => 10 },
    'url_param: absent parameter falls back to round-robin');
cmp_ok(scalar(keys %{dist('param', 60, path => sub { "/p?user=u$_[0]" })}), '>=', 2,
    'url_param: values spread');

is(scalar(keys %{dist('hdr', 12, headers => ['X-User' => 'bob'])}), 1, 'hdr(): sticky');
is_deeply(dist('hdr', 30), { a => 10, b => 10, c => 10 },
    'hdr(): absent header falls back to round-robin');

my $r = dist('rand', 60);
is(($r->{failed} // 0), 0, 'random(2): no failure');
cmp_ok(scalar(grep { $_ ne 'failed' } keys %$r), '>=', 2, 'random(2): several servers used');

is(scalar(keys %{dist('mag', 12)}), 1, 'maglev (source): sticky');
is(scalar(keys %{dist('maghdr', 12, headers => ['X-User' => 'carol'])}), 1,
    'maglev hdr(): sticky');
cmp_ok(scalar(keys %{dist('maghdr', 60, headers => sub { ['X-User' => "user$_[0]"] })}), '>=', 2,
    'maglev hdr(): keys spread');

my $l = dist('lt', 30);
is(($l->{failed} // 0), 0, 'leasttime: every request served');
