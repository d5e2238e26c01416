#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# crt-list SNI filters as HAProxy reads them: any filter, even a negative one alone, replaces
# the certificate's own names (so "b.pem !x.test" is never chosen for b.test), a negative
# wildcard ("!*", "!*.b.test") is accepted and does nothing else ("b.pem !*": a certificate
# only the default choice can give), and a negative name still excludes from a positive
# wildcard.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(6);
my $d = $t->testdir;
make_cert($d, $_, "$_.test", sans => ["$_.test", "www.$_.test"]) for qw/ a b c /;
$t->write_file('l1', "$d/a.pem\n$d/b.pem !x.test\n");
$t->write_file('l2', "$d/b.pem !*\n$d/a.pem\n");
$t->write_file('l3', "$d/a.pem\n$d/c.pem *.c.test !www.c.test !*.x.test\n");

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend f
    bind 127.0.0.1:%%PORT_8443%% ssl crt-list $d/l1
    bind 127.0.0.1:%%PORT_8444%% ssl crt-list $d/l2
    bind 127.0.0.1:%%PORT_8445%% ssl crt-list $d/l3
    http-request return status 200 content-type text/plain lf-string "%[ssl_f_s_dn(CN)]\\n"
EOF2

sub cn {
    my ($p, $sni) = @_;
    my ($r) = https_get(port($p), '/', sni => $sni);
    return ($r // '') =~ /\r\n\r\n(\S+)/ ? $1 : '';
}

is(cn(8443, 'b.test'), 'a.test', 'a negative filter alone: the certificate\'s own names are not used');
is(cn(8444, 'b.test'), 'b.test', '"!*": the default certificate (first line) answers every name');
is(cn(8444, 'a.test'), 'a.test', '"!*" does not stop the other lines\' names');
is(cn(8445, 'x.c.test'), 'c.test', 'a positive wildcard filter');
is(cn(8445, 'www.c.test'), 'a.test', 'a negative name excludes from the wildcard');
is(cn(8445, 'c.test'), 'a.test', 'the certificate\'s own name is not used with filters');
