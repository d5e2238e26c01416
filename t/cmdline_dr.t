#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "-dr" (HAProxy's: ignore server address resolution failures): a server whose host name
# does not resolve fails the load without it; with it the load goes on with HAProxy's
# "disabling server" warning, the server is in maintenance and the others serve.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send servers_state /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(7);
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF2');
global
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server gone no-such-host.invalid:80
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 1, 'an unresolvable server name fails the check') or diag($out);
like($out, qr/could not resolve address 'no-such-host\.invalid'/, 'with the reason')
    or diag($out);
($rc, $out) = $t->check_config('-dr');
is($rc, 0, 'with -dr the check passes') or diag($out);
like($out, qr/could not resolve address 'no-such-host\.invalid', disabling server/,
    'and warns that the server is disabled') or diag($out);
$t->run(args => ['-dr']);
my $st = servers_state($t->testdir . '/cli.sock', 'be');
is($st->{'be/gone'}{srv_op_state}, 0, 'the unresolved server is down') or diag(explain $st);
my @bodies = map { my $r = http_parse(http_get('/')); $r ? $r->{body} : 'failed' } 1 .. 4;
is("@bodies", 'a a a a', 'the other server takes the traffic');
is($st->{'be/a'}{srv_op_state}, 2, 'and is up');
