#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The runtime API's "show ssl crt-list" (ssl module): the crt-list files and certificate
# directories in use, one crt-list's lines with their options (in HAProxy's order) and SNI
# filters, "-n" with line numbers, unknown files; "new ssl cert", "del ssl cert", "add ssl
# crt-list", "del ssl crt-list" answered as not supported yet (portico only). The show part
# also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(9);

my $d = $t->testdir;
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }
make_ca($d, 'ca');
make_cert($d, 'a', 'a.test', sans => ['a.test']);
make_cert($d, 'b', 'b.test', sans => ['b.test', 'www.b.test']);
mkdir "$d/dir" or die;
make_cert("$d/dir", 'c', 'c.test', sans => ['c.test']);
unlink "$d/dir/c.crt", "$d/dir/c.key", "$d/dir/c.ext";
spew("$d/list.txt", "# a comment\n$d/a.pem [alpn h2,http/1.1 verify optional ca-file $d/ca.crt] a.test\n"
    . "\n$d/b.pem *.b.test b.test !www.b.test\n");

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode tcp
    %%TIMEOUTS%%
listen l
    bind 127.0.0.1:%%PORT_8443%% ssl crt-list $d/list.txt crt $d/dir/
    server s 127.0.0.1:%%PORT_8081%%
EOF2
my $sock = "$d/cli.sock";
# HAProxy 2.6 writes a NUL byte after an ALPN list (a bug portico does not copy): ignored
sub show { (my $x = cli_send($sock, $_[0])) =~ s/\0//g; return $x }

my $all = cli_send($sock, "show ssl crt-list\n");
is($all, "$d/dir\n$d/list.txt\n\n", 'show ssl crt-list: the crt-list files and directories');
is(show("show ssl crt-list $d/list.txt\n"),
    "# $d/list.txt\n$d/a.pem [alpn h2,http/1.1 verify optional ca-file $d/ca.crt] a.test\n"
    . "$d/b.pem *.b.test b.test !www.b.test\n\n",
    'show ssl crt-list <file>: lines, options and filters');
is(show("show ssl crt-list -n $d/list.txt\n"),
    "# $d/list.txt\n$d/a.pem:2 [alpn h2,http/1.1 verify optional ca-file $d/ca.crt] a.test\n"
    . "$d/b.pem:4 *.b.test b.test !www.b.test\n\n",
    'show ssl crt-list -n <file>: with line numbers');
is(cli_send($sock, "show ssl crt-list $d/dir/\n"), "# $d/dir\n$d/dir/c.pem\n\n",
    'show ssl crt-list <dir>: the directory\'s certificates');
like(cli_send($sock, "show ssl crt-list $d/nowhere\n"), qr/didn't find the specified filename/,
    'an unknown crt-list');
like(cli_send($sock, "show ssl crt-list -n\n"), qr/expects a filename or a directory/,
    '-n without a file');

SKIP: {
    skip 'portico answers these as not supported yet', 3 unless Test::Portico::portico();
    like(cli_send($sock, "new ssl cert $d/new.pem\n"), qr/'new ssl cert' is not supported yet/,
        'new ssl cert: not supported yet');
    like(cli_send($sock, "add ssl crt-list $d/list.txt $d/a.pem\n"),
        qr/'add ssl crt-list' is not supported yet/, 'add ssl crt-list: not supported yet');
    like(cli_send($sock, "del ssl cert $d/a.pem\n"), qr/'del ssl cert' is not supported yet/,
        'del ssl cert: not supported yet');
}
