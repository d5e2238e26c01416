#!/usr/bin/perl
# balance hash <expr> (HAProxy 2.6): any sample expression as the hash key, with
# hash-type map-based and consistent; a request without a sample is balanced round-robin;
# a bad expression is a configuration error at file:line. Also hdr() use_domain_only.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');

# A bad expression is reported at file:line by -c.
for my $c (['nosuch(x)', qr/nosuch/], ['req.hdr(x-user),nosuchconv', qr/nosuchconv/]) {
    my ($expr, $re) = @$c;
    my $file = $t->write_file('bad.cfg', "defaults\n    mode http\nbackend be\n"
            . "    server a 127.0.0.1:1\n    balance hash $expr\n");
    my ($rc, $out) = $t->run_binary('-c', '-f', $file);
    isnt($rc, 0, "balance hash $expr: -c exits non-zero");
    like($out, qr/\Q$file\E:5\b.*$re/, "balance hash $expr: error at file:line names it")
        or diag($out);
}

my @lbs = (
    [map => 'balance hash req.hdr(x-user)'],
    [cons => "balance hash req.hdr(x-user)\n    hash-type consistent sdbm avalanche"],
    [cook => 'balance hash req.cook(id),lower'],
    [dom => 'balance hdr(host) use_domain_only'],
);
my $cfg = "%%GLOBAL%%\ndefaults\n    mode http\n    %%TIMEOUTS%%\n";
my $i = 0;
for my $l (@lbs) {
    my ($name, $bal) = @$l;
    $i++;
    $cfg .= "listen $name\n    bind 127.0.0.1:%%PORT_90$i%%\n    $bal\n";
    $cfg .= "    server s$_ 127.0.0.1:%%PORT_808$_%%\n" for 1 .. 3;
}
$t->config($cfg)->run();

sub port_of {
    my ($name) = @_;
    for my $k (0 .. $#lbs) { return port('90' . ($k + 1)) if $lbs[$k][0] eq $name }
    die $name;
}

# Sends <n> requests to listener <name>; returns { body => count } ('failed' for errors).
sub dist {
    my ($name, $n, $headers, $host) = @_;
    my %d;
    for my $k (1 .. $n) {
        my $r = http_parse(http_get('/', port => port_of($name), headers => $headers,
            host => $host));
        $d{$r && $r->{status} == 200 ? $r->{body} : 'failed'}++;
    }
    return \%d;
}

# Every key sticks to one server over 50 requests; the keys use at least 2 servers.
sub sticky_and_spread {
    my ($name, $hdr, @keys) = @_;
    my (%used, @bad);
    for my $key (@keys) {
        my $d = dist($name, 50, [$hdr => $key]);
        my @srv = keys %$d;
        push @bad, "$key: " . join(',', map { "$_=$d->{$_}" } sort @srv)
            if @srv != 1 || $srv[0] eq 'failed';
        $used{$srv[0]}++;
    }
    is(join('; ', @bad), '', "$name: each key always goes to the same server");
    cmp_ok(scalar(keys %used), '>=', 2, "$name: different keys spread over several servers")
        or diag(join(',', keys %used));
    return \%used;
}

my @users = map { "user$_" } 1 .. 8;
sticky_and_spread('map', 'X-User', @users);
is_deeply(dist('map', 30), { a => 10, b => 10, c => 10 },
    'map-based: no header, round-robin');

sticky_and_spread('cons', 'X-User', @users);
is_deeply(dist('cons', 30), { a => 10, b => 10, c => 10 },
    'consistent: no header, round-robin');

# A converter in the expression: cookie values differing only by case share a server.
my %byc;
for my $k (1 .. 8) {
    my $d1 = dist('cook', 5, [Cookie => "id=Key$k; other=1"]);
    my $d2 = dist('cook', 5, [Cookie => "x=2; id=KEY$k"]);
    my @s = keys %{{ %$d1, %$d2 }};
    $byc{$k} = @s == 1 && $s[0] ne 'failed' ? $s[0] : 'mixed';
}
is(scalar(grep { $_ eq 'mixed' } values %byc), 0, 'req.cook(id),lower: sticky across case');
cmp_ok(scalar(keys %{{ map { $_ => 1 } values %byc }}), '>=', 2, 'req.cook(id),lower: spread');

# hdr(host) use_domain_only: only the domain name is hashed.
my (%dom, @dbad);
for my $k (1 .. 8) {
    my %s;
    for my $h ("www.site$k.com", "api.site$k.com", "site$k.org") {
        $s{$_}++ for keys %{dist('dom', 5, undef, $h)};
    }
    push @dbad, "site$k" if keys %s != 1 || exists $s{failed};
    $dom{(keys %s)[0]}++;
}
is(join(',', @dbad), '', 'hdr(host) use_domain_only: hosts of one domain share a server');
cmp_ok(scalar(keys %dom), '>=', 2, 'hdr(host) use_domain_only: domains spread');
