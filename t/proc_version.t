#!/usr/bin/perl
# Tests for -v and -vv: version line, loaded modules with their ABI, poller in use.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only()->plan(15);

my ($rc, $out) = $t->run_binary('-v');
is($rc, 0, '-v exits 0');
like($out, qr/^portico version \d+\.\d+/mi, '-v prints a version line') or diag($out);

($rc, $out) = $t->run_binary('-vv');
is($rc, 0, '-vv exits 0');
like($out, qr/^\s+tcp\s+\d+\.\d+\S*\s+\(ABI \d+\.\d+\)/m, '-vv lists the tcp module with its ABI')
    or diag($out);
like($out, qr/^\s+http\s+\d+\.\d+\S*\s+\(ABI \d+\.\d+\)/m,
    '-vv lists the http module with its ABI');
like($out, qr/^Poller:\s*(io_uring|epoll)\b/m, '-vv names the poller');

# Through a link named "haproxy": HAProxy's layout, as tools that parse "haproxy -v" expect.
SKIP: {
    my $link = $t->testdir . '/haproxy';
    skip 'cannot create a symlink', 9 unless symlink($t->{binary}, $link);
    my ($hrc, $v) = $t->run_command($link, '-v');
    is($hrc, 0, 'haproxy -v exits 0');
    like($v, qr{\AHAProxy version 2\.6\.\d+-portico-\d+\.\d+\.\d+ \d{4}/\d\d/\d\d - https?://\S+},
        'haproxy -v: first line in HAProxy\'s format') or diag($v);
    my ($vrc, $vv) = $t->run_command($link, '-vv');
    my @sections = ('Build options :', 'Feature list : ', 'Default settings :',
        'Available polling systems :', 'Available multiplexer protocols :',
        'Available services : ', 'Available filters :');
    my @pos = map { index($vv, "\n$_") } @sections;
    ok(!grep({ $_ < 0 } @pos), 'haproxy -vv: every section of HAProxy\'s -vv') or diag($vv);
    is_deeply(\@pos, [sort { $a <=> $b } @pos], 'haproxy -vv: in HAProxy\'s order');
    like($vv, qr/^Feature list : (?:[+-][A-Z0-9_]+ ?)+$/m, 'haproxy -vv: feature list of +/- words');
    like($vv, qr/^Total: (\d+) \(\d+ usable\), will use (io_uring|epoll)\.$/m,
        'haproxy -vv: polling systems with the one in use');
    unlike($vv, qr/Lua version/, 'haproxy -vv: no Lua line without the lua module')
        if $vv !~ /\+LUA\b/;
    ok(1, 'haproxy -vv: Lua line only with +LUA') if $vv =~ /\+LUA\b/;
    # the same headings as the real HAProxy, when it is installed
    SKIP: {
        skip 'no /usr/sbin/haproxy', 1 unless -x '/usr/sbin/haproxy';
        my (undef, $real) = $t->run_command('/usr/sbin/haproxy', '-vv');
        my @want = grep { index($real, "\n$_") >= 0 } @sections;
        is(scalar @want, scalar @sections, 'HAProxy 2.6 prints the same headings');
    }
    my (undef, $own) = $t->run_binary('-v');
    like($own, qr/^portico version/, 'called portico, it keeps its own -v');
}
