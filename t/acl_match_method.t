#!/usr/bin/perl
# An ACL on a fetch whose type is only known at run time (var(), json_query) needs "-m": the
# configuration is refused without it, as HAProxy 2.6 does; a converter gives it a type.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);

sub cfg {
    my ($line) = @_;
    my $c = Test::Portico->new();
    $c->config("global\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n"
        . "    timeout connect 5s\nfrontend f\n    bind 127.0.0.1:18999\n"
        . "    http-request set-var(txn.p) path\n$line\n");
    return $c->check_config();
}
my ($rc, $out) = cfg('    http-request deny if { var(txn.p) /x }');
isnt($rc, 0, 'var() without -m is refused') or diag($out);
like($out, qr/matching method must be specified/, 'with the reason') or diag($out);
($rc, $out) = cfg('    http-request deny if { var(txn.p) -m str /x }');
is($rc, 0, 'var() -m str is accepted') or diag($out);
($rc, $out) = cfg('    http-request deny if { var(txn.p),lower /x }');
is($rc, 0, 'var(),lower takes the string match') or diag($out);
