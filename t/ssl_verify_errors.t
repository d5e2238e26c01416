#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Why a certificate verification failed, as HAProxy 2.6 says it (reg-tests/ssl/ssl_errors.vtc):
# - a client certificate whose chain stops at an untrusted CA (its issuer is known, the root
#   is not): fc_err 30 "SSL client CA chain cannot be verified", ssl_c_ca_err set;
# - one whose issuer is unknown: fc_err 31 "SSL client certificate not trusted", ssl_c_err set;
#   both with the client's certificate still readable by ssl_c_* in error-log-format;
# - no certificate at all for "verify required": fc_err 34 "SSL handshake failure";
# - a server certificate without the name checked: bc_err 33 "... different from the expected
#   one" with SNI (the name sent wins over verifyhost, HAProxy 2.6), 32 "... the configured
#   one" with verifyhost alone.
# Certificates made at test time; openssl s_client and curl as clients.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ port /;
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(12);
my $d = $t->testdir;

# root -> inter -> cli; other: an unrelated CA
make_ca($d, 'root');
make_ca($d, 'other');
sub ossl { my $o = qx{openssl @_ 2>&1}; die "openssl @_: $o" if $? }
ossl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $d/inter.key",
     "-out $d/inter.csr -subj /CN=inter");
$t->write_file('inter.ext', "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n");
ossl("x509 -req -in $d/inter.csr -CA $d/root.crt -CAkey $d/root.key -CAcreateserial -days 30",
     "-extfile $d/inter.ext -out $d/inter.crt");
make_cert($d, 'cli', 'cli.test', client => 1, ca => 'inter', serial => '1007');
make_cert($d, 'srv', 'srv.test', ca => 'root', sans => ['srv.test']);
$t->write_file('chain.crt', $t->read_file('inter.crt') . $t->read_file('root.crt'));

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
    return (grep { /$want/ } @logs)[0];
}

my $elf = 'conn_status:\"%[fc_err]:%[fc_err_str]\" ca_err=%[ssl_c_ca_err] crt_err=%[ssl_c_err]'
    . ' CN=%[ssl_c_s_dn(CN)] serial=%[ssl_c_serial,hex]';
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    retries 0
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
frontend chain_ok
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem ca-file $d/chain.crt verify required
    log-format "OK $elf"
    error-log-format "E00 $elf"
    http-request return status 200
frontend no_root
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/srv.pem ca-file $d/inter.crt verify required
    error-log-format "E30 $elf"
    log-format "NOPE"
    http-request return status 200
frontend other_ca
    bind 127.0.0.1:%%PORT_8445%% ssl crt $d/srv.pem ca-file $d/other.crt verify required
    error-log-format "E31 $elf"
    log-format "NOPE"
    http-request return status 200
frontend origin
    bind 127.0.0.1:%%PORT_8446%% ssl crt $d/srv.pem
    http-request return status 200
frontend proxy
    bind 127.0.0.1:%%PORT_8080%%
    log-format "P %HU %[bc_err]:%[bc_err_str] %ST"
    use_backend %[path,field(2,/)]
backend sni_wrong
    server s 127.0.0.1:%%PORT_8446%% ssl verify required ca-file $d/root.crt sni str(wrong.test)
backend vh_wrong
    server s 127.0.0.1:%%PORT_8446%% ssl verify required ca-file $d/root.crt verifyhost wrong.test
backend sni_wins
    server s 127.0.0.1:%%PORT_8446%% ssl verify required ca-file $d/root.crt sni str(srv.test) verifyhost wrong.test
EOF2

my $req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my @c = ('-tls1_2', '-cert', "$d/cli.crt", '-key', "$d/cli.key");
like(s_client(port(8443), $req, @c), qr/^HTTP\/1\.1 200/m, 'the whole chain trusted: answered');
like(log_wait(qr/^(?:<\d+>.*?)?OK /m, 5) // '', qr/conn_status:"0:Success" ca_err=0 crt_err=0 CN=cli\.test serial=1007/,
     'verified: fc_err 0, the certificate read');

unlike(s_client(port(8443), $req, '-tls1_2'), qr/^HTTP\/1\.1 200/m, 'no certificate: refused');
like(log_wait(qr/E00 /, 5) // '', qr/conn_status:"34:SSL handshake failure" ca_err=0 crt_err=0 CN=- /,
     'no certificate for verify required: fc_err 34 (nothing verified)');

unlike(s_client(port(8444), $req, @c), qr/^HTTP\/1\.1 200/m, 'the root CA unknown: refused');
like(log_wait(qr/E30 /, 5) // '',
     qr/conn_status:"30:SSL client CA chain cannot be verified" ca_err=2 crt_err=0 CN=cli\.test serial=1007/,
     'fc_err 30, ssl_c_ca_err 2 (issuer of a CA unknown), the client certificate kept for the log');

unlike(s_client(port(8445), $req, @c), qr/^HTTP\/1\.1 200/m, 'the issuer unknown: refused');
like(log_wait(qr/E31 /, 5) // '',
     qr/conn_status:"31:SSL client certificate not trusted" ca_err=0 crt_err=20 CN=cli\.test serial=1007/,
     'fc_err 31, ssl_c_err 20 (issuer unknown), the client certificate kept for the log');

sub get { qx{curl -s -o /dev/null --max-time 5 http://127.0.0.1:@{[port(8080)]}/$_[0]} }
get('sni_wrong');
like(log_wait(qr{P /sni_wrong }, 5) // '',
     qr{33:Server presented an SSL certificate different from the expected one 503},
     'SNI not in the server certificate: bc_err 33');
get('vh_wrong');
like(log_wait(qr{P /vh_wrong }, 5) // '',
     qr{32:Server presented an SSL certificate different from the configured one 503},
     'verifyhost not in the server certificate, no SNI: bc_err 32');
get('sni_wins');
like(log_wait(qr{P /sni_wins }, 5) // '', qr{ 0:Success 200},
     'the SNI sent is checked, not verifyhost (HAProxy 2.6)');
ok(!grep({ /NOPE/ } @logs), 'no traffic line for the refused handshakes');
