#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# tls-ticket-keys (ssl module): HAProxy's key files (base64 lines of 80 bytes: AES-256, or 48:
# AES-128), the penultimate key encrypting (the ticket's key name says which), resumption
# from a ticket, "show tls-keys" (files, and the keys as a window previous/current/next),
# "set ssl tls-key" rotating the keys in every worker: a ticket of an older key in the window
# still resumes, one whose key left it does not; -c refuses short files, keys of the wrong
# size and missing files. Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use MIME::Base64 qw/ encode_base64 /;
use lib 't/lib';
use Test::Portico qw/ port cli_send wait_until /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert /;

my $t = Test::Portico->new()->has(qw/ http /);
$t->has(qw/ ssl /) if Test::Portico::portico();
$t->plan(18);

my $d = $t->testdir;
sub spew { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }
make_cert($d, 'srv', 'srv.test', sans => ['srv.test']);

# Keys with recognisable names: name = 16 times the letter, the rest random.
sub key_of { my ($ch, $len) = @_; return $ch x 16 . join('', map { chr(int(rand(256))) } 1 .. $len - 16) }
my @k80 = map { key_of($_, 80) } qw/ A B C D /;   # 4 lines: B is the penultimate... of the last 3
my @k48 = map { key_of($_, 48) } qw/ P Q R /;
spew("$d/keys80", join('', map { encode_base64($_, '') . "\n" } @k80));
spew("$d/keys48", join('', map { encode_base64($_, '') . "\n" } @k48));

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    nbthread 2
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend f80
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem tls-ticket-keys $d/keys80
    http-request return status 200 content-type text/plain string ok
frontend f48
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/srv.pem tls-ticket-keys $d/keys48
    http-request return status 200 content-type text/plain string ok
EOF2
my $sock = "$d/cli.sock";
my $n = 0;
# A TLS 1.2 connection to PORT (resuming session file IN if given); returns (reused?, the
# first byte of the ticket's key name, the session file written).
sub conn {
    my ($port, $in) = @_;
    my $out = "$d/sess" . $n++;
    my $o = qx{echo | timeout 10 openssl s_client -connect 127.0.0.1:$port -tls1_2 -sess_out $out @{[ $in ? "-sess_in $in" : '' ]} 2>&1};
    my $reused = $o =~ /^Reused, /m ? 1 : 0;
    my $txt = qx{openssl sess_id -in $out -noout -text 2>&1};
    my ($first) = $txt =~ /TLS session ticket:\s*\n\s*0000 - ([0-9a-f]{2})/;
    return ($reused, defined $first ? chr(hex $first) : '', $out);
}

# 4 keys in the file: B C D kept, C (the penultimate) encrypts
my ($r, $name, $s1) = conn(port(8443));
is($name, 'C', 'the penultimate key of the file encrypts (80-byte keys)');
($r) = conn(port(8443), $s1);
is($r, 1, 'a ticket resumes');
my ($r48, $name48, $s48) = conn(port(8444));
is($name48, 'Q', '48-byte keys: the penultimate encrypts');
is((conn(port(8444), $s48))[0], 1, '48-byte keys: a ticket resumes');

my $files = cli_send($sock, "show tls-keys\n");
like($files, qr/^# id \(file\)\n/, 'show tls-keys: header');
my ($id80) = $files =~ /^(\d+) \(\Q$d\E\/keys80\)$/m;
ok(defined $id80 && $files =~ /^\d+ \(\Q$d\E\/keys48\)$/m, 'show tls-keys: both files with their ids');
my $dump = cli_send($sock, "show tls-keys $d/keys80\n");
my $b64 = join('', map { "$id80.$_->[0] " . encode_base64($_->[1], '') . "\n" }
    ([0, $k80[1]], [1, $k80[2]], [2, $k80[3]]));
is($dump, "# id secret\n# $id80 ($d/keys80)\n$b64\n", 'show tls-keys <file>: previous, current, next');
like(cli_send($sock, "show tls-keys #$id80\n"), qr/^\Q$id80\E\.1 \Q@{[encode_base64($k80[2], '')]}\E$/m,
    'show tls-keys #<id>');
like(cli_send($sock, "show tls-keys *\n"), qr/^# id secret\n# \d+ \(.*\n(?:.*\n){3}# \d+ \(/,
    'show tls-keys *: every file');

# rotation: E becomes the next key, D encrypts
my $e = key_of('E', 80);
like(cli_send($sock, "set ssl tls-key $d/keys80 " . encode_base64($e, '') . "\n"),
    qr/TLS ticket key updated!/, 'set ssl tls-key');
my $all = 1;
for (1 .. 6) { my (undef, $nm) = conn(port(8443)); $all = 0 unless $nm eq 'D' }
ok($all, 'after the rotation every worker encrypts with the next key');
is((conn(port(8443), $s1))[0], 1, 'a ticket of the previous key still resumes');
like(cli_send($sock, "set ssl tls-key #$id80 " . encode_base64(key_of('F', 80), '') . "\n"),
    qr/TLS ticket key updated!/, 'set ssl tls-key #<id>');
is((conn(port(8443), $s1))[0], 0, 'a ticket whose key left the window: full handshake');
like(cli_send($sock, "set ssl tls-key $d/keys80 " . encode_base64(key_of('G', 48), '') . "\n"),
    qr/received a key of wrong size/, 'a key of the wrong size: refused');
like(cli_send($sock, "set ssl tls-key $d/nowhere " . encode_base64($e, '') . "\n"),
    qr/unable to locate referenced filename/, 'an unknown file: refused');

# -c
spew("$d/short", encode_base64($k80[0], '') . "\n" . encode_base64($k80[1], '') . "\n");
spew("$d/mixed", join('', map { encode_base64($_, '') . "\n" } $k80[0], $k48[0], $k80[1]));
my $errs = '';
for my $f ("$d/short", "$d/mixed", "$d/missing") {
    spew("$d/bad.cfg", "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
        . "frontend fe\n    bind 127.0.0.1:1 ssl crt $d/srv.pem tls-ticket-keys $f\n");
    my ($rc, $out) = $t->run_binary('-c', '-f', "$d/bad.cfg");
    $errs .= "rc=$rc $out\n";
}
like($errs, qr/please supply at least 3 keys in the tls-tickets-file/, '-c: fewer than 3 keys');
like($errs, qr/wrong sized key on line 2.*unable to load ssl tickets keys file/s,
    '-c: a key of another size, a missing file');
