#!/usr/bin/perl
# An ACL on a fetch whose type is only known at run time (var(), json_query) or binary
# (req.payload, bin(), sha1...) needs "-m": the configuration is refused without it, as
# HAProxy 2.6 does (naming the fetch); a converter gives it a type. Runs unchanged against
# HAProxy (PORTICO_TEST_BINARY=/usr/sbin/haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new()->has(qw/ http /)->plan(16);

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

for my $crit ('bin(0102)', 'str(abc),sha1', 'req.body', "str(x),json_query('\$.a')",
              'str(x),protobuf(1)') {
    ($rc, $out) = cfg("    acl a $crit 0102\n    http-request deny if a");
    (my $f = $crit) =~ s/[(,].*//;
    isnt($rc, 0, "$crit without -m is refused") or diag($out);
    like($out, qr/matching method must be specified first \(using '-m'\) when using a sample fetch of this type \('\Q$f\E'\)/,
         "$crit: HAProxy's message") or diag($out);
}
($rc, $out) = cfg("    acl a bin(0102) -m bin 0102\n    http-request deny if a");
is($rc, 0, 'bin() -m bin is accepted') or diag($out);
($rc, $out) = cfg("    acl a bin(0102),hex 0102\n    http-request deny if a");
is($rc, 0, 'bin(),hex takes the string match') or diag($out);
