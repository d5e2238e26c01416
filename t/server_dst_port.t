#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Transparent-like servers as HAProxy 2.6 (as reg-tests/stickiness/*.vtc declare unused
# servers "${unset}:${unset}"): a server without a port connects to the port the client
# connected to; a server at 0.0.0.0 connects to the address the client connected to;
# such a server with "check" and no check port is refused at -c as HAProxy refuses it;
# "init-addr" tries its methods in order for a host name (an IP address after a failed
# resolution; "none": no address, the server in maintenance; "last" has nothing without a
# server-state file).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new();
$t->has(qw/ http /)->plan(14);
$t->origin_http(port(8702), handler => sub { (200, ['X-Srv' => 'same-port'], "a\n") });
$t->origin_http(port(8704), handler => sub { (200, ['X-Srv' => 'fixed-port'], "b\n") });
$t->config(<<'EOF2')->run(wait_ports => []);
global
    maxconn 100
defaults
    mode http
    %%TIMEOUTS%%
    timeout connect 2s
frontend fe1
    bind 127.0.0.2:%%PORT_8702%%
    default_backend noport
frontend fe2
    bind 127.0.0.1:%%PORT_8703%%
    bind 127.0.0.2:%%PORT_8705%%
    default_backend anyaddr
backend noport
    server s 127.0.0.1
backend anyaddr
    server s 0.0.0.0:%%PORT_8704%%
frontend fe3
    bind 127.0.0.1:%%PORT_8706%%
    default_backend fallback
frontend fe4
    bind 127.0.0.1:%%PORT_8707%%
    default_backend noaddr
backend fallback
    server s nosuch.invalid:%%PORT_8704%% init-addr libc,127.0.0.1
backend noaddr
    server s nosuch.invalid:%%PORT_8704%% init-addr none
EOF2
sub get {
    my ($addr, $p) = @_;
    my $s = IO::Socket::IP->new(PeerAddr => $addr, PeerPort => port($p), Proto => 'tcp', Timeout => 5)
        or return "connect to $addr failed";
    my $r = http_parse(http("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        socket => $s)) // { h => {} };
    return ($r->{status} // 0) . ' ' . ($r->{h}{'x-srv'} // '');
}
is(get('127.0.0.2', 8702), '200 same-port', 'a server without a port: the port the client connected to');
is(get('127.0.0.1', 8703), '200 fixed-port', 'a server at 0.0.0.0: the address the client connected to (127.0.0.1)');
like(get('127.0.0.2', 8705), qr/^503 /, 'and that address only (nothing listens on 127.0.0.2 there)');

is(get('127.0.0.1', 8706), '200 fixed-port', 'init-addr libc,<ip>: the name does not resolve, the address is used');
like(get('127.0.0.1', 8707), qr/^503 /, 'init-addr none: no address, the server in maintenance');

sub check_cfg {
    my ($cfg) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n    %%TIMEOUTS%%\n$cfg");
    return $c->check_config();
}
delete $ENV{PTC_TEST_UNSET_A};
my ($rc, $o) = check_cfg("backend b\n    server s \${PTC_TEST_UNSET_A}:\${PTC_TEST_UNSET_A}\n"
    . "frontend f\n    bind 127.0.0.1:1\n    default_backend b\n");
is($rc, 0, 'an address of unset variables (":") is accepted') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s 127.0.0.1 check\n");
ok($rc != 0, 'check on a server without a port nor check port: refused');
like($o, qr/backend 'b': server 's' has neither service port nor check port/, 'with HAProxy\'s words') or diag($o);
# HAProxy asks for a port only to check a given address: the "any" address (":" from unset
# variables, "*", 0.0.0.0) passes, its check failing to connect
($rc, $o) = check_cfg("backend b\n    server s \${PTC_TEST_UNSET_A}:\${PTC_TEST_UNSET_A} check\n"
    . "    server t 0.0.0.0 check\n    server u * check addr 0.0.0.0\n"
    . "frontend f\n    bind 127.0.0.1:1\n    default_backend b\n");
is($rc, 0, 'check on the any address without a port: accepted') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s 0.0.0.0 check addr 127.0.0.2\n");
ok($rc != 0, 'a given check address without a port: refused') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s 127.0.0.1 check port 1\n"
    . "frontend f\n    bind 127.0.0.1:1\n    default_backend b\n");
is($rc, 0, 'with a check port it is accepted') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s nosuch.invalid:80\n");
ok($rc != 0, 'a host name that does not resolve, without init-addr: refused') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s nosuch.invalid:80 init-addr libc,bogus\n");
ok($rc != 0, 'init-addr with an unknown method: refused') or diag($o);
($rc, $o) = check_cfg("backend b\n    server s nosuch.invalid:80 init-addr last\n");
like($o, qr/no method found to resolve address 'nosuch\.invalid'/,
    'init-addr last without a server-state file: no method found (t/server_init_addr_last.t)') or diag($o);
