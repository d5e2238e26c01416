#!/usr/bin/perl
# Big pattern lists (100 000 entries) in ACL files and maps: exact strings, prefixes (longest
# wins) and networks (longest prefix wins for map_ip), as HAProxy 2.6 answers them.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
my (@paths, @nets, @hosts);
push @paths, "/p$_/ v$_" for 1 .. 100000;
push @paths, "/ root", "/api/ api", "/api/v1/ api-v1";
push @nets, "10.$_->[0].$_->[1].0/24 net$_->[0]-$_->[1]" for map { my $a = $_; map { [$a, $_] } 0 .. 255 } 0 .. 255;
push @nets, "127.0.0.0/8 loop8", "127.0.0.1 loop32", "127.0.0.0/16 loop16";
push @hosts, "host$_.example.com" for 1 .. 100000;
push @hosts, "WWW.Portico.TEST";
$t->write_file('paths.map', join("\n", @paths) . "\n");
$t->write_file('nets.map', join("\n", @nets) . "\n");
$t->write_file('hosts.lst', join("\n", @hosts) . "\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl known_host req.hdr(host) -i -f %%TESTDIR%%/hosts.lst
    http-request return status 200 content-type text/plain lf-string "beg=%[path,map_beg(%%TESTDIR%%/paths.map,none)] ip=%[src,map_ip(%%TESTDIR%%/nets.map,none)] str=%[path,map_str(%%TESTDIR%%/paths.map,none)] host=%[bool(1)]" if known_host
    http-request return status 403
EOF2

my $r = http_parse(http_get('/p99999/x', host => 'host77777.example.com'));
is($r->{status}, 200, 'ACL -i -f with 100 000 names matches');
like($r->{body}, qr/beg=v99999 /, 'map_beg on a 100 000-entry map');
like($r->{body}, qr/ip=loop32 /, 'map_ip: the longest prefix wins (a /32 over a /16 and a /8)');
like($r->{body}, qr/str=none /, 'map_str: no exact entry, the default');
$r = http_parse(http_get('/api/v1/users', host => 'www.portico.test'));
like($r->{body}, qr/beg=api-v1 /, 'map_beg: the longest prefix wins');
$r = http_parse(http_get('/api/v2', host => 'www.portico.test'));
like($r->{body}, qr/beg=api /, 'map_beg: a shorter prefix');
$r = http_parse(http_get('/elsewhere', host => 'www.portico.test'));
like($r->{body}, qr/beg=root /, 'map_beg: "/" catches the rest');
$r = http_parse(http_get('/api/', host => 'www.portico.test'));
like($r->{body}, qr/str=api /, 'map_str: an exact entry');
is(http_parse(http_get('/', host => 'unknown.example.com'))->{status}, 403, 'unknown host refused');
