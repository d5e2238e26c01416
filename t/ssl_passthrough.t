#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# TLS passthrough in mode tcp: "tcp-request inspect-delay" with "tcp-request content accept
# if { req.ssl_hello_type 1 }" and use_backend on req.ssl_sni / req_ssl_sni / req.ssl_alpn,
# without terminating TLS (the origins are TLS listeners); a ClientHello split in two
# segments; clear-text bytes wait for the end of the delay, then go to the default backend;
# req.len and req.payload in content rules.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get tls_connect /;

my $t = Test::Portico->new()->has(qw/ tcp http ssl /)->plan(12);
$SIG{PIPE} = 'IGNORE';

my $d = $t->testdir;
make_cert($d, 'a', 'a.test', sans => ['a.test']);
make_cert($d, 'w', '*.w.test', sans => ['*.w.test']);
make_cert($d, 'def', 'default.test');

$t->origin_tcp(port(8082));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    %%TIMEOUTS%%
frontend sni
    mode tcp
    bind 127.0.0.1:%%PORT_8443%%
    tcp-request inspect-delay 5s
    tcp-request content reject if { req.len ge 4 } { req.payload(0,4) -m str QUIT }
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend h2 if { req.ssl_alpn h2 }
    use_backend a if { req.ssl_sni -i a.test }
    use_backend w if { req_ssl_sni -m end .w.test }
    use_backend v13 if { req.ssl_ver 3.3 } { req.ssl_sni -i ver.test }
    default_backend def
frontend short
    mode tcp
    bind 127.0.0.1:%%PORT_8444%%
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend a if { req.ssl_sni -i a.test }
    default_backend echo
backend a
    mode tcp
    server s 127.0.0.1:%%PORT_9001%%
backend w
    mode tcp
    server s 127.0.0.1:%%PORT_9002%%
backend def
    mode tcp
    server s 127.0.0.1:%%PORT_9003%%
backend h2
    mode tcp
    server s 127.0.0.1:%%PORT_9004%%
backend v13
    mode tcp
    server s 127.0.0.1:%%PORT_9005%%
backend echo
    mode tcp
    server s 127.0.0.1:%%PORT_8082%%
listen tls_a
    mode http
    bind 127.0.0.1:%%PORT_9001%% ssl crt $d/a.pem
    http-request return status 200 content-type text/plain lf-string "origin=a sni=%[ssl_fc_sni]\\n"
listen tls_w
    mode http
    bind 127.0.0.1:%%PORT_9002%% ssl crt $d/w.pem
    http-request return status 200 content-type text/plain lf-string "origin=w sni=%[ssl_fc_sni]\\n"
listen tls_def
    mode http
    bind 127.0.0.1:%%PORT_9003%% ssl crt $d/def.pem
    http-request return status 200 content-type text/plain lf-string "origin=def sni=%[ssl_fc_sni]\\n"
listen tls_h2
    mode tcp
    bind 127.0.0.1:%%PORT_9004%% ssl crt $d/def.pem alpn h2
    server e 127.0.0.1:%%PORT_8082%%
listen tls_v13
    mode http
    bind 127.0.0.1:%%PORT_9005%% ssl crt $d/def.pem
    http-request return status 200 content-type text/plain lf-string "origin=v13 proto=%[ssl_fc_protocol]\\n"
EOF2

sub body { my $p = http_parse($_[0] // ''); return $p ? $p->{body} : '' }

my ($r, $i) = https_get(port(8443), '/', sni => 'a.test');
is(body($r), "origin=a sni=a.test\n", 'SNI a.test routed to backend a, TLS end to end');
like($i->{subject}, qr/CN\s*=\s*a\.test/, 'the client sees the origin certificate (not terminated)');
($r) = https_get(port(8443), '/', sni => 'x.w.test');
is(body($r), "origin=w sni=x.w.test\n", 'req_ssl_sni -m end .w.test');
($r) = https_get(port(8443), '/', sni => 'other.test');
is(body($r), "origin=def sni=other.test\n", 'unknown SNI: default_backend');
($r) = https_get(port(8443), '/', sni => 'ver.test');
is(body($r), "origin=v13 proto=TLSv1.3\n", 'req.ssl_ver: a TLS 1.3 ClientHello says 3.3 (its legacy version, as HAProxy)');
my $h2 = tls_connect(port(8443), sni => 'h.test', alpn => ['h2']);
is($h2 ? $h2->alpn_selected : '', 'h2', 'req.ssl_alpn h2: routed to the h2 listener');

# a ClientHello in two segments, 300 ms apart: the rules wait for the rest
{
    # a local relay that splits the first write of the client in two pieces
    my $ls = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Listen => 1) or die;
    my $lp = $ls->sockport;
    my $pid = fork() // die;
    if (!$pid) {
        my $c = $ls->accept or POSIX::_exit(1);
        my $up = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8443)) or POSIX::_exit(1);
        my $sel = IO::Select->new($c, $up);
        my $first = 1;
        local $SIG{ALRM} = sub { POSIX::_exit(0) };
        alarm 10;
        while (my @rd = $sel->can_read(5)) {
            for my $h (@rd) {
                my $n = sysread($h, my $b, 65536) or POSIX::_exit(0);
                if ($h == $c) {
                    if ($first) {
                        $first = 0;
                        syswrite($up, substr($b, 0, 20));
                        sleep 0.3;
                        syswrite($up, substr($b, 20));
                    } else {
                        syswrite($up, $b);
                    }
                } else {
                    syswrite($c, $b);
                }
            }
        }
        POSIX::_exit(0);
    }
    close $ls;
    ($r) = https_get($lp, '/', sni => 'a.test');
    is(body($r), "origin=a sni=a.test\n", 'a ClientHello split in two segments is routed by its SNI');
    kill 'TERM', $pid;
    waitpid($pid, 0);
}

# clear text: not a hello (no fetch can change its answer with more bytes), no rule
# matches: the default backend at once, as HAProxy (the delay only runs while a condition
# needs more bytes)
my $t0 = time;
my $cs = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8444)) or die;
syswrite($cs, "hello\n");
my $echo = '';
my $csel = IO::Select->new($cs);
while ($echo !~ /\n/ && time - $t0 < 5) {
    $csel->can_read(0.5) or next;
    sysread($cs, my $b, 100) or last;
    $echo .= $b;
}
my $el = time - $t0;
close $cs;
is($echo, "hello\n", 'clear text reaches the default backend (an echo server)');
ok($el < 0.8, sprintf('without waiting for the inspect-delay (%.1fs)', $el));
($r) = https_get(port(8444), '/', sni => 'a.test');
is(body($r), "origin=a sni=a.test\n", 'a hello is routed at once');

# req.len / req.payload: "QUIT" is rejected
my $q = http("QUIT and more\n", port => port(8443), timeout => 5);
is($q // '', '', 'tcp-request content reject on req.payload(0,4)');
my $ok = http("QUITE\n", port => port(8444), half_close => 1, timeout => 5);
is($ok, "QUITE\n", 'other frontends are not affected');
