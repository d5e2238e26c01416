#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# TLS 1.3 early data (0-RTT) with "allow-0rtt" on a bind line, driven by a real client
# (openssl s_client -sess_out, then -sess_in ... -early_data): a request sent as early data is
# answered, ssl_fc_has_early is true for it while the handshake is not complete and the
# server gets "Early-Data: 1"; "http-request wait-for-handshake" holds it until the handshake
# completed (then ssl_fc_has_early is false and no Early-Data header goes out); without
# allow-0rtt the early data is refused and the client's request after the handshake (1-RTT)
# is still answered.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port cli_send /;
use Test::PorticoTLS qw/ make_ca make_cert s_client /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(27);
my $d = $t->testdir;
make_ca($d, 'ca');
make_cert($d, 'srv', 'srv.test', ca => 'ca');

make_cert($d, 'a', 'a.test', ca => 'ca', sans => ['a.test']);
make_cert($d, 'b', 'b.test', ca => 'ca', sans => ['b.test']);
# allow-0rtt on one crt-list line only: early data for the names it serves
$t->write_file('list.txt', "$d/b.pem b.test\n$d/a.pem [allow-0rtt] a.test\n");
$t->origin_http(port(8080), echo => 1);
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend early
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/srv.pem allow-0rtt
    http-request set-header X-Early %[ssl_fc_has_early]
    http-request wait-for-handshake if { path_beg /wait }
    http-request set-header X-After %[ssl_fc_has_early]
    default_backend be
frontend refused
    bind 127.0.0.1:%%PORT_8444%% ssl crt $d/srv.pem
    http-request set-header X-Early %[ssl_fc_has_early]
    default_backend be
frontend crtlist
    bind 127.0.0.1:%%PORT_8445%% ssl crt-list $d/list.txt
    http-request set-header X-Early %[ssl_fc_has_early]
    default_backend be
backend be
    server o 127.0.0.1:%%PORT_8080%%
EOF2

sub req { my ($path, $conn) = @_; "GET $path HTTP/1.1\r\nHost: srv.test\r\nConnection: $conn\r\n\r\n" }
my @o = ('-tls1_3', '-servername', 'srv.test');

# A request received in early data (keep-alive), then one after the handshake (close).
sub early {
    my ($port, $path, $name) = @_;
    my $r1 = s_client($port, req('/first', 'close'), @o, '-sess_out', "$d/$name.sess");
    like($r1, qr/X-Echo-Uri: \/first/i, "$name: the first connection is answered");
    $t->write_file("$name.early", req($path, 'keep-alive'));
    return s_client($port, req('/after', 'close'), @o, '-sess_in', "$d/$name.sess",
                    '-early_data', "$d/$name.early");
}

