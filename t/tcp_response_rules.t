#!/usr/bin/perl
# tcp-response content rules (backend, mode tcp) with and without "tcp-response
# inspect-delay": accept, reject, set-var, unset-var, as HAProxy 2.6 runs them; accepted in
# mode http too (t/http_tcp_rules.t).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp /)->plan(5);
$t->origin_tcp(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults tcpd
    mode tcp
    %%TIMEOUTS%%
frontend f_reject from tcpd
    bind 127.0.0.1:%%PORT_8090%%
    default_backend be_reject
frontend f_ok from tcpd
    bind 127.0.0.1:%%PORT_8091%%
    tcp-request content set-var(sess.ok) int(1)
    default_backend be_delay
frontend f_notok from tcpd
    bind 127.0.0.1:%%PORT_8092%%
    default_backend be_delay
frontend f_vars from tcpd
    bind 127.0.0.1:%%PORT_8093%%
    tcp-request content set-var(sess.drop) int(1)
    default_backend be_vars
backend be_reject from tcpd
    tcp-response content reject
    server e 127.0.0.1:%%PORT_8081%%
backend be_delay from tcpd
    tcp-response inspect-delay 3s
    tcp-response content accept if { var(sess.ok) -m found }
    tcp-response content reject
    server e 127.0.0.1:%%PORT_8081%%
backend be_vars from tcpd
    tcp-response content unset-var(sess.drop)
    tcp-response content set-var(txn.x) int(2)
    tcp-response content reject if { var(sess.drop) -m found } || !{ var(txn.x) -m int 2 }
    server e 127.0.0.1:%%PORT_8081%%
EOF2

sub exchange {
    my ($port, $data) = @_;
    my ($got) = tcp_transfer(port($port), $data, { timeout => 5 });
    return $got // '';
}

is(exchange(8090, 'hello'), '', 'tcp-response content reject: closed without the response');
is(exchange(8091, 'hello'), 'hello', 'inspect-delay: accept as soon as a rule decides');
is(exchange(8092, 'hello'), '', 'inspect-delay: reject');
is(exchange(8093, 'hello'), 'hello', 'set-var and unset-var in tcp-response content');

{
    my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('http.cfg', <<"EOF3"));
backend b
    mode http
    tcp-response content accept
    server s 127.0.0.1:1
EOF3
    unlike($out, qr/tcp-response content/,
        'tcp-response content in mode http is accepted (t/http_tcp_rules.t runs it)') or diag($out);
}
