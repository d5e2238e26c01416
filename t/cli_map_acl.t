#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API map and ACL changes (HAProxy 2.6's show/get/add/del/set/clear/prepare/commit
# map|acl): answers as HAProxy prints them, and every change visible to the next request
# of every worker (2 workers) as soon as the command returned. A map converter and a "-M -f"
# ACL of the same file share one reference.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(48);
my $dir = $t->testdir;
$t->write_file('m.map', "/a one\n/b two\n");
$t->write_file('deny.lst', "/blocked\n");
$t->write_file('ip.map', "10.0.0.0/8 ten\n");
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl bad path -f $dir/deny.lst
    acl inmap path -M -f $dir/m.map
    http-request deny deny_status 403 if bad
    http-request return status 200 content-type text/plain lf-string "%[path,map($dir/m.map,none)] %[path,map_beg($dir/m.map,none)] %[req.hdr(x-ip),map_ip($dir/ip.map,none)] %[bool(0)]" if !inmap
    http-request return status 200 content-type text/plain lf-string "%[path,map($dir/m.map,none)] %[path,map_beg($dir/m.map,none)] %[req.hdr(x-ip),map_ip($dir/ip.map,none)] %[bool(1)]"
EOF2
my $sock = "$dir/cli.sock";
my $map = "$dir/m.map";
my $lst = "$dir/deny.lst";

sub cli { cli_send($sock, "$_[0]\n") }

# The bodies of 8 requests (new connection each: spread over the workers), deduplicated.
sub seen {
    my ($path, @h) = @_;
    @h = ('X-Ip' => '192.0.2.1') unless @h;
    my %b;
    for (1 .. 8) {
        my $r = http_parse(http_get($path, headers => [@h]));
        $b{$r ? ($r->{status} == 200 ? $r->{body} : $r->{status}) : 'failed'} = 1;
    }
    return join('|', sort keys %b);
}

like(cli("show map $map"), qr/\A0x[0-9a-f]+ \/a one\n0x[0-9a-f]+ \/b two\n\n\z/,
    'show map <file>: 0x<ref> <key> <value>');
my $list = cli('show map');
like($list, qr/\A# id \(file\) description\n/, 'show map: header');
like($list, qr/^(-?\d+) \(\Q$map\E\) pattern loaded from file '\Q$map\E' used by (?:map|acl) at file '[^']*' line \d+.* curr_ver=0 next_ver=0 entry_cnt=\d+$/m,
    'show map: the file with its versions');
my ($id) = $list =~ /^(-?\d+) \(\Q$map\E\)/m;
like(cli("show map #$id"), qr/\A0x[0-9a-f]+ \/a one\n/, 'show map #<id>');
is(cli("show map $dir/nope.map"), "Unknown map identifier. Please use #<id> or <file>.\n\n",
    'show map: unknown file');
like(cli('show acl'), qr/^\d+ \(\Q$lst\E\) pattern loaded from file '\Q$lst\E' used by acl at file /m,
    'show acl: the ACL file');
like(cli("show acl $lst"), qr/\A0x[0-9a-f]+ \/blocked\n\n\z/, 'show acl <file>');

is(cli("get map $map /a"),
    qq{type=str, case=sensitive, found=yes, idx=tree, key="/a", value=none\n}
    . qq{type=str, case=sensitive, found=yes, idx=tree, key="/a", value="one", type="str"\n}
    . qq{type=beg, case=sensitive, found=yes, idx=tree, key="/a", value="one", type="str"\n\n},
    'get map: every expression using the file (the -M ACL first, as declared)');
is(cli("get map $map /zz"), "type=str, case=sensitive, found=no\ntype=str, case=sensitive, found=no\ntype=beg, case=sensitive, found=no\n\n",
    'get map: no match');

is(seen('/a', 'X-Ip' => '10.1.1.1'), 'one one ten 1', 'configured entries');
is(seen('/c'), 'none none none 0', 'no entry');

# add map
is(cli("add map $map /c three"), "\n", 'add map');
is(seen('/c'), 'three three none 1', 'add map: every worker, the next request; the -M ACL too');
is(cli("add map $map /c"), "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n\n",
    'add map without a value');
is(cli("add map $dir/nope.map a b"), "Unknown map identifier. Please use #<id> or <file>.\n\n",
    'add map: unknown map');
is(cli("add map $dir/ip.map 10.2.0.0/16 ten-two"), "\n", 'add map: a network');
is(seen('/x', 'X-Ip' => '10.2.3.4'), 'none none ten-two 0', 'map_ip: the added network is the longest prefix');
is(seen('/x', 'X-Ip' => '10.3.3.4'), 'none none ten 0', 'map_ip: the configured network still');

# set map
is(cli("set map $map /c THREE"), "\n", 'set map <key>');
is(seen('/c'), 'THREE THREE none 1', 'set map: seen by every worker');
is(cli("set map $map /zz 1"), "entry not found.\n\n", 'set map: unknown key');
my ($ref) = cli("show map $map") =~ /^(0x[0-9a-f]+) \/b two$/m;
ok($ref, 'show map gives the reference of /b');
is(cli("set map $map #$ref deux"), "\n", 'set map #<ref>');
is(seen('/b'), 'deux deux none 1', 'set map #<ref>: seen by every worker');
is(cli("set map $map #0x1 x"), "key or pattern not found.\n\n", 'set map: unknown reference');

# del map
is(cli("del map $map /c"), "\n", 'del map <key>');
is(seen('/c'), 'none none none 0', 'del map: gone in every worker');
is(cli("del map $map /c"), "Key not found.\n\n", 'del map: already deleted');
is(cli("del map $map #$ref"), "\n", 'del map #<ref>');
is(seen('/b'), 'none none none 0', 'del map #<ref>: gone');
is(cli("del map $map"), "This command expects two parameters: map identifier and key.\n\n",
    'del map without a key');

# payload
is(cli_send($sock, "add map $map <<\n/p1 v1\n/p2 v2\n\n"), "\n", 'add map <map> << (payload)');
is(seen('/p2'), 'v2 v2 none 1', 'payload entries');

# ACL
is(seen('/blocked'), '403', 'ACL file entry');
is(cli("add acl $lst /new"), "\n", 'add acl');
is(seen('/new'), '403', 'add acl: every worker denies');
is(cli("del acl $lst /blocked"), "\n", 'del acl');
is(seen('/blocked'), 'none none none 0', 'del acl: every worker lets it through');
is(cli("del acl $lst /zz"), "Key not found.\n\n", 'del acl: unknown pattern');
is(cli("get acl $lst /new"), qq{type=str, case=sensitive, match=yes, idx=tree, pattern="/new"\n\n},
    'get acl: match');

# versions
is(cli("prepare map $map"), "New version created: 1\n\n", 'prepare map');
is(cli("add map \@1 $map /v vee"), "\n", 'add map @<ver>');
is(seen('/v'), 'none none none 0', 'a prepared version is not used');
like(cli("show map \@1 $map"), qr/\A0x[0-9a-f]+ \/v vee\n\n\z/, 'show map @<ver>');
is(cli("commit map \@5 $map"), "Version number out of range.\n\n", 'commit map: unknown version');
is(cli("commit map \@1 $map"), "\n", 'commit map');
is(seen('/v') . ' ' . seen('/a'), 'vee vee none 1 none none none 0',
    'commit map: the new version replaces the old one in every worker');

# clear
is(cli("clear map $map"), "\n", 'clear map');
