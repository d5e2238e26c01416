#!/usr/bin/perl
# -c as HAProxy 2.6 ends it: "Warnings were found." when a warning was printed, and exit 2
# with "no listener" when the configuration would start nothing that listens (no frontend or
# listen with a bind, no stats socket, no peers section).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->plan(11);
my $timeouts = "    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n";

# only a backend: valid, but nothing would listen
$t->config("defaults\n    mode http\n$timeouts" . "backend be\n    server s 127.0.0.1:1\n");
my ($rc, $out) = $t->check_config;
is($rc, 2, 'a backend alone: exit 2');
like($out, qr/^Configuration file has no error but will not start \(no listener\) => exit\(2\)\.$/m,
    'it says why') or diag $out;
unlike($out, qr/Configuration file is valid/, 'and not that it is valid');

# a frontend with a bind: valid
$t->config("defaults\n    mode http\n$timeouts" . "frontend fe\n    bind 127.0.0.1:" . port(8080)
    . "\n    default_backend be\nbackend be\n    server s 127.0.0.1:1\n");
($rc, $out) = $t->check_config;
is($rc, 0, 'a frontend with a bind: exit 0');
like($out, qr/^Configuration file is valid$/m, 'valid') or diag $out;
unlike($out, qr/Warnings were found/, 'no warnings line without warnings');

# a frontend without a bind only: nothing listens
$t->config("defaults\n    mode http\n$timeouts" . "frontend fe\n    default_backend be\n"
    . "backend be\n    server s 127.0.0.1:1\n");
($rc, $out) = $t->check_config;
is($rc, 2, 'a frontend without bind: exit 2') or diag $out;

# a stats socket is a listener
my $sock = $t->testdir . '/cli.sock';
$t->config("global\n    stats socket $sock\n");
($rc, $out) = $t->check_config;
is($rc, 0, 'a stats socket alone: exit 0') or diag $out;

# a warning: "Warnings were found." on stdout before the verdict
$t->config("defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:" . port(8080)
    . "\n    default_backend be\nbackend be\n    server s 127.0.0.1:1\n");
($rc, $out) = $t->check_config;
is($rc, 0, 'missing timeouts are only a warning');
like($out, qr/^Warnings were found\.$/m, 'Warnings were found.') or diag $out;
like($out, qr/^Configuration file is valid$/m, 'still valid');
