#!/usr/bin/perl
# Tests for -v and -vv: version line, loaded modules with their ABI, poller in use.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only()->plan(6);

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
