#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module: a certificate file replaced on disk is picked up without a reload, by every
# worker, with a log line; a replacement that does not load (key mismatch, garbage) leaves the
# previous certificate in use, with a log line; connections already open are not disturbed;
# "show ssl cert" shows the new certificate; "set ssl cert" + "commit ssl cert" / "abort ssl
# cert" on the runtime API do the same from a payload.
use warnings;
use strict;
use Test::More;
use File::Copy qw/ copy /;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_parse port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get tls_connect /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(23);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
mkdir "$d/new";
make_cert($d, 'site', 'one.test', sans => [qw/ one.test /]);
make_cert("$d/new", 'site', 'two.test', sans => [qw/ two.test www.two.test /]);
make_cert("$d/new", 'other', 'other.test');

$t->config(<<"EOF")->run();
%%GLOBAL%%
    workers 2
    stats socket $d/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/site.pem
    http-request return status 200 content-type text/plain lf-string "ok\\n"
EOF

sub cn_seen {
    my ($sni) = @_;
    my ($r, $i) = https_get(port(8443), '/', sni => $sni);
    return ref $i && $i->{subject} =~ /CN\s*=\s*([^\/,]+)/ ? $1 : '';
}

# replaces FILE atomically with the concatenation of FILES
sub replace {
    my ($file, @from) = @_;
    open my $o, '>', "$file.tmp" or die;
    for my $f (@from) {
        open my $i, '<', $f or die "$f: $!";
        local $/;
        my $txt = <$i>;
        print $o $txt;
    }
    close $o;
    rename "$file.tmp", $file or die;
}

sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + $timeout;
    while (time < $end) { return 1 if $cond->(); sleep 0.2 }
    return $cond->();
}

is(cn_seen('one.test'), 'one.test', 'the configured certificate is served');
my $old = tls_connect(port(8443), sni => 'one.test');

replace("$d/site.pem", "$d/new/site.pem");
ok(wait_for(sub { cn_seen('www.two.test') eq 'two.test' }, 5), 'the replaced file is served');
my @all = map { cn_seen('two.test') } 1 .. 6;
is_deeply(\@all, [('two.test') x 6], 'by every worker');
ok(wait_for(sub { $t->errlog =~ /certificate '\Q$d\E\/site\.pem' reloaded from disk \(subject \/O=portico tests\/CN=two\.test/ }, 3),
    'the reload is logged');

print $old "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
my $r = '';
while (sysread($old, my $b, 4096)) { $r .= $b }
like($r, qr/^ok$/m, 'a connection opened before the change is still served');

# a bad replacement: another certificate's key
replace("$d/site.pem", "$d/new/site.crt", "$d/new/other.key");
ok(wait_for(sub { $t->errlog =~ /certificate file '\Q$d\E\/site\.pem' changed but cannot be used \(inconsistencies/ }, 5),
    'a mismatched key is logged');
is(cn_seen('two.test'), 'two.test', 'and the previous certificate stays in use');
replace("$d/site.pem", "$d/new/other.pem");
ok(wait_for(sub { cn_seen('') eq 'other.test' }, 5), 'a good file after a bad one is picked up');

my $show = cli_send("$d/admin.sock", "show ssl cert $d/site.pem\n");
like($show, qr{^Subject: /O=portico tests/CN=other\.test$}m, 'show ssl cert shows it');
my @reloads = $t->errlog =~ /reloaded from disk/g;
is(scalar @reloads, 2, 'one log line per change (not one per worker)');

# ---- the runtime API: set / commit / abort ssl cert --------------------------------------
make_cert("$d/new", 'three', 'three.test', sans => ['three.test']);
sub slurp { my ($f) = @_; open my $h, '<', $f or die "$f: $!"; local $/; my $x = <$h>; return $x }
sub cli { cli_send("$d/admin.sock", $_[0]) }
my $pem3 = slurp("$d/new/three.pem");
like(cli("set ssl cert $d/site.pem <<\n$pem3\n"), qr/^Transaction created for certificate \Q$d\E\/site\.pem!$/m,
    'set ssl cert: transaction created');
like(cli("show ssl cert\n"), qr/^# transaction\n\*\Q$d\E\/site\.pem\n# filename\n/m,
    'show ssl cert lists the transaction');
is(cn_seen(''), 'other.test', 'nothing changes before the commit');
like(cli("commit ssl cert $d/site.pem\n"), qr/^Committing \Q$d\E\/site\.pem\nSuccess!$/m, 'commit ssl cert');
is(cn_seen('three.test'), 'three.test', 'the committed certificate is served by the next handshake, at once');
my @w = map { cn_seen('three.test') } 1 .. 6;
is_deeply(\@w, [('three.test') x 6], 'by every worker');
like(cli("show ssl cert $d/site.pem\n"), qr{^Subject: /O=portico tests/CN=three\.test$}m,
    'show ssl cert shows the committed certificate');
ok(wait_for(sub { $t->errlog =~ /certificate '\Q$d\E\/site\.pem' replaced from the runtime API/ }, 3),
    'the commit is logged');

my $bad = slurp("$d/new/site.crt") . slurp("$d/new/other.key");
like(cli("set ssl cert $d/site.pem <<\n$bad\n"), qr/unable to load the certificate: inconsistencies/,
    'set ssl cert refuses a key that does not match');
like(cli("set ssl cert $d/nope.pem <<\n$pem3\n"), qr/not referenced by the configuration/,
    'set ssl cert refuses an unknown file');
my $pem2 = slurp("$d/new/site.pem");
like(cli("set ssl cert $d/site.pem <<\n$pem2\n"), qr/^Transaction created/m, 'a second transaction');
like(cli("abort ssl cert $d/site.pem\n"), qr/^Transaction aborted for certificate '\Q$d\E\/site\.pem'!$/m,
    'abort ssl cert');
sleep 1.5;
is(cn_seen('three.test'), 'three.test', 'an aborted transaction changes nothing');
