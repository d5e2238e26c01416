#!/usr/bin/perl
# Map objects (lua/prelude.lua, lua/examples/map.lua): exact, prefix and IP longest-prefix
# lookups of map files, lookup() returning nil and slookup() "" on a miss. Portico only:
# the script takes the map directory as a lua-load argument (HAProxy 2.7's).
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->portico_only();
plan(skip_all => 'no lua module') unless $t->has_feature('lua');
$t->plan(15);
my $script = File::Spec->rel2abs('lua/examples/map.lua');
my $dir = $t->testdir;
$t->write_file('hosts.map', "# hosts\nexample.org  site-a\nexample.net site-b\n");
$t->write_file('paths.map', "/api/v2 api2\n/api api\n/ root\n");
$t->write_file('agents.map', "^curl/[0-9] curl\nbot|spider crawler\n");
$t->write_file('nets.map', "10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n192.168.1.7 one-host\n"
    . "2001:db8::/32 doc\n2001:db8:1::/48 doc-one\n::1 v6-host\n::ffff:172.20.0.0/112 mapped\n");

$t->origin_http(port(8081), echo => 1);
$t->config(<<"EOF2");
global
    lua-load $script $dir
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.maps
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
$t->run();

sub get {
    my ($path, $host, $ip, $ua) = @_;
    my $r = http_parse(http_get($path, host => $host,
        headers => ['X-Ip' => $ip, 'User-Agent' => $ua // 'none']));
    return $r ? $r->{body} : '';
}
my $b = get('/api/v2/x', 'example.net', '10.1.2.3');
like($b, qr/^X-Map-Str: site-b\r$/mi, 'Map._str: exact key') or diag($b);
like($b, qr/^X-Map-Beg: api2\r$/mi, 'Map._beg: the first matching prefix in file order');
like($b, qr/^X-Map-Ip: ten-one\r$/mi, 'Map._ip: the longest matching network');
$b = get('/apix', 'nowhere', '192.168.1.7');
like($b, qr/^X-Map-Str: \r?$/mi, 'slookup() on a miss: ""') or diag($b);
like($b, qr/^X-Map-Beg: api\r$/mi, 'Map._beg: shorter prefix');
like($b, qr/^X-Map-Ip: one-host\r$/mi, 'Map._ip: a host address');
$b = get('/x', 'nowhere', '172.16.0.1', 'curl/8.0');
like($b, qr/^X-Map-Reg: curl\r$/mi, 'Map._reg: the first matching regex') or diag($b);
$b = get('/x', 'nowhere', '172.16.0.1', 'Some Spider');
like($b, qr/^X-Map-Reg: \r?$/mi, 'Map._reg: case-sensitive, as HAProxy\'s maps') or diag($b);
like($b, qr/^X-Map-Ip: \r?$/mi, 'Map._ip: no network') or diag($b);

# IPv6 keys, and HAProxy's cross-family lookups (an IPv4 address among the ::ffff: entries,
# an IPv4-mapped IPv6 address among the IPv4 entries)
like(get('/x', 'n', '2001:db8:1:2::5'), qr/^X-Map-Ip: doc-one\r$/mi, 'Map._ip: the longest IPv6 network');
like(get('/x', 'n', '2001:db8:ffff::1'), qr/^X-Map-Ip: doc\r$/mi, 'Map._ip: a shorter IPv6 network');
like(get('/x', 'n', '::1'), qr/^X-Map-Ip: v6-host\r$/mi, 'Map._ip: an IPv6 host address');
like(get('/x', 'n', '2001:db9::1'), qr/^X-Map-Ip: \r?$/mi, 'Map._ip: no IPv6 network');
like(get('/x', 'n', '172.20.3.4'), qr/^X-Map-Ip: mapped\r$/mi, 'Map._ip: an IPv4 address matches a ::ffff: entry');
like(get('/x', 'n', '::ffff:10.1.9.9'), qr/^X-Map-Ip: ten-one\r$/mi, 'Map._ip: an IPv4-mapped address matches the IPv4 entries');
