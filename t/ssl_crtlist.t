#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The ssl module: crt-list files (SNI filters, wildcards, '!' exclusions, per-line alpn and
# verify/ca-file), client certificates (verify required and optional, the ssl_c_* fetches),
# session resumption across workers (openssl s_client -sess_out/-sess_in; tickets, and
# session IDs through the cache shared by the workers), and
# "show ssl cert" on the runtime API.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_parse port cli_send /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_ca make_cert https_get tls_connect s_client /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(33);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'a', 'a.test', sans => ['a.test']);
make_cert($d, 'w', '*.w.test', sans => ['*.w.test']);
make_cert($d, 'admin', 'admin.w.test', sans => ['admin.w.test']);
make_cert($d, 'alice', 'alice', ca => 'ca', client => 1, serial => '0A0B0C');
make_cert($d, 'mallory', 'mallory', client => 1); # self-signed: not from the CA

open my $fh, '>', "$d/list.txt" or die;
print $fh <<"EOF";
# default certificate first, answering for its own names
$d/a.pem [alpn http/1.1]

$d/w.pem *.w.test !secret.w.test
$d/admin.pem [verify required ca-file $d/ca.crt] admin.w.test
EOF
close $fh;

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp') or die;
my $up = $u->sockport;
my @logs;
sub log_wait {
    my ($want, $timeout) = @_;
    my $sel = IO::Select->new($u);
    my $deadline = time + $timeout;
    while (!grep { /$want/ } @logs) {
        last if time >= $deadline || !$sel->can_read($deadline - time);
        $u->recv(my $m, 65535);
        push @logs, $m;
    }
    return grep { /$want/ } @logs;
}

my $info = 'sni=%[ssl_fc_sni] alpn=%[ssl_fc_alpn] used=%[ssl_c_used] crt=%[ssl_fc_has_crt] '
    . 'verify=%[ssl_c_verify] cn=%[ssl_c_s_dn(CN)] s=%[ssl_c_s_dn] i=%[ssl_c_i_dn] '
    . 'serial=%[ssl_c_serial,hex] sha1=%[ssl_c_sha1,hex] na=%[ssl_c_notafter] '
    . 'resumed=%[ssl_fc_is_resumed]\\n';
$t->config(<<"EOF")->run();
%%GLOBAL%%
    workers 2
    stats socket $d/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
    option httplog
frontend list
    bind 127.0.0.1:%%PORT_8443%% ssl crt-list $d/list.txt
    http-request return status 200 content-type text/plain lf-string "$info"
frontend optional
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/a.pem ca-file $d/ca.crt verify optional
    http-request return status 200 content-type text/plain lf-string "$info"
frontend notickets
    bind 127.0.0.1:%%PORT_8446%% ssl crt $d/a.pem no-tls-tickets
    http-request return status 200 content-type text/plain lf-string "$info"
frontend ignore
    bind 127.0.0.1:%%PORT_8447%% ssl crt $d/a.pem ca-file $d/ca.crt verify required crt-ignore-err X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,10
    bind 127.0.0.1:%%PORT_8448%% ssl crt $d/a.pem ca-file $d/ca.crt verify required crt-ignore-err 10
    http-request return status 200 content-type text/plain lf-string "err=%[ssl_c_err] caerr=%[ssl_c_ca_err] verify=%[ssl_c_verify] cn=%[ssl_c_s_dn(CN)]\\n"
frontend required
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/a.pem ca-file $d/ca.crt verify required
    http-request return status 200 content-type text/plain lf-string "$info"
EOF

