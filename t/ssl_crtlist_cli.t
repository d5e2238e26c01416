#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The runtime API's certificate and crt-list commands (ssl module): "show ssl crt-list" (the
# crt-list files and certificate directories in use, one crt-list's lines with their options
# in HAProxy's order and SNI filters, "-n" with line numbers, unknown files); "new ssl cert",
# "set/commit ssl cert" on it, "add ssl crt-list" (a payload line with options and a filter:
# served by every worker for its SNI), "del ssl crt-list", "del ssl cert", with HAProxy's
# answers and refusals. Passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(23);

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
    nbthread 2
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

# certificates and crt-list lines added and removed at run time
make_cert($d, 'd', 'd.test', sans => ['d.test']);
sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; my $x = <$f>; $x }
my $pem = slurp("$d/d.pem");
unlink "$d/d.pem"; # known to the proxy through the runtime API only
# The certificate's CN served for SNI NAME by each of 6 connections ("a.test" ...).
sub served {
    my ($name) = @_;
    my %cn;
    for (1 .. 6) {
        my $o = qx{echo | timeout 5 openssl s_client -connect 127.0.0.1:@{[port(8443)]} -servername $name 2>&1};
        my ($cn) = $o =~ /^subject=.*CN ?= ?([\w.]+)/m;
        $cn{$cn // 'none'}++;
    }
    return join ',', sort keys %cn;
}
is(cli_send($sock, "new ssl cert $d/d.pem\n"), "New empty certificate store '$d/d.pem'!\n\n",
    'new ssl cert');
is(cli_send($sock, "new ssl cert $d/d.pem\n"), "Certificate '$d/d.pem' already exists!\n\n",
    'new ssl cert: already exists');
like(cli_send($sock, "show ssl cert $d/d.pem\n"), qr/^Filename: \Q$d\E\/d.pem\nStatus: Empty\n/,
    'show ssl cert: the new certificate is empty');
like(cli_send($sock, "add ssl crt-list $d/list.txt $d/d.pem\n"),
    qr/^Can't edit the crt-list: certificate '\Q$d\E\/d.pem' is empty!/, 'add ssl crt-list: an empty certificate');
like(cli_send($sock, "set ssl cert $d/d.pem <<\n$pem\n"), qr/Transaction created for certificate \Q$d\E\/d.pem!/,
    'set ssl cert on the new certificate');
like(cli_send($sock, "commit ssl cert $d/d.pem\n"), qr/Success!/, 'commit ssl cert');
is(served('d.test'), 'a.test', 'not served before it is in a crt-list');
is(cli_send($sock, "add ssl crt-list $d/list.txt <<\n$d/d.pem [alpn http/1.1] d.test\n\n"),
    "Inserting certificate '$d/d.pem' in crt-list '$d/list.txt'.\nSuccess!\n\n",
    'add ssl crt-list with a payload line');
ok(!grep({ served('d.test') ne 'd.test' } 1 .. 6), 'every worker serves it for its SNI, from the next handshake on');
is(show("show ssl crt-list -n $d/list.txt\n"),
    "# $d/list.txt\n$d/a.pem:2 [alpn h2,http/1.1 verify optional ca-file $d/ca.crt] a.test\n"
    . "$d/b.pem:4 *.b.test b.test !www.b.test\n$d/d.pem:5 [alpn http/1.1] d.test\n\n",
    'show ssl crt-list -n: the added line');
is(cli_send($sock, "del ssl cert $d/d.pem\n"), "Can't remove the certificate: certificate '$d/d.pem' in use, can't be deleted!\n\n\n",
    'del ssl cert: in use');
like(cli_send($sock, "del ssl crt-list $d/list.txt $d/a.pem\n"),
    qr/certificate '\Q$d\E\/a.pem' cannot be deleted, it is used as default certificate by the following frontends:\n\t- .*:\d+\n/,
    'del ssl crt-list: the default certificate stays');
is(cli_send($sock, "del ssl crt-list $d/list.txt $d/d.pem:4\n"),
    "Can't delete the entry: found a certificate '$d/d.pem' but the line number is incorrect, please specify a correct line number preceded by colons (5)!\n\n",
    'del ssl crt-list: a wrong line number');
is(cli_send($sock, "del ssl crt-list $d/list.txt $d/d.pem\n"),
    "Entry '$d/d.pem' deleted in crtlist '$d/list.txt'!\n\n", 'del ssl crt-list');
ok(!grep({ served('d.test') ne 'a.test' } 1 .. 6), 'no worker serves it any more, from the next handshake on');
is(cli_send($sock, "del ssl cert $d/d.pem\n"), "Certificate '$d/d.pem' deleted!\n\n", 'del ssl cert');
is(cli_send($sock, "del ssl cert $d/d.pem\n"), "Can't remove the certificate: certificate '$d/d.pem' doesn't exist!\n\n\n",
    'del ssl cert: gone');