# 1. accepted and forwarded at once
my $r = early(port(8443), '/early', 'acc');
like($r, qr/^Reused, /m, 'the session is resumed');
like($r, qr/Early data was accepted/, 'the early data is accepted');
my ($e) = $r =~ /(X-Echo-Uri: \/early.*?)(?=HTTP\/1\.1 |\z)/si;
ok($e, 'the request sent as early data is answered');
SKIP: {
    # HAProxy 2.6 built with OpenSSL keeps early data until the handshake completed (its
    # stream starts then): ssl_fc_has_early is never true there, no Early-Data header goes
    # out (portico.cfg(5), allow-0rtt)
    skip 'HAProxy (OpenSSL) processes early data after the handshake', 3 unless $t->portico;
    like($e // '', qr/^x-early: 1\r?$/mi, 'ssl_fc_has_early is true for it');
    like($e // '', qr/^x-after: 1\r?$/mi, 'still true for the next rule (no wait-for-handshake)');
    like($e // '', qr/^Early-Data: 1\r?$/mi, 'the server gets Early-Data: 1');
}
like($r, qr/X-Echo-Uri: \/after.*^x-early: 0\r?$/msi,
     'the request after the handshake: ssl_fc_has_early false');

# 2. wait-for-handshake: the request waits for the handshake
$r = early(port(8443), '/wait', 'wait');
like($r, qr/Early data was accepted/, 'wait-for-handshake: the early data is accepted');
($e) = $r =~ /(X-Echo-Uri: \/wait.*?)(?=HTTP\/1\.1 |\z)/si;
ok($e, 'the request sent as early data is answered after the handshake');
SKIP: {
    skip 'HAProxy (OpenSSL) processes early data after the handshake', 1 unless $t->portico;
    like($e // '', qr/^x-early: 1\r?$/mi, 'before wait-for-handshake: ssl_fc_has_early true');
}
like($e // '', qr/^x-after: 0\r?$/mi, 'after it: false (the handshake completed)');
unlike($e // '', qr/^Early-Data:/mi, 'no Early-Data header once the handshake completed');

# 3. no allow-0rtt: its tickets offer no early data
$r = s_client(port(8444), req('/first', 'close'), @o, '-sess_out', "$d/ref.sess");
like($r, qr/X-Echo-Uri: \/first/i, 'no allow-0rtt: the first connection is answered');
like($r, qr/^\s*Max Early Data: 0$/m, 'its session ticket allows no early data');

# 4. early data sent anyway (a session from the allow-0rtt bind) is refused: the client goes
# on in 1-RTT and its request sent after the handshake is answered
$r = s_client(port(8444), req('/after', 'close'), @o, '-sess_in', "$d/acc.sess",
              '-early_data', "$d/acc.early");
like($r, qr/Early data was rejected/, 'without allow-0rtt the early data is refused');
unlike($r, qr/X-Echo-Uri: \/early/i, 'the early data request is not processed');
like($r, qr/X-Echo-Uri: \/after.*^x-early: 0\r?$/msi,
     'the request sent after the handshake is answered');
my @reqs = grep { $_->{uri} eq '/early' } $t->origin_requests(port(8080));
is(scalar @reqs, 1, 'the origin saw the early data request of the allow-0rtt bind only');

# 5. allow-0rtt on a crt-list line: for the names of that line only (the bind's default
# certificate, the first line, has none)
{
    my @a = ('-tls1_3', '-servername', 'a.test');
    my $r1 = s_client(port(8445), req('/first', 'close'), @a, '-sess_out', "$d/cl.sess");
    $t->write_file('cl.early', req('/early-cl', 'keep-alive'));
    my $r2 = s_client(port(8445), req('/after', 'close'), @a, '-sess_in', "$d/cl.sess",
                      '-early_data', "$d/cl.early");
    SKIP: {
        # HAProxy 2.6 built with OpenSSL accepts the option there but never offers early
        # data unless the bind line has it too (portico.cfg(5), allow-0rtt)
        skip 'HAProxy (OpenSSL): allow-0rtt on a crt-list line alone does nothing', 3
            unless $t->portico;
        like($r1, qr/^\s*Max Early Data: [1-9]/m, 'crt-list line with allow-0rtt: its tickets offer early data');
        like($r2, qr/Early data was accepted/, 'and accepts it');
        like($r2, qr/X-Echo-Uri: \/early-cl/i, 'the request sent as early data is answered');
    }
    my $r3 = s_client(port(8445), req('/first', 'close'), '-tls1_3', '-servername', 'b.test');
    like($r3, qr/^\s*Max Early Data: 0$/m, 'a line without it: no early data offered');
}

# 6. the runtime API: "show ssl crt-list" prints the option; a line added with it
# ("add ssl crt-list") allows early data for its names from the next handshake on
like(cli_send("$d/cli.sock", "show ssl crt-list $d/list.txt\n"), qr{^\Q$d\E/a\.pem \[allow-0rtt\] a\.test$}m,
     'show ssl crt-list: [allow-0rtt]');
like(cli_send("$d/cli.sock", "add ssl crt-list $d/list.txt <<\n$d/b.pem [allow-0rtt] c.test\n\n"),
     qr/Inserting certificate/, 'add ssl crt-list with [allow-0rtt]');
SKIP: {
    skip 'HAProxy (OpenSSL): allow-0rtt on a crt-list line alone does nothing', 1 unless $t->portico;
    like(s_client(port(8445), req('/first', 'close'), '-tls1_3', '-servername', 'c.test'),
         qr/^\s*Max Early Data: [1-9]/m, 'the added line offers early data');
}