sub body { my $p = http_parse($_[0] // ''); return $p ? $p->{body} : '' }
my %alice = (cert => "$d/alice.crt", key => "$d/alice.key");
my %mallory = (cert => "$d/mallory.crt", key => "$d/mallory.key");

# ---- crt-list ---------------------------------------------------------------------------------
my %want = ('a.test' => 'a.test', 'x.w.test' => '*.w.test', 'secret.w.test' => 'a.test',
    'none.test' => 'a.test');
for my $sni (sort keys %want) {
    my ($r, $i) = https_get(port(8443), '/', sni => $sni);
    like(ref $i ? $i->{subject} : '', qr/CN\s*=\s*\Q$want{$sni}\E/, "crt-list: '$sni' gets $want{$sni}");
}
my ($r, $i) = https_get(port(8443), '/', sni => 'a.test', alpn => ['h2', 'http/1.1']);
like(body($r), qr{alpn=http/1\.1 }, 'crt-list: per-line [alpn http/1.1]');
($r, $i) = https_get(port(8443), '/', sni => 'x.w.test', alpn => ['h2', 'http/1.1']);
like(body($r), qr{alpn= }, 'crt-list: a line without alpn negotiates none');
($r, $i) = https_get(port(8443), '/', sni => 'admin.w.test', %alice);
like(body($r), qr{sni=admin\.w\.test .*cn=alice }, 'crt-list: per-line verify required accepts alice');
($r, $i) = https_get(port(8443), '/', sni => 'admin.w.test');
ok(!body($r), 'crt-list: per-line verify required refuses a client without a certificate');
($r, $i) = https_get(port(8443), '/', sni => 'x.w.test');
like(body($r), qr{used=0 }, 'crt-list: other lines ask for no certificate');

# ---- client certificates --------------------------------------------------------------------------
($r) = https_get(port(8444), '/');
like(body($r), qr{used=0 crt=0 verify=0 cn= }, 'verify optional: no certificate, let through');
($r) = https_get(port(8444), '/', %alice);
my $b = body($r);
like($b, qr{used=1 crt=1 verify=0 cn=alice }, 'verify optional: alice verified');
like($b, qr{ s=/O=portico tests/CN=alice i=/CN=ca }, 'ssl_c_s_dn, ssl_c_i_dn');
like($b, qr{ serial=0A0B0C }, 'ssl_c_serial');
my $fp = lc((split /=/, qx{openssl x509 -in $d/alice.crt -noout -fingerprint -sha1})[1] // '');
$fp =~ s/[:\s]//g;
like(lc $b, qr{ sha1=\Q$fp\E }, 'ssl_c_sha1');
like($b, qr{ na=\d{12}Z }, 'ssl_c_notafter');
($r) = https_get(port(8444), '/', %mallory);
ok(!body($r), 'verify optional: a certificate from another CA is refused');
($r) = https_get(port(8445), '/', %alice);
like(body($r), qr{verify=0 cn=alice }, 'verify required: alice served');
($r) = https_get(port(8445), '/');
ok(!body($r), 'verify required: no certificate, refused');
($r) = https_get(port(8445), '/', %mallory);
ok(!body($r), 'verify required: unknown CA, refused');
ok(log_wait(qr{required/\d+: SSL client (certificate not trusted|CA chain cannot be verified)}, 3),
    'the refusal is logged');

($r) = https_get(port(8447), '/', %mallory);
is(body($r), "err=18 caerr=0 verify=18 cn=mallory\n",
    'crt-ignore-err: a self-signed client certificate let through, ssl_c_err says why');
($r) = https_get(port(8447), '/', %alice);
is(body($r), "err=0 caerr=0 verify=0 cn=alice\n", 'crt-ignore-err: a good certificate, no error');
($r) = https_get(port(8448), '/', %mallory);
ok(!body($r), 'crt-ignore-err without that error: refused');

# ---- resumption --------------------------------------------------------------------------------------
my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
unlink "$d/sess";
my $o1 = s_client(port(8444), $req, '-servername', 'a.test', '-sess_out', "$d/sess");
like($o1, qr/^New, TLSv1\.3/m, 's_client: a new session');
my @resumed;
for (1 .. 4) { # two workers: some of these land on the other worker
    my $o = s_client(port(8444), $req, '-servername', 'a.test', '-sess_in', "$d/sess");
    push @resumed, scalar($o =~ /^Reused, TLSv1\.3/m && $o =~ /resumed=1/);
}
is(scalar(grep { $_ } @resumed), 4, 's_client -sess_in: resumed every time, on every worker');
my ($name) = $o1 =~ /TLS session ticket:\n\s*0000 - ((?:[0-9a-f]{2}[ -]){8})/;
is($name // '', '70 74 63 74 6b 74 30 31-', "tickets carry portico's rotating key name");

# without tickets (TLS 1.3 stateful sessions, each usable once): the shared cache
unlink "$d/sess0";
my $o0 = s_client(port(8446), $req, '-servername', 'a.test', '-sess_out', "$d/sess0");
like($o0, qr/^New, TLSv1\.3/m, 'no-tls-tickets: a new session');
my @chain;
for my $k (1 .. 4) {
    my $o = s_client(port(8446), $req, '-servername', 'a.test', '-sess_in', "$d/sess" . ($k - 1),
        '-sess_out', "$d/sess$k");
    push @chain, scalar($o =~ /^Reused, TLSv1\.3/m && $o =~ /resumed=1/);
}
is(scalar(grep { $_ } @chain), 4, 'no-tls-tickets: resumed every time through the shared cache');

# ---- show ssl cert -------------------------------------------------------------------------------------
my $list = cli_send("$d/admin.sock", "show ssl cert\n");
like($list, qr{^# filename\n(?:.*\n)*\Q$d/w.pem\E$}m, 'show ssl cert lists the certificates');
my $one = cli_send("$d/admin.sock", "show ssl cert $d/w.pem\n");
like($one, qr{^Filename: \Q$d/w.pem\E$}m, 'show ssl cert <file>: filename');
like($one, qr{^Subject: /O=portico tests/CN=\*\.w\.test$}m, 'subject');
like($one, qr{^Subject Alternative Name: DNS:\*\.w\.test$}m, 'SANs');
like($one, qr{^notAfter: \w+ +\d+ [\d:]+ \d{4} GMT\n(?:.*\n)*?Days to expiry: 29$}m, 'notAfter and days to expiry');
