#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ssl-load-extra-files sctl (part of the default "all"): a "<crt>.sctl" side file next to a
# certificate is sent as the signed_certificate_timestamp extension (18) to TLS 1.2 clients
# that ask for it, and only to them; a malformed one fails the configuration; with "bundle"
# alone, it is not read.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(6);

my $d = $t->testdir;
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; binmode $f; print $f $_[1]; close $f }
make_cert($d, 'a', 'a.test', rsa => 1);
# one SCT (v1): version, log id, timestamp, no extensions, ECDSA-SHA256 signature
my $sct = pack('C', 0) . ("\x11" x 32) . pack('Q>', 1700000000000) . pack('n', 0)
    . pack('CC', 4, 3) . pack('n', 8) . ("\x30" x 8);
spew("$d/a.pem.sctl", pack('n', length($sct) + 2) . pack('n', length($sct)) . $sct);
spew("$d/ct.cnf", "enabled_logs = \n");

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/a.pem
    http-request return status 200
EOF2

my $len = length($sct) + 4;
my $out = s_client(port(8443), '', '-tls1_2', '-ct', '-ctlogfile', "$d/ct.cnf", '-tlsextdebug');
like($out, qr/"signed certificate timestamps" \(id=18\), len=$len\b/, 'the SCT list is sent to a client asking for it');
$out = s_client(port(8443), '', '-tls1_2', '-tlsextdebug');
like($out, qr/Verify return code/, 'a client not asking for it connects');
unlike($out, qr/id=18\)/, 'and gets no SCT list');

sub check_cfg {
    my ($global) = @_;
    my $f = "$d/c.cfg";
    spew($f, "global\n$global\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n"
        . "    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:1 ssl crt $d/b.pem\n");
    return $t->run_binary('-c', '-f', $f);
}
make_cert($d, 'b', 'b.test');
spew("$d/b.pem.sctl", "\x00\x05abc");
my ($rc, $o) = check_cfg('');
like($o, qr/b\.pem\.sctl(?:\.sctl)?' is present but cannot be read or parsed/, '-c: a malformed .sctl fails the load');
($rc, $o) = check_cfg("    ssl-load-extra-files none\n");
is($rc, 0, '-c: ignored with ssl-load-extra-files none') or diag($o);
($rc, $o) = check_cfg("    ssl-load-extra-files bundle\n");
is($rc, 0, '-c: ssl-load-extra-files bundle alone does not read the .sctl') or diag($o);
