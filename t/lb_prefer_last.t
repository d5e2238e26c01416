#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "option prefer-last-server": with roundrobin, the requests of a keep-alive client stay on
# the server whose connection is held (without it they alternate); a server set down
# is left at once for the others. "http-reuse never" keeps HAProxy 2.6's connection
# attached to the client session, so that the test compares the same thing on both.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
listen plain
    bind 127.0.0.1:%%PORT_8080%%
    balance roundrobin
    http-reuse never
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
listen prefer
    bind 127.0.0.1:%%PORT_8090%%
    balance roundrobin
    option prefer-last-server
    http-reuse never
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
EOF2
my $req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
sub bodies { join '', map { $_ ? $_->{body} : '-' } @_ }
like(bodies(http_keepalive(($req) x 6, { port => port(8080) })), qr/^(?:ab){3}$|^(?:ba){3}$/,
    'roundrobin: a keep-alive client alternates');
like(bodies(http_keepalive(($req) x 6, { port => port(8090) })), qr/^(?:a{6}|b{6})$/,
    'prefer-last-server: it stays on the server whose connection is held');
my @r = http_keepalive(($req) x 2, { port => port(8090) });
my $first = $r[0] ? $r[0]{body} : '';
cli_send($t->testdir . '/admin.sock', "set server prefer/$first state maint\n");
my $other = $first eq 'a' ? 'b' : 'a';
is(bodies(http_keepalive(($req) x 3, { port => port(8090) })), $other x 3,
    'prefer-last-server: a server in maintenance is not preferred');
cli_send($t->testdir . '/admin.sock', "set server prefer/$first state ready\n");
$t->config("defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1\n    option prefer-last-server\n");
my ($rc, $out) = $t->check_config;
like($out, qr/prefer-last-server/, 'frontend: not a backend keyword') or diag($out);
